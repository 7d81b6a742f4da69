"""`academy hub --demo`: a trial course hub on 127.0.0.1 with a demo instructor and three demo
students, each a real Unix account created for the trial and removed when it ends.

Everything lives under one base folder (homes, exchange, hub state, logs), so stopping the
demo removes the accounts it made and that folder, and nothing else. The e2e test drives the
same class, so what the README promises is what the test checks.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import AcademyError
from . import accounts, layout
from .proxy import ensure_proxy
from .runtime import shared_prefix
from .settings import HubSettings, parse_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "hub"
DEMO_BASE = Path("/var/tmp/academy-hub-demo")
COURSE = "quantum-embark"
READY_SECONDS = 90
STOP_SECONDS = 40  # the hub stops each server (SIGINT, 10 s, SIGTERM, ...) before it exits


@dataclass
class DemoPorts:
    hub: int = 8000  # what the browser opens
    hub_api: int = 8081
    proxy_api: int = 8001
    formgrader: int = 9001


@dataclass
class DemoHub:
    """A course hub for a trial. Use as a context manager: on exit (also after an error or
    Ctrl-C) the hub and every server it started stop, and the accounts and folder go."""
    root: Path  # the course checkout to copy into the grader's home
    base: Path = DEMO_BASE
    prefix: str = "demo"  # account names: <prefix>-instructor, <prefix>-student1, ...
    ports: DemoPorts = field(default_factory=DemoPorts)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    log: Path | None = None
    created: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    prefix_dir: Path = Path(sys.prefix)  # the Python environment users' servers run from

    @property
    def grader(self) -> str:
        return f"{self.prefix}-grader"

    @property
    def instructor(self) -> str:
        return f"{self.prefix}-instructor"

    @property
    def students(self) -> list[str]:
        return [f"{self.prefix}-student{i}" for i in (1, 2, 3)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.hub}"

    def home(self, user: str) -> Path:
        return self.base / "home" / user

    @property
    def course_root(self) -> Path:
        return self.home(self.grader) / COURSE

    def settings(self, proxy: str | None = None) -> HubSettings:
        return parse_settings({
            "ip": "127.0.0.1", "port": self.ports.hub, "hub_port": self.ports.hub_api,
            "proxy_api_port": self.ports.proxy_api,
            "state_dir": str(self.base / "state"), "exchange": str(self.base / "exchange"),
            "prefix": str(self.prefix_dir), "authenticator": "shared-password",
            "shared_password": self.password, "proxy_command": [proxy] if proxy else None,
            "courses": [{"id": COURSE, "grader": self.grader, "root": str(self.course_root),
                         "port": self.ports.formgrader, "instructors": [self.instructor],
                         "students": self.students}],
        }, "demo settings")

    # -- start and stop ---------------------------------------------------------------------
    def __enter__(self) -> "DemoHub":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        accounts.require_root("academy hub --demo")
        proxy = ensure_proxy(self.root)
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)  # every account must reach its home and the exchange
        self.prefix_dir = shared_prefix(self.base / "python")
        settings = self.settings(proxy)
        (self.base / "home").mkdir(exist_ok=True)
        os.chmod(self.base / "home", 0o755)
        for user in [self.grader, self.instructor, *self.students]:
            if accounts.exists(user) and not accounts.ours(user):
                raise AcademyError(f"a Unix account {user!r} exists and was not made by the "
                                   "demo: choose another prefix")
            if accounts.create_user(user, self.home(user), note="demo"):
                self.created.append(user)
        layout.prepare(settings, self.root)
        settings_file = self.base / "hub.yaml"
        settings_file.write_text(yaml.safe_dump(settings.model_dump(mode="json")), encoding="utf-8")
        self.log = self.base / "jupyterhub.log"
        env = {**os.environ, "ACADEMY_HUB_SETTINGS": str(settings_file),
               "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "jupyterhub"), "-f",
                 str(DEPLOY / "jupyterhub_config.py")],
                cwd=settings.state_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
                # a hub started from a background job would inherit an ignored SIGINT and
                # pass it on to the servers, which then ignore the hub's polite stop
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.wait_ready()

    @staticmethod
    def _responds(url: str, any_status: bool) -> bool:
        """``url`` answers 200 (or anything at all, with ``any_status``)."""
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return any_status
        except OSError:
            return False

    def wait_ready(self, seconds: float = READY_SECONDS) -> None:
        """Until the hub and the course's formgrader service answer."""
        deadline = time.monotonic() + seconds
        # Through the proxy: 200 once the hub has added its own route (a 404 before that
        # comes from the proxy). The formgrader directly: any answer means it is up.
        wanted = [(f"{self.url}/hub/health", False),
                  (f"http://127.0.0.1:{self.ports.formgrader}/services/{COURSE}/api", True)]
        while wanted and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AcademyError(f"JupyterHub stopped at start (exit {self.proc.returncode}): "
                                   f"{self.last_log_line()}")
            if self._responds(*wanted[0]):
                wanted.pop(0)
                continue
            time.sleep(0.3)
        if wanted:
            raise AcademyError(f"JupyterHub did not answer at {wanted[0][0]} within "
                               f"{seconds:g} s: {self.last_log_line()}")

    def last_log_line(self) -> str:
        if self.log is None or not self.log.exists():
            return "no log"
        lines = [x for x in self.log.read_text(errors="replace").splitlines() if x.strip()]
        errors = [x for x in lines if "[E " in x or "Error" in x]
        return (errors or lines or ["empty log"])[-1]

    def stop(self) -> None:
        """Stop the hub (it stops the servers and the proxy it started), then remove the
        accounts made for the demo and the base folder. Safe to call twice."""
        if self.proc is not None:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None
            self._stop_proxy()
        for user in self.created:
            accounts.remove_user(user)
        self.created = []

    def _stop_proxy(self) -> None:
        """The proxy runs in a session of its own; a hub killed before it stopped the proxy
        leaves it running: end it by the pid the hub wrote."""
        pid_file = self.base / "state" / "jupyterhub-proxy.pid"
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"configurable-http-proxy" in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def remove_folder(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    # -- acting as a user -------------------------------------------------------------------
    def command_as(self, user: str, cmd: list[str], cwd: Path | None = None) -> list[str]:
        """``cmd`` as ``user`` with the environment their hub server has (the course's venv
        first on PATH, the shared exchange): what they would type in a hub terminal."""
        env = {"HOME": str(self.home(user)), "USER": user, "LANG": "C.UTF-8",
               "PATH": f"{self.prefix_dir / 'bin'}:/usr/local/bin:/usr/bin:/bin",
               "ACADEMY_EXCHANGE": str(self.base / "exchange")}
        return ["runuser", "-u", user, "--", "env", "-i",
                *[f"{k}={v}" for k, v in env.items()], *cmd]


def cleanup(base: Path = DEMO_BASE, prefix: str = "demo") -> list[str]:
    """Remove what a demo that was killed left behind: its accounts and its folder."""
    accounts.require_root("academy hub --demo --cleanup")
    hub = DemoHub(root=Path("."), base=base, prefix=prefix)
    removed = [u for u in [hub.grader, hub.instructor, *hub.students] if accounts.remove_user(u)]
    hub.remove_folder()
    return removed


def run_demo(root: Path, port: int = 8000, say=print) -> None:
    """Start the demo hub and keep it running until Ctrl-C; then remove everything."""
    hub = DemoHub(root=Path(root), ports=DemoPorts(hub=port))
    # `kill` (SIGTERM) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with hub:
            say(f"Academy demo hub: {hub.url}  (loopback only; shared password: {hub.password})")
            say(f"  instructor: {hub.instructor}  ->  {hub.url}/services/{COURSE}/formgrader")
            say(f"  students:   {', '.join(hub.students)}")
            say("Ctrl-C stops the hub and removes the demo accounts and "
                f"{hub.base}.")
            while hub.proc.poll() is None:
                time.sleep(1)
            raise AcademyError(f"JupyterHub stopped: {hub.last_log_line()}")
    finally:
        hub.remove_folder()
