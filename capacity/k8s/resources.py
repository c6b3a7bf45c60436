"""A pod's effective requests and limits, as the scheduler, kubelet and quota see them.

Mirrors ``k8s.io/component-helpers/resource/helpers.go`` (``PodRequests``,
``PodLimits``, ``AggregateContainerRequests``, ``AggregateContainerLimits``,
``IsPodLevelResourcesSet``, ``IsPodLevelRequestsSet``, ``IsSupportedPodLevelResource``):

* app containers are summed;
* a restartable init container (``restartPolicy: Always``, a sidecar) runs beside the
  app containers, so it is added to the sum, and every later init container runs beside
  the sidecars declared before it;
* the result is the larger, per resource, of that sum and the largest init-container
  step;
* pod-level resources (``pod.spec.resources``, KEP-2837, feature gate
  ``PodLevelResources``: alpha and off in 1.32, beta and on from 1.34) replace that
  aggregate for the resources they set (cpu, memory, hugepages-*), unless the caller
  skips them (upstream callers skip them when the gate is off);
* ``pod.spec.overhead`` (from the RuntimeClass) is added to every request, and to a limit
  only where the pod has a non-zero limit for that resource.

Not modelled: in-place resize status (``UseStatusResources``), DRA claims.
Amounts are milli-units (see :mod:`capacity.k8s.types`).
"""

from __future__ import annotations

from capacity.k8s.types import CONTAINER_RESTART_POLICY_ALWAYS, Pod, ResourceList

POD_LEVEL_RESOURCES_ALPHA_MINOR = 32
"""``PodLevelResources`` is alpha (default off) from Kubernetes 1.32 (``pkg/features/kube_features.go``)."""
POD_LEVEL_RESOURCES_BETA_MINOR = 34
"""``PodLevelResources`` is beta (default on) from Kubernetes 1.34 (``pkg/features/kube_features.go``)."""

_SUPPORTED_POD_LEVEL_RESOURCES = frozenset(("cpu", "memory"))
_HUGEPAGES_PREFIX = "hugepages-"


def pod_level_resources_enabled(kubernetes_minor: int | None, feature_gate: bool | None = None) -> bool:
    """Whether the ``PodLevelResources`` gate is on in Kubernetes ``1.<kubernetes_minor>``.

    ``feature_gate`` is an explicit ``--feature-gates`` setting (None = the default of that
    version). Before 1.32 the gate does not exist, so it is off whatever is asked; an
    unknown version (None) is treated as before 1.32.
    """
    if kubernetes_minor is None or kubernetes_minor < POD_LEVEL_RESOURCES_ALPHA_MINOR:
        return False
    if feature_gate is not None:
        return feature_gate
    return kubernetes_minor >= POD_LEVEL_RESOURCES_BETA_MINOR


def is_supported_pod_level_resource(name: str) -> bool:
    """``IsSupportedPodLevelResource``: cpu, memory and hugepages-* (newer helpers)."""
    return name in _SUPPORTED_POD_LEVEL_RESOURCES or name.startswith(_HUGEPAGES_PREFIX)


def is_pod_level_requests_set(pod: Pod) -> bool:
    """``IsPodLevelRequestsSet``: pod-level requests name at least one supported resource."""
    res = pod.resources
    if res is None or not res.requests:
        return False
    return any(is_supported_pod_level_resource(name) for name in res.requests)


def is_pod_level_limits_set(pod: Pod) -> bool:
    """``IsPodLevelLimitsSet``: pod-level limits name at least one supported resource."""
    res = pod.resources
    if res is None or not res.limits:
        return False
    return any(is_supported_pod_level_resource(name) for name in res.limits)


def is_pod_level_resources_set(pod: Pod) -> bool:
    """``IsPodLevelResourcesSet``: pod-level requests or limits are set."""
    return is_pod_level_requests_set(pod) or is_pod_level_limits_set(pod)


def add_resource_list(into: ResourceList, other: ResourceList) -> None:
    """``addResourceList``: add ``other`` into ``into`` in place."""
    for name, amount in other.items():
        into[name] = into.get(name, 0) + amount


def max_resource_list(into: ResourceList, other: ResourceList) -> None:
    """``maxResourceList``: per resource, keep the larger amount, in place."""
    for name, amount in other.items():
        if name not in into or amount > into[name]:
            into[name] = amount


def _aggregate(pod: Pod, pick: str) -> ResourceList:
    total: ResourceList = {}
    for c in pod.containers:
        add_resource_list(total, getattr(c, pick))
    sidecars: ResourceList = {}
    init_max: ResourceList = {}
    for c in pod.init_containers:
        own = getattr(c, pick)
        if c.restart_policy == CONTAINER_RESTART_POLICY_ALWAYS:
            add_resource_list(total, own)
            add_resource_list(sidecars, own)
            step = dict(sidecars)
        else:
            step = dict(own)
            add_resource_list(step, sidecars)
        max_resource_list(init_max, step)
    max_resource_list(total, init_max)
    return total


def aggregate_container_requests(pod: Pod) -> ResourceList:
    """``AggregateContainerRequests``: containers and init containers, no overhead."""
    return _aggregate(pod, "requests")


def aggregate_container_limits(pod: Pod) -> ResourceList:
    """``AggregateContainerLimits``: containers and init containers, no overhead."""
    return _aggregate(pod, "limits")


def _apply_pod_level(result: ResourceList, pod_level: ResourceList) -> None:
    """``applyPodLevelResources``: pod-level amounts replace the aggregate, per resource."""
    for name, amount in pod_level.items():
        if is_supported_pod_level_resource(name):
            result[name] = amount


def pod_requests(
    pod: Pod, exclude_overhead: bool = False, skip_pod_level_resources: bool = False
) -> ResourceList:
    """``PodRequests``: effective requests (milli), plus overhead unless excluded.

    Pod-level requests replace the container aggregate for the resources they set,
    unless ``skip_pod_level_resources`` (what upstream callers pass when the
    ``PodLevelResources`` gate is off: see :func:`pod_level_resources_enabled`).
    """
    reqs = aggregate_container_requests(pod)
    if not skip_pod_level_resources and is_pod_level_requests_set(pod):
        assert pod.resources is not None
        _apply_pod_level(reqs, pod.resources.requests)
    if not exclude_overhead:
        add_resource_list(reqs, pod.overhead)
    return reqs


def pod_limits(
    pod: Pod, exclude_overhead: bool = False, skip_pod_level_resources: bool = False
) -> ResourceList:
    """``PodLimits``: effective limits (milli); overhead only on non-zero limits.

    Pod-level limits replace the container aggregate for the resources they set when
    pod-level requests or limits are set (``IsPodLevelResourcesSet``), unless skipped.
    """
    limits = aggregate_container_limits(pod)
    if not skip_pod_level_resources and is_pod_level_resources_set(pod):
        assert pod.resources is not None
        _apply_pod_level(limits, pod.resources.limits)
    if not exclude_overhead:
        for name, amount in pod.overhead.items():
            # upstream adds overhead only to a limit that is present and not zero
            if limits.get(name):
                limits[name] += amount
    return limits
