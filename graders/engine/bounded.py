"""Judging within bounds: every check call of a submission is judged in a child process that
the coordinator can stop, so that no observation can cost the coordinator more than
JUDGE_SECONDS or JUDGE_MEMORY_MB, whatever it holds.

An observation is plain data of bounded size, but judging it can still cost without bound:
a circuit's gates can nest definitions ten deep, a dict can hold a million keys. Two layers
stop that. Before computing anything, an observation is compared with what its reference
allows: data no deeper and no larger than a few times the reference (or fixed caps where the
reference is a rule, not a value), circuits as wide as the reference (checks.quantum). Then
the check's judge runs in this child, whose address space is capped at what it had after
importing the checks plus JUDGE_MEMORY_MB, under a wall-time limit per call. A call over a
limit fails that one check with the reason; the child is replaced and the batch goes on.
"""
from __future__ import annotations

import multiprocessing
import resource
import time
from dataclasses import dataclass, replace
from typing import Any

JUDGE_SECONDS = 2.0  # per check call (wall), and per submission in all (the judge's CPU time)
JUDGE_MEMORY_MB = 256
START_SECONDS = 60  # importing Qiskit on a loaded machine
# Plain data judged against a rule (valid) rather than a reference value: fixed caps.
MAX_DEPTH, MAX_ITEMS = 32, 100_000


@dataclass(frozen=True)
class Line:
    """One check call's outcome, worded for the student, and the judging time it cost (CPU
    seconds in the judge, or the wall time waited for one that was stopped)."""
    passed: bool
    text: str
    seconds: float = 0.0


def shape(data: Any, limit_items: int, limit_depth: int) -> tuple[int, int] | None:
    """(items, depth) of plain data, or None as soon as it has more than ``limit_items`` items
    or is deeper than ``limit_depth``: the walk itself stops early, so it is bounded too."""
    items, depth, stack = 0, 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        items += 1
        depth = max(depth, level)
        if items > limit_items or depth > limit_depth:
            return None
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)
    return items, depth


def over_bounds(observed: Any, reference: Any) -> str | None:
    """Why ``observed`` is too large to judge against ``reference``, or None. The reference
    was made by the instructor's solution: an answer may be a few times larger than it (other
    spellings, extra zeros), never without limit."""
    ref = shape(reference, MAX_ITEMS, MAX_DEPTH) if reference is not None else None
    items, depth = (MAX_ITEMS, MAX_DEPTH) if ref is None else (max(8 * ref[0], 10_000), max(ref[1] + 4, 8))
    if shape(observed, items, depth) is None:
        from ..language import t

        return t("more or deeper data than the task's answer allows (at most {items} values, "
                 "{depth} levels)", items=f"{items:,}", depth=depth)
    return None


def judge_call(observation: Any, record: dict) -> Line:
    """One check call, judged in this process: the student's observation against the
    reference run's record for the same call, in the language of that record (its
    notebook's: the reference run wrote its ``what`` and ``hint`` in it)."""
    from ..language import using

    with using(record.get("language") or "en"):
        return _judge_call(observation, record)


def _judge_call(observation: Any, record: dict) -> Line:
    import base64

    from ..checks.verdict import REGISTRY, failure_text, passed_text
    from ..language import t

    what, hint = record.get("what") or t("your answer"), record.get("hint", "")
    if observation == "oversized":
        return Line(False, failure_text(what, t("your result is too large to judge"), hint))
    if not isinstance(observation, dict) or observation.get("check") != record["check"]:
        return Line(False, failure_text(what, t("the test did not receive a readable result"), hint))
    observed = observation.get("observed")
    why = over_bounds(observed, record.get("reference"))
    if why:
        return Line(False, failure_text(what, t("your result could not be judged: {why}", why=why), hint))
    spec = dict(record.get("spec") or {})
    if "pickled_spec" in record:  # written by the trusted reference run (checks.verdict.record)
        import cloudpickle

        spec.update(cloudpickle.loads(base64.b64decode(record["pickled_spec"])))
    try:
        verdict = REGISTRY[record["check"]].verdict(observed, record["reference"], spec)
    except MemoryError:
        return Line(False, failure_text(what, t("judging your result needed more than {mb} MB",
                                                mb=JUDGE_MEMORY_MB), hint))
    except Exception as exc:  # malformed data that the judge could not read
        return Line(False, failure_text(what, t("your result could not be judged ({error})",
                                                error=type(exc).__name__), hint))
    if verdict.passed:
        return Line(True, passed_text(what))
    return Line(False, failure_text(what, verdict.message, hint, verdict.mistake))


def _cap_memory(megabytes: int) -> None:
    """Cap this process's address space at its present size plus ``megabytes``."""
    with open("/proc/self/status") as fh:
        size_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmSize:"))
    limit = (size_kb * 1024) + megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _serve(conn, memory_mb: int) -> None:
    """The child: import what judges use, cap memory, then judge calls until the pipe closes."""
    from .. import checks  # noqa: F401  (registers every check)
    from qiskit import qpy  # noqa: F401  (imported lazily by the quantum judges: before the cap)
    from qiskit.quantum_info import Operator, Statevector  # noqa: F401
    import cloudpickle  # noqa: F401

    _cap_memory(memory_mb)
    conn.send("ready")
    while True:
        try:
            observation, record = conn.recv()
        except (EOFError, OSError):
            return
        started = time.process_time()
        try:
            line = judge_call(observation, record)
        except MemoryError:
            line = Line(False, f"{record.get('what', 'your answer')}: judging your result needed "
                               f"more than {memory_mb} MB.\nHint: {record.get('hint', '')}")
        conn.send(replace(line, seconds=time.process_time() - started))


class BoundedJudge:
    """The coordinator's side: a child process judging one call at a time. Use as a context
    manager; the child starts on first use and is replaced after any call over a limit."""

    def __init__(self, seconds: float = JUDGE_SECONDS, memory_mb: int = JUDGE_MEMORY_MB):
        self.seconds, self.memory_mb = seconds, memory_mb
        self._process = self._conn = None
        self.restarts = 0

    def __enter__(self) -> "BoundedJudge":
        self._start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        from ..errors import AcademyError

        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, self.memory_mb), daemon=True,
                                        name="academy-judge")
        self._process.start()
        theirs.close()
        self._conn = ours
        if not ours.poll(START_SECONDS) or ours.recv() != "ready":
            self.close()
            raise AcademyError("the judge process did not start")

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._conn.close()
        self._process = self._conn = None

    def judge(self, observation: Any, record: dict, seconds: float | None = None) -> Line:
        """Judge one call within ``seconds`` (default JUDGE_SECONDS)."""
        from ..checks.verdict import failure_text
        from ..language import t, using

        seconds = self.seconds if seconds is None else seconds
        if self._process is None or not self._process.is_alive():
            self._start()
        try:
            self._conn.send((observation, record))
            if self._conn.poll(seconds):
                return self._conn.recv()
            stopped = "time"
        except (EOFError, OSError):
            stopped = "memory"
        self.restarts += 1
        self.close()
        with using(record.get("language") or "en"):
            why = (t("judging your result took longer than {seconds} s", seconds=f"{seconds:.3g}")
                   if stopped == "time" else
                   t("judging your result needed more than {mb} MB or crashed the judge",
                     mb=self.memory_mb))
            what = record.get("what") or t("your answer")
            text = failure_text(what, t("your result could not be judged: {why}", why=why),
                                record.get("hint", ""))
        return Line(False, text, seconds)
