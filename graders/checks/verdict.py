"""Verdicts, the one way a check fails in a student's kernel, and the three modes a check
runs in (``ACADEMY_CHECK_MODE``):

- unset (a student's own kernel, nbval, `academy check`): observe and judge in place, raise
  :class:`CheckFailed` on a wrong answer;
- ``observe`` (a submission under `academy grade`): the grader has rewritten the test cells to
  call :func:`observe` with the student's result only; it is sent out as data and judged by the
  grader's own process. Nothing is judged in the kernel;
- ``record`` (the reference solution under `academy grade`): judge in place as usual and also
  send out everything the grader needs to judge a student later: the reference observation,
  the spec, the student-facing texts (and a validity predicate, pickled by the trusted side).
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any, Callable

REPR_LIMIT = 60
MODE_ENV = "ACADEMY_CHECK_MODE"
OBSERVATION_MIME = "application/vnd.academy.observation+json"
REGISTRY: dict[str, "Check"] = {}


@dataclass(frozen=True)
class Verdict:
    """The outcome of judging one observation against a reference.

    ``message`` says what kind of thing was expected and what was given; it never contains the
    expected value, so it is safe to show a student.
    """

    passed: bool
    message: str = ""

    @classmethod
    def ok(cls) -> "Verdict":
        return cls(True, "")

    @classmethod
    def fail(cls, expectation: str, given: str, why: str = "") -> "Verdict":
        text = f"expected {expectation}; got {given}"
        return cls(False, text + (f" ({why})" if why else ""))


class CheckFailed(AssertionError):
    """Raised in the kernel when a check fails: nbgrader counts the test cell as failed."""

    def __init__(self, what: str, message: str, hint: str):
        self.what, self.detail, self.hint = what, message, hint
        super().__init__(f"{what}: {message}.\nHint: {hint}")


@dataclass(frozen=True)
class Check:
    """A check's two halves. ``observe`` turns a Python object into plain JSON data and runs
    wherever the student's code runs; ``judge`` is pure and can run anywhere."""

    name: str
    observe: Callable[[Any], Any]
    judge: Callable[[Any, Any, dict], Verdict]
    observe_reference: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        REGISTRY[self.name] = self

    def __call__(self, actual: Any, expected: Any, spec: dict, *, what: str, hint: str) -> None:
        if not isinstance(hint, str) or not hint.strip():
            raise TypeError("every check needs a non-empty hint= for the student")
        mode = os.environ.get(MODE_ENV)
        if mode == "observe":  # a grader rewrites test cells; a stray call still only observes
            return emit({"check": self.name, "observed": self.observe(actual)})
        observed = self.observe(actual)
        reference = (self.observe_reference or self.observe)(expected)
        verdict = self.judge(observed, reference, spec)
        if mode == "record":
            emit(record(self.name, observed, reference, spec, what, hint))
        if not verdict.passed:
            raise CheckFailed(what, verdict.message, hint)


def record(name: str, observed: Any, reference: Any, spec: dict, what: str, hint: str) -> dict:
    """What the reference run sends the grader for one check call. Callables in the spec (the
    predicate of ``valid``) travel pickled: they come from the instructor's trusted kernel and
    are only ever unpickled by the grader, never sent to a student's kernel."""
    plain_spec = {k: v for k, v in spec.items() if not callable(v)}
    entry = {"check": name, "observed": observed, "reference": reference, "spec": plain_spec,
             "what": str(what), "hint": str(hint)}
    code = {k: v for k, v in spec.items() if callable(v)}
    if code:
        import cloudpickle

        entry["pickled_spec"] = base64.b64encode(cloudpickle.dumps(code)).decode("ascii")
    return entry


def emit(payload: dict) -> None:
    """Send one observation out of the kernel as display data (a JSON string, so NaN and
    infinities survive and nothing but text crosses)."""
    from IPython.display import display

    display({OBSERVATION_MIME: json.dumps(payload, allow_nan=True)}, raw=True)


def observe(name: str, actual: Any) -> None:
    """What a rewritten test cell calls under `academy grade`: observe ``actual`` with the
    named check and send the plain data out. An object that cannot be observed is described."""
    check = REGISTRY[name]
    try:
        observed = check.observe(actual)
    except Exception as exc:  # a hostile or broken object: describe it, never crash the cell
        observed = {"bad": f"an object that could not be read ({type(exc).__name__})"}
    emit({"check": name, "observed": observed})


def describe(value: Any) -> str:
    """A short, student-facing description of a value: its type and a truncated repr."""
    if value is None:
        return "None (did the function `return` its result?)"
    kind = type(value).__name__
    text = repr(value)
    if len(text) > REPR_LIMIT:
        text = text[: REPR_LIMIT - 3] + "..."
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return f"{article} {kind} {text}"


def bad(value: Any) -> dict:
    """The observation of a value of the wrong kind: only its description travels."""
    return {"bad": describe(value)}
