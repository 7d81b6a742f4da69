"""`academy status`: the catalog at a glance, with points and release sync per assignment."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalog import load_catalog
from .notebooks import notebooks_in, questions, read
from .release import release


@dataclass(frozen=True)
class Row:
    course: str
    assignment: str
    title: str
    minutes: int
    questions: int
    points: float
    release: str  # "in sync" or "out of date: ..."


def status(root: Path | str) -> list[Row]:
    root = Path(root).resolve()
    catalog = load_catalog(root)
    rows = []
    for course in catalog.courses.values():
        for aid in course.assignments:
            a = catalog.assignments[aid]
            qs = [q for nb in notebooks_in(root / "source" / aid) for q in questions(read(nb))]
            stale = release(root, [aid], check=True)
            rows.append(Row(course.id, aid, a.title.en, a.estimated_minutes, len(qs),
                            sum(q.points for q in qs),
                            "in sync" if not stale else "out of date: " + ", ".join(stale)))
    return rows
