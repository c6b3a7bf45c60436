"""Overload: the fluid backlog of the serving model (DESIGN §10), worked by hand.

One pod (or two) with one worker (``concurrency: 1``) on 2 cores and w = 0.1 CPU-seconds
per request, so mu = 10 requests/s per pod and every request in service has a core. The
load steps from 5 to 15 requests/s per pod at t = 600 s and back to 5 at t = 1200 s; the
run lasts 2400 s. No HPA, no cluster, ``latency: 0``.

Hand-worked (per pod):

* before 600 s: M/M/1 at rho = 0.5, rho / (1 - rho) = 1 request in the pod, T ~ Exp(5/s);
* 600..1200 s: the backlog starts at the steady mean, B = 1, and grows at lam - mu = 5/s:
  B(t) = 1 + 5 (t - 600), 3001 at 1200 s. An arrival that finds B waits for the B - 1
  ahead of the one in service, (B - 1) / mu, then works w: r(t) = 0.5 (t - 600) + 0.1 s;
* from 1200 s: the backlog drains at mu - lam = 5/s: B(t) = 3001 - 5 (t - 1200) and
  r(t) = 300.1 - 0.5 (t - 1200), until B is back at the steady mean 1 at 1800 s;
* after 1800 s: M/M/1 at rho = 0.5 again.

The timeseries has one row per HPA sync (every 15 s, at a phase drawn from the seed); a
row's ``latency_p50`` / ``latency_p99`` are over the requests that arrived since the row
before, ``inflight`` is the state at the row's time. Expected values are computed at the
rows' own times from the formulas above.

Tolerances:

* ``EXACT = 1e-9`` (relative) for the backlog, counts and Little's law: the fluid is
  linear, so the model's numbers are these formulas up to rounding;
* ``QUANTILE = 1e-6`` for the run's percentiles: refined by bisection on the exact mixture
  (serving.py ``_Mixture.quantile``), far below any error of the formulas;
* ``ROW = 0.01`` for the per-row percentiles: the model reads them off its 16-a-decade grid
  by interpolation, "about 1 %" by its own docstring (ServingModel.finish);
* ``TRAPEZOID = 5e-3`` for the run's mean over answered requests when there is a timeout
  (the trapezoid rule on the grid; see test_serving_closed_forms.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import capacity
from tests.sim.reference_queue import serving_scenario

EXACT = 1e-9
QUANTILE = 1e-6
ROW = 0.01
TRAPEZOID = 5e-3
W = 0.1
MU = 1 / W
T_UP, T_DOWN, T_END = 600.0, 1200.0, 2400.0
SYNC = 15.0


def run_step(demand: dict[str, Any], replicas: int = 1, cpu_limit: str = "2") -> Any:
    """5 -> 15 -> 5 requests/s per pod; returns (timeseries, outcome)."""
    n = replicas
    load = {"steps": [{"at": 0, "rps": 5 * n}, {"at": T_UP, "rps": 15 * n},
                      {"at": T_DOWN, "rps": 5 * n}], "resolution": "1s"}
    sc = serving_scenario({"cpuPerRequest": W, **demand}, load, replicas=n,
                          cpu_limit=cpu_limit, duration=f"{T_END:g}s")
    res = capacity.simulate(sc, runs=1, seed=1)
    return res.timeseries, res.outcomes[0]


def backlog(t: np.ndarray, cap: float = math.inf) -> np.ndarray:
    """Requests in one pod at t (module docstring), the queue capped at ``cap``."""
    t = np.asarray(t, dtype=float)
    up = np.minimum(1 + 5 * (t - T_UP), cap)
    peak = min(1 + 5 * (T_DOWN - T_UP), cap)
    down = np.maximum(peak - 5 * (t - T_DOWN), 1.0)
    return np.where(t < T_UP, 1.0, np.where(t <= T_DOWN, up, down))


def response(b: np.ndarray) -> np.ndarray:
    """Response time of an arrival that finds b requests: (b - 1) / mu + w."""
    return (np.asarray(b) - 1) / MU + W


def inside(ts: Any, lo: float, hi: float) -> Any:
    """Rows whose arrival interval (t - 15 s, t] lies within (lo, hi)."""
    t = ts["time"].to_numpy()
    return ts[(t - SYNC > lo) & (t < hi)]


# --- growth and drain, no limit, no timeout -------------------------------------------------------


@pytest.mark.parametrize(("demand", "cpu_limit"), [({"concurrency": 1}, "2"), ({}, "1")])
def test_backlog_grows_at_lambda_minus_mu_and_drains_at_mu_minus_lambda(
        demand: dict[str, Any], cpu_limit: str) -> None:
    # FCFS with one worker, or processor sharing of one core (no concurrency, limit 1):
    # either way mu = 1 / w = 10/s and the mean in the pod at rho = 0.5 is 1.
    ts, out = run_step(demand, cpu_limit=cpu_limit)
    t = ts["time"].to_numpy()
    np.testing.assert_allclose(ts["inflight"].to_numpy(), backlog(t), rtol=EXACT)
    # Nothing is lost: 5 x 600 + 15 x 600 + 5 x 1200 = 18000 requests, all answered.
    ig = out.integrals
    assert ig.offered_requests == pytest.approx(18000.0, rel=EXACT)
    assert ig.served_requests == pytest.approx(18000.0, rel=EXACT)
    assert sum(ig.errors.values()) == pytest.approx(0.0, abs=1e-9)
    # The pod never completes more than mu: capacity_rps is 10 throughout.
    assert (ts["capacity_rps"] == MU).all()


def test_run_latency_over_the_overload_by_hand() -> None:
    # 6000 requests in the steady phases, T ~ Exp(5/s) (mean 0.2 s); 12000 in the fluid
    # (9000 while it grows, 3000 while it drains), their response times spread evenly over
    # [0.1, 300.1] s in both. Mean: (6000 x 0.2 + 12000 x 150.1) / 18000 = 100.1333 s.
    # Percentiles: F(t) = (6000 (1 - e^(-5t)) + 12000 (t - 0.1) / 300) / 18000; the
    # exponential part is complete (e^(-5t) < 1e-30 beyond 15 s), so
    # p50: 12000 (t - 0.1) / 300 = 3000  -> t = 75.1 s;
    # p90: 12000 (t - 0.1) / 300 = 10200 -> t = 255.1 s;
    # p99: 12000 (t - 0.1) / 300 = 11820 -> t = 295.6 s.
    _, out = run_step({"concurrency": 1})
    lat = out.extra["latency"]
    assert lat["mean"] == pytest.approx((6000 * 0.2 + 12000 * 150.1) / 18000, rel=EXACT)
    assert lat["p50"] == pytest.approx(75.1, rel=QUANTILE)
    assert lat["p90"] == pytest.approx(255.1, rel=QUANTILE)
    assert lat["p99"] == pytest.approx(295.6, rel=QUANTILE)
    # Little: the integral of the backlog is the sum of response times. Triangle of
    # base 1200 s and height 3000 plus the steady 1 request over 2400 s:
    # 1200 x 3000 / 2 + 2400 = 1802400 request-seconds = 18000 x 100.1333.
    assert out.integrals.inflight_seconds == pytest.approx(1802400.0, rel=EXACT)
    assert out.integrals.inflight_seconds == pytest.approx(lat["sum"], rel=EXACT)


def test_row_latency_follows_the_backlog() -> None:
    # A row's arrivals in (t - 15, t] find B from B(t - 15) to B(t): their response times
    # run evenly from r(t - 15) to r(t), so its q-quantile is r0 + q (r1 - r0) (growing)
    # or r1 + (1 - q) (r0 - r1) (draining: the later arrivals are the faster ones).
    ts, _ = run_step({"concurrency": 1})
    for lo, hi in ((T_UP, T_DOWN), (T_DOWN, 1800.0)):
        rows = inside(ts, lo, hi)
        t = rows["time"].to_numpy()
        r0, r1 = response(backlog(t - SYNC)), response(backlog(t))
        a, b = np.minimum(r0, r1), np.maximum(r0, r1)
        np.testing.assert_allclose(rows["latency_p50"], a + 0.5 * (b - a), rtol=ROW)
        np.testing.assert_allclose(rows["latency_p99"], a + 0.99 * (b - a), rtol=ROW)


def test_latency_returns_to_the_steady_values_after_the_drain() -> None:
    # Rows before the overload and after the drain ends (1800 s): M/M/1 at rho = 0.5,
    # p50 = ln 2 x 0.2 = 0.1386 s, p99 = ln 100 x 0.2 = 0.9210 s (ROW: grid interpolation).
    ts, _ = run_step({"concurrency": 1})
    for rows in (inside(ts, 0.0, T_UP), inside(ts, 1800.0, T_END)):
        assert len(rows) > 10
        np.testing.assert_allclose(rows["latency_p50"], math.log(2) * 0.2, rtol=ROW)
        np.testing.assert_allclose(rows["latency_p99"], math.log(100) * 0.2, rtol=ROW)
        np.testing.assert_allclose(rows["inflight"], 1.0, rtol=EXACT)
        np.testing.assert_allclose(rows["error_rps"], 0.0, atol=1e-9)


def test_two_pods_split_the_load_evenly() -> None:
    # 30/s over two pods: each gets 15/s, so each backlog is B(t) and the Service's
    # in-flight count is 2 B(t): it grows at 2 x (15 - 10) = 10/s.
    ts, out = run_step({"concurrency": 1}, replicas=2)
    t = ts["time"].to_numpy()
    np.testing.assert_allclose(ts["inflight"].to_numpy(), 2 * backlog(t), rtol=EXACT)
    assert out.extra["latency"]["p99"] == pytest.approx(295.6, rel=QUANTILE)


# --- a queue limit --------------------------------------------------------------------------------


def full_queue_response(rho: float, n: int, q: float) -> float:
    """The q-quantile of an accepted request's response time in stationary M/M/1/N (FCFS,
    mu = 10/s): it finds k requests (k = 0..N-1) with probability proportional to rho^k and
    leaves after k + 1 services, an Erlang(k + 1, mu) time."""
    from scipy import optimize, stats

    k = np.arange(n)
    logw = k * math.log(rho)
    wts = np.exp(logw - logw.max())
    wts /= wts.sum()
    keep = wts > 1e-15
    ks, ps = k[keep], wts[keep]

    def cdf(t: float) -> float:
        return float(ps @ stats.gamma.cdf(t, ks + 1, scale=1 / MU))

    return optimize.brentq(lambda t: cdf(t) - q, 1e-6, 10 * n / MU, xtol=1e-10)


def test_queue_limit_caps_the_backlog_and_rejects_the_excess() -> None:
    # queueLimit 999: at most N = 1 + 999 = 1000 requests in the pod. Before 600 s the
    # steady M/M/1/1000 at rho = 0.5 holds 1 (to 1e-298). B = 1 + 5 (t - 600) grows until
    # the queue is full. At rho = 1.5 the stationary M/M/1/1000 holds
    # rho / (1 - rho) - (N + 1) rho^(N+1) / (1 - rho^(N+1)) = -3 + 1001 = 998 on average
    # (to 1e-170) and rejects p_block = (1 - rho) rho^N / (1 - rho^(N+1)) = 1/3 of the
    # arrivals: 5/s, lam - mu, while it serves mu = 10/s. The fluid gets there at
    # 600 + 997 / 5 = 799.4 s (a fluid capped at N itself: 1000 at 799.8 s); the
    # rejections are then 5 x (1200 - 799.4) = 2003 (2001). Tolerances: the full backlog
    # within 0.3 % of 998 and the rejections within 0.1 % of 2002 admit either.
    ts, out = run_step({"concurrency": 1, "queueLimit": 999})
    growing = inside(ts, T_UP, 799.0)
    np.testing.assert_allclose(growing["inflight"], backlog(growing["time"]), rtol=EXACT)
    full = inside(ts, 800.0, T_DOWN)
    assert len(full) > 20
    np.testing.assert_allclose(full["inflight"], 998.0, rtol=3e-3)
    ig = out.integrals
    assert ig.errors["rejected"] == pytest.approx(2002.0, rel=1e-3)
    assert ig.served_requests + ig.errors["rejected"] == pytest.approx(18000.0, rel=EXACT)
    assert ig.errors["timeout"] == 0.0
    # while full: rejected at 15 - 10 = 5/s, served at mu; nothing rejected before
    np.testing.assert_allclose(full["error_rps"], 5.0, rtol=1e-6)
    np.testing.assert_allclose(full["served_rps"], MU, rtol=1e-6)
    np.testing.assert_allclose(inside(ts, 0.0, 799.0)["error_rps"], 0.0, atol=1e-9)


def test_a_full_queue_drains_after_the_load_drops() -> None:
    ts, _ = run_step({"concurrency": 1, "queueLimit": 999})
    # After 1200 s the full queue drains at mu - lam = 5/s: B = 998 - 5 (t - 1200) (or
    # from 1000: 2.5 requests allowed), back at the steady mean 1 near 1399.4 s; nothing
    # more is rejected.
    draining = inside(ts, T_DOWN, 1390.0)
    assert len(draining) > 10
    np.testing.assert_allclose(draining["inflight"], 998.0 - 5 * (draining["time"] - T_DOWN),
                               rtol=0, atol=2.5)
    np.testing.assert_allclose(inside(ts, T_DOWN, T_END)["error_rps"], 0.0, atol=1e-9)
    after = inside(ts, 1410.0, T_END)
    np.testing.assert_allclose(after["inflight"], 1.0, rtol=EXACT)


def test_latency_at_a_full_queue() -> None:
    # An arrival accepted by the full queue (stationary M/M/1/1000 at rho = 1.5) finds k
    # requests with P(k) ~ 1.5^k, k < 1000 (k = 997 on average), and waits for all of them:
    # Erlang(k + 1, 10/s), mean ~99.8 s, sd ~3.2 s. p50 from that mixture within ROW; the
    # fluid gives every such arrival the same 100.0 s, so p99 (2.3 sd above the mean, ~107
    # s) is allowed 10 %: the spread of a sum of ~1000 services is what a fluid leaves out.
    ts, _ = run_step({"concurrency": 1, "queueLimit": 999})
    full = inside(ts, 800.0, T_DOWN)
    np.testing.assert_allclose(full["latency_p50"], full_queue_response(1.5, 1000, 0.5),
                               rtol=ROW)
    np.testing.assert_allclose(full["latency_p99"], full_queue_response(1.5, 1000, 0.99),
                               rtol=0.10)


# --- a client timeout, no queue limit -------------------------------------------------------------


def test_timeout_sheds_the_arrivals_whose_wait_passes_it() -> None:
    # timeout 30 s: an arrival times out when r(t) > 30 s. Growing: 0.5 (t - 600) + 0.1 >
    # 30 from t = 659.8 s, so 15 x (1200 - 659.8) = 8103 time out; draining: 300.1 -
    # 0.5 (t - 1200) > 30 until t = 1740.2 s, so 5 x 540.2 = 2701 more: 10804 timeouts.
    # The pod still works through them: the backlog is the same as without a timeout.
    # Answered: 18000 - 10804 = 7196: 6000 steady (Exp(5/s), P(T > 30 s) = e^-150) and
    # 15 x 59.8 + 5 x 59.8 = 1196 fluid ones spread evenly over [0.1, 30] s.
    # Mean (6000 x 0.2 + 1196 x 15.05) / 7196 = 2.66812 s; p99: 99 % of 7196 = 7124.04,
    # 6000 + 1196 (t - 0.1) / 29.9 = 7124.04 -> t = 28.201 s.
    ts, out = run_step({"concurrency": 1, "timeout": 30})
    t = ts["time"].to_numpy()
    np.testing.assert_allclose(ts["inflight"].to_numpy(), backlog(t), rtol=EXACT)
    ig, lat = out.integrals, out.extra["latency"]
    assert ig.errors["timeout"] == pytest.approx(10804.0, rel=QUANTILE)
    assert ig.served_requests == pytest.approx(7196.0, rel=QUANTILE)
    assert ig.errors["rejected"] == 0.0
    assert lat["mean"] == pytest.approx((6000 * 0.2 + 1196 * 15.05) / 7196, rel=TRAPEZOID)
    assert lat["p99"] == pytest.approx(0.1 + 1124.04 / 1196 * 29.9, rel=QUANTILE)
    # Little still holds for everything the pod accepted (timed out or not): the backlog's
    # integral is 1802400 request-seconds, as without a timeout.
    assert ig.inflight_seconds == pytest.approx(1802400.0, rel=EXACT)


def test_row_error_rate_shows_when_the_timeouts_begin() -> None:
    # Rows whose arrivals all come before 659.8 s (r < 30 s): no timeouts; rows between
    # 659.8 and 1200 s: all 15/s time out; between 1200 and 1740.2 s: all 5/s.
    ts, _ = run_step({"concurrency": 1, "timeout": 30})
    np.testing.assert_allclose(inside(ts, T_UP, 659.8)["error_rps"], 0.0, atol=1e-6)
    np.testing.assert_allclose(inside(ts, 659.8, T_DOWN)["error_rps"], 15.0, rtol=1e-6)
    np.testing.assert_allclose(inside(ts, T_DOWN, 1740.2)["error_rps"], 5.0, rtol=1e-6)


def one_pod_alone(work: float, cores: float, record: bool = True) -> Any:
    """A ServingModel with one pod of ``cores``: one worker, exponential work ``work``,
    an unbounded queue, nothing else (no fixed part, no memory, no limits)."""
    from types import SimpleNamespace

    from capacity.sim.serving import ServingModel, ServingParams

    inf = math.inf
    params = ServingParams(work=work, cv=1.0, fixed=0.0, concurrency=1.0, queue_limit=inf,
                           timeout=inf, base_cpu=0.0, base_memory=0.0,
                           memory_per_inflight=0.0, rate_cap=inf)
    srv = ServingModel(params, record_segments=record)
    srv.add_pod(SimpleNamespace(cls=None, cum=0.0, s0=0.0, spot=False), cores, 0.0)
    return srv


@pytest.mark.parametrize("cores", [1e-12, 1e-13, 1e-300])
@pytest.mark.parametrize("load", [0.999, 1.0, 1.001, 5e12])
def test_a_pod_with_next_to_no_cpu_near_capacity_is_still_a_queue(cores: float,
                                                                  load: float) -> None:
    # CPU shares can leave a pod a rounding residue of a core. Its queue near capacity
    # (where the slow fill inverts the stationary mean, which for so little load is the
    # load itself) must still take a regime, with a growth that is never negative.
    srv = one_pod_alone(0.1, cores)
    srv.update(0.0, load * cores / 0.1, 1)
    (c,) = srv.classes
    assert c.slope >= 0.0 and math.isfinite(c.slope)
    assert c.fluid == (load >= 1.0)


@pytest.mark.parametrize("start", [1e2, 1e5, 6e5])
@pytest.mark.parametrize("load", [0.9995, 1.0, 1.002])
def test_fill_pieces_wake_strictly_later(start: float, load: float) -> None:
    # A fast pod (mu = 10,000/s) fills from its steady queue at half load late in a
    # week: its first pieces last microseconds, under a few ulps of the clock. Each wakeup
    # must lie strictly after the last (a kept piece whose end the backlog missed by
    # rounding once woke at the same instant for ever), and the fill must go on.
    srv = one_pod_alone(1e-4, 1.0, record=False)
    mu = 1e4
    srv.update(0.0, 0.5 * mu, 1)
    srv.advance(0.0, start, 0, 1, 0, 0.5 * mu, -1)
    now, rate = start, load * mu
    srv.update(now, rate, 1)
    b0 = srv.inflight_total(now)
    for _ in range(60):
        nxt = srv.next_transition(now)
        if nxt == math.inf:
            break
        assert nxt > now
        srv.advance(now, nxt, 0, 1, 0, rate, -1)
        now = nxt
        srv.update(now, rate, 1)
    assert srv.inflight_total(now) > b0 + 10
