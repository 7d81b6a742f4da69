"""A long-lived autograding process: reads student ids on stdin, autogrades each with
nbgrader's API, and answers one JSON line per student on its protocol pipe.

Start-up (importing nbgrader, reading the config) is paid once per batch instead of once per
submission. ``ACADEMY_STUDENT`` is set before each submission so the kernel that nbgrader
starts draws that student's hidden instances. The protocol uses a duplicate of the original
stdout; fd 1 itself is pointed at stderr first, so nothing a kernel prints can forge a line.

    python -m graders.engine.worker ROOT ASSIGNMENT CELL_SECONDS
"""
from __future__ import annotations

import json
import os
import sys


def main(root: str, aid: str, cell_seconds: str) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    from ..course_config import course_config, failure, nbgrader_api
    from ..instances import STUDENT_ENV

    api = nbgrader_api(course_config(root, cell_seconds=int(cell_seconds)))
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        student = line.strip()
        os.environ[STUDENT_ENV] = student
        result = api.autograde(aid, student, force=True, create=True)
        protocol.write(json.dumps({"student": student, "success": bool(result["success"]),
                                   "error": None if result["success"] else failure(result)}) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
