"""Real Unix accounts for a course hub: created with useradd, removed with userdel, and only
ever removed if we made them (their GECOS comment carries a mark)."""
from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

from ..engine.sandbox import processes_of
from ..errors import AcademyError

MARK = "academy-hub"  # GECOS comment of every account made here; nothing else is ever removed


def require_root(what: str) -> None:
    """Creating Unix users and starting servers as them needs root: say so in one line."""
    if os.geteuid() != 0:
        raise AcademyError(f"{what} needs root (it creates Unix users and starts servers as "
                           "them): run it as root, e.g. with sudo")


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def ours(name: str) -> bool:
    """The account exists and was made by ``create_user``."""
    try:
        return pwd.getpwnam(name).pw_gecos.startswith(MARK)
    except KeyError:
        return False


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        line = (done.stderr.strip().splitlines() or ["exit code %d" % done.returncode])[-1]
        raise AcademyError(f"{cmd[0]} {cmd[-1]} failed: {line}")


def create_user(name: str, home: Path | None = None, note: str = "") -> bool:
    """Create ``name`` with its own group and a private (0700) home; False if it already
    existed (an existing account is used as it is, never changed)."""
    if exists(name):
        return False
    cmd = ["useradd", "--create-home", "--shell", "/bin/bash", "--user-group",
           "--comment", f"{MARK} {note}".strip()]
    if home is not None:
        Path(home).parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--home-dir", str(home)]
    _run([*cmd, name])
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)  # students must not read each other's work
    return True


def stop_processes(name: str, grace: float = 5.0) -> None:
    """End what an account made here still runs (servers, kernels), by process id: TERM,
    then KILL after ``grace`` seconds."""
    if not ours(name):
        return
    uid = pwd.getpwnam(name).pw_uid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = processes_of(uid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while pids and processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.1)


def remove_user(name: str) -> bool:
    """Remove an account made by ``create_user`` with its home and group; others are left."""
    if not ours(name):
        return False
    stop_processes(name)
    _run(["userdel", "--remove", name])
    return True
