"""The adversarial suite (issue 5): attack submissions (tests/attacks.py) against the two pilot
assignments, graded with the sandbox on, each with its asserted outcome.

One scratch course and one `academy grade --workers 2` batch per assignment serves every test
of that assignment: all its attacks plus two honest students (full marks, and all but q1). The
two batches are in separate xdist groups, so they can run side by side. Around each batch the
suite watches what an escaped kernel would leave behind: the course's files, files named
``academy-pwned*`` anywhere an attack writes, new entries in the grader's home, processes left
running, and two loopback servers (TCP and UDP) that an attack tries to send the tests to.
The q01 course is then graded a second time: the journal must keep every outcome.

Cost (measured, see the report of issue 5): each batch takes one to three minutes of a 2-core
machine, mostly nbgrader recording each submission one at a time in the coordinator.
"""
from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from attacks import ANY_STATUS, ATTACKS, DC01, FLAGGED, PROBE_TAG, PWNED, Q01, SLEEP_MARK, TESTS, Attack
from conftest import ROOT
from submissions import copy_course, solutions, stubs, submit

ACADEMY = str(Path(sys.executable).parent / "academy")
CELL_SECONDS, NOTEBOOK_SECONDS = 8, 60  # the scratch course's limits: loops stop quickly
VARIANTS = "1"  # one hidden variant: one reference run per batch, not one per student
# What grading itself writes in the course root; everything else must be as it was.
GRADER_OUTPUTS = {"autograded", "feedback", "exports", ".academy", "gradebook.db"}
# Hidden-test content that must never reach a student's feedback (text of the source's hidden
# parts: expected values and the code that makes them).
HIDDEN = {
    Q01: ["BEGIN HIDDEN TESTS", "instances.rng", "[0.0, 0.0, -1.0]", "np.array([1j, -1j]) / math.sqrt(2)",
          "raw / math.sqrt(sum(abs(z) ** 2 for z in raw))", "expected = Statevector(circuit)"],
    DC01: ["BEGIN HIDDEN TESTS", "instances.rng", "[5, 6, 10]", "want_rows", "want_over",
           "expected_min", "plan_problems(p, 680, [100, 500], 0.2, 8)"],
}
# Visible test code, which feedback does show: proves the page's text is read as a student sees it.
VISIBLE = {Q01: "checks.statevector(normalise([3, 4j])",
           DC01: "checks.close(average_it_kw([100.0, 300.0, 200.0])"}
HONEST = ("honest-full", "honest-partial")
# Engine bugs this suite found, now fixed, stay listed here as strict xfails only while open.
KNOWN_BUGS: dict[str, str] = {}


class Listener:
    """A TCP and a UDP server on the grader's loopback that record whatever reaches them."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self.running = True
        self.threads = [threading.Thread(target=self._accept, daemon=True),
                        threading.Thread(target=self._datagrams, daemon=True)]
        for t in self.threads:
            t.start()

    @property
    def ports(self) -> tuple[int, int]:
        return self.tcp.getsockname()[1], self.udp.getsockname()[1]

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                chunks = [b"<connection>"]
                try:
                    while chunk := conn.recv(65536):
                        chunks.append(chunk)
                except OSError:
                    pass
                self.received.append(b"".join(chunks))

    def _datagrams(self) -> None:
        while self.running:
            try:
                self.received.append(self.udp.recv(65536))
            except OSError:
                continue

    def close(self) -> None:
        self.running = False
        for t in self.threads:
            t.join(timeout=2)
        self.tcp.close()
        self.udp.close()


def pwned_places(course: Path) -> list[Path]:
    """Where an attack's files would land if it escaped (host paths, not the sandbox's)."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    places = [course, course / "source", Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"),
              Path.home(), Path("/root"), ROOT / "graders", purelib]
    return sorted({p for p in places if p.is_dir()})


def pwned_files(course: Path) -> list[Path]:
    found = [p for place in pwned_places(course) for pattern in (f"*{PWNED}*", "*academy_pwned*")
             for p in place.glob(pattern)]
    found += (course / "submitted").rglob(f"*{PWNED}*")
    return sorted(set(found))


def snapshot(course: Path) -> dict[str, str]:
    """Every file of the course except what grading writes: path -> digest (or link target)."""
    out = {}
    for folder, dirs, files in os.walk(course):
        rel_folder = Path(folder).relative_to(course)
        if rel_folder == Path("."):
            dirs[:] = [d for d in dirs if d not in GRADER_OUTPUTS]
        for name in files + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = Path(folder) / name
            rel = str(rel_folder / name)
            if rel in GRADER_OUTPUTS:
                continue
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sleepers() -> list[int]:
    """Processes running the process bomb's `sleep 41.7`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith(b"sleep") and argv[1] == SLEEP_MARK.encode():
            found.append(int(pid))
    return found


def fill(text: str, attack: Attack, course: Path, ports: tuple[int, int], right: str = "") -> str:
    values = {"@COURSE@": str(course), "@REPO@": str(ROOT), "@NAME@": attack.name,
              "@AID@": attack.aid, "@PWNED@": PWNED, "@PORT@": str(ports[0]),
              "@UDP@": str(ports[1]), "@SLEEP@": SLEEP_MARK, "@RIGHT@": right}
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def write_attack(course: Path, attack: Attack, ports: tuple[int, int]) -> None:
    """The attack's submission folder, as a student would hand it in."""
    aid, right = attack.aid, solutions(course, attack.aid)
    if attack.raw is not None:
        submit(course, aid, attack.name, raw=fill(attack.raw, attack, course, ports))
    elif f"{aid}.ipynb" in attack.links:
        (course / "submitted" / attack.name / aid).mkdir(parents=True)
    else:
        answers = {**right, **{g: fill(s, attack, course, ports, right[g])
                               for g, s in attack.answers.items()}}
        path = submit(course, aid, attack.name, answers)
        if attack.notebook:
            nb = json.loads(path.read_text(encoding="utf-8"))
            for edit in attack.notebook:
                edit(nb)
            path.write_text(fill(json.dumps(nb), attack, course, ports), encoding="utf-8")
    folder = course / "submitted" / attack.name / aid
    for name, target in attack.links.items():
        (folder / name).symlink_to(fill(target, attack, course, ports))


@dataclass
class Batch:
    aid: str
    course: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    rows: dict[str, dict]
    rerun: dict[str, dict] | None  # the CSV after a second `academy grade` (q01 only)
    rerun_stdout: str
    before: dict[str, str]
    after: dict[str, str]
    home_before: set[str]
    home_after: set[str]
    pwned: list[Path]
    sleepers: list[int]
    received: list[bytes] = field(default_factory=list)

    def outputs_of(self, student: str) -> str:
        """The answer cells' outputs of ``student``'s autograded notebook, for a failure message."""
        path = self.course / "autograded" / student / self.aid / f"{self.aid}.ipynb"
        if not path.is_file():
            return f"no autograded notebook at {path}"
        lines = []
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution"):
                lines.append(f"{meta.get('grade_id')}: {json.dumps(cell.get('outputs', []))[:600]}")
        return "\n".join(lines)

    def probes(self, student: str) -> dict:
        """The facts the student's kernel printed (ACADEMY-PROBE lines) in its answer cells."""
        path = self.course / "autograded" / student / self.aid / f"{self.aid}.ipynb"
        facts: dict = {}
        if not path.is_file():
            return facts
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                text = out.get("text", "")
                for line in ("".join(text) if isinstance(text, list) else str(text)).splitlines():
                    if line.startswith(PROBE_TAG + " "):
                        facts.update(json.loads(line[len(PROBE_TAG) + 1:]))
        return facts


def read_csv(course: Path, aid: str) -> dict[str, dict]:
    path = course / "exports" / f"{aid}-grades.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def set_limits(course: Path, aid: str) -> None:
    manifest = course / "assignments" / f"{aid}.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["limits"] = {"cell_seconds": CELL_SECONDS, "notebook_seconds": NOTEBOOK_SECONDS}
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def grade_batch(aid: str, course: Path) -> Batch:
    course.mkdir()
    copy_course(ROOT, course, gradebook=True)
    set_limits(course, aid)
    right, stub = solutions(course, aid), stubs(course, aid)
    first = sorted(right)[0]
    submit(course, aid, "honest-full", right)
    submit(course, aid, "honest-partial", {**right, first: stub[first]})
    listener = Listener()
    try:
        for attack in ATTACKS[aid]:
            write_attack(course, attack, listener.ports)
        before, home_before = snapshot(course), set(os.listdir(Path.home()))
        assert not pwned_files(course), "leftovers of an earlier run: remove them first"
        started = time.monotonic()
        result = subprocess.run([ACADEMY, "grade", aid, "--workers", "2"], cwd=course,
                                capture_output=True, text=True, timeout=900,
                                env={**os.environ, "ACADEMY_VARIANTS": VARIANTS})
        seconds = time.monotonic() - started
        left = sleepers()
        rows = read_csv(course, aid)
        rerun, rerun_stdout = None, ""
        if aid == Q01:  # the journal must keep every outcome; the references are cached now
            again = subprocess.run([ACADEMY, "grade", aid, "--workers", "2"], cwd=course,
                                   capture_output=True, text=True, timeout=600,
                                   env={**os.environ, "ACADEMY_VARIANTS": VARIANTS})
            rerun, rerun_stdout = read_csv(course, aid), again.stdout + again.stderr
        time.sleep(0.5)  # a datagram or connection still in flight
    finally:
        listener.close()
    print(f"\n{aid}: {len(ATTACKS[aid])} attacks + 2 honest graded in {seconds:.1f} s")
    pwned = pwned_files(course)
    batch = Batch(aid, course, result.returncode, result.stdout, result.stderr, seconds, rows,
                  rerun, rerun_stdout, before, snapshot(course), home_before,
                  set(os.listdir(Path.home())), pwned, left, listener.received)
    for path in pwned:  # an escape was recorded above: do not leave it lying around
        path.unlink(missing_ok=True)
    return batch


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """One grading batch per assignment, made the first time a test of it asks (each xdist
    group makes only its own); a batch that could not be made fails each test without
    being tried again."""
    made: dict[str, Batch | Exception] = {}

    def get(aid: str) -> Batch:
        if aid not in made:
            try:
                made[aid] = grade_batch(aid, tmp_path_factory.mktemp(aid) / "course")
            except Exception as exc:
                made[aid] = exc
        if isinstance(made[aid], Exception):
            raise made[aid]
        return made[aid]
    return get


def grouped(aid: str, values, bugs: bool = False) -> list:
    """pytest params in the assignment's xdist group (with ``bugs``: known bugs as strict xfail)."""
    out = []
    for v in values:
        name = getattr(v, "name", str(v))
        marks = [pytest.mark.xdist_group(f"adversarial-{aid}")]
        if bugs and name in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        out.append(pytest.param(v, marks=marks, id=name))
    return out


ALL_ATTACKS = grouped(Q01, ATTACKS[Q01]) + grouped(DC01, ATTACKS[DC01])
OUTCOMES = grouped(Q01, ATTACKS[Q01], bugs=True) + grouped(DC01, ATTACKS[DC01], bugs=True)
BOTH = grouped(Q01, [Q01]) + grouped(DC01, [DC01])


def test_attack_names_are_unique_and_enough():
    names = [a.name for group in ATTACKS.values() for a in group]
    assert len(names) == len(set(names)) >= 24
    assert not set(names) & set(HONEST)


@pytest.mark.parametrize("attack", OUTCOMES)
def test_attack_earns_no_more_than_its_honest_part(batches, attack: Attack):
    batch = batches(attack.aid)
    row = batch.rows.get(attack.name)
    assert row is not None, f"{attack.name} missing from the CSV:\n{batch.stdout}\n{batch.stderr}"
    got = {t: float(row[f"{attack.aid}:{t}"]) for t in TESTS[attack.aid]}
    most = {t: float(batch.rows["honest-full"][f"{attack.aid}:{t}"]) for t in TESTS[attack.aid]}
    want = {t: (most[t] if t in attack.earns else 0.0) for t in TESTS[attack.aid]}
    assert got == want, f"{attack.name}: {attack.what}\nstatus: {row['status']}"
    assert float(row["max_total"]) == sum(most.values())
    if attack.status == "graded":
        assert row["status"] == "graded", row["status"]
    elif attack.status == FLAGGED:
        assert row["status"] != "graded"
    elif attack.status != ANY_STATUS:
        assert attack.status in row["status"], row["status"]
    feedback = batch.course / "feedback" / attack.name / attack.aid / f"{attack.aid}.html"
    assert feedback.is_file() == attack.recorded, row["status"]


@pytest.mark.parametrize("attack", [a for a in ALL_ATTACKS if a.values[0].probe])
def test_attack_saw_nothing_from_inside(batches, attack: Attack):
    """What the attack itself printed from inside its kernel: every trick failed there."""
    facts = batches(attack.aid).probes(attack.name)
    for key, want in attack.probe.items():
        assert key in facts, (f"{attack.name} printed no {key!r}: {facts}\n"
                              + batches(attack.aid).outputs_of(attack.name))
        if isinstance(want, dict):
            for sub, value in want.items():
                got = facts[key].get(sub)
                assert (value(got) if callable(value) else got == value), (key, sub, got)
        else:
            got = facts[key]
            assert (want(got) if callable(want) else got == want), (key, got)


@pytest.mark.parametrize("aid", BOTH)
def test_the_batch_finishes_and_honest_students_keep_their_grades(batches, aid):
    batch = batches(aid)
    assert batch.returncode == 1, batch.stdout + batch.stderr  # some attacks are flagged
    assert "Traceback" not in batch.stderr, batch.stderr
    assert sorted(batch.rows) == sorted([*HONEST, *(a.name for a in ATTACKS[aid])])
    full, partial = batch.rows["honest-full"], batch.rows["honest-partial"]
    first = TESTS[aid][0]
    for test in TESTS[aid]:
        assert float(full[f"{aid}:{test}"]) > 0, test
        assert float(partial[f"{aid}:{test}"]) == (0.0 if test == first else float(full[f"{aid}:{test}"]))
    assert full["total"] == full["max_total"] == str({Q01: 18, DC01: 17}[aid])
    assert full["status"] == partial["status"] == "graded"


@pytest.mark.parametrize("aid", BOTH)
def test_nothing_is_written_outside_scratch(batches, aid):
    batch = batches(aid)
    assert batch.pwned == [], f"files an attack wrote outside its sandbox: {batch.pwned}"
    changed = {k for k in batch.before.keys() | batch.after.keys()
               if batch.before.get(k) != batch.after.get(k)}
    assert changed == set(), f"course files changed by grading: {sorted(changed)}"
    new_home = {n for n in batch.home_after - batch.home_before if not n.startswith(".")}
    assert new_home == set(), f"new entries in {Path.home()}: {new_home}"
    assert batch.sleepers == [], "the process bomb's children outlived the batch"


@pytest.mark.parametrize("aid", grouped(DC01, [DC01]))
def test_the_network_servers_received_nothing(batches, aid):
    assert batches(aid).received == []


@pytest.mark.parametrize("aid", BOTH)
def test_feedback_shows_no_hidden_content(batches, aid):
    batch = batches(aid)
    pages = sorted((batch.course / "feedback").glob(f"*/{aid}/{aid}.html"))
    assert len(pages) == sum(1 for a in ATTACKS[aid] if a.recorded) + len(HONEST)
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        assert VISIBLE[aid] in text, page
        leaked = [h for h in HIDDEN[aid] if h in text]
        assert leaked == [], f"{page.relative_to(batch.course)} shows hidden content: {leaked}"


@pytest.mark.parametrize("aid", grouped(Q01, [Q01]))
def test_a_rerun_keeps_every_outcome(batches, aid):
    """The second run finds every recorded submission unchanged and keeps its grades."""
    batch = batches(aid)
    assert "unchanged since the last run were kept" in batch.rerun_stdout, batch.rerun_stdout
    assert sorted(batch.rerun) == sorted(batch.rows)
    for student, row in batch.rows.items():
        if student != "q-symlink-notebook":
            assert batch.rerun[student] == row, student


@pytest.mark.parametrize("aid", grouped(Q01, [Q01]))
def test_a_symlinked_notebook_stays_flagged_on_a_rerun(batches, aid):
    row = batches(aid).rerun["q-symlink-notebook"]
    assert row["status"] != "graded" and row["total"] == "0", row


@pytest.mark.parametrize("aid", grouped(DC01, [DC01]))
def test_the_gradebook_holds_no_forged_scores(batches, aid):
    from nbgrader.api import Gradebook

    batch = batches(aid)
    with Gradebook(f"sqlite:///{batch.course / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(aid)
        assert assignment.max_score == 17
        for submission in gb.assignment_submissions(aid):
            for nb in submission.notebooks:
                for grade in nb.grades:
                    assert grade.manual_score is None, (submission.student.id, grade.name)
                    assert grade.max_score <= 4, (submission.student.id, grade.name)


def test_grading_without_bubblewrap_stops_unless_told(tmp_path):
    """With bwrap missing from PATH, `academy grade` refuses (exit 2, one line naming
    --unsafe-no-sandbox) and grades nothing."""
    (tmp_path / "course").mkdir()
    course = copy_course(ROOT, tmp_path / "course")
    submit(course, DC01, "honest-full", solutions(course, DC01))
    tools = tmp_path / "bin"
    tools.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin"):
        for entry in Path(folder).iterdir():
            if entry.name != "bwrap" and not (tools / entry.name).exists():
                (tools / entry.name).symlink_to(entry)
    path = f"{Path(sys.executable).parent}:{tools}"
    result = subprocess.run([ACADEMY, "grade", DC01], cwd=course, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PATH": path})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--unsafe-no-sandbox" in lines[0], result.stderr
    assert "bubblewrap" in lines[0]
    assert not (course / "exports").exists() and not (course / "autograded").exists()
