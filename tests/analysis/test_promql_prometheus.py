"""Cross-check of the PromQL evaluator against a real Prometheus server.

The synthetic data set (``test_promql_synthetic``) is written with our OpenMetrics writer,
turned into TSDB blocks by ``promtool tsdb create-blocks-from openmetrics`` and served by
``prometheus`` on a free loopback port with no scrape targets. Two copies share the TSDB:
the scrape grid exactly (hours 0–3: samples land on window edges, testing the closed range
and lookback windows of 2.x) and a jittered one (hours 24–27, as real scrapes land).

For every expression below and several ranges/steps, ``/api/v1/query_range`` and
:meth:`Query.range` must return the same label sets at the same timestamps, and values
equal to float rounding: ``|a - b| <= 1e-12 * max(|a|, |b|) + 1e-12`` (NaN and ±Inf
exactly). Most agree bit for bit; sums can differ in the last bits because Prometheus
adds a binary operator's output series in map order.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest

from capacity.analysis.openmetrics import store_families, write_openmetrics
from capacity.analysis.promql import PromQLError, Query, SeriesStore
from capacity.manifests.alerts import alert_rules
from tests.manifests.conftest import tool

from .test_promql_synthetic import CONTAINER, NS, SPAN, TYPES, WORKLOAD, synthetic_store

JITTER_AT = 86400.0  # where the jittered copy starts
REL_TOL = 1e-12

P = f'namespace="{NS}", pod=~"{WORKLOAD}-.*"'
CPU = "container_cpu_usage_seconds_total"
MEM = "container_memory_working_set_bytes"
REQ = "http_requests_total"
EDGE = "synthetic_edge_values"
LIM = "kube_pod_container_resource_limits"
H = "http_request_duration_seconds_bucket"

EXPRESSIONS = [
    # Selectors: matchers, the lookback window over the memory gap, regex anchoring.
    MEM,
    f'{MEM}{{pod=~"{WORKLOAD}"}}',  # anchored: matches no pod
    f'kube_pod_status_phase{{phase=~"Pend.*|Run.*", {P}}}',
    '{__name__=~"kube_deployment_.*"}',
    f'{REQ}{{code!="200", pod!~"{WORKLOAD}-.*"}}',
    'kube_pod_status_phase{container="", phase="Running"}',  # a missing label is ""
    EDGE,
    r'kube_pod_status_phase{pod=~"(?i)SANDBOX-EXECUTOR-.*-A+", phase=~"\\w+ing"}',
    r'{__name__=~"kube_pod_status_.+", pod=~".*-\\d[a-z]\\d.*"}',
    f"{MEM} offset 7m",
    # Counters: resets, extrapolation, few samples, offsets.
    f"rate({CPU}[5m])",
    f"rate({CPU}[1m])",
    f"rate({CPU}[45s])",
    f"irate({CPU}[2m])",
    f"increase({REQ}[15m])",
    "increase(kube_pod_container_status_restarts_total[15m])",
    f"rate({REQ}[5m] offset 10m)",
    f"increase({CPU}[1h])",
    "increase(synthetic_late_start_total[5m])",
    "rate(synthetic_late_start_total[2m])",
    f"delta({MEM}[10m])",
    f"idelta({MEM}[3m])",
    f"delta({EDGE}[5m])",
    # Over time, with NaN and ±Inf in the edge gauge.
    *(f"{f}_over_time({m}[{r}])" for f in ("avg", "min", "max", "sum", "count", "last",
                                           "stddev", "stdvar", "present")
      for m, r in ((MEM, "7m"), (EDGE, "4m"))),
    # Aggregations.
    f"sum by (namespace, pod) (rate({CPU}[5m]))",
    f"avg without (code) (rate({REQ}[5m]))",
    f"max by (pod) ({MEM})",
    f"min({MEM})",
    "count by (phase) (kube_pod_status_phase == 1)",
    f"group by (namespace) ({MEM})",
    f"stddev by (namespace) ({MEM})",
    f"stdvar({MEM})",
    f"sum({EDGE})",
    f"avg({EDGE})",
    f"max({EDGE}) - min({EDGE})",
    f"count without () ({REQ})",
    "sum by (__name__) ({__name__=~\"kube_deployment_.*\"})",
    # Vector matching.
    f'rate({CPU}[5m]) / on (namespace, pod, container) group_left {LIM}{{resource="cpu"}}',
    f'rate({CPU}[5m]) / ignoring (resource, unit) {LIM}{{resource="cpu"}}',
    f"{REQ} / ignoring (code) group_left sum without (code) ({REQ})",
    f'{LIM}{{resource="memory"}} - on (namespace, pod, container) group_right {MEM}',
    f'{MEM} / on (pod) group_left (resource, unit) {LIM}{{resource="memory"}}',
    "kube_deployment_spec_replicas - kube_deployment_status_replicas_available",
    # Comparisons, with and without bool, scalar on either side.
    f"{MEM} > 1.5e9",
    f"{MEM} > bool 1.5e9",
    f"1.5e9 < {MEM}",
    f"2e9 >= bool {MEM}",
    "kube_deployment_spec_replicas != bool kube_deployment_status_replicas_available",
    f"{MEM} == {MEM} offset 30s",
    f"{EDGE} <= 0",
    "1 < bool 2",
    # Set operators.
    'kube_pod_status_phase{phase="Pending"} == 1 and on (pod) '
    'kube_pod_status_ready{condition="false"} == 1',
    f'{MEM} > 1.3e9 or on (namespace, pod) {LIM}{{resource="memory"}}',
    f"{MEM} unless on (pod) kube_pod_container_status_restarts_total > 0",
    f'{REQ}{{code="500"}} or {REQ}{{code="503"}}',
    # Arithmetic, unary minus, math functions.
    f"2 * rate({CPU}[5m]) + 1",
    f"-{MEM}",
    f"{EDGE} % 0.7",
    f"{EDGE} ^ 2",
    f"{EDGE} atan2 0.5",
    f"abs(-{EDGE})",
    f"clamp_min({EDGE}, 0)",
    f"clamp_max({EDGE}, 0.5)",
    f"clamp({EDGE}, -0.5, 0.5)",
    f"clamp({EDGE}, 1, -1)",
    f"ceil({EDGE})",
    f"floor({EDGE})",
    f"round({EDGE}, 0.1)",
    f"round({MEM} / 1e6)",
    f"sqrt(abs({EDGE}))",
    f"ln({MEM})",
    f"log2({MEM})",
    f"exp({EDGE})",
    f"sgn({EDGE})",
    # Scalars and the functions between scalars and vectors.
    "time()",
    "vector(time())",
    "scalar(kube_deployment_spec_replicas)",
    f"scalar({MEM})",
    "2 ^ 3 - 1",
    'absent(nonexistent{job="x", env=~"p.*"})',
    "absent(kube_deployment_spec_replicas)",
    # The histogram.
    "sum by (le) (rate(http_request_duration_seconds_bucket[5m]))",
    "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])",
    f"histogram_quantile(0.9, sum by (le) (rate({H}[5m])))",
    f"histogram_quantile(0.5, rate({H}[5m]))",
    f"histogram_quantile(0.99, {H})",
    f"histogram_quantile(0.001, rate({H}[1m]))",
    f"histogram_quantile(1, rate({H}[5m]))",
    f"histogram_quantile(1.5, rate({H}[5m]))",
    f"histogram_quantile(-1, rate({H}[5m]))",
    f'histogram_quantile(0.9, rate({H}{{le!="+Inf"}}[5m]))',  # no +Inf bucket: NaN
    f'histogram_quantile(0.7, rate({H}{{le!="0.25"}}[5m]))',
    f'histogram_quantile(scalar(kube_deployment_spec_replicas) / 4, rate({H}[5m]))',
    f'histogram_quantile(0.9, {H} - {H} offset 1m)',  # decreasing counts: ensureMonotonic
]

# Expressions whose answer is empty everywhere (the comparison still checks that).
EMPTY = {f'{MEM}{{pod=~"{WORKLOAD}"}}', f"clamp({EDGE}, 1, -1)",
         "absent(kube_deployment_spec_replicas)"}

RULE_EXPRESSIONS = [r["expr"] for r in alert_rules(workload=WORKLOAD, namespace=NS,
                                                   container=CONTAINER)]

# (start, end, step) in seconds: aligned with the grid copy's scrapes, then not; the same
# for the jittered copy.
RANGES = [(0, SPAN, 30), (5, SPAN, 17), (JITTER_AT, JITTER_AT + SPAN, 30),
          (JITTER_AT + 1, JITTER_AT + SPAN, 13)]


def _combined_store() -> SeriesStore:
    """The grid copy at 0 and the jittered copy at JITTER_AT, as one store."""
    st = SeriesStore()
    for s in synthetic_store():
        st.add(s.label_dict, s.t, s.v)
    for s in synthetic_store(jitter=True):
        st.add(s.label_dict, s.t + JITTER_AT, s.v)
    return st


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class QueryFailed(Exception):
    """Prometheus answered with an error."""


class Server:
    """A running prometheus serving the blocks, and the store they were made from."""

    def __init__(self, url: str, store: SeriesStore) -> None:
        self.url = url
        self.store = store

    def query_range(self, expr: str, start: float, end: float, step: float
                    ) -> dict[tuple[tuple[str, str], ...], tuple[np.ndarray, np.ndarray]]:
        q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/query_range?{q}", timeout=30) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            raise QueryFailed(f"{expr}: HTTP {e.code} {e.read()[:300]!r}") from e
        assert body["status"] == "success", body
        return {tuple(sorted(res["metric"].items())):
                (np.array([float(t) for t, _ in res["values"]]),
                 np.array([float(v) for _, v in res["values"]]))
                for res in body["data"]["result"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    promtool = tool("promtool")
    prometheus = tool("prometheus")
    root = tmp_path_factory.mktemp("prometheus")
    store = _combined_store()
    om = root / "metrics.om"
    write_openmetrics(om, store_families(store, TYPES))
    data = root / "data"
    r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(data)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = _free_port()
    log = (root / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [prometheus, f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={data}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError("prometheus exited: " + (root / "prometheus.log").read_text())
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("prometheus not ready: " + (root / "prometheus.log").read_text())
            time.sleep(0.1)
        yield Server(url, store)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _ours(expr: str, store: SeriesStore, start: float, end: float, step: float
          ) -> dict[tuple[tuple[str, str], ...], tuple[np.ndarray, np.ndarray]]:
    times = np.arange(round(start * 1000), round(end * 1000) + 1, round(step * 1000)) / 1000.0
    res = Query(expr).range(store, times)
    if res.kind == "scalar":
        assert res.scalar is not None
        return {(): (res.times, res.scalar)}
    return {tuple(sorted(s.labels.items())): (s.t, s.v) for s in res.series}


def _max_rel_diff(expr: str, got: dict, want: dict) -> float:
    """Asserts equal label sets and timestamps; returns the largest relative difference."""
    assert got.keys() == want.keys(), (expr, sorted(set(got) ^ set(want))[:4])
    worst = 0.0
    for key, (wt, wv) in want.items():
        gt, gv = got[key]
        assert np.array_equal(gt, wt), (expr, dict(key), np.setxor1d(gt, wt)[:6])
        same = (np.isnan(gv) & np.isnan(wv)) | (gv == wv)
        fin = ~same
        assert np.all(np.isfinite(gv[fin]) & np.isfinite(wv[fin])), (expr, dict(key),
                                                                      gv[fin][:3], wv[fin][:3])
        if fin.any():
            scale = np.maximum(np.abs(gv[fin]), np.abs(wv[fin]))
            d = np.abs(gv[fin] - wv[fin])
            assert np.all(d <= REL_TOL * scale + 1e-12), (expr, dict(key), gv[fin][d.argmax()],
                                                          wv[fin][d.argmax()])
            worst = max(worst, float((d / np.maximum(scale, 1e-300)).max()))
    return worst


@pytest.mark.parametrize("expr", EXPRESSIONS + RULE_EXPRESSIONS)
def test_query_range_matches_prometheus(server: Server, expr: str):
    nonempty = 0
    for start, end, step in RANGES:
        want = server.query_range(expr, start, end, step)
        got = _ours(expr, server.store, start, end, step)
        _max_rel_diff(expr, got, want)
        nonempty += sum(len(t) for t, _ in want.values())
    if expr in EMPTY:
        assert nonempty == 0
    else:
        assert nonempty > 0, f"{expr} returns nothing: the comparison would be vacuous"


@pytest.mark.parametrize(("expr", "start", "end", "fails"), [
    ("kube_pod_status_phase / on (namespace) kube_pod_status_phase", 0, SPAN, True),
    # The left side is empty until pod C is Pending (1 h): no error before, one after.
    ('(kube_pod_status_phase{phase="Pending"} == 1) / on (namespace) kube_pod_status_phase',
     0, 3000, False),
    ('(kube_pod_status_phase{phase="Pending"} == 1) / on (namespace) kube_pod_status_phase',
     0, SPAN, True),
    ("sum by (pod) (kube_pod_status_phase) / on (pod) kube_pod_status_phase", 0, SPAN, True),
    ("kube_pod_status_phase / on (pod) group_left sum by (pod) (kube_pod_status_phase)",
     0, SPAN, False),
    ('-{__name__=~"kube_deployment_.*"}', 0, SPAN, True),
    ('-{__name__=~"kube_deployment_.*"}', JITTER_AT, JITTER_AT + SPAN, True),
])
def test_errors_match_prometheus(server: Server, expr: str, start: float, end: float,
                                 fails: bool):
    """Where Prometheus fails the query we raise PromQLError, and only there."""
    try:
        want = server.query_range(expr, start, end, 30)
        prom_failed = False
    except QueryFailed:
        prom_failed = True
    assert prom_failed == fails
    if fails:
        with pytest.raises(PromQLError):
            _ours(expr, server.store, start, end, 30)
    else:
        _max_rel_diff(expr, _ours(expr, server.store, start, end, 30), want)


def test_every_rule_expression_is_true_somewhere(server: Server):
    """The data make each of the seven alerts' expressions true at some point (in both
    copies), so the rule cross-check compares something."""
    for expr in RULE_EXPRESSIONS:
        for start, end, step in (RANGES[0], RANGES[2]):
            assert server.query_range(expr, start, end, step), expr


def test_the_comparison_detects_a_difference(server: Server):
    """A one-sample change in our store shows up against Prometheus: the check bites."""
    st = SeriesStore()
    for s in server.store:
        v = s.v.copy()
        if s.name == MEM and s.label_dict["pod"].endswith("aaaaa"):
            v[100] *= 1.0 + 1e-9
        st.add(s.label_dict, s.t, v)
    expr = f"avg_over_time({MEM}[5m])"
    want = server.query_range(expr, *RANGES[0])
    with pytest.raises(AssertionError):
        _max_rel_diff(expr, _ours(expr, st, *RANGES[0]), want)


def test_blocks_hold_every_sample(server: Server):
    """The TSDB built from our OpenMetrics file holds each series' samples exactly."""
    for name in ("container_cpu_usage_seconds_total", "http_request_duration_seconds_bucket"):
        q = urllib.parse.urlencode({"query": f"{name}[1d]", "time": JITTER_AT + SPAN})
        with urllib.request.urlopen(f"{server.url}/api/v1/query?{q}", timeout=30) as r:
            body = json.load(r)
        got = {tuple(sorted(x["metric"].items())): x["values"] for x in body["data"]["result"]}
        want = [s for s in server.store if s.name == name]
        assert len(got) == len(want)
        for s in want:
            vals = got[s.labels]
            m = (s.t >= JITTER_AT + SPAN - 86400) & (s.t <= JITTER_AT + SPAN)
            assert np.array_equal([float(t) for t, _ in vals], s.t[m])
            assert np.array_equal([float(v) for _, v in vals], s.v[m])


def test_the_copies_do_not_see_each_other():
    assert RANGES[2][0] - RANGES[0][1] > 3600  # no window reaches from one copy to the other

