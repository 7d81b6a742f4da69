"""What a student reads from a check: one line when it passes, a named mistake when the answer
is a known wrong one, and values written as the student would write them."""
import numpy as np
import pytest
from qiskit import QuantumCircuit

from graders import checks
from graders.checks.verdict import describe

H = "hint text"


@pytest.mark.parametrize("call", [
    lambda: checks.close(2.0, 2.0, what="P(wait) for c = 2", hint=H),
    lambda: checks.equal("0101", "0101", what="P(wait) for c = 2", hint=H),
    lambda: checks.sequence([1, 2], (1, 2), what="P(wait) for c = 2", hint=H),
    lambda: checks.valid(3, lambda x: x > 0, what="P(wait) for c = 2", hint=H),
])
def test_a_passing_check_prints_one_line_on_stdout(capsys, call):
    call()
    out, err = capsys.readouterr()
    assert out == "✔ P(wait) for c = 2\n" and err == ""


def test_a_failing_check_prints_no_pass_line(capsys):
    with pytest.raises(checks.CheckFailed):
        checks.close(3.0, 2.0, what="x", hint=H)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("call, answer, named", [
    (lambda a: checks.close(a, 2, abs=0.01, what="k", hint=H,
                            mistakes={"floor instead of round": 1}), 1, "floor instead of round"),
    (lambda a: checks.equal(a, 15, what="q", hint=H,
                            mistakes={"a float from /; use // for an int": 15.5}), 15.5, "use //"),
    (lambda a: checks.sequence(a, [1, 2, 3], what="order", hint=H,
                               mistakes={"the order is reversed": [3, 2, 1]}), [3, 2, 1], "reversed"),
])
def test_a_known_mistake_is_named_and_other_wrong_answers_are_not(call, answer, named):
    with pytest.raises(checks.CheckFailed) as caught:
        call(answer)
    assert "\nLikely mistake: " in str(caught.value) and named in caught.value.mistake
    with pytest.raises(checks.CheckFailed) as other:
        call(99)
    assert "Likely mistake" not in str(other.value)


def test_a_mistake_circuit_is_compared_as_the_check_compares():
    def without_outer_h():
        qc = QuantumCircuit(2)
        qc.cz(0, 1)
        return qc
    right = QuantumCircuit(2)
    right.h([0, 1]); right.cz(0, 1); right.h([0, 1])
    with pytest.raises(checks.CheckFailed, match="Likely mistake: the outer H layer is missing"):
        checks.operator(without_outer_h(), right, what="U", hint=H,
                        mistakes={"the outer H layer is missing": without_outer_h()})


def test_a_right_answer_that_is_also_a_listed_mistake_for_this_instance_passes(capsys):
    checks.close(3, 3, abs=0.1, what="k", hint=H, mistakes={"floor": 3})
    assert capsys.readouterr().out == "✔ k\n"


def test_numpy_values_are_shown_as_python_values():
    assert describe(np.str_("0000")) == "a str_ '0000'"
    assert "np." not in describe([np.str_("01"), np.int64(3), np.float64(0.5)])


def test_a_long_value_keeps_both_ends():
    text = describe(list(range(200)))
    assert text.startswith("a list [0, 1,") and text.endswith("198, 199]") and " ... " in text


def test_numpy_string_keys_of_a_mapping_are_shown_as_strings():
    with pytest.raises(checks.CheckFailed) as caught:
        checks.close({np.str_("0000"): 0.7}, {"0000": 0.5}, abs=0.01, what="P", hint=H)
    assert "'0000'" in str(caught.value) and "np.str_" not in str(caught.value)
