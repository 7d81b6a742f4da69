"""Recording: nbgrader's own autograde pipeline, with its ``Execute`` step replaced by
:class:`ReplayJudged`, which puts in the outputs of the sandboxed run and the verdicts judged
here. nbgrader then sanitizes, saves grades and late penalties and writes autograded/ exactly
as it always does, so formgrader, manual grading, feedback and export keep working.

Each recorded submission leaves a journal entry (``.academy/grading/ID/STUDENT.json``, written
last and atomically) with a digest of the submission: a rerun after a crash skips what is
recorded and unchanged and redoes the rest; nbgrader's records are upserts, so nothing is
counted twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                    LimitOutput, NbGraderPreprocessor, SaveAutoGrades)

from ..course_config import course_config, failure, nbgrader_api
from ..errors import AcademyError
from .judge import CellVerdict, judge_cell
from .strip import observe_only

JOURNAL = Path(".academy") / "grading"
# nbgrader 0.9.6 adds objects to a session in a way SQLAlchemy 2.1 warns about but handles;
# the warning says nothing an instructor can act on.
warnings.filterwarnings("ignore", message=".*not in session, add operation along.*")


@dataclass
class Pending:
    """What ReplayJudged needs for one notebook of one submission."""
    executed: object  # the executed notebook (NotebookNode)
    ran: list[bool]
    stopped: str  # why execution stopped early, if it did
    records: dict[str, list[dict]]  # reference records per grade id
    verdicts: list[CellVerdict] = field(default_factory=list)  # filled by ReplayJudged


PENDING: dict[tuple[str, str], Pending] = {}


class ReplayJudged(NbGraderPreprocessor):
    """nbgrader's Execute step, replaced: copy the sandboxed run's outputs into nbgrader's own
    sanitized notebook and judge each test cell in this process."""

    def preprocess(self, nb, resources):
        key = (resources["nbgrader"]["student"], resources["nbgrader"]["notebook"])
        pending = PENDING.get(key)
        if pending is None:
            raise AcademyError(f"no sandboxed run for {key[0]}/{key[1]}: grade with `academy grade`")
        ran = pending.executed.cells
        if len(ran) != len(nb.cells):
            raise AcademyError(f"{key[0]}/{key[1]}: the run does not match nbgrader's notebook")
        pending.verdicts = []
        unfinished = None  # a cell since the last test that was stopped before its end
        for i, (cell, done) in enumerate(zip(nb.cells, ran)):
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            test = meta.get("grade") and not meta.get("solution")
            expect = observe_only(cell.source).source if test else cell.source
            if done.source != expect:
                raise AcademyError(f"{key[0]}/{key[1]}: cell {i} differs from the run")
            cell.execution_count = done.get("execution_count")
            if not test:
                cell.outputs = done.outputs
                unfinished = unfinished if pending.ran[i] else (unfinished or i + 1)
                continue
            # A question's work must run to its end: code stopped at the time limit before
            # this test (a loop after the graded function) costs the question.
            ran = pending.ran[i] and unfinished is None
            stopped = (pending.stopped if unfinished is None else
                       f"cell {unfinished}, before this test, was stopped before its end ({pending.stopped})")
            verdict = judge_cell(done, meta["grade_id"], pending.records.get(meta["grade_id"], []),
                                 ran, stopped)
            pending.verdicts.append(verdict)
            cell.outputs = verdict.outputs()
            unfinished = None
        return nb, resources


AUTOGRADE_STEPS = [ReplayJudged, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                   SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]


class Recorder:
    """Writes one submission at a time into the gradebook through nbgrader: SQLite wants one
    writer, and PostgreSQL is fine with it too."""

    def __init__(self, root: Path, aid: str):
        self.root, self.aid = root, aid
        config = course_config(root)
        config.Autograde.autograde_preprocessors = AUTOGRADE_STEPS
        self.api = nbgrader_api(config)

    def record(self, student: str, pending: dict[str, Pending]) -> str | None:
        """Autograde one submission through nbgrader; a problem line, or None."""
        for notebook, p in pending.items():
            PENDING[(student, notebook)] = p
        try:
            result = self.api.autograde(self.aid, student, force=True, create=True)
            if not result["success"]:
                return f"nbgrader could not record it: {failure(result)}"
        finally:
            for notebook in pending:
                PENDING.pop((student, notebook), None)
        return None


def write_feedback(root: str, aid: str, students: list[str]) -> dict[str, str]:
    """nbgrader's feedback for each student (run in a worker process once every grade is
    recorded: it only reads the gradebook). Returns a problem line per student that failed."""
    api = nbgrader_api(course_config(root))
    problems = {}
    for student in students:
        result = api.generate_feedback(aid, student, force=True)
        if not result["success"]:
            problems[student] = f"feedback failed: {failure(result)}"
    return problems


def submission_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Journal:
    """Which submissions are recorded, with the digest they were recorded from."""

    def __init__(self, root: Path, aid: str):
        self.folder = root / JOURNAL / aid

    def done(self, student: str, digest: str) -> dict | None:
        path = self.folder / f"{student}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if entry.get("digest") == digest else None

    def write(self, student: str, entry: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entry, fh)
        os.replace(tmp, self.folder / f"{student}.json")

    def forget(self, student: str) -> None:
        (self.folder / f"{student}.json").unlink(missing_ok=True)


def executed_notebook(text: str):
    return nbformat.reads(text, as_version=4)
