"""The cluster autoscaler's loop, by hand (issue 11, items 4, 5 and 6).

Upstream (kubernetes/autoscaler, cluster-autoscaler): ``core/static_autoscaler.go``
``RunOnce`` and ``isScaleDownInCooldown``; ``clusterstate/clusterstate.go``
``IsClusterHealthy`` and ``updateScaleRequests``; ``core/podlistprocessor``
``FilterOutSchedulablePodListProcessor``; ``estimator/binpacking_estimator.go``
``Estimate``; ``expander/waste``; ``core/scaledown/planner/planner.go``
``UpdateClusterState`` / ``categorizeNodes``; ``simulator/drainability/rules/pdb``;
``core/scaledown/unneeded/nodes.go`` ``RemovableAt``; ``core/scaledown/budgets``
``CropNodes``; ``core/scaledown/actuation/drain.go``; ``utils/backoff``.

Loops run every 10 s (t = 10, 20, ...); nodes are Ready 90 s after the scale-up decision.
A node holds two pods (memory 2 x 512Mi of 1Gi).
"""

from __future__ import annotations

import numpy as np
import pytest

from capacity.scenario.loader import scenario_from_dict
from capacity.sim.engine import Model


def scenario(zones=("zone-a", "zone-b", "zone-c"), per_zone=1, min_nodes=3, max_nodes=9,
             replicas=6, spread=True, memory="1Gi", pdb=None, failures=None, ca=None):
    spec = {"containers": [{"name": "app", "resources": {
        "requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]}
    if spread:
        spec["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]
    d = {
        "name": "ca-fidelity",
        "kubernetesVersion": "1.33",
        "simulation": {"duration": "2h", "seed": 5},
        "controllers": {"clusterAutoscaler": {"provisioningDelay": "90s", **(ca or {})}},
        "cluster": {"zones": list(zones), "nodePools": [{
            "name": "general", "allocatable": {"cpu": "2", "memory": memory, "pods": "110"},
            "nodesPerZone": per_zone, "autoscaling": {"minNodes": min_nodes, "maxNodes": max_nodes}}]},
        "workload": {
            "name": "web",
            "deployment": {"replicas": replicas,
                           "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
            "startup": {"schedulingDelay": "1s", "imagePull": "0s", "containerStart": "0s"},
            "demand": {"cpuPerRequest": 0.001}},
        "load": {"constant": 10},
    }
    if pdb is not None:
        d["disruption"] = {"podDisruptionBudget": pdb}
    if failures is not None:
        d["failures"] = failures
    return scenario_from_dict(d)


def run(sc, scale=(), duration=None):
    """Run with fixed phases; ``scale`` is a list of (time, replicas) set on the Deployment."""
    m = Model(sc, 0, np.random.SeedSequence(1), duration=duration, phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 0.0
    m.cluster.monitor_phase = 0.0

    def scaler():
        for t, n in scale:
            yield m.env.timeout(t - m.env.now)
            m.scale_deployment(n)
    m.env.process(scaler())
    return m, m.run()


def events(out, *reasons):
    return [(t, r, n, msg) for (t, r, k, n, msg, _) in out.events if r in reasons]


def test_scale_up_across_zones_one_node_group_per_loop():
    # Six pods, two per zone, one node per zone full. At 600 the Deployment goes to 12: six
    # pods pending (FailedScheduling at 601). Zone spread maxSkew 1 (DoNotSchedule).
    m, out = run(scenario(), scale=[(600.0, 12)], duration=900.0)
    ups = events(out, "TriggeredScaleUp")
    # 610: bin packing on zone-a's template: the first pod fits a new zone-a node (a 3,
    # b 2, c 2), the second would make a 4 - 2 = 2 > 1: the next new node stays empty, the
    # packing stops: 1 node for 1 pod; zones b and c alike; least waste is a tie: zone-a
    # (first), general 3 -> 4. 620: the upcoming zone-a node is in the snapshot; the filter
    # puts one pod there (a 3); zone-a's template takes no more (a would be 4, min 2), zone-b
    # one: 4 -> 5. 630: upcoming a and b take a pod each (a 3, b 3); on zone-c's template
    # the first pod makes c 3, and then a second fits the same new node (c 4 - min 3 = 1):
    # 1 node for 2 pods, 5 -> 6, two TriggeredScaleUp events. 640: the upcoming nodes take
    # all six pods (a-1 and b-1 get their second once a = b = c = 3): no more scale-up.
    assert sorted({(t, msg) for t, r, n, msg in ups}) == [
        (610.0, "pod triggered scale-up: [{general 3->4 (max: 9)}]"),
        (620.0, "pod triggered scale-up: [{general 4->5 (max: 9)}]"),
        (630.0, "pod triggered scale-up: [{general 5->6 (max: 9)}]"),
    ]
    assert [len([u for u in ups if u[0] == t]) for t in (610.0, 620.0, 630.0)] == [1, 1, 2]
    reg = [(t, n) for t, r, n, msg in events(out, "RegisteredNode")]
    assert reg == [(700.0, "general-zone-a-1"), (710.0, "general-zone-b-1"),
                   (720.0, "general-zone-c-1")]
    # Each new node joins and the pending pods are retried 1 s later: one pod on a-1 at 701
    # (a 3), one on b-1 at 711, then at 721 c-1 takes one and, with a = b = c = 3, a-1 and
    # b-1 one more each and c-1 its second: all twelve running from 721 (the old reading
    # sent three nodes to zone-a, where spread let one pod in, and went on zone by zone).
    sched = sorted(t for t, r, n, msg in events(out, "Scheduled") if t > 600)
    assert sched == [701.0, 711.0, 721.0, 721.0, 721.0, 721.0]
    assert len(m.cluster.nodes) == 6


def test_unneeded_time_counts_during_the_scale_up_cooldown():
    # As above, then back to 6 at 800: the newest pods go, the three new nodes are empty
    # once the removed pods are gone, right after the loop at 800 (which still sees them:
    # 100% of memory requested). The planner runs every loop, cooldown or not: unneeded
    # since the loop at 810. The cooldown after the last scale-up (630) ends at 630 + 600 =
    # 1230; the nodes are removable once 810 + 600 < now: all three at 1420 (empty: in
    # parallel). (With the timer frozen during the cooldown they were counted from the end
    # of the cooldown and went 10 min after it.)
    _, out = run(scenario(), scale=[(600.0, 12), (800.0, 6)], duration=2400.0)
    downs = events(out, "ScaleDown")
    assert [(t, r) for t, r, n, msg in downs] == [(1420.0, "ScaleDown")] * 3
    assert sorted(n for t, r, n, msg in downs) == [
        "general-zone-a-1", "general-zone-b-1", "general-zone-c-1"]


def test_a_pdb_at_zero_disruptions_makes_a_node_unremovable_without_cordoning_it():
    # One zone, three 2Gi nodes, two pods (25% of CPU and memory each: underutilized) under
    # a PDB minAvailable 2: disruptionsAllowed = 2 - 2 = 0. The scheduler spreads them over
    # two nodes; the third, empty, has nothing to move and goes at the first loop strictly
    # after 10 + 600: 620. The two with a pod are unremovable (not enough pod disruption
    # budget: drainability pdb rule), re-checked every 5 min, never unneeded, never
    # cordoned, never drained (the old reading cordoned one every 10 min and retried the
    # eviction for 2 min against the PDB's 429).
    sc = scenario(zones=("zone-a",), per_zone=3, min_nodes=1, max_nodes=4, replicas=2,
                  spread=False, memory="2Gi", pdb={"minAvailable": 2})
    m, out = run(sc)
    assert [(t, n) for t, r, n, msg in events(out, "ScaleDown")] == [(620.0, "general-zone-a-2")]
    assert not events(out, "NodeNotSchedulable", "Evicted")
    assert len([n for n in m.cluster.nodes.values() if not n.removed]) == 2
    assert not m.cluster.autoscaler.unneeded_since


def test_an_unready_node_goes_after_scale_down_unready_time():
    # Two nodes, one holding both pods, the other empty; scaleDownUnneededTime 30 min, so
    # the empty node, unneeded since 10, would go at the loop after 10 + 1800. It dies at
    # 1003 and is NotReady at 1050; an unready node needs scale-down-unready-time (20 min)
    # instead: 10 + 1200 = 1210 is before the loop at 1220, which removes it.
    sc = scenario(zones=("zone-a",), per_zone=2, min_nodes=1, max_nodes=4, replicas=2,
                  spread=False, memory="2Gi", ca={"scaleDownUnneededTime": "30m"},
                  failures={"nodes": {"scheduled": [
                      {"node": "general-zone-a-1", "at": "1003s", "duration": "2h"}]}})
    m = Model(sc, 0, np.random.SeedSequence(1), duration=2400.0, phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 0.0
    m.cluster.monitor_phase = 0.0
    # both pods on general-zone-a-0 (the scheduler would spread them): a-1 is cordoned
    # while the warm pods are placed, and schedulable again at time 0
    a1 = m.cluster.nodes["general-zone-a-1"].node
    a1.unschedulable = True

    def uncordon():
        yield m.env.timeout(0)
        a1.unschedulable = False
    m.env.process(uncordon())
    out = m.run()
    downs = [(t, n) for t, r, n, msg in events(out, "ScaleDown")]
    assert downs == [(1220.0, "general-zone-a-1")]


def test_cluster_unhealthy_stops_the_autoscaler():
    # Nine nodes (three per zone, two pods fit each), six pods: the scheduler puts them one
    # per node, so one node per zone is empty and goes at 620 (10 + 600 < 620): six nodes
    # left. Zones a and b die at 1000: NotReady at 1050 (the detection was scheduled at the
    # failure, before the loop's wake-up at 1050, so that loop sees it); four unready nodes
    # > 3 and 4/6 = 67% > 45%: IsClusterHealthy fails, the loop does nothing but say so
    # (once here). The pods evicted at 1350 stay Pending (zone spread) and trigger no
    # scale-up, and nothing is scaled down, until the zones are back at 1600.
    sc = scenario(per_zone=3, min_nodes=3, max_nodes=12, failures={"zones": {"scheduled": [
        {"zone": "zone-a", "at": "1000s", "duration": "10m"},
        {"zone": "zone-b", "at": "1000s", "duration": "10m"}]}})
    _, out = run(sc, duration=1700.0)
    assert [t for t, r, n, msg in events(out, "ClusterUnhealthy")] == [1050.0]
    assert [t for t, r, n, msg in events(out, "ScaleDown")] == [620.0] * 3
    assert not [e for e in events(out, "TriggeredScaleUp", "ScaleDown") if 1000 < e[0] < 1600]


def test_a_node_not_ready_within_max_node_provision_time_backs_the_group_off():
    # provisioningDelay 1000 s > maxNodeProvisionTime 900 s. The Deployment goes 2 -> 4 at
    # 600; the two new pods fail scheduling at 601; 610: scale-up. Its request expires at
    # the first loop strictly after 610 + 900 = 1510: 1520, ScaleUpTimedOut, the instance
    # is dropped and the group backs off for 5 min (to 1820). At 1820 it tries again; that
    # one times out at 2730 (after 1820 + 900), and the second failure within 3 h doubles
    # the back-off: 10 min, to 3330.
    sc = scenario(zones=("zone-a",), per_zone=1, min_nodes=1, max_nodes=4, replicas=2,
                  spread=False, ca={"provisioningDelay": "1000s"})
    _, out = run(sc, scale=[(600.0, 4)], duration=3400.0)
    ups = sorted({t for t, r, n, msg in events(out, "TriggeredScaleUp")})
    assert ups == [610.0, 1820.0, 3330.0]
    assert [t for t, r, n, msg in events(out, "ScaleUpTimedOut")] == [1520.0, 2730.0]
    assert not events(out, "RegisteredNode")


def _drain_scenario(**ca):
    sc = scenario(zones=("zone-a",), per_zone=2, min_nodes=1, max_nodes=4, replicas=2,
                  spread=False, memory="2Gi", ca=ca or None)
    c = sc.workload.deployment.template.spec.containers[0]
    c.lifecycle = type(c).model_fields["lifecycle"].annotation.__args__[0].model_validate(
        {"preStop": {"sleep": {"seconds": 20}}})
    return sc


def test_a_node_with_a_pod_is_drained_with_the_graceful_termination_cap():
    # Two 2Gi nodes, one pod each (25%): a-0 first: its pod fits on a-1, so a-0 is
    # removable (a drain); a-1 is then no destination left for its own pod: unremovable.
    # 10 + 600 < 620: the drain of a-0 starts at 620: cordon, evict the pod (no PDB): a
    # replacement is created at once. maxGracefulTerminationSec 10 caps the pod's grace
    # (30 s): its 20 s preStop is cut at 10 s, it is gone at 630; the drain polls every 5 s
    # (625, 630) and deletes the node at 630.
    _, out = run(_drain_scenario(maxGracefulTerminationSec=10), duration=1200.0)
    assert [(t, n) for t, r, n, msg in events(out, "ScaleDown")
            if msg == "nodes removed by cluster autoscaler"] == [(630.0, "general-zone-a-0")]
    assert [t for t, r, n, msg in events(out, "NodeNotSchedulable")] == [620.0]
    assert [t for t, r, n, msg in events(out, "SuccessfulCreate") if t > 0] == [620.0]


def test_the_drain_waits_for_the_pod_grace_within_the_default_cap():
    # Default maxGracefulTerminationSec 600: the pod keeps its 30 s grace, its preStop runs
    # its 20 s: gone at 640, node deleted at the poll at 640.
    _, out = run(_drain_scenario(), duration=1200.0)
    assert [(t, n) for t, r, n, msg in events(out, "ScaleDown")
            if msg == "nodes removed by cluster autoscaler"] == [(640.0, "general-zone-a-0")]


@pytest.mark.parametrize(("delay", "second"), [(None, 630.0), ("10m", 1220.0)])
def test_scale_down_delay_after_delete(delay, second):
    # Three 4-CPU / 4Gi nodes, three pods, one per node (12.5% each). At 620 (10 + 600 <
    # 620) the planner, node by node: a-0's pod fits on a-1 (placed there in the
    # simulation), so a-0 is removable; a-1 must move its own pod and a-0's: both fit on
    # a-2, removable; a-2 has nowhere left: unremovable. One drain at a time
    # (max-drain-parallelism 1): a-0 at 620 (no preStop: deleted at once). Its pod's
    # replacement lands on a-1 or a-2 (25% at most). At 630 a-1, unneeded since 10, is
    # drained, unless scaleDownDelayAfterDelete holds scale-down back until the loop at
    # 620 + 600 = 1220 (isScaleDownInCooldown: lastScaleDownDeleteTime + delay > now).
    sc = scenario(zones=("zone-a",), per_zone=3, min_nodes=1, max_nodes=4, replicas=3,
                  spread=False, memory="4Gi",
                  ca={"scaleDownDelayAfterDelete": delay} if delay else None)
    sc.cluster.nodePools[0].allocatable["cpu"] = "4"
    _, out = run(sc, duration=2000.0)
    downs = [(t, n) for t, r, n, msg in events(out, "ScaleDown")
             if msg == "nodes removed by cluster autoscaler"]
    assert downs == [(620.0, "general-zone-a-0"), (second, "general-zone-a-1")]
