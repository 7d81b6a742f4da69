"""Judge a test cell in the grader's own process: the student's observations (plain data sent
out of the sandboxed kernel) against the reference run's records for the same cell.

A cell passes when its code ran to the end without an error or a write to stderr (nbgrader's
own rule for a test cell), it sent exactly as many observations as the reference did, and each
one passes its check's pure judge against the reference value. Anything else, including an
observation that is missing, malformed, of the wrong check or too large, fails the cell with a
reason; nothing here raises for what a student sends.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from nbformat.v4 import new_output

from ..checks.verdict import OBSERVATION_MIME, REGISTRY, failure_text, passed_text

MAX_OBSERVATION_CHARS = 4_000_000


@dataclass
class CellVerdict:
    grade_id: str
    passed: bool
    lines: list[str] = field(default_factory=list)  # student-facing, one per check call
    reason: str = ""  # why it failed, for the student and the instructor

    def outputs(self) -> list:
        """The cell's outputs in the autograded notebook: nbgrader gives full points to a
        test cell without an error output and zero to one with an error."""
        if self.passed:
            return [new_output("stream", name="stdout", text="\n".join(self.lines) + "\n")]
        return [new_output("error", ename="CheckFailed", evalue=self.reason,
                           traceback=[*self.lines, f"✘ {self.reason}"])]


def observations(cell) -> list:
    """The observations a cell sent, in order; None for one that is not valid JSON."""
    found = []
    for out in cell.get("outputs", []):
        data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
        if OBSERVATION_MIME not in data:
            continue
        text = data[OBSERVATION_MIME]
        if not isinstance(text, str) or len(text) > MAX_OBSERVATION_CHARS:
            found.append("oversized" if isinstance(text, str) else None)
            continue
        try:
            found.append(json.loads(text))
        except ValueError:
            found.append(None)
    return found


def _failure(cell) -> str | None:
    """Why the cell's own run failed (an exception or stderr), in words for the student,
    without the traceback: it would show the hidden test code."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            name, value = str(out.get("ename", "Error")), str(out.get("evalue", ""))
            return f"your code raised {name}: {value[:300]}" if value else f"your code raised {name}"
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            first = str(out.get("text", "")).strip().splitlines()[:1]
            return "the test wrote to stderr, which nbgrader counts as a failure: " + (first[0][:200] if first else "")
    return None


def _spec(record: dict) -> dict:
    spec = dict(record.get("spec") or {})
    if "pickled_spec" in record:  # written by the trusted reference run (see checks.verdict.record)
        import cloudpickle

        spec.update(cloudpickle.loads(base64.b64decode(record["pickled_spec"])))
    return spec


def _judge_one(observation, record: dict):
    """A verdict line for one check call: (passed, text)."""
    what, hint = record.get("what", "your answer"), record.get("hint", "")
    if observation == "oversized":
        return False, f"{what}: your result is too large to judge.\nHint: {hint}"
    if not isinstance(observation, dict) or observation.get("check") != record["check"]:
        return False, f"{what}: the test did not receive a readable result.\nHint: {hint}"
    try:
        verdict = REGISTRY[record["check"]].verdict(observation.get("observed"), record["reference"],
                                                    _spec(record))
    except Exception as exc:  # malformed data that the judge could not read
        return False, f"{what}: your result could not be judged ({type(exc).__name__}).\nHint: {hint}"
    if verdict.passed:
        return True, passed_text(what)
    return False, failure_text(what, verdict.message, hint, verdict.mistake)


def judge_cell(cell, grade_id: str, records: list[dict], ran: bool, stopped: str = "") -> CellVerdict:
    """Judge one test cell of a student's executed notebook against its reference records."""
    seen = observations(cell)
    lines = []
    for observation, record in zip(seen, records):
        passed, text = _judge_one(observation, record)
        if not passed:
            return CellVerdict(grade_id, False, lines, text)
        lines.append(text)
    failure = _failure(cell)
    if not ran:
        return CellVerdict(grade_id, False, lines, f"the test did not finish: {stopped or 'stopped'}")
    if failure:
        return CellVerdict(grade_id, False, lines, failure)
    if len(seen) != len(records):
        return CellVerdict(grade_id, False, lines,
                           f"the test sent {len(seen)} result(s) where {len(records)} were expected")
    return CellVerdict(grade_id, True, lines or ["✔ the test ran"])
