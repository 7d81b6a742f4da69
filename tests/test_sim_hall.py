"""The dc10-lab hall simulator: determinism, the physical effect of each fault and action, the
rejection of invalid actions, and the scorer's arithmetic."""
from __future__ import annotations

import numpy as np
import pytest

from graders.sim import hall
from graders.sim.hall import Fault

FULL = hall.SERVERS_PER_RACK * len(hall.RACKS)


def good_runbook(obs):
    acts, busy = [], {tuple(a) for a in obs["in_progress"]}
    live = [f for f, v in obs["feeds"].items() if v]
    for r, k in obs["racks"].items():
        if live and any(f not in live for f in k["pdu_feeds"]):
            acts.append(("failover_feed", r))
    if obs["cooling_kw"] < obs["heat_kw"] and not any(v == "start_crac" for v, _ in busy):
        acts += [("start_crac", u) for u, s in obs["cracs"].items() if s == "standby"][:1]
    for r, k in obs["racks"].items():
        if k["inlet_c"] > 27 and obs["cooling_kw"] >= obs["heat_kw"]:
            if not k["throttled"]:
                acts.append(("throttle", r))
            if ("fix_airflow", r) not in busy:
                acts.append(("fix_airflow", r))
        elif k["throttled"] and k["inlet_c"] <= 25 and ("fix_airflow", r) not in busy:
            acts.append(("unthrottle", r))
    bad = {g: sum(obs["disks"][d] in ("failed", "replacing", "rebuilding") for d in grp["disks"])
           for g, grp in obs["groups"].items()}
    failed = [d for d, s in obs["disks"].items() if s == "failed" and ("replace_disk", d) not in busy]
    acts += [("replace_disk", d) for d in
             sorted(failed, key=lambda d: obs["groups"][d[:2]]["tolerates"] - bad[d[:2]])]
    return acts


def test_same_seed_same_run_and_scenarios_follow_the_generator():
    faults = hall.scenario(np.random.default_rng(7))
    assert faults == hall.scenario(np.random.default_rng(7))
    assert faults != hall.scenario(np.random.default_rng(8))
    a, b = hall.run(good_runbook, faults, seed=3), hall.run(good_runbook, faults, seed=3)
    assert a.summary() == b.summary() and a.timeline == b.timeline and a.actions == b.actions
    c = hall.run(good_runbook, faults, seed=4)
    assert c.timeline["inlet_c"] != a.timeline["inlet_c"]        # only the sensor noise differs
    assert c.actions == a.actions and c.data_lost_gb == a.data_lost_gb


@pytest.mark.parametrize("seed", range(12))
def test_scenarios_have_one_fault_of_each_kind_and_a_fatal_cascade(seed):
    faults = hall.scenario(np.random.default_rng(seed))
    kinds = [f.kind for f in faults]
    assert kinds.count("feed_loss") == kinds.count("crac_fail") == kinds.count("hot_spot") == 1
    disks = [f.target for f in faults if f.kind == "disk_fail"]
    group = {d.split("-")[0] for d in disks}
    assert len(group) == 1 and len(set(disks)) == hall.GROUPS[group.pop()][1] + 1
    assert all(0 <= f.at_minute < 1440 for f in faults)


def test_lost_feed_drops_the_hall_when_the_battery_ends():
    res = hall.run(None, [Fault("feed_loss", 30, "A", 60)], minutes=200)
    up = res.timeline["servers_up"]
    assert up[30 + 8] == FULL and up[30 + 10] == 0                 # 10 minutes of battery
    back = 30 + 60 + hall.BOOT_MIN
    assert up[back - 1] == 0 and up[back] == FULL
    assert res.recovery[0]["minutes"] == 60 + hall.BOOT_MIN
    assert res.server_minutes_down == FULL * (60 + hall.BOOT_MIN - 9)


def test_failover_or_throttling_keeps_racks_up_through_a_lost_feed():
    faults = [Fault("feed_loss", 30, "B", 60)]
    res = hall.run(lambda o: [("failover_feed", r) for r in hall.RACKS] if not o["feeds"]["B"] else [],
                   faults, minutes=200)
    assert res.uptime == 1.0 and res.recovery[0]["minutes"] == 1
    assert len(res.rejected) > 0 and all(reason for _, _, reason in res.rejected)
    throttled = hall.run(lambda o: [("throttle", r) for r in hall.RACKS if not o["racks"][r]["throttled"]],
                         faults, minutes=200)
    assert throttled.server_minutes_down == 0                      # 2.88 kW fits one 3.52 kW PDU
    assert throttled.recovery[0]["minutes"] >= 60                  # but the racks hung on one feed


def test_crac_failure_warms_every_rack_and_the_standby_unit_stops_it():
    faults = [Fault("crac_fail", 10, "CRAC1")]
    idle = hall.run(None, faults, minutes=120)
    assert all(max(idle.timeline["inlet_c"][r]) > hall.ALLOWABLE_MAX_C for r in hall.RACKS)
    assert idle.server_minutes_down > 0
    fixed = hall.run(lambda o: [("start_crac", "CRAC3")] if o["cracs"]["CRAC1"] == "failed" else [],
                     faults, minutes=120)
    assert fixed.max_inlet_c < hall.RECOMMENDED_MAX_C and fixed.uptime == 1.0
    assert fixed.recovery[0]["minutes"] == hall.DELAY["start_crac"]


def test_hot_spot_warms_one_rack_and_throttle_plus_fix_cures_it():
    faults = [Fault("hot_spot", 10, "R2")]
    idle = hall.run(None, faults, minutes=120)
    assert max(idle.timeline["inlet_c"]["R2"]) > hall.TRIP_C
    assert max(idle.timeline["inlet_c"]["R1"]) < hall.RECOMMENDED_MAX_C
    res = hall.run(good_runbook, faults, minutes=120)
    assert res.max_inlet_c < hall.ALLOWABLE_MAX_C and res.server_minutes_down == 0
    assert res.throttled_at_end == 0 and res.recovery[0]["recovered"]
    assert hall.DELAY["fix_airflow"] < res.recovery[0]["minutes"] < 60
    assert res.cost_krw == hall.COST_KRW["fix_airflow"]


def test_disk_cascade_loses_a_group_unless_disks_are_replaced_in_time():
    faults = [Fault("disk_fail", 10, "G2-D1"), Fault("disk_fail", 200, "G2-D3")]
    idle = hall.run(None, faults, minutes=300)
    assert idle.data_lost_gb == 3 * hall.DISK_TB * 1000             # RAID 5 of 4 x 2 TB: 6 TB usable
    res = hall.run(good_runbook, faults, minutes=300)
    assert res.data_lost_gb == 0
    assert res.recovery[0]["minutes"] == hall.DELAY["replace_disk"] + hall.REBUILD_MIN
    assert hall.REBUILD_MIN == 134


def test_one_technician_works_the_queue_in_order():
    faults = [Fault("disk_fail", 5, "G1-D1"), Fault("disk_fail", 5, "G3-D1")]
    order = ["G3-D1", "G1-D1"]
    res = hall.run(lambda o: [("replace_disk", d) for d in order] if o["minute"] == 5 else [], faults, minutes=300)
    done = {r["target"]: r["minutes"] for r in res.recovery}
    assert done["G3-D1"] == 30 + hall.REBUILD_MIN and done["G1-D1"] == 60 + hall.REBUILD_MIN


def test_invalid_actions_are_rejected_not_raised():
    junk = ["start_crac", ("start_crac",), ("launch", "R1"), ("start_crac", "CRAC1"), ("replace_disk", "G1-D1"),
            ("throttle", "R9"), ("fix_airflow", "R1"), ("unthrottle", "R1"), ("failover_feed", "R1"), None]
    res = hall.run(lambda o: junk if o["minute"] == 0 else [], [], minutes=5)
    assert len(res.rejected) == len(junk) and not res.actions and res.uptime == 1.0
    reasons = [reason for _, _, reason in res.rejected]
    assert all(isinstance(r, str) and r for r in reasons)
    assert "CRAC1 is running, not on standby" in reasons and "G1-D1 is ok, not failed" in reasons
    seen = []
    hall.run(lambda o: seen.append(o["rejected"]) or [], [], minutes=2)
    assert seen == [[], []]
    later = []
    hall.run(lambda o: later.append(o["rejected"]) or ([("launch", "R1")] if o["minute"] == 0 else []), [], minutes=2)
    assert later[1] and "unknown action" in later[1][0][1]


def test_a_runbook_cannot_change_the_hall_through_its_observation():
    def vandal(obs):
        obs["racks"]["R1"]["inlet_c"] = 99.0
        obs["cracs"]["CRAC3"] = "running"
        obs["disks"]["G1-D1"] = "failed"
        obs["feeds"]["A"] = False
        return None
    res = hall.run(vandal, [Fault("crac_fail", 1, "CRAC1")], minutes=60)
    ref = hall.run(None, [Fault("crac_fail", 1, "CRAC1")], minutes=60)
    assert res.summary() == ref.summary()


def test_invalid_faults_are_an_authors_error():
    for bad in [Fault("flood", 1, "R1"), Fault("hot_spot", 1, "CRAC1"), Fault("disk_fail", 1, "G9-D1"),
                Fault("crac_fail", 5000, "CRAC1")]:
        with pytest.raises(ValueError):
            hall.run(None, [bad], minutes=60)


def test_scorer_arithmetic():
    res = hall.run(lambda o: [("throttle", "R1")] if o["minute"] == 0 else [], [Fault("hot_spot", 50, "R3")],
                   minutes=100)
    delivered = sum(res.timeline["delivered"])
    assert res.uptime == pytest.approx(delivered / (FULL * 100))
    assert res.timeline["delivered"][50] == pytest.approx(8 * hall.THROTTLE_LEVEL + 16)
    assert res.throttled_at_end == 1
    assert not res.recovery[0]["recovered"] and res.recovery[0]["minutes"] == 50    # censored at the end
    assert res.mttr_min == 50
    two = hall.run(good_runbook, [Fault("feed_loss", 10, "A", 30), Fault("crac_fail", 60, "CRAC2")], minutes=120)
    assert two.mttr_min == pytest.approx(np.mean([r["minutes"] for r in two.recovery]))
    assert two.summary()["unrecovered"] == 0


@pytest.mark.parametrize("seed", range(6))
def test_doing_nothing_scores_badly_and_a_good_runbook_well(seed):
    faults = hall.scenario(np.random.default_rng(seed))
    idle = hall.run(None, faults)
    assert idle.uptime < 0.95 and idle.data_lost_gb > 0 and idle.mttr_min > 300
    good = hall.run(good_runbook, faults)
    assert good.uptime >= 0.99 and good.data_lost_gb == 0 and good.mttr_min <= 120
    assert good.minutes_above_allowable == 0


def test_plot_timeline_draws_two_labelled_panels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = hall.plot_timeline(hall.run(good_runbook, hall.scenario(np.random.default_rng(1), minutes=600), minutes=600))
    top, bottom = fig.axes
    assert "°C" in top.get_ylabel() and "hours" in bottom.get_xlabel() and top.get_title()
    plt.close(fig)
