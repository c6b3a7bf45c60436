"""Alerting-rule evaluation on hand-made series: the ``for`` / ``keep_firing_for`` state
machine of ``rules/alerting.go``, evaluation times, labels, summaries, recording rules,
and the seven emitted alerts on the hand-worked cases of ``test_alerts_promtool``.
The comparison with ``promtool test rules`` is ``test_alerting_promtool.py``."""

from __future__ import annotations

import re

import numpy as np
import promql_parser
import pytest

from capacity.analysis.alerting import AlertInterval, evaluate_rules, parse_duration
from capacity.analysis.promql import PromQLError, SeriesStore, UnsupportedPromQL, is_stale
from capacity.manifests.alerts import alert_name, alert_rules
from tests.manifests.test_alerts_promtool import CASES, CTR, DEP, NS, SEVERITY


def store_of(name: str, values: list[float | None], step: float = 60.0,
             **labels: str) -> SeriesStore:
    """One series with a sample every ``step`` s (None: no sample)."""
    st = SeriesStore()
    t = [i * step for i, v in enumerate(values) if v is not None]
    st.add({"__name__": name, **labels}, t, [v for v in values if v is not None])
    return st


def group(expr: str, for_: str = "0s", interval: str = "1m", **extra: object) -> dict:
    return {"name": "g", "interval": interval,
            "rules": [{"alert": "A", "expr": expr, "for": for_, **extra}]}


def spans(res, name="A"):
    return [(iv.pending_since, iv.firing_since, iv.resolved_at) for iv in res[name].intervals]


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0), ("0s", 0), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800),
    ("1w", 604800), ("1y", 31536000), ("500ms", 0.5), ("1m30s500ms", 90.5), (15, 15.0),
    (None, 0),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "5", "1.5m", "5 m", "m", "1s1m", "-1m", -3])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


# --- the state machine -------------------------------------------------------------------


def test_pending_then_firing_after_for_then_resolved():
    # x > 0 at minutes 2..9 (samples every minute; 0 from 10 on).
    st = store_of("x", [0, 0] + [1] * 8 + [0] * 6)
    res = evaluate_rules(group("x > 0", "3m"), st, 0, 900)
    assert spans(res) == [(120.0, 300.0, 600.0)]
    a = res["A"]
    assert a.firing_at(299.9) == []
    assert a.firing_at(300) == [{"alertname": "A"}]  # __name__ is not an alert label
    assert a.firing_at(599) == [{"alertname": "A"}] and a.firing_at(600) == []


def test_for_zero_fires_at_once_and_pending_alerts_vanish():
    st = store_of("x", [0, 1, 1, 0, 1, 0, 0])
    assert spans(evaluate_rules(group("x > 0"), st, 0, 360)) == [
        (60.0, 60.0, 180.0), (240.0, 240.0, 300.0)]
    # With for: 2m the first run (2 evaluations, 60 s) never fires: pending, then gone.
    assert spans(evaluate_rules(group("x > 0", "2m"), st, 0, 360)) == [
        (60.0, None, 180.0), (240.0, None, 300.0)]
    # `for` is measured between evaluations: active at 60, 120, 180 s fires at 180 s.
    st3 = store_of("x", [0, 1, 1, 1, 0])
    assert spans(evaluate_rules(group("x > 0", "2m"), st3, 0, 300)) == [(60.0, 180.0, 240.0)]


def test_still_active_at_the_end_has_no_resolution():
    st = store_of("x", [1] * 10)
    res = evaluate_rules(group("x > 0", "5m"), st, 0, 540)
    assert spans(res) == [(0.0, 300.0, None)]
    assert res.summary()["A"] == {"severity": None, "fired": 1, "firing_seconds": 240.0,
                                  "first_fired_at": 300.0}


def test_keep_firing_for_bridges_short_gaps():
    # Present 0-3m, missing 4-5m, present 6-7m, missing from 8m.
    st = store_of("x", [1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = evaluate_rules(group("x > 0", "1m"), st, 0, 780)
    assert spans(plain) == [(0.0, 60.0, 240.0), (360.0, 420.0, 480.0)]
    kept = evaluate_rules(group("x > 0", "1m", keep_firing_for="3m"), st, 0, 780)
    # Missing at 4m and 5m (< 3m since first missing): still firing, the same alert when
    # it is back at 6m; missing from 8m on: resolved at 11m (3 m after 8m).
    assert spans(kept) == [(0.0, 60.0, 660.0)]
    short = evaluate_rules(group("x > 0", "1m", keep_firing_for="1m"), st, 0, 780)
    assert spans(short) == [(0.0, 60.0, 300.0), (360.0, 420.0, 540.0)]


def test_keep_firing_for_does_not_keep_pending_alerts():
    st = store_of("x", [1, 1, 0, 1, 1, 1, 1, 0, 0])
    res = evaluate_rules(group("x > 0", "3m", keep_firing_for="10m"), st, 0, 480)
    assert spans(res) == [(0.0, None, 120.0), (180.0, 360.0, None)]


def test_phase_and_intervals():
    st = store_of("x", [1] * 20, step=30.0)
    g = group("x > 0", "0s", interval="2m")
    assert evaluate_rules(g, st, 0, 570)["A"].eval_times.tolist() == [0, 120, 240, 360, 480]
    r = evaluate_rules(g, st, 0, 570, phase=45.0)
    assert r["A"].eval_times.tolist() == [45, 165, 285, 405, 525]
    assert spans(r) == [(45.0, 45.0, None)]
    r = evaluate_rules(g, st, 10, 570, phase={"g": 5.0, "other": 1.0})
    assert r["A"].eval_times.tolist()[:2] == [15, 135]
    del g["interval"]
    assert evaluate_rules(g, st, 0, 100, default_interval=50)["A"].eval_times.tolist() == [0, 50,
                                                                                          100]
    with pytest.raises(ValueError, match="phase"):
        evaluate_rules(group("x > 0", interval="1m"), st, 0, 100, phase=60)
    with pytest.raises(ValueError, match="before start"):
        evaluate_rules(g, st, 10, 0)


def test_alert_labels_and_duplicates():
    st = SeriesStore()
    for pod in ("a", "b"):
        st.add({"__name__": "x", "pod": pod, "severity": "low"}, [0], [1])
    res = evaluate_rules(group("x > 0", labels={"severity": "page", "team": "t"}), st, 0, 60)
    assert [iv.labels for iv in res["A"].intervals] == [
        {"alertname": "A", "pod": "a", "severity": "page", "team": "t"},
        {"alertname": "A", "pod": "b", "severity": "page", "team": "t"}]
    assert res["A"].severity == "page"
    with pytest.raises(PromQLError, match="same labelset after applying alert labels"):
        evaluate_rules(group("x > 0", labels={"pod": "same"}), st, 0, 60)
    # A scalar expression is one alert without labels.
    sc = evaluate_rules(group("1 > bool 0"), st, 0, 60)
    assert [iv.labels for iv in sc["A"].intervals] == [{"alertname": "A"}]


def test_summary_counts_instances_and_the_union_of_firing_time():
    iv = AlertInterval
    st = store_of("x", [0])
    res = evaluate_rules(group("x > 0", labels={"severity": "warning"}), st, 100, 1000)
    a = res["A"]
    a.intervals = [iv({"p": "1"}, 100, 200, 400), iv({"p": "2"}, 250, 300, 500),
                   iv({"p": "1"}, 600, None, 700), iv({"p": "3"}, 800, 900, None)]
    assert a.summary(100, 1000) == {"severity": "warning", "fired": 3,
                                    "firing_seconds": 300 + 100, "first_fired_at": 100}
    with pytest.raises(KeyError):
        res["B"]


# --- recording rules ---------------------------------------------------------------------


def test_recording_rule_feeds_later_rules_and_marks_staleness():
    st = SeriesStore()
    st.add({"__name__": "x", "pod": "a"}, [0, 60, 120, 180], [1, 5, 6, 1])
    st.add({"__name__": "x", "pod": "b"}, [0, 60], [7, 8])
    rules = {"groups": [{"name": "g", "interval": "1m", "rules": [
        {"record": "pod:x:max", "expr": "x > 4", "labels": {"src": "rec"}},
        {"alert": "A", "expr": "pod:x:max", "for": "0s"}]}]}
    res = evaluate_rules(rules, st, 0, 600)
    rec = res.store.get({"__name__": "pod:x:max", "pod": "a", "src": "rec"})
    assert rec is not None and rec.t.tolist() == [60, 120, 180]
    assert rec.v[:2].tolist() == [5, 6] and is_stale(rec.v).tolist() == [False, False, True]
    assert st.get({"__name__": "pod:x:max", "pod": "a", "src": "rec"}) is None  # not mutated
    # The alert on the recorded series ends at the marker (180 s), not 5 min later; pod b's
    # last sample (60 s) is seen through the lookback until 360 s.
    got = {iv.labels["pod"]: (iv.pending_since, iv.resolved_at) for iv in res["A"].intervals}
    assert got == {"a": (60.0, 180.0), "b": (0.0, 420.0)}
    with pytest.raises(ValueError, match="already exists"):
        evaluate_rules({"name": "g", "rules": [{"record": "x", "expr": 'x{pod="a"}'}]}, st, 0, 60)


# --- what is refused ---------------------------------------------------------------------


@pytest.mark.parametrize(("rules", "match"), [
    (group("x > 0", labels={"s": "{{ $value }}"}), "templated"),
    ({"name": "g", "limit": 5, "rules": []}, "limit"),
    ({"name": "g", "query_offset": "1m", "rules": []}, "query_offset"),
    ({"name": "g", "source_tenants": [], "rules": []}, "unknown keys"),
    ({"name": "g", "rules": [{"alert": "A", "expr": "x", "fro": "5m"}]}, "unknown keys"),
    ({"name": "g", "rules": [{"expr": "x"}]}, "neither alert nor record"),
    ({"name": "g", "rules": [{"alert": "A", "expr": "x", "for": "5 minutes"}]}, "duration"),
    ("not rules", "expected"),
])
def test_refused_rules(rules, match):
    with pytest.raises(ValueError, match=match):
        evaluate_rules(rules if rules != "not rules" else {"kind": "x"}, SeriesStore(), 0, 60)


def test_alerts_series_and_unsupported_promql_raise():
    with pytest.raises(UnsupportedPromQL, match="ALERTS"):
        evaluate_rules(group('ALERTS{alertstate="firing"} > 0'), SeriesStore(), 0, 60)
    with pytest.raises(UnsupportedPromQL, match="topk"):
        evaluate_rules(group("topk(1, x) > 0"), SeriesStore(), 0, 60)


def test_accepts_a_prometheusrule_object():
    st = store_of("x", [1, 1])
    obj = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
           "spec": {"groups": [group("x > 0")]}}
    assert spans(evaluate_rules(obj, st, 0, 60)) == [(0.0, 0.0, None)]
    assert spans(evaluate_rules([group("x > 0")], st, 0, 60)) == [(0.0, 0.0, None)]


# --- the seven emitted alerts on the hand-worked promtool cases ----------------------------


def _expand(values: str) -> list[float | None]:
    """promtool's series notation: ``a+bxN`` / ``a-bxN`` / ``axN`` (N + 1 values), ``_``."""
    out: list[float | None] = []
    for tok in values.split():
        if tok == "_":
            out.append(None)
            continue
        m = re.fullmatch(r"(-?[\d.e+]+?)(?:([+-])([\d.e+]+))?x(\d+)", tok)
        if m is None:
            out.append(float(tok))
            continue
        a, sign, b, n = float(m[1]), m[2], float(m[3] or 0), int(m[4])
        d = -b if sign == "-" else b
        out.extend(a + d * i for i in range(n + 1))
    return out


def _case_store(pairs: list[tuple[str, str]]) -> SeriesStore:
    st = SeriesStore()
    for selector, values in pairs:
        vs = promql_parser.parse(selector)
        labels = {"__name__": vs.name, **{m.name: m.value for m in vs.matchers.matchers}}
        vals = _expand(values)
        t = [60.0 * i for i, v in enumerate(vals) if v is not None]
        st.add(labels, t, [v for v in vals if v is not None])
    return st


def test_expand_notation():
    assert _expand("1+2x3 _ 5 0x1") == [1, 3, 5, 7, None, 5, 0, 0]
    assert _expand("10-1x2") == [10, 9, 8]


@pytest.mark.parametrize("short", list(CASES))
def test_seven_alerts_on_the_hand_worked_cases(short):
    firing, quiet, first, for_min, labels, _ = CASES[short]
    rules = [r for r in alert_rules(workload=DEP, namespace=NS, container=CTR)
             if r["alert"] == alert_name(DEP, short)]
    g = {"name": "seven", "interval": "1m", "rules": rules}
    name = rules[0]["alert"]
    res = evaluate_rules(g, _case_store(firing), 0, 40 * 60)[name]
    expected = {**labels, "severity": SEVERITY.get(short, "warning"), "alertname": name}
    assert res.firing_at((first + for_min - 1) * 60) == []
    assert res.firing_at((first + for_min) * 60) == [expected]
    (iv,) = res.intervals
    assert iv.pending_since == first * 60 and iv.firing_since == (first + for_min) * 60
    quiet_res = evaluate_rules(g, _case_store(quiet), 0, 40 * 60)[name]
    assert quiet_res.firing_at((first + for_min) * 60) == [] and quiet_res.firing_at(35 * 60) == []
    assert not any(i.firing_since is not None for i in quiet_res.intervals)


def test_a_week_at_thirty_seconds_is_quick():
    """A week of 30 s scrapes for 20 pods, the seven rules every 30 s: seconds, not minutes."""
    import time

    t = np.arange(0, 7 * 86400, 30.0)
    rng = np.random.default_rng(0)
    st = SeriesStore()
    for i in range(20):
        pod = f"{DEP}-x-{i}"
        lab = {"namespace": NS, "pod": pod, "container": CTR}
        cores = np.clip(0.5 + 0.45 * np.sin(t / 5000 + i) + rng.uniform(-0.05, 0.05, len(t)),
                        0, None)
        st.add({"__name__": "container_cpu_usage_seconds_total", **lab}, t,
               np.cumsum(30 * cores))
        st.add({"__name__": "kube_pod_container_resource_limits", **lab, "resource": "cpu"},
               t, np.ones(len(t)))
        for code in ("200", "500"):
            st.add({"__name__": "http_requests_total", "namespace": NS, "pod": pod,
                    "code": code}, t, np.cumsum(rng.poisson(5 if code == "500" else 95, len(t))))
    g = {"name": "w", "interval": "30s",
         "rules": alert_rules(workload=DEP, namespace=NS, container=CTR)}
    t0 = time.perf_counter()
    res = evaluate_rules(g, st, 0, t[-1])
    elapsed = time.perf_counter() - t0
    assert len(res.alerts[0].eval_times) == len(t)
    assert res.summary()[alert_name(DEP, "HighCPU")]["fired"] > 0
    assert elapsed < 60, elapsed
