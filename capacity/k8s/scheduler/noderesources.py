"""NodeResourcesFit (Filter, and Score with the default LeastAllocated strategy) and
NodeResourcesBalancedAllocation (Score).

Mirrors ``pkg/scheduler/framework/plugins/noderesources/fit.go``, ``least_allocated.go``,
``resource_allocation.go`` and ``balanced_allocation.go``. The MostAllocated and
RequestedToCapacityRatio strategies are not modelled (the default profile does not use them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from capacity.k8s.resources import pod_requests
from capacity.k8s.scheduler.framework import (
    MAX_NODE_SCORE,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    Status,
)
from capacity.k8s.scheduler.snapshot import NodeInfo, non_zero_requests
from capacity.k8s.types import Pod, ResourceList

ERR_REASON_TOO_MANY_PODS = "Too many pods"


@dataclass(frozen=True, slots=True)
class InsufficientResource:
    """``noderesources.InsufficientResource`` (amounts in milli-units)."""

    resource_name: str
    reason: str
    requested: int
    used: int
    capacity: int
    unresolvable: bool = False
    """The request exceeds the node's whole allocatable (from v1.34, k/k#131345)."""


def is_scalar_resource_name(name: str) -> bool:
    """``schedutil.IsScalarResourceName``: extended, hugepages, prefixed-native, volumes."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    return "/" in name and not name.startswith("requests.")


def compute_pod_resource_request(pod: Pod) -> ResourceList:
    """``computePodResourceRequest``: ``PodRequests`` incl. init containers and overhead."""
    return pod_requests(pod)


def fits_request(pod_request: Mapping[str, int], node_info: NodeInfo) -> list[InsufficientResource]:
    """``fitsRequest`` (noderesources/fit.go): what the node lacks for the pod.

    Order: pods, cpu, memory, ephemeral-storage, then scalar resources by name (upstream
    iterates a Go map there, so its order is random). Zero requests are not checked.
    """
    out: list[InsufficientResource] = []
    node = node_info.node
    allowed = node.allowed_pod_number()
    if len(node_info.pods) + 1 > allowed:
        out.append(
            InsufficientResource("pods", ERR_REASON_TOO_MANY_PODS, 1, len(node_info.pods), allowed)
        )
    alloc = node.allocatable
    used = node_info.requested
    for name in ("cpu", "memory", "ephemeral-storage"):
        want = pod_request.get(name, 0)
        if want > 0 and want > alloc.get(name, 0) - used.get(name, 0):
            cap = alloc.get(name, 0)
            out.append(
                InsufficientResource(
                    name, f"Insufficient {name}", want, used.get(name, 0), cap, want > cap
                )
            )
    for name in sorted(pod_request):
        want = pod_request[name]
        if want == 0 or not is_scalar_resource_name(name):
            continue
        if want > alloc.get(name, 0) - used.get(name, 0):
            cap = alloc.get(name, 0)
            out.append(
                InsufficientResource(
                    name, f"Insufficient {name}", want, used.get(name, 0), cap, want > cap
                )
            )
    return out


def node_resources_fit_filter(
    pod_request: Mapping[str, int], node_info: NodeInfo, unresolvable: bool = True
) -> Status | None:
    """``(*Fit).Filter``: every insufficient resource is a reason.

    With ``unresolvable`` (Kubernetes >= 1.34) a request larger than the node's whole
    allocatable makes the status UnschedulableAndUnresolvable: preemption cannot help.
    """
    missing = fits_request(pod_request, node_info)
    if not missing:
        return None
    code = UNSCHEDULABLE
    if unresolvable and any(m.unresolvable for m in missing):
        code = UNSCHEDULABLE_AND_UNRESOLVABLE
    return Status(code, tuple(m.reason for m in missing))


# ------------------------------------------------------------------------- scoring


def _least_requested_score(requested: int, capacity: int) -> int:
    """``leastRequestedScore``."""
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def node_resources_fit_scores(pod: Pod, infos: Sequence[NodeInfo]) -> dict[str, int]:
    """NodeResourcesFit with the default LeastAllocated strategy (cpu 1, memory 1)."""
    pod_cpu, pod_mem = non_zero_requests(pod)
    scores = {}
    for ni in infos:
        alloc = ni.node.allocatable
        total = weight_sum = 0
        for cap, req in (
            (alloc.get("cpu", 0), ni.non_zero_cpu + pod_cpu),
            (alloc.get("memory", 0), ni.non_zero_mem + pod_mem),
        ):
            if cap == 0:
                continue
            total += _least_requested_score(req, cap)
            weight_sum += 1
        scores[ni.node.name] = total // weight_sum if weight_sum else 0
    return scores


def balanced_allocation_scores(
    pod_request: Mapping[str, int], infos: Sequence[NodeInfo]
) -> dict[str, int] | None:
    """NodeResourcesBalancedAllocation over cpu and memory, on Requested (not non-zero)."""
    pod_cpu, pod_mem = pod_request.get("cpu", 0), pod_request.get("memory", 0)
    if pod_cpu == 0 and pod_mem == 0:
        return None  # best-effort pod: PreScore Skip
    scores = {}
    for ni in infos:
        alloc = ni.node.allocatable
        fractions = []
        for name, want in (("cpu", pod_cpu), ("memory", pod_mem)):
            cap = alloc.get(name, 0)
            if cap == 0:
                continue
            fractions.append(min((ni.requested.get(name, 0) + want) / cap, 1.0))
        std = 0.0
        if len(fractions) == 2:
            std = abs((fractions[0] - fractions[1]) / 2)
        elif len(fractions) > 2:
            mean = sum(fractions) / len(fractions)
            std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
        scores[ni.node.name] = int((1 - std) * MAX_NODE_SCORE)
    return scores
