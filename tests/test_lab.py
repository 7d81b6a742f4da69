"""`academy lab` serves the course with nbgrader's extensions working: formgrader lists the
assignments, Validate runs a notebook, the assignment list answers, the labextension loads."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ACADEMY = str(Path(sys.executable).parent / "academy")
TOKEN = "academy-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(course):
    port = free_port()
    env = {**os.environ, "JUPYTER_TOKEN": TOKEN, "JUPYTER_RUNTIME_DIR": str(course / ".runtime")}
    proc = subprocess.Popen([ACADEMY, "lab", "--port", str(port), "--no-browser",
                             "--root", str(course)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                call(base, "api/status")
                break
            except OSError:
                assert proc.poll() is None, "academy lab exited early"
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def call(base, path, body=None):
    request = urllib.request.Request(f"{base}/{path}", method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"token {TOKEN}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def test_lab_serves_nbgrader(lab, course):
    names = {a["name"] for a in call(lab, "formgrader/api/assignments")}
    assert {"dc01-power", "q01-qubits"} <= names
    extensions = {e["name"] for e in call(lab, "lab/api/extensions")}
    assert "@jupyter/nbgrader" in extensions
    assert call(lab, "assignments?course_id=")["success"]
    result = call(lab, "assignments/validate", {"path": "release/q01-qubits/q01-qubits.ipynb"})
    assert result["success"] and result["value"]["failed"], "the unsolved release must fail"
    assert (course / "gradebook.db").is_file()
