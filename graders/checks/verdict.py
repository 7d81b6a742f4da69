"""Verdicts, the one way a check fails in a student's kernel, and the three modes a check
runs in (``ACADEMY_CHECK_MODE``):

- unset (a student's own kernel, nbval, `academy check`): observe and judge in place, print
  one ``✔`` line on a right answer and raise :class:`CheckFailed` on a wrong one;
- ``observe`` (a submission under `academy grade`): the grader has rewritten the test cells to
  call :func:`observe` with the student's result only; it is sent out as data and judged by the
  grader's own process. Nothing is judged in the kernel;
- ``record`` (the reference solution under `academy grade`): judge in place as usual and also
  send out everything the grader needs to judge a student later: the reference observation,
  the spec, the student-facing texts (and a validity predicate, pickled by the trusted side).
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Callable

from ..language import t, using

REPR_LIMIT = 120
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
    mistake: str = ""  # the known mistake the answer matches, worded for the student

    @classmethod
    def ok(cls) -> "Verdict":
        return cls(True, "")

    @classmethod
    def fail(cls, expectation: str, given: str, why: str = "") -> "Verdict":
        """``expectation`` and ``given`` are noun phrases in the current language."""
        if why:
            return cls(False, t("expected {expectation}; got {given} ({why})",
                                expectation=expectation, given=given, why=why))
        return cls(False, t("expected {expectation}; got {given}", expectation=expectation, given=given))


def _in(lang: str | None):
    """Messages in ``lang``, or in the current language when it is None."""
    return using(lang) if lang else contextlib.nullcontext()


def hint_label(lang: str | None = None) -> str:
    """The label before a failure's hint ("Hint:"), in ``lang`` or the current language. The
    one place it is spelled: :func:`failure_text` writes it, the self-check splits on it."""
    with _in(lang):
        return t("Hint:")


def mistake_label(lang: str | None = None) -> str:
    """The label before a named known mistake ("Likely mistake:")."""
    with _in(lang):
        return t("Likely mistake:")


def _named(what: str) -> str:
    """``what`` as shown: a check's default name ("your answer") in the current language, an
    author's own name as written (it is translated with the notebook)."""
    defaults = {"your answer": lambda: t("your answer"), "your table": lambda: t("your table"),
                "your state": lambda: t("your state"), "your circuit": lambda: t("your circuit"),
                "your counts": lambda: t("your counts")}
    return defaults[what]() if what in defaults else what


def failure_text(what: str, message: str, hint: str, mistake: str = "") -> str:
    """The one wording of a failed check, in the kernel and in the grader's feedback."""
    named = f"\n{mistake_label()} {mistake.rstrip('.')}." if mistake else ""
    return f"{_named(what)}: {message}.{named}\n{hint_label()} {hint}"


def passed_text(what: str) -> str:
    return f"✔ {_named(what)}"


class CheckFailed(AssertionError):
    """Raised in the kernel when a check fails: nbgrader counts the test cell as failed."""

    def __init__(self, what: str, message: str, hint: str, mistake: str = ""):
        self.what, self.detail, self.hint, self.mistake = what, message, hint, mistake
        super().__init__(failure_text(what, message, hint, mistake))


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

    def verdict(self, observed: Any, reference: Any, spec: dict) -> Verdict:
        """Judge; a wrong answer that passes against one of the spec's known mistakes (the
        answer that mistake gives, recorded like the reference) is named in the verdict."""
        verdict = self.judge(observed, reference, spec)
        if verdict.passed:
            return verdict
        for label, wrong in spec.get("mistakes") or ():
            try:
                if self.judge(observed, wrong, spec).passed:
                    return replace(verdict, mistake=str(label))
            except Exception:  # a mistake of another shape than the answer: not this one
                continue
        return verdict

    def __call__(self, actual: Any, expected: Any, spec: dict, *, what: str, hint: str,
                 mistakes: Mapping[str, Any] | None = None) -> None:
        if not isinstance(hint, str) or not hint.strip():
            raise TypeError("every check needs a non-empty hint= for the student")
        mode = os.environ.get(MODE_ENV)
        if mode == "observe":  # a grader rewrites test cells; a stray call still only observes
            return emit({"check": self.name, "observed": self.observe(actual)})
        observed = self.observe(actual)
        observe_reference = self.observe_reference or self.observe
        reference = observe_reference(expected)
        if mistakes:
            spec = {**spec, "mistakes": [[str(label), observe_reference(wrong)]
                                         for label, wrong in mistakes.items()]}
        verdict = self.verdict(observed, reference, spec)
        if mode == "record":
            emit(record(self.name, observed, reference, spec, what, hint))
        if not verdict.passed:
            raise CheckFailed(what, verdict.message, hint, verdict.mistake)
        print(passed_text(what))


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
        observed = {"bad": t("an object that could not be read ({error})", error=type(exc).__name__)}
    emit({"check": name, "observed": observed})


def _readable(value: Any, depth: int = 0) -> Any:
    """The value as a student would write it: NumPy scalars as Python ones (``'0000'``, not
    ``np.str_('0000')``), inside lists, tuples and dicts too."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if depth > 3 or (isinstance(value, (list, tuple, dict)) and len(value) > 10_000):
        return value
    if isinstance(value, (list, tuple)):
        items = [_readable(v, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {_readable(k, depth + 1): _readable(v, depth + 1) for k, v in value.items()}
    return value


def describe(value: Any) -> str:
    """A short, student-facing description of a value: its type and its repr, shortened in
    the middle so that both ends (often the number that matters) stay visible."""
    if value is None:
        return t("None (a function without a `return` gives None)")
    kind = type(value).__name__
    try:
        text = repr(_readable(value))
    except Exception:  # a hostile __repr__: the type is enough
        text = t("(unprintable)")
    if len(text) > REPR_LIMIT:
        half = (REPR_LIMIT - 5) // 2
        text = f"{text[:half]} ... {text[-half:]}"
    if kind[:1].lower() in "aeiou":
        return t("an {type} {value}", type=kind, value=text)
    return t("a {type} {value}", type=kind, value=text)


def bad(value: Any) -> dict:
    """The observation of a value of the wrong kind: only its description travels."""
    return {"bad": describe(value)}
