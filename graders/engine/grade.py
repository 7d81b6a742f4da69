"""Autograde every submission of one assignment, serially, through nbgrader."""
from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..catalog import load_catalog
from ..course_config import course_config, failure, nbgrader_api
from ..errors import AcademyError
from .export import question_columns, scores_for, write_csv
from .plan import Task, plan

STARTUP_SECONDS = 60  # for the worker to import nbgrader and read the course config
KERNEL_SECONDS = 15  # per submission, beyond its notebook limit: kernel start and bookkeeping


@dataclass
class SubmissionResult:
    student: str
    scores: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    graded: bool = False  # nbgrader autograded it (possibly with missing notebooks)

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


class Autograder:
    """Drives one worker process (see worker.py) through the submissions of a batch.

    Each submission gets the notebook time limit; a worker that runs past it is killed with
    its process group (kernel included) and a fresh one takes the next submission."""

    def __init__(self, root: Path, aid: str, limits):
        self.root, self.aid, self.limits = root, aid, limits
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        cmd = [sys.executable, "-m", "graders.engine.worker", str(self.root), self.aid,
               str(self.limits.cell_seconds)]
        self.proc = subprocess.Popen(cmd, cwd=self.root, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, start_new_session=True)
        if self._reply(STARTUP_SECONDS) is None:
            self.close()
            raise AcademyError("the autograder process did not start (run `nbgrader "
                               f"autograde {self.aid}` once to see nbgrader's own error)")

    def _reply(self, seconds: float) -> dict | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], seconds)
        line = self.proc.stdout.readline() if ready else ""
        return json.loads(line) if line else None

    def grade(self, student: str) -> str | None:
        """Autograde one submission; return a problem for the instructor, or None."""
        if self.proc is None:
            self._start()
        self.proc.stdin.write(student + "\n")
        self.proc.stdin.flush()
        reply = self._reply(self.limits.notebook_seconds + KERNEL_SECONDS)
        if reply is None:
            self.close()
            return f"stopped after the notebook time limit ({self.limits.notebook_seconds} s)"
        return None if reply["success"] else f"autograder failed: {reply['error']}"

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None


def _feedback(root: Path, aid: str, students: list[str]) -> None:
    api = nbgrader_api(course_config(root))
    for student in students:
        result = api.generate_feedback(aid, student, force=True)
        if not result["success"]:
            raise AcademyError(f"feedback for {student} failed: {failure(result)}")


def grade_assignment(root: Path | str, aid: str, csv_path: Path | None = None,
                     progress: Callable[[int, int, Task], None] = lambda done, total, task: None) -> GradeReport:
    """Autograde every submission of ``aid`` under ``root``/submitted, write feedback and the
    per-question CSV (atomically), and return the report."""
    root = Path(root).resolve()
    manifest = load_catalog(root).assignment(aid)
    tasks = plan(root, aid)
    if not tasks:
        raise AcademyError(f"no submissions of {aid!r} under {root / 'submitted'}")
    register_assignment(root, aid)
    results = []
    autograder = Autograder(root, aid, manifest.limits)
    try:
        for done, task in enumerate(tasks):
            progress(done, len(tasks), task)
            result = SubmissionResult(task.student, problems=list(task.problems))
            if task.gradable:
                problem = autograder.grade(task.student)
                result.graded = problem is None
                result.problems += [problem] if problem else []
            results.append(result)
    finally:
        autograder.close()
    progress(len(tasks), len(tasks), None)
    graded = [r.student for r in results if r.graded]
    _feedback(root, aid, graded)
    columns, max_points = question_columns(root, aid)
    for r in results:
        r.scores = scores_for(root, aid, r.student) if r.student in graded else {}
    csv_path = csv_path or root / "exports" / f"{aid}-grades.csv"
    write_csv(csv_path, columns, max_points, results)
    return GradeReport(aid, columns, max_points, results, csv_path)
