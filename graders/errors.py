"""The one error type the CLI turns into a single line on stderr and exit code 2."""


class AcademyError(Exception):
    """Bad input or a broken environment, explained in one line for the user."""
