from pathlib import Path

import pytest

from graders.catalog import CatalogError, load_catalog

from conftest import ROOT

MANIFEST = """\
id: t01-demo
title: {en: Demo, ko: 데모}
track: datacenter
objectives: [Compute a number]
estimated_minutes: 5
tags: {certifications: [CompTIA Server+], job_tasks: [Read a meter]}
limits: {cell_seconds: 5, notebook_seconds: 20}
"""
COURSE = """\
id: demo
title: {en: Demo, ko: 데모}
language: en
city: Busan
assignments: [t01-demo]
schedule: [{assignment: t01-demo, release: 2027-01-01, due: 2027-01-08}]
"""


def write(root: Path, manifest: str = MANIFEST, course: str = COURSE) -> Path:
    for folder in ("assignments", "courses", "source/t01-demo"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "assignments/t01-demo.yaml").write_text(manifest, encoding="utf-8")
    (root / "courses/demo.yaml").write_text(course, encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(CatalogError) as info:
        load_catalog(root)
    return info.value.problems


def test_the_repository_catalog_is_valid():
    catalog = load_catalog(ROOT)
    assert {"datacenter-academy", "quantum-embark"} <= set(catalog.courses)
    for course in catalog.courses.values():
        for aid in course.assignments:
            assert (ROOT / "source" / aid).is_dir()


def test_a_valid_scratch_catalog_loads(tmp_path):
    catalog = load_catalog(write(tmp_path))
    assert catalog.assignment("t01-demo").limits.cell_seconds == 5
    assert catalog.course_of("t01-demo").id == "demo"


def test_malformed_yaml_names_file_and_line(tmp_path):
    found = problems(write(tmp_path, manifest=MANIFEST + "limits: [unclosed\n"))
    assert len(found) == 1 and found[0].startswith("assignments/t01-demo.yaml:9: malformed YAML")


@pytest.mark.parametrize("old,new,expected", [
    ("estimated_minutes: 5", "estimated_minutes: five", "estimated_minutes: Input should be a valid integer"),
    ("track: datacenter", "track: biology", "track: Input should be 'datacenter' or 'quantum'"),
    ("{en: Demo, ko: 데모}", "{en: Demo}", "title.ko: Field required"),
    ("cell_seconds: 5", "cell_seconds: 50", "limits: cell_seconds cannot exceed notebook_seconds"),
    ("objectives: [Compute a number]", "objectives: []", "objectives: List should have at least 1 item"),
    ("id: t01-demo", "id: t01-demo\npoints: 10", "points: Extra inputs are not permitted"),
])
def test_manifest_field_problems(tmp_path, old, new, expected):
    found = problems(write(tmp_path, manifest=MANIFEST.replace(old, new)))
    assert len(found) == 1 and found[0].startswith(f"assignments/t01-demo.yaml: {expected}")


def test_every_problem_is_reported_once(tmp_path):
    bad = MANIFEST.replace("track: datacenter", "track: x").replace("estimated_minutes: 5",
                                                                    "estimated_minutes: -1")
    assert len(problems(write(tmp_path, manifest=bad))) == 2


@pytest.mark.parametrize("old,new,expected", [
    ("due: 2027-01-08", "due: 2026-12-01", "courses/demo.yaml: schedule[0]: due must be after release"),
    ("due: 2027-01-08", "due: soon", "courses/demo.yaml: schedule[0].due: Input should be a valid date"),
    ("assignments: [t01-demo]", "assignments: [t01-demo, t02-nope]",
     "courses/demo.yaml: assignments: unknown assignment 't02-nope'"),
    ("id: demo", "id: other", "courses/demo.yaml: id: 'other' does not match the file name"),
])
def test_course_problems(tmp_path, old, new, expected):
    found = problems(write(tmp_path, course=COURSE.replace(old, new)))
    assert any(line.startswith(expected) for line in found), found


def test_manifest_needs_a_source_folder(tmp_path):
    write(tmp_path)
    (tmp_path / "source/t01-demo").rmdir()
    assert problems(tmp_path) == ["assignments/t01-demo.yaml: id: no folder source/t01-demo"]


def test_unknown_assignment_is_one_clear_error(tmp_path):
    from graders.errors import AcademyError

    with pytest.raises(AcademyError, match="unknown assignment 'nope'"):
        load_catalog(write(tmp_path)).assignment("nope")
