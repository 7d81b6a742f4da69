"""dc09-operations's test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced, under the public variant and two students' variants.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np

from conftest import ROOT
from notebook_harness import AnswerTable

AID = "dc09-operations"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant

# --- q1: parsers ---------------------------------------------------------------------------

CLF = re.compile(r'^\S+ \S+ \S+ \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+|-) (\d+)$')


def parse_regex(line):
    stamp, _, status, _, latency = CLF.match(line).groups()
    when = dt.datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z")
    return {"time": when.isoformat(), "status": np.int64(status), "latency_ms": int(latency)}


def parse_by_hand(line):
    """No strptime: slice the bracketed stamp and rebuild ISO 8601 by hand."""
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    stamp = line.split("[", 1)[1].split("]", 1)[0]
    date, clock, offset = stamp[:11], stamp[12:20], stamp[21:]
    d, mon, y = date.split("/")
    fields = line.split()
    return dict(latency_ms=float(fields[-1]), status=int(fields[-3]),
                time=f"{y}-{months.index(mon) + 1:02d}-{d}T{clock}{offset[:3]}:{offset[3:]}")


def parse_naive(line):
    r = parse_regex(line)
    return {**r, "time": r["time"][:19]}


def parse_utc(line):
    r = parse_regex(line)
    return {**r, "time": dt.datetime.fromisoformat(r["time"]).astimezone(dt.timezone.utc).isoformat()}


def parse_size(line):
    fields = line.split()
    return {**parse_regex(line), "latency_ms": int(fields[-2])}


def parse_str_status(line):
    return {**parse_regex(line), "status": line.split()[-3]}


def parse_hardcoded_kst(line):
    r = parse_regex(line)
    return {**r, "time": r["time"][:19] + "+09:00"}


# --- q2: percentiles ---------------------------------------------------------------------

def nearest_rank(x):
    s = sorted(x)
    return {f"p{p}": s[max(0, int(np.ceil(p * len(s) / 100)) - 1)] for p in (50, 95, 99)}


def pct(x, ps, **kw):
    return dict(zip(("p50", "p95", "p99"), (float(v) for v in np.percentile(x, ps, **kw))))


# --- q3: error rates -----------------------------------------------------------------------

def rates_by_epoch(records, minutes=5):
    """Floor epoch seconds, then write the key back in the record's offset."""
    out = {}
    for r in records:
        t = dt.datetime.fromisoformat(r["time"])
        start = dt.datetime.fromtimestamp(t.timestamp() // (60 * minutes) * 60 * minutes, t.tzinfo)
        n, e = out.get(start.isoformat(), (0, 0))
        out[start.isoformat()] = (n + 1, e + (r["status"] // 100 == 5))
    return {k: e / n for k, (n, e) in out.items()}


def rates_with_empty_windows(records, minutes=5):
    """Also lists the empty windows between requests, with rate 0 (absent counts as 0)."""
    got = rates_by_epoch(records, minutes)
    if not got:
        return {}
    keys = sorted(dt.datetime.fromisoformat(k) for k in got)
    t, step = keys[0], dt.timedelta(minutes=minutes)
    while t <= keys[-1]:
        got.setdefault(t.isoformat(), 0.0)
        t += step
    return got


def rates_tweak(fn):
    def rates(records, minutes=5):
        return fn(rates_by_epoch(records, minutes), records, minutes)
    return rates


def rates_including_4xx(records, minutes=5):
    return rates_by_epoch([{**r, "status": 500 if r["status"] >= 400 else r["status"]} for r in records], minutes)


def rates_end_keys(records, minutes=5):
    return {(dt.datetime.fromisoformat(k) + dt.timedelta(minutes=minutes)).isoformat(): v
            for k, v in rates_by_epoch(records, minutes).items()}


# --- q4: MTTD / MTTR -------------------------------------------------------------------------

def mttd_mttr_numpy(incidents):
    t = np.array([[dt.datetime.fromisoformat(i[k]).timestamp() for k in ("start", "detected", "resolved")]
                  for i in incidents])
    return np.array([(t[:, 1] - t[:, 0]).mean(), (t[:, 2] - t[:, 0]).mean()]) / 60


def mttd_mttr_statistics(incidents):
    import statistics
    f = dt.datetime.fromisoformat
    return [statistics.fmean((f(i["detected"]) - f(i["start"])) / dt.timedelta(minutes=1) for i in incidents),
            statistics.fmean((f(i["resolved"]) - f(i["start"])) / dt.timedelta(minutes=1) for i in incidents)]


def mttd_mttr_naive(incidents):
    strip = lambda s: dt.datetime.fromisoformat(s[:19])
    return (float(np.mean([(strip(i["detected"]) - strip(i["start"])).total_seconds() / 60 for i in incidents])),
            float(np.mean([(strip(i["resolved"]) - strip(i["start"])).total_seconds() / 60 for i in incidents])))


def mttr_from_detection(incidents):
    d, _ = mttd_mttr_numpy(incidents)
    f = dt.datetime.fromisoformat
    return d, float(np.mean([(f(i["resolved"]) - f(i["detected"])).total_seconds() / 60 for i in incidents]))


def mttd_mttr_hours(incidents):
    return tuple(v / 60 for v in mttd_mttr_numpy(incidents))


def mttd_mttr_median(incidents):
    f = dt.datetime.fromisoformat
    return (float(np.median([(f(i["detected"]) - f(i["start"])).total_seconds() / 60 for i in incidents])),
            float(np.median([(f(i["resolved"]) - f(i["start"])).total_seconds() / 60 for i in incidents])))


# --- q5: alert rules ------------------------------------------------------------------------

def rule_sustained(recent):
    """Two consecutive windows above a rate, or above a p99, whatever the count."""
    last = recent[-2:]
    return len(last) == 2 and (all(w["error_rate"] > 0.04 for w in last) or all(w["p99_ms"] > 1000 for w in last))


def rule_three_windows(recent):
    """All three windows: rate > 3 % or p95 > 600 ms (pages in an incident's third window)."""
    return len(recent) == 3 and (all(w["error_rate"] > 0.03 for w in recent) or all(w["p95_ms"] > 600 for w in recent))


def rule_p50_and_count(recent):
    w = recent[-1]
    return np.bool_(w["p50_ms"] > 300 or (w["errors"] >= 8 and w["error_rate"] > 0.03))


def rule_sum_of_errors(recent):
    """Errors summed over the last two windows, and the mean p95."""
    last = recent[-2:]
    errors, reqs = sum(w["errors"] for w in last), sum(w["requests"] for w in last)
    return (errors >= 12 and errors / reqs > 0.04) or float(np.mean([w["p95_ms"] for w in last])) > 700


# --- q6: post-mortems -------------------------------------------------------------------------

def pm_with_roles(incident):
    """A longer timeline made from the notes, names replaced by roles, and three actions."""
    start = dt.datetime.fromisoformat(incident["start"])
    end = dt.datetime.fromisoformat(incident["resolved"])
    def anon(text):
        for name, role in incident["people"].items():
            text = text.replace(name, f"the {role}")
        return text
    events = [{"time": incident[k], "event": e} for k, e in
              (("start", "impact begins"), ("detected", "the problem is noticed"), ("resolved", "service restored"))]
    for note in incident["notes"]:
        hh, mm = int(note[:2]), int(note[3:5])
        t = start.replace(hour=hh, minute=mm)
        if t < start - dt.timedelta(hours=12):
            t += dt.timedelta(days=1)
        events.append({"time": t.isoformat(), "event": anon(note[6:])})
    events.sort(key=lambda e: dt.datetime.fromisoformat(e["time"]))
    return {
        "summary": f"During incident {incident['id']} the {incident['service']} degraded after a change "
                   "and recovered once the change was reverted by the team.",
        "impact": f"Duration: {round((end - start).total_seconds() / 60)} min. Failed requests: "
                  f"{incident['failed_requests']:,} (of {incident['requests']:,}).",
        "timeline": events,
        "root_cause": "A change reached production without a staged rollout, and no automated check "
                      "compared the error rate before and after it.",
        "went_well": ["Rollback was quick", "Customers were informed"],
        "action_items": [{"action": a, "owner": o, "due": str(end.date() + dt.timedelta(days=d))}
                         for a, o, d in (("Staged rollouts", "release engineering", 30),
                                         ("Alert on 5xx count", "SRE", 10),
                                         ("Runbook for rollback", "on-call rotation", 20))],
    }


def pm_utc_timeline(incident):
    """The reference's structure, with timeline times written in UTC (the same instants)."""
    pm = pm_with_roles(incident)
    pm["timeline"] = [{"time": dt.datetime.fromisoformat(e["time"]).astimezone(dt.timezone.utc).isoformat(),
                       "event": e["event"]} for e in pm["timeline"]]
    return pm


def pm_edit(edit):
    def build(incident):
        pm = pm_with_roles(incident)
        edit(pm, incident)
        return pm
    return build


def copy_notes(pm, incident):
    pm["timeline"][1]["event"] = incident["notes"][0][6:]


def human_error(pm, incident):
    pm["root_cause"] = "Human error: the engineer deployed the wrong release to every node at once."


def due_before(pm, incident):
    pm["action_items"][0]["due"] = dt.datetime.fromisoformat(incident["start"]).date().isoformat()


def no_owner(pm, incident):
    pm["action_items"][1]["owner"] = ""


def unsorted_timeline(pm, incident):
    pm["timeline"].reverse()


def vague_impact(pm, incident):
    pm["impact"] = "Many requests failed for a while and customers were unhappy."


def naive_times(pm, incident):
    for e in pm["timeline"]:
        e["time"] = e["time"][:19]


def drop_section(pm, incident):
    del pm["went_well"]


def name_part_as_word(pm, incident):
    """A family name used as an ordinary word ("park" when Park Jiyeon is involved)."""
    family = list(incident["people"])[-1].split()[0]
    pm["action_items"][0]["action"] += f"; {family.lower()} the release train until then"


def given_name_only(pm, incident):
    name = next(iter(incident["people"]))
    pm["went_well"].append(f"{name.split()[1]} noticed the problem quickly")


CORRECT = {
    "q1-parse-line-test": {
        "regex-numpy-int": {"parse_line": parse_regex},
        "by-hand": {"parse_line": parse_by_hand},
    },
    "q2-percentiles-test": {
        "nearest-rank": {"latency_percentiles": nearest_rank},
        "quantile-hazen": {"latency_percentiles": lambda x: pct(x, [50, 95, 99], method="hazen")},
        "lower": {"latency_percentiles": lambda x: {k: np.float64(v) for k, v in pct(x, [50, 95, 99], method="lower").items()}},
    },
    "q3-error-rates-test": {
        "epoch-floor": {"error_rates": rates_by_epoch},
        "with-empty-windows": {"error_rates": rates_with_empty_windows},
    },
    "q4-mttd-mttr-test": {
        "numpy-array": {"mttd_mttr": mttd_mttr_numpy},
        "statistics-list": {"mttd_mttr": mttd_mttr_statistics},
    },
    "q5-alert-rule-test": {
        "sustained-two-windows": {"alert_rule": rule_sustained},
        "three-windows": {"alert_rule": rule_three_windows},
        "p50-and-count-numpy-bool": {"alert_rule": rule_p50_and_count},
        "sum-of-two-windows": {"alert_rule": rule_sum_of_errors},
    },
    "q6-postmortem-test": {
        "roles-from-notes": {"postmortem": pm_with_roles},
        "utc-timeline": {"postmortem": pm_utc_timeline},
    },
}

NEAR_MISSES = {
    "q1-parse-line-test": {
        "no-offset": {"parse_line": parse_naive},
        "converted-to-utc": {"parse_line": parse_utc},
        "size-not-latency": {"parse_line": parse_size},
        "status-as-str": {"parse_line": parse_str_status},
        "hardcoded-kst": {"parse_line": parse_hardcoded_kst},
    },
    "q2-percentiles-test": {
        "fraction-scale": {"latency_percentiles": lambda x: pct(x, [0.50, 0.95, 0.99])},
        "swapped-tail": {"latency_percentiles": lambda x: dict(zip(("p50", "p99", "p95"), np.percentile(x, [50, 95, 99])))},
        "unsorted-index": {"latency_percentiles": lambda x: {f"p{p}": x[min(len(x) - 1, int(p * len(x) / 100))] for p in (50, 95, 99)}},
        "mean-and-max": {"latency_percentiles": lambda x: {"p50": np.mean(x), "p95": max(x), "p99": max(x)}},
    },
    "q3-error-rates-test": {
        "counts-4xx": {"error_rates": rates_including_4xx},
        "percent": {"error_rates": rates_tweak(lambda got, r, m: {k: 100 * v for k, v in got.items()})},
        "ignores-minutes": {"error_rates": lambda records, minutes=5: rates_by_epoch(records, 5)},
        "keyed-by-end": {"error_rates": rates_end_keys},
    },
    "q4-mttd-mttr-test": {
        "offsets-stripped": {"mttd_mttr": mttd_mttr_naive},
        "mttr-from-detection": {"mttd_mttr": mttr_from_detection},
        "hours": {"mttd_mttr": mttd_mttr_hours},
        "median": {"mttd_mttr": mttd_mttr_median},
        "swapped": {"mttd_mttr": lambda incs: tuple(mttd_mttr_numpy(incs)[::-1])},
    },
    "q5-alert-rule-test": {
        "bare-rate-pages-at-night": {"alert_rule": lambda r: r[-1]["error_rate"] > 0.05 or r[-1]["p95_ms"] > 800},
        "bare-p99-pages-on-blip": {"alert_rule": lambda r: (r[-1]["errors"] >= 10 and r[-1]["error_rate"] > 0.05) or r[-1]["p99_ms"] > 1000},
        "errors-only": {"alert_rule": lambda r: r[-1]["errors"] >= 10 and r[-1]["error_rate"] > 0.05},
        "latency-only": {"alert_rule": lambda r: r[-1]["p95_ms"] > 800},
        "too-strict": {"alert_rule": lambda r: r[-1]["error_rate"] > 0.5 or r[-1]["p95_ms"] > 5000},
        "never": {"alert_rule": lambda r: None},
        "count-tuned-on-simulated-days": {"alert_rule": lambda r: (r[-1]["errors"] >= 25 and r[-1]["error_rate"] > 0.05)
                                          or (r[-1]["p95_ms"] > 800 and r[-1]["p50_ms"] > 250)},
    },
    "q6-postmortem-test": {
        "copies-a-note-with-a-name": {"postmortem": pm_edit(copy_notes)},
        "human-error": {"postmortem": pm_edit(human_error)},
        "due-on-incident-day": {"postmortem": pm_edit(due_before)},
        "no-owner": {"postmortem": pm_edit(no_owner)},
        "timeline-reversed": {"postmortem": pm_edit(unsorted_timeline)},
        "impact-not-quantified": {"postmortem": pm_edit(vague_impact)},
        "times-without-offset": {"postmortem": pm_edit(naive_times)},
        "section-missing": {"postmortem": pm_edit(drop_section)},
        "given-name-only": {"postmortem": pm_edit(given_name_only)},
        "name-part-as-a-word": {"postmortem": pm_edit(name_part_as_word)},
    },
}


def parse_converted_to_kst(line):
    r = parse_regex(line)
    kst = dt.timezone(dt.timedelta(hours=9))
    return {**r, "time": dt.datetime.fromisoformat(r["time"]).astimezone(kst).isoformat()}


def percentiles_exclusive(x):
    """statistics.quantiles with its default method, "exclusive"."""
    import statistics
    q = statistics.quantiles(x, n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98]}


def rates_rounded_up(records, minutes=5):
    """Windows found by rounding the time up: a request on a boundary lands in the window before."""
    out = {}
    for r in records:
        t = dt.datetime.fromisoformat(r["time"])
        step = 60 * minutes
        start = dt.datetime.fromtimestamp(-(-t.timestamp() // step) * step - step, t.tzinfo).isoformat()
        n, e = out.get(start, (0, 0))
        out[start] = (n + 1, e + (r["status"] // 100 == 5))
    return {k: e / n for k, (n, e) in out.items()}


NEAR_MISSES["q1-parse-line-test"]["converted-to-kst"] = {"parse_line": parse_converted_to_kst}
NEAR_MISSES["q2-percentiles-test"]["statistics-exclusive"] = {"latency_percentiles": percentiles_exclusive}
NEAR_MISSES["q3-error-rates-test"]["rounded-up"] = {"error_rates": rates_rounded_up}


def named(grade_id, label, words):
    return NEAR_MISSES[grade_id][label], words


# The mistakes the text warns about fail the release's visible tests with a message that names
# them: {grade_id: {label: (substitutes, words the message must contain)}}.
NAMED_MISTAKES = {
    "q1-parse-line-test": {
        "no-offset": named("q1-parse-line-test", "no-offset", "the UTC offset dropped"),
        "converted-to-utc": named("q1-parse-line-test", "converted-to-utc", "converted to UTC"),
        "converted-to-kst": named("q1-parse-line-test", "converted-to-kst", "converted to Korea time"),
        "hardcoded-kst": named("q1-parse-line-test", "hardcoded-kst", "+09:00 written for every line"),
        "status-as-str": named("q1-parse-line-test", "status-as-str", "the status kept as a str"),
        "size-not-latency": named("q1-parse-line-test", "size-not-latency", "the response size"),
    },
    "q2-percentiles-test": {
        "fraction-scale": named("q2-percentiles-test", "fraction-scale", "p given from 0 to 1"),
        "unsorted-index": named("q2-percentiles-test", "unsorted-index", "without sorting it first"),
        "statistics-exclusive": named("q2-percentiles-test", "statistics-exclusive",
                                      "statistics.quantiles with its default method"),
    },
    "q3-error-rates-test": {
        "counts-4xx": named("q3-error-rates-test", "counts-4xx", "4xx counted as errors"),
        "percent": named("q3-error-rates-test", "percent", "percent instead of a fraction"),
        "keyed-by-end": named("q3-error-rates-test", "keyed-by-end", "windows named by their end"),
        "rounded-up": named("q3-error-rates-test", "rounded-up", "windows found by rounding up"),
    },
    "q4-mttd-mttr-test": {
        "mttr-from-detection": named("q4-mttd-mttr-test", "mttr-from-detection", "MTTR counted from detection"),
        "hours": named("q4-mttd-mttr-test", "hours", "hours instead of minutes"),
        "swapped": named("q4-mttd-mttr-test", "swapped", "the pair in the wrong order"),
        "offsets-stripped": named("q4-mttd-mttr-test", "offsets-stripped", "the UTC offsets cut off"),
    },
    "q5-alert-rule-test": {
        "bare-rate-pages-at-night": named("q5-alert-rule-test", "bare-rate-pages-at-night", "false alarm"),
        "bare-p99-pages-on-blip": named("q5-alert-rule-test", "bare-p99-pages-on-blip", "false alarm"),
        "errors-only": named("q5-alert-rule-test", "errors-only", "the latency incident starting at 11:50 got no page"),
        "latency-only": named("q5-alert-rule-test", "latency-only", "the errors incident starting at 09:40 got no page"),
        "count-tuned-on-simulated-days": named("q5-alert-rule-test", "count-tuned-on-simulated-days",
                                               "fewer requests per window than the simulated days"),
    },
    "q6-postmortem-test": {
        "copies-a-note-with-a-name": named("q6-postmortem-test", "copies-a-note-with-a-name",
                                           "names a person involved"),
        "given-name-only": named("q6-postmortem-test", "given-name-only", "names a person involved"),
        "name-part-as-a-word": named("q6-postmortem-test", "name-part-as-a-word", "any part of a name counts"),
        "human-error": named("q6-postmortem-test", "human-error", "blames"),
        "due-on-incident-day": named("q6-postmortem-test", "due-on-incident-day", "after the incident"),
        "no-owner": named("q6-postmortem-test", "no-owner", "needs an owner"),
        "timeline-reversed": named("q6-postmortem-test", "timeline-reversed", "in time order"),
        "times-without-offset": named("q6-postmortem-test", "times-without-offset", "needs its UTC offset"),
        "impact-not-quantified": named("q6-postmortem-test", "impact-not-quantified", "state the outage length"),
        "section-missing": named("q6-postmortem-test", "section-missing", "missing section"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES
