"""Fabricated submissions made from a course's own source and release notebooks, for the
lifecycle tests and the grading benchmark."""
from __future__ import annotations

import functools
import json
import re
import shutil
import tempfile
from pathlib import Path

from graders.notebooks import nbgrader_meta, read

STUB = "raise NotImplementedError()"
COURSE_FILES = ["nbgrader_config.py", "courses", "assignments", "i18n", "source", "release"]


@functools.cache
def empty_gradebook() -> Path:
    """An empty nbgrader gradebook made once per process: making one runs alembic in a
    subprocess (4.5 s here), copying it takes milliseconds."""
    from nbgrader.api import Gradebook

    from graders.course_config import ensure_tools_on_path

    ensure_tools_on_path()
    path = Path(tempfile.mkdtemp(prefix="academy-gradebook-")) / "gradebook.db"
    Gradebook(f"sqlite:///{path}").close()
    return path


def copy_course(root: Path, target: Path, gradebook: bool = False) -> Path:
    """A scratch copy of the course directory, safe to grade and break; with ``gradebook``,
    an empty SQLite gradebook in it too."""
    for name in COURSE_FILES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, target / name)
    if gradebook:
        shutil.copy(empty_gradebook(), target / "gradebook.db")
    return target


def answer_cells(path: Path, strip_markers: bool) -> dict[str, str]:
    """Answer cell source by grade id; with ``strip_markers`` the solution markers go."""
    out = {}
    for cell in read(path).cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            text = cell.source
            out[meta["grade_id"]] = re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n?", "", text) if strip_markers else text
    return out


def solutions(course: Path, aid: str) -> dict[str, str]:
    return answer_cells(course / "source" / aid / f"{aid}.ipynb", strip_markers=True)


def stubs(course: Path, aid: str) -> dict[str, str]:
    return answer_cells(course / "release" / aid / f"{aid}.ipynb", strip_markers=False)


def submit(course: Path, aid: str, student: str, answers: dict[str, str] | None = None,
           raw: str | None = None) -> Path:
    """Write submitted/<student>/<aid>/<aid>.ipynb: the release with ``answers`` filled in,
    or ``raw`` text; with neither, only the (empty) submission folder."""
    folder = course / "submitted" / student / aid
    folder.mkdir(parents=True)
    target = folder / f"{aid}.ipynb"
    if raw is not None:
        target.write_text(raw, encoding="utf-8")
    elif answers is not None:
        nb = json.loads((course / "release" / aid / f"{aid}.ipynb").read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell["source"] = answers[gid]
        target.write_text(json.dumps(nb), encoding="utf-8")
    return target
