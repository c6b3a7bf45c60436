"""Deployment rollouts as the Deployment controller runs them (issue 11, item 1).

Upstream: ``pkg/controller/deployment/deployment_controller.go`` (``updateReplicaSet``
re-queues the Deployment on every ReplicaSet update, its own scale-downs included),
``rolling.go`` (``rolloutRolling``, ``reconcileNewReplicaSet``, ``reconcileOldReplicaSets``),
``recreate.go`` (``rolloutRecreate``, ``oldPodsRunning``), ``sync.go`` (``scale``,
``isScalingEvent``), ``util/deployment_util.go`` (``NewRSNewReplicas`` sums
``spec.replicas``, ``GetReplicaSetProportion``, ``getReplicaSetFraction``), and for
``podReplacementPolicy`` the KEP (``keps/sig-apps/3973-consider-terminating-pods-deployment``).

The scenario: node-failure.yaml without its failure. Six replicas of ``web`` (one per
node, two per zone; each node holds two), maxSurge 1 / maxUnavailable 0, a readiness probe
(initialDelaySeconds 10, period 5) and a 15 s preStop sleep (grace 30 s). A pod is bound
1 s after it is created, its containers start at once and it is Ready 10 s later: 11 s from
creation to Ready. The rollout starts at 1000 s.
"""

from __future__ import annotations

import numpy as np
import pytest

from capacity.k8s import rollout
from capacity.scenario.loader import load_scenario, scenario_from_dict
from capacity.sim.engine import Model
from capacity.sim.settings import pod_replacement_policy
from tests.sim.conftest import DATA


def scenario(strategy=None, version="1.33", gates=None):
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    d = sc.model_dump(mode="json", exclude_none=True, by_alias=True)
    d.pop("failures")
    d["kubernetesVersion"] = version
    if gates:
        d.setdefault("controllers", {})["featureGates"] = gates
    dep = d["workload"]["deployment"]
    dep["strategy"] = strategy or {"type": "RollingUpdate",
                                   "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    c = dep["template"]["spec"]["containers"][0]
    c["readinessProbe"] = {"initialDelaySeconds": 10, "periodSeconds": 5}
    c["lifecycle"] = {"preStop": {"sleep": {"seconds": 15}}}
    d["disruption"] = {"rollouts": [{"at": 1000}]}
    return scenario_from_dict(d)


def run(sc, policy=None, at=None, replicas=None, duration=None):
    m = Model(sc, 0, np.random.SeedSequence(1), duration=duration, phases=(0.0, 1.0))
    if policy is not None:
        m.pod_replacement_policy = policy
    if at is not None:
        def scale():
            yield m.env.timeout(at)
            m.scale_deployment(replicas)
        m.env.process(scale())
    return m, m.run()


def scaling(out, since=1000.0):
    return [(t, msg) for (t, r, k, n, msg, _) in out.events
            if r == "ScalingReplicaSet" and t >= since]


def test_next_surge_pod_is_created_when_the_old_replica_set_is_scaled_down():
    m, out = run(scenario())
    r = out.extra["rollouts"][0]
    new, old = m.rs.name, f"web-{m._rs_hash(1)}"
    # 1000: the new RS grows 0 -> 1 (6 + 1 = replicas + maxSurge). Its pod is Ready at 1011:
    # reconcileOldReplicaSets may remove 7 - 6 - (1 - 1) = 1 old pod: old 6 -> 5, and that
    # update re-queues the Deployment at once: 5 + 1 = 6 < 7, so the new RS grows 1 -> 2 at
    # 1011, while the removed pod still runs its 15 s preStop. Each step takes the 11 s
    # from creation to Ready: old k -> k - 1 and new grow at 1011, 1022, ..., 1055; the
    # last old pod goes at 1066, when the sixth new pod is Ready: the rollout is complete
    # (DeploymentComplete does not wait for terminating pods) after 66 s.
    steps = scaling(out)
    assert steps[0] == (1000.0, f"Scaled up replica set {new} from 0 to 1")
    for k in range(1, 6):
        t = 1000.0 + 11 * k
        assert (t, f"Scaled down replica set {old} from {7 - k} to {6 - k}") in steps
        assert (t, f"Scaled up replica set {new} from {k} to {k + 1}") in steps
    assert (1066.0, f"Scaled down replica set {old} from 1 to 0") in steps
    assert r["start"] == 1000.0 and r["end"] == 1066.0
    # maxUnavailable 0: never fewer than 6 available; pods not terminating: at most 7.
    assert r["min_available"] == 6 and r["max_pods"] == 7
    # But terminating pods overlap: at 1022 the pods removed at 1011 (gone 1026) and 1022
    # are still there beside 4 old and 3 new pods: 9 pod objects, holding node room, and
    # within their deletion grace charged by the quota (the run's peak of charged pods).
    assert r["max_pod_objects"] == 9
    assert out.extra["peak_pods"] == 9


def test_termination_complete_waits_for_each_old_pod():
    # podReplacementPolicy: TerminationComplete (KEP-3973): terminating pods count against
    # replicas + maxSurge. 1011: old 6 -> 5, but 6 + 1 terminating = 7: no surge until that
    # pod is gone at 1011 + 15 = 1026; then new 1 -> 2, Ready at 1037, and so on, 26 s a
    # step: the sixth new pod is created at 1000 + 5 x 26 = 1130, Ready at 1141, the last old
    # pod is removed then and gone at 1156, when the rollout is complete (the policy also
    # waits for terminating pods before declaring it). 156 s, never more than 7 pod objects.
    m, out = run(scenario(), policy=rollout.TERMINATION_COMPLETE)
    r = out.extra["rollouts"][0]
    ups = [t for t, msg in scaling(out) if msg.startswith(f"Scaled up replica set {m.rs.name}")]
    assert ups == [1000.0, 1026.0, 1052.0, 1078.0, 1104.0, 1130.0]
    assert r["end"] == 1156.0
    assert r["max_pod_objects"] == 7 and out.extra["peak_pods"] == 7


def test_pod_replacement_policy_exists_from_1_36_with_its_gates():
    gates = {"DeploymentPodReplacementPolicy": True, "DeploymentReplicaSetTerminatingReplicas": True}
    sc = scenario(version="1.36", gates=gates)
    # The scenario model has no podReplacementPolicy field yet: set it as the field would.
    object.__setattr__(sc.workload.deployment, "podReplacementPolicy", "TerminationComplete")
    assert pod_replacement_policy(sc) == "TerminationComplete"
    # Without the alpha gate (off by default in 1.36) the API server drops the field.
    sc = scenario(version="1.36")
    object.__setattr__(sc.workload.deployment, "podReplacementPolicy", "TerminationComplete")
    assert pod_replacement_policy(sc) is None
    # Before 1.36 the gate does not exist at all.
    sc = scenario(version="1.35")
    object.__setattr__(sc.workload.deployment, "podReplacementPolicy", "TerminationComplete")
    assert pod_replacement_policy(sc) is None


def test_hpa_scale_up_during_a_rollout_is_proportional():
    # At 1016: old RS 5 and new RS 2 (the second new pod, created at 1011, is not Ready),
    # both annotated max-replicas 7 (6 + maxSurge 1) when last scaled. The HPA sets 9: the
    # ReplicaSets' desired-replicas annotation (6) differs, a scaling event (isScalingEvent),
    # so sync.go scale() runs instead of rolloutRolling: allowed 9 + 1 = 10, 10 - 7 = 3 to
    # add, larger ReplicaSet first. Old: round(5 x 10 / 7) - 5 = round(7.14) - 5 = 2; new:
    # round(2 x 10 / 7) - 2 = round(2.86) - 2 = 1, min(1, 3 - 2) = 1; no leftover. So old
    # 5 -> 7 (two pods of the old template!) and new 2 -> 3, not new 2 -> 5.
    m, out = run(scenario(), at=1016.0, replicas=9, duration=1017.0)
    old = next(rs.name for rs in m.replicasets if rs is not m.rs)
    assert scaling(out, since=1016.0) == [
        (1016.0, f"Scaled up replica set {old} from 5 to 7"),
        (1016.0, f"Scaled up replica set {m.rs.name} from 2 to 3"),
    ]


def test_hpa_scale_down_during_a_rollout_is_proportional():
    # HPA to 3 at 1016: allowed 3 + 1 = 4, 4 - 7 = -3; larger first (older on a tie).
    # Old: round(5 x 4 / 7) - 5 = round(2.86) - 5 = -2, max(-2, -3) = -2; new: round(2 x 4 /
    # 7) - 2 = round(1.14) - 2 = -1, max(-1, -3 + 2) = -1; no leftover: old 3, new 1 (the
    # new RS deletes its pod that is not Ready yet and keeps the Ready one). The updates
    # re-queue the Deployment; the annotations now say 3, so rolloutRolling goes on with
    # replicas 3: the new RS cannot grow (3 + 1 = 4 = replicas + maxSurge), but 4 - 3 -
    # (1 - 1) = 1 old pod may go: old 3 -> 2, and then the new RS grows 1 -> 2.
    m, out = run(scenario(), at=1016.0, replicas=3, duration=1017.0)
    old = next(rs.name for rs in m.replicasets if rs is not m.rs)
    assert scaling(out, since=1016.0) == [
        (1016.0, f"Scaled down replica set {old} from 5 to 3"),
        (1016.0, f"Scaled down replica set {m.rs.name} from 2 to 1"),
        (1016.0, f"Scaled down replica set {old} from 3 to 2"),
        (1016.0, f"Scaled up replica set {m.rs.name} from 1 to 2"),
    ]


def test_recreate_waits_until_every_old_pod_is_gone():
    # rolloutRecreate: old 6 -> 0 at 1000; oldPodsRunning is true while any old pod object
    # is left (terminating ones count): they run their 15 s preStop until 1015. Then the new
    # RS goes 0 -> 6 at once; its pods are Ready at 1015 + 11 = 1026: complete.
    m, out = run(scenario(strategy={"type": "Recreate"}))
    old = next(rs.name for rs in m.replicasets if rs is not m.rs) if len(m.replicasets) > 1 \
        else None
    steps = scaling(out)
    assert [t for t, _ in steps] == [1000.0, 1015.0]
    assert steps[1] == (1015.0, f"Scaled up replica set {m.rs.name} from 0 to 6")
    assert old is None  # the old ReplicaSet is cleaned up once complete
    r = out.extra["rollouts"][0]
    assert r["end"] == 1026.0 and r["min_available"] == 0


@pytest.mark.parametrize("replicas", [1, 4, 9])
def test_scale_outside_a_rollout_is_one_replica_set(replicas):
    # One active ReplicaSet: FindActiveOrLatest returns it and it takes the whole count.
    sc = scenario()
    sc.disruption.rollouts = []
    m, _out = run(sc, at=500.0, replicas=replicas, duration=501.0)
    assert m.rs.spec_replicas == replicas
    assert (m.rs.desired_ann, m.rs.max_ann) == (replicas, replicas + 1)
