"""release/ is made by nbgrader from source/, kept in sync, and replaced atomically."""
import json

from graders.release import release

from conftest import ROOT


def test_release_is_in_sync_with_source():
    assert release(ROOT, check=True) == []


def test_drift_is_named_and_fixed(course):
    path = course / "source/q01-qubits/q01-qubits.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "# an edited header\n"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert release(course, check=True) == ["release/q01-qubits/q01-qubits.ipynb"]
    assert release(course, ["q01-qubits"]) == ["q01-qubits"]
    assert release(course, check=True) == []
    assert sorted(p.name for p in (course / "release").iterdir()) == \
        sorted(p.name for p in (course / "source").iterdir())


def test_extra_and_missing_files_are_named(course):
    (course / "release/dc01-power/stray.txt").write_text("x")
    (course / "source/q01-qubits/notes.txt").write_text("y")
    assert release(course, check=True) == ["release/dc01-power/stray.txt",
                                           "release/q01-qubits/notes.txt"]
