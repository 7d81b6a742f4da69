"""Shared fixtures: the repo as a course, and scratch copies of it."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from postgres import fresh_postgres_db, postgres_url  # noqa: F401  (fixtures: a real PostgreSQL)
from submissions import copy_course

# No per-example deadline: a loaded CI machine must not turn slowness into failures.
settings.register_profile("academy", deadline=None, database=None)
settings.load_profile("academy")

ROOT = Path(__file__).resolve().parents[1]
PILOTS = ["dc01-power", "q01-qubits"]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A scratch copy of the course directory, safe to grade and break."""
    return copy_course(ROOT, tmp_path)
