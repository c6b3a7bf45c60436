"""A minimal mirror of ``core/v1 Node`` and the taint/toleration helpers the scheduler uses.

Well-known labels and taints are the ``k8s.io/api/core/v1`` constants
(``well_known_labels.go``, ``well_known_taints.go``). The helpers mirror:

* ``k8s.io/api/core/v1/toleration.go`` ``(*Toleration).ToleratesTaint``;
* ``k8s.io/component-helpers/scheduling/corev1/helpers.go``
  ``TolerationsTolerateTaint`` and ``FindMatchingUntoleratedTaint``;
* ``k8s.io/kubernetes/pkg/apis/core/v1/helper/helpers.go`` ``GetMatchingTolerations``;
* ``k8s.io/kubernetes/pkg/scheduler/framework/plugins/helper/taint.go``
  ``DoNotScheduleTaintsFilterFunc``.

Resource amounts are milli-units (``Quantity.MilliValue()``), so the ``pods`` entry of
``allocatable`` is the pod count times 1000; :meth:`Node.allowed_pod_number` undoes that.
Times are float seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capacity.k8s.types import (
    CONDITION_TRUE,
    CONDITION_UNKNOWN,
    ResourceList,
    Toleration,
    resource_list,
)

# Well-known labels (k8s.io/api/core/v1/well_known_labels.go)
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone"
LABEL_TOPOLOGY_REGION = "topology.kubernetes.io/region"
LABEL_INSTANCE_TYPE = "node.kubernetes.io/instance-type"

# Well-known taints (k8s.io/api/core/v1/well_known_taints.go)
TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_NODE_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_NODE_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_NODE_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_NODE_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"
TAINT_NODE_OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"

# Taint effects (core/v1 TaintEffect)
TAINT_EFFECT_NO_SCHEDULE = "NoSchedule"
TAINT_EFFECT_PREFER_NO_SCHEDULE = "PreferNoSchedule"
TAINT_EFFECT_NO_EXECUTE = "NoExecute"

# Toleration operators (core/v1 TolerationOperator)
TOLERATION_OP_EQUAL = "Equal"
TOLERATION_OP_EXISTS = "Exists"

# Node condition type
NODE_READY = "Ready"

RESOURCE_PODS = "pods"


@dataclass(slots=True)
class Taint:
    """``core/v1 Taint``: key, value, effect and timeAdded (seconds, NoExecute only)."""

    key: str
    value: str = ""
    effect: str = TAINT_EFFECT_NO_SCHEDULE
    time_added: float | None = None

    def __str__(self) -> str:
        """``(*Taint).ToString``: ``key=value:effect``, ``key:effect`` without value."""
        if not self.value:
            return f"{self.key}:{self.effect}"
        return f"{self.key}={self.value}:{self.effect}"


@dataclass(slots=True, eq=False)
class Node:
    """``core/v1 Node``, flattened to what the scheduler and node lifecycle read.

    ``allocatable`` is ``status.allocatable`` in milli-units, including ``pods``.
    ``ready`` is the status of the ``Ready`` condition (``"True"``, ``"False"``,
    ``"Unknown"``); the scheduler itself does not read it (since TaintNodesByCondition it
    sees not-ready nodes only through their taints). Identity is by object.
    """

    name: str
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[Taint] = field(default_factory=list)
    allocatable: ResourceList = field(default_factory=dict)
    unschedulable: bool = False
    ready: str = CONDITION_TRUE
    ready_transition_time: float = 0.0

    def allowed_pod_number(self) -> int:
        """``Allocatable.Pods().Value()``: how many pods the kubelet admits (0 if unset)."""
        return self.allocatable.get(RESOURCE_PODS, 0) // 1000

    def is_ready(self) -> bool:
        """The Ready condition is True."""
        return self.ready == CONDITION_TRUE


def node_from_manifest(obj: Mapping[str, Any]) -> Node:
    """Build a :class:`Node` from a Kubernetes-shaped dict (``kubectl get node -o json``).

    ``timeAdded`` of taints and the Ready condition's ``lastTransitionTime`` are float
    seconds. A node without a Ready condition is treated as Ready; a missing condition
    status as Unknown.
    """
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    taints = [
        Taint(
            key=t["key"],
            value=t.get("value") or "",
            effect=t.get("effect", TAINT_EFFECT_NO_SCHEDULE),
            time_added=None if t.get("timeAdded") is None else float(t["timeAdded"]),
        )
        for t in spec.get("taints") or []
    ]
    ready = CONDITION_TRUE
    ready_time = 0.0
    for c in status.get("conditions") or []:
        if c.get("type") == NODE_READY:
            ready = c.get("status", CONDITION_UNKNOWN)
            ready_time = float(c.get("lastTransitionTime") or 0.0)
    return Node(
        name=meta.get("name", ""),
        labels=dict(meta.get("labels") or {}),
        taints=taints,
        allocatable=resource_list(status.get("allocatable")),
        unschedulable=bool(spec.get("unschedulable", False)),
        ready=ready,
        ready_transition_time=ready_time,
    )


def toleration_tolerates_taint(toleration: Toleration, taint: Taint) -> bool:
    """``(*Toleration).ToleratesTaint``: does this toleration tolerate the taint.

    An empty effect matches every effect, an empty key every key (with ``Exists``);
    operator ``Equal`` (or empty) compares values, ``Exists`` ignores them; any other
    operator tolerates nothing (the alpha ``Gt``/``Lt`` operators are not modelled).
    """
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    op = toleration.operator or TOLERATION_OP_EQUAL
    if op == TOLERATION_OP_EQUAL:
        return (toleration.value or "") == (taint.value or "")
    return op == TOLERATION_OP_EXISTS


def tolerations_tolerate_taint(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    """``TolerationsTolerateTaint``: some toleration tolerates the taint."""
    return any(toleration_tolerates_taint(t, taint) for t in tolerations)


def do_not_schedule_taints_filter(taint: Taint) -> bool:
    """``DoNotScheduleTaintsFilterFunc``: the taint's effect is NoSchedule or NoExecute."""
    return taint.effect in (TAINT_EFFECT_NO_SCHEDULE, TAINT_EFFECT_NO_EXECUTE)


def find_matching_untolerated_taint(
    taints: Sequence[Taint],
    tolerations: Sequence[Toleration],
    inclusion_filter: Callable[[Taint], bool] | None = None,
) -> Taint | None:
    """``FindMatchingUntoleratedTaint``: the first taint (in node order) that passes the
    filter and that no toleration tolerates, or None if every such taint is tolerated."""
    for taint in taints:
        if inclusion_filter is not None and not inclusion_filter(taint):
            continue
        if not tolerations_tolerate_taint(tolerations, taint):
            return taint
    return None


def get_matching_tolerations(
    taints: Sequence[Taint], tolerations: Sequence[Toleration]
) -> tuple[bool, list[Toleration]]:
    """``GetMatchingTolerations`` (pkg/apis/core/v1/helper): whether every taint is
    tolerated, and for each taint the first toleration that tolerates it."""
    if not taints:
        return True, []
    if not tolerations:
        return False, []
    result: list[Toleration] = []
    for taint in taints:
        for t in tolerations:
            if toleration_tolerates_taint(t, taint):
                result.append(t)
                break
        else:
            return False, []
    return True, result
