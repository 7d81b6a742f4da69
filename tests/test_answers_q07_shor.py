"""q07-shor: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants. Each named mistake (one the
module's text warns about) must fail the release's visible tests with a message that names it.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate, UnitaryGate

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "q07-shor"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


def then(answer, convert):
    def converted(*args, **kwargs):
        return convert(answer(*args, **kwargs))
    return converted


# ---------------------------------------------------------------- q1: classical_order

def order_by_search(a, N):
    return next(r for r in range(1, N + 1) if pow(a, r, N) == 1)


def order_as_numpy(a, N):
    powers = np.array([pow(a, k, N) for k in range(1, N + 1)])
    return np.int64(np.flatnonzero(powers == 1)[0] + 1)


def order_minus_one(a, N):             # counts the multiplications, not the powers
    x, r = a % N, 0
    while x != 1:
        x = (x * a) % N
        r += 1
    return r


def euler_phi(a, N):
    return sum(1 for k in range(1, N) if math.gcd(k, N) == 1)


# ---------------------------------------------------------------- q2: mult_mod15

SHIFT = {2: 1, 13: 1, 4: 2, 11: 2, 8: 3, 7: 3, 14: 0, 1: 0}
SWAPS = {1: [(2, 3), (1, 2), (0, 1)], 2: [(1, 3), (0, 2)], 3: [(0, 1), (1, 2), (2, 3)], 0: []}


def mult(order=lambda swaps: swaps, flip_first=False, swap_as_cx=False, phase=0.0, flip=True,
         shift_of=SHIFT.__getitem__, reverse_bits=False):
    def mult_mod15(a):
        qc = QuantumCircuit(4)
        negative = a in (7, 11, 13, 14)
        if flip_first and negative and flip:
            qc.x(range(4))
        for i, j in order(SWAPS[shift_of(a)]):
            if reverse_bits:
                i, j = 3 - i, 3 - j
            if swap_as_cx:
                qc.cx(i, j)
                qc.cx(j, i)
                qc.cx(i, j)
            else:
                qc.swap(i, j)
        if not flip_first and negative and flip:
            qc.x(range(4))
        qc.global_phase = phase
        return qc
    return mult_mod15


def mult_by_sorting(a):
    """Another decomposition: the qubit permutation of the shift, realised by selection sort."""
    k = SHIFT[a]
    target = [(q + k) % 4 for q in range(4)]        # the value on qubit q must move to qubit target[q]
    where = list(range(4))                          # where[q]: the qubit now holding original qubit q's value
    qc = QuantumCircuit(4)
    for q in range(4):
        src, dst = where[q], target[q]
        if src != dst:
            qc.swap(src, dst)
            for p in range(4):
                if where[p] == dst:
                    where[p] = src
            where[q] = dst
    if a in (7, 11, 13, 14):
        qc.x(range(4))
    return qc


def mult_as_matrix(a):
    perm = np.eye(16)
    perm[:, 1:15] = 0
    for y in range(1, 15):
        perm[(a * y) % 15, y] = 1
    qc = QuantumCircuit(4)
    qc.append(UnitaryGate(perm), range(4))
    return qc


# ---------------------------------------------------------------- q3: phase_to_denominator

def last_convergent(m, t, N):
    """The last continued-fraction convergent of m / 2^t with denominator <= N: not always the
    closest fraction (27/256 with N = 15: the convergent 1/9, but 1/10 is closer)."""
    x = Fraction(m, 2 ** t)
    h0, h1, k0, k1 = 0, 1, 1, 0
    best = 1
    while True:
        c = math.floor(x)
        h0, h1, k0, k1 = h1, c * h1 + h0, k1, c * k1 + k0
        if k1 > N:
            return best
        best = k1
        if x == c:
            return best
        x = 1 / (x - c)


def by_semiconvergents(m, t, N):
    """Convergents and the in-between fractions (semiconvergents) with denominator <= N, closest wins."""
    x = Fraction(m, 2 ** t)
    candidates, h0, h1, k0, k1, rest = [Fraction(0, 1)], 0, 1, 1, 0, x
    while True:
        c = math.floor(rest)
        for j in range(1, c + 1):                  # (h0 + j h1) / (k0 + j k1), j = c is the convergent
            if k0 + j * k1 <= N:
                candidates.append(Fraction(h0 + j * h1, k0 + j * k1))
        h0, h1, k0, k1 = h1, c * h1 + h0, k1, c * k1 + k0
        if k1 > N or rest == c:
            break
        rest = 1 / (rest - c)
    return min(candidates, key=lambda f: (abs(x - f), f.denominator)).denominator


def by_search(m, t, N):
    x = Fraction(m, 2 ** t)
    return min(range(1, N + 1), key=lambda r: (abs(x - Fraction(round(x * r), r)), r))


def round_inverse(m, t, N):
    return 1 if m == 0 else round(2 ** t / m)


# ---------------------------------------------------------------- q4: order_finding_circuit

def inverse_qft(t, swaps=True):
    qc = QuantumCircuit(t, name="iqft")
    if swaps:
        for q in range(t // 2):
            qc.swap(q, t - 1 - q)
    for j in range(t):
        for k in range(j):
            qc.cp(-math.pi / 2 ** (j - k), k, j)
        qc.h(j)
    return qc


def c_mult(a, N):
    n = N.bit_length()
    perm = np.zeros((2 ** (n + 1),) * 2)
    for y in range(2 ** n):
        for c in (0, 1):
            image = (a * y) % N if (c and y < N) else y
            perm[2 * image + c, 2 * y + c] = 1
    return UnitaryGate(perm)


def finder(iqft="gate", x_first=False, phase=0.0, one_on=0, exponent=lambda j, t: 2 ** j,
           repeat=False, prepare=True):
    def order_finding_circuit(a, N, t):
        n = N.bit_length()
        work = list(range(t, t + n))
        qc = QuantumCircuit(t + n)
        if prepare and x_first:
            qc.x(t + one_on)
        qc.h(range(t))
        if prepare and not x_first:
            qc.x(t + one_on)
        for j in range(t):
            if repeat:
                for _ in range(2 ** j):
                    qc.append(c_mult(a, N), [j] + work)
            else:
                qc.append(c_mult(pow(a, exponent(j, t), N), N), [j] + work)
        if iqft == "gate":
            qc.append(QFTGate(t).inverse(), range(t))
        elif iqft == "forward":
            qc.append(QFTGate(t), range(t))
        else:
            qc.compose(inverse_qft(t, swaps=(iqft == "manual")), range(t), inplace=True)
        qc.global_phase = phase
        return qc
    return order_finding_circuit


def measured(a, N, t):
    qc = finder()(a, N, t)
    qc.measure_all()
    return qc


# ---------------------------------------------------------------- q5: shor_factor

def factoring(bases=lambda N: range(2, N - 1), plus=False, check_minus_one=True, check_odd=True,
              tuple_out=False, swap_out=False, prefetch=False, full_power=False, bare=False,
              true_division=False, own_orders=False):
    def shor_factor(N, oracle):
        if prefetch:                               # asks for every order first: far over budget
            orders = {a: oracle(a, N) for a in range(2, N - 1) if math.gcd(a, N) == 1}
        for a in bases(N):
            g = math.gcd(a, N)
            if g > 1:
                out = [g, N // g]
                return out if bare else {"factors": out, "a": a, "r": None}
            r = orders[a] if prefetch else (order_by_search(a, N) if own_orders else oracle(a, N))
            if check_odd and r % 2:
                continue
            half = pow(a, r // 2, N)
            if check_minus_one and half == N - 1:
                continue
            if full_power:
                half = pow(a, r, N)
            p = math.gcd(half + 1 if plus else half - 1, N)
            q = N / p if true_division else N // p        # N / p: the float 5.0, not the int 5
            pair = (q, p) if swap_out else (p, q)
            if bare:
                return list(pair)
            return {"factors": tuple(pair) if tuple_out else list(pair), "a": a, "r": r}
        raise ValueError("no base")
    return shor_factor


def seeded_random_bases(N):
    rng = np.random.default_rng(2026)
    return [int(a) for a in rng.permutation(np.arange(2, N - 1))]


CORRECT = {
    "q1-order-test": {
        "search-with-pow": {"classical_order": order_by_search},
        "numpy-int64": {"classical_order": order_as_numpy},
    },
    "q2-mult-test": {
        "x-before-swaps-cx-decomposed": {"mult_mod15": mult(flip_first=True, swap_as_cx=True)},
        "selection-sort-swaps": {"mult_mod15": mult_by_sorting},
        "other-global-phase": {"mult_mod15": mult(phase=0.7)},
    },
    "q3-denominator-test": {
        "own-semiconvergents": {"phase_to_denominator": by_semiconvergents},
        "search-all-denominators": {"phase_to_denominator": by_search},
        "limit-n-minus-1": {"phase_to_denominator": lambda m, t, N: Fraction(m, 2 ** t).limit_denominator(N - 1).denominator},
    },
    "q4-circuit-test": {
        "own-inverse-qft": {"order_finding_circuit": finder(iqft="manual")},
        "x-first-other-global-phase": {"order_finding_circuit": finder(x_first=True, phase=1.1)},
    },
    "q5-factor-test": {
        "bases-downwards-plus-one": {"shor_factor": factoring(bases=lambda N: range(N - 2, 1, -1), plus=True)},
        "seeded-random-bases": {"shor_factor": factoring(bases=seeded_random_bases)},
        "tuple-swapped-order": {"shor_factor": factoring(tuple_out=True, swap_out=True)},
    },
}

NEAR_MISSES = {
    # one multiplication too few, Euler's phi instead of the order
    "q1-order-test": {
        "off-by-one": {"classical_order": order_minus_one},
        "euler-phi": {"classical_order": euler_phi},
        "n-minus-1": {"classical_order": lambda a, N: N - 1},
    },
    # swaps in the wrong order (shift the other way), no bit flip for negative a, big-endian
    # bits, a permutation matrix instead of gates
    "q2-mult-test": {
        "shift-the-other-way": {"mult_mod15": mult(order=lambda s: list(reversed(s)))},
        "no-flip-for-negative-a": {"mult_mod15": mult(flip=False)},
        "qubit-order-reversed": {"mult_mod15": mult(reverse_bits=True)},
        "permutation-matrix": {"mult_mod15": mult_as_matrix},
    },
    # the unlimited denominator (a power of 2), the numerator, 2^t / m, the last convergent only
    "q3-denominator-test": {
        "last-convergent-only": {"phase_to_denominator": last_convergent},
        "power-of-two": {"phase_to_denominator": lambda m, t, N: Fraction(m, 2 ** t).denominator},
        "numerator": {"phase_to_denominator": lambda m, t, N: Fraction(m, 2 ** t).limit_denominator(N).numerator},
        "rounded-inverse": {"phase_to_denominator": round_inverse},
    },
    # forward QFT, no swaps in the inverse QFT, controls bit-reversed, work register left in |0>,
    # |1> on the wrong work qubit, repeated multiplications (over the gate bound), measured
    "q4-circuit-test": {
        "forward-qft": {"order_finding_circuit": finder(iqft="forward")},
        "inverse-qft-without-swaps": {"order_finding_circuit": finder(iqft="noswap")},
        "controls-reversed": {"order_finding_circuit": finder(exponent=lambda j, t: 2 ** (t - 1 - j))},
        "work-not-prepared": {"order_finding_circuit": finder(prepare=False)},
        "x-on-top-work-qubit": {"order_finding_circuit": finder(one_on=3)},
        "repeated-multiplications": {"order_finding_circuit": finder(repeat=True)},
        "with-measurements": {"order_finding_circuit": measured},
    },
    # no a^(r/2) = -1 test (trivial factors for 57 and 65), r/2 given as the order, gcd(a^r - 1, N) = N,
    # every order fetched first (over budget), a bare list without evidence, q = N / p a float,
    # orders from one's own order finder instead of the oracle
    "q5-factor-test": {
        "minus-one-not-checked": {"shor_factor": factoring(check_minus_one=False)},
        "half-order-as-r": {"shor_factor": then(factoring(), lambda d: {**d, "r": d["r"] // 2 if d["r"] else None})},
        "gcd-of-a-to-the-r": {"shor_factor": factoring(full_power=True)},
        "over-budget": {"shor_factor": factoring(prefetch=True)},
        "bare-list": {"shor_factor": factoring(bare=True)},
        "q-as-float": {"shor_factor": factoring(true_division=True)},
        "own-orders-not-the-oracle": {"shor_factor": factoring(own_orders=True)},
    },
}

# The mistakes the module's text warns about: each fails the release's visible test cell with a
# message that names it ({grade_id: {label: (substitutes, words the message must contain)}}).
NAMED_MISTAKES = {
    "q1-order-test": {
        "one-too-few": ({"classical_order": order_minus_one}, "one too few"),
        "euler-phi": ({"classical_order": euler_phi}, "Euler's phi(N) instead of the order"),
        "n-minus-1": ({"classical_order": lambda a, N: N - 1}, "N - 1 instead of the order"),
    },
    "q2-mult-test": {
        "swaps-in-the-wrong-order": ({"mult_mod15": mult(order=lambda s: list(reversed(s)))},
                                     "shift the bits the wrong way"),
        "qubit-order-reversed": ({"mult_mod15": mult(reverse_bits=True)}, "shift the bits the wrong way"),
        "no-flip-for-negative-a": ({"mult_mod15": mult(flip=False)}, "needs the bit flip"),
    },
    "q3-denominator-test": {
        "power-of-two": ({"phase_to_denominator": lambda m, t, N: Fraction(m, 2 ** t).denominator},
                         "a power of 2"),
        "numerator": ({"phase_to_denominator": lambda m, t, N: Fraction(m, 2 ** t).limit_denominator(N).numerator},
                      "the numerator instead of the denominator"),
        "last-convergent-only": ({"phase_to_denominator": last_convergent},
                                 "last continued-fraction convergent"),
    },
    "q4-circuit-test": {
        "work-register-in-0": ({"order_finding_circuit": finder(prepare=False)}, "work register left in |0>"),
        "a-on-every-counting-qubit": ({"order_finding_circuit": finder(exponent=lambda j, t: 1)},
                                      "the same multiplier a on every counting qubit"),
        "counting-qubits-reversed": ({"order_finding_circuit": finder(exponent=lambda j, t: 2 ** (t - 1 - j))},
                                     "counting qubits in reverse order"),
        "forward-qft": ({"order_finding_circuit": finder(iqft="forward")}, "forward QFT instead of the inverse"),
        "x-on-the-wrong-work-qubit": ({"order_finding_circuit": finder(one_on=3)}, "wrong work qubit"),
        "repeated-multiplications": ({"order_finding_circuit": finder(repeat=True)},
                                     "instead of repeating the multiplication"),
        "with-measurements": ({"order_finding_circuit": measured}, "measurements"),
    },
    "q5-factor-test": {
        "q-as-float": ({"shor_factor": factoring(true_division=True)}, "integer division N // p"),
        "minus-one-not-checked": ({"shor_factor": factoring(check_minus_one=False)}, "a^(r/2) = -1 mod N"),
        "own-orders-not-the-oracle": ({"shor_factor": factoring(own_orders=True)}, "did not come from the oracle"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES


def test_the_run_after_exercise_4_uses_the_learners_circuit():
    """The full run after Exercise 4 must not hand the exercise over: it builds no circuit of its
    own (no c_mult_mod_gate, no QFTGate, no hard-coded work-register size), it calls the learner's
    order_finding_circuit, on another base than the visible test's a = 7, and it sits after the test."""
    import nbformat

    for folder in ("source", "release"):
        cells = nbformat.read(ROOT / folder / AID / f"{AID}.ipynb", as_version=4).cells
        ids = [c.get("id") for c in cells]
        run = cells[ids.index("s4-run")].source
        assert ids.index("s4-run") > ids.index("q4-circuit-test"), folder
        assert "order_finding_circuit(a_run, N_run, t_run)" in run, folder
        for handed_over in ("c_mult_mod_gate(", "QFTGate(", "t_run + 4", ".h(", ".x("):
            assert handed_over not in run, (folder, handed_over)
        assert "a_run, N_run = 4, 13, 15" in run, folder


def test_the_outcome_figure_tells_its_three_kinds_apart():
    """The s4 figure: the three kinds of outcome have distinct Okabe-Ito colours (not vermilion
    next to orange), the text names the colours drawn, and a zoomed panel shows the small tails."""
    import matplotlib.pyplot as plt
    import nbformat
    from notebook_harness import _as_in_jupyter, solved_notebook

    cells = nbformat.read(TestAnswers.notebook, as_version=4).cells
    source = {c.get("id"): c.source for c in cells}
    namespace = dict(solved_notebook(TestAnswers.notebook).namespace)
    with _as_in_jupyter(TestAnswers.notebook.parent):
        exec(compile(source["s4-figure"], "s4-figure", "exec"), namespace)
        colours = namespace["COLOURS"]
        assert colours == {"r": "#0072B2", "divisor": "#009E73", "wrong": "#D55E00"}, colours
        tops = sorted(ax.get_ylim()[1] for ax in plt.gcf().axes if ax.patches)
        assert len(tops) == 2 and tops[0] <= 0.01 < tops[1], tops      # the full bars, and a zoom on the tails
    plt.close("all")
    notice = source["s4-notice"]
    assert "(blue)" in notice and "bluish green" in notice and "vermilion tails" in notice
    assert "orange" not in notice
