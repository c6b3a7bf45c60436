"""Comparisons of an HPA configuration against fixed replicas (more simulations).

The HPA's own runs are compared with the same scenario without its HPA at ``maxReplicas``
fixed replicas, and at the fewest safe fixed replicas that meet every objective; every
configuration is simulated with the same seed and runs (common random numbers), so the
HPA's saving is a ratio over paired runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from capacity.analysis.cost import (
    ESTIMATOR_PAIRED,
    RunCost,
    _breakdown,
    _figures,
    cost_summary,
    effective_pricing,
    run_costs,
)
from capacity.analysis.stats import estimate, ratio_ci
from capacity.scenario.model import Pricing, Scenario
from capacity.sim.engine import RunOutcome
from capacity.study.defaults import DEFAULT_EPISODES
from capacity.study.episodes import episode_estimates, failure_kinds
from capacity.study.fixed import availability_estimate, fewest_fixed_replicas, simulate_fixed


def _comparison_entry(label: str, replicas: int, hpa: Sequence[RunCost],
                      fixed: Sequence[RunCost], availability: dict[str, Any],
                      runs: int) -> dict[str, Any]:
    f = _figures(fixed)
    # Saving = 1 - Σ hpa / Σ fixed over paired runs (same load draws).
    r, ci = ratio_ci([c.total for c in hpa], [c.total for c in fixed], bounds=(0.0, math.inf))
    return {
        "label": label,
        "replicas": replicas,
        "runs": runs,
        "total": f["total"], "total_ci95": f["total_ci95"],
        "per_day": f["per_day"], "per_day_ci95": f["per_day_ci95"],
        "per_month": f["per_month"], "per_month_ci95": f["per_month_ci95"],
        "per_million_requests": f["per_million_requests"],
        "per_million_requests_ci95": f["per_million_requests_ci95"],
        "idle": f["idle"], "idle_per_month": f["idle_per_month"],
        "breakdown": _breakdown(fixed),
        "availability": availability,
        "hpa_saving": 1.0 - r,
        "hpa_saving_ci95": None if ci is None else [1.0 - ci[1], 1.0 - ci[0]],
        "hpa_saving_estimator": ESTIMATOR_PAIRED,
    }


def _hpa_availability(scenario: Scenario, outcomes: Sequence[RunOutcome] | None,
                      availability: Mapping[str, Any] | None, seed: int | None) -> dict[str, Any]:
    """The HPA row's requests-served estimate, on the estimator the fixed rows use."""
    if failure_kinds(scenario):
        ep = (availability or {}).get("episodes")
        if not ep:
            ep = episode_estimates(scenario, episodes=DEFAULT_EPISODES, seed=seed)
        return ep["requests_served"]  # type: ignore[index]
    outs = outcomes or []
    m, ci = ratio_ci([o.integrals.served_requests for o in outs],
                     [o.integrals.offered_requests for o in outs])
    return estimate(m if m == m else 1.0, ci,
                    "monte-carlo: ratio of sums over runs, delta-method t-interval", len(outs))


def compare_fixed(scenario: Scenario, hpa_costs: Sequence[RunCost], *, seed: int | None,
                  duration: float | None, search_runs: int = 3, workers: int | None = None,
                  pricing: Pricing | None = None, outcomes: Sequence[RunOutcome] | None = None,
                  availability: Mapping[str, Any] | None = None,
                  scheduler: Any = None) -> dict[str, Any]:
    """Fixed-replica comparisons against the HPA runs whose costs are ``hpa_costs``.

    The scenario is simulated again without its HPA at ``maxReplicas`` fixed replicas and
    at the fewest safe fixed replicas that meet every objective
    (:func:`capacity.study.fixed.fewest_fixed_replicas`), with the same seed, run count and
    duration, so comparisons are paired run by run. Every row uses one availability
    estimator: the failure-episode one when the scenario has random failures
    (``availability["episodes"]`` of the HPA's own summary if given, else computed here),
    else plain Monte Carlo.
    """
    pr = pricing or effective_pricing(scenario)
    hpa = scenario.autoscaling.horizontal
    assert hpa is not None
    runs = len(hpa_costs)
    cache: dict[tuple[int, int], Any] = {}

    def sim(n: int, k: int) -> Any:
        if (n, k) not in cache:
            cache[(n, k)] = simulate_fixed(scenario, n, runs=k, seed=seed,
                                           duration=duration, workers=workers,
                                           scheduler=scheduler)
        return cache[(n, k)]

    sd = seed if seed is not None else scenario.simulation.seed
    hpa_av = _hpa_availability(scenario, outcomes, availability, sd)
    out: dict[str, Any] = {"computed": True, "seed": sd,
                           "availability_estimator": hpa_av["estimator"],
                           "hpa": {"availability": hpa_av}}
    top = sim(hpa.maxReplicas, runs)
    out["fixed_max_replicas"] = _comparison_entry(
        f"fixed {hpa.maxReplicas} replicas (maxReplicas)", hpa.maxReplicas, hpa_costs,
        run_costs(scenario, top.outcomes, pr),
        availability_estimate(top.summary), runs)
    objective = scenario.objectives.availability
    if objective is None and not scenario.objectives.latency:
        out["fixed_min_meeting_objective"] = None
        out["fixed_min_reason"] = "the scenario sets no objectives"
        return out
    search = fewest_fixed_replicas(scenario, objective, runs=min(search_runs, runs)
                                   if search_runs > 0 else runs,
                                   seed=seed, duration=duration, workers=workers,
                                   simulate_fn=sim)
    out["search"] = search.as_dict()
    if search.replicas is None:
        out["fixed_min_meeting_objective"] = None
        out["fixed_min_reason"] = search.reason
        return out
    best = sim(search.replicas, runs)
    n = search.replicas
    out["fixed_min_meeting_objective"] = _comparison_entry(
        f"fixed {n} replica{'s' if n != 1 else ''} (the fewest meeting every objective "
        "without an HPA, drains not blocked by the PDB, objectives kept with the largest "
        "zone down)", n, hpa_costs, run_costs(scenario, best.outcomes, pr),
        availability_estimate(best.summary), runs)
    out["fixed_min_meeting_objective"]["slo"] = best.summary.get("slo")
    return out


def cost_with_comparisons(scenario: Scenario, outcomes: Sequence[RunOutcome], *,
                          seed: int | None, duration: float | None, search_runs: int = 3,
                          workers: int | None = None, scheduler: Any = None,
                          availability: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The summary's ``cost`` block with the fixed-replica comparisons (when the scenario
    has an HPA)."""
    if scenario.autoscaling.horizontal is None:
        return cost_summary(scenario, outcomes)
    pricing = effective_pricing(scenario)
    costs = run_costs(scenario, outcomes, pricing)
    cmp_ = compare_fixed(scenario, costs, seed=seed, duration=duration,
                         search_runs=search_runs, workers=workers, pricing=pricing,
                         outcomes=outcomes, availability=availability, scheduler=scheduler)
    return cost_summary(scenario, outcomes, comparisons=cmp_)
