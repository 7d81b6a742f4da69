"""How long grading takes: `academy grade` against stock `nbgrader autograde`, same run.

Makes a scratch course with N correct submissions of one assignment, grades it both ways and
prints seconds per submission and the ratio. Both grade every student in one warm process;
`academy grade` also registers the assignment, sets each student's hidden instances, watches
the per-notebook time limit, and writes feedback and the per-question CSV, so the ratio is the
price of those, and the baseline the parallel engine has to beat. Also compares
`academy check` with `nbgrader validate` on one solved notebook.

    .venv/bin/python benchmarks/grading_baseline.py [--assignment dc01-power] [--students 8]
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


def scratch(aid: str, students: int) -> Path:
    course = copy_course(ROOT, Path(tempfile.mkdtemp(prefix="academy-bench-")))
    answers = solutions(course, aid)
    for i in range(students):
        submit(course, aid, f"student{i:03d}", answers)
    return course


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--assignment", default="dc01-power")
    p.add_argument("--students", type=int, default=8)
    args = p.parse_args()
    aid, n = args.assignment, args.students

    stock_course, ours_course = scratch(aid, n), scratch(aid, n)
    subprocess.run([BIN / "nbgrader", "generate_assignment", aid, "--force"], cwd=stock_course,
                   check=True, capture_output=True)
    autograde = timed([BIN / "nbgrader", "autograde", aid, "--force"], stock_course)
    feedback = timed([BIN / "nbgrader", "generate_feedback", aid, "--force"], stock_course)
    stock = autograde + feedback
    ours = timed([BIN / "academy", "grade", aid], ours_course)
    print(f"grading {n} submissions of {aid}")
    print(f"  nbgrader autograde:                  {autograde:7.1f} s  {autograde / n:5.2f} s/submission")
    print(f"  nbgrader autograde + feedback:       {stock:7.1f} s  {stock / n:5.2f} s/submission")
    print(f"  academy grade (+feedback, CSV):      {ours:7.1f} s  {ours / n:5.2f} s/submission")
    print(f"  ratio academy/(autograde+feedback):  {ours / stock:7.2f}")

    solved = ours_course / "submitted" / "student000" / aid
    data = ours_course / "release" / aid / "data"
    if data.is_dir():  # a submission folder holds only the notebook
        shutil.copytree(data, solved / "data", dirs_exist_ok=True)
    nb = solved / f"{aid}.ipynb"
    validate = timed([BIN / "nbgrader", "validate", str(nb)], ours_course)
    check = timed([BIN / "academy", "check", str(nb)], ours_course)
    print("self-check of one solved notebook")
    print(f"  nbgrader validate:                   {validate:7.1f} s")
    print(f"  academy check:                       {check:7.1f} s")
    print(f"  ratio check/validate:                {check / validate:7.2f}")
    shutil.rmtree(stock_course)
    shutil.rmtree(ours_course)


if __name__ == "__main__":
    main()
