"""Shared fixtures: the repo as a course, and scratch copies of it."""
from __future__ import annotations

from pathlib import Path

import pytest

from submissions import copy_course

ROOT = Path(__file__).resolve().parents[1]
PILOTS = ["dc01-power", "q01-qubits"]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A scratch copy of the course directory, safe to grade and break."""
    return copy_course(ROOT, tmp_path)
