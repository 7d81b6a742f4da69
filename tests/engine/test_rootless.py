"""Grading without root: an ordinary user created by the test grades a batch with the sandbox
on (bubblewrap in a user namespace of its own), and gets the grades a root run gets, while an
attack that reads the course from the student's kernel still earns nothing."""
from __future__ import annotations

import csv
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from graders.engine import sandbox
from graders.hub.runtime import build_shim, usable_by_all
from submissions import copy_course, solutions, stubs, submit

ROOT = Path(__file__).resolve().parents[2]
AID = "q01-qubits"
USER = "academy-rootless"
SITE = Path(sysconfig.get_paths()["purelib"])
pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="creates a Unix user: needs root"),
              # the user runs this venv's packages and this checkout's graders/ in place
              pytest.mark.skipif(not (usable_by_all(SITE) and usable_by_all(ROOT / "graders")),
                                 reason="the venv or the checkout is not readable by other users"),
              pytest.mark.xdist_group("engine-rootless")]

READ_SOURCE = '''
import glob, os
found = glob.glob("/work/**/source/q01-qubits/*.ipynb", recursive=True) + \\
        glob.glob(os.path.expanduser("~") + "/../**/source/q01-qubits/*.ipynb", recursive=True)
assert not found, found
def normalise(amplitudes):
    raise RuntimeError("no course in sight")
'''


def python_for_everyone(target: Path) -> str:
    """This interpreter, copied (without its site-packages) where any user can run it: the
    venv's own may live in a private home (pyenv under /root)."""
    base = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    shutil.copytree(base / "bin", target / "bin", ignore=lambda d, names: [
        n for n in names if n not in (version, "python3")])
    shutil.copytree(base / "lib", target / "lib", symlinks=True,
                    ignore=lambda d, names: ["site-packages"] if d.endswith(version) else [])
    for folder, dirs, files in os.walk(target):
        os.chmod(folder, 0o755)
    binary = target / "bin" / version
    # A pyenv build finds libpython through an absolute RUNPATH into the private home: point
    # the copy at its own lib/ instead ($ORIGIN, padded to the same length in .dynstr).
    old = str(base / "lib").encode() + b"\0"
    data = binary.read_bytes()
    if old in data:
        new = b"$ORIGIN/../lib"
        binary.write_bytes(data.replace(old, new + b"\0" * (len(old) - len(new))))
    return str(binary)


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    subprocess.run(["userdel", "-r", USER], capture_output=True)
    subprocess.run(["useradd", "--create-home", "--comment", "academy-test", USER], check=True)
    home = Path(pwd.getpwnam(USER).pw_dir)
    where = Path(f"/opt/{USER}")  # not under /tmp: the sandbox mounts a /tmp of its own
    shutil.rmtree(where, ignore_errors=True)
    prefix = build_shim(where / "venv", python_for_everyone(where / "python"))
    yield home, prefix
    subprocess.run(["userdel", "-r", USER], capture_output=True)
    shutil.rmtree(where, ignore_errors=True)


def as_user(cmd: list[str], cwd: Path, **env) -> subprocess.CompletedProcess:
    entry = pwd.getpwnam(USER)
    return subprocess.run(
        ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--", *cmd],
        cwd=cwd, capture_output=True, text=True, timeout=900,
        env={"PATH": "/usr/bin:/bin", "HOME": entry.pw_dir, "LANG": "C.UTF-8", **env})


def test_an_ordinary_user_grades_in_the_sandbox(user):
    home, prefix = user
    (home / "course").mkdir()
    course = copy_course(ROOT, home / "course", gradebook=True)
    right, stub = solutions(course, AID), stubs(course, AID)
    submit(course, AID, "s1-correct", right)
    submit(course, AID, "s2-reader", {**stub, "q1-normalise": READ_SOURCE})
    subprocess.run(["chown", "-R", f"{USER}:{USER}", str(home)], check=True)

    done = as_user([str(prefix / "bin" / "academy"), "grade", AID, "--workers", "1"], course,
                   ACADEMY_VARIANTS="1")
    assert done.returncode == 0, done.stdout + done.stderr
    with open(course / "exports" / f"{AID}-grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert rows["s1-correct"]["total"] == rows["s1-correct"]["max_total"] == "18"
    assert rows["s2-reader"][f"{AID}:q1-normalise-test"] == "0"
    # the kernel found nothing of the course: its error was the answer's own, not the assert
    feedback = (course / "feedback" / "s2-reader" / AID / f"{AID}.html").read_text(encoding="utf-8")
    assert "no course in sight" in feedback
    assert not list(course.glob("**/*.tmp"))


def test_without_user_namespaces_the_grader_says_what_it_needs(monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)

    def refused(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, "", "bwrap: No permissions to creating new namespace\n")
    monkeypatch.setattr(sandbox.subprocess, "run", refused)
    why = sandbox.sandbox_problem()
    assert why.startswith("grading without root needs unprivileged user namespaces") and "\n" not in why
