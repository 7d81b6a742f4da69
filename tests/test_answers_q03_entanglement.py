"""q03-entanglement: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced. A correct answer must pass without a warning; a near miss must fail a
check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every case
runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import math

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "q03-entanglement"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


# ---------------------------------------------------------------- q1: bell_state

def bell(entangle="cx", hadamard="h", sign=True, flip=True, phase=0.0, swap_labels=False, extra_cx=0):
    """bell_state built from H (or RY(pi/2)) and CX (or H-CZ-H), with Z for the sign and X for psi."""
    def bell_state(label):
        if swap_labels:
            label = {"phi": "psi", "psi": "phi"}[label[:3]] + label[3]
        qc = QuantumCircuit(2)
        if hadamard == "h":
            qc.h(0)
        elif hadamard == "ry":
            qc.ry(math.pi / 2, 0)
        if sign and label.endswith("-"):
            qc.z(0)
        if entangle == "cx":
            qc.cx(0, 1)
        else:
            qc.h(1)
            qc.cz(0, 1)
            qc.h(1)
        for _ in range(extra_cx):
            qc.cx(0, 1)
        if flip and label.startswith("psi"):
            qc.x(1)
        qc.global_phase += phase
        return qc
    return bell_state


def bell_from_x_first(label):
    """psi states from X on qubit 1 before the entangler, minus from Z after it (other spelling)."""
    qc = QuantumCircuit(2)
    if label.startswith("psi"):
        qc.x(1)
    qc.h(0)
    qc.cx(0, 1)
    if label.endswith("-"):
        qc.z(1)
    return qc


# ---------------------------------------------------------------- q2: ghz_circuit

def ghz(shape="chain", phase=0.0, skip_last=False, hadamard=True, extra_pair=False, extra_qubit=False):
    def ghz_circuit(n):
        qc = QuantumCircuit(n + 1 if extra_qubit else n)
        if hadamard:
            qc.h(0)
        pairs = []
        if shape == "chain":
            pairs = [(q, q + 1) for q in range(n - 1)]
        elif shape == "fan":
            pairs = [(0, q) for q in range(1, n)]
        elif shape == "tree":                        # log-depth: every qubit that has the bit copies it
            have = 1
            while have < n:
                pairs += [(q, q + have) for q in range(have) if q + have < n]
                have *= 2
        if skip_last:
            pairs = pairs[:-1]
        for c, t in pairs:
            qc.cx(c, t)
        if extra_pair:
            qc.cx(0, 1)
            qc.cx(0, 1)
        qc.global_phase += phase
        return qc
    return ghz_circuit


def ghz_with_cz(n):
    qc = QuantumCircuit(n)
    qc.h(0)
    for q in range(n - 1):
        qc.h(q + 1)
        qc.cz(q, q + 1)
        qc.h(q + 1)
    return qc


def ghz_all_h(n):
    qc = ghz()(n)
    for q in range(1, n):
        qc.h(q)
    return qc


# ---------------------------------------------------------------- q3: correlation

def correlation_parity(counts):
    """sum over outcomes of (-1)^(number of ones) * count, over the total (another formula)."""
    values = np.array([(-1) ** key.count("1") for key in counts], dtype=float)
    weights = np.array(list(counts.values()), dtype=float)
    return np.float64(values @ weights / weights.sum())


def correlation_probabilities(counts):
    total = sum(counts.values())
    p = {k: v / total for k, v in counts.items()}
    return 2 * (p.get("00", 0) + p.get("11", 0)) - 1


def unnormalised(counts):
    return counts.get("00", 0) + counts.get("11", 0) - counts.get("01", 0) - counts.get("10", 0)


def p_same(counts):
    return (counts.get("00", 0) + counts.get("11", 0)) / sum(counts.values())


def sign_flipped(counts):
    return -correlation_probabilities(counts)


def only_present_keys(counts):
    """Averages the +1/-1 products over the outcomes present, ignoring how often each occurred."""
    return float(np.mean([(-1) ** k.count("1") for k in counts]))


# ---------------------------------------------------------------- q4: chsh_circuit

def chsh(rot_a=lambda qc, t: qc.ry(-t, 0), rot_b=lambda qc, t: qc.ry(-t, 1), pair="cx",
         clbits=(0, 1), measure=True):
    def chsh_circuit(alice_angle, bob_angle):
        qc = QuantumCircuit(2, 2) if measure else QuantumCircuit(2)
        qc.h(0)
        if pair == "cx":
            qc.cx(0, 1)
        elif pair == "cz":
            qc.h(1)
            qc.cz(0, 1)
            qc.h(1)
        elif pair == "psi+":
            qc.cx(0, 1)
            qc.x(1)
        rot_a(qc, alice_angle)
        rot_b(qc, bob_angle)
        if measure:
            qc.measure([0, 1], list(clbits))
        return qc
    return chsh_circuit


def chsh_u_gates(alice_angle, bob_angle):
    """Named registers, and the rotations written as U gates."""
    q, c = QuantumRegister(2, "q"), ClassicalRegister(2, "meas")
    qc = QuantumCircuit(q, c)
    qc.h(q[0])
    qc.cx(q[0], q[1])
    qc.u(-alice_angle, 0, 0, q[0])
    qc.u(-bob_angle, 0, 0, q[1])
    qc.measure(q, c)
    return qc


# ---------------------------------------------------------------- q5: chsh_plan

def plan(offsets, stated=None, degrees=False, ignore_a0=False, wrap=False):
    """A plan with a1, b0, b1 = a0 + offsets; S from the formula unless `stated` is given."""
    def chsh_plan(a0):
        base = 0.0 if ignore_a0 else a0
        angles = {"a0": base, "a1": base + offsets[0], "b0": base + offsets[1], "b1": base + offsets[2]}
        if wrap:
            angles = {k: math.remainder(v, 2 * math.pi) for k, v in angles.items()}
            angles["a0"] = a0
        s = (math.cos(angles["a0"] - angles["b0"]) + math.cos(angles["a0"] - angles["b1"])
             + math.cos(angles["a1"] - angles["b0"]) - math.cos(angles["a1"] - angles["b1"]))
        if degrees:
            angles = {k: math.degrees(v) for k, v in angles.items()}
        return {**angles, "S": s if stated is None else stated}
    return chsh_plan


def plan_numpy(a0):
    angles = np.array([a0, a0 - np.pi / 2, a0 - np.pi / 4, a0 + np.pi / 4])
    s = np.cos(angles[0] - angles[2]) + np.cos(angles[0] - angles[3]) + np.cos(angles[1] - angles[2]) \
        - np.cos(angles[1] - angles[3])
    return dict(zip(["a0", "a1", "b0", "b1", "S"], [*angles, s]))


# ---------------------------------------------------------------- q6: teleport_protocol

def teleport(x_bit=1, z_bit=0, x=True, z=True, z_first=False, target=2, registers=False,
             deferred=False, swap=False):
    def teleport_protocol():
        if registers:
            m0, m1 = ClassicalRegister(1, "m0"), ClassicalRegister(1, "m1")
            qc = QuantumCircuit(QuantumRegister(3, "q"), m0, m1)
        else:
            qc = QuantumCircuit(3, 2)
        if swap:                        # "teleport" by swapping qubits 0 and 2
            qc.swap(0, 2)
            qc.measure([0, 1], [0, 1])
            return qc
        qc.h(1)
        qc.cx(1, 2)
        qc.cx(0, 1)
        qc.h(0)
        if deferred:                    # corrections as quantum-controlled gates, measured afterwards
            qc.cx(1, 2)
            qc.cz(0, 2)
            qc.measure([0, 1], [0, 1])
            return qc
        qc.measure([0, 1], [0, 1])
        steps = [("x", x_bit, x), ("z", z_bit, z)]
        if z_first:
            steps.reverse()
        for gate, bit, wanted in steps:
            if wanted:
                with qc.if_test((qc.clbits[bit], 1)):
                    getattr(qc, gate)(target)
        return qc
    return teleport_protocol


def teleport_with_else():
    """Corrections with if/else blocks, X and Z merged into Y when both bits are 1."""
    qc = QuantumCircuit(3, 2)
    qc.h(1)
    qc.cx(1, 2)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure([0, 1], [0, 1])
    with qc.if_test((qc.clbits[1], 1)) as else_:
        with qc.if_test((qc.clbits[0], 1)) as inner_else:
            qc.y(2)
        with inner_else:
            qc.x(2)
    with else_:
        with qc.if_test((qc.clbits[0], 1)):
            qc.z(2)
    return qc


# ---------------------------------------------------------------- q7: encode / decode

def encoder(x_char=0, z_char=1, y_for_both=False, padding=0):
    def encode(bits):
        qc = QuantumCircuit(1)
        if y_for_both and bits == "11":
            qc.y(0)
        else:
            if bits[x_char] == "1":
                qc.x(0)
            if bits[z_char] == "1":
                qc.z(0)
        for _ in range(padding):
            qc.x(0)
        return qc
    return encode


def decoder(clbits=(0, 1), entangle="cx", hadamard=True, extra_cx=0):
    def decode():
        qc = QuantumCircuit(2, 2)
        if entangle == "cx":
            qc.cx(0, 1)
        else:
            qc.h(1)
            qc.cz(0, 1)
            qc.h(1)
        for _ in range(extra_cx):
            qc.cx(0, 1)
        if hadamard:
            qc.h(0)
        qc.measure([0, 1], list(clbits))
        return qc
    return decode


CORRECT = {
    "q1-bell-test": {
        "cz-between-hadamards": {"bell_state": bell(entangle="cz")},
        "ry-instead-of-h-other-phase": {"bell_state": bell(hadamard="ry", phase=1.0)},
        "x-before-z-after": {"bell_state": bell_from_x_first},
    },
    "q2-ghz-test": {
        "fan-out-from-0": {"ghz_circuit": ghz(shape="fan")},
        "log-depth-tree": {"ghz_circuit": ghz(shape="tree", phase=0.7)},
        "cz-between-hadamards": {"ghz_circuit": ghz_with_cz},
    },
    "q3-correlation-test": {
        "parity-numpy": {"correlation": correlation_parity},
        "from-probabilities": {"correlation": correlation_probabilities},
    },
    "q4-chsh-test": {
        "ry-plus-angle-both": {"chsh_circuit": chsh(lambda qc, t: qc.ry(t, 0), lambda qc, t: qc.ry(t, 1))},
        "bits-swapped-cz-pair": {"chsh_circuit": chsh(pair="cz", clbits=(1, 0))},
        "u-gates-named-registers": {"chsh_circuit": chsh_u_gates},
    },
    "q5-plan-test": {
        "mirrored-numpy": {"chsh_plan": plan_numpy},
        "mirrored-and-wrapped": {"chsh_plan": plan((-math.pi / 2, -math.pi / 4, math.pi / 4), wrap=True)},
        "slightly-off-optimum": {"chsh_plan": plan((math.pi / 2 + 0.1, math.pi / 4 - 0.1, -math.pi / 4))},
    },
    "q6-teleport-test": {
        "z-before-x": {"teleport_protocol": teleport(z_first=True)},
        "named-one-bit-registers": {"teleport_protocol": teleport(registers=True)},
        "if-else-with-y": {"teleport_protocol": teleport_with_else},
    },
    "q7-superdense-test": {
        "y-for-11": {"encode": encoder(y_for_both=True), "decode": decoder()},
        "other-convention-bits-swapped": {"encode": encoder(x_char=1, z_char=0), "decode": decoder(clbits=(1, 0))},
        "cz-decoder": {"encode": encoder(), "decode": decoder(entangle="cz")},
    },
}

NEAR_MISSES = {
    # sign forgotten, phi and psi swapped, no H (a product state), the right state with 3 CX
    "q1-bell-test": {
        "sign-forgotten": {"bell_state": bell(sign=False)},
        "phi-psi-swapped": {"bell_state": bell(swap_labels=True)},
        "no-hadamard": {"bell_state": bell(hadamard=None)},
        "three-cx": {"bell_state": bell(extra_cx=2)},
    },
    # one CX short, no H, the right state with two extra CX, H on every qubit, one qubit too many
    "q2-ghz-test": {
        "one-cx-short": {"ghz_circuit": ghz(skip_last=True)},
        "no-hadamard": {"ghz_circuit": ghz(hadamard=False)},
        "two-extra-cx": {"ghz_circuit": ghz(extra_pair=True)},
        "h-on-every-qubit": {"ghz_circuit": ghz_all_h},
        "extra-qubit": {"ghz_circuit": ghz(extra_qubit=True)},
    },
    # not divided by the total, P(same) instead of E, sign reversed, counts ignored
    "q3-correlation-test": {
        "not-normalised": {"correlation": unnormalised},
        "p-same": {"correlation": p_same},
        "sign-flipped": {"correlation": sign_flipped},
        "average-over-keys": {"correlation": only_present_keys},
    },
    # angles ignored, rx instead of ry, opposite rotations, psi+ pair, degrees, no measurement
    "q4-chsh-test": {
        "angles-ignored": {"chsh_circuit": chsh(lambda qc, t: None, lambda qc, t: None)},
        "rx-instead-of-ry": {"chsh_circuit": chsh(lambda qc, t: qc.rx(-t, 0), lambda qc, t: qc.rx(-t, 1))},
        "opposite-rotations": {"chsh_circuit": chsh(rot_b=lambda qc, t: qc.ry(t, 1))},
        "psi-plus-pair": {"chsh_circuit": chsh(pair="psi+")},
        "angles-as-degrees": {"chsh_circuit": chsh(lambda qc, t: qc.ry(-math.radians(t), 0),
                                                   lambda qc, t: qc.ry(-math.radians(t), 1))},
        "no-measurements": {"chsh_circuit": chsh(measure=False)},
    },
    # the other CHSH convention's angles, b0 and b1 swapped, degrees, S claimed but wrong, a0 ignored, classical plan
    "q5-plan-test": {
        "other-convention": {"chsh_plan": plan((math.pi / 2, math.pi / 4, 3 * math.pi / 4))},
        "b0-b1-swapped": {"chsh_plan": plan((math.pi / 2, -math.pi / 4, math.pi / 4))},
        "degrees": {"chsh_plan": plan((math.pi / 2, math.pi / 4, -math.pi / 4), degrees=True)},
        "s-typed-not-computed": {"chsh_plan": plan((math.pi / 2, math.pi / 4, 3 * math.pi / 4), stated=2.83)},
        "a0-ignored": {"chsh_plan": plan((math.pi / 2, math.pi / 4, -math.pi / 4), ignore_a0=True)},
        "all-angles-equal": {"chsh_plan": plan((0.0, 0.0, 0.0))},
    },
    # Z or X correction missing, the corrections' bits swapped, correction on the wrong qubit,
    # deferred (quantum-controlled) corrections: 4 two-qubit gates, a swap
    "q6-teleport-test": {
        "z-missing": {"teleport_protocol": teleport(z=False)},
        "x-missing": {"teleport_protocol": teleport(x=False)},
        "bits-swapped": {"teleport_protocol": teleport(x_bit=0, z_bit=1)},
        "corrects-qubit-1": {"teleport_protocol": teleport(target=1)},
        "deferred-measurement": {"teleport_protocol": teleport(deferred=True)},
        "swap-gate": {"teleport_protocol": teleport(swap=True)},
    },
    # decoder bits swapped, decoder without H, encoder convention swapped, 3-gate encoder, 3 CX
    "q7-superdense-test": {
        "decoder-bits-swapped": {"encode": encoder(), "decode": decoder(clbits=(1, 0))},
        "decoder-without-h": {"encode": encoder(), "decode": decoder(hadamard=False)},
        "encoder-convention-swapped": {"encode": encoder(x_char=1, z_char=0), "decode": decoder()},
        "encoder-padded": {"encode": encoder(padding=2), "decode": decoder()},
        "decoder-three-cx": {"encode": encoder(), "decode": decoder(extra_cx=2)},
    },
}


NAMED_MISTAKES = {
    "q1-bell-test": {
        "sign-forgotten": ({"bell_state": bell(sign=False)}, "the wrong sign"),
        "phi-psi-swapped": ({"bell_state": bell(swap_labels=True)}, "phi and psi swapped"),
    },
    "q2-ghz-test": {
        "one-cx-short": ({"ghz_circuit": ghz(skip_last=True)}, "one CX short"),
        "two-extra-cx": ({"ghz_circuit": ghz(extra_pair=True)}, "at most 3 two-or-more-qubit gates"),
    },
    "q3-correlation-test": {
        "not-normalised": ({"correlation": unnormalised}, "not divided by the total number of shots"),
        "p-same": ({"correlation": p_same}, "P(same) alone"),
        "sign-flipped": ({"correlation": sign_flipped}, "the sign reversed"),
        "average-over-keys": ({"correlation": only_present_keys}, "averaged without their counts"),
    },
    "q4-chsh-test": {
        "psi-plus-pair": ({"chsh_circuit": chsh(pair="psi+")}, "a Psi pair instead of Phi+"),
        "angles-ignored": ({"chsh_circuit": chsh(lambda qc, t: None, lambda qc, t: None)}, "the angles not used"),
        "rx-instead-of-ry": ({"chsh_circuit": chsh(lambda qc, t: qc.rx(-t, 0), lambda qc, t: qc.rx(-t, 1))},
                             "rx instead of ry"),
        "opposite-rotations": ({"chsh_circuit": chsh(rot_b=lambda qc, t: qc.ry(t, 1))}, "opposite senses"),
        "no-measurements": ({"chsh_circuit": chsh(measure=False)}, "2 classical bits"),
    },
    "q5-plan-test": {
        "other-convention": ({"chsh_plan": plan((math.pi / 2, math.pi / 4, 3 * math.pi / 4))},
                             "the minus sign on another term"),
        "b0-b1-swapped": ({"chsh_plan": plan((math.pi / 2, -math.pi / 4, math.pi / 4))},
                          "the minus sign on another term"),
        "degrees": ({"chsh_plan": plan((math.pi / 2, math.pi / 4, -math.pi / 4), degrees=True)}, "in radians"),
        "s-typed-not-computed": ({"chsh_plan": plan((math.pi / 2, math.pi / 4, 3 * math.pi / 4), stated=2.83)},
                                 "your S does not match the formula"),
        "a0-ignored": ({"chsh_plan": plan((math.pi / 2, math.pi / 4, -math.pi / 4), ignore_a0=True)},
                       "a0 must be the angle you were given"),
    },
    "q6-teleport-test": {
        "z-missing": ({"teleport_protocol": teleport(z=False)}, "the Z correction missing"),
        "x-missing": ({"teleport_protocol": teleport(x=False)}, "the X correction missing"),
        "bits-swapped": ({"teleport_protocol": teleport(x_bit=0, z_bit=1)}, "when bit 1 (qubit 1's result) is 1"),
        "corrects-qubit-1": ({"teleport_protocol": teleport(target=1)}, "X acts on Bob's qubit 2"),
        "deferred-measurement": ({"teleport_protocol": teleport(deferred=True)}, "at most 2 two-or-more-qubit gates"),
        "swap-gate": ({"teleport_protocol": teleport(swap=True)}, "one that also uses ['swap']"),
    },
    "q7-superdense-test": {
        "decoder-bits-swapped": ({"encode": encoder(), "decode": decoder(clbits=(1, 0))}, "the two bits come out swapped"),
        "encoder-convention-swapped": ({"encode": encoder(x_char=1, z_char=0), "decode": decoder()},
                                       "the two bits come out swapped"),
        "decoder-without-h": ({"encode": encoder(), "decode": decoder(hadamard=False)}, "the decoder's H missing"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES
