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
