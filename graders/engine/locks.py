"""Locks that a killed process never leaves stale: ``flock`` on a file, which the kernel
releases when the process holding it dies, however it dies.

- :func:`run_lock`: one `academy grade` run per course and assignment at a time.
- :func:`sandbox_uid`: a uid that no other job on this machine holds, for as long as a job
  runs (RLIMIT_NPROC counts every process of a uid, so two jobs sharing one would share a
  process budget, and one could signal the other's kernel).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

from ..errors import AcademyError

UID_BASE, UID_SPAN = 61000, 4000


@contextlib.contextmanager
def _flocked(path: Path):
    """The open, exclusively locked file, or None if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def run_lock(root: Path, aid: str):
    """Hold the grading lock of ``aid`` in the course at ``root``; a second run is refused."""
    folder = root / ".academy" / "grading"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{aid}.lock"
    with _flocked(path) as fd:
        if fd is None:
            holder = path.read_text(encoding="utf-8").strip() or "another process"
            raise AcademyError(f"{aid} is already being graded in this course (by {holder}); "
                               "wait for that run to finish")
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}\n".encode())
        yield


def _uid_folder() -> Path:
    """Where uid locks live: one folder per grading user (root's under /run when it can)."""
    base = Path("/run") if os.geteuid() == 0 and os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    folder = base / f"academy-uids-{os.geteuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
        raise AcademyError(f"{folder} is not this user's own folder; remove it")
    return folder


@contextlib.contextmanager
def sandbox_uid(busy=lambda uid: False):
    """A uid in [UID_BASE, UID_BASE + UID_SPAN) locked for this job alone, and not ``busy``
    (a uid with processes left from an earlier run is skipped)."""
    folder = _uid_folder()
    start = os.getpid() % UID_SPAN  # spread the first tries of concurrent workers
    for step in range(UID_SPAN):
        uid = UID_BASE + (start + step) % UID_SPAN
        with _flocked(folder / str(uid)) as fd:
            if fd is None or busy(uid):
                continue
            yield uid
            return
    raise AcademyError(f"no free sandbox uid among {UID_SPAN} (too many grading jobs at once?)")
