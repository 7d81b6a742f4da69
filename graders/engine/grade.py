"""Autograde every submission of one assignment, serially, through nbgrader."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..catalog import load_catalog
from ..course_config import course_config
from ..errors import AcademyError
from ..instances import STUDENT_ENV
from .export import question_columns, scores_for, write_csv
from .plan import Task, plan

STARTUP_SECONDS = 60  # allowance for nbgrader and the kernel to start, beyond the notebook limit


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
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    with tempfile.TemporaryDirectory(prefix="academy-register-") as tmp:
        config = course_config(root)
        config.CourseDirectory.release_directory = tmp
        api = NbGraderAPI(CourseDirectory(config=config), config=config)
        result = api.generate_assignment(aid, force=True, create=True)
    if not result["success"]:
        raise AcademyError(f"source/{aid}: nbgrader could not register it: "
                           f"{(result.get('error') or '').strip().splitlines()[-1:]}")


def _autograde(root: Path, aid: str, student: str, cell_seconds: int,
               notebook_seconds: int) -> str | None:
    """Run ``nbgrader autograde`` for one student in its own process group; return a
    problem, or None. The process group is killed when the notebook runs past its limit."""
    cmd = [sys.executable, "-m", "nbgrader", "autograde", aid, "--student", student, "--force",
           f"--Execute.timeout={cell_seconds}"]
    env = {**os.environ, STUDENT_ENV: student}
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=notebook_seconds + STARTUP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"stopped after the notebook time limit ({notebook_seconds} s)"
    if proc.returncode != 0:
        errors = [line for line in log.splitlines() if "[ERROR]" in line]
        return "autograder failed: " + (errors[0].split("]", 1)[-1].strip() if errors else
                                        f"exit code {proc.returncode}")
    return None


def _feedback(root: Path, aid: str, students: list[str]) -> None:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    for student in students:
        result = api.generate_feedback(aid, student, force=True)
        if not result["success"]:
            raise AcademyError(f"feedback for {student} failed: {result.get('error', '')[-200:]}")


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
    for done, task in enumerate(tasks):
        progress(done, len(tasks), task)
        result = SubmissionResult(task.student, problems=list(task.problems))
        if task.gradable:
            problem = _autograde(root, aid, task.student, manifest.limits.cell_seconds,
                                 manifest.limits.notebook_seconds)
            result.graded = problem is None
            result.problems += [problem] if problem else []
        results.append(result)
    progress(len(tasks), len(tasks), None)
    graded = [r.student for r in results if r.graded]
    _feedback(root, aid, graded)
    columns, max_points = question_columns(root, aid)
    for r in results:
        r.scores = scores_for(root, aid, r.student) if r.student in graded else {}
    csv_path = csv_path or root / "exports" / f"{aid}-grades.csv"
    write_csv(csv_path, columns, max_points, results)
    return GradeReport(aid, columns, max_points, results, csv_path)
