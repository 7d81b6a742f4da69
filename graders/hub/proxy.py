"""configurable-http-proxy, JupyterHub's proxy, is a Node.js program from the npm registry.
Use the one on PATH, else a copy under .cache/chp in the course checkout, installed there with
npm (the registry npm is configured with) when missing."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import AcademyError

PACKAGE = "configurable-http-proxy@5"  # 5.x: the major version JupyterHub 5 and 6 document


def local_proxy(root: Path) -> Path:
    return Path(root) / ".cache" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"


def find_proxy(root: Path) -> str | None:
    local = local_proxy(root)
    if local.exists():
        return str(local)
    return shutil.which("configurable-http-proxy")


def ensure_proxy(root: Path) -> str:
    """The proxy's command, installing it into ``root``/.cache/chp with npm if needed."""
    found = find_proxy(root)
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise AcademyError("JupyterHub needs configurable-http-proxy, and npm is not installed "
                           "to fetch it: install Node.js and npm (Debian: apt-get install npm)")
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix",
                           str(Path(root) / ".cache" / "chp"), PACKAGE],
                          capture_output=True, text=True)
    if done.returncode != 0 or not local_proxy(root).exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise AcademyError(f"npm could not install {PACKAGE}: {last}")
    return str(local_proxy(root))
