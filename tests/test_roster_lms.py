"""`academy roster import` into the gradebook, `academy export lms` for Canvas and Moodle, and
the nbgitpuller links of deploy/kubernetes."""
from __future__ import annotations

import csv
from urllib.parse import parse_qs, urlparse

import pytest

from graders.cli import main
from graders.course_config import db_url
from graders.engine.export import question_columns
from graders.hub.links import course_links, nbgitpuller_link

# nbgrader's add_submission warns about its own session handling (SQLAlchemy 2.x).
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
AID = "q01-qubits"
ROSTER = """id,first_name,last_name,email
s1,Minji,Kim,minji.kim@example.ac.kr
s2,Jisoo,Park,jisoo.park@example.ac.kr
s3,Hyun,Lee,hyun.lee@example.ac.kr
"""


def roster(tmp_path, text=ROSTER):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def students(course):
    from nbgrader.api import Gradebook

    with Gradebook(db_url(course)) as gb:
        return {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}


def test_roster_import_adds_then_updates(course, tmp_path, capsys):
    assert main(["roster", "import", str(roster(tmp_path)), "--root", str(course)]) == 0
    assert "3 student(s) added, 0 updated" in " ".join(capsys.readouterr().out.split())
    assert students(course)["s2"] == ("Jisoo", "Park", "jisoo.park@example.ac.kr")
    changed = ROSTER.replace("Jisoo,Park", "Jisoo,Park-Choi")
    assert main(["roster", "import", str(roster(tmp_path, changed)), "--root", str(course)]) == 0
    assert "0 student(s) added, 3 updated" in " ".join(capsys.readouterr().out.split())
    assert students(course)["s2"][1] == "Park-Choi"


@pytest.mark.parametrize("text, message", [
    ("id,first_name,email\ns1,A,a@x.org\n", "row 1: the header lacks last_name"),
    (ROSTER + "s4,Bo,Choi,not-an-address\n", "row 5: email 'not-an-address'"),
    (ROSTER + "s1,Bo,Choi,bo@example.ac.kr\n", "row 5: id 's1' is already on row 2"),
    (ROSTER + ",Bo,Choi,bo@example.ac.kr\n", "row 5: id is empty"),
    (ROSTER + "../etc,Bo,Choi,bo@example.ac.kr\n", "row 5: id '../etc' may hold only"),
    (ROSTER + "s5,,,bo@example.ac.kr\n", "row 5: student 's5' has no name"),
    (ROSTER + "s6,Bo,Choi,bo@example.ac.kr,extra\n", "row 5: more cells than columns"),
])
def test_a_bad_row_is_one_line_naming_it_and_nothing_is_written(course, tmp_path, capsys,
                                                                 text, message):
    assert main(["roster", "import", str(roster(tmp_path, text)), "--root", str(course)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (course / "gradebook.db").exists()  # nothing written, not even an empty gradebook


def graded(course):
    """The roster, and q01 in the gradebook with s1 at 2 points on exercise 1 and s2 with
    every point; s3 never submitted."""
    from nbgrader.api import Gradebook

    columns, max_points = question_columns(course, AID)
    with Gradebook(db_url(course)) as gb:
        gb.update_or_create_assignment(AID)
        gb.update_or_create_notebook(AID, AID)
        for key in columns:
            nb, gid = key.split(":")
            gb.update_or_create_grade_cell(gid, nb, AID, max_score=max_points[key],
                                           cell_type="code")
        for student, earned in (("s1", {"q1-normalise-test": 2}), ("s2", None)):
            gb.add_submission(AID, student)
            for key in columns:
                nb, gid = key.split(":")
                grade = gb.find_grade(gid, nb, AID, student)
                grade.auto_score = max_points[key] if earned is None else earned.get(gid, 0)
        gb.db.commit()
    return columns, max_points


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_canvas_export_has_canvas_columns_points_and_one_row_per_student(course, tmp_path):
    main(["roster", "import", str(roster(tmp_path)), "--root", str(course)])
    columns, max_points = graded(course)
    assert main(["export", "lms", AID, "--format", "canvas", "--root", str(course)]) == 0
    rows = read_csv(course / "exports" / f"{AID}-canvas.csv")
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[0][5:] == [f"{AID} {c}" for c in columns] + [f"{AID} total"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "18"
    by_id = {r[2]: r for r in rows[2:]}
    assert by_id["s1"][0] == "Kim, Minji" and by_id["s1"][5] == "2" and by_id["s1"][-1] == "2"
    assert by_id["s2"][-1] == "18"
    assert by_id["s3"][-1] == "0"  # no submission: 0, as nbgrader's own export


def test_moodle_export_has_identity_columns_and_maxima_in_the_names(course, tmp_path):
    main(["roster", "import", str(roster(tmp_path)), "--root", str(course)])
    columns, max_points = graded(course)
    out = tmp_path / "moodle.csv"
    assert main(["export", "lms", AID, "--format", "moodle", "--out", str(out),
                 "--root", str(course)]) == 0
    rows = read_csv(out)
    assert rows[0][:4] == ["First name", "Last name", "ID number", "Email address"]
    assert rows[0][4] == f"{AID} {columns[0]} (2)" and rows[0][-1] == f"{AID} total (18)"
    by_id = {r[2]: r for r in rows[1:]}
    assert by_id["s2"][3] == "jisoo.park@example.ac.kr" and by_id["s2"][-1] == "18"


def test_export_without_a_gradebook_or_for_an_unknown_assignment_is_one_line(course, capsys):
    assert main(["export", "lms", AID, "--format", "canvas", "--root", str(course)]) == 2
    assert "no gradebook" in capsys.readouterr().err
    assert not (course / "gradebook.db").exists()
    assert main(["export", "lms", "q99-nothing", "--format", "moodle", "--root", str(course)]) == 2
    assert "unknown assignment 'q99-nothing'" in capsys.readouterr().err


def test_nbgitpuller_links_open_each_release_notebook(course):
    link = nbgitpuller_link("https://hub.example.edu/", "https://git.example.edu/x/academy-release.git", AID)
    url = urlparse(link)
    assert url.path == "/hub/user-redirect/git-pull"
    query = parse_qs(url.query)
    assert query["repo"] == ["https://git.example.edu/x/academy-release.git"]
    assert query["urlpath"] == [f"tree/academy-release/{AID}/{AID}.ipynb"]
    links = course_links(course, "https://hub.example.edu", "https://git.example.edu/r")
    assert list(links["quantum-embark"])[:2] == [AID, f"{AID}-ko"]  # a module, then its Korean edition
    assert len(links["datacenter-academy"]) == 11
