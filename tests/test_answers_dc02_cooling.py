"""dc02-cooling's test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced, under the public variant and two students' variants.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "dc02-cooling"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


def kahn(steps, rules):
    """Topological sort by Kahn's algorithm with a queue (a different valid order)."""
    indeg = {s: 0 for s in steps}
    for _, b in rules:
        indeg[b] += 1
    queue, order = deque(s for s in steps if indeg[s] == 0), []
    while queue:
        s = queue.popleft()
        order.append(s)
        for a, b in rules:
            if a == s:
                indeg[b] -= 1
                if indeg[b] == 0:
                    queue.append(b)
    return order


def dfs_order(steps, rules):
    """Topological sort by depth-first search on predecessors, last steps tried first."""
    seen, order = set(), []
    def visit(s):
        if s in seen:
            return
        seen.add(s)
        for a, b in rules:
            if b == s:
                visit(a)
        order.append(s)
    for s in reversed(list(steps)):
        visit(s)
    return tuple(order)


def by_rank(steps, rules):
    """Sort by longest chain of predecessors (steps of equal rank in reverse name order)."""
    rank = {}
    def r(s):
        if s not in rank:
            rank[s] = 1 + max((r(a) for a, b in rules if b == s), default=0)
        return rank[s]
    return sorted(steps, key=lambda s: (r(s), [-ord(c) for c in s]))


def one_swap(steps, rules):
    order = kahn(steps, rules)
    for a, b in rules:
        i, j = order.index(a), order.index(b)
        if j == i + 1:
            order[i], order[j] = order[j], order[i]
            return order
    return order[::-1]


CORRECT = {
    "q1-heat-load-test": {
        "via-kw-per-ton": {"heat_load": lambda w: (w * 3.412, w / 1000 / 3.5168)},
        "numpy-array": {"heat_load": lambda w: np.array([w * 3.41214, w * 3.41214 / 12000])},
        "list": {"heat_load": lambda w: [w / 0.29307, w / 0.29307 / 12000]},
    },
    "q2-rack-cfm-test": {
        "si-form": {"rack_cfm": lambda w, dt: w / (1.2 * 1005 * dt) / 0.000471947},
        "fahrenheit-via-temperatures": {"rack_cfm": lambda w, dt: 3.16 * w / ((dt * 9 / 5 + 32) - 32)},
    },
    "q3-violations-test": {
        "list-of-lists": {"violations": lambda log, lo, hi: [[r["sensor"], r["hour"]] for r in log
                                                             if r["inlet_c"] < lo or r["inlet_c"] > hi]},
        "numpy-mask-with-duplicates": {"violations": lambda log, lo, hi: [
            (r["sensor"], np.int64(r["hour"])) for r in log + log
            if not (np.float64(lo) <= r["inlet_c"] <= np.float64(hi))]},
    },
    "q4-containment-test": {
        "rearranged": {"inlet_temperature": lambda s, e, f: s + f * (e - s),
                       "max_supply_c": lambda e, f, lim: lim - f * (e - lim) / (1 - f)},
        "numpy-interp": {"inlet_temperature": lambda s, e, f: float(np.interp(f, [0, 1], [s, e])),
                         "max_supply_c": lambda e, f, lim: float(np.float64(lim - f * e) / (1 - f))},
    },
    "q5-procedure-test": {
        "kahn-queue": {"procedure": kahn},
        "dfs-tuple": {"procedure": dfs_order},
        "by-rank": {"procedure": by_rank},
    },
}

NEAR_MISSES = {
    "q1-heat-load-test": {
        "tons-from-watts": {"heat_load": lambda w: (w * 3.412, w / 12000)},
        "kw-not-w": {"heat_load": lambda w: (w / 1000 * 3.412, w / 1000 * 3.412 / 12000)},
        "swapped": {"heat_load": lambda w: (w * 3.412 / 12000, w * 3.412)},
        "tons-as-3517-w": {"heat_load": lambda w: (w * 3.412, w / 3517 * 1000)},
    },
    "q2-rack-cfm-test": {
        "celsius-rise": {"rack_cfm": lambda w, dt: 3.16 * w / dt},
        "plus-32": {"rack_cfm": lambda w, dt: 3.16 * w / (1.8 * dt + 32)},
        "multiplied": {"rack_cfm": lambda w, dt: 3.16 * w * 1.8 * dt / 100},
        "m3-per-s": {"rack_cfm": lambda w, dt: w / (1.2 * 1005 * dt)},
    },
    "q3-violations-test": {
        "strict-bounds": {"violations": lambda log, lo, hi: {(r["sensor"], r["hour"]) for r in log
                                                             if not lo < r["inlet_c"] < hi}},
        "only-hot": {"violations": lambda log, lo, hi: {(r["sensor"], r["hour"]) for r in log if r["inlet_c"] > hi}},
        "hour-first": {"violations": lambda log, lo, hi: {(r["hour"], r["sensor"]) for r in log
                                                          if not lo <= r["inlet_c"] <= hi}},
        "sensor-ids-only": {"violations": lambda log, lo, hi: {r["sensor"] for r in log
                                                               if not lo <= r["inlet_c"] <= hi}},
    },
    "q4-containment-test": {
        "f-on-supply": {"inlet_temperature": lambda s, e, f: f * s + (1 - f) * e,
                        "max_supply_c": lambda e, f, lim: (lim - f * e) / (1 - f)},
        "forgot-divide": {"inlet_temperature": lambda s, e, f: (1 - f) * s + f * e,
                          "max_supply_c": lambda e, f, lim: lim - f * e},
        "ignores-recirculation": {"inlet_temperature": lambda s, e, f: (1 - f) * s + f * e,
                                  "max_supply_c": lambda e, f, lim: lim},
    },
    "q5-procedure-test": {
        "input-order": {"procedure": lambda steps, rules: list(steps)},
        "one-rule-broken": {"procedure": one_swap},
        "step-dropped": {"procedure": lambda steps, rules: kahn(steps, rules)[:-1]},
        "step-doubled": {"procedure": lambda steps, rules: kahn(steps, rules) + kahn(steps, rules)[:1]},
        "reversed": {"procedure": lambda steps, rules: kahn(steps, rules)[::-1]},
    },
}


# The mistakes the module's text warns about: each fails a visible test (release) whose message
# names it. {grade_id: {label: (substitutes, words the message must contain), or the words
# alone for the near miss of the same label}}
NAMED_MISTAKES = {
    "q1-heat-load-test": {
        "japanese-ton": ({"heat_load": lambda w: (w * 3.412, w / 3861.16)}, "Japanese refrigeration tons"),
        "tons-from-watts": "watts divided by 12,000",
        "kw-not-w": "divided by 1,000 first",
        "tons-as-3517-w": "W / 3.517",
        "swapped": "wrong order",
    },
    "q2-rack-cfm-test": {
        "celsius-rise": "rise used in °C",
        "plus-32": "+32 added to a temperature difference",
        "divided-by-1.8": ({"rack_cfm": lambda w, dt: 3.16 * w / (dt / 1.8)}, "divided by 1.8"),
    },
    "q3-violations-test": {
        "strict-bounds": "end points counted as outside",
        "only-hot": "too cold is a violation too",
        "only-cold": ({"violations": lambda log, lo, hi: {(r["sensor"], r["hour"]) for r in log
                                                          if r["inlet_c"] < lo}}, "too hot is a violation too"),
        "hour-first": "(hour, sensor) pairs",
        "sensor-ids-only": "only the sensor names",
    },
    "q4-containment-test": {
        "f-on-supply": "f applied to the supply air",
        "forgot-divide": "not divided out",
        "ignores-recirculation": "recirculation ignored",
    },
    "q5-procedure-test": {
        "input-order": "'a' must come before 'b'",
        "one-rule-broken": "must come before",
        "step-dropped": "every step exactly once",
        "step-doubled": "every step exactly once",
        "hard-coded": ({"procedure": lambda steps, rules: ["identify", "notify", "shutdown", "isolate", "lock_tag",
                                                            "release", "verify", "strap_on", "strap_test", "mat",
                                                            "replace"]}, "every step exactly once"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES
