import numpy as np
import pytest

from graders import checks

H = "hint text"


class EqualsEverything:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_equal_accepts_the_same_plain_data():
    checks.equal((1, "a", [2.0]), [1, "a", [2]], hint=H)
    checks.equal(np.int64(3), 3, hint=H)
    checks.equal("  N+1 ", "n+1", ignore_case=True, hint=H)


@pytest.mark.parametrize("answer", [True, "3", 4, None, [3], EqualsEverything()])
def test_equal_rejects_near_misses(answer):
    with pytest.raises(AssertionError):
        checks.equal(answer, 3 if answer is not True else 1, hint=H)


def test_equal_message_names_the_kind_not_the_value():
    with pytest.raises(AssertionError) as info:
        checks.equal("2N", "N+1", hint=H)
    assert "a particular str" in str(info.value) and "N+1" not in str(info.value)


def test_same_set_ignores_order_and_counts_differences():
    checks.same_set(["rack-3", "rack-1"], {"rack-1", "rack-3"}, hint=H)
    checks.same_set(np.array([2, 1]), [1, 2], hint=H)
    with pytest.raises(AssertionError, match="1 missing, 1 not expected"):
        checks.same_set(["rack-1", "rack-2"], ["rack-1", "rack-3"], hint=H)
    with pytest.raises(AssertionError, match="collection"):
        checks.same_set("rack-1", ["rack-1"], hint=H)
    with pytest.raises(AssertionError):
        checks.same_set([EqualsEverything()], ["rack-1"], hint=H)


def test_sequence_needs_the_order():
    checks.sequence(("lock", "tag", "verify"), ["lock", "tag", "verify"], hint=H)
    with pytest.raises(AssertionError, match="position 1"):
        checks.sequence(["lock", "verify", "tag"], ["lock", "tag", "verify"], hint=H)
    with pytest.raises(AssertionError, match="2 item"):
        checks.sequence(["lock", "tag"], ["lock", "tag", "verify"], hint=H)


ROWS = [{"rack": "A", "kw": 4.2}, {"rack": "B", "kw": 6.0}]


def test_table_by_key_in_any_order_with_tolerance():
    checks.table([{"rack": "B", "kw": 6.0001}, {"rack": "A", "kw": 4.2}], ROWS, key="rack",
                 rel=1e-3, hint=H)


class FakeFrame:
    def __init__(self, rows):
        self.rows = rows

    def to_dict(self, orient):
        assert orient == "records"
        return self.rows


def test_table_reads_dataframes():
    checks.table(FakeFrame(ROWS), ROWS, hint=H)


@pytest.mark.parametrize("answer,match", [
    ([{"rack": "A", "kw": 4.2}], "1 row"),
    ([{"rack": "A", "kw": 4.2}, {"rack": "B", "kW": 6.0}], "columns"),
    ([{"rack": "A", "kw": 4.2}, {"rack": "B", "kw": 6.5}], "column 'kw'"),
    ([{"rack": "B", "kw": 6.0}, {"rack": "A", "kw": 4.2}], "row 0"),
    ([["A", 4.2]], "not all dicts"),
])
def test_table_near_misses(answer, match):
    with pytest.raises(AssertionError, match=match):
        checks.table(answer, ROWS, rel=1e-3, hint=H)


def test_table_rejects_duplicate_keys():
    with pytest.raises(AssertionError, match="repeated"):
        checks.table([{"rack": "A", "kw": 4.2}, {"rack": "A", "kw": 4.2}], ROWS, key="rack", hint=H)


def even_split(plan):
    problems = []
    if sum(plan) != 10:
        problems.append("the parts must add up to 10")
    if max(plan) - min(plan) > 1:
        problems.append("parts may differ by at most 1")
    return problems


@pytest.mark.parametrize("answer", [[5, 5], [3, 3, 4], (4, 3, 3), np.array([2, 2, 2, 2, 2])])
def test_valid_accepts_many_right_answers(answer):
    checks.valid(answer, even_split, hint=H)


@pytest.mark.parametrize("answer,match", [([6, 4], "differ"), ([5, 4], "add up"),
                                          ("55", "could not be checked"), (None, "None")])
def test_valid_rejects_with_the_rules_broken(answer, match):
    with pytest.raises(AssertionError, match=match):
        checks.valid(answer, even_split, expectation="an even split of 10", hint=H)


def test_valid_with_a_boolean_predicate():
    checks.valid(7, lambda n: n > 5, hint=H)
    with pytest.raises(AssertionError, match="breaks a rule"):
        checks.valid(3, lambda n: n > 5, hint=H)
