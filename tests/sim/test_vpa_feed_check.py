"""``check``'s VPA-with-HPA finding, against upstream's warning
(kubernetes/autoscaler vertical-pod-autoscaler/docs/known-limitations.md: not with an HPA
on the same resource metric, CPU or memory; fine on separate resources or on custom and
external metrics)."""

from __future__ import annotations

from pathlib import Path

from capacity.analysis.check import run_checks
from capacity.scenario.loader import load_scenario

BASE = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "check" / "base.yaml"


def hits(tmp_path: Path, body: str) -> list:
    p = tmp_path / "v.yaml"
    p.write_text(f"extends: {BASE}\n{body}")
    return [f for f in run_checks(load_scenario(p)) if f.code == "vpa-hpa-conflict"]


def test_unset_mode_is_auto(tmp_path: Path):
    (f,) = hits(tmp_path, "autoscaling:\n  vertical: {targetRef: {kind: Deployment, name: web}}\n")
    assert f.severity == "error" and "updateMode Auto changes pod cpu, memory requests" in f.message


def test_utilization_targets_are_a_feedback_loop(tmp_path: Path):
    (f,) = hits(tmp_path, "autoscaling:\n  vertical: {updatePolicy: {updateMode: Recreate}}\n")
    assert "Utilization target (cpu, memory)" in f.message and "known-limitations" in f.message


def test_average_value_still_conflicts_without_the_loop(tmp_path: Path):
    (f,) = hits(tmp_path, """
autoscaling:
  horizontal:
    metrics:
      - type: Resource
        resource: {name: cpu, target: {type: AverageValue, averageValue: 200m}}
  vertical: {updatePolicy: {updateMode: Auto}}
""")
    assert "scales on cpu" in f.message and "Utilization" not in f.message


def test_initial_mode_sets_new_pods_only(tmp_path: Path):
    (f,) = hits(tmp_path, "autoscaling:\n  vertical: {updatePolicy: {updateMode: Initial}}\n")
    assert f.severity == "warning" and "sets new pods' cpu, memory requests" in f.message


def test_another_workload_is_no_conflict(tmp_path: Path):
    assert hits(tmp_path, """
autoscaling:
  vertical:
    targetRef: {apiVersion: apps/v1, kind: Deployment, name: other}
    updatePolicy: {updateMode: Auto}
""") == []


def test_custom_metrics_only_are_fine(tmp_path: Path):
    assert hits(tmp_path, """
autoscaling:
  horizontal:
    metrics:
      - type: Pods
        pods:
          metric: {name: http_requests_per_second}
          target: {type: AverageValue, averageValue: "5"}
  vertical: {updatePolicy: {updateMode: Auto}}
""") == []
