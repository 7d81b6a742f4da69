"""q08-variational: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import math

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp, Statevector
from scipy.optimize import minimize, minimize_scalar

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "q08-variational"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


# ---------------------------------------------------------------- q1: z_expectation

def z_bits(counts, label):
    """Bit arithmetic on the integer value of each key (another spelling)."""
    n = len(label)
    mask = sum(1 << q for q in range(n) if label[n - 1 - q] == "Z")
    shots = sum(counts.values())
    return sum(c * (1 - 2 * (bin(int(k, 2) & mask).count("1") % 2)) for k, c in counts.items()) / shots


def z_numpy(counts, label):
    keys = list(counts)
    p = np.array([counts[k] for k in keys], dtype=float)
    p /= p.sum()
    signs = np.array([np.prod([-1 if (b == "1" and z == "Z") else 1 for b, z in zip(k, label)]) for k in keys])
    return np.float64(p @ signs)


def z_variant(reverse_label=False, normalise=True, sign=1, ignore_label=False):
    def z_expectation(counts, label):
        lab = label[::-1] if reverse_label else label
        shots = sum(counts.values()) if normalise else 1
        total = 0.0
        for key, n in counts.items():
            ones = key.count("1") if ignore_label else sum(1 for b, z in zip(key, lab) if z == "Z" and b == "1")
            total += n * (-1) ** ones
        return sign * total / shots
    return z_expectation


# ---------------------------------------------------------------- q2: energy

def bound(circuit, values):
    return circuit if values is None else circuit.assign_parameters(values)


def energy_statevector(circuit, hamiltonian, parameter_values=None):
    return float(Statevector(bound(circuit, parameter_values)).expectation_value(hamiltonian).real)


def energy_by_terms(circuit, hamiltonian, parameter_values=None):
    """One Estimator pub per Pauli term, summed with the coefficients (another route)."""
    est = StatevectorEstimator()
    total = 0.0
    for pauli, coeff in zip(hamiltonian.paulis, hamiltonian.coeffs):
        obs = SparsePauliOp(pauli)
        pub = (circuit, obs) if parameter_values is None else (circuit, obs, parameter_values)
        total += coeff.real * float(est.run([pub]).result()[0].data.evs)
    return total


def energy_variant(drop_identity=False, reverse=False, unweighted=False, first_only=False):
    def energy(circuit, hamiltonian, parameter_values=None):
        qc = bound(circuit, parameter_values)
        if reverse:
            qc = qc.reverse_bits()
        state = Statevector(qc)
        terms = list(zip(hamiltonian.paulis, hamiltonian.coeffs))
        if first_only:
            terms = terms[:1]
        total = 0.0
        for pauli, coeff in terms:
            if drop_identity and not (pauli.x.any() or pauli.z.any()):
                continue
            total += (1.0 if unweighted else coeff.real) * state.expectation_value(pauli).real
        return total
    return energy


# ---------------------------------------------------------------- q3: vqe

def sv_energy(qc, ham):
    return float(Statevector(qc).expectation_value(ham).real)


def vqe_one_angle(hamiltonian):
    """Chemistry-motivated: cos t |01> + sin t |10>, one CX, one angle (another ansatz)."""
    def circuit(t):
        qc = QuantumCircuit(2)
        qc.ry(t, 1)
        qc.cx(1, 0)
        qc.x(0)
        return qc
    best = minimize_scalar(lambda t: sv_energy(circuit(t), hamiltonian), bounds=(-np.pi, np.pi), method="bounded",
                           options={"xatol": 1e-6})
    return circuit(best.x)


def ry_rz_layers(x, cx_count=1):
    qc = QuantumCircuit(2)
    k = 0
    for layer in range(cx_count + 1):
        for q in (0, 1):
            qc.ry(x[k], q)
            qc.rz(x[k + 1], q)
            k += 2
        if layer < cx_count:
            qc.cx(0, 1)
    return qc


def vqe_layers(cx_count=1, maxiter=300, starts=2, with_cx=True):
    def vqe(hamiltonian):
        size = 4 * (cx_count + 1)
        rng = np.random.default_rng(5)
        build = (lambda x: ry_rz_layers(x, cx_count)) if with_cx else (lambda x: _no_cx(x, cx_count))
        best = None
        for _ in range(starts):
            r = minimize(lambda x: sv_energy(build(x), hamiltonian), rng.uniform(-0.5, 0.5, size), method="COBYLA",
                         options={"maxiter": maxiter})
            best = r if best is None or r.fun < best.fun else best
        return build(best.x)
    return vqe


def _no_cx(x, cx_count):
    qc = QuantumCircuit(2)
    for k in range(0, len(x), 2):
        q = (k // 2) % 2
        qc.ry(x[k], q)
        qc.rz(x[k + 1], q)
    return qc


def vqe_unbound(hamiltonian):
    th = [Parameter(f"t{k}") for k in range(4)]
    qc = QuantumCircuit(2)
    qc.ry(th[0], 0)
    qc.ry(th[1], 1)
    qc.cx(0, 1)
    qc.ry(th[2], 0)
    qc.ry(th[3], 1)
    return qc


def vqe_initialize(hamiltonian):
    vals, vecs = np.linalg.eigh(hamiltonian.to_matrix())
    qc = QuantumCircuit(2)
    qc.initialize(vecs[:, 0], [0, 1])
    return qc


H2 = SparsePauliOp.from_list([("II", -1.052373245772859), ("IZ", 0.39793742484318045),
                              ("ZI", -0.39793742484318045), ("ZZ", -0.01128010425623538),
                              ("XX", 0.18093119978423156)])


def vqe_always_h2(hamiltonian):
    return vqe_one_angle(H2)


# ---------------------------------------------------------------- q4: qaoa_circuit

def qaoa_variant(cost="rzz", gamma_sign=1, beta_factor=2, weighted=True, mixer_first=False, hadamards=True,
                 phase=0.0, reverse_edges=False):
    def qaoa_circuit(edges, n_nodes, gamma, beta):
        qc = QuantumCircuit(n_nodes)
        if hadamards:
            qc.h(range(n_nodes))

        def mixer():
            for q in range(n_nodes):
                qc.rx(beta_factor * beta, q)

        if mixer_first:
            mixer()
        for i, j, w in (reversed(edges) if reverse_edges else edges):
            angle = -gamma_sign * gamma * (w if weighted else 1)
            if cost == "rzz":
                qc.rzz(angle, i, j)
            else:
                qc.cx(i, j)
                qc.rz(angle, j)
                qc.cx(i, j)
        if not mixer_first:
            mixer()
        qc.global_phase += phase
        return qc
    return qaoa_circuit


def qaoa_conjugate(edges, n_nodes, gamma, beta):
    return qaoa_variant(gamma_sign=-1)(edges, n_nodes, gamma, -beta)


# ---------------------------------------------------------------- q5: qaoa_maxcut

def _cut_table(edges, n):
    z = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    return z, np.array([sum(w for i, j, w in edges if row[i] != row[j]) for row in z], dtype=float)


def _p1_probabilities(edges, n, gamma, beta):
    _, cut = _cut_table(edges, n)
    psi = Statevector(qaoa_variant()(edges, n, gamma, beta)).data
    return np.abs(psi) ** 2, cut


def numpy_search(edges, n):
    """A fine grid scored with Statevector, then the best cut among likely outcomes (another method)."""
    mean_w = sum(w for _, _, w in edges) / len(edges)
    best = None
    for gamma in np.linspace(0.05, 1.6, 24) / mean_w:
        for beta in np.linspace(0.05, 0.75, 12):
            p, cut = _p1_probabilities(edges, n, gamma, beta)
            value = p @ cut
            if best is None or value > best[0]:
                best = (value, gamma, beta)
    _, gamma, beta = best
    z, cut = _cut_table(edges, n)
    p, _ = _p1_probabilities(edges, n, gamma, beta)
    likely = np.flatnonzero(p > 0.005)
    k = likely[np.argmax(cut[likely])]
    return {"gamma": float(gamma), "beta": float(beta), "cut": [int(b) for b in z[k]]}


def then(answer, convert):
    def converted(*args, **kwargs):
        return convert(answer(*args, **kwargs), *args)
    return converted


def mirrored(ans, edges, n):
    return {"gamma": -ans["gamma"], "beta": -ans["beta"], "cut": [1 - c for c in ans["cut"]]}


def beta_plus_half_pi(ans, edges, n):
    return {**ans, "beta": ans["beta"] + np.pi / 2, "cut": tuple(ans["cut"])}


def brute_cut(edges, n):
    z, cut = _cut_table(edges, n)
    return [int(b) for b in z[int(np.argmax(cut))]]


def short_of_the_maximum(ans, edges, n):
    """The best cut that is below 95% of the brute-force maximum (and is so read either way round):
    a cut that can be the best among a learner's samples but fails rule 2."""
    z, cut = _cut_table(edges, n)
    bar = 0.95 * cut.max()
    value = {tuple(row): c for row, c in zip(z.tolist(), cut)}
    short = [row for row in value if value[row] < bar and value[row[::-1]] < bar and len(set(row)) == 2]
    return {**ans, "cut": list(max(short, key=value.get))}


CORRECT = {
    "q1-parity-test": {
        "bit-mask-arithmetic": {"z_expectation": z_bits},
        "numpy-float64": {"z_expectation": z_numpy},
    },
    "q2-energy-test": {
        "statevector-expectation": {"energy": energy_statevector},
        "estimator-term-by-term": {"energy": energy_by_terms},
    },
    "q3-vqe-test": {
        "one-angle-chemistry-ansatz": {"vqe": vqe_one_angle},
        "ry-rz-layers-cobyla-restarts": {"vqe": vqe_layers(cx_count=1)},
        "two-cx-layers": {"vqe": vqe_layers(cx_count=2, starts=2)},
    },
    "q4-qaoa-circuit-test": {
        "cx-rz-cx": {"qaoa_circuit": qaoa_variant(cost="cx")},
        "other-global-phase-edge-order": {"qaoa_circuit": qaoa_variant(phase=0.9, reverse_edges=True)},
    },
    "q5-qaoa-maxcut-test": {
        "statevector-fine-grid": {"qaoa_maxcut": numpy_search},
        "mirrored-angles-complement-cut": {"qaoa_maxcut": then(numpy_search, mirrored)},
        "beta-plus-half-pi-tuple-cut": {"qaoa_maxcut": then(numpy_search, beta_plus_half_pi)},
    },
}

NEAR_MISSES = {
    # label read qubit 0 leftmost, counts not divided by shots, sign flipped, label ignored
    "q1-parity-test": {
        "label-reversed": {"z_expectation": z_variant(reverse_label=True)},
        "not-normalised": {"z_expectation": z_variant(normalise=False)},
        "sign-flipped": {"z_expectation": z_variant(sign=-1)},
        "all-bits-counted": {"z_expectation": z_variant(ignore_label=True)},
    },
    # identity (constant) term dropped, qubit order reversed, coefficients ignored, one term only,
    # the 0-d evs array returned instead of a float
    "q2-energy-test": {
        "identity-term-dropped": {"energy": energy_variant(drop_identity=True)},
        "qubits-reversed": {"energy": energy_variant(reverse=True)},
        "coefficients-ignored": {"energy": energy_variant(unweighted=True)},
        "first-term-only": {"energy": energy_variant(first_only=True)},
    },
    # no entangling gate (Hartree-Fock at best), three CX, parameters left unbound, exact
    # eigenvector loaded with initialize, optimiser stopped early, always optimises H2
    "q3-vqe-test": {
        "product-ansatz": {"vqe": vqe_layers(cx_count=1, with_cx=False)},
        "three-cx": {"vqe": vqe_layers(cx_count=3, starts=1)},
        "parameters-unbound": {"vqe": vqe_unbound},
        "initialize-eigenvector": {"vqe": vqe_initialize},
        "stopped-after-10-steps": {"vqe": vqe_layers(cx_count=1, maxiter=10, starts=1)},
        "ignores-its-hamiltonian": {"vqe": vqe_always_h2},
    },
    # rx(beta) instead of rx(2 beta), weights forgotten, gamma sign, mixer first, no h layer,
    # both signs flipped (the complex-conjugate state)
    "q4-qaoa-circuit-test": {
        "rx-beta-not-2beta": {"qaoa_circuit": qaoa_variant(beta_factor=1)},
        "weights-forgotten": {"qaoa_circuit": qaoa_variant(weighted=False)},
        "gamma-sign-flipped": {"qaoa_circuit": qaoa_variant(gamma_sign=-1)},
        "mixer-before-cost": {"qaoa_circuit": qaoa_variant(mixer_first=True)},
        "no-hadamards": {"qaoa_circuit": qaoa_variant(hadamards=False)},
        "conjugate-state": {"qaoa_circuit": qaoa_conjugate},
    },
    # angles from the rx(beta) convention (beta doubled), gamma and beta swapped, bitstring read
    # node 0 leftmost, all nodes on one side, brute-force cut with coin-flip angles, a node missing
    "q5-qaoa-maxcut-test": {
        "beta-doubled": {"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "beta": 2 * a["beta"]})},
        "gamma-beta-swapped": {"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "gamma": a["beta"], "beta": a["gamma"]})},
        "bitstring-reversed": {"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "cut": a["cut"][::-1]})},
        "everything-one-side": {"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "cut": [0] * n})},
        "brute-force-with-zero-angles": {"qaoa_maxcut": lambda e, n: {"gamma": 0.0, "beta": 0.0, "cut": brute_cut(e, n)}},
        "one-node-missing": {"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "cut": a["cut"][:-1]})},
        "cut-below-95-percent-of-the-maximum": {"qaoa_maxcut": then(numpy_search, short_of_the_maximum)},
    },
}


def energy_in_order_of_use(circuit, hamiltonian, parameter_values=None):
    """Binds the values to the parameters in the order the gates use them, not circuit.parameters'."""
    if parameter_values is None:
        return energy_statevector(circuit, hamiltonian)
    used = []
    for inst in circuit.data:
        for p in inst.operation.params:
            for q in getattr(p, "parameters", ()):
                if q not in used:
                    used.append(q)
    return energy_statevector(circuit.assign_parameters(dict(zip(used, parameter_values))), hamiltonian)


NAMED_MISTAKES = {
    "q1-parity-test": {
        "label-reversed": ({"z_expectation": z_variant(reverse_label=True)}, "label and key read in opposite orders"),
        "not-normalised": ({"z_expectation": z_variant(normalise=False)}, "not divided by the total number of shots"),
        "sign-flipped": ({"z_expectation": z_variant(sign=-1)}, "the sign reversed"),
        "all-bits-counted": ({"z_expectation": z_variant(ignore_label=True)}, "the label ignored"),
    },
    "q2-energy-test": {
        "qubits-reversed": ({"energy": energy_variant(reverse=True)}, "the qubit order reversed"),
        "identity-term-dropped": ({"energy": energy_variant(drop_identity=True)}, "the identity term II left out"),
        "values-in-order-of-use": ({"energy": energy_in_order_of_use}, "circuit.parameters is sorted by name"),
    },
    "q3-vqe-test": {
        "product-ansatz": ({"vqe": vqe_layers(cx_count=1, with_cx=False)}, "stuck at the Hartree-Fock energy"),
        "parameters-unbound": ({"vqe": vqe_unbound}, "unassigned parameters"),
        "initialize-eigenvector": ({"vqe": vqe_initialize}, "initialize"),
        "three-cx": ({"vqe": vqe_layers(cx_count=3, starts=1)}, "at most 2 two-or-more-qubit gates"),
    },
    "q4-qaoa-circuit-test": {
        "rx-beta-not-2beta": ({"qaoa_circuit": qaoa_variant(beta_factor=1)}, "rx(beta) instead of rx(2 beta)"),
        "weights-forgotten": ({"qaoa_circuit": qaoa_variant(weighted=False)}, "the weights forgotten"),
        "gamma-sign-flipped": ({"qaoa_circuit": qaoa_variant(gamma_sign=-1)}, "the sign of the rzz angle flipped"),
        "mixer-before-cost": ({"qaoa_circuit": qaoa_variant(mixer_first=True)}, "the mixer before the cost layer"),
        "conjugate-state": ({"qaoa_circuit": qaoa_conjugate}, "the signs of both angles flipped"),
    },
    "q5-qaoa-maxcut-test": {
        "beta-doubled": ({"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "beta": 2 * a["beta"]})},
                         "beta looks doubled"),
        "gamma-beta-swapped": ({"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "gamma": a["beta"],
                                                                                    "beta": a["gamma"]})},
                               "gamma and beta look swapped"),
        "bitstring-reversed": ({"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "cut": a["cut"][::-1]})},
                               "node 0 is the rightmost bit"),
        "everything-one-side": ({"qaoa_maxcut": then(numpy_search, lambda a, e, n: {**a, "cut": [0] * n})},
                                "each side of the cut must hold at least one node"),
        "brute-force-with-zero-angles": ({"qaoa_maxcut": lambda e, n: {"gamma": 0.0, "beta": 0.0, "cut": brute_cut(e, n)}},
                                         "recovers less than 75%"),
        # rule 2 is measured against the brute-force maximum, not the best cut among the samples
        "cut-below-95-percent-of-the-maximum": ({"qaoa_maxcut": then(numpy_search, short_of_the_maximum)},
                                                "the best of all 2^n cuts, found by brute force"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES


# ---------------------------------------------------------------- the text and the figures

def _cells(folder="release"):
    import nbformat
    return {c.get("id"): c for c in nbformat.read(ROOT / folder / AID / f"{AID}.ipynb", as_version=4).cells}


def _run_cell(cell_id):
    """Run one non-graded cell of the solved source on its namespace; returns (namespace, figure)."""
    import matplotlib.pyplot as plt
    from notebook_harness import _as_in_jupyter, solved_notebook

    namespace = dict(solved_notebook(TestAnswers.notebook).namespace)
    with _as_in_jupyter(TestAnswers.notebook.parent):
        exec(compile(_cells("source")[cell_id].source, cell_id, "exec"), namespace)
        fig = plt.gcf()
        fig.canvas.draw()
        yield namespace, fig


def test_the_counts_example_shows_shot_noise():
    """Section 1's worked example samples a state that is not a ZZ eigenstate, so its estimate
    differs from the exact value, by about the shot noise the text states (~1/sqrt(shots))."""
    for namespace, _ in _run_cell("s1-example"):
        zz, exact = namespace["zz"], namespace["exact"]
        assert abs(exact) < 0.9, exact                                   # not an eigenstate (was -1.0)
        assert 0 < abs(zz - exact) < 3 / math.sqrt(2000), (zz, exact)
        assert np.std(namespace["repeats"]) > 0.005, namespace["repeats"]
    text = _cells()["s1-intro"].source
    assert "1/\\sqrt{N}" in text and "0.022" in text


def test_the_prerequisite_for_qubit_order_is_q02_gates_everywhere():
    import yaml

    cells = _cells()
    manifest = yaml.safe_load((ROOT / "assignments" / f"{AID}.yaml").read_text())
    assert manifest["prerequisites"] == ["q02-gates"]
    assert "| **Prerequisites** | q02-gates (" in cells["header"].source
    assert "little-endian, as in module q02-gates" in cells["s1-intro"].source
    assert "q01" not in cells["s1-intro"].source


def test_section_4_and_exercise_4_give_the_idea_not_the_code():
    """The gates' conventions are stated, but no cell a learner reads before or while solving (text,
    visible test hints, mistake texts) spells out the cost or mixer gate calls of the answer."""
    cells = _cells()
    for cell_id in ("s4-intro", "q4-intro", "q4-qaoa-circuit-test", "closing", "q5-intro"):
        text = cells[cell_id].source.replace(" ", "")
        for handed_over in ("rzz(-gamma", "rzz(-γ", "rx(2*beta", "rx(2β", "rx(2*b", "rz(-gamma"):
            assert handed_over not in text, (cell_id, handed_over)
    assert "R_{ZZ}(\\theta) = e^{-i\\theta" in cells["s4-intro"].source
    assert "R_X(\\theta) = e^{-i\\theta X/2}" in cells["s4-intro"].source


def test_exercise_5_states_one_gamma_range_and_the_brute_force_maximum():
    cells = _cells()
    intro, test = cells["q5-intro"].source, cells["q5-qaoa-maxcut-test"].source
    assert "0 < \\gamma \\le 2/\\bar w" in intro and "[0.1, 1.5]" not in intro
    assert "trying all $2^n$ cuts" in intro and "in practice: the best cut among your samples" not in intro
    assert "0.05/w" not in test and test.count("0 < gamma <= 2 / mean edge weight") == 2
    assert "2/\\bar w" in cells["s5-intro"].source and "few hundred" not in cells["s5-notice"].source
    assert "\\bar w = 38/10 = 3.8" in cells["s5-notice"].source


def _inside(bbox, ax, xs, ys):
    points = ax.transData.transform(np.column_stack([xs, ys]))
    return [k for k, (x, y) in enumerate(points) if bbox.contains(x, y)]


def test_the_vqe_figure_shows_the_accuracy_band_and_its_legends_hide_no_point():
    for namespace, fig in _run_cell("s3-figure"):
        history, exact = np.array(namespace["history"]), namespace["toy_exact"]
        energy_ax, error_ax = fig.axes
        assert error_ax.get_yscale() == "log"
        low, high = error_ax.get_ylim()
        assert low < 0.0016 / 100 and high > 0.0016 * 100                # the band fills a visible part
        errors = np.maximum(history - exact, 1e-12)
        for ax, ys in ((energy_ax, history), (error_ax, errors)):
            box = ax.get_legend().get_window_extent()
            assert _inside(box, ax, np.arange(1, len(history) + 1), ys) == [], ax.get_title()


def test_the_landscape_colour_bar_says_expected_cut_in_mathtext():
    for _, fig in _run_cell("s5-figure"):
        labels = [ax.get_ylabel() for ax in fig.axes]
        assert any("expected cut $\\langle C\\rangle$" in label for label in labels), labels
