"""Exact answers, sets, sequences, tables, and answers judged by a validity predicate.

All of them first turn the answer into plain JSON data (``plain``), so that a tuple and a list,
or a NumPy integer and an int, are the same answer, and so that a judge never runs student
objects: an object that claims to equal everything is observed as what it really is.
"""
from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, Callable

import numpy as np

from ..language import t
from .verdict import Check, Verdict, bad, describe
from .numeric import _within


class NotPlain(TypeError):
    pass


def plain(x: Any) -> Any:
    """Convert to JSON-compatible data: tuples and arrays become lists, NumPy scalars become
    Python ones, sets become sorted lists. Anything else is refused."""
    if x is None or type(x) in (bool, int, float, str):
        return x
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, str):
        return str(x)
    if isinstance(x, Mapping):
        return {str(plain(k)): plain(v) for k, v in x.items()}
    if isinstance(x, (set, frozenset)):
        return sorted((plain(v) for v in x), key=_canon)
    if isinstance(x, (list, tuple, np.ndarray)):
        return [plain(v) for v in x]
    raise NotPlain(type(x).__name__)


def _integral(x: Any) -> Any:
    """3.0 -> 3 throughout, so that numerically equal plain data has one spelling."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, list):
        return [_integral(v) for v in x]
    if isinstance(x, dict):
        return {k: _integral(v) for k, v in x.items()}
    return x


def _canon(x: Any) -> str:
    return json.dumps(_integral(x), sort_keys=True)


def _kind(x: Any) -> str:
    """The kind of a plain value, as a name: "bool", "number", "str", "list", "dict", "None"."""
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, (int, float)):
        return "number"
    if isinstance(x, str):
        return "str"
    if isinstance(x, list):
        return "list"
    if isinstance(x, dict):
        return "dict"
    return "None"


def _a(kind: str) -> str:
    """A value of ``kind`` ("a number"), in the current language."""
    return {"bool": lambda: t("a bool"), "number": lambda: t("a number"), "str": lambda: t("a str"),
            "list": lambda: t("a list"), "dict": lambda: t("a dict"), "None": lambda: "None"}[kind]()


def _particular(kind: str) -> str:
    """One particular value of ``kind`` ("a particular number"), in the current language."""
    return {"bool": lambda: t("a particular bool"), "number": lambda: t("a particular number"),
            "str": lambda: t("a particular str"), "list": lambda: t("a particular list"),
            "dict": lambda: t("a particular dict"), "None": lambda: "None"}[kind]()


def observe(x: Any) -> dict:
    try:
        return {"value": plain(x)}
    except NotPlain:
        return bad(x)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return _canon(a) == _canon(b)


def _given(value: Any) -> str:
    return describe(value)


# --- exact -------------------------------------------------------------------------------

def judge_equal(observed: dict, reference: dict, spec: dict) -> Verdict:
    ref = reference["value"]
    if "bad" in observed:
        return Verdict.fail(_a(_kind(ref)), observed["bad"])
    got = observed["value"]
    if spec.get("ignore_case") and isinstance(got, str) and isinstance(ref, str):
        got, ref = got.strip().casefold(), ref.strip().casefold()
    if _same(got, ref):
        return Verdict.ok()
    if _kind(got) != _kind(ref):
        return Verdict.fail(_a(_kind(ref)), _given(observed["value"]))
    return Verdict.fail(_particular(_kind(ref)), _given(observed["value"]), t("not the right one"))


EQUAL = Check("equal", observe, judge_equal)


def equal(actual: Any, expected: Any, *, hint: str, ignore_case: bool = False,
          what: str = "your answer", mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when ``actual`` equals ``expected`` as plain data (tuples equal lists, 3 == 3.0,
    but True is not 1). ``ignore_case`` also ignores surrounding spaces in strings."""
    EQUAL(actual, expected, {"ignore_case": ignore_case}, what=what, hint=hint, mistakes=mistakes)


# --- sets and sequences ------------------------------------------------------------------

def observe_collection(x: Any) -> dict:
    if isinstance(x, (str, bytes, Mapping)) or not isinstance(x, Iterable):
        return bad(x)
    try:
        return {"items": [plain(v) for v in x]}
    except NotPlain:
        return bad(x)


def judge_set(observed: dict, reference: dict, spec: dict) -> Verdict:
    if "bad" in observed:
        return Verdict.fail(t("a collection (list, tuple or set)"), observed["bad"])
    got = {_canon(v) for v in observed["items"]}
    want = {_canon(v) for v in reference["items"]}
    if got == want:
        return Verdict.ok()
    missing, extra = len(want - got), len(got - want)
    parts = ([t("{count} missing", count=missing)] if missing else []) + (
        [t("{count} not expected", count=extra)] if extra else [])
    return Verdict.fail(t("a particular collection (order does not matter)"),
                        t("{count} distinct item(s)", count=len(got)), ", ".join(parts))


def judge_sequence(observed: dict, reference: dict, spec: dict) -> Verdict:
    if "bad" in observed:
        return Verdict.fail(t("a sequence (list or tuple)"), observed["bad"])
    got, want = observed["items"], reference["items"]
    expectation = t("a sequence of {count} item(s) in a particular order", count=len(want))
    if len(got) != len(want):
        return Verdict.fail(expectation, t("{count} item(s)", count=len(got)))
    for i, (a, b) in enumerate(zip(got, want)):
        if not _same(a, b):
            return Verdict.fail(expectation, t("{given} at position {position}", given=_given(a), position=i),
                                t("the first item that differs, counting from 0"))
    return Verdict.ok()


SAME_SET = Check("same_set", observe_collection, judge_set)
SEQUENCE = Check("sequence", observe_collection, judge_sequence)


def same_set(actual: Any, expected: Any, *, hint: str, what: str = "your answer",
             mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when ``actual`` holds the same distinct items as ``expected``, in any order."""
    SAME_SET(actual, expected, {}, what=what, hint=hint, mistakes=mistakes)


def sequence(actual: Any, expected: Any, *, hint: str, what: str = "your answer",
             mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when ``actual`` holds the items of ``expected`` in the same order."""
    SEQUENCE(actual, expected, {}, what=what, hint=hint, mistakes=mistakes)


# --- tables ------------------------------------------------------------------------------

def observe_table(x: Any) -> dict:
    """Rows as a list of dicts; a pandas DataFrame is read through ``to_dict("records")``."""
    if hasattr(x, "to_dict") and not isinstance(x, Mapping):
        try:
            x = x.to_dict("records")
        except Exception:
            return bad(x)
    if isinstance(x, (str, bytes, Mapping)) or not isinstance(x, Iterable):
        return bad(x)
    rows = list(x)
    if not all(isinstance(r, Mapping) for r in rows):
        return {"bad": t("rows that are not all dicts (mappings of column to value)")}
    try:
        return {"rows": [plain(r) for r in rows]}
    except NotPlain:
        return bad(x)


def _cell_matches(a: Any, b: Any, spec: dict) -> bool:
    numeric = (isinstance(a, (int, float)) and isinstance(b, (int, float))
               and not isinstance(a, bool) and not isinstance(b, bool))
    if numeric and (spec.get("rel") or spec.get("abs")):
        return _within(float(a), float(b), spec)
    return _same(a, b)


def judge_table(observed: dict, reference: dict, spec: dict) -> Verdict:
    want = reference["rows"]
    columns = sorted(want[0]) if want else []
    expectation = t("a table of {count} row(s) with columns {columns}", count=len(want), columns=str(columns))
    if "bad" in observed:
        return Verdict.fail(expectation, observed["bad"])
    got = observed["rows"]
    for i, row in enumerate(got):
        if sorted(row) != columns:
            return Verdict.fail(expectation, t("row {row} with columns {columns}", row=i,
                                               columns=str(sorted(row))))
    if len(got) != len(want):
        return Verdict.fail(expectation, t("{count} row(s)", count=len(got)))
    key = spec.get("key")
    if key:
        by_key = {_canon(r[key]): r for r in got}
        if len(by_key) != len(got):
            return Verdict.fail(expectation, t("repeated values in the key column {key}", key=repr(key)))
        pairs = [(i, by_key.get(_canon(r[key])), r) for i, r in enumerate(want)]
    else:
        pairs = [(i, g, w) for i, (g, w) in enumerate(zip(got, want))]

    def label(i: int, w: dict) -> str:
        if key:
            return t("the row with {key} = {value}", key=key, value=repr(w[key]))
        return t("row {row}", row=i)

    for i, g, w in pairs:
        if g is None:  # only with a key: rows in order always pair up
            return Verdict.fail(expectation, t("no row with {key} = {value}", key=key, value=repr(w[key])))
        for col in columns:
            if not _cell_matches(g[col], w[col], spec):
                return Verdict.fail(expectation, t("{given} in {row}, column {column}", given=_given(g[col]),
                                                   row=label(i, w), column=repr(col)),
                                    t("the first cell that is wrong"))
    return Verdict.ok()


TABLE = Check("table", observe_table, judge_table)


def table(actual: Any, expected: Any, *, hint: str, key: str | None = None, rel: float = 0.0,
          abs: float = 0.0, what: str = "your table",
          mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when ``actual`` (list of dicts or a DataFrame) has the rows of ``expected``.

    With ``key`` rows are matched by that column in any order, otherwise in order. Numeric
    cells are compared with the tolerance rule of :func:`close` when ``rel`` or ``abs`` is set.
    """
    TABLE(actual, expected, {"key": key, "rel": rel, "abs": abs}, what=what, hint=hint,
          mistakes=mistakes)


# --- validity ----------------------------------------------------------------------------

DEFAULT_EXPECTATION = "a valid answer"  # translated where it is shown (the author's own is theirs)


def judge_valid(observed: dict, reference: Any, spec: dict) -> Verdict:
    expectation = spec.get("expectation", DEFAULT_EXPECTATION)
    if expectation == DEFAULT_EXPECTATION:
        expectation = t("a valid answer")
    if "bad" in observed:
        return Verdict.fail(expectation, observed["bad"])
    try:
        result = spec["predicate"](observed["value"])
    except Exception as exc:  # the answer broke the predicate: it is not valid
        return Verdict.fail(expectation, _given(observed["value"]),
                            t("could not be checked: {error}", error=type(exc).__name__))
    problems = [] if result is True else ([t("it breaks a rule of the task")] if result is False
                                          else [str(p) for p in result])
    if not problems:
        return Verdict.ok()
    shown = "; ".join(problems[:3]) + (t("; and {count} more", count=len(problems) - 3)
                                       if len(problems) > 3 else "")
    return Verdict.fail(expectation, _given(observed["value"]), shown)


VALID = Check("valid", observe, judge_valid, observe_reference=lambda _: None)


def valid(actual: Any, predicate: Callable[[Any], bool | Iterable[str]], *, hint: str,
          expectation: str = DEFAULT_EXPECTATION, what: str = "your answer") -> None:
    """Pass when ``predicate(plain(actual))`` returns True or an empty list of problems.

    Use it where many answers are right: the predicate states the rules (and any quality
    bound) and returns False or the list of rules broken, worded for the student.
    """
    VALID(actual, None, {"predicate": predicate, "expectation": expectation}, what=what, hint=hint)
