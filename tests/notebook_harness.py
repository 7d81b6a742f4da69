"""Run a source notebook's graded test cells against answers other than its own.

The non-graded code cells (imports, examples, figures and the answer cells, i.e. the
reference solution) are executed once; each test cell then runs on a copy of that namespace
with some answer functions replaced.
"""
from __future__ import annotations

import contextlib
import functools
import io
import warnings
from pathlib import Path

import matplotlib
import nbformat
import pytest

from graders import instances


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
        self.visible_tests = _visible_tests(self.path)
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

    def run_test(self, grade_id: str, substitutes: dict, visible_only: bool = False) -> None:
        """Run one test cell with `substitutes` (name -> object) in place of the notebook's;
        with `visible_only`, the cell as the release shows it (hidden tests removed)."""
        namespace = {**self.namespace, **substitutes}
        source = (self.visible_tests if visible_only else self.test_cells)[grade_id]
        with _as_in_jupyter(self.path.parent):
            self._exec(grade_id, source, namespace)

    def _exec(self, cell_name: str, source: str, namespace: dict) -> None:
        exec(compile(source, f"{self.path.name}:{cell_name}", "exec"), namespace)


def _visible_tests(source: Path) -> dict[str, str]:
    """The test cells of the release notebook beside this source (what a student runs)."""
    release = source.parents[2] / "release" / source.parent.name / source.name
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source
            for cell in nbformat.read(release, as_version=4).cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}


@functools.cache
def solved_notebook(path: Path) -> SolvedNotebook:
    """One SolvedNotebook per source notebook, shared by the tests that use it."""
    return SolvedNotebook(path)


class AnswerTable:
    """The answer table of one module. Subclass it (as ``TestAnswers``) with ``notebook`` (the
    solved source's path), ``students`` (None is the public variant), and ``correct`` and
    ``near_misses``: {grade_id: {label: {name: substitute}}}. The reference, every correct
    answer and every near miss then run under each student's variant.

    ``named_mistakes`` ({grade_id: {label: (substitutes, words)}}) are the mistakes the
    module's text warns about: each must fail the release's visible tests (the public
    variant) with a message containing ``words``. A value that is ``words`` alone names the
    near miss of the same grade id and label."""
    notebook: Path
    students: list[str | None] = [None]
    correct: dict = {}
    near_misses: dict = {}
    named_mistakes: dict = {}

    def pytest_generate_tests(self, metafunc):
        if "student" in metafunc.fixturenames:
            metafunc.parametrize("student", self.students, ids=lambda s: s or "public")
        if "named_words" in metafunc.fixturenames:
            metafunc.parametrize("grade_id, substitutes, named_words", [
                pytest.param(grade_id, *self._named(grade_id, label, value),
                             id=f"{grade_id.removesuffix('-test')}:{label}")
                for grade_id, answers in self.named_mistakes.items()
                for label, value in answers.items()])
            return
        table = {"test_correct_answer_passes": self.correct,
                 "test_near_miss_fails_a_check": self.near_misses}.get(metafunc.function.__name__)
        if table is not None:
            metafunc.parametrize("grade_id, substitutes", [
                pytest.param(grade_id, subs, id=f"{grade_id.removesuffix('-test')}:{label}")
                for grade_id, answers in table.items() for label, subs in answers.items()])

    def _named(self, grade_id: str, label: str, value) -> tuple[dict, str]:
        """(substitutes, words) of a named mistake; words alone reuse the near miss."""
        if isinstance(value, str):
            return self.near_misses[grade_id][label], value
        return value

    @pytest.fixture
    def solved(self, student, monkeypatch):
        monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
        if student is None:
            monkeypatch.delenv(instances.STUDENT_ENV, raising=False)
        else:
            monkeypatch.setenv(instances.STUDENT_ENV, student)
        return solved_notebook(self.notebook)

    def test_the_students_have_different_variants(self, monkeypatch):
        monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
        aid = self.notebook.stem
        assert len({instances.variant(aid, s) for s in self.students}) == len(self.students)

    def test_reference_passes(self, solved):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for grade_id in solved.test_cells:
                solved.run_test(grade_id, {})

    def test_correct_answer_passes(self, solved, grade_id, substitutes):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            solved.run_test(grade_id, substitutes)

    def test_near_miss_fails_a_check(self, solved, grade_id, substitutes):
        with pytest.raises(AssertionError):
            solved.run_test(grade_id, substitutes)

    def test_named_mistake_fails_a_visible_test_that_names_it(self, monkeypatch, grade_id,
                                                               substitutes, named_words):
        monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
        monkeypatch.delenv(instances.STUDENT_ENV, raising=False)
        solved = solved_notebook(self.notebook)
        with pytest.raises(AssertionError) as caught:
            solved.run_test(grade_id, substitutes, visible_only=True)
        assert named_words in str(caught.value), str(caught.value)
