"""Judge a student's executed notebook in the grader: each test cell's observations (plain
data sent out of the sandboxed kernel) against the reference run's records for that cell.

A cell passes when its code ran to the end without an error or a write to stderr (nbgrader's
own rule for a test cell), it sent exactly as many observations as the reference did, and each
one passes its check's judge against the reference value. Anything else, including an
observation that is missing, malformed, of the wrong check or too large, fails the cell with a
reason; nothing here raises for what a student sends. The checks themselves are judged by a
:class:`~graders.engine.bounded.BoundedJudge` (or, in tests, in this process).
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field, replace
from typing import Callable

from nbformat.v4 import new_output

from ..checks.verdict import OBSERVATION_MIME, failure_text, passed_text
from ..language import current, t, using
from ..notebooks import is_test_cell, nbgrader_meta
from .bounded import JUDGE_SECONDS, Line, judge_call

MAX_OBSERVATION_CHARS = 4_000_000
# judge(observation, record, seconds_left) -> Line
Judge = Callable[[object, dict, float], Line]


def in_process(observation, record: dict, seconds: float = JUDGE_SECONDS) -> Line:
    """Judge in this process, without bounds: for trusted data and for tests."""
    started = time.process_time()
    line = judge_call(observation, record)
    return replace(line, seconds=time.process_time() - started)


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
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            found.append(None)
    return found


def _failure(cell) -> str | None:
    """Why the cell's own run failed (an exception or stderr), in words for the student,
    without the traceback: it would show the hidden test code."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            name, value = str(out.get("ename", "Error")), str(out.get("evalue", ""))
            return (t("your code raised {error}: {detail}", error=name, detail=value[:300]) if value
                    else t("your code raised {error}", error=name))
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            first = str(out.get("text", "")).strip().splitlines()[:1]
            return t("the test wrote to stderr, which nbgrader counts as a failure: {first}",
                     first=first[0][:200] if first else "")
    return None


class Budget:
    """Judging time left for one submission: the judge's CPU time, so that a loaded machine
    does not cost an honest submission its points."""

    def __init__(self, seconds: float = JUDGE_SECONDS):
        self.seconds = self.left = seconds

    def spend(self, judge: Judge, observation, record: dict) -> Line:
        if self.left <= 0:
            with using(record.get("language") or "en"):
                return Line(False, failure_text(
                    record.get("what") or t("your answer"),
                    t("not judged: this submission used up its {seconds} s of judging time",
                      seconds=f"{self.seconds:g}"), record.get("hint", "")))
        line = judge(observation, record, self.left)
        self.left -= line.seconds
        return line


def judge_cell(cell, grade_id: str, records: list[dict], ran: bool, stopped: str = "",
               judge: Judge = in_process, budget: Budget | None = None) -> CellVerdict:
    """Judge one test cell of a student's executed notebook against its reference records."""
    budget = budget or Budget()
    with using(_language(records)):
        return _judge_cell(cell, grade_id, records, ran, stopped, judge, budget)


def _language(records: list[dict]) -> str:
    """The language of a test cell's texts: the one its reference run recorded them in."""
    return next((r["language"] for r in records if r.get("language")), "en")


def _judge_cell(cell, grade_id: str, records: list[dict], ran: bool, stopped: str,
                judge: Judge, budget: Budget) -> CellVerdict:
    seen = observations(cell)
    lines = []
    for observation, record in zip(seen, records):
        line = budget.spend(judge, observation, record)
        if not line.passed:
            return CellVerdict(grade_id, False, lines, line.text)
        lines.append(line.text)
    failure = _failure(cell)
    if not ran:
        return CellVerdict(grade_id, False, lines,
                           t("the test did not finish: {why}", why=in_words(stopped) or t("stopped")))
    if failure:
        return CellVerdict(grade_id, False, lines, failure)
    if len(seen) != len(records):
        return CellVerdict(grade_id, False, lines, t("the test sent {sent} result(s) where "
                                                     "{expected} were expected",
                                                     sent=len(seen), expected=len(records)))
    return CellVerdict(grade_id, True, lines or [passed_text(t("the test ran"))])


BEFORE = "cell {cell}, before this test, was stopped before its end ({why})"
# The run's problem lines (graders/engine/run.py, for the instructor, in English) that a
# student's feedback shows: in another language each is reworded from its parts.
_PROBLEMS = [
    (r"cell (?P<cell>\d+), before this test, was stopped before its end \((?P<why>.*)\)",
     lambda cell, why: t("cell {cell}, before this test, was stopped before its end ({why})",
                         cell=cell, why=in_words(why))),
    (r"stopped at cell (?P<cell>\d+): the notebook ran past its (?P<seconds>\d+) s limit",
     lambda cell, seconds: t("stopped at cell {cell}: the notebook ran past its {seconds} s limit",
                             cell=cell, seconds=seconds)),
    (r"cell (?P<cell>\d+) ran past the (?P<seconds>\d+) s cell limit and was interrupted",
     lambda cell, seconds: t("cell {cell} ran past the {seconds} s cell limit and was interrupted",
                             cell=cell, seconds=seconds)),
    (r"cell (?P<cell>\d+) did not stop when interrupted; .*",
     lambda cell: t("cell {cell} did not stop when interrupted; the kernel was stopped", cell=cell)),
    (r"the kernel died at cell (?P<cell>\d+) .*", lambda cell: t("the kernel died at cell {cell}", cell=cell)),
]


def in_words(problems: str) -> str:
    """The run's problem lines ("; "-separated, English) in the current language; a line
    without a wording of its own says only that the run stopped early."""
    if not problems or current() == "en":
        return problems
    out = []
    for line in problems.split("; "):
        said = next((words(**m.groupdict()) for pattern, words in _PROBLEMS
                     if (m := re.fullmatch(pattern, line))), None)
        out.append(said or t("the run stopped early (your instructor can see why)"))
    return "; ".join(dict.fromkeys(out))


def judge_notebook(executed, ran: list[bool], stopped: str, records: dict[str, list[dict]],
                   judge: Judge = in_process) -> dict[int, CellVerdict]:
    """A verdict for every test cell of an executed notebook, by cell index. A question's work
    must run to its end: code stopped at the time limit before a test (a loop after the graded
    function) costs that question."""
    verdicts, unfinished, budget = {}, None, Budget()
    for i, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        if not is_test_cell(cell):
            unfinished = unfinished if ran[i] else (unfinished or i + 1)
            continue
        why = (stopped if unfinished is None else
               BEFORE.format(cell=unfinished, why=stopped))
        gid = nbgrader_meta(cell)["grade_id"]
        verdicts[i] = judge_cell(cell, gid, records.get(gid, []), ran[i] and unfinished is None,
                                 why, judge, budget)
        unfinished = None
    return verdicts
