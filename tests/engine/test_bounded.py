"""The judge within bounds: what a submission sends cannot make the coordinator compute or
allocate without limit. Each attack is an observation a hostile kernel could send (it can
display any JSON), judged against a real reference record of each track."""
from __future__ import annotations

import base64
import io
import json

import cloudpickle
import pytest
from nbformat.v4 import new_code_cell, new_output
from qiskit import QuantumCircuit, qpy

from graders import checks
from graders.checks.verdict import MODE_ENV, OBSERVATION_MIME
from graders.engine.bounded import BoundedJudge, over_bounds, shape
from graders.engine.judge import Budget, judge_cell, observations


def recorded(monkeypatch, call) -> dict:
    sent = []
    monkeypatch.setenv(MODE_ENV, "record")
    monkeypatch.setattr("graders.checks.verdict.emit", sent.append)
    call()
    monkeypatch.delenv(MODE_ENV)
    return sent[0]


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    return qc


def as_qpy(circuit: QuantumCircuit) -> dict:
    buf = io.BytesIO()
    qpy.dump(circuit, buf)
    return {"check": "statevector", "observed": {"qpy": base64.b64encode(buf.getvalue()).decode()}}


@pytest.fixture(scope="module")
def judge():
    with BoundedJudge(seconds=1.0) as j:
        yield j


@pytest.fixture
def bell_record(monkeypatch):
    return recorded(monkeypatch, lambda: checks.statevector(bell(), bell(), what="Bell state",
                                                            hint="H then CX"))


def test_an_honest_answer_passes_in_the_bounded_judge(judge, bell_record):
    line = judge.judge(as_qpy(bell()), bell_record)
    assert line.passed and line.text == "✔ Bell state"


def test_a_wide_circuit_is_refused_before_it_is_simulated(judge, bell_record):
    wide = QuantumCircuit(27)
    wide.h(range(27))
    line = judge.judge(as_qpy(wide), bell_record)
    assert not line.passed and "27 qubits where the task has 2" in line.text
    assert judge.restarts == 0  # refused by the check itself, not stopped by the limits


def test_judging_past_its_time_is_stopped_and_the_judge_goes_on(judge, monkeypatch, bell_record):
    def endless(answer):   # a rule that never ends, standing in for any judgement that costs too much
        while True:
            pass
    record = recorded(monkeypatch, lambda: checks.valid(3, lambda a: True, what="plan", hint="h"))
    record["pickled_spec"] = base64.b64encode(cloudpickle.dumps({"predicate": endless})).decode()
    restarts = judge.restarts
    line = judge.judge({"check": "valid", "observed": {"value": 3}}, record)
    assert not line.passed and "took longer than 1 s" in line.text
    assert judge.restarts == restarts + 1
    assert judge.judge(as_qpy(bell()), bell_record).passed  # a fresh judge for the next one


def test_a_long_circuit_is_refused(judge, bell_record):
    long = QuantumCircuit(2)
    for _ in range(25_000):
        long.id(0)
    line = judge.judge(as_qpy(long), bell_record)
    assert not line.passed and "more than the 20,000 judged" in line.text


def test_judging_that_needs_too_much_memory_fails_that_check_only(judge, monkeypatch):
    def greedy(answer):   # a rule that allocates 2 GB, standing in for any costly judgement
        return len(bytearray(2 * 1024**3)) > 0
    record = recorded(monkeypatch, lambda: checks.valid(3, greedy, what="plan", hint="h"))
    record["pickled_spec"] = base64.b64encode(cloudpickle.dumps({"predicate": greedy})).decode()
    line = judge.judge({"check": "valid", "observed": {"value": 3}}, record)
    assert not line.passed and ("256 MB" in line.text or "could not be checked" in line.text)
    ok = recorded(monkeypatch, lambda: checks.close(1.0, 1.0, what="x", hint="h"))
    assert judge.judge({"check": "close", "observed": {"value": 1.0}}, ok).passed


@pytest.fixture
def table_record(monkeypatch):
    rows = [{"rack": f"R{i}", "kw": 4.0 + i} for i in range(6)]
    return recorded(monkeypatch, lambda: checks.table(rows, rows, key="rack", rel=0.01,
                                                      what="rack loads", hint="h"))


def test_a_huge_table_is_refused_before_it_is_compared(judge, table_record):
    rows = [{"rack": f"R{i}", "kw": 1.0} for i in range(200_000)]
    # seconds: sending 200,000 rows to the judge's process alone can take a second on a loaded
    # machine; what is tested is that they are refused by size, not compared
    line = judge.judge({"check": "table", "observed": {"rows": rows}}, table_record, seconds=10)
    assert not line.passed and "more or deeper data than the task's answer allows" in line.text


def test_deep_nesting_is_refused(judge, table_record):
    deep: list = []
    for _ in range(200):
        deep = [deep]
    line = judge.judge({"check": "table", "observed": {"rows": deep}}, table_record)
    assert not line.passed and "deeper" in line.text


def test_nesting_past_pythons_limit_is_not_even_parsed():
    text = "[" * 100_000 + "]" * 100_000
    cell = new_code_cell("", outputs=[new_output("display_data", data={OBSERVATION_MIME: text})])
    assert observations(cell) == [None]


def test_a_number_too_large_to_convert_fails_with_a_reason(judge, monkeypatch):
    record = recorded(monkeypatch, lambda: checks.close(2.5, 2.5, what="PUE", hint="h"))
    line = judge.judge({"check": "close", "observed": {"value": 10 ** 4000}}, record)
    assert not line.passed and "could not be judged" in line.text


def test_a_submission_that_uses_up_its_judging_time_gets_zero_for_the_rest(monkeypatch, bell_record):
    cell = new_code_cell("", outputs=[
        new_output("display_data", data={OBSERVATION_MIME: json.dumps(as_qpy(bell()))})] * 3)
    budget = Budget(0.0)
    verdict = judge_cell(cell, "q", [bell_record] * 3, True, budget=budget)
    assert not verdict.passed and "used up its" in verdict.reason


def test_shape_stops_early_and_bounds_follow_the_reference():
    assert shape(list(range(10)), 100, 5) == (11, 2)
    assert shape(list(range(10**6)), 100, 5) is None
    small = {"rows": [{"a": 1}]}
    assert over_bounds({"rows": [{"a": 1}] * 500}, small) is None
    assert over_bounds({"rows": [{"a": 1}] * 20_000}, small)
