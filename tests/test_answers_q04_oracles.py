"""q04-oracles: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations


import numpy as np
from qiskit import QuantumCircuit
from qiskit.primitives import StatevectorSampler

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "q04-oracles"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


def n_of(table):
    return len(table).bit_length() - 1


def with_phase(build, phase):
    def built(*args):
        qc = build(*args)
        qc.global_phase += phase
        return qc
    return built


# ---------------------------------------------------------------- q1: marking_oracle

def marking(style="ctrl_state", reverse=False, undo=True, complement=False):
    def marking_oracle(table):
        n = n_of(table)
        qc = QuantumCircuit(n + 1)
        for x, fx in enumerate(table):
            if bool(fx) == complement:
                continue
            pattern = int(format(x, f"0{n}b")[::-1], 2) if reverse else x
            zeros = [i for i in range(n) if not (pattern >> i) & 1]
            if style == "ctrl_state":
                qc.mcx(list(range(n)), n, ctrl_state=pattern)
                continue
            if zeros:
                qc.x(zeros)
            if style == "x-wrapped":
                qc.mcx(list(range(n)), n)
            else:                                   # H, multi-controlled phase pi, H
                qc.h(n)
                qc.mcp(np.pi, list(range(n)), n)
                qc.h(n)
            if zeros and undo:
                qc.x(zeros)
        return qc
    return marking_oracle


def marking_as_matrix(table):
    n = n_of(table)
    m = np.zeros((2 ** (n + 1),) * 2)
    for col in range(2 ** (n + 1)):
        x, y = col % 2 ** n, col // 2 ** n
        m[x + 2 ** n * (y ^ table[x]), col] = 1
    qc = QuantumCircuit(n + 1)
    qc.unitary(m, list(range(n + 1)))
    return qc


# ---------------------------------------------------------------- q2: phase_from_marking

def kickback(prepare="xh", undo=True, calls=1, phase=0.0):
    def phase_from_marking(oracle):
        n = oracle.num_qubits - 1
        qc = QuantumCircuit(n + 1)
        if prepare == "xh":
            qc.x(n)
            qc.h(n)
        elif prepare == "hz":
            qc.h(n)
            qc.z(n)
        elif prepare == "ry":
            qc.ry(-np.pi / 2, n)
        elif prepare == "h":                        # |+>: kickback does nothing
            qc.h(n)
        for _ in range(calls):
            qc.append(oracle, list(range(n + 1)))
        if undo:
            if prepare == "xh":
                qc.h(n)
                qc.x(n)
            elif prepare == "hz":
                qc.z(n)
                qc.h(n)
            elif prepare == "ry":
                qc.ry(np.pi / 2, n)
            elif prepare == "h":
                qc.h(n)
        qc.global_phase += phase
        return qc
    return phase_from_marking


# ---------------------------------------------------------------- q3: dj_circuit, dj_decide

def dj(prepare="xh", final_h=True, measure_output=False, calls=1, reverse=False, barriers=False):
    def dj_circuit(oracle):
        n = oracle.num_qubits - 1
        qc = QuantumCircuit(n + 1, n + 1 if measure_output else n)
        if prepare == "xh":
            qc.x(n)
            qc.h(n)
        elif prepare == "ry":
            qc.ry(-np.pi / 2, n)
        elif prepare == "h":
            qc.h(n)
        qc.h(range(n))
        if barriers:
            qc.barrier()
        for _ in range(calls):
            qc.append(oracle, list(range(n + 1)))
        if barriers:
            qc.barrier()
        if final_h:
            qc.h(range(n))
        if measure_output:
            qc.measure(range(n + 1), range(n + 1))
        else:
            qc.measure(range(n), [n - 1 - i for i in range(n)] if reverse else range(n))
        return qc
    return dj_circuit


def decide_by_total(counts):
    n = len(next(iter(counts)))
    return "constant" if counts.get("0" * n, 0) == sum(counts.values()) else "balanced"


def decide_by_set(counts):
    seen = {bits for bits, k in counts.items() if k}
    return "constant" if seen == {"0" * len(next(iter(counts)))} else "balanced"


# ---------------------------------------------------------------- q4: bv_oracle, bv_secret

def bv(style="cx", reverse=False, extra_pair=False, phase=0.0):
    def bv_oracle(secret):
        n = len(secret)
        qc = QuantumCircuit(n + 1)
        bits = secret if reverse else secret[::-1]          # bits[i]: the bit of qubit i
        order = range(n - 1, -1, -1) if style == "descending" else range(n)
        for i in order:
            if bits[i] == "1":
                if style == "hczh":
                    qc.h(n)
                    qc.cz(i, n)
                    qc.h(n)
                else:
                    qc.cx(i, n)
        if extra_pair:
            qc.cx(0, n)
            qc.cx(0, n)
        qc.global_phase += phase
        return qc
    return bv_oracle


def secret_reader(shots=1, seed=99, convert=lambda bits: bits):
    def bv_secret(oracle):
        n = oracle.num_qubits - 1
        qc = QuantumCircuit(n + 1, n)
        qc.h(range(n))
        qc.x(n)
        qc.h(n)
        qc.append(oracle, list(range(n + 1)))
        qc.h(range(n))
        qc.measure(range(n), range(n))
        counts = StatevectorSampler(seed=seed).run([qc], shots=shots).result()[0].join_data().get_counts()
        return convert(max(counts, key=counts.get))
    return bv_secret


# ---------------------------------------------------------------- q5: simon_period

def dot(a, b):
    return bin(a & b).count("1") % 2


def brute_force(ys, n):
    rows = [int(y, 2) for y in ys]
    s = next(c for c in range(1, 2 ** n) if all(dot(r, c) == 0 for r in rows))
    return format(s, f"0{n}b")


def gauss_reduced(ys, n):
    """Reduced row echelon form on lists of bits, free variable set to 1."""
    rows = [[int(b) for b in y] for y in ys]
    pivots, r = [], 0
    for col in range(n):
        hit = next((k for k in range(r, len(rows)) if rows[k][col]), None)
        if hit is None:
            continue
        rows[r], rows[hit] = rows[hit], rows[r]
        for k in range(len(rows)):
            if k != r and rows[k][col]:
                rows[k] = [a ^ b for a, b in zip(rows[k], rows[r])]
        pivots.append(col)
        r += 1
    free = next(c for c in range(n) if c not in pivots)
    s = [0] * n
    s[free] = 1
    for k, col in enumerate(pivots):
        s[col] = rows[k][free]
    return "".join(map(str, s))


def then(answer, convert):
    def converted(*args):
        return convert(answer(*args))
    return converted


# ---------------------------------------------------------------- q6: simon_oracle

def simon(pivot="lowest", reverse=False, output_x=False, rotate=False, copy_only=False,
          extra_pairs=0, touch_input=False, z_phase=False, as_matrix=False):
    def simon_oracle(secret):
        n = len(secret)
        bits = secret if reverse else secret[::-1]
        ones = [i for i in range(n) if bits[i] == "1"]
        out = [n + ((i + 1) % n if rotate else i) for i in range(n)]
        qc = QuantumCircuit(2 * n)
        for i in range(n):
            qc.cx(i, out[i])
        if not copy_only:
            j = ones[0] if pivot == "lowest" else ones[-1]
            for i in ones:
                qc.cx(j, out[i])
        if output_x:
            qc.x(out[0])
        for _ in range(extra_pairs):
            qc.cx(0, n)
            qc.cx(0, n)
        if touch_input:
            qc.x(0)
        if z_phase:
            qc.z(0)
        if as_matrix:
            from qiskit.quantum_info import Operator
            box = QuantumCircuit(2 * n)
            box.unitary(Operator(qc).data, list(range(2 * n)))
            return box
        return qc
    return simon_oracle


CORRECT = {
    "q1-marking-test": {
        "x-wrapped-mcx": {"marking_oracle": marking("x-wrapped")},
        "h-mcphase-h": {"marking_oracle": marking("mcp")},
    },
    "q2-phase-test": {
        "h-then-z": {"phase_from_marking": kickback("hz")},
        "ry-quarter-turns": {"phase_from_marking": kickback("ry")},
        "plus-2pi-phase": {"phase_from_marking": kickback(phase=2 * np.pi)},
    },
    "q3-dj-test": {
        "ry-ancilla-barriers-total-rule": {"dj_circuit": dj("ry", barriers=True), "dj_decide": decide_by_total},
        "set-rule": {"dj_decide": decide_by_set},
    },
    "q4-bv-test": {
        "h-cz-h-one-shot": {"bv_oracle": bv("hczh"), "bv_secret": secret_reader(shots=1)},
        "descending-other-seed": {"bv_oracle": bv("descending"), "bv_secret": secret_reader(shots=5, seed=3)},
        "oracle-plus-2pi-phase": {"bv_oracle": bv(phase=2 * np.pi)},
    },
    "q5-simon-test": {
        "brute-force": {"simon_period": brute_force},
        "reduced-echelon-on-bit-lists": {"simon_period": gauss_reduced},
    },
    "q6-design-test": {
        "highest-pivot": {"simon_oracle": simon(pivot="highest")},
        "x-on-an-output": {"simon_oracle": simon(output_x=True)},
        "rotated-output-wires": {"simon_oracle": simon(rotate=True)},
    },
}

NEAR_MISSES = {
    # bit order reversed, input not restored, a matrix instead of gates, phase -1, complement of f
    "q1-marking-test": {
        "bit-order-reversed": {"marking_oracle": marking(reverse=True, style="x-wrapped")},
        "input-x-not-undone": {"marking_oracle": marking("x-wrapped", undo=False)},
        "unitary-matrix": {"marking_oracle": marking_as_matrix},
        "global-phase-pi": {"marking_oracle": with_phase(marking(), np.pi)},
        "complement": {"marking_oracle": marking(complement=True)},
    },
    # ancilla in |+>, ancilla left in |->, the oracle of NOT f (phase -1), two oracle calls
    "q2-phase-test": {
        "ancilla-plus-not-minus": {"phase_from_marking": kickback("h")},
        "ancilla-not-uncomputed": {"phase_from_marking": kickback(undo=False)},
        "global-phase-pi-is-not-f": {"phase_from_marking": kickback(phase=np.pi)},
        "two-oracle-calls": {"phase_from_marking": kickback(calls=2)},
    },
    # no final H, output measured too, two calls, ancilla |+>, classical bits reversed, wrong labels
    "q3-dj-test": {
        "no-final-h": {"dj_circuit": dj(final_h=False)},
        "measures-output-too": {"dj_circuit": dj(measure_output=True)},
        "two-oracle-calls": {"dj_circuit": dj(calls=2)},
        "ancilla-plus": {"dj_circuit": dj("h")},
        "clbits-reversed": {"dj_circuit": dj(reverse=True)},
        "decide-bool": {"dj_decide": lambda counts: decide_by_set(counts) == "constant"},
        "decide-capitalised": {"dj_decide": then(decide_by_set, str.capitalize)},
    },
    # reversed secret in the oracle, phase -1, two extra cx, reversed/list/int answers
    "q4-bv-test": {
        "oracle-bits-reversed": {"bv_oracle": bv(reverse=True)},
        "oracle-global-phase-pi": {"bv_oracle": bv(phase=np.pi)},
        "oracle-two-extra-cx": {"bv_oracle": bv(extra_pair=True)},
        "secret-reversed": {"bv_secret": secret_reader(convert=lambda b: b[::-1])},
        "secret-as-list": {"bv_secret": secret_reader(convert=lambda b: [int(c) for c in b])},
        "secret-as-int": {"bv_secret": secret_reader(convert=lambda b: int(b, 2))},
    },
    # reversed, "0b" prefix, leading zeros dropped, the trivial solution 0
    "q5-simon-test": {
        "reversed": {"simon_period": then(brute_force, lambda s: s[::-1])},
        "bin-prefix": {"simon_period": then(brute_force, lambda s: bin(int(s, 2)))},
        "no-leading-zeros": {"simon_period": then(brute_force, lambda s: format(int(s, 2), "b"))},
        "trivial-zero": {"simon_period": lambda ys, n: "0" * n},
    },
    # one-to-one copy, period reversed, over the CX budget, a matrix, input changed, a phase
    "q6-design-test": {
        "copy-only": {"simon_oracle": simon(copy_only=True)},
        "bit-order-reversed": {"simon_oracle": simon(reverse=True)},
        "two-cx-over-budget": {"simon_oracle": simon(extra_pairs=1)},
        "unitary-matrix": {"simon_oracle": simon(as_matrix=True)},
        "changes-input": {"simon_oracle": simon(touch_input=True)},
        "z-phase-on-input": {"simon_oracle": simon(z_phase=True)},
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES


def kickback_undone_in_same_order(oracle):
    """The output qubit prepared with X then H, and 'undone' with X then H again (not H then X)."""
    n = oracle.num_qubits - 1
    qc = QuantumCircuit(n + 1)
    qc.x(n)
    qc.h(n)
    qc.append(oracle, list(range(n + 1)))
    qc.x(n)
    qc.h(n)
    return qc


# The mistakes the text warns about: each fails the release's visible tests, named.
NAMED_MISTAKES = {
    "q1-marking-test": {
        "bit-order-reversed": ({"marking_oracle": marking(reverse=True, style="x-wrapped")},
                               "the bit order reversed"),
        "input-x-not-undone": ({"marking_oracle": marking("x-wrapped", undo=False)}, "not undone"),
        "global-phase-pi": ({"marking_oracle": with_phase(marking(), np.pi)}, "different global phase"),
    },
    "q2-phase-test": {
        "ancilla-plus-not-minus": ({"phase_from_marking": kickback("h")}, "no phase kicks back"),
        "ancilla-not-uncomputed": ({"phase_from_marking": kickback(undo=False)}, "the output qubit left in |->"),
        "undone-in-same-order": ({"phase_from_marking": kickback_undone_in_same_order}, "in the same order"),
        "global-phase-pi-is-not-f": ({"phase_from_marking": kickback(phase=np.pi)}, "different global phase"),
    },
    "q3-dj-test": {
        "no-final-h": ({"dj_circuit": dj(final_h=False)}, "the H layer after the oracle is missing"),
        "ancilla-plus": ({"dj_circuit": dj("h")}, "no phase kicks back"),
        "clbits-reversed": ({"dj_circuit": dj(reverse=True)}, "classical bits reversed"),
        "measures-output-too": ({"dj_circuit": dj(measure_output=True)}, "bitstrings of length [3]"),
    },
    "q4-bv-test": {
        "oracle-bits-reversed": ({"bv_oracle": bv(reverse=True)}, "the secret reversed"),
        "secret-reversed": ({"bv_secret": secret_reader(convert=lambda b: b[::-1])},
                            "the measured bitstring reversed"),
    },
    "q5-simon-test": {
        "reversed": ({"simon_period": then(brute_force, lambda s: s[::-1])}, "the bitstring reversed"),
        "bin-prefix": ({"simon_period": then(brute_force, lambda s: bin(int(s, 2)))}, "bin(s) used"),
        "no-leading-zeros": ({"simon_period": then(brute_force, lambda s: format(int(s, 2), "b"))},
                             "the leading zeros dropped"),
        "trivial-zero": ({"simon_period": lambda ys, n: "0" * n}, "the trivial solution"),
    },
    "q6-design-test": {
        "bit-order-reversed": ({"simon_oracle": simon(reverse=True)}, "the period with its bits reversed"),
        "copy-only": ({"simon_oracle": simon(copy_only=True)}, "two-to-one needs exactly"),
        "changes-input": ({"simon_oracle": simon(touch_input=True)}, "the input register is changed"),
        "z-phase-on-input": ({"simon_oracle": simon(z_phase=True)}, "a superposition or a phase"),
    },
}

TestAnswers.named_mistakes = NAMED_MISTAKES
