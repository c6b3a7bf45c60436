"""Parameter sweeps: one scenario over a grid of values, on common random numbers.

Every point is simulated with the same seed, so run ``i`` of every point sees the same load
noise, phases and failure times: points differ only by their parameters, and the
difference of any figure between a point and the first one is taken run by run, with a
paired t-interval (much narrower than the difference of two independent intervals).

:func:`sweep` returns one row (a dict) per point, cheapest first; :func:`sweep_frame` the same
as a pandas DataFrame, one column per parameter, estimate and interval. A row says whether
the point meets every objective (``slo``, ``missed``), its ``check`` findings, whether it
``relies_on_bursting``, and ``excluded``: why it is unsafe even if it meets them (its PDB
blocks drains at its fewest replicas, or, for the cheapest candidates until one passes,
the objectives fail with the largest zone down). ``safe`` = meets them and not excluded.
``is_first`` marks the grid's first point, the one ``vs_first`` differences are against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from capacity.analysis.check import run_checks
from capacity.analysis.cost import run_costs
from capacity.analysis.safety import largest_zone, pdb_blocks_drains
from capacity.analysis.stats import mean_ci
from capacity.scenario.durations import parse_duration
from capacity.scenario.grid import points
from capacity.scenario.model import Scenario
from capacity.sim.engine import RunOutcome
from capacity.study.replications import simulate_replications as simulate

ESTIMATOR_PAIRED_DIFF = ("paired on common random numbers: the mean over run index of "
                         "(this point - the first point), t-interval")


def _per_run(sc: Scenario, outs: Sequence[RunOutcome]) -> dict[str, np.ndarray]:
    """Per-run figures a sweep compares: cost per month, availability, latency SLO."""
    costs = run_costs(sc, outs)
    out = {
        "cost_per_month": np.array([c.total / c.hours * 730.0 if c.hours > 0 else math.nan
                                    for c in costs]),
        "requests_served": np.array([o.integrals.served_requests / o.integrals.offered_requests
                                     if o.integrals.offered_requests > 0 else 1.0
                                     for o in outs]),
    }
    if sc.objectives.latency:
        key = f"{sc.objectives.latency[0].threshold:g}"
        out["latency_slo"] = np.array([
            float((o.extra.get("latency") or {}).get("within", {}).get(key, 0.0))
            / o.integrals.served_requests if o.integrals.served_requests > 0 else 1.0
            for o in outs])
    return out


def sweep(sc: Scenario, grid: dict[str, Any], file: str, seed: int | None = None,
          workers: int | None = None, scheduler: Any = None,
          progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """Simulate every point of ``grid`` (from :func:`capacity.scenario.grid.load_grid`);
    rows cheapest first (see the module docstring). ``file`` names the grid in errors;
    ``progress(done, total)`` is called after each point. Raises ScenarioError for a point
    that is not a valid scenario or not a bounded run."""
    from capacity.study.fixed import objectives_met, zone_down_scenario

    seed = sc.simulation.seed if seed is None else seed
    rows: list[dict[str, Any]] = []
    first: dict[str, np.ndarray] | None = None
    todo = points(sc, grid, file)
    for done, (chosen, point) in enumerate(todo, 1):
        runs = int(grid.get("runs") or point.simulation.runs)
        dur = (parse_duration(grid["duration"]) if grid.get("duration") is not None
               else point.simulation.duration)
        res = simulate(point, runs=runs, seed=seed, duration=dur, workers=workers,
                       scheduler=scheduler, record=False, progress=False,
                       episodes=int(grid.get("episodes", 0)))
        s = res.summary
        a = s["availability"]
        best = a.get("episodes") or a
        met, missed = objectives_met(s, point.objectives.availability, "mean")
        h = point.autoscaling.horizontal
        fewest = h.minReplicas if h is not None else (point.workload.deployment.replicas or 1)
        per_run = _per_run(point, res.outcomes)
        if first is None:
            first = per_run
        diffs = {}
        for k, v in per_run.items():
            if k in first and len(first[k]) == len(v):
                m, ci = mean_ci(v - first[k])
                diffs[k] = {"mean": m, "ci95": None if ci is None else list(ci),
                            "estimator": ESTIMATOR_PAIRED_DIFF}
        rows.append({
            "parameters": chosen,
            "requests_served": best["requests_served"],
            "time_at_full_capacity": a["time_at_full_capacity"],
            "replicas_mean": s["replicas"]["mean"],
            "cost_per_month": s["cost"]["per_month"],
            "cost_per_month_ci95": s["cost"].get("per_month_ci95"),
            "currency": s["cost"]["currency"],
            "latency_p99": s["latency"]["p99"],
            "slo": [{"name": x["name"], "met": x["met"],
                     "good_fraction": x["good_fraction"]["mean"],
                     "good_fraction_ci95": x["good_fraction"].get("ci95")} for x in s["slo"]],
            "meets_objectives": met if (point.objectives.availability is not None
                                        or point.objectives.latency) else None,
            "missed": missed,
            "meets_objective": None if a.get("objective") is None
            else best["requests_served"]["mean"] >= a["objective"],
            "relies_on_bursting": s["cpu"]["relies_on_bursting"],
            "findings": [f"{f.severity}: {f.code}" for f in run_checks(point)
                         if f.severity in ("error", "warning")],
            "excluded": pdb_blocks_drains(point, fewest),
            "vs_first": diffs,
            "is_first": done == 1,  # the grid's first point, the one vs_first is against
            "_point": point,
            "_runs": runs,
            "_dur": dur,
        })
        if progress is not None:
            progress(done, len(todo))
    rows.sort(key=lambda r: r["cost_per_month"])
    # The zone check costs a simulation: only for candidates, cheapest first, until one holds.
    for r in rows:
        if not r["meets_objectives"] or r["excluded"]:
            continue
        point = r["_point"]
        zone = largest_zone(point)
        if zone is None or len(point.cluster.zones) < 2:  # type: ignore[union-attr]
            break
        z = simulate(zone_down_scenario(point, zone, r["_dur"]), runs=r["_runs"], seed=seed,
                     duration=r["_dur"], workers=workers, scheduler=scheduler, record=False,
                     progress=False)
        ok, why = objectives_met(z.summary, point.objectives.availability, "mean")
        if ok:
            break
        r["excluded"] = f"with zone {zone} down: " + "; ".join(why)
    for r in rows:
        for k in ("_point", "_runs", "_dur"):
            r.pop(k)
        r["safe"] = bool(r["meets_objectives"]) and not r["excluded"]
    return rows


def sweep_frame(sc: Scenario, grid: dict[str, Any], file: str, seed: int | None = None,
                workers: int | None = None, scheduler: Any = None,
                progress: Callable[[int, int], None] | None = None) -> Any:
    """:func:`sweep` as a pandas DataFrame: one column per parameter, then for each figure
    its estimate and ``_lo``/``_hi`` interval columns, the SLOs, the verdict columns."""
    rows = sweep(sc, grid, file, seed=seed, workers=workers, scheduler=scheduler,
                 progress=progress)
    return rows_frame(rows)


def rows_frame(rows: list[dict[str, Any]]) -> Any:
    """:func:`sweep`'s rows as the DataFrame :func:`sweep_frame` returns."""
    import pandas as pd

    recs = []
    for r in rows:
        d: dict[str, Any] = dict(r["parameters"])
        d["cost_per_month"] = r["cost_per_month"]
        ci = r.get("cost_per_month_ci95") or [math.nan, math.nan]
        d["cost_per_month_lo"], d["cost_per_month_hi"] = ci
        rs = r["requests_served"]
        d["requests_served"] = rs["mean"]
        d["requests_served_lo"], d["requests_served_hi"] = rs.get("ci95") or [math.nan] * 2
        d["latency_p99"] = r["latency_p99"]["mean"]
        d["latency_p99_lo"], d["latency_p99_hi"] = r["latency_p99"].get("ci95") or [math.nan] * 2
        d["replicas_mean"] = r["replicas_mean"]
        for s in r["slo"]:
            d[f"slo {s['name']}"] = s["good_fraction"]
        for k, v in r["vs_first"].items():
            d[f"{k} vs first"] = v["mean"]
            d[f"{k} vs first_lo"], d[f"{k} vs first_hi"] = v["ci95"] or [math.nan] * 2
        d["meets_objectives"] = r["meets_objectives"]
        d["safe"] = r["safe"]
        d["excluded"] = r["excluded"] or ""
        d["missed"] = "; ".join(r["missed"])
        d["relies_on_bursting"] = r["relies_on_bursting"]
        d["findings"] = "; ".join(r["findings"])
        recs.append(d)
    return pd.DataFrame(recs)
