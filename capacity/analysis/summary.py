"""The summary object of DESIGN §5, built from the runs' outcomes.

Every availability measure is ``{"mean", "ci95", "estimator", "n"}``; ``ci95`` is null
for a single run. Costs are in the scenario's currency; a month is 730 hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from capacity.analysis.stats import estimate, mean_ci, ratio_ci
from capacity.scenario.model import Scenario
from capacity.sim.engine import RunOutcome

HOURS_PER_MONTH = 730.0

ESTIMATOR_RATIO = "monte-carlo: ratio of sums over runs, delta-method t-interval"
ESTIMATOR_MEAN = "monte-carlo: mean over runs, t-interval"


def _fraction(outs: Sequence[RunOutcome], num: str, den: str) -> dict[str, Any]:
    a = [getattr(o.integrals, num) for o in outs]
    b = [getattr(o.integrals, den) for o in outs]
    m, ci = ratio_ci(a, b)
    return estimate(m if m == m else 1.0, ci, ESTIMATOR_RATIO, len(outs))


def build_summary(sc: Scenario, outs: Sequence[RunOutcome], seed: int | None,
                  duration: float) -> dict[str, Any]:
    """Summary dict (JSON-ready) for a set of runs of one scenario."""
    measured = [o.integrals.measured_seconds for o in outs]
    hours = [m / 3600.0 for m in measured]
    costs = [o.integrals.cost for o in outs]
    per_hour = [c / h if h > 0 else 0.0 for c, h in zip(costs, hours, strict=True)]
    ph_mean, ph_ci = mean_ci(per_hour, bounds=(0.0, float("inf")))
    total_mean, total_ci = mean_ci(costs, bounds=(0.0, float("inf")))
    served = [o.integrals.served_requests for o in outs]
    per_million = [c / s * 1e6 if s > 0 else float("nan") for c, s in zip(costs, served, strict=True)]
    pm_mean, pm_ci = mean_ci([x for x in per_million if x == x], bounds=(0.0, float("inf")))
    idle_cpu = [
        max(o.integrals.cpu_request_core_seconds - o.integrals.cpu_usage_core_seconds, 0.0) / 3600
        * sc.pricing.cpuPerHour
        + max(o.integrals.memory_request_gib_seconds - o.integrals.memory_usage_gib_seconds, 0.0) / 3600
        * sc.pricing.memoryGiBPerHour
        for o in outs
    ]
    events: Counter[str] = Counter()
    for o in outs:
        events.update(o.event_counts)
    spec_mean = [o.integrals.spec_replica_seconds / o.integrals.measured_seconds
                 if o.integrals.measured_seconds > 0 else float("nan") for o in outs]
    rep_mean, rep_ci = mean_ci(spec_mean)
    ready_mean = [o.integrals.ready_replica_seconds / o.integrals.measured_seconds
                  if o.integrals.measured_seconds > 0 else float("nan") for o in outs]
    offered = sum(o.integrals.offered_requests for o in outs)
    return {
        "scenario": sc.name,
        "seed": seed,
        "runs": len(outs),
        "duration_seconds": float(duration),
        "warmup_seconds": float(min(sc.simulation.warmup, duration)),
        "kubernetesVersion": sc.kubernetesVersion,
        "availability": {
            "requests_served": _fraction(outs, "served_requests", "offered_requests"),
            "time_with_ready_pod": _fraction(outs, "seconds_with_ready_pod", "measured_seconds"),
            "time_at_full_capacity": _fraction(outs, "seconds_at_full_capacity", "measured_seconds"),
            "objective": sc.objectives.availability,
        },
        "requests": {
            "offered": offered,
            "served": sum(served),
            "lost": max(offered - sum(served), 0.0),
        },
        "replicas": {
            "min": min(o.replicas_min for o in outs),
            "max": max(o.replicas_max for o in outs),
            "mean": rep_mean,
            "mean_ci95": None if rep_ci is None else list(rep_ci),
            "ready_mean": sum(ready_mean) / len(ready_mean),
        },
        "cost": {
            "currency": sc.pricing.currency,
            "basis": "requests: per pod max(request, usage) of CPU and memory (OpenCost allocation)",
            "prices": {
                "source": sc.pricing.source,
                "cpu_per_hour": sc.pricing.cpuPerHour,
                "memory_gib_per_hour": sc.pricing.memoryGiBPerHour,
            },
            "total": total_mean,
            "total_ci95": None if total_ci is None else list(total_ci),
            "per_hour": ph_mean,
            "per_day": ph_mean * 24,
            "per_month": ph_mean * HOURS_PER_MONTH,
            "per_month_ci95": None if ph_ci is None else [ph_ci[0] * HOURS_PER_MONTH,
                                                          ph_ci[1] * HOURS_PER_MONTH],
            "per_million_requests": pm_mean,
            "per_million_requests_ci95": None if pm_ci is None else list(pm_ci),
            "idle": sum(idle_cpu) / len(idle_cpu),
        },
        "quota": {"peak_used": {}, "hard": {}},
        "events": dict(sorted(events.items())),
    }
