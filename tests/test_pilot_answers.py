"""The pilots' test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of a solved source notebook with
some answer functions replaced. A correct answer must pass without a warning; a near miss must
fail a check, i.e. raise an AssertionError (any other exception means the test cell crashed).
Every case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import math
import operator
import statistics
import warnings

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.primitives import StatevectorSampler
from qiskit.quantum_info import Pauli, Statevector

from conftest import PILOTS, ROOT
from graders import instances
from notebook_harness import SolvedNotebook

STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


def then(answer, convert):
    """`answer` with its result passed through `convert` (None stays None)."""
    def converted(*args, **kwargs):
        result = answer(*args, **kwargs)
        return None if result is None else convert(result)
    return converted


# ---------------------------------------------------------------- dc01-power

def average_kw(formula):
    """average_it_kw computing formula(readings, hours_per_reading)."""
    def average_it_kw(it_kwh, hours_per_reading=1.0):
        return formula(it_kwh, hours_per_reading)
    return average_it_kw


def derated(volts, amps, derate, pf):
    return volts * amps * derate * pf


def headroom_rows(limit=derated, keys=("rack", "draw_w", "headroom_w"), sign=1, reverse=False):
    def rack_headroom(racks, volts=220.0, breaker_amps=32.0, derate=0.8, power_factor=1.0):
        cap = limit(volts, breaker_amps, derate, power_factor)
        rows = [dict(zip(keys, (name, sum(s), sign * (cap - sum(s))))) for name, s in racks.items()]
        return rows[::-1] if reverse else rows
    return rack_headroom


def over_with_tolerance(draw, cap):
    """Section 3's rule: over only when above the limit by more than a relative 1e-9."""
    return draw > cap * (1 + 1e-9)


def overloaded(limit=derated, is_over=over_with_tolerance, collect=list):
    def overloaded_racks(racks, volts=220.0, breaker_amps=32.0, derate=0.8, power_factor=1.0):
        cap = limit(volts, breaker_amps, derate, power_factor)
        return collect(name for name, s in racks.items() if is_over(sum(s), cap))
    return overloaded_racks


def overload_flags(racks, *args, **kwargs):
    over = overloaded()(racks, *args, **kwargs)
    return {name: name in over for name in racks}


def module_counts(n_of):
    """ups_module_counts with N = n_of(load, rating)."""
    def ups_module_counts(load, rating):
        n = n_of(load, rating)
        return (n, n + 1, 2 * n)
    return ups_module_counts


ceil_counts = module_counts(lambda load, r: math.ceil(load / r * (1 - 1e-9)))   # section 4's rounding up
raw_ceil_counts = module_counts(lambda load, r: math.ceil(load / r))              # 33.6 / 11.2 -> 4


def survives(load, r, feeds, m, tolerance=1e-9):
    return ((m - 1) * r if feeds == 1 else m * r) >= load * (1 - tolerance)


def all_rules(load, r, feeds, m, max_over, max_par, tolerance=1e-9):
    return (survives(load, r, feeds, m, tolerance) and feeds * m * r <= (1 + max_over) * load * (1 + tolerance)
            and m <= max_par)


def raw_rules(load, r, feeds, m, max_over, max_par):
    """Rules 4 and 5 compared without section 3's tolerance."""
    return all_rules(load, r, feeds, m, max_over, max_par, tolerance=0.0)


def installed(plan):
    return plan["feeds"] * plan["modules_per_feed"] * plan["module_kw"]


def most(key):
    return lambda plans: max(plans, key=lambda plan: plan[key])


def designer(allowed, pick=lambda plans: min(plans, key=installed)):
    """design_ups that picks among the plans `allowed` accepts, or returns None."""
    def design_ups(load, catalogue, max_over, max_par):
        plans = [{"feeds": f, "module_kw": r, "modules_per_feed": m}
                 for r in catalogue for f in (1, 2) for m in range(1, 12)
                 if allowed(load, r, f, m, max_over, max_par)]
        return pick(plans) if plans else None
    return design_ups


smallest_plan = designer(all_rules)


def never_none(load, catalogue, max_over, max_par):
    return (smallest_plan(load, catalogue, max_over, max_par)
            or {"feeds": 1, "module_kw": catalogue[0], "modules_per_feed": 1})


# Each table: test cell -> {label: substitutes}. Correct answers written another way: other
# formulas, NumPy or plain Python types, other containers and orders, other valid plans.
DC01_CORRECT = {
    "q1-pue-test": {
        "pure-python-sums": {"average_it_kw": average_kw(lambda it, h: sum(it) / (len(it) * h)),
                             "pue": lambda fac, it: sum(fac) / sum(it)},
        "fmean-and-numpy-float": {"average_it_kw": average_kw(lambda it, h: statistics.fmean(it) / h),
                                  "pue": lambda fac, it: np.sum(fac) / np.sum(it)},
        "one-plus-overhead": {"pue": lambda fac, it: 1 + (sum(fac) - sum(it)) / sum(it)},
    },
    "q2-ups-runtime-test": {
        "kwh-over-kw": {"ups_runtime_min": lambda e, f, eta, p: (e / 1000) * f * eta / (p / 1000) * 60},
        "numpy-float": {"ups_runtime_min": lambda e, f, eta, p: np.float64(e) * f * eta * 60 / p},
    },
    "q3-pdu-test": {
        "rows-reversed": {"rack_headroom": headroom_rows(reverse=True)},
        "set-of-names": {"overloaded_racks": overloaded(collect=set)},
        "sorted-tuple": {"overloaded_racks": overloaded(collect=lambda names: tuple(sorted(names)))},
        "isclose-at-the-limit": {"overloaded_racks": overloaded(
            is_over=lambda draw, cap: draw > cap and not math.isclose(draw, cap, rel_tol=1e-9))},
    },
    "q4-redundancy-test": {
        "np-ceil-floats": {"ups_module_counts": module_counts(lambda load, r: np.ceil(load / r - 1e-9))},
        "list-round-then-ceil": {"ups_module_counts": then(module_counts(lambda load, r: math.ceil(round(load / r, 9))),
                                                           list)},
        "numpy-bool": {"survives_one_failure": lambda load, r, m: np.bool_((m - 1) * r >= load - 1e-9 * load)},
    },
    "q5-design-test": {
        "first-valid-plan": {"design_ups": designer(all_rules, pick=lambda plans: plans[0])},
        "last-valid-plan": {"design_ups": designer(all_rules, pick=lambda plans: plans[-1])},
        "prefers-two-feeds": {"design_ups": designer(all_rules, pick=most("feeds"))},
        "numpy-numbers": {"design_ups": then(smallest_plan, lambda p: {k: np.int64(v) if float(v).is_integer()
                                                                    else np.float64(v) for k, v in p.items()})},
        "float-counts": {"design_ups": then(smallest_plan, lambda p: {k: float(v) for k, v in p.items()})},
    },
}

DC01_NEAR_MISSES = {
    # PUE as the mean of hourly ratios or upside down; the length of a reading mishandled
    "q1-pue-test": {
        "pue-mean-of-ratios": {"pue": lambda fac, it: float(np.mean(np.asarray(fac) / np.asarray(it)))},
        "pue-inverted": {"pue": lambda fac, it: float(np.sum(it) / np.sum(fac))},
        "avg-ignores-hours": {"average_it_kw": average_kw(lambda it, h: float(np.sum(it) / len(it)))},
        "avg-times-hours": {"average_it_kw": average_kw(lambda it, h: float(np.sum(it) * h / len(it)))},
        "avg-is-total-kwh": {"average_it_kw": average_kw(lambda it, h: float(np.sum(it)))},
        "avg-in-watts": {"average_it_kw": average_kw(lambda it, h: 1000 * float(np.sum(it) / (len(it) * h)))},
    },
    # efficiency or usable fraction mishandled; hours, seconds or kW instead of min and W
    "q2-ups-runtime-test": {
        "forgets-efficiency": {"ups_runtime_min": lambda e, f, eta, p: 60 * e * f / p},
        "divides-by-efficiency": {"ups_runtime_min": lambda e, f, eta, p: 60 * e * f / eta / p},
        "hours": {"ups_runtime_min": lambda e, f, eta, p: e * f * eta / p},
        "seconds": {"ups_runtime_min": lambda e, f, eta, p: 3600 * e * f * eta / p},
        "forgets-usable-fraction": {"ups_runtime_min": lambda e, f, eta, p: 60 * e * eta / p},
        "load-taken-as-kw": {"ups_runtime_min": lambda e, f, eta, p: 60 * e * f * eta / (p / 1000)},
    },
    # a wrong limit (no derating, power factor ignored or dividing, 32 A hard-coded) or a wrong shape
    "q3-pdu-test": {
        "no-derating": {"rack_headroom": headroom_rows(lambda v, a, d, pf: v * a * pf),
                        "overloaded_racks": overloaded(lambda v, a, d, pf: v * a * pf)},
        "no-derating-in-overloaded": {"overloaded_racks": overloaded(lambda v, a, d, pf: v * a * pf)},
        "pf-ignored": {"rack_headroom": headroom_rows(lambda v, a, d, pf: v * a * d),
                       "overloaded_racks": overloaded(lambda v, a, d, pf: v * a * d)},
        "pf-ignored-in-headroom": {"rack_headroom": headroom_rows(lambda v, a, d, pf: v * a * d)},
        "pf-divides": {"rack_headroom": headroom_rows(lambda v, a, d, pf: v * a * d / pf)},
        "hard-coded-32-amps": {"rack_headroom": headroom_rows(lambda v, a, d, pf: 220 * 32 * 0.8 * pf),
                               "overloaded_racks": overloaded(lambda v, a, d, pf: 220 * 32 * 0.8 * pf)},
        "headroom-sign-flipped": {"rack_headroom": headroom_rows(sign=-1)},
        "wrong-column-names": {"rack_headroom": headroom_rows(keys=("rack", "draw", "headroom"))},
        "extra-column": {"rack_headroom": then(headroom_rows(),
                                               lambda rows: [{**r, "over": r["headroom_w"] < 0} for r in rows])},
        "dict-not-rows": {"rack_headroom": then(headroom_rows(),
                                                lambda rows: {r["rack"]: r["headroom_w"] for r in rows})},
        "racks-under-the-limit": {"overloaded_racks": overloaded(is_over=operator.le)},
        "dict-of-flags": {"overloaded_racks": overload_flags},
        "raw-greater-than": {"overloaded_racks": overloaded(is_over=operator.gt)},     # 4012.8 > 4012.7999999999997
        "at-limit-is-over": {"overloaded_racks": overloaded(is_over=operator.ge)},
    },
    # N rounded the wrong way, 2N miscounted, the failure or the equality forgotten, wrong types
    "q4-redundancy-test": {
        "round-not-ceil": {"ups_module_counts": module_counts(lambda load, r: round(load / r))},
        "floor-plus-one": {"ups_module_counts": module_counts(lambda load, r: load // r + 1)},
        "2n-as-2-times-n-plus-1": {"ups_module_counts": then(ceil_counts, lambda c: (c[0], c[1], 2 * c[1]))},
        "dict-not-tuple": {"ups_module_counts": then(ceil_counts,
                                                     lambda c: {"N": c[0], "N+1": c[1], "2N": c[2]})},
        "survives-strictly-above": {"survives_one_failure": lambda load, r, m: (m - 1) * r > load},
        "survives-without-failure": {"survives_one_failure": lambda load, r, m: m * r >= load},
        "survives-returns-int": {"survives_one_failure": lambda load, r, m: int((m - 1) * r >= load)},
        "raw-ceil": {"ups_module_counts": raw_ceil_counts},
        "survives-raw-comparison": {"survives_one_failure": lambda load, r, m: (m - 1) * r >= load},
    },
    # one of the five rules dropped, None mishandled, a tuple, or a rating nobody sells
    "q5-design-test": {
        "n-without-spare": {"design_ups": designer(lambda L, r, f, m, X, P: f == 1 and m * r >= L
                                                   and m <= P)},
        "no-oversizing-bound": {"design_ups": designer(lambda L, r, f, m, X, P: survives(L, r, f, m)
                                                       and m <= P, pick=most("module_kw"))},
        "no-parallel-limit": {"design_ups": designer(lambda L, r, f, m, X, P: survives(L, r, f, m)
                                                     and f * m * r <= (1 + X) * L)},
        "always-2n": {"design_ups": designer(lambda L, r, f, m, X, P: f == 2 and m * r >= L and m <= P)},
        "never-none": {"design_ups": never_none},
        "always-none": {"design_ups": lambda load, catalogue, max_over, max_par: None},
        "tuple-not-dict": {"design_ups": then(smallest_plan, lambda p: tuple(p.values()))},
        "rating-off-catalogue": {"design_ups": lambda load, catalogue, max_over, max_par:
                                 {"feeds": 1, "module_kw": load / 4, "modules_per_feed": 5}},
        "rules-without-tolerance": {"design_ups": designer(raw_rules)},
    },
}



# The mistakes dc01's text warns about fail the release's visible tests with a message that
# names them: (substitutes, words the message must contain).
from notebook_harness import AnswerTable  # noqa: E402  (only for the named-mistake table below)


class TestNamedMistakesDc01(AnswerTable):
    notebook = ROOT / "source" / "dc01-power" / "dc01-power.ipynb"
    named_mistakes = {
        "q1-pue-test": {
            "pue-mean-of-ratios": (DC01_NEAR_MISSES["q1-pue-test"]["pue-mean-of-ratios"],
                                   "the mean of the hourly ratios"),
            "pue-inverted": (DC01_NEAR_MISSES["q1-pue-test"]["pue-inverted"], "PUE upside down"),
            "avg-ignores-hours": (DC01_NEAR_MISSES["q1-pue-test"]["avg-ignores-hours"],
                                  "hours_per_reading ignored"),
            "avg-times-hours": (DC01_NEAR_MISSES["q1-pue-test"]["avg-times-hours"],
                                "multiplied by hours_per_reading"),
            "avg-is-total-kwh": (DC01_NEAR_MISSES["q1-pue-test"]["avg-is-total-kwh"],
                                 "the total energy (kWh) returned"),
            "avg-in-watts": (DC01_NEAR_MISSES["q1-pue-test"]["avg-in-watts"], "the answer in W instead of kW"),
        },
        "q2-ups-runtime-test": {
            "hours": (DC01_NEAR_MISSES["q2-ups-runtime-test"]["hours"], "the runtime in hours, not minutes"),
            "seconds": (DC01_NEAR_MISSES["q2-ups-runtime-test"]["seconds"], "the runtime in seconds"),
            "load-taken-as-kw": (DC01_NEAR_MISSES["q2-ups-runtime-test"]["load-taken-as-kw"],
                                 "load_w taken as kW"),
            "kwh-over-w": ({"ups_runtime_min": lambda e, f, eta, p: 60 * (e / 1000) * f * eta / p},
                           "the battery energy turned into kWh but the load left in W"),
            "divides-by-efficiency": (DC01_NEAR_MISSES["q2-ups-runtime-test"]["divides-by-efficiency"],
                                      "divided by the inverter efficiency"),
            "forgets-efficiency": (DC01_NEAR_MISSES["q2-ups-runtime-test"]["forgets-efficiency"],
                                   "the inverter efficiency left out"),
            "forgets-usable-fraction": (DC01_NEAR_MISSES["q2-ups-runtime-test"]["forgets-usable-fraction"],
                                        "the usable fraction left out"),
        },
        "q3-pdu-test": {
            "no-derating": (DC01_NEAR_MISSES["q3-pdu-test"]["no-derating"],
                            "the 80 % continuous-load derating forgotten"),
            "no-derating-in-overloaded": (DC01_NEAR_MISSES["q3-pdu-test"]["no-derating-in-overloaded"],
                                          "the 80 % continuous-load derating forgotten"),
            "both-pdus-counted": ({"rack_headroom": headroom_rows(lambda v, a, d, pf: 2 * v * a * d * pf)},
                                  "both PDUs (A + B) counted"),
            "headroom-sign-flipped": (DC01_NEAR_MISSES["q3-pdu-test"]["headroom-sign-flipped"],
                                      "headroom with the sign flipped"),
            "racks-under-the-limit": (DC01_NEAR_MISSES["q3-pdu-test"]["racks-under-the-limit"],
                                      "the racks under the limit returned"),
            "pf-ignored": (DC01_NEAR_MISSES["q3-pdu-test"]["pf-ignored"], "the power_factor argument ignored"),
            "pf-divides": ({"rack_headroom": headroom_rows(lambda v, a, d, pf: v * a * d / pf),
                            "overloaded_racks": overloaded(lambda v, a, d, pf: v * a * d / pf)},
                           "divided by the power factor"),
            "raw-greater-than": (DC01_NEAR_MISSES["q3-pdu-test"]["raw-greater-than"],
                                 "a rack exactly at the limit flagged as over"),
            "at-limit-is-over": (DC01_NEAR_MISSES["q3-pdu-test"]["at-limit-is-over"],
                                 "a rack exactly at the limit flagged as over"),
        },
        "q4-redundancy-test": {
            "round-not-ceil": (DC01_NEAR_MISSES["q4-redundancy-test"]["round-not-ceil"],
                               "N rounded down or to the nearest whole number"),
            "floor-plus-one": (DC01_NEAR_MISSES["q4-redundancy-test"]["floor-plus-one"],
                               "floor(load / rating) + 1 used for N"),
            "2n-as-2-times-n-plus-1": (DC01_NEAR_MISSES["q4-redundancy-test"]["2n-as-2-times-n-plus-1"],
                                       "2N counted as 2 x (N+1)"),
            "2n-one-system-only": ({"ups_module_counts": then(ceil_counts, lambda c: (c[0], c[1], c[0]))},
                                   "2N given for one system only"),
            "survives-without-failure": (DC01_NEAR_MISSES["q4-redundancy-test"]["survives-without-failure"],
                                         "the failed module not taken away"),
            "survives-strictly-above": (DC01_NEAR_MISSES["q4-redundancy-test"]["survives-strictly-above"],
                                        "'greater than' (>) used"),
            "raw-ceil": (DC01_NEAR_MISSES["q4-redundancy-test"]["raw-ceil"], "math.ceil of the raw quotient"),
            "survives-raw-comparison": (DC01_NEAR_MISSES["q4-redundancy-test"]["survives-raw-comparison"],
                                        "compared without the tolerance"),
        },
        "q5-design-test": {
            "n-without-spare": (DC01_NEAR_MISSES["q5-design-test"]["n-without-spare"], "rule 4"),
            "no-oversizing-bound": (DC01_NEAR_MISSES["q5-design-test"]["no-oversizing-bound"], "rule 5"),
            "rating-off-catalogue": (DC01_NEAR_MISSES["q5-design-test"]["rating-off-catalogue"], "rule 1"),
            "always-none": (DC01_NEAR_MISSES["q5-design-test"]["always-none"],
                            "a plan meeting every rule exists"),
            "never-none": (DC01_NEAR_MISSES["q5-design-test"]["never-none"], "return None"),
            "rules-without-tolerance": (DC01_NEAR_MISSES["q5-design-test"]["rules-without-tolerance"],
                                        "is exactly the load"),
        },
    }


def _cell_text(pilot, cell_id):
    import nbformat
    cells = nbformat.read(ROOT / "source" / pilot / f"{pilot}.ipynb", as_version=4).cells
    return next(c.source for c in cells if c.get("id") == cell_id)


def test_dc01_weekend_notice_matches_the_figure():
    """At the weekend both meters drop, but the hourly ratio keeps its daily swing and its level."""
    from notebook_harness import solved_notebook
    ns = solved_notebook(ROOT / "source" / "dc01-power" / "dc01-power.ipynb").namespace
    ratio, it = np.asarray(ns["hourly_pue"]), np.asarray(ns["it_kwh"])
    days = [slice(24 * d, 24 * d + 24) for d in range(7)]
    swing = [ratio[d].max() - ratio[d].min() for d in days]
    assert it[120:].mean() < 0.95 * it[:120].mean()                     # the weekend load drops
    assert min(swing[5:]) > 0.5 * max(swing[:5])                        # the ratio still swings daily
    assert abs(ratio[120:].mean() - ratio[:120].mean()) < 0.01          # around the same level
    assert "ratio hardly changes" not in _cell_text("dc01-power", "s1-notice")


def test_dc01_float_boundaries_the_text_states():
    """The rounding errors section 3 and 4 quote, and the boundary cases the tests use."""
    assert 230 * 16 * 0.8 * 0.95 == 2796.7999999999997 and 220 * 24 * 0.8 * 0.95 < sum([1003.2] * 4) == 4012.8
    assert math.ceil(2.1 / 0.7) == 4 and 3 * 0.7 < 2.1 and math.ceil(33.6 / 11.2) == 4 and 3 * 11.2 < 33.6


# ---------------------------------------------------------------- q01-qubits

def unit(amplitudes):
    a = np.asarray(amplitudes, dtype=complex)
    return a / np.linalg.norm(a)


def first_amplitude_real(amplitudes):
    a = unit(amplitudes)
    return a * np.exp(-1j * np.angle(a[np.flatnonzero(a)[0]]))


def probabilities(key, value):
    """outcome_probabilities with key(i, n_qubits) for basis state i and value(amplitude)."""
    def outcome_probabilities(amplitudes):
        a = np.asarray(amplitudes, dtype=complex)
        n = int(round(math.log2(len(a))))
        return {key(i, n): value(z) for i, z in enumerate(a)}
    return outcome_probabilities


def bits(i, n):
    return format(i, f"0{n}b")


def squared(z):
    return float(abs(z) ** 2)


def bloch(xy_of, z_sign=1):
    """bloch_vector with x + iy = 2 * xy_of(alpha, beta)."""
    def bloch_vector(amplitudes):
        alpha, beta = np.asarray(amplitudes, dtype=complex)
        c = xy_of(alpha, beta)
        return np.array([2 * c.real, 2 * c.imag, z_sign * (abs(alpha) ** 2 - abs(beta) ** 2)])
    return bloch_vector


def bloch_from_angles(amplitudes):
    alpha, beta = np.asarray(amplitudes, dtype=complex)
    theta, phi = 2 * np.arccos(min(1.0, abs(alpha))), np.angle(beta) - np.angle(alpha)
    return [np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)]


def expectations(amplitudes):
    state = Statevector(np.asarray(amplitudes, dtype=complex))
    return np.array([state.expectation_value(Pauli(p)).real for p in "XYZ"])


def circuit(*gates, qubits=1):
    """prepare(theta, phi) applying each gate(qc, theta, phi) in turn."""
    def prepare(theta, phi):
        qc = QuantumCircuit(qubits)
        for gate in gates:
            gate(qc, theta, phi)
        return qc
    return prepare


def ry(qc, theta, phi):
    qc.ry(theta, 0)


def rz(qc, theta, phi):
    qc.rz(phi, 0)


def sampler(measure=lambda qc: qc.measure_all(inplace=False), seed_of=lambda seed: seed, pass_shots=True):
    """sample_counts running measure(circuit) with seed_of(seed); counts of the `meas` register."""
    def sample_counts(qc, shots, seed):
        run = StatevectorSampler(seed=seed_of(seed)).run
        job = run([measure(qc)], shots=shots) if pass_shots else run([measure(qc)])
        return job.result()[0].data.meas.get_counts()
    return sample_counts


def own_register(qc, shots, seed):
    qc = qc.copy()
    qc.add_register(ClassicalRegister(qc.num_qubits, "c"))
    qc.measure(range(qc.num_qubits), range(qc.num_qubits))
    return StatevectorSampler(seed=seed).run([(qc,)], shots=shots).result()[0].data.c.get_counts()


def default_shots(qc, shots, seed):
    result = StatevectorSampler(default_shots=shots, seed=seed).run([qc.measure_all(inplace=False)]).result()
    return result[0].join_data().get_counts()


def bit_array(qc, shots, seed):
    result = StatevectorSampler(seed=seed).run([qc.measure_all(inplace=False)], shots=shots).result()
    return result[0].data.meas


def in_place(qc):
    qc.measure_all()
    return qc


def blank_like(qc):
    blank = QuantumCircuit(qc.num_qubits)
    blank.measure_all()
    return blank


def needed(p, se):
    """Shots for a standard error `se` at P(1) = p, before rounding."""
    return p * (1 - p) / se**2


def least_shots(p, se, min_shots):
    return max(min_shots, math.ceil(needed(p, se) - 1e-9))


def per_circuit(shots_for):
    """plan_shots giving each circuit shots_for(p, target_se, min_shots)."""
    def plan_shots(predicted_p1, target_se, budget, min_shots=100):
        return [shots_for(p, target_se, min_shots) for p in predicted_p1]
    return plan_shots


def spends_spare_budget(predicted_p1, target_se, budget, min_shots=100):
    plan = np.array(per_circuit(least_shots)(predicted_p1, target_se, budget, min_shots))
    weight = np.array([p * (1 - p) + 1e-12 for p in predicted_p1])
    return plan + np.floor((budget - plan.sum()) * weight / weight.sum()).astype(int)


# Other formulas, Qiskit's own helpers, other gate sequences, registers and valid shot plans.
Q01_CORRECT = {
    "q1-normalise-test": {
        "divide-by-sqrt-vdot": {"normalise": lambda a: np.asarray(a, complex) / np.sqrt(np.vdot(a, a).real)},
        "returns-statevector": {"normalise": lambda a: Statevector(unit(a))},
        "list-of-complex": {"normalise": lambda a: [complex(z) / math.sqrt(sum(abs(w) ** 2 for w in a))
                                                    for z in a]},
    },
    "q2-probabilities-test": {
        "qiskit-probabilities-dict": {"outcome_probabilities": lambda a: Statevector(a).probabilities_dict()},
        "binary-repr-numpy-floats": {"outcome_probabilities": probabilities(np.binary_repr,
                                                                            lambda z: np.abs(z) ** 2)},
    },
    "q3-bloch-test": {
        "qiskit-expectation-values": {"bloch_vector": expectations},
        "from-angles-as-list": {"bloch_vector": bloch_from_angles},
    },
    "q4-prepare-test": {
        "ry-then-p": {"prepare": circuit(ry, lambda qc, t, p: qc.p(p, 0))},
        "single-u": {"prepare": circuit(lambda qc, t, p: qc.u(t, p, 0, 0))},
        "rx-then-p-shifted": {"prepare": circuit(lambda qc, t, p: qc.rx(t, 0),
                                                 lambda qc, t, p: qc.p(p + np.pi / 2, 0))},
        "r-barrier-rz": {"prepare": circuit(lambda qc, t, p: qc.r(t, np.pi / 2, 0),
                                            lambda qc, t, p: qc.barrier(), rz)},
        "ry-s-rz-three-gates": {"prepare": circuit(ry, lambda qc, t, p: qc.s(0),
                                                   lambda qc, t, p: qc.rz(p - np.pi / 2, 0))},
    },
    "q5-sample-test": {
        "own-register-pub-tuple": {"sample_counts": own_register},
        "default-shots-join-data": {"sample_counts": default_shots},
    },
    "q6-shot-plan-test": {
        "spare-budget-numpy-ints": {"plan_shots": spends_spare_budget},
        "np-ceil-floats": {"plan_shots": per_circuit(lambda p, se, lo: max(lo, np.ceil(np.round(needed(p, se), 6))))},
        "round-then-ceil-the-text": {"plan_shots": per_circuit(lambda p, se, lo: max(lo, math.ceil(round(needed(p, se), 6))))},
    },
}

Q01_NEAR_MISSES = {
    # the wrong norm, or phases dropped, changed or conjugated
    "q1-normalise-test": {
        "divide-by-sum-of-squares": {"normalise": lambda a: np.asarray(a, complex) / np.sum(np.abs(a) ** 2)},
        "divide-by-sum-of-abs": {"normalise": lambda a: np.asarray(a, complex) / np.sum(np.abs(a))},
        "abs-drops-phases": {"normalise": lambda a: np.abs(a) / np.linalg.norm(a)},
        "fixes-global-phase": {"normalise": first_amplitude_real},
        "conjugates": {"normalise": lambda a: np.conj(unit(a))},
    },
    # big-endian or unpadded keys; |a|, a**2 or Re(a)**2 for |a|**2; a list for a dict
    "q2-probabilities-test": {
        "big-endian-keys": {"outcome_probabilities": probabilities(lambda i, n: bits(i, n)[::-1], squared)},
        "abs-not-squared": {"outcome_probabilities": probabilities(bits, lambda z: float(abs(z)))},
        "complex-square": {"outcome_probabilities": probabilities(bits, lambda z: complex(z ** 2))},
        "keys-not-padded": {"outcome_probabilities": probabilities(lambda i, n: format(i, "b"), squared)},
        "list-not-dict": {"outcome_probabilities": lambda a: list(np.abs(np.asarray(a, complex)) ** 2)},
        "real-part-squared": {"outcome_probabilities": probabilities(bits, lambda z: float(z.real ** 2))},
    },
    # beta conjugated, factor 2 or z sign lost, angles returned, a global phase assumed away
    "q3-bloch-test": {
        "conjugates-beta": {"bloch_vector": bloch(lambda al, be: al * np.conj(be))},
        "forgets-factor-2": {"bloch_vector": bloch(lambda al, be: np.conj(al) * be / 2)},
        "z-sign-flipped": {"bloch_vector": bloch(lambda al, be: np.conj(al) * be, z_sign=-1)},
        "returns-theta-phi": {"bloch_vector": lambda a: np.array([2 * np.arccos(abs(a[0])), np.angle(a[1])])},
        "assumes-alpha-real": {"bloch_vector": bloch(lambda al, be: al.real * be)},
    },
    # the right state with 4 gates or initialize; wrong axis, angle, order or units; measured; 2 qubits
    "q4-prepare-test": {
        "four-gates-h-p-h-p": {"prepare": circuit(lambda qc, t, p: qc.h(0), lambda qc, t, p: qc.p(t, 0),
                                                  lambda qc, t, p: qc.h(0),
                                                  lambda qc, t, p: qc.p(p + np.pi / 2, 0))},
        "padded-with-z-z": {"prepare": circuit(ry, rz, lambda qc, t, p: qc.z(0), lambda qc, t, p: qc.z(0))},
        "initialize": {"prepare": circuit(lambda qc, t, p: qc.initialize(
            [np.cos(t / 2), np.exp(1j * p) * np.sin(t / 2)], 0))},
        "rx-not-ry": {"prepare": circuit(lambda qc, t, p: qc.rx(t, 0), rz)},
        "ry-half-angle": {"prepare": circuit(lambda qc, t, p: qc.ry(t / 2, 0), rz)},
        "rz-before-ry": {"prepare": circuit(rz, ry)},
        "ry-only": {"prepare": circuit(ry)},
        "angles-swapped": {"prepare": circuit(lambda qc, t, p: qc.ry(p, 0), lambda qc, t, p: qc.rz(t, 0))},
        "degrees": {"prepare": circuit(lambda qc, t, p: qc.ry(np.degrees(t), 0),
                                       lambda qc, t, p: qc.rz(np.degrees(p), 0))},
        "measure-all": {"prepare": circuit(ry, rz, lambda qc, t, p: qc.measure_all())},
        "two-qubits": {"prepare": circuit(ry, rz, qubits=2)},
    },
    # seed missing or fixed, shots ignored, keys reversed, not counts, the input mutated, gates dropped
    "q5-sample-test": {
        "no-seed": {"sample_counts": sampler(seed_of=lambda seed: None)},
        "fixed-seed-42": {"sample_counts": sampler(seed_of=lambda seed: 42)},
        "ignores-shots": {"sample_counts": sampler(pass_shots=False)},
        "reversed-bitstrings": {"sample_counts": then(sampler(), lambda c: {k[::-1]: c[k] for k in c})},
        "frequencies": {"sample_counts": then(sampler(), lambda c: {k: c[k] / sum(c.values()) for k in c})},
        "bit-array": {"sample_counts": bit_array},
        "measures-input-in-place": {"sample_counts": sampler(measure=in_place)},
        "samples-blank-circuit": {"sample_counts": sampler(measure=blank_like)},
    },
    # fractional or rounded-down shots, min_shots or the square forgotten, p = 0.5 everywhere,
    # the budget split evenly, a total instead of a list
    "q6-shot-plan-test": {
        "fractional-shots": {"plan_shots": per_circuit(lambda p, se, lo: max(lo, needed(p, se)))},
        "rounds-down": {"plan_shots": per_circuit(lambda p, se, lo: max(lo, round(needed(p, se) - 0.49)))},
        "truncates": {"plan_shots": per_circuit(lambda p, se, lo: max(lo, int(needed(p, se) * 0.999)))},
        "forgets-min-shots": {"plan_shots": per_circuit(lambda p, se, lo: least_shots(p, se, 0))},
        "se-not-squared": {"plan_shots": per_circuit(lambda p, se, lo: max(lo, math.ceil(p * (1 - p) / se)))},
        "worst-case-for-all": {"plan_shots": per_circuit(lambda p, se, lo: least_shots(0.5, se, lo))},
        "budget-split-evenly": {"plan_shots": lambda predicted, se, budget, min_shots=100:
                                [budget // len(predicted) + 1] * len(predicted)},
        "returns-total": {"plan_shots": then(per_circuit(least_shots), sum)},
        "ceil-of-raw-float": {"plan_shots": per_circuit(lambda p, se, lo: max(lo, math.ceil(needed(p, se))))},
    },
}


# ---------------------------------------------------------------- the tests

def cases(pilot, table, with_reference=False):
    """pytest params (pilot, grade_id, substitutes), plus the notebook's own answers if asked."""
    params = []
    for grade_id, answers in table.items():
        if with_reference:
            answers = {"reference": {}, **answers}
        cell = grade_id.removesuffix("-test")
        params += [pytest.param(pilot, grade_id, substitutes, id=f"{pilot}:{cell}:{label}")
                   for label, substitutes in answers.items()]
    return params


CORRECT = (cases("dc01-power", DC01_CORRECT, with_reference=True)
           + cases("q01-qubits", Q01_CORRECT, with_reference=True))
NEAR_MISSES = cases("dc01-power", DC01_NEAR_MISSES) + cases("q01-qubits", Q01_NEAR_MISSES)


@pytest.fixture(scope="module")
def solved():
    """pilot -> its solved source notebook, executed once on first use."""
    notebooks = {}

    def get(pilot):
        if pilot not in notebooks:
            notebooks[pilot] = SolvedNotebook(ROOT / "source" / pilot / f"{pilot}.ipynb")
        return notebooks[pilot]
    return get


@pytest.fixture(params=STUDENTS, ids=lambda student: student or "public")
def student(request, monkeypatch):
    monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
    if request.param is None:
        monkeypatch.delenv(instances.STUDENT_ENV, raising=False)
    else:
        monkeypatch.setenv(instances.STUDENT_ENV, request.param)
    return request.param


@pytest.mark.parametrize("pilot", PILOTS)
def test_the_students_have_different_variants(pilot, monkeypatch):
    monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
    monkeypatch.delenv(instances.STUDENT_ENV, raising=False)
    assert len({instances.variant(pilot, student) for student in STUDENTS}) == len(STUDENTS)


@pytest.mark.parametrize("pilot, grade_id, substitutes", CORRECT)
def test_correct_answer_passes(solved, student, pilot, grade_id, substitutes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solved(pilot).run_test(grade_id, substitutes)


@pytest.mark.parametrize("pilot, grade_id, substitutes", NEAR_MISSES)
def test_near_miss_fails_a_check(solved, student, pilot, grade_id, substitutes):
    with pytest.raises(AssertionError):
        solved(pilot).run_test(grade_id, substitutes)


# ---------------------------------------------------------------- q01-qubits: named mistakes

from notebook_harness import AnswerTable  # noqa: E402  (only for the named-mistake table below)

Q01_ANGLES = {"bloch_vector": lambda a: np.array([2 * np.arccos(min(1.0, abs(a[0]))), np.angle(a[1])])}


class TestNamedMistakesQ01(AnswerTable):
    """The mistakes q01's text warns about fail the release's visible tests with a message that
    names them."""
    notebook = ROOT / "source" / "q01-qubits" / "q01-qubits.ipynb"
    named_mistakes = {
        "q1-normalise-test": {
            "abs-drops-phases": ({"normalise": lambda a: np.abs(a) / np.linalg.norm(a)},
                                 "taking abs() of the amplitudes"),
            "global-phase-changed": ({"normalise": first_amplitude_real}, "changing the global phase"),
        },
        "q2-probabilities-test": {
            "big-endian-keys": ({"outcome_probabilities": probabilities(lambda i, n: bits(i, n)[::-1], squared)},
                                "mirrored bitstrings: qubit 0 is the rightmost character"),
            "abs-not-squared": ({"outcome_probabilities": probabilities(bits, lambda z: float(abs(z)))},
                                "use |a|**2"),
            "keys-not-padded": ({"outcome_probabilities": probabilities(lambda i, n: format(i, "b"), squared)},
                                "is not a 2-character bitstring"),
        },
        "q3-bloch-test": {
            "conjugates-beta": ({"bloch_vector": bloch(lambda al, be: al * np.conj(be))},
                                "conjugating beta instead of alpha"),
            "no-conjugate": ({"bloch_vector": bloch(lambda al, be: al * be)}, "without the complex conjugate"),
            "assumes-alpha-real": ({"bloch_vector": bloch(lambda al, be: al.real * be)}, "alpha taken as real"),
            "returns-theta-phi": (Q01_ANGLES, "returning the angles (theta, phi) instead of the vector"),
        },
        "q4-prepare-test": {
            "ry-half-angle": ({"prepare": circuit(lambda qc, t, p: qc.ry(t / 2, 0), rz)}, "the half angle"),
            "rz-before-ry": ({"prepare": circuit(rz, ry)}, "a z rotation before R_Y only adds a global phase"),
            "ry-only": ({"prepare": circuit(ry)}, "the relative phase is missing"),
            "degrees": ({"prepare": circuit(lambda qc, t, p: qc.ry(np.degrees(t), 0),
                                            lambda qc, t, p: qc.rz(np.degrees(p), 0))},
                        "converted to degrees, but Qiskit takes radians"),
            "initialize": (Q01_NEAR_MISSES["q4-prepare-test"]["initialize"], "also uses ['initialize']"),
        },
        "q5-sample-test": {
            "measures-input-in-place": ({"sample_counts": sampler(measure=in_place)}, "measured in place"),
            "reversed-bitstrings": ({"sample_counts": then(sampler(), lambda c: {k[::-1]: c[k] for k in c})},
                                    "the bitstrings reversed"),
            "ignores-shots": ({"sample_counts": sampler(pass_shots=False)}, "from 1000 shots; got 1024 shots"),
            "no-seed": ({"sample_counts": sampler(seed_of=lambda seed: None)},
                        "two calls with the same seed gave different counts"),
            "fixed-seed": ({"sample_counts": sampler(seed_of=lambda seed: 42)},
                           "a different seed gave identical counts"),
        },
        "q6-shot-plan-test": {
            "fractional-shots": ({"plan_shots": per_circuit(lambda p, se, lo: max(lo, needed(p, se)))},
                                 "is not a whole number of shots"),
            "rounds-down": ({"plan_shots": per_circuit(lambda p, se, lo: max(lo, int(needed(p, se))))},
                            "it looks rounded down"),
            "forgets-min-shots": ({"plan_shots": per_circuit(lambda p, se, lo: least_shots(p, se, 0))},
                                  "is below the minimum"),
            "ceil-of-raw-float": (Q01_NEAR_MISSES["q6-shot-plan-test"]["ceil-of-raw-float"],
                                  "remove the rounding error before rounding up"),
        },
    }


def test_q01_figure_notice_matches_the_dots():
    """Most 100-shot estimates lie within one standard error of the curve; the one at 60 degrees is two off."""
    from notebook_harness import solved_notebook
    ns = solved_notebook(ROOT / "source" / "q01-qubits" / "q01-qubits.ipynb").namespace
    angles, p_hat, p_true, se = (np.asarray(ns[k]) for k in ("angles_deg", "p_hat", "p_true", "se"))
    inside = se > 0
    z = np.abs(p_hat[inside] - p_true[inside]) / se[inside]
    assert np.sum(z <= 1.05) >= 0.75 * z.size and np.max(z) < 2.2
    assert abs(z[list(angles[inside]).index(60)] - 2) < 0.2
    assert "by about one error bar" not in _cell_text("q01-qubits", "s5-notice")


def test_q01_shot_counts_the_text_states():
    """Section 6: 0.2 * 0.8 / 0.01**2 rounds up to 1601 unless the rounding error is removed first."""
    quotient = 0.2 * 0.8 / 0.01 ** 2
    assert quotient == 1600.0000000000002 and math.ceil(quotient) == 1601 and math.ceil(round(quotient, 6)) == 1600
    assert math.ceil(0.1 * 0.9 / 0.01 ** 2) == 901
