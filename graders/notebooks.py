"""Reading notebooks and their nbgrader metadata, with one clear error for a bad file."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .errors import AcademyError


@dataclass(frozen=True)
class Question:
    """A graded cell: an autograded test cell, or a manually graded answer cell."""

    grade_id: str
    points: float
    autograded: bool


def read(path: Path | str) -> nbformat.NotebookNode:
    """Read a notebook, or raise AcademyError saying in one line what is wrong with it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AcademyError(f"{path}: no such notebook") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AcademyError(f"{path}: cannot read: {exc}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise AcademyError(f"{path}: not a notebook (invalid JSON at line {exc.lineno})") from None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AcademyError(f"{path}: not a valid notebook ({first})") from None
    return nb


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    """An autograded test cell: graded code that is not a solution (an answer cell)."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def questions(nb) -> list[Question]:
    """The graded cells in notebook order."""
    out = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            out.append(Question(meta["grade_id"], float(meta.get("points", 0)),
                                autograded=is_test_cell(cell)))
    return out


def notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
