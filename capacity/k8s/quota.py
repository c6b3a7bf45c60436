"""ResourceQuota admission for pods, as pure functions (LimitRange re-exported from here).

Mirrors, in ``kubernetes/kubernetes``:

* ``pkg/quota/v1/evaluator/core/pods.go``: ``PodUsageFunc``, ``QuotaV1Pod``,
  ``podComputeUsageHelper``, ``(*podEvaluator).Constraints`` / ``enforcePodContainerConstraints``
  ("must specify ..."), ``MatchingResources``, ``podMatchesScopeFunc`` (Terminating,
  NotTerminating, BestEffort, NotBestEffort, PriorityClass, CrossNamespacePodAffinity);
* ``staging/src/k8s.io/apiserver/pkg/quota/v1/resources.go``: ``Add``, ``Subtract``, ``Mask``,
  ``LessThanOrEqual``, ``ResourceNames``, ``IsZero``, ``IsNegative``;
* ``staging/src/k8s.io/apiserver/pkg/quota/v1/generic/evaluator.go``: ``Matches``;
* ``staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go``:
  ``CheckRequest`` and ``prettyPrint`` (``exceeded quota: %s, requested: %s, used: %s,
  limited: %s``);
* ``plugin/pkg/admission/runtimeclass/admission.go``: ``setOverhead`` / ``validateOverhead``
  (RuntimeClass ``overhead.podFixed`` copied into ``pod.spec.overhead``);
* ``pkg/apis/core/v1/helper/qos/qos.go`` ``GetPodQOS`` (BestEffort only) and
  ``pkg/apis/core/v1/helper/helpers.go`` ``IsExtendedResourceName`` / ``IsNativeResource``.

Usage is computed from ``component-helpers`` ``PodRequests`` / ``PodLimits`` through
:mod:`capacity.k8s.resources`, so RuntimeClass overhead is charged (requests always, limits
only for resources the pod limits) and sidecars / init containers follow the max(sum, init)
rule.

Divergences from upstream (deliberate):

* A quota's ``used`` is whatever the caller passes; a resource missing from it counts as 0
  (upstream refuses with "status unknown for quota" until the quota controller has synced).
* ``now=None`` means "no clock": a pod past its deletion grace period is still charged.
* ``LimitedResources`` (the plugin's AdmissionConfiguration), pod-level resources and
  updates (``resize``) are not modelled.
* The DRA implicit extended resources (``deviceclass.resource.kubernetes.io/<class>``) are
  charged as ``requests.<name>`` as the upstream usage tests expect; matching a quota on them
  follows the same rule **[unverified]** against the Go helper.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from capacity.k8s.limitrange import (
    LIMIT_RANGER_ANNOTATION,
    LIMIT_TYPE_CONTAINER,
    LIMIT_TYPE_POD,
    AdmissionError,
    LimitRangeError,
    Resources,
    admit_limit_range,
    aggregate_errors,
    default_container_resource_requirements,
    default_format,
    forbidden_message,
    limit_range_mutate_pod,
    limit_range_validate_pod,
    limit_request_ratio_constraint,
    max_constraint,
    min_constraint,
    object_name,
    parse_resources,
    pod_limits_quantities,
    pod_requests_quantities,
    request_limit_enforced_values,
    set_defaults_limit_range,
    set_defaults_limit_range_item,
    set_defaults_pod,
)
from capacity.k8s.quantity import Quantity
from capacity.k8s.resources import pod_limits, pod_requests
from capacity.k8s.types import POD_FAILED, POD_SUCCEEDED, Pod

__all__ = [
    "LIMIT_RANGER_ANNOTATION",
    "LIMIT_TYPE_CONTAINER",
    "LIMIT_TYPE_POD",
    "POD_OBJECT_COUNT_NAME",
    "POD_RESOURCES",
    "AdmissionError",
    "LimitRangeError",
    "QuotaConstraintError",
    "QuotaExceededError",
    "Resources",
    "RuntimeClassError",
    "add",
    "admit_limit_range",
    "admit_pod",
    "admit_resource_quota",
    "admit_runtime_class",
    "aggregate_errors",
    "check_request",
    "default_container_resource_requirements",
    "forbidden_message",
    "is_best_effort",
    "is_extended_resource_name",
    "is_zero",
    "less_than_or_equal",
    "limit_range_mutate_pod",
    "limit_range_validate_pod",
    "limit_request_ratio_constraint",
    "mask",
    "matching_resources",
    "max_constraint",
    "max_replicas_admitted",
    "min_constraint",
    "object_name",
    "parse_resources",
    "pod_compute_usage_helper",
    "pod_matches_scope",
    "pod_usage",
    "pretty_print",
    "quota_constraints",
    "quota_matches",
    "quota_v1_pod",
    "request_limit_enforced_values",
    "scale_usage",
    "set_defaults_limit_range",
    "set_defaults_limit_range_item",
    "set_defaults_pod",
    "subtract",
]


class QuotaExceededError(AdmissionError):
    """A quota would be exceeded (``exceeded quota: ...``)."""


class QuotaConstraintError(AdmissionError):
    """A quota tracks cpu/memory and a container does not set it (``must specify ...``)."""


class RuntimeClassError(AdmissionError):
    """The RuntimeClass plugin refused the pod (overhead mismatch)."""


# resource names (core/v1 types.go)
POD_OBJECT_COUNT_NAME = "count/pods"
POD_RESOURCES = (
    POD_OBJECT_COUNT_NAME,
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
)
_POD_RESOURCE_PREFIXES = ("hugepages-", "requests.hugepages-")
_REQUESTED_RESOURCE_PREFIXES = ("hugepages-",)
_REQUESTS_PREFIX = "requests."
_NATIVE_PREFIX = "kubernetes.io/"
_DRA_IMPLICIT_PREFIX = "deviceclass.resource.kubernetes.io/"
# Upstream calls requiring cpu/memory of every container "a mistake" it keeps for
# compatibility and will not extend to other resources.
_VALIDATION_SET = frozenset(
    {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
)

_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


# --------------------------------------------------------------------------- resource lists


def _q(v: Any) -> Quantity:
    return Quantity.parse(v)


def _add_q(a: Quantity, b: Quantity) -> Quantity:
    # Go's Quantity.Add takes the other operand's format when the receiver is zero
    return Quantity(a.nanos + b.nanos, b.format if a.nanos == 0 else a.format)


def add(a: Mapping[str, Any], b: Mapping[str, Any]) -> Resources:
    """``quota.Add``: union of keys, summed where both have one."""
    out = {k: _q(v) for k, v in a.items()}
    for k, v in b.items():
        out[k] = _add_q(out[k], _q(v)) if k in out else _q(v)
    return out


def subtract(a: Mapping[str, Any], b: Mapping[str, Any]) -> Resources:
    """``quota.Subtract``: a - b over the union of keys (missing counts as 0)."""
    out = {k: _q(v) for k, v in a.items()}
    for k, v in b.items():
        q = _q(v)
        out[k] = out[k] - q if k in out else Quantity(-q.nanos, q.format)
    return out


def mask(a: Mapping[str, Any], names: Iterable[str]) -> Resources:
    """``quota.Mask``: only the named resources."""
    keep = set(names)
    return {k: _q(v) for k, v in a.items() if k in keep}


def less_than_or_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """``quota.LessThanOrEqual``: a ≤ b for every key of b that a has; the failing keys."""
    exceeded = [k for k, v in b.items() if k in a and _q(a[k]) > _q(v)]
    return not exceeded, exceeded


def is_zero(a: Mapping[str, Any]) -> bool:
    """``quota.IsZero``: every quantity is zero (true for an empty list)."""
    return all(_q(v).is_zero() for v in a.values())


def is_negative(a: Mapping[str, Any]) -> list[str]:
    """``quota.IsNegative``: the names whose quantity is below zero."""
    return [k for k, v in a.items() if _q(v).nanos < 0]


def scale_usage(usage: Mapping[str, Any], n: int) -> Resources:
    """Usage of ``n`` identical pods (each quantity times n)."""
    return {k: _q(v) * n for k, v in usage.items()}


def pretty_print(a: Mapping[str, Any]) -> str:
    """``prettyPrint``: ``name=quantity`` sorted by name, joined by commas."""
    return ",".join(f"{k}={_q(a[k])}" for k in sorted(a))


# --------------------------------------------------------------------------- pod evaluator


def _is_native_resource(name: str) -> bool:
    return "/" not in name or _NATIVE_PREFIX in name


def is_extended_resource_name(name: str) -> bool:
    """``helper.IsExtendedResourceName``: a domain-prefixed, non-kubernetes.io resource.

    ``requests.<name>`` must also be a valid qualified name. DRA's implicit extended
    resources (``deviceclass.resource.kubernetes.io/...``) count as extended, as the
    upstream usage tests expect.
    """
    if name.startswith(_REQUESTS_PREFIX):
        return False
    if _is_native_resource(name) and not name.startswith(_DRA_IMPLICIT_PREFIX):
        return False
    prefix, _, short = (_REQUESTS_PREFIX + name).rpartition("/")
    return (
        bool(prefix)
        and len(prefix) <= 253
        and bool(_DNS_SUBDOMAIN.match(prefix))
        and 0 < len(short) <= 63
        and bool(_QUALIFIED_NAME.match(short))
    )


def _is_extended_resource_name_for_quota(name: str) -> bool:
    if not name.startswith(_REQUESTS_PREFIX):
        return False
    return not _is_native_resource(name) or name[len(_REQUESTS_PREFIX) :].startswith(
        _DRA_IMPLICIT_PREFIX
    )


def matching_resources(names: Iterable[str]) -> list[str]:
    """``(*podEvaluator).MatchingResources``: the quota resource names pods consume."""
    out: list[str] = []
    for n in names:
        if (
            n in POD_RESOURCES
            or n.startswith(_POD_RESOURCE_PREFIXES)
            or _is_extended_resource_name_for_quota(n)
        ):
            out.append(n)
    return out


def pod_compute_usage_helper(requests: Mapping[str, Any], limits: Mapping[str, Any]) -> Resources:
    """``podComputeUsageHelper``: quota names charged for these requests and limits.

    Always ``pods=1``; ``cpu`` / ``memory`` / ``ephemeral-storage`` requests under both the
    bare and the ``requests.`` name; limits under ``limits.``; hugepages under both names;
    extended resources only as ``requests.<name>``. Presence, not value, decides.
    """
    req = {k: _q(v) for k, v in requests.items()}
    lim = {k: _q(v) for k, v in limits.items()}
    out: Resources = {"pods": Quantity.from_value(1)}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in req:
            out[name] = req[name]
            out[_REQUESTS_PREFIX + name] = req[name]
        if name in lim:
            out["limits." + name] = lim[name]
    for name, q in req.items():
        if name.startswith(_REQUESTED_RESOURCE_PREFIXES):
            out[name] = q
            out[_REQUESTS_PREFIX + name] = q
        if is_extended_resource_name(name):
            out[_REQUESTS_PREFIX + name] = q
    return out


def _pod_meta(pod: Mapping[str, Any] | Pod) -> tuple[str | None, float | None, float | None]:
    if isinstance(pod, Pod):
        return pod.phase, pod.deletion_timestamp, pod.deletion_grace_period_seconds
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    dt, grace = meta.get("deletionTimestamp"), meta.get("deletionGracePeriodSeconds")
    return (
        status.get("phase"),
        None if dt is None else float(dt),
        None if grace is None else float(grace),
    )


def quota_v1_pod(pod: Mapping[str, Any] | Pod, now: float | None = None) -> bool:
    """``QuotaV1Pod``: whether the pod's compute resources are charged to quota.

    Not charged when terminal (Succeeded / Failed) or when ``now`` is past
    ``deletionTimestamp + deletionGracePeriodSeconds`` (a pod stuck terminating, e.g. on a
    lost node). Times are float seconds; ``now=None`` skips the deletion check.
    """
    phase, deletion, grace = _pod_meta(pod)
    if phase in (POD_FAILED, POD_SUCCEEDED):
        return False
    return not (
        deletion is not None
        and grace is not None
        and now is not None
        and now > deletion + int(grace)  # Go truncates the grace period to whole seconds
    )


DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD = 300.0
"""kube-controller-manager ``--resource-quota-sync-period`` default (5 min): how often the
resource quota controller recalculates every quota's ``status.used`` from its listers."""


def charged_in_status(pod: Mapping[str, Any] | Pod, last_recalculated: float) -> bool:
    """Whether ``pod`` is still counted in a quota's ``status.used`` (the figure admission
    checks), given when the quota controller last recalculated it.

    The resource quota controller (``pkg/controller/resourcequota``) recalculates
    ``status.used`` with :func:`quota_v1_pod` at that moment, and again on a pod's deletion
    or on an update that makes ``QuotaV1Pod`` turn false (``resource_quota_monitor.go``
    ``controllerFor``), or at the periodic resync (:data:`DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD`).
    A pod stuck terminating on a lost node sees no such event when its
    ``deletionTimestamp + grace`` passes, so it stays charged until the next recalculation.
    Pods created after ``last_recalculated`` were added by admission and are charged.
    """
    return quota_v1_pod(pod, last_recalculated)


def _pod_totals(pod: Mapping[str, Any] | Pod) -> tuple[Resources, Resources]:
    if isinstance(pod, Pod):
        reqs = {k: Quantity.from_milli(v, default_format(k)) for k, v in pod_requests(pod).items()}
        lims = {k: Quantity.from_milli(v, default_format(k)) for k, v in pod_limits(pod).items()}
        return reqs, lims
    return pod_requests_quantities(pod), pod_limits_quantities(pod)


def pod_usage(pod: Mapping[str, Any] | Pod, now: float | None = None) -> Resources:
    """``PodUsageFunc``: what one pod charges to a quota.

    ``count/pods`` is always 1; the rest (``pods``, cpu, memory, ephemeral-storage,
    hugepages, ``requests.<extended>``) only while :func:`quota_v1_pod` holds. Requests
    include RuntimeClass overhead (``spec.overhead``); limits include it only for
    resources the pod limits. Accepts a pod dict or a :class:`~capacity.k8s.types.Pod`.
    """
    out: Resources = {POD_OBJECT_COUNT_NAME: Quantity.from_value(1)}
    if not quota_v1_pod(pod, now):
        return out
    requests, limits = _pod_totals(pod)
    return add(out, pod_compute_usage_helper(requests, limits))


def _container_keys(pod: Mapping[str, Any] | Pod) -> list[tuple[str, set[str], set[str]]]:
    """(name, request names, limit names) for app then init containers."""
    if isinstance(pod, Pod):
        return [
            (c.name, set(c.requests), set(c.limits)) for c in pod.containers + pod.init_containers
        ]
    spec = pod.get("spec") or {}
    out = []
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        res = c.get("resources") or {}
        out.append(
            (str(c.get("name", "")), set(res.get("requests") or {}), set(res.get("limits") or {}))
        )
    return out


def quota_constraints(required: Iterable[str], pod: Mapping[str, Any] | Pod) -> None:
    """``(*podEvaluator).Constraints``: every container sets what a quota on cpu/memory needs.

    ``required`` are the quota's resource names (``cpu``, ``requests.memory``,
    ``limits.cpu``...); only the cpu/memory ones are enforced. Raises
    :class:`QuotaConstraintError` with upstream's ``must specify cpu for: a,b; memory for: b``
    (resources and container names sorted).
    """
    required_set = set(required) & _VALIDATION_SET
    missing: dict[str, set[str]] = {}
    for name, req_keys, lim_keys in _container_keys(pod):
        have = set(pod_compute_usage_helper(dict.fromkeys(req_keys, 0), dict.fromkeys(lim_keys, 0)))
        for r in required_set - have:
            missing.setdefault(r, set()).add(name)
    if missing:
        parts = [f"{r} for: {','.join(sorted(missing[r]))}" for r in sorted(missing)]
        raise QuotaConstraintError("must specify " + "; ".join(parts))


# --------------------------------------------------------------------------- scopes


def is_best_effort(pod: Mapping[str, Any]) -> bool:
    """``GetPodQOS(pod) == BestEffort``: no container or init container sets a non-zero
    cpu or memory request or limit."""
    spec = pod.get("spec") or {}
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        res = c.get("resources") or {}
        for field in ("requests", "limits"):
            for k, v in (res.get(field) or {}).items():
                if k in ("cpu", "memory") and _q(v).nanos > 0:
                    return False
    return True


def _is_terminating(pod: Mapping[str, Any]) -> bool:
    ads = (pod.get("spec") or {}).get("activeDeadlineSeconds")
    return ads is not None and int(ads) >= 0


def _cross_namespace_terms(terms: Iterable[Mapping[str, Any]]) -> bool:
    return any(t.get("namespaces") or t.get("namespaceSelector") is not None for t in terms)


def _uses_cross_namespace_pod_affinity(pod: Mapping[str, Any]) -> bool:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        a = affinity.get(kind) or {}
        if _cross_namespace_terms(a.get("requiredDuringSchedulingIgnoredDuringExecution") or []):
            return True
        weighted = a.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        if _cross_namespace_terms(w.get("podAffinityTerm") or {} for w in weighted):
            return True
    return False


def _priority_class_matches(pod: Mapping[str, Any], selector: Mapping[str, Any]) -> bool:
    # The selector is a label selector over {"PriorityClass": <name>} (empty if no class).
    name = (pod.get("spec") or {}).get("priorityClassName") or ""
    op = selector.get("operator", "Exists")
    values = list(selector.get("values") or [])
    if op == "Exists":
        return bool(name)
    if op == "DoesNotExist":
        return not name
    if op == "In":
        return bool(name) and name in values
    if op == "NotIn":
        return not name or name not in values
    raise ValueError(f"unsupported scope selector operator {op!r}")


def pod_matches_scope(selector: Mapping[str, Any], pod: Mapping[str, Any] | Pod) -> bool:
    """``podMatchesScopeFunc``: does the pod fall in this quota scope?

    ``selector`` is a ScopedResourceSelectorRequirement ``{"scopeName", "operator",
    "values"}``. A :class:`Pod` has no activeDeadlineSeconds, priority class or affinity
    here, so it is NotTerminating, has no class and no cross-namespace affinity.
    """
    obj: Mapping[str, Any] = _pod_dict(pod)
    scope = selector.get("scopeName")
    if scope == "Terminating":
        return _is_terminating(obj)
    if scope == "NotTerminating":
        return not _is_terminating(obj)
    if scope == "BestEffort":
        return is_best_effort(obj)
    if scope == "NotBestEffort":
        return not is_best_effort(obj)
    if scope == "PriorityClass":
        return _priority_class_matches(obj, selector)
    if scope == "CrossNamespacePodAffinity":
        return _uses_cross_namespace_pod_affinity(obj)
    return False


def _pod_dict(pod: Mapping[str, Any] | Pod) -> Mapping[str, Any]:
    if not isinstance(pod, Pod):
        return pod

    def res(c: Any) -> dict[str, Any]:
        return {
            "requests": {k: Quantity.from_milli(v) for k, v in c.requests.items()},
            "limits": {k: Quantity.from_milli(v) for k, v in c.limits.items()},
        }

    return {
        "metadata": {"name": pod.name},
        "spec": {
            "containers": [{"name": c.name, "resources": res(c)} for c in pod.containers],
            "initContainers": [{"name": c.name, "resources": res(c)} for c in pod.init_containers],
        },
    }


def _scope_selectors(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``getScopeSelectorsFromQuota``: ``scopes`` (as Exists) then ``scopeSelector``."""
    out: list[Mapping[str, Any]] = [
        {"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or []
    ]
    out += list((spec.get("scopeSelector") or {}).get("matchExpressions") or [])
    return out


def quota_matches(spec: Mapping[str, Any], pod: Mapping[str, Any] | Pod) -> bool:
    """``generic.Matches``: the quota limits something pods use and every scope matches."""
    if not matching_resources((spec.get("hard") or {}).keys()):
        return False
    return all(pod_matches_scope(s, pod) for s in _scope_selectors(spec))


# --------------------------------------------------------------------------- admission

QuotaTriple = tuple[str, Mapping[str, Any], Mapping[str, Any]]
"""(name, hard, used) for :func:`check_request`; (name, spec, used) for admission."""


def _used_with_zeros(hard: Resources, used: Mapping[str, Any]) -> Resources:
    # the quota controller records 0 for every hard resource; we do the same
    out = {k: Quantity(0) for k in hard}
    out.update({k: _q(v) for k, v in used.items()})
    return out


def check_request(
    quotas: Sequence[QuotaTriple], requested_usage: Mapping[str, Any]
) -> list[Resources]:
    """The usage check of ``CheckRequest`` for one new object against matching quotas.

    ``quotas`` are ``(name, hard, used)``; each is charged ``requested_usage`` masked to
    its hard resources. Returns the new ``used`` of each quota (same order). Raises
    :class:`QuotaExceededError` for the first quota that would go over, with upstream's
    ``exceeded quota: <name>, requested: <r>, used: <u>, limited: <h>`` (only the
    exceeded resources, sorted). A resource missing from ``used`` counts as 0.
    """
    delta = {k: _q(v) for k, v in requested_usage.items()}
    out: list[Resources] = []
    for name, hard_raw, used_raw in quotas:
        hard = {k: _q(v) for k, v in hard_raw.items()}
        used = _used_with_zeros(hard, used_raw)
        requested = mask(delta, hard.keys())
        new_usage = add(used, requested)
        ok, exceeded = less_than_or_equal(mask(new_usage, requested.keys()), hard)
        if not ok:
            raise QuotaExceededError(
                f"exceeded quota: {name}, requested: {pretty_print(mask(requested, exceeded))}, "
                f"used: {pretty_print(mask(used, exceeded))}, "
                f"limited: {pretty_print(mask(hard, exceeded))}"
            )
        out.append(new_usage)
    return out


def admit_resource_quota(
    pod: Mapping[str, Any], quotas: Sequence[QuotaTriple], now: float | None = None
) -> list[Resources]:
    """The ResourceQuota plugin on a pod create (``CheckRequest`` with the pod evaluator).

    ``quotas`` are ``(name, ResourceQuotaSpec dict, used)``. For each quota whose resources
    and scopes match the pod, the container constraints are checked first (``failed quota:
    <name>: must specify ...``), then the pod's usage is charged to all of them. Returns
    the new ``used`` of every quota (unchanged for quotas that do not match). Raises
    :class:`QuotaConstraintError`, :class:`QuotaExceededError` or :class:`AdmissionError`
    (negative usage) with the API server's ``pods "<name>" is forbidden: ...`` message.
    """
    interesting: list[int] = []
    for i, (name, spec, _) in enumerate(quotas):
        if not quota_matches(spec, pod):
            continue
        restricted = matching_resources((spec.get("hard") or {}).keys())
        try:
            quota_constraints(restricted, pod)
        except QuotaConstraintError as e:
            reason = f"failed quota: {name}: {e.reason}"
            raise QuotaConstraintError(forbidden_message(pod, reason), reason) from None
        interesting.append(i)

    delta = pod_usage(pod, now)
    negative = is_negative(delta)
    if negative:
        reason = f"quota usage is negative for resource(s): {','.join(sorted(negative))}"
        raise AdmissionError(forbidden_message(pod, reason), reason)

    result = [{k: _q(v) for k, v in used.items()} for _, _, used in quotas]
    if is_zero(delta) or not interesting:
        return result
    triples = [(quotas[i][0], quotas[i][1].get("hard") or {}, quotas[i][2]) for i in interesting]
    try:
        new_used = check_request(triples, delta)
    except QuotaExceededError as e:
        raise QuotaExceededError(forbidden_message(pod, e.reason), e.reason) from None
    for i, u in zip(interesting, new_used, strict=True):
        result[i] = u
    return result


def max_replicas_admitted(
    hard: Mapping[str, Any], used_by_others: Mapping[str, Any], per_pod_usage: Mapping[str, Any]
) -> int | None:
    """How many more identical pods this quota admits, one create at a time.

    ``per_pod_usage`` is one pod's :func:`pod_usage`. Each create passes
    :func:`check_request` iff ``used + n·usage ≤ hard`` for every hard resource the pod is
    charged (a charged resource already over its hard limit blocks even a zero charge),
    so the answer is ``min ⌊(hard - used) / usage⌋`` over charged resources with positive
    usage, or 0 if one is already over. None means no hard resource limits the count.
    Raises ValueError on negative usage (upstream refuses such pods outright).
    """
    hard_q = {k: _q(v) for k, v in hard.items()}
    used_q = _used_with_zeros(hard_q, used_by_others)
    best: int | None = None
    for name, per in mask(per_pod_usage, hard_q.keys()).items():
        if per.nanos < 0:
            raise ValueError(f"negative usage for {name}: {per}")
        room = hard_q[name].nanos - used_q[name].nanos
        if room < 0:
            return 0
        if per.nanos > 0:
            n = room // per.nanos
            best = n if best is None else min(best, n)
    return best


# --------------------------------------------------------------------------- RuntimeClass


def _same_resources(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    # apiequality.Semantic.DeepEqual compares quantities by value ("1000m" == "1")
    return set(a) == set(b) and all(_q(a[k]) == _q(b[k]) for k in a)


def admit_runtime_class(
    pod: Mapping[str, Any], runtime_class: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The RuntimeClass plugin's overhead rules (``setOverhead`` then ``validateOverhead``).

    With a RuntimeClass that defines ``overhead.podFixed``, the pod's ``spec.overhead`` is
    set to it; a pod that already carries a different overhead is refused. A pod that
    carries an overhead its RuntimeClass does not define is refused too. Returns the
    mutated copy; raises :class:`RuntimeClassError` with the API server's message.
    """
    out = copy.deepcopy(dict(pod))
    spec = out.setdefault("spec", {})
    fixed = ((runtime_class or {}).get("overhead") or {}).get("podFixed")
    current = spec.get("overhead")
    if fixed is not None:
        if current and not _same_resources(current, fixed):
            reason = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"
            raise RuntimeClassError(forbidden_message(out, reason), reason)
        spec["overhead"] = copy.deepcopy(dict(fixed))
    elif current is not None:
        reason = (
            "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
        )
        raise RuntimeClassError(forbidden_message(out, reason), reason)
    return out


def admit_pod(
    pod: Mapping[str, Any],
    *,
    limit_ranges: Iterable[Mapping[str, Any]] = (),
    quotas: Sequence[QuotaTriple] = (),
    runtime_class: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> tuple[dict[str, Any], list[Resources]]:
    """Pod create through the admission chain: RuntimeClass, LimitRanger, ResourceQuota.

    API defaulting (requests ← limits, LimitRange item defaults) is applied first, then
    mutation (overhead from the RuntimeClass, LimitRange defaults), then validation in
    the API server's plugin order (LimitRanger, RuntimeClass, ResourceQuota). Returns the
    admitted pod and each quota's new ``used``; raises the first :class:`AdmissionError`.
    """
    admitted = admit_runtime_class(pod, runtime_class) if runtime_class is not None else dict(pod)
    admitted = admit_limit_range(admitted, limit_ranges)
    return admitted, admit_resource_quota(admitted, quotas, now)
