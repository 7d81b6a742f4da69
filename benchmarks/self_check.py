"""How long a self-check takes: `academy check` against stock `nbgrader validate`, same run,
on one solved notebook. (Grading at scale is benchmarks/grading_engine.py.)

    .venv/bin/python benchmarks/self_check.py [--assignment dc01-power]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from submissions import copy_course, solutions, submit  # noqa: E402

BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def scratch(aid: str) -> Path:
    course = copy_course(ROOT, Path(tempfile.mkdtemp(prefix="academy-bench-")))
    submit(course, aid, "student000", solutions(course, aid))
    return course


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--assignment", default="dc01-power")
    args = p.parse_args()
    aid = args.assignment
    course = scratch(aid)

    solved = course / "submitted" / "student000" / aid
    data = course / "release" / aid / "data"
    if data.is_dir():  # a submission folder holds only the notebook
        shutil.copytree(data, solved / "data", dirs_exist_ok=True)
    nb = solved / f"{aid}.ipynb"
    validate = timed([BIN / "nbgrader", "validate", str(nb)], course)
    check = timed([BIN / "academy", "check", str(nb)], course)
    print("self-check of one solved notebook")
    print(f"  nbgrader validate:                   {validate:7.1f} s")
    print(f"  academy check:                       {check:7.1f} s")
    print(f"  ratio check/validate:                {check / validate:7.2f}")
    shutil.rmtree(course)


if __name__ == "__main__":
    main()
