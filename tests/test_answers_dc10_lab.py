"""dc10-lab's test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced, under the public variant and two students' variants. The cells run
the hall simulator (graders.sim.hall) with the substituted runbook pieces.
"""
from __future__ import annotations



from conftest import ROOT
from notebook_harness import AnswerTable

AID = "dc10-lab"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant
DEGRADED = ("failed", "replacing", "rebuilding")


# --- exercise 1: alarms ------------------------------------------------------------------------
def alarms_loops(obs):
    out = []
    for feed in obs["feeds"]:
        if obs["feeds"][feed] is False:
            out.append(["feed_lost", feed])
    for unit, state in obs["cracs"].items():
        if state == "failed":
            out.append(["crac_failed", unit])
    for rack in obs["racks"]:
        if obs["racks"][rack]["inlet_c"] - 27 > 0:
            out.append(["inlet_high", rack])
            out.append(["inlet_high", rack])          # a duplicate does not matter in a set check
    out += [["disk_failed", d] for d in sorted(obs["disks"]) if obs["disks"][d] == "failed"]
    return out


def alarms_by_kind(obs):
    kinds = {"feed_lost": [f for f, v in obs["feeds"].items() if not v],
             "crac_failed": [u for u, s in obs["cracs"].items() if s == "failed"],
             "inlet_high": [r for r, k in obs["racks"].items() if not k["inlet_c"] <= 27],
             "disk_failed": [d for d, s in obs["disks"].items() if s == "failed"]}
    return {(kind, target) for kind, targets in kinds.items() for target in targets}


def alarms_with(inlet=lambda t: t > 27, disk=lambda s: s == "failed", swap=False, kinds=None):
    def alarms(obs):
        found = {("feed_lost", f) for f, v in obs["feeds"].items() if not v}
        found |= {("crac_failed", u) for u, s in obs["cracs"].items() if s == "failed"}
        found |= {("inlet_high", r) for r, k in obs["racks"].items() if inlet(k["inlet_c"])}
        found |= {("disk_failed", d) for d, s in obs["disks"].items() if disk(s)}
        if kinds is not None:
            found = {a for a in found if a[0] in kinds}
        return {(t, k) for k, t in found} if swap else found
    return alarms


# --- exercise 2: failover ------------------------------------------------------------------------
def feed_by_battery(obs):
    if not any(obs["feeds"].values()):
        return ()
    return tuple([["failover_feed", r] for r in sorted(obs["racks"], reverse=True)
                  if not all(obs["feeds"][f] for f in obs["racks"][r]["pdu_feeds"])])


def feed_by_dead_set(obs):
    dead = {f for f in obs["feeds"] if not obs["feeds"][f]}
    if dead == set(obs["feeds"]):
        return []
    return [("failover_feed", r) for r, k in obs["racks"].items() if dead & set(k["pdu_feeds"])]


def feed_waits_for_battery(obs):
    return [("failover_feed", r) for r, k in obs["racks"].items()
            if any(not obs["feeds"][f] and obs["ups_minutes_left"][f] <= 2 for f in k["pdu_feeds"])]


def feed_everything(obs):
    return [("failover_feed", r) for r in obs["racks"]]


def feed_wrong_verb(obs):
    return [("failover", r) for r, k in obs["racks"].items() if any(not obs["feeds"][f] for f in k["pdu_feeds"])]


def feed_ignores_dark(obs):
    return [("failover_feed", r) for r, k in obs["racks"].items() if any(not obs["feeds"][f] for f in k["pdu_feeds"])]


# --- exercise 3: cooling -------------------------------------------------------------------------
def cooling_with(high=27.0, low=25.0, throttle=True, unthrottle=True, start="standby", reverse_units=False,
                 fix=True, throttle_all=False):
    def cooling_actions(obs):
        acts = []
        busy = [tuple(a) for a in obs["in_progress"]]
        if obs["cooling_kw"] < obs["heat_kw"] and not any(v == "start_crac" for v, _ in busy):
            units = sorted(obs["cracs"], reverse=reverse_units)
            pick = [u for u in units if obs["cracs"][u] == start]
            acts += [("start_crac", u) for u in pick[:1]]
        for r, k in sorted(obs["racks"].items()):
            if throttle_all and not k["throttled"]:
                acts.append(("throttle", r))
            if k["inlet_c"] > high and obs["cooling_kw"] >= obs["heat_kw"]:
                if fix and ("fix_airflow", r) not in busy:
                    acts.append(("fix_airflow", r))
                if throttle and not k["throttled"]:
                    acts.append(("throttle", r))
            elif unthrottle and k["throttled"] and k["inlet_c"] <= low and ("fix_airflow", r) not in busy:
                acts.append(("unthrottle", r))
        return acts
    return cooling_actions


def cooling_tuple_in_progress(obs):
    """The reference rules, but looking for tuples in obs["in_progress"] (which holds lists)."""
    acts = []
    if obs["cooling_kw"] < obs["heat_kw"] or "failed" in obs["cracs"].values():
        standby = [u for u, s in sorted(obs["cracs"].items()) if s == "standby"]
        acts += [("start_crac", u) for u in standby[:1] if ("start_crac", u) not in obs["in_progress"]]
    return acts + [a for a in cooling_with()(obs) if a[0] != "start_crac"]


def cooling_always_spare(obs):
    """Starts CRAC3 whenever a unit has failed (and no start is in progress)."""
    busy = [tuple(a) for a in obs["in_progress"]]
    acts = [a for a in cooling_with()(obs) if a[0] != "start_crac"]
    if "failed" in obs["cracs"].values() and not any(v == "start_crac" for v, _ in busy):
        acts.append(("start_crac", "CRAC3"))
    return acts


# --- exercise 4: disk order ---------------------------------------------------------------------
def margins(obs):
    return {d: g["tolerates"] - sum(obs["disks"][x] in DEGRADED for x in g["disks"])
            for g in obs["groups"].values() for d in g["disks"]}


def order_group_walk(obs):
    m = margins(obs)
    groups = sorted(obs["groups"].values(), key=lambda g: m[g["disks"][0]])
    return [d for g in groups for d in reversed(g["disks"]) if obs["disks"][d] == "failed"]


def order_margin_then_name_desc(obs):
    m = margins(obs)
    failed = [d for d in obs["disks"] if obs["disks"][d] == "failed"]
    return sorted(sorted(failed, reverse=True), key=lambda d: m[d])


def order_counting_failed_only(obs):
    """Margin from the failed disks alone (replacing and rebuilding ignored)."""
    m = {d: g["tolerates"] - sum(obs["disks"][x] == "failed" for x in g["disks"])
         for g in obs["groups"].values() for d in g["disks"]}
    return sorted([d for d, s in obs["disks"].items() if s == "failed"], key=lambda d: m[d])


# --- exercise 5: runbooks --------------------------------------------------------------------------
def runbook_from_scratch(obs):
    """A runbook written afresh: different thresholds, every rule inline."""
    acts = []
    live = [f for f, v in obs["feeds"].items() if v]
    busy = {tuple(a) for a in obs["in_progress"]}
    for r, k in obs["racks"].items():
        if live and any(f not in live for f in k["pdu_feeds"]):
            acts.append(("failover_feed", r))
    if obs["cooling_kw"] < obs["heat_kw"] and not any(v == "start_crac" for v, _ in busy):
        acts += [("start_crac", u) for u, s in obs["cracs"].items() if s == "standby"][:1]
    for r, k in obs["racks"].items():
        if k["inlet_c"] > 28 and obs["cooling_kw"] >= obs["heat_kw"]:
            if not k["throttled"]:
                acts.append(("throttle", r))
            if ("fix_airflow", r) not in busy:
                acts.append(("fix_airflow", r))
        if k["throttled"] and k["inlet_c"] < 24 and ("fix_airflow", r) not in busy:
            acts.append(("unthrottle", r))
    m = margins(obs)
    failed = [d for d, s in obs["disks"].items() if s == "failed" and ("replace_disk", d) not in busy]
    acts += [("replace_disk", d) for d in sorted(failed, key=lambda d: (m[d], d))]
    return acts


def runbook_from_alarms(obs):
    """A runbook driven by the reference alarms(): every alarm maps to its action."""
    acts, busy = [], {tuple(a) for a in obs["in_progress"]}
    kinds = {k for k, _ in alarms_by_kind(obs)}
    if "feed_lost" in kinds:
        acts += feed_by_dead_set(obs)
    acts += cooling_with(reverse_units=True)(obs)
    acts += [("replace_disk", d) for d in order_group_walk(obs) if ("replace_disk", d) not in busy]
    return acts


def runbook_without(part):
    def runbook(obs):
        acts = [] if part == "feeds" else feed_by_dead_set(obs)
        acts += [] if part == "cooling" else cooling_with()(obs)
        if part != "disks":
            busy = {tuple(a) for a in obs["in_progress"]}
            acts += [("replace_disk", d) for d in order_group_walk(obs) if ("replace_disk", d) not in busy]
        return acts
    return runbook


CORRECT = {
    "q1-alarms-test": {
        "loops-lists-with-duplicates": {"alarms": alarms_loops},
        "by-kind": {"alarms": alarms_by_kind},
    },
    "q2-feed-test": {
        "tuple-of-lists-reversed": {"feed_actions": feed_by_battery},
        "dead-set": {"feed_actions": feed_by_dead_set},
    },
    "q3-cooling-test": {
        "start-on-deficit-only": {"cooling_actions": cooling_with()},
        "other-thresholds-last-unit": {"cooling_actions": cooling_with(high=28.0, low=24.0, reverse_units=True)},
    },
    "q4-disks-test": {
        "group-walk": {"replace_order": order_group_walk},
        "margin-then-name-desc": {"replace_order": order_margin_then_name_desc},
    },
    "q5-runbook-test": {
        "from-scratch": {"runbook": runbook_from_scratch},
        "from-alarms": {"runbook": runbook_from_alarms},
    },
}

NEAR_MISSES = {
    "q1-alarms-test": {
        "27-is-high": {"alarms": alarms_with(inlet=lambda t: t >= 27)},
        "rebuilding-is-failed": {"alarms": alarms_with(disk=lambda s: s in DEGRADED)},
        "no-disks": {"alarms": alarms_with(kinds={"feed_lost", "crac_failed", "inlet_high"})},
        "target-first": {"alarms": alarms_with(swap=True)},
    },
    "q2-feed-test": {
        "waits-for-battery": {"feed_actions": feed_waits_for_battery},
        "every-rack-always": {"feed_actions": feed_everything},
        "wrong-verb": {"feed_actions": feed_wrong_verb},
        "ignores-both-dead": {"feed_actions": feed_ignores_dark},
    },
    "q3-cooling-test": {
        "no-throttle": {"cooling_actions": cooling_with(throttle=False)},
        "never-unthrottle": {"cooling_actions": cooling_with(unthrottle=False)},
        "starts-the-failed-unit": {"cooling_actions": cooling_with(start="failed")},
        "throttle-everything": {"cooling_actions": cooling_with(throttle_all=True, unthrottle=False)},
        "no-fix": {"cooling_actions": cooling_with(fix=False)},
        "tuple-in-progress": {"cooling_actions": cooling_tuple_in_progress},
        "always-the-spare": {"cooling_actions": cooling_always_spare},
    },
    "q4-disks-test": {
        "largest-margin-first": {"replace_order": lambda obs: sorted(
            [d for d, s in obs["disks"].items() if s == "failed"], key=lambda d: -margins(obs)[d])},
        "by-name": {"replace_order": lambda obs: sorted(d for d, s in obs["disks"].items() if s == "failed")},
        "failed-only-margin": {"replace_order": order_counting_failed_only},
        "includes-rebuilding": {"replace_order": lambda obs: sorted(
            [d for d, s in obs["disks"].items() if s in DEGRADED], key=lambda d: margins(obs)[d])},
    },
    "q5-runbook-test": {
        "do-nothing": {"runbook": lambda obs: []},
        "no-failover": {"runbook": runbook_without("feeds")},
        "no-cooling": {"runbook": runbook_without("cooling")},
        "no-disks": {"runbook": runbook_without("disks")},
        "throttle-everything": {"runbook": lambda obs: runbook_from_scratch(obs) + [
            ("throttle", r) for r, k in obs["racks"].items() if not k["throttled"]]},
    },
}


# The mistakes the module's text warns about: each fails a visible test that names it.
NAMED_MISTAKES = {
    "q1-alarms-test": {
        "27-is-high": ({"alarms": alarms_with(inlet=lambda t: t >= 27)}, "27.0 °C counted as high"),
        "rebuilding-is-failed": ({"alarms": alarms_with(disk=lambda s: s in DEGRADED)},
                                 "'replacing' or 'rebuilding' disks counted as failed"),
        "target-first": ({"alarms": alarms_with(swap=True)}, "(target, kind) instead of (kind, target)"),
    },
    "q2-feed-test": {
        "waits-for-battery": ({"feed_actions": feed_waits_for_battery}, "waiting for the battery"),
        "every-rack-always": ({"feed_actions": feed_everything}, "failing over every rack"),
        "ignores-both-dead": ({"feed_actions": feed_ignores_dark}, "failing over when no feed is live"),
    },
    "q3-cooling-test": {
        "starts-the-failed-unit": ({"cooling_actions": cooling_with(start="failed")},
                                   "starting a unit that is not on standby"),
        "tuple-in-progress": ({"cooling_actions": cooling_tuple_in_progress},
                              "obs['in_progress'] holds lists"),
        "always-the-spare": ({"cooling_actions": cooling_always_spare}, "starting a unit when none is on standby"),
        "no-throttle": ({"cooling_actions": cooling_with(throttle=False)}, "throttle a hot rack while its fix waits"),
        "never-unthrottle": ({"cooling_actions": cooling_with(unthrottle=False)}, "left throttled"),
    },
    "q4-disks-test": {
        "largest-margin-first": ({"replace_order": lambda obs: sorted(
            [d for d, s in obs["disks"].items() if s == "failed"], key=lambda d: -margins(obs)[d])},
            "(margin 1) comes before"),
        "failed-only-margin": ({"replace_order": order_counting_failed_only},
                               "count 'replacing' and 'rebuilding' disks against the margin"),
        "includes-rebuilding": ({"replace_order": lambda obs: sorted(
            [d for d, s in obs["disks"].items() if s in DEGRADED], key=lambda d: margins(obs)[d])},
            "list only failed disks"),
    },
    "q5-runbook-test": {
        "do-nothing": ({"runbook": lambda obs: []}, "uptime below 99 %"),
        "no-disks": ({"runbook": runbook_without("disks")}, "lost its data"),
        "throttle-everything": ({"runbook": lambda obs: runbook_from_scratch(obs) + [
            ("throttle", r) for r, k in obs["racks"].items() if not k["throttled"]]}, "quiet night"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES


# --- what the notebook shows ------------------------------------------------------------------
def _cell(cell_id):
    import nbformat

    cells = nbformat.read(TestAnswers.notebook, as_version=4).cells
    return next(c.source for c in cells if c.get("id") == cell_id)


def test_fault_names_in_the_practice_day_figure_are_readable():
    """The s0 figure names each fault above the temperature curves, and no two names overlap
    (hall.plot_timeline alone writes them over the peaks and over each other)."""
    import matplotlib.pyplot as plt
    from notebook_harness import _as_in_jupyter, solved_notebook

    solved = solved_notebook(TestAnswers.notebook)
    namespace = dict(solved.namespace)
    with _as_in_jupyter(TestAnswers.notebook.parent):
        exec(compile(_cell("s0-figure"), "s0-figure", "exec"), namespace)
        fig = plt.gcf()
        top = fig.axes[0]
        fig.canvas.draw()
        names = [t for t in top.texts if t.get_text().strip()]
        assert sorted(t.get_text().strip() for t in names) == sorted(
            f"{f.kind} {f.target}" for f in namespace["DAY"])
        boxes = [t.get_window_extent() for t in names]
        hottest = max(max(v) for v in namespace["idle"].timeline["inlet_c"].values())
        curves_top = top.transData.transform((0, hottest))[1]
        for i, box in enumerate(boxes):
            assert box.y0 > curves_top, names[i].get_text()
            for other in boxes[i + 1:]:
                assert not box.overlaps(other), names[i].get_text()


def test_the_battery_example_says_what_it_prints():
    """Section 2: a feed lost at minute 10, seen at minute 12, shows 7.0 battery minutes (the
    minute of the loss counts), and the text says so."""
    from graders.sim import hall

    seen = {}
    hall.run(lambda o: seen.setdefault(o["minute"], o["ups_minutes_left"]["B"]) and [],
             [hall.Fault("feed_loss", 10, "B", duration=60)], minutes=20)
    assert (seen[10], seen[12], seen[19]) == (9.0, 7.0, 0.0)
    text = " ".join(_cell("s2").split())
    assert "at minute 12" in text and "7.0 minutes left" in text and "Two minutes after feed B is lost, every" not in text
    assert "snapshot([hall.Fault(\"feed_loss\", 10, \"B\", duration=60)], 12)" in _cell("s2-example")
