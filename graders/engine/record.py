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
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                    LimitOutput, NbGraderPreprocessor, SaveAutoGrades)

from ..course_config import course_config, failure, nbgrader_api
from ..errors import AcademyError
from ..files import atomic_write
from ..language import of_notebook, t, using
from ..notebooks import is_test_cell, notebooks_in, read
from .judge import CellVerdict
from .strip import observe_only

JOURNAL = Path(".academy") / "grading"
# nbgrader 0.9.6 adds objects to a session in a way SQLAlchemy 2.1 warns about but handles;
# the warning says nothing an instructor can act on.
warnings.filterwarnings("ignore", message=".*not in session, add operation along.*")


@dataclass
class Pending:
    """One notebook of one submission, run and judged: what ReplayJudged puts in."""
    executed: object  # the executed notebook (NotebookNode), observe-only test cells
    verdicts: dict[int, CellVerdict]  # per test cell index, judged once (judge.judge_notebook)


class ReplayJudged(NbGraderPreprocessor):
    """nbgrader's Execute step, replaced: copy the sandboxed run's outputs into nbgrader's own
    sanitized notebook, and the verdicts judged by the coordinator into its test cells."""

    def __init__(self, pending: dict[tuple[str, str], Pending], **kwargs):
        super().__init__(**kwargs)
        self.pending = pending

    def __deepcopy__(self, memo):  # traitlets copies configs: the recorder's dict must stay one
        return self

    def preprocess(self, nb, resources):
        key = (resources["nbgrader"]["student"], resources["nbgrader"]["notebook"])
        pending = self.pending.get(key)
        if pending is None:
            raise AcademyError(f"no sandboxed run for {key[0]}/{key[1]}: grade with `academy grade`")
        ran = pending.executed.cells
        if len(ran) != len(nb.cells):
            raise AcademyError(f"{key[0]}/{key[1]}: the run does not match nbgrader's notebook")
        for i, (cell, done) in enumerate(zip(nb.cells, ran)):
            if cell.cell_type != "code":
                continue
            test = is_test_cell(cell)
            if done.source != (observe_only(cell.source).source if test else cell.source):
                raise AcademyError(f"{key[0]}/{key[1]}: cell {i} differs from the run")
            cell.execution_count = done.get("execution_count")
            cell.outputs = pending.verdicts[i].outputs() if test else done.outputs
        return nb, resources


AUTOGRADE_STEPS = [IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                   AssignLatePenalties, CheckCellMetadata]


class Recorder:
    """Writes one submission at a time into the gradebook through nbgrader: SQLite wants one
    writer, and PostgreSQL is fine with it too. Its replay step reads what :meth:`record`
    hands it, and nothing else."""

    def __init__(self, root: Path, aid: str):
        self.root, self.aid = root, aid
        self.pending: dict[tuple[str, str], Pending] = {}
        config = course_config(root)
        config.Autograde.autograde_preprocessors = [ReplayJudged(self.pending), *AUTOGRADE_STEPS]
        self.api = nbgrader_api(config)

    def record(self, student: str, pending: dict[str, Pending]) -> str | None:
        """Autograde one submission through nbgrader; a problem line, or None."""
        self.pending.clear()
        self.pending.update({(student, notebook): p for notebook, p in pending.items()})
        try:
            result = self.api.autograde(self.aid, student, force=True, create=True)
            if not result["success"]:
                return f"nbgrader could not record it: {failure(result)}"
        finally:
            self.pending.clear()
        return None


def write_feedback(root: str, aid: str, students: list[str]) -> dict[str, str]:
    """nbgrader's feedback for each student (run in a worker process once every grade is
    recorded: it only reads the gradebook), with its labels in the assignment's language.
    Returns a problem line per student that failed."""
    api = nbgrader_api(course_config(root))
    languages = {nb.stem: of_notebook(read(nb)) for nb in notebooks_in(Path(root) / "source" / aid)}
    problems = {}
    for student in students:
        result = api.generate_feedback(aid, student, force=True)
        if not result["success"]:
            problems[student] = f"feedback failed: {failure(result)}"
            continue
        for name, lang in languages.items():
            page = Path(root) / "feedback" / student / aid / f"{name}.html"
            if lang != "en" and page.is_file():
                with using(lang):
                    atomic_write(page, localized_feedback(page.read_text(encoding="utf-8")))
    return problems


def localized_feedback(html: str) -> str:
    """nbgrader's feedback page with the labels of its template (0.9's feedback/index.html.j2:
    scores, cell kinds, "Student's answer", "(Top)") in the current language; the student's
    cells and the checks' messages are already in it."""
    score = t("Score")
    kinds = {"Test cell": t("Test cell"), "Comment": t("Comment"), "Task": t("Task"),
             "Coding free-response": t("Coding free-response"),
             "Written response": t("Written response")}
    labels = {"Student's answer": t("Student's answer"), "Student's task": t("Student's task"),
              "Grade cell": t("Grade cell"), "Task": t("Task")}
    html = re.sub(r"\(Score: (-?[\d.]+) / ([\d.]+)\)", lambda m: f"({score}: {m[1]} / {m[2]})", html)
    html = re.sub(r'(<span class="pull-right">\s*)Score:', lambda m: f"{m[1]}{score}:", html)
    html = re.sub(r'>(Test cell|Comment|Coding free-response|Written response|Task)</a>',
                  lambda m: f">{kinds[m[1]]}</a>", html)
    for english in ("Student's answer", "Student's task"):
        html = html.replace(f'<span class="nbgrader-label">{english}</span>',
                            f'<span class="nbgrader-label">{labels[english]}</span>')
    for english in ("Grade cell", "Task"):
        html = html.replace(f'<span class="nbgrader-label">{english}: <code>',
                            f'<span class="nbgrader-label">{labels[english]}: <code>')
    html = html.replace('<a href="#top">(Top)</a>', f'<a href="#top">({t("Top")})</a>')
    html = html.replace("<b>Comments:</b>", f"<b>{t('Comments')}:</b>")
    return html.replace("Late submission penalty (", f"{t('Late submission penalty')} (")


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
        atomic_write(self.folder / f"{student}.json", json.dumps(entry))

    def forget(self, student: str) -> None:
        (self.folder / f"{student}.json").unlink(missing_ok=True)

