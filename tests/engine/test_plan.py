"""plan: what there is to grade, and what is wrong with it before anything runs."""
import json
import os

import pytest

from graders.engine.plan import plan
from graders.errors import AcademyError
from submissions import copy_course, solutions, submit

AID = "q01-qubits"


@pytest.fixture
def course(tmp_path):
    return copy_course(__import__("pathlib").Path(__file__).resolve().parents[2], tmp_path)


def test_each_kind_of_submission_is_planned_with_its_problems(course):
    submit(course, AID, "ok", solutions(course, AID))
    submit(course, AID, "empty")                                 # a folder, no notebook
    submit(course, AID, "corrupt", raw="{not json")
    link = course / "submitted" / "link" / AID
    link.mkdir(parents=True)
    os.symlink(course / "source" / AID / f"{AID}.ipynb", link / f"{AID}.ipynb")
    big = submit(course, AID, "huge", solutions(course, AID))
    nb = json.loads(big.read_text())
    nb["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": "x", "id": f"x{i}"}
                    for i in range(2000)]
    big.write_text(json.dumps(nb))
    tasks = {t.student: t for t in plan(course, AID)}
    assert tasks["ok"].gradable and not tasks["ok"].problems
    assert not tasks["empty"].gradable and tasks["empty"].problems == [f"missing notebook {AID}.ipynb"]
    assert not tasks["corrupt"].gradable and "not a notebook" in tasks["corrupt"].problems[0]
    assert not tasks["link"].gradable and "symbolic link" in tasks["link"].problems[0]
    assert not tasks["huge"].gradable and "far more than" in tasks["huge"].problems[0]


def test_an_unknown_assignment_is_one_clear_error(course):
    with pytest.raises(AcademyError, match="unknown assignment 'nope'"):
        plan(course, "nope")
