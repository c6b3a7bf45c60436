"""The simulated monitoring in the real Prometheus (2.42, the Debian package).

A run's ``metrics.om`` becomes TSDB blocks (``promtool tsdb create-blocks-from
openmetrics``, one per 2-hour window, as ``simulate --metrics-out`` builds them); a
``prometheus`` on a free loopback port serves them. Through its HTTP API:

* every sample of every series is there, exactly;
* the seven emitted rules' expressions, and their left-hand sides (the values before the
  threshold, so the comparison has numbers even where an alert never fires), give over
  ``/api/v1/query_range`` the same label sets at the same steps and the same values
  (within 1e-12 relative) as our evaluator on the same samples;
* the alerts' firing intervals made from Prometheus' answers at the rule group's
  evaluation times (30 s) with each rule's ``for:`` are the ones our evaluator finds.

The blocks cannot hold staleness markers (OpenMetrics text has none), so the comparison
uses the store without them; ``test_monitoring_promtool`` checks the markers' effect
with ``promtool test rules``. The default runs are 6 hours (``test_monitoring``'s
variants); the full week of peak.yaml and the two days of zone-outage.yaml are ``slow``.
"""

from __future__ import annotations

import contextlib
import math
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from capacity.analysis.alerting import _episodes, evaluate_rules, parse_duration
from capacity.analysis.monitoring_summary import RULE_INTERVAL
from capacity.analysis.promql import Query, SeriesStore
from tests.analysis.test_promql_prometheus import Server, _free_port, _max_rel_diff
from tests.manifests.conftest import tool

from .test_monitoring import SCENARIOS, Exported, exported_run, variant


@contextlib.contextmanager
def prometheus_on(blocks: Path, root: Path) -> Iterator[str]:
    """A prometheus serving ``blocks`` (copied) on loopback; yields its URL."""
    prometheus = tool("prometheus")
    data = root / "data"
    shutil.copytree(blocks, data)
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = _free_port()
    log_path = root / "prometheus.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [prometheus, f"--config.file={root / 'prometheus.yml'}",
             f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
             "--storage.tsdb.retention.time=100y"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise AssertionError("prometheus exited: " + log_path.read_text()[-3000:])
                try:
                    with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("prometheus not ready: " + log_path.read_text()[-3000:])
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def shifted(store: SeriesStore, offset: float) -> SeriesStore:
    """The same samples ``offset`` seconds later (the files' Unix time)."""
    out = SeriesStore(store.scrape_interval)
    for s in store:
        out.add(s.label_dict, s.t + offset, s.v)
    return out


def query_range(server: Server, expr: str, start: float, end: float, step: float
                ) -> dict[tuple[tuple[str, str], ...], tuple[np.ndarray, np.ndarray]]:
    """``/api/v1/query_range`` in pieces of at most 10,000 steps (the server refuses more
    than 11,000 points a series), joined."""
    n = math.floor((end - start) / step + 1e-9)
    out: dict[tuple[tuple[str, str], ...], list[tuple[np.ndarray, np.ndarray]]] = {}
    for i in range(0, n + 1, 10_000):
        a = start + i * step
        b = start + min(i + 9_999, n) * step
        for key, tv in server.query_range(expr, a, b, step).items():
            out.setdefault(key, []).append(tv)
    return {k: (np.concatenate([t for t, _ in v]), np.concatenate([x for _, x in v]))
            for k, v in out.items()}


def value_part(expr: str) -> str:
    """A rule's expression without its final threshold comparison."""
    out, n = re.subn(r"\s*[<>]=?\s*[-+0-9.e]+\s*$", "", expr)
    assert n == 1, expr
    return out


class Case:
    """One exported run served by a prometheus."""

    def __init__(self, ex: Exported, url: str) -> None:
        self.ex = ex
        self.server = Server(url, shifted(ex.store_plain, ex.start))
        self.start = ex.start
        self.end = ex.start + float(ex.outcome.duration)
        self.rules = ex.run.rule["spec"]["groups"][0]["rules"]


@contextlib.contextmanager
def served(sc: Any, root: Path, duration: float | None = None) -> Iterator[Case]:
    promtool = tool("promtool")
    ex = exported_run(sc, root / "metrics", duration=duration, promtool=promtool)
    with prometheus_on(root / "metrics" / "blocks", root / "prom") as url:
        yield Case(ex, url)


#: What fires in each short case: together, all seven alerts.
FIRES = {
    "peak-burst": set(),
    "peak-sensitive": {"SandboxExecutorHighCPU", "SandboxExecutorHighMemory",
                       "SandboxExecutorPodNotReady", "SandboxExecutorReplicaMismatch",
                       "SandboxExecutorLowAvailability"},
    "crashy-overload": {"SandboxExecutorPodRestarting", "SandboxExecutorHighErrorRate"},
    "zone-window": {"SandboxExecutorLowAvailability", "SandboxExecutorPodNotReady",
                    "SandboxExecutorReplicaMismatch"},
}


@pytest.fixture(scope="module", params=list(FIRES))
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Case]:
    root = tmp_path_factory.mktemp(request.param)
    with served(variant(request.param, root), root) as c:
        yield c


def compare_samples(c: Case) -> int:
    """Every series' raw samples through a range selector; returns the samples compared."""
    n = 0
    span = f"{round(c.end - c.start) + 1}s"
    for name in c.server.store.names():
        q = urllib.parse.urlencode({"query": f"{name}[{span}]", "time": c.end})
        with urllib.request.urlopen(f"{c.server.url}/api/v1/query?{q}", timeout=60) as r:
            import json

            body = json.load(r)
        got = {tuple(sorted(x["metric"].items())): x["values"] for x in body["data"]["result"]}
        want = c.server.store.select([("__name__", "=", name)])
        assert len(got) == len(want), name
        for s in want:
            vals = got[s.labels]
            assert np.array_equal([float(t) for t, _ in vals], s.t), s.labels
            assert np.array_equal([float(v) for _, v in vals], s.v), s.labels
            n += len(s.t)
    return n


def compare_expressions(c: Case, steps: tuple[float, ...] = (RULE_INTERVAL, 17.0)
                        ) -> tuple[int, int]:
    """The seven expressions and their value parts; returns (queries, points compared)."""
    queries = points = 0
    for rule in c.rules:
        for expr in (rule["expr"], value_part(rule["expr"])):
            for step in steps:
                want = query_range(c.server, expr, c.start, c.end, step)
                times = np.arange(round(c.start * 1000), round(c.end * 1000) + 1,
                                  round(step * 1000)) / 1000.0
                res = Query(expr).range(c.server.store, times)
                got = {tuple(sorted(s.labels.items())): (s.t, s.v) for s in res.series}
                _max_rel_diff(expr, got, want)
                queries += 1
                points += sum(len(t) for t, _ in want.values())
    return queries, points


def prometheus_intervals(c: Case) -> dict[str, list[tuple[Any, ...]]]:
    """Each alert's episodes from Prometheus' answers at the group's evaluation times:
    ``AlertingRule.Eval``'s state machine on the label sets returned at each step."""
    times = np.arange(round(c.start * 1000), round(c.end * 1000) + 1,
                      round(RULE_INTERVAL * 1000))
    out: dict[str, list[tuple[Any, ...]]] = {}
    for rule in c.rules:
        want = query_range(c.server, rule["expr"], c.start, c.end, RULE_INTERVAL)
        hold = round(parse_duration(rule["for"]) * 1000)
        eps = []
        for key, (t, _) in want.items():
            lab = dict(key)
            lab.pop("__name__", None)
            lab.update(rule["labels"])
            lab["alertname"] = rule["alert"]
            mask = np.isin(times, np.rint(t * 1000).astype(np.int64))
            for a, f, r in _episodes(times, mask, hold, 0):
                eps.append((tuple(sorted(lab.items())), times[a] / 1000 - c.start,
                            None if f is None else times[f] / 1000 - c.start,
                            None if r is None else times[r] / 1000 - c.start))
        out[rule["alert"]] = sorted(eps)
    return out


def our_intervals(c: Case) -> dict[str, list[tuple[Any, ...]]]:
    res = evaluate_rules(c.ex.run.rule["spec"]["groups"], c.ex.store_plain, 0.0,
                         float(c.ex.outcome.duration), default_interval=RULE_INTERVAL)
    return {a.name: sorted((tuple(sorted(iv.labels.items())), iv.pending_since,
                            iv.firing_since, iv.resolved_at) for iv in a.intervals)
            for a in res.alerts}


def test_samples_match(case: Case):
    assert compare_samples(case) > 10_000


def test_rule_expressions_match(case: Case):
    queries, points = compare_expressions(case)
    assert queries == 7 * 2 * 2 and points > 1000


def test_firing_intervals_match(case: Case):
    theirs, ours = prometheus_intervals(case), our_intervals(case)
    assert theirs == ours
    fired = {name for name, eps in ours.items() if any(e[2] is not None for e in eps)}
    assert fired == FIRES[case.ex.scenario.name]


def test_the_cases_fire_all_seven():
    assert len(set().union(*FIRES.values())) == 7


def test_a_difference_would_show(case: Case):
    """One sample changed by a millionth on our side makes the comparison fail: it bites."""
    st = SeriesStore()
    for s in case.server.store:
        t, v = s.t, s.v.copy()
        if s.name == "kube_deployment_status_replicas_available":
            v[100] *= 1 + 1e-6
        st.add(s.label_dict, t, v)
    expr = value_part(case.rules[6]["expr"])
    want = case.server.query_range(expr, case.start, case.end, RULE_INTERVAL)
    times = np.arange(round(case.start * 1000), round(case.end * 1000) + 1,
                      round(RULE_INTERVAL * 1000)) / 1000.0
    res = Query(expr).range(st, times)
    got = {tuple(sorted(s.labels.items())): (s.t, s.v) for s in res.series}
    with pytest.raises(AssertionError):
        _max_rel_diff(expr, got, want)


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "days"), [("peak.yaml", 7), ("zone-outage.yaml", 2)])
def test_whole_scenarios_match(tmp_path: Path, scenario: str, days: int):
    """The acceptance of issue 14 on the scenarios as written: peak.yaml's week and
    zone-outage.yaml's two days, run 0."""
    from capacity.scenario.loader import load_scenario

    sc = load_scenario(SCENARIOS / scenario)
    with served(sc, tmp_path) as c:
        assert round(c.end - c.start) == days * 86400
        n = compare_samples(c)
        queries, points = compare_expressions(c, steps=(RULE_INTERVAL,))
        theirs, ours = prometheus_intervals(c), our_intervals(c)
        assert theirs == ours
        print(f"\n{scenario}: {n} samples, {queries} queries, {points} points, "
              f"{sum(len(v) for v in ours.values())} alert episodes equal")
