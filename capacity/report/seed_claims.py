"""The hand-made cost estimate of the sandbox-executor workload, recomputed.

The design notes that ``scenarios/baseline.yaml`` models (their claims are listed in
``docs/seed-findings.md``; ``docs/cost.md`` tells the same story) say, in "Resource
Efficiency" and "Cost Savings", for sandbox-executor (250m / 512Mi requests, 1 CPU / 2Gi
limits, HPA 3→10):

* "Baseline cost: 750m CPU × 3 = 2.25 CPUs" and "Memory baseline: 1.5Gi × 3 = 4.5Gi":
  750m and 1.5Gi are already the totals of 3 replicas (3 × 250m, 3 × 512Mi); multiplying
  by 3 again counts the replicas twice;
* "Base: 3 replicas = $X/month; Peak: 10 replicas = $3.3X/month; Average (assuming 20%
  peak traffic): ~$1.5X/month; Savings vs fixed: 55%": read as "20% of the time at the
  peak of 10 replicas, 80% at the base of 3", the average is 0.2·10 + 0.8·3 = 4.4
  replicas = 1.47X and the saving 1 − 4.4/10 = 56%.

:func:`saving_claim` recomputes the last one with the simulation, for a load that matches
the assumption: a square wave, each day 20% of the time at a rate that drives the HPA to
``maxReplicas`` and the rest at one that keeps it at ``minReplicas``.
"""

from __future__ import annotations

import math
from typing import Any

from capacity.analysis.cost import (
    HOURS_PER_MONTH,
    effective_pricing,
    pod_cost_per_hour,
    run_costs,
)
from capacity.analysis.stats import mean_ci, ratio_ci
from capacity.k8s.quantity import Quantity, format_quantity
from capacity.scenario.model import Load, Scenario, Step
from capacity.study.fixed import simulate_fixed

SEED_WORKLOAD = "sandbox-executor"
PEAK_FRACTION = 0.2  # the seed's "assuming 20% peak traffic"


def applies(scenario: Scenario) -> bool:
    """True for the seed's workload: sandbox-executor with an HPA and a CPU target."""
    return (scenario.workload.name == SEED_WORKLOAD
            and scenario.autoscaling.horizontal is not None
            and _cpu_target(scenario) is not None)


def _serving(scenario: Scenario) -> Any:
    name = scenario.serving_container
    return next(c for c in scenario.workload.deployment.template.spec.containers
                if c.name == name)


def _container_amount(scenario: Scenario, kind: str, resource: str) -> Quantity:
    res = _serving(scenario).resources
    m = getattr(res, kind, None) if res is not None else None
    return Quantity.parse(str((m or {}).get(resource, "0")))


def _cpu_target(scenario: Scenario) -> float | None:
    h = scenario.autoscaling.horizontal
    for m in (h.metrics or []) if h is not None else []:
        r = getattr(m, "resource", None)
        if (m.type == "Resource" and r is not None and r.name == "cpu"
                and r.target.type == "Utilization" and r.target.averageUtilization):
            return r.target.averageUtilization / 100.0
    return None


def _q(milli: int) -> str:
    return format_quantity(Quantity.from_milli(milli))


def _mem(milli: int) -> str:
    """Memory in Gi (or Mi below 1Gi), from milli-bytes."""
    b = milli / 1000
    return f"{b / 2**30:g}Gi" if b >= 2**30 else f"{b / 2**20:g}Mi"


def _cpus(milli: int) -> str:
    return f"{milli / 1000:g} CPU"


def arithmetic_slips(scenario: Scenario) -> list[dict[str, str]]:
    """The seed's resource sums with the right figures, computed from the scenario's pod.

    Each row: ``claim`` (as the seed writes it), ``correct`` and ``why``. Amounts are the
    serving container's own requests and limits (the seed's figures do not include the
    RuntimeClass overhead; the cost model does).
    """
    h = scenario.autoscaling.horizontal
    lo, hi = (h.minReplicas or 1, h.maxReplicas) if h is not None else (3, 10)
    rc = _container_amount(scenario, "requests", "cpu").milli_value()
    rm = _container_amount(scenario, "requests", "memory").milli_value()
    lc = _container_amount(scenario, "limits", "cpu").milli_value()
    lm = _container_amount(scenario, "limits", "memory").milli_value()
    return [
        {
            "claim": "Baseline cost: 750m CPU × 3 = 2.25 CPUs",
            "correct": f"{lo} × {_q(rc)} = {_q(lo * rc)} = {_cpus(lo * rc)} requested",
            "why": f"750m is already the total of {lo} replicas; × 3 counts them twice",
        },
        {
            "claim": "Memory baseline: 1.5Gi × 3 = 4.5Gi",
            "correct": f"{lo} × {_mem(rm)} = {_mem(lo * rm)} requested",
            "why": f"1.5Gi is already the total of {lo} replicas; × 3 counts them twice",
        },
        {
            "claim": "Peak capacity: 10 replicas × 1 CPU = 10 CPUs",
            "correct": f"{hi} × {_q(rc)} = {_cpus(hi * rc)} requested "
                       f"({hi} × {_q(lc)} = {_cpus(hi * lc)} is the limit)",
            "why": "cost follows requests (or use above them), not limits",
        },
        {
            "claim": "Memory peak: 10 × 2Gi = 20Gi",
            "correct": f"{hi} × {_mem(rm)} = {_mem(hi * rm)} requested "
                       f"({hi} × {_mem(lm)} = {_mem(hi * lm)} is the limit)",
            "why": "the same: 20Gi is the memory limit at the peak",
        },
        {
            "claim": "headroom for 10 replicas (7.5 CPU / 15Gi memory)",
            "correct": f"requests {_cpus(hi * rc)} / {_mem(hi * rm)}, "
                       f"limits {_cpus(hi * lc)} / {_mem(hi * lm)}",
            "why": "10 × 750m and 10 × 1.5Gi multiply 3-replica totals again",
        },
    ]


def seed_arithmetic(scenario: Scenario) -> dict[str, Any]:
    """The seed's "$X" figures worked out at the scenario's prices (no simulation).

    X is 3 replicas held a month (730 h) at their requests. Returns X, the 10-replica
    figure, the "20% at peak" average and its saving, as the seed writes them and as the
    arithmetic gives them.
    """
    pr = effective_pricing(scenario)
    h = scenario.autoscaling.horizontal
    lo, hi = (h.minReplicas or 1, h.maxReplicas) if h is not None else (3, 10)
    rc = _container_amount(scenario, "requests", "cpu").milli_value() / 1000.0
    rm = _container_amount(scenario, "requests", "memory").value() / 1024**3
    pod_hour = pod_cost_per_hour(rc, rm, pr)
    x = lo * pod_hour * HOURS_PER_MONTH
    avg_replicas = PEAK_FRACTION * hi + (1 - PEAK_FRACTION) * lo
    return {
        "currency": pr.currency,
        "price_source": pr.source,
        "cpu_per_hour": pr.cpuPerHour,
        "memory_gib_per_hour": pr.memoryGiBPerHour,
        "request_cpu": rc,
        "request_memory_gib": rm,
        "pod_per_hour": pod_hour,
        "min_replicas": lo,
        "max_replicas": hi,
        "X_per_month": x,
        "peak_per_month": hi * pod_hour * HOURS_PER_MONTH,
        "peak_in_X": hi / lo,
        "average_replicas": avg_replicas,
        "average_per_month": avg_replicas * pod_hour * HOURS_PER_MONTH,
        "average_in_X": avg_replicas / lo,
        "saving": 1 - avg_replicas / hi,
        "seed_saving_from_its_rounding": 1 - 1.5 / 3.3,
        "idle_state_saving": 1 - lo / hi,
    }


def square_wave_scenario(scenario: Scenario, fraction: float = PEAK_FRACTION,
                         duration: float | None = None) -> tuple[Scenario, dict[str, float]]:
    """A copy of ``scenario`` whose load matches "``fraction`` of the time at peak".

    Every day: ``fraction`` × 24 h centred on 12:00 at a peak rate, the rest at a base rate,
    no noise or spikes. The peak rate is 1.25 × what puts ``maxReplicas`` pods at the CPU
    target (so the HPA asks for at least maxReplicas), capped below the pods' throughput
    ceiling; the base rate is half of what puts ``minReplicas`` pods at the target (so it
    asks for no more than minReplicas). Returns (scenario, {"peak_rps", "base_rps"}).
    """
    from capacity.sim.workload import WorkloadModel

    h = scenario.autoscaling.horizontal
    target = _cpu_target(scenario)
    if h is None or target is None:
        raise ValueError("needs an HPA with a CPU Utilization target")
    wl = WorkloadModel.from_scenario(scenario)
    # The HPA's utilization is of the containers' requests (overhead is not in it).
    req = _container_amount(scenario, "requests", "cpu").milli_value() / 1000.0
    per_pod_at_target = max(target * req - wl.base_cpu, 0.0) / wl.cpu_per_request
    lo, hi = h.minReplicas or 1, h.maxReplicas
    peak = 1.25 * hi * per_pod_at_target
    if math.isfinite(wl.capacity_rps):
        peak = min(peak, 0.9 * lo * wl.capacity_rps, 0.9 * hi * wl.capacity_rps)
    base = 0.5 * lo * per_pod_at_target
    dur = float(duration if duration is not None else scenario.simulation.duration)
    on = 12 * 3600 - fraction * 86400 / 2
    off = 12 * 3600 + fraction * 86400 / 2
    steps = [Step(at=0.0, rps=base)]
    for d in range(math.ceil(dur / 86400)):
        steps += [Step(at=d * 86400 + on, rps=peak), Step(at=d * 86400 + off, rps=base)]
    sc = scenario.model_copy(deep=True)
    sc.load = Load(steps=steps, resolution=60.0)
    sc.name = f"{scenario.name}-seed-20pct-peak"
    return sc, {"peak_rps": peak, "base_rps": base}


def saving_claim(scenario: Scenario, runs: int = 1, seed: int | None = None,
                 duration: float | None = None, workers: int | None = None,
                 scheduler: Any = None) -> dict[str, Any]:
    """The seed's "55% saving against a fixed 10 replicas, assuming 20% peak traffic",
    recomputed: the HPA under :func:`square_wave_scenario` against fixed ``maxReplicas``,
    same seed and runs (paired), at the scenario's prices."""
    from capacity.api import simulate

    dur = float(duration if duration is not None else scenario.simulation.duration)
    sq, rates = square_wave_scenario(scenario, duration=dur)
    h = scenario.autoscaling.horizontal
    assert h is not None
    pr = effective_pricing(scenario)
    res = simulate(sq, runs=runs, seed=seed, duration=dur, workers=workers, record="first",
                   progress=False, scheduler=scheduler)
    fixed = simulate_fixed(sq, h.maxReplicas, runs=runs, seed=seed, duration=dur,
                           workers=workers, scheduler=scheduler)
    hpa_c = run_costs(scenario, res.outcomes, pr)
    fix_c = run_costs(scenario, fixed.outcomes, pr)
    ts = res.timeseries
    at_max = float((ts["spec_replicas"] >= h.maxReplicas).mean()) if len(ts) else math.nan
    hpa_pm, hpa_ci = mean_ci([c.per_hour * HOURS_PER_MONTH for c in hpa_c])
    fix_pm, fix_ci = mean_ci([c.per_hour * HOURS_PER_MONTH for c in fix_c])
    r, rci = ratio_ci([c.total for c in hpa_c], [c.total for c in fix_c], bounds=(0, math.inf))
    mean_pods = [c.pod_hours / c.hours for c in hpa_c if c.hours > 0]
    return {
        "runs": runs,
        "duration_seconds": dur,
        "peak_fraction": PEAK_FRACTION,
        "peak_rps": rates["peak_rps"],
        "base_rps": rates["base_rps"],
        "time_at_max_replicas": at_max,
        "mean_pods": sum(mean_pods) / len(mean_pods),
        "mean_spec_replicas": res.summary["replicas"]["mean"],
        "hpa_per_month": hpa_pm,
        "hpa_per_month_ci95": None if hpa_ci is None else list(hpa_ci),
        "fixed_per_month": fix_pm,
        "fixed_per_month_ci95": None if fix_ci is None else list(fix_ci),
        "saving": 1 - r,
        "saving_ci95": None if rci is None else [1 - rci[1], 1 - rci[0]],
        "hpa_availability": res.summary["availability"]["requests_served"],
        "fixed_availability": fixed.summary["availability"]["requests_served"],
        "currency": pr.currency,
    }
