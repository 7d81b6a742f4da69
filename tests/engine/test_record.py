"""Recording: the journal of what is recorded, the replay step that puts verdicts into
nbgrader's pipeline, and the refusal of a test cell that would keep state in the kernel."""
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from graders import cli
from graders.engine.grade import refuse_state_kept_in_tests
from graders.engine.judge import CellVerdict
from graders.engine.record import Journal, Pending, ReplayJudged, submission_digest
from graders.errors import AcademyError, GraderError
from submissions import copy_course

ROOT = Path(__file__).resolve().parents[2]


def test_the_journal_keeps_an_entry_per_digest_and_forgets_on_request(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{}")
    digest = submission_digest(folder)
    journal = Journal(tmp_path, "q01-qubits")
    assert journal.done("s1", digest) is None
    journal.write("s1", {"digest": digest, "scores": {"x": 1.0}, "problems": []})
    assert journal.done("s1", digest)["scores"] == {"x": 1.0}
    (folder / "a.ipynb").write_text('{"changed": 1}')
    assert journal.done("s1", submission_digest(folder)) is None
    journal.forget("s1")
    assert journal.done("s1", digest) is None
    assert not list(journal.folder.glob("*.tmp"))


def _test_cell(source):
    return new_code_cell(source, metadata={"nbgrader": {"grade": True, "solution": False,
                                                        "grade_id": "q1", "points": 1}})


def test_replay_puts_the_verdicts_in_and_refuses_a_run_of_another_notebook():
    nb = new_notebook(cells=[new_code_cell("x = 1"), _test_cell("checks.close(x, 1, hint='h')")])
    ran = new_notebook(cells=[new_code_cell("x = 1", outputs=[]),
                              _test_cell("checks.observe('close', x)")])
    pending = {("s1", "nb"): Pending(ran, {1: CellVerdict("q1", True, ["✔ x"])})}
    out, _ = ReplayJudged(pending).preprocess(nb, {"nbgrader": {"student": "s1", "notebook": "nb"}})
    assert out.cells[1].outputs[0]["text"] == "✔ x\n"
    ran.cells[0].source = "x = 2"
    with pytest.raises(AcademyError, match="differs from the run"):
        ReplayJudged(pending).preprocess(nb, {"nbgrader": {"student": "s1", "notebook": "nb"}})


def test_a_test_cell_that_keeps_an_expected_value_in_the_kernel_is_refused(tmp_path):
    course = copy_course(ROOT, tmp_path)
    path = course / "source" / "q01-qubits" / "q01-qubits.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "q1-normalise-test")
    cell["source"] = ("rng = instances.rng('q01-qubits', 'x')\nnoise = rng.normal()\nx = rng.uniform()\n"
                      "checks.close(normalise([x, 1]), noise, hint='h')\n")
    path.write_text(json.dumps(nb))
    with pytest.raises(AcademyError, match="q1-normalise-test computes an expected value with a draw"):
        refuse_state_kept_in_tests(course, "q01-qubits")


def test_a_fault_of_the_graders_own_exits_3_in_one_line(monkeypatch, capsys, tmp_path):
    course = copy_course(ROOT, tmp_path)

    def down(*args, **kwargs):
        raise GraderError("preparing s1's submission failed: OperationalError: database is locked")
    monkeypatch.setattr("graders.engine.grade_assignment", down)
    assert cli.main(["grade", "q01-qubits", "--root", str(course)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("academy: error: preparing s1's submission failed")
