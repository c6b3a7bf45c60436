"""NodeUnschedulable (filter only): a cordoned node takes no new pod.

Mirrors ``pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go``.
"""

from __future__ import annotations

from capacity.k8s.node import (
    TAINT_EFFECT_NO_SCHEDULE,
    TAINT_NODE_UNSCHEDULABLE,
    Node,
    Taint,
    tolerations_tolerate_taint,
)
from capacity.k8s.scheduler.framework import UNSCHEDULABLE_AND_UNRESOLVABLE, Status
from capacity.k8s.types import Pod

ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"


def node_unschedulable_filter(pod: Pod, node: Node) -> Status | None:
    """``(*NodeUnschedulable).Filter``: a cordoned node, unless the pod tolerates
    ``node.kubernetes.io/unschedulable:NoSchedule``."""
    if not node.unschedulable:
        return None
    if tolerations_tolerate_taint(
        pod.tolerations, Taint(TAINT_NODE_UNSCHEDULABLE, "", TAINT_EFFECT_NO_SCHEDULE)
    ):
        return None
    return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_UNSCHEDULABLE,))
