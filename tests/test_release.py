"""release/ is made by nbgrader from source/, kept in sync, and replaced atomically."""
import json

import pytest

from graders.errors import AcademyError
from graders.release import release

from conftest import ROOT


def test_release_is_in_sync_with_source():
    assert release(ROOT, check=True) == []


def test_drift_is_named_and_fixed(course):
    """A change to the code (not its text) reaches both editions; a change to the text makes the
    translation stale, and the release refuses to generate the Korean until it follows."""
    path = course / "source/q01-qubits/q01-qubits.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = "".join(code["source"]) + "\n_edited = 1\n"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert sorted(release(course, check=True)) == [  # the generated Korean source is named
        "release/q01-qubits/q01-qubits.ipynb", "source/q01-qubits-ko/q01-qubits-ko.ipynb"]
    assert release(course, ["q01-qubits"]) == ["q01-qubits", "q01-qubits-ko"]
    assert release(course, check=True) == []
    nb["cells"][0]["source"] = "# an edited header\n"
    path.write_text(json.dumps(nb), encoding="utf-8")
    stale = release(course, check=True)
    assert any(line.startswith("i18n/ko/q01-qubits.po: 1 stale (header)") for line in stale), stale
    with pytest.raises(AcademyError, match="1 stale"):
        release(course, ["q01-qubits"])
    assert sorted(p.name for p in (course / "release").iterdir()) == \
        sorted(p.name for p in (course / "source").iterdir())


def test_extra_and_missing_files_are_named(course):
    (course / "release/dc01-power/stray.txt").write_text("x")
    (course / "source/q01-qubits/notes.txt").write_text("y")
    assert sorted(release(course, check=True)) == [  # the Korean edition gets the source's files
        "release/dc01-power/stray.txt", "release/q01-qubits/notes.txt",
        "source/q01-qubits-ko/notes.txt"]
