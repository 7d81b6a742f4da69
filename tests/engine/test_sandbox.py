"""The grading sandbox and the notebook runner: what a student's kernel can reach, and the
limits that stop it. Each test runs a small notebook built here in a real kernel.

Every test has a uid of its own (UID + n, outside the 61000-64999 range the engine gives its
workers): RLIMIT_NPROC counts per uid, and tests run in parallel.
"""
from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
from graders.engine import run as run_module
from graders.engine.run import run_notebook
from graders.engine.sandbox import (OBSERVATION_MIME, Limits, Sandbox, processes_of,
                                    sandbox_problem)
from graders.errors import AcademyError

UID = 60900
PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
SOURCE_NB = ROOT / "source" / "q01-qubits" / "q01-qubits.ipynb"
LIMITS = Limits(cell_seconds=20, notebook_seconds=60)
# The probe's tests share one run (a module fixture, so one xdist worker): its uid is theirs.
probe_group = pytest.mark.xdist_group("sandbox-probe")


def notebook(*sources: str):
    return new_notebook(cells=[new_code_cell(s) for s in sources])


def run(tmp_path: Path, nb, uid: int, limits: Limits = LIMITS, enabled: bool = True, env=None):
    result = run_notebook(nb, Sandbox(tmp_path / "scratch", uid=uid, enabled=enabled), limits,
                          env or {})
    if enabled:  # whatever happened, nothing of the kernel is left
        assert processes_of(uid) == []
    return result


def texts(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def errors(cell) -> list[str]:
    return [o.ename for o in cell.outputs if o.output_type == "error"]


# One notebook probes what the kernel can reach; the tests below read its answers.
PROBE = r'''
import json, os, socket
def attempt(action):
    try:
        return {"ok": action()}
    except BaseException as exc:
        return {"refused": type(exc).__name__}

def write(path, size=1):
    with open(path, "w") as fh:
        fh.write("x" * size)
    return path

def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=3):
        return port

import glob
runtime = glob.glob("/tmp/academy-kernel-*")[0]  # the sockets' folder, bound from outside
sock = next(n for n in sorted(os.listdir(runtime)) if n.startswith("k-"))
print(json.dumps({
    "uid": os.getuid(),
    "cwd": os.getcwd(),
    "env": sorted(os.environ),
    "source": attempt(lambda: open(SOURCE).read(10)),
    "list_root": attempt(lambda: sorted(os.listdir(ROOT))),
    "gradebook": attempt(lambda: open(GRADEBOOK, "rb").read(10).decode()),
    "home_of_root": sorted(os.listdir("/root")),
    "pwned": attempt(lambda: write(ROOT + "/pwned.txt")),
    "scratch": attempt(lambda: write("mine.txt")),
    "tmp": attempt(lambda: write("/tmp/mine.txt")),
    "big_file": attempt(lambda: write("big.txt", 65 * 2**20)),  # RLIMIT_FSIZE is 64 MB
    "outside_tmp": attempt(lambda: write("/elsewhere.txt")),
    "network": attempt(lambda: connect(PORT)),
    "swap_socket": attempt(lambda: os.rename(os.path.join(runtime, sock), os.path.join(runtime, "x"))),
    "remove_socket": attempt(lambda: os.unlink(os.path.join(runtime, sock))),
    "move_runtime": attempt(lambda: os.rename(runtime, runtime + "-moved")),
}))
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """Run the probe once in the sandbox, with a secret in the grader's environment, a
    gradebook beside the scratch folder and a TCP server listening on the grader's loopback."""
    if PROBLEM is not None:
        pytest.skip(f"no sandbox here: {PROBLEM}")
    tmp = tmp_path_factory.mktemp("probe")
    gradebook = tmp / "gradebook.db"
    gradebook.write_bytes(b"SQLite format 3\x00")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=3).close()  # reachable from outside
    setup = (f"SOURCE, ROOT, GRADEBOOK, PORT = {str(SOURCE_NB)!r}, {str(ROOT)!r}, "
             f"{str(gradebook)!r}, {port}")
    nb = notebook("import qiskit, graders.checks\nprint(qiskit.__version__)", setup, PROBE)
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "python"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACADEMY_DB_URL", "postgresql://grader:secret@db/gradebook")
        try:
            started = time.monotonic()
            result = run(tmp, nb, UID, env={"ACADEMY_STUDENT": "alice"})
            seconds = time.monotonic() - started
        finally:
            server.close()
    answers = json.loads(texts(result.nb.cells[2]))
    return result, answers, tmp / "scratch", seconds, nb


@probe_group
def test_a_normal_notebook_runs_with_qiskit_and_the_graders_package(probe):
    result, answers, scratch, seconds, original = probe
    assert result.problems == []
    assert result.executed == [True, True, True]
    assert texts(result.nb.cells[0]).strip() == __import__("qiskit").__version__
    assert answers["uid"] == UID and answers["cwd"] == str(scratch)
    assert result.seconds <= seconds
    assert all(not cell.outputs for cell in original.cells)  # the caller's notebook is untouched


@probe_group
def test_the_course_directory_and_the_gradebook_are_out_of_reach(probe):
    _, answers, _, _, _ = probe
    assert SOURCE_NB.exists()
    assert answers["source"] == answers["gradebook"] == {"refused": "FileNotFoundError"}
    # the course root exists inside only as the way to the venv and the package
    assert set(answers["list_root"].get("ok", [])) <= {".venv", "graders"}
    assert "refused" in answers["pwned"]
    assert not (ROOT / "pwned.txt").exists()
    # /root holds nothing but the way to the Python installation
    assert set(answers["home_of_root"]) <= {".pyenv"}
    assert answers["outside_tmp"] == {"refused": "OSError"}  # read-only file system


@probe_group
def test_the_kernel_writes_in_scratch_and_its_private_tmp_only(probe):
    _, answers, scratch, _, _ = probe
    assert answers["scratch"] == {"ok": "mine.txt"}
    assert (scratch / "mine.txt").read_text() == "x"
    assert (scratch / "mine.txt").stat().st_uid == UID
    assert answers["tmp"] == {"ok": "/tmp/mine.txt"}
    assert answers["big_file"] == {"refused": "OSError"}  # File too large
    assert (scratch / "big.txt").stat().st_size == 64 * 2**20
    assert not Path("/tmp/mine.txt").exists()


@probe_group
def test_the_kernel_has_no_network(probe):
    _, answers, _, _, _ = probe
    assert "refused" in answers["network"], answers["network"]


@probe_group
def test_the_kernel_cannot_swap_its_sockets(probe):
    """A socket replaced by a link to another socket on the grading machine would have the
    grader (root) connect there on a reconnect."""
    _, answers, _, _, _ = probe
    assert answers["swap_socket"] == answers["remove_socket"] == {"refused": "PermissionError"}
    assert answers["move_runtime"] == {"refused": "PermissionError"}  # the grader's, in sticky /tmp


@probe_group
def test_the_kernel_environment_holds_only_what_is_given(probe):
    _, answers, _, _, _ = probe
    env = set(answers["env"])
    assert "ACADEMY_DB_URL" not in env and "JPY_PARENT_PID" not in env
    given = set(Sandbox(Path("/x")).kernel_env({"ACADEMY_STUDENT": "alice"}))
    # set by the kernel itself (IPython's pager and colours), by Python (C locale coercion)
    # and by bwrap (--chdir)
    own = {"CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "GIT_PAGER", "PAGER", "TERM",
           "PYDEVD_USE_FRAME_EVAL", "LC_CTYPE", "PWD"}
    assert env - own == given


@needs_sandbox
def test_a_busy_cell_is_interrupted_at_the_cell_limit_and_the_next_runs(tmp_path):
    limits = Limits(cell_seconds=2, notebook_seconds=60)
    result = run(tmp_path, notebook("while True: pass", "print('after')"), UID + 1, limits)
    assert result.problems == ["cell 1 ran past the 2 s cell limit and was interrupted"]
    assert result.executed == [False, True]
    assert errors(result.nb.cells[0]) == ["KeyboardInterrupt"]
    assert texts(result.nb.cells[1]) == "after\n"


@needs_sandbox
def test_a_cell_that_ignores_the_interrupt_is_killed_and_the_run_ends(tmp_path):
    limits = Limits(cell_seconds=2, notebook_seconds=60)
    stubborn = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass"
    result = run(tmp_path, notebook("print('before')", stubborn, "print('after')"), UID + 2, limits)
    assert result.problems == [
        "cell 2 ran past the 2 s cell limit and was interrupted",
        "cell 2 did not stop when interrupted; the kernel was killed and the cells after it did not run"]
    assert result.executed == [True, False, False]
    assert texts(result.nb.cells[0]) == "before\n" and result.nb.cells[2].outputs == []
    assert result.seconds < 2 + run_module.INTERRUPT_GRACE_SECONDS + 15


@needs_sandbox
def test_the_notebook_deadline_stops_the_run(tmp_path):
    limits = Limits(cell_seconds=10, notebook_seconds=5)
    nap = "import time; time.sleep(3)"
    result = run(tmp_path, new_notebook(cells=[new_code_cell(nap), new_code_cell(nap),
                                               new_markdown_cell("text"), new_code_cell(nap)]),
                 UID + 3, limits)
    assert result.problems == ["stopped at cell 2: the notebook ran past its 5 s limit"]
    assert result.executed == [True, False, False, False]


@needs_sandbox
def test_a_memory_bomb_fails_inside_and_the_grader_goes_on(tmp_path):
    result = run(tmp_path, notebook("x = bytearray(8 * 1024**3)", "print('alive')"), UID + 4)
    died = [p for p in result.problems if "kernel died" in p]
    if died:  # allowed outcome, but then it must be said
        assert result.executed[0] is False
    else:
        assert errors(result.nb.cells[0]) == ["MemoryError"]
        assert texts(result.nb.cells[1]) == "alive\n"
        assert result.executed == [True, True]


@needs_sandbox
def test_a_process_bomb_is_bounded_and_cleaned_up(tmp_path):
    bomb = ("import subprocess\nstarted, error = [], None\n"
            "for _ in range(200):\n"
            "    try:\n"
            "        started.append(subprocess.Popen(['sleep', '30']))\n"
            "    except OSError as exc:\n"
            "        error = type(exc).__name__\n"
            "        break\n"
            "print(len(started), error)")
    uid = UID + 5
    result = run(tmp_path, notebook(bomb), uid)  # run() also checks that none is left
    count, error = texts(result.nb.cells[0]).split()
    assert 0 < int(count) < LIMITS.processes
    assert error == "BlockingIOError"  # fork: Resource temporarily unavailable


@needs_sandbox
def test_an_output_flood_is_capped_while_it_arrives(tmp_path):
    flood = "for _ in range(10**5): print('x' * 1000)"  # 100 MB, stops by itself
    limits = Limits(cell_seconds=60, notebook_seconds=120)
    result = run(tmp_path, notebook(flood, "print('after')"), UID + 6, limits)
    assert result.problems == ["output beyond 1,000,000 bytes was dropped"]
    size = sum(len(json.dumps(o)) for cell in result.nb.cells for o in cell.outputs)
    assert 900_000 < size <= limits.output_bytes + 1_000
    assert texts(result.nb.cells[0]).startswith("x" * 1000 + "\n")
    assert result.nb.cells[1].outputs == []  # nothing more, however small
    assert result.executed == [True, True]


@needs_sandbox
def test_observations_have_their_own_cap(tmp_path):
    observe = ("from IPython.display import display\n"
               f"for i in range(20): display({{{OBSERVATION_MIME!r}: {{'v': 'x' * 1_000_000}}}}, raw=True)")
    result = run(tmp_path, notebook(observe, "print('after')"), UID + 7)
    assert result.problems == ["observations beyond 16,000,000 bytes were dropped"]
    kept = [o for o in result.nb.cells[0].outputs if OBSERVATION_MIME in o.get("data", {})]
    assert len(kept) == 15
    assert texts(result.nb.cells[1]) == "after\n"  # ordinary output still has its budget


@needs_sandbox
def test_a_message_too_large_to_read_ends_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(run_module, "IOPUB_SECONDS", 2)
    huge = "from IPython.display import display\ndisplay({'text/plain': 'x' * 100_000_000}, raw=True)"
    result = run(tmp_path, notebook(huge, "print('after')"), UID + 8)
    assert result.problems == ["stopped after cell 1: its output channel was cut (a message "
                               "over 65,048,576 bytes?), later output could not be read"]
    assert result.executed == [False, False]


@needs_sandbox
def test_os_exit_kills_the_kernel_and_stops_the_run(tmp_path):
    result = run(tmp_path, notebook("print('before')", "import os; os._exit(1)", "print('after')"),
                 UID + 9)
    assert result.problems == ["the kernel died at cell 2 (exit status 1; memory limit or os._exit?)"]
    assert result.executed == [True, False, False]
    assert result.nb.cells[2].outputs == []


@needs_sandbox
def test_the_cpu_limit_kills_the_kernel_and_says_so(tmp_path):
    limits = Limits(cell_seconds=20, notebook_seconds=60, cpu_seconds=2)  # start-up counts too
    result = run(tmp_path, notebook("while True: pass", "print('after')"), UID + 13, limits)
    assert result.problems == ["the kernel died at cell 1 (CPU time limit)"]
    assert result.executed == [False, False]


@needs_sandbox
def test_a_malformed_message_from_the_kernel_stops_the_run_without_raising(tmp_path):
    forged = ("k = get_ipython().kernel\n"
              "k.session.send(k.iopub_socket, 'display_data', content={}, parent=k.get_parent())")
    result = run(tmp_path, notebook(forged, "print('after')"), UID + 14)
    assert [p[:77] for p in result.problems] == [
        "stopped at cell 1: the grader could not read what the kernel sent (KeyError: "]
    assert result.executed == [False, False]


@needs_sandbox
def test_a_kernel_that_cannot_start_is_an_academy_error(tmp_path):
    with pytest.raises(AcademyError, match="the sandboxed kernel did not start"):
        run(tmp_path, notebook("1"), UID + 10, Limits(cell_seconds=5, notebook_seconds=10, memory_mb=16))


def test_without_the_sandbox_the_cell_limit_still_holds(tmp_path):
    limits = Limits(cell_seconds=2, notebook_seconds=60)
    result = run(tmp_path, notebook("while True: pass", "import os; print(os.getcwd())"),
                 UID + 11, limits, enabled=False)
    assert result.problems == ["cell 1 ran past the 2 s cell limit and was interrupted"]
    assert result.executed == [False, True]
    assert texts(result.nb.cells[1]).strip() == str(tmp_path / "scratch")


@needs_sandbox
def test_sandbox_problem_is_none_here():
    assert sandbox_problem() is None


def test_sandbox_problem_says_when_bubblewrap_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert sandbox_problem() == "bubblewrap is not installed (apt-get install bubblewrap)"


@pytest.mark.parametrize("field", ["cell_seconds", "memory_mb", "output_bytes"])
def test_limits_must_be_positive(field):
    values = {"cell_seconds": 5, "notebook_seconds": 10, field: 0}
    with pytest.raises(AcademyError, match=f"limit {field} must be a positive whole number"):
        Limits(**values)


def test_cpu_limit_defaults_to_the_notebook_limit_plus_30_seconds():
    assert Limits(cell_seconds=5, notebook_seconds=100).cpu == 130
    assert Limits(cell_seconds=5, notebook_seconds=100, cpu_seconds=7).cpu == 7


@needs_sandbox
def test_the_sandbox_binds_the_runtime_and_scratch_but_not_the_course(tmp_path):
    sandbox = Sandbox(tmp_path / "scratch", uid=UID + 12, enabled=False)  # no chown needed
    with pytest.raises(AcademyError, match="prepare"):
        Sandbox(tmp_path / "scratch").kernel_argv(["python"], LIMITS)
    sandbox.prepare()
    try:
        sandbox.enabled = True
        argv = sandbox.kernel_argv(["python"], LIMITS)
    finally:
        sandbox.release()
    assert sandbox.runtime_dir is None
    binds = {argv[i + 1] for i, a in enumerate(argv) if a in ("--ro-bind", "--bind")}
    assert str(ROOT) not in binds and str(ROOT / "source") not in binds
    assert str(ROOT / "graders") in binds  # the editable install maps `graders` here
    assert str(tmp_path / "scratch") in binds
    assert argv[-1] == "python" and f"--reuid={UID + 12}" in argv and "--unshare-net" in argv
