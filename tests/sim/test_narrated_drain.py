"""Voluntary disruption: drains against a PodDisruptionBudget, and a rolling update.

kubectl drain cordons the node, evicts every pod in parallel and retries a refused
eviction (429) every 5 s (kubectl drain.go); the eviction API allows an eviction only
while disruptionsAllowed > 0 (disruption.go, eviction.go).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from capacity.scenario.loader import load_scenario, scenario_from_dict
from capacity.sim.engine import Model
from tests.sim.conftest import DATA
from tests.sim.test_narrated_nodes import run, timeline

KNATIVE = DATA / "manifests" / "knative__serving"


def test_drain_blocked_by_min_available_2_until_a_third_pod_is_ready():
    sc = load_scenario(DATA / "scenarios/drain-pdb.yaml")
    _, out = run(sc)
    ev = timeline(out)
    # Two ready pods, minAvailable 2: disruptionsAllowed = 2 - 2 = 0, so every eviction
    # from 1000 s on gets 429. The load step at 1800 s is first seen whole by the scrape at
    # 1815; the sync at 1816 scales to 3; the pod is bound at 1817 and, with no readiness
    # probe, Ready at once. The next retry on the 5 s grid from 1000 s is 1820: allowed.
    assert (1816.0, "SuccessfulRescale", "web") in ev
    evicted = [t for t, r, _ in ev if r == "Evicted"]
    assert evicted[0] == 1820.0
    first = out.extra["cluster"]["drains"][0]
    assert first["node"] == "general-zone-a-0"
    assert first["start"] == 1000.0 and first["end"] == 1820.0
    assert first["blocked_seconds"] == 820.0
    assert first["refusals"] == (1820 - 1000) // 5
    # The evicted pod is replaced at once; the PDB never let ready pods drop below 2.
    ts = out.columns
    assert (ts["ready_replicas"][ts["time"] > 60] >= 2).all()


def _knative_scenario(**extra) -> dict:
    docs = list(yaml.safe_load_all((KNATIVE / "activator-hpa.yaml").read_text()))
    hpa = next(d for d in docs if d and d["kind"] == "HorizontalPodAutoscaler")["spec"]
    pdb = next(d for d in docs if d and d["kind"] == "PodDisruptionBudget")["spec"]
    dep = next(d for d in yaml.safe_load_all((KNATIVE / "activator.yaml").read_text())
               if d and d["kind"] == "Deployment")
    resources = dep["spec"]["template"]["spec"]["containers"][0]["resources"]
    sc = {
        "name": "knative-activator-drain",
        "simulation": {"duration": "2h"},
        "cluster": {"zones": ["zone-a"], "nodePools": [
            {"name": "general", "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
             "nodesPerZone": 2}]},
        "workload": {
            "name": "activator",
            "deployment": {"template": {"metadata": {"labels": {"app": "activator"}},
                                        "spec": {"containers": [{"name": "activator",
                                                                 "resources": resources}]}}},
            "startup": {"schedulingDelay": "1s", "imagePull": "0s", "containerStart": "0s"},
            "demand": {"cpuPerRequest": 0.001},
        },
        "autoscaling": {"horizontal": hpa},
        "disruption": {"podDisruptionBudget": pdb,
                       "maintenance": [{"start": "600s", "nodeUpgradeTime": "5m"}]},
        "load": {"constant": 50},
    }
    sc.update(extra)
    return sc


def test_knative_activator_pdb_blocks_every_eviction_at_one_replica():
    # activator-hpa.yaml: minReplicas 1, CPU 100%; its PDB: minAvailable 80%. At one
    # replica desiredHealthy = ceil(0.8 x 1) = 1 = currentHealthy: disruptionsAllowed 0.
    # 50 rps x 1 ms = 50m of a 300m request: 16%, the HPA stays at 1.
    sc = scenario_from_dict(_knative_scenario())
    _, out = run(sc)
    drains = out.extra["cluster"]["drains"]
    assert len(drains) == 1  # the first node's drain never finishes
    d = drains[0]
    assert d["end"] is None and d["start"] == 600.0
    # from 600 s to the end (7200 s) every retry is refused: (7200 - 600) / 5 = 1320
    assert d["refusals"] == 1320
    assert not [e for e in timeline(out) if e[1] == "Evicted"]


def test_knative_drain_with_a_timeout_goes_ahead_and_loses_the_pod():
    base = _knative_scenario()
    base["disruption"]["maintenance"][0]["drainTimeout"] = "30m"
    sc = scenario_from_dict(base)
    _, out = run(sc)
    d = out.extra["cluster"]["drains"][0]
    assert d["start"] == 600.0 and d["end"] == 600.0 + 1800.0
    # The upgrade then takes the node down with the pod still on it: the only replica is
    # lost until the taint manager's eviction and a replacement.
    assert out.integrals.seconds_with_ready_pod < out.integrals.measured_seconds


def test_rollout_with_max_surge_1_max_unavailable_0_never_drops_below_replicas():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.failures.nodes = None
    sc.workload.deployment.strategy.rollingUpdate = type(
        sc.workload.deployment.strategy).model_fields["rollingUpdate"].annotation.__args__[0](
        maxSurge=1, maxUnavailable=0)
    sc.workload.deployment.template.spec.containers[0].readinessProbe = type(
        sc.workload.deployment.template.spec.containers[0]).model_fields[
        "readinessProbe"].annotation.__args__[0](initialDelaySeconds=10, periodSeconds=5)
    from capacity.scenario.model import RolloutSchedule

    sc.disruption.rollouts = [RolloutSchedule(at=1000)]
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    out = m.run()
    r = out.extra["rollouts"][0]
    assert r["start"] == 1000.0 and r["end"] is not None
    # maxUnavailable 0: available pods never below the 6 replicas; maxSurge 1: one new pod
    # at a time, each Ready 10 s after it starts (readiness initialDelaySeconds 10), so six
    # steps of 11 s (1 s scheduling + 10 s): when a new pod is Ready, an old one is removed
    # and the update of the old ReplicaSet re-queues the Deployment, which creates the next
    # new pod at once (deployment_controller.go updateReplicaSet): done at 1000 + 6 x 11.
    # No preStop here, so a removed pod is gone the same second, but the next new pod is
    # created in that second too, while it still terminates: 8 pod objects at that moment.
    assert r["min_available"] == 6
    assert r["max_pods"] == 7  # replicas + maxSurge 1
    assert r["max_pod_objects"] == 8
    assert r["end"] - r["start"] == 66.0
    ts = out.columns
    assert (ts["ready_replicas"] >= 6).all()
    ev = timeline(out, 999)
    ups = [msg for (t, reason, kind, name, msg, _) in out.events if reason == "ScalingReplicaSet" and t >= 1000]
    assert ups[0].startswith("Scaled up replica set web-") and ups[0].endswith("from 0 to 1")
    assert sum(1 for e in ev if e[1] == "SuccessfulCreate") == 6
    assert sum(1 for e in ev if e[1] == "SuccessfulDelete") == 6


def test_paths_exist():
    assert Path(KNATIVE / "activator-hpa.yaml").exists()
