"""Translated editions: one English source, a PO file per module and language, generated
source folders that grade exactly like the English, and no silent drift."""
import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
import yaml

from graders import translation
from graders.catalog import load_catalog
from graders.editions import Edition, editions, split, sync, translation_status
from graders.errors import AcademyError
from graders.notebooks import nbgrader_meta, read
from graders.release import release

from conftest import ROOT
from submissions import copy_course

ACADEMY = str(Path(sys.executable).parent / "academy")
EDITIONS = editions(ROOT)
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def notebook(*cells) -> dict:
    """A minimal notebook dict with ``(kind, id, source)`` cells."""
    return {"cells": [{"cell_type": kind, "id": cid, "metadata": {}, "source": src,
                       **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                      for kind, cid, src in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def po_for(nb, table: dict) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    for unit in translation.units(nb):
        po.append(polib.POEntry(msgctxt=unit.context, msgid=unit.english,
                                msgstr=table.get(unit.english, "")))
    return po


# ---------------------------------------------------------------------------------------------
# What is text, and putting a translation in

CODE = '''def runtime(e, p):
    """Runtime in minutes."""
    return e / p

rows = data["rack name"]                  # a key: data, not text
if kind == "over the limit":              # a comparison: data
    pass
plt.legend(loc="upper left")              # a plot setting
checks.close(runtime(1, 2), 0.5, what="runtime at 2 kW",
             mistakes={"hours, not minutes": 30}, hint=("Divide the energy "
                                                        "by the load."))
print(f"runtime = {x:.1f} min -> {'OK' if x > 5 else 'too short'}")
'''


def test_units_are_the_text_a_learner_reads():
    nb = notebook(("markdown", "intro", "# Power\n\nText."), ("code", "c1", CODE),
                  ("markdown", "empty", "  "))
    got = [(u.context, u.english) for u in translation.units(nb)]
    assert got == [("intro", "# Power\n\nText."),
                   ("c1/code", "Runtime in minutes."),
                   ("c1/code", "a key: data, not text"),   # comments are prose too
                   ("c1/code", "a comparison: data"),
                   ("c1/code", "a plot setting"),
                   ("c1/code", "runtime at 2 kW"),
                   ("c1/code", "hours, not minutes"),
                   ("c1/code", "Divide the energy by the load."),
                   ("c1/code", "runtime = {x:.1f} min -> {'OK' if x > 5 else 'too short'}")]


def test_a_translation_changes_text_only():
    nb = notebook(("markdown", "intro", "# Power"), ("code", "c1", CODE))
    po = po_for(nb, {"# Power": "# 전력", "Runtime in minutes.": "분 단위 런타임.",
                     "a key: data, not text": "키: 데이터", "a comparison: data": "비교: 데이터",
                     "a plot setting": "설정",
                     "runtime at 2 kW": "2 kW에서의 런타임", "hours, not minutes": "분이 아니라 시간",
                     "Divide the energy by the load.": "에너지를 부하로 나누세요.",
                     "runtime = {x:.1f} min -> {'OK' if x > 5 else 'too short'}":
                         "런타임 = {x:.1f} min -> {'정상' if x > 5 else '너무 짧음'}"})
    out = translation.translated(nb, po, "m", "ko")
    assert out["metadata"]["academy"] == {"language": "ko", "edition_of": "m"}
    assert out["cells"][0]["source"] == "# 전력"
    code = out["cells"][1]["source"]
    assert 'hint=("에너지를 부하로 나누세요.")' in code and '"분이 아니라 시간": 30' in code
    assert 'data["rack name"]' in code and 'loc="upper left"' in code
    assert 'plt.legend(loc="upper left")              # 설정' in code
    assert ast.dump(_blank(ast.parse(code))) == ast.dump(_blank(ast.parse(CODE)))
    assert nb["cells"][0]["source"] == "# Power"  # the English is left alone


def _blank(tree):
    """The code with every string emptied: what must not differ between editions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
        if isinstance(node, ast.JoinedStr):
            node.values = []
    return tree


@pytest.mark.parametrize("english, korean, problem", [
    ("runtime at 2 kW", '2 kW에서의 "런타임"', "does not parse"),
    ("a plot setting", "설정\n두 줄", "must stay on one line"),
    ("runtime = {x:.1f} min -> {'OK' if x > 5 else 'too short'}",
     "런타임 = {x} min -> {'정상' if x > 5 else '짧음'}", "must keep the fields"),
])
def test_a_translation_that_breaks_the_code_is_refused_by_name(english, korean, problem):
    nb = notebook(("code", "c1", CODE))
    table = {u.english: u.english for u in translation.units(nb)} | {english: korean}
    with pytest.raises(AcademyError, match=f"c1/code.*{problem}|{problem}"):
        translation.translated(nb, po_for(nb, table), "m", "ko")


def test_drift_is_named_then_merged_as_fuzzy():
    old = notebook(("markdown", "intro", "# Power"), ("markdown", "s2", "Two."))
    po = po_for(old, {"# Power": "# 전력", "Two.": "둘."})
    assert translation.status(old, po, "m", "ko").complete
    new = notebook(("markdown", "intro", "# Power and cooling"), ("markdown", "s2", "Two."),
                   ("markdown", "s3", "Three."))
    st = translation.status(new, po, "m", "ko")
    assert [u.context for u in st.stale] == ["intro"] and [u.context for u in st.missing] == ["s3"]
    assert "1 stale (intro)" in translation.describe(st) and "1 missing (s3)" in translation.describe(st)
    with pytest.raises(AcademyError, match="stale"):
        translation.translated(new, po, "m", "ko")
    merged = translation.merged(new, po, "ko")
    entry = next(e for e in merged if e.msgctxt == "intro")
    assert entry.msgstr == "# 전력" and "fuzzy" in entry.flags and entry.previous_msgid == "# Power"
    assert [u.context for u in translation.status(new, merged, "m", "ko").stale] == ["intro"]


# ---------------------------------------------------------------------------------------------
# The course's own translations

def test_the_pilots_have_korean_editions():
    assert {Edition("dc01-power", "ko"), Edition("q01-qubits", "ko")} <= set(EDITIONS)
    catalog = load_catalog(ROOT)
    for course in catalog.courses.values():
        for aid in course.editions.get("ko", []):
            assert Edition(aid, "ko") in EDITIONS


@pytest.mark.parametrize("edition", EDITIONS, ids=[e.id for e in EDITIONS])
def test_every_translation_is_complete_and_current(edition):
    st, = translation_status(ROOT, [edition.aid], edition.lang)
    assert st.complete, translation.describe(st) + "".join(
        f"\n  {u.context}: {u.english[:70]!r}" for u in (st.missing + st.stale)[:20])


def test_generated_sources_are_in_sync():
    assert sync(ROOT, check=True) == []


@pytest.mark.parametrize("edition", EDITIONS, ids=[e.id for e in EDITIONS])
def test_an_edition_grades_exactly_like_its_module(edition):
    """Same cells, ids, nbgrader metadata (grade ids, points, locks), and the same code once
    its strings are blanked: hidden tests, solutions and per-student instances are the same."""
    english = read(ROOT / "source" / edition.aid / f"{edition.aid}.ipynb")
    korean = read(ROOT / "source" / edition.id / f"{edition.id}.ipynb")
    assert [c.get("id") for c in korean.cells] == [c.get("id") for c in english.cells]
    for en, ko in zip(english.cells, korean.cells):
        assert ko.cell_type == en.cell_type
        assert {k: v for k, v in nbgrader_meta(ko).items() if k != "checksum"} == \
            {k: v for k, v in nbgrader_meta(en).items() if k != "checksum"}
        if en.cell_type == "code":
            assert ast.dump(_blank(ast.parse(ko.source))) == ast.dump(_blank(ast.parse(en.source))), en.id
    data = ROOT / "source" / edition.aid / "data"
    if data.is_dir():
        for path in data.rglob("*"):
            if path.is_file():
                assert (ROOT / "source" / edition.id / "data" / path.relative_to(data)).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("edition", EDITIONS, ids=[e.id for e in EDITIONS])
def test_every_markdown_cell_is_in_korean(edition):
    korean = read(ROOT / "source" / edition.id / f"{edition.id}.ipynb")
    assert korean.metadata["academy"]["language"] == edition.lang
    for cell in korean.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            assert HANGUL.search(cell.source), f"{edition.id}: cell {cell.id} has no Korean"


@pytest.fixture(scope="module")
def glossary() -> list[dict]:
    return yaml.safe_load((ROOT / "i18n" / "glossary.yaml").read_text(encoding="utf-8"))


def test_the_glossary_is_well_formed(glossary):
    GLOSSARY = glossary
    assert len(GLOSSARY) >= 100
    english = [g["en"] for g in GLOSSARY]
    assert len(english) == len(set(english)), "an English term is listed twice"
    for g in GLOSSARY:
        assert g["en"].strip() and HANGUL.search(g["ko"]) or g["ko"].isascii(), g
        assert g["track"] in ("dc", "q", "both"), g


def _uses(term: str, text: str, code: bool = False) -> bool:
    """``term`` (or its plural) as words of ``text`` outside code spans, math and cited
    titles (and, in a string of code, outside its f-string fields), across line breaks."""
    prose = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.DOTALL)
    # cited titles stay as published: *ACM Queue*, "Triple-Parity RAID and Beyond"
    prose = re.sub(r"(?<!\*)\*(?!\*)[^*\n]+(?<!\*)\*(?!\*)|\"[^\"\n]*\"", " ", prose)
    if code:
        prose = re.sub(r"\{[^{}]*\}", " ", prose)
    *head, last = term.split()
    plural = (re.escape(last[:-1]) + "(?:y|ies)") if last.endswith("y") else re.escape(last) + "(?:s|es)?"
    words = r"\s+".join([*(re.escape(w) for w in head), plural])
    return re.search(rf"(?<![\w-]){words}(?![\w-])", prose, re.IGNORECASE) is not None


# every translation file, drafts that no course offers yet included
ALL_PO = [Edition(p.stem, p.parent.name) for p in sorted((ROOT / "i18n").glob("*/*.po"))]


@pytest.mark.parametrize("edition", ALL_PO, ids=[e.id for e in ALL_PO])
def test_glossary_terms_are_translated_the_glossary_way(edition, glossary):
    """Wherever a translated unit's English has a glossary term, its Korean has the term's
    Korean form (an entry kept in English on purpose, msgstr == msgid, is exempt)."""
    po = translation.read_po(translation.po_path(ROOT, edition.aid, edition.lang))
    track = "q" if edition.aid.startswith("q") else "dc"
    wrong = []
    for entry in po:
        if entry.obsolete or not entry.msgstr or entry.msgstr == entry.msgid:
            continue
        for g in glossary:
            if g["track"] not in ("both", track):
                continue
            if _uses(g["en"], entry.msgid, entry.msgctxt.endswith("/code")) and g["ko"] not in entry.msgstr:
                wrong.append(f"{entry.msgctxt}: {g['en']!r} should be {g['ko']!r}")
    assert not wrong, f"{edition.id}: " + "\n".join(sorted(set(wrong))[:30])


# ---------------------------------------------------------------------------------------------
# The commands

def test_translate_command_names_what_is_missing(tmp_path):
    course = copy_course(ROOT, tmp_path)
    path = course / "source/dc01-power/dc01-power.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][1]["source"] = "An edited scenario.\n"
    path.write_text(json.dumps(nb), encoding="utf-8")
    result = subprocess.run([ACADEMY, "translate"], cwd=course, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "dc01-power" in result.stdout and nb["cells"][1]["id"] in result.stdout
    # the release refuses to generate a stale edition, naming the unit, and writes nothing
    before = (course / "source/dc01-power-ko/dc01-power-ko.ipynb").read_bytes()
    refused = subprocess.run([ACADEMY, "release", "dc01-power"], cwd=course, capture_output=True,
                             text=True, timeout=300)
    assert refused.returncode == 2 and "stale" in refused.stderr and "Traceback" not in refused.stderr
    assert (course / "source/dc01-power-ko/dc01-power-ko.ipynb").read_bytes() == before
    # --update keeps the old Korean as a fuzzy starting point
    subprocess.run([ACADEMY, "translate", "dc01-power", "--update"], cwd=course,
                   capture_output=True, timeout=120)
    po = polib.pofile(str(course / "i18n/ko/dc01-power.po"))
    entry = next(e for e in po if e.msgctxt == nb["cells"][1]["id"])
    assert "fuzzy" in entry.flags and entry.msgid == "An edited scenario.\n" and entry.msgstr


def test_a_draft_is_tracked_but_not_generated(tmp_path):
    """A translation file that no course offers yet: `academy translate` shows how far it
    is; no edition is generated or released from it."""
    course = copy_course(ROOT, tmp_path)
    (course / "i18n/ko/dc02-cooling.po").unlink(missing_ok=True)
    started = subprocess.run([ACADEMY, "translate", "dc02-cooling", "--update"], cwd=course,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 1 and "dc02-cooling" in started.stdout
    listed = subprocess.run([ACADEMY, "translate"], cwd=course, capture_output=True, text=True,
                            timeout=120)
    assert "dc02-cooling" in listed.stdout and listed.returncode == 1
    assert Edition("dc02-cooling", "ko") not in editions(course)
    assert release(course, ["dc02-cooling"], check=True) == []
    assert not (course / "source/dc02-cooling-ko").exists()


def test_translate_command_bad_input(tmp_path):
    course = copy_course(ROOT, tmp_path)
    for args, words in ((["translate", "q99-nothing"], "unknown module"),
                        (["translate", "--lang", "fr"], "unknown language"),
                        (["translate", "dc01-power-ko"], "unknown module")):
        result = subprocess.run([ACADEMY, *args], cwd=course, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    (course / "i18n/ko/dc01-power.po").write_text("garbage without quotes\n", encoding="utf-8")
    result = subprocess.run([ACADEMY, "translate"], cwd=course, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a readable PO file" in result.stderr


def test_edition_ids():
    assert split("dc01-power-ko") == ("dc01-power", "ko")
    assert split("dc01-power") == ("dc01-power", "en")
    assert split("q05-grover") == ("q05-grover", "en")
    assert load_catalog(ROOT).assignment("q01-qubits-ko").limits == load_catalog(ROOT).assignment("q01-qubits").limits
