"""A small simulated datacenter hall for the dc10-lab capstone, built on SimPy.

The hall: three racks ``R1``..``R3`` of 8 servers (0.6 kW each, 4.8 kW per rack). Every rack
has two PDUs (rated 16 A at 220 V = 3.52 kW each), normally one on feed ``A`` and one on
feed ``B``; each feed has its own UPS with 10 minutes of battery. One PDU alone cannot carry a
full rack, so when one feed's UPS runs out the rack's other PDU trips on overload, unless the
rack was failed over (both PDUs moved to the live feed) or throttled below 3.52 kW.
Three CRAC units of 10 kW each (``CRAC1``, ``CRAC2`` running, ``CRAC3`` on standby: N+1 for
14.4 kW of heat). Three disk groups: ``G1`` (RAID 6, 6 disks), ``G2`` (RAID 5, 4 disks) and
``G3`` (RAID 6, 6 disks) of 2 TB SSDs; a group loses its data when more of its disks are
failed, being replaced or rebuilding than its RAID level tolerates.

Time runs in whole minutes. Each minute ``m`` the hall applies the faults due at ``m``, steps
its physics, then calls the runbook with an observation (a fresh copy: changing it changes
nothing) and starts the actions it returns. An action with delay ``d`` shows its effect in the
observation of minute ``m + d``. Invalid actions are rejected with a message in
``Result.rejected`` and in the next observation's ``"rejected"``; they never stop the run.

Action vocabulary (tuples; lists work too):

=================================  =====  ===========  =====================================
action                             delay  technician?  effect
=================================  =====  ===========  =====================================
``("failover_feed", rack)``        1 min  no (remote)  the rack's PDUs on a dead feed move to
                                                       the live feed (a transfer switch)
``("start_crac", unit)``           5 min  no (BMS)     a standby CRAC unit starts cooling
``("throttle", rack)``             1 min  no           cap the rack's servers at 60 % power
``("unthrottle", rack)``           1 min  no           remove the cap
``("fix_airflow", rack)``          30 min yes          blanking panels and floor tiles put
                                                       right: the rack's hot spot is gone
``("replace_disk", disk)``         30 min yes          swap a failed disk; the new one then
                                                       rebuilds for 134 min (2 TB at 250 MB/s, rounded up)
=================================  =====  ===========  =====================================

There is one technician on the night shift: technician jobs wait in a queue (first asked,
first done). ``run(runbook, faults, minutes, seed)`` returns a :class:`Result`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np
import simpy

# --- the hall's numbers ----------------------------------------------------------------------
RACKS = ("R1", "R2", "R3")
SERVERS_PER_RACK = 8
SERVER_KW = 0.6
THROTTLE_LEVEL = 0.6                 # a throttled server runs (and delivers) at 60 %
PDU_RATING_KW = 16 * 220 / 1000      # 16 A at 220 V = 3.52 kW
FEEDS = ("A", "B")
UPS_RUNTIME_MIN = 10.0
UPS_RECHARGE_PER_MIN = 0.1           # minutes of runtime regained per minute on utility power
CRACS = ("CRAC1", "CRAC2", "CRAC3")
CRAC_KW = 10.0
SUPPLY_C = 20.0                      # supply air temperature when cooling keeps up
RACK_OFFSET_C = {"R1": 1.5, "R2": 2.5, "R3": 2.0}   # normal inlet = supply + offset
HALL_HEAT_CAPACITY_KJ_PER_K = 1200.0  # air, floor and equipment of the small hall
INLET_TAU_MIN = 6.0                  # a rack's inlet follows its target with this time constant
HOT_SPOT_C = 13.0                    # extra inlet rise at full rack power with a hot spot
RECOMMENDED_MAX_C = 27.0             # ASHRAE recommended upper limit
ALLOWABLE_MAX_C = 32.0               # ASHRAE class A1 allowable upper limit
TRIP_C = 35.0                        # servers shut themselves down above this inlet
BOOT_MIN = 10
DISK_TB = 2.0
REBUILD_MB_S = 250.0
REBUILD_MIN = math.ceil(DISK_TB * 1e12 / (REBUILD_MB_S * 1e6) / 60)   # 134 min
GROUPS = {"G1": ("RAID6", 2, 6), "G2": ("RAID5", 1, 4), "G3": ("RAID6", 2, 6)}
DELAY = {"failover_feed": 1, "start_crac": 5, "throttle": 1, "unthrottle": 1,
         "fix_airflow": 30, "replace_disk": 30}
COST_KRW = {"failover_feed": 0, "start_crac": 0, "throttle": 0, "unthrottle": 0,
            "fix_airflow": 50_000, "replace_disk": 450_000}
TECHNICIAN_JOBS = ("fix_airflow", "replace_disk")
KINDS = ("feed_loss", "crac_fail", "hot_spot", "disk_fail")


_DISK_IDS = {g: tuple(f"{g}-D{i + 1}" for i in range(n)) for g, (_, _, n) in GROUPS.items()}


def disk_ids(group: str) -> list[str]:
    """The disk ids of a group, e.g. ``disk_ids("G2") == ["G2-D1", ..., "G2-D4"]``."""
    return list(_DISK_IDS[group])


DISKS = tuple(d for g in GROUPS for d in disk_ids(g))


class Fault(NamedTuple):
    """A fault injected at ``at_minute``.

    kind: ``"feed_loss"`` (target ``"A"``/``"B"``: that utility feed is off for ``duration``
    minutes), ``"crac_fail"`` (target a CRAC unit: it stops for the rest of the day),
    ``"hot_spot"`` (target a rack: recirculation raises its inlet until ``fix_airflow``) or
    ``"disk_fail"`` (target a disk id such as ``"G2-D3"``). A disk cascade is several
    ``disk_fail`` faults in one group.
    """
    kind: str
    at_minute: int
    target: str
    duration: int = 0


def _validate(fault: Fault, minutes: int) -> None:
    targets = {"feed_loss": FEEDS, "crac_fail": CRACS, "hot_spot": RACKS, "disk_fail": DISKS}
    if fault.kind not in targets:
        raise ValueError(f"unknown fault kind {fault.kind!r}; kinds are {KINDS}")
    if fault.target not in targets[fault.kind]:
        raise ValueError(f"{fault.kind} needs a target in {targets[fault.kind]}, not {fault.target!r}")
    if not 0 <= int(fault.at_minute) < minutes:
        raise ValueError(f"fault at minute {fault.at_minute} is outside the run (0..{minutes - 1})")


def scenario(rng: np.random.Generator, minutes: int = 1440) -> list[Fault]:
    """A hidden fault schedule: one lost feed, one CRAC failure, one hot spot and one disk
    cascade (tolerated + 1 failures in one group), in random order, 270-300 minutes apart.
    The cascade is never last, so a prompt runbook can finish its rebuilds within the day."""
    order = [str(k) for k in rng.permutation(["feed_loss", "crac_fail", "hot_spot", "disk_cascade"])]
    if order[-1] == "disk_cascade":
        order[-1], order[-2] = order[-2], order[-1]
    t = int(rng.integers(30, 91))
    faults = []
    for kind in order:
        if kind == "feed_loss":
            faults.append(Fault("feed_loss", t, str(rng.choice(FEEDS)), int(rng.integers(60, 181))))
        elif kind == "crac_fail":
            faults.append(Fault("crac_fail", t, str(rng.choice(CRACS[:2]))))
        elif kind == "hot_spot":
            faults.append(Fault("hot_spot", t, str(rng.choice(RACKS))))
        else:
            group = str(rng.choice(list(GROUPS)))
            tolerated = GROUPS[group][1]
            disks = [disk_ids(group)[i] for i in rng.permutation(GROUPS[group][2])[:tolerated + 1]]
            at = t
            for i, disk in enumerate(disks):
                faults.append(Fault("disk_fail", at, disk))
                # RAID 5: the second failure comes 190-240 min later; RAID 6: 100-150 min apart
                at += int(rng.integers(190, 241)) if tolerated == 1 else int(rng.integers(100, 151))
        t += int(rng.integers(270, 301))
    return [f for f in sorted(faults, key=lambda f: f.at_minute) if f.at_minute < minutes]


@dataclass
class Result:
    """What a run measured. ``summary()`` gives the plain numbers the graders check."""
    minutes: int
    uptime: float                     # compute delivered / compute possible (throttled = 60 %)
    data_lost_gb: float
    recovery: list                    # per fault: dict kind, target, at_minute, minutes, recovered
    mttr_min: float                   # mean time to recover; an unrecovered fault counts until the end
    max_inlet_c: float
    minutes_above_allowable: int      # rack-minutes with inlet above 32 °C
    cost_krw: int
    actions: list                     # (minute, action) accepted
    rejected: list                    # (minute, action, reason)
    server_minutes_down: int          # server-minutes with the server off (throttling is not down)
    throttled_at_end: int             # racks still throttled in the last minute
    timeline: dict = field(repr=False)   # per-minute arrays, see run()
    faults: list = field(default_factory=list)

    def summary(self) -> dict:
        return {"uptime": round(self.uptime, 6), "data_lost_gb": self.data_lost_gb,
                "mttr_min": round(self.mttr_min, 2), "max_inlet_c": round(self.max_inlet_c, 2),
                "minutes_above_allowable": self.minutes_above_allowable,
                "server_minutes_down": self.server_minutes_down,
                "throttled_at_end": self.throttled_at_end,
                "unrecovered": sum(1 for r in self.recovery if not r["recovered"]),
                "cost_krw": self.cost_krw}


class _Hall:
    def __init__(self, env: simpy.Environment, faults: list[Fault], minutes: int):
        self.env, self.minutes = env, minutes
        self.m = 0
        self.faults = sorted(faults, key=lambda f: (f.at_minute, KINDS.index(f.kind)))
        self.utility = {f: True for f in FEEDS}
        self.utility_back = {f: None for f in FEEDS}
        self.battery = {f: UPS_RUNTIME_MIN for f in FEEDS}
        self.pdu_feeds = {r: ["A", "B"] for r in RACKS}
        self.throttled = {r: False for r in RACKS}
        self.hot_spot = {r: False for r in RACKS}
        self.powered = {r: True for r in RACKS}
        self.tripped = {r: False for r in RACKS}      # thermal shutdown
        self.boot_until = {r: -1 for r in RACKS}
        self.inlet = {r: SUPPLY_C + RACK_OFFSET_C[r] for r in RACKS}
        self.excess_c = 0.0
        self.crac = {"CRAC1": "running", "CRAC2": "running", "CRAC3": "standby"}
        self.disk = {d: "ok" for d in DISKS}
        self.lost_groups: set[str] = set()
        self.data_lost_gb = 0.0
        self.technician = simpy.Resource(env, capacity=1)
        self.in_progress: set[tuple] = set()
        self.cost = 0
        self.accepted: list = []
        self.rejected: list = []
        self.last_rejected: list = []
        self.open: list[dict] = []       # faults not yet recovered

    # --- physics -----------------------------------------------------------------------------
    def live(self, feed: str) -> bool:
        return self.utility[feed] or self.battery[feed] > 0

    def rack_kw(self, r: str) -> float:
        return self.servers_up(r) * SERVER_KW * (THROTTLE_LEVEL if self.throttled[r] else 1.0)

    def servers_up(self, r: str) -> int:
        ok = self.powered[r] and not self.tripped[r] and self.m >= self.boot_until[r]
        return SERVERS_PER_RACK if ok else 0

    def cooling_kw(self) -> float:
        return CRAC_KW * sum(1 for s in self.crac.values() if s == "running")

    def apply_fault(self, f: Fault) -> None:
        m = f.at_minute
        if f.kind == "feed_loss":
            self.utility[f.target] = False
            self.utility_back[f.target] = m + max(int(f.duration), 1)
        elif f.kind == "crac_fail":
            self.crac[f.target] = "failed"
        elif f.kind == "hot_spot":
            self.hot_spot[f.target] = True
        elif f.kind == "disk_fail":
            group = f.target.split("-")[0]
            if group in self.lost_groups or self.disk[f.target] == "lost":
                return
            self.disk[f.target] = "failed"
            degraded = sum(1 for d in disk_ids(group) if self.disk[d] in ("failed", "replacing", "rebuilding"))
            raid, tolerated, n = GROUPS[group]
            if degraded > tolerated:
                self.lost_groups.add(group)
                self.data_lost_gb += (n - tolerated) * DISK_TB * 1000
                for d in disk_ids(group):
                    self.disk[d] = "lost"
        self.open.append({"kind": f.kind, "target": f.target, "at_minute": m, "minutes": None,
                          "recovered": False})

    def step_power(self, m: int) -> None:
        for feed in FEEDS:
            if not self.utility[feed] and self.utility_back[feed] is not None and m >= self.utility_back[feed]:
                self.utility[feed] = True
            load = any(feed in self.pdu_feeds[r] for r in RACKS)
            if not self.utility[feed] and load:
                self.battery[feed] = max(0.0, self.battery[feed] - 1.0)
            elif self.utility[feed]:
                self.battery[feed] = min(UPS_RUNTIME_MIN, self.battery[feed] + UPS_RECHARGE_PER_MIN)
        for r in RACKS:
            live = sum(1 for feed in self.pdu_feeds[r] if self.live(feed))
            demand = SERVERS_PER_RACK * SERVER_KW * (THROTTLE_LEVEL if self.throttled[r] else 1.0)
            ok = live == 2 or (live == 1 and demand <= PDU_RATING_KW + 1e-9)
            if ok and not self.powered[r]:
                self.boot_until[r] = m + BOOT_MIN
            self.powered[r] = ok

    def step_thermal(self, m: int) -> None:
        heat = sum(self.rack_kw(r) for r in RACKS)
        self.excess_c = max(0.0, self.excess_c + (heat - self.cooling_kw()) * 60 / HALL_HEAT_CAPACITY_KJ_PER_K)
        full = SERVERS_PER_RACK * SERVER_KW
        for r in RACKS:
            target = SUPPLY_C + RACK_OFFSET_C[r] + self.excess_c
            if self.hot_spot[r]:
                target += HOT_SPOT_C * self.rack_kw(r) / full
            self.inlet[r] += (target - self.inlet[r]) / INLET_TAU_MIN
            if self.inlet[r] > TRIP_C and not self.tripped[r]:
                self.tripped[r] = True
            elif self.tripped[r] and self.inlet[r] <= RECOMMENDED_MAX_C:
                self.tripped[r] = False
                self.boot_until[r] = m + BOOT_MIN

    def all_up(self) -> bool:
        return all(self.servers_up(r) == SERVERS_PER_RACK for r in RACKS)

    def recovered(self, f: dict) -> bool:
        kind, target = f["kind"], f["target"]
        if kind == "feed_loss":
            return self.all_up() and all(self.utility[feed] for r in RACKS for feed in self.pdu_feeds[r])
        if kind == "crac_fail":
            heat = sum(self.rack_kw(r) for r in RACKS)
            return (self.all_up() and self.cooling_kw() >= heat
                    and all(t <= RECOMMENDED_MAX_C for t in self.inlet.values()))
        if kind == "hot_spot":
            return (not self.hot_spot[target] and self.servers_up(target) == SERVERS_PER_RACK
                    and self.inlet[target] <= RECOMMENDED_MAX_C)
        return self.disk[target] == "ok"

    # --- observation and actions --------------------------------------------------------------
    def observe(self, m: int) -> dict:
        """A fresh copy of what the hall's monitoring shows (built anew every minute)."""
        up = {r: self.servers_up(r) for r in RACKS}
        kw = {r: round(self.rack_kw(r), 3) for r in RACKS}
        return {
            "minute": m,
            "feeds": dict(self.utility),
            "ups_minutes_left": {f: round(self.battery[f], 2) for f in FEEDS},
            "racks": {r: {"pdu_feeds": list(self.pdu_feeds[r]), "powered": self.powered[r],
                          "servers_up": up[r], "throttled": self.throttled[r],
                          "power_kw": kw[r], "inlet_c": round(self.inlet[r], 2)}
                      for r in RACKS},
            "cracs": dict(self.crac),
            "cooling_kw": self.cooling_kw(),
            "heat_kw": round(sum(kw.values()), 3),
            "disks": dict(self.disk),
            "groups": {g: {"raid": raid, "tolerates": tol, "disks": disk_ids(g),
                           "lost": g in self.lost_groups} for g, (raid, tol, n) in GROUPS.items()},
            "in_progress": sorted([list(a) for a in self.in_progress]),
            "rejected": [list(x) for x in self.last_rejected],
        }

    def check(self, action) -> tuple[tuple | None, str | None]:
        if not isinstance(action, (tuple, list)) or len(action) != 2:
            return None, "an action is a pair (verb, target), e.g. ('start_crac', 'CRAC3')"
        verb, target = action
        if verb not in DELAY:
            return None, f"unknown action {verb!r}; the actions are {sorted(DELAY)}"
        action = (str(verb), str(target))
        if action in self.in_progress:
            return None, "already in progress"
        if verb in ("failover_feed", "throttle", "unthrottle", "fix_airflow") and target not in RACKS:
            return None, f"{verb} needs a rack in {RACKS}"
        if verb == "failover_feed":
            if all(self.utility[f] for f in self.pdu_feeds[target]):
                return None, f"{target} has no PDU on a dead feed"
            if not any(self.utility[f] for f in FEEDS):
                return None, "no live feed to fail over to"
        elif verb == "start_crac":
            if target not in CRACS:
                return None, f"start_crac needs a unit in {CRACS}"
            if self.crac[target] != "standby":
                return None, f"{target} is {self.crac[target]}, not on standby"
        elif verb == "throttle" and self.throttled[target]:
            return None, f"{target} is already throttled"
        elif verb == "unthrottle" and not self.throttled[target]:
            return None, f"{target} is not throttled"
        elif verb == "fix_airflow" and not self.hot_spot[target]:
            return None, f"{target} has no hot spot to fix"
        elif verb == "replace_disk":
            if target not in self.disk:
                return None, "replace_disk needs a disk id such as 'G1-D3'"
            if self.disk[target] != "failed":
                return None, f"{target} is {self.disk[target]}, not failed"
        return action, None

    def act(self, action: tuple):
        verb, target = action
        self.in_progress.add(action)
        self.cost += COST_KRW[verb]
        if verb in TECHNICIAN_JOBS:
            with self.technician.request() as req:
                yield req
                if verb == "replace_disk":
                    if self.disk[target] != "failed":       # its group was lost while waiting
                        self.in_progress.discard(action)
                        return
                    self.disk[target] = "replacing"
                yield self.env.timeout(math.floor(self.env.now) + DELAY[verb] - self.env.now)
        else:
            yield self.env.timeout(math.floor(self.env.now) + DELAY[verb] - self.env.now)
        self.in_progress.discard(action)
        if verb == "failover_feed":
            for i, feed in enumerate(self.pdu_feeds[target]):
                if not self.utility[feed]:
                    other = "B" if feed == "A" else "A"
                    if self.utility[other]:
                        self.pdu_feeds[target][i] = other
        elif verb == "start_crac":
            if self.crac[target] == "standby":
                self.crac[target] = "running"
        elif verb == "throttle":
            self.throttled[target] = True
        elif verb == "unthrottle":
            self.throttled[target] = False
        elif verb == "fix_airflow":
            self.hot_spot[target] = False
        elif verb == "replace_disk" and self.disk[target] == "replacing":
            self.disk[target] = "rebuilding"
            self.env.process(self.rebuild(target))

    def rebuild(self, disk: str):
        yield self.env.timeout(REBUILD_MIN)
        if self.disk[disk] == "rebuilding":
            self.disk[disk] = "ok"


def run(runbook: Callable[[dict], list] | None, faults: list[Fault], minutes: int = 1440,
        seed: int = 0) -> Result:
    """Run the hall for ``minutes`` with ``faults``, calling ``runbook(observation)`` every
    minute (``None``: do nothing). The runbook returns a list of actions (or None).

    The model is deterministic; ``seed`` only sets the small per-run noise of the inlet
    sensors (±0.1 °C), so two runs with one seed are identical.
    Timeline arrays (index = minute): ``inlet_c`` (dict rack -> list), ``servers_up``,
    ``heat_kw``, ``cooling_kw``; and ``events``: (minute, "fault"/"action", text).
    """
    for f in faults:
        _validate(f, minutes)
    faults = [Fault(f.kind, int(f.at_minute), f.target, int(f.duration)) for f in faults]
    noise = np.random.default_rng(seed).normal(0.0, 0.05, (minutes, len(RACKS))).clip(-0.1, 0.1)
    env = simpy.Environment()
    hall = _Hall(env, faults, minutes)
    tl = {"inlet_c": {r: [] for r in RACKS}, "servers_up": [], "delivered": [], "heat_kw": [],
          "cooling_kw": [], "events": []}
    done: list[dict] = []

    def tick():
        yield env.timeout(0.5)                 # minute m is processed at t = m + 0.5
        queue = list(hall.faults)
        for m in range(minutes):
            while queue and queue[0].at_minute == m:
                f = queue.pop(0)
                hall.apply_fault(f)
                tl["events"].append((m, "fault", f"{f.kind} {f.target}"))
            hall.m = m
            hall.step_power(m)
            hall.step_thermal(m)
            for i, r in enumerate(RACKS):
                hall.inlet[r] += float(noise[m, i])
            for f in list(hall.open):
                if hall.recovered(f):
                    f["minutes"], f["recovered"] = m - f["at_minute"], True
                    hall.open.remove(f)
                    done.append(f)
            for r in RACKS:
                tl["inlet_c"][r].append(hall.inlet[r])
            up = [hall.servers_up(r) for r in RACKS]
            tl["servers_up"].append(sum(up))
            tl["delivered"].append(sum(u * (THROTTLE_LEVEL if hall.throttled[r] else 1.0)
                                       for u, r in zip(up, RACKS)))
            tl["heat_kw"].append(sum(hall.rack_kw(r) for r in RACKS))
            tl["cooling_kw"].append(hall.cooling_kw())
            obs = hall.observe(m)
            hall.last_rejected = []
            actions = runbook(obs) if runbook is not None else None
            for action in list(actions or []):
                checked, reason = hall.check(action)
                if reason:
                    hall.rejected.append((m, action, reason))
                    hall.last_rejected.append([list(action) if isinstance(action, (tuple, list)) else action, reason])
                    continue
                hall.accepted.append((m, checked))
                tl["events"].append((m, "action", f"{checked[0]} {checked[1]}"))
                env.process(hall.act(checked))
            yield env.timeout(1)

    env.process(tick())
    env.run(until=minutes + 0.5)
    for f in hall.open:
        f["minutes"] = minutes - f["at_minute"]
        done.append(f)
    recovery = sorted(done, key=lambda f: (f["at_minute"], f["kind"], f["target"]))
    inlets = np.array([tl["inlet_c"][r] for r in RACKS])
    possible = SERVERS_PER_RACK * len(RACKS) * minutes
    return Result(
        minutes=minutes,
        uptime=float(sum(tl["delivered"]) / possible),
        data_lost_gb=float(hall.data_lost_gb),
        recovery=recovery,
        mttr_min=float(np.mean([f["minutes"] for f in recovery])) if recovery else 0.0,
        max_inlet_c=float(inlets.max()),
        minutes_above_allowable=int((inlets > ALLOWABLE_MAX_C).sum()),
        cost_krw=int(hall.cost),
        actions=hall.accepted,
        rejected=hall.rejected,
        server_minutes_down=int(possible - sum(tl["servers_up"])),
        throttled_at_end=sum(1 for r in RACKS if hall.throttled[r]),
        timeline=tl,
        faults=faults,
    )


def plot_timeline(result: Result, ax=None, title: str = "Hall timeline"):
    """Two panels: rack inlet temperatures with the ASHRAE limits, and servers up with the
    faults (dashed) and actions (ticks). Returns the figure."""
    import matplotlib.pyplot as plt

    colors = {"R1": "#0072B2", "R2": "#E69F00", "R3": "#009E73"}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    hours = np.arange(result.minutes) / 60
    for r in RACKS:
        top.plot(hours, result.timeline["inlet_c"][r], color=colors[r], lw=1.3, label=f"{r} inlet")
    top.axhline(RECOMMENDED_MAX_C, color="#555555", ls=":", lw=1, label="27 °C recommended max")
    top.axhline(ALLOWABLE_MAX_C, color="#D55E00", ls="--", lw=1, label="32 °C allowable max (A1)")
    top.set_ylabel("inlet temperature (°C)")
    top.set_title(title)
    bottom.plot(hours, result.timeline["servers_up"], color="#000000", lw=1.3, label="servers up")
    bottom.plot(hours, result.timeline["delivered"], color="#CC79A7", lw=1, ls="--",
                label="compute delivered (server equivalents)")
    bottom.set_ylim(-1, SERVERS_PER_RACK * len(RACKS) + 3)
    bottom.set_ylabel("servers")
    bottom.set_xlabel("time (hours from midnight)")
    for m, what, text in result.timeline["events"]:
        if what == "fault":
            for a in (top, bottom):
                a.axvline(m / 60, color="#D55E00", ls="--", lw=0.8, alpha=0.7)
            top.annotate(text, (m / 60, top.get_ylim()[1]), rotation=90, va="top", ha="right",
                         fontsize=7, color="#D55E00")
        else:
            bottom.plot([m / 60], [SERVERS_PER_RACK * len(RACKS) + 1.5], marker="|", color="#56B4E9",
                        ms=8)
    bottom.plot([], [], marker="|", ls="", color="#56B4E9", label="runbook action")
    bottom.plot([], [], ls="--", color="#D55E00", label="fault injected")
    top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    bottom.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig
