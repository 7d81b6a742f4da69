"""Numbers and arrays of numbers, compared with absolute and relative tolerance.

An answer ``a`` matches a reference ``r`` when ``|a - r| <= max(abs_tol, rel * |r|)``, the rule of
:func:`math.isclose`: the relative part scales with the reference, the absolute part keeps
answers near zero from needing impossible precision. Arrays match element by element and must
have the same shape. A mapping of names to numbers (say ``{"00": 0.5, "11": 0.5}``) is a sparse
vector: keys absent on one side count as 0, so Qiskit's ``probabilities_dict``, which leaves
out zeros, matches a reference that lists them. NaN and infinities never match.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..language import t
from .verdict import Check, Verdict, bad, describe


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def observe(x: Any) -> dict:
    """A number becomes ``{"value": float}``, an array ``{"shape", "values"}``, and a mapping
    of str keys to numbers ``{"mapping": {key: float}}``."""
    if _is_number(x):
        return {"value": float(x)}
    if isinstance(x, Mapping):
        if all(isinstance(k, str) and _is_number(v) for k, v in x.items()):
            return {"mapping": {str(k): float(v) for k, v in x.items()}}  # np.str_ keys too
        return bad(x)
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        return bad(x)
    try:
        arr = np.asarray(x)
    except Exception:
        return bad(x)
    if arr.dtype.kind == "c" and np.all(np.abs(arr.imag) <= 1e-9 * np.maximum(1.0, np.abs(arr.real))):
        arr = arr.real   # e.g. Statevector.expectation_value of a Hermitian observable
    if arr.dtype.kind not in "iuf":
        return bad(x)
    if arr.ndim == 0:   # e.g. an Estimator's result[0].data.evs
        return {"value": float(arr)}
    return {"shape": list(arr.shape), "values": [float(v) for v in arr.ravel()]}


def _tolerance_text(spec: dict) -> str:
    """The tolerance as words ("1% or ±0.5 kW"); empty when there is none (exact)."""
    unit = f" {spec['unit']}" if spec.get("unit") else ""
    parts = []
    rel = spec.get("rel")
    if rel:
        parts.append(f"{rel * 100:g}%" if rel >= 1e-5
                     else t("rounding error ({fraction} of its size)", fraction=f"{rel:g}"))
    if spec.get("abs"):
        parts.append(f"±{spec['abs']:g}{unit}")
    if len(parts) == 2:
        return t("{relative} or {absolute}", relative=parts[0], absolute=parts[1])
    return parts[0] if parts else ""


def _near(kind: str, spec: dict) -> str:
    """``kind`` within the tolerance of the correct value."""
    tolerance = _tolerance_text(spec)
    if not tolerance:
        return t("{kind} within exactly of the correct value", kind=kind)
    return t("{kind} within {tolerance} of the correct value", kind=kind, tolerance=tolerance)


def _within(a: float, r: float, spec: dict) -> bool:
    if not (math.isfinite(a) and math.isfinite(r)):
        return False
    return abs(a - r) <= max(spec.get("abs", 0.0), spec.get("rel", 0.0) * abs(r))


def _judge_mapping(observed: dict, reference: dict, spec: dict) -> Verdict:
    kind = t("a dict of names to numbers")
    if "mapping" not in observed:
        return Verdict.fail(kind, observed["bad"] if "bad" in observed else t("an array or a single number"))
    got, want = observed["mapping"], reference["mapping"]
    for key in sorted(set(got) | set(want)):
        if not _within(got.get(key, 0.0), want.get(key, 0.0), spec):
            tolerance = _tolerance_text(spec)
            expectation = (t("{kind} within {tolerance} of the correct values (a missing key counts as 0)",
                             kind=kind, tolerance=tolerance) if tolerance else
                           t("{kind} within exactly of the correct values (a missing key counts as 0)",
                             kind=kind))
            given = (t("{value} for key {key}", value=repr(got[key]), key=repr(key)) if key in got
                     else t("no key {key}", key=repr(key)))
            return Verdict.fail(expectation, given, t("the first key that is off"))
    return Verdict.ok()


def judge(observed: dict, reference: dict, spec: dict) -> Verdict:
    if "mapping" in reference:
        return _judge_mapping(observed, reference, spec)
    unit = f" {spec['unit']}" if spec.get("unit") else ""
    scalar = "value" in reference
    if scalar:
        kind = t("a number in {unit}", unit=spec["unit"]) if unit else t("a number")
    else:
        kind = t("an array of numbers with shape {shape}", shape=str(tuple(reference["shape"])))
    if "bad" in observed or "mapping" in observed:
        return Verdict.fail(kind, observed["bad"] if "bad" in observed else t("a dict"))
    if scalar:
        if "value" not in observed:
            return Verdict.fail(kind, t("an array with shape {shape}", shape=str(tuple(observed["shape"]))))
        a = observed["value"]
        if not math.isfinite(a):
            return Verdict.fail(kind, f"{a}{unit}")
        if _within(a, reference["value"], spec):
            return Verdict.ok()
        return Verdict.fail(_near(kind, spec), f"{a!r}{unit}", t("outside that tolerance"))
    if observed.get("shape") != reference["shape"]:
        given = (t("a single number {value}", value=f"{observed['value']:.6g}") if "value" in observed
                 else t("an array with shape {shape}", shape=str(tuple(observed["shape"]))))
        return Verdict.fail(kind, given)
    wrong = [i for i, (a, r) in enumerate(zip(observed["values"], reference["values"]))
             if not _within(a, r, spec)]
    if not wrong:
        return Verdict.ok()
    index = tuple(int(i) for i in np.unravel_index(wrong[0], reference["shape"]))
    return Verdict.fail(_near(kind, spec), t("{count} element(s) outside it", count=len(wrong)),
                        t("the first at index {index}", index=str(index if len(index) > 1 else index[0])))


CLOSE = Check("close", observe, judge)


def close(actual: Any, expected: Any, *, hint: str, rel: float | None = None, abs: float = 0.0,
          unit: str = "", what: str = "your answer",
          mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when ``actual`` is a number (array, or dict of numbers) within tolerance of
    ``expected``: |actual - expected| <= max(abs, rel * |expected|).

    ``rel`` is a fraction of the reference (0.01 = 1%), ``abs`` is in ``unit``. Without
    either, rel is 1e-6; with only ``abs``, the tolerance is ``abs`` alone.
    """
    if rel is None:
        rel = 0.0 if abs else 1e-6
    if rel < 0 or abs < 0:
        raise ValueError("tolerances must be non-negative")
    if not _is_number(expected) and "bad" in observe(expected):
        raise TypeError(f"the reference is not numeric: {describe(expected)}")
    CLOSE(actual, expected, {"rel": rel, "abs": abs, "unit": unit}, what=what, hint=hint,
          mistakes=mistakes)
