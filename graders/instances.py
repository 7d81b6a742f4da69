"""Per-student problem instances.

A hidden test draws its numbers from ``rng(assignment, part)``. While an instructor grades,
the engine sets ``ACADEMY_STUDENT`` for each submission, so every student gets their own
instance; everywhere else (a self-learner, nbval, a student's own kernel) the public variant
is used, so results are reproducible.

Students are mapped onto a bounded number of variants (``ACADEMY_VARIANTS``, default 64), so
the grader needs at most that many reference runs per assignment whatever the class size.
Seeds come from SHA-256, not Python's ``hash``, so they are the same in every process.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np

STUDENT_ENV = "ACADEMY_STUDENT"
VARIANTS_ENV = "ACADEMY_VARIANTS"
DEFAULT_VARIANTS = 64
PUBLIC = "public"


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def current_student() -> str | None:
    """The student being graded, or None outside grading."""
    return os.environ.get(STUDENT_ENV) or None


def variant(assignment: str, student: str | None = None, variants: int | None = None) -> str:
    """The variant a student gets: ``"public"`` without a student, else ``"v0"``..``"v{n-1}"``."""
    student = student if student is not None else current_student()
    if not student:
        return PUBLIC
    n = variants or int(os.environ.get(VARIANTS_ENV, DEFAULT_VARIANTS))
    if n < 1:
        raise ValueError(f"{VARIANTS_ENV} must be at least 1, not {n}")
    return f"v{_digest(assignment, student) % n}"


def seed(assignment: str, part: str, student: str | None = None) -> int:
    """A 64-bit seed for one part of an assignment, fixed by the student's variant."""
    return _digest(assignment, variant(assignment, student), part)


def rng(assignment: str, part: str, student: str | None = None) -> np.random.Generator:
    """A NumPy generator for one part (e.g. ``"q2-ups"``) of an assignment."""
    return np.random.default_rng(seed(assignment, part, student))
