"""The gradebook guard: nbgrader's alembic subprocess must be found, or nothing is made."""
import os
import sqlite3
import subprocess
import sys

import pytest

from graders.course_config import check_gradebook
from graders.errors import AcademyError

MAKE_GRADEBOOK = """
import sys
from graders.course_config import course_config
from nbgrader.api import Gradebook
config = course_config(sys.argv[1])
Gradebook(config.CourseDirectory.db_url).close()
"""


def tables(path):
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_gradebook_is_complete_even_when_the_venv_is_not_on_path(tmp_path):
    (tmp_path / "source").mkdir()
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    env.pop("ACADEMY_DB_URL", None)
    subprocess.run([sys.executable, "-c", MAKE_GRADEBOOK, str(tmp_path)], env=env, check=True,
                   capture_output=True)
    assert {"alembic_version", "assignment", "grade"} <= tables(tmp_path / "gradebook.db")


def test_half_made_gradebook_is_refused(tmp_path):
    db = tmp_path / "gradebook.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE assignment (id TEXT)")
    with pytest.raises(AcademyError, match="half-made gradebook"):
        check_gradebook(f"sqlite:///{db}")


def test_garbage_gradebook_is_refused(tmp_path):
    db = tmp_path / "gradebook.db"
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(AcademyError, match="not a readable SQLite gradebook"):
        check_gradebook(f"sqlite:///{db}")


def test_failure_is_one_line():
    from graders.course_config import failure

    log = "[INFO] fine\n[ERROR] No such assignment: x\n[ERROR] Please see the above traceback"
    assert failure({"log": log, "error": "Traceback...\nValueError: deep"}) == "No such assignment: x"
    assert failure({"log": "", "error": "Traceback...\nValueError: deep\n"}) == "ValueError: deep"
    assert failure({}) == "unknown error"
