"""Atomic writes: a reader sees the old file or the new one, and a failed write leaves nothing."""
import os

import pytest

from graders.files import atomic_write


def test_a_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "sub" / "grades.csv"
    atomic_write(target, "a,b\n")
    atomic_write(target, b"\x00binary")
    assert target.read_bytes() == b"\x00binary"
    assert os.listdir(target.parent) == ["grades.csv"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "journal.json"
    target.write_text("old")

    def full_disk(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["journal.json"]
