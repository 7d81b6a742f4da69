"""Shared fixtures: the repo as a course, and scratch copies of it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE_FILES = ["nbgrader_config.py", "courses", "assignments", "source", "release"]
PILOTS = ["dc01-power", "q01-qubits"]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A scratch copy of the course directory, safe to grade and break."""
    for name in COURSE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__",
                                                                                ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, tmp_path / name)
    return tmp_path
