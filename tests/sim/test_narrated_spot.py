"""A spot reclaim with notice, event by event.

Both spot nodes of zone-a get a 2-minute notice at 1000 s. The node termination handler
cordons and drains them through the eviction API (PDB maxUnavailable 1 allows one
eviction; spot-zone-a-1 holds no pod). At 1120 s the instances are gone; their last lease is
from 1120 (renewals every 10 s from 0), seen by the controller's pass at 1120, so it marks
them NotReady at the 10th pass of its sliding 5 s timer, slightly after 1120 + 50 s: 1170.
The cloud controller then deletes the Node objects and PodGC their pods, 40 s later: 1210.
The pool's replacements join after the 3-minute provisioning delay: 1390.
"""

from __future__ import annotations

from capacity.scenario.loader import load_scenario
from tests.sim.conftest import DATA
from tests.sim.test_narrated_nodes import run, timeline


def test_spot_reclaim_notice_drain_removal_replacement():
    sc = load_scenario(DATA / "scenarios/spot-reclaim.yaml")
    _, out = run(sc)
    ev = timeline(out)
    assert [(t, r) for t, r, n in ev if r == "SpotInterruption"] == [(1000.0, "SpotInterruption")] * 2
    # The pod on spot-zone-a-0 is evicted at once (6 healthy, 5 needed: 1 allowed) and
    # replaced on the on-demand node of its zone (zone spread maxSkew 1).
    evicted = [t for t, r, _ in ev if r == "Evicted"]
    assert evicted == [1000.0]
    sched = [(t, n) for (t, r, k, n, msg, _) in out.events if r == "Scheduled" and t > 0]
    assert sched and sched[0][0] == 1001.0
    assert [t for t, r, _ in ev if r == "NodeNotReady"] == [1170.0, 1170.0]
    assert [t for t, r, _ in ev if r == "RemovingNode"] == [1210.0, 1210.0]
    assert [t for t, r, _ in ev if r == "RegisteredNode"] == [1390.0, 1390.0]
    # No request was lost: the pod left the endpoints before its node went away.
    ig = out.integrals
    assert ig.offered_requests - ig.served_requests == 0.0
    f = out.extra["cluster"]["failures"][0]
    # The failure counts from the notice; the service was whole again before the nodes
    # went (the evicted pod's replacement was Ready at 1001), so it closes when they go.
    assert f["kind"] == "spot" and f["nodes"] == 2 and f["time_to_recover"] == 120.0
