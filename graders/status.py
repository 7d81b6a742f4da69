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
            stale = release(root, [aid], check=True)  # the module and its editions
            ids = [(aid, a.title.en)] + [(f"{aid}-{lang}", getattr(a.title, lang))
                                         for lang, offered in course.editions.items() if aid in offered]
            for edition, title in ids:
                own = [p for p in stale if p.split("/")[1] == edition]
                rows.append(Row(course.id, edition, title, a.estimated_minutes, len(qs),
                                sum(q.points for q in qs),
                                "in sync" if not own else "out of date: " + ", ".join(own)))
    return rows
