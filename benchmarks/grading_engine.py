"""Grading benchmark (issue 5): stock `nbgrader autograde` against `academy grade --workers N`.

Generates N submissions of a real assignment (a seeded mix of correct, partial and wrong
work), then grades them in two fresh scratch copies of the course, same machine, same run:

1. stock: `nbgrader generate_assignment` (registration, not timed in the ratio), then
   `nbgrader autograde ID` (one kernel per submission, in the grader's process rights, no
   sandbox) and `nbgrader generate_feedback ID` (timed apart: academy writes feedback too);
2. academy: `academy grade ID --workers N` with the sandbox on and a cold reference cache,
   then again with `--force` (references cached: the warm figure).

It fails loudly (exit 1) unless every per-question grade in the two gradebooks agrees (read
with nbgrader's Gradebook API) and every correct submission has full marks. It prints wall
times, the ratio stock/academy, submissions per minute, and the floor: the sum over the batch
of each job's kernel start-up + execution time (``tasks.Outcome.seconds``, measured in the
worker around the whole sandboxed run) divided by the workers. Start-up is split out by a
separate measurement: a bare sandboxed kernel (a notebook with no code) and a kernel that only
runs the notebook's first code cell (its imports), each run alone before the batch.

The academy CLI runs in a child process (``--academy-cli``) that wraps the coordinator's
``graders.engine.grade._finish`` to log each job's ``Outcome.seconds`` and the coordinator's
own time per finished job; nothing in graders/ is changed. ``--profile`` also runs that child
under cProfile and prints the coordinator's top functions.

    .venv/bin/python benchmarks/grading_engine.py [--assignment q01-qubits] [--students 40]
        [--workers 2] [--seed 0] [--variants K] [--profile] [--keep]
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
from submissions import copy_course, solutions, stubs, submit  # noqa: E402

# Near misses for the quantum pilot, one per answer cell: each runs without error or warning
# and returns a plausible value of the right type that a hidden or visible test rejects.
WRONG = {"q01-qubits": {
    "q1-normalise": "def normalise(amplitudes):\n"
                    "    a = np.asarray(amplitudes, dtype=complex)\n"
                    "    return a / np.sum(np.abs(a))  # L1 norm, not L2\n",
    "q2-probabilities": "def outcome_probabilities(amplitudes):\n"
                        "    a = np.asarray(amplitudes, dtype=complex)\n"
                        "    n = int(round(math.log2(len(a))))\n"
                        "    return {format(i, f'0{n}b')[::-1]: float(abs(z) ** 2)  # big-endian\n"
                        "            for i, z in enumerate(a)}\n",
    "q3-bloch": "def bloch_vector(amplitudes):\n"
                "    alpha, beta = np.asarray(amplitudes, dtype=complex)\n"
                "    c = alpha * np.conj(beta)  # conjugates the wrong amplitude\n"
                "    return np.array([2 * c.real, 2 * c.imag, abs(alpha) ** 2 - abs(beta) ** 2])\n",
    "q4-prepare": "def prepare(theta, phi):\n"
                  "    qc = QuantumCircuit(1)\n"
                  "    qc.rz(phi, 0)  # phase first: lost as a global phase\n"
                  "    qc.ry(theta, 0)\n"
                  "    return qc\n",
    "q5-sample": "def sample_counts(circuit, shots, seed):\n"
                 "    measured = circuit.measure_all(inplace=False)\n"
                 "    result = StatevectorSampler(seed=1234).run([measured], shots=shots).result()\n"
                 "    return result[0].data.meas.get_counts()  # ignores the seed given\n",
    "q6-shot-plan": "def plan_shots(predicted_p1, target_se, budget, min_shots=100):\n"
                    "    return [min_shots for _ in predicted_p1]  # ignores the precision target\n",
}}


def wrong_answer(aid: str, gid: str, solution: str) -> str:
    """A wrong version of one answer cell: a hand-written near miss where there is one, else
    the solution with each function it defines replaced by one returning None."""
    if gid in WRONG.get(aid, {}):
        return WRONG[aid][gid]
    try:
        names = [n.name for n in ast.parse(solution).body if isinstance(n, ast.FunctionDef)]
    except SyntaxError:
        names = []
    return solution + "".join(f"\n\ndef {name}(*args, **kwargs):\n    return None\n" for name in names)


def fabricate(aid: str, students: int, seed: int) -> dict[str, tuple[str, dict[str, str]]]:
    """student -> (kind, answers by grade id): about 40 % correct, 40 % partial, 20 % wrong,
    the kinds shuffled by ``seed``. Partial: each answer cell is the solution, the release's
    stub or a wrong version, at least one of each solved and not solved."""
    rng = random.Random(seed)
    good, stub = solutions(ROOT, aid), stubs(ROOT, aid)
    bad = {gid: wrong_answer(aid, gid, text) for gid, text in good.items()}
    n_correct, n_wrong = round(students * 0.4), max(1, round(students * 0.2))
    n_partial = students - n_correct - n_wrong
    kinds = ["correct"] * n_correct + ["wrong"] * n_wrong + ["partial"] * n_partial
    rng.shuffle(kinds)
    out = {}
    for i, kind in enumerate(kinds):
        if kind == "correct":
            answers = dict(good)
        elif kind == "wrong":
            answers = {g: rng.choice([bad[g], bad[g], stub[g]]) for g in good}
        else:
            gids = list(good)
            solved = set(rng.sample(gids, rng.randint(1, len(gids) - 1)))
            answers = {g: good[g] if g in solved else rng.choice([bad[g], stub[g]]) for g in gids}
        out[f"student{i:03d}"] = (kind, answers)
    return out


def scratch_course(aid: str, batch: dict, label: str) -> Path:
    course = copy_course(ROOT, Path(tempfile.mkdtemp(prefix=f"academy-bench-{label}-")))
    for student, (_, answers) in batch.items():
        submit(course, aid, student, answers)
    return course


def child_env(variants: int | None) -> dict[str, str]:
    """The caller's environment without Academy settings (a stray ACADEMY_STUDENT or DB URL
    would change what is graded or where), the venv's bin/ first on PATH (nbgrader runs
    alembic from PATH)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACADEMY_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if variants:
        env["ACADEMY_VARIANTS"] = str(variants)
    return env


def timed(cmd: list, course: Path, env: dict, ok=(0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(c) for c in cmd], cwd=course, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"FAILED ({done.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def gradebook_scores(course: Path, aid: str, students) -> dict[str, dict[str, float]]:
    """Per student, points per ``notebook:grade_id``, read with nbgrader's Gradebook API."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            try:
                sub = gb.find_submission(aid, student)
            except MissingEntry:
                out[student] = {}
                continue
            out[student] = {f"{nb.name}:{g.name}": float(g.score) for nb in sub.notebooks
                            for g in nb.grades}
    return out


def max_points(aid: str) -> dict[str, float]:
    from graders.notebooks import notebooks_in, questions, read

    return {f"{p.stem}:{q.grade_id}": q.points for p in notebooks_in(ROOT / "source" / aid)
            for q in questions(read(p)) if q.autograded}


def compare(stock: dict, ours: dict, batch: dict, top: dict[str, float], label: str) -> None:
    """Exit 1 on any per-question difference, a missing submission, or a correct submission
    short of full marks (which would mean the grading itself is broken on both sides)."""
    diffs = []
    for student, (kind, _) in batch.items():
        s, o = stock.get(student, {}), ours.get(student, {})
        if not s or not o:
            diffs.append(f"{student}: missing from the {'stock' if not s else 'academy'} gradebook")
            continue
        for q in top:
            if s.get(q) != o.get(q):
                diffs.append(f"{student} ({kind}) {q}: stock {s.get(q)} academy {o.get(q)}")
        if kind == "correct" and any(o.get(q) != p for q, p in top.items()):
            diffs.append(f"{student}: a correct submission without full marks: {o}")
    if diffs:
        print(f"GRADES DISAGREE ({label}): {len(diffs)} difference(s)", *diffs[:40], sep="\n  ")
        sys.exit(1)
    totals = {k: [sum(ours[s].values()) for s, (kind, _) in batch.items() if kind == k]
              for k in ("correct", "partial", "wrong")}
    spread = ", ".join(f"{k} {len(v)} (mean {statistics.mean(v):.1f})" for k, v in totals.items() if v)
    print(f"  grades agree ({label}): {len(batch)} submissions x {len(top)} questions; "
          f"totals out of {sum(top.values()):g}: {spread}")


def academy_run(course: Path, aid: str, workers: int, env: dict, log: Path, force: bool,
                profile: Path | None) -> tuple[float, list[dict]]:
    cmd = [sys.executable, __file__, "--academy-cli", str(log), str(profile or ""),
           "grade", aid, "--workers", str(workers), *(["--force"] if force else [])]
    seconds = timed(cmd, course, env, ok=(0, 1))
    return seconds, json.loads(log.read_text())


def academy_cli(log: str, profile: str, argv: list[str]) -> int:
    """`academy ARGV` in this process, logging per finished job the worker's run time
    (Outcome.seconds) and the coordinator's time to judge and record it."""
    from graders import cli
    from graders.engine import grade

    runs, original, t0 = [], grade._finish, time.perf_counter()

    def logged(batch, kind, key, future):
        try:
            seconds = future.result().seconds
        except Exception:  # the engine reports it; the log only misses a figure
            seconds = None
        start = time.perf_counter()
        try:
            return original(batch, kind, key, future)
        finally:
            runs.append({"kind": kind, "key": key, "seconds": seconds, "at": start - t0,
                         "coordinator": time.perf_counter() - start})

    grade._finish = logged
    try:
        if not profile:
            return cli.main(argv)
        import cProfile

        profiler = cProfile.Profile()
        try:
            return profiler.runcall(cli.main, argv)
        finally:
            profiler.dump_stats(profile)
    finally:
        Path(log).write_text(json.dumps(runs))


def startup(aid: str, reps: int = 3) -> tuple[float, float, float]:
    """Median Outcome.seconds of (a bare sandboxed kernel: started, no code, stopped), of
    (a sandboxed kernel that runs only the notebook's first code cell, its imports) and of a
    bare kernel without the sandbox (what the sandbox adds), run one at a time."""
    import nbformat

    from graders.catalog import load_catalog
    from graders.engine.sandbox import Limits
    from graders.engine.tasks import Job, run_job, student_env

    limits = load_catalog(ROOT).assignment(aid).limits
    limits = Limits(cell_seconds=limits.cell_seconds, notebook_seconds=limits.notebook_seconds)
    release = nbformat.read(ROOT / "release" / aid / f"{aid}.ipynb", as_version=4)
    first = next(c for c in release.cells if c.cell_type == "code" and c.source.strip())
    bare, imports = nbformat.v4.new_notebook(), nbformat.v4.new_notebook(cells=[first])
    out = []
    for nb, sandboxed in ((bare, True), (imports, True), (bare, False)):
        times = []
        for _ in range(reps):
            outcome = run_job(Job("bench/startup", nbformat.writes(nb), {},
                                  student_env("bench", "observe"), limits, sandboxed))
            if outcome.problems:
                sys.exit(f"FAILED: the start-up probe reported {outcome.problems}")
            times.append(outcome.seconds)
        out.append(statistics.median(times))
    return out[0], out[1], out[2]


def floor_lines(runs: list[dict], workers: int, bare: float, imports: float, label: str) -> float:
    """Print the floor of one academy run and return it (student and reference jobs)."""
    jobs = [r for r in runs if r["seconds"] is not None]
    total = sum(r["seconds"] for r in jobs)
    subs = [r["seconds"] for r in jobs if r["kind"] == "submission"]
    refs = [r["seconds"] for r in jobs if r["kind"] == "reference"]
    coord = sum(r["coordinator"] for r in runs)
    print(f"  floor ({label}): {len(jobs)} jobs ({len(subs)} submissions, {len(refs)} reference "
          f"runs), sum of Outcome.seconds {total:.1f} s / {workers} workers = {total / workers:.1f} s")
    if subs:
        print(f"    per submission job: mean {statistics.mean(subs):.2f} s, median "
              f"{statistics.median(subs):.2f} s (in the batch, {workers} at a time)")
        # Estimates from the probes run alone before the batch: the load then may differ.
        print(f"    start-up in the sum, from the probes: kernel start+stop ~{len(jobs) * bare:.1f} s "
              f"({len(jobs)} x {bare:.2f} s), first cell's imports "
              f"~{len(jobs) * max(imports - bare, 0):.1f} s ({max(imports - bare, 0):.2f} s each)")
    if refs:
        print(f"    reference runs: {sum(refs):.1f} s of the sum ({statistics.mean(refs):.2f} s each)")
    print(f"    coordinator time in judge+record (serial, nbgrader autograde per student; "
          f"feedback comes after, in parallel): {coord:.1f} s, "
          f"{coord / max(len(subs), 1):.2f} s per submission")
    return total / workers


def report_profile(path: Path) -> None:
    import pstats

    print(f"\ncoordinator profile (cProfile, cumulative, {path}):")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(25)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--academy-cli":
        sys.exit(academy_cli(sys.argv[2], sys.argv[3], sys.argv[4:]))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--assignment", default="q01-qubits")
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0, help="seed of the correct/partial/wrong mix")
    p.add_argument("--variants", type=int, help="ACADEMY_VARIANTS for both runs (default: "
                   "the engine's, 64)")
    p.add_argument("--profile", action="store_true", help="run the cold academy run under cProfile")
    p.add_argument("--keep", action="store_true", help="keep the scratch courses")
    args = p.parse_args()
    aid, n, workers = args.assignment, args.students, args.workers
    if n < 3 or workers < 1:
        p.error("--students must be at least 3 and --workers at least 1")
    env = child_env(args.variants)
    os.environ.pop("ACADEMY_STUDENT", None)

    print(f"grading benchmark: {n} submissions of {aid}, {workers} workers, seed {args.seed}, "
          f"{os.cpu_count()} cores; load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}")
    batch = fabricate(aid, n, args.seed)
    stock_course = scratch_course(aid, batch, "stock")
    ours_course = scratch_course(aid, batch, "academy")
    top = max_points(aid)
    try:
        bare, imports, unsandboxed = startup(aid)
        print(f"sandboxed kernel alone: bare start+stop {bare:.2f} s, with the first cell "
              f"(imports) {imports:.2f} s; bare without the sandbox {unsandboxed:.2f} s (median of 3)")

        register = timed([BIN / "nbgrader", "generate_assignment", aid, "--force"], stock_course, env)
        stock = timed([BIN / "nbgrader", "autograde", aid, "--force"], stock_course, env)
        feedback = timed([BIN / "nbgrader", "generate_feedback", aid, "--force"], stock_course, env)
        print(f"stock nbgrader (in-kernel, no sandbox): generate_assignment {register:.1f} s, "
              f"autograde {stock:.1f} s, generate_feedback {feedback:.1f} s")
        stock_scores = gradebook_scores(stock_course, aid, batch)

        log = ours_course / ".bench-runs.json"
        prof = ours_course / ".bench-profile.pstats" if args.profile else None
        cold, cold_runs = academy_run(ours_course, aid, workers, env, log, False, prof)
        print(f"academy grade --workers {workers} (sandbox on), cold reference cache: {cold:.1f} s")
        compare(stock_scores, gradebook_scores(ours_course, aid, batch), batch, top, "cold")
        warm, warm_runs = academy_run(ours_course, aid, workers, env, log, True, None)
        print(f"academy grade --workers {workers} --force, references cached: {warm:.1f} s")
        compare(stock_scores, gradebook_scores(ours_course, aid, batch), batch, top, "warm")

        print("\nresults")
        for label, seconds in (("stock autograde", stock),
                               ("stock autograde + feedback", stock + feedback),
                               ("academy, cold cache", cold), ("academy, warm cache", warm)):
            print(f"  {label:28s} {seconds:7.1f} s  {n / seconds * 60:6.1f} submissions/min")
        print(f"  ratio stock autograde / academy:  cold {stock / cold:.2f}x   warm {stock / warm:.2f}x")
        print(f"  ratio stock autograde+feedback / academy (same work):  cold "
              f"{(stock + feedback) / cold:.2f}x   warm {(stock + feedback) / warm:.2f}x")
        print(f"  reference runs (cold - warm wall): {cold - warm:.1f} s")
        if any(r["kind"] == "reference" for r in warm_runs):
            print("  WARNING: the warm run redid reference runs: the cache key (source folder + the "
                  "whole graders/ package) changed between the runs; the warm figure is not warm")
        cold_floor = floor_lines(cold_runs, workers, bare, imports, "cold")
        warm_floor = floor_lines(warm_runs, workers, bare, imports, "warm")
        print(f"  academy wall / floor: cold {cold / cold_floor:.2f}, warm {warm / warm_floor:.2f}")
        load = os.getloadavg()
        print(f"  load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
              "(other sessions share the machine)")
        if prof:
            report_profile(prof)
    finally:
        if args.keep:
            print(f"kept: {stock_course} {ours_course}")
        else:
            shutil.rmtree(stock_course, ignore_errors=True)
            shutil.rmtree(ours_course, ignore_errors=True)


if __name__ == "__main__":
    main()
