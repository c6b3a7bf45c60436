"""Impact of each kind of failure, and how long drains were blocked, over the runs.

Per kind (node, zone, spot, maintenance): episodes per run, the requests lost and the
seconds without a ready pod while that failure was the latest one being recovered from,
and the time to recover (from the failure until the ready pods are back to what they were,
or to ``spec.replicas`` if the HPA has since scaled down, with capacity covering demand).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from capacity.analysis.stats import estimate, mean_ci
from capacity.sim.engine import RunOutcome


def failure_summary(outs: Sequence[RunOutcome]) -> dict[str, Any]:
    """``{kind: {episodes_per_run, lost_requests, downtime_seconds, time_to_recover, ...}}``."""
    runs = len(outs)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for o in outs:
        cl = o.extra.get("cluster") or {}
        for f in cl.get("failures", []):
            by_kind.setdefault(f["kind"], []).append(f)
    offered = sum(o.integrals.offered_requests for o in outs)
    out: dict[str, Any] = {}
    for kind, fs in sorted(by_kind.items()):
        ttr = [f["time_to_recover"] for f in fs if f["time_to_recover"] is not None]
        m, ci = mean_ci(ttr, bounds=(0.0, float("inf")))
        lost = sum(f["lost_requests"] for f in fs)
        out[kind] = {
            "episodes": len(fs),
            "episodes_per_run": len(fs) / runs,
            "lost_requests": lost,
            "lost_fraction_of_offered": lost / offered if offered > 0 else 0.0,
            "downtime_seconds": sum(f["downtime"] for f in fs),
            "time_to_recover_seconds": estimate(m, ci, "mean over episodes, t-interval", len(ttr))
            if ttr else None,
            "not_recovered": sum(1 for f in fs if f["time_to_recover"] is None),
        }
    return out


def drain_summary(outs: Sequence[RunOutcome]) -> dict[str, Any]:
    """Drains over all runs: how many, how long blocked by the PDB, unfinished ones."""
    drains = [d for o in outs for d in ((o.extra.get("cluster") or {}).get("drains") or [])]
    if not drains:
        return {"count": 0}
    blocked = [d["blocked_seconds"] for d in drains]
    done = [d["duration"] for d in drains if d["duration"] is not None]
    return {
        "count": len(drains),
        "blocked": sum(1 for b in blocked if b > 0),
        "blocked_seconds_mean": sum(blocked) / len(blocked),
        "blocked_seconds_max": max(blocked),
        "duration_seconds_mean": sum(done) / len(done) if done else None,
        "unfinished": sum(1 for d in drains if d["duration"] is None),
        "refusals": sum(d["refusals"] for d in drains),
        "by_node": [{k: d[k] for k in ("node", "reason", "start", "duration", "blocked_seconds",
                                        "refusals")} for d in drains[:50]],
    }
