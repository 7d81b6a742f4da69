"""The out-of-kernel judge: test cells rewritten to observe only, and observations judged
against reference records in the grader's process."""
import json
import math

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from graders import checks
from graders.checks.verdict import MODE_ENV, OBSERVATION_MIME, record
from graders.engine.judge import judge_cell
from graders.engine.strip import observe_only


# --- strip ---------------------------------------------------------------------------------

def test_check_call_keeps_only_the_actual_value():
    out = observe_only('checks.close(area(2.0), 12.566, rel=1e-3, what="area", hint="pi r^2")')
    assert out.source == "checks.observe('close', area(2.0))"
    assert out.calls == 1


def test_expected_values_and_predicates_leave_the_kernel():
    source = '''
rng = instances.rng("a", "q1")
x = rng.uniform(1, 2)
want = math.pi * x ** 2
def rules(answer):
    return [] if answer > 0 else ["positive"]
checks.close(area(x), want, rel=1e-6, hint="h")
checks.valid(plan(x), rules, hint="h")
'''
    out = observe_only(source).source
    assert "want" not in out and "math.pi" not in out and "rules" not in out
    assert "x = rng.uniform(1, 2)" in out and "checks.observe('valid', plan(x))" in out


def test_a_removal_that_would_shift_the_inputs_is_kept_and_reported():
    source = '''
rng = instances.rng("a", "q1")
noise = rng.normal()
x = rng.uniform()
checks.close(f(x), g(noise), hint="h")
'''
    out = observe_only(source)
    assert "noise = rng.normal()" in out.source
    assert out.kept_unsafe == ["noise = rng.normal()"]


def test_loops_and_helpers_the_inputs_need_stay():
    source = '''
def case(k):
    return [k, k + 1]
for k in range(3):
    expected = sum(case(k))
    checks.equal(total(case(k)), expected, hint="h")
'''
    out = observe_only(source).source
    assert "def case" in out and "for k in range(3)" in out and "expected" not in out


def test_helpers_of_the_checks_module_are_not_rewritten():
    out = observe_only('bound = checks.l1_bound(1000, 4, 1e-6)\nchecks.counts(c, p, shots=bound, hint="h")')
    assert "checks.l1_bound" in out.source and "checks.observe('counts', c)" in out.source


# --- judge ---------------------------------------------------------------------------------

def _recorded(monkeypatch, check_call) -> list[dict]:
    """Run a check in record mode and collect what it would send to the grader."""
    sent = []
    monkeypatch.setenv(MODE_ENV, "record")
    monkeypatch.setattr("graders.checks.verdict.emit", sent.append)
    check_call()
    monkeypatch.delenv(MODE_ENV)
    return sent


def _observed(monkeypatch, name, value) -> dict:
    sent = []
    monkeypatch.setattr("graders.checks.verdict.emit", sent.append)
    checks.observe(name, value)
    return sent[0]


def _cell(*payloads, extra=()):
    outputs = [new_output("display_data", data={OBSERVATION_MIME: p if isinstance(p, str) else json.dumps(p)})
               for p in payloads]
    return new_code_cell("...", outputs=[*outputs, *extra])


def test_a_right_answer_passes_and_a_wrong_one_fails_without_the_expected_value(monkeypatch):
    records = _recorded(monkeypatch, lambda: checks.close(math.pi, 3.14159265, rel=1e-6,
                                                          what="pi", hint="use math.pi"))
    assert judge_cell(_cell(_observed(monkeypatch, "close", math.pi)), "q", records, True).passed
    verdict = judge_cell(_cell(_observed(monkeypatch, "close", 3.0)), "q", records, True)
    assert not verdict.passed and "use math.pi" in verdict.reason and "3.14" not in verdict.reason


def test_valid_runs_the_reference_predicate_in_the_grader(monkeypatch):
    def even(x):
        return [] if x % 2 == 0 else ["not even"]
    records = _recorded(monkeypatch, lambda: checks.valid(4, even, what="n", hint="even"))
    assert "pickled_spec" in records[0]
    assert judge_cell(_cell(_observed(monkeypatch, "valid", 10)), "q", records, True).passed
    verdict = judge_cell(_cell(_observed(monkeypatch, "valid", 7)), "q", records, True)
    assert not verdict.passed and "not even" in verdict.reason


class EqualsAnything:
    def __eq__(self, other):
        return True


def test_an_object_that_equals_anything_is_observed_as_what_it_is(monkeypatch):
    records = _recorded(monkeypatch, lambda: checks.equal("b", "b", hint="h"))
    verdict = judge_cell(_cell(_observed(monkeypatch, "equal", EqualsAnything())), "q", records, True)
    assert not verdict.passed


@pytest.mark.parametrize("payloads, why", [
    ((), "0 result(s) where 1"),
    (("{not json",), "did not receive a readable result"),
    (({"check": "equal", "observed": {"value": 2}},), "did not receive a readable result"),
    (({"check": "close", "observed": {"value": "NaN"}},), "could not be judged"),
    (({"check": "close", "observed": [1, 2]},), "could not be judged"),
    (("x" * 4_000_001,), "too large"),
])
def test_missing_malformed_or_oversized_results_fail_with_a_reason(monkeypatch, payloads, why):
    records = _recorded(monkeypatch, lambda: checks.close(1.0, 1.0, hint="h"))
    verdict = judge_cell(_cell(*payloads), "q", records, True)
    assert not verdict.passed and why in verdict.reason


def test_more_results_than_the_reference_sent_fail(monkeypatch):
    records = _recorded(monkeypatch, lambda: checks.close(1.0, 1.0, hint="h"))
    ok = _observed(monkeypatch, "close", 1.0)
    assert not judge_cell(_cell(ok, ok), "q", records, True).passed


def test_an_error_or_stderr_fails_the_cell_without_a_traceback(monkeypatch):
    records = _recorded(monkeypatch, lambda: checks.close(1.0, 1.0, hint="h"))
    ok = _observed(monkeypatch, "close", 1.0)
    error = new_output("error", ename="ValueError", evalue="bad n",
                       traceback=["hidden_helper(secret=42)"])
    verdict = judge_cell(_cell(ok, extra=[error]), "q", records, True)
    assert not verdict.passed and "ValueError: bad n" in verdict.reason
    assert "secret" not in json.dumps(nbformat.from_dict({"o": verdict.outputs()}))
    stderr = new_output("stream", name="stderr", text="DeprecationWarning: x\n")
    assert "stderr" in judge_cell(_cell(ok, extra=[stderr]), "q", records, True).reason


def test_a_cell_that_did_not_finish_fails(monkeypatch):
    records = _recorded(monkeypatch, lambda: checks.close(1.0, 1.0, hint="h"))
    verdict = judge_cell(_cell(), "q", records, False, "cell 7 ran past the 5 s cell limit")
    assert not verdict.passed and "cell 7 ran past" in verdict.reason
    assert verdict.outputs()[0]["output_type"] == "error"


def test_a_known_mistake_is_named_by_the_grader_as_in_the_kernel(monkeypatch):
    def call(answer):
        return lambda: checks.close(answer, 2, abs=0.01, what="iterations for N = 8",
                                    mistakes={"floor instead of round": 1}, hint="round it")
    records = _recorded(monkeypatch, call(2))
    floored = judge_cell(_cell(_observed(monkeypatch, "close", 1)), "q", records, True)
    assert not floored.passed and "Likely mistake: floor instead of round." in floored.reason
    other = judge_cell(_cell(_observed(monkeypatch, "close", 5)), "q", records, True)
    assert not other.passed and "Likely mistake" not in other.reason
    with pytest.raises(checks.CheckFailed) as kernel:
        call(1)()
    assert floored.reason == str(kernel.value)


def test_run_problems_are_reworded_in_the_feedback_language():
    from graders.engine.judge import in_words
    from graders.language import using

    stopped = ("cell 7 ran past the 30 s cell limit and was interrupted; "
               "the kernel died at cell 9 (killed by SIGKILL); output beyond 1,000,000 bytes was dropped")
    assert in_words(stopped) == stopped  # English: the instructor's own lines
    with using("ko"):
        said = in_words(stopped)
        nested = in_words("cell 3, before this test, was stopped before its end "
                          "(stopped at cell 3: the notebook ran past its 120 s limit)")
    assert said == ("7번 셀이 셀당 제한 시간 30초를 넘어 중단되었습니다; 9번 셀에서 커널이 죽었습니다; "
                    "실행이 일찍 멈췄습니다 (이유는 강사가 볼 수 있습니다)")
    assert nested == ("이 테스트 앞의 3번 셀이 끝까지 실행되지 못하고 멈췄습니다 "
                      "(3번 셀에서 멈춤: 노트북 전체 실행 시간이 제한 120초를 넘었습니다)")
