"""Grading at scale, end to end through `academy grade`: a real Dask scheduler with two worker
processes on loopback, a real PostgreSQL gradebook, and a grader killed in the middle of a
batch. Each gives exactly the grades of a plain local run with two workers."""
import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from submissions import copy_course, solutions, stubs, submit

pytestmark = pytest.mark.xdist_group("engine-scale")
ACADEMY = str(Path(sys.executable).parent / "academy")
AID = "q01-qubits"


def grades(course: Path) -> dict[str, dict]:
    with open(course / "exports" / f"{AID}-grades.csv", newline="", encoding="utf-8") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def grade(course: Path, *args: str) -> subprocess.CompletedProcess:
    # two hidden variants (one reference job): still different instances between students
    return subprocess.run([ACADEMY, "grade", AID, *args], cwd=course, capture_output=True,
                          text=True, timeout=600, env=os.environ | {"ACADEMY_VARIANTS": "2"})


def fabricate(course: Path, students: int) -> None:
    right, stub = solutions(course, AID), stubs(course, AID)
    for i in range(students):
        # student i answers question k when bit k of 37 * i + 11 is set: a mix of totals
        answers = {g: right[g] if (37 * i + 11) >> k & 1 else stub[g] for k, g in enumerate(sorted(right))}
        submit(course, AID, f"student-{i:02d}", answers)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A course with four submissions graded locally with two workers: the grades to match."""
    course = copy_course(ROOT, tmp_path_factory.mktemp("baseline"), gradebook=True)
    fabricate(course, 4)
    result = grade(course, "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return course


def twin(baseline: Path, target: Path, gradebook: bool = True) -> Path:
    """Another course with the same submissions and the baseline's cached reference runs."""
    target.mkdir()
    course = copy_course(ROOT, target, gradebook)
    shutil.copytree(baseline / "submitted", course / "submitted")
    shutil.copytree(baseline / ".academy" / "references", course / ".academy" / "references")
    return course


def test_baseline_grades_are_mixed(baseline):
    totals = {s: float(r["total"]) for s, r in grades(baseline).items()}
    assert len(totals) == 4 and len(set(totals.values())) > 1
    assert all(r["status"] == "graded" for r in grades(baseline).values())


def _start(cmd: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_dask_cluster_gives_the_same_grades(baseline, tmp_path):
    course = twin(baseline, tmp_path / "course")
    scheduler_file = tmp_path / "scheduler.json"
    bindir = Path(sys.executable).parent
    scheduler = _start([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                        "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                       tmp_path / "scheduler.log")
    workers = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler_file.exists(), (tmp_path / "scheduler.log").read_text()
        import json
        address = json.loads(scheduler_file.read_text())["address"]
        workers = _start([str(bindir / "dask"), "worker", address, "--nworkers", "2",
                          "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                         tmp_path / "workers.log")
        result = grade(course, "--scheduler", address)
        assert result.returncode == 0, result.stdout + result.stderr
        log = (tmp_path / "workers.log").read_text()
        assert log.count("Start worker at") == 2, log
    finally:
        if workers:
            _stop(workers)
        _stop(scheduler)
    assert grades(course) == grades(baseline)


def test_an_unreachable_scheduler_is_one_clear_line(baseline, tmp_path):
    course = twin(baseline, tmp_path / "course")
    result = grade(course, "--scheduler", "tcp://127.0.0.1:9")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("academy: error: cannot reach the Dask scheduler")
    assert "Traceback" not in result.stderr


def test_postgresql_gives_the_same_grades(baseline, tmp_path, fresh_postgres_db):
    course = twin(baseline, tmp_path / "course", gradebook=False)
    result = grade(course, "--workers", "2", "--db", fresh_postgres_db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (course / "gradebook.db").exists()
    assert grades(course) == grades(baseline)


def gradebook_state(course: Path) -> list[tuple]:
    """Every grade and comment of the assignment in the gradebook, one row each, sorted."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(AID):
            rows.append(("submission", sub.student.id, sub.max_score))
            for nb in sub.notebooks:
                rows += [("grade", sub.student.id, nb.name, g.name, g.auto_score, g.manual_score)
                         for g in nb.grades]
                rows += [("comment", sub.student.id, nb.name, c.name, c.auto_comment, c.manual_comment)
                         for c in nb.comments]
    return sorted(rows, key=repr)


def test_a_batch_killed_at_random_moments_ends_as_a_clean_run(baseline, tmp_path):
    """Kill the grader and its workers with SIGKILL at three seeded moments, rerunning after
    each; the last rerun ends with the baseline's grades and gradebook (grades, comments, one
    submission each), and a journal entry only ever names a recorded submission."""
    import random

    course = twin(baseline, tmp_path / "course")
    journal = course / ".academy" / "grading" / AID
    moments = sorted(random.Random(2026).uniform(4, 30) for _ in range(3))
    for seconds in moments:
        proc = subprocess.Popen([ACADEMY, "grade", AID, "--workers", "1"], cwd=course,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=os.environ | {"ACADEMY_VARIANTS": "2"})
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        recorded = {row[1] for row in gradebook_state(course) if row[0] == "submission"}
        assert {p.stem for p in journal.glob("*.json")} <= recorded
        assert not list(journal.glob("*.tmp")) and not list(course.glob("exports/*.tmp"))

    result = grade(course, "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert grades(course) == grades(baseline)
    assert gradebook_state(course) == gradebook_state(baseline)


def test_changed_files_are_regraded(baseline, tmp_path):
    course = twin(baseline, tmp_path / "course")
    for kept in (".academy/grading", "autograded", "feedback"):
        shutil.copytree(baseline / kept, course / kept)
    shutil.copy(baseline / "gradebook.db", course / "gradebook.db")
    right = solutions(course, AID)
    shutil.rmtree(course / "submitted" / "student-00")
    submit(course, AID, "student-00", right)
    result = grade(course, "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = grades(course)
    assert rows["student-00"]["total"] == rows["student-00"]["max_total"]
    assert "3 submission(s) unchanged since the last run were kept" in result.stdout
