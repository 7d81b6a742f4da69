"""q06-qft-qpe: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate
from qiskit.quantum_info import Statevector
from qiskit.synthesis import synth_qft_full

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "q06-qft-qpe"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


# ---------------------------------------------------------------- q1: qft_state

def qft_state_formula(sign=1, norm=True, bit_reversed=False, two_pi=True, phase=1.0):
    def qft_state(x, n):
        N = 2 ** n
        k = np.arange(N)
        if bit_reversed:
            k = np.array([int(format(i, f"0{n}b")[::-1], 2) for i in range(N)])
        angle = (2 * np.pi if two_pi else 1.0) * x * k / N
        amps = np.exp(sign * 1j * angle)
        return phase * (amps / np.sqrt(N) if norm else amps)
    return qft_state


def qft_state_via_gate(x, n):
    return Statevector.from_int(x, 2 ** n).evolve(QFTGate(n))


def qft_state_via_ifft(x, n):
    basis = np.zeros(2 ** n, dtype=complex)
    basis[x] = 1
    return list(np.fft.ifft(basis) * np.sqrt(2 ** n))          # numpy's ifft has the + sign


# ---------------------------------------------------------------- q2: qft_circuit

def qft_loop(ascending_k=False, flip_cp=False, sign=1, swaps_rule="asked", global_phase=0.0,
             bottom_up=False, cx_swaps=False, padded=False):
    def qft_circuit(n, swaps=True):
        qc = QuantumCircuit(n)
        tops = range(n) if bottom_up else reversed(range(n))
        for j in tops:
            qc.h(j)
            lower = [k for k in (range(j + 1, n) if bottom_up else range(j))]
            for k in (lower if ascending_k else reversed(lower)):
                angle = sign * np.pi / 2 ** abs(j - k)
                qc.cp(angle, *((k, j) if flip_cp else (j, k)))
                if padded:
                    qc.cp(0.1, j, k)
                    qc.cp(-0.1, j, k)
        if swaps_rule == "always" or (swaps_rule == "asked" and swaps):
            for i in range(n // 2):
                if cx_swaps:
                    qc.cx(i, n - 1 - i)
                    qc.cx(n - 1 - i, i)
                    qc.cx(i, n - 1 - i)
                else:
                    qc.swap(i, n - 1 - i)
        qc.global_phase += global_phase
        return qc
    return qft_circuit


def qft_synthesis(n, swaps=True):
    return synth_qft_full(n, do_swaps=swaps)


def qft_library_gate(n, swaps=True):
    qc = QuantumCircuit(n)
    qc.append(QFTGate(n), range(n))
    return qc


# ---------------------------------------------------------------- q3: qpe_circuit

def inverse_qft_by_hand(t):
    qc = QuantumCircuit(t)
    for j in reversed(range(t)):
        qc.h(j)
        for k in reversed(range(j)):
            qc.cp(np.pi / 2 ** (j - k), j, k)
    for i in range(t // 2):
        qc.swap(i, t - 1 - i)
    return qc.inverse()


def qpe(iqft="gate", power=lambda j, t: 2 ** j, prepare=True, repeat=False, wrap=False,
        global_phase=0.0, measure=False, barrier=False):
    def qpe_circuit(phi, t):
        qc = QuantumCircuit(t + 1, t if measure else 0)
        if prepare:
            qc.x(t)
        qc.h(range(t))
        if barrier:
            qc.barrier()
        for j in range(t):
            if repeat:
                for _ in range(2 ** j):
                    qc.cp(2 * np.pi * phi, j, t)
            else:
                angle = 2 * np.pi * phi * power(j, t)
                qc.cp(math.fmod(angle, 2 * np.pi) if wrap else angle, j, t)
        if iqft == "gate":
            qc.append(QFTGate(t).inverse(), range(t))
        elif iqft == "hand":
            qc.compose(inverse_qft_by_hand(t), range(t), inplace=True)
        elif iqft == "forward":
            qc.append(QFTGate(t), range(t))
        elif iqft == "no-swaps":
            qc.compose(synth_qft_full(t, do_swaps=False).inverse(), range(t), inplace=True)
        if measure:
            qc.measure(range(t), range(t))
        qc.global_phase += global_phase
        return qc
    return qpe_circuit


# ---------------------------------------------------------------- q4: phase_from_counts

def most_common(counts, t):
    key, _ = Counter(counts).most_common(1)[0]
    return np.float64(int(key, 2) / 2 ** t)


def by_sorting(counts, t):
    key = sorted(counts.items(), key=lambda kv: kv[1])[-1][0]
    return sum(2 ** i for i, bit in enumerate(reversed(key)) if bit == "1") / 2 ** t


def weighted_mean(counts, t):
    shots = sum(counts.values())
    return sum(int(k, 2) * v for k, v in counts.items()) / shots / 2 ** t


# ---------------------------------------------------------------- q5: ancillas_needed

def ancillas_loop(n_bits, eps):
    p = 0
    while 2 ** p < 2 + 1 / (2 * eps):
        p += 1
    return n_bits + p


def ancillas_numpy(n_bits, eps):
    return n_bits + np.ceil(np.log2(2 + 1 / (2 * eps))).astype(int)


# ---------------------------------------------------------------- q6: aqft_rotations

def all_pairs(n):
    return [[k, j] for j in range(n) for k in range(j)]


def greedy(key, extra=0, as_tuples=False, flip=False):
    def aqft_rotations(n, max_cp, min_fidelity):
        pairs = sorted(all_pairs(n), key=key)[:max_cp + extra]
        if flip:
            pairs = [[j, k] for k, j in pairs]
        return [tuple(p) for p in pairs] if as_tuples else pairs
    return aqft_rotations


def fewest_needed(n, max_cp, min_fidelity):
    """Add the closest pairs one by one until the fidelity is reached (a shorter valid answer)."""
    kept = []
    for pair in sorted(all_pairs(n), key=lambda p: (p[1] - p[0], -p[0])):
        if qft_fidelity_here(n, kept) >= min_fidelity:
            break
        kept.append(pair)
    return kept


def qft_fidelity_here(n, pairs):
    from qiskit.quantum_info import Operator
    keep = {tuple(sorted(p)) for p in pairs}
    qc = QuantumCircuit(n)
    for j in reversed(range(n)):
        qc.h(j)
        for k in reversed(range(j)):
            if (k, j) in keep:
                qc.cp(np.pi / 2 ** (j - k), j, k)
    for i in range(n // 2):
        qc.swap(i, n - 1 - i)
    exact = Operator(QFTGate(n)).data
    return abs(np.trace(exact.conj().T @ Operator(qc).data) / 2 ** n) ** 2


def with_duplicate(n, max_cp, min_fidelity):
    pairs = sorted(all_pairs(n), key=lambda p: (p[1] - p[0], p))[:max_cp - 1]
    return pairs + [[pairs[0][1], pairs[0][0]]]


def with_self_pair(n, max_cp, min_fidelity):
    return sorted(all_pairs(n), key=lambda p: (p[1] - p[0], p))[:max_cp - 1] + [[1, 1]]


def with_outside_qubit(n, max_cp, min_fidelity):
    return sorted(all_pairs(n), key=lambda p: (p[1] - p[0], p))[:max_cp - 1] + [[n - 1, n]]


DISTANCE = lambda p: (p[1] - p[0], p)                                  # noqa: E731

CORRECT = {
    "q1-qft-state-test": {
        "qiskit-qftgate": {"qft_state": qft_state_via_gate},
        "numpy-ifft-as-list": {"qft_state": qft_state_via_ifft},
        "global-phase-2pi": {"qft_state": qft_state_formula(phase=np.exp(2j * np.pi))},
    },
    "q2-qft-circuit-test": {
        "qiskit-synthesis": {"qft_circuit": qft_synthesis},
        "cp-control-target-flipped-ascending": {"qft_circuit": qft_loop(ascending_k=True, flip_cp=True)},
        "global-phase-2pi": {"qft_circuit": qft_loop(global_phase=2 * np.pi)},
    },
    "q3-qpe-circuit-test": {
        "inverse-qft-by-hand": {"qpe_circuit": qpe(iqft="hand")},
        "other-global-phase-and-barrier": {"qpe_circuit": qpe(global_phase=0.7, barrier=True)},
        "angles-wrapped-mod-2pi": {"qpe_circuit": qpe(wrap=True)},
    },
    "q4-phase-from-counts-test": {
        "counter-most-common-numpy-float": {"phase_from_counts": most_common},
        "sorted-bits-summed": {"phase_from_counts": by_sorting},
    },
    "q5-ancillas-test": {
        "exact-integer-loop": {"ancillas_needed": ancillas_loop},
        "numpy-int": {"ancillas_needed": ancillas_numpy},
    },
    "q6-aqft-test": {
        "greedy-as-tuples-reversed-pairs": {"aqft_rotations": greedy(DISTANCE, as_tuples=True, flip=True)},
        "greedy-other-tie-order": {"aqft_rotations": greedy(lambda p: (p[1] - p[0], -p[0]))},
        "fewest-rotations-that-reach-the-bound": {"aqft_rotations": fewest_needed},
    },
}

NEAR_MISSES = {
    # the inverse QFT's sign, no 1/sqrt(N), bit-reversed k, radians taken as turns, a phase of -1
    "q1-qft-state-test": {
        "minus-sign": {"qft_state": qft_state_formula(sign=-1)},
        "not-normalised": {"qft_state": qft_state_formula(norm=False)},
        "bit-reversed-index": {"qft_state": qft_state_formula(bit_reversed=True)},
        "no-2pi": {"qft_state": qft_state_formula(two_pi=False)},
        "global-phase-minus-one": {"qft_state": qft_state_formula(phase=-1)},
    },
    # the library gate, swaps always / never, inverse angles, phase pi, qubit order, CX swaps, padding
    "q2-qft-circuit-test": {
        "qftgate-itself": {"qft_circuit": qft_library_gate},
        "always-swaps": {"qft_circuit": qft_loop(swaps_rule="always")},
        "never-swaps": {"qft_circuit": qft_loop(swaps_rule="never")},
        "negative-angles": {"qft_circuit": qft_loop(sign=-1)},
        "global-phase-pi": {"qft_circuit": qft_loop(global_phase=np.pi)},
        "bottom-up-qubit-order": {"qft_circuit": qft_loop(bottom_up=True)},
        "swaps-as-three-cx": {"qft_circuit": qft_loop(cx_swaps=True)},
        "two-extra-cp-that-cancel": {"qft_circuit": qft_loop(padded=True)},
    },
    # forward QFT, reversed powers, target left in |0>, U repeated 2^j times, swaps missing, measured
    "q3-qpe-circuit-test": {
        "forward-qft": {"qpe_circuit": qpe(iqft="forward")},
        "powers-reversed": {"qpe_circuit": qpe(power=lambda j, t: 2 ** (t - 1 - j))},
        "target-not-prepared": {"qpe_circuit": qpe(prepare=False)},
        "u-repeated-2-to-the-j-times": {"qpe_circuit": qpe(repeat=True)},
        "inverse-qft-without-swaps": {"qpe_circuit": qpe(iqft="no-swaps")},
        "power-not-applied": {"qpe_circuit": qpe(power=lambda j, t: 1)},
        "with-measurements": {"qpe_circuit": qpe(measure=True)},
    },
    # reversed bitstring, 2^t - 1, the integer, the mean, the first key, the least frequent
    "q4-phase-from-counts-test": {
        "bitstring-reversed": {"phase_from_counts": lambda c, t: int(max(c, key=c.get)[::-1], 2) / 2 ** t},
        "divides-by-2t-minus-1": {"phase_from_counts": lambda c, t: int(max(c, key=c.get), 2) / (2 ** t - 1)},
        "returns-the-integer": {"phase_from_counts": lambda c, t: int(max(c, key=c.get), 2)},
        "weighted-mean": {"phase_from_counts": weighted_mean},
        "first-key": {"phase_from_counts": lambda c, t: int(next(iter(c)), 2) / 2 ** t},
        "least-frequent": {"phase_from_counts": lambda c, t: int(min(c, key=c.get), 2) / 2 ** t},
    },
    # rounded down, rounded to nearest, n_bits forgotten, natural log, off by one, 1/eps
    "q5-ancillas-test": {
        "floor": {"ancillas_needed": lambda n, e: n + math.floor(math.log2(2 + 1 / (2 * e)))},
        "round": {"ancillas_needed": lambda n, e: n + round(math.log2(2 + 1 / (2 * e)))},
        "n-bits-forgotten": {"ancillas_needed": lambda n, e: math.ceil(math.log2(2 + 1 / (2 * e)))},
        "natural-log": {"ancillas_needed": lambda n, e: n + math.ceil(math.log(2 + 1 / (2 * e)))},
        "off-by-one": {"ancillas_needed": lambda n, e: n + 1 + math.ceil(math.log2(2 + 1 / (2 * e)))},
        "one-over-eps": {"ancillas_needed": lambda n, e: n + math.ceil(math.log2(2 + 1 / e))},
    },
    # every rotation, the farthest first, one over budget, neighbours only, bad pairs
    "q6-aqft-test": {
        "all-rotations": {"aqft_rotations": lambda n, b, f: all_pairs(n)},
        "farthest-first": {"aqft_rotations": greedy(lambda p: (-(p[1] - p[0]), p))},
        "one-over-budget": {"aqft_rotations": greedy(DISTANCE, extra=1)},
        "neighbours-only": {"aqft_rotations": lambda n, b, f: [[k, k + 1] for k in range(n - 1)]},
        "duplicate-pair": {"aqft_rotations": with_duplicate},
        "pair-of-one-qubit": {"aqft_rotations": with_self_pair},
        "qubit-out-of-range": {"aqft_rotations": with_outside_qubit},
        "returns-a-circuit": {"aqft_rotations": lambda n, b, f: QuantumCircuit(n)},
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES


def ancillas_int_plus_one(n_bits, eps):
    """int(x) + 1 used as the ceiling: one qubit too many when log2(...) is a whole number."""
    return n_bits + int(math.log2(2 + 1 / (2 * eps))) + 1


def ancillas_float(n_bits, eps):
    return float(n_bits + math.ceil(math.log2(2 + 1 / (2 * eps))))


NEAR_MISSES["q5-ancillas-test"].update({"int-plus-one": {"ancillas_needed": ancillas_int_plus_one},
                                        "returns-float": {"ancillas_needed": ancillas_float}})
NEAR_MISSES["q3-qpe-circuit-test"]["no-inverse-qft"] = {"qpe_circuit": qpe(iqft="none")}

# The mistakes the text warns about: each fails the release's visible tests, named.
NAMED_MISTAKES = {
    "q1-qft-state-test": {
        "minus-sign": ({"qft_state": qft_state_formula(sign=-1)}, "a minus sign in the exponent"),
        "no-2pi": ({"qft_state": qft_state_formula(two_pi=False)}, "used in radians"),
        "bit-reversed-index": ({"qft_state": qft_state_formula(bit_reversed=True)},
                               "matches only with the qubit order reversed"),
        "not-normalised": ({"qft_state": qft_state_formula(norm=False)}, "not normalised"),
        "global-phase-minus-one": ({"qft_state": qft_state_formula(phase=-1)}, "different global phase"),
    },
    "q2-qft-circuit-test": {
        "never-swaps": ({"qft_circuit": qft_loop(swaps_rule="never")}, "the final swaps left out"),
        "always-swaps": ({"qft_circuit": qft_loop(swaps_rule="always")}, "the swaps added although swaps=False"),
        "negative-angles": ({"qft_circuit": qft_loop(sign=-1)}, "negative controlled-phase angles"),
        "bottom-up-qubit-order": ({"qft_circuit": qft_loop(bottom_up=True)}, "qubit order reversed"),
        "qftgate-itself": ({"qft_circuit": qft_library_gate}, "also uses ['qft']"),
    },
    "q3-qpe-circuit-test": {
        "forward-qft": ({"qpe_circuit": qpe(iqft="forward")}, "the QFT applied instead of the inverse QFT"),
        "no-inverse-qft": ({"qpe_circuit": qpe(iqft="none")}, "the inverse QFT forgotten"),
        "powers-reversed": ({"qpe_circuit": qpe(power=lambda j, t: 2 ** (t - 1 - j))},
                            "counting qubit j controls U^(2^(t-1-j)) instead of U^(2^j)"),
        "power-not-applied": ({"qpe_circuit": qpe(power=lambda j, t: 1)}, "U applied once from every counting qubit"),
        "target-not-prepared": ({"qpe_circuit": qpe(prepare=False)}, "the target left in |0>"),
        "inverse-qft-without-swaps": ({"qpe_circuit": qpe(iqft="no-swaps")}, "the inverse QFT lacks its final swaps"),
        "u-repeated-2-to-the-j-times": ({"qpe_circuit": qpe(repeat=True)}, "at most 6 'cp' gates"),
        "with-measurements": ({"qpe_circuit": qpe(measure=True)}, "with measurements or resets"),
    },
    "q4-phase-from-counts-test": {
        "bitstring-reversed": "the bitstring reversed",
        "divides-by-2t-minus-1": "divided by 2**t - 1",
        "returns-the-integer": "the integer x returned",
        "radians": ({"phase_from_counts": lambda c, t: 2 * np.pi * int(max(c, key=c.get), 2) / 2 ** t},
                    "the phase in radians"),
        "first-key": "the first key taken",
        "least-frequent": "the fewest shots",
    },
    "q5-ancillas-test": {
        "floor": "rounded down or to the nearest integer",
        "round": "rounded down or to the nearest integer",
        "n-bits-forgotten": "n_bits not added",
        "int-plus-one": ({"ancillas_needed": ancillas_int_plus_one}, "int(x) + 1 used for the ceiling"),
        "returns-float": ({"ancillas_needed": ancillas_float}, "return an int, not a float"),
    },
    "q6-aqft-test": {
        "duplicate-pair": ({"aqft_rotations": with_duplicate}, "appears twice"),
        "one-over-budget": ({"aqft_rotations": greedy(DISTANCE, extra=1)}, "more than the budget"),
    },
}

TestAnswers.named_mistakes = NAMED_MISTAKES
