"""What there is to grade: one task per student folder under submitted/<student>/<id>/."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AcademyError
from ..notebooks import notebooks_in, read


MAX_CELLS_FACTOR = 5  # a submission may add cells, not thousands (each costs recording time)


@dataclass
class Task:
    student: str
    folder: Path
    present: int = 0  # readable notebooks in the submission
    problems: list[str] = field(default_factory=list)  # found before running anything

    @property
    def gradable(self) -> bool:
        """nbgrader can run it: at least one notebook, and every one present is readable.
        (nbgrader gives zero for a missing notebook but fails the whole submission on a
        corrupt one, so a corrupt notebook is for an instructor to look at.)"""
        return self.present > 0 and not any(" notebook" in p and "missing" not in p
                                            for p in self.problems)


def plan(root: Path, aid: str) -> list[Task]:
    """List every submission of ``aid`` with the problems visible before grading."""
    source = notebooks_in(root / "source" / aid)
    if not source:
        raise AcademyError(f"unknown assignment {aid!r}: no notebooks in source/{aid}")
    sizes = {nb.name: len(read(nb).cells) for nb in source}
    submitted = root / "submitted"
    folders = sorted(submitted.glob(f"*/{aid}")) if submitted.is_dir() else []
    tasks = []
    for folder in folders:
        task = Task(folder.parent.name, folder)
        for nb in source:
            path = folder / nb.name
            if path.is_symlink():  # it could point at anything on the grading machine
                task.problems.append(f"{nb.name}: a symbolic link, not a notebook")
                continue
            if not path.exists():
                task.problems.append(f"missing notebook {nb.name}")
                continue
            try:
                cells = len(read(path).cells)
            except AcademyError as exc:
                task.problems.append(f"{nb.name}: {str(exc).split(': ', 1)[-1]}")
                continue
            if cells > MAX_CELLS_FACTOR * sizes[nb.name] + 100:
                task.problems.append(f"{nb.name}: {cells} cells, far more than the assignment's "
                                     f"{sizes[nb.name]}; not a notebook to run unseen")
                continue
            task.present += 1
        tasks.append(task)
    return tasks
