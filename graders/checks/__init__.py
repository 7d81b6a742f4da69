"""What test cells call. Each check observes the answer as plain data, judges it against the
reference with a pure function, and raises :class:`CheckFailed` (an AssertionError) with a
student-facing message and hint when it fails. Messages never contain the expected value.

    from graders import checks
    checks.close(ups_runtime_min(40_000, 25_000), 86.4, rel=0.01, unit="min",
                 hint="runtime = usable energy / load; convert hours to minutes")

A passing check prints one line (``✔ UPS runtime``), so ``what=`` should name the answer.
Every check that compares with a reference also takes ``mistakes=``: a known mistake, worded
for the student, mapped to the answer that mistake gives. A wrong answer that matches one is
named in the message ("Likely mistake: floor instead of round"), in the kernel and in the
grader's feedback alike:

    checks.close(grover_iterations(8), 2, abs=0, what="iterations for N = 8",
                 mistakes={"rounding down (floor) instead of to the nearest integer": 1},
                 hint="k = round(pi/4 * sqrt(N/M) - 1/2)")
"""
from .answers import equal, same_set, sequence, table, valid
from .numeric import close
from .quantum import counts, l1_bound, operator, resources, statevector
from .verdict import CheckFailed, Verdict, observe

__all__ = ["close", "equal", "same_set", "sequence", "table", "valid", "statevector",
           "operator", "counts", "resources", "l1_bound", "CheckFailed", "Verdict", "observe"]
