"""The cluster autoscaler under an HPA, event by event (kubernetes-semantics.md §9).

Scans every 10 s (t = 10, 20, ...). One node with room for two 500m pods; the load steps
from 20 to 150 rps at 600 s (the HPA goes to 4, then 6) and back at 3600 s.
"""

from __future__ import annotations

import numpy as np

from capacity.scenario.loader import load_scenario
from tests.sim.conftest import DATA
from tests.sim.test_narrated_nodes import run


def test_scale_up_for_pending_pods_then_scale_down_after_unneeded_time():
    sc = load_scenario(DATA / "scenarios/autoscaler.yaml")
    _, out = run(sc)
    ev = [(t, r, msg) for (t, r, k, n, msg, _) in out.events
          if r in ("TriggeredScaleUp", "RegisteredNode", "ScaleDown")]
    # 616: the HPA scales to 4; two pods do not fit on the one node (FailedScheduling at
    # 617). The scan at 620 finds them 3 s old (> the 2 s allPodsAreNew buffer); bin packing
    # on the group's template node puts both on one new node (2 x 512Mi of 1Gi): 1 -> 2,
    # one TriggeredScaleUp event per pod helped. 631: 6 replicas, two more pending. The scan
    # at 640 puts the upcoming node into its snapshot: the two older pods fit there and are
    # filtered out; the two newer ones need one more node: 2 -> 3. Each is Ready 90 s later
    # (provisioningDelay): 710 and 730.
    up1 = "pod triggered scale-up: [{general 1->2 (max: 4)}]"
    up2 = "pod triggered scale-up: [{general 2->3 (max: 4)}]"
    assert ev[:6] == [
        (620.0, "TriggeredScaleUp", up1), (620.0, "TriggeredScaleUp", up1),
        (640.0, "TriggeredScaleUp", up2), (640.0, "TriggeredScaleUp", up2),
        (710.0, "RegisteredNode", "Node general-zone-a-1 event: Registered Node general-zone-a-1 in Controller"),
        (730.0, "RegisteredNode", "Node general-zone-a-2 event: Registered Node general-zone-a-2 in Controller"),
    ]
    # 3916: back to 2 replicas; the newest pods go (on the new nodes). The scan at 3920
    # finds those nodes unneeded (0% < 50% requested, nothing to move). A node is removable
    # once unneeded_since + scaleDownUnneededTime is strictly before now (RemovableAt):
    # 3920 + 600 = 4520 is not before the scan at 4520, so both go at 4530, together: empty
    # nodes are deleted in parallel (max-scale-down-parallelism 10). minNodes 1 keeps the
    # first node (3 - 1 = 2 > 1, then 2 - 1 = 1 > 1 fails for a third).
    assert [(t, r) for t, r, _ in ev[6:]] == [(4530.0, "ScaleDown"), (4530.0, "ScaleDown")]
    ts = out.columns
    t = ts["time"]
    assert ts["nodes_ready"][np.searchsorted(t, 3500)] == 3
    assert ts["nodes_ready"][np.searchsorted(t, 5000)] == 1
    # Pending pods from 616 until the nodes are Ready: never more than 4.
    assert ts["pending_pods"].max() == 4
    assert (ts["pending_pods"][t > 800] == 0).all()


def test_node_cost_follows_the_autoscaled_node_count():
    sc = load_scenario(DATA / "scenarios/autoscaler.yaml")
    _, out = run(sc)
    secs = out.extra["node_seconds_by_pool"]["general"]
    # 1 node for 3 h, plus a-1 from 710 to 4530 and a-2 from 730 to 4530:
    # 10800 + 3820 + 3800 = 18420 node-seconds.
    assert secs == 18420.0
