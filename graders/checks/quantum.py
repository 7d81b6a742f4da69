"""Quantum checks: states, operators, measurement counts and circuit resources.

Circuits are observed as QPY in base64 and rebuilt by the judge, so the judge computes the
state, operator or resource counts itself instead of trusting objects from the student's
kernel. Arrays travel as lists of ``[re, im]`` pairs.

Qiskit orders qubits little-endian: qubit 0 is the rightmost bit of a bitstring and the
fastest-changing index of a statevector. When an answer is wrong but would be right with its
qubits reversed, the message says so.
"""
from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from ..language import t
from .verdict import Check, Verdict, bad

DEFAULT_ATOL = 1e-6
# A circuit observed for a state or an operator is simulated by the judge: first its width
# must be the reference's and its length at most this many top-level instructions, so that
# what a submission can make the judge compute is bounded by the task, not by the student.
MAX_INSTRUCTIONS = 20_000


# --- observing ---------------------------------------------------------------------------

def _circuit_qpy(circuit: Any) -> dict:
    from qiskit import qpy

    if circuit.parameters:
        return {"bad": t("a circuit with unassigned parameters {names}",
                         names=str(sorted(p.name for p in circuit.parameters)))}
    buf = io.BytesIO()
    qpy.dump(circuit, buf)
    return {"qpy": base64.b64encode(buf.getvalue()).decode("ascii")}


def _load_circuit(observed: dict):
    from qiskit import qpy

    return qpy.load(io.BytesIO(base64.b64decode(observed["qpy"])))[0]


def _unitary_circuit(observed: dict):
    """The observed circuit, or a description of why it has no state or operator."""
    circuit = _load_circuit(observed)
    if circuit.num_clbits or any(i.operation.name in ("measure", "reset") for i in circuit.data):
        return t("a circuit with measurements or resets (remove them: a state or an operator has neither)")
    return circuit


def _pairs(arr: np.ndarray) -> list:
    flat = np.asarray(arr, dtype=complex).ravel()
    return np.stack([flat.real, flat.imag], axis=1).tolist()   # vectorised: 256×256 in ms


def _array(pairs: list, shape: list) -> np.ndarray:
    both = np.asarray(pairs, dtype=float).reshape(-1, 2)
    return (both[:, 0] + 1j * both[:, 1]).reshape(shape)


def observe_quantum(x: Any) -> dict:
    """A QuantumCircuit as QPY; a Statevector, Operator, Gate or array as complex pairs."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Instruction

    try:
        if isinstance(x, QuantumCircuit):
            return _circuit_qpy(x)
        if isinstance(x, Instruction) and not isinstance(x, QuantumCircuit):
            qc = QuantumCircuit(x.num_qubits)
            qc.append(x, range(x.num_qubits))
            return _circuit_qpy(qc)
        data = getattr(x, "data", x)  # Statevector / Operator keep their array in .data
        arr = np.asarray(data, dtype=complex)
    except Exception:
        return bad(x)
    if arr.ndim not in (1, 2) or arr.size == 0 or not np.all(np.isfinite(arr)):
        return bad(x)
    return {"shape": list(arr.shape), "pairs": _pairs(arr)}


def _qubits(dim: int) -> int | None:
    n = int(round(math.log2(dim))) if dim > 0 else -1
    return n if n >= 0 and 2 ** n == dim else None


def _reverse_qubits(arr: np.ndarray) -> np.ndarray:
    """The same state or operator with the qubit order reversed."""
    n = _qubits(arr.shape[0])
    perm = [int(format(i, f"0{n}b")[::-1], 2) for i in range(2 ** n)] if n else [0]
    return arr[perm] if arr.ndim == 1 else arr[np.ix_(perm, perm)]


# --- statevectors ------------------------------------------------------------------------

def _simulable(observed: dict, qubits: int | None):
    """The observed circuit if it has no measurements, ``qubits`` qubits (when given) and at
    most MAX_INSTRUCTIONS instructions; else a description of what is wrong with it."""
    circuit = _unitary_circuit(observed)
    if isinstance(circuit, str):
        return circuit
    if qubits is not None and circuit.num_qubits != qubits:
        return t("a circuit on {qubits} qubits where the task has {task}",
                 qubits=circuit.num_qubits, task=qubits)
    if len(circuit.data) > MAX_INSTRUCTIONS:
        return t("a circuit of {count} instructions, more than the {most} judged",
                 count=f"{len(circuit.data):,}", most=f"{MAX_INSTRUCTIONS:,}")
    return circuit


def _state(observed: dict, qubits: int | None = None) -> np.ndarray | str:
    if "bad" in observed:
        return observed["bad"]
    if "qpy" in observed:
        from qiskit.quantum_info import Statevector

        circuit = _simulable(observed, qubits)
        return circuit if isinstance(circuit, str) else Statevector(circuit).data
    arr = _array(observed["pairs"], observed["shape"])
    return arr if arr.ndim == 1 else t("a 2-D array of shape {shape}", shape=str(arr.shape))


def _overlap(a: np.ndarray, b: np.ndarray) -> complex:
    """<b|a> for states, tr(B†A)/d for operators: modulus 1 exactly when a = e^{iφ}·b."""
    if a.ndim == 1:
        return complex(np.vdot(b, a))
    return complex(np.vdot(b, a)) / a.shape[0]   # tr(B†A) without the d³ product


def _equivalent(a: np.ndarray, b: np.ndarray, atol: float, strict: bool) -> bool:
    """``atol`` bounds how far the overlap t is from 1: strictly |t - 1|, and up to a global
    phase the least of |e^{iφ}t - 1| over φ, which is 1 - |t|. With the right phase the two
    are the same number, so one atol means one thing in both."""
    t = _overlap(a, b)
    return abs(t - 1) <= atol if strict else 1 - abs(t) <= atol


def _equivalence(got: np.ndarray, want: np.ndarray, spec: dict, noun: str,
                 phase_why: Callable[[], str]) -> Verdict:
    """The verdict for two states or two operators of the same shape, naming the near misses
    a learner makes most: a wrong global phase and a reversed qubit order. ``noun`` is in the
    current language; ``phase_why`` gives the reason the phase matters, in it too."""
    strict, atol = not spec["up_to_phase"], spec["atol"]
    if _equivalent(got, want, atol, strict):
        return Verdict.ok()
    expectation = (t("the correct {noun} including its global phase", noun=noun) if strict
                   else t("the correct {noun} (up to a global phase)", noun=noun))
    if strict and _equivalent(got, want, atol, False):
        return Verdict.fail(expectation, t("the right {noun} with a different global phase", noun=noun),
                            phase_why())
    n = _qubits(want.shape[0])
    if n and n > 1 and _equivalent(_reverse_qubits(got), want, atol, strict):
        return Verdict.fail(expectation, t("one that matches only with the qubit order reversed"),
                            t("Qiskit's qubit 0 is the rightmost bit"))
    return Verdict.fail(expectation, t("a different {noun}", noun=noun))


def judge_statevector(observed: dict, reference: dict, spec: dict) -> Verdict:
    """Math: with normalised |a> and |b>, the overlap t = <b|a> has modulus 1 exactly when
    |a> = e^{iφ}|b>. Up to global phase: pass when 1 - |t| <= atol (the closest t comes to 1
    over every global phase). Strictly: pass when |t - 1| <= atol."""
    want = _state(reference)
    if isinstance(want, str):
        raise ValueError(f"the reference is not a statevector: {want}")
    n = _qubits(len(want))
    kind = t("a normalised {qubits}-qubit statevector ({count} amplitudes)", qubits=n, count=len(want))
    got = _state(observed, n)
    if isinstance(got, str):
        return Verdict.fail(kind, got)
    if got.shape != want.shape:
        return Verdict.fail(kind, t("{count} amplitudes", count=len(got)))
    norm = float(np.vdot(got, got).real)
    if abs(norm - 1) > spec["atol"]:
        return Verdict.fail(kind, t("a vector whose squared amplitudes add up to {total}",
                                    total=f"{norm:.6g}"),
                            t("not normalised"))
    return _equivalence(got, want, spec, t("state"), lambda: t("this task needs the exact phase"))


STATEVECTOR = Check("statevector", observe_quantum, judge_statevector)


def statevector(actual: Any, expected: Any, *, hint: str, up_to_phase: bool = True,
                atol: float = DEFAULT_ATOL, what: str = "your state",
                mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when ``actual`` (Statevector, amplitudes, or a measurement-free circuit run from
    |0...0>) is the state ``expected``, up to a global phase unless ``up_to_phase=False``."""
    STATEVECTOR(actual, expected, {"up_to_phase": up_to_phase, "atol": atol}, what=what, hint=hint,
                mistakes=mistakes)


# --- operators ---------------------------------------------------------------------------

def _matrix(observed: dict, qubits: int | None = None) -> np.ndarray | str:
    if "bad" in observed:
        return observed["bad"]
    if "qpy" in observed:
        from qiskit.quantum_info import Operator

        circuit = _simulable(observed, qubits)
        return circuit if isinstance(circuit, str) else Operator(circuit).data
    arr = _array(observed["pairs"], observed["shape"])
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        return t("an array of shape {shape}, not a square matrix", shape=str(arr.shape))
    return arr


def judge_operator(observed: dict, reference: dict, spec: dict) -> Verdict:
    """Math: for d×d unitaries A and B, t = tr(B†A)/d has |t| = 1 exactly when A = e^{iφ}B,
    and then t = e^{iφ}. Up to global phase: pass when 1 - |t| <= atol (the closest t comes
    to 1 over every global phase). Strictly: pass when |t - 1| <= atol, which is the same as
    the controlled versions of A and B being equal up to global phase (the Quantum Katas' test)."""
    want = _matrix(reference)
    if isinstance(want, str):
        raise ValueError(f"the reference is not an operator: {want}")
    n = _qubits(want.shape[0])
    kind = t("a {qubits}-qubit operation ({size}×{size} unitary)", qubits=n, size=want.shape[0])
    got = _matrix(observed, n)
    if isinstance(got, str):
        return Verdict.fail(kind, got)
    if got.shape != want.shape:
        return Verdict.fail(kind, t("an operation of shape {shape}", shape=str(got.shape)))
    if not np.allclose(got.conj().T @ got, np.eye(got.shape[0]), atol=1e-6):
        return Verdict.fail(kind, t("a matrix that is not unitary"))
    return _equivalence(got, want, spec, t("operation"), lambda: t(
        "this task needs the exact phase, as it matters once an operation is controlled"))


OPERATOR = Check("operator", observe_quantum, judge_operator)


def operator(actual: Any, expected: Any, *, hint: str, up_to_phase: bool = True,
             atol: float = DEFAULT_ATOL, what: str = "your circuit",
             mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when ``actual`` (circuit, gate, Operator or matrix) implements ``expected``, up
    to a global phase unless ``up_to_phase=False``."""
    OPERATOR(actual, expected, {"up_to_phase": up_to_phase, "atol": atol}, what=what, hint=hint,
             mistakes=mistakes)


# --- counts ------------------------------------------------------------------------------

def observe_counts(x: Any) -> dict:
    """Counts as ``{bitstring: int}``; spaces between classical registers are dropped."""
    if not isinstance(x, Mapping) or not x:
        return bad(x)
    counts: dict[str, int] = {}
    for key, value in x.items():
        if not isinstance(key, str) or isinstance(value, bool):
            return bad(x)
        bits = key.replace(" ", "")
        if not bits or set(bits) - {"0", "1"}:
            return {"bad": t("a key {key} that is not a bitstring", key=repr(key))}
        try:
            n = int(value)
        except (TypeError, ValueError):
            return bad(x)
        if n != value or n < 0:
            return {"bad": t("a count {count} for {key} that is not a non-negative whole number",
                             count=repr(value), key=repr(key))}
        counts[bits] = counts.get(bits, 0) + n
    return {"counts": counts}


def observe_distribution(x: Any) -> dict:
    """The reference: ``{bitstring: probability}``, or a Statevector's outcome probabilities."""
    if hasattr(x, "probabilities_dict"):
        x = x.probabilities_dict()
    probs = {k.replace(" ", ""): float(v) for k, v in dict(x).items()}
    total = sum(probs.values())
    if total <= 0 or any(v < 0 for v in probs.values()):
        raise ValueError("the reference distribution needs non-negative probabilities")
    return {"probs": {k: v / total for k, v in probs.items() if v > 0}}


def l1_bound(shots: int, outcomes: int, alpha: float) -> float:
    """The L1 distance that honest counts exceed with probability at most ``alpha``.

    Bretagnolle–Huber–Carol inequality for the empirical distribution p̂ of n multinomial
    draws over k outcomes: P(||p̂ - p||₁ >= λ) <= 2^k · exp(-n λ² / 2). Solving for λ gives
    λ = sqrt(2 (k ln 2 + ln(1/α)) / n). It holds for every n, not just asymptotically.
    """
    return math.sqrt(2 * (outcomes * math.log(2) + math.log(1 / alpha)) / shots)


def judge_counts(observed: dict, reference: dict, spec: dict) -> Verdict:
    probs = reference["probs"]
    width = len(next(iter(probs)))
    kind = t("measurement counts over {width}-bit outcomes", width=width)
    if "bad" in observed:
        return Verdict.fail(kind, observed["bad"])
    counts = observed["counts"]
    widths = {len(k) for k in counts}
    if widths != {width}:
        return Verdict.fail(kind, t("bitstrings of length {lengths}", lengths=str(sorted(widths))))
    shots = sum(counts.values())
    if spec.get("shots") and shots != spec["shots"]:
        return Verdict.fail(t("{kind} from {shots} shots", kind=kind, shots=spec["shots"]),
                            t("{shots} shots in total", shots=shots))
    impossible = sorted(k for k, v in counts.items() if v and k not in probs)
    if impossible:
        return Verdict.fail(t("{kind} from the correct distribution", kind=kind),
                            t("outcome {outcome}, which the correct circuit never produces",
                              outcome=repr(impossible[0])))
    bound = l1_bound(shots, len(probs), spec["alpha"])
    if bound >= 2:
        return Verdict.fail(kind, t("only {shots} shots", shots=shots),
                            t("too few to tell distributions apart"))
    distance = sum(abs(counts.get(k, 0) / shots - p) for k, p in probs.items())
    if distance <= bound:
        return Verdict.ok()
    return Verdict.fail(t("{kind} consistent with the correct distribution", kind=kind),
                        t("frequencies at L1 distance {distance} from it, more than chance allows at "
                          "{shots} shots (at most {bound})",
                          distance=f"{distance:.3f}", shots=shots, bound=f"{bound:.3f}"))


COUNTS = Check("counts", observe_counts, judge_counts, observe_reference=observe_distribution)


def counts(actual: Any, expected: Any, *, hint: str, shots: int | None = None,
           alpha: float = 1e-9, what: str = "your counts",
           mistakes: Mapping[str, Any] | None = None) -> None:
    """Pass when counts ``actual`` are consistent with distribution ``expected`` (a dict of
    probabilities or a Statevector). An honest sampler fails with probability at most
    ``alpha`` whatever its seed (see :func:`l1_bound`); outcomes of probability zero fail."""
    COUNTS(actual, expected, {"shots": shots, "alpha": alpha}, what=what, hint=hint, mistakes=mistakes)


# --- resources ---------------------------------------------------------------------------

def _operations(circuit):
    """Every instruction except directives, including those inside control-flow blocks
    (an if_test's body is gates like any other)."""
    for inst in circuit.data:
        if getattr(inst.operation, "_directive", False):
            continue
        yield inst
        for block in getattr(inst.operation, "blocks", ()):
            yield from _operations(block)


def circuit_resources(circuit) -> dict:
    """Qubits, depth, size and gate counts, ignoring barriers and other directives. Gates
    inside control flow count as themselves; the control-flow op (if_else, ...) is counted by
    name but is not itself a multi-qubit gate."""
    ops = list(_operations(circuit))
    multi = [i for i in ops if len(i.qubits) >= 2 and i.operation.name != "measure"
             and not getattr(i.operation, "blocks", None)]
    names: dict[str, int] = {}
    for i in ops:
        names[i.operation.name] = names.get(i.operation.name, 0) + 1
    depth = circuit.depth(lambda i: not getattr(i.operation, "_directive", False))
    return {"qubits": circuit.num_qubits, "depth": depth, "size": len(ops),
            "multi_qubit": len(multi), "ops": names}


LIMITS = {"max_qubits": "qubits", "max_depth": "depth", "max_size": "size",
          "max_multi_qubit": "multi_qubit"}


def _at_most(limit: str, most: int) -> str:
    """A circuit within one of the LIMITS, in the current language."""
    if limit == "max_qubits":
        return t("a circuit with at most {most} qubits", most=most)
    if limit == "max_depth":
        return t("a circuit with at most {most} depth", most=most)
    if limit == "max_size":
        return t("a circuit with at most {most} gates in all", most=most)
    return t("a circuit with at most {most} two-or-more-qubit gates", most=most)


def judge_resources(observed: dict, reference: Any, spec: dict) -> Verdict:
    if "qpy" not in observed:
        given = observed["bad"] if "bad" in observed else t("something else")
        return Verdict.fail(t("a QuantumCircuit"), given)
    used = circuit_resources(_load_circuit(observed))
    for limit, field in LIMITS.items():
        if spec.get(limit) is not None and used[field] > spec[limit]:
            return Verdict.fail(_at_most(limit, spec[limit]), t("one with {count}", count=used[field]))
    for name, most in (spec.get("max_ops") or {}).items():
        if used["ops"].get(name, 0) > most:
            return Verdict.fail(t("a circuit with at most {most} {gate} gates", most=most, gate=repr(name)),
                                t("one with {count}", count=used["ops"][name]))
    allowed = spec.get("allowed_ops")
    if allowed is not None:
        other = sorted(set(used["ops"]) - set(allowed) - {"measure", "barrier"})
        if other:
            return Verdict.fail(t("a circuit built only from {gates}", gates=str(sorted(allowed))),
                                t("one that also uses {gates}", gates=str(other)))
    return Verdict.ok()


RESOURCES = Check("resources", observe_quantum, judge_resources, observe_reference=lambda _: None)


def resources(circuit: Any, *, hint: str, max_qubits: int | None = None,
              max_depth: int | None = None, max_size: int | None = None,
              max_multi_qubit: int | None = None, max_ops: dict[str, int] | None = None,
              allowed_ops: list[str] | None = None, what: str = "your circuit") -> None:
    """Pass when ``circuit`` stays within every limit given. Depth and sizes ignore
    barriers; ``max_multi_qubit`` counts gates that act on two or more qubits;
    ``allowed_ops`` always admits ``measure`` and ``barrier`` as well."""
    spec = {"max_qubits": max_qubits, "max_depth": max_depth, "max_size": max_size,
            "max_multi_qubit": max_multi_qubit, "max_ops": max_ops, "allowed_ops": allowed_ops}
    RESOURCES(circuit, None, spec, what=what, hint=hint)
