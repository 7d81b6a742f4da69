"""The checks' messages in Korean: every template has its translation, a Korean message has no
English in it but code and values, the English ones are what they were, and the language is
the notebook's (never the machine's locale)."""
from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import nbformat
import numpy as np
import polib
import pytest
from qiskit import QuantumCircuit

from graders import checks, language, selfcheck
from graders.checks.verdict import CheckFailed, failure_text, hint_label, mistake_label

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "graders" / "locale" / "ko" / "messages.po"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# --- every template has a Korean entry -----------------------------------------------------

def templates() -> dict[str, list[str]]:
    """English template -> where it is written: each call ``t("...")`` in graders/."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "graders").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, []).append(
                    f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_templates_are_found():
    found = templates()
    assert len(found) > 100
    assert "expected {expectation}; got {given}" in found and "Hint:" in found


def test_every_template_has_a_korean_translation_with_the_same_fields():
    entries = {e.msgid: e for e in polib.pofile(str(PO)) if not e.obsolete}
    missing = {m: where for m, where in templates().items()
               if m not in entries or not entries[m].msgstr or "fuzzy" in entries[m].flags}
    assert not missing, "templates without a (non-fuzzy) Korean entry in graders/locale/ko/messages.po:\n" + \
        "\n".join(f"  {m!r}  ({', '.join(w)})" for m, w in missing.items())
    wrong = {m: (sorted(fields(m)), sorted(fields(e.msgstr))) for m, e in entries.items()
             if fields(m) != fields(e.msgstr)}
    assert not wrong, f"Korean entries whose {{fields}} differ from their English: {wrong}"
    assert all(HANGUL.search(e.msgstr) for m, e in entries.items() if m != "a QuantumCircuit")


def test_no_entry_of_the_catalog_is_obsolete_or_unused():
    po = polib.pofile(str(PO))
    assert not po.obsolete_entries(), [e.msgid for e in po.obsolete_entries()]
    used = templates()
    unused = sorted(e.msgid for e in po if not e.obsolete and e.msgid not in used)
    assert not unused, f"entries of messages.po that no t(...) in graders/ uses: {unused}"


def test_messages_are_translated_when_made_not_at_import():
    """t() at module level would fix the language of a message when its module is imported."""
    def calls_at_import(node, inside=False):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside = True
        if (not inside and isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "t"):
            yield node.lineno
        for child in ast.iter_child_nodes(node):
            yield from calls_at_import(child, inside)
    early = [f"{p.relative_to(ROOT)}:{line}" for p in sorted((ROOT / "graders").rglob("*.py"))
             for line in calls_at_import(ast.parse(p.read_text(encoding="utf-8")))]
    assert not early


# --- failing verdicts of every check, in Korean and in English -----------------------------

def circuit(n: int, *gates: tuple) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    for name, *args in gates:
        getattr(qc, name)(*args)
    return qc


BELL = circuit(2, ("h", 0), ("cx", 0, 1))
X0, X1 = circuit(2, ("x", 0)), circuit(2, ("x", 1))
MEASURED = QuantumCircuit(2, 2)
MEASURED.measure([0, 1], [0, 1])
FAIR = {"00": 0.5, "11": 0.5}
TABLE = [{"rack": 1, "kw": 4.0}, {"rack": 2, "kw": 6.0}]
HINT = "부하로 나누세요"  # the author's hint: translated with the notebook, here already Korean

# (id, call, the English message as it has always been)
CASES = [
    ("close-value", lambda: checks.close(91.0, 86.4, rel=0.01, unit="min", what="UPS 런타임", hint=HINT),
     "UPS 런타임: expected a number in min within 1% of the correct value; got 91.0 min "
     "(outside that tolerance)."),
    ("close-type", lambda: checks.close("86.4", 86.4, abs=0.5, unit="kW", hint=HINT),
     "your answer: expected a number in kW; got a str '86.4'."),
    ("close-none", lambda: checks.close(None, 86.4, hint=HINT),
     "your answer: expected a number; got None (a function without a `return` gives None)."),
    ("close-shape", lambda: checks.close([[1.0, 2.0, 3.0]], [1, 2, 3], hint=HINT),
     "your answer: expected an array of numbers with shape (3,); got an array with shape (1, 3)."),
    ("close-scalar-for-array", lambda: checks.close(2.0, [1, 2, 3], hint=HINT),
     "your answer: expected an array of numbers with shape (3,); got a single number 2."),
    ("close-elements", lambda: checks.close([1.0, 2.5, 3.0], [1, 2, 3], hint=HINT),
     "your answer: expected an array of numbers with shape (3,) within rounding error (1e-06 of its "
     "size) of the correct value; got 1 element(s) outside it (the first at index 1)."),
    ("close-both-tolerances", lambda: checks.close(9.0, 5.0, rel=0.02, abs=0.5, unit="kW", hint=HINT),
     "your answer: expected a number in kW within 2% or ±0.5 kW of the correct value; got 9.0 kW "
     "(outside that tolerance)."),
    ("close-exact", lambda: checks.close(3, 2, rel=0, hint=HINT),
     "your answer: expected a number within exactly of the correct value; got 3.0 (outside that "
     "tolerance)."),
    ("close-mapping", lambda: checks.close({"00": 0.7}, FAIR, abs=0.01, hint=HINT),
     "your answer: expected a dict of names to numbers within ±0.01 of the correct values (a missing "
     "key counts as 0); got 0.7 for key '00' (the first key that is off)."),
    ("close-mapping-key", lambda: checks.close({"00": 0.5}, FAIR, abs=0.01, hint=HINT),
     "your answer: expected a dict of names to numbers within ±0.01 of the correct values (a missing "
     "key counts as 0); got no key '11' (the first key that is off)."),
    ("close-mistake", lambda: checks.close(1, 2, abs=0.1, what="k", hint=HINT,
                                           mistakes={"반올림 대신 내림(floor)을 씀": 1}),
     "k: expected a number within ±0.1 of the correct value; got 1.0 (outside that tolerance).\n"
     "Likely mistake: 반올림 대신 내림(floor)을 씀."),
    ("equal-value", lambda: checks.equal(15.5, 15, hint=HINT),
     "your answer: expected a particular number; got a float 15.5 (not the right one)."),
    ("equal-type", lambda: checks.equal("abc", 15, hint=HINT),
     "your answer: expected a number; got a str 'abc'."),
    ("equal-str", lambda: checks.equal("1001", "0101", hint=HINT),
     "your answer: expected a particular str; got a str '1001' (not the right one)."),
    ("equal-bad", lambda: checks.equal(object, [1], hint=HINT),
     "your answer: expected a list; got a type <class 'object'>."),
    ("equal-mistake", lambda: checks.equal(15.5, 15, what="q", hint=HINT,
                                           mistakes={"/ 대신 //를 쓰세요": 15.5}),
     "q: expected a particular number; got a float 15.5 (not the right one).\nLikely mistake: "
     "/ 대신 //를 쓰세요."),
    ("same_set-value", lambda: checks.same_set([1, 2, 4, 5], {1, 2, 3}, hint=HINT),
     "your answer: expected a particular collection (order does not matter); got 4 distinct item(s) "
     "(1 missing, 2 not expected)."),
    ("same_set-type", lambda: checks.same_set("abc", {1, 2, 3}, hint=HINT),
     "your answer: expected a collection (list, tuple or set); got a str 'abc'."),
    ("sequence-order", lambda: checks.sequence([3, 2, 1], [1, 2, 3], hint=HINT),
     "your answer: expected a sequence of 3 item(s) in a particular order; got an int 3 at position 0 "
     "(the first item that differs, counting from 0)."),
    ("sequence-length", lambda: checks.sequence([1], [1, 2, 3], hint=HINT),
     "your answer: expected a sequence of 3 item(s) in a particular order; got 1 item(s)."),
    ("sequence-type", lambda: checks.sequence({"a": 1}, [1, 2, 3], hint=HINT),
     "your answer: expected a sequence (list or tuple); got a dict {'a': 1}."),
    ("sequence-mistake", lambda: checks.sequence([3, 2, 1], [1, 2, 3], what="순서", hint=HINT,
                                                 mistakes={"순서가 거꾸로입니다": [3, 2, 1]}),
     "순서: expected a sequence of 3 item(s) in a particular order; got an int 3 at position 0 "
     "(the first item that differs, counting from 0).\nLikely mistake: 순서가 거꾸로입니다."),
    ("table-cell", lambda: checks.table([{"rack": 1, "kw": 4.0}, {"rack": 2, "kw": 7.0}], TABLE,
                                        key="rack", hint=HINT),
     "your table: expected a table of 2 row(s) with columns ['kw', 'rack']; got a float 7.0 in the row "
     "with rack = 2, column 'kw' (the first cell that is wrong)."),
    ("table-cell-in-order", lambda: checks.table([{"rack": 1, "kw": 5.0}, {"rack": 2, "kw": 6.0}], TABLE,
                                                 hint=HINT),
     "your table: expected a table of 2 row(s) with columns ['kw', 'rack']; got a float 5.0 in row 0, "
     "column 'kw' (the first cell that is wrong)."),
    ("table-columns", lambda: checks.table([{"rack": 1, "w": 4.0}], TABLE, hint=HINT),
     "your table: expected a table of 2 row(s) with columns ['kw', 'rack']; got row 0 with columns "
     "['rack', 'w']."),
    ("table-rows", lambda: checks.table(TABLE[:1], TABLE, hint=HINT),
     "your table: expected a table of 2 row(s) with columns ['kw', 'rack']; got 1 row(s)."),
    ("table-key-missing", lambda: checks.table([TABLE[0], {"rack": 3, "kw": 6.0}], TABLE, key="rack",
                                               hint=HINT),
     "your table: expected a table of 2 row(s) with columns ['kw', 'rack']; got no row with rack = 2."),
    ("table-key-repeated", lambda: checks.table([TABLE[0], TABLE[0]], TABLE, key="rack", hint=HINT),
     "your table: expected a table of 2 row(s) with columns ['kw', 'rack']; got repeated values in "
     "the key column 'rack'."),
    ("table-type", lambda: checks.table([1, 2], TABLE, hint=HINT),
     "your table: expected a table of 2 row(s) with columns ['kw', 'rack']; got rows that are not all "
     "dicts (mappings of column to value)."),
    ("valid-rules", lambda: checks.valid(-1, lambda x: [f"규칙 {i}" for i in range(5)], hint=HINT),
     "your answer: expected a valid answer; got an int -1 (규칙 0; 규칙 1; 규칙 2; and 2 more)."),
    ("valid-false", lambda: checks.valid(-1, lambda x: x > 0, hint=HINT),
     "your answer: expected a valid answer; got an int -1 (it breaks a rule of the task)."),
    ("valid-broken", lambda: checks.valid("a", lambda x: x > 0, hint=HINT),
     "your answer: expected a valid answer; got a str 'a' (could not be checked: TypeError)."),
    ("statevector-reversed", lambda: checks.statevector(X0, X1, hint=HINT),
     "your state: expected the correct state (up to a global phase); got one that matches only with "
     "the qubit order reversed (Qiskit's qubit 0 is the rightmost bit)."),
    ("statevector-norm", lambda: checks.statevector(np.array([1, 1, 0, 0]), BELL, hint=HINT),
     "your state: expected a normalised 2-qubit statevector (4 amplitudes); got a vector whose squared "
     "amplitudes add up to 2 (not normalised)."),
    ("statevector-shape", lambda: checks.statevector(np.array([1, 0]), BELL, hint=HINT),
     "your state: expected a normalised 2-qubit statevector (4 amplitudes); got 2 amplitudes."),
    ("statevector-width", lambda: checks.statevector(QuantumCircuit(3), BELL, hint=HINT),
     "your state: expected a normalised 2-qubit statevector (4 amplitudes); got a circuit on 3 qubits "
     "where the task has 2."),
    ("statevector-phase", lambda: checks.statevector(-np.array([1, 0, 0, 0]), np.array([1, 0, 0, 0]),
                                                     up_to_phase=False, hint=HINT),
     "your state: expected the correct state including its global phase; got the right state with a "
     "different global phase (this task needs the exact phase)."),
    ("statevector-different", lambda: checks.statevector(circuit(2), BELL, hint=HINT),
     "your state: expected the correct state (up to a global phase); got a different state."),
    ("statevector-matrix", lambda: checks.statevector(np.eye(4), BELL, hint=HINT),
     "your state: expected a normalised 2-qubit statevector (4 amplitudes); got a 2-D array of shape "
     "(4, 4)."),
    ("statevector-type", lambda: checks.statevector("bell", BELL, hint=HINT),
     "your state: expected a normalised 2-qubit statevector (4 amplitudes); got a str 'bell'."),
    ("operator-reversed", lambda: checks.operator(X0, X1, hint=HINT),
     "your circuit: expected the correct operation (up to a global phase); got one that matches only "
     "with the qubit order reversed (Qiskit's qubit 0 is the rightmost bit)."),
    ("operator-shape", lambda: checks.operator(np.ones((2, 2)), X1, hint=HINT),
     "your circuit: expected a 2-qubit operation (4×4 unitary); got an operation of shape (2, 2)."),
    ("operator-unitary", lambda: checks.operator(np.ones((4, 4)), X1, hint=HINT),
     "your circuit: expected a 2-qubit operation (4×4 unitary); got a matrix that is not unitary."),
    ("operator-square", lambda: checks.operator(np.ones((2, 4)), X1, hint=HINT),
     "your circuit: expected a 2-qubit operation (4×4 unitary); got an array of shape (2, 4), not a "
     "square matrix."),
    ("operator-phase", lambda: checks.operator(-np.eye(4), np.eye(4), up_to_phase=False, hint=HINT),
     "your circuit: expected the correct operation including its global phase; got the right "
     "operation with a different global phase (this task needs the exact phase, as it matters once an "
     "operation is controlled)."),
    ("operator-measured", lambda: checks.operator(MEASURED, X1, hint=HINT),
     "your circuit: expected a 2-qubit operation (4×4 unitary); got a circuit with measurements or "
     "resets (remove them: a state or an operator has neither)."),
    ("operator-mistake", lambda: checks.operator(circuit(2, ("cz", 0, 1)), BELL, what="U", hint=HINT,
                                                 mistakes={"바깥쪽 H 층이 빠졌습니다": circuit(2, ("cz", 0, 1))}),
     "U: expected the correct operation (up to a global phase); got a different operation.\n"
     "Likely mistake: 바깥쪽 H 층이 빠졌습니다."),
    ("counts-impossible", lambda: checks.counts({"00": 500, "01": 3, "11": 497}, FAIR, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes from the correct distribution; got "
     "outcome '01', which the correct circuit never produces."),
    ("counts-distance", lambda: checks.counts({"00": 900, "11": 100}, FAIR, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes consistent with the correct "
     "distribution; got frequencies at L1 distance 0.800 from it, more than chance allows at 1000 "
     "shots (at most 0.210)."),
    ("counts-width", lambda: checks.counts({"0": 900}, FAIR, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes; got bitstrings of length [1]."),
    ("counts-few", lambda: checks.counts({"00": 2}, FAIR, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes; got only 2 shots (too few to tell "
     "distributions apart)."),
    ("counts-shots", lambda: checks.counts({"00": 500, "11": 400}, FAIR, shots=1000, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes from 1000 shots; got 900 shots in "
     "total."),
    ("counts-key", lambda: checks.counts({"ab": 5}, FAIR, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes; got a key 'ab' that is not a "
     "bitstring."),
    ("counts-count", lambda: checks.counts({"00": 1.5}, FAIR, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes; got a count 1.5 for '00' that is "
     "not a non-negative whole number."),
    ("counts-type", lambda: checks.counts([500, 500], FAIR, hint=HINT),
     "your counts: expected measurement counts over 2-bit outcomes; got a list [500, 500]."),
    ("resources-multi", lambda: checks.resources(BELL, max_multi_qubit=0, hint=HINT),
     "your circuit: expected a circuit with at most 0 two-or-more-qubit gates; got one with 1."),
    ("resources-qubits", lambda: checks.resources(BELL, max_qubits=1, hint=HINT),
     "your circuit: expected a circuit with at most 1 qubits; got one with 2."),
    ("resources-depth", lambda: checks.resources(BELL, max_depth=1, hint=HINT),
     "your circuit: expected a circuit with at most 1 depth; got one with 2."),
    ("resources-size", lambda: checks.resources(BELL, max_size=1, hint=HINT),
     "your circuit: expected a circuit with at most 1 gates in all; got one with 2."),
    ("resources-ops", lambda: checks.resources(BELL, max_ops={"cx": 0}, hint=HINT),
     "your circuit: expected a circuit with at most 0 'cx' gates; got one with 1."),
    ("resources-allowed", lambda: checks.resources(BELL, allowed_ops=["h", "cz"], hint=HINT),
     "your circuit: expected a circuit built only from ['cz', 'h']; got one that also uses ['cx']."),
    ("resources-type", lambda: checks.resources("qc", max_depth=1, hint=HINT),
     "your circuit: expected a QuantumCircuit; got a str 'qc'."),
]
IDS = [case[0] for case in CASES]

# What may stay ASCII in a Korean message: type and identifier names, units, code. Anything
# else in Latin letters is English that was not translated.
CODE_WORDS = {"None", "int", "float", "str", "list", "dict", "bool", "tuple", "set", "type",
              "class", "object", "min", "kW", "TypeError", "Qiskit", "QuantumCircuit", "rack",
              "kw", "floor", "L1", "UPS"}  # UPS: the author's what=
ENGLISH = ["expected", "got", "the", "of", "within", "with", "a", "an", "array", "number", "Likely",
           "Hint", "or", "and", "in", "not", "your", "shots", "qubit", "qubits", "state", "circuit",
           "row", "column", "key", "item", "missing", "phase", "gates", "outside", "that", "one"]


def without_code(text: str) -> str:
    """The words of a message: quoted reprs, `code` and <reprs> taken out."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", " ", text)
    return re.sub(r"<[^>]*>", " ", text)


def failure(call) -> str:
    with pytest.raises(CheckFailed) as caught:
        call()
    return str(caught.value)


@pytest.mark.parametrize("name, call, english", CASES, ids=IDS)
def test_a_korean_failure_has_no_english_but_code_and_values(name, call, english):
    with language.using("ko"):
        text = failure(call)
    assert HANGUL.search(text.split("\n")[0].split(": ", 1)[1]), text
    assert text.endswith(f"\n힌트: {HINT}") and "\nHint:" not in text
    assert ("\n예상되는 실수: " in text) == ("\nLikely mistake: " in english)
    words = without_code(text)
    left = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", words, re.IGNORECASE)]
    assert not left, f"English words {left} in {text!r}"
    # words of two letters or more (single letters are names: k, q, U; 1e-06 is a number)
    other = sorted(set(re.findall(r"(?<![0-9A-Za-z_])[A-Za-z][A-Za-z0-9_]+", words)) - CODE_WORDS)
    assert not other, f"untranslated words {other} in {text!r}"


@pytest.mark.parametrize("name, call, english", CASES, ids=IDS)
def test_the_same_failure_in_english_is_unchanged(name, call, english):
    with language.using("en"):
        assert failure(call) == f"{english}\nHint: {HINT}"


def test_examples_of_korean_messages():
    """A few whole messages, as a reviewer reads them."""
    with language.using("ko"):
        assert failure(CASES[0][1]) == (
            "UPS 런타임: 기대한 답은 정답과의 차이가 1% 이내인 min 단위의 숫자인데, "
            "받은 답은 91.0 min입니다 (허용 오차를 벗어남).\n힌트: 부하로 나누세요")
        assert failure(dict((c[0], c[1]) for c in CASES)["equal-mistake"]) == (
            "q: 기대한 답은 특정한 숫자인데, 받은 답은 float 값 15.5입니다 (정답이 아님).\n"
            "예상되는 실수: / 대신 //를 쓰세요.\n힌트: 부하로 나누세요")


def test_a_passing_check_names_the_default_answer_in_the_language(capsys):
    with language.using("ko"):
        checks.close(2.0, 2.0, hint=HINT)
        checks.statevector(BELL, BELL, hint=HINT, what="벨 상태")
    with language.using("en"):
        checks.close(2.0, 2.0, hint=HINT)
    assert capsys.readouterr().out == "✔ 작성한 답\n✔ 벨 상태\n✔ your answer\n"


def test_the_judge_writes_in_the_language_it_judges_in():
    """The grader judges plain observations in its own process, inside language.using."""
    from graders.checks.numeric import CLOSE

    spec = {"rel": 0.01, "abs": 0.0, "unit": "kW"}
    with language.using("ko"):
        ko = CLOSE.verdict({"value": 9.0}, {"value": 5.0}, spec).message
    en = CLOSE.verdict({"value": 9.0}, {"value": 5.0}, spec).message
    assert ko == "기대한 답은 정답과의 차이가 1% 이내인 kW 단위의 숫자인데, 받은 답은 9.0 kW입니다 (허용 오차를 벗어남)"
    assert en == "expected a number in kW within 1% of the correct value; got 9.0 kW (outside that tolerance)"


# --- the kernel path and the self-check ----------------------------------------------------

@pytest.fixture
def no_language(monkeypatch, tmp_path):
    """No language chosen: no ACADEMY_LANGUAGE, no session, an empty working folder."""
    monkeypatch.delenv(language.LANGUAGE_ENV, raising=False)
    monkeypatch.delenv(language.SESSION_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_failed_in_a_kernel_told_korean(no_language, monkeypatch):
    monkeypatch.setenv(language.LANGUAGE_ENV, "ko")
    text = failure(lambda: checks.close(1, 2, abs=0.1, what="k", hint="내림 말고 반올림",
                                        mistakes={"내림을 씀": 1}))
    assert text == ("k: 기대한 답은 정답과의 차이가 ±0.1 이내인 숫자인데, 받은 답은 1.0입니다 "
                    "(허용 오차를 벗어남).\n예상되는 실수: 내림을 씀.\n힌트: 내림 말고 반올림")
    direct = str(CheckFailed("k", "메시지", "힌트 내용", "실수"))
    assert direct == "k: 메시지.\n예상되는 실수: 실수.\n힌트: 힌트 내용"
    assert (hint_label(), mistake_label()) == ("힌트:", "예상되는 실수:")
    assert (hint_label("en"), mistake_label("en")) == ("Hint:", "Likely mistake:")


def test_the_self_check_splits_a_failure_of_either_language(no_language, monkeypatch):
    def explain(text):
        return selfcheck._explain({"ename": "CheckFailed", "evalue": text})

    monkeypatch.setenv(language.LANGUAGE_ENV, "ko")
    ko = failure(lambda: checks.equal(15.5, 15, what="q", hint="정수 나눗셈 //", mistakes={"/를 씀": 15.5}))
    assert explain(ko) == ("q: 기대한 답은 특정한 숫자인데, 받은 답은 float 값 15.5입니다 (정답이 아님).\n"
                           "예상되는 실수: /를 씀", "정수 나눗셈 //")
    monkeypatch.setenv(language.LANGUAGE_ENV, "en")
    en = failure(lambda: checks.equal(15.5, 15, what="q", hint="use //"))
    assert explain(en) == ("q: expected a particular number; got a float 15.5 (not the right one)", "use //")
    assert explain(failure_text("x", "m", "h")) == ("x: m", "h")


def notebook(path: Path, lang: str | None, source: str = "x = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    if lang:
        nb.metadata["academy"] = {"language": lang}
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)
    return path


def test_a_korean_notebook_fails_in_korean_in_its_own_kernel(no_language):
    """The real kernel path: `academy check` runs the notebook in a fresh kernel in its folder,
    which finds its language from the one notebook there, and reads the hint back out."""
    path = notebook(no_language / "q.ipynb", "ko",
                    "from graders import checks\n"
                    "checks.close(91.0, 86.4, rel=0.01, unit='min', what='UPS 런타임', hint='부하로 나누세요')")
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "grade_id": "runtime", "points": 1,
                                        "solution": False, "locked": True}
    nbformat.write(nb, path)
    (outcome,) = selfcheck.outcomes(selfcheck.run_notebook(path, cell_seconds=120))
    assert outcome.status == "failed"
    assert outcome.message == ("UPS 런타임: 기대한 답은 정답과의 차이가 1% 이내인 min 단위의 숫자인데, "
                               "받은 답은 91.0 min입니다 (허용 오차를 벗어남)")
    assert outcome.hint == "부하로 나누세요"


# --- which language ------------------------------------------------------------------------

def test_english_when_nothing_says_otherwise(no_language):
    assert language.current() == "en"


def test_the_environment_wins_over_the_notebooks_found(no_language, monkeypatch):
    notebook(no_language / "m.ipynb", "ko")
    assert language.current() == "ko"
    monkeypatch.setenv(language.LANGUAGE_ENV, "en")
    assert language.current() == "en"


def test_using_wins_over_the_environment(no_language, monkeypatch):
    monkeypatch.setenv(language.LANGUAGE_ENV, "ko")
    with language.using("en"):
        assert language.current() == "en"
        with language.using("ko"):
            assert language.current() == "ko"
        assert language.current() == "en"
    assert language.current() == "ko"


def test_a_folder_with_one_korean_notebook_is_korean(no_language):
    notebook(no_language / "only.ipynb", "ko")
    assert language.current() == "ko"
    assert json.loads((no_language / "only.ipynb").read_text())["metadata"]["academy"] == {"language": "ko"}


def test_a_folder_with_two_notebooks_is_english(no_language):
    notebook(no_language / "a.ipynb", "ko")
    notebook(no_language / "b.ipynb", "ko")
    assert language.current() == "en"


def test_the_session_names_the_notebook(no_language, monkeypatch):
    notebook(no_language / "a.ipynb", "en")
    notebook(no_language / "b.ipynb", "ko")
    monkeypatch.setenv(language.SESSION_ENV, str(no_language / "b.ipynb"))
    assert language.current() == "ko"
    monkeypatch.setenv(language.SESSION_ENV, "a.ipynb")  # a name relative to the folder
    assert language.current() == "en"


def test_an_unknown_language_is_english(no_language, monkeypatch):
    monkeypatch.setenv(language.LANGUAGE_ENV, "fr")
    assert language.current() == "en"
    with language.using("fr"):
        assert failure(lambda: checks.close(3, 2, hint="h")).endswith("\nHint: h")
