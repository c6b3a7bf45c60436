"""The emitter: layout, content from the scenario, determinism, the CLI, manifests/ up to date.

Expected values are the seed's (seed/000_1bea6a817f74417e.md) as scenarios/baseline.yaml
writes them, typed here by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from capacity.errors import CapacityError
from capacity.manifests.emit import render_manifests, write_manifests
from capacity.scenario.loader import load_scenario, scenario_from_dict

from .conftest import HPA_STEP, PEAK, ROOT, by_kind

SEED_LAYOUT = {
    "kustomization.yaml",
    "namespaces/swissbrain-namespace.yaml",
    "deployments/configmap.yaml",
    "deployments/sandbox-executor.yaml",
    "autoscaling/sandbox-executor-hpa.yaml",
    "autoscaling/sandbox-executor-vpa.yaml",
    "policies/pod-disruption-budget.yaml",
    "policies/network-policy.yaml",
    "monitoring/servicemonitor.yaml",
}


def test_layout_is_the_seeds_k8s_folder(peak_texts):
    assert set(peak_texts) == SEED_LAYOUT
    kust = yaml.safe_load(peak_texts["kustomization.yaml"])
    assert kust["kind"] == "Kustomization"
    assert set(kust["resources"]) == SEED_LAYOUT - {"kustomization.yaml"}
    # Namespace first: kubectl apply -f in list order must create it before its objects.
    assert kust["resources"][0] == "namespaces/swissbrain-namespace.yaml"


def test_every_kind_the_issue_lists(peak_objects):
    kinds = sorted(o["kind"] for o in peak_objects)
    assert kinds == sorted([
        "Namespace", "ResourceQuota", "LimitRange", "ConfigMap", "ServiceAccount", "Role",
        "RoleBinding", "Deployment", "Service", "HorizontalPodAutoscaler",
        "VerticalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "NetworkPolicy",
        "NetworkPolicy", "ServiceMonitor", "PodMonitor", "PrometheusRule",
    ])
    apis = {o["kind"]: o["apiVersion"] for o in peak_objects}
    assert apis["HorizontalPodAutoscaler"] == "autoscaling/v2"
    assert apis["VerticalPodAutoscaler"] == "autoscaling.k8s.io/v1"
    assert apis["PodDisruptionBudget"] == "policy/v1"
    for o in peak_objects:
        assert list(o)[:3] == ["apiVersion", "kind", "metadata"]
        if o["kind"] != "Namespace":
            assert o["metadata"]["namespace"] == "swissbrain"


def test_namespace_quota_and_limits(peak_objects):
    q = by_kind(peak_objects, "ResourceQuota")[0]
    assert q["metadata"]["name"] == "swissbrain-quota"  # the seed's name
    assert q["spec"]["hard"] == {
        "requests.cpu": "20", "limits.cpu": "40", "requests.memory": "40Gi",
        "limits.memory": "80Gi", "requests.storage": "100Gi", "pods": "50", "services": "20",
        "configmaps": "50", "secrets": "50"}
    lr = by_kind(peak_objects, "LimitRange")[0]
    assert lr["metadata"]["name"] == "swissbrain-limits"
    container, pod = lr["spec"]["limits"]
    assert container["default"] == {"cpu": "500m", "memory": "1Gi"}
    assert container["defaultRequest"] == {"cpu": "100m", "memory": "256Mi"}
    assert container["max"] == {"cpu": "4", "memory": "8Gi"}
    assert pod == {"type": "Pod", "max": {"cpu": "8", "memory": "16Gi"}}


def test_deployment_carries_every_field_of_the_scenario(peak_objects):
    d = by_kind(peak_objects, "Deployment", "sandbox-executor")[0]["spec"]
    assert d["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    assert "replicas" not in d  # the HPA owns it
    meta = d["template"]["metadata"]
    assert meta["annotations"] == {"prometheus.io/scrape": "true", "prometheus.io/port": "9090",
                                   "prometheus.io/path": "/metrics"}
    pod = d["template"]["spec"]
    assert pod["runtimeClassName"] == "gvisor"
    assert pod["serviceAccountName"] == "sandbox-executor"
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000,
                                      "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert anti["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert [v["name"] for v in pod["volumes"]] == ["tmp", "workspace", "cache"]
    assert [c["name"] for c in pod["initContainers"]] == ["pre-flight"]
    (c,) = pod["containers"]
    assert c["resources"] == {
        "limits": {"cpu": "1000m", "memory": "2Gi", "ephemeral-storage": "5Gi"},
        "requests": {"cpu": "250m", "memory": "512Mi", "ephemeral-storage": "1Gi"}}
    assert c["livenessProbe"]["initialDelaySeconds"] == 30 and c["livenessProbe"]["periodSeconds"] == 10
    assert c["readinessProbe"]["initialDelaySeconds"] == 10 and c["readinessProbe"]["periodSeconds"] == 5
    assert c["startupProbe"]["failureThreshold"] == 12 and c["startupProbe"]["periodSeconds"] == 5
    assert c["lifecycle"] == {"preStop": {"sleep": {"seconds": 15}}}
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}}
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in c["env"]}
    assert env == {"POD_NAME": "metadata.name", "POD_IP": "status.podIP",
                   "POD_NAMESPACE": "metadata.namespace"}
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/tmp", "/workspace", "/cache"}


def test_service_rbac_configmap(peak_objects):
    svc = by_kind(peak_objects, "Service")[0]["spec"]
    assert svc["selector"] == {"app": "sandbox-executor"}
    assert [(p["name"], p["port"]) for p in svc["ports"]] == [("http", 8000), ("metrics", 9090)]
    cm = by_kind(peak_objects, "ConfigMap")[0]
    assert cm["metadata"]["name"] == "sandbox-executor-config"  # the name envFrom refers to
    role = by_kind(peak_objects, "Role")[0]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"],
                              "resourceNames": ["sandbox-executor-config"], "verbs": ["get", "watch"]}]
    rb = by_kind(peak_objects, "RoleBinding")[0]
    assert rb["subjects"] == [{"kind": "ServiceAccount", "name": "sandbox-executor", "namespace": "swissbrain"}]
    assert rb["roleRef"]["name"] == "sandbox-executor"


def test_hpa_vpa_pdb(peak_objects):
    h = by_kind(peak_objects, "HorizontalPodAutoscaler")[0]["spec"]
    assert h["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "sandbox-executor"}
    assert (h["minReplicas"], h["maxReplicas"]) == (3, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in h["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    up, down = h["behavior"]["scaleUp"], h["behavior"]["scaleDown"]
    assert up["stabilizationWindowSeconds"] == 60 and down["stabilizationWindowSeconds"] == 300
    assert [(p["type"], p["value"], p["periodSeconds"]) for p in up["policies"]] == [
        ("Percent", 100, 30), ("Pods", 2, 30)]
    assert [(p["type"], p["value"], p["periodSeconds"]) for p in down["policies"]] == [
        ("Percent", 50, 60), ("Pods", 1, 60)]
    v = by_kind(peak_objects, "VerticalPodAutoscaler")[0]["spec"]
    assert v["updatePolicy"] == {"updateMode": "Off"}
    cp = v["resourcePolicy"]["containerPolicies"][0]
    assert cp["minAllowed"] == {"cpu": "100m", "memory": "256Mi"}
    assert cp["maxAllowed"] == {"cpu": "2", "memory": "4Gi"}
    p = by_kind(peak_objects, "PodDisruptionBudget")[0]["spec"]
    assert p == {"minAvailable": 2, "selector": {"matchLabels": {"app": "sandbox-executor"}}}


def _ports(rule):
    return sorted(p["port"] for p in rule["ports"])


def test_network_policies_are_the_seeds(peak_objects):
    pols = {o["metadata"]["name"]: o["spec"] for o in by_kind(peak_objects, "NetworkPolicy")}
    assert set(pols) == {"sandbox-executor", "default-deny-ingress", "default-allow-egress"}
    assert pols["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert pols["default-allow-egress"] == {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}
    w = pols["sandbox-executor"]
    ing = w["ingress"]
    # nginx -> 8000; same namespace -> 8000, 9090; monitoring namespace -> 9090
    assert _ports(ing[0]) == [8000]
    assert ing[0]["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert _ports(ing[1]) == [8000, 9090] and ing[1]["from"] == [{"podSelector": {}}]
    assert _ports(ing[2]) == [9090]
    assert ing[2]["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
    # DNS 53 (UDP and TCP), HTTPS 443, internal 80/8000, PostgreSQL 5432, Redis 6379
    eg = w["egress"]
    assert sorted((p["protocol"], p["port"]) for p in eg[0]["ports"]) == [("TCP", 53), ("UDP", 53)]
    assert _ports(eg[1]) == [443]
    assert _ports(eg[2]) == [80, 5432, 6379, 8000]


def test_monitors_scrape_the_metrics_port_every_30s(peak_objects):
    sm = by_kind(peak_objects, "ServiceMonitor")[0]["spec"]
    assert sm["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert sm["selector"] == {"matchLabels": {"app": "sandbox-executor"}}
    pm = by_kind(peak_objects, "PodMonitor")[0]["spec"]
    assert pm["podMetricsEndpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    rules = by_kind(peak_objects, "PrometheusRule")[0]["spec"]["groups"][0]["rules"]
    # The seed's seven alerts, in its order, with its durations.
    assert [(r["alert"], r["for"]) for r in rules] == [
        ("SandboxExecutorHighCPU", "5m"), ("SandboxExecutorHighMemory", "5m"),
        ("SandboxExecutorPodRestarting", "5m"), ("SandboxExecutorPodNotReady", "10m"),
        ("SandboxExecutorReplicaMismatch", "15m"), ("SandboxExecutorHighErrorRate", "5m"),
        ("SandboxExecutorLowAvailability", "5m")]
    thresholds = [r["expr"].split()[-1] for r in rules]
    assert thresholds == ["0.8", "0.85", "0.1", "0", "0", "0.05", "0.7"]
    assert "[15m]" in rules[2]["expr"]


def test_deterministic_with_header(peak, peak_texts):
    again = render_manifests(load_scenario(PEAK))
    assert again == peak_texts
    for name, text in peak_texts.items():
        assert text.startswith("# "), name
        assert "sandbox-executor-peak" in text.splitlines()[1], name
        for marker in ("creationTimestamp", "2026-", "2025-"):
            assert marker not in text, (name, marker)


def test_manifests_folder_is_up_to_date(peak_texts):
    """manifests/ is the output for scenarios/peak.yaml; regenerate with
    `python -m capacity manifests scenarios/peak.yaml -o manifests`."""
    folder = ROOT / "manifests"
    on_disk = {str(p.relative_to(folder)): p.read_text(encoding="utf-8")
               for p in folder.rglob("*") if p.is_file()}
    assert set(on_disk) == set(peak_texts), "manifests/ has other files than the emitter writes"
    stale = [name for name, text in peak_texts.items() if on_disk[name] != text]
    assert not stale, f"manifests/ is out of date ({', '.join(stale)}): run " \
        "python -m capacity manifests scenarios/peak.yaml -o manifests"


def test_minimal_scenario_gets_a_derived_selector_and_no_optional_objects():
    base = yaml.safe_load(HPA_STEP.read_text())
    base["workload"]["deployment"]["template"]["metadata"] = {}
    base.pop("autoscaling", None)
    sc = scenario_from_dict(base)
    texts = render_manifests(sc)
    objs = [o for name, t in texts.items() if name != "kustomization.yaml"
            for o in yaml.safe_load_all(t) if o]
    dep = by_kind(objs, "Deployment")[0]
    # No labels in the scenario: app=<workload name> on both selector and template.
    assert dep["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert dep["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
    assert dep["metadata"]["namespace"] == "default"
    kinds = {o["kind"] for o in objs}
    assert "HorizontalPodAutoscaler" not in kinds and "ServiceMonitor" not in kinds
    assert "Service" not in kinds  # no container ports
    assert "PrometheusRule" in kinds


def test_write_is_atomic_and_refuses_foreign_folders(tmp_path, peak):
    out = tmp_path / "m"
    write_manifests(peak, out)
    write_manifests(peak, out)  # a folder we wrote is replaced whole
    assert (out / "kustomization.yaml").exists()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(CapacityError, match=r"notes\.txt"):
        write_manifests(peak, out)
    assert (out / "notes.txt").read_text() == "mine"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_writes_the_folder(tmp_path, peak_texts):
    r = _cli("manifests", str(PEAK), "-o", str(tmp_path / "out"), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    for name, text in peak_texts.items():
        assert (tmp_path / "out" / name).read_text() == text
    r = _cli("manifests", str(PEAK), cwd=ROOT)
    assert r.returncode == 0
    kinds = [d["kind"] for d in yaml.safe_load_all(r.stdout) if d]
    assert kinds[0] == "Namespace" and len(kinds) == 18


def test_cli_bad_scenario_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nworkload: [\n")
    r = _cli("manifests", str(bad), "-o", str(tmp_path / "o"), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "bad.yaml:" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()
