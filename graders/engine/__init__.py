"""Grading: plan the submissions, autograde them one after another in a warm nbgrader worker
(worker.py) under a per-notebook time limit, then feedback and a per-question CSV. This serial
engine keeps the interface that a parallel, sandboxed engine will replace from the inside."""
from .grade import GradeReport, SubmissionResult, grade_assignment

__all__ = ["grade_assignment", "GradeReport", "SubmissionResult"]
