"""`academy export lms ID --format canvas|moodle`: one assignment's grades per question, in
the CSV shape a learning management system imports.

Both files have one row per student of the gradebook (the roster) and one column per
question (``notebook:grade_id`` from the source notebooks, as in exports/ID-grades.csv) plus
the assignment total. A student with no submission gets 0, as nbgrader's own export does.

Canvas (Grades > Import): the columns Student, ID, SIS User ID, SIS Login ID and Section come
first, then one column per assignment; a column whose name Canvas does not know becomes a
new assignment. Canvas recognises a student by one of name, Canvas ID or SIS User ID; we
write the roster id as SIS User ID (so the roster id must be the institution's SIS id) and
leave Canvas's own ID empty. The second row, "Points Possible", gives each column's
maximum, as in a CSV exported from Canvas. (Instructure's guides "How do I import grades in
the Gradebook?" and "How do I export grades in the Gradebook?"; Ohio State's CarmenCanvas
guide "Import a CSV file to Carmen Grades" lists the same required columns.)

Moodle (Grade administration > Import > CSV file): any column names; on import the teacher
maps one column to a user field under "Identify user by" (we provide "Email address" and
"ID number"), and each grade column to an existing grade item or a new one (Moodle's
grade/import/csv: load_data.php, map_user_data_with_value and import_new_grade_item). The
maximum of each question is in its column name, since a Moodle CSV has no row for it.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .course_config import db_url, gradebook
from .files import atomic_write
from .engine.export import question_columns, scores_for
from .errors import AcademyError

FORMATS = ("canvas", "moodle")
CANVAS_LEAD = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_LEAD = ["First name", "Last name", "ID number", "Email address"]


def _students(root: Path):
    url = db_url(root)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise AcademyError(f"no gradebook at {url.removeprefix('sqlite:///')}: import the "
                           "roster and grade first")  # and do not create an empty one
    with gradebook(root) as gb:
        students = [(s.id, s.first_name or "", s.last_name or "", s.email or "")
                    for s in gb.students]
    if not students:
        raise AcademyError("no students in the gradebook: import the roster first "
                           "(academy roster import FILE.csv)")
    return sorted(students, key=lambda s: (s[2].lower(), s[1].lower(), s[0]))


def _scores(root: Path, aid: str, student: str) -> dict[str, float]:
    from nbgrader.api import MissingEntry

    try:
        return scores_for(root, aid, student)
    except MissingEntry:
        return {}  # no submission (or the assignment is not in the gradebook yet)


def _fmt(x: float) -> str:
    return f"{x:g}"


def lms_table(root: Path | str, aid: str, fmt: str) -> list[list[str]]:
    """The rows of the CSV (header first) for ``fmt`` in FORMATS."""
    if fmt not in FORMATS:
        raise AcademyError(f"unknown LMS format {fmt!r} (choose {' or '.join(FORMATS)})")
    root = Path(root).resolve()
    if not (root / "source" / aid).is_dir():
        raise AcademyError(f"unknown assignment {aid!r}: no folder source/{aid}")
    columns, max_points = question_columns(root, aid)
    total = sum(max_points.values())
    rows: list[list[str]]
    if fmt == "canvas":
        rows = [[*CANVAS_LEAD, *[f"{aid} {c}" for c in columns], f"{aid} total"],
                ["Points Possible", "", "", "", "", *[_fmt(max_points[c]) for c in columns],
                 _fmt(total)]]
    else:
        rows = [[*MOODLE_LEAD, *[f"{aid} {c} ({_fmt(max_points[c])})" for c in columns],
                 f"{aid} total ({_fmt(total)})"]]
    for sid, first, last, email in _students(root):
        scores = _scores(root, aid, sid)
        points = [scores.get(c, 0.0) for c in columns]
        cells = [*[_fmt(p) for p in points], _fmt(sum(points))]
        if fmt == "canvas":
            name = f"{last}, {first}" if last and first else (last or first)
            rows.append([name, "", sid, "", "", *cells])
        else:
            rows.append([first, last, sid, email, *cells])
    return rows


def export_lms(root: Path | str, aid: str, fmt: str, out: Path | None = None) -> Path:
    """Write the CSV (through a temporary file and a rename) and return its path; by default
    exports/<aid>-<fmt>.csv in the course directory."""
    rows = lms_table(root, aid, fmt)
    path = Path(out) if out else Path(root).resolve() / "exports" / f"{aid}-{fmt}.csv"
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    atomic_write(path, text.getvalue(), newline="")
    return path
