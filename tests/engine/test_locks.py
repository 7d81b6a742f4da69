"""Locks a killed process never leaves stale: one grading run per assignment, one uid per job."""
from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from graders.engine.locks import UID_BASE, UID_SPAN, run_lock, sandbox_uid
from graders.errors import AcademyError


def _hold_run_lock(root, ready, stop):
    with run_lock(root, "q01-qubits"):
        ready.set()
        stop.wait(60)


def _hold_uid(ready, uids, stop):
    with sandbox_uid() as uid:
        uids.put(uid)
        ready.set()
        stop.wait(60)


def _spawn(target, *args):
    context = multiprocessing.get_context("fork")
    ready, stop = context.Event(), context.Event()
    process = context.Process(target=target, args=(*args, ready, stop) if target is _hold_run_lock
                              else (ready, *args, stop))
    process.start()
    assert ready.wait(30)
    return process, stop


def test_a_second_run_of_the_same_assignment_is_refused_until_the_first_dies(tmp_path):
    holder, _ = _spawn(_hold_run_lock, tmp_path)
    with pytest.raises(AcademyError, match=rf"already being graded .*pid {holder.pid}"):
        with run_lock(tmp_path, "q01-qubits"):
            pass
    with run_lock(tmp_path, "q05-grover"):   # another assignment is not held
        pass
    os.kill(holder.pid, signal.SIGKILL)      # killed, not stopped: the kernel frees the lock
    holder.join()
    with run_lock(tmp_path, "q01-qubits"):
        pass


def test_concurrent_jobs_get_different_uids_and_a_busy_uid_is_skipped():
    queue = multiprocessing.get_context("fork").Queue()
    held = [_spawn(_hold_uid, queue) for _ in range(3)]
    uids = {queue.get(timeout=10) for _ in held}
    with sandbox_uid() as mine:
        uids.add(mine)
    assert len(uids) == 4 and all(UID_BASE <= u < UID_BASE + UID_SPAN for u in uids)
    with sandbox_uid(busy=lambda uid: uid % 2 == 0) as odd:
        assert odd % 2 == 1
    for process, stop in held:
        stop.set()
        process.join()
