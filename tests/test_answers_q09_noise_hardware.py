"""q09-noise-hardware: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, transpile
from qiskit.circuit import Measure, Parameter
from qiskit.transpiler import CouplingMap, Target, generate_preset_pass_manager
from qiskit_ionq import GPI2Gate, GPIGate, MSGate, ionq_equivalence_library

from conftest import ROOT
from graders import instances
from notebook_harness import AnswerTable, SolvedNotebook

AID = "q09-noise-hardware"
STUDENTS = [None, "alice", "bob"]   # None: the public variant; alice and bob have different variants

KEYS = ["00", "01", "10", "11"]


# ---------------------------------------------------------------- q1: ideal_outcome_probability

def mirror_iterated(p2, n_cx):
    """The probability of 00 followed gate by gate: P <- (1 - p) P + p / 4."""
    prob = 1.0
    for _ in range(n_cx):
        prob = (1 - p2) * prob + p2 / 4
    return prob


def mirror_log(p2, n_cx):
    return 0.25 + 0.75 * math.exp(n_cx * math.log1p(-p2)) if p2 < 1 else (1.0 if n_cx == 0 else 0.25)


def mirror_with(mixed_share, survive=lambda p, k: (1 - p) ** k):
    def ideal_outcome_probability(p2, n_cx):
        s = survive(p2, n_cx)
        return s + (1 - s) * mixed_share
    return ideal_outcome_probability


# ---------------------------------------------------------------- q2: mitigate_readout

def single(e01, e10):
    return np.array([[1 - e01, e10], [e01, 1 - e10]])


def read_vector(counts):
    v = np.array([counts.get(k, 0) for k in KEYS], dtype=float)
    return v / v.sum()


def mitigate_per_qubit(counts, flips):
    """Undo each qubit's matrix on its own axis of a 2x2 tensor (axis 0 = qubit 1, axis 1 = qubit 0)."""
    grid = read_vector(counts).reshape(2, 2)
    grid = np.einsum("ab,xb->xa", np.linalg.inv(single(*flips[0])), grid)   # qubit 0
    grid = np.einsum("ab,bx->ax", np.linalg.inv(single(*flips[1])), grid)   # qubit 1
    return dict(zip(KEYS, grid.ravel().tolist()))


def mitigate_lstsq_clipped(counts, flips):
    """Least squares, then clip negatives and renormalise (another common recipe)."""
    A = np.kron(single(*flips[1]), single(*flips[0]))
    p = np.linalg.lstsq(A, read_vector(counts), rcond=None)[0]
    p = np.clip(p, 0, None)
    return {k: float(v) for k, v in zip(KEYS, p / p.sum())}


def mitigate_with(matrix, apply_inverse=True, scale=1.0):
    def mitigate_readout(counts, flips):
        A = matrix(flips)
        v = read_vector(counts)
        p = np.linalg.solve(A, v) if apply_inverse else A @ v
        return {k: float(x) * scale for k, x in zip(KEYS, p)}
    return mitigate_readout


kron_right = lambda f: np.kron(single(*f[1]), single(*f[0]))          # noqa: E731
kron_swapped = lambda f: np.kron(single(*f[0]), single(*f[1]))        # noqa: E731
kron_transposed = lambda f: kron_right(f).T                           # noqa: E731


# ---------------------------------------------------------------- q3: logical_error_rate

def binomial_tail(p):
    return sum(math.comb(3, j) * p**j * (1 - p) ** (3 - j) for j in (2, 3))


def complement(p):
    return 1 - (1 - p) ** 3 - 3 * p * (1 - p) ** 2


# ---------------------------------------------------------------- q4: correction_round

def round_circuit(parities=((0, 1), (1, 2)), fixes=((1, 0), (3, 1), (2, 2)), measure_into=(0, 1),
                  anonymous=False, measure_data=False, extra_cx=0, quantum_fix=False, corrections=True):
    """A correction round: ancilla 3 gets parities[0], ancilla 4 parities[1], measured into the
    bits measure_into; then X on qubit q when the register equals value, for (value, q) in fixes."""
    def correction_round():
        if anonymous:
            qc = QuantumCircuit(5, 2)
            reg = qc.cregs[0]
        else:
            reg = ClassicalRegister(2, "syn")
            qc = QuantumCircuit(5)
            qc.add_register(reg)
        for ancilla, (a, b) in zip((3, 4), parities):
            qc.cx(a, ancilla)
            qc.cx(b, ancilla)
        for _ in range(extra_cx):
            qc.cx(0, 3)
        if quantum_fix:                               # majority via Toffolis, no measurement
            qc.ccx(3, 4, 1)
            return qc
        if measure_data:
            qc.measure([1, 2], [0, 1])
        else:
            qc.measure(3, reg[measure_into[0]])
            qc.measure(4, reg[measure_into[1]])
        if corrections:
            for value, q in fixes:
                with qc.if_test((reg, value)):
                    qc.x(q)
        return qc
    return correction_round


def round_bitwise():
    """Corrections from single bits with nested if/else instead of register values."""
    qc = QuantumCircuit(5, 2)
    qc.cx(0, 3)
    qc.cx(1, 3)
    qc.cx(1, 4)
    qc.cx(2, 4)
    qc.measure([3, 4], [0, 1])
    with qc.if_test((qc.clbits[0], 1)) as else_:
        with qc.if_test((qc.clbits[1], 1)) as inner_else:
            qc.x(1)
        with inner_else:
            qc.x(0)
    with else_:
        with qc.if_test((qc.clbits[1], 1)):
            qc.x(2)
    return qc


# ---------------------------------------------------------------- q5: estimated_success

def success_by_loop(counts, errors):
    f = 1.0
    for kind, rate in (("one_qubit", "one_qubit"), ("two_qubit", "two_qubit"), ("measure", "readout")):
        for _ in range(counts[kind]):
            f *= 1 - errors[rate]
    return f


def success_by_logs(counts, errors):
    return math.exp(counts["one_qubit"] * math.log1p(-errors["one_qubit"])
                    + counts["two_qubit"] * math.log1p(-errors["two_qubit"])
                    + counts["measure"] * math.log1p(-errors["readout"]))


def success_with(pairs, linear=False):
    def estimated_success(counts, errors):
        if linear:
            return 1 - sum(counts[k] * errors[e] for k, e in pairs)
        return math.prod((1 - errors[e]) ** counts[k] for k, e in pairs)
    return estimated_success


ALL = (("one_qubit", "one_qubit"), ("two_qubit", "two_qubit"), ("measure", "readout"))


# ---------------------------------------------------------------- q6: compile_for

def compiler(solved, level=1, seed=9, line_map=True, ion_as_line=False, preset=False):
    ion_target = solved.namespace["ion_target"]
    basis = ["rz", "sx", "x", "cz"]

    def compile_for(circuit, device):
        n = circuit.num_qubits
        if device == "ion" and not ion_as_line:
            if preset:
                return generate_preset_pass_manager(optimization_level=level, target=ion_target(n),
                                                    seed_transpiler=seed).run(circuit)
            return transpile(circuit, target=ion_target(n), optimization_level=level, seed_transpiler=seed)
        cmap = CouplingMap.from_line(n) if line_map else None
        if preset:
            return generate_preset_pass_manager(optimization_level=level, basis_gates=basis,
                                                coupling_map=cmap, seed_transpiler=seed).run(circuit)
        return transpile(circuit, basis_gates=basis, coupling_map=cmap, optimization_level=level,
                         seed_transpiler=seed)
    return compile_for


def with_extra_swap(solved):
    base = compiler(solved)

    def compile_for(circuit, device):
        out = base(circuit, device)
        for _ in range(2):        # two SWAPs' worth of identity pairs: right operation, over budget
            for _ in range(3):
                if device == "ion":
                    out.compose(transpile(_swap_pair(), target=solved.namespace["ion_target"](2),
                                          optimization_level=0), [0, 1], inplace=True)
                else:
                    out.cz(0, 1)
                    out.cz(0, 1)
        return out
    return compile_for


def _swap_pair():
    qc = QuantumCircuit(2)
    qc.cx(0, 1)
    qc.cx(0, 1)
    return qc


def uncompiled(circuit, device):
    return circuit.copy()


def layout_dropped(solved):
    """The line compilation rebuilt gate by gate without its layout (right gates, wrong operation
    whenever the transpiler permuted the qubits)."""
    base = compiler(solved)

    def compile_for(circuit, device):
        out = base(circuit, device)
        bare = QuantumCircuit(out.num_qubits)
        for inst in out.data:
            bare.append(inst.operation, [out.find_bit(q).index for q in inst.qubits])
        return bare
    return compile_for


def aria_target(n):
    """IonQ Aria's gates (GPI, GPI2, MS), all-to-all: the notebook's ion_target(n), rebuilt here."""
    target = Target(num_qubits=n)
    phi = Parameter("phi")
    target.add_instruction(GPIGate(phi), {(q,): None for q in range(n)})
    target.add_instruction(GPI2Gate(phi), {(q,): None for q in range(n)})
    target.add_instruction(MSGate(Parameter("phi0"), Parameter("phi1"), Parameter("theta")),
                           {(a, b): None for a in range(n) for b in range(n) if a != b})
    target.add_instruction(Measure(), {(q,): None for q in range(n)})
    return target


def phases_in_radians(circuit, device):
    """A correct compilation whose IonQ phases were then written in radians (2 pi times the turns
    that qiskit-ionq expects): the native gates and the gate count are right, the operation is not."""
    ionq_equivalence_library.add_equivalences()
    n = circuit.num_qubits
    if device != "ion":
        return transpile(circuit, basis_gates=["rz", "sx", "x", "cz"], coupling_map=CouplingMap.from_line(n),
                         optimization_level=1, seed_transpiler=9)
    compiled = transpile(circuit, target=aria_target(n), optimization_level=1, seed_transpiler=9)
    wrong = compiled.copy_empty_like()
    for inst in compiled.data:
        op = inst.operation
        if op.name in ("gpi", "gpi2", "ms"):
            op = type(op)(*[2 * math.pi * float(p) for p in op.params])
        wrong.append(op, inst.qubits, inst.clbits)
    return wrong


def uncoupled_line(circuit, device):
    """The line compiled without its coupling map (two-qubit gates between distant qubits)."""
    if device == "ion":
        return transpile(circuit, target=aria_target(circuit.num_qubits), optimization_level=1, seed_transpiler=9)
    return transpile(circuit, basis_gates=["rz", "sx", "x", "cz"], optimization_level=1, seed_transpiler=9)


def ion_in_line_basis(circuit, device):
    return transpile(circuit, basis_gates=["rz", "sx", "x", "cz"], coupling_map=CouplingMap.from_line(circuit.num_qubits),
                     optimization_level=1, seed_transpiler=9)


def layout_dropped_line(circuit, device):
    """A correct level-1 compilation copied gate by gate into a new circuit, losing its layout."""
    compiled = (transpile(circuit, target=aria_target(circuit.num_qubits), optimization_level=1, seed_transpiler=9)
                if device == "ion" else ion_in_line_basis(circuit, device))
    bare = QuantumCircuit(compiled.num_qubits)
    for inst in compiled.data:
        bare.append(inst.operation, [compiled.find_bit(q).index for q in inst.qubits])
    return bare


def mitigate_unnormalised(counts, flips):
    """Solves with the raw counts instead of the frequencies."""
    v = np.array([counts.get(k, 0) for k in KEYS], dtype=float)
    return {k: float(x) for k, x in zip(KEYS, np.linalg.solve(kron_right(flips), v))}


def lazy(make):
    """Build the substitute from the solved notebook's namespace when the case runs."""
    make.lazy = True
    return make


CORRECT = {
    "q1-mirror-test": {
        "iterated-gate-by-gate": {"ideal_outcome_probability": mirror_iterated},
        "log1p-form": {"ideal_outcome_probability": mirror_log},
    },
    "q2-mitigate-test": {
        "per-qubit-inverses": {"mitigate_readout": mitigate_per_qubit},
        "lstsq-clip-renormalise": {"mitigate_readout": mitigate_lstsq_clipped},
    },
    "q3-logical-test": {
        "binomial-tail": {"logical_error_rate": binomial_tail},
        "one-minus-good-cases": {"logical_error_rate": complement},
    },
    "q4-round-test": {
        "anonymous-register": {"correction_round": round_circuit(anonymous=True)},
        "other-parities-q0q1-q0q2": {"correction_round": round_circuit(
            parities=((0, 1), (0, 2)), fixes=((3, 0), (1, 1), (2, 2)))},
        "bitwise-nested-if-else": {"correction_round": round_bitwise},
        "bits-swapped-values-adapted": {"correction_round": round_circuit(
            measure_into=(1, 0), fixes=((2, 0), (3, 1), (1, 2)))},
    },
    "q5-success-test": {
        "loop-per-operation": {"estimated_success": success_by_loop},
        "exp-of-logs": {"estimated_success": success_by_logs},
    },
    "q6-compile-test": {
        "level-3": {"compile_for": lazy(lambda s: compiler(s, level=3))},
        "preset-pass-manager-level-2-seed-5": {"compile_for": lazy(lambda s: compiler(s, level=2, seed=5, preset=True))},
        "level-1-other-seed": {"compile_for": lazy(lambda s: compiler(s, seed=123))},
    },
}

NEAR_MISSES = {
    # no-error term only, the mixed share 1/2 (one qubit), linear decay
    "q1-mirror-test": {
        "no-error-term-only": {"ideal_outcome_probability": mirror_with(0.0)},
        "mixed-share-half": {"ideal_outcome_probability": mirror_with(0.5)},
        "linear-decay": {"ideal_outcome_probability": lambda p2, k: 1 - k * p2 * 0.75},
        "p-to-the-k": {"ideal_outcome_probability": mirror_with(0.25, lambda p, k: p ** k if k else 1.0)},
    },
    # Kronecker order swapped (qubit 0 first), A applied instead of solved, A transposed,
    # left as counts instead of probabilities
    "q2-mitigate-test": {
        "kron-order-swapped": {"mitigate_readout": mitigate_with(kron_swapped)},
        "applies-A-not-inverse": {"mitigate_readout": mitigate_with(kron_right, apply_inverse=False)},
        "A-transposed": {"mitigate_readout": mitigate_with(kron_transposed)},
        "percent-not-probability": {"mitigate_readout": mitigate_with(kron_right, scale=100.0)},
    },
    # only the two-flip leading term, only three flips, two flips without the three-flip term
    "q3-logical-test": {
        "three-p-squared": {"logical_error_rate": lambda p: 3 * p**2},
        "p-cubed": {"logical_error_rate": lambda p: p**3},
        "exactly-two-flips": {"logical_error_rate": lambda p: 3 * p**2 * (1 - p)},
    },
    # values for qubits 0 and 1 swapped, syndrome bits swapped without adapting the values,
    # data qubits measured, no corrections, two CX over budget, quantum Toffoli correction
    "q4-round-test": {
        "values-0-and-1-swapped": {"correction_round": round_circuit(fixes=((3, 0), (1, 1), (2, 2)))},
        "syndrome-bits-swapped": {"correction_round": round_circuit(measure_into=(1, 0))},
        "measures-data-qubits": {"correction_round": round_circuit(measure_data=True)},
        "no-corrections": {"correction_round": round_circuit(corrections=False)},
        "two-cx-over-budget": {"correction_round": round_circuit(extra_cx=2)},
        "toffoli-no-measurement": {"correction_round": round_circuit(quantum_fix=True)},
    },
    # readout rate on the two-qubit gates, linearised, two-qubit factor only, the failure probability
    "q5-success-test": {
        "rates-mixed-up": {"estimated_success": success_with(
            (("one_qubit", "one_qubit"), ("two_qubit", "readout"), ("measure", "two_qubit")))},
        "linearised": {"estimated_success": success_with(ALL, linear=True)},
        "two-qubit-factor-only": {"estimated_success": success_with((("two_qubit", "two_qubit"),))},
        "failure-probability": {"estimated_success": lambda c, e: 1 - success_by_logs(c, e)},
    },
    # not compiled, line without coupling map, ion compiled to the line basis,
    # right operation padded over the two-qubit budget, layout dropped
    "q6-compile-test": {
        "not-compiled": {"compile_for": uncompiled},
        "line-without-coupling-map": {"compile_for": lazy(lambda s: compiler(s, line_map=False))},
        "ion-gets-superconducting-basis": {"compile_for": lazy(lambda s: compiler(s, ion_as_line=True))},
        "padded-over-budget": {"compile_for": lazy(with_extra_swap)},
        "layout-dropped": {"compile_for": lazy(layout_dropped)},
        "phases-in-radians": {"compile_for": phases_in_radians},
    },
}


def cases(table, with_reference=False):
    params = []
    for grade_id, answers in table.items():
        if with_reference:
            answers = {"reference": {}, **answers}
        cell = grade_id.removesuffix("-test")
        params += [pytest.param(grade_id, substitutes, id=f"{cell}:{label}")
                   for label, substitutes in answers.items()]
    return params


def resolve(solved, substitutes):
    return {name: (value(solved) if getattr(value, "lazy", False) else value)
            for name, value in substitutes.items()}


@pytest.fixture(scope="module")
def solved():
    return SolvedNotebook(ROOT / "source" / AID / f"{AID}.ipynb")


@pytest.fixture(params=STUDENTS, ids=lambda student: student or "public")
def student(request, monkeypatch):
    monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
    if request.param is None:
        monkeypatch.delenv(instances.STUDENT_ENV, raising=False)
    else:
        monkeypatch.setenv(instances.STUDENT_ENV, request.param)
    return request.param


def test_the_students_have_different_variants(monkeypatch):
    monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
    monkeypatch.delenv(instances.STUDENT_ENV, raising=False)
    assert len({instances.variant(AID, student) for student in STUDENTS}) == len(STUDENTS)


@pytest.mark.parametrize("grade_id, substitutes", cases(CORRECT, with_reference=True))
def test_correct_answer_passes(solved, student, grade_id, substitutes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solved.run_test(grade_id, resolve(solved, substitutes))


@pytest.mark.parametrize("grade_id, substitutes", cases(NEAR_MISSES))
def test_near_miss_fails_a_check(solved, student, grade_id, substitutes):
    with pytest.raises(AssertionError):
        solved.run_test(grade_id, resolve(solved, substitutes))


class TestNamedMistakes(AnswerTable):
    """The mistakes q09's text warns about fail the release's visible tests with a message that
    names them."""
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    named_mistakes = {
        "q1-mirror-test": {
            "no-error-term-only": ({"ideal_outcome_probability": mirror_with(0.0)}, "only the no-error term"),
            "mixed-share-half": ({"ideal_outcome_probability": mirror_with(0.5)}, "a mixed-state share of 1/2"),
        },
        "q2-mitigate-test": {
            "counts-not-normalised": ({"mitigate_readout": mitigate_unnormalised}, "counts not divided by the total"),
            "kron-order-swapped": ({"mitigate_readout": mitigate_with(kron_swapped)},
                                   "the Kronecker product in the wrong order"),
            "applies-A-not-inverse": ({"mitigate_readout": mitigate_with(kron_right, apply_inverse=False)},
                                      "the matrix applied instead of inverted"),
            "A-transposed": ({"mitigate_readout": mitigate_with(kron_transposed)}, "the matrix transposed"),
        },
        "q3-logical-test": {
            "exactly-two-flips": ({"logical_error_rate": lambda p: 3 * p**2 * (1 - p)}, "only the two-flip term"),
            "three-p-squared": ({"logical_error_rate": lambda p: 3 * p**2}, "3 p^2 alone"),
            "p-cubed": ({"logical_error_rate": lambda p: p**3}, "only the three-flip term"),
        },
        "q4-round-test": {
            "values-0-and-1-swapped": ({"correction_round": round_circuit(fixes=((3, 0), (1, 1), (2, 2)))},
                                       "register values for qubits 0 and 1 swapped"),
            "syndrome-bits-swapped": ({"correction_round": round_circuit(measure_into=(1, 0))},
                                      "the syndrome bits swapped"),
            "measures-data-qubits": ({"correction_round": round_circuit(measure_data=True)},
                                     "a data qubit (0, 1 or 2) is measured"),
            "no-if-test": ({"correction_round": round_circuit(corrections=False)},
                           "the correction must use mid-circuit measurement and if_test blocks"),
            "two-cx-over-budget": ({"correction_round": round_circuit(extra_cx=2)},
                                   "at most 4 two-or-more-qubit gates"),
        },
        "q5-success-test": {
            "rates-mixed-up": ({"estimated_success": success_with(
                (("one_qubit", "one_qubit"), ("two_qubit", "readout"), ("measure", "two_qubit")))},
                "the two-qubit and readout error rates swapped"),
            "two-qubit-factor-only": ({"estimated_success": success_with((("two_qubit", "two_qubit"),))},
                                      "only the two-qubit factor"),
            "failure-probability": ({"estimated_success": lambda c, e: 1 - success_by_logs(c, e)},
                                    "the failure probability"),
            "linearised": ({"estimated_success": success_with(ALL, linear=True)}, "a sum 1 - (n1 e1"),
        },
        "q6-compile-test": {
            "phases-in-radians": ({"compile_for": phases_in_radians}, "IonQ phases written in radians"),
            "line-without-coupling-map": ({"compile_for": uncoupled_line}, "not neighbours on the line"),
            "ion-gets-superconducting-basis": ({"compile_for": ion_in_line_basis}, "are not native to the ion device"),
            "layout-dropped": ({"compile_for": layout_dropped_line}, "the layout lost"),
        },
    }
