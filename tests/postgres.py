"""A real PostgreSQL server for the tests, so a PostgreSQL gradebook is tested against the
database it will meet, not a mock.

``postgres_url`` (session) starts one throwaway server per pytest process: its own data
directory under the system temp dir, listening on 127.0.0.1 only (no Unix socket), on a free
port, trust authentication for loopback TCP and nothing else, fsync off (the data is thrown
away). ``fresh_postgres_db`` (per test) creates an empty database on it and drops it after.

Why one server per process rather than one shared through a file lock: a shared server
needs someone to know when the last xdist worker is done with it, which pytest-xdist does
not say; a per-process server stops with its own session. The server starts only in a
process that runs a test asking for it, and the tests that use it share the
``xdist_group("postgres")`` so that under ``--dist loadgroup`` this is one process.

initdb and postgres refuse to run as root; as root the server runs as the system user
``academy-pg`` (created if missing: not Debian's ``postgres`` user, which owns any real
cluster on the machine that a trust-authenticated superuser could otherwise reach).
The server is started under ``setpriv --pdeathsig INT``, so a killed pytest does not leave
it running.
"""
from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"  # Debian and Ubuntu's layout, one folder per version
RUN_AS = "academy-pg"  # the OS user the server runs as when the tests run as root
SUPERUSER = "academy"  # the database superuser initdb creates
START_SECONDS = 30
PORT_ATTEMPTS = 3  # another process may take the free port between our probe and the bind

# Only TCP from loopback, any database, our superuser or any other role: no password.
HBA = "host all all 127.0.0.1/32 trust\n"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",  # no socket file: loopback TCP is the only way in
    "fsync": "off",  # throwaway data: durability only costs time here
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
}


def find_bindir(pattern: str = PG_BIN_GLOB) -> Path | None:
    """The newest installed server's bin/ folder, versions compared as numbers (9.6 < 15)."""
    found = [Path(p) for p in glob.glob(pattern)
             if (Path(p) / "initdb").is_file() and (Path(p) / "postgres").is_file()]

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", path.parent.name))

    return max(found, key=version, default=None)


def install_postgresql() -> str:
    """Install Debian's ``postgresql`` package; return what went wrong, or "" on success.
    Concurrent xdist workers wait for each other on dpkg's lock instead of failing."""
    wait = ["-o", "DPkg::Lock::Timeout=600"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", *wait, "update", "-qq"],
                ["apt-get", *wait, "install", "-y", "-qq", "postgresql"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode:
            return f"`{' '.join(cmd)}` failed: {(done.stderr or done.stdout).strip()[-300:]}"
    return ""


def server_bindir() -> Path:
    """The server binaries; installed with apt when missing and we may, else the test skips."""
    bindir = find_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"no PostgreSQL server in {PG_BIN_GLOB} (install Debian's `postgresql` "
                    "package, or run the tests as root with apt-get to have it installed)")
    problem = install_postgresql()
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is missing and could not be installed: "
                    f"{problem or 'no initdb after the install'}")
    return bindir


def run_as_user() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as (None: run as ourselves, not root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        pass
    done = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                           "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", RUN_AS],
                          capture_output=True, text=True)
    try:  # another xdist worker may have created it first: then useradd failed, harmlessly
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        raise RuntimeError(f"could not create the user {RUN_AS}: {done.stderr.strip()}") from None


def as_user(user: pwd.struct_passwd | None, cmd: list[str]) -> list[str]:
    """``cmd`` dropped to ``user``, and sent SIGINT (PostgreSQL's fast shutdown) if the
    process that started it dies, so a killed test run leaves no server behind."""
    if shutil.which("setpriv") is None:
        if user is not None:
            raise RuntimeError("setpriv (util-linux) is needed to run PostgreSQL as "
                               f"{RUN_AS} when the tests run as root")
        return cmd
    drop = [] if user is None else [f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                                    "--clear-groups"]
    return ["setpriv", *drop, "--pdeathsig", "INT", "--", *cmd]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    workdir: Path
    user: pwd.struct_passwd | None
    port: int = 0
    proc: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self):
        self.log = self.workdir / "server.log"

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    def url(self, dbname: str = "postgres") -> str:
        """A SQLAlchemy URL (SQLAlchemy 2.1 reads ``postgresql://`` as psycopg 3) that is
        also a libpq URI, so psycopg.connect takes it as it is."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def initdb(self) -> None:
        # C locale: byte-order collation, as SQLite's, so ORDER BY on names agrees with it.
        cmd = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
               "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
               "--no-instructions"]
        done = subprocess.run(as_user(self.user, cmd), cwd=self.workdir, capture_output=True,
                              text=True)
        if done.returncode:
            raise RuntimeError(f"initdb failed: {(done.stderr or done.stdout).strip()[-500:]}")
        (self.data / "pg_hba.conf").write_text(HBA)

    def start(self) -> None:
        """Start on a free port, retrying with another if it was taken meanwhile."""
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            settings = [x for k, v in SERVER_SETTINGS.items() for x in ("-c", f"{k}={v}")]
            cmd = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                   *settings]
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(as_user(self.user, cmd), cwd=self.workdir,
                                             stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
            if self._wait_ready():
                return
            if "could not bind" not in self.log.read_text(errors="replace"):
                break
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start; its log ends:\n{self._log_tail()}")

    def _wait_ready(self) -> bool:
        """Wait until this server answers. It must be ours: if another process's server took
        the port first (another xdist worker's has the same superuser), ours fails to bind."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with psycopg.connect(self.url(), connect_timeout=2) as con:
                    data = con.execute("SELECT current_setting('data_directory')").fetchone()[0]
                if Path(data) == self.data:
                    return True
            except psycopg.OperationalError:
                pass
            time.sleep(0.05)
        return False

    def _log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: ends open sessions
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def start_server() -> PostgresServer:
    bindir = server_bindir()
    user = run_as_user()
    workdir = Path(tempfile.mkdtemp(prefix="academy-pg-"))
    if user is not None:
        os.chown(workdir, user.pw_uid, user.pw_gid)
    server = PostgresServer(bindir, workdir, user)
    try:
        server.initdb()
        server.start()
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return server


def create_database(admin_url: str) -> str:
    """Create an empty database on the server at ``admin_url``; return its name."""
    name = f"academy_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as con:  # not allowed in a transaction
        con.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(admin_url: str, name: str) -> None:
    """Drop it, closing any session a test left open (PostgreSQL 13+)."""
    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of the ``postgres`` database on this process's throwaway server (superuser
    ``academy``, no password); the server stops and its files go at the end of the session."""
    server = start_server()
    try:
        yield server.url()
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture
def fresh_postgres_db(postgres_url):
    """The URL of a new, empty database, dropped after the test."""
    name = create_database(postgres_url)
    try:
        yield database_url(postgres_url, name)
    finally:
        drop_database(postgres_url, name)
