"""The topology-spread trap of a zone outage (kubernetes-semantics.md §7), both policies.

Six pods, two per zone (one per node). zone-c dies at 1000 s (both nodes): NotReady at
1050 (last lease 1000, seen by the pass at 1000, + 50 s grace: the 10th pass of the
sliding 5 s timer, slightly after 1050), both nodes of the zone are down, so the zone is
fully disrupted and tainted at the normal rate: 1050 and 1060; the pods go at 1350 and 1360
and the ReplicaSet creates two replacements.
"""

from __future__ import annotations

import pytest

from capacity.scenario.loader import load_scenario
from tests.sim.conftest import DATA
from tests.sim.test_narrated_nodes import run, timeline


def test_default_ignore_policy_leaves_replacements_pending():
    sc = load_scenario(DATA / "scenarios/zone-outage-trap.yaml")
    _, out = run(sc)
    ev = timeline(out)
    assert sorted(t for t, r, _ in ev if r == "TaintManagerEviction") == [1350.0, 1360.0]
    assert sorted(t for t, r, _ in ev if r == "SuccessfulCreate") == [1350.0, 1360.0]
    failed = [(t, msg) for (t, r, k, n, msg, _) in out.events if r == "FailedScheduling"]
    assert failed and failed[0][0] == 1351.0
    # Under nodeTaintsPolicy: Ignore the dead zone still counts, with 0 matching pods once
    # its pods are Terminating: zones a and b hold 2 each, 2 + 1 - 0 > maxSkew 1 on all four
    # live nodes; the two dead nodes have an untolerated unreachable:NoSchedule taint.
    msg = failed[0][1]
    assert msg.startswith("0/6 nodes are available: ")
    assert "2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }" in msg
    assert "4 node(s) didn't match pod topology spread constraints" in msg
    # No replacement runs until the zone is back at 1000 + 7200 = 8200 s.
    scheduled = [t for t, r, _ in ev if r == "Scheduled"]
    assert scheduled and min(scheduled) > 8200.0
    ts = out.columns
    during = (ts["time"] > 1400) & (ts["time"] < 8200)
    assert (ts["ready_replicas"][during] == 4).all()
    assert (ts["pending_pods"][during] == 2).all()
    assert_errors_by_reason(out)


def assert_errors_by_reason(out):
    """Errors by reason, both policies alike: 60 rps over six pods, 10 each. From 1000 s to
    NotReady at 1050 s, zone-c's two dead endpoints get 2 x 10 rps x 50 s = 1000 requests,
    and the two pods had 10/9 requests in flight each when the zone died (processor sharing
    at rho = 0.1: 1/9 in service, plus 10 rps x 0.1 s without CPU): 1000 + 20/9, every one
    a dead_endpoint error. Then four pods carry 15 rps each (rho = 0.15): nothing more."""
    e = out.integrals.errors
    assert e["dead_endpoint"] == pytest.approx(1000 + 20 / 9, rel=1e-9)
    assert e["timeout"] == e["rejected"] == e["no_endpoint"] == 0
    lost = out.integrals.offered_requests - out.integrals.served_requests
    assert lost == pytest.approx(sum(e.values()), rel=1e-9)


def test_honor_policy_lets_replacements_schedule():
    sc = load_scenario(DATA / "scenarios/zone-outage-trap.yaml")
    sc.workload.deployment.template.spec.topologySpreadConstraints[0].nodeTaintsPolicy = "Honor"
    _, out = run(sc)
    ev = timeline(out)
    assert not [e for e in ev if e[1] == "FailedScheduling"]
    sched = sorted(t for t, r, _ in ev if r == "Scheduled")
    # zone-c's nodes carry an untolerated taint, so they are not a domain: zones a and b
    # are even (2 and 2) and take one replacement each, 1 s after each creation.
    assert sched[:2] == [1351.0, 1361.0]
    ts = out.columns
    later = (ts["time"] > 1400) & (ts["time"] < 8200)
    assert (ts["ready_replicas"][later] == 6).all()
    assert_errors_by_reason(out)
