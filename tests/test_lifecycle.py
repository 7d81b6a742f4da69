"""The whole instructor path through real nbgrader, in a scratch course: release, fabricated
submissions, `academy grade`, then exact points per question per student in the CSV."""
import csv
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graders.notebooks import nbgrader_meta, read

from conftest import PILOTS
from submissions import STUB, solutions, stubs, submit

ACADEMY = str(Path(sys.executable).parent / "academy")
CELL_SECONDS = 5


def question(grade_id: str) -> str:
    return grade_id.split("-", 1)[0]  # "q2-ups-test" -> "q2"


@pytest.mark.parametrize("aid", PILOTS)
def test_grade_fabricated_submissions(course, aid):
    manifest = course / "assignments" / f"{aid}.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["limits"] = {"cell_seconds": CELL_SECONDS, "notebook_seconds": 120}
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    source = course / "source" / aid / f"{aid}.ipynb"
    right, released = solutions(course, aid), stubs(course, aid)
    first = min(right, key=lambda g: int(question(g)[1:]))
    wrong = {g: s.replace(STUB, "return None") for g, s in released.items()}
    raising = {g: s.replace(STUB, "raise ValueError('a bug')") for g, s in released.items()}
    looping = {**right, first: released[first].replace(STUB, "while True:\n        pass")}
    submit(course, aid, "s0-unsolved", {})
    submit(course, aid, "s1-correct", right)
    submit(course, aid, "s2-partial", {first: right[first]})
    submit(course, aid, "s3-wrong", wrong)
    submit(course, aid, "s4-raising", raising)
    submit(course, aid, "s5-looping", looping)
    submit(course, aid, "s6-corrupt", None, raw='{"cells": [')
    submit(course, aid, "s7-missing", None)

    result = subprocess.run([ACADEMY, "grade", aid], cwd=course, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 1, result.stdout + result.stderr  # two need an instructor
    assert "2 submission(s) need an instructor" in result.stdout

    tests = {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
             for c in read(source).cells
             if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}
    everything = set(tests)
    only_first = {g for g in tests if question(g) == question(first)}
    earned = {"s0-unsolved": set(), "s1-correct": everything, "s2-partial": only_first, "s3-wrong": set(),
              "s4-raising": set(), "s5-looping": everything - only_first,
              "s6-corrupt": set(), "s7-missing": set()}
    with open(course / "exports" / f"{aid}-grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert sorted(rows) == sorted(earned)
    for student, passed in earned.items():
        for gid, points in tests.items():
            want = points if gid in passed else 0.0
            assert float(rows[student][f"{aid}:{gid}"]) == want, (student, gid)
        assert float(rows[student]["max_total"]) == sum(tests.values())
    assert rows["s1-correct"]["status"] == "graded"
    assert "not a notebook" in rows["s6-corrupt"]["status"]
    assert "missing notebook" in rows["s7-missing"]["status"]
    for student in ("s0-unsolved", "s1-correct", "s2-partial", "s3-wrong", "s4-raising", "s5-looping"):
        assert (course / "feedback" / student / aid / f"{aid}.html").is_file(), student


def test_notebook_time_limit_stops_one_submission_not_the_batch(course):
    """Cells that each stay under the cell limit but together overrun the notebook limit: the
    worker is killed, the submission flagged, and the next one still graded."""
    aid = "dc01-power"
    manifest = course / "assignments" / f"{aid}.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["limits"] = {"cell_seconds": 5, "notebook_seconds": 5}
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    right = solutions(course, aid)
    submit(course, aid, "a-slow", {g: "import time\ntime.sleep(4.5)\n" + s for g, s in right.items()})
    submit(course, aid, "b-correct", right)
    result = subprocess.run([ACADEMY, "grade", aid], cwd=course, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 1
    with open(course / "exports" / f"{aid}-grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert "notebook time limit (5 s)" in rows["a-slow"]["status"]
    assert float(rows["a-slow"]["total"]) == 0
    assert rows["b-correct"]["status"] == "graded"
    assert rows["b-correct"]["total"] == rows["b-correct"]["max_total"]


def test_self_check_exit_codes(course):
    """`academy check` exits 1 on the unsolved release and 0 once it is solved."""
    aid = "dc01-power"
    released = course / "release" / aid / f"{aid}.ipynb"
    unsolved = subprocess.run([ACADEMY, "check", str(released)], capture_output=True, text=True,
                              timeout=300)
    assert unsolved.returncode == 1 and "score: 0 /" in unsolved.stdout
    solved = submit(course, aid, "solver", solutions(course, aid))
    (solved.parent / "data").symlink_to(course / "release" / aid / "data")
    result = subprocess.run([ACADEMY, "check", str(solved)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout
    assert "checks passed" in result.stdout and "failed" not in result.stdout
