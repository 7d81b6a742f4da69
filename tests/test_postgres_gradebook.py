"""A PostgreSQL gradebook through nbgrader's own code, on a real server (tests/postgres.py):
the schema on an empty database, a round trip, and an assignment registered twice."""
from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from traitlets.config import Config

import postgres
from graders.course_config import (DEFAULT_COURSE_ID, configure, course_config,
                                   ensure_tools_on_path, failure, nbgrader_api)
from graders.notebooks import questions, read
from postgres import RUN_AS, create_database, database_url, drop_database, find_bindir

# nbgrader and alembic are imported in the tests that use them: importing nbgrader takes
# ~2.6 s, which every xdist worker would otherwise pay while collecting.

# One xdist process runs them all, so one server starts (see tests/postgres.py).
pytestmark = pytest.mark.xdist_group("postgres")

AID = "q01-qubits"
NBGRADER_TABLES = {"alembic_version", "course", "assignment", "notebook", "base_cell",
                   "grade_cells", "solution_cells", "task_cells", "source_cell", "student",
                   "submitted_assignment", "submitted_notebook", "grade", "comment"}


def test_newest_server_version_is_chosen(tmp_path):
    for version, tools in [("9.6", ["initdb", "postgres"]), ("15", ["initdb", "postgres"]),
                           ("16", ["initdb"])]:  # 16 lacks the server: a client-only install
        (tmp_path / version / "bin").mkdir(parents=True)
        for tool in tools:
            (tmp_path / version / "bin" / tool).touch()
    assert find_bindir(str(tmp_path / "*" / "bin")) == tmp_path / "15" / "bin"
    assert find_bindir(str(tmp_path / "none" / "*" / "bin")) is None


def test_a_missing_server_skips_with_the_fix_when_it_cannot_be_installed(monkeypatch):
    monkeypatch.setattr(postgres, "find_bindir", lambda: None)
    monkeypatch.setattr(postgres.os, "geteuid", lambda: 1000)  # not root: no apt-get install
    with pytest.raises(pytest.skip.Exception, match="install Debian's `postgresql` package"):
        postgres.server_bindir()


def test_server_takes_loopback_tcp_only_and_runs_unprivileged(postgres_url):
    with psycopg.connect(postgres_url) as con:
        settings = con.execute("SELECT current_setting('listen_addresses'), "
                               "current_setting('unix_socket_directories'), "
                               "current_setting('data_directory')").fetchone()
        rules = con.execute("SELECT type, database, user_name, address, auth_method "
                            "FROM pg_hba_file_rules").fetchall()
    listen, sockets, data = settings
    assert (listen, sockets) == ("127.0.0.1", "")
    assert rules == [("host", ["all"], ["all"], "127.0.0.1", "trust")]
    owner = Path(data).stat().st_uid
    if os.geteuid() == 0:
        assert owner == pwd.getpwnam(RUN_AS).pw_uid != 0
    else:
        assert owner == os.geteuid()


def test_a_port_taken_meanwhile_is_not_mistaken_for_ours(postgres_url, monkeypatch):
    """Another xdist worker's server (same superuser) may take the port we probed: ours then
    fails to bind and starts again on another port."""
    taken = int(postgres_url.rsplit(":", 1)[1].split("/")[0])
    ports = iter([taken])
    probe = postgres.free_port
    monkeypatch.setattr(postgres, "free_port", lambda: next(ports, None) or probe())
    server = postgres.start_server()
    try:
        assert server.port != taken
        assert "could not bind" in server.log.read_text()
        with psycopg.connect(server.url()) as con:
            assert con.execute("SHOW data_directory").fetchone()[0] == str(server.data)
    finally:
        server.stop()
        shutil.rmtree(server.workdir)


def test_fresh_databases_are_empty_distinct_and_dropped_even_when_in_use(postgres_url):
    first, second = create_database(postgres_url), create_database(postgres_url)
    assert first != second
    left_open = psycopg.connect(database_url(postgres_url, first))
    try:
        tables = left_open.execute("SELECT count(*) FROM information_schema.tables "
                                   "WHERE table_schema = 'public'").fetchone()[0]
        assert tables == 0
        drop_database(postgres_url, first)  # a test that leaked a session must not block it
        drop_database(postgres_url, second)
    finally:
        left_open.close()
    with psycopg.connect(postgres_url) as con:
        names = {r[0] for r in con.execute("SELECT datname FROM pg_database")}
    assert not {first, second} & names


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_both_url_forms_use_psycopg_3(fresh_postgres_db, scheme):
    """SQLAlchemy 2.1 made psycopg 3 the default for postgresql://; 2.0 would want psycopg2."""
    engine = sa.create_engine(fresh_postgres_db.replace("postgresql", scheme, 1))
    try:
        with engine.connect() as con:
            assert con.execute(sa.text("SELECT 1 + 1")).scalar() == 2
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def test_gradebook_makes_its_schema_and_round_trips(fresh_postgres_db):
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader.api import Gradebook
    from nbgrader.dbutil import ALEMBIC_DIR, upgrade

    ensure_tools_on_path()  # Gradebook asks the alembic command for the schema version
    due = dt.datetime(2026, 12, 1, 9, 30)
    with Gradebook(fresh_postgres_db, course_id="quantum-embark") as gb:
        gb.add_student("s-001", first_name="지민", last_name="박", email="s001@example.org")
        gb.add_assignment("a1", duedate=due)
    with Gradebook(fresh_postgres_db, course_id="quantum-embark") as gb:  # fresh connections
        student = gb.find_student("s-001")
        assert (student.first_name, student.last_name) == ("지민", "박")
        assignment = gb.find_assignment("a1")
        assert (assignment.duedate, assignment.course_id) == (due, "quantum-embark")
    engine = sa.create_engine(fresh_postgres_db)
    try:
        assert NBGRADER_TABLES <= set(sa.inspect(engine).get_table_names())
        with engine.connect() as con:
            version = con.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        migrations = AlembicConfig()
        migrations.set_main_option("script_location", ALEMBIC_DIR)
        assert version == [(ScriptDirectory.from_config(migrations).get_current_head(),)]
    finally:
        engine.dispose()
    upgrade(fresh_postgres_db)  # `nbgrader db upgrade`: alembic takes the URL, finds it at head


@pytest.mark.parametrize("env, preset, expected", [
    ({}, None, DEFAULT_COURSE_ID),
    ({"ACADEMY_COURSE_ID": "quantum-embark"}, None, "quantum-embark"),
    ({"ACADEMY_COURSE_ID": "quantum-embark"}, "datacenter-academy", "datacenter-academy"),
])
def test_a_postgres_gradebook_gets_a_course_id(tmp_path, monkeypatch, env, preset, expected):
    """PostgreSQL checks the assignment -> course foreign key that an empty id breaks; an id
    configured before (the hub's formgrader config) wins."""
    monkeypatch.setenv("ACADEMY_DB_URL", "postgresql://academy@127.0.0.1:1/none")
    monkeypatch.delenv("ACADEMY_COURSE_ID", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    c = Config()
    if preset:
        c.CourseDirectory.course_id = preset
    assert configure(c, tmp_path).CourseDirectory.course_id == expected


def test_a_sqlite_gradebook_keeps_nbgraders_empty_course_id(tmp_path, monkeypatch):
    monkeypatch.delenv("ACADEMY_DB_URL", raising=False)
    assert "course_id" not in course_config(tmp_path).CourseDirectory


def registered(url: str) -> tuple:
    """What the gradebook holds about the assignment: its course, each graded cell's points,
    the total, and how many assignments there are."""
    from nbgrader.api import Gradebook

    with Gradebook(url, course_id=DEFAULT_COURSE_ID) as gb:
        assignment = gb.find_assignment(AID)
        cells = sorted((nb.name, c.name, c.max_score) for nb in assignment.notebooks
                       for c in nb.grade_cells)
        return assignment.course_id, cells, assignment.max_score, len(gb.assignments)


def test_generate_assignment_registers_in_postgres_idempotently(course, fresh_postgres_db,
                                                                  monkeypatch, tmp_path):
    monkeypatch.setenv("ACADEMY_DB_URL", fresh_postgres_db)
    config = course_config(course)
    assert config.CourseDirectory.db_url == fresh_postgres_db
    config.CourseDirectory.release_directory = str(tmp_path / "release")  # as the engine does
    api = nbgrader_api(config)
    expected = sorted((AID, q.grade_id, q.points)
                      for q in questions(read(course / "source" / AID / f"{AID}.ipynb")))
    assert expected, "q01 has graded cells"

    first = api.generate_assignment(AID, force=True, create=True)
    assert first["success"], failure(first)
    after_first = registered(fresh_postgres_db)
    assert after_first == (DEFAULT_COURSE_ID, expected, sum(p for _, _, p in expected), 1)

    second = api.generate_assignment(AID, force=True, create=True)
    assert second["success"], failure(second)
    assert registered(fresh_postgres_db) == after_first
    assert not (course / "gradebook.db").exists()  # nothing went to SQLite behind our back
