"""Reference runs: the source notebook (the instructor's solution with every hidden test),
executed under one variant's seed with checks in ``record`` mode. Each test cell's records
(reference value, spec, texts) are what the grader judges a student's observations against.

A run depends only on the source folder, the grading code and the variant, so it is cached on
disk by a key over those and reused by every student of the variant and by every later batch.
The cache lives under ``.academy/`` in the course root, which no sandbox can see.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from ..errors import AcademyError
from ..files import atomic_write
from ..instances import STUDENT_ENV
from ..notebooks import is_test_cell, nbgrader_meta, notebooks_in
from .judge import observations

CACHE = Path(".academy") / "references"
_PACKAGE = Path(__file__).resolve().parents[1]
# What a kernel imports of the package, and the rewriting of test cells: a change elsewhere in
# graders/ (the CLI, the hub) does not change a reference run.
_KERNEL_CODE = ["checks", "instances.py", "sim", "engine/strip.py"]


def environment() -> str:
    """The interpreter and every installed distribution with its version: an upgrade of
    Python, Qiskit, Aer, NumPy or anything they use can change what a reference run records."""
    # A distribution's folder is named after it and its version (name-1.2.dist-info): listing
    # the folders is enough, and 50 times faster than reading every METADATA file.
    names = sorted({p.name.lower() for entry in sys.path if os.path.isdir(entry)
                    for p in Path(entry).iterdir() if p.suffix in (".dist-info", ".egg-info")})
    return "\n".join([sys.version, *names])


def source_key(root: Path, aid: str) -> str:
    """A digest of everything a reference run depends on: the source folder (notebooks and
    data), the grading package (checks, instances, simulators), the number of variants, and
    the versions of Python and of every installed distribution."""
    digest = hashlib.sha256(os.environ.get("ACADEMY_VARIANTS", "").encode())
    digest.update(environment().encode() + b"\0")
    paths = [(root, p) for p in sorted((root / "source" / aid).rglob("*"))]
    for part in _KERNEL_CODE:
        base = _PACKAGE / part
        paths += [(_PACKAGE, p) for p in (sorted(base.rglob("*.py")) if base.is_dir() else [base])]
    for base, path in paths:
        if path.is_file() and "__pycache__" not in path.parts and ".ipynb_checkpoints" not in path.parts:
            digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def records_of(executed, aid: str, notebook: str, variant: str,
               language: str = "en") -> dict[str, list[dict]]:
    """Per test cell (grade id), the records a reference run sent, each marked with the
    ``language`` its texts are in (the notebook's); a failing reference is the instructor's
    problem and stops grading with a clear line."""
    cells = {}
    for index, cell in enumerate(executed.cells):
        meta = nbgrader_meta(cell)
        broken = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                  or (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        if broken:  # any cell: a student's run would meet the same trouble
            first = broken[0]
            why = (f"{first.get('ename')}: {first.get('evalue')}" if first["output_type"] == "error"
                   else "wrote to stderr: " + str(first.get("text", "")).strip()[:200])
            raise AcademyError(f"source/{aid}/{notebook}.ipynb fails in the grading sandbox under "
                               f"variant {variant}, cell {index}: {why}")
        if not is_test_cell(cell):
            continue
        gid = meta["grade_id"]
        found = observations(cell)
        if not found or any(not isinstance(r, dict) or "reference" not in r for r in found):
            raise AcademyError(f"source/{aid}/{notebook}.ipynb: test {gid} calls no check, so it "
                               "cannot be judged outside the student's kernel")
        cells[gid] = [{**r, "language": language} for r in found]
    return cells


class ReferenceStore:
    """Reference records on disk: one JSON file per (assignment, key, variant, notebook)."""

    def __init__(self, root: Path, aid: str):
        self.root, self.aid = root, aid
        self.folder = root / CACHE / aid / source_key(root, aid)

    def _path(self, variant: str, notebook: str) -> Path:
        return self.folder / f"{variant}.{notebook}.json"

    def has(self, variant: str) -> bool:
        return all(self._path(variant, nb.stem).exists() for nb in notebooks_in(self.root / "source" / self.aid))

    def load(self, variant: str, notebook: str) -> dict[str, list[dict]]:
        return json.loads(self._path(variant, notebook).read_text(encoding="utf-8"))

    def save(self, variant: str, notebook: str, cells: dict[str, list[dict]]) -> None:
        atomic_write(self._path(variant, notebook), json.dumps(cells))


def combined(nb, students: list[str]):
    """One notebook that runs the source once per student (one per variant), switching the
    student between copies, so several reference runs share one kernel start and its imports.
    The source is the instructor's trusted code, and every copy re-runs it from the top.
    Returns the notebook and, per copy, the slice of its cells."""
    from nbformat.v4 import new_code_cell

    out = nb.copy()
    out.cells, spans = [], []
    for student in students:
        out.cells.append(new_code_cell(f"import os as _os\n_os.environ[{STUDENT_ENV!r}] = {student!r}"))
        spans.append((len(out.cells), len(out.cells) + len(nb.cells)))
        out.cells += [cell.copy() for cell in nb.cells]
    return out, spans


def split(executed, spans: list[tuple[int, int]]) -> list:
    """The per-copy notebooks of a combined run, in order."""
    parts = []
    for start, end in spans:
        part = executed.copy()
        part.cells = executed.cells[start:end]
        parts.append(part)
    return parts
