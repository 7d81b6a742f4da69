"""The unit of work a grading worker runs: one notebook in a fresh sandboxed kernel.

A :class:`Job` carries everything by value (notebook text, files, environment, limits), so the
same function runs in a local process pool or on a Dask worker on another machine, and a
worker needs no access to the course directory or the gradebook.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..checks.verdict import MODE_ENV
from ..instances import STUDENT_ENV
from ..notebooks import is_test_cell
from .locks import sandbox_uid
from .sandbox import Limits, Sandbox, processes_of, rootless
from .strip import observe_only

MAX_FILE_BYTES = 64 * 1024 * 1024  # what a submission folder may bring into scratch


@dataclass(frozen=True)
class JobKey:
    """What a job runs: one notebook of a student's submission, or of the source notebook
    for one or more variants (a reference run, see reference.combined)."""
    notebook: str
    student: str = ""
    variants: tuple[str, ...] = ()

    @property
    def is_reference(self) -> bool:
        return bool(self.variants)

    def __str__(self) -> str:
        return f"{'+'.join(self.variants) or self.student}/{self.notebook}"


@dataclass
class Job:
    key: JobKey
    notebook: str  # nbformat JSON
    files: dict[str, bytes]  # data files, relative path -> bytes, copied into scratch
    env: dict[str, str]
    limits: Limits
    sandboxed: bool = True
    problems: list[str] = field(default_factory=list)  # found while preparing it


@dataclass
class Outcome:
    key: JobKey
    notebook: str  # executed notebook, nbformat JSON
    executed: list[bool]
    problems: list[str]
    seconds: float


def _font_cache() -> dict[str, bytes]:
    """This machine's matplotlib font list, so a kernel in an empty HOME does not rebuild it
    (0.3-0.5 s for every notebook that imports matplotlib)."""
    cache = Path.home() / ".cache" / "matplotlib"
    return {f".cache/matplotlib/{p.name}": p.read_bytes() for p in cache.glob("fontlist-*.json")}


def run_job(job: Job) -> Outcome:
    """Run one job in a scratch folder that is removed afterwards, whatever happens."""
    from .run import run_notebook

    scratch = Path(tempfile.mkdtemp(prefix="academy-scratch-"))
    try:
        for rel, data in {**_font_cache(), **job.files}.items():
            target = scratch / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        # As root each job holds a uid of its own; rootless, the user namespace maps the user's
        own = job.sandboxed and not rootless()
        with (sandbox_uid(busy=processes_of) if own else contextlib.nullcontext(os.geteuid())) as uid:
            sandbox = Sandbox(scratch, uid=uid, enabled=job.sandboxed)
            result = run_notebook(nbformat.reads(job.notebook, as_version=4), sandbox, job.limits, job.env)
        return Outcome(job.key, nbformat.writes(result.nb), list(result.executed),
                       [*job.problems, *result.problems], result.seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def folder_files(folder: Path, skip_notebooks: bool = True) -> tuple[dict[str, bytes], list[str]]:
    """Regular files under ``folder`` by relative path, and problems for what was left out:
    symbolic links (they could point anywhere on the grading machine) and oversized folders."""
    files, problems, total = {}, [], 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            problems.append(f"a symbolic link in the submission was ignored: {rel}")
            continue
        if not path.is_file() or (skip_notebooks and path.suffix == ".ipynb") or ".ipynb_checkpoints" in rel:
            continue
        total += path.stat().st_size
        if total > MAX_FILE_BYTES:
            problems.append(f"files beyond {MAX_FILE_BYTES // 2**20} MB were left out, from {rel}")
            break
        files[rel] = path.read_bytes()
    return files, problems


def observe_cells(nb) -> None:
    """Rewrite every test cell of a sanitized notebook to its observe-only form, in place."""
    for cell in nb.cells:
        if is_test_cell(cell):
            cell.source = observe_only(cell.source).source


def student_env(student: str, mode: str) -> dict[str, str]:
    env = {STUDENT_ENV: student, MODE_ENV: mode}
    if os.environ.get("ACADEMY_VARIANTS"):
        env["ACADEMY_VARIANTS"] = os.environ["ACADEMY_VARIANTS"]
    return env
