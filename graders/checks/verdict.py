"""Verdicts and the one way a check fails in a student's kernel."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

REPR_LIMIT = 60


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

    def __call__(self, actual: Any, expected: Any, spec: dict, *, what: str, hint: str) -> None:
        if not isinstance(hint, str) or not hint.strip():
            raise TypeError("every check needs a non-empty hint= for the student")
        observed = self.observe(actual)
        reference = (self.observe_reference or self.observe)(expected)
        verdict = self.judge(observed, reference, spec)
        if not verdict.passed:
            raise CheckFailed(what, verdict.message, hint)


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
