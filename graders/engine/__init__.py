"""Grading: plan the submissions, run nbgrader's autograder on each, record feedback and a
per-question CSV. This serial engine keeps the interface that a parallel, sandboxed engine
will replace from the inside."""
from .grade import GradeReport, SubmissionResult, grade_assignment

__all__ = ["grade_assignment", "GradeReport", "SubmissionResult"]
