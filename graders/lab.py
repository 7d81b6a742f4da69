"""`academy lab`: JupyterLab on the course, with nbgrader's extensions and this course's
settings (the SQLite gradebook and a local exchange folder unless told otherwise)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .course_config import course_config


def lab_command(root: Path, port: int | None = None, browser: bool = True) -> list[str]:
    root = Path(root).resolve()
    config = course_config(root)  # validates the gradebook and puts alembic on PATH
    Path(config.Exchange.root).mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
           # the course runs offline: no extension manager that queries PyPI
           "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI machines run as root
    if port:
        cmd.append(f"--ServerApp.port={port}")
    if not browser:
        cmd.append("--no-browser")
    return cmd


def start_lab(root: Path, port: int | None = None, browser: bool = True) -> None:
    """Replace this process with JupyterLab, started in the course folder."""
    cmd = lab_command(root, port, browser)
    os.chdir(root)
    os.execv(cmd[0], cmd)
