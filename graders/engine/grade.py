"""Grade every submission of one assignment: plan, run (sandboxed, in parallel), judge, record.

The coordinator (this process) sanitizes each submission with nbgrader's own preprocessors,
rewrites its test cells to observe only, and hands the notebooks to workers: a local process
pool (``workers``) or an existing Dask cluster (``scheduler``). Reference runs of the source
notebook, one per variant the batch needs and cached on disk, go to the same workers. As runs
come back, the coordinator judges and records them one at a time through nbgrader, so the
gradebook has a single writer whatever the number of workers.
"""
from __future__ import annotations

import os
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import nbformat

from ..catalog import load_catalog
from ..course_config import course_config, failure, nbgrader_api
from ..errors import AcademyError
from ..instances import variant
from ..notebooks import notebooks_in
from .export import question_columns, scores_for, write_csv
from .plan import Task, plan
from .record import Journal, Pending, Recorder, submission_digest, write_feedback
from .reference import ReferenceStore, combined, records_of, split
from .sandbox import Limits, sandbox_problem
from .tasks import Job, Outcome, folder_files, observe_cells, run_job, student_env


@dataclass
class SubmissionResult:
    student: str
    scores: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    graded: bool = False  # recorded in the gradebook (possibly with problems to look at)
    reused: bool = False  # recorded by an earlier run from the same files

    @property
    def needs_instructor(self) -> bool:
        return bool(self.problems)


@dataclass
class GradeReport:
    assignment: str
    columns: list[str]
    max_points: dict[str, float]
    results: list[SubmissionResult]
    csv_path: Path

    @property
    def flagged(self) -> list[SubmissionResult]:
        return [r for r in self.results if r.needs_instructor]


def register_assignment(root: Path, aid: str) -> None:
    """Put the assignment and its graded cells into the gradebook (nbgrader needs them to
    autograde) without touching release/: nbgrader writes its release into scratch."""
    with tempfile.TemporaryDirectory(prefix="academy-register-") as tmp:
        config = course_config(root)
        config.CourseDirectory.release_directory = tmp
        result = nbgrader_api(config).generate_assignment(aid, force=True, create=True)
    if not result["success"]:
        raise AcademyError(f"source/{aid}: nbgrader could not register it: {failure(result)}")


def sanitized(root: Path, aid: str, student: str, path: Path):
    """The submitted notebook after nbgrader's own sanitizing steps (outputs cleared, locked
    and test cells restored from the gradebook, metadata checked), then observe-only."""
    from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds,
                                        OverwriteCells, OverwriteKernelspec)

    config = course_config(root)
    nb = nbformat.read(path, as_version=4)
    resources = {"nbgrader": {"notebook": path.stem, "assignment": aid, "student": student,
                              "db_url": config.CourseDirectory.db_url}}
    for step in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
        nb, resources = step(config=config).preprocess(nb, resources)
    observe_cells(nb)
    return nb


@dataclass
class _Batch:
    """The state of one grading run, kept by the coordinator."""
    root: Path
    aid: str
    limits: Limits
    sandboxed: bool
    store: ReferenceStore
    recorder: Recorder
    journal: Journal
    results: dict[str, SubmissionResult] = field(default_factory=dict)
    runs: dict[str, dict[str, Outcome]] = field(default_factory=dict)  # student -> notebook -> run
    waiting: dict[str, int] = field(default_factory=dict)  # student -> runs still out
    digests: dict[str, str] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)  # variants whose references are on disk
    spans: dict[str, list] = field(default_factory=dict)  # reference job -> cells per variant

    def job(self, key: str, nb, files: dict[str, bytes], env: dict, problems=()) -> Job:
        return Job(key, nbformat.writes(nb), files, env, self.limits, self.sandboxed, list(problems))


def _limits(manifest) -> Limits:
    return Limits(cell_seconds=manifest.limits.cell_seconds,
                  notebook_seconds=manifest.limits.notebook_seconds)


def _submission_jobs(batch: _Batch, task: Task) -> list[Job]:
    source_dir = batch.root / "source" / batch.aid
    data, _ = folder_files(source_dir)
    files, problems = folder_files(task.folder)
    files.update(data)  # nbgrader's rule: the source's data files overwrite the student's
    jobs = []
    for nb_path in notebooks_in(source_dir):
        path = task.folder / nb_path.name
        if not path.is_file() or path.is_symlink():
            continue
        nb = sanitized(batch.root, batch.aid, task.student, path)
        jobs.append(batch.job(f"{task.student}/{nb_path.stem}", nb, files,
                              student_env(task.student, "observe"), problems))
    return jobs


CONNECT_SECONDS = 10  # to reach a Dask scheduler
FEEDBACK_PER_PROCESS = 4  # fewer students than this per worker: write feedback in this process
REFERENCES_PER_KERNEL = 4  # variants per reference job: fewer kernel starts, still spread out


def _reference_jobs(batch: _Batch, variants: dict[str, str]) -> list[Job]:
    """Reference runs for the variants not cached, a few variants per kernel (see combined)."""
    source_dir = batch.root / "source" / batch.aid
    files, _ = folder_files(source_dir)
    pairs = sorted(variants.items())
    groups = [pairs[i:i + REFERENCES_PER_KERNEL] for i in range(0, len(pairs), REFERENCES_PER_KERNEL)]
    jobs = []
    for group in groups:
        # The instructor's own solution is trusted: roomy limits, so that a loaded machine
        # does not stop the run every student of the variant depends on.
        limits = Limits(cell_seconds=max(4 * batch.limits.cell_seconds, 120),
                        notebook_seconds=len(group) * max(4 * batch.limits.notebook_seconds, 600))
        for nb_path in notebooks_in(source_dir):
            nb, spans = combined(nbformat.read(nb_path, as_version=4), [s for _, s in group])
            batch.spans["+".join(v for v, _ in group)] = spans
            jobs.append(Job(f"{'+'.join(v for v, _ in group)}/{nb_path.stem}", nbformat.writes(nb),
                            files, student_env(group[0][1], "record"), limits, batch.sandboxed))
    return jobs


def _record(batch: _Batch, student: str) -> None:
    runs = batch.runs.pop(student)
    result = batch.results[student]
    v = variant(batch.aid, student)
    pending = {}
    for notebook, outcome in runs.items():
        nb = nbformat.reads(outcome.notebook, as_version=4)
        stopped = "; ".join(outcome.problems)
        pending[notebook] = Pending(nb, outcome.executed, stopped, batch.store.load(v, notebook))
        result.problems += [p for p in outcome.problems if p not in result.problems]
    problem = batch.recorder.record(student, pending)
    if problem:
        result.problems.append(problem)
        batch.journal.forget(student)
        return
    result.graded = True
    result.scores = scores_for(batch.root, batch.aid, student)
    batch.journal.write(student, {"digest": batch.digests[student], "scores": result.scores,
                                  "problems": result.problems})


def _executor(workers: int, scheduler: str | None):
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise AcademyError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        try:
            return Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
        except OSError as exc:
            raise AcademyError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


def _completed(executor, futures):
    if isinstance(executor, ProcessPoolExecutor):
        return as_completed(futures)
    from distributed import as_completed as dask_completed

    return dask_completed(list(futures), loop=executor.loop)


def _close(executor) -> None:
    if isinstance(executor, ProcessPoolExecutor):
        executor.shutdown(wait=True, cancel_futures=True)
    else:
        executor.close()


def grade_assignment(root: Path | str, aid: str, csv_path: Path | None = None, *,
                     workers: int = 1, scheduler: str | None = None, sandbox: bool = True,
                     force: bool = False,
                     progress: Callable[[int, int, str], None] = lambda done, total, what: None
                     ) -> GradeReport:
    """Grade every submission of ``aid`` under ``root``/submitted, write feedback and the
    per-question CSV (atomically), and return the report."""
    root = Path(root).resolve()
    if workers < 1:
        raise AcademyError(f"--workers must be at least 1, not {workers}")
    manifest = load_catalog(root).assignment(aid)
    tasks = plan(root, aid)
    if not tasks:
        raise AcademyError(f"no submissions of {aid!r} under {root / 'submitted'}")
    if sandbox and not scheduler and (why := sandbox_problem()):
        raise AcademyError(f"cannot sandbox student code: {why} (or pass --unsafe-no-sandbox "
                           "to grade without isolation, only for trusted notebooks)")
    executor = _executor(workers, scheduler)  # first: an unreachable scheduler fails fast
    try:
        return _grade(root, aid, manifest, tasks, executor, csv_path, workers, sandbox, force,
                      progress)
    finally:
        _close(executor)


def _grade(root, aid, manifest, tasks, executor, csv_path, workers, sandbox, force, progress):
    register_assignment(root, aid)
    batch = _Batch(root, aid, _limits(manifest), sandbox, ReferenceStore(root, aid),
                   Recorder(root, aid), Journal(root, aid))
    todo = [t for t in tasks if _still_to_grade(batch, t, force)]
    variants = {}
    for task in todo:
        variants.setdefault(variant(aid, task.student), task.student)
    batch.ready = {v for v in variants if batch.store.has(v)}
    references = _reference_jobs(batch, {v: s for v, s in variants.items() if v not in batch.ready})
    _run(batch, executor, references, todo, progress)
    results = [batch.results[t.student] for t in tasks]
    progress(1, 1, "feedback")
    _feedback(batch, [r for r in results if r.graded], workers)
    columns, max_points = question_columns(root, aid)
    csv_path = csv_path or root / "exports" / f"{aid}-grades.csv"
    write_csv(csv_path, columns, max_points, results)
    return GradeReport(aid, columns, max_points, results, csv_path)


def _still_to_grade(batch: _Batch, task: Task, force: bool) -> bool:
    """Set up the task's result; False when there is nothing to run: not gradable, or
    recorded by an earlier run from the same files."""
    result = batch.results[task.student] = SubmissionResult(task.student, problems=list(task.problems))
    if not task.gradable:
        return False
    batch.digests[task.student] = digest = submission_digest(task.folder)
    entry = None if force else batch.journal.done(task.student, digest)
    if entry is None or not (batch.root / "autograded" / task.student / batch.aid).is_dir():
        return True  # new, changed, forced, or its autograded copy is gone
    result.scores, result.problems = entry["scores"], entry["problems"]
    result.graded = result.reused = True
    return False


def _feedback(batch: _Batch, graded: list[SubmissionResult], workers: int) -> None:
    """Feedback for what this run recorded, and for kept submissions whose feedback is gone
    (a batch killed after recording), in parallel: nbconvert's HTML export is the slow part."""
    students = [r.student for r in graded if not r.reused or not (
        batch.root / "feedback" / r.student / batch.aid).is_dir()]
    if not students:
        return
    # A worker process costs a second or two to start: worth it from about eight students up.
    count = max(1, min(workers, len(students) // FEEDBACK_PER_PROCESS))
    chunks = [students[i::count] for i in range(count)]
    if count == 1:
        found = [write_feedback(str(batch.root), batch.aid, students)]
    else:
        with ProcessPoolExecutor(count, mp_context=get_context("spawn")) as pool:
            found = list(pool.map(write_feedback, [str(batch.root)] * count, [batch.aid] * count, chunks))
    for problems in found:
        for student, problem in problems.items():
            batch.results[student].problems.append(problem)


def _run(batch: _Batch, executor, references: list[Job], todo: list[Task], progress) -> None:
    """Run every job; judge and record each submission as soon as its runs and its variant's
    reference are in. Reference runs go first; each submission is sanitized and sent while
    the workers already run."""
    if not references and not todo:
        return
    progress(0, None, "starting workers")
    futures = {executor.submit(run_job, job): ("reference", job.key) for job in references}
    for task in todo:
        progress(0, None, f"preparing {task.student}")
        try:
            jobs = _submission_jobs(batch, task)
        except Exception as exc:  # nbgrader refused the notebook (tampered metadata...)
            batch.results[task.student].problems.append(
                f"nbgrader could not read it: {str(exc).splitlines()[0][:200]}")
            continue
        batch.waiting[task.student] = len(jobs)
        batch.runs[task.student] = {}
        futures.update({executor.submit(run_job, job): ("submission", job.key) for job in jobs})
    for done, future in enumerate(_completed(executor, futures), start=1):
        kind, key = futures[future]
        progress(done, len(futures), key)
        _finish(batch, kind, key, future)


def _finish(batch: _Batch, kind: str, key: str, future) -> None:
    owner, notebook = key.split("/", 1)
    try:
        outcome: Outcome = future.result()
    except Exception as exc:  # the worker itself failed (sandbox could not start, lost worker)
        if kind == "reference":
            raise AcademyError(f"the reference run of {batch.aid} ({owner}) failed: {exc}") from None
        batch.results[owner].problems.append(f"the grading run failed: {exc}")
        batch.runs.pop(owner, None)
        return
    if kind == "reference":
        if outcome.problems:
            raise AcademyError(f"the reference run of {batch.aid} ({owner}) did not complete: "
                               f"{outcome.problems[0]}")
        executed = nbformat.reads(outcome.notebook, as_version=4)
        for v, part in zip(owner.split("+"), split(executed, batch.spans[owner])):
            batch.store.save(v, notebook, records_of(part, batch.aid, notebook, v))
            if batch.store.has(v):
                batch.ready.add(v)
        for student in [s for s, n in batch.waiting.items() if n == 0 and s in batch.runs]:
            if variant(batch.aid, student) in batch.ready:
                _record(batch, student)
        return
    if owner not in batch.runs:
        return
    batch.runs[owner][notebook] = outcome
    batch.waiting[owner] -= 1
    if batch.waiting[owner] == 0 and variant(batch.aid, owner) in batch.ready:
        _record(batch, owner)
