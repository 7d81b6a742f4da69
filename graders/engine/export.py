"""Per-question grades from the gradebook, written as one CSV row per student.

nbgrader's own export has only totals; instructors and LMS imports want each question.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..course_config import gradebook
from ..files import atomic_write
from ..notebooks import notebooks_in, questions, read


def question_columns(root: Path, aid: str) -> tuple[list[str], dict[str, float]]:
    """Columns ``notebook:grade_id`` in notebook order, with maximum points read from the
    source notebooks' nbgrader metadata (the only place points live)."""
    columns, max_points = [], {}
    for path in notebooks_in(root / "source" / aid):
        for q in questions(read(path)):
            key = f"{path.stem}:{q.grade_id}"
            columns.append(key)
            max_points[key] = q.points
    return columns, max_points


def scores_for(root: Path, aid: str, student: str) -> dict[str, float]:
    """Points per question for one student's autograded submission (manual overrides win)."""
    with gradebook(root) as gb:
        submission = gb.find_submission(aid, student)
        return {f"{nb.name}:{g.name}": float(g.score) for nb in submission.notebooks
                for g in nb.grades}


def write_csv(path: Path, columns: list[str], max_points: dict[str, float], results) -> None:
    """Write the grades CSV through a temporary file and a rename: never half-written."""
    text = io.StringIO(newline="")
    out = csv.writer(text)
    out.writerow(["student_id", *columns, "total", "max_total", "status"])
    for r in sorted(results, key=lambda r: r.student):
        points = [r.scores.get(c, 0.0) for c in columns]
        status = "; ".join(r.problems) if r.problems else "graded"
        out.writerow([r.student, *[f"{p:g}" for p in points], f"{sum(points):g}",
                      f"{sum(max_points.values()):g}", status])
    atomic_write(path, text.getvalue(), newline="")


def _read_grades(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _submitted_at(root: Path, student: str, aid: str) -> str:
    stamp = root / "submitted" / student / aid / "timestamp.txt"
    return stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else ""


def class_csv(root: Path | str, aid: str, path: Path | None = None) -> Path:
    """One CSV for a class that works in several editions of ``aid`` (English, Korean): each
    edition's grades CSV (written by `academy grade`) merged under the module's question
    columns, with an ``edition`` column. The editions share grade ids and points, so a
    question's column means the same whatever the edition; a student who submitted in more
    than one (moved between them) keeps the latest submission, and the status says so."""
    from ..editions import editions
    from ..errors import AcademyError

    root = Path(root).resolve()
    columns, max_points = question_columns(root, aid)
    names = [c.split(":", 1)[1] for c in columns]
    offered = [aid] + [e.id for e in editions(root) if e.aid == aid]
    chosen: dict[str, tuple[str, str, dict]] = {}
    for edition in offered:
        for row in _read_grades(root / "exports" / f"{edition}-grades.csv"):
            student, when = row["student_id"], _submitted_at(root, row["student_id"], edition)
            earlier = chosen.get(student)
            if earlier is None or when > earlier[1]:
                row["_also"] = earlier[0] if earlier else ""
                chosen[student] = (edition, when, row)
            else:
                earlier[2]["_also"] = edition
    if not chosen:
        raise AcademyError(f"no grades of {aid} or its editions under exports/: run `academy grade` first")
    text = io.StringIO(newline="")
    out = csv.writer(text)
    out.writerow(["student_id", "edition", *[f"{aid}:{n}" for n in names], "total", "max_total", "status"])
    for student in sorted(chosen):
        edition, _, row = chosen[student]
        points = [float(row.get(f"{edition}:{n}", 0) or 0) for n in names]
        status = row["status"] + (f"; also submitted {row['_also']} (earlier, not counted)"
                                  if row.get("_also") else "")
        out.writerow([student, edition, *[f"{p:g}" for p in points], f"{sum(points):g}",
                      f"{sum(max_points.values()):g}", status])
    path = Path(path) if path else root / "exports" / f"{aid}-class-grades.csv"
    atomic_write(path, text.getvalue(), newline="")
    return path
