"""Rare failures without luck: simulate failure episodes and weight them by their rates.

Plain Monte Carlo over a week sees a node failure (MTBF 650 days) in a few percent of runs
and a zone outage in fewer, so a 99.9% estimate from it is mostly luck. Instead, for each
kind of random failure in the scenario (node, zone, spot reclaim):

1. draw ``episodes`` start times uniformly over the load's week (the failure may hit the
   peak or the night) and, per episode, the failure itself (which node or zone, how long);
2. simulate a window around it twice with the same random numbers: once without and once
   with the failure (a warm-up first, so the HPA has settled); the episode's impact is the
   difference in lost requests and in seconds without a ready pod;
3. the expected loss rate of that kind is its rate (episodes per second, from the
   scenario's MTBF or reclaim rate, with the pool sizes the scenario starts with) times the
   mean impact per episode.

Then, with ``l0`` and ``o`` the lost and offered requests per second of the failure-free
windows (an unbiased sample of the week, since the windows start at uniform times)::

    requests_served = 1 - (l0 + Σ_kind rate_kind × E[impact_kind]) / o

with a delta-method 95% interval from the episode variance. This is first order in the
failure rates: it assumes episodes do not overlap and failures are independent, which
holds while rate × episode length is small (it is ~1e-4 for the reference scenario).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from capacity.analysis.stats import estimate
from capacity.scenario.model import (
    Scenario,
    ScheduledNodeFailure,
    ScheduledSpotReclaim,
    ScheduledZoneOutage,
)
from capacity.sim.distributions import sample
from capacity.sim.rng import child_sequence
from capacity.study.executor import RunTask, make_executor

ESTIMATOR = ("episodes: failure-free baseline + sum over kinds of rate x mean paired impact "
             "per episode (first order: non-overlapping, independent failures), delta-method interval")
WARMUP = 1800.0  # seconds before the failure, so the HPA has settled
TAIL = 1800.0  # seconds after the failure ends, to see the recovery
#: The longest failure an episode simulates. A longer draw (a repair median of months) is
#: simulated for this long, its impact counted as a lower bound, and the summary says so:
#: otherwise one episode could be a year of simulation. A day covers the daily cycle, and
#: by then the pods have long been replaced elsewhere if the cluster has room.
MAX_FAILURE = 86400.0
WEEK = 7 * 86400.0


def _node_names(sc: Scenario, pools: list[str] | None) -> list[str]:
    names = []
    for pool in sc.cluster.nodePools:  # type: ignore[union-attr]
        if pools is not None and pool.name not in pools:
            continue
        for zone in pool.zones or sc.cluster.zones:  # type: ignore[union-attr]
            names.extend(f"{pool.name}-{zone}-{i}" for i in range(pool.nodesPerZone))
    return names


def failure_kinds(sc: Scenario) -> list[dict[str, Any]]:
    """The scenario's random failure kinds with their rates (episodes per second)."""
    if sc.cluster is None:
        return []
    f = sc.failures
    kinds: list[dict[str, Any]] = []
    if f.nodes is not None and f.nodes.mtbf:
        nodes = _node_names(sc, f.nodes.pools)
        kinds.append({"kind": "node", "rate": len(nodes) / f.nodes.mtbf, "targets": nodes})
    if f.zones is not None and f.zones.mtbf:
        zones = list(sc.cluster.zones)
        kinds.append({"kind": "zone", "rate": len(zones) / f.zones.mtbf, "targets": zones})
    for sp in f.spot:
        nodes = _node_names(sc, [sp.pool])
        if sp.ratePerNodeDay > 0 and nodes:
            rate = sp.ratePerNodeDay / 86400.0 * len(nodes) / sp.meanNodesPerReclaim
            zones = sorted({n.split(f"{sp.pool}-", 1)[1].rsplit("-", 1)[0] for n in nodes})
            kinds.append({"kind": f"spot:{sp.pool}", "rate": rate, "targets": zones, "spot": sp})
    return kinds


def _base(sc: Scenario) -> Scenario:
    """The scenario without random or scheduled disruptions (the episodes add one each)."""
    b = sc.model_copy(deep=True)
    b.failures.nodes = None
    b.failures.zones = None
    b.failures.spot = []
    b.disruption.maintenance = []
    b.disruption.rollouts = []
    b.simulation.warmup = WARMUP
    return b


def _with_failure(base: Scenario, kind: dict[str, Any], target: str, duration: float,
                  rng: np.random.Generator) -> Scenario:
    s = base.model_copy(deep=True)
    f = s.failures
    if kind["kind"] == "node":
        from capacity.scenario.model import NodeFailures

        f.nodes = NodeFailures(scheduled=[ScheduledNodeFailure(node=target, at=WARMUP, duration=duration)])
    elif kind["kind"] == "zone":
        from capacity.scenario.model import ZoneFailures

        f.zones = ZoneFailures(scheduled=[ScheduledZoneOutage(zone=target, at=WARMUP, duration=duration)])
    else:
        sp = kind["spot"].model_copy(deep=True)
        n = 1 + int(rng.poisson(max(sp.meanNodesPerReclaim - 1, 0.0)))
        sp.ratePerNodeDay = 0.0
        sp.scheduled = [ScheduledSpotReclaim(at=WARMUP, zone=target, nodes=n)]
        f.spot = [sp]
    return s


def _duration(sc: Scenario, kind: dict[str, Any], rng: np.random.Generator) -> float:
    if kind["kind"] == "node":
        return sample(sc.failures.nodes.repair, rng)  # type: ignore[union-attr]
    if kind["kind"] == "zone":
        return sample(sc.failures.zones.duration, rng)  # type: ignore[union-attr]
    ca = sc.controllers.clusterAutoscaler
    return kind["spot"].notice + ca.provisioningDelay.mean_seconds()


def episode_estimates(sc: Scenario, episodes: int = 20, seed: int | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      workers: int | None = 1, scheduler: Any = None) -> dict[str, Any] | None:
    """Availability from weighted failure episodes (see module docstring); None without
    random failures. ``episodes`` per kind; the same seed gives the same numbers whatever
    ``workers`` (local processes) or ``scheduler`` (Dask) run the pairs."""
    kinds = failure_kinds(sc)
    if not kinds or episodes < 1:
        return None
    base = _base(sc)
    root_seed = sc.simulation.seed if seed is None else seed
    root = np.random.SeedSequence(root_seed, spawn_key=(7919,))
    # Failures start uniformly over the load's cycle: a week for a diurnal load (it repeats
    # weekly), otherwise the scenario's duration (steps, spikes and traces are laid out
    # over it). The window starts WARMUP earlier, so the cycle is shifted by WARMUP.
    period = WEEK if sc.load.diurnal is not None else max(sc.simulation.duration - WARMUP, 3600.0)
    # First the plan (every draw in a fixed order), then the runs: a failure-free window
    # and the same window with the failure, on the same random numbers.
    tasks: list[RunTask] = []
    drawn: list[list[float]] = [[] for _ in kinds]  # failure lengths before the cap
    for ki, kind in enumerate(kinds):
        kseq = child_sequence(root, ki)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            root_seed, spawn_key=(7919, ki))))
        for i in range(episodes):
            tau = WARMUP + float(rng.uniform(0.0, period))
            target = kind["targets"][int(rng.integers(len(kind["targets"])))]
            dur = _duration(sc, kind, rng)
            drawn[ki].append(dur)
            dur = min(dur, MAX_FAILURE)
            window = WARMUP + dur + TAIL
            offset = tau - WARMUP
            ss = child_sequence(kseq, i)
            tasks.append(RunTask(base, i, ss, window, False, load_offset=offset))
            tasks.append(RunTask(_with_failure(base, kind, target, dur, rng), i, ss, window,
                                 False, load_offset=offset))
    ex = make_executor(workers, scheduler, len(tasks))
    try:
        results = ex.map(tasks, None if progress is None
                         else (lambda done, total: progress(done // 2, total // 2)))
    finally:
        close = getattr(ex, "close", None)
        if close is not None:
            close()
    offered = lost0 = seconds = 0.0
    by_kind: dict[str, Any] = {}
    var_sum = 0.0
    loss_rate = 0.0
    base_lost: list[float] = []
    base_offered: list[float] = []
    for ki, kind in enumerate(kinds):
        impacts, downs, ttrs, offered_k = [], [], [], []
        for i in range(episodes):
            a = results[2 * (ki * episodes + i)]
            b = results[2 * (ki * episodes + i) + 1]
            la = a.integrals.offered_requests - a.integrals.served_requests
            lb = b.integrals.offered_requests - b.integrals.served_requests
            impacts.append(lb - la)
            downs.append((b.integrals.measured_seconds - b.integrals.seconds_with_ready_pod)
                         - (a.integrals.measured_seconds - a.integrals.seconds_with_ready_pod))
            fails = (b.extra.get("cluster") or {}).get("failures") or []
            if fails and fails[0]["time_to_recover"] is not None:
                ttrs.append(fails[0]["time_to_recover"])
            offered += a.integrals.offered_requests
            offered_k.append(a.integrals.offered_requests)
            lost0 += la
            base_lost.append(la)
            base_offered.append(a.integrals.offered_requests)
            seconds += a.integrals.measured_seconds
        x = np.asarray(impacts)
        mean = float(x.mean())
        se = float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else float("nan")
        loss_rate += kind["rate"] * mean
        var_sum += (kind["rate"] * se) ** 2 if se == se else 0.0
        by_kind[kind["kind"]] = {
            "rate_per_year": kind["rate"] * 365 * 86400,
            "episodes_simulated": len(x),
            # Paired impacts (common random numbers): the failure is the only difference,
            # so a negative one is noise from draws that diverge after it (start-ups).
            "lost_requests_per_episode": {"mean": mean,
                                          "ci95": _t_ci(x) if len(x) > 1 else None,
                                          "min": float(x.min()), "max": float(x.max())},
            "offered_requests_per_episode": float(np.mean(offered_k)),
            "downtime_seconds_per_episode": float(np.mean(downs)),
            "time_to_recover_seconds": float(np.mean(ttrs)) if ttrs else None,
            "expected_lost_per_year": kind["rate"] * mean * 365 * 86400,
            # failures drawn longer than MAX_FAILURE, simulated for MAX_FAILURE only
            "episodes_capped": sum(d > MAX_FAILURE for d in drawn[ki]),
            "failure_cap_seconds": MAX_FAILURE,
            # expected failures of this kind in progress at once; first order needs it small
            "overlap": kind["rate"] * float(np.mean(drawn[ki])),
        }
    o = offered / seconds
    l0 = lost0 / seconds
    served = 1.0 - (l0 + loss_rate) / o if o > 0 else 1.0
    # Delta method: the baseline loss fraction is a ratio of sums over the windows; its
    # variance adds to that of the weighted episode impacts (independent samples).
    var_base = 0.0
    n = len(base_lost)
    if n > 1 and offered > 0:
        bl = np.asarray(base_lost)
        bo = np.asarray(base_offered)
        r0 = bl.sum() / bo.sum()
        var_base = float(((bl - r0 * bo) ** 2).sum()) / (n - 1) / n / float(bo.mean()) ** 2
    h = 1.959963984540054 * math.sqrt(var_sum / o**2 + var_base) if o > 0 else 0.0
    return {
        "requests_served": estimate(served, (max(0.0, served - h), min(1.0, served + h)),
                                    ESTIMATOR, sum(v["episodes_simulated"] for v in by_kind.values())),
        "baseline_lost_fraction": l0 / o if o > 0 else 0.0,
        "episodes_per_kind": episodes,
        "seed": sc.simulation.seed if seed is None else seed,
        "by_kind": by_kind,
    }


def _t_ci(x: np.ndarray) -> list[float]:
    m = float(x.mean())
    h = float(stats.t.ppf(0.975, len(x) - 1)) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return [m - h, m + h]
