"""Run a source notebook's graded test cells against answers other than its own.

The non-graded code cells (imports, examples, figures and the answer cells, i.e. the
reference solution) are executed once; each test cell then runs on a copy of that namespace
with some answer functions replaced.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import matplotlib
import nbformat
import pytest


@contextlib.contextmanager
def _as_in_jupyter(folder: Path):
    """cwd = the notebook's folder (restored afterwards), headless plots, output discarded."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
        mp.chdir(folder)
        mp.setattr(plt, "show", lambda *args, **kwargs: None)
        try:
            yield
        finally:
            plt.close("all")


class SolvedNotebook:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.test_cells: dict[str, str] = {}
        self.namespace: dict = {"__name__": "__main__"}
        with _as_in_jupyter(self.path.parent):
            for cell in nbformat.read(self.path, as_version=4).cells:
                if cell.cell_type != "code":
                    continue
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("grade"):
                    self.test_cells[meta["grade_id"]] = cell.source
                else:
                    self._exec(meta.get("grade_id", cell.get("id")), cell.source, self.namespace)

    def run_test(self, grade_id: str, substitutes: dict) -> None:
        """Run one test cell with `substitutes` (name -> object) in place of the notebook's."""
        namespace = {**self.namespace, **substitutes}
        with _as_in_jupyter(self.path.parent):
            self._exec(grade_id, self.test_cells[grade_id], namespace)

    def _exec(self, cell_name: str, source: str, namespace: dict) -> None:
        exec(compile(source, f"{self.path.name}:{cell_name}", "exec"), namespace)
