"""Academy's grading library: checks that test cells call, per-student instances, the course
catalog, and the engine behind the `academy` command."""

__version__ = "0.1.0"
