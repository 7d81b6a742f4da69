"""The reference store: keyed on everything a reference run depends on, written atomically."""
from pathlib import Path

import pytest

from graders.engine import reference
from graders.engine.reference import ReferenceStore, combined, source_key, split
from submissions import copy_course

ROOT = Path(__file__).resolve().parents[2]
AID = "q01-qubits"


@pytest.fixture
def course(tmp_path):
    return copy_course(ROOT, tmp_path)


def test_the_key_follows_the_source_the_variants_and_the_installed_versions(course, monkeypatch):
    before = source_key(course, AID)
    assert source_key(course, AID) == before
    monkeypatch.setenv("ACADEMY_VARIANTS", "3")
    assert source_key(course, AID) != before
    monkeypatch.delenv("ACADEMY_VARIANTS")
    monkeypatch.setattr(reference, "environment", lambda: "3.11.7\nqiskit-2.7.0.dist-info")
    upgraded = source_key(course, AID)
    assert upgraded != before
    monkeypatch.undo()
    (course / "source" / AID / "data.csv").write_text("a,b\n")
    assert source_key(course, AID) not in (before, upgraded)


def test_the_environment_names_python_and_the_packages_that_shape_a_reference():
    text = reference.environment()
    assert text.splitlines()[0].startswith("3.") and "qiskit-" in text and "numpy-" in text


def test_records_are_saved_whole_and_found_per_variant(course):
    store = ReferenceStore(course, AID)
    assert not store.has("v1")
    store.save("v1", AID, {"q1-normalise-test": [{"check": "close", "reference": {"value": 1.0}}]})
    assert store.has("v1") and not store.has("v2")
    assert store.load("v1", AID)["q1-normalise-test"][0]["reference"] == {"value": 1.0}
    assert not list(store.folder.glob("*.tmp"))


def test_a_combined_run_splits_back_into_one_notebook_per_variant():
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("a = 1"), new_code_cell("b = 2")])
    out, spans = combined(nb, ["s1", "s2", "s3"])
    assert len(out.cells) == 9 and spans == [(1, 3), (4, 6), (7, 9)]
    parts = split(out, spans)
    assert [[c.source for c in p.cells] for p in parts] == [["a = 1", "b = 2"]] * 3
