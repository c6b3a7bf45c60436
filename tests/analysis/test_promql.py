"""The PromQL evaluator on small hand-made series, values worked out by hand from
``promql/engine.go`` / ``promql/functions.go`` (v2.42). The comparison with a real
Prometheus is ``test_promql_prometheus.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import capacity.analysis.promql as promql
from capacity.analysis.promql import (
    STALE_NAN,
    PromQLError,
    Query,
    SeriesStore,
    UnsupportedPromQL,
    is_stale,
    query_instant,
    query_range,
)


def at(expr: str, st: SeriesStore, t: float) -> dict[tuple[tuple[str, str], ...], float] | float:
    """The instant query's result as {sorted label pairs: value} (or the scalar)."""
    r = query_instant(expr, st, t)
    if isinstance(r, float):
        return r
    return {tuple(sorted(s.labels.items())): s.value for s in r}


def one(expr: str, st: SeriesStore, t: float) -> float:
    r = at(expr, st, t)
    assert isinstance(r, dict) and len(r) == 1, r
    return next(iter(r.values()))


def L(**kw: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kw.items()))


def minutes(*values: float, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    return start + 60.0 * np.arange(len(values)), np.array(values, dtype=float)


# --- the store ---------------------------------------------------------------------------


def test_store_adds_in_chunks_and_checks_its_input():
    st = SeriesStore(scrape_interval=30)
    st.add({"__name__": "x", "a": "1", "empty": ""}, [0, 30], [1, 2])
    s = st.add({"__name__": "x", "a": "1"}, [60.0004], [3])  # appends; rounded to 60 s
    assert s.labels == (("__name__", "x"), ("a", "1"))  # empty values are dropped
    assert s.t.tolist() == [0, 30, 60] and s.t_ms.dtype == np.int64
    with pytest.raises(ValueError, match="not after"):
        st.add({"__name__": "x", "a": "1"}, [60], [4])
    with pytest.raises(ValueError, match="strictly increase"):
        st.add({"__name__": "y"}, [0, 0.0001], [1, 2])  # equal after rounding to ms
    with pytest.raises(ValueError, match="metric name"):
        st.add({"a": "1"}, [0], [1])
    with pytest.raises(ValueError, match="label name"):
        st.add({"__name__": "y", "1a": "x"}, [0], [1])
    with pytest.raises(ValueError, match="timestamps"):
        st.add({"__name__": "y"}, [0, 1], [1])
    st.add({"__name__": "x", "a": "0"}, [0], [1])
    assert [x.label_dict["a"] for x in st] == ["0", "1"] and st.names() == ["x"]
    assert st.time_span() == (0.0, 60.0) and len(st) == 2


def test_store_can_share_the_callers_arrays():
    st = SeriesStore()
    t_ms = np.array([0, 30_000, 60_000], dtype=np.int64)
    a = st.add({"__name__": "x", "p": "a"}, None, np.broadcast_to(2.0, 3), t_ms=t_ms, copy=False)
    b = st.add({"__name__": "y", "p": "a"}, None, [1.0, 2.0, 3.0], t_ms=t_ms, copy=False)
    assert a.t_ms is t_ms and b.t_ms is t_ms  # one timestamp array for both
    assert a.v.strides == (0,)  # a constant stays one value
    assert at("x + y", st, 60) == {(("p", "a"),): 5.0}
    c = st.add({"__name__": "z"}, [0, 30], [1, 2])
    assert c.t_ms.tolist() == [0, 30_000]  # the default still copies and checks
    with pytest.raises(ValueError, match="instead of t"):
        st.add({"__name__": "w"}, [0, 30, 60], [1, 2, 3], t_ms=t_ms)
    with pytest.raises(ValueError, match="int64"):
        st.add({"__name__": "w"}, None, [1, 2, 3], t_ms=t_ms.astype(float))


@pytest.mark.parametrize(("expr", "names"), [
    ('sum by (a) (rate(x_total{a="b"}[5m])) / sum(y) > 0.8', {"x_total", "y"}),
    ("abs(a - b) > 0", {"a", "b"}),
    ("increase(z[15m]) > 0.1", {"z"}),
    ("-(q)", {"q"}),
    ("max_over_time(w[5m]) * on(a) group_left(b) v", {"v", "w"}),
    ("scalar(n) + 1", {"n"}),
    ("absent(up)", {"up"}),
    ('{__name__="exact", job="j"}', {"exact"}),
    ("1 + 2", set()),
    ('{__name__=~"x.*"}', None),  # any series may match
    ('a + {__name__=~"x.*"}', None),
])
def test_metric_names_of_a_query(expr: str, names: set[str] | None):
    assert Query(expr).metric_names() == names


def test_appending_one_scrape_at_a_time_is_linear():
    import time

    st = SeriesStore()
    t0 = time.perf_counter()
    for i in range(20000):
        st.add({"__name__": "x", "pod": "a"}, [i * 30.0], [float(i)])
    s = st.get({"__name__": "x", "pod": "a"})
    assert s is not None and len(s.t_ms) == 20000 and s.v[-1] == 19999
    assert time.perf_counter() - t0 < 10


def test_overlay_shares_series_but_not_additions():
    st = SeriesStore()
    st.add({"__name__": "x"}, [0], [1])
    ov = st.overlay()
    ov.add({"__name__": "x"}, [30], [2])
    ov.add({"__name__": "y"}, [0], [5])
    assert st.get({"__name__": "x"}).t.tolist() == [0]
    assert ov.get({"__name__": "x"}).t.tolist() == [0, 30] and st.get({"__name__": "y"}) is None
    st.add({"__name__": "x"}, [60], [3])  # and the other way round
    assert st.get({"__name__": "x"}).t.tolist() == [0, 60]
    assert ov.get({"__name__": "x"}).t.tolist() == [0, 30]


# --- selectors ---------------------------------------------------------------------------


@pytest.fixture
def pods() -> SeriesStore:
    st = SeriesStore()
    for pod, v in (("web-1", 1), ("web-2", 2), ("web", 3), ("api-1", 4)):
        st.add({"__name__": "up", "pod": pod, "zone": "a" if v < 3 else ""}, [0], [v])
    st.add({"__name__": "down", "pod": "web-1"}, [0], [9])
    return st


@pytest.mark.parametrize(("expr", "pods_"), [
    ('up{pod="web"}', ["web"]),
    ('up{pod!="web"}', ["api-1", "web-1", "web-2"]),
    ('up{pod=~"web"}', ["web"]),  # anchored: not web-1
    ('up{pod=~"web-.*"}', ["web-1", "web-2"]),
    ('up{pod=~"eb.*"}', []),
    ('up{pod!~"web.*"}', ["api-1"]),
    ('up{zone=""}', ["api-1", "web"]),  # a missing label is the empty string
    ('up{zone!=""}', ["web-1", "web-2"]),
    ('up{zone=~"a|"}', ["api-1", "web", "web-1", "web-2"]),
    ('{__name__=~"up|down", pod="web-1"}', ["web-1", "web-1"]),
    (r'up{pod=~"web-\\d"}', ["web-1", "web-2"]),
    ('up{pod=~"(?i)WEB"}', ["web"]),
])
def test_matchers(pods, expr, pods_):
    got = at(expr, pods, 10)
    assert sorted(dict(k)["pod"] for k in got) == pods_


def test_regex_classes_are_ascii_as_in_re2():
    st = SeriesStore()
    st.add({"__name__": "x", "d": "٣"}, [0], [1])  # an Arabic-Indic digit
    st.add({"__name__": "x", "d": "3"}, [0], [2])
    assert list(at(r'x{d=~"\\d"}', st, 1).values()) == [2]


def test_lookback_window_is_closed_at_five_minutes():
    st = SeriesStore()
    st.add({"__name__": "g"}, [0, 600], [1, 2])
    assert one("g", st, 300) == 1  # the sample 300 s old is still seen (2.x: closed window)
    assert at("g", st, 300.001) == {}
    assert at("g", st, -0.001) == {}  # nothing yet
    assert at("g", st, 599.999) == {}
    assert one("g", st, 600) == 2
    assert at("g", st, 200) == {L(__name__="g"): 1.0}
    r = Query("g").instant(st, 400, lookback_delta=500)
    assert [s.value for s in r] == [1.0]


def test_staleness_marker_ends_a_series_at_once():
    st = SeriesStore()
    st.add({"__name__": "g"}, [0, 30, 60], [1, STALE_NAN, 3])
    assert is_stale(st.get({"__name__": "g"}).v).tolist() == [False, True, False]
    assert one("g", st, 29.999) == 1
    assert at("g", st, 30) == {} and at("g", st, 59) == {}
    assert one("g", st, 60) == 3
    # Range selectors skip markers: two real samples in the last minute at 60 s.
    assert one("count_over_time(g[1m])", st, 60) == 2
    assert one("last_over_time(g[40s])", st, 40) == 1
    # An ordinary NaN is a value, not a marker.
    st.add({"__name__": "n"}, [0], [float("nan")])
    assert math.isnan(one("n", st, 10))


def test_offset_moves_the_evaluation_time():
    st = SeriesStore()
    st.add({"__name__": "g"}, *minutes(1, 2, 3, 4))
    assert one("g offset 2m", st, 180) == 2
    assert one("g offset -1m", st, 60) == 3
    assert one("sum_over_time(g[1m] offset 1m)", st, 180) == 2 + 3


# --- rate, increase, delta ---------------------------------------------------------------


def test_rate_extrapolates_to_the_window_edges():
    # The HighCPU case of tests/manifests/test_alerts_promtool.py: 54 per minute from 1000.
    st = SeriesStore()
    st.add({"__name__": "c_total"}, *minutes(*(1000 + 54 * np.arange(10))))
    # At 3m: samples 0..3m span 180 s; the first is 120 s (>= 1.1 x 60 s) from the window
    # start: extrapolated by half an interval, 30 s; the end is on the last sample.
    assert one("rate(c_total[5m])", st, 180) == pytest.approx(162 * 210 / 180 / 300)
    assert one("rate(c_total[5m])", st, 180) == pytest.approx(0.63)
    # At 4m the first sample is 60 s (< 66 s) from the start: extrapolated all the way.
    assert one("rate(c_total[5m])", st, 240) == pytest.approx(0.9)
    assert one("increase(c_total[5m])", st, 240) == pytest.approx(270)
    # At 4m30s the end is 30 s after the last sample (< 66 s): extrapolated to the end.
    assert one("increase(c_total[5m])", st, 270) == pytest.approx(54 * 4 * 300 / 240)
    # One sample in the window: no rate.
    assert at("rate(c_total[1m])", st, 30) == {}
    assert at("rate(c_total[30s])", st, 90) == {}


def test_counter_zero_point_limits_the_start_extrapolation():
    st = SeriesStore()
    st.add({"__name__": "a_total"}, *minutes(0, 1, 2))  # starts at zero: no extrapolation
    assert one("increase(a_total[5m])", st, 120) == 2
    # 10, 20, 30: the zero point is 60 s before the first sample, under 1.1 x 60 s, so 2.x
    # extrapolates by 60 s (3.x would apply the threshold first and take 30 s).
    st.add({"__name__": "b_total"}, *minutes(10, 20, 30))
    assert one("increase(b_total[5m])", st, 120) == pytest.approx(20 * 180 / 120)
    # delta() is not a counter: no zero point, half an interval.
    st.add({"__name__": "g"}, *minutes(5, 3, 1))
    assert one("delta(g[5m])", st, 120) == pytest.approx(-4 * 150 / 120)


def test_counter_resets_add_the_value_before_the_drop():
    st = SeriesStore()
    st.add({"__name__": "c_total"}, *minutes(10, 20, 5, 15, 2, 4))
    # Window [0, 3m] holds 10, 20, 5, 15: 15 - 10 + 20 = 25, no extrapolation needed.
    assert one("increase(c_total[3m])", st, 180) == 25
    assert one("rate(c_total[3m])", st, 180) == pytest.approx(25 / 180)
    # Two resets: 20 -> 5 and 15 -> 2 over 0..5m: 4 - 10 + 20 + 15 = 29.
    assert one("increase(c_total[5m])", st, 300) == 29
    # A window starting just after a reset does not count it.
    assert one("increase(c_total[2m])", st, 240) == pytest.approx((2 - 5 + 15) * 1.0)
    # delta ignores resets.
    assert one("delta(c_total[3m])", st, 180) == 5


def test_irate_and_idelta_use_the_last_two_samples():
    st = SeriesStore()
    st.add({"__name__": "c_total"}, [0, 60, 90], [100, 160, 40])
    assert one("irate(c_total[1m])", st, 60) == 1.0
    assert one("irate(c_total[5m])", st, 90) == pytest.approx(40 / 30)  # reset: the new value
    assert one("idelta(c_total[5m])", st, 90) == -120
    assert at("irate(c_total[10s])", st, 90) == {}


# --- *_over_time ---------------------------------------------------------------------------


def test_over_time_functions():
    st = SeriesStore()
    st.add({"__name__": "g", "k": "v"}, *minutes(1, 4, 2, 8))
    want = {"avg": 3.75, "min": 1, "max": 8, "sum": 15, "count": 4, "last": 8, "present": 1,
            "stdvar": np.var([1, 4, 2, 8]), "stddev": np.std([1, 4, 2, 8])}
    for f, v in want.items():
        r = at(f"{f}_over_time(g[3m])", st, 180)
        assert r == {L(k="v", **({"__name__": "g"} if f == "last" else {})): pytest.approx(v)}, f
    assert one("avg_over_time(g[1m])", st, 180) == 5  # [2m, 3m]: both ends in
    nan = float("nan")
    st.add({"__name__": "n", "k": "a"}, *minutes(nan, 1))
    st.add({"__name__": "n", "k": "b"}, *minutes(1, nan))
    st.add({"__name__": "n", "k": "c"}, *minutes(nan, nan))
    mx = at("max_over_time(n[5m])", st, 60)
    assert mx[L(k="a")] == 1 and mx[L(k="b")] == 1 and math.isnan(mx[L(k="c")])
    st.add({"__name__": "i"}, *minutes(1, float("inf"), 2))
    assert one("avg_over_time(i[5m])", st, 120) == float("inf")
    assert one("sum_over_time(i[5m])", st, 120) == float("inf")


def test_kahan_summation_as_prometheus():
    st = SeriesStore()
    st.add({"__name__": "g"}, *minutes(1e16, 1.0, -1e16, 1.0))
    assert one("sum_over_time(g[5m])", st, 180) == 2.0  # a naive sum gives 1.0 or 0.0


# --- aggregations ----------------------------------------------------------------------------


@pytest.fixture
def reqs() -> SeriesStore:
    st = SeriesStore()
    for pod, code, v in (("a", "200", 10), ("a", "500", 1), ("b", "200", 20), ("b", "500", 3)):
        st.add({"__name__": "req_total", "pod": pod, "code": code, "job": "app"}, [0], [v])
    return st


def test_aggregations(reqs):
    assert at("sum by (pod) (req_total)", reqs, 1) == {L(pod="a"): 11, L(pod="b"): 23}
    assert at("sum without (pod, job) (req_total)", reqs, 1) == {L(code="200"): 30,
                                                                  L(code="500"): 4}
    assert at("sum(req_total)", reqs, 1) == {(): 34}
    assert at("avg by (code) (req_total)", reqs, 1) == {L(code="200"): 15, L(code="500"): 2}
    assert at("min by (code) (req_total)", reqs, 1) == {L(code="200"): 10, L(code="500"): 1}
    assert at("max(req_total)", reqs, 1) == {(): 20}
    assert at("count by (job) (req_total)", reqs, 1) == {L(job="app"): 4}
    assert at("group by (pod) (req_total)", reqs, 1) == {L(pod="a"): 1, L(pod="b"): 1}
    assert at("stdvar by (pod) (req_total)", reqs, 1) == {L(pod="a"): 20.25, L(pod="b"): 72.25}
    assert at("stddev by (pod) (req_total)", reqs, 1) == {L(pod="a"): 4.5, L(pod="b"): 8.5}
    assert at("sum by (nope) (req_total)", reqs, 1) == {(): 34}  # missing label: one group
    assert at("sum without () (req_total)", reqs, 1)[L(pod="a", code="200", job="app")] == 10


def test_avg_and_extremes_with_infinities_and_nan():
    st = SeriesStore()
    for k, v in (("a", float("inf")), ("b", 1.0), ("c", float("-inf")), ("d", float("nan"))):
        st.add({"__name__": "g", "k": k, "grp": "x" if k in "ab" else "y"}, [0], [v])
    assert at("avg by (grp) (g)", st, 1)[L(grp="x")] == float("inf")
    assert math.isnan(at("avg(g)", st, 1)[()])
    assert at("max by (grp) (g)", st, 1)[L(grp="y")] == float("-inf")  # NaN loses to -Inf
    assert at("min by (grp) (g)", st, 1)[L(grp="x")] == 1


# --- binary operators --------------------------------------------------------------------------


def test_one_to_one_matching_and_name_dropping(reqs):
    st = reqs
    st.add({"__name__": "lim", "pod": "a", "code": "200", "job": "app"}, [0], [100])
    assert at("req_total / lim", st, 1) == {L(pod="a", code="200", job="app"): 0.1}
    assert at("req_total / on (pod, code) lim", st, 1) == {L(pod="a", code="200"): 0.1}
    assert at("req_total / ignoring (job) lim", st, 1) == {L(pod="a", code="200"): 0.1}
    # Comparisons keep the left side's name and value; bool drops the name.
    assert at("req_total > 5", st, 1) == {
        L(__name__="req_total", pod="a", code="200", job="app"): 10,
        L(__name__="req_total", pod="b", code="200", job="app"): 20}
    assert at('req_total{pod="a"} > bool 5', st, 1) == {
        L(pod="a", code="200", job="app"): 1, L(pod="a", code="500", job="app"): 0}
    # A scalar on the left of a comparison still returns the vector's value.
    assert at('2 < req_total{pod="a"}', st, 1) == {
        L(__name__="req_total", pod="a", code="200", job="app"): 10}
    assert at('req_total{pod="a"} atan2 0', st, 1)[
        L(__name__="req_total", pod="a", code="200", job="app")] == pytest.approx(math.pi / 2)


def test_group_left_and_group_right(reqs):
    st = reqs
    st.add({"__name__": "info", "pod": "a", "node": "n1"}, [0], [1])
    st.add({"__name__": "info", "pod": "b", "node": "n2"}, [0], [1])
    got = at("req_total * on (pod) group_left (node) info", st, 1)
    assert got[L(pod="a", code="500", job="app", node="n1")] == 1
    assert len(got) == 4
    got = at("info * on (pod) group_right req_total", st, 1)
    assert got[L(pod="b", code="200", job="app")] == 20 and len(got) == 4
    frac = at("req_total / ignoring (code) group_left sum without (code) (req_total)", st, 1)
    assert frac[L(pod="b", code="500", job="app")] == pytest.approx(3 / 23)


def test_matching_errors(reqs):
    with pytest.raises(PromQLError, match="many-to-many"):
        query_instant("req_total / on (job) req_total", reqs, 1)
    # No error at a step where the other side is empty (VectorBinop returns first).
    assert at("nothing / on (job) req_total", reqs, 1) == {}
    reqs.add({"__name__": "one", "job": "app"}, [0], [2])
    with pytest.raises(PromQLError, match="many-to-one matching must be explicit"):
        query_instant("req_total / on (job) one", reqs, 1)
    assert len(at("req_total / on (job) group_left one", reqs, 1)) == 4
    reqs.add({"__name__": "req2_total", "pod": "a", "code": "200", "job": "app"}, [0, 60], [1, 2])
    reqs.add({"__name__": "req_total", "pod": "a", "code": "200", "job": "app"}, [60], [12])
    with pytest.raises(PromQLError, match="same labelset"):
        query_instant('rate({__name__=~"req_total|req2_total"}[5m])', reqs, 60)
    # Only at the steps where both exist: at 30 s req2 has one sample, no rate, no clash.
    assert len(at('rate({__name__=~"req_total|req2_total"}[30s])', reqs, 30)) == 0


def test_set_operators(reqs):
    st = reqs
    st.add({"__name__": "alive", "pod": "a"}, [0], [1])
    assert sorted(dict(k)["code"] for k in at("req_total and on (pod) alive", st, 1)) == [
        "200", "500"]
    assert {dict(k)["pod"] for k in at("req_total unless on (pod) alive", st, 1)} == {"b"}
    got = at('req_total{code="200"} or on (pod) alive', st, 1)
    assert len(got) == 2  # alive{pod="a"} is dropped: pod a is on the left
    got = at('req_total{pod="b"} or alive', st, 1)
    assert L(__name__="alive", pod="a") in got and len(got) == 3
    assert at("req_total and nothing", st, 1) == {}


def test_scalars_and_unary_minus(reqs):
    assert at("1 + 2 * 3", reqs, 1) == 7.0
    assert at("2 ^ 3 ^ 2", reqs, 1) == 512.0  # right-associative
    assert at("7 % -3", reqs, 1) == 1.0  # math.Mod keeps the dividend's sign
    assert at("-7 % 3", reqs, 1) == -1.0
    assert at("1 > bool 2", reqs, 1) == 0.0
    got = at('-req_total{pod="a"}', reqs, 1)
    assert got == {L(pod="a", code="200", job="app"): -10, L(pod="a", code="500", job="app"): -1}
    assert at("time()", reqs, 12.5) == 12.5
    with pytest.raises(PromQLError):
        Query("1 > 2")  # comparisons between scalars need bool


def test_functions(reqs):
    st = SeriesStore()
    for k, v in (("a", -2.5), ("b", 0.25), ("c", 7.0)):
        st.add({"__name__": "g", "k": k}, [0], [v])
    assert at("abs(g)", st, 1) == {L(k="a"): 2.5, L(k="b"): 0.25, L(k="c"): 7}
    assert at("clamp_min(g, 0)", st, 1) == {L(k="a"): 0, L(k="b"): 0.25, L(k="c"): 7}
    assert at("clamp_max(g, 1)", st, 1) == {L(k="a"): -2.5, L(k="b"): 0.25, L(k="c"): 1}
    assert at("clamp(g, -1, 1)", st, 1) == {L(k="a"): -1, L(k="b"): 0.25, L(k="c"): 1}
    assert at("clamp(g, 1, -1)", st, 1) == {}
    assert at("round(g)", st, 1) == {L(k="a"): -2, L(k="b"): 0, L(k="c"): 7}  # ties go up
    assert at("round(g, 0.5)", st, 1) == {L(k="a"): -2.5, L(k="b"): 0.5, L(k="c"): 7}
    assert at("ceil(g)", st, 1)[L(k="a")] == -2 and at("floor(g)", st, 1)[L(k="a")] == -3
    assert at("sgn(g)", st, 1)[L(k="a")] == -1
    assert at('scalar(g{k="c"})', st, 1) == 7.0
    assert math.isnan(at("scalar(g)", st, 1))
    assert at("vector(3)", st, 1) == {(): 3}
    assert at('absent(g{k="z", j=~"x", l="1", l="2"})', st, 1) == {L(k="z"): 1}
    assert at("absent(g)", st, 1) == {}
    assert at("absent(sum(nothing))", st, 1) == {(): 1}


def test_histogram_quantile():
    st = SeriesStore()
    for le, c in (("0.1", 10), ("0.5", 30), ("+Inf", 40)):
        st.add({"__name__": "h_bucket", "le": le, "pod": "a"}, [0], [c])
    for le, c in (("0.1", 10), ("0.5", 8), ("5e-1", 0), ("+Inf", 40), ("junk", 99)):
        st.add({"__name__": "h_bucket", "le": le, "pod": "b"}, [0], [c])
    for le, c in (("0.1", 10), ("0.5", 30)):
        st.add({"__name__": "h_bucket", "le": le, "pod": "c"}, [0], [c])

    def hq(q: str) -> dict:
        return {dict(k)["pod"]: v for k, v in at(f"histogram_quantile({q}, h_bucket)", st, 1).items()}

    got = hq("0.5")
    assert got["a"] == pytest.approx(0.1 + 0.4 * (10 / 20))  # interpolated in (0.1, 0.5]
    # b: 0.5 and 5e-1 coalesce to 8, raised to 10 (monotonic): rank 20 is in +Inf -> 0.5.
    assert got["b"] == 0.5
    assert math.isnan(got["c"])  # no +Inf bucket
    assert hq("0.1")["a"] == pytest.approx(0.04)
    assert hq("0.9")["a"] == 0.5  # in the +Inf bucket: the highest finite bound
    assert hq("1.5")["a"] == math.inf and hq("-1")["a"] == -math.inf
    assert set(hq("0.5")) == {"a", "b", "c"}  # __name__ and le are dropped


def test_range_results_and_dense():
    st = SeriesStore()
    st.add({"__name__": "g"}, [0, 400], [1, 2])
    r = query_range("g", st, 0, 800, 100)
    assert r.kind == "vector" and r.times.tolist() == [0, 100, 200, 300, 400, 500, 600, 700, 800]
    (s,) = r.series
    assert s.labels == {"__name__": "g"} and s.t.tolist() == [0, 100, 200, 300, 400, 500, 600,
                                                              700]
    d = r.dense({"__name__": "g"})
    assert d[:4].tolist() == [1, 1, 1, 1] and math.isnan(d[-1])
    assert np.isnan(r.dense({"__name__": "h"})).all()
    sc = query_range("time() * 2", st, 0, 200, 100)
    assert sc.kind == "scalar" and sc.scalar.tolist() == [0, 200, 400]
    with pytest.raises(ValueError, match="increase"):
        Query("g").range(st, [10, 5])


def test_range_evaluation_equals_instant_queries(monkeypatch):
    """Evaluating many steps at once (in chunks) gives what instant queries give."""
    monkeypatch.setattr(promql, "_CHUNK_STEPS", 7)
    rng = np.random.default_rng(3)
    st = SeriesStore()
    for pod in "abc":
        t = np.sort(rng.choice(np.arange(0, 3600, 15.0), 150, replace=False))
        v = np.cumsum(rng.uniform(0, 10, len(t)))
        v[len(v) // 2:] -= v[len(v) // 2]  # a reset
        st.add({"__name__": "c_total", "pod": pod, "grp": "x" if pod != "c" else "y"}, t, v)
        st.add({"__name__": "g", "pod": pod}, t, rng.normal(0, 1, len(t)))
    times = np.arange(0, 3600, 37.0)
    for expr in ("rate(c_total[2m])", "sum by (grp) (increase(c_total[5m]))",
                 "g > 0.5", "avg_over_time(g[3m]) - on (pod) g", "g unless g < 0",
                 "max(g) > bool 1"):
        r = Query(expr).range(st, times)
        for i in rng.choice(len(times), 15, replace=False):
            inst = at(expr, st, float(times[i]))
            from_range = {tuple(sorted(s.labels.items())): float(s.v[s.t == times[i]][0])
                          for s in r.series if (s.t == times[i]).any()}
            assert inst == pytest.approx(from_range, nan_ok=True), (expr, times[i])


# --- what is not supported ---------------------------------------------------------------------


@pytest.mark.parametrize(("expr", "construct"), [
    ("rate(x[5m:1m])", "subquery"),
    ("max_over_time(rate(x[1m])[5m:])", "subquery"),
    ("x @ 100", "@ modifier"),
    ("topk(2, x)", "topk"),
    ("quantile(0.9, x)", "quantile"),
    ('count_values("v", x)', "count_values"),
    ("deriv(x[5m])", "function deriv()"),
    ('label_replace(x, "a", "$1", "b", "(.*)")', "label_replace"),
    ("changes(x[5m])", "changes"),
    ("predict_linear(x[5m], 60)", "predict_linear"),
    ("sort(x)", "sort"),
    ("timestamp(x)", "timestamp"),
    ("x[5m]", "range selectors are only supported as arguments"),
    ('x{a="b" or c="d"}', "'or' inside label matchers"),
])
def test_unsupported_constructs_raise_naming_expression_and_construct(expr, construct):
    with pytest.raises(UnsupportedPromQL) as e:
        Query(expr)
    assert expr in str(e.value) and construct in str(e.value)
    assert e.value.expr == expr


def test_parse_errors():
    for bad in ("rate(x)", "sum(", '{a=""}', "x +"):
        with pytest.raises(PromQLError, match="cannot parse"):
            Query(bad)
    with pytest.raises(PromQLError, match="regex"):
        query_instant(r'x{a=~"\\pL"}', SeriesStore(), 0)
