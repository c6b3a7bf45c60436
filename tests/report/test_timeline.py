"""Weekday clock times, the stress windows of a run, the hardest hour; the number formats;
the verdict's logic, on synthetic records and summaries (no simulation)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import capacity
from capacity.report import fmt, timeline
from capacity.report.timeline import Clock, Window
from capacity.report.verdict import HpaSafety, hpa_safety, slo_sentence, verdict

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"


@pytest.fixture(scope="module")
def peak():
    return capacity.load_scenario(PEAK)


# --- clock ---------------------------------------------------------------------------------


def test_clock_reads_weekdays():
    ck = Clock(0.0)
    assert ck(0) == "Mon 00:00" and ck(2 * 86400 + 10 * 3600) == "Wed 10:00"
    assert ck(180000.0, seconds=True) == "Wed 02:00:00"
    assert ck(7 * 86400) == "Mon 00:00"  # a week later
    assert ck.day_name(5.5 * 86400) == "Saturday"
    assert ck.day_start(2.4 * 86400) == 2 * 86400
    # simulation.startTime on a Friday at 18:00
    fri = Clock(4 * 24 + 18.0)
    assert fri(0) == "Fri 18:00" and fri(6 * 3600) == "Sat 00:00"
    assert fri.day_start(7 * 3600) == 6 * 3600


def test_start_time_of_the_scenario(peak):
    sc = peak.model_copy(deep=True)
    assert timeline.start_hour_of_week(sc) == 0.0
    sc.simulation.startTime = "2026-01-09T18:30:00"  # a Friday
    assert timeline.start_hour_of_week(sc) == pytest.approx(4 * 24 + 18.5)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (0.4, "0.4 s"), (45, "45 s"), (60, "1 min"), (312, "5 min 12 s"),
    (3600, "1 h"), (10831, "3 h"), (19060, "5 h 17 min"), (2 * 86400 + 4 * 3600, "2 d 4 h"),
    (7 * 86400, "7 d")])
def test_duration_text(seconds, text):
    assert timeline.duration_text(seconds) == text


# --- stress windows -------------------------------------------------------------------------


def _ts(days: float = 3.0, spike_at: float | None = None, errors_at: float | None = None
        ) -> pd.DataFrame:
    t = np.arange(0, days * 86400, 15.0)
    day = (t // 86400).astype(int)
    load = 5 + 10 * np.exp(-(((t % 86400) / 3600 - 14) ** 2) / 8)
    load = np.where(day >= 2, load * 0.4, load)  # a drop of level: not a burst
    if spike_at is not None:
        load = np.where((t >= spike_at) & (t < spike_at + 600), load * 2.5, load)
    err = np.zeros_like(t)
    if errors_at is not None:
        err = np.where((t >= errors_at) & (t < errors_at + 300), 2.0, 0.0)
    return pd.DataFrame({"run": 0, "time": t, "offered_rps": load, "served_rps": load - err,
                         "capacity_rps": 40.0, "error_rps": err, "latency_p99": 1.0,
                         "spec_replicas": 4, "ready_replicas": 4})


def _events(rows):
    return pd.DataFrame([{"run": 0, "kind": "Node", "time": t, "reason": r, "name": n,
                          "message": m} for t, r, n, m in rows])


def test_a_burst_is_found_and_a_level_change_is_not(peak):
    sc = peak.model_copy(deep=True)
    sc.load.spikes = []
    w = timeline._spikes(sc, _ts(spike_at=86400 + 9 * 3600), 3 * 86400)
    assert [(x.kind, x.start // 60) for x in w] == [("spike", (86400 + 9 * 3600) // 60)]
    assert timeline._spikes(sc, _ts(), 3 * 86400) == []  # Wednesday's drop is no spike


def test_failure_windows_from_events():
    ev = _events([
        (1000.0, "NodeDown", "general-zone-c-0", "zone: node stopped (kubelet not reachable)"),
        (1000.0, "NodeDown", "general-zone-c-1", "zone: node stopped (kubelet not reachable)"),
        (11800.0, "NodeReady", "general-zone-c-0", "Node general-zone-c-0 status is now: NodeReady"),
        (11800.0, "NodeReady", "general-zone-c-1", "Node general-zone-c-1 status is now: NodeReady"),
        (20000.0, "NodeNotSchedulable", "general-zone-a-0", "cordoned"),
        (20300.0, "NodeSchedulable", "general-zone-a-0", "uncordoned"),
        (20400.0, "NodeNotSchedulable", "general-zone-a-1", "cordoned"),
        (20700.0, "NodeSchedulable", "general-zone-a-1", "uncordoned"),
        (30000.0, "SpotInterruption", "spot-zone-b-0", "Spot interruption notice"),
        (30000.0, "NodeNotSchedulable", "spot-zone-b-0", "cordoned"),
        (30120.0, "NodeDown", "spot-zone-b-0", "spot: node stopped (kubelet not reachable)"),
        (40000.0, "NodeDown", "general-zone-a-1", "node: node stopped (kubelet not reachable)"),
    ])
    w = timeline._node_windows(ev, 86400.0, ["zone-a", "zone-b", "zone-c"])
    kinds = {x.kind: x for x in w}
    z = kinds["zone outage"]
    assert (z.start, z.end, z.what) == (1000.0, 11800.0, "zone-c: 2 node(s) down")
    d = kinds["drain"]  # two drains 100 s apart: one window
    assert (d.start, d.end) == (20000.0, 20700.0) and d.what.startswith("2 node(s) drained")
    s = kinds["spot reclaim"]
    assert s.start == 30000.0 and s.end == 30720.0
    assert len([x for x in w if x.kind == "drain"]) == 1  # the spot node's drain is the reclaim's
    n = kinds["node failure"]
    assert n.start == 40000.0 and n.end == 86400.0  # not back within the run


def test_the_hardest_hour_is_where_callers_failed(peak):
    sc = peak.model_copy(deep=True)
    sc.load.spikes = []
    ts = _ts(errors_at=2 * 3600)  # failures at night, at low load
    best, hours = timeline.hardest_hour(sc, ts, None, 3 * 86400)
    assert best is not None and [h.window.kind for h in hours] == ["peak"]
    ev = _events([(2 * 3600.0 - 60, "NodeDown", "general-zone-a-0", "node: node stopped"),
                  (2 * 3600.0 + 900, "NodeReady", "general-zone-a-0", "Node ready")])
    best, hours = timeline.hardest_hour(sc, ts, ev, 3 * 86400)
    assert best.window.kind == "node failure" and best.failed_requests == pytest.approx(600.0)
    assert best.label == "node failure on Monday 01:59"
    peak_hour = next(h for h in hours if h.window.kind == "peak")
    assert peak_hour.failed_requests == 0.0


def test_latency_breaks_a_tie_without_errors(peak):
    ts = _ts()
    ts.loc[(ts.time >= 86400 + 13.5 * 3600) & (ts.time < 86400 + 14 * 3600), "latency_p99"] = 3.0
    h = timeline.score_hour(ts, Window("peak", 86400 + 13 * 3600, 86400 + 14 * 3600, ""),
                            3 * 86400, 2.0)
    assert h.seconds_over_latency == pytest.approx(1800.0)
    assert h.max_p99 == 3.0


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "text"), [
    (0.99, "99.0%"), (0.9963, "99.63%"), (0.99999943, "99.99994%"), (1.0, "100%"),
    (0.9999999999, "> 99.99999%"), (0.5, "50.0%")])
def test_near_one(x, text):
    assert fmt.near_one(x) == text


def test_quota_rows_use_one_unit():
    assert fmt.quota_row("requests.cpu", "2500m", "20") == [
        "requests.cpu", "cores", "2.5", "20", "17.5", "12.5%"]
    assert fmt.quota_row("limits.memory", "1536Mi", "8Gi") == [
        "limits.memory", "GiB", "1.5", "8", "6.5", "18.8%"]
    assert fmt.quota_row("pods", "10", "50")[1:] == ["count", "10", "50", "40", "20.0%"]


def test_amounts_and_differences():
    assert fmt.amount("cpu", "203m") == "0.203 cores" and fmt.amount("cpu", 180) == "0.18 cores"
    assert fmt.amount("memory", "380258472") == "362.6 MiB"
    assert fmt.amount("memory", "4Gi") == "4 GiB"
    assert fmt.diff_points(0.9963, 0.9860) == "−1.030 pp"
    assert fmt.diff_points(0.5, 0.5) == "±0 pp"
    assert fmt.diff_relative(39.83, 26.27) == "−13.56 (−34.0%)"
    assert fmt.diff_relative(0.23, 6338.0, fmt.count) == "+6,338 (×2.76e+04)"
    assert fmt.diff_relative(5.44, 5.4400001, lambda v: f"{v:.2f}") == "±0"


# --- the verdict -------------------------------------------------------------------------------


def _summary(**slo_good) -> dict:
    def slo(name, sli, target, good):
        used = (1 - good) / (1 - target)
        return {"name": name, "sli": sli, "target": target,
                "good_fraction": {"mean": good, "ci95": None}, "met": good >= target,
                "error_budget_used": used, "budget_requests_per_month": 10000.0 * (1 - target),
                "bad_requests_per_month": 10000.0 * (1 - good),
                "budget_minutes_per_month": 43200 * (1 - target),
                "bad_minutes_per_month": 43200 * (1 - good)}
    return {"scenario": "s", "slo": [slo("availability 99.9%", "availability", 0.999,
                                         slo_good.get("a", 0.9999)),
                                     slo("latency 99% within 2 s", "latency", 0.99,
                                         slo_good.get("l", 0.995))],
            "cost": {"currency": "USD", "per_month": 40.0, "per_month_ci95": [39.0, 41.0],
                     "breakdown": {"spot": {"cost_share": 0.0, "pod_hours_share": 0.0}},
                     "nodes": {"per_month": 800.0},
                     "comparisons": {"computed": True, "fixed_min_meeting_objective": {
                         "replicas": 5, "per_month": 37.6, "per_month_ci95": None,
                         "hpa_saving": -0.064, "hpa_saving_ci95": None},
                         "search": {"tried": {"3": {"meets": False, "missed": ["availability 99.83%"]},
                                              "4": {"meets": True}, "5": {"meets": True}},
                                    "excluded": {"4": "with zone zone-a down: availability 99.77%"}}}},
            "findings": [], "notices": []}


def test_slo_sentence():
    s = _summary()["slo"][0]
    assert slo_sentence(s) == ("availability 99.9%: 99.990% good, **met**; 10.0% of the error "
                               "budget (1 of 10.0 failed requests a month allowed)")


def test_verdict_recommends_the_cheaper_safe_fixed_count(peak):
    safe = HpaSafety(pdb=None, zone="zone-a", zone_down_missed=[])
    v = verdict(peak, _summary(), safe)
    assert v.status == "ok" and v.headline == "meets all 2 SLOs"
    assert v.recommendation.startswith("cheapest safe configuration: fixed 5 replicas at 37.60 "
                                       "USD a month")
    assert "the HPA costs 6.4% more" in v.recommendation
    assert v.reasons == ["3 fixed replicas: misses availability 99.83%",
                         "4 fixed replicas: not safe, with zone zone-a down: availability 99.77%"]
    assert v.hpa.startswith("**safe**: the PDB allows a drain at minReplicas 3")
    assert v.cost.startswith("40.00 [39.00, 41.00] USD a month for the pods' requests; the nodes "
                             "under them cost 800.00 USD a month (this workload's requests are 5.0%")


def test_verdict_keeps_a_cheaper_hpa_and_fails_a_missed_slo(peak):
    s = _summary()
    s["cost"]["comparisons"]["fixed_min_meeting_objective"]["hpa_saving"] = 0.12
    v = verdict(peak, s, HpaSafety(pdb=None, zone="zone-a", zone_down_missed=[]))
    assert v.recommendation.startswith("keep the HPA: it meets every SLO safely and costs 12.0% less")
    v = verdict(peak, _summary(l=0.98), HpaSafety(pdb=None, zone="zone-a", zone_down_missed=[]))
    assert v.status == "fail" and v.headline == "misses 1 of 2 SLOs"
    assert v.recommendation.startswith("run fixed 5 replicas at 37.60 USD a month (every SLO "
                                       "met, safe) until the HPA is fixed")


def test_an_unsafe_hpa_is_a_caveat(peak):
    unsafe = HpaSafety(pdb=None, zone="zone-a", zone_down_missed=["availability 94.1% < 99.9%"])
    v = verdict(peak, _summary(), unsafe)
    assert v.status == "warn"
    assert v.hpa == ("**not safe**: with zone zone-a down the SLOs fail: availability 94.1% "
                     "< 99.9%")


def test_hpa_safety_reads_the_pdb_and_the_errors(peak):
    sc = peak.model_copy(deep=True)
    sc.disruption.podDisruptionBudget.minAvailable = 3
    s = copy.deepcopy(_summary())
    s["findings"] = [{"severity": "error", "code": "pdb-blocks-evictions", "message": "blocks",
                      "fix": "lower"}]
    safety = hpa_safety(sc, s, None)
    assert safety.pdb == ("at 3 replicas the PDB (minAvailable 3) allows 0 disruptions: every "
                          "drain would block")
    assert safety.errors == ["check pdb-blocks-evictions: blocks"]
    assert safety.safe is False
    fixed = peak.model_copy(deep=True)
    fixed.autoscaling.horizontal = None
    assert hpa_safety(fixed, s, None) is None
