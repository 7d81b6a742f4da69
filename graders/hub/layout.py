"""The hub's folders on disk, with the permissions nbgrader's exchange relies on.

nbgrader's own exchange code (nbgrader/exchange/default/release_assignment.py, 0.9.6) makes
the exchange root world-writable (it chmods it to 0777 when the permission bits differ; the
sticky bit is outside the bits it compares, so 1777 is kept), each course folder and its
outbound/ 0755 (everyone reads released assignments), and inbound/ 2733 (students can write
their submission but not list or read anyone else's; setgid keeps the grader's group).
We make the root 1777 like /tmp, so a student can never delete another's files in it.
"""
from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

import yaml

from .settings import HubCourse, HubSettings

EXCHANGE_MODE = 0o1777
COURSE_FILES = ["nbgrader_config.py", "courses", "assignments", "i18n", "source", "release"]


def prepare_exchange(exchange: Path) -> None:
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, EXCHANGE_MODE)


def prepare_state(state_dir: Path) -> None:
    """The hub's database and cookie secret: root only."""
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    os.chown(top, uid, gid)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def _course_file(course_source: Path, course_id: str) -> dict | None:
    path = Path(course_source) / "courses" / f"{course_id}.yaml"
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def course_assignments(course_source: Path, course_id: str) -> list[str] | None:
    """The assignment ids of courses/<course_id>.yaml, or None if there is no such file."""
    data = _course_file(course_source, course_id)
    return None if data is None else list(data.get("assignments") or [])


def course_editions(course_source: Path, course_id: str) -> dict[str, list[str]]:
    """{language: module ids} of the translated editions the course offers."""
    data = _course_file(course_source, course_id) or {}
    return {lang: list(ids or []) for lang, ids in (data.get("editions") or {}).items()}


def _copy(src: Path, dest: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    elif src.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)


def prepare_course(course: HubCourse, course_source: Path) -> bool:
    """Copy the course into the grader account's course directory, owned by it and private
    (0700): students reach released notebooks only through the exchange. When the checkout
    has courses/<id>.yaml, only that course's assignments are copied, so its formgrader lists
    only them. False if the directory already existed (it is then left as it is)."""
    if course.root.exists():
        return False
    source = Path(course_source)
    account = pwd.getpwnam(course.grader)
    course.root.mkdir(parents=True)
    ids = course_assignments(source, course.id)
    if ids is None:
        for name in COURSE_FILES:
            _copy(source / name, course.root / name)
    else:
        _copy(source / "nbgrader_config.py", course.root / "nbgrader_config.py")
        _copy(source / "courses" / f"{course.id}.yaml", course.root / "courses" / f"{course.id}.yaml")
        editions = course_editions(source, course.id)
        for aid in ids:
            langs = [lang for lang, offered in editions.items() if aid in offered]
            for lang in langs:  # a translated edition: its translation file and generated folders
                _copy(source / "i18n" / lang / f"{aid}.po", course.root / "i18n" / lang / f"{aid}.po")
            for edition in [aid, *(f"{aid}-{lang}" for lang in langs)]:
                _copy(source / "assignments" / f"{edition}.yaml",
                      course.root / "assignments" / f"{edition}.yaml")
                for folder in ("source", "release"):
                    _copy(source / folder / edition, course.root / folder / edition)
    _chown_tree(course.root, account.pw_uid, account.pw_gid)
    os.chmod(course.root, 0o700)
    return True


def prepare(settings: HubSettings, course_source: Path) -> None:
    """Everything the hub needs on disk before it starts (accounts must exist already)."""
    prepare_state(settings.state_dir)
    prepare_exchange(settings.exchange)
    for course in settings.courses:
        prepare_course(course, course_source)
