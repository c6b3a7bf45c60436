"""The summary object of DESIGN §5, built from the runs' outcomes.

Every availability measure is ``{"mean", "ci95", "estimator", "n"}``; ``ci95`` is null
for a single run. Costs are in the scenario's currency; a month is 730 hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from capacity.analysis.check import run_checks
from capacity.analysis.cost import cost_summary
from capacity.analysis.failures import drain_summary, failure_summary
from capacity.analysis.headroom import quota_summary
from capacity.analysis.monitoring_summary import monitoring_notices, monitoring_summary
from capacity.analysis.slo import error_summary, latency_summary, slo_summary
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


def _at_least(outs: Sequence[RunOutcome]) -> dict[str, Any]:
    """Fraction of time with at least k ready pods, k = 1 .. the most ever ready."""
    top = max((max(o.integrals.alive_seconds, default=0) for o in outs), default=0)
    out: dict[str, Any] = {}
    for k in range(1, top + 1):
        fr = []
        for o in outs:
            total = o.integrals.measured_seconds
            fr.append(sum(v for n, v in o.integrals.alive_seconds.items() if n >= k) / total
                      if total > 0 else float("nan"))
        m, ci = mean_ci(fr, bounds=(0.0, 1.0))
        out[str(k)] = estimate(m, ci, ESTIMATOR_MEAN, len(outs))
    return out


def build_summary(sc: Scenario, outs: Sequence[RunOutcome], seed: int | None,
                  duration: float, episodes: dict[str, Any] | None = None,
                  comparisons: dict[str, Any] | None = None) -> dict[str, Any]:
    """Summary dict (JSON-ready) for a set of runs of one scenario.

    ``episodes`` is the failure-episode estimate (``availability.episodes``) and
    ``comparisons`` the fixed-replica comparisons (``cost.comparisons``), when the study
    made them (:mod:`capacity.study`).
    """
    served = [o.integrals.served_requests for o in outs]
    events: Counter[str] = Counter()
    for o in outs:
        events.update(o.event_counts)
    runs = len(outs)
    spec_mean = [o.integrals.spec_replica_seconds / o.integrals.measured_seconds
                 if o.integrals.measured_seconds > 0 else float("nan") for o in outs]
    rep_mean, rep_ci = mean_ci(spec_mean)
    ready_mean = [o.integrals.ready_replica_seconds / o.integrals.measured_seconds
                  if o.integrals.measured_seconds > 0 else float("nan") for o in outs]
    offered = sum(o.integrals.offered_requests for o in outs)
    # Largest number of pods charged to the quota at once (surge and terminating included).
    peak_pods = max((o.extra.get("peak_pods") or 0) for o in outs)
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
            "time_all_desired_ready": _fraction(outs, "seconds_all_desired_ready",
                                                "measured_seconds"),
            "objective": sc.objectives.availability,
            "time_with_at_least": _at_least(outs),
            **({"episodes": episodes} if episodes else {}),
        },
        "latency": latency_summary(outs),
        "errors": error_summary(outs),
        "slo": slo_summary(sc, outs),
        "cpu": cpu_summary(outs),
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
            # Ready endpoints (not spec.replicas): what actually served.
            "ready": _ready_extremes(outs, ready_mean),
        },
        "cost": cost_summary(sc, outs, comparisons=comparisons),
        "quota": quota_summary(sc, peak_pods) if peak_pods else {"peak_used": {}, "hard": {}},
        "findings": [f.to_dict() for f in run_checks(sc)],
        "failures": failure_summary(outs),
        "drains": drain_summary(outs),
        # Mean per run (DESIGN §5), and the total over all runs beside it.
        "events": {k: v / runs for k, v in sorted(events.items())},
        "events_total": dict(sorted(events.items())),
        "notices": notices(outs) + episode_notices(episodes) + monitoring_notices(sc, outs),
        # DESIGN §11: alerts, failure detection and the VPA, when the runs were monitored
        **monitoring_summary(sc, outs),
    }


def _ready_extremes(outs: Sequence[RunOutcome], ready_mean: list[float]) -> dict[str, Any]:
    """Fewest and most ready endpoints over the measured time of all runs, and the mean."""
    seen = [n for o in outs for n, sec in o.integrals.alive_seconds.items() if sec > 0]
    return {"min": min(seen, default=0), "mean": sum(ready_mean) / len(ready_mean),
            "max": max(seen, default=0)}


BURST_NOTICE_SHARE = 0.10  # above this share of CPU from bursting, the summary says so


def cpu_summary(outs: Sequence[RunOutcome]) -> dict[str, Any]:
    """CPU used, and the share of the request work done on CPU above the pods' requests
    (bursting into idle node CPU: what a busier node would not give)."""
    used = sum(o.integrals.cpu_usage_core_seconds for o in outs)
    work = sum(getattr(o.integrals, "cpu_work_core_seconds", 0.0) for o in outs)
    above = sum(getattr(o.integrals, "cpu_above_request_core_seconds", 0.0) for o in outs)
    share = above / work if work > 0 else 0.0
    return {"usage_core_hours_per_run": used / 3600.0 / max(len(outs), 1),
            "above_request_share": share,
            "relies_on_bursting": share > BURST_NOTICE_SHARE}


#: Above this expected number of failures in progress at once (rate x mean length), the
#: episode estimate's first order (one failure at a time) no longer holds.
OVERLAP_NOTICE = 0.01


def episode_notices(ep: dict[str, Any] | None) -> list[str]:
    """What a reader of the episode estimate must know: failures simulated shorter than
    drawn (a lower bound), and failures so long or frequent that they overlap."""
    out: list[str] = []
    for kind, v in ((ep or {}).get("by_kind") or {}).items():
        n = v.get("episodes_capped", 0)
        if n:
            out.append(f"{n} of {v['episodes_simulated']} {kind} failure episodes lasted longer "
                       f"than {v['failure_cap_seconds'] / 86400:g} d and were simulated for "
                       f"{v['failure_cap_seconds'] / 86400:g} d: their lost requests, and the "
                       "episode estimate's losses, are lower bounds")
        if v.get("overlap", 0.0) > OVERLAP_NOTICE:
            out.append(f"{kind} failures overlap: {v['overlap']:.2g} are in progress at once on "
                       "average, so the episode estimate (first order: one failure at a time) "
                       "understates the losses; trust the Monte Carlo figure instead")
    return out



def notices(outs: Sequence[RunOutcome]) -> list[str]:
    """What a reader must know before the numbers: no pod admitted, or none ever Ready."""
    out: list[str] = []
    if all((o.extra.get("peak_pods") or 0) == 0 for o in outs):
        why = next((o.extra.get("first_warnings", {}).get("FailedCreate") for o in outs
                    if o.extra.get("first_warnings", {}).get("FailedCreate")), None)
        out.append("no pod was ever admitted" + (f": {why}" if why else ""))
    elif all(o.integrals.ready_replica_seconds == 0 for o in outs):
        fw: dict[str, str] = {}
        for o in outs:
            for k, v in (o.extra.get("first_warnings") or {}).items():
                fw.setdefault(k, v)
        why = next((f"{k}: {fw[k]}" for k in ("FailedScheduling", "Unhealthy", "FailedCreate")
                    if k in fw), None)
        out.append("no pod was ever Ready" + (f" ({why})" if why else ""))
    cpu = cpu_summary(outs)
    if cpu["relies_on_bursting"]:
        out.append(f"{cpu['above_request_share']:.0%} of the pods' CPU work ran on CPU above "
                   "their requests: latency and capacity rely on idle CPU on the nodes, which "
                   "a busier node would not give")
    return out
