"""q10-cloud: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
an answer function replaced. A correct answer must pass without a warning; a near miss must fail
a check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import warnings
from collections import Counter

import pytest
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2 as AerSampler

from conftest import ROOT
from graders import instances
from notebook_harness import AnswerTable, SolvedNotebook, solved_notebook

AID = "q10-cloud"
STUDENTS = [None, "alice", "bob"]   # None: the public variant; alice and bob have different variants

ALLOWED = {
    "CREATED": {"VALIDATING", "CANCELLED"}, "VALIDATING": {"QUEUED", "FAILED", "CANCELLED"},
    "QUEUED": {"RUNNING", "CANCELLED"}, "RUNNING": {"DONE", "FAILED", "CANCELLED"},
    "DONE": set(), "FAILED": set(), "CANCELLED": set(),
}


# ---------------------------------------------------------------- q1: first_invalid_step

def invalid_by_dedup(log):
    """Collapse repeats first, keeping the index of each change's first entry."""
    if not log or log[0] != "CREATED":
        return 0
    prev = log[0]
    for i, state in enumerate(log[1:], start=1):
        if state == prev:
            continue
        if state not in ALLOWED.get(prev, set()):
            return i
        prev = state
    return None


def invalid_by_pairs(log):
    """Every consecutive pair, with an explicit set of legal pairs."""
    legal = {(a, b) for a, nxt in ALLOWED.items() for b in nxt} | {(s, s) for s in ALLOWED}
    if len(log) == 0 or log[0] != "CREATED":
        return 0
    bad = [i for i in range(1, len(log)) if (log[i - 1], log[i]) not in legal]
    return bad[0] if bad else None


def lifecycle(start=True, repeats_ok=True, offset=0, valid=None, terminal_free=False):
    def first_invalid_step(log):
        if start and (not log or log[0] != "CREATED"):
            return 0
        for i in range(1, len(log)):
            a, b = log[i - 1], log[i]
            if repeats_ok and a == b:
                continue
            if terminal_free and not ALLOWED.get(a, {1}):
                continue
            if b not in ALLOWED.get(a, set()):
                return i + offset
        return valid
    return first_invalid_step


# ---------------------------------------------------------------- q2: estimate_cost

def usd(w, d, per_gate="both", task_fee=True, per_second_overhead=True):
    n, shots = w["circuits"], w["shots"]
    if d["model"] == "per_task_shot":
        return n * ((d["task_usd"] if task_fee else 0) + shots * d["shot_usd"])
    if d["model"] == "per_second":
        return d["second_usd"] * n * ((d["task_seconds"] if per_second_overhead else 0) + shots * d["shot_seconds"])
    g1 = d["gate1_usd"] * w["one_qubit_gates"]
    g2 = d["gate2_usd"] * w["two_qubit_gates"]
    gates = {"both": g1 + g2, "two_only": g2, "swapped": d["gate1_usd"] * w["two_qubit_gates"] + d["gate2_usd"] * w["one_qubit_gates"]}[per_gate]
    return n * (d["minimum_usd"] + shots * gates)


def cost_table(rate_factor=1.0, reverse=False, as_tuples=False, **kw):
    def estimate_cost(workload, devices, krw_per_usd):
        rows = [{"device": d["device"], "usd": usd(workload, d, **kw),
                 "krw": usd(workload, d, **kw) * krw_per_usd * rate_factor} for d in devices]
        return rows[::-1] if reverse else rows
    return estimate_cost


def cost_numpy(workload, devices, krw_per_usd):
    """Costs computed as a NumPy array, rows built with zip (NumPy floats in the cells)."""
    import numpy as np
    costs = np.array([usd(workload, d) for d in devices])
    return [dict(zip(("device", "usd", "krw"), row)) for row in
            zip([d["device"] for d in devices], costs, costs * krw_per_usd)]


def cost_minimum_once(workload, devices, krw_per_usd):
    """The per-program minimum charged once for the whole workload, not per circuit."""
    rows = []
    for d in devices:
        cost = usd(workload, d)
        if d["model"] == "per_gate_shot":
            cost -= (workload["circuits"] - 1) * d["minimum_usd"]
        rows.append({"device": d["device"], "usd": cost, "krw": cost * krw_per_usd})
    return rows


# ---------------------------------------------------------------- q3: estimate_hours

def hours(queue=1.0, busy=1 / 3600, shots_per_task=True, overhead=True):
    def estimate_hours(workload, device):
        per_task = (device["task_seconds"] if overhead else 0.0) + (
            workload["shots"] * device["shot_seconds"] if shots_per_task else device["shot_seconds"])
        return device["queue_hours"] * queue + workload["circuits"] * per_task * busy
    return estimate_hours


def hours_in_minutes(workload, device):
    minutes = device["queue_hours"] * 60 + workload["circuits"] * (
        device["task_seconds"] + workload["shots"] * device["shot_seconds"]) / 60
    return minutes / 60


# ---------------------------------------------------------------- q4: run_on_both

def runner(braket, aer):
    def run_on_both(circuit, shots, seed):
        measured = circuit.copy()
        measured.measure_all()
        return {"braket": braket(measured, shots, seed), "aer": aer(measured, shots, seed)}
    return run_on_both


def braket_counts(ns):
    return lambda qc, shots, seed: ns["BRAKET"].run(qc, shots=shots).result().get_counts()


def aer_counts(qc, shots, seed):
    return AerSimulator(seed_simulator=seed).run(qc, shots=shots).result().get_counts()


def aer_sampler_counts(qc, shots, seed):
    """Aer's V2 Sampler primitive, seeded: another correct way to get reproducible counts."""
    return AerSampler(seed=seed).run([qc], shots=shots).result()[0].data.meas.get_counts()


def aer_memory_counts(qc, shots, seed):
    memory = AerSimulator(seed_simulator=seed).run(qc, shots=shots, memory=True).result().get_memory()
    return dict(Counter(memory))


def aer_unseeded(qc, shots, seed):
    return AerSimulator().run(qc, shots=shots).result().get_counts()


def reversed_bits(counter):
    return lambda qc, shots, seed: {k[::-1]: v for k, v in counter(qc, shots, seed).items()}


def as_probabilities(counter):
    return lambda qc, shots, seed: {k: v / shots for k, v in counter(qc, shots, seed).items()}


def fixed_shots(counter, n):
    return lambda qc, shots, seed: counter(qc, n, seed)


def measures_input(ns):
    def run_on_both(circuit, shots, seed):
        circuit.measure_all()
        return {"braket": braket_counts(ns)(circuit, shots, seed), "aer": aer_counts(circuit, shots, seed)}
    return run_on_both


# ---------------------------------------------------------------- q5: total_variation_distance

def tvd(half=True, own_totals=True, keys="union"):
    def total_variation_distance(a, b):
        na, nb = sum(a.values()), sum(b.values())
        if not own_totals:
            na = nb = max(na, nb)
        outcomes = {"union": set(a) | set(b), "first": set(a), "common": set(a) & set(b)}[keys]
        s = sum(abs(a.get(x, 0) / na - b.get(x, 0) / nb) for x in outcomes)
        return s / 2 if half else s
    return total_variation_distance


def tvd_by_max_event(a, b):
    """TVD as the largest difference in probability over events: sum of the positive parts."""
    na, nb = sum(a.values()), sum(b.values())
    return sum(max(a.get(x, 0) / na - b.get(x, 0) / nb, 0.0) for x in set(a) | set(b))


# ---------------------------------------------------------------- q6: choose_device

def booker(ns, pick="cheapest", shots_factor=1.0, check_fidelity=True, check_qubits=True,
           check_deadline=True, none_value=None, key_name="device", cost_of=None):
    def choose_device(workload, devices, budget_usd, deadline_hours):
        shots = int(workload["min_shots"] * shots_factor)
        plan = {**workload, "shots": shots}
        usable = []
        for d in devices:
            if check_qubits and d["qubits"] < workload["qubits"]:
                continue
            if check_fidelity and ns["success_estimate"](workload, d) < workload["min_success"]:
                continue
            cost = (cost_of or usd)(plan, d)
            hours_needed = d["queue_hours"] + plan["circuits"] * (d["task_seconds"] + shots * d["shot_seconds"]) / 3600
            if cost <= budget_usd and (not check_deadline or hours_needed <= deadline_hours):
                usable.append((cost, hours_needed, -ns["success_estimate"](workload, d), d["device"]))
        if not usable:
            return none_value
        order = {"cheapest": 0, "fastest": 1, "most_accurate": 2}[pick]
        return {key_name: min(usable, key=lambda u: u[order])[3], "shots": shots}
    return choose_device


def most_shots_in_budget(ns):
    """The most accurate usable device, with as many shots as budget and deadline allow."""
    def choose_device(workload, devices, budget_usd, deadline_hours):
        best = booker(ns, pick="most_accurate")(workload, devices, budget_usd, deadline_hours)
        if best is None:
            return None
        d = next(x for x in devices if x["device"] == best["device"])
        shots = workload["min_shots"]
        while True:
            plan = {**workload, "shots": shots + 100}
            hours_needed = d["queue_hours"] + plan["circuits"] * (d["task_seconds"] + plan["shots"] * d["shot_seconds"]) / 3600
            if usd(plan, d) > budget_usd or hours_needed > deadline_hours or shots > 50 * workload["min_shots"]:
                return {"device": best["device"], "shots": shots}
            shots += 100
    return choose_device


@pytest.fixture(scope="module")
def solved():
    return SolvedNotebook(ROOT / "source" / AID / f"{AID}.ipynb")


def table(ns):
    correct = {
        "q1-lifecycle-test": {
            "dedup-first": {"first_invalid_step": invalid_by_dedup},
            "legal-pairs": {"first_invalid_step": invalid_by_pairs},
        },
        "q2-cost-test": {
            "numpy-rows": {"estimate_cost": cost_numpy},
            "rows-in-another-order": {"estimate_cost": cost_table(reverse=True)},
        },
        "q3-time-test": {
            "via-minutes": {"estimate_hours": hours_in_minutes},
            "written-out": {"estimate_hours": lambda w, d: d["queue_hours"] + w["circuits"] * d["task_seconds"] / 3600
                            + w["circuits"] * w["shots"] * d["shot_seconds"] / 3600},
        },
        "q4-backends-test": {
            "aer-sampler-v2": {"run_on_both": runner(braket_counts(ns), aer_sampler_counts)},
            "aer-memory": {"run_on_both": runner(braket_counts(ns), aer_memory_counts)},
        },
        "q5-tvd-test": {
            "positive-parts": {"total_variation_distance": tvd_by_max_event},
            "half-l1": {"total_variation_distance": tvd()},
        },
        "q6-choose-test": {
            "most-accurate": {"choose_device": booker(ns, pick="most_accurate")},
            "fastest": {"choose_device": booker(ns, pick="fastest")},
            "most-shots-in-budget": {"choose_device": most_shots_in_budget(ns)},
            # the hint: reuse estimate_cost and read only "usd", so the exchange rate does not matter
            "estimate-cost-at-1400-krw": {"choose_device": booker(
                ns, cost_of=lambda plan, d: ns["estimate_cost"](plan, [d], 1400.0)[0]["usd"])},
        },
    }
    near = {
        # repeats rejected, start not checked, index of the earlier entry, -1 for valid, terminal states left open
        "q1-lifecycle-test": {
            "repeats-rejected": {"first_invalid_step": lifecycle(repeats_ok=False)},
            "start-not-checked": {"first_invalid_step": lifecycle(start=False)},
            "off-by-one": {"first_invalid_step": lifecycle(offset=-1)},
            "minus-one-for-valid": {"first_invalid_step": lifecycle(valid=-1)},
            "terminal-not-final": {"first_invalid_step": lifecycle(terminal_free=True)},
        },
        # task fee forgotten, per-second overhead forgotten, one-qubit gates forgotten, gate prices swapped,
        # KRW divided instead of multiplied, minimum charged once, the rows as tuples
        "q2-cost-test": {
            "no-task-fee": {"estimate_cost": cost_table(task_fee=False)},
            "no-per-second-overhead": {"estimate_cost": cost_table(per_second_overhead=False)},
            "two-qubit-gates-only": {"estimate_cost": cost_table(per_gate="two_only")},
            "gate-prices-swapped": {"estimate_cost": cost_table(per_gate="swapped")},
            "krw-off-by-rate-squared": {"estimate_cost": lambda w, ds, r: [
                {"device": d["device"], "usd": usd(w, d), "krw": usd(w, d) / r} for d in ds]},
            "minimum-once": {"estimate_cost": cost_minimum_once},
            "rows-as-tuples": {"estimate_cost": lambda w, ds, r: [(d["device"], usd(w, d), usd(w, d) * r) for d in ds]},
        },
        # seconds not converted, converted by 60, queue forgotten, overhead forgotten, shots not multiplied
        "q3-time-test": {
            "seconds-not-converted": {"estimate_hours": hours(busy=1.0)},
            "divided-by-60": {"estimate_hours": hours(busy=1 / 60)},
            "queue-forgotten": {"estimate_hours": hours(queue=0.0)},
            "overhead-forgotten": {"estimate_hours": hours(overhead=False)},
            "one-shot-per-task": {"estimate_hours": hours(shots_per_task=False)},
        },
        # bit order reversed (Braket or Aer), Aer unseeded, probabilities instead of counts, wrong shots,
        # the caller's circuit measured in place
        "q4-backends-test": {
            "braket-bits-reversed": {"run_on_both": runner(reversed_bits(braket_counts(ns)), aer_counts)},
            "aer-bits-reversed": {"run_on_both": runner(braket_counts(ns), reversed_bits(aer_counts))},
            "aer-unseeded": {"run_on_both": runner(braket_counts(ns), aer_unseeded)},
            "probabilities": {"run_on_both": runner(braket_counts(ns), as_probabilities(aer_counts))},
            "fixed-1024-shots": {"run_on_both": runner(fixed_shots(braket_counts(ns), 1024), aer_counts)},
            "measures-the-input": {"run_on_both": measures_input(ns)},
        },
        # no factor 1/2, one common total, only the first set's keys, only common keys
        "q5-tvd-test": {
            "no-half": {"total_variation_distance": tvd(half=False)},
            "one-total": {"total_variation_distance": tvd(own_totals=False)},
            "first-keys-only": {"total_variation_distance": tvd(keys="first")},
            "common-keys-only": {"total_variation_distance": tvd(keys="common")},
        },
        # fidelity, qubits or deadline ignored, too few shots, an empty dict instead of None, another key name
        "q6-choose-test": {
            "fidelity-ignored": {"choose_device": booker(ns, check_fidelity=False)},
            "qubits-ignored": {"choose_device": booker(ns, check_qubits=False)},
            "deadline-ignored": {"choose_device": booker(ns, check_deadline=False)},
            "half-the-shots": {"choose_device": booker(ns, shots_factor=0.5)},
            "empty-dict-for-none": {"choose_device": booker(ns, none_value={})},
            "key-name": {"choose_device": booker(ns, key_name="name")},
        },
    }
    return correct, near


def cases(which, with_reference=False):
    # the substitutes need the notebook namespace (BRAKET, success_estimate): resolve lazily by label
    correct, near = table({})
    src = correct if which == "correct" else near
    params = []
    for grade_id, answers in src.items():
        labels = (["reference"] if with_reference else []) + list(answers)
        cell = grade_id.removesuffix("-test")
        params += [pytest.param(grade_id, label, id=f"{cell}:{label}") for label in labels]
    return params



def substitutes(solved, which, grade_id, label):
    if label == "reference":
        return {}
    correct, near = table(solved.namespace)
    return (correct if which == "correct" else near)[grade_id][label]


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


@pytest.mark.parametrize("grade_id, label", cases("correct", with_reference=True))
def test_correct_answer_passes(solved, student, grade_id, label):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solved.run_test(grade_id, substitutes(solved, "correct", grade_id, label))


@pytest.mark.parametrize("grade_id, label", cases("near"))
def test_near_miss_fails_a_check(solved, student, grade_id, label):
    with pytest.raises(AssertionError):
        solved.run_test(grade_id, substitutes(solved, "near", grade_id, label))


# ---------------------------------------------------------------- named mistakes (visible tests)

NOTEBOOK = ROOT / "source" / AID / f"{AID}.ipynb"


class _NotebookNames(dict):
    """The solved notebook's names (BRAKET, success_estimate), looked up when a substitute runs."""
    def __getitem__(self, name):
        return solved_notebook(NOTEBOOK).namespace[name]


NS = _NotebookNames()


def cost_rounded(workload, devices, krw_per_usd):
    return [{"device": r["device"], "usd": round(r["usd"], 2), "krw": round(r["krw"])}
            for r in cost_table()(workload, devices, krw_per_usd)]


class TestNamedMistakes(AnswerTable):
    """The mistakes q10's text warns about fail the release's visible tests with a message that
    names them."""
    notebook = NOTEBOOK
    named_mistakes = {
        "q1-lifecycle-test": {
            "off-by-one": ({"first_invalid_step": lifecycle(offset=-1)}, "the index of the earlier entry"),
            "repeats-rejected": ({"first_invalid_step": lifecycle(repeats_ok=False)},
                                 "a repeated state treated as a transition"),
            "minus-one-for-valid": ({"first_invalid_step": lifecycle(valid=-1)}, "-1 for a valid log"),
            "terminal-not-final": ({"first_invalid_step": lifecycle(terminal_free=True)},
                                   "a state after a terminal state accepted"),
            "start-not-checked": ({"first_invalid_step": lifecycle(start=False)}, "must start at CREATED"),
        },
        "q2-cost-test": {
            "minimum-once": ({"estimate_cost": cost_minimum_once}, "the per-program minimum charged once"),
            "no-task-fee": ({"estimate_cost": cost_table(task_fee=False)}, "the task fee forgotten"),
            "no-per-second-overhead": ({"estimate_cost": cost_table(per_second_overhead=False)},
                                       "the per-task seconds forgotten"),
            "gate-prices-swapped": ({"estimate_cost": cost_table(per_gate="swapped")}, "gate prices swapped"),
            "krw-divided": ({"estimate_cost": lambda w, ds, r: [
                {"device": d["device"], "usd": usd(w, d), "krw": usd(w, d) / r} for d in ds]},
                "KRW divided by the exchange rate"),
            "rounded": ({"estimate_cost": cost_rounded}, "rounded results"),
        },
        "q3-time-test": {
            "seconds-not-converted": ({"estimate_hours": hours(busy=1.0)}, "left in seconds"),
            "divided-by-60": ({"estimate_hours": hours(busy=1 / 60)}, "divided by 60"),
            "queue-forgotten": ({"estimate_hours": hours(queue=0.0)}, "the queue forgotten"),
            "overhead-forgotten": ({"estimate_hours": hours(overhead=False)}, "the per-task overhead forgotten"),
            "one-shot-per-task": ({"estimate_hours": hours(shots_per_task=False)}, "counted once per circuit"),
        },
        "q4-backends-test": {
            "braket-bits-reversed": ({"run_on_both": runner(reversed_bits(braket_counts(NS)), aer_counts)},
                                     "bitstrings reversed"),
            "aer-bits-reversed": ({"run_on_both": runner(braket_counts(NS), reversed_bits(aer_counts))},
                                  "bitstrings reversed"),
            "measures-the-input": ({"run_on_both": measures_input(NS)}, "applied to the caller's circuit"),
            "aer-unseeded": ({"run_on_both": runner(braket_counts(NS), aer_unseeded)}, "seed"),
        },
        "q5-tvd-test": {
            "no-half": ({"total_variation_distance": tvd(half=False)}, "the factor 1/2 forgotten"),
            "first-keys-only": ({"total_variation_distance": tvd(keys="first")}, "only some outcomes summed"),
            "common-keys-only": ({"total_variation_distance": tvd(keys="common")}, "only some outcomes summed"),
            "one-total": ({"total_variation_distance": tvd(own_totals=False)}, "divide each set by its own total"),
        },
        "q6-choose-test": {
            "fidelity-ignored": ({"choose_device": booker(NS, check_fidelity=False)}, "below min_success"),
            "qubits-ignored": ({"choose_device": booker(NS, check_qubits=False)}, "fewer than the 30 needed"),
            "deadline-ignored": ({"choose_device": booker(NS, check_deadline=False)}, "after the deadline"),
            "half-the-shots": ({"choose_device": booker(NS, shots_factor=0.5)}, "fewer than min_shots"),
            "empty-dict-for-none": ({"choose_device": booker(NS, none_value={})},
                                    'exactly the keys "device" and "shots" (or None)'),
        },
    }
