"""The box a student's kernel runs in: bubblewrap namespaces, its own uid, and rlimits.

What the kernel may see: the Python runtime and /usr read-only, the ``graders`` package
read-only (test cells import its checks), and its scratch folder read-write (its cwd and HOME).
Nothing else of the course directory (source/ with hidden tests and solutions, gradebook.db,
other submissions) exists inside. It has no network (its own, empty, network namespace), its
own pid namespace (nothing it starts can outlive it), and it runs as an unprivileged uid with
no capabilities and ``no_new_privs``, under memory, CPU, process and file-size rlimits.

How it is started, and why in this order. As root::

    prlimit (rlimits)  ->  bwrap as root (mounts, namespaces)  ->  setpriv (uid, caps)  ->  python

bwrap runs as root (no user namespace) because the paths it binds are not all readable by the
sandbox uid: the venv's python links into /root/.pyenv and /root is mode 700, and an
unprivileged bwrap resolves every source path with the caller's permissions (also for
``--ro-bind-fd``). setpriv then drops to the sandbox uid inside: a uid of its own, not 0, is
what makes RLIMIT_NPROC count (it is not enforced for uid 0) and makes the processes easy to
find.

As an ordinary user (rootless), where unprivileged user namespaces are enabled::

    prlimit (rlimits)  ->  bwrap --unshare-user (mounts, namespaces, uid 1000 inside)  ->  python

bwrap makes a user namespace of its own (Flatpak's model): the same mounts, no network, its
own pid namespace, no capabilities, no_new_privs, and no further user namespaces inside. What
root adds: a uid of the kernel's own outside the namespace. Rootless, the kernel's processes
are the grading user's outside it, so RLIMIT_NPROC counts that user's other processes too (the
limit is raised by their number, as without a sandbox), and the kernel could replace the
socket files in its runtime folder (the grader connects to them once, at start).

``Sandbox(enabled=False)`` (``--unsafe-no-sandbox``) keeps only prlimit.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AcademyError

OBSERVATION_MIME = "application/vnd.academy.observation+json"

# The package the kernel imports (checks, instances, sim). With the editable install the
# finder maps ``graders`` to this very folder, so it is bound at the same path.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
FILE_BYTES = 64 * 1024 * 1024  # RLIMIT_FSIZE: one file in scratch cannot flood the disk
TMP_BYTES = 64 * 1024 * 1024  # size of the kernel's private /tmp (memory-backed)
OPEN_FILES = 1024  # RLIMIT_NOFILE
# What the kernel needs of /etc: fontconfig's settings (matplotlib runs fc-list while it builds
# its font cache; without them it writes "Fontconfig error" to stderr). Nothing else so far.
ETC = ["/etc/fonts"]


@dataclass(frozen=True)
class Limits:
    """What one notebook run may use.

    Memory (RLIMIT_AS, address space, not resident memory), measured in this sandbox's
    kernel (Python 3.11, Qiskit 2.6, qiskit-aer 0.18, numpy 2.4, scipy 1.17, matplotlib 3.11):
    importing them all and running a 3-qubit Aer simulation worked 3 times out of 3 at 1152,
    1280 and 2048 MB; at 1024 MB the cell hung (and ignored the interrupt); at 768 MB it
    failed with MemoryError; at 512 MB the kernel did not start. Address space grows to fill
    whatever the limit allows (VmPeak was within 2 % of it each time). q10 also imports the
    Amazon Braket local simulator (amazon-braket-default-simulator, its own SciPy/OpenBLAS and
    gfortran runtime), which failed at 2048 MB with "failed to map segment from shared
    object"; the default, 4096 MB, runs every module of the course."""

    cell_seconds: int  # wall time per cell
    notebook_seconds: int  # wall time for the whole notebook
    memory_mb: int = 4096  # RLIMIT_AS of the kernel
    processes: int = 64  # RLIMIT_NPROC for the sandbox uid (threads count too)
    output_bytes: int = 1_000_000  # all outputs of the notebook except observations
    observation_bytes: int = 16_000_000  # outputs whose data has the MIME key OBSERVATION_MIME
    cpu_seconds: int | None = None  # RLIMIT_CPU; default notebook_seconds + 30

    def __post_init__(self) -> None:
        for name in ("cell_seconds", "notebook_seconds", "memory_mb", "processes",
                     "output_bytes", "observation_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise AcademyError(f"limit {name} must be a positive whole number, not {value!r}")
        if self.cpu_seconds is not None and (not isinstance(self.cpu_seconds, int) or self.cpu_seconds <= 0):
            raise AcademyError(f"limit cpu_seconds must be a positive whole number, not {self.cpu_seconds!r}")

    @property
    def cpu(self) -> int:
        return self.cpu_seconds if self.cpu_seconds is not None else self.notebook_seconds + 30


def _short_tmp() -> str:
    """/tmp, whatever TMPDIR says: the runtime folder's path must stay short."""
    return "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()


def _tool(name: str) -> str | None:
    """The tool on the grader's PATH, or None."""
    return shutil.which(name)


def sandbox_problem() -> str | None:
    """None when bubblewrap sandboxing works here, else one line saying why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    for tool in ("prlimit", "setpriv"):
        if _tool(tool) is None:
            return f"{tool} is missing (apt-get install util-linux)"
    inner = ["--", _tool("setpriv"), *_drop_args(65000)] if not rootless() else []
    probe = [bwrap, *_namespace_args(), "--ro-bind", "/usr", "/usr", *_system_links(),
             *inner, "--", "/usr/bin/true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30,
                              env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be started: {exc}"
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        if rootless():
            return (f"grading without root needs unprivileged user namespaces, which this "
                    f"machine refuses ({why}); enable them (sysctl user.max_user_namespaces, "
                    "kernel.unprivileged_userns_clone) or grade as root")
        return f"bubblewrap cannot create its namespaces here ({why}); a container needs CAP_SYS_ADMIN"
    return None


def rootless() -> bool:
    """Grading as an ordinary user: the sandbox makes a user namespace of its own."""
    return os.geteuid() != 0


INNER_UID = 1000  # the kernel's uid inside a rootless sandbox (the grading user's, outside)


def _namespace_args() -> list[str]:
    # As root, no user namespace: bwrap runs as root (see the module docstring). --unshare-net
    # leaves the kernel only a loopback interface that nothing else shares.
    user = (["--unshare-user", "--uid", str(INNER_UID), "--gid", str(INNER_UID), "--disable-userns"]
            if rootless() else [])
    return [*user, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent", "--new-session"]


def _drop_args(uid: int) -> list[str]:
    """setpriv options: become ``uid`` with no groups, no capabilities (none inheritable,
    an empty bounding set) and no_new_privs, so a setuid program in /usr gains nothing."""
    return [f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs"]


def _system_links() -> list[str]:
    """/bin, /lib, /lib64, /sbin as on the host: symlinks into /usr on a merged-/usr system
    such as Debian 12, else bound read-only."""
    out = []
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            out += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            out += ["--ro-bind", name, name]
    return out


def _runtime_paths() -> list[str]:
    """What the kernel reads: the interpreter's installation, the venv, the package. Nested
    paths are dropped (bound with their parent); the venv is bound at its own (unresolved)
    path because that is where python finds pyvenv.cfg."""
    # site-packages on sys.path beyond the venv's own: a venv that reuses another's packages
    # through a .pth file (graders/hub/runtime.py's shim) imports from there
    packages = [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")
                and os.path.isdir(p)]
    paths = {os.path.abspath(p) for p in
             (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable)), PACKAGE_DIR, *packages)}
    paths = sorted(p for p in paths if not p.startswith("/usr/") and p != "/usr")
    return [p for p in paths if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in paths)]


def processes(match) -> list[int]:
    """Live pids for which ``match(pid)`` is true; a process that goes away (or hides) while
    ``match`` reads it is left out. Zombies are left out too: they hold nothing, and a pid
    namespace's init stays one until the machine's pid 1 reaps it (about a second here)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if _stat(int(name))[0] not in ("Z", "X") and match(int(name)):
                out.append(int(name))
        except (OSError, IndexError, ValueError):
            pass
    return out


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, pgrp, session, ..."""
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def _real_uid(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("Uid:"))


def processes_in_session(sid: int) -> list[int]:
    """Live pids whose session is ``sid`` (what an unsandboxed kernel and its children share)."""
    return processes(lambda pid: os.getsid(pid) == sid)


def processes_in_pidns(namespace: str) -> list[int]:
    """Live pids in the pid namespace ``namespace`` (as ``os.readlink('/proc/PID/ns/pid')`` names it)."""
    return processes(lambda pid: os.readlink(f"/proc/{pid}/ns/pid") == namespace)


def processes_of(uid: int) -> list[int]:
    """Live pids whose real uid is ``uid``."""
    return processes(lambda pid: _real_uid(pid) == uid)


def children_of(ppid: int) -> list[int]:
    return processes(lambda pid: int(_stat(pid)[1]) == ppid)


@dataclass
class Sandbox:
    """Where and as whom one kernel runs. One uid per concurrent worker slot: RLIMIT_NPROC
    counts every process of the uid, so two kernels sharing a uid share its process budget."""

    scratch: Path  # the only writable place; the kernel's cwd and HOME
    uid: int = 61000  # unprivileged uid the kernel runs as (scratch is chowned to it)
    enabled: bool = True  # False: no bwrap, no uid change; rlimits and time limits still apply

    runtime_dir: Path | None = field(default=None, init=False)  # made by prepare()

    def __post_init__(self) -> None:
        self.scratch = Path(self.scratch).resolve()
        if self.enabled and not 0 < self.uid < 2**31:
            raise AcademyError(f"sandbox uid must be a positive, non-root uid, not {self.uid}")
        if self.enabled and rootless():
            self.uid = os.geteuid()  # the user namespace maps the grading user, and only it

    @property
    def own_uid(self) -> bool:
        """The kernel runs under a uid of its own (root's sandbox), not the grader's."""
        return self.enabled and not rootless()

    def prepare(self) -> None:
        """Create scratch and give it (and what the caller copied in) to the sandbox uid
        (symbolic links are not followed); create the runtime folder. Undo with :meth:`release`.

        The runtime folder holds the connection file and the kernel's unix sockets, bound at
        the same path inside: the kernel shares no network namespace with the grader, only
        folders. It is not in scratch because a socket path must fit in 107 bytes. It is the
        grader's, mode 1777 like /tmp, and a mount point of its own in the sandbox: the kernel
        can create its sockets there but, once :meth:`seal` has taken them back, cannot swap
        one for a link to some other socket on the grading machine for the grader to
        connect to."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.release()
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="academy-kernel-", dir=_short_tmp()))
        if not self.own_uid:  # rootless: scratch and the runtime folder are the user's already
            return
        for folder, dirs, files in os.walk(self.scratch):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                # a hard link's other names may be anywhere: such a file stays the grader's
                if os.path.isdir(name) or os.lstat(name).st_nlink == 1:
                    os.chown(name, self.uid, self.uid, follow_symlinks=False)
        os.chmod(self.runtime_dir, 0o1777)

    def seal(self) -> None:
        """Give the runtime folder's files (sockets, connection file) back to the grader, once
        the kernel has bound its sockets and before any student code runs."""
        if not self.own_uid:
            return
        for entry in os.scandir(self.runtime_dir):
            os.chown(entry.path, os.getuid(), os.getgid(), follow_symlinks=False)

    def release(self) -> None:
        """Remove the runtime folder (scratch is the caller's)."""
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None

    def kernel_env(self, env: dict[str, str]) -> dict[str, str]:
        """The kernel's whole environment: ``env`` plus fixed settings, which win. One thread
        per math library, because parallel workers share the machine's cores."""
        fixed = {
            "HOME": str(self.scratch),
            "PATH": f"{os.path.dirname(os.path.abspath(sys.executable))}:/usr/bin:/bin",
            "MPLBACKEND": "Agg",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **{name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "MKL_NUM_THREADS", "RAYON_NUM_THREADS")},
        }
        return {**env, **fixed}

    def kernel_argv(self, argv: list[str], limits: Limits) -> list[str]:
        """``argv`` wrapped in prlimit, and unless disabled in bwrap and setpriv."""
        tools = {name: _tool(name) for name in ("prlimit", "setpriv", "bwrap")}
        needed = (["prlimit", "bwrap"] + (["setpriv"] if self.own_uid else [])) if self.enabled else ["prlimit"]
        if missing := [n for n in needed if tools[n] is None]:
            why = (sandbox_problem() if self.enabled else None) or f"{', '.join(missing)} not found"
            raise AcademyError(f"cannot start a kernel: {why}")
        # Without a uid of its own RLIMIT_NPROC counts the grader's own processes too (and is
        # not enforced for root): best effort, allow for those already running.
        nproc = limits.processes if self.own_uid else limits.processes + len(processes_of(os.getuid()))
        prlimit = [tools["prlimit"], f"--as={limits.memory_mb * 1024 * 1024}", f"--nproc={nproc}",
                   # soft then hard: SIGXCPU (the kernel dies saying why), SIGKILL 5 s later
                   f"--cpu={limits.cpu}:{limits.cpu + 5}",
                   f"--fsize={FILE_BYTES}", f"--nofile={OPEN_FILES}", "--core=0", "--"]
        if not self.enabled:
            return [*prlimit, *argv]
        drop = ["--", tools["setpriv"], *_drop_args(self.uid)] if self.own_uid else []
        return [*prlimit, tools["bwrap"], *_namespace_args(), *self._mounts(),
                # the kernel lives in its own pid namespace: the grader's pid means nothing there
                "--unsetenv", "JPY_PARENT_PID", *drop, "--", *argv]

    def _mounts(self) -> list[str]:
        made: set[str] = {"/", "/tmp"}
        # /tmp first: a venv or a scratch folder under /tmp is bound on top of it
        out = ["--ro-bind", "/usr", "/usr", *_system_links(), "--proc", "/proc", "--dev", "/dev",
               "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--chmod", "1777", "/tmp"]

        def parents(path: str) -> list[str]:
            # bwrap would create missing parents mode 0700 (root's): make them 0755 so the
            # sandbox uid can walk through, e.g. /root to reach /root/.pyenv/...
            res = []
            for parent in reversed(Path(path).parents):
                p = str(parent)
                if p not in made:
                    made.add(p)
                    res += ["--perms", "0755", "--dir", p]
            return res

        for path in _runtime_paths():
            out += [*parents(path), "--ro-bind", path, path]
        for path in ETC:
            if os.path.exists(path):
                out += [*parents(path), "--ro-bind", path, path]
        scratch = str(self.scratch)
        if self.runtime_dir is None:
            raise AcademyError("Sandbox.prepare() must come before kernel_argv()")
        runtime = str(self.runtime_dir)
        out += [*parents(scratch), "--bind", scratch, scratch, *parents(runtime),
                "--bind", runtime, runtime,
                "--chdir", scratch,
                "--remount-ro", "/"]  # the root tmpfs itself: no files outside scratch and /tmp
        return out
