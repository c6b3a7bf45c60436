"""A pod's effective requests and limits, as the scheduler, kubelet and quota see them.

Mirrors ``k8s.io/component-helpers/resource/helpers.go`` (``PodRequests``,
``PodLimits``, ``AggregateContainerRequests``, ``AggregateContainerLimits``):

* app containers are summed;
* a restartable init container (``restartPolicy: Always``, a sidecar) runs beside the
  app containers, so it is added to the sum, and every later init container runs beside
  the sidecars declared before it;
* the result is the larger, per resource, of that sum and the largest init-container
  step;
* ``pod.spec.overhead`` (from the RuntimeClass) is added to every request, and to a limit
  only where the pod has a limit for that resource.

Not modelled: pod-level resources (``PodLevelResources``), in-place resize status.
Amounts are milli-units (see :mod:`capacity.k8s.types`).
"""

from __future__ import annotations

from capacity.k8s.types import CONTAINER_RESTART_POLICY_ALWAYS, Pod, ResourceList


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


def pod_requests(pod: Pod, exclude_overhead: bool = False) -> ResourceList:
    """``PodRequests``: effective requests, plus overhead unless excluded."""
    reqs = aggregate_container_requests(pod)
    if not exclude_overhead:
        add_resource_list(reqs, pod.overhead)
    return reqs


def pod_limits(pod: Pod, exclude_overhead: bool = False) -> ResourceList:
    """``PodLimits``: effective limits; overhead only on resources that have a limit."""
    limits = aggregate_container_limits(pod)
    if not exclude_overhead:
        for name, amount in pod.overhead.items():
            if name in limits:
                limits[name] += amount
    return limits
