"""`academy check NOTEBOOK`: the offline self-check.

Runs the notebook top to bottom in a fresh kernel (errors do not stop the run, as in
nbgrader's autograder) and reads each graded test cell's outcome from its outputs. Unlike
``nbgrader validate`` it needs no course set-up and its caller exits non-zero on any failure.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .errors import AcademyError
from .instances import STUDENT_ENV
from .language import LANGUAGE_ENV, LANGUAGES, of_notebook, t
from .notebooks import is_test_cell, nbgrader_meta, read

DEFAULT_CELL_SECONDS = 60


@dataclass(frozen=True)
class Outcome:
    grade_id: str
    points: float
    earned: float
    status: str  # "passed", "failed" or "manual"
    message: str = ""
    hint: str = ""


def _explain(error: dict) -> tuple[str, str]:
    """(message, hint) for a failed test cell, from its error output (a check's failure in
    any language: it is split on the hint label that :func:`failure_text` wrote)."""
    from .checks.verdict import hint_label  # the checks' one spelling of the label

    name, value = error.get("ename", ""), error.get("evalue", "")
    if name in ("CheckFailed", "AssertionError"):
        for label in dict.fromkeys(hint_label(lang) for lang in LANGUAGES):
            if f"\n{label} " in value:
                message, hint = value.split(f"\n{label} ", 1)
                return message.rstrip("."), hint
    if name == "NotImplementedError":
        return t("not answered yet"), t("replace `raise NotImplementedError()` with your code and run it")
    if name == "CellTimeoutError":
        return t("took longer than the time limit"), t("look for a loop that never ends")
    if name == "NotRun":
        return t("the cell did not run"), t("run the cells above it and fix the first error")
    if name in ("AssertionError",):
        return value or t("a check failed"), t("read the test cell to see what it tests")
    return (t("the test raised {error}: {detail}", error=name, detail=value)[:300],
            t("run the cells above it and fix the first error"))


def outcomes(nb) -> list[Outcome]:
    """Score an executed notebook the way nbgrader does: a test cell earns its points when it
    ran without an error; a manually graded cell earns nothing here."""
    out = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        points = float(meta.get("points", 0))
        if not is_test_cell(cell):
            out.append(Outcome(meta["grade_id"], points, 0.0, "manual",
                               t("graded by your instructor")))
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.get("execution_count") is None and not errors:
            errors = [{"ename": "NotRun", "evalue": "the cell did not run"}]
        if errors:
            message, hint = _explain(errors[0])
            out.append(Outcome(meta["grade_id"], points, 0.0, "failed", message, hint))
        else:
            out.append(Outcome(meta["grade_id"], points, points, "passed"))
    return out


def run_notebook(path: Path | str, *, cell_seconds: int = DEFAULT_CELL_SECONDS,
                 kernel_name: str | None = None,
                 on_cell: Callable[[int, int], None] = lambda i, n: None):
    """Execute a notebook in a fresh kernel in its own folder and return it with outputs."""
    path = Path(path)
    nb = read(path)
    name = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    total = len(nb.cells)
    client = NotebookClient(nb, timeout=cell_seconds, kernel_name=name, allow_errors=True,
                            interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}},
                            on_cell_executed=lambda cell, cell_index, **_: on_cell(cell_index + 1, total))
    env = {k: v for k, v in os.environ.items() if k != STUDENT_ENV}  # the public variant
    env.setdefault(LANGUAGE_ENV, of_notebook(nb))  # the checks speak the notebook's language
    try:
        # The kernel's own start-up chatter on stderr is not the learner's concern.
        client.execute(env=env, stderr=subprocess.DEVNULL)
    except NoSuchKernel:
        raise AcademyError(f"{path}: the notebook's kernel {name!r} is not installed "
                           "(see `jupyter kernelspec list`)") from None
    except DeadKernelError:
        raise AcademyError(f"{path}: the kernel died while running the notebook (out of memory?)") from None
    return nb


def check(path: Path | str, **kwargs) -> list[Outcome]:
    """Run and score a notebook; raise AcademyError if it has no autograded questions."""
    results = outcomes(run_notebook(path, **kwargs))
    if not any(r.status != "manual" for r in results):
        raise AcademyError(f"{path}: no autograded test cells to check")
    return results
