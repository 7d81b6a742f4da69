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
from nbformat import ValidationError
from nbgrader.nbgraderformat.common import SchemaMismatchError

from ..catalog import load_catalog
from ..course_config import course_config, failure, nbgrader_api
from ..errors import AcademyError, GraderError
from ..instances import variant
from ..language import LANGUAGE_ENV, of_notebook
from ..notebooks import is_test_cell, nbgrader_meta, notebooks_in, read
from .bounded import BoundedJudge
from .export import question_columns, write_csv
from .judge import judge_notebook
from .locks import run_lock
from .plan import Task, plan
from .record import Journal, Pending, Recorder, submission_digest, write_feedback
from .reference import ReferenceStore, combined, records_of, split
from .sandbox import Limits, sandbox_problem
from .strip import observe_only
from .tasks import Job, JobKey, Outcome, folder_files, observe_cells, run_job, student_env


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
    judge: BoundedJudge
    max_points: dict[str, float]  # "notebook:grade_id" -> points
    results: dict[str, SubmissionResult] = field(default_factory=dict)
    runs: dict[str, dict[str, Outcome]] = field(default_factory=dict)  # student -> notebook -> run
    waiting: dict[str, int] = field(default_factory=dict)  # student -> runs still out
    digests: dict[str, str] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)  # variants whose references are on disk
    spans: dict[JobKey, list] = field(default_factory=dict)  # reference job -> cells per variant

    def job(self, key: JobKey, nb, files: dict[str, bytes], env: dict, problems=()) -> Job:
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
        env = student_env(task.student, "observe") | {LANGUAGE_ENV: of_notebook(read(nb_path))}
        jobs.append(batch.job(JobKey(nb_path.stem, student=task.student), nb, files, env, problems))
    return jobs


CONNECT_SECONDS = 10  # to reach a Dask scheduler
# What nbgrader's sanitizing steps raise for a notebook it will not grade: metadata that fails
# its schema (jsonschema's ValidationError) or has another schema version (SchemaMismatchError),
# a value it cannot use (ValueError), a locked cell whose checksum does not match
# (RuntimeError). Anything else while preparing is ours.
REFUSALS = (ValidationError, SchemaMismatchError, ValueError, RuntimeError)
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
            key = JobKey(nb_path.stem, variants=tuple(v for v, _ in group))
            batch.spans[key] = spans
            # the checks write what they record in the notebook's language
            env = student_env(group[0][1], "record") | {LANGUAGE_ENV: of_notebook(nb)}
            jobs.append(Job(key, nbformat.writes(nb), files, env, limits, batch.sandboxed))
    return jobs


def _record(batch: _Batch, student: str) -> None:
    """Judge a submission's runs (once, within bounds) and record those verdicts; its scores
    are the verdicts' points, as nbgrader records them."""
    runs = batch.runs.pop(student)
    result = batch.results[student]
    v = variant(batch.aid, student)
    pending, scores = {}, {c: 0.0 for c in batch.max_points}
    for notebook, outcome in runs.items():
        nb = nbformat.reads(outcome.notebook, as_version=4)
        verdicts = judge_notebook(nb, outcome.executed, "; ".join(outcome.problems),
                                  batch.store.load(v, notebook), batch.judge.judge)
        pending[notebook] = Pending(nb, verdicts)
        for verdict in verdicts.values():
            column = f"{notebook}:{verdict.grade_id}"
            scores[column] = batch.max_points.get(column, 0.0) if verdict.passed else 0.0
        result.problems += [p for p in outcome.problems if p not in result.problems]
    problem = batch.recorder.record(student, pending)
    if problem:  # nbgrader accepted this notebook when it was prepared: the fault is ours
        batch.journal.forget(student)
        raise GraderError(f"{student}: {problem}")
    result.graded, result.scores = True, scores
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
    refuse_state_kept_in_tests(root, aid)
    with run_lock(root, aid):
        executor = _executor(workers, scheduler)  # first: an unreachable scheduler fails fast
        try:
            with BoundedJudge() as judge:
                return _grade(root, aid, manifest, tasks, executor, csv_path, workers, sandbox,
                              force, progress, judge)
        finally:
            _close(executor)


def refuse_state_kept_in_tests(root: Path, aid: str) -> None:
    """A test cell whose observe-only form must keep a statement for the inputs' sake (a draw
    from their generator) would leave that expected value in the student's kernel: refuse."""
    for path in notebooks_in(root / "source" / aid):
        for cell in read(path).cells:
            if is_test_cell(cell) and (kept := observe_only(cell.source).kept_unsafe):
                raise AcademyError(
                    f"source/{aid}/{path.name}: test {nbgrader_meta(cell)['grade_id']} computes "
                    f"an expected value with a draw the inputs depend on ({kept[0]!r}); draw the "
                    "inputs first, then compute what is expected")


def _grade(root, aid, manifest, tasks, executor, csv_path, workers, sandbox, force, progress, judge):
    register_assignment(root, aid)
    columns, max_points = question_columns(root, aid)
    batch = _Batch(root, aid, _limits(manifest), sandbox, ReferenceStore(root, aid),
                   Recorder(root, aid), Journal(root, aid), judge, max_points)
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
    futures = {executor.submit(run_job, job): job.key for job in references}
    for task in todo:
        progress(0, None, f"preparing {task.student}")
        try:
            jobs = _submission_jobs(batch, task)
        except REFUSALS as exc:  # nbgrader refused the notebook (tampered metadata...)
            batch.results[task.student].problems.append(
                f"nbgrader could not read it: {str(exc).splitlines()[0][:200]}")
            continue
        except AcademyError:
            raise
        except Exception as exc:  # the gradebook, the disk, a bug: ours, not the student's
            raise GraderError(f"preparing {task.student}'s submission failed: "
                              f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}") from exc
        batch.waiting[task.student] = len(jobs)
        batch.runs[task.student] = {}
        futures.update({executor.submit(run_job, job): job.key for job in jobs})
    for done, future in enumerate(_completed(executor, futures), start=1):
        key = futures[future]
        progress(done, len(futures), str(key))
        _finish(batch, key, future)


def _finish(batch: _Batch, key: JobKey, future) -> None:
    try:
        outcome: Outcome = future.result()
    except Exception as exc:  # the worker itself failed (sandbox could not start, lost worker)
        what = f"the reference run of {batch.aid} ({key})" if key.is_reference else f"the run of {key}"
        raise GraderError(f"{what} failed: {exc}") from None
    if key.is_reference:
        if outcome.problems:
            raise AcademyError(f"the reference run of {batch.aid} ({key}) did not complete: "
                               f"{outcome.problems[0]}")
        executed = nbformat.reads(outcome.notebook, as_version=4)
        for v, part in zip(key.variants, split(executed, batch.spans[key])):
            batch.store.save(v, key.notebook, records_of(part, batch.aid, key.notebook, v,
                                                         of_notebook(executed)))
            if batch.store.has(v):
                batch.ready.add(v)
        for student in [s for s, n in batch.waiting.items() if n == 0 and s in batch.runs]:
            if variant(batch.aid, student) in batch.ready:
                _record(batch, student)
        return
    if key.student not in batch.runs:
        return
    batch.runs[key.student][key.notebook] = outcome
    batch.waiting[key.student] -= 1
    if batch.waiting[key.student] == 0 and variant(batch.aid, key.student) in batch.ready:
        _record(batch, key.student)
