"""dc07-capacity: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced. A correct answer must pass without a warning; a near miss must fail a
check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import math

import numpy as np

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "dc07-capacity"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant
CAPACITY_RPM = 600


# --- q1 / q2: Erlang C ----------------------------------------------------------------------

def erlang_c_terms(c, a):
    """Erlang C through P0 with the terms a^k/k! built one by one (no big powers)."""
    term, head = 1.0, 0.0
    for k in range(c):
        head += term
        term *= a / (k + 1)
    tail = term * c / (c - a)
    return tail / (head + tail)


def erlang_c_log(c, a):
    logs = np.array([k * math.log(a) - math.lgamma(k + 1) for k in range(c)])
    tail = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    top = max(logs.max(), tail)
    return np.float64(math.exp(tail - top) / (np.exp(logs - top).sum() + math.exp(tail - top)))


def erlang_b(c, a):
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c_rec(c, a):
    b = erlang_b(c, a)
    return c * b / (c - a * (1 - b))


def tail(c, lam, mu, t, erlang=erlang_c_rec):
    return erlang(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def search_from(start, stop_when=lambda c, lam, mu, t, x: tail(c, lam, mu, t) <= x, step=0):
    def servers_needed(lam, mu, t, x):
        c = start(lam / mu)
        while not stop_when(c, lam, mu, t, x):
            c += 1
        return c + step
    return servers_needed


def bisect_servers(lam, mu, t, x):
    """Bisection over c (the tail falls monotonically once c > a)."""
    lo = math.floor(lam / mu) + 1
    hi = lo
    while tail(hi, lam, mu, t, erlang_c_terms) > x:
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if tail(mid, lam, mu, t, erlang_c_terms) <= x:
            hi = mid
        else:
            lo = mid + 1
    return np.int64(lo)


# --- q3: packings ---------------------------------------------------------------------------

def packer(key=None, best=False, check_gib=True, as_tuples=False):
    def pack(vms, host_vcpu, host_gib):
        order = sorted(vms, key=lambda v: key(v, host_vcpu, host_gib), reverse=True) if key else list(vms)
        hosts = []
        for name, c, g in order:
            room = [h for h in hosts if h[0] + c <= host_vcpu and (not check_gib or h[1] + g <= host_gib)]
            if best and room:
                room.sort(key=lambda h: (host_vcpu - h[0] - c) / host_vcpu + (host_gib - h[1] - g) / host_gib)
            if room:
                h = room[0]
            else:
                h = [0, 0, []]
                hosts.append(h)
            h[0] += c
            h[1] += g
            h[2].append(name)
        return [tuple(h[2]) if as_tuples else h[2] for h in hosts]
    return pack


larger_share = lambda v, hc, hg: max(v[1] / hc, v[2] / hg)
sum_of_shares = lambda v, hc, hg: v[1] / hc + v[2] / hg
by_vcpu = lambda v, hc, hg: (v[1], v[2])


def one_per_host(vms, host_vcpu, host_gib):
    return [[name] for name, _, _ in vms]


def sizes_not_names(vms, host_vcpu, host_gib):
    return [[(c, g) for _, c, g in host_vms]
            for host_vms in _group(packer(larger_share)(vms, host_vcpu, host_gib), vms)]


def _group(hosts, vms):
    by_name = {v[0]: v for v in vms}
    return [[by_name[n] for n in h] for h in hosts]


def one_vm_dropped(vms, host_vcpu, host_gib):
    hosts = packer(larger_share)(vms, host_vcpu, host_gib)
    return [h[1:] if i == 0 else h for i, h in enumerate(hosts)]


def one_vm_twice(vms, host_vcpu, host_gib):
    hosts = packer(larger_share)(vms, host_vcpu, host_gib)
    return hosts + [[hosts[0][0]]] if hosts else [["ghost"]]


# --- q4: autoscaling policies ---------------------------------------------------------------

def target_tracking(target, cooldown=10, look=3):
    def policy(history, servers, state):
        want = math.ceil(max(history[-look:]) / (CAPACITY_RPM * target))
        if want > servers:
            state["last_out"] = len(history)
            return want
        if len(history) - state.get("last_out", -cooldown) < cooldown:
            return servers
        return want
    return policy


def step_scaling(history, servers, state):
    """Step scaling: +30 % above 70 % utilisation, -1 server below 45 % after a cooldown."""
    util = history[-1] / (CAPACITY_RPM * max(servers, 1))
    now = len(history)
    if util > 0.7:
        state["last"] = now
        return max(servers + 1, math.ceil(servers * 1.3))
    if util < 0.45 and now - state.get("last", -5) >= 5:
        state["last"] = now
        return servers - 1
    return servers


def trend_policy(history, servers, state):
    """Extrapolate the last 10 minutes' trend 5 minutes ahead, aim at 75 %."""
    recent = np.asarray(history[-10:], dtype=float)
    slope = np.polyfit(np.arange(len(recent)), recent, 1)[0] if len(recent) > 1 else 0.0
    ahead = max(recent[-3:].max(), recent[-1] + 5 * slope)
    return np.int64(math.ceil(ahead / (CAPACITY_RPM * 0.75)))


def fixed(n):
    return lambda history, servers, state: n


# --- q5: dispatchers ------------------------------------------------------------------------

def two_with_replacement(loads, rng):
    """Two independent draws: sometimes the same server twice (the text names it a mistake)."""
    i, j = rng.integers(len(loads)), rng.integers(len(loads))
    return i if loads[i] <= loads[j] else j


def two_distinct_offset(loads, rng):
    n = len(loads)
    i = int(rng.integers(n))
    j = (i + 1 + int(rng.integers(n - 1))) % n
    return j if loads[j] <= loads[i] else i


def least_connections(loads, rng):
    return int(np.argmin(np.asarray(loads)))


def one_random(loads, rng):
    return int(rng.integers(len(loads)))


def more_loaded_of_two(loads, rng):
    i, j = rng.choice(len(loads), 2, replace=False)
    return int(i) if loads[i] >= loads[j] else int(j)


def three_choices(loads, rng):
    picks = rng.choice(len(loads), min(3, len(loads)), replace=False)
    return int(min(picks, key=lambda k: loads[k]))


def float_index(loads, rng):
    i, j = rng.choice(len(loads), 2, replace=False)
    return float(i if loads[i] <= loads[j] else j)


def round_robin_plain():
    turn = [0]
    def dispatch(loads, rng):
        turn[0] += 1
        return (turn[0] - 1) % len(loads)
    return dispatch


CORRECT = {
    "q1-erlang-c-test": {
        "terms-one-by-one": {"erlang_c": erlang_c_terms,
                             "mean_wait": lambda lam, mu, c: erlang_c_terms(c, lam / mu) / (c * mu - lam)},
        "log-space-numpy": {"erlang_c": erlang_c_log,
                            "mean_wait": lambda lam, mu, c: erlang_c_log(c, lam / mu) / mu / (c - lam / mu)},
    },
    "q2-servers-needed-test": {
        "bisection-numpy-int": {"servers_needed": bisect_servers},
        "ceil-start": {"servers_needed": search_from(lambda a: math.ceil(a) if math.ceil(a) > a else int(a) + 1)},
        "log-tail": {"servers_needed": search_from(
            lambda a: int(a) + 1,
            lambda c, lam, mu, t, x: math.log(erlang_c_rec(c, lam / mu)) - (c * mu - lam) * t <= math.log(x))},
    },
    "q3-pack-test": {
        "ffd-sum-of-shares": {"pack": packer(sum_of_shares)},
        "best-fit-decreasing": {"pack": packer(larger_share, best=True)},
        "ffd-by-vcpu-tuples": {"pack": packer(by_vcpu, as_tuples=True)},
    },
    "q4-policy-test": {
        "target-60-cooldown-5": {"policy": target_tracking(0.60, cooldown=5)},
        "target-75-last-minute": {"policy": target_tracking(0.75, cooldown=10, look=1)},
        "step-scaling": {"policy": step_scaling},
        "trend-extrapolation": {"policy": trend_policy},
    },
    "q5-two-choices-test": {
        "distinct-by-offset-tie-to-second": {"two_choices": two_distinct_offset},
        "permutation-numpy-ints": {"two_choices": lambda loads, rng: (lambda i, j: i if loads[i] <= loads[j] else j)(
            *rng.permutation(len(loads))[:2])},
    },
}

NEAR_MISSES = {
    "q1-erlang-c-test": {
        "rho-to-the-c": {"erlang_c": lambda c, a: (a / c) ** c,
                         "mean_wait": lambda lam, mu, c: (lam / mu / c) ** c / (c * mu - lam)},
        "erlang-b-not-c": {"erlang_c": erlang_b,
                           "mean_wait": lambda lam, mu, c: erlang_b(c, lam / mu) / (c * mu - lam)},
        "wait-in-service-times": {"erlang_c": erlang_c_rec,
                                  "mean_wait": lambda lam, mu, c: erlang_c_rec(c, lam / mu) / (c - lam / mu)},
        "response-not-wait": {"erlang_c": erlang_c_rec,
                              "mean_wait": lambda lam, mu, c: erlang_c_rec(c, lam / mu) / (c * mu - lam) + 1 / mu},
    },
    "q2-servers-needed-test": {
        "one-too-many": {"servers_needed": search_from(lambda a: int(a) + 1, step=1)},
        "one-too-few": {"servers_needed": search_from(lambda a: int(a) + 1, step=-1)},
        "ignores-t": {"servers_needed": search_from(
            lambda a: int(a) + 1, lambda c, lam, mu, t, x: erlang_c_rec(c, lam / mu) <= x)},
        "t-taken-as-ms": {"servers_needed": search_from(
            lambda a: int(a) + 1, lambda c, lam, mu, t, x: tail(c, lam, mu, 1000 * t) <= x)},
        "mean-wait-below-t": {"servers_needed": search_from(
            lambda a: int(a) + 1, lambda c, lam, mu, t, x: erlang_c_rec(c, lam / mu) / (c * mu - lam) <= t)},
    },
    "q3-pack-test": {
        "vcpu-only": {"pack": packer(larger_share, check_gib=False)},
        "arrival-order-first-fit": {"pack": packer()},
        "one-vm-per-host": {"pack": one_per_host},
        "sizes-not-names": {"pack": sizes_not_names},
        "one-vm-dropped": {"pack": one_vm_dropped},
        "one-vm-twice": {"pack": one_vm_twice},
    },
    "q4-policy-test": {
        "fixed-for-average": {"policy": fixed(16)},
        "fixed-for-peak": {"policy": fixed(40)},
        "no-headroom": {"policy": target_tracking(1.0, cooldown=0, look=1)},
        "far-too-much-headroom": {"policy": target_tracking(0.4)},
        "hourly-not-per-minute": {"policy": lambda h, s, st: math.ceil(max(h[-3:]) / 60 / 0.65)},
    },
    "q5-two-choices-test": {
        "least-connections-reads-all": {"two_choices": least_connections},
        "same-server-twice": {"two_choices": two_with_replacement},
        "one-random-server": {"two_choices": one_random},
        "more-loaded-of-two": {"two_choices": more_loaded_of_two},
        "three-choices": {"two_choices": three_choices},
        "float-index": {"two_choices": float_index},
        "round-robin": {"two_choices": round_robin_plain()},
    },
}


def erlang_c_direct(c, a):
    """The textbook formula with float powers and factorials: it overflows for large c."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def q1(erlang=erlang_c_rec, mean_wait=None):
    return {"erlang_c": erlang,
            "mean_wait": mean_wait or (lambda lam, mu, c: erlang(c, lam / mu) / (c * mu - lam))}


# The mistakes the module's text warns about: each fails a visible test (release) whose message
# names it. {grade_id: {label: (substitutes, words the message must contain), or the words
# alone for the near miss of the same label}}
NAMED_MISTAKES = {
    "q1-erlang-c-test": {
        "erlang-b-not-c": "Erlang B returned",
        "direct-formula-overflows": (q1(erlang_c_direct), "overflows a float"),
        "wait-in-service-times": "divided by (c − a)",
        "response-not-wait": "response time",
        "load-inverted": (q1(mean_wait=lambda lam, mu, c: erlang_c_rec(c, mu / lam) / (c * mu - lam)), "μ/λ"),
    },
    "q2-servers-needed-test": {
        "not-above-a": ({"servers_needed": lambda lam, mu, t, x: math.floor(lam / mu)}, "stable only with c > a"),
        "one-too-many": "one server more",
        "one-too-few": "does not meet the SLO returned",
        "ignores-t": "t ignored",
        "t-taken-as-ms": "already in seconds",
        "mean-wait-below-t": "not on the mean",
    },
    "q3-pack-test": {
        "vcpu-only": "GiB",
        "arrival-order-first-fit": "rule 3",
        "one-vm-per-host": "rule 3",
        "sizes-not-names": "a list of VM names",
        "one-vm-dropped": "not placed",
        "one-vm-twice": "more than once",
    },
    "q4-policy-test": {
        "fixed-for-average": "rule 1",
        "fixed-for-peak": "rule 2",
        "no-headroom": "rule 1",
        "far-too-much-headroom": "rule 2",
    },
    "q5-two-choices-test": {
        "least-connections-reads-all": "read the loads of 8 servers",
        "float-index": "not a server index",
        "more-loaded-of-two": "picked too rarely",
        "one-random-server": "picked too rarely",
        "same-server-twice": "the same server was drawn twice",
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES
