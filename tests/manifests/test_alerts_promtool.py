"""``promtool test rules`` for each of the seven alerts emitted for scenarios/peak.yaml.

Each alert gets three checks: not firing one minute before its ``for`` has elapsed since the
expression first became true, firing once it has, and quiet below its threshold. Input
series and times are worked out by hand (evaluation every minute, Prometheus 2.x rate/increase
extrapolation). Threshold and ``for`` values are the seed's: HighCPU 0.8/5m, HighMemory
0.85/5m, PodRestarting 0.1 per 15m/5m, PodNotReady 10m, ReplicaMismatch 15m, HighErrorRate
0.05/5m, LowAvailability 0.7/5m.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from capacity.manifests.alerts import AlertSettings, alert_rules

from .conftest import by_kind, tool

NS = "swissbrain"
POD = "sandbox-executor-5d8f7-x2k4q"
CTR = "sandbox-executor"
DEP = "sandbox-executor"
GI = 1024**3

pod_l = f'namespace="{NS}", pod="{POD}"'
ctr_l = f'{pod_l}, container="{CTR}"'
dep_l = f'namespace="{NS}", deployment="{DEP}"'

# name -> (firing input, quiet input, first minute the expression is true, for in minutes,
#          expected labels, expected summary)
CASES = {
    # CPU limit 1000m = 1 core. A counter starting at 1000 and rising 54 per minute is
    # 0.9 cores (> 0.8). rate(...[5m]) at t=3m sees 0..3m: 162 over 180 s, extrapolated by
    # 30 s to 210 s -> 189 / 300 s = 0.63; at t=4m the first sample is 60 s (< 1.1 x 60 s)
    # from the window start, so it extrapolates to the full 300 s: 270/300 = 0.9. True from
    # 4m, firing at 4m + 5m = 9m. Quiet: 42 per minute = 0.7 cores.
    "HighCPU": (
        [(f"container_cpu_usage_seconds_total{{{ctr_l}}}", "1000+54x40"),
         (f'kube_pod_container_resource_limits{{{ctr_l}, resource="cpu"}}', "1x40")],
        [(f"container_cpu_usage_seconds_total{{{ctr_l}}}", "1000+42x40"),
         (f'kube_pod_container_resource_limits{{{ctr_l}, resource="cpu"}}', "1x40")],
        4, 5, {"namespace": NS, "pod": POD, "container": CTR},
        f"High CPU use in {POD}",
    ),
    # Memory limit 2Gi. 1.8Gi / 2Gi = 0.9 > 0.85 from t=0 (a gauge), firing at 5m.
    # Quiet: 1.6Gi / 2Gi = 0.8.
    "HighMemory": (
        [(f"container_memory_working_set_bytes{{{ctr_l}}}", f"{int(1.8 * GI)}x40"),
         (f'kube_pod_container_resource_limits{{{ctr_l}, resource="memory"}}', f"{2 * GI}x40")],
        [(f"container_memory_working_set_bytes{{{ctr_l}}}", f"{int(1.6 * GI)}x40"),
         (f'kube_pod_container_resource_limits{{{ctr_l}, resource="memory"}}', f"{2 * GI}x40")],
        0, 5, {"namespace": NS, "pod": POD, "container": CTR},
        f"High memory use in {POD}",
    ),
    # One restart at t=10m: increase(...[15m]) at 10m sees 0,...,0,1 -> 1 (the counter starts
    # at 0, so no extrapolation before the first sample) > 0.1; at 9m it is 0. Firing at
    # 10m + 5m = 15m; the restart stays in the window until 24m. Quiet: no restart.
    "PodRestarting": (
        [(f"kube_pod_container_status_restarts_total{{{ctr_l}}}", "0x9 1x30")],
        [(f"kube_pod_container_status_restarts_total{{{ctr_l}}}", "0x40")],
        10, 5, {"namespace": NS, "pod": POD, "container": CTR},
        f"{POD} is restarting",
    ),
    # Pending from t=0, firing at 10m. Quiet: Running.
    "PodNotReady": (
        [(f'kube_pod_status_phase{{{pod_l}, phase="Pending"}}', "1x40"),
         (f'kube_pod_status_phase{{{pod_l}, phase="Running"}}', "0x40")],
        [(f'kube_pod_status_phase{{{pod_l}, phase="Pending"}}', "0x40"),
         (f'kube_pod_status_phase{{{pod_l}, phase="Running"}}', "1x40")],
        0, 10, {"namespace": NS, "pod": POD},
        f"{POD} is not running",
    ),
    # 5 desired, 3 available from t=0: firing at 15m. Quiet: 5 of 5.
    "ReplicaMismatch": (
        [(f"kube_deployment_spec_replicas{{{dep_l}}}", "5x40"),
         (f"kube_deployment_status_replicas_available{{{dep_l}}}", "3x40")],
        [(f"kube_deployment_spec_replicas{{{dep_l}}}", "5x40"),
         (f"kube_deployment_status_replicas_available{{{dep_l}}}", "5x40")],
        0, 15, {"namespace": NS, "deployment": DEP},
        f"{DEP} does not have its desired replicas",
    ),
    # 6 errors and 54 successes per minute: 6/60 = 0.1 > 0.05. Both counters are
    # extrapolated alike, so the ratio is exact from t=1m (two samples): firing at 6m.
    # Quiet: 2 of 60 = 0.033.
    "HighErrorRate": (
        [(f'http_requests_total{{{pod_l}, code="500"}}', "1000+6x40"),
         (f'http_requests_total{{{pod_l}, code="200"}}', "1000+54x40")],
        [(f'http_requests_total{{{pod_l}, code="500"}}', "1000+2x40"),
         (f'http_requests_total{{{pod_l}, code="200"}}', "1000+58x40")],
        1, 5, {"namespace": NS},
        f"High error rate of {NS}/{DEP}",
    ),
    # 2 of 5 available = 0.4 < 0.7 from t=0: firing at 5m. Quiet: 4 of 5 = 0.8.
    "LowAvailability": (
        [(f"kube_deployment_spec_replicas{{{dep_l}}}", "5x40"),
         (f"kube_deployment_status_replicas_available{{{dep_l}}}", "2x40")],
        [(f"kube_deployment_spec_replicas{{{dep_l}}}", "5x40"),
         (f"kube_deployment_status_replicas_available{{{dep_l}}}", "4x40")],
        0, 5, {"namespace": NS, "deployment": DEP},
        f"{DEP} has few available replicas",
    ),
}

SEVERITY = {"PodNotReady": "critical", "LowAvailability": "critical"}


def _series(pairs):
    return [{"series": s, "values": v} for s, v in pairs]


def _unit_test(short: str, rule: dict) -> dict:
    firing, quiet, first, for_min, labels, summary = CASES[short]
    name = rule["alert"]
    expected = {"exp_labels": {**labels, "severity": SEVERITY.get(short, "warning")},
                "exp_annotations": {"summary": summary,
                                    "description": rule["annotations"]["description"]}}
    return {"tests": [
        {"name": f"{name} fires after its for, not before", "interval": "1m",
         "input_series": _series(firing),
         "alert_rule_test": [
             {"eval_time": f"{first + for_min - 1}m", "alertname": name, "exp_alerts": []},
             {"eval_time": f"{first + for_min}m", "alertname": name, "exp_alerts": [expected]},
         ]},
        {"name": f"{name} stays quiet below its threshold", "interval": "1m",
         "input_series": _series(quiet),
         "alert_rule_test": [
             {"eval_time": f"{first + for_min}m", "alertname": name, "exp_alerts": []},
             {"eval_time": "35m", "alertname": name, "exp_alerts": []},
         ]},
    ]}


def test_every_alert_has_a_case():
    assert set(CASES) == set(AlertSettings().alerts)


@pytest.mark.parametrize("short", list(CASES))
def test_promtool_unit(short, peak_objects, tmp_path: Path):
    promtool = tool("promtool")
    spec = by_kind(peak_objects, "PrometheusRule")[0]["spec"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    rule = next(r for r in spec["groups"][0]["rules"] if r["alert"].endswith(short))
    test = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", **_unit_test(short, rule)}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    r = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_promtool_unit_tests_can_fail(peak_objects, tmp_path: Path):
    """A rule with a longer ``for`` makes the firing check fail: the tests above bite."""
    promtool = tool("promtool")
    settings = AlertSettings().with_overrides({"LowAvailability": {"for": "6m"}})
    rules = alert_rules(workload=DEP, namespace=NS, container=CTR, settings=settings)
    spec = {"groups": [{"name": "g", "rules": rules}]}
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    rule = next(r for r in rules if r["alert"].endswith("LowAvailability"))
    test = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m",
            **_unit_test("LowAvailability", rule)}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    r = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0


def test_overrides_change_threshold_and_duration():
    s = AlertSettings().with_overrides({"HighCPU": {"threshold": 0.9, "for": "10m"},
                                        "PodNotReady": {"severity": "warning"}})
    rules = {r["alert"]: r for r in alert_rules(workload="web", namespace="n", container="app",
                                                   settings=s)}
    assert rules["WebHighCPU"]["for"] == "10m"
    assert rules["WebHighCPU"]["expr"].endswith("> 0.9")
    assert rules["WebPodNotReady"]["labels"] == {"severity": "warning"}
    assert rules["WebHighMemory"]["for"] == "5m"  # untouched
    with pytest.raises(ValueError, match="unknown alert"):
        AlertSettings().with_overrides({"HighDisk": {"threshold": 1}})
    with pytest.raises(ValueError, match="unknown key"):
        AlertSettings().with_overrides({"HighCPU": {"limit": 1}})
