"""Every notebook runs. nbval runs every solved source notebook (pytest collects source/ with
--nbval-lax): a failing check is an error there, and the root conftest.py also fails a cell that
writes to stderr. Here: the style rules, and release notebooks fail only in their test cells,
with NotImplementedError."""
import re

import pytest
import yaml

from graders.editions import split
from graders.notebooks import nbgrader_meta, read
from graders.selfcheck import outcomes, run_notebook

from conftest import PILOTS, ROOT

SOURCES = sorted(ROOT.glob("source/*/*.ipynb"))
IDS = [p.parent.name for p in SOURCES]


def test_every_pilot_has_a_notebook():
    assert set(PILOTS) <= set(IDS)


def cells(path, kind):
    nb = read(path)
    if kind == "tests":
        return [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"
                and not nbgrader_meta(c).get("solution")]
    return [c for c in nb.cells if nbgrader_meta(c).get("solution")]


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_source_follows_the_style(path):
    tests = cells(path, "tests")
    assert len(tests) >= 4
    for cell in tests:
        gid = nbgrader_meta(cell)["grade_id"]
        assert "### BEGIN HIDDEN TESTS" in cell.source, gid
        assert "instances.rng(" in cell.source, f"{gid}: hidden instances come from graders.instances"
        calls = re.findall(r"checks\.\w+\(", cell.source)
        assert calls and cell.source.count("hint=") >= len(calls), f"{gid}: every check needs hint="
        assert nbgrader_meta(cell).get("locked") and nbgrader_meta(cell).get("points", 0) > 0
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in read(path).cells if c.cell_type == "code"), "outputs must be cleared"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_header_matches_manifest(path):
    module, lang = split(path.parent.name)  # a translated edition has its module's manifest
    manifest = yaml.safe_load((ROOT / "assignments" / f"{module}.yaml").read_text("utf-8"))
    header = read(path).cells[0].source
    minutes = {"en": "{} minutes", "ko": "{}분"}[lang].format(manifest["estimated_minutes"])
    for fact in (manifest["title"]["en"], manifest["title"]["ko"], minutes):
        assert fact in header


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_release_fails_only_in_test_cells(path):
    released = ROOT / "release" / path.parent.name / path.name
    text = released.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    nb = run_notebook(released, cell_seconds=60)
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            assert [e["ename"] for e in errors] == ["NotImplementedError"], meta["grade_id"]
        else:
            assert not errors, f"cell {cell.get('id')} errors in the release: {errors[0]['evalue']}"
    assert all(r.status == "failed" and r.earned == 0 for r in outcomes(nb))
