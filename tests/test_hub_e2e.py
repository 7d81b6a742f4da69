"""The course on a real JupyterHub, driven in a real browser (issue 7).

`academy hub --demo`'s DemoHub starts JupyterHub (PyPI) with configurable-http-proxy (npm) on
127.0.0.1, with a grader account, an instructor and three students created as real Unix
users, and Debian's Chromium goes through the whole loop: release in formgrader; fetch,
answer, Validate and submit; a fully correct submission and a missing one; collect,
`academy grade`, release feedback; fetch feedback; and file access across users.
Screenshots go to tests/artifacts/hub/. Everything (users, processes, folders) is removed at
the end, also after a failure. Needs root to create the users: skipped otherwise.
"""
from __future__ import annotations

import contextlib
import csv
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "hub"
AID = "q01-qubits"
COURSE = "quantum-embark"
FIRST_ANSWER = '''def normalise(amplitudes):
    """Divide by the 2-norm: every phase kept, squared magnitudes add up to 1."""
    a = np.asarray(amplitudes, dtype=complex)
    return a / np.linalg.norm(a)
'''

pytestmark = [
    pytest.mark.xdist_group("hub_e2e"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the hub test creates real Unix users, "
                       "which needs root (CI runs as root)"),
]


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def hub():
    """A demo hub with accounts of its own (prefix from this process id), removed after."""
    from hub_browser import ensure_chromium

    from graders.hub.demo import DemoHub, DemoPorts

    if ensure_chromium() is None:
        pytest.fail("Debian's Chromium is missing at /usr/bin/chromium and apt-get could not "
                    "install it")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    base = Path(tempfile.mkdtemp(prefix="academy-hub-e2e-", dir="/tmp"))
    demo = DemoHub(root=ROOT, base=base, prefix=f"ah{os.getpid() % 100000}",
                   ports=DemoPorts(*free_ports(4)))
    try:
        with demo:
            yield demo
    finally:
        if demo.log and demo.log.exists():
            shutil.copy(demo.log, ARTIFACTS / "jupyterhub.log")
        demo.remove_folder()
        for user in [demo.grader, demo.instructor, *demo.students]:
            assert not _account_exists(user), f"{user} was not removed"


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def grade_on_the_hub(demo) -> str:
    """What the README tells the instructor to run on the hub machine: `academy grade` as
    root (the engine sandboxes each student's kernel under a uid of its own), then the course
    directory handed back to the grader account that runs the formgrader."""
    env = {**os.environ, "ACADEMY_EXCHANGE": str(demo.base / "exchange")}
    done = subprocess.run([str(Path(sys.executable).parent / "academy"), "grade", AID,
                           "--root", str(demo.course_root)], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, f"academy grade failed ({done.returncode}): {done.stderr[-2000:]}"
    subprocess.run(["chown", "-R", f"{demo.grader}:", str(demo.course_root)], check=True)
    return done.stdout


@contextlib.contextmanager
def screens_on_failure(pw):
    """The browser; if a step fails, a screenshot of every open page (failure-*.png)."""
    from hub_browser import launch

    browser = launch(pw)
    try:
        yield browser
    except BaseException:
        for i, page in enumerate(p for c in browser.contexts for p in c.pages):
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"failure-{i}.png"))
        raise
    finally:
        browser.close()


def test_course_loop_in_a_browser(hub):
    from hub_browser import Instructor, Student, correct_notebook, visible_text
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    s1, s2, s3 = hub.students
    with sync_playwright() as pw, screens_on_failure(pw) as browser:
        teacher = Instructor(browser, hub.url, hub.instructor, hub.password, ARTIFACTS)
        one = Student(browser, hub.url, s1, hub.password, ARTIFACTS)
        two = Student(browser, hub.url, s2, hub.password, ARTIFACTS)

        # 1. The instructor logs in and releases the assignment from formgrader.
        teacher.open_formgrader(COURSE)
        released = teacher.act(AID, "release")
        assert f"Successfully released '{AID}'" in released, released
        teacher.shot("1-formgrader-released")
        teacher.close_dialog()
        assert (hub.base / "exchange" / COURSE / "outbound" / AID / f"{AID}.ipynb").is_file()

        # 2. A student sees it in the Assignments tab, fetches it, answers one exercise,
        # validates (that exercise passes, the others fail with their messages), submits.
        one.open_assignments()
        one.released().locator(".list_item", has_text=AID).wait_for()
        one.shot("2-student-assignments")
        one.fetch(AID)
        notebook = one.open_notebook(AID)
        one.answer(notebook, "def normalise(amplitudes)", FIRST_ANSWER)
        result = one.validate(notebook)
        one.shot("3-student-validate", notebook)
        assert "The following cell failed" in result
        assert "checks.statevector(normalise(" not in result  # exercise 1 passed
        assert "outcome_probabilities" in result  # exercise 2 did not
        notebook.keyboard.press("Escape")
        notebook.close()
        one.submit(AID)
        one.shot("4-student-submitted")

        # 3. A second student submits a fully correct notebook; a third submits nothing.
        two.open_assignments()
        two.fetch(AID)
        mine = hub.home(s2) / COURSE / AID / f"{AID}.ipynb"
        mine.write_text(correct_notebook(hub.course_root, AID), encoding="utf-8")
        os.chown(mine, pwd.getpwnam(s2).pw_uid, pwd.getpwnam(s2).pw_gid)
        two.submit(AID)

        # 4. The instructor collects, grades with `academy grade`, releases feedback.
        teacher.page.reload()
        collected = teacher.act(AID, "collect")
        assert "Successfully collected" in collected and s1 in collected and s2 in collected
        teacher.close_dialog()
        grade_on_the_hub(hub)
        with open(hub.course_root / "exports" / f"{AID}-grades.csv", newline="") as fh:
            rows = {r["student_id"]: r for r in csv.DictReader(fh)}
        assert set(rows) == {s1, s2}, rows.keys()  # the third never submitted
        assert float(rows[s1]["total"]) == 2 and float(rows[s1][f"{AID}:q1-normalise-test"]) == 2
        assert float(rows[s2]["total"]) == float(rows[s2]["max_total"]) == 18
        teacher.page.reload()
        feedback = teacher.act(AID, "release-feedback")
        assert "Successfully released feedback" in feedback, feedback
        teacher.shot("5-formgrader-feedback-released")
        teacher.close_dialog()

        # 5. Each student fetches feedback: their own points and hints, no hidden tests.
        for student, total in ((one, "2.0 / 18.0"), (two, "18.0 / 18.0")):
            student.page.reload()
            student.page.get_by_text("Nbgrader", exact=True).click()
            student.page.get_by_text("Assignment List").click()
            student.fetch_feedback(AID)
            home = hub.home(student.name)
            html = next(home.glob(f"{COURSE}/{AID}/feedback/*/{AID}.html")).relative_to(home)
            page = student.open_file(str(html))
            text = visible_text(page.content())
            assert f"Score: {total}" in text, text[:500]
            assert student.name in text or AID in text
            assert "hint" in text.lower()
            assert "BEGIN HIDDEN TESTS" not in text and f'instances.rng("{AID}"' not in text
            assert 'instances . rng' not in text and "instances.rng" not in text
            if student is one:
                student.shot("6-student-feedback", page)
                page.get_by_role("link", name="Test cell").nth(1).click()  # exercise 2's test
                student.shot("7-student-feedback-failed-test", page)
            page.close()

        # ... and nobody reads what is not theirs through the hub's file API ...
        for path in (f"/user/{s2}/api/contents/{COURSE}/{AID}",   # another student's work
                     f"/user/{s2}/files/{COURSE}/{AID}/{AID}.ipynb",
                     f"/user/{s3}/api/contents",                   # a student with no server
                     f"/services/{COURSE}/api/contents/source/{AID}",  # the instructor's source
                     f"/services/{COURSE}/files/source/{AID}/{AID}.ipynb",
                     f"/services/{COURSE}/formgrader/manage_assignments"):
            assert one.status(path) in (403, 404), path
        assert one.status(f"/user/{s1}/api/contents/{COURSE}/{AID}") == 200  # the check works
        # ... nor, as the Unix account a student's kernel runs as, on disk.
        source = hub.course_root / "source" / AID / f"{AID}.ipynb"
        for target in (source, hub.home(s2) / COURSE / AID / f"{AID}.ipynb"):
            assert target.exists()
            assert subprocess.run(["runuser", "-u", s1, "--", "cat", str(target)],
                                  capture_output=True).returncode != 0, target
        one.page.goto(f"{hub.url}/services/{COURSE}/formgrader/manage_assignments")
        one.shot("8-student-denied-formgrader")
    elapsed = time.monotonic() - started
    print(f"hub e2e: browser loop took {elapsed:.0f} s")
