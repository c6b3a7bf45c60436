"""capacity.analysis.calibrate: fitting workload.demand to series.

The request rates are real traces (tests/data/calibration/SOURCES.md: the World Cup 1998
site on its busiest day, the NASA 1995 server over two days, an AWS ELB over three days
from NAB); the pods, CPU and memory are generated from a known demand with autocorrelated
noise, so the fit must give the demand back. Tolerances are stated where they are used.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capacity.analysis.calibrate import CalibrationError, align, calibrate_demand, fit_line, per_pod

ROOT = Path(__file__).resolve().parents[2]
CAL = ROOT / "tests" / "data" / "calibration"
TRACES = {
    # file, time column, value column, seconds per count (rate = value / this)
    "worldcup98": (CAL / "worldcup98_1998-06-30_per_minute.csv", "period", "count", 60.0),
    "nasa95": (ROOT / "tests" / "data" / "traces" / "nasa_requests_per_minute_2days.csv", "time",
               "number_of_requests", 60.0),
    "nab_elb": (CAL / "nab_elb_request_count_8c0756_3days.csv", "timestamp", "value", 300.0),
}
MIB = 2**20
TRUTH = {"baseCpu": 0.04, "cpuPerRequest": 0.015, "baseMemory": 300 * MIB,
         "memoryPerInflightRequest": 3 * MIB}
LATENCY = 0.2


def real_rate(name: str, peak: float = 200.0) -> tuple[np.ndarray, np.ndarray]:
    """(unix seconds, rps) of a real trace, scaled so that its peak is ``peak`` rps."""
    path, tcol, vcol, per = TRACES[name]
    df = pd.read_csv(path)
    t = (pd.to_datetime(df[tcol], utc=True) - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    rps = df[vcol].to_numpy(dtype=float) / per
    return t, rps * peak / rps.max()


def ar1(n: int, sd: float, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary AR(1) noise with standard deviation ``sd`` (autocorrelated, as real
    residuals of a time series are)."""
    e = np.empty(n)
    e[0] = rng.normal(0, sd)
    innov = rng.normal(0, sd * math.sqrt(1 - phi**2), n)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + innov[i]
    return e


def known_demand(rps_total: np.ndarray, seed: int = 0, cpu_sd: float = 0.008,
                 mem_sd: float = 1.0 * MIB, phi: float = 0.6):
    """Pods as an HPA at 70% of a 250m request would keep them (2 to 20), and per-pod
    CPU and memory from TRUTH with AR(1) noise."""
    rng = np.random.default_rng(seed)
    pods = np.clip(np.ceil(rps_total * TRUTH["cpuPerRequest"] / (0.25 * 0.7)), 2, 20)
    rps_pod = rps_total / pods
    cpu = TRUTH["baseCpu"] + TRUTH["cpuPerRequest"] * rps_pod + ar1(rps_total.size, cpu_sd, phi, rng)
    # in flight = rate x time in the pod (latency + CPU work), Little's law
    inflight = rps_pod * (LATENCY + TRUTH["cpuPerRequest"])
    mem = TRUTH["baseMemory"] + TRUTH["memoryPerInflightRequest"] * inflight + ar1(rps_total.size, mem_sd, phi, rng)
    return pods, cpu, mem


@pytest.mark.parametrize("trace", sorted(TRACES))
def test_recovers_a_known_demand_under_real_traffic(trace):
    t, rps = real_rate(trace)
    pods, cpu, mem = known_demand(rps, seed=7)
    fit = calibrate_demand(t, rps, pods, cpu, latency=LATENCY, memory_per_pod=mem)
    f = fit.fields
    assert fit.cpu.n == t.size and fit.memory.n == t.size
    assert fit.residence == pytest.approx(LATENCY + f["cpuPerRequest"])
    # Tolerances: within 4 Newey-West standard errors (the interval half-width / 1.96 * 4)
    # and within a fixed bound the noise (8m CPU, 1 MiB memory, AR(1) phi 0.6) allows for
    # these ranges of per-pod load: 5% on the slopes, 6m on baseCpu, 2 MiB on baseMemory.
    for got, ci, want, bound in (
            (f["cpuPerRequest"], fit.cpu.slope_ci, TRUTH["cpuPerRequest"], 0.05 * TRUTH["cpuPerRequest"]),
            (f["baseCpu"], fit.cpu.intercept_ci, TRUTH["baseCpu"], 0.006),
            (f["memoryPerInflightRequest"], fit.memory.slope_ci, TRUTH["memoryPerInflightRequest"],
             0.05 * TRUTH["memoryPerInflightRequest"]),
            (f["baseMemory"], fit.memory.intercept_ci, TRUTH["baseMemory"], 2 * MIB)):
        se = (ci[1] - ci[0]) / 2 / 1.96
        assert abs(got - want) <= 4 * se, (trace, got, want, se)
        assert abs(got - want) <= bound, (trace, got, want)
    # noise of 8m against a line: R² well above 0, residual std close to the noise sd
    assert fit.cpu.r2 > 0.5
    assert fit.cpu.residual_std == pytest.approx(0.008, rel=0.15)
    assert fit.memory.residual_std == pytest.approx(MIB, rel=0.15)


def test_newey_west_intervals_cover_the_truth_with_autocorrelated_noise():
    """300 replicates of a line with AR(1) noise (phi 0.6, n 400): the 95% interval must
    cover the true slope in 88% to 99% of them (binomial sd of a 95% rate is 1.3%; plain
    OLS intervals cover about 67% here: the test would fail with them)."""
    rng = np.random.default_rng(11)
    x_base = np.sin(np.linspace(0, 6 * math.pi, 400)) + 1.5
    covered = 0
    for _ in range(300):
        x = x_base + rng.normal(0, 0.05, x_base.size)
        y = 0.1 + 0.02 * x + ar1(x.size, 0.01, 0.6, rng)
        lo, hi = fit_line(x, y).slope_ci
        covered += lo <= 0.02 <= hi
    assert 0.88 <= covered / 300 <= 0.99, covered


def test_exact_line_and_its_figures():
    x = np.arange(20.0)
    f = fit_line(x, 0.05 + 0.01 * x)
    assert (f.intercept, f.slope) == (pytest.approx(0.05), pytest.approx(0.01))
    assert f.r2 == pytest.approx(1.0) and f.residual_std == pytest.approx(0, abs=1e-12)
    assert f.n == 20 and not f.through_origin
    assert np.allclose(f.residuals, 0)


def test_negative_intercept_is_held_at_zero():
    x = np.arange(1.0, 31.0)
    f = fit_line(x, -0.02 + 0.01 * x)
    assert f.through_origin and f.intercept == 0.0 and f.free_intercept == pytest.approx(-0.02)
    # through the origin, the slope absorbs the offset: least squares on x alone
    assert f.slope == pytest.approx(float((x @ (-0.02 + 0.01 * x)) / (x @ x)))
    assert f.intercept_ci == (0.0, 0.0)


@pytest.mark.parametrize(("x", "y", "match"), [
    (np.arange(5.0), np.arange(5.0), "5 usable samples; at least 10"),
    (np.full(30, 2.0), np.arange(30.0), "does not vary"),
    (np.arange(30.0), 1.0 - 0.01 * np.arange(30.0), "does not grow with the request rate"),
    (np.r_[np.arange(8.0), np.nan, np.nan], np.arange(10.0), "8 usable samples"),
])
def test_series_that_cannot_give_a_demand(x, y, match):
    with pytest.raises(CalibrationError, match=match):
        fit_line(x, y, what="CPU")


def test_align_takes_the_nearest_sample_and_leaves_gaps():
    ref = np.array([0.0, 60.0, 120.0, 180.0, 240.0])
    t = np.array([2.0, 58.0, 125.0, 400.0])
    v = np.array([1.0, 2.0, 3.0, 4.0])
    got = align(ref, t, v, tolerance=30.0)
    assert np.array_equal(np.isnan(got), [False, False, False, True, True])
    assert list(got[:3]) == [1.0, 2.0, 3.0]


def test_per_pod_sums_containers_and_counts_pods_that_come_and_go():
    t = np.array([0.0, 60.0, 120.0])
    series = [({"pod": "a", "container": "app"}, t, np.array([0.1, 0.2, 0.3])),
              ({"pod": "a", "container": "proxy"}, t, np.array([0.01, 0.01, 0.01])),
              ({"pod": "b", "container": "app"}, t[1:], np.array([0.4, 0.5]))]
    times, mean, count = per_pod(series)
    assert list(times) == [0.0, 60.0, 120.0]
    assert list(count) == [1, 2, 2]
    assert mean == pytest.approx([0.11, (0.21 + 0.4) / 2, (0.31 + 0.5) / 2])


def test_times_without_pods_are_left_out():
    t = np.arange(40.0) * 60
    rps = np.linspace(10, 50, 40)
    pods = np.where(np.arange(40) < 5, 0, 2)
    cpu = np.where(pods > 0, 0.05 + 0.01 * rps / np.maximum(pods, 1), np.nan)
    fit = calibrate_demand(t, rps, pods, cpu, latency=0.1)
    assert fit.cpu.n == 35 and fit.fields["cpuPerRequest"] == pytest.approx(0.01)
    with pytest.raises(CalibrationError, match="latency must be > 0"):
        calibrate_demand(t, rps, pods, cpu, latency=0.0)
