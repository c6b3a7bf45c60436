"""The PrometheusRule's thresholds and durations come from the scenario's ``monitoring``."""

from __future__ import annotations

from pathlib import Path

from capacity.manifests.emit import build_manifests
from capacity.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _rule(files, name):
    (rule,) = [o for o in files["monitoring/servicemonitor.yaml"] if o["kind"] == "PrometheusRule"]
    return next(r for r in rule["spec"]["groups"][0]["rules"] if r["alert"].endswith(name))


def test_peak_alerts_are_the_seed_values_written_in_the_scenario():
    files = build_manifests(load_scenario(ROOT / "scenarios/peak.yaml"))
    cpu = _rule(files, "HighCPU")
    assert cpu["expr"].rstrip().endswith("> 0.8") and cpu["for"] == "5m"
    assert _rule(files, "ReplicaMismatch")["for"] == "15m"


def test_changing_the_scenario_changes_the_rule():
    sc = load_scenario(ROOT / "scenarios/peak.yaml")
    sc.monitoring.alerts["HighCPU"].threshold = 0.9
    sc.monitoring.alerts["HighCPU"].for_ = 600
    sc.monitoring.scrapeInterval = 15
    files = build_manifests(sc)
    cpu = _rule(files, "HighCPU")
    assert cpu["expr"].rstrip().endswith("> 0.9") and cpu["for"] == "10m"
    sm = next(o for o in files["monitoring/servicemonitor.yaml"] if o["kind"] == "ServiceMonitor")
    assert sm["spec"]["endpoints"][0]["interval"] == "15s"
