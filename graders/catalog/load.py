"""Reading YAML into the schema, and the checks that span files."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import AcademyError
from .schema import Assignment, Course


class CatalogError(AcademyError):
    """One or more problems in the catalog; ``problems`` holds one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


@dataclass(frozen=True)
class Catalog:
    root: Path
    courses: dict[str, Course]
    assignments: dict[str, Assignment]

    def assignment(self, aid: str) -> Assignment:
        if aid not in self.assignments:
            known = ", ".join(sorted(self.assignments)) or "none"
            raise AcademyError(f"unknown assignment {aid!r} (known: {known})")
        return self.assignments[aid]

    def course_of(self, aid: str) -> Course | None:
        return next((c for c in self.courses.values() if aid in c.assignments), None)


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _read(path: Path, model: type[BaseModel], problems: list[str], rel: Path):
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        what = getattr(exc, "problem", None) or "not valid YAML"
        problems.append(f"{rel}{where}: malformed YAML: {what}")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{rel}: cannot read: {exc}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{rel}: expected a mapping of fields at the top level")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{rel}: {_field(err['loc'])}: {msg}")
        return None


def _cross_checks(root: Path, courses: dict, assignments: dict, problems: list[str]) -> None:
    for name, a in assignments.items():
        for pre in a.prerequisites:
            if pre not in assignments:
                problems.append(f"assignments/{name}.yaml: prerequisites: unknown assignment {pre!r}")
        if not (root / "source" / a.id).is_dir():
            problems.append(f"assignments/{name}.yaml: id: no folder source/{a.id}")
    for name, c in courses.items():
        rel = f"courses/{name}.yaml"
        for aid in c.assignments:
            if aid not in assignments:
                problems.append(f"{rel}: assignments: unknown assignment {aid!r}")
        if len(set(c.assignments)) != len(c.assignments):
            problems.append(f"{rel}: assignments: an assignment is listed twice")
        for lang, ids in c.editions.items():
            for aid in ids:
                if aid not in c.assignments:
                    problems.append(f"{rel}: editions.{lang}: {aid!r} is not one of the course's assignments")
                elif not (root / "i18n" / lang / f"{aid}.po").is_file():
                    problems.append(f"{rel}: editions.{lang}: {aid!r} has no translation file i18n/{lang}/{aid}.po")
        scheduled = [s.assignment for s in c.schedule]
        if sorted(scheduled) != sorted(c.assignments):
            problems.append(f"{rel}: schedule: must give dates for each listed assignment exactly once")


def load_catalog(root: Path | str = ".") -> Catalog:
    """Load every course and assignment under ``root``; raise CatalogError listing problems."""
    root = Path(root)
    problems: list[str] = []
    found = {}
    for folder, model in (("courses", Course), ("assignments", Assignment)):
        found[folder] = {}
        for path in sorted((root / folder).glob("*.y*ml")):
            item = _read(path, model, problems, path.relative_to(root))
            if item is None:
                continue
            if item.id != path.stem:
                problems.append(f"{folder}/{path.name}: id: {item.id!r} does not match the file name")
                continue
            found[folder][item.id] = item
    if not problems:
        _cross_checks(root, found["courses"], found["assignments"], problems)
    if problems:
        raise CatalogError(problems)
    return Catalog(root, found["courses"], found["assignments"])
