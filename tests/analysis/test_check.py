"""``capacity check``: every listed problem is found in a small scenario made to have it,
nothing (at warning or error) in a clean one, and the seed scenarios give the right answers.

The scenarios are in tests/data/scenarios/check/; each extends base.yaml, the clean one.
base.yaml in numbers: 3 zones × 3 nodes of 4 cpu / 16Gi; HPA 6..12 on cpu 70% and memory
80%; app container 250m / 512Mi (limits 1 / 1Gi); maxSurge 1, maxUnavailable 0; quota
requests.cpu 10, limits.cpu 20, requests.memory 20Gi, limits.memory 40Gi, pods 30;
LimitRange defaults 400m / 100m cpu, 512Mi / 128Mi memory, cpu ratio at most 4; PDB
minAvailable 3; zone spread maxSkew 1 (DoNotSchedule); demand baseCpu 20m, baseMemory 200Mi.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from capacity.analysis.check import (
    Finding,
    check_report,
    count_by_severity,
    format_findings,
    has_errors,
    run_checks,
)
from capacity.cli import main
from capacity.errors import ScenarioError
from capacity.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tests" / "data" / "scenarios" / "check"
TEMPLATE = "workload.deployment.template.spec"


def load(name: str):
    return load_scenario(CHECK / name)


def variant(tmp_path: Path, body: str, base: Path = CHECK / "base.yaml"):
    p = tmp_path / "variant.yaml"
    p.write_text(f"extends: {base}\n{body}")
    return load_scenario(p)


def serious(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity in ("error", "warning")]


def only(findings: list[Finding], code: str) -> Finding:
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, findings
    return hits[0]


# --- the clean scenario --------------------------------------------------------------------


def test_clean_scenario_has_no_findings_at_all():
    """Why base.yaml passes every check:
    * quota at 12 + 1 = 13 pods: requests.cpu 3250m ≤ 10, limits.cpu 13 ≤ 20, requests.memory
      6.5Gi ≤ 20Gi, limits.memory 13Gi ≤ 40Gi, pods 13 ≤ 30;
    * LimitRange: cpu ratio 1 / 250m = 4 ≤ 4, limits under max; every field stated;
    * idle usage: cpu 20m·100 / 250m = 8% → 8/70 = 0.114, memory 200·100/512 = 39% →
      39/80 = 0.4875: scale-down stops at the largest n < 1/(1 − r), i.e. 1, below 6;
    * PDB minAvailable 3 at 6 pods: 3 disruptions allowed; a zone down takes
      ⌊(6 + 1·2)/3⌋ = 2 pods, leaving 4 healthy: 1 allowed;
    * minReplicas 6 ≥ 3 zones; no required anti-affinity; a pod fits a 4-cpu node;
    * ready after 5 s pull + 2 s start + 3 s warm-up ≈ 10 s, well inside 300 s."""
    findings = run_checks(load("base.yaml"))
    assert findings == []


# --- one scenario per listed problem -------------------------------------------------------

CASES = [
    # (file, code, severity, path, fragments of the message, fragments of the fix)
    ("limitrange-rejects.yaml", "limitrange-rejects", "error",
     f"{TEMPLATE}.initContainers[0].resources",
     # limit 1 / request 100m = 10 > 4
     ['pods "web-" is forbidden: cpu max limit to request ratio per Container is 4, but '
      "provided ratio is 10.000000"],
     # 1 cpu ÷ 4 = 250m; 100m × 4 = 400m
     ["requests.cpu to at least 250m", "limits.cpu to 400m"]),
    ("limitrange-defaults.yaml", "limitrange-defaults", "warning",
     f"{TEMPLATE}.initContainers[0].resources",
     ["requests.cpu=100m", "requests.memory=128Mi", "limits.cpu=400m", "limits.memory=512Mi",
      "init container 'setup'"],
     ["explicitly"]),
    ("quota-exhausted.yaml", "quota-exhausted", "error",
     "namespace.resourceQuota.hard.limits.cpu",
     # (20 − 8) / 1 = 12 admitted < 12 + 1
     ["admits 12 replicas", "maxReplicas plus rollout surge (13)",
      "exceeded quota: team-quota, requested: limits.cpu=1, used: limits.cpu=20, "
      "limited: limits.cpu=20"],
     # 8 + 13 × 1 = 21; or 12 − 1 = 11 replicas
     ["hard limits.cpu >= 21", "lower maxReplicas to 11"]),
    ("hpa-missing-request.yaml", "hpa-missing-request", "error",
     f"{TEMPLATE}.containers[1].resources.requests",
     ['"missing request for cpu in container proxy of Pod web-"', "never down"],
     ["requests.cpu on container 'proxy'"]),
    ("hpa-memory-never-down.yaml", "hpa-never-scales-down", "error",
     "autoscaling.horizontal.metrics[1]",
     # 480Mi·100 / 512Mi = 93.75 → 93 (integer percent); 93/80 = 1.1625 > 1.1
     ["93% of its memory request", "target 80%", "scale up to maxReplicas", "never scale down"],
     # 696Mi: 480·100/696 = 68 → 68/80 = 0.85 → n < 1/0.15 = 6.7 → 6 = minReplicas
     # (695Mi gives 69 → 0.8625 → 7); target 109%: 93/109 = 0.853 → 6 (108% gives 7)
     ["memory request to 696Mi", "target to 109%"]),
    ("vpa-with-hpa.yaml", "vpa-hpa-conflict", "error",
     "autoscaling.vertical.updatePolicy.updateMode",
     ["updateMode Auto", "cpu, memory"],
     ["updateMode: Off"]),
    ("pdb-blocks.yaml", "pdb-blocks-evictions", "error",
     "disruption.podDisruptionBudget.minAvailable",
     # 6 healthy − 6 desired = 0
     ["minReplicas 6", "wants 6 healthy and allows 0 disruptions"],
     ["minAvailable 5"]),
    ("pdb-zone-down.yaml", "pdb-zone-down", "warning",
     "disruption.podDisruptionBudget.minAvailable",
     # 6 − ⌊(6+2)/3⌋ = 4 healthy < 5
     ["2 pod(s) lost of 6", "wants 5 healthy and allows 0"],
     # 7: 7 − 3 = 4; 8: 8 − 3 = 5 → 0 allowed; 9: 9 − 3 = 6 → 1
     ["raise minReplicas to 9"]),
    ("spread-below-zones.yaml", "spread-min-below-zones", "warning",
     f"{TEMPLATE}.topologySpreadConstraints[0]",
     ["minReplicas 2 is below the 3 zones", "1 zone(s) run no replica"],
     ["minReplicas to 3"]),
    ("anti-affinity.yaml", "anti-affinity-capacity", "error",
     f"{TEMPLATE}.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]",
     # 3 zones × 3 nodes = 9 < 12
     ["at most 9 nodes", "3 of maxReplicas 12 stay Pending"],
     ["preferredDuringScheduling"]),
    ("probe-slow.yaml", "probe-ready-after-cpu-init", "warning",
     f"{TEMPLATE}.containers[0].readinessProbe",
     # container starts at 5 + 2 = 7 s; probe ticks every 5 s from 7 s; the first with
     # ⌊t − 7⌋ ≥ 400 is 407 s
     ["typical new pod becomes Ready 407s", "cpu-initialization-period (300s)"],
     ["horizontalPodAutoscalerCPUInitializationPeriod"]),
    ("replicas-overridden.yaml", "replicas-overridden", "warning",
     "workload.deployment.replicas",
     ["resets it to 3", "outside 6..12"],
     ["remove replicas"]),
]


@pytest.mark.parametrize(("name", "code", "severity", "path", "msg", "fix"), CASES,
                         ids=[c[0] for c in CASES])
def test_each_problem_is_found(name, code, severity, path, msg, fix):
    findings = run_checks(load(name))
    f = only(findings, code)
    assert f.severity == severity
    assert f.path == path
    for m in msg:
        assert m in f.message, f.message
    for x in fix:
        assert x in f.fix, f.fix
    # and nothing else is wrong with it
    assert [g.code for g in serious(findings)] == [code]


# --- the seed -----------------------------------------------------------------------------


def test_peak_scenario_has_only_the_zone_outage_pdb_warning():
    """scenarios/peak.yaml: no error; one warning, worked by hand. Three zones, minReplicas 3
    spread one per zone (maxSkew 1); PDB minAvailable 2. With a zone down 2 pods are
    healthy, desiredHealthy 2: disruptionsAllowed = 2 - 2 = 0, so no drain can proceed while
    a zone is out. Its quota figures are in test_headroom."""
    findings = run_checks(load_scenario(ROOT / "scenarios" / "peak.yaml"))
    assert [(f.severity, f.code) for f in findings] == [("warning", "pdb-zone-down")]


def test_seed_as_written_is_rejected_by_its_own_limitrange():
    """The seed's init container states no resources. The LimitRange defaults it to
    request 100m / limit 500m cpu: 500m / 100m = 5 > maxLimitRequestRatio 4, so the API
    server refuses every pod with this message (upstream LimitRanger wording, ratio printed
    with Go's %f). The fix: request ≥ 500m / 4 = 125m (what baseline.yaml sets), or a
    limit ≤ 100m × 4 = 400m."""
    findings = run_checks(load_scenario(ROOT / "scenarios" / "seed-as-written.yaml"))
    f = only(findings, "limitrange-rejects")
    assert f.severity == "error"
    assert f.path == f"{TEMPLATE}.initContainers[0].resources"
    assert ('pods "sandbox-executor-" is forbidden: cpu max limit to request ratio per '
            "Container is 4, but provided ratio is 5.000000") in f.message
    assert "requests.cpu to at least 125m" in f.fix and "state cpu requests" in f.fix
    d = only(findings, "limitrange-defaults")
    assert "requests.cpu=100m" in d.message and "limits.cpu=500m" in d.message
    assert has_errors(findings)


# --- more checks, on variants of base.yaml --------------------------------------------------


def test_quota_must_specify(tmp_path):
    # no LimitRange to default the init container; the quota names cpu and memory
    sc = variant(tmp_path, """
namespace:
  limitRange: null
workload:
  deployment:
    template:
      spec:
        initContainers:
          - name: setup
""")
    f = only(run_checks(sc), "quota-must-specify")
    assert f.severity == "error" and f.path == f"{TEMPLATE}.initContainers[0].resources"
    assert ('pods "web-" is forbidden: failed quota: team-quota: must specify limits.cpu for: '
            "setup; limits.memory for: setup; requests.cpu for: setup; requests.memory for: "
            "setup") in f.message


def test_quota_exhausted_before_min(tmp_path):
    # others hold 15 of 20 limits.cpu: 5 pods fit, minReplicas is 6
    sc = variant(tmp_path, "namespace:\n  otherUsage: {limits.cpu: '15'}\n")
    f = only(run_checks(sc), "quota-exhausted")
    assert "admits 5 replicas, fewer than minReplicas (6)" in f.message
    assert "used: limits.cpu=20" in f.message  # 15 + 5 × 1


def test_anti_affinity_enough_for_max_but_not_surge(tmp_path):
    # 3 zones × 4 nodes = 12 = maxReplicas; the surge pod (13th) has no node
    sc = variant(tmp_path, """
cluster:
  nodePools:
    - name: general
      allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
      nodesPerZone: 4
""", base=CHECK / "anti-affinity.yaml")
    f = only(run_checks(sc), "anti-affinity-capacity")
    assert f.severity == "warning" and "cannot place its 1 surge pod(s)" in f.message


def test_anti_affinity_counts_autoscaled_nodes(tmp_path):
    sc = variant(tmp_path, """
cluster:
  nodePools:
    - name: general
      allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
      nodesPerZone: 3
      autoscaling: {minNodes: 9, maxNodes: 15}
""", base=CHECK / "anti-affinity.yaml")
    assert serious(run_checks(sc)) == []


@pytest.mark.parametrize(("mode", "expected"), [
    ("Off", None), ("Initial", "warning"), ("Recreate", "error"),
    ("InPlaceOrRecreate", "error"), ("Auto", "error"),
])
def test_vpa_modes(tmp_path, mode, expected):
    sc = variant(tmp_path, f"""
autoscaling:
  vertical:
    updatePolicy: {{updateMode: "{mode}"}}
""")
    hits = [f for f in run_checks(sc) if f.code == "vpa-hpa-conflict"]
    assert [f.severity for f in hits] == ([] if expected is None else [expected])


def test_vpa_on_other_resources_is_fine(tmp_path):
    # the HPA scales on cpu and memory; a VPA whose container policy is Off changes neither
    sc = variant(tmp_path, """
autoscaling:
  vertical:
    updatePolicy: {updateMode: Auto}
    resourcePolicy:
      containerPolicies:
        - {containerName: "*", mode: "Off"}
""")
    assert serious(run_checks(sc)) == []
    # controlling memory only, with an HPA on cpu and memory: still a conflict on memory
    sc2 = variant(tmp_path, """
autoscaling:
  vertical:
    updatePolicy: {updateMode: Auto}
    resourcePolicy:
      containerPolicies:
        - {containerName: app, controlledResources: [memory]}
""")
    f = only(run_checks(sc2), "vpa-hpa-conflict")
    assert "changes pod memory requests" in f.message


def test_memory_floor_above_min_replicas(tmp_path):
    # 359Mi·100/512Mi = 70.1 → 70%; 70/80 = 0.875 < 0.9; n < 1/0.125 = 8 → 7 > 6
    sc = variant(tmp_path, "workload:\n  demand: {baseMemory: 359Mi}\n")
    f = only(run_checks(sc), "hpa-scale-down-floor")
    assert f.severity == "warning" and "at 7 replicas or more, above minReplicas 6" in f.message


def test_within_tolerance_never_scales_down(tmp_path):
    # 380Mi·100/512Mi = 74.2 → 74%; 74/80 = 0.925 ≥ 0.9: always "within tolerance"
    sc = variant(tmp_path, "workload:\n  demand: {baseMemory: 380Mi}\n")
    f = only(run_checks(sc), "hpa-never-scales-down")
    assert f.severity == "warning" and "tolerance" in f.message


def test_container_resource_metric(tmp_path):
    sc = variant(tmp_path, """
autoscaling:
  horizontal:
    metrics:
      - type: ContainerResource
        containerResource: {name: cpu, container: sidecar, target: {type: Utilization, averageUtilization: 70}}
""")
    f = only(run_checks(sc), "hpa-container-missing")
    assert f.path == "autoscaling.horizontal.metrics[0].containerResource.container"


def test_startup_probe_kills_slow_app(tmp_path):
    # container starts at 5 + 2 = 7 s; startup probe ticks 10, 15, 20 (period 5 from 0);
    # the app is up at 7 + 60 = 67 s; the third failure at 20 s kills it
    sc = variant(tmp_path, """
workload:
  startup: {appWarmup: 60s}
  deployment:
    template:
      spec:
        containers:
          - name: app
            resources:
              requests: {cpu: 250m, memory: 512Mi}
              limits: {cpu: "1", memory: 1Gi}
            startupProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 5, failureThreshold: 3}
""")
    f = only(run_checks(sc), "startup-probe-kills")
    assert f.severity == "error" and "kills the container at 20s" in f.message


def test_only_slow_pods_are_ready_after_the_cpu_initialization_period(tmp_path):
    # warm-up median 10 s, p95 400 s: typical ready ≈ 20 s; a p95 pod after 407 s
    sc = variant(tmp_path, """
workload:
  startup:
    appWarmup: {type: lognormal, median: 10s, p95: 400s}
""")
    f = only(run_checks(sc), "probe-ready-after-cpu-init")
    assert "slow (p95) new pod" in f.message


@pytest.mark.parametrize(("body", "code", "severity", "fragment"), [
    ("cluster:\n  nodePools:\n    - {name: tiny, allocatable: {cpu: 200m, memory: 16Gi}}\n",
     "pod-fits-no-node", "error", "cpu=250m"),
    ("disruption:\n  podDisruptionBudget:\n    selector: {matchLabels: {app: other}}\n",
     "pdb-selects-nothing", "warning", "protects nothing"),
    ("workload:\n  runtimeClass: {name: kata, overhead: {podFixed: {cpu: 100m}}}\n",
     "runtimeclass-not-named", "warning", "nor carry its overhead"),
    ("workload:\n  runtimeClass: {name: kata, overhead: {podFixed: {cpu: 100m}}}\n"
     "  deployment:\n    template:\n      spec:\n        runtimeClassName: kata\n"
     "        overhead: {cpu: 10m}\n",
     "runtimeclass-overhead", "error",
     "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"),
])
def test_more_checks(tmp_path, body, code, severity, fragment):
    f = only(run_checks(variant(tmp_path, body)), code)
    assert f.severity == severity and fragment in f.message, f


@pytest.mark.parametrize(("body", "fragment"), [
    ("workload:\n  deployment:\n    selector: {matchLabels: {app: other}}\n",
     "`selector` does not match template `labels`"),
    ("workload:\n  deployment:\n    strategy:\n      rollingUpdate: {maxSurge: 0, maxUnavailable: 0}\n",
     "maxUnavailable: may not be 0 when `maxSurge` is 0"),
])
def test_api_server_rejections_fail_at_load(tmp_path, body, fragment):
    # the API server rejects these Deployments, so the scenario loader does too (one line
    # naming the file and field) before any check runs
    with pytest.raises(ScenarioError, match=re.escape(fragment)) as e:
        variant(tmp_path, body)
    assert "variant.yaml:" in str(e.value) and "\n" not in str(e.value)


def test_no_cluster_is_info_only(tmp_path):
    sc = variant(tmp_path, "cluster: null\n")
    assert [(f.severity, f.code) for f in run_checks(sc)] == [("info", "no-cluster")]


# --- report, text, CLI -----------------------------------------------------------------------


def test_check_report_shape():
    r = check_report(load("quota-exhausted.yaml"))
    assert r["ok"] is False and r["counts"] == {"error": 1, "warning": 0, "info": 0}
    assert r["findings"][0]["code"] == "quota-exhausted"
    assert set(r["findings"][0]) == {"severity", "code", "path", "message", "fix"}
    assert r["headroom"]["max_replicas_admitted"] == 12
    json.dumps(r)  # JSON-ready


def test_format_and_counts():
    fs = run_checks(load("pdb-zone-down.yaml"))
    assert count_by_severity(fs) == {"error": 0, "warning": 1, "info": 0}
    text = format_findings(fs)
    assert text.startswith("WARNING pdb-zone-down  disruption.podDisruptionBudget.minAvailable")
    assert format_findings([]) == "no findings"


def test_cli_exit_codes(capsys):
    assert main(["check", str(CHECK / "base.yaml")]) == 0
    out = capsys.readouterr().out
    assert "no findings" in out and "max replicas admitted: 20" in out  # limits.cpu 20 / 1
    assert main(["check", str(ROOT / "scenarios" / "seed-as-written.yaml")]) == 1
    assert "ERROR   limitrange-rejects" in capsys.readouterr().out
    assert main(["check", str(CHECK / "pdb-zone-down.yaml")]) == 0  # warnings only
    capsys.readouterr()
    assert main(["check", str(CHECK / "does-not-exist.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_cli_json_on_peak():
    res = subprocess.run([sys.executable, "-m", "capacity", "check", "scenarios/peak.yaml",
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    r = json.loads(res.stdout)
    assert r["ok"] is True and r["counts"]["error"] == 0 and r["counts"]["warning"] == 1
    rows = r["headroom"]["resources"]
    # requests at 3, 10, 11: 750m, 2500m, 2750m and 1536Mi, 5Gi, 5632Mi;
    # limits at 3, 10, 11: 3, 10, 11 cpu and 6Gi, 20Gi, 22Gi (see test_headroom)
    assert [rows["requests.cpu"][k] for k in ("at_min", "at_max", "at_max_plus_surge")] == \
        ["750m", "2500m", "2750m"]
    assert [rows["requests.memory"][k] for k in ("at_min", "at_max", "at_max_plus_surge")] == \
        ["1536Mi", "5Gi", "5632Mi"]
    assert [rows["limits.cpu"][k] for k in ("at_min", "at_max", "at_max_plus_surge")] == \
        ["3", "10", "11"]
    assert [rows["limits.memory"][k] for k in ("at_min", "at_max", "at_max_plus_surge")] == \
        ["6Gi", "20Gi", "22Gi"]
    assert r["headroom"]["max_replicas_admitted"] == 40


def test_cli_json_exit_1_on_seed_as_written():
    res = subprocess.run([sys.executable, "-m", "capacity", "check",
                          "scenarios/seed-as-written.yaml", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    r = json.loads(res.stdout)
    assert r["ok"] is False
    assert any("provided ratio is 5.000000" in f["message"] for f in r["findings"])
