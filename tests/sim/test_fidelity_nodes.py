"""Node failure detection, by hand (issue 11, items 2 and 11).

Upstream: ``pkg/controller/nodelifecycle/node_lifecycle_controller.go`` ``Run`` (the
``monitorNodeHealth`` passes under ``wait.UntilWithContext``, a sliding timer) and
``tryUpdateNodeHealth`` (``probeTimestamp`` stamped with the controller's clock when a
renewed Lease is first seen; Ready -> Unknown once ``now.After(probeTimestamp + grace)``);
``pkg/kubelet/kubelet.go`` (``nodeLeaseRenewIntervalFraction = 0.25``).
"""

from __future__ import annotations

import numpy as np
import pytest

from capacity.scenario.loader import load_scenario
from capacity.sim.engine import Model
from tests.sim.conftest import DATA

GRID = 40  # points per period in the averages below


def _model(version: str = "1.33", lease: int | None = None) -> Model:
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.kubernetesVersion = version
    if lease is not None:
        sc.controllers.kubelet.nodeLeaseDurationSeconds = lease
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    m.cluster.monitor_phase = 0.0
    return m


def mean_delay(m: Model) -> float:
    """Mean of (NotReady - failure) over a uniform grid of lease phases and failure times:
    the lease phase over one renewal interval, the failure over one interval too."""
    cl = m.cluster
    renew = cl.lease_renew
    delays = []
    for i in range(GRID):
        hb = (i + 0.5) * renew / GRID
        for j in range(GRID):
            fail = 1000.0 + j * renew / GRID  # never on a renewal: fail - L = (k + 0.5) step
            delays.append(cl.not_ready_at(hb, fail) - fail)
    return float(np.mean(delays))


def test_not_ready_on_the_first_pass_at_probe_plus_grace():
    m = _model()
    # Lease renewed at 1000 (phase 0), passes every 5 s from 0: the pass at 1000 stamps
    # probeTimestamp = 1000. Pass k after it runs at 1000 + 5k + (k small delays) (sliding
    # timer), strictly after 1000 + 50 for k = 10: NotReady at 1050, not at the 11th pass
    # (1055) that a fixed grid with a strict comparison would give.
    assert m.cluster.not_ready_at(0.0, 1003.0) == 1050.0
    # Lease renewed at 1002 (phase 2): first seen by the pass at 1005; NotReady 1055.
    assert m.cluster.not_ready_at(2.0, 1003.0) == 1055.0


def test_mean_failure_to_not_ready_is_47_5_s_on_1_33():
    # delay = (P0 - L) + grace - (fail - L), L the last renewal, P0 the pass that sees it.
    # Over random phases P0 - L is uniform on [0, 5) (mean 2.5) and fail - L uniform on
    # [0, 10) (mean 5): 50 + 2.5 - 5 = 47.5 s (the old 11th-pass reading gave 52.5).
    assert mean_delay(_model("1.33")) == pytest.approx(47.5, abs=1e-6)


def test_mean_failure_to_not_ready_is_37_5_s_before_1_32():
    # nodeMonitorGracePeriod 40 s before 1.32: 40 + 2.5 - 5 = 37.5 s.
    assert mean_delay(_model("1.31")) == pytest.approx(37.5, abs=1e-6)


@pytest.mark.parametrize(("lease", "renew", "expected"), [(40, 10.0, 47.5), (20, 5.0, 50.0),
                                                           (80, 20.0, 42.5)])
def test_lease_renew_interval_is_a_quarter_of_the_lease_duration(lease, renew, expected):
    # renew = 0.25 x nodeLeaseDurationSeconds; fail - L is uniform on [0, renew):
    # mean delay = 50 + 2.5 - renew / 2: 47.5, 50 and 42.5 s.
    m = _model(lease=lease)
    assert m.cluster.lease_renew == renew
    assert mean_delay(m) == pytest.approx(expected, abs=1e-6)


def test_lease_duration_moves_not_ready_in_a_run():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.controllers.kubelet.nodeLeaseDurationSeconds = 80  # renewals every 20 s
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 0.0
    m.cluster.monitor_phase = 0.0
    out = m.run()
    # Renewals at ..., 980, 1000; the node dies at 1003: last lease 1000, NotReady 1050.
    # With renewals at phase 15 (..., 995, 1015) the last one before 1003 is 995, seen by
    # the pass at 995: NotReady at 1045.
    assert (1050.0, "NodeNotReady") in [(t, r) for (t, r, *_rest) in out.events]
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 15.0
    m.cluster.monitor_phase = 0.0
    out = m.run()
    assert (1045.0, "NodeNotReady") in [(t, r) for (t, r, *_rest) in out.events]


def _zones_down(*outages):
    from capacity.scenario.model import ScheduledZoneOutage, ZoneFailures

    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.failures.nodes = None
    sc.failures.zones = ZoneFailures(scheduled=[
        ScheduledZoneOutage(zone=z, at=at, duration=d) for z, at, d in outages])
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 0.0
    m.cluster.monitor_phase = 0.0
    return m, m.run()


def test_every_zone_down_untaints_then_taints_again_on_leaving():
    """handleDisruption (node_lifecycle_controller.go), item 8. zone-c dies at 1000, zones a
    and b at 1100; zone-a is back at 2000, b and c at 8000. One pod per node."""
    m, out = _zones_down(("zone-c", 1000, 7000), ("zone-a", 1100, 900), ("zone-b", 1100, 6900))
    ev = [(t, r, n) for (t, r, k, n, msg, _) in out.events if t > 0]
    # zone-c: NotReady at 1050 (lease 1000 + 50 s); fully disrupted, not every zone: the
    # normal 0.1 node/s, NoExecute taints at 1050 and 1060, evictions due at 1350 and 1360.
    assert [t for t, r, n in ev if r == "NodeNotReady" and "zone-c" in n] == [1050.0, 1050.0]
    # zones a and b: NotReady at 1150, and now every zone is fully disrupted: the
    # controller marks every node reachable (the NoExecute taints of zone-c go, which
    # cancels the evictions due at 1350 / 1360) and stops tainting. Nothing is evicted
    # while every zone is down.
    evictions = sorted(t for t, r, n in ev if r == "TaintManagerEviction")
    assert not [t for t in evictions if t < 2000]
    # 2000: zone-a's kubelets post Ready; the pass at 2000 leaves the mode. The tainters get
    # their rate back (0.1/s) through SwapLimiter, which drains the new bucket: the first
    # taint of each zone at 2000 + 10 = 2010, the second 10 s later. Zones b and c each
    # have two nodes still NotReady: taints at 2010 (b-0, c-0) and 2020 (b-1, c-1), and
    # their pods' 300 s tolerations run out at 2310 and 2320. (Before, zone-c's nodes kept
    # the taint that had been removed, were never queued again and never evicted.)
    assert evictions == [2310.0, 2310.0, 2320.0, 2320.0]
    assert sorted(t for t, r, n in ev if r == "SuccessfulCreate") == evictions
    assert not m.cluster.all_disrupted


def test_every_zone_back_at_once_leaves_the_mode_without_taints():
    # All three zones die at 1000 (NotReady 1050: every zone down, no taint) and come back
    # at 2000: the pass at 2000 leaves the mode with no node NotReady: nothing to evict.
    m, out = _zones_down(("zone-a", 1000, 1000), ("zone-b", 1000, 1000), ("zone-c", 1000, 1000))
    assert not [e for e in out.events if e[1] == "TaintManagerEviction"]
    assert not m.cluster.all_disrupted
    assert all(not n.node.taints for n in m.cluster.nodes.values())
