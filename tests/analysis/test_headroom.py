"""Quota headroom (capacity.analysis.headroom), with every expected figure worked by hand.

The seed's sandbox-executor pod (scenarios/baseline.yaml, inherited by peak.yaml):

* app container ``sandbox-executor``: requests 250m cpu / 512Mi, limits 1000m / 2Gi;
* init container ``pre-flight`` ([fix] in baseline.yaml): requests 125m / 256Mi,
  limits 500m / 1Gi;
* RuntimeClass gvisor declares no overhead.

``PodRequests`` takes, per resource, max(sum of app containers, largest init step):
cpu max(250m, 125m) = 250m, memory max(512Mi, 256Mi) = 512Mi; limits max(1000m, 500m) = 1,
max(2Gi, 1Gi) = 2Gi. The quota (hard) is requests.cpu 20, limits.cpu 40, requests.memory
40Gi, limits.memory 80Gi, pods 50; requests.storage, services, configmaps and secrets are
not charged for pods. HPA 3..10; strategy maxSurge 1, maxUnavailable 0, so the surge at 10
is 1 and the rollout peak is 11 pods.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.analysis.headroom import (
    exceeded_message,
    headroom,
    quota_summary,
    replica_counts,
    rollout_surge,
)
from capacity.k8s.quantity import Quantity
from capacity.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"
CHECK = ROOT / "tests" / "data" / "scenarios" / "check"


def q(s: str) -> Quantity:
    return Quantity.parse(s)


def variant(tmp_path: Path, base: Path, body: str, name: str = "variant.yaml"):
    """A scenario extending ``base`` with the YAML ``body`` (mappings merge, lists replace)."""
    p = tmp_path / name
    p.write_text(f"extends: {base}\n{body}")
    return load_scenario(p)


@pytest.fixture(scope="module")
def peak():
    return load_scenario(PEAK)


# --- scenarios/peak.yaml -------------------------------------------------------------------

# (resource, per pod, at 3, at 10, at 11, hard, replicas admitted, binding)
PEAK_ROWS = [
    # 3×250m = 750m, 10×250m = 2500m, 11×250m = 2750m; 20 / 250m = 80
    ("requests.cpu", "250m", "750m", "2500m", "2750m", "20", 80, False),
    # 3×1 = 3, 10, 11; 40 / 1 = 40
    ("limits.cpu", "1", "3", "10", "11", "40", 40, True),
    # 3×512Mi = 1536Mi, 10×512Mi = 5120Mi = 5Gi, 11×512Mi = 5632Mi; 40Gi / 512Mi = 80
    ("requests.memory", "512Mi", "1536Mi", "5Gi", "5632Mi", "40Gi", 80, False),
    # 3×2Gi = 6Gi, 20Gi, 22Gi; 80Gi / 2Gi = 40
    ("limits.memory", "2Gi", "6Gi", "20Gi", "22Gi", "80Gi", 40, True),
    # pods: 3, 10, 11 of 50
    ("pods", "1", "3", "10", "11", "50", 50, False),
]


@pytest.mark.parametrize(("res", "per", "at3", "at10", "at11", "hard", "admits", "binding"),
                         PEAK_ROWS)
def test_peak_figures_by_hand(peak, res, per, at3, at10, at11, hard, admits, binding):
    h = headroom(peak)
    row = h["resources"][res]
    assert row["per_pod"] == per
    assert (row["at_min"], row["at_max"], row["at_max_plus_surge"]) == (at3, at10, at11)
    assert row["hard"] == hard
    assert row["replicas_admitted"] == admits
    assert row["binding"] is binding
    assert row["at_peak"] is None and row["fractions"]["at_peak"] is None
    for key, n in (("at_min", 3), ("at_max", 10), ("at_max_plus_surge", 11)):
        assert row["fractions"][key] == pytest.approx(float(q(per)) * n / float(q(hard)))


def test_peak_fractions_spelled_out(peak):
    r = headroom(peak)["resources"]
    # limits.cpu 11 / 40 = 0.275; requests.cpu 2.75 / 20 = 0.1375; pods 11 / 50 = 0.22
    assert r["limits.cpu"]["fractions"]["at_max_plus_surge"] == pytest.approx(0.275)
    assert r["requests.cpu"]["fractions"]["at_max_plus_surge"] == pytest.approx(0.1375)
    assert r["pods"]["fractions"]["at_max_plus_surge"] == pytest.approx(0.22)
    # 3 pods: requests.memory 1.5Gi / 40Gi = 0.0375
    assert r["requests.memory"]["fractions"]["at_min"] == pytest.approx(0.0375)


def test_peak_totals(peak):
    h = headroom(peak)
    # limits.cpu (40 / 1) and limits.memory (80Gi / 2Gi) both stop at 40 replicas
    assert h["max_replicas_admitted"] == 40
    assert h["replicas"] == {"min": 3, "peak": None, "max": 10, "surge": 1, "max_plus_surge": 11}
    assert h["quota"] == "swissbrain-quota" and h["matches"] is True
    # only the resources a pod is charged for, in the quota's order
    assert list(h["resources"]) == ["requests.cpu", "limits.cpu", "requests.memory",
                                    "limits.memory", "pods"]


def test_seed_document_figures_are_wrong_and_ours_are_right(peak):
    """The seed's quota section says scaling to 10 replicas uses "7.5 CPU / 15Gi" and its
    cost section says "Baseline cost: 750m CPU × 3 = 2.25 CPUs". Both multiply the
    3-replica *total* (750m, 1.5Gi) by a replica count again."""
    r = headroom(peak)["resources"]
    # 10 replicas: requests 10 × 250m = 2.5 CPU and 10 × 512Mi = 5Gi, not 7.5 CPU / 15Gi
    assert r["requests.cpu"]["at_max"] == "2500m"
    assert r["requests.memory"]["at_max"] == "5Gi"
    # ... limits 10 × 1 = 10 CPU, 10 × 2Gi = 20Gi, also not 7.5 / 15Gi
    assert r["limits.cpu"]["at_max"] == "10" and r["limits.memory"]["at_max"] == "20Gi"
    seed_cpu, seed_mem = q("7.5"), q("15Gi")
    for key in ("requests.cpu", "limits.cpu"):
        assert q(r[key]["at_max"]) != seed_cpu
    for key in ("requests.memory", "limits.memory"):
        assert q(r[key]["at_max"]) != seed_mem
    # where the seed's numbers come from: 10 × (the total of 3 pods)
    assert q(r["requests.cpu"]["at_min"]) * 10 == seed_cpu
    assert q(r["requests.memory"]["at_min"]) * 10 == seed_mem
    # baseline: 3 × 250m = 750m of CPU requests in all, not 750m × 3 = 2.25 CPUs
    assert r["requests.cpu"]["at_min"] == "750m"
    assert q(r["requests.cpu"]["at_min"]) * 3 == q("2.25")  # the seed's double count
    # the seed's own table for 3 pods and its peak lines agree with ours:
    # "CPU Limits 3 cores", "Memory Requests 1.5Gi", "Memory Limits 6Gi",
    # "Peak capacity: 10 replicas × 1 CPU = 10 CPUs", "Memory peak: 10 × 2Gi = 20Gi"
    assert r["limits.cpu"]["at_min"] == "3"
    assert q(r["requests.memory"]["at_min"]) == q("1.5Gi")
    assert r["limits.memory"]["at_min"] == "6Gi"


def test_seed_as_written_charges_the_limitrange_defaults():
    """Without resources the init container gets the LimitRange defaults (request 100m /
    256Mi, limit 500m / 1Gi); they are below the app container's, so the charge is the same
    250m / 512Mi / 1 / 2Gi per pod (the pod is rejected anyway: see test_check)."""
    h = headroom(load_scenario(ROOT / "scenarios" / "seed-as-written.yaml"))
    assert h["per_pod"] == {"pods": "1", "requests.cpu": "250m", "limits.cpu": "1",
                            "requests.memory": "512Mi", "limits.memory": "2Gi"}


def test_peak_replicas_and_quota_summary(peak):
    h = headroom(peak, peak_replicas=7)
    # 7 × 250m = 1750m, 7 × 1 = 7, 7 × 512Mi = 3584Mi, 7 × 2Gi = 14Gi
    assert h["resources"]["requests.cpu"]["at_peak"] == "1750m"
    assert h["resources"]["limits.cpu"]["fractions"]["at_peak"] == pytest.approx(7 / 40)
    assert quota_summary(peak, 7) == {
        "peak_used": {"requests.cpu": "1750m", "limits.cpu": "7", "requests.memory": "3584Mi",
                      "limits.memory": "14Gi", "pods": "7"},
        "hard": {"requests.cpu": "20", "limits.cpu": "40", "requests.memory": "40Gi",
                 "limits.memory": "80Gi", "pods": "50"},
    }


# --- overhead, the init-container rule, sidecars -------------------------------------------


def test_overhead_init_and_sidecar_rule(tmp_path):
    """base.yaml's app container is 250m / 512Mi (limits 1 / 1Gi). Add:

    * a sidecar (``restartPolicy: Always``) 50m / 64Mi, limits 100m / 64Mi;
    * after it, a plain init container 500m / 128Mi, limits 500m / 128Mi;
    * a RuntimeClass overhead 100m / 64Mi.

    requests.cpu: app + sidecar = 300m; init step = 500m + sidecar 50m = 550m;
    max = 550m; + overhead 100m = 650m.
    requests.memory: 512 + 64 = 576Mi vs 128 + 64 = 192Mi → 576Mi; + 64Mi = 640Mi.
    limits.cpu: 1 + 100m = 1100m vs 500m + 100m = 600m → 1100m; + overhead = 1200m.
    limits.memory: 1Gi + 64Mi = 1088Mi vs 128 + 64 = 192Mi → 1088Mi; + 64Mi = 1152Mi.
    """
    sc = variant(tmp_path, CHECK / "base.yaml", """
workload:
  runtimeClass:
    name: kata
    overhead: {podFixed: {cpu: 100m, memory: 64Mi}}
  deployment:
    template:
      spec:
        runtimeClassName: kata
        initContainers:
          - name: log-shipper
            restartPolicy: Always
            resources:
              requests: {cpu: 50m, memory: 64Mi}
              limits: {cpu: 100m, memory: 64Mi}
          - name: migrate
            resources:
              requests: {cpu: 500m, memory: 128Mi}
              limits: {cpu: 500m, memory: 128Mi}
""")
    h = headroom(sc)
    assert h["per_pod"]["requests.cpu"] == "650m"
    assert h["per_pod"]["requests.memory"] == "640Mi"
    assert h["per_pod"]["limits.cpu"] == "1200m"
    assert h["per_pod"]["limits.memory"] == "1152Mi"
    # 6 pods: 3900m requests.cpu (of 10 → 0.39); admits min(10/0.65=15, 20/1.2=16,
    # 20Gi/640Mi=32, 40Gi/1152Mi=35, 30) = 15, set by requests.cpu
    r = h["resources"]
    assert r["requests.cpu"]["at_min"] == "3900m"
    assert r["requests.cpu"]["fractions"]["at_min"] == pytest.approx(0.39)
    assert h["max_replicas_admitted"] == 15
    assert [k for k, v in r.items() if v["binding"]] == ["requests.cpu"]


# --- other usage, exhaustion ---------------------------------------------------------------


def test_other_usage_is_counted():
    """quota-exhausted.yaml: others hold limits.cpu 8 of 20; a pod limits 1 cpu.
    12 pods: 8 + 12 = 20 (fraction 1.0); 13 pods: 21 (1.05); admits (20 − 8) / 1 = 12."""
    h = headroom(load_scenario(CHECK / "quota-exhausted.yaml"))
    row = h["resources"]["limits.cpu"]
    assert row["other"] == "8"
    assert (row["at_min"], row["at_max"], row["at_max_plus_surge"]) == ("14", "20", "21")
    assert row["fractions"]["at_max"] == pytest.approx(1.0)
    assert row["fractions"]["at_max_plus_surge"] == pytest.approx(1.05)
    assert h["max_replicas_admitted"] == 12
    assert [k for k, v in h["resources"].items() if v["binding"]] == ["limits.cpu"]


def test_exceeded_message_is_the_api_servers():
    sc = load_scenario(CHECK / "quota-exhausted.yaml")
    assert exceeded_message(sc, 12) is None
    # the 13th pod: used 8 + 12 = 20, requested 1, limited 20
    assert exceeded_message(sc, 13) == (
        'pods "web-" is forbidden: exceeded quota: team-quota, requested: limits.cpu=1, '
        "used: limits.cpu=20, limited: limits.cpu=20"
    )


_BASE = load_scenario(CHECK / "base.yaml")


@settings(max_examples=40, deadline=None)
@given(other_milli=st.integers(min_value=0, max_value=25_000))
def test_admitted_replicas_formula(other_milli):
    """base.yaml with other limits.cpu usage u (milli): admits min over resources of
    ⌊(hard − used) / per pod⌋ = min(10000/250=40, ⌊(20000 − u)/1000⌋, 20Gi/512Mi=40,
    40Gi/1Gi=40, 30 pods), or 0 once u > 20000."""
    sc = _BASE.model_copy(deep=True)
    sc.namespace.otherUsage = {"limits.cpu": f"{other_milli}m"}
    expected = 0 if other_milli > 20_000 else min(30, (20_000 - other_milli) // 1000)
    h = headroom(sc)
    assert h["max_replicas_admitted"] == expected
    row = h["resources"]["limits.cpu"]
    # at the admitted count the quota holds, one more pod breaks it
    if expected > 0:
        assert (other_milli + 1000 * expected) / 20_000 <= 1.0
    if expected < 30:
        assert (other_milli + 1000 * (expected + 1)) / 20_000 > 1.0
    assert row["fractions"]["at_min"] == pytest.approx((other_milli + 6000) / 20_000)


# --- no quota, scopes, surge ---------------------------------------------------------------


def test_no_quota():
    sc = load_scenario(CHECK / "hpa-missing-request.yaml")  # resourceQuota: null
    h = headroom(sc)
    assert h["quota"] is None and h["resources"] == {} and h["max_replicas_admitted"] is None
    assert quota_summary(sc, 5) == {"peak_used": {}, "hard": {}}


def test_quota_scope_not_selecting_the_pod(tmp_path):
    # a BestEffort-scoped quota never charges a pod with requests (pod_matches_scope)
    sc = variant(tmp_path, CHECK / "base.yaml", """
namespace:
  resourceQuota:
    scopes: [BestEffort]
    hard: {pods: "2"}
""")
    h = headroom(sc)
    assert h["quota"] == "team-quota" and h["matches"] is False and h["resources"] == {}


@pytest.mark.parametrize(("strategy", "replicas", "surge"), [
    ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}, 12, 1),
    # 25% of 10 = 2.5, rounded up (ResolveFenceposts) = 3
    ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}}, 10, 3),
    # no rollingUpdate: API default maxSurge 25%: 25% of 12 = 3
    ({"type": "RollingUpdate"}, 12, 3),
    # 25% of 3 = 0.75 → 1
    ({"type": "RollingUpdate"}, 3, 1),
    ({"type": "Recreate"}, 12, 0),
])
def test_rollout_surge(strategy, replicas, surge):
    from capacity.scenario.kubernetes import DeploymentStrategy

    sc = load_scenario(CHECK / "base.yaml")
    sc.workload.deployment.strategy = DeploymentStrategy.model_validate(strategy)
    assert rollout_surge(sc, replicas) == surge


def test_replica_counts_without_hpa(tmp_path):
    sc = load_scenario(CHECK / "base.yaml")
    sc.autoscaling.horizontal = None
    sc.workload.deployment.replicas = 4
    # fixed 4 replicas, maxSurge 1
    assert replica_counts(sc) == (4, 4, 1)
    sc.workload.deployment.replicas = None  # API default 1
    assert replica_counts(sc) == (1, 1, 1)
