"""summary.alerts, summary.monitoring and summary.vpa (capacity.analysis.monitoring_summary).

Hand-made runs (MonitoringRun and outcome stand-ins) check the staleness markers, the
alerts' summary over runs, detection per failure episode, normal load and false pages
by their definition; one short simulation checks the whole path through
``capacity.simulate`` and ``build_summary``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from capacity.analysis.monitoring_summary import (
    evaluate_alerts,
    monitoring_notices,
    monitoring_summary,
    series_store,
    vpa_summary,
)
from capacity.analysis.promql import is_stale
from capacity.scenario.loader import load_scenario
from capacity.sim.monitoring import MonitoredSeries, MonitoringRun

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"

RULE = {"spec": {"groups": [{"name": "g", "rules": [
    {"alert": "Hot", "expr": "temperature > 50", "for": "1m", "labels": {"severity": "warning"}},
]}]}}


def _run(k: np.ndarray, v: np.ndarray, scrapes: int = 40) -> MonitoringRun:
    s = MonitoredSeries("kube_deployment_spec_replicas", {"sensor": "a"}, k, v)
    return MonitoringRun(0, (scrapes - 1) * 30.0, 30.0, scrapes, RULE, [s])


def test_staleness_markers_after_each_stretch():
    k = np.array([0, 1, 2, 5, 6, 39])
    run = _run(k, np.ones(6))
    (s,) = list(series_store(run))
    st = is_stale(s.v)
    assert (s.t[st] / 30).tolist() == [3, 7]  # not after the last scrape of the run
    assert (s.t[~st] / 30).tolist() == k.tolist()
    (plain,) = list(series_store(run, stale=False))
    assert not is_stale(plain.v).any()


def test_evaluate_alerts_with_for():
    run = _hot()
    res = evaluate_alerts(run, series_store(run))
    assert res["rule_interval"] == 30.0
    (iv,) = res["alert_intervals"]
    assert iv["pending_since"] == 300.0 and iv["firing_since"] == 360.0
    assert iv["resolved_at"] == 600.0
    assert res["alerts"]["Hot"] == {"severity": "warning", "fired": 1, "firing_seconds": 240.0,
                                    "first_fired_at": 360.0}


def _hot() -> MonitoringRun:
    """A run whose one series is ``temperature``: 60 from 5 min to 10 min, else 20."""
    v = np.where((np.arange(40) >= 10) & (np.arange(40) < 20), 60.0, 20.0)

    class T(MonitoredSeries):
        @property
        def sample_name(self) -> str:
            return "temperature"

    return MonitoringRun(0, 39 * 30.0, 30.0, 40, RULE, [T("x", {"sensor": "a"}, np.arange(40), v)])


# --- over runs ---------------------------------------------------------------------------


def _out(run: int, intervals: list[dict[str, Any]], failures: list[dict[str, Any]],
         duration: float = 86400.0, columns: dict[str, np.ndarray] | None = None,
         alerts: dict[str, Any] | None = None) -> Any:
    alerts = alerts or {"SandboxExecutorHighCPU": {"severity": "warning", "fired": 0,
                                                   "firing_seconds": 0.0,
                                                   "first_fired_at": None}}
    for iv in intervals:
        a = alerts.setdefault(iv["alert"], {"severity": "warning", "fired": 0,
                                            "firing_seconds": 0.0, "first_fired_at": None})
        if iv["firing_since"] is not None:
            a["fired"] += 1
            end = iv["resolved_at"] if iv["resolved_at"] is not None else duration
            a["firing_seconds"] += end - iv["firing_since"]
            if a["first_fired_at"] is None:
                a["first_fired_at"] = iv["firing_since"]
    mon = {"scrape_interval": 30.0, "rule_interval": 30.0, "alerts": alerts,
           "alert_intervals": intervals}
    return SimpleNamespace(run=run, duration=duration, columns=columns or {},
                           extra={"monitoring": mon, "cluster": {"failures": failures,
                                                                 "drains": []},
                                  "rollouts": []})


def _iv(alert: str, pending: float, firing: float | None, resolved: float | None
        ) -> dict[str, Any]:
    return {"alert": alert, "severity": "warning", "labels": {"alertname": alert},
            "pending_since": pending, "firing_since": firing, "resolved_at": resolved}


ZONE = {"kind": "zone", "target": "zone-c", "start": 1000.0, "end": 5000.0,
        "recovered": 5100.0}


@pytest.fixture(scope="module")
def peak():
    return load_scenario(PEAK)


def test_alerts_over_runs(peak):
    outs = [
        _out(0, [_iv("SandboxExecutorLowAvailability", 1030.0, 1330.0, 5200.0),
                 _iv("SandboxExecutorHighCPU", 20000.0, 20300.0, 21000.0)], [ZONE]),
        _out(1, [_iv("SandboxExecutorLowAvailability", 1060.0, 1360.0, 5300.0),
                 _iv("SandboxExecutorPodNotReady", 1100.0, 1700.0, 5200.0),
                 _iv("SandboxExecutorHighCPU", 30000.0, None, 30100.0)], [ZONE]),
    ]
    s = monitoring_summary(peak, outs)
    low = s["alerts"]["SandboxExecutorLowAvailability"]
    assert low["fired"] == 1.0 and low["first_fired_at"] == 1330.0
    assert low["firing_seconds"] == ((5200 - 1330) + (5300 - 1360)) / 2
    assert low["fired_per_week"] == 7.0
    assert low["on_normal_load"] == 0.0  # both began during the outage
    assert low["time_to_detect"]["zone"] == {"episodes": 2, "detected": 2,
                                             "mean_seconds": 345.0, "max_seconds": 360.0}
    cpu = s["alerts"]["SandboxExecutorHighCPU"]
    assert cpu["fired"] == 0.5 and cpu["on_normal_load"] == 0.5  # the pending one is no page
    assert cpu["time_to_detect"]["zone"]["detected"] == 0
    eps = s["monitoring"]["episodes"]
    assert [e["time_to_detect"] for e in eps] == [330.0, 360.0]
    assert eps[1]["detected_by"] == {"SandboxExecutorLowAvailability": 360.0,
                                     "SandboxExecutorPodNotReady": 700.0}
    assert eps[1]["first_alert"] == "SandboxExecutorLowAvailability"
    (f,) = s["monitoring"]["normal_load"]
    assert f["code"] == "alert-fires-on-normal-load" and f["path"] == "monitoring.alerts.HighCPU"
    assert "0.5 times per run" in f["message"] and "3.5 a week" in f["message"]
    assert monitoring_notices(peak, outs) == [f"{f['message']}: {f['fix']}"]
    json.dumps(s)  # the summary is JSON


def test_no_rows_no_false_pages(peak):
    s = monitoring_summary(peak, [_out(0, [_iv("SandboxExecutorHighCPU", 0.0, 300.0, 900.0)],
                                       [])])
    assert s["alerts"]["SandboxExecutorHighCPU"]["false_pages"] is None


def _rows(n: int, err: float = 0.0, p99: float = 0.5) -> dict[str, np.ndarray]:
    t = np.arange(1, n + 1) * 15.0
    return {"time": t, "offered_rps": np.full(n, 10.0), "error_rps": np.full(n, err),
            "latency_p50": np.full(n, 0.2), "latency_p99": np.full(n, p99)}


def test_false_pages_by_definition(peak):
    """peak.yaml: availability 99.9 % (errors up to 0.01 rps of 10 allowed), p99 <= 2 s."""
    iv = [_iv("SandboxExecutorHighCPU", 0.0, 300.0, 900.0)]
    quiet = _rows(100)
    assert monitoring_summary(peak, [_out(0, iv, [], columns=quiet)])["alerts"][
        "SandboxExecutorHighCPU"]["false_pages"] == 1.0
    within = _rows(100, err=0.009)  # inside the error budget: still no breach
    assert monitoring_summary(peak, [_out(0, iv, [], columns=within)])["alerts"][
        "SandboxExecutorHighCPU"]["false_pages"] == 1.0
    errors = _rows(100)
    errors["error_rps"][40] = 0.5  # row 40 covers (600, 615]: inside the episode
    assert monitoring_summary(peak, [_out(0, iv, [], columns=errors)])["alerts"][
        "SandboxExecutorHighCPU"]["false_pages"] == 0.0
    slow = _rows(100)
    slow["latency_p99"][20] = 2.5  # row 20 covers (300, 315]: the episode's first 15 s
    assert monitoring_summary(peak, [_out(0, iv, [], columns=slow)])["alerts"][
        "SandboxExecutorHighCPU"]["false_pages"] == 0.0
    before = _rows(100)
    before["latency_p99"][19] = 2.5  # (285, 300]: ends as the firing starts, not counted
    assert monitoring_summary(peak, [_out(0, iv, [], columns=before)])["alerts"][
        "SandboxExecutorHighCPU"]["false_pages"] == 1.0


def test_nothing_monitored_adds_nothing(peak):
    out = SimpleNamespace(run=0, duration=60.0, columns={}, extra={"cluster": None})
    assert monitoring_summary(peak, [out]) == {}
    assert monitoring_notices(peak, [out]) == []


def test_vpa_summary(peak):
    def run(cpu: int, mem: int) -> Any:
        rec = {"sandbox-executor": {k: {"cpu": cpu, "memory": mem}
                                    for k in ("target", "lowerBound", "upperBound",
                                              "uncappedTarget")}}
        return SimpleNamespace(extra={"vpa": {"containers": rec, "interval": 60.0,
                                              "samples": 10}})
    v = vpa_summary(peak, [run(200, 400 * 2**20), run(300, 500 * 2**20)])
    c = v["containers"]["sandbox-executor"]
    assert c["target"] == {"cpu": "250m", "memory": "450Mi"}
    assert c["values"]["target"]["cpu"] == {"mean": 0.25, "min": 0.2, "max": 0.3}
    assert c["values"]["upperBound"]["memory"]["max"] == 500 * 2**20
    assert c["requests"]["cpu"] == "250m" and c["limits"]["memory"] == "2Gi"
    assert c["minAllowed"] == {"cpu": "100m", "memory": "256Mi"}
    assert c["maxAllowed"] == {"cpu": "2", "memory": "4Gi"}
    assert v["updateMode"] == "Off" and v["runs"] == 2
    assert vpa_summary(peak, [SimpleNamespace(extra={})]) is None


# --- the whole path --------------------------------------------------------------------------


def test_simulate_summary_has_alerts_and_vpa(tmp_path: Path):
    import capacity

    path = tmp_path / "zone.yaml"
    path.write_text(f"""
extends: {ROOT / 'scenarios' / 'zone-outage.yaml'}
name: zone-window
simulation: {{duration: 6h, runs: 2, startTime: "2026-01-06T11:00:00"}}
controllers:  # no housekeeping lag: the zone-window of tests/sim/test_monitoring.py
  kubelet: {{housekeepingInterval: 0s}}
failures:
  zones:
    scheduled: [{{zone: zone-c, at: 2h, duration: 3h}}]
""")
    res = capacity.simulate(path, workers=2, episodes=0)
    s = res.summary
    assert set(s["alerts"]) == {f"SandboxExecutor{n}" for n in (
        "HighCPU", "HighMemory", "PodRestarting", "PodNotReady", "ReplicaMismatch",
        "HighErrorRate", "LowAvailability")}
    for a in s["alerts"].values():
        assert {"severity", "fired", "firing_seconds", "first_fired_at"} <= set(a)
    low = s["alerts"]["SandboxExecutorLowAvailability"]
    assert low["fired"] > 0 and 7200 < low["first_fired_at"] < 9000  # run 0's
    eps = s["monitoring"]["episodes"]
    assert [(e["run"], e["kind"]) for e in eps] == [(0, "zone"), (1, "zone")]
    assert all(e["time_to_detect"] is not None and 0 < e["time_to_detect"] < 1800
               for e in eps)  # each outage paged within half an hour
    assert sum(a["time_to_detect"]["zone"]["detected"] for a in s["alerts"].values()) >= 2
    tgt = s["vpa"]["containers"]["sandbox-executor"]["values"]["target"]
    assert 0.1 <= tgt["cpu"]["mean"] <= 2.0 and tgt["memory"]["mean"] > 300 * 2**20
    json.dumps(s)
    # the same with alerts and the VPA off: the keys are not there
    off = capacity.simulate(path, runs=1, alerts=False, vpa=False, episodes=0).summary
    assert "alerts" not in off and "vpa" not in off
    assert math.isclose(off["availability"]["requests_served"]["mean"],
                        capacity.simulate(path, runs=1, episodes=0).summary[
                            "availability"]["requests_served"]["mean"])
