"""q02-gates: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

from functools import reduce

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator
from qiskit.transpiler import generate_preset_pass_manager

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "q02-gates"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant

H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
MATS = {
    "x": np.array([[0, 1], [1, 0]], dtype=complex), "y": np.array([[0, -1j], [1j, 0]]),
    "z": np.diag([1, -1]).astype(complex), "h": H, "s": np.diag([1, 1j]), "sdg": np.diag([1, -1j]),
    "t": np.diag([1, np.exp(1j * np.pi / 4)]), "tdg": np.diag([1, np.exp(-1j * np.pi / 4)]),
    "sx": np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2,
}


def then(answer, convert):
    def converted(*args, **kwargs):
        return convert(answer(*args, **kwargs))
    return converted


# ---------------------------------------------------------------- q1: matrix_of

def product(order, mats=MATS):
    """matrix_of multiplying the gates' matrices in `order` ("left": m = g @ m)."""
    def matrix_of(names):
        m = np.eye(2, dtype=complex)
        for name in names:
            m = mats[name] @ m if order == "left" else m @ mats[name]
        return m
    return matrix_of


def via_operator(names):
    qc = QuantumCircuit(1)
    for name in names:
        getattr(qc, name)(0)
    return Operator(qc).data


def reduce_reversed(names):
    return reduce(np.matmul, [MATS[n] for n in reversed(names)], np.eye(2, dtype=complex)).tolist()


# ---------------------------------------------------------------- q2: inverse_circuit

def rebuilt(circuit, each, order=reversed):
    new = QuantumCircuit(1)
    for inst in order(circuit.data):
        new.append(each(inst.operation), [0])
    return new


def qiskit_inverse(circuit):
    return circuit.inverse()


def inverse_with_phase(circuit):
    new = rebuilt(circuit, lambda op: op.inverse())
    new.global_phase = 1.234
    return new


def inverse_as_matrices(circuit):
    """Each gate's inverse written as a plain 2x2 matrix gate (another spelling)."""
    from qiskit.circuit.library import UnitaryGate
    new = QuantumCircuit(1)
    for inst in reversed(circuit.data):
        new.append(UnitaryGate(Operator(inst.operation).adjoint().data), [0])
    return new


def mirror_padded(circuit):
    new = rebuilt(circuit, lambda op: op.inverse())
    new.x(0)
    new.x(0)
    return new


def inverse_on_copy_empty_like(circuit):
    """The input's own registers (circuit.copy_empty_like()), so inst.qubits can be appended as they are."""
    new = circuit.copy_empty_like()
    for inst in reversed(circuit.data):
        new.append(inst.operation.inverse(), inst.qubits)
    return new


def inverse_appending_inst_qubits(circuit):
    """inst.qubits appended to a new QuantumCircuit(1): works only when the input's register is named q."""
    new = QuantumCircuit(1)
    for inst in reversed(circuit.data):
        new.append(inst.operation.inverse(), inst.qubits)
    return new


def inverts_in_place(circuit):
    inverse = circuit.inverse()
    circuit.data.clear()
    circuit.compose(inverse, inplace=True)
    return circuit


# ---------------------------------------------------------------- q3: rz_without_rz

def one_qubit(*steps):
    """A builder f(*angles) -> circuit running each step(qc, *angles)."""
    def build(*angles):
        qc = QuantumCircuit(1)
        for step in steps:
            step(qc, *angles)
        return qc
    return build


def h(qc, *a):
    qc.h(0)


rz_alt_ry = one_qubit(lambda qc, t: qc.rx(-np.pi / 2, 0), lambda qc, t: qc.ry(t, 0),
                      lambda qc, t: qc.rx(np.pi / 2, 0))
rz_plus_2pi = one_qubit(h, lambda qc, t: qc.rx(t + 2 * np.pi, 0), h)


# ---------------------------------------------------------------- q4: compile_u

def zsx(first, middle, last):
    return one_qubit(lambda qc, t, p, l: qc.rz(first(t, p, l), 0), lambda qc, t, p, l: qc.sx(0),
                     lambda qc, t, p, l: qc.rz(middle(t, p, l), 0), lambda qc, t, p, l: qc.sx(0),
                     lambda qc, t, p, l: qc.rz(last(t, p, l), 0))


def transpiled(theta, phi, lam):
    qc = QuantumCircuit(1)
    qc.u(theta, phi, lam, 0)
    return generate_preset_pass_manager(optimization_level=1, basis_gates=["rz", "sx"]).run(qc)


# ---------------------------------------------------------------- q5: controlled_v

def controlled(rx_axis="h", phase="p", swap=False, cx_count=2, extra_phase=0.0, alpha_sign=1, half=True, extra_cx=0):
    def controlled_v(theta, alpha, control, target):
        if swap:
            control, target = target, control
        qc = QuantumCircuit(2)
        angle = theta / 2 if half else theta / 4
        if rx_axis == "h":
            qc.h(target)
        else:                                  # R_X = S^dagger R_Y S, an RY-based construction
            qc.s(target)
        rot = qc.rz if rx_axis == "h" else qc.ry
        rot(angle, target)
        for _ in range(cx_count // 2):
            qc.cx(control, target)
            rot(-angle, target)
            qc.cx(control, target)
        if rx_axis == "h":
            qc.h(target)
        else:
            qc.sdg(target)
        if phase == "p":
            qc.p(alpha_sign * alpha, control)
        elif phase == "rz":
            qc.rz(alpha_sign * alpha, control)
        elif phase == "rz+global":
            qc.rz(alpha, control)
            qc.global_phase += alpha / 2
        qc.global_phase += extra_phase
        for _ in range(extra_cx):
            qc.cx(control, target)
        return qc
    return controlled_v


def ready_made_crx(theta, alpha, control, target):
    qc = QuantumCircuit(2)
    qc.crx(theta, control, target)
    qc.p(alpha, control)
    return qc


CORRECT = {
    "q1-matrix-test": {
        "qiskit-operator": {"matrix_of": via_operator},
        "reduce-reversed-as-list": {"matrix_of": reduce_reversed},
    },
    "q2-inverse-test": {
        "qiskit-inverse": {"inverse_circuit": qiskit_inverse},
        "other-global-phase": {"inverse_circuit": inverse_with_phase},
        "unitary-gates": {"inverse_circuit": inverse_as_matrices},
        "copy-empty-like": {"inverse_circuit": inverse_on_copy_empty_like},
    },
    "q3-rotation-test": {
        "quarter-turns-about-x-around-ry": {"rz_without_rz": rz_alt_ry},
        "angle-plus-2pi-other-phase": {"rz_without_rz": rz_plus_2pi},
    },
    "q4-compile-test": {
        "pass-manager": {"compile_u": transpiled},
        "angles-minus-pi-and-2pi": {"compile_u": zsx(lambda t, p, l: l + 2 * np.pi,
                                                     lambda t, p, l: t - np.pi, lambda t, p, l: p - np.pi)},
    },
    "q5-controlled-test": {
        "ry-based-with-s": {"controlled_v": controlled(rx_axis="s")},
        "rz-plus-circuit-global-phase": {"controlled_v": controlled(phase="rz+global")},
        "cx-in-other-place-2pi-phase": {"controlled_v": controlled(extra_phase=2 * np.pi)},
    },
}

NEAR_MISSES = {
    # circuit order multiplied, conjugated or transposed, H not normalised
    "q1-matrix-test": {
        "circuit-order-product": {"matrix_of": product("right")},
        "conjugated": {"matrix_of": then(product("left"), np.conj)},
        "transposed": {"matrix_of": then(product("left"), np.transpose)},
        "h-without-sqrt2": {"matrix_of": product("left", {**MATS, "h": np.array([[1, 1], [1, -1]], complex)})},
        "global-phase-dropped": {"matrix_of": then(product("left"), lambda m: m * np.exp(-1j * np.angle(
            m.flat[np.flatnonzero(np.abs(m) > 1e-9)[0]])))},
    },
    # reversed without daggers, daggers without reversing, the input itself, padded, mutated input
    "q2-inverse-test": {
        "reversed-no-daggers": {"inverse_circuit": lambda c: rebuilt(c, lambda op: op)},
        "daggers-not-reversed": {"inverse_circuit": lambda c: rebuilt(c, lambda op: op.inverse(), order=list)},
        "returns-input-copy": {"inverse_circuit": lambda c: c.copy()},
        "two-extra-x-gates": {"inverse_circuit": mirror_padded},
        "changes-the-input": {"inverse_circuit": inverts_in_place},
        "appends-inst-qubits-to-a-new-register": {"inverse_circuit": inverse_appending_inst_qubits},
    },
    # wrong sign, half angle, axis changed only once, the rz gate itself, one gate too many
    "q3-rotation-test": {
        "minus-theta": {"rz_without_rz": one_qubit(h, lambda qc, t: qc.rx(-t, 0), h)},
        "half-angle": {"rz_without_rz": one_qubit(h, lambda qc, t: qc.rx(t / 2, 0), h)},
        "h-only-before": {"rz_without_rz": one_qubit(h, lambda qc, t: qc.rx(t, 0))},
        "uses-rz": {"rz_without_rz": one_qubit(lambda qc, t: qc.rz(t, 0))},
        "four-gates": {"rz_without_rz": one_qubit(h, lambda qc, t: qc.rx(t / 2, 0),
                                                  lambda qc, t: qc.rx(t / 2, 0), h)},
        "ry-instead-of-rx": {"rz_without_rz": one_qubit(h, lambda qc, t: qc.ry(t, 0), h)},
    },
    # the product order read as circuit order, pi forgotten, angles swapped, ry used, 7 gates
    "q4-compile-test": {
        "reversed-order": {"compile_u": zsx(lambda t, p, l: p + np.pi, lambda t, p, l: t + np.pi,
                                            lambda t, p, l: l)},
        "no-plus-pi": {"compile_u": zsx(lambda t, p, l: l, lambda t, p, l: t, lambda t, p, l: p)},
        "phi-lam-swapped": {"compile_u": zsx(lambda t, p, l: p, lambda t, p, l: t + np.pi,
                                             lambda t, p, l: l + np.pi)},
        "uses-ry": {"compile_u": one_qubit(lambda qc, t, p, l: qc.rz(l, 0), lambda qc, t, p, l: qc.ry(t, 0),
                                           lambda qc, t, p, l: qc.rz(p, 0))},
        "u-gate": {"compile_u": one_qubit(lambda qc, t, p, l: qc.u(t, p, l, 0))},
        "padded-to-seven": {"compile_u": one_qubit(*[lambda qc, t, p, l, s=s: s(qc, t, p, l) for s in (
            lambda qc, t, p, l: qc.rz(l, 0), lambda qc, t, p, l: qc.sx(0), lambda qc, t, p, l: qc.rz(t + np.pi, 0),
            lambda qc, t, p, l: qc.sx(0), lambda qc, t, p, l: qc.rz(p + np.pi, 0),
            lambda qc, t, p, l: qc.rz(0.5, 0), lambda qc, t, p, l: qc.rz(-0.5, 0))])},
    },
    # phase as rz (a global phase off), phase forgotten, -alpha, control/target swapped, 4 CX,
    # (the right matrix with two CX too many, or a wrong one),
    # a ready-made crx, half the angle
    "q5-controlled-test": {
        "phase-as-rz": {"controlled_v": controlled(phase="rz")},
        "phase-forgotten": {"controlled_v": controlled(phase=None)},
        "minus-alpha": {"controlled_v": controlled(alpha_sign=-1)},
        "control-target-swapped": {"controlled_v": controlled(swap=True)},
        "two-extra-cx": {"controlled_v": controlled(extra_cx=2)},        # right matrix, 4 CX
        "four-cx-quarter-angles": {"controlled_v": controlled(cx_count=4, half=False)},
        "ready-made-crx": {"controlled_v": ready_made_crx},
        "wrong-global-phase-pi": {"controlled_v": controlled(extra_phase=np.pi)},
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES


def one_qubit_degrees(theta):
    """rz_without_rz with its angle turned into degrees (Qiskit takes radians)."""
    return one_qubit(h, lambda qc, t: qc.rx(np.degrees(t), 0), h)(theta)


# The mistakes the text warns about: each fails the release's visible tests, named.
NAMED_MISTAKES = {
    "q1-matrix-test": {
        "circuit-order-product": ({"matrix_of": product("right")}, "multiplied in circuit order"),
        "global-phase-dropped": "different global phase",
    },
    "q2-inverse-test": {
        "reversed-no-daggers": ({"inverse_circuit": lambda c: rebuilt(c, lambda op: op)},
                                "the order reversed but the gates not inverted"),
        "daggers-not-reversed": ({"inverse_circuit": lambda c: rebuilt(c, lambda op: op.inverse(), order=list)},
                                 "inverted but not in reverse order"),
        "changes-the-input": ({"inverse_circuit": inverts_in_place}, "the circuit given to inverse_circuit, after the call"),
        "appends-inst-qubits-to-a-new-register": ({"inverse_circuit": inverse_appending_inst_qubits},
                                                  "start from circuit.copy_empty_like()"),
    },
    "q3-rotation-test": {
        "half-angle": ({"rz_without_rz": one_qubit(h, lambda qc, t: qc.rx(t / 2, 0), h)},
                       "the half angle is already inside it"),
        "minus-theta": ({"rz_without_rz": one_qubit(h, lambda qc, t: qc.rx(-t, 0), h)}, "the wrong sign"),
        "degrees": ({"rz_without_rz": one_qubit_degrees}, "converted to degrees, but Qiskit takes radians"),
        "h-only-before": ({"rz_without_rz": one_qubit(h, lambda qc, t: qc.rx(t, 0))}, "not changed back"),
    },
    "q4-compile-test": {
        "reversed-order": "in the order the product is written",
        "no-plus-pi": "the + pi on the second and third z rotations",
    },
    "q5-controlled-test": {
        "phase-as-rz": ({"controlled_v": controlled(phase="rz")}, "rz instead of p"),
        "phase-forgotten": ({"controlled_v": controlled(phase=None)}, "the phase alpha forgotten"),
        "minus-alpha": ({"controlled_v": controlled(alpha_sign=-1)}, "the wrong sign, -alpha"),
        "control-target-swapped": ({"controlled_v": controlled(swap=True)}, "control and target swapped"),
    },
}

TestAnswers.named_mistakes = NAMED_MISTAKES
