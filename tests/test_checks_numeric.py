import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from graders import checks
from graders.checks import numeric

H = "hint text"


@pytest.mark.parametrize("answer", [86.4, 86, np.float64(86.4), 86.4 * 1.009, 86.4 * 0.991, np.int64(86)])
def test_close_accepts_numbers_within_tolerance(answer):
    checks.close(answer, 86.4, rel=0.01, hint=H)


@pytest.mark.parametrize("answer", [86.4 * 1.02, 86.4 * 60, 86.4 / 60, -86.4, float("nan"),
                                    float("inf"), "86.4", None, True, [86.4], {"v": 86.4}, {"v": "x"}])
def test_close_rejects_near_misses_and_wrong_kinds(answer):
    with pytest.raises(AssertionError):
        checks.close(answer, 86.4, rel=0.01, hint=H)


def test_absolute_tolerance_near_zero():
    checks.close(0.0004, 0.0, abs=0.001, hint=H)
    with pytest.raises(AssertionError):
        checks.close(0.002, 0.0, abs=0.001, rel=0.5, hint=H)


def test_arrays_match_elementwise_and_by_shape():
    checks.close([1.0, 2.0, 3.0], np.array([1, 2, 3.0000001]), rel=1e-6, hint=H)
    with pytest.raises(AssertionError, match="index 1"):
        checks.close([1.0, 2.5, 3.0], [1, 2, 3], rel=1e-6, hint=H)
    with pytest.raises(AssertionError, match="shape"):
        checks.close([[1.0, 2.0, 3.0]], [1, 2, 3], hint=H)
    with pytest.raises(AssertionError, match="single number"):
        checks.close(2.0, [1, 2, 3], hint=H)


def test_message_states_kind_given_and_hint_but_not_the_answer():
    with pytest.raises(AssertionError) as info:
        checks.close(91.0, 86.4321, rel=0.01, unit="min", what="UPS runtime", hint="divide by the load")
    text = str(info.value)
    assert "UPS runtime" in text and "a number in min" in text and "91" in text
    assert text.endswith("Hint: divide by the load")
    assert "86.4" not in text


def test_every_check_needs_a_hint():
    with pytest.raises(TypeError):
        checks.close(1.0, 1.0, hint="")


def test_judge_is_pure_on_plain_data():
    verdict = numeric.judge({"value": 2.0}, {"value": 2.0}, {"rel": 0.0, "abs": 0.0})
    assert verdict.passed
    assert not numeric.judge({"bad": "a str '2'"}, {"value": 2.0}, {"rel": 0.1}).passed


finite = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
signs = st.sampled_from([-1.0, 1.0])
rels = st.floats(min_value=1e-6, max_value=0.2)


@given(finite, signs, rels, st.floats(min_value=0.0, max_value=0.999))
def test_inside_the_relative_tolerance_always_passes(x, sign, rel, fraction):
    ref = sign * x
    checks.close(ref * (1 + rel * fraction), ref, rel=rel, hint=H)


@given(finite, signs, rels, st.floats(min_value=1.001, max_value=100.0))
def test_outside_the_relative_tolerance_always_fails(x, sign, rel, factor):
    ref = sign * x
    answer = ref * (1 + rel * factor)
    with pytest.raises(AssertionError) as info:
        checks.close(answer, ref, rel=rel, hint=H)
    told = str(info.value).replace(repr(answer), "<given>")  # the student's own value is fine
    shown = repr(abs(ref))
    if len(shown) >= 6:  # short spellings like "1.0" occur in any message by chance
        assert shown not in told


@given(st.floats(min_value=1e-9, max_value=10.0), st.floats(min_value=-1.0, max_value=1.0))
def test_absolute_tolerance_edge(tol, fraction):
    checks.close(5.0 + tol * fraction * 0.999, 5.0, abs=tol, rel=0.0, hint=H)
    with pytest.raises(AssertionError):
        checks.close(5.0 + math.copysign(tol * 1.01, fraction or 1.0), 5.0, abs=tol, rel=0.0,
                     hint=H)


PROBS = {"00": 0.5, "01": 0.0, "10": 0.0, "11": 0.5}


def test_mappings_are_sparse_vectors():
    checks.close({"00": 0.5, "11": 0.5000001}, PROBS, rel=1e-5, hint=H)
    checks.close({"11": np.float64(0.5), "00": 0.5, "10": 0.0}, PROBS, hint=H)


@pytest.mark.parametrize("answer,match", [
    ({"00": 0.5, "10": 0.5}, "0.5 for key '10'"),        # little-endian mix-up
    ({"00": 0.5, "11": 0.5, "01": 0.1}, "key '01'"),
    ({"0": 0.5, "11": 0.5}, "key '0'"),
    ({"11": 0.5}, "no key '00'"),
    ([0.5, 0, 0, 0.5], "an array"),
    ({0: 0.5, 3: 0.5}, "a dict"),
])
def test_mapping_near_misses(answer, match):
    with pytest.raises(AssertionError, match=match):
        checks.close(answer, PROBS, hint=H)


def test_abs_alone_means_abs_alone():
    """With only abs=, no hidden relative tolerance widens it or clutters the message."""
    checks.close(1e9 + 0.5, 1e9, abs=0.5, hint=H)
    with pytest.raises(AssertionError) as caught:
        checks.close(1e9 + 0.6, 1e9, abs=0.5, unit="W", hint=H)   # rel 1e-6 would allow 1000 W
    assert "±0.5 W" in str(caught.value) and "relative" not in str(caught.value)


def test_default_is_a_relative_millionth():
    checks.close(1e6 + 0.9, 1e6, hint=H)
    with pytest.raises(AssertionError, match=r"rounding error \(1e-06 of its size\)"):
        checks.close(1e6 + 1.1, 1e6, hint=H)


@pytest.mark.parametrize("answer", [np.array(86.4), np.float64(86.4), complex(86.4, 0.0),
                                    np.array(86.4 + 1e-14j)])
def test_zero_d_arrays_and_real_valued_complex_numbers_are_numbers(answer):
    checks.close(answer, 86.4, rel=1e-9, hint=H)


@pytest.mark.parametrize("answer", [complex(86.4, 0.5), np.array([86.4 + 1j]), np.array("86.4")])
def test_complex_with_an_imaginary_part_is_not_a_real_number(answer):
    with pytest.raises(AssertionError, match="number"):
        checks.close(answer, 86.4, rel=0.5, hint=H)
