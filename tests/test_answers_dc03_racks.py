"""dc03-racks: its test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced. A correct answer must pass without a warning; a near miss must fail a
check, i.e. raise an AssertionError (any other exception means the test cell crashed). Every
case runs under the public variant and under two students' variants.
"""
from __future__ import annotations

import math
import re

import numpy as np

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "dc03-racks"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant


# --- q5: placements -----------------------------------------------------------------------

def fits(rack, s, limits, strict=False, check_kg=True, check_u=True, kw_scale=1000, empty_kg=0):
    u, w, kg = rack["u"] + s["u"], rack["w"] + s["watts"], rack["kg"] + s["kg"] + empty_kg
    if not check_u:
        u = 0
    if strict:
        return u < limits["u"] and w < kw_scale * limits["kw"] and (not check_kg or kg < limits["kg"])
    return (u <= limits["u"] and w <= kw_scale * limits["kw"] + 1e-6
            and (not check_kg or kg <= limits["kg"] + 1e-9))


def packer(key=None, best=False, nextfit=False, names="R{:02d}", **fit_options):
    """First fit (optionally sorted by `key`, best fit by power, or next fit) as a placement."""
    def place(servers, limits):
        order = sorted(servers, key=key) if key else list(servers)
        racks = []
        for s in order:
            open_racks = racks[-1:] if nextfit else racks
            room = [r for r in open_racks if fits(r, s, limits, **fit_options)]
            if best and room:
                room.sort(key=lambda r: -r["w"])
            if room:
                rack = room[0]
            else:
                rack = {"u": 0, "w": 0, "kg": 0.0, "ids": []}
                racks.append(rack)
            rack["u"] += s["u"]
            rack["w"] += s["watts"]
            rack["kg"] += s["kg"]
            rack["ids"].append(s["id"])
        return {names.format(i): r["ids"] for i, r in enumerate(racks, 1)}
    return place


def with_spare_empty_rack(place):
    def placed(servers, limits):
        plan = place(servers, limits)
        return {**{k: tuple(v) for k, v in plan.items()}, "spare": []}
    return placed


def dropping_last(place):
    def placed(servers, limits):
        plan = place(servers, limits)
        if servers:
            last = max(plan, key=lambda k: len(plan[k]))
            plan[last] = plan[last][:-1]
        return plan
    return placed


def doubling_first(place):
    def placed(servers, limits):
        plan = place(servers, limits)
        if servers:
            names = list(plan)
            plan[names[-1]] = plan[names[-1]] + [plan[names[0]][0]]
        return plan
    return placed


def one_per_rack(servers, limits):
    return {f"R{i}": [s["id"]] for i, s in enumerate(servers)}


def by_model(servers, limits):
    """One rack per model, the way a careless plan groups them (ignores every limit)."""
    plan = {}
    for s in servers:
        plan.setdefault(s.get("model", "x"), []).append(s["id"])
    return plan


# --- q4: labels ---------------------------------------------------------------------------

ASCII_DIGITS = "0123456789"


def ascii_digits(text):
    return bool(text) and all(ch in ASCII_DIGITS for ch in text)


def labels_regex(labels, sites, halls, racks, rack_u, digit=r"[0-9]"):
    bad = []
    for label in labels:
        m = re.fullmatch(rf"([A-Z0-9]+)-([A-Z])-R({digit}{digit})-U({digit}{digit})", label)
        if not (m and m[1] in sites and m[2] in halls and 1 <= int(m[3]) <= racks
                and 1 <= int(m[4]) <= rack_u):
            bad.append(label)
    return bad + bad[:1]          # a list, with a repeat: still the same set


def labels_try(labels, sites, halls, racks, rack_u, strip=False):
    out = set()
    for label in labels:
        try:
            site, hall, rack, u = (label.strip() if strip else label).split("-")
            ok = (site in set(sites) and hall in set(halls) and rack[:1] == "R" and u[:1] == "U"
                  and len(rack) == len(u) == 3 and ascii_digits(rack[1:]) and ascii_digits(u[1:])
                  and int(rack[1:]) in range(1, racks + 1) and int(u[1:]) in range(1, rack_u + 1))
        except ValueError:
            ok = False
        if not ok:
            out.add(label)
    return frozenset(out)


def labels_loose(*, ranges=True, case=True, width=True, lower_bound=True, site=True, digits_ok=ascii_digits):
    def invalid(labels, sites, halls, racks, rack_u):
        out = set()
        for label in labels:
            text = label if case else label.upper()
            parts = text.split("-")
            ok = len(parts) == 4 and " " not in text
            if ok:
                s, h, r, u = parts
                ok = (not site or s in sites) and h in halls
                for part, letter, most in ((r, "R", racks), (u, "U", rack_u)):
                    digits = part[1:]
                    ok = ok and part[:1] == letter and digits_ok(digits) and (len(digits) == 2 or not width)
                    if ok and ranges:
                        ok = (int(digits) >= (1 if lower_bound else 0)) and int(digits) <= most
            if not ok:
                out.add(label)
        return out
    return invalid


# --- the table ----------------------------------------------------------------------------

CORRECT = {
    "q1-totals-test": {
        "numpy-and-reordered": {"rack_totals": lambda servers, rack_kg: {
            "kg": np.float64(rack_kg) + np.sum([s["kg"] for s in servers]),
            "kw": np.sum([s["watts"] / 1000 for s in servers]),
            "u": np.int64(sum(s["u"] for s in servers))}},
        "loop": {"rack_totals": lambda servers, rack_kg: (lambda t: {"u": t[0], "kw": t[1] / 1e3, "kg": t[2]})(
            [sum(x) for x in zip(*([(s["u"], s["watts"], s["kg"]) for s in servers] + [(0, 0, rack_kg)]))])},
    },
    "q2-floor-test": {
        "area-first": {"floor_load_kg_m2": lambda kg, w, d: kg / (w * d / 1e6),
                       "payload_limit_kg": lambda st, fl, w, d, e: sorted([st, fl * w * d / 1e6 - e])[0]},
        "numpy": {"floor_load_kg_m2": lambda kg, w, d: float(np.divide(kg, np.prod([w / 1000, d / 1000]))),
                  "payload_limit_kg": lambda st, fl, w, d, e: np.minimum(st, fl * (w / 1e3) * (d / 1e3) - e)},
    },
    "q3-ports-test": {
        "integer-ceil-list": {"port_budget": lambda nics, p, k: [2 * (-(-sum(nics) // (2 * p))),
                                                                 sum(nics) + 2 * k * (-(-sum(nics) // (2 * p)))]},
        "per-switch-loop": {"port_budget": lambda nics, p, k: (lambda half: (
            2 * math.ceil(half / p), sum(nics) + k * 2 * math.ceil(half / p)))(sum(n // 2 for n in nics))},
    },
    "q4-labels-test": {
        "regex-list-with-repeat": {"invalid_labels": labels_regex},
        "try-split-frozenset": {"invalid_labels": labels_try},
    },
    "q5-place-test": {
        "ffd-by-watts": {"place": packer(key=lambda s: -s["watts"])},
        "ffd-by-kg-other-names": {"place": packer(key=lambda s: -s["kg"], names="BSN1-B-R{:02d}")},
        "best-fit-by-u": {"place": packer(key=lambda s: (-s["u"], -s["watts"]), best=True)},
        "ffd-tuples-and-a-spare-rack": {"place": with_spare_empty_rack(packer(key=lambda s: -s["watts"]))},
    },
}

NEAR_MISSES = {
    "q1-totals-test": {
        "watts-not-kw": {"rack_totals": lambda servers, rack_kg: {
            "u": sum(s["u"] for s in servers), "kw": sum(s["watts"] for s in servers),
            "kg": rack_kg + sum(s["kg"] for s in servers)}},
        "forgot-empty-rack": {"rack_totals": lambda servers, rack_kg: {
            "u": sum(s["u"] for s in servers), "kw": sum(s["watts"] for s in servers) / 1000,
            "kg": sum(s["kg"] for s in servers)}},
        "u-counts-servers": {"rack_totals": lambda servers, rack_kg: {
            "u": len(servers), "kw": sum(s["watts"] for s in servers) / 1000,
            "kg": rack_kg + sum(s["kg"] for s in servers)}},
        "key-kW": {"rack_totals": lambda servers, rack_kg: {
            "u": sum(s["u"] for s in servers), "kW": sum(s["watts"] for s in servers) / 1000,
            "kg": rack_kg + sum(s["kg"] for s in servers)}},
    },
    "q2-floor-test": {
        "mm-squared": {"floor_load_kg_m2": lambda kg, w, d: kg / (w * d),
                       "payload_limit_kg": lambda st, fl, w, d, e: min(st, fl * w * d / 1e6 - e)},
        "forgot-empty-rack": {"floor_load_kg_m2": lambda kg, w, d: kg / (w * d / 1e6),
                              "payload_limit_kg": lambda st, fl, w, d, e: min(st, fl * w * d / 1e6)},
        "max-not-min": {"floor_load_kg_m2": lambda kg, w, d: kg / (w * d / 1e6),
                        "payload_limit_kg": lambda st, fl, w, d, e: max(st, fl * w * d / 1e6 - e)},
        "subtracts-from-static-too": {"floor_load_kg_m2": lambda kg, w, d: kg / (w * d / 1e6),
                                      "payload_limit_kg": lambda st, fl, w, d, e: min(st, fl * w * d / 1e6) - e},
    },
    "q3-ports-test": {
        "no-pairs": {"port_budget": lambda nics, p, k: (math.ceil(sum(nics) / p),
                                                        sum(nics) + k * math.ceil(sum(nics) / p))},
        "floor-division": {"port_budget": lambda nics, p, k: (2 * (sum(nics) // (2 * p)),
                                                              sum(nics) + 2 * k * (sum(nics) // (2 * p)))},
        "no-uplink-cables": {"port_budget": lambda nics, p, k: (2 * math.ceil(sum(nics) / 2 / p), sum(nics))},
        "always-one-pair": {"port_budget": lambda nics, p, k: (2 * max(1, math.ceil(sum(nics) / 2 / p)),
                                                               sum(nics) + 2 * k * max(1, math.ceil(sum(nics) / 2 / p)))},
    },
    "q4-labels-test": {
        "no-range-check": {"invalid_labels": labels_loose(ranges=False)},
        "ignores-case": {"invalid_labels": labels_loose(case=False)},
        "any-number-of-digits": {"invalid_labels": labels_loose(width=False)},
        "accepts-00": {"invalid_labels": labels_loose(lower_bound=False)},
        "any-site": {"invalid_labels": labels_loose(site=False)},
        "valid-ones-instead": {"invalid_labels": lambda labels, *args: set(labels) - labels_try(labels, *args)},
        "isdigit": {"invalid_labels": labels_loose(digits_ok=str.isdigit)},
        "regex-backslash-d": {"invalid_labels": lambda *args: labels_regex(*args, digit=r"\d")},
        "strips-whitespace": {"invalid_labels": lambda *args: labels_try(*args, strip=True)},
    },
    "q5-place-test": {
        "watts-against-kw": {"place": packer(key=lambda s: -s["watts"], kw_scale=1)},
        "kw-scaled-twice": {"place": packer(key=lambda s: -s["watts"], kw_scale=1e6)},
        "ignores-kg": {"place": packer(key=lambda s: -s["watts"], check_kg=False)},
        "ignores-u": {"place": packer(key=lambda s: -s["watts"], check_u=False)},
        "strict-limits": {"place": packer(key=lambda s: -s["watts"], strict=True)},
        "one-rack-per-server": {"place": one_per_rack},
        "empty-rack-in-mass": {"place": packer(key=lambda s: -s["watts"], empty_kg=140)},
        "one-rack-per-model": {"place": by_model},
        "drops-a-server": {"place": dropping_last(packer(key=lambda s: -s["watts"]))},
        "places-one-twice": {"place": doubling_first(packer(key=lambda s: -s["watts"]))},
    },
}


def labels_with(accept):
    """The correct label check, except that labels for which accept(label) is true pass."""
    def invalid(labels, sites, halls, racks, rack_u):
        return {lab for lab in labels_try(labels, sites, halls, racks, rack_u) if not accept(lab)}
    return invalid


# The mistakes the module's text warns about: each fails a visible test (release) whose message
# names it. {grade_id: {label: (substitutes, words the message must contain), or the words
# alone for the near miss of the same label}}
NAMED_MISTAKES = {
    "q1-totals-test": {
        "watts-not-kw": "not divided by 1,000",
        "forgot-empty-rack": "empty rack left out",
        "u-counts-servers": "servers counted instead",
    },
    "q2-floor-test": {
        "mm-squared": ({"floor_load_kg_m2": lambda kg, w, d: kg / (w * d),
                        "payload_limit_kg": CORRECT["q2-floor-test"]["area-first"]["payload_limit_kg"]}, "left in mm²"),
        "one-side-in-mm": ({"floor_load_kg_m2": lambda kg, w, d: kg / (w / 1000 * d),
                            "payload_limit_kg": CORRECT["q2-floor-test"]["area-first"]["payload_limit_kg"]},
                           "only one side converted"),
        "forgot-empty-rack": "empty rack not taken off",
        "max-not-min": "larger of the two limits",
        "subtracts-from-static-too": "taken off the frame's rating too",
    },
    "q3-ports-test": {
        "no-pairs": "A/B pairs",
        "floor-division": "rounded down",
        "no-uplink-cables": "uplink cables left out",
    },
    "q4-labels-test": {
        "no-range-check": "not range-checked",
        "accepts-00": "R00 accepted",
        "no-upper-bound": ({"invalid_labels": labels_with(lambda lab: lab in {"BSN1-B-R25-U12", "BSN1-B-R07-U43"})},
                           "above the range"),
        "ignores-case": "lower-case",
        "any-number-of-digits": "two digits",
        "any-site": "site code that is not in use",
        "spaces-accepted": ({"invalid_labels": labels_with(lambda lab: " " in lab)}, "with a space"),
        "any-hall": ({"invalid_labels": labels_with(lambda lab: lab.split("-")[1:2] == ["D"])}, "hall letter"),
        "extra-parts": ({"invalid_labels": labels_with(lambda lab: lab.count("-") > 3)}, "more than four parts"),
        "valid-ones-instead": "valid labels returned",
        "isdigit": "non-ASCII digit accepted",
        "regex-backslash-d": "non-ASCII digit accepted",
        "strips-whitespace": "was it stripped first?",
    },
    "q5-place-test": {
        "watts-against-kw": "compared with the kW limit in the same unit",
        "kw-scaled-twice": "rule 3",
        "ignores-kg": "rule 4",
        "ignores-u": "rule 2",
        "strict-limits": "exactly at a limit is allowed",
        "drops-a-server": "not placed",
        "places-one-twice": "more than once",
        "empty-rack-in-mass": "empty rack's mass left out",
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES
