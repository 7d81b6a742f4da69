"""dc04-networking's test cells accept other correct answers and reject near misses.

Each case runs one graded test cell (hidden tests included) of the solved source notebook with
answer functions replaced, under the public variant and two students' variants.
"""
from __future__ import annotations

import ipaddress
import math

import numpy as np

from conftest import ROOT
from graders import instances
from notebook_harness import AnswerTable, solved_notebook

AID = "dc04-networking"
STUDENTS = [None, "student-a", "student-b"]   # None: the public variant

C_KM_PER_S, GROUP_INDEX = 299_792.458, 1.468
ATTEN = {1310: 0.4, 1550: 0.3}


# --- q1 ----------------------------------------------------------------------------------

def hosts_by_bits(cidr):
    """Counts from the prefix length alone, the version from the text."""
    bits = 128 if ":" in cidr else 32
    p = int(cidr.split("/")[1])
    if p >= bits - 1:
        return 2 ** (bits - p)
    return 2 ** (bits - p) - (1 if bits == 128 else 2)


def hosts_iterating_small(cidr):
    """Iterate hosts() where that is cheap, otherwise the formula."""
    net = ipaddress.ip_network(cidr)
    if net.max_prefixlen - net.prefixlen <= 12:
        return sum(1 for _ in net.hosts())
    return net.num_addresses - (2 if net.version == 4 else 1)


def hosts_with(v4_minus=2, v6_minus=1, p2p=True, single=True):
    """usable_hosts with one rule of the table changed."""
    def f(cidr):
        net = ipaddress.ip_network(cidr)
        host_bits = net.max_prefixlen - net.prefixlen
        if host_bits == 1 and p2p:
            return 2
        if host_bits == 0 and single:
            return 1
        return net.num_addresses - (v4_minus if net.version == 4 else v6_minus)
    return f


# --- q2 ----------------------------------------------------------------------------------

def pairs_by_ranges(blocks):
    spans = []
    for name, cidr in blocks.items():
        n = ipaddress.ip_network(cidr)
        spans.append((name, n.version, int(n.network_address), int(n.broadcast_address)))
    return [tuple(sorted((a[0], b[0]))) for i, a in enumerate(spans) for b in spans[i + 1:]
            if a[1] == b[1] and a[2] <= b[3] and b[2] <= a[3]]


def pairs_by_subnet_of(blocks):
    nets = {k: ipaddress.ip_network(v) for k, v in blocks.items()}
    return {frozenset((a, b)) for a in nets for b in nets if a < b and nets[a].version == nets[b].version
            and (nets[a].subnet_of(nets[b]) or nets[b].subnet_of(nets[a]))}


def pairs_both_orders(blocks):
    nets = {k: ipaddress.ip_network(v) for k, v in blocks.items()}
    return {(a, b) for a in nets for b in nets if a != b and nets[a].overlaps(nets[b])}


def pairs_with_self(blocks):
    nets = {k: ipaddress.ip_network(v) for k, v in blocks.items()}
    return {(a, b) for a in nets for b in nets if a <= b and nets[a].overlaps(nets[b])}


def pairs_identical_only(blocks):
    nets = {k: ipaddress.ip_network(v) for k, v in blocks.items()}
    return {(a, b) for a in nets for b in nets if a < b and nets[a] == nets[b]}


def pairs_input_order(blocks):
    names = list(blocks)
    nets = [ipaddress.ip_network(blocks[k]) for k in names]
    return {(names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))
            if nets[i].overlaps(nets[j])}


def pairs_across_versions(blocks):
    """Integer ranges compared without looking at the IP version."""
    spans = {k: (int(ipaddress.ip_network(v)[0]), int(ipaddress.ip_network(v)[-1])) for k, v in blocks.items()}
    names = sorted(spans)
    return {(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if spans[a][0] <= spans[b][1] and spans[b][0] <= spans[a][1]}


# --- q3 ----------------------------------------------------------------------------------

def lpm_sorted_first_match(table, addresses):
    routes = sorted(((ipaddress.ip_network(p), h) for p, h in table), key=lambda r: -r[0].prefixlen)
    out = []
    for a in addresses:
        addr = ipaddress.ip_address(a)
        out.append(next((h for n, h in routes if addr in n), None))
    return tuple(out)


def lpm_integer_masks(table, addresses):
    out = []
    for a in addresses:
        addr = ipaddress.ip_address(a)
        best = None
        for p, h in table:
            n = ipaddress.ip_network(p)
            if n.version != addr.version:
                continue
            mask = int(n.netmask)
            if int(addr) & mask == int(n.network_address) and (best is None or n.prefixlen > best[0]):
                best = (n.prefixlen, h)
        out.append(best[1] if best else None)
    return out


def lpm_dict_last_row_wins(table, addresses):
    """Routes in a dict keyed by prefix (a repeated prefix keeps its last row), longest first."""
    routes = {ipaddress.ip_network(p): h for p, h in table}
    out = []
    for a in addresses:
        addr = ipaddress.ip_address(a)
        hits = [n for n in routes if n.version == addr.version and addr in n]
        out.append(routes[max(hits, key=lambda n: n.prefixlen)] if hits else None)
    return out


def lpm_first_in_table(table, addresses):
    out = []
    for a in addresses:
        addr = ipaddress.ip_address(a)
        out.append(next((h for p, h in table if addr in ipaddress.ip_network(p)), None))
    return out


def lpm_shortest(table, addresses):
    out = []
    for a in addresses:
        addr = ipaddress.ip_address(a)
        m = [(ipaddress.ip_network(p).prefixlen, h) for p, h in table if addr in ipaddress.ip_network(p)]
        out.append(min(m)[1] if m else None)
    return out


def lpm_v4_default_for_all(table, addresses):
    """Falls back to the IPv4 default route when nothing matches."""
    right = lpm_integer_masks(table, addresses)
    fallback = dict(table).get("0.0.0.0/0", "default")
    return [h if h is not None else fallback for h in right]


def lpm_empty_string(table, addresses):
    return [h or "" for h in lpm_integer_masks(table, addresses)]


# --- q4 ----------------------------------------------------------------------------------

def rtt_km_per_ms(route_km):
    return 2 * route_km / (C_KM_PER_S / GROUP_INDEX / 1000)


def rtt_right(route_km):
    return 2 * route_km * GROUP_INDEX / C_KM_PER_S * 1e3


def window_log2(gbps, rtt_ms):
    bdp = gbps * 1e9 * (rtt_ms / 1000) / 8
    return bdp, min(14, max(0, math.ceil(math.log2(bdp / 65_535))))


def window_no_cap(gbps, rtt_ms):
    """The right shift below 14, but no cap: 15 and more where RFC 7323 allows only 14."""
    bdp = gbps * 1e9 * (rtt_ms / 1000) / 8
    return bdp, max(0, math.ceil(math.log2(bdp / 65_535)))


def window_bits_then_bytes(gbps, rtt_ms):
    bits = np.float64(gbps) * 1e9 * np.float64(rtt_ms) * 1e-3
    shift = 0
    while 65_535 * 2 ** shift * 8 < bits and shift < 14:
        shift += 1
    return np.array([bits / 8, shift])[0], np.int64(shift)


def window_in_bits(gbps, rtt_ms):
    bdp = gbps * 1e9 * rtt_ms / 1e3
    return bdp, max(0, math.ceil(math.log2(bdp / 65_535)))


def window_ms_as_s(gbps, rtt_ms):
    bdp = gbps * 1e9 * rtt_ms / 8
    return bdp, min(14, max(0, math.ceil(math.log2(bdp / 65_535))))


def window_floor(gbps, rtt_ms):
    bdp = gbps * 1e9 * rtt_ms / 1e3 / 8
    return bdp, max(0, math.floor(math.log2(bdp / 65_535)))


# --- q5 ----------------------------------------------------------------------------------

def budget_explicit(length_km, wavelength_nm, connectors, splices, tx_dbm, rx_sensitivity_dbm):
    alpha = 0.4 if wavelength_nm == 1310 else 0.3
    loss = alpha * length_km + 0.75 * connectors + 0.3 * splices
    margin = tx_dbm - rx_sensitivity_dbm - loss
    return [loss, margin, round(margin, 2) >= 3]     # margins rounded to 0.01 dB, as a meter shows


def budget_numpy(length_km, wavelength_nm, connectors, splices, tx_dbm, rx_sensitivity_dbm):
    parts = np.array([length_km * ATTEN[wavelength_nm], connectors * 0.75, splices * 0.3])
    loss = parts.sum()
    margin = np.float64(tx_dbm) - rx_sensitivity_dbm - loss
    return loss, margin, np.bool_(margin >= 3.0 or np.isclose(margin, 3.0, rtol=0, atol=1e-9))


def budget_variant(**changes):
    def f(length_km, wavelength_nm, connectors, splices, tx_dbm, rx_sensitivity_dbm):
        atten = changes.get("atten", ATTEN)
        conn = changes.get("conn", 0.75)
        loss = length_km * atten[wavelength_nm] + connectors * conn + splices * 0.3
        margin = tx_dbm - rx_sensitivity_dbm - loss
        if changes.get("sign"):
            margin = -margin
        need = changes.get("need", 3.0) - changes.get("tolerance", 0.0)
        ok = margin > need if changes.get("strict") else margin >= need
        return loss, margin, int(ok) if changes.get("as_int") else bool(ok)
    return f


# --- q6 ----------------------------------------------------------------------------------

def smallest_prefix(hosts):
    if hosts <= 2:
        return 33 - hosts
    return 32 - math.ceil(math.log2(hosts + 2))


def plan_top_down(block, needs, check_fit=True):
    """Largest first, from the end of the block downwards."""
    net = ipaddress.ip_network(block)
    if check_fit and sum(2 ** (32 - smallest_prefix(h)) for h in needs.values()) > net.num_addresses:
        raise ValueError("the segments do not fit in the block")
    end = int(net.broadcast_address) + 1
    plan = {}
    for name in sorted(needs, key=lambda n: (smallest_prefix(needs[n]), n)):
        p = smallest_prefix(needs[name])
        end -= 2 ** (32 - p)
        plan[name] = f"{ipaddress.IPv4Address(end)}/{p}"
    return plan


def plan_free_list(block, needs):
    """Largest first; each time split the highest-addressed free block that is big enough."""
    free = [ipaddress.ip_network(block)]
    plan = {}
    for name in sorted(needs, key=lambda n: -needs[n]):
        p = smallest_prefix(needs[name])
        room = [f for f in free if f.prefixlen <= p]
        if not room:
            raise ValueError(f"no room left for {name}")
        host = max(room, key=lambda f: int(f.network_address))
        free.remove(host)
        piece = list(host.subnets(new_prefix=p))[-1]
        free.extend(host.address_exclude(piece))
        plan[name] = piece.with_prefixlen
    return plan


def plan_buddy_input_order(block, needs):
    """A buddy allocator, segments in the given order, best fit (the smallest free block)."""
    free = [ipaddress.ip_network(block)]
    plan = {}
    for name, hosts in needs.items():
        p = smallest_prefix(hosts)
        room = [f for f in free if f.prefixlen <= p]
        if not room:
            raise ValueError(f"no room left for {name}")
        host = max(room, key=lambda f: (f.prefixlen, -int(f.network_address)))
        free.remove(host)
        while host.prefixlen < p:
            low, high = host.subnets()
            free.append(high)
            host = low
        plan[name] = str(host)
    return plan


def plan_with(prefix_rule, *, strict=True, start_at_end=False, objects=False, order=1):
    def f(block, needs):
        net = ipaddress.ip_network(block)
        nxt = int(net.broadcast_address) + 1 if start_at_end else int(net.network_address)
        plan = {}
        for name in sorted(needs, key=lambda n: order * prefix_rule(needs[n])):
            sub = ipaddress.ip_network((nxt, prefix_rule(needs[name])), strict=strict)
            plan[name] = sub if objects else str(sub)
            nxt += sub.num_addresses
        return plan
    return f


def plan_unaligned_strings(block, needs):
    """Smallest first, each at the next free address, written as strings without checking."""
    nxt = int(ipaddress.ip_network(block).network_address)
    plan = {}
    for name in sorted(needs, key=lambda n: -smallest_prefix(needs[n])):
        p = smallest_prefix(needs[name])
        plan[name] = f"{ipaddress.IPv4Address(nxt)}/{p}"
        nxt += 2 ** (32 - p)
    return plan


def plan_wrong_error(block, needs):
    """Checks the fit, but raises the wrong exception."""
    try:
        return plan_top_down(block, needs)
    except ValueError:
        raise IndexError("the block is full") from None


def without_minus_two(hosts):
    return 32 - math.ceil(math.log2(hosts)) if hosts > 1 else 32


def classic_p2p(hosts):
    """/30 for 2 hosts, as older practice did."""
    return 30 if hosts == 2 else smallest_prefix(hosts)


def one_bigger(hosts):
    return smallest_prefix(hosts) - 1


CORRECT = {
    "q1-usable-hosts-test": {
        "by-prefix-length": {"usable_hosts": hosts_by_bits},
        "iterate-small-nets": {"usable_hosts": hosts_iterating_small},
    },
    "q2-overlaps-test": {
        "integer-ranges-list": {"overlapping_pairs": pairs_by_ranges},
        "subnet-of-frozensets": {"overlapping_pairs": pairs_by_subnet_of},
    },
    "q3-lpm-test": {
        "sorted-first-match-tuple": {"next_hops": lpm_sorted_first_match},
        "integer-masks": {"next_hops": lpm_integer_masks},
        "dict-last-row-wins": {"next_hops": lpm_dict_last_row_wins},
    },
    "q4-bdp-test": {
        "km-per-ms-and-log2": {"fibre_rtt_ms": rtt_km_per_ms, "tcp_window": window_log2},
        "numpy-bits-then-bytes": {"fibre_rtt_ms": lambda km: np.float64(rtt_right(km)),
                                  "tcp_window": window_bits_then_bytes},
    },
    "q5-fibre-test": {
        "explicit-list": {"link_budget": budget_explicit},
        "numpy-bool": {"link_budget": budget_numpy},
    },
    "q6-vlsm-test": {
        "top-down": {"vlsm_plan": plan_top_down},
        "free-list-highest": {"vlsm_plan": plan_free_list},
        "buddy-input-order": {"vlsm_plan": plan_buddy_input_order},
    },
}

NEAR_MISSES = {
    "q1-usable-hosts-test": {
        "always-minus-two": {"usable_hosts": lambda c: ipaddress.ip_network(c).num_addresses - 2},
        "no-p2p-exception": {"usable_hosts": lambda c: max(0, ipaddress.ip_network(c).num_addresses
                                                          - (2 if ":" not in c else 1))},
        "all-addresses": {"usable_hosts": lambda c: ipaddress.ip_network(c).num_addresses},
        "ipv4-bits-for-ipv6": {"usable_hosts": lambda c: max(1, 2 ** (32 - min(32, int(c.split("/")[1]))) - 2)},
    },
    "q2-overlaps-test": {
        "both-orders": {"overlapping_pairs": pairs_both_orders},
        "with-self": {"overlapping_pairs": pairs_with_self},
        "identical-only": {"overlapping_pairs": pairs_identical_only},
        "input-order-names": {"overlapping_pairs": pairs_input_order},
    },
    "q3-lpm-test": {
        "first-match-in-table-order": {"next_hops": lpm_first_in_table},
        "shortest-prefix": {"next_hops": lpm_shortest},
        "ipv4-default-for-everything": {"next_hops": lpm_v4_default_for_all},
        "empty-string-for-no-route": {"next_hops": lpm_empty_string},
    },
    "q4-bdp-test": {
        "bits-not-bytes": {"tcp_window": window_in_bits},
        "ms-used-as-s": {"tcp_window": window_ms_as_s},
        "shift-one-short": {"tcp_window": window_floor},
        "no-cap-at-14": {"tcp_window": window_no_cap},
        "one-way-rtt": {"fibre_rtt_ms": lambda km: rtt_right(km) / 2},
        "vacuum-speed": {"fibre_rtt_ms": lambda km: 2 * km / C_KM_PER_S * 1e3},
    },
    "q5-fibre-test": {
        "per-connector-not-pair": {"link_budget": budget_variant(conn=1.5)},
        "wavelengths-swapped": {"link_budget": budget_variant(atten={1310: 0.3, 1550: 0.4})},
        "margin-sign-flipped": {"link_budget": budget_variant(sign=True)},
        "strictly-more-than-3": {"link_budget": budget_variant(strict=True)},
        "ok-as-int": {"link_budget": budget_variant(as_int=True)},
        "no-safety-margin": {"link_budget": budget_variant(need=0.0)},
        "raw-float-compare": {"link_budget": budget_variant()},
    },
    "q6-vlsm-test": {
        "forgot-minus-two": {"vlsm_plan": plan_with(without_minus_two)},
        "p2p-as-slash-30": {"vlsm_plan": plan_with(classic_p2p)},
        "one-size-bigger": {"vlsm_plan": plan_with(one_bigger)},
        "smallest-first-unaligned": {"vlsm_plan": plan_with(smallest_prefix, strict=False, order=-1)},
        "past-the-block-end": {"vlsm_plan": plan_with(smallest_prefix, start_at_end=True)},
        "network-objects": {"vlsm_plan": plan_with(smallest_prefix, objects=True)},
        "unaligned-strings": {"vlsm_plan": plan_unaligned_strings},
        "segment-dropped": {"vlsm_plan": lambda b, n: dict(list(plan_top_down(b, n).items())[1:])},
        "no-fit-check": {"vlsm_plan": lambda b, n: plan_top_down(b, n, check_fit=False)},
        "wrong-error-when-full": {"vlsm_plan": plan_wrong_error},
    },
}


# The mistakes the module's text warns about: each fails a visible test that names it.
NAMED_MISTAKES = {
    "q1-usable-hosts-test": {
        "all-addresses": ({"usable_hosts": lambda c: ipaddress.ip_network(c).num_addresses},
                          "counting every address"),
        "minus-two-on-31": ({"usable_hosts": hosts_with(p2p=False, single=False)}, "subtracting 2 on a /31"),
        "minus-two-on-32": ({"usable_hosts": hosts_with(single=False)}, "subtracting 2 on a /32"),
        "ipv6-minus-two": ({"usable_hosts": hosts_with(v6_minus=2)}, "subtracting 2 for IPv6"),
        "ipv6-all-addresses": ({"usable_hosts": hosts_with(v6_minus=0)}, "counting every IPv6 address"),
        "minus-one-on-127": ({"usable_hosts": lambda c: hosts_with()(c) if not c.endswith("/127")
                              else hosts_with(p2p=False)(c)}, "subtracting 1 on a /127"),
    },
    "q2-overlaps-test": {
        "both-orders": ({"overlapping_pairs": pairs_both_orders}, "both orders"),
        "input-order-names": ({"overlapping_pairs": pairs_input_order}, "names in the order of the sheet"),
        "with-self": ({"overlapping_pairs": pairs_with_self}, "pairing each block with itself"),
        "identical-only": ({"overlapping_pairs": pairs_identical_only}, "counting only identical blocks"),
        "across-versions": ({"overlapping_pairs": pairs_across_versions}, "across IP versions"),
    },
    "q3-lpm-test": {
        "first-match": ({"next_hops": lpm_first_in_table}, "the first or the shortest matching prefix"),
        "shortest-prefix": ({"next_hops": lpm_shortest}, "the first or the shortest matching prefix"),
        "ipv4-default-for-ipv6": ({"next_hops": lpm_v4_default_for_all}, "IPv4 default route used for an IPv6"),
        "empty-string": ({"next_hops": lpm_empty_string}, "an empty string for no route"),
    },
    "q4-bdp-test": {
        "one-way": ({"fibre_rtt_ms": lambda km: rtt_right(km) / 2}, "the one-way time"),
        "vacuum-speed": ({"fibre_rtt_ms": lambda km: 2 * km / C_KM_PER_S * 1e3}, "speed of light in vacuum"),
        "seconds": ({"fibre_rtt_ms": lambda km: rtt_right(km) / 1e3}, "seconds instead of milliseconds"),
        "bits-not-bytes": ({"tcp_window": window_in_bits}, "bits instead of bytes"),
        "ms-as-s": ({"tcp_window": window_ms_as_s}, "milliseconds used as seconds"),
        "shift-rounded-down": ({"tcp_window": window_floor}, "rounding the shift down"),
        "no-cap-at-14": ({"tcp_window": window_no_cap}, "a shift above 14"),
    },
    "q5-fibre-test": {
        "per-connector": ({"link_budget": budget_variant(conn=1.5)}, "per connector instead of per mated pair"),
        "wavelengths-swapped": ({"link_budget": budget_variant(atten={1310: 0.3, 1550: 0.4})},
                                "attenuations of 1310 nm and 1550 nm swapped"),
        "sign-flipped": ({"link_budget": budget_variant(sign=True, tolerance=1e-9)}, "sign flipped"),
        "ok-as-int": ({"link_budget": budget_variant(as_int=True, tolerance=1e-9)}, "an int instead of a bool"),
        "no-safety-margin": ({"link_budget": budget_variant(need=0.0)}, "checking only that the link works"),
        "raw-float-compare": ({"link_budget": budget_variant()}, "comparing the raw float margin"),
        "strictly-more": ({"link_budget": budget_variant(strict=True)}, "comparing the raw float margin"),
    },
    "q6-vlsm-test": {
        "forgot-minus-two": ({"vlsm_plan": plan_with(without_minus_two)},
                             "the network and broadcast addresses do not count"),
        "p2p-as-slash-30": ({"vlsm_plan": plan_with(classic_p2p)}, "a /31 gives a point-to-point link"),
        "one-size-bigger": ({"vlsm_plan": plan_with(one_bigger)}, "bigger than needed"),
        "unaligned": ({"vlsm_plan": plan_unaligned_strings}, "host bits are not zero"),
        "segment-dropped": ({"vlsm_plan": lambda b, n: dict(list(plan_top_down(b, n).items())[1:])},
                            "no subnet for segment"),
        "no-fit-check": ({"vlsm_plan": lambda b, n: plan_top_down(b, n, check_fit=False)},
                         "although the needs do not fit"),
    },
}


class TestAnswers(AnswerTable):
    notebook = ROOT / "source" / AID / f"{AID}.ipynb"
    students = STUDENTS
    correct = CORRECT
    near_misses = NEAR_MISSES
    named_mistakes = NAMED_MISTAKES


def test_no_variant_has_a_tie_in_its_route_table(monkeypatch):
    """A prefix listed twice would make the longest match ambiguous; a correct router that
    breaks ties its own way must pass q3 in every variant, not only the three above."""
    monkeypatch.delenv(instances.VARIANTS_ENV, raising=False)
    by_variant = {}
    for k in range(2000):
        by_variant.setdefault(instances.variant(AID, f"s{k}"), f"s{k}")
    assert len(by_variant) == 64
    solved = solved_notebook(TestAnswers.notebook)
    for student_id in by_variant.values():
        monkeypatch.setenv(instances.STUDENT_ENV, student_id)
        solved.run_test("q3-lpm-test", {"next_hops": lpm_dict_last_row_wins})


def test_the_window_figure_says_65535_bytes_and_shows_every_route():
    """The s4 figure: the unscaled window is labelled 65,535 bytes (the line it draws), every route's
    RTT lies well inside the x range, and the route names sit outside the plot, where no line
    crosses them."""
    import matplotlib.pyplot as plt
    import nbformat
    from notebook_harness import _as_in_jupyter

    cells = nbformat.read(TestAnswers.notebook, as_version=4).cells
    source = next(c.source for c in cells if c.get("id") == "s4-figure")
    namespace = dict(solved_notebook(TestAnswers.notebook).namespace)
    with _as_in_jupyter(TestAnswers.notebook.parent):
        exec(compile(source, "s4-figure", "exec"), namespace)
        ax = namespace["ax"]
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "window 65,535 bytes (no window scaling)" in legend, legend
        assert not any("KiB (no window scaling)" in t for t in legend), legend
        low, high = ax.get_xlim()
        rtts = [2 * km * GROUP_INDEX / C_KM_PER_S * 1e3 for km in (10, 250, 400, 10_000)]
        assert all(2 * low < r < high / 2 for r in rtts), (low, high)
        assert not [t.get_text() for t in ax.texts], "route names drawn inside the plot"
        ticks = [t.get_text() for child in ax.child_axes for t in child.get_xticklabels()]
        assert len(ticks) == 4 and any("10,000 km" in t for t in ticks), ticks
    plt.close("all")
