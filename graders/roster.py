"""`academy roster import FILE.csv`: students into the course's nbgrader gradebook.

The CSV has a header with the columns id, first_name, last_name, email (in any order; other
columns are ignored). Every row is checked before anything is written, so a bad row leaves
the gradebook as it was, and the error names the row by its line in the file.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .course_config import gradebook
from .errors import AcademyError

COLUMNS = ("id", "first_name", "last_name", "email")
# A student id names folders (submitted/<id>/) and, on the hub, a Unix account: letters,
# digits, dot, underscore and hyphen, not starting with a dot or hyphen.
STUDENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    last_name: str
    email: str


def _check_row(row: dict, line: int, where: str, seen: dict[str, int]) -> Student:
    values = {k: (row.get(k) or "").strip() for k in COLUMNS}
    sid = values["id"]
    if not sid:
        raise AcademyError(f"{where}: row {line}: id is empty")
    if not STUDENT_ID.match(sid):
        raise AcademyError(f"{where}: row {line}: id {sid!r} may hold only letters, digits, "
                           "'.', '_' and '-' (it names folders and hub accounts)")
    if sid in seen:
        raise AcademyError(f"{where}: row {line}: id {sid!r} is already on row {seen[sid]}")
    if not values["first_name"] and not values["last_name"]:
        raise AcademyError(f"{where}: row {line}: student {sid!r} has no name")
    if not EMAIL.match(values["email"]):
        raise AcademyError(f"{where}: row {line}: email {values['email']!r} is not an "
                           "e-mail address")
    seen[sid] = line
    return Student(**values)


def read_roster(path: Path) -> list[Student]:
    """Parse and check the whole roster; the first problem is raised as one line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a BOM
    except OSError as exc:
        raise AcademyError(f"{path}: cannot read the roster ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise AcademyError(f"{path}: not UTF-8 text (save the roster as CSV UTF-8)") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise AcademyError(f"{path}: row 1: the header lacks {', '.join(missing)} (needs "
                           f"{', '.join(COLUMNS)})")
    reader.fieldnames = header
    seen: dict[str, int] = {}
    students = []
    for row in reader:
        line = reader.line_num
        if None in row:  # more cells than header columns
            raise AcademyError(f"{path}: row {line}: more cells than columns in the header")
        if not any((v or "").strip() for v in row.values()):
            continue  # a blank line at the end of a spreadsheet export
        students.append(_check_row(row, line, str(path), seen))
    if not students:
        raise AcademyError(f"{path}: no students in the roster")
    return students


def import_roster(root: Path, path: Path) -> tuple[int, int]:
    """Add or update every student of the roster in the gradebook of the course at ``root``;
    return (added, updated)."""
    students = read_roster(path)
    added = updated = 0
    with gradebook(root) as gb:
        known = {s.id for s in gb.students}
        for s in students:
            gb.update_or_create_student(s.id, first_name=s.first_name,
                                        last_name=s.last_name, email=s.email)
            added, updated = (added, updated + 1) if s.id in known else (added + 1, updated)
    return added, updated
