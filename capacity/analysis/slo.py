"""Latency, errors and SLOs over finished runs (DESIGN §5, §10).

* ``latency``: per run, the mean and the 50th/90th/95th/99th percentiles of the response
  time of every answered request of the run (the true mixture over the run, from the
  serving model's segments); over runs, their mean with a t-interval.
* ``errors``: errors / offered requests (ratio of sums over runs), and per reason the mean
  requests per run.
* ``slo``: one entry per objective, each an SLI as the SRE workbook defines it: good events
  over valid events. Availability: answered without error / offered. Latency: answered
  within the threshold / answered. ``error_budget_used`` = (1 − good fraction) /
  (1 − target); the budget per 30-day month in requests and minutes goes with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from capacity.analysis.stats import estimate, mean_ci, ratio_ci
from capacity.scenario.model import Scenario

ERROR_REASONS = ("timeout", "rejected", "no_endpoint", "dead_endpoint")
QUANTILES = ("p50", "p90", "p95", "p99")
MONTH_SECONDS = 30 * 86400.0  # an SLO window of 30 days, as SRE practice counts a month
ESTIMATOR_LATENCY = ("monte-carlo: per run the percentile of all its answered requests (the "
                     "mixture over the run); mean over runs, t-interval")
ESTIMATOR_GOOD = "monte-carlo: good events / valid events, ratio of sums over runs, delta-method t-interval"


def _lat(o: Any) -> dict[str, Any]:
    return (o.extra or {}).get("latency") or {}


def latency_summary(outs: Sequence[Any]) -> dict[str, Any]:
    """``{"mean", "p50", "p90", "p95", "p99"}``, each an estimate in seconds (NaN if no run
    answered anything)."""
    out: dict[str, Any] = {}
    for key in ("mean", *QUANTILES):
        vals = [float(_lat(o).get(key, math.nan)) for o in outs]
        vals = [v for v in vals if v == v]
        m, ci = mean_ci(vals, bounds=(0.0, math.inf)) if vals else (math.nan, None)
        out[key] = estimate(m, ci, ESTIMATOR_LATENCY, len(vals))
    out["unit"] = "seconds"
    return out


def error_summary(outs: Sequence[Any]) -> dict[str, Any]:
    """``rate`` (errors / offered) and ``by_reason`` (mean requests per run)."""
    offered = [o.integrals.offered_requests for o in outs]
    errs = [max(o.integrals.offered_requests - o.integrals.served_requests, 0.0) for o in outs]
    m, ci = ratio_ci(errs, offered)
    runs = max(len(outs), 1)
    by = {r: sum(float((o.integrals.errors or {}).get(r, 0.0)) for o in outs) / runs
          for r in ERROR_REASONS}
    return {"rate": estimate(m if m == m else 0.0, ci, "monte-carlo: errors / offered, ratio of "
                             "sums over runs, delta-method t-interval", len(outs)),
            "by_reason": by, "unit": "requests per run"}


def slo_summary(sc: Scenario, outs: Sequence[Any]) -> list[dict[str, Any]]:
    """One entry per objective of the scenario (DESIGN §5 ``slo``)."""
    o = sc.objectives
    out: list[dict[str, Any]] = []
    measured = sum(x.integrals.measured_seconds for x in outs)
    offered = sum(x.integrals.offered_requests for x in outs)
    answered = sum(x.integrals.served_requests for x in outs)
    if o.availability is not None:
        good = [x.integrals.served_requests for x in outs]
        valid = [x.integrals.offered_requests for x in outs]
        out.append(_entry(f"availability {_pct(o.availability)}", "availability",
                          o.availability, None, good, valid, measured, offered))
    for lo in o.latency:
        key = f"{lo.threshold:g}"
        good = [float((_lat(x).get("within") or {}).get(key, math.nan)) for x in outs]
        valid = [x.integrals.served_requests for x in outs]
        out.append(_entry(f"latency {_pct(lo.target)} within {_ms(lo.threshold)}", "latency",
                          lo.target, lo.threshold, good, valid, measured, answered))
    return out


def _entry(name: str, sli: str, target: float, threshold: float | None, good: list[float],
           valid: list[float], measured: float, valid_total: float) -> dict[str, Any]:
    m, ci = ratio_ci(good, valid)
    m = m if m == m else 1.0  # no valid events: nothing went wrong
    budget = 1.0 - target
    used = (1.0 - m) / budget if budget > 0 else (0.0 if m >= 1.0 else math.inf)
    per_month = valid_total / measured * MONTH_SECONDS if measured > 0 else 0.0
    entry: dict[str, Any] = {
        "name": name,
        "sli": sli,
        "target": target,
        "good_fraction": estimate(m, ci, ESTIMATOR_GOOD, len(good)),
        "met": bool(m >= target - 1e-12),
        "error_budget_used": used,
        "error_budget_used_ci95": (None if ci is None or budget <= 0 else
                                   [(1 - ci[1]) / budget, (1 - ci[0]) / budget]),
        # The budget of a 30-day month at the simulated rate of valid events.
        "budget_requests_per_month": budget * per_month,
        "bad_requests_per_month": (1.0 - m) * per_month,
        "budget_minutes_per_month": budget * MONTH_SECONDS / 60.0,
        "bad_minutes_per_month": (1.0 - m) * MONTH_SECONDS / 60.0,
    }
    if threshold is not None:
        entry["threshold"] = threshold
    return entry


def _pct(x: float) -> str:
    return f"{round(x * 100, 10):g}%"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:g} ms" if seconds < 1 else f"{seconds:g} s"


def slos_met(slos: Sequence[dict[str, Any]], criterion: str = "mean") -> tuple[bool, list[str]]:
    """Whether every SLO is met (``criterion``: ``mean``, or ``lower`` for the lower end of
    the good fraction's interval), and the names of those that are not."""
    missed = []
    for s in slos:
        g = s["good_fraction"]
        x = g["ci95"][0] if criterion == "lower" and g.get("ci95") else g["mean"]
        if x < s["target"] - 1e-12:
            missed.append(s["name"])
    return not missed, missed
