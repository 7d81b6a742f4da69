"""The errors the CLI turns into a single line on stderr: AcademyError (bad input or a broken
environment, exit code 2) and GraderError (the grader's own fault, exit code 3)."""


class AcademyError(Exception):
    """Bad input or a broken environment, explained in one line for the user."""

    exit_code = 2


class GraderError(AcademyError):
    """Something went wrong on the grader's side (the gradebook is down, a worker was lost, a
    bug): never a student's fault, so it stops the run rather than flag a submission."""

    exit_code = 3
