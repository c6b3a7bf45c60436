"""The seven alerts on simulated series: our evaluator against ``promtool test rules``.

Each short case of ``test_monitoring_prometheus`` (and, ``slow``, peak.yaml's week and
zone-outage.yaml's two days) is exported as promtool's ``input_series`` from the
in-memory store the summary's alerts are evaluated on, staleness markers included
(``stale``), on the scrape grid. The emitted PrometheusRule group (annotations left out:
they do not change alert state) is evaluated by promtool's rule manager every 30 s, as
:func:`capacity.analysis.alerting.evaluate_rules` does; at every 10 minutes and on both
sides of every pending, firing and resolution time we found, our firing alerts are the
``exp_alerts``: promtool must agree with each one. A wrong expectation makes it fail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from capacity.analysis.alerting import RuleResults, evaluate_rules
from capacity.analysis.monitoring_summary import RULE_INTERVAL
from capacity.analysis.promql import SeriesStore, is_stale
from tests.manifests.conftest import tool

from .test_monitoring import SCENARIOS, Exported, exported_run, variant
from .test_monitoring_prometheus import FIRES


def _num(x: float) -> str:
    return repr(float(x))


def input_series(store: SeriesStore, step: float) -> list[dict[str, str]]:
    """promtool's ``input_series``: ``_`` where a series has no sample, ``stale`` for a
    marker; runs of one value as ``vxN`` and of blanks as ``_xN`` (exact: no arithmetic)."""
    out = []
    for s in store:
        idx = np.rint(s.t / step).astype(np.int64)
        assert np.array_equal(idx * step, s.t), "input_series needs the scrape grid"
        n = int(idx[-1]) + 1
        tokens: list[str | None] = [None] * n
        for i, v, st in zip(idx.tolist(), s.v.tolist(), is_stale(s.v).tolist(), strict=True):
            tokens[i] = "stale" if st else _num(v)
        parts: list[str] = []
        i = 0
        while i < n:
            j = i
            while j + 1 < n and tokens[j + 1] == tokens[i]:
                j += 1
            run = j - i + 1
            tok = tokens[i]
            if tok is None:
                parts.append("_" if run == 1 else f"_x{run}")
            elif tok == "stale" or run < 3:
                parts.extend([tok] * run)
            else:
                parts.append(f"{tok}x{run - 1}")  # v, then run - 1 more
            i = j + 1
        labels = ", ".join(f'{k}="{v}"' for k, v in s.labels if k != "__name__")
        out.append({"series": f"{s.name}{{{labels}}}", "values": " ".join(parts)})
    return out


def eval_times(res: RuleResults, end: float) -> list[float]:
    ts = set(np.arange(0, end + 1, 600.0).tolist())
    for a in res.alerts:
        for iv in a.intervals:
            for t in (iv.pending_since, iv.firing_since, iv.resolved_at):
                if t is not None:
                    ts |= {t - RULE_INTERVAL, t, t + 1.0}
    return sorted(t for t in ts if 0 <= t <= end)


def alert_tests(res: RuleResults, end: float) -> list[dict[str, Any]]:
    tests = []
    for t in eval_times(res, end):
        for a in res.alerts:
            exp = [{"exp_labels": {k: v for k, v in lab.items() if k != "alertname"}}
                   for lab in a.firing_at(t)]
            tests.append({"eval_time": f"{round(t * 1000)}ms", "alertname": a.name,
                          "exp_alerts": exp})
    return tests


def groups_of(ex: Exported) -> list[dict[str, Any]]:
    return [{"name": g["name"],
             "rules": [{k: v for k, v in r.items() if k != "annotations"} for r in g["rules"]]}
            for g in ex.run.rule["spec"]["groups"]]


def promtool_check(ex: Exported, tmp: Path, tests: list[dict[str, Any]] | None = None
                   ) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    promtool = tool("promtool")
    end = float(ex.outcome.duration)
    groups = groups_of(ex)
    res = evaluate_rules(groups, ex.store, 0.0, end, default_interval=RULE_INTERVAL)
    if tests is None:
        tests = alert_tests(res, end)
    step = ex.observer.interval
    (tmp / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    spec = {"rule_files": ["rules.yaml"], "evaluation_interval": f"{RULE_INTERVAL:g}s",
            "tests": [{"interval": f"{step:g}s", "input_series": input_series(ex.store, step),
                       "alert_rule_test": tests}]}
    (tmp / "test.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, width=1 << 30))
    r = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp, capture_output=True,
                       text=True, timeout=3600)
    return r, tests


@pytest.fixture(scope="module", params=list(FIRES))
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    root = tmp_path_factory.mktemp(request.param)
    return exported_run(variant(request.param, root), None)


def test_promtool_agrees(case: Exported, tmp_path: Path):
    r, tests = promtool_check(case, tmp_path)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert "SUCCESS" in r.stdout
    firing = {t["alertname"] for t in tests if t["exp_alerts"]}
    assert firing == FIRES[case.scenario.name]
    assert case.result["alerts"] == evaluate_rules(
        groups_of(case), case.store, 0.0, float(case.outcome.duration),
        default_interval=RULE_INTERVAL).summary()


def test_a_wrong_expectation_fails(case: Exported, tmp_path: Path):
    end = float(case.outcome.duration)
    res = evaluate_rules(groups_of(case), case.store, 0.0, end, default_interval=RULE_INTERVAL)
    tests = alert_tests(res, end)
    busy = [i for i, t in enumerate(tests) if t["exp_alerts"]]
    if busy:  # drop one firing alert from the expectation
        i = busy[len(busy) // 2]
        tests[i] = {**tests[i], "exp_alerts": tests[i]["exp_alerts"][1:]}
    else:  # nothing fires: expect one that promtool will not see
        i = 0
        tests[0] = {**tests[0], "exp_alerts": [{"exp_labels": {"severity": "warning"}}]}
    r, _ = promtool_check(case, tmp_path, tests)
    assert r.returncode != 0
    assert tests[i]["alertname"] in r.stdout + r.stderr


def test_staleness_markers_matter(tmp_path: Path):
    """A pod deleted by a scale-down: its working-set series ends with a marker, and
    HighMemory on it resolves at the next evaluation; without markers the last sample is
    seen for the 5-minute lookback and the alert resolves later."""
    ex = exported_run(variant("peak-sensitive", tmp_path), None)
    end = float(ex.outcome.duration)
    with_m = evaluate_rules(groups_of(ex), ex.store, 0.0, end, default_interval=RULE_INTERVAL)
    without = evaluate_rules(groups_of(ex), ex.store_plain, 0.0, end,
                             default_interval=RULE_INTERVAL)
    a = {(tuple(sorted(iv.labels.items())), iv.pending_since): iv.resolved_at
         for iv in with_m["SandboxExecutorHighMemory"].intervals}
    b = {(tuple(sorted(iv.labels.items())), iv.pending_since): iv.resolved_at
         for iv in without["SandboxExecutorHighMemory"].intervals}
    assert a.keys() == b.keys()
    later = [k for k in a if a[k] is not None and b[k] is not None and b[k] > a[k]]
    assert later and all(b[k] - a[k] == 300.0 for k in later)
    assert all(a[k] == b[k] for k in a if k not in later)


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "days"), [("peak.yaml", 7), ("zone-outage.yaml", 2)])
def test_whole_scenarios(tmp_path: Path, scenario: str, days: int):
    from capacity.scenario.loader import load_scenario

    ex = exported_run(load_scenario(SCENARIOS / scenario), None)
    assert ex.outcome.duration == days * 86400
    r, tests = promtool_check(ex, tmp_path)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    print(f"\n{scenario}: {len(tests)} alert states agree, "
          f"{sum(len(t['exp_alerts']) for t in tests)} of them firing")
