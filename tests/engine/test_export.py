"""The per-question CSV: columns from the source notebooks, rows from the results, atomic."""
import csv
from pathlib import Path

from graders.engine.export import question_columns, write_csv
from graders.engine.grade import SubmissionResult

ROOT = Path(__file__).resolve().parents[2]


def test_columns_and_points_come_from_the_source_notebook():
    columns, points = question_columns(ROOT, "q01-qubits")
    assert columns[0] == "q01-qubits:q1-normalise-test" and len(columns) == 6
    assert sum(points.values()) == 18


def test_rows_are_sorted_totalled_and_say_their_status(tmp_path):
    columns = ["nb:q1", "nb:q2"]
    results = [SubmissionResult("zed", {"nb:q1": 2.0}, ["kernel died at cell 4"], graded=True),
               SubmissionResult("amy", {"nb:q1": 2.0, "nb:q2": 1.5}, graded=True)]
    path = tmp_path / "exports" / "a-grades.csv"
    write_csv(path, columns, {"nb:q1": 2.0, "nb:q2": 3.0}, results)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows == [["student_id", "nb:q1", "nb:q2", "total", "max_total", "status"],
                    ["amy", "2", "1.5", "3.5", "5", "graded"],
                    ["zed", "2", "0", "2", "5", "kernel died at cell 4"]]
    assert [p.name for p in path.parent.iterdir()] == ["a-grades.csv"]
