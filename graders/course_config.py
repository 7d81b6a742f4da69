"""The course's nbgrader settings, in one place: nbgrader_config.py applies them to every
nbgrader app (and JupyterLab's formgrader), and the `academy` commands apply them directly."""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path

from traitlets.config import Config

from .errors import AcademyError

DEFAULT_CELL_SECONDS = 30
DEFAULT_COURSE_ID = "default_course"  # nbgrader's own Gradebook default


def ensure_tools_on_path() -> None:
    """nbgrader creates the gradebook by running ``alembic`` from PATH; without it the tables
    are made but the schema version is not, leaving a half-made gradebook. Put this
    environment's bin/ first on PATH, and refuse to go on if alembic still cannot be found."""
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p]])
    if shutil.which("alembic") is None:
        raise AcademyError("nbgrader needs the `alembic` command, which is not installed in "
                           f"{sys.prefix}: run `pip install alembic` there")


def check_gradebook(db_url: str) -> None:
    """Refuse a SQLite gradebook that has tables but no schema version (made without alembic)."""
    if not db_url.startswith("sqlite:///"):
        return
    path = Path(db_url.removeprefix("sqlite:///"))
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise AcademyError(f"{path}: not a readable SQLite gradebook ({exc})") from None
    if tables and "alembic_version" not in tables:
        raise AcademyError(f"{path}: half-made gradebook (no alembic_version table); move it "
                           "aside and run again to create a complete one")


def db_url(root: Path) -> str:
    return os.environ.get("ACADEMY_DB_URL") or f"sqlite:///{root / 'gradebook.db'}"


def gradebook(root: Path | str):
    """nbgrader's Gradebook of the course at ``root`` (a context manager), after the checks
    every opening needs: alembic on PATH (nbgrader makes a new gradebook with it) and no
    half-made SQLite file."""
    from nbgrader.api import Gradebook

    ensure_tools_on_path()
    url = db_url(Path(root).resolve())
    check_gradebook(url)
    return Gradebook(url)


def configure(c: Config, root: Path | str, cell_seconds: int = DEFAULT_CELL_SECONDS) -> Config:
    """Apply the course settings to a traitlets Config and return it."""
    root = Path(root).resolve()
    ensure_tools_on_path()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.db_url = db_url(root)
    check_gradebook(c.CourseDirectory.db_url)
    sqlite = c.CourseDirectory.db_url.startswith("sqlite:")
    if not sqlite and not c.CourseDirectory.get("course_id"):
        # nbgrader files each assignment under the course id but makes the course row only for
        # a non-empty id: SQLite does not check that foreign key, PostgreSQL refuses the
        # assignment. An id set before (the hub's formgrader sets its own) is kept.
        c.CourseDirectory.course_id = os.environ.get("ACADEMY_COURSE_ID") or DEFAULT_COURSE_ID
    c.Exchange.root = os.environ.get("ACADEMY_EXCHANGE") or str(root / "exchange")
    c.Execute.timeout = cell_seconds
    # A hidden test must not leak through feedback or the release's test cells: feedback
    # shows each test cell with its hidden part removed (the autograded notebook keeps it for
    # formgrader), and `academy grade` puts only verdicts and hints in its outputs.
    c.ClearHiddenTests.enforce_metadata = True
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades", "nbgrader.preprocessors.ClearHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
    return c


def course_config(root: Path | str, cell_seconds: int = DEFAULT_CELL_SECONDS) -> Config:
    return configure(Config(), root, cell_seconds)


def nbgrader_api(config: Config):
    """nbgrader's own Python API over a course configured as above."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(CourseDirectory(config=config), config=config)


def failure(result: dict) -> str:
    """One line saying why an NbGraderAPI call failed: its first logged error, else the last
    line of its traceback."""
    logged = [x.split("]", 1)[-1].strip() for x in (result.get("log") or "").splitlines()
              if "[ERROR]" in x]
    trace = (result.get("error") or "").strip().splitlines()
    return logged[0] if logged else (trace[-1] if trace else "unknown error")
