"""Quota headroom: what the workload charges to its namespace ResourceQuota.

For every resource the quota names that a pod is charged for (``pods``, ``cpu``,
``requests.cpu``, ``limits.memory``, ... as ``pkg/quota/v1/evaluator/core/pods.go``
``MatchingResources`` says), the usage at ``minReplicas``, at the simulated peak, at
``maxReplicas`` and at ``maxReplicas`` plus the rolling-update surge, as quantities and as
fractions of the hard limit, plus the largest replica count the quota admits.

One pod's charge is computed the way the API server would compute it for a pod created from
the Deployment's template: the RuntimeClass admission copies ``overhead.podFixed`` into
``spec.overhead``; API defaulting copies limits into missing requests; the LimitRanger fills
missing requests and limits from the LimitRange; the quota evaluator then charges
``PodRequests`` / ``PodLimits`` (app containers and sidecars summed, the largest init
container step, overhead on requests and on the limits the pod sets). Everything is
arithmetic over the scenario: no simulation.

Not modelled (say so when quoting figures): pods that are terminating still charge the quota
until their grace period is over (``QuotaV1Pod``), so a rollout can briefly hold more than
``maxReplicas + surge`` pods' worth; the figures here are the upstream fencepost count.
"""

from __future__ import annotations

from typing import Any

from capacity.k8s.intstr import value_or_default
from capacity.k8s.limitrange import (
    forbidden_message,
)
from capacity.k8s.quantity import Quantity
from capacity.k8s.quota import (
    add,
    mask,
    matching_resources,
    max_replicas_admitted,
    pod_usage,
    quota_matches,
    scale_usage,
)
from capacity.k8s.rollout import (
    DEFAULT_MAX_SURGE,
    DEFAULT_MAX_UNAVAILABLE,
    RECREATE,
    DeploymentState,
    max_surge,
)
from capacity.scenario.model import Scenario
from capacity.sim.admission import (  # noqa: F401 - re-exported for callers of this module
    defaulted_pod,
    limit_range_name,
    quota_name,
    runtime_class_dict,
    template_pod,
    with_runtime_class,
)

TEMPLATE_PATH = "workload.deployment.template"


def replica_counts(sc: Scenario) -> tuple[int, int, int]:
    """``(min, max, surge)``: the HPA's bounds (or the Deployment's fixed replicas) and the
    rolling-update surge at ``max`` (``ResolveFenceposts``; 0 for ``Recreate``)."""
    hpa = sc.autoscaling.horizontal
    if hpa is not None:
        lo, hi = hpa.minReplicas, hpa.maxReplicas
    else:
        lo = hi = sc.workload.deployment.replicas if sc.workload.deployment.replicas is not None else 1
    return lo, hi, rollout_surge(sc, hi)


def rollout_surge(sc: Scenario, replicas: int) -> int:
    """Extra pods a rolling update may create above ``replicas`` (``MaxSurge``)."""
    strategy = sc.workload.deployment.strategy
    ru = strategy.rollingUpdate
    state = DeploymentState(
        replicas=replicas,
        # API defaulting fills each unset field with 25% (SetDefaults_Deployment)
        max_surge=value_or_default(ru.maxSurge if ru else None, DEFAULT_MAX_SURGE),
        max_unavailable=value_or_default(ru.maxUnavailable if ru else None, DEFAULT_MAX_UNAVAILABLE),
        strategy_type=RECREATE if strategy.type == "Recreate" else "RollingUpdate",
    )
    return max_surge(state)


def _fraction(used: Quantity, hard: Quantity) -> float | None:
    if hard.nanos > 0:
        return used.nanos / hard.nanos
    return 0.0 if used.nanos == 0 else None


def _admits(room: int, per: int) -> int | None:
    if room < 0:
        return 0
    return None if per <= 0 else room // per


def headroom(sc: Scenario, peak_replicas: int | None = None) -> dict[str, Any]:
    """Quota headroom of the scenario's workload (see module docstring).

    Returns ``{"quota", "matches", "replicas": {"min", "peak", "max", "surge",
    "max_plus_surge"}, "per_pod": {res: qty}, "resources": {res: {"hard", "other",
    "per_pod", "at_min", "at_peak", "at_max", "at_max_plus_surge", "fractions": {...},
    "replicas_admitted", "binding"}}, "max_replicas_admitted"}``. Quantities are
    Kubernetes quantity strings; ``at_peak`` and its fraction are None without
    ``peak_replicas``. Usage includes ``namespace.otherUsage``. ``binding`` marks the
    resources that set ``max_replicas_admitted`` (the total replicas of this workload the
    quota admits; None when nothing limits it). Without a quota, or one whose scopes do not
    select the pod, ``resources`` is empty.
    """
    lo, hi, surge = replica_counts(sc)
    out: dict[str, Any] = {
        "quota": None,
        "matches": False,
        "replicas": {"min": lo, "peak": peak_replicas, "max": hi, "surge": surge,
                     "max_plus_surge": hi + surge},
        "per_pod": {},
        "resources": {},
        "max_replicas_admitted": None,
    }
    rq = sc.namespace.resourceQuota
    if rq is None:
        return out
    spec = rq.to_k8s()
    out["quota"] = quota_name(sc)
    pod, _ = defaulted_pod(sc)
    if not quota_matches(spec, pod):
        return out
    out["matches"] = True
    hard_all = {k: Quantity.parse(v) for k, v in (spec.get("hard") or {}).items()}
    names = matching_resources(hard_all)
    hard = {k: hard_all[k] for k in names}
    other = mask({k: Quantity.parse(v) for k, v in sc.namespace.otherUsage.items()}, names)
    per_pod = mask(pod_usage(pod), names)
    out["per_pod"] = {k: str(v) for k, v in per_pod.items()}
    counts = {"at_min": lo, "at_peak": peak_replicas, "at_max": hi, "at_max_plus_surge": hi + surge}
    total = max_replicas_admitted(hard, other, per_pod)
    out["max_replicas_admitted"] = total
    for name, h in hard.items():
        o = other.get(name, Quantity(0, h.format))
        per = per_pod.get(name, Quantity(0, h.format))
        row: dict[str, Any] = {"hard": str(h), "other": str(o), "per_pod": str(per)}
        fractions: dict[str, float | None] = {}
        for key, n in counts.items():
            if n is None:
                row[key] = None
                fractions[key] = None
                continue
            used = add({name: o}, scale_usage({name: per}, n))[name]
            row[key] = str(used)
            fractions[key] = _fraction(used, h)
        row["fractions"] = fractions
        admits = _admits(h.nanos - o.nanos, per.nanos)
        row["replicas_admitted"] = admits
        row["binding"] = admits is not None and admits == total
        out["resources"][name] = row
    return out


def quota_summary(sc: Scenario, peak_replicas: int) -> dict[str, dict[str, str]]:
    """The simulate summary's ``quota`` block: ``{"peak_used": {...}, "hard": {...}}``.

    Only the quota's resources that pods are charged for; ``peak_used`` is
    ``namespace.otherUsage`` plus ``peak_replicas`` pods' charge. Empty dicts without a
    matching quota.
    """
    h = headroom(sc, peak_replicas)
    return {
        "peak_used": {k: r["at_peak"] for k, r in h["resources"].items()},
        "hard": {k: r["hard"] for k, r in h["resources"].items()},
    }


def exceeded_message(sc: Scenario, replicas: int) -> str | None:
    """The API server's refusal of the pod that would take the workload to ``replicas``.

    None when the quota admits ``replicas`` pods (or there is no matching quota). The
    message is ``pods "<generateName>" is forbidden: exceeded quota: ...`` for the first
    pod over the limit, with ``used`` as it stands just before it.
    """
    from capacity.k8s.quota import QuotaExceededError, check_request

    rq = sc.namespace.resourceQuota
    if rq is None:
        return None
    spec = rq.to_k8s()
    pod, _ = defaulted_pod(sc)
    if not quota_matches(spec, pod):
        return None
    hard = spec.get("hard") or {}
    names = matching_resources(hard)
    per_pod = mask(pod_usage(pod), names)
    other = mask({k: Quantity.parse(v) for k, v in sc.namespace.otherUsage.items()}, names)
    admitted = max_replicas_admitted(mask(hard, names), other, per_pod)
    if admitted is None or admitted >= replicas:
        return None
    used = add(other, scale_usage(per_pod, admitted))
    try:
        check_request([(quota_name(sc), hard, used)], pod_usage(pod))
    except QuotaExceededError as e:
        return forbidden_message(pod, e.reason)
    return None  # pragma: no cover - max_replicas_admitted said it would fail
