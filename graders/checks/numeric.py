"""Numbers and arrays of numbers, compared with absolute and relative tolerance.

An answer ``a`` matches a reference ``r`` when ``|a - r| <= max(abs_tol, rel * |r|)``, the rule of
:func:`math.isclose`: the relative part scales with the reference, the absolute part keeps
answers near zero from needing impossible precision. Arrays match element by element and must
have the same shape. NaN and infinities never match.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .verdict import Check, Verdict, bad, describe


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def observe(x: Any) -> dict:
    """A number becomes ``{"value": float}``; an array of numbers ``{"shape", "values"}``."""
    if _is_number(x):
        return {"value": float(x)}
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        return bad(x)
    try:
        arr = np.asarray(x)
    except Exception:
        return bad(x)
    if arr.dtype.kind not in "iuf" or arr.ndim == 0:
        return bad(x)
    return {"shape": list(arr.shape), "values": [float(v) for v in arr.ravel()]}


def _tolerance_text(spec: dict) -> str:
    unit = f" {spec['unit']}" if spec.get("unit") else ""
    parts = []
    rel = spec.get("rel")
    if rel:
        parts.append(f"{rel * 100:g}%" if rel >= 1e-3 else f"a relative {rel:g}")
    if spec.get("abs"):
        parts.append(f"±{spec['abs']:g}{unit}")
    return " or ".join(parts) if parts else "exactly"


def _within(a: float, r: float, spec: dict) -> bool:
    if not (math.isfinite(a) and math.isfinite(r)):
        return False
    return abs(a - r) <= max(spec.get("abs", 0.0), spec.get("rel", 0.0) * abs(r))


def judge(observed: dict, reference: dict, spec: dict) -> Verdict:
    unit = f" {spec['unit']}" if spec.get("unit") else ""
    scalar = "value" in reference
    kind = f"a number{' in ' + spec['unit'] if unit else ''}" if scalar else (
        f"an array of numbers with shape {tuple(reference['shape'])}")
    expectation = f"{kind} within {_tolerance_text(spec)} of the correct value"
    if "bad" in observed:
        return Verdict.fail(kind, observed["bad"])
    if scalar:
        if "value" not in observed:
            return Verdict.fail(kind, f"an array with shape {tuple(observed['shape'])}")
        a = observed["value"]
        if not math.isfinite(a):
            return Verdict.fail(kind, f"{a}{unit}")
        if _within(a, reference["value"], spec):
            return Verdict.ok()
        return Verdict.fail(expectation, f"{a!r}{unit}", "outside that tolerance")
    if observed.get("shape") != reference["shape"]:
        given = (f"a single number {observed['value']:.6g}" if "value" in observed
                 else f"an array with shape {tuple(observed['shape'])}")
        return Verdict.fail(kind, given)
    wrong = [i for i, (a, r) in enumerate(zip(observed["values"], reference["values"]))
             if not _within(a, r, spec)]
    if not wrong:
        return Verdict.ok()
    index = tuple(int(i) for i in np.unravel_index(wrong[0], reference["shape"]))
    return Verdict.fail(expectation, f"{len(wrong)} element(s) outside it",
                        f"the first at index {index if len(index) > 1 else index[0]}")


CLOSE = Check("close", observe, judge)


def close(actual: Any, expected: Any, *, hint: str, rel: float = 1e-6, abs: float = 0.0,
          unit: str = "", what: str = "your answer") -> None:
    """Pass when ``actual`` is a number (or array) within tolerance of ``expected``.

    ``rel`` is a fraction of the reference (0.01 = 1%), ``abs`` is in ``unit``.
    """
    if rel < 0 or abs < 0:
        raise ValueError("tolerances must be non-negative")
    if not _is_number(expected) and "bad" in observe(expected):
        raise TypeError(f"the reference is not numeric: {describe(expected)}")
    CLOSE(actual, expected, {"rel": rel, "abs": abs, "unit": unit}, what=what, hint=hint)
