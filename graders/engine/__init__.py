"""Grading: plan the submissions, run each in a sandboxed kernel that only observes (tasks,
sandbox, run, strip), judge the observations against cached reference runs in the grader's own
process (reference, judge), and record grades and feedback through nbgrader (record).
grade.py drives it all over a local process pool or a Dask cluster."""
__all__ = ["grade_assignment", "GradeReport", "SubmissionResult"]


def __getattr__(name):  # import lazily: the judge and the workers need none of nbgrader's apps
    if name in __all__:
        from . import grade

        return getattr(grade, name)
    raise AttributeError(name)
