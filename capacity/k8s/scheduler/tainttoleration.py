"""TaintToleration: filter on NoSchedule/NoExecute taints, score on PreferNoSchedule ones.

Mirrors ``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go``.
"""

from __future__ import annotations

from collections.abc import Sequence

from capacity.k8s.node import (
    TAINT_EFFECT_PREFER_NO_SCHEDULE,
    Node,
    do_not_schedule_taints_filter,
    find_matching_untolerated_taint,
    tolerations_tolerate_taint,
)
from capacity.k8s.scheduler.framework import (
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    Status,
    default_normalize_score,
)
from capacity.k8s.scheduler.snapshot import NodeInfo
from capacity.k8s.types import Pod


def taint_toleration_filter(pod: Pod, node: Node) -> Status | None:
    """``(*TaintToleration).Filter``: the first untolerated NoSchedule/NoExecute taint."""
    taint = find_matching_untolerated_taint(
        node.taints, pod.tolerations, do_not_schedule_taints_filter
    )
    if taint is None:
        return None
    return Status(
        UNSCHEDULABLE_AND_UNRESOLVABLE,
        (f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}",),
    )


def taint_toleration_scores(pod: Pod, infos: Sequence[NodeInfo]) -> dict[str, int]:
    tolerations = [
        t for t in pod.tolerations if not t.effect or t.effect == TAINT_EFFECT_PREFER_NO_SCHEDULE
    ]
    scores = {}
    for ni in infos:
        n = 0
        for taint in ni.node.taints:
            if taint.effect == TAINT_EFFECT_PREFER_NO_SCHEDULE and not tolerations_tolerate_taint(
                tolerations, taint
            ):
                n += 1
        scores[ni.node.name] = n
    default_normalize_score(scores, reverse=True)
    return scores
