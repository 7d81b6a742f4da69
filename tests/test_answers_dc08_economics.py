"""dc08-economics's test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced, under the public variant and two students' variants.
"""
from __future__ import annotations

import math

import numpy as np

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "dc08-economics"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


# --- q1: TCO ------------------------------------------------------------------------------

def tco_annuity(capex, kw, pue, tariff, other, years=5, discount_rate=0.0):
    opex = kw * 24 * 365 * pue * tariff + other
    if discount_rate == 0:
        return capex + years * opex
    return capex + opex * (1 - (1 + discount_rate) ** -years) / discount_rate


def tco_numpy(capex, kw, pue, tariff, other, years=5, discount_rate=0.0):
    y = np.arange(1, years + 1)
    return np.float64(capex) + np.sum((kw * 730 * 12 * pue * tariff + other) * (1 + discount_rate) ** -y.astype(float))


def tco_no_pue(capex, kw, pue, tariff, other, years=5, discount_rate=0.0):
    return tco_annuity(capex, kw, 1.0, tariff, other, years, discount_rate)


def tco_from_year_0(capex, kw, pue, tariff, other, years=5, discount_rate=0.0):
    opex = kw * 8760 * pue * tariff + other
    return capex + sum(opex / (1 + discount_rate) ** y for y in range(years))


def tco_discount_capex(capex, kw, pue, tariff, other, years=5, discount_rate=0.0):
    return tco_annuity(capex, kw, pue, tariff, other, years, discount_rate) - capex + capex / (1 + discount_rate)


def tco_simple_interest(capex, kw, pue, tariff, other, years=5, discount_rate=0.0):
    opex = kw * 8760 * pue * tariff + other
    return capex + sum(opex / (1 + discount_rate * y) for y in range(1, years + 1))


# --- q3: bill -----------------------------------------------------------------------------

def egress_by_bounds(gb, tiers):
    lows = [0] + [u for u, _ in tiers[:-1]]
    return float(sum(p * min(max(gb - lo, 0), up - lo) for lo, (up, p) in zip(lows, tiers)))


def egress_per_row_bill(rows, prices, tiers):
    """Prices each egress row on its own (a free allowance every day): the classic mistake."""
    out = {}
    for r in rows:
        item, q = r["item"], r["quantity"]
        line = out.setdefault(item, {"item": item, "quantity": 0.0, "usd": 0.0})
        line["quantity"] += q
        line["usd"] += egress_by_bounds(q, tiers) if item == "egress-gb" else q * prices[item]
    return list(out.values())


def bill_with(egress):
    def bill(rows, prices, tiers):
        totals = {}
        for r in rows:
            totals[r["item"]] = totals.get(r["item"], 0.0) + r["quantity"]
        return [{"item": i, "quantity": q, "usd": egress(q, tiers) if i == "egress-gb" else q * prices[i]}
                for i, q in sorted(totals.items(), reverse=True)]
    return bill


def bill_counter(rows, prices, tiers):
    """Totals with a Counter, returned as a tuple of dicts with NumPy numbers."""
    from collections import Counter
    totals = Counter()
    for r in rows:
        totals[r["item"]] += r["quantity"]
    return tuple({"usd": np.float64(egress_by_bounds(q, tiers) if i == "egress-gb" else q * prices[i]),
                  "quantity": np.float64(q), "item": i} for i, q in totals.items())


def egress_flat(gb, tiers):
    return max(0.0, gb - tiers[0][0]) * tiers[1][1]


def egress_whole_at_top_tier(gb, tiers):
    """Charges all GB at the price of the tier the total reaches (not marginal)."""
    for up, p in tiers:
        if gb <= up:
            return gb * p
    return gb * tiers[-1][1]


def bill_rounded(rows, prices, tiers):
    return [{**line, "usd": round(line["usd"], 2)} for line in bill_with(egress_by_bounds)(rows, prices, tiers)]


def bill_global_prices(rows, prices, tiers):
    from_notebook = {"m5.large-hours": 0.118, "c5.xlarge-hours": 0.192, "gp3-gb-month": 0.0912,
                     "s3-gb-month": 0.025}
    return bill_with(egress_by_bounds)(rows, from_notebook, tiers)


# --- q4: spot -----------------------------------------------------------------------------

def spot_cost_loop(job_h, price, lam, c):
    one = sum((lam * c) ** k / math.factorial(k) for k in range(1, 60)) / lam   # e^x - 1 by its series
    return price * one * round(job_h / c)


# --- q6: plan -----------------------------------------------------------------------------

def plan_break_even(demand, od, res):
    """Reserve the k-th instance when demand >= k for at least the break-even hours."""
    h_star = res / od
    r = sum(1 for k in range(1, max(demand) + 1) if sum(d >= k for d in demand) >= h_star)
    cost = r * res + od * sum(max(0, d - r) for d in demand)
    return {"reserved": r, "monthly_usd": cost}


def plan_numpy(demand, od, res):
    d = np.asarray(demand)
    rs = np.arange(d.max() + 1)
    costs = rs * res + od * np.maximum(d[None, :] - rs[:, None], 0).sum(axis=1)
    i = int(np.argmin(costs))
    return {"reserved": np.int64(rs[i]), "monthly_usd": np.float64(costs[i])}


def plan_one_less(demand, od, res):
    """A slightly cheaper-to-commit plan, one reservation below the optimum (when within bound)."""
    best = plan_break_even(demand, od, res)
    costs = {r: r * res + od * sum(max(0, d - r) for d in demand) for r in range(max(demand) + 1)}
    ok = [r for r, c in costs.items() if c <= 1.02 * costs[best["reserved"]]]
    r = min(ok)
    return {"reserved": r, "monthly_usd": costs[r]}


def plan_fixed(r_of):
    def plan(demand, od, res):
        r = r_of(demand)
        return {"reserved": r, "monthly_usd": r * res + od * sum(max(0, d - r) for d in demand)}
    return plan


def plan_wrong_cost(demand, od, res):
    best = plan_break_even(demand, od, res)
    return {"reserved": best["reserved"], "monthly_usd": best["reserved"] * res}   # forgot on-demand hours


def plan_fraction(demand, od, res):
    best = plan_break_even(demand, od, res)
    return {"reserved": best["reserved"] + 0.5, "monthly_usd": best["monthly_usd"]}


CORRECT = {
    "q1-tco-test": {
        "annuity-formula": {"tco_krw": tco_annuity},
        "numpy-730x12": {"tco_krw": tco_numpy},
    },
    "q2-break-even-test": {
        "yearly-hours": {"reserved_monthly_usd": lambda up, hr, term: up / term + hr * 8760 / 12,
                         "break_even_hours": lambda od, res: 730 * (res / 730) / od},
        "numpy-floats": {"reserved_monthly_usd": lambda up, hr, term: np.float64(up) / term + np.float64(hr) * 730,
                         "break_even_hours": lambda od, res: float(np.divide(res, od))},
    },
    "q3-bill-test": {
        "bounds-and-sorted-lines": {"egress_cost": egress_by_bounds, "bill_lines": bill_with(egress_by_bounds)},
        "counter-tuple": {"egress_cost": egress_by_bounds, "bill_lines": bill_counter},
    },
    "q4-spot-test": {
        "expm1": {"p_interrupted": lambda h, lam: -math.expm1(-lam * h),
                  "expected_spot_cost": lambda h, p, lam, c: p * (h / c) * math.expm1(lam * c) / lam},
        "series-and-numpy": {"p_interrupted": lambda h, lam: float(1 - np.exp(-lam * h)),
                             "expected_spot_cost": spot_cost_loop},
    },
    "q5-carbon-current-test": {
        "mwh-first": {"carbon_t": lambda kwh, pue, ef: (kwh / 1000) * pue * ef,
                      "feed_current_a": lambda w, ph, pf=1.0: w / (220 * pf) if ph == 1 else w / (3 ** 0.5 * 380 * pf)},
        "per-phase-view": {"carbon_t": lambda kwh, pue, ef: np.float64(kwh * pue * ef / 1e3),
                           "feed_current_a": lambda w, ph, pf=1.0: w / pf / (ph * 220)},
    },
    "q6-plan-test": {
        "break-even-rule": {"plan_reserved": plan_break_even},
        "numpy-argmin": {"plan_reserved": plan_numpy},
        "cheapest-within-2pct-lowest-r": {"plan_reserved": plan_one_less},
    },
}

NEAR_MISSES = {
    "q1-tco-test": {
        "no-pue": {"tco_krw": tco_no_pue},
        "discounted-from-year-0": {"tco_krw": tco_from_year_0},
        "capex-discounted": {"tco_krw": tco_discount_capex},
        "simple-interest": {"tco_krw": tco_simple_interest},
        "mwh-tariff": {"tco_krw": lambda c, kw, p, t, o, years=5, discount_rate=0.0:
                       tco_annuity(c, kw, p, t / 1000, o, years, discount_rate)},
    },
    "q2-break-even-test": {
        "720-hour-month": {"reserved_monthly_usd": lambda up, hr, term: up / term + hr * 720,
                           "break_even_hours": lambda od, res: res / od},
        "term-in-years": {"reserved_monthly_usd": lambda up, hr, term: up / (term / 12) + hr * 730,
                          "break_even_hours": lambda od, res: res / od},
        "fraction-of-month": {"reserved_monthly_usd": lambda up, hr, term: up / term + hr * 730,
                              "break_even_hours": lambda od, res: res / od / 730},
        "inverted": {"reserved_monthly_usd": lambda up, hr, term: up / term + hr * 730,
                     "break_even_hours": lambda od, res: od / res},
    },
    "q3-bill-test": {
        "tiers-per-row": {"egress_cost": egress_by_bounds, "bill_lines": egress_per_row_bill},
        "flat-egress": {"egress_cost": egress_flat, "bill_lines": bill_with(egress_flat)},
        "whole-volume-at-reached-tier": {"egress_cost": egress_whole_at_top_tier,
                                         "bill_lines": bill_with(egress_whole_at_top_tier)},
        "rounded-cents": {"egress_cost": egress_by_bounds, "bill_lines": bill_rounded},
        "notebook-prices-hardcoded": {"egress_cost": egress_by_bounds, "bill_lines": bill_global_prices},
    },
    "q4-spot-test": {
        "linear-probability": {"p_interrupted": lambda h, lam: lam * h,
                               "expected_spot_cost": lambda h, p, lam, c: p * (h / c) * math.expm1(lam * c) / lam},
        "first-order-cost": {"p_interrupted": lambda h, lam: -math.expm1(-lam * h),
                             "expected_spot_cost": lambda h, p, lam, c: p * h * (1 + lam * c / 2)},
        "ignores-lost-hours": {"p_interrupted": lambda h, lam: -math.expm1(-lam * h),
                               "expected_spot_cost": lambda h, p, lam, c: p * h},
        "one-segment-only": {"p_interrupted": lambda h, lam: -math.expm1(-lam * h),
                             "expected_spot_cost": lambda h, p, lam, c: p * math.expm1(lam * c) / lam},
    },
    "q5-carbon-current-test": {
        "no-pue": {"carbon_t": lambda kwh, pue, ef: kwh * ef / 1000,
                   "feed_current_a": lambda w, ph, pf=1.0: w / (220 * pf) if ph == 1 else w / (3 ** 0.5 * 380 * pf)},
        "kwh-as-mwh": {"carbon_t": lambda kwh, pue, ef: kwh * pue * ef,
                       "feed_current_a": lambda w, ph, pf=1.0: w / (220 * pf) if ph == 1 else w / (3 ** 0.5 * 380 * pf)},
        "forgot-root-3": {"carbon_t": lambda kwh, pue, ef: kwh * pue * ef / 1000,
                          "feed_current_a": lambda w, ph, pf=1.0: w / (220 * pf) if ph == 1 else w / (380 * pf)},
        "root-3-at-220": {"carbon_t": lambda kwh, pue, ef: kwh * pue * ef / 1000,
                          "feed_current_a": lambda w, ph, pf=1.0: w / (220 * pf) if ph == 1 else w / (3 ** 0.5 * 220 * pf)},
        "pf-multiplied": {"carbon_t": lambda kwh, pue, ef: kwh * pue * ef / 1000,
                          "feed_current_a": lambda w, ph, pf=1.0: w * pf / 220 if ph == 1 else w * pf / (3 ** 0.5 * 380)},
    },
    "q6-plan-test": {
        "reserve-the-peak": {"plan_reserved": plan_fixed(max)},
        "reserve-none": {"plan_reserved": plan_fixed(lambda d: 0)},
        "break-even-as-fraction": {"plan_reserved": plan_fixed(lambda d: sum(
            1 for k in range(1, max(d) + 1) if sum(x >= k for x in d) >= 0.63))},
        "cost-without-on-demand": {"plan_reserved": plan_wrong_cost},
        "half-an-instance": {"plan_reserved": plan_fraction},
        "tuple-not-dict": {"plan_reserved": lambda d, od, res: tuple(plan_break_even(d, od, res).values())},
    },
}


def egress_free_charged(gb, tiers):
    """The tiers applied from 0 GB: the free allowance is charged at the second tier's price."""
    shifted = [(up, tiers[1][1] if i == 0 else p) for i, (up, p) in enumerate(tiers)]
    return egress_by_bounds(gb, shifted)


def bill_notebook_tiers(rows, prices, tiers):
    return bill_with(egress_by_bounds)(rows, prices, [(100, 0.0), (10_240, 0.126), (51_200, 0.122),
                                                      (153_600, 0.117), (math.inf, 0.108)])


def plain_current(w, ph, pf=1.0):
    return w / (220 * pf) if ph == 1 else w / (3 ** 0.5 * 380 * pf)


def carbon_ok(kwh, pue, ef):
    return kwh * pue * ef / 1000


# The mistakes the module's text warns about: each fails a visible test (release) whose message
# names it. {grade_id: {label: (substitutes, words the message must contain), or the words
# alone for the near miss of the same label}}
NAMED_MISTAKES = {
    "q1-tco-test": {
        "tariff-per-mwh": ({"tco_krw": NEAR_MISSES["q1-tco-test"]["mwh-tariff"]["tco_krw"]}, "per MWh"),
        "capex-left-out": ({"tco_krw": lambda c, *a, **k: tco_annuity(0, *a, **k)}, "CAPEX left out"),
        "no-pue": ({"tco_krw": tco_no_pue}, "PUE left out"),
        "other-opex-once": ({"tco_krw": lambda c, kw, p, t, o, years=5, discount_rate=0.0:
                             tco_annuity(c, kw, p, t, 0, years, discount_rate) + o}, "counted once"),
        "discounted-from-year-0": ({"tco_krw": tco_from_year_0}, "first OPEX payment not discounted"),
        "capex-discounted": ({"tco_krw": tco_discount_capex}, "CAPEX discounted"),
        "simple-interest": ({"tco_krw": tco_simple_interest}, "simple interest"),
    },
    "q2-break-even-test": {
        "720-hour-month": "720-hour",
        "term-in-years": "term in years",
        "upfront-not-spread": ({"reserved_monthly_usd": lambda up, hr, term: up + hr * 730}, "not spread"),
        "fraction-of-month": "fraction of the month",
        "inverted": "upside down",
    },
    "q3-bill-test": {
        "free-allowance-charged": ({"egress_cost": egress_free_charged, "bill_lines": bill_with(egress_free_charged)},
                                   "free 100 GB charged"),
        "whole-volume-at-reached-tier": "tier the total reaches",
        "flat-egress": "10 TB boundary",
        "tiers-per-row": "row by row",
        "rounded-cents": "rounded to cents",
        "notebook-prices": (NEAR_MISSES["q3-bill-test"]["notebook-prices-hardcoded"], "PRICES of the notebook"),
        "notebook-tiers": ({"egress_cost": egress_by_bounds, "bill_lines": bill_notebook_tiers},
                           "TIERS of the notebook"),
    },
    "q4-spot-test": {
        "linear-probability": "λH used as the probability",
        "no-interruption-returned": ({"p_interrupted": lambda h, lam: math.exp(-lam * h)}, "NO interruption returned"),
        "ignores-lost-hours": "lost hours not paid for",
        "one-segment-only": "only one segment",
    },
    "q5-carbon-current-test": {
        "kwh-as-mwh": "1,000 kWh is 1 MWh",
        "no-pue": "PUE left out",
        "380-v-single-phase": ({"carbon_t": carbon_ok, "feed_current_a": lambda w, ph, pf=1.0:
                                w / (380 * pf) if ph == 1 else plain_current(w, ph, pf)}, "380 V used for a single-phase"),
        "forgot-root-3": "√3 left out",
        "root-3-at-220": "√3 used with 220 V",
        "pf-multiplied": "multiplied instead of divided",
        "single-phase-formula": ({"carbon_t": carbon_ok, "feed_current_a": lambda w, ph, pf=1.0: w / (220 * pf)},
                                 "single-phase formula"),
    },
    "q6-plan-test": {
        "reserve-the-peak": "more than 3 % cheaper",
        "reserve-none": "more than 3 % cheaper",
        "cost-without-on-demand": "is not the monthly cost",
        "half-an-instance": "whole number",
        "tuple-not-dict": "return a dict",
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES


def test_the_korean_emission_factor_is_the_current_one():
    """The 2023 consumption-side factor (0.4173 tCO2-eq/MWh, published December 2025), not the
    2011 value 0.4594 the module used before."""
    import nbformat
    from notebook_harness import solved_notebook

    solved = solved_notebook(ROOT / "source" / AID / f"{AID}.ipynb")
    assert solved.namespace["EF_KOREA"] == 0.4173
    text = "\n".join(c.source for c in nbformat.read(ROOT / "source" / AID / f"{AID}.ipynb", as_version=4).cells)
    assert "0.4594" not in text and "0.46–0.48" not in text


def test_the_june_bill_is_priced_with_bill_lines():
    """Objective 3: the real export USAGE is priced with the learner's bill_lines after exercise 3."""
    from notebook_harness import solved_notebook

    ns = solved_notebook(ROOT / "source" / AID / f"{AID}.ipynb").namespace
    june = ns["june_bill"]
    assert sorted(line["item"] for line in june) == sorted({r["item"] for r in ns["USAGE"]})
    assert math.isclose(sum(line["usd"] for line in june), 636.82, abs_tol=0.01)


def test_the_spot_example_and_the_emission_factor_are_dated_or_bounded():
    import nbformat
    cells = {c.get("id"): c.source for c in
             nbformat.read(ROOT / "source" / AID / f"{AID}.ipynb", as_version=4).cells}
    assert "lower bound" in cells["s4"] and "best case" in cells["s4"]
    assert "as of December 2026" in cells["s5"] and "The\ncurrent one" not in cells["s5"]
