import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit.library import HGate
from qiskit.primitives import StatevectorSampler
from qiskit.quantum_info import Operator, Statevector

from graders import checks
from graders.checks.quantum import l1_bound

H = "hint text"
S = 2 ** -0.5


def bell(reversed_=False, extra=False):
    qc = QuantumCircuit(2)
    a, b = (1, 0) if reversed_ else (0, 1)
    qc.h(a)
    qc.cx(a, b)
    if extra:
        qc.z(0)
    return qc


# --- statevectors ------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [
    [S, S], np.array([S, S], dtype=complex), Statevector([S, S]),
    [S * 1j, S * 1j],  # a global phase
    QuantumCircuit(1).compose(HGate(), [0]),
])
def test_statevector_accepts_the_plus_state_in_any_form(answer):
    checks.statevector(answer, [S, S], hint=H)


def test_statevector_from_two_different_circuits():
    a = QuantumCircuit(1)
    a.h(0)
    b = QuantumCircuit(1)
    b.ry(np.pi / 2, 0)
    b.rz(0.3, 0)  # a Z rotation on |+>? no: changes the relative phase
    checks.statevector(a, Statevector.from_label("+"), hint=H)
    with pytest.raises(AssertionError):
        checks.statevector(b, Statevector.from_label("+"), hint=H)
    c = QuantumCircuit(1)
    c.ry(np.pi / 2, 0)
    c.global_phase = 0.7
    checks.statevector(c, Statevector.from_label("+"), hint=H)


@pytest.mark.parametrize("answer,match", [
    ([S, -S], "different state"),
    ([1, 1], "not normalised"),
    ([S, S, 0, 0], "4 amplitudes"),
    ("plus", "a str"),
])
def test_statevector_near_misses(answer, match):
    with pytest.raises(AssertionError, match=match):
        checks.statevector(answer, [S, S], hint=H)


def test_statevector_strict_phase():
    checks.statevector([S, S], [S, S], up_to_phase=False, hint=H)
    with pytest.raises(AssertionError, match="global phase"):
        checks.statevector([-S, -S], [S, S], up_to_phase=False, hint=H)


def test_statevector_names_reversed_qubit_order():
    target = Statevector.from_label("01")  # qubit 0 is |1>
    with pytest.raises(AssertionError, match="qubit order reversed"):
        checks.statevector(Statevector.from_label("10"), target, hint=H)


def test_statevector_refuses_measured_circuits():
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    with pytest.raises(AssertionError, match="measurements"):
        checks.statevector(qc, [S, S], hint=H)


# --- operators ---------------------------------------------------------------------------

def hadamard_decompositions():
    a = QuantumCircuit(1)
    a.h(0)
    b = QuantumCircuit(1)
    b.rz(np.pi / 2, 0)
    b.sx(0)
    b.rz(np.pi / 2, 0)  # H up to a global phase
    c = QuantumCircuit(1)
    c.u(np.pi / 2, 0, np.pi, 0)  # exactly H
    return a, b, c


def test_operator_accepts_other_decompositions():
    ref = QuantumCircuit(1)
    ref.h(0)
    for answer in (*hadamard_decompositions(), HGate(), Operator(ref), Operator(ref).data):
        checks.operator(answer, ref, hint=H)


def test_operator_strict_phase_uses_the_phase():
    a, b, c = hadamard_decompositions()
    checks.operator(c, a, up_to_phase=False, hint=H)
    with pytest.raises(AssertionError, match="different global phase"):
        checks.operator(b, a, up_to_phase=False, hint=H)


def test_operator_near_misses():
    with pytest.raises(AssertionError, match="different operation"):
        checks.operator(bell(extra=True), bell(), hint=H)
    with pytest.raises(AssertionError, match="qubit order reversed"):
        checks.operator(bell(reversed_=True), bell(), hint=H)
    with pytest.raises(AssertionError, match="not unitary"):
        checks.operator(np.array([[1, 1], [0, 1]]), np.eye(2), hint=H)
    with pytest.raises(AssertionError, match="shape"):
        checks.operator(np.eye(2), np.eye(4), hint=H)
    unbound = QuantumCircuit(1)
    from qiskit.circuit import Parameter
    unbound.rx(Parameter("t"), 0)
    with pytest.raises(AssertionError, match="unassigned parameters"):
        checks.operator(unbound, np.eye(2), hint=H)


# --- counts ------------------------------------------------------------------------------

BELL = {"00": 0.5, "11": 0.5}


def test_counts_from_a_seeded_sampler_pass():
    qc = bell()
    qc.measure_all()
    for seed in range(20):
        result = StatevectorSampler(seed=seed).run([qc], shots=1000).result()
        checks.counts(result[0].data.meas.get_counts(), BELL, shots=1000, hint=H)
    checks.counts({"00": 480, "11": 520}, Statevector(bell()), hint=H)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1),
       st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=1, max_size=8),
       st.integers(min_value=200, max_value=20000))
def test_honest_counts_never_fail(seed, weights, shots):
    probs = np.array(weights) / sum(weights)
    keys = [format(i, "03b") for i in range(len(probs))]
    draws = np.random.default_rng(seed).multinomial(shots, probs)
    checks.counts({k: int(n) for k, n in zip(keys, draws) if n}, dict(zip(keys, probs)), hint=H)


@pytest.mark.parametrize("answer,match", [
    ({"00": 2400, "11": 1600}, "L1 distance"),     # a 60/40 split at 4000 shots
    ({"00": 500, "01": 1, "11": 499}, "never produces"),
    ({"00": 1000}, "L1 distance"),
    ({"0": 500, "1": 500}, "length"),
    ({"00": 5, "11": 5}, "too few"),
    ({"00": 500.5, "11": 499.5}, "whole number"),
    ({"ab": 500}, "bitstring"),
    ([500, 500], "a list"),
])
def test_counts_near_misses(answer, match):
    with pytest.raises(AssertionError, match=match):
        checks.counts(answer, BELL, hint=H)


def test_counts_checks_the_shot_total():
    with pytest.raises(AssertionError, match="2000 shots"):
        checks.counts({"00": 500, "11": 500}, BELL, shots=2000, hint=H)


def test_l1_bound_shrinks_with_shots():
    assert l1_bound(4000, 2, 1e-9) < l1_bound(1000, 2, 1e-9) < 0.3


# --- resources ---------------------------------------------------------------------------

def test_resources_within_limits_ignore_barriers():
    qc = bell()
    qc.barrier()
    qc.measure_all()
    checks.resources(qc, max_qubits=2, max_multi_qubit=1, max_depth=3, max_ops={"cx": 1},
                     allowed_ops=["h", "cx"], hint=H)


@pytest.mark.parametrize("limits,match", [
    ({"max_multi_qubit": 0}, "two-or-more-qubit"),
    ({"max_depth": 1}, "depth"),
    ({"max_size": 1}, "gates in all"),
    ({"max_qubits": 1}, "qubits"),
    ({"max_ops": {"cx": 0}}, "'cx'"),
    ({"allowed_ops": ["h"]}, "also uses"),
])
def test_resources_near_misses(limits, match):
    with pytest.raises(AssertionError, match=match):
        checks.resources(bell(), hint=H, **limits)


def test_resources_needs_a_circuit():
    with pytest.raises(AssertionError, match="QuantumCircuit"):
        checks.resources(np.eye(4), max_depth=3, hint=H)


def corrected(body):
    """Bell pair, measure qubit 0, then ``body(qc)`` inside an if_test on that bit."""
    qc = QuantumCircuit(3, 1)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        body(qc)
    return qc


def test_resources_count_single_qubit_corrections_inside_control_flow_as_such():
    qc = corrected(lambda c: (c.x(1), c.z(2)))   # one block touching two qubits, 1-qubit gates
    checks.resources(qc, max_multi_qubit=1, max_ops={"x": 1, "z": 1},
                     allowed_ops=["h", "cx", "x", "z", "if_else"], hint=H)


@pytest.mark.parametrize("body,limits,match", [
    (lambda c: c.swap(1, 2), {"allowed_ops": ["h", "cx", "if_else"]}, "also uses \\['swap'\\]"),
    (lambda c: c.cx(1, 2), {"max_multi_qubit": 1}, "at most 1 two-or-more-qubit"),
    (lambda c: (c.x(1), c.x(1)), {"max_ops": {"x": 1}}, "at most 1 'x'"),
])
def test_resources_see_inside_control_flow(body, limits, match):
    with pytest.raises(AssertionError, match=match):
        checks.resources(corrected(body), hint=H, **limits)
