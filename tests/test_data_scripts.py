"""Every data file in source/<id>/data/ is made by the script beside it: running the scripts
on a scratch copy reproduces the committed files byte for byte."""
import shutil
import subprocess
import sys

import pytest

from graders.editions import split

from conftest import ROOT

# A translated edition's data/ is a copy of its module's (tests/test_editions.py checks it).
FOLDERS = sorted(p for p in ROOT.glob("source/*/data") if p.is_dir() and split(p.parent.name)[1] == "en")


def test_every_data_folder_has_a_script():
    for folder in FOLDERS:
        data = [p for p in folder.iterdir() if p.is_file() and p.suffix != ".py"]
        assert not data or list(folder.glob("make_*.py")), f"{folder}: data without a make_*.py"


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.parent.name for p in FOLDERS])
def test_scripts_reproduce_the_committed_data(folder, tmp_path):
    scratch = tmp_path / "data"
    shutil.copytree(folder, scratch)
    made = [p for p in scratch.iterdir() if p.suffix != ".py"]
    for p in made:
        p.unlink()
    for script in sorted(scratch.glob("make_*.py")):
        subprocess.run([sys.executable, script.name], cwd=scratch, check=True, timeout=120)
    for committed in folder.iterdir():
        if committed.is_file() and committed.suffix != ".py":
            remade = scratch / committed.name
            assert remade.exists(), f"no script makes {committed.name}"
            assert remade.read_bytes() == committed.read_bytes(), f"{committed.name} differs from what its script makes"
