"""q05-grover: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants. Each named mistake (one the
module's text warns about) must fail the release's visible tests with a message that names it.
"""
from __future__ import annotations

import math

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import DiagonalGate, grover_operator

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "q05-grover"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


# ---------------------------------------------------------------- shared pieces

def mark(qc, n, bits_of_q, how="mcx", target=None):
    """Flip the sign of the basis state whose bit q is bits_of_q(q), using `how` for the MCZ."""
    target = n - 1 if target is None else target
    zeros = [q for q in range(n) if not bits_of_q(q)]
    if zeros:
        qc.x(zeros)
    controls = [q for q in range(n) if q != target]
    if how == "mcx":
        qc.h(target)
        qc.mcx(controls, target)
        qc.h(target)
    else:                                    # a multi-controlled phase of pi is a multi-controlled Z
        qc.mcp(np.pi, controls, target)
    if zeros:
        qc.x(zeros)


def reflect_about_s(qc, n, how="mcx", h_layers=True, x_layers=True):
    if h_layers:
        qc.h(range(n))
    if x_layers:
        qc.x(range(n))
    controls = list(range(1, n))
    if how == "mcx":
        qc.h(0)
        qc.mcx(controls, 0)
        qc.h(0)
    else:
        qc.mcp(np.pi, controls, 0)
    if x_layers:
        qc.x(range(n))
    if h_layers:
        qc.h(range(n))


def satisfying(clauses, n, any_of=any):
    return [x for x in range(2 ** n)
            if all(any_of(((x >> q) & 1) == int(v) for q, v in clause) for clause in clauses)]


# ---------------------------------------------------------------- q1: phase_oracle

def oracle(how="mcx", target=None, phase=0.0, reverse=False, undo=True, flip_ones=False):
    def phase_oracle(marked):
        n = len(marked)
        qc = QuantumCircuit(n)
        char = (lambda q: marked[q]) if reverse else (lambda q: marked[n - 1 - q])
        bit = (lambda q: char(q) == "0") if flip_ones else (lambda q: char(q) == "1")
        if undo:
            mark(qc, n, bit, how, target)
        else:                                # X gates never undone
            zeros = [q for q in range(n) if not bit(q)]
            if zeros:
                qc.x(zeros)
            qc.h(n - 1)
            qc.mcx(list(range(n - 1)), n - 1)
            qc.h(n - 1)
        qc.global_phase = phase
        return qc
    return phase_oracle


def diagonal_oracle(marked):
    n = len(marked)
    qc = QuantumCircuit(n)
    qc.append(DiagonalGate([-1 if x == int(marked, 2) else 1 for x in range(2 ** n)]), range(n))
    return qc


def oracle_with_helper_qubit(marked):
    n = len(marked)
    qc = QuantumCircuit(n + 1)
    qc.x(n)
    qc.h(n)
    zeros = [q for q in range(n) if marked[n - 1 - q] == "0"]
    if zeros:
        qc.x(zeros)
    qc.mcx(list(range(n)), n)
    if zeros:
        qc.x(zeros)
    qc.h(n)
    qc.x(n)
    return qc


# ---------------------------------------------------------------- q2: diffuser

def diffuser_of(how="mcx", phase=0.0, h_layers=True, x_layers=True, extra_cz=False):
    def diffuser(n):
        qc = QuantumCircuit(n)
        reflect_about_s(qc, n, how, h_layers, x_layers)
        if extra_cz:
            qc.cz(0, 1)
            qc.cz(0, 1)
        qc.global_phase = phase
        return qc
    return diffuser


def diffuser_h_before_only(n):
    qc = QuantumCircuit(n)
    qc.h(range(n))
    qc.x(range(n))
    qc.h(n - 1)
    qc.mcx(list(range(n - 1)), n - 1)
    qc.h(n - 1)
    qc.x(range(n))
    return qc


# ---------------------------------------------------------------- q3, q4: formulas

def p_numpy(N, M, k):
    return np.sin((2 * k + 1) * np.arcsin(np.sqrt(M / N))) ** 2


def p_via_cos(N, M, k):
    return 1 - math.cos((2 * k + 1) * math.asin(math.sqrt(M / N))) ** 2


def NUMPY_FLOAT_K(N, M):              # the right number, as a NumPy float such as 4.0
    return np.round(np.pi / (4 * np.arcsin(np.sqrt(M / N))) - 0.5)


def k_floor_theta(N, M):
    return math.floor(math.pi / (4 * math.asin(math.sqrt(M / N))))


def k_tie_rounded_up(N, M):            # another theta formula (exactly pi/4 at M = N/2) and round half up
    theta = math.atan(math.sqrt(M / (N - M))) if M < N else math.pi / 2
    return math.floor(math.pi / (4 * theta) - 0.5 + 0.5)


def k_brute_force(N, M):
    theta = np.arcsin(np.sqrt(M / N))
    ks = np.arange(0, int(np.pi / theta) + 1)
    ks = ks[(2 * ks + 1) * theta <= np.pi]
    return ks[np.argmax(np.sin((2 * ks + 1) * theta) ** 2)]      # a NumPy integer


# ---------------------------------------------------------------- q5: grover_circuit

def grover_of(style="own", order="od", extra=0, initial_h=True, diffuser_h=True, helper=False):
    def grover_circuit(oracle, k):
        n = oracle.num_qubits
        qc = QuantumCircuit(n + 1 if helper else n)
        if initial_h:
            qc.h(range(n))
        for _ in range(k + extra):
            if style == "library":
                qc.compose(grover_operator(oracle), range(n), inplace=True)
                continue
            step = QuantumCircuit(n)
            reflect_about_s(step, n, how="mcp", h_layers=diffuser_h)
            first, second = (oracle, step) if order == "od" else (step, oracle)
            qc.compose(first, range(n), inplace=True)
            qc.compose(second, range(n), inplace=True)
        return qc
    return grover_circuit


# ---------------------------------------------------------------- q6: sat_oracle

def sat_of(how="mcx", phase=0.0, any_of=any, reverse_bits=False, complement=False, only_first=False,
           diagonal=False):
    def sat_oracle(clauses, n):
        qc = QuantumCircuit(n)
        good = satisfying(clauses, n, any_of)
        if complement:
            good = [x for x in range(2 ** n) if x not in good]
        if only_first:
            good = good[:1]
        if diagonal:
            qc.append(DiagonalGate([-1 if x in good else 1 for x in range(2 ** n)]), range(n))
            return qc
        for x in reversed(good):
            bit = (lambda q, x=x: (x >> (n - 1 - q)) & 1) if reverse_bits else (lambda q, x=x: (x >> q) & 1)
            mark(qc, n, bit, how)
        qc.global_phase = phase
        return qc
    return sat_oracle


# ---------------------------------------------------------------- q7: search_plan

def plan_of(choose="cheapest", success="any", shots_delta=0, as_float=False, as_tuple=False):
    def search_plan(N, M, target):
        theta = math.asin(math.sqrt(M / N))
        k_peak = max(0, round(math.pi / (4 * theta) - 0.5))
        options = []
        for k in range(0, 2 * k_peak + 3):
            p = math.sin((2 * k + 1) * theta) ** 2
            if p <= 1e-12:
                continue
            s = 1 if p >= 1 - 1e-12 else max(1, math.ceil(math.log(1 - target) / math.log(1 - p)))
            options.append((s * (k + 1), k, s, p))
        if choose == "cheapest":
            _, k, s, p = min(options)
        elif choose == "fewer-iterations":      # the smallest k whose plan is within the 1.5x bound
            best = min(options)[0]
            _, k, s, p = min((o for o in options if o[0] <= 1.5 * best), key=lambda o: o[1])
        elif choose == "peak":
            _, k, s, p = next(o for o in options if o[1] == k_peak)
        elif choose == "numpy":
            _, k, s, p = min(options)
            k, s = np.int64(k), np.int64(s)
        else:                                 # "guess": k = 0, plain random sampling
            _, k, s, p = options[0]
        s = s + shots_delta
        value = 1 - (1 - p) ** s if success == "any" else p
        if as_float:
            s = float(s)
        if as_tuple:
            return (k, s, value)
        return {"iterations": k, "shots": s, "success": np.float64(value) if choose == "numpy" else value}
    return search_plan


def plan_unguarded(guard_one=False, guard_zero=False, exact_zero=False):
    """The cheapest plan, without the guard for P(k) = 1 (ln 0) or for P(k) = 0 (division by ln 1 = 0);
    with `exact_zero`, P(k) = 0 is guarded with p == 0, which misses the float 1.5e-32 of N = 4, M = 3."""
    def search_plan(N, M, target):
        theta = math.asin(math.sqrt(M / N))
        k_peak = max(0, round(math.pi / (4 * theta) - 0.5))
        best = None
        for k in range(0, 2 * k_peak + 3):
            p = math.sin((2 * k + 1) * theta) ** 2
            if (guard_zero and p <= 1e-12) or (exact_zero and p == 0):
                continue
            if guard_one and p >= 1 - 1e-12:
                s = 1
            else:
                s = max(1, math.ceil(math.log(1 - target) / math.log(1 - p)))
            if best is None or s * (k + 1) < best[0]:
                best = (s * (k + 1), k, s, 1 - (1 - p) ** s)
        _, k, s, success = best
        return {"iterations": k, "shots": s, "success": success}
    return search_plan


def plan_doubled_shots(N, M, target):
    plan = plan_of()(N, M, target)
    theta = math.asin(math.sqrt(M / N))
    p = math.sin((2 * plan["iterations"] + 1) * theta) ** 2
    s = 2 * plan["shots"] + 1
    return {"iterations": plan["iterations"], "shots": s, "success": 1 - (1 - p) ** s}


CORRECT = {
    "q1-oracle-test": {
        "mcphase-target-0-with-phase": {"phase_oracle": oracle(how="mcp", target=0, phase=0.7)},
        "minus-the-oracle-global-pi": {"phase_oracle": oracle(phase=np.pi)},
    },
    "q2-diffuser-test": {
        "mcphase-on-qubit-0": {"diffuser": diffuser_of(how="mcp")},
        "global-phase-pi-is-2ss-minus-i": {"diffuser": diffuser_of(phase=np.pi)},
        "mcx-on-qubit-0-other-phase": {"diffuser": diffuser_of(how="mcx", phase=1.1)},
    },
    "q3-success-test": {
        "numpy-float64": {"success_probability": p_numpy},
        "one-minus-cos-squared": {"success_probability": p_via_cos},
    },
    "q4-iterations-test": {
        "floor-of-pi-over-4-theta": {"optimal_iterations": k_floor_theta},
        "brute-force-numpy-int": {"optimal_iterations": k_brute_force},
    },
    "q5-grover-test": {
        "qiskit-grover-operator": {"grover_circuit": grover_of(style="library")},
        "own-diffuser-with-mcphase": {"grover_circuit": grover_of(style="own")},
    },
    "q6-sat-test": {
        "mcphase-other-order": {"sat_oracle": sat_of(how="mcp")},
        "global-phase": {"sat_oracle": sat_of(phase=2.5)},
    },
    "q7-plan-test": {
        "iterations-at-the-peak": {"search_plan": plan_of(choose="peak")},
        "numpy-types": {"search_plan": plan_of(choose="numpy")},
        "fewer-iterations-more-shots": {"search_plan": plan_of(choose="fewer-iterations")},
    },
}

NEAR_MISSES = {
    # bitstring read left to right, X on the ones, X not undone, DiagonalGate, a helper qubit
    "q1-oracle-test": {
        "qubit-order-reversed": {"phase_oracle": oracle(reverse=True)},
        "x-on-the-ones": {"phase_oracle": oracle(flip_ones=True)},
        "x-not-undone": {"phase_oracle": oracle(undo=False)},
        "diagonal-gate": {"phase_oracle": diagonal_oracle},
        "helper-qubit": {"phase_oracle": oracle_with_helper_qubit},
    },
    # no H layers (reflects about |0...0>), no X layers, H only before, a right matrix with 3 multi-qubit gates
    "q2-diffuser-test": {
        "no-h-layers": {"diffuser": diffuser_of(h_layers=False)},
        "no-x-layers": {"diffuser": diffuser_of(x_layers=False)},
        "h-only-before": {"diffuser": diffuser_h_before_only},
        "two-extra-cz": {"diffuser": diffuser_of(extra_cz=True)},
    },
    # (2k) instead of (2k+1), theta = sqrt(M/N), degrees, sin not squared
    "q3-success-test": {
        "2k-not-2k-plus-1": {"success_probability": lambda N, M, k: math.sin(2 * k * math.asin(math.sqrt(M / N))) ** 2},
        "theta-without-arcsin": {"success_probability": lambda N, M, k: math.sin((2 * k + 1) * math.sqrt(M / N)) ** 2},
        "theta-in-degrees": {"success_probability": lambda N, M, k: math.sin((2 * k + 1) * math.degrees(math.asin(math.sqrt(M / N)))) ** 2},
        "sin-not-squared": {"success_probability": lambda N, M, k: abs(math.sin((2 * k + 1) * math.asin(math.sqrt(M / N))))},
    },
    # textbook floor, no -1/2, theta without arcsin, ceil, a NumPy float, the M = N/2 tie rounded up
    "q4-iterations-test": {
        "textbook-floor": {"optimal_iterations": lambda N, M: math.floor(math.pi / 4 * math.sqrt(N / M))},
        "no-minus-half": {"optimal_iterations": lambda N, M: round(math.pi / (4 * math.asin(math.sqrt(M / N))))},
        "theta-without-arcsin": {"optimal_iterations": lambda N, M: round(math.pi / (4 * math.sqrt(M / N)) - 0.5)},
        "ceil": {"optimal_iterations": lambda N, M: math.ceil(math.pi / (4 * math.asin(math.sqrt(M / N))) - 0.5)},
        "numpy-float": {"optimal_iterations": NUMPY_FLOAT_K},
        "tie-rounded-up": {"optimal_iterations": k_tie_rounded_up},
    },
    # diffuser before oracle, one iteration too many, no H layer, diffuser about |0>, a helper qubit
    "q5-grover-test": {
        "diffuser-then-oracle": {"grover_circuit": grover_of(order="do")},
        "one-iteration-too-many": {"grover_circuit": grover_of(extra=1)},
        "no-initial-h": {"grover_circuit": grover_of(initial_h=False)},
        "diffuser-without-h": {"grover_circuit": grover_of(diffuser_h=False)},
        "helper-qubit": {"grover_circuit": grover_of(helper=True)},
    },
    # AND inside a clause, bit order reversed, marks the complement (right up to phase, too many gates),
    # only the first solution, DiagonalGate
    "q6-sat-test": {
        "and-within-clause": {"sat_oracle": sat_of(any_of=all)},
        "bit-order-reversed": {"sat_oracle": sat_of(reverse_bits=True)},
        "marks-the-complement": {"sat_oracle": sat_of(complement=True)},
        "only-first-solution": {"sat_oracle": sat_of(only_first=True)},
        "diagonal-gate": {"sat_oracle": sat_of(diagonal=True)},
    },
    # random guessing, one-shot probability reported, one shot short, far too many shots, floats, a tuple,
    # no guard where P(k) = 1 (ln 0) or where P(k) = 0 (a division by ln 1 = 0), P(k) = 0 tested with == 0
    "q7-plan-test": {
        "random-guessing-k0": {"search_plan": plan_of(choose="guess")},
        "success-of-one-shot": {"search_plan": plan_of(success="single")},
        "one-shot-short": {"search_plan": plan_of(shots_delta=-1)},
        "doubled-shots": {"search_plan": plan_doubled_shots},
        "shots-as-float": {"search_plan": plan_of(as_float=True)},
        "tuple-not-dict": {"search_plan": plan_of(as_tuple=True)},
        "no-guard-for-p-equal-1": {"search_plan": plan_unguarded(guard_zero=True)},
        "no-guard-for-p-equal-0": {"search_plan": plan_unguarded(guard_one=True)},
        "p-equal-0-tested-with-equals": {"search_plan": plan_unguarded(guard_one=True, exact_zero=True)},
    },
}

# The mistakes the module's text warns about: each fails the release's visible test cell with a
# message that names it ({grade_id: {label: (substitutes, words the message must contain)}}).
NAMED_MISTAKES = {
    "q1-oracle-test": {
        "read-left-to-right": ({"phase_oracle": oracle(reverse=True)}, "reading the bitstring left to right"),
        "x-on-the-ones": ({"phase_oracle": oracle(flip_ones=True)}, "whose bit is 1 instead of 0"),
        "x-not-undone": ({"phase_oracle": oracle(undo=False)}, "not undone"),
    },
    "q2-diffuser-test": {
        "no-outer-h-layers": ({"diffuser": diffuser_of(h_layers=False)}, "forgetting the outer H layers"),
        "no-x-layers": ({"diffuser": diffuser_of(x_layers=False)}, "leaving out the X layers"),
    },
    "q3-success-test": {
        "theta-without-arcsin": "instead of its arcsine",
        "theta-in-degrees": "radians",
        "2k-not-2k-plus-1": "(2k) theta instead of (2k + 1) theta",
        "sin-not-squared": "not squared",
    },
    "q4-iterations-test": {
        "textbook-floor": "textbook floor",
        "theta-without-arcsin": "textbook floor",
        "numpy-float": ({"optimal_iterations": NUMPY_FLOAT_K}, "is a float"),
        "tie-rounded-up": ({"optimal_iterations": k_tie_rounded_up}, "the tie at M = N/2"),
    },
    "q5-grover-test": {
        "diffuser-then-oracle": ({"grover_circuit": grover_of(order="do")}, "the diffuser before the oracle"),
        "one-iteration-too-many": ({"grover_circuit": grover_of(extra=1)}, "one iteration too many"),
        "no-initial-h": ({"grover_circuit": grover_of(initial_h=False)}, "no H layer at the start"),
        "diffuser-without-h": ({"grover_circuit": grover_of(diffuser_h=False)}, "without its outer H layers"),
    },
    "q6-sat-test": {
        "and-within-clause": ({"sat_oracle": sat_of(any_of=all)}, "a clause holds when at least one pair holds"),
        "bit-order-reversed": ({"sat_oracle": sat_of(reverse_bits=True)}, "the bit order reversed"),
        "only-first-solution": ({"sat_oracle": sat_of(only_first=True)}, "only the first satisfying plan"),
    },
    "q7-plan-test": {
        "success-of-one-shot": ({"search_plan": plan_of(success="single")}, "the probability of one shot"),
        "shots-as-float": ({"search_plan": plan_of(as_float=True)}, "shots is a float"),
        "no-guard-for-p-equal-1": ({"search_plan": plan_unguarded(guard_zero=True)}, "P(k) = 1"),
        "no-guard-for-p-equal-0": ({"search_plan": plan_unguarded(guard_one=True)}, "P(k) = 0"),
        "p-equal-0-tested-with-equals": ({"search_plan": plan_unguarded(guard_one=True, exact_zero=True)},
                                         "a test p == 0 does not catch it"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES


def test_formula_and_simulation_agree_as_printed():
    """Section 3 prints P(k) from the formula and from a simulation: the printed digits must be
    the same (0.78125 once printed as 0.7813 against 0.7812)."""
    import contextlib
    import io
    import re

    import nbformat
    from notebook_harness import _as_in_jupyter, solved_notebook

    cells = nbformat.read(TestAnswers.notebook, as_version=4).cells
    source = next(c.source for c in cells if c.get("id") == "s3-example")
    namespace = dict(solved_notebook(TestAnswers.notebook).namespace)
    with _as_in_jupyter(TestAnswers.notebook.parent):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, "s3-example", "exec"), namespace)
    pairs = re.findall(r"formula ([0-9.]+), simulation ([0-9.]+)", out.getvalue())
    assert len(pairs) == 4 and all(a == b for a, b in pairs), pairs
