"""Run one notebook in a fresh kernel inside a :class:`~.sandbox.Sandbox`, under time and
output limits, and always leave nothing behind (no kernel, socket or bwrap process).

nbclient executes the cells (errors stay in the outputs, as with nbgrader's ``allow_errors``);
this module adds what grading untrusted code needs around it:

- the kernel command is always ours (``python -m ipykernel_launcher``) whatever kernelspec the
  notebook names, wrapped by the sandbox; it talks over unix sockets in scratch;
- each cell has a wall-time limit: at the limit the kernel is interrupted (an interrupt
  *message*: a signal would reach bwrap, not the kernel), and a kernel still busy after a
  short grace is killed and the run stops; the notebook as a whole has a deadline too;
- outputs are counted while they arrive, and beyond the limits they are dropped, so a flood
  never fills the grader's memory.

Cells are counted from 1 in problem messages, as a reader of the notebook counts them.
"""
from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import zmq
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from traitlets import Integer

from ..errors import AcademyError
from .sandbox import (OBSERVATION_MIME, Limits, Sandbox, children_of, processes_in_pidns,
                      processes_in_session)

log = logging.getLogger(__name__)

STARTUP_SECONDS = 60  # a loaded grading machine can take a while to import ipykernel
INTERRUPT_GRACE_SECONDS = 5.0  # after an interrupt, before the kernel is killed
# After a cell's reply, how long its last outputs may take to arrive. More than nbclient's 4 s:
# a cell that printed a flood is still being read (and cut) when its reply comes.
IOPUB_SECONDS = 10
GONE_SECONDS = 10.0  # how long to wait for the sandbox's processes to disappear
# Messages the client never stores: they carry no output.
UNCOUNTED = {"status", "execute_input", "clear_output"}


@dataclass
class RunResult:
    nb: NotebookNode  # the executed notebook (outputs filled in)
    problems: list[str]  # one line each, for the instructor
    executed: list[bool]  # per cell: did it run to the end (no timeout, not skipped, output read)
    seconds: float


def run_notebook(nb: NotebookNode, sandbox: Sandbox, limits: Limits, env: dict[str, str]) -> RunResult:
    """Execute every code cell in order in a fresh kernel inside the sandbox; never raises for
    anything the notebook does (errors stay in outputs, like nbgrader's Execute with
    allow_errors); raises AcademyError only if the sandbox itself cannot start. ``nb`` is not
    modified: the result holds an executed copy."""
    return run_sync(_run)(copy.deepcopy(nb), sandbox, limits, env)


class _SandboxKernelManager(AsyncKernelManager):
    """Writes the connection file for the sandbox uid to read (jupyter_client makes it 0600),
    and gives its clients a message size limit."""

    sandbox_uid = Integer(None, allow_none=True)
    max_message = Integer(-1)

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        # A peer sending a larger message is disconnected by zmq before it is read into memory.
        kc.context.setsockopt(zmq.MAXMSGSIZE, self.max_message)
        return kc

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox_uid is not None:
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)


class _CappedClient(NotebookClient):
    """nbclient with output limits applied as messages arrive: past a limit every further
    output of that kind (observations, everything else) is dropped, and one problem said."""

    def __init__(self, nb: NotebookNode, km: AsyncKernelManager, limits: Limits) -> None:
        super().__init__(nb, km=km, timeout=None, allow_errors=True, record_timing=False,
                         startup_timeout=STARTUP_SECONDS, iopub_timeout=IOPUB_SECONDS)
        self.left = {"output": limits.output_bytes, "observation": limits.observation_bytes}
        self.caps = {"output": f"output beyond {limits.output_bytes:,} bytes was dropped",
                     "observation": f"observations beyond {limits.observation_bytes:,} bytes were dropped"}
        self.problems: list[str] = []
        self.idle: set[int] = set()  # cells whose end the kernel announced on iopub

    def process_message(self, msg, cell, cell_index):
        content = msg["content"]
        if msg["msg_type"] == "status" and content.get("execution_state") == "idle":
            self.idle.add(cell_index)
        if msg["msg_type"] not in UNCOUNTED:
            kind = "observation" if _is_observation(msg) else "output"
            size, left = _size(msg), self.left[kind]
            if size > left:
                if left < 0:
                    return None
                self.problems.append(self.caps[kind])
                self.left[kind] = -1  # nothing more of this kind, however small
                if msg["msg_type"] != "stream":
                    return None
                # the head of a printed flood is worth keeping: it shows what was printed
                text = content["text"].encode()[:max(left - 100, 0)].decode(errors="ignore")
                msg = {**msg, "content": {**content, "text": text}}
            else:
                self.left[kind] -= size
        return super().process_message(msg, cell, cell_index)


def _is_observation(msg: dict) -> bool:
    data = msg["content"].get("data")
    return isinstance(data, dict) and OBSERVATION_MIME in data


def _size(msg: dict) -> int:
    """Bytes the message would add to the notebook (its content as JSON, plus binary buffers)."""
    content = json.dumps(msg["content"], default=str, ensure_ascii=False).encode()
    return len(content) + sum(len(b) for b in msg.get("buffers") or [])


def _kernel_manager(sandbox: Sandbox, limits: Limits) -> _SandboxKernelManager:
    runtime = sandbox.runtime_dir
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
            "--HistoryManager.hist_file=:memory:"]
    spec = KernelSpec(argv=sandbox.kernel_argv(argv, limits), display_name="academy sandbox",
                      language="python", interrupt_mode="message", env={}, metadata={})
    km = _SandboxKernelManager(transport="ipc", ip=str(runtime / "k"),
                               connection_file=str(runtime / "kernel.json"),
                               sandbox_uid=sandbox.uid if sandbox.own_uid else None,
                               max_message=_max_message(limits))
    km._kernel_spec = spec  # ours, not the notebook's (a student may have edited it)
    return km


def _max_message(limits: Limits) -> int:
    """The largest message the grader accepts from the kernel. Generous: ipykernel sends what
    was printed in each 0.2 s as one message (35 MB measured for a print loop), and those must
    arrive to be counted and cut; what this stops is one message of gigabytes."""
    return 4 * max(limits.output_bytes, limits.observation_bytes) + 2**20


async def _run(nb: NotebookNode, sandbox: Sandbox, limits: Limits, env: dict[str, str]) -> RunResult:
    started = time.monotonic()
    sandbox.prepare()
    try:
        km = _kernel_manager(sandbox, limits)
    except BaseException:
        sandbox.release()
        raise
    client = _CappedClient(nb, km, limits)
    problems = client.problems  # one list, in the order things happened
    executed = [False] * len(nb.cells)
    namespace = None
    tasks_before = asyncio.all_tasks()
    with tempfile.TemporaryFile() as stderr:
        try:
            await _start(client, km, sandbox, env, stderr)
            if sandbox.enabled:
                sandbox.seal()
                namespace = _pid_namespace(km)
            await _cells(client, km, limits, executed, problems)
        finally:
            await _stop(client, km, sandbox, namespace)
            await _cancel_new_tasks(tasks_before)
    return RunResult(nb, problems, executed, time.monotonic() - started)


async def _start(client: _CappedClient, km: AsyncKernelManager, sandbox: Sandbox,
                 env: dict[str, str], stderr) -> None:
    """Start the kernel and wait until it answers; AcademyError with bwrap's or the kernel's
    last words if it does not."""
    try:
        await km.start_kernel(env=sandbox.kernel_env(env), cwd=str(sandbox.scratch),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        await client.async_start_new_kernel_client()
    except Exception as exc:
        stderr.seek(0)
        lines = stderr.read()[-4000:].decode(errors="replace").strip().splitlines()
        why = lines[-1] if lines else f"{type(exc).__name__}: {exc}"
        raise AcademyError(f"the sandboxed kernel did not start: {why}") from exc


async def _cells(client: _CappedClient, km: AsyncKernelManager, limits: Limits,
                 executed: list[bool], problems: list[str]) -> None:
    """Run the cells in order until the end, a dead or killed kernel, or the deadline."""
    deadline = time.monotonic() + limits.notebook_seconds
    for index, cell in enumerate(client.nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            executed[index] = True  # nothing to run: reached is enough
            continue
        executed[index], stop = await _cell(client, km, limits, index, deadline, problems)
        if stop:
            return


async def _cell(client: _CappedClient, km: AsyncKernelManager, limits: Limits, index: int,
                deadline: float, problems: list[str]) -> tuple[bool, bool]:
    """Run one code cell: (it ran to its end with all its output, the run must stop here)."""
    number = index + 1
    late = f"stopped at cell {number}: the notebook ran past its {limits.notebook_seconds} s limit"
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        problems.append(late)
        return False, True
    task = asyncio.ensure_future(client.async_execute_cell(
        client.nb.cells[index], index, execution_count=client.code_cells_executed + 1))
    state = await _finished(task, min(limits.cell_seconds, remaining))
    ran = state == "done"
    if state == "running":
        if remaining < limits.cell_seconds:
            problems.append(late)
            await _kill(km, task)
            return False, True
        problems.append(f"cell {number} ran past the {limits.cell_seconds} s cell limit "
                        "and was interrupted")
        await km.interrupt_kernel()
        state = await _finished(task, min(INTERRUPT_GRACE_SECONDS, max(deadline - time.monotonic(), 0.5)))
        if state == "running":
            problems.append(f"cell {number} did not stop when interrupted; the kernel was "
                            "killed and the cells after it did not run")
            await _kill(km, task)
            return False, True
    if state == "died":
        problems.append(_died(km, number))
        return False, True
    if state != "done":  # nbclient failed on what the kernel sent: the kernel is the student's
        problems.append(f"stopped at cell {number}: the grader could not read what the kernel "
                        f"sent ({state})")
        await _kill(km)
        return False, True
    if index not in client.idle:
        # zmq cut the output channel for good (a message over the size limit is a protocol
        # error): nothing more could be read, so running on would only lose observations.
        problems.append(f"stopped after cell {number}: its output channel was cut (a message "
                        f"over {_max_message(limits):,} bytes?), later output could not be read")
        await _kill(km)
        return False, True
    return ran, False


async def _finished(task: asyncio.Future, seconds: float) -> str:
    """What became of a cell's task after at most ``seconds``: "running", "done" (errors
    included: they are outputs), "died" (the kernel), or the exception nbclient raised."""
    await asyncio.wait({task}, timeout=seconds)
    if not task.done():
        return "running"
    exc = task.exception()
    if exc is None:
        return "done"
    if isinstance(exc, DeadKernelError):
        return "died"
    return f"{type(exc).__name__}: {exc}"[:200]


def _died(km: AsyncKernelManager, number: int) -> str:
    """The problem line for a kernel found dead, with what its exit status tells."""
    process = getattr(km.provisioner, "process", None)
    status = process.poll() if process is not None else None
    # bwrap reports a child killed by signal N as 128 + N; Popen reports -N for a plain kernel
    signum = -status if status is not None and status < 0 else \
        status - 128 if status is not None and status > 128 else None
    if signum == signal.SIGXCPU:
        why = "CPU time limit"
    elif signum is not None:
        why = f"killed by {signal.Signals(signum).name}"
    else:
        why = f"exit status {status}; memory limit or os._exit?"
    return f"the kernel died at cell {number} ({why})"


async def _kill(km: AsyncKernelManager, task: asyncio.Future | None = None) -> None:
    """SIGKILL the kernel's process group (bwrap takes its namespace down with it) and wait
    for it; then let nbclient notice (it checks every second) so the cell's task ends by
    itself rather than leaving its helpers running."""
    if km.has_kernel:
        await km.provisioner.kill()
        try:
            await asyncio.wait_for(km.provisioner.wait(), timeout=5)
        except asyncio.TimeoutError:
            pass
    if task is None:
        return
    await asyncio.wait({task}, timeout=3)
    if not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1)
    elif not task.cancelled():
        task.exception()  # retrieved: DeadKernelError, expected


def _pid_namespace(km: AsyncKernelManager) -> str | None:
    """The sandbox's pid namespace, read from bwrap's child (the namespace's init)."""
    for pid in children_of(km.provisioner.pid):
        try:
            return os.readlink(f"/proc/{pid}/ns/pid")
        except OSError:
            pass
    return None


async def _stop(client: _CappedClient, km: AsyncKernelManager, sandbox: Sandbox,
                namespace: str | None) -> None:
    """Stop channels, kill the kernel, remove its files, and wait until every process it
    started is gone (in the sandbox: its pid namespace; without: its session). Each step runs
    even if one before failed (nbclient has already cleaned up after a failed start)."""
    session = km.provisioner.pid if km.provisioner is not None else None
    steps = [_close_client(client), _kill(km), km.cleanup_resources()]
    if namespace is not None:
        steps.append(_reap(lambda: processes_in_pidns(namespace)))
    elif session is not None and not sandbox.enabled:
        steps.append(_reap(lambda: processes_in_session(session)))
    for step in steps:
        try:
            await step
        except Exception as exc:  # cleanup goes on; the run's own outcome matters more
            log.debug("kernel cleanup step failed: %s", exc)
    sandbox.release()


async def _cancel_new_tasks(before: set[asyncio.Task]) -> None:
    """Cancel what nbclient left running (after a failed cell it can leave its kernel-alive
    poll behind), so nothing of this run wakes up in a later one."""
    left = asyncio.all_tasks() - before - {asyncio.current_task()}
    for task in left:
        task.cancel()
    if left:
        await asyncio.wait(left, timeout=1)


async def _close_client(client: _CappedClient) -> None:
    if client.kc is not None:
        client.kc.stop_channels()
        client.kc = None


async def _reap(find) -> None:
    """SIGKILL what ``find`` lists until it lists nothing (or give up after GONE_SECONDS)."""
    end = time.monotonic() + GONE_SECONDS
    while (pids := find()) and time.monotonic() < end:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        await asyncio.sleep(0.05)
