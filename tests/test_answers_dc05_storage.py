"""dc05-storage's test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced, under the public variant and two students' variants.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "dc05-storage"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


# --- exercise 1: RAID table --------------------------------------------------------------

def raid_by_fraction(n, c):
    """Usable = raw × (data fraction), NumPy numbers, rows in reverse order, as tuples of pairs."""
    raw = np.float64(n) * c
    rows = [("RAID10", raw / 2, np.int64(1)), ("RAID6", raw * (n - 2) / n, np.int64(2)),
            ("RAID5", raw * (n - 1) / n, np.int64(1)), ("RAID1", raw / n, np.int64(n - 1)),
            ("RAID0", raw, np.int64(0))]
    return tuple({"level": lv, "usable_tb": u, "failures_tolerated": f} for lv, u, f in rows)


def raid_with_loop(n, c):
    out = []
    for level, parity in (("RAID0", 0), ("RAID5", 1), ("RAID6", 2)):
        out.append({"level": level, "usable_tb": float((n - parity) * c), "failures_tolerated": parity})
    out.insert(1, {"level": "RAID1", "usable_tb": float(c), "failures_tolerated": n - 1})
    out.append({"level": "RAID10", "usable_tb": n * c / 2.0, "failures_tolerated": 1})
    return out


def raid_tweak(level, column, value):
    """The reference table with one cell replaced by value(n, c)."""
    def table(n, c):
        rows = raid_with_loop(n, c)
        for r in rows:
            if r["level"] == level:
                r[column] = value(n, c)
        return rows
    return table


# --- exercise 3: erasure coding ----------------------------------------------------------

def loss_scipy(k, m, afr, hours):
    p = -np.expm1(-afr * hours / 8760)
    tail = stats.binom.sf(m, k + m, p)          # P(X > m)
    return float(-np.expm1(8760 / hours * np.log1p(-tail)))


def loss_complement(k, m, afr, hours):
    p = 1 - math.exp(-afr * hours / 8760)
    n = k + m
    keep = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(0, m + 1))
    return 1 - (1 - (1 - keep)) ** (8760 / hours)


def loss_variant(lower, windows, p_of):
    """The model with the tail starting at `lower(m)`, `windows(T)` windows a year and p_of(afr, T)."""
    def f(k, m, afr, hours):
        n, p = k + m, p_of(afr, hours)
        tail = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(lower(m), n + 1))
        return 1 - (1 - tail) ** windows(hours)
    return f


EXP_P = lambda afr, hours: 1 - math.exp(-afr * hours / 8760)   # noqa: E731


# --- exercise 4: SMART triage ------------------------------------------------------------

def triage_lists(rows, limit):
    replace = [r["drive"] for r in rows
               if r["smart_187"] or r["smart_198"] or not r["smart_5"] <= limit]
    watch = [r["drive"] for r in rows if r["drive"] not in replace
             and (r["smart_5"] > 0 or r["smart_197"] > 0)]
    return {"watch": watch, "replace": replace + replace[:1]}   # a duplicate does not matter


def triage_rank(rows, limit):
    """Score each drive: 2 = replace, 1 = watch, 0 = healthy; then group."""
    def score(r):
        if max(r["smart_187"], r["smart_198"]) > 0 or r["smart_5"] - limit > 0:
            return 2
        return 1 if r["smart_5"] + r["smart_197"] > 0 else 0
    scores = {r["drive"]: score(r) for r in rows}
    return {"replace": {d for d, s in scores.items() if s == 2},
            "watch": frozenset(d for d, s in scores.items() if s == 1)}


def triage_rule(replace_if, watch_if):
    def triage(rows, limit):
        replace = {r["drive"] for r in rows if replace_if(r, limit)}
        return {"replace": replace,
                "watch": {r["drive"] for r in rows if watch_if(r, limit) and r["drive"] not in replace}}
    return triage


REPLACE = lambda r, lim: r["smart_187"] > 0 or r["smart_198"] > 0 or r["smart_5"] > lim  # noqa: E731
WATCH = lambda r, lim: r["smart_5"] > 0 or r["smart_197"] > 0                              # noqa: E731


# --- exercise 5: layout ------------------------------------------------------------------

def layout_search(order, pick, as_float=False, ignore=()):
    """Search every (k, m) in `order`, keep the candidate `pick` prefers; rules in `ignore`
    are skipped (for near misses)."""
    def choose(nodes, raw, need, mf, max_loss, afr, hours):
        good = []
        for k, m in order(nodes, mf):
            if "nodes" not in ignore and k + m > nodes:
                continue
            if "capacity" not in ignore and raw * k / (k + m) < need:
                continue
            if "loss" not in ignore and loss_scipy(k, m, afr, hours) > max_loss:
                continue
            good.append((k, m))
        if not good:
            return None
        k, m = pick(good)
        return {"k": float(k), "m": float(m)} if as_float else {"m": m, "k": k}
    return choose


def grid(nodes, mf):
    return [(k, m) for k in range(1, nodes + 1) for m in range(mf, nodes - k + 1)]


def big_grid(nodes, mf):                       # ignores the node count
    return [(k, m) for k in range(1, 3 * nodes) for m in range(mf, 3 * nodes)]


CORRECT = {
    "q1-raid-table-test": {
        "fraction-of-raw-numpy-tuple": {"raid_table": raid_by_fraction},
        "loop-floats": {"raid_table": raid_with_loop},
    },
    "q2-rebuild-test": {
        "seconds-then-hours-and-power-form": {
            "rebuild_hours": lambda tb, r: (tb * 10**12) / (r * 10**6) / 60 / 60,
            "p_second_failure": lambda n, afr, h: 1 - (1 - afr / 8760) ** (n * h),
            "p_ure": lambda tb, u: float(-np.expm1(tb * 8e12 * np.log1p(-u)))},
        "year-of-8766-hours-and-expm1": {
            "rebuild_hours": lambda tb, r: tb * 1e6 / r / 3600,
            "p_second_failure": lambda n, afr, h: -math.expm1(-n * afr * h / 8766),
            "p_ure": lambda tb, u: -math.expm1(-(tb * 1e12) * 8 * u)},
    },
    "q3-erasure-test": {
        "scipy-binom-sf": {"ec_overhead": lambda k, m: m / k * 100, "annual_loss": loss_scipy},
        "complement-and-ratio": {"ec_overhead": lambda k, m: ((k + m) / k - 1) * 100,
                                 "annual_loss": loss_complement},
    },
    "q4-triage-test": {
        "lists-with-duplicates": {"triage": triage_lists},
        "scores-frozenset": {"triage": triage_rank},
    },
    "q5-layout-test": {
        "least-overhead-floats": {"choose_layout": layout_search(grid, lambda g: min(g, key=lambda x: x[1] / x[0]),
                                                                 as_float=True)},
        "safest": {"choose_layout": layout_search(grid, lambda g: max(g, key=lambda x: (x[1], -x[0])))},
        "first-found-k-descending": {"choose_layout": layout_search(lambda n, mf: grid(n, mf)[::-1],
                                                                    lambda g: g[0])},
    },
}

NEAR_MISSES = {
    "q1-raid-table-test": {
        "raid10-best-case": {"raid_table": raid_tweak("RAID10", "failures_tolerated", lambda n, c: n // 2)},
        "raid1-as-pairs": {"raid_table": raid_tweak("RAID1", "usable_tb", lambda n, c: n * c / 2)},
        "raid6-one-parity": {"raid_table": raid_tweak("RAID6", "usable_tb", lambda n, c: (n - 1) * c)},
        "raid1-tolerates-one": {"raid_table": raid_tweak("RAID1", "failures_tolerated", lambda n, c: 1)},
        "tib": {"raid_table": lambda n, c: [dict(r, usable_tb=r["usable_tb"] * 1e12 / 2**40)
                                            for r in raid_with_loop(n, c)]},
        "spaced-names": {"raid_table": lambda n, c: [dict(r, level=r["level"].replace("RAID", "RAID "))
                                                     for r in raid_with_loop(n, c)]},
        "raid0-missing": {"raid_table": lambda n, c: raid_with_loop(n, c)[1:]},
    },
    "q2-rebuild-test": {
        "seconds": {"rebuild_hours": lambda tb, r: tb * 1e12 / (r * 1e6)},
        "binary-units": {"rebuild_hours": lambda tb, r: tb * 2**40 / (r * 2**20) / 3600},
        "linear-approximation": {"p_second_failure": lambda n, afr, h: n * afr * h / 8760},
        "one-drive-only": {"p_second_failure": lambda n, afr, h: 1 - math.exp(-afr * h / 8760)},
        "n-plus-one": {"p_second_failure": lambda n, afr, h: 1 - math.exp(-(n + 1) * afr * h / 8760)},
        "bytes-not-bits": {"p_ure": lambda tb, u: 1 - math.exp(-tb * 1e12 * u)},
        "ure-linear": {"p_ure": lambda tb, u: tb * 8e12 * u},
    },
    "q3-erasure-test": {
        "at-least-m": {"annual_loss": loss_variant(lambda m: m, lambda h: 8760 / h, EXP_P)},
        "more-than-m-plus-one": {"annual_loss": loss_variant(lambda m: m + 2, lambda h: 8760 / h, EXP_P)},
        "one-window-only": {"annual_loss": loss_variant(lambda m: m + 1, lambda h: 1, EXP_P)},
        "days-not-hours": {"annual_loss": loss_variant(lambda m: m + 1, lambda h: 365 / h, EXP_P)},
        "afr-as-window-p": {"annual_loss": loss_variant(lambda m: m + 1, lambda h: 8760 / h,
                                                        lambda afr, h: afr)},
        "overhead-fraction": {"ec_overhead": lambda k, m: m / k},
        "overhead-of-raw": {"ec_overhead": lambda k, m: 100 * m / (k + m)},
    },
    "q4-triage-test": {
        "at-limit-replaced": {"triage": triage_rule(
            lambda r, lim: r["smart_187"] > 0 or r["smart_198"] > 0 or r["smart_5"] >= lim, WATCH)},
        "fixed-limit-100": {"triage": triage_rule(
            lambda r, lim: r["smart_187"] > 0 or r["smart_198"] > 0 or r["smart_5"] > 100, WATCH)},
        "ignores-198": {"triage": triage_rule(
            lambda r, lim: r["smart_187"] > 0 or r["smart_5"] > lim, WATCH)},
        "197-replaced": {"triage": triage_rule(
            lambda r, lim: REPLACE(r, lim) or r["smart_197"] > 0, WATCH)},
        "watch-overlaps": {"triage": lambda rows, lim: {
            "replace": {r["drive"] for r in rows if REPLACE(r, lim)},
            "watch": {r["drive"] for r in rows if WATCH(r, lim)}}},
        "tuple-not-dict": {"triage": lambda rows, lim: tuple(triage_rank(rows, lim).values())},
    },
    "q5-layout-test": {
        "always-three-copies": {"choose_layout": lambda *a: {"k": 1, "m": 2}},
        "ignores-durability": {"choose_layout": layout_search(grid, lambda g: min(g, key=lambda x: x[1] / x[0]),
                                                              ignore=("loss",))},
        "ignores-node-count": {"choose_layout": layout_search(big_grid, lambda g: min(g, key=lambda x: x[1] / x[0]),
                                                              ignore=("nodes",))},
        "never-none": {"choose_layout": lambda *a: layout_search(grid, lambda g: g[0])(*a) or {"k": 1, "m": 2}},
        "pair-not-dict": {"choose_layout": lambda *a: (lambda d: d and (d["k"], d["m"]))(
            layout_search(grid, lambda g: g[0])(*a))},
    },
}


def rebuild_ok(tb, r):
    return tb * 1e12 / (r * 1e6) / 3600


def with_q2(**fns):
    """The exercise 2 functions, correct except for the ones given."""
    base = {"rebuild_hours": rebuild_ok,
            "p_second_failure": lambda n, afr, h: -math.expm1(-n * afr * h / 8760),
            "p_ure": lambda tb, u: -math.expm1(-tb * 8e12 * u)}
    return {**base, **fns}


# The mistakes the module's text warns about: each fails a visible test (release) whose message
# names it. {grade_id: {label: (substitutes, words the message must contain), or the words
# alone for the near miss of the same label}}
NAMED_MISTAKES = {
    "q1-raid-table-test": {
        "raid10-best-case": "lucky case",
        "raid1-as-pairs": "mirrored pairs",
        "raid1-tolerates-one": "survives n − 1",
        "raid6-one-parity": "one parity drive",
        "tib": "decimal TB",
    },
    "q2-rebuild-test": {
        "seconds": (with_q2(**NEAR_MISSES["q2-rebuild-test"]["seconds"]), "seconds returned"),
        "minutes": (with_q2(rebuild_hours=lambda tb, r: tb * 1e12 / (r * 1e6) / 60), "minutes returned"),
        "binary-units": (with_q2(**NEAR_MISSES["q2-rebuild-test"]["binary-units"]), "binary units"),
        "one-drive-only": (with_q2(**NEAR_MISSES["q2-rebuild-test"]["one-drive-only"]), "only one drive counted"),
        "n-plus-one": (with_q2(**NEAR_MISSES["q2-rebuild-test"]["n-plus-one"]), "failed drive counted too"),
        "linear-approximation": (with_q2(**NEAR_MISSES["q2-rebuild-test"]["linear-approximation"]),
                                 "small-value approximation"),
        "bytes-not-bits": (with_q2(**NEAR_MISSES["q2-rebuild-test"]["bytes-not-bits"]), "bytes counted instead of bits"),
        "ure-linear": (with_q2(**NEAR_MISSES["q2-rebuild-test"]["ure-linear"]), "mean number of errors"),
        "ure-tib": (with_q2(p_ure=lambda tb, u: -math.expm1(-tb * 2**40 * 8 * u)), "binary terabytes"),
    },
    "q3-erasure-test": {
        "overhead-fraction": "a fraction returned",
        "overhead-of-raw": "divided by all chunks",
        "at-least-m": "MORE than m",
        "one-window-only": "only one repair window",
        "days-not-hours": "365 / T windows",
        "afr-as-window-p": "AFR used as the failure probability",
    },
    "q4-triage-test": {
        "at-limit-replaced": "exactly at the limit",
        "fixed-limit-100": "realloc_limit",
        "ignores-198": "(198) ignored",
        "ignores-187": ({"triage": triage_rule(lambda r, lim: r["smart_198"] > 0 or r["smart_5"] > lim, WATCH)},
                        "(187) ignored"),
        "197-replaced": "(197) alone",
        "watch-overlaps": "replace wins",
        "tuple-not-dict": "return a dict with exactly the keys",
        "counts-not-drives": ({"triage": lambda rows, lim: {k: len(v) for k, v in triage_rank(rows, lim).items()}},
                              "a set or a list of drive ids"),
    },
    "q5-layout-test": {
        "always-three-copies": "rule 3",
        "ignores-durability": "rule 4",
        "ignores-node-count": "rule 2",
        "never-none": "return None",
        "pair-not-dict": "must be a dict",
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES
