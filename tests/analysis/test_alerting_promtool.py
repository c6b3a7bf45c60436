"""Cross-check of the alert evaluator against ``promtool test rules`` (Prometheus 2.42).

The synthetic data set (``test_promql_synthetic``, on its 30 s grid, with and without
staleness markers) becomes ``input_series``; the rules are the seven emitted alerts plus a
group exercising ``for: 0``, ``keep_firing_for`` and a recording rule feeding an alert.
Our :func:`evaluate_rules` runs over the same span; at many evaluation times (every
10 min, and on both sides of every pending, firing and resolution time it found) its
firing alerts become the ``exp_alerts`` of an ``alert_rule_test``: promtool must agree
with every one of them. A deliberately wrong expectation makes promtool fail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from capacity.analysis.alerting import RuleResults, evaluate_rules
from capacity.analysis.promql import SeriesStore, is_stale
from capacity.manifests.alerts import ALERT_NAMES, alert_name, alert_rules
from tests.manifests.conftest import tool

from .test_promql_synthetic import CONTAINER, GRID, NS, SCRAPE, SPAN, WORKLOAD, synthetic_store

INTERVAL = 30.0
CPU = "container_cpu_usage_seconds_total"


def rule_groups() -> list[dict[str, Any]]:
    """The seven alerts (annotations left out: they do not change alert state) and extras."""
    seven = [{k: v for k, v in r.items() if k != "annotations"}
             for r in alert_rules(workload=WORKLOAD, namespace=NS, container=CONTAINER)]
    extra = [
        {"record": "pod:cpu_usage:rate5m",
         "expr": f'sum by (namespace, pod) (rate({CPU}{{namespace="{NS}"}}[5m]))'},
        {"alert": "PodCPUFromRecord", "expr": "pod:cpu_usage:rate5m > 0.4", "for": "2m",
         "labels": {"severity": "info"}},
        {"alert": "PodCRecorded", "expr": 'pod:cpu_usage:rate5m{pod=~".*ccccc"} >= 0',
         "for": "1m"},
        {"alert": "PodCMemoryPresent",
         "expr": 'container_memory_working_set_bytes{pod=~".*ccccc"} > 0', "for": "1m"},
        {"alert": "CPUHotAtOnce", "expr": f"rate({CPU}[2m]) > 0.85", "for": "0s",
         "labels": {"severity": "info"}},
        {"alert": "MemoryHighKeepFiring",
         "expr": 'container_memory_working_set_bytes{pod=~".*bbbbb"} > 1.27e9',
         "for": "1m", "keep_firing_for": "3m", "labels": {"severity": "info", "team": "x"}},
        {"alert": "ErrorsWithoutFor",
         "expr": 'sum by (pod) (increase(http_requests_total{code=~"5.."}[2m])) > 40'},
    ]
    return [{"name": f"{WORKLOAD}.rules", "interval": "30s", "rules": seven},
            {"name": "extra.rules", "interval": "30s", "rules": extra}]


def _num(x: float) -> str:
    return repr(float(x))


def input_series(store: SeriesStore) -> list[dict[str, str]]:
    """promtool's ``input_series`` for a store on the grid: ``_`` where a series has no
    sample, ``stale`` for a staleness marker."""
    out = []
    for s in store:
        if s.name == "synthetic_edge_values":
            continue
        idx = np.rint(s.t / SCRAPE).astype(int)
        assert np.array_equal(idx * SCRAPE, s.t), "input_series needs the grid"
        vals = ["_"] * len(GRID)
        stale = is_stale(s.v)
        for i, v, st in zip(idx.tolist(), s.v.tolist(), stale.tolist(), strict=True):
            vals[i] = "stale" if st else _num(v)
        while vals and vals[-1] == "_":
            vals.pop()
        labels = ", ".join(f'{k}="{v}"' for k, v in s.labels if k != "__name__")
        out.append({"series": f"{s.name}{{{labels}}}", "values": " ".join(vals)})
    return out


def eval_times(res: RuleResults) -> list[float]:
    """Every 10 min, plus each side of every state change the evaluator found."""
    ts = set(np.arange(0, SPAN + 1, 600.0).tolist())
    for a in res.alerts:
        for iv in a.intervals:
            for t in (iv.pending_since, iv.firing_since, iv.resolved_at):
                if t is not None:
                    ts |= {t - INTERVAL, t, t + 1.0}
    return sorted(t for t in ts if 0 <= t <= SPAN)


def alert_tests(res: RuleResults) -> list[dict[str, Any]]:
    tests = []
    for t in eval_times(res):
        for a in res.alerts:
            exp = [{"exp_labels": {k: v for k, v in lab.items() if k != "alertname"}}
                   for lab in a.firing_at(t)]
            tests.append({"eval_time": f"{round(t * 1000)}ms", "alertname": a.name,
                          "exp_alerts": exp})
    return tests


def run_promtool(tmp: Path, groups: list[dict[str, Any]], series: list[dict[str, str]],
                 tests: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    promtool = tool("promtool")
    (tmp / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    spec = {"rule_files": ["rules.yaml"], "evaluation_interval": "30s",
            "tests": [{"interval": "30s", "input_series": series, "alert_rule_test": tests}]}
    (tmp / "test.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module", params=[False, True], ids=["lookback", "stale-markers"])
def evaluated(request: pytest.FixtureRequest) -> tuple[SeriesStore, RuleResults]:
    store = synthetic_store(stale=request.param)
    return store, evaluate_rules(rule_groups(), store, 0.0, SPAN)


def test_promtool_agrees_with_every_alert_state(evaluated, tmp_path: Path):
    store, res = evaluated
    tests = alert_tests(res)
    firing = sum(len(t["exp_alerts"]) for t in tests)
    assert len(tests) > 1000 and firing > 200  # many states, many of them firing
    r = run_promtool(tmp_path, rule_groups(), input_series(store), tests)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert "SUCCESS" in r.stdout


def test_a_wrong_expectation_fails(evaluated, tmp_path: Path):
    store, res = evaluated
    tests = alert_tests(res)
    i = next(i for i, t in enumerate(tests) if t["exp_alerts"])
    tests[i] = {**tests[i], "exp_alerts": tests[i]["exp_alerts"][1:]}
    r = run_promtool(tmp_path, rule_groups(), input_series(store), tests)
    assert r.returncode != 0
    assert tests[i]["alertname"] in r.stdout + r.stderr


def test_every_rule_has_something_to_compare(evaluated):
    """The data set makes each rule fire (so the comparison is not vacuous), and some
    alerts only ever pend."""
    _, res = evaluated
    for a in res.alerts:
        assert any(iv.firing_since is not None for iv in a.intervals), a.name
    pending_only = [iv for a in res.alerts for iv in a.intervals if iv.firing_since is None]
    assert pending_only
    assert {alert_name(WORKLOAD, s) for s in ALERT_NAMES} <= {a.name for a in res.alerts}


def test_keep_firing_for_is_exercised(evaluated):
    """Pod B's memory flickers around the threshold: keep_firing_for merges dozens of
    short firing episodes into a few, so promtool checks that path too."""
    store, res = evaluated
    groups = rule_groups()
    rule = next(r for r in groups[1]["rules"] if r.get("alert") == "MemoryHighKeepFiring")
    del rule["keep_firing_for"]
    without = evaluate_rules(groups, store, 0.0, SPAN)["MemoryHighKeepFiring"]
    fired = [iv for iv in res["MemoryHighKeepFiring"].intervals if iv.firing_since is not None]
    fired_without = [iv for iv in without.intervals if iv.firing_since is not None]
    assert len(fired) <= 3 < 20 <= len(fired_without)


def test_staleness_ends_alerts_sooner(evaluated):
    """Pod C's last scrape is at 8100 s. With a staleness marker (8130 s) its memory series
    is gone at once; without, it is seen for the 5 min lookback (last seen at 8400 s, gone
    at the 8430 s evaluation). Range selectors ignore markers, so rate() lasts until 8400 s
    either way (two samples left in the window until 8370 s), and the recorded series built
    on it gets its own marker when the recording rule stops returning it (8400 s): the
    alert on it resolves then, not 5 min later."""
    store, res = evaluated
    stale = any(is_stale(s.v).any() for s in store)
    (mem,) = res["PodCMemoryPresent"].intervals
    assert mem.firing_since == 3600 + 60 and mem.resolved_at == (8130 if stale else 8430)
    (rec,) = res["PodCRecorded"].intervals
    assert rec.pending_since == 3600 + 30 and rec.resolved_at == 8400
