"""What test cells call. Each check observes the answer as plain data, judges it against the
reference with a pure function, and raises :class:`CheckFailed` (an AssertionError) with a
student-facing message and hint when it fails. Messages never contain the expected value.

    from graders import checks
    checks.close(ups_runtime_min(40_000, 25_000), 86.4, rel=0.01, unit="min",
                 hint="runtime = usable energy / load; convert hours to minutes")
"""
from .answers import equal, same_set, sequence, table, valid
from .numeric import close
from .quantum import counts, l1_bound, operator, resources, statevector
from .verdict import CheckFailed, Verdict, observe

__all__ = ["close", "equal", "same_set", "sequence", "table", "valid", "statevector",
           "operator", "counts", "resources", "l1_bound", "CheckFailed", "Verdict", "observe"]
