"""The command line: help for every verb, and one line with exit code 2 for bad input."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

ACADEMY = str(Path(sys.executable).parent / "academy")
VERBS = ["lab", "release", "check", "grade", "status"]


def run(*args, cwd=ROOT):
    return subprocess.run([ACADEMY, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def assert_one_line_error(result, text):
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("academy: error:") and text in lines[0], lines
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb):
    result = run(verb, "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: academy " + verb)


def test_unknown_assignment_ids(course):
    assert_one_line_error(run("release", "nope", cwd=course), "unknown assignment 'nope'")
    assert_one_line_error(run("grade", "nope", cwd=course), "unknown assignment 'nope'")


def test_malformed_yaml(course):
    (course / "assignments/dc01-power.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    assert_one_line_error(run("status", cwd=course), "assignments/dc01-power.yaml:2: malformed YAML")


def test_corrupt_and_missing_notebooks(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    assert_one_line_error(run("check", str(bad)), "not a notebook (invalid JSON")
    bad.write_text(json.dumps({"cells": "nope"}), encoding="utf-8")
    assert_one_line_error(run("check", str(bad)), "not a valid notebook")
    assert_one_line_error(run("check", str(tmp_path / "gone.ipynb")), "no such notebook")


def test_missing_kernel():
    nb = ROOT / "release/dc01-power/dc01-power.ipynb"
    assert_one_line_error(run("check", "--kernel", "no-such-kernel", str(nb)),
                          "kernel 'no-such-kernel' is not installed")


def test_corrupt_source_notebook_leaves_release_untouched(course):
    before = (course / "release/q01-qubits/q01-qubits.ipynb").read_bytes()
    (course / "source/q01-qubits/q01-qubits.ipynb").write_text("{", encoding="utf-8")
    assert_one_line_error(run("release", "q01-qubits", cwd=course), "not a notebook")
    assert (course / "release/q01-qubits/q01-qubits.ipynb").read_bytes() == before


def test_outside_a_course_directory(tmp_path):
    assert_one_line_error(run("status", cwd=tmp_path), "not inside a course directory")


def test_no_submissions(course):
    assert_one_line_error(run("grade", "dc01-power", cwd=course), "no submissions")
