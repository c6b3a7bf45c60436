"""Node failure as Kubernetes handles it, event by event (kubernetes-semantics.md §4).

Fixed phases: every kubelet renewed its lease at t = 0, 10, 20 ... (every 0.25 x the 40 s
nodeLeaseDurationSeconds, pkg/kubelet/kubelet.go); the node lifecycle controller checks at
t = 0, 5, 10 ... on a sliding timer (wait.UntilWithContext, node_lifecycle_controller.go
Run): each pass starts 5 s after the previous one returned, so the k-th pass after a given
one is slightly later than 5k s after it. The node general-zone-a-0 dies at 1003 s, so its
last lease is from 1000 s, first seen by the pass at 1000 s (probeTimestamp = 1000).
"""

from __future__ import annotations

import numpy as np
import pytest

from capacity.scenario.loader import load_scenario
from capacity.sim.engine import Model
from tests.sim.conftest import DATA


def run(sc, seed=1):
    m = Model(sc, 0, np.random.SeedSequence(seed), phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 0.0
    m.cluster.monitor_phase = 0.0
    return m, m.run()


def timeline(out, since=1.0):
    return [(t, reason, name) for (t, reason, kind, name, msg, _) in out.events if t >= since]


def test_default_timeline_replacement_after_about_six_minutes():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    _, out = run(sc)
    ev = timeline(out)
    # 1.33: node-monitor-grace-period 50 s. probeTimestamp 1000; the pass must see
    # now > 1000 + 50. The 10th pass after the one at 1000 runs slightly after 1050 (sliding
    # timer), so it does: NodeNotReady at 1050 (the model rounds the drift away), endpoints
    # gone.
    assert (1050.0, "NodeNotReady", "general-zone-a-0") in ev
    # The zone's eviction queue is empty: the NoExecute taint goes on at once (1050); the
    # pod's default toleration (DefaultTolerationSeconds, 300 s) runs out at 1350.
    evictions = [e for e in ev if e[1] == "TaintManagerEviction"]
    assert [t for t, _, _ in evictions] == [1350.0]
    # The ReplicaSet replaces the pod at once: 1350 - 1003 = 347 s = 5 min 47 s after the
    # node died, not the seed's "30-60 s".
    creates = [t for t, r, _ in ev if r == "SuccessfulCreate"]
    assert creates == [1350.0]
    assert creates[0] - 1003.0 == pytest.approx(347.0)
    # scheduling delay 1 s; the replacement lands in the same zone (spread maxSkew 1).
    sched = [(t, n) for t, r, n in ev if r == "Scheduled"]
    assert sched[0][0] == 1351.0
    # The node comes back after 2 h and its Terminating pod is finally removed.
    assert (8203.0, "NodeReady", "general-zone-a-0") in ev


def test_requests_to_the_dead_pod_are_lost_until_not_ready():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    _, out = run(sc)
    ig = out.integrals
    # 60 rps over 6 endpoints; from 1003 to 1050 one endpoint of six is dead: 10 rps lost
    # for 47 s = 470 requests. After 1050 the five others serve everything (each pod's
    # ceiling is (1 - 0)/0.01 = 100 rps). The requests in flight on the pod when its node
    # died are lost too: one node per pod, so it had its whole 1-core limit: processor
    # sharing at rho = 10 x 0.01 = 0.1 holds rho / (1 - rho) = 1/9 requests in service,
    # and 10 rps x 0.1 s (demand.latency's default) = 1 more without CPU: 10/9 in all.
    lost = ig.offered_requests - ig.served_requests
    assert lost == pytest.approx(470.0 + 10 / 9, rel=1e-9)
    # all of them dead_endpoint errors
    assert ig.errors["dead_endpoint"] == pytest.approx(lost, rel=1e-9)
    assert ig.errors["timeout"] == ig.errors["rejected"] == ig.errors["no_endpoint"] == 0


def test_toleration_seconds_changes_the_eviction_time():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.controllers.kubeApiserver.defaultUnreachableTolerationSeconds = 30
    _, out = run(sc)
    ev = timeline(out)
    # tainted at NotReady (1050, see above), evicted 30 s later
    assert [t for t, r, _ in ev if r == "TaintManagerEviction"] == [1080.0]
    assert [t for t, r, _ in ev if r == "SuccessfulCreate"] == [1080.0]


def test_grace_period_is_40s_before_1_32():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.kubernetesVersion = "1.31"
    _, out = run(sc)
    ev = timeline(out)
    # probeTimestamp 1000 + 40 = 1040; the 8th pass after 1000 is slightly after 1040: 1040.
    assert (1040.0, "NodeNotReady", "general-zone-a-0") in ev
    assert [t for t, r, _ in ev if r == "TaintManagerEviction"] == [1340.0]


def test_zone_queue_taints_one_node_every_ten_seconds():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    from capacity.scenario.model import ScheduledNodeFailure

    sc.failures.nodes.scheduled.append(ScheduledNodeFailure(node="general-zone-a-1", at=1003, duration=7200))
    # Both nodes of zone-a are down: FullDisruption, normal rate 0.1 node/s. Both are
    # NotReady at 1050 (see above); the second node's NoExecute taint waits 10 s (the queue
    # is polled every 100 ms): taints at 1050 and 1060, evictions 300 s later.
    _, out = run(sc)
    ev = timeline(out)
    assert sorted(t for t, r, _ in ev if r == "TaintManagerEviction") == [1350.0, 1360.0]


def test_node_back_before_not_ready_leaves_no_phantom_endpoint():
    """A 20 s outage ends before the controller notices (probe 1000 + 50 s grace): the
    kubelet restarts the pod, which leaves the endpoints until its probes pass. The
    endpoint count must come back to six, not seven, and almost everything is served."""
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.failures.nodes.scheduled[0].duration = 20
    m, out = run(sc)
    assert m.n_ep == 6 and m.n_alive == 6
    ig = out.integrals
    # lost: 10 rps to the dead pod for 20 s = 200 requests (the restart is instant here),
    # and its 10/9 requests in flight (see above): all dead_endpoint errors
    assert ig.offered_requests - ig.served_requests == pytest.approx(200.0 + 10 / 9, rel=1e-9)
    assert ig.errors["dead_endpoint"] == pytest.approx(200.0 + 10 / 9, rel=1e-9)
    assert not [e for e in timeline(out) if e[1] == "NodeNotReady"]


def test_overlapping_outages_keep_the_node_down_until_both_end():
    """A node failure (1003 s, 2 h) inside a zone outage of its zone (1000 s, 10 min): the
    zone coming back at 1600 s must not bring the failed node back before 8203 s."""
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    from capacity.scenario.model import ScheduledZoneOutage, ZoneFailures

    sc.failures.zones = ZoneFailures(scheduled=[ScheduledZoneOutage(zone="zone-a", at=1000, duration=600)])
    _, out = run(sc)
    ready = [(t, n) for t, r, n in timeline(out) if r == "NodeReady"]
    assert (1600.0, "general-zone-a-1") in ready
    assert (8203.0, "general-zone-a-0") in ready
    assert not [t for t, n in ready if n == "general-zone-a-0" and t < 8203.0]


def test_grace_counts_from_when_the_controller_saw_the_lease():
    """tryUpdateNodeHealth stamps probeTimestamp with the controller's own clock. Lease
    renewals at ..., 986, 996 (phase 6); checks at ..., 995, 1000 (phase 0). The renewal at
    996 is first seen at 1000. With a 42 s grace (not a multiple of the 5 s period, so the
    two readings differ) NotReady needs now > 1000 + 42: the pass at 1045. Counting from the
    renewal itself would give 996 + 42 = 1038 and the pass at 1040."""
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.controllers.kubeControllerManager.nodeMonitorGracePeriod = 42.0
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 6.0
    m.cluster.monitor_phase = 0.0
    out = m.run()
    assert (1045.0, "NodeNotReady", "general-zone-a-0") in timeline(out)
