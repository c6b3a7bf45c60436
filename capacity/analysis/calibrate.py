"""Fit the serving model's demand fields to a team's own series (pure: numpy/scipy, no I/O).

The model (``workload.demand``, DESIGN §10) says a pod serving ``r`` requests per second
uses ``baseCpu + cpuPerRequest * r`` cores and ``baseMemory + memoryPerInflightRequest * q``
bytes, where ``q`` is the requests it holds in flight. By Little's law ``q = r * W`` with
``W`` the time a request spends in the pod: the scenario's ``demand.latency`` (the part
that uses no CPU) plus its CPU work, ``cpuPerRequest`` (the fitted value; no time waiting
for CPU, so the memory fit is for pods that are not saturated). Given per-pod series
of request rate, CPU (cores) and memory (bytes) sampled at the same times, both relations
are straight lines, fitted by least squares:

- CPU per pod = ``baseCpu`` + ``cpuPerRequest`` x requests per second per pod;
- memory per pod = ``baseMemory`` + ``memoryPerInflightRequest`` x in-flight per pod.

Coefficients are kept non-negative, as the scenario requires: when the unconstrained
intercept is negative the line is refitted through the origin (and the fit says so); a
slope that is not positive cannot be a demand and raises :class:`CalibrationError`.
Intervals are 95% t-intervals with Newey-West (HAC, Bartlett kernel) standard errors,
because the residuals of a time series are autocorrelated and plain OLS intervals would
be too narrow; R² is ``1 - SS_res / SS_tot`` about the mean of ``y``.

``per_pod`` turns Prometheus-style series (one per pod, or per pod and container) into
the per-pod mean and the pod count at each time; ``align`` puts series sampled at
slightly different times on one grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


class CalibrationError(ValueError):
    """The series cannot give the demand fields (too few points, no variation, slope <= 0)."""


@dataclass(frozen=True)
class LinearFit:
    """``y = intercept + slope * x`` fitted by least squares, with its residuals."""

    intercept: float
    slope: float
    intercept_ci: tuple[float, float]
    slope_ci: tuple[float, float]
    r2: float
    residual_std: float  # sqrt(SS_res / (n - parameters)), in the unit of y
    n: int
    through_origin: bool  # the intercept was held at 0 (the free fit was negative)
    free_intercept: float  # the unconstrained intercept, for the record
    x: np.ndarray
    y: np.ndarray

    @property
    def residuals(self) -> np.ndarray:
        return self.y - (self.intercept + self.slope * self.x)


def _newey_west_cov(X: np.ndarray, resid: np.ndarray, lags: int) -> np.ndarray:
    """HAC covariance of OLS coefficients (Newey & West 1987, Bartlett weights)."""
    n = X.shape[0]
    xtx_inv = np.linalg.inv(X.T @ X)
    u = X * resid[:, None]
    s = u.T @ u
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        g = u[lag:].T @ u[:-lag]
        s += w * (g + g.T)
    dof = n / max(n - X.shape[1], 1)  # small-sample correction, as statsmodels' HC1
    return dof * xtx_inv @ s @ xtx_inv


def fit_line(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, *,
             nonnegative: bool = True, what: str = "y") -> LinearFit:
    """Least-squares line of ``y`` on ``x`` (see the module doc); raises CalibrationError."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 10:
        raise CalibrationError(f"{what}: {n} usable samples; at least 10 are needed")
    if np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
        raise CalibrationError(f"{what}: the request rate per pod does not vary, so the base "
                               "and the per-request parts cannot be told apart")
    lags = math.floor(4 * (n / 100.0) ** (2.0 / 9.0))
    X = np.column_stack([np.ones(n), x])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    free_intercept = float(beta[0])
    through_origin = nonnegative and beta[0] < 0
    if through_origin:
        Xo = x[:, None]
        b, *_ = np.linalg.lstsq(Xo, y, rcond=None)
        beta = np.array([0.0, float(b[0])])
        resid = y - beta[1] * x
        cov = _newey_west_cov(Xo, resid, lags)
        se = np.array([0.0, math.sqrt(max(cov[0, 0], 0.0))])
        k = 1
    else:
        resid = y - X @ beta
        cov = _newey_west_cov(X, resid, lags)
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        k = 2
    if beta[1] <= 0:
        raise CalibrationError(f"{what}: it does not grow with the request rate (slope "
                               f"{beta[1]:.3g}); check that the series are of the same pods")
    ss_res = float(resid @ resid)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    t = float(stats.t.ppf(0.975, max(n - k, 1)))

    def ci(b: float, s: float) -> tuple[float, float]:
        lo, hi = b - t * s, b + t * s
        return (max(lo, 0.0) if nonnegative else lo, hi)

    return LinearFit(
        intercept=float(beta[0]), slope=float(beta[1]),
        intercept_ci=(0.0, 0.0) if through_origin else ci(float(beta[0]), float(se[0])),
        slope_ci=ci(float(beta[1]), float(se[1])),
        r2=1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0,
        residual_std=math.sqrt(ss_res / max(n - k, 1)), n=n,
        through_origin=bool(through_origin), free_intercept=free_intercept, x=x, y=y)


def align(reference: np.ndarray, times: np.ndarray, values: np.ndarray,
          tolerance: float) -> np.ndarray:
    """``values`` at each ``reference`` time: the nearest sample within ``tolerance``
    seconds, NaN where there is none (a gap is not interpolated over)."""
    reference = np.asarray(reference, dtype=float)
    times = np.asarray(times, dtype=float)
    values = np.asarray(values, dtype=float)
    out = np.full(reference.shape, np.nan)
    if times.size == 0:
        return out
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    i = np.clip(np.searchsorted(times, reference), 1, max(times.size - 1, 1))
    left = np.clip(i - 1, 0, times.size - 1)
    right = np.clip(i, 0, times.size - 1)
    pick = np.where(np.abs(times[left] - reference) <= np.abs(times[right] - reference), left, right)
    near = np.abs(times[pick] - reference) <= tolerance
    out[near] = values[pick[near]]
    return out


def per_pod(series: Sequence[tuple[Mapping[str, str], np.ndarray, np.ndarray]],
            pod_label: str = "pod") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, mean per pod, pod count) from series keyed by their labels.

    Series with the same ``pod`` label (one per container) are summed into that pod; a
    series without the label counts as one pod. At each time the pods with a sample are
    counted and averaged, so pods that come and go are handled as Prometheus shows them.
    """
    pods: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for i, (labels, t, v) in enumerate(series):
        key = labels.get(pod_label) or f"#series{i}"
        pods.setdefault(key, []).append((np.asarray(t, dtype=float), np.asarray(v, dtype=float)))
    times = np.unique(np.concatenate([t for parts in pods.values() for t, _ in parts]))
    total = np.zeros(times.shape)
    count = np.zeros(times.shape)
    for parts in pods.values():
        present = np.zeros(times.shape, dtype=bool)
        for t, v in parts:
            idx = np.searchsorted(times, t)
            np.add.at(total, idx, v)
            present[idx] = True
        count += present
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return times, mean, count


@dataclass(frozen=True)
class DemandFit:
    """The fitted demand: CPU always, memory when a memory series was given."""

    cpu: LinearFit  # x: requests/s per pod; y: cores per pod
    memory: LinearFit | None  # x: requests in flight per pod; y: bytes per pod
    latency: float  # seconds, the scenario's demand.latency
    residence: float  # seconds in the pod per request: latency + cpuPerRequest (Little's law)
    times: np.ndarray  # unix seconds of the samples used by the CPU fit
    pods: np.ndarray  # pod count at those times

    @property
    def fields(self) -> dict[str, float]:
        """Fitted ``workload.demand`` values: cpuPerRequest in CPU-seconds, baseCpu in
        cores, baseMemory and memoryPerInflightRequest in bytes."""
        out = {"cpuPerRequest": self.cpu.slope, "baseCpu": self.cpu.intercept}
        if self.memory is not None:
            out["baseMemory"] = self.memory.intercept
            out["memoryPerInflightRequest"] = self.memory.slope
        return out


def calibrate_demand(times: np.ndarray, rps_total: np.ndarray, pods: np.ndarray,
                     cpu_per_pod: np.ndarray, *, latency: float,
                     memory_per_pod: np.ndarray | None = None) -> DemandFit:
    """Fit the demand fields from series on one time grid (see the module doc).

    ``rps_total`` is the workload's request rate (all pods), ``pods`` the pod count,
    ``cpu_per_pod`` cores and ``memory_per_pod`` bytes per pod; NaN marks a missing
    sample and times with fewer than one pod are left out. Raises CalibrationError.
    """
    times = np.asarray(times, dtype=float)
    pods = np.asarray(pods, dtype=float)
    rps_total = np.asarray(rps_total, dtype=float)
    cpu_per_pod = np.asarray(cpu_per_pod, dtype=float)
    if latency <= 0:
        raise CalibrationError("demand.latency must be > 0 to estimate requests in flight")
    with np.errstate(invalid="ignore", divide="ignore"):
        rps_pod = np.where(pods >= 1, rps_total / pods, np.nan)
    ok = np.isfinite(rps_pod) & np.isfinite(cpu_per_pod)
    cpu = fit_line(rps_pod[ok], cpu_per_pod[ok], what="CPU")
    memory = None
    residence = latency + cpu.slope
    if memory_per_pod is not None:
        memory_per_pod = np.asarray(memory_per_pod, dtype=float)
        okm = np.isfinite(rps_pod) & np.isfinite(memory_per_pod)
        memory = fit_line(rps_pod[okm] * residence, memory_per_pod[okm], what="memory")
    return DemandFit(cpu=cpu, memory=memory, latency=latency, residence=residence,
                     times=times[ok], pods=pods[ok])


__all__ = ["CalibrationError", "DemandFit", "LinearFit", "align", "calibrate_demand",
           "fit_line", "per_pod"]
