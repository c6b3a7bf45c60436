"""NodeAffinity: ``nodeSelector`` and required node affinity (PreFilter, Filter), preferred
node affinity (Score).

Mirrors ``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go``; the terms are
parsed in :mod:`capacity.k8s.scheduler.selectors`.
"""

from __future__ import annotations

from collections.abc import Sequence

from capacity.k8s.node import Node
from capacity.k8s.scheduler.framework import (
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    Status,
    default_normalize_score,
)
from capacity.k8s.scheduler.selectors import OBJECT_NAME_FIELD
from capacity.k8s.scheduler.snapshot import NodeInfo
from capacity.k8s.scheduler.spec import SchedulingSpec

ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_NODE_AFFINITY_CONFLICT = "pod affinity terms conflict"


def node_affinity_pre_filter(spec: SchedulingSpec) -> tuple[set[str] | None, Status | None]:
    """``(*NodeAffinity).PreFilter``: the node names required by ``matchFields`` on
    ``metadata.name`` (None = all nodes), or a conflict status."""
    terms = spec.required_node_affinity
    if not terms:
        return None, None
    names: set[str] | None = None
    for t in terms:
        term_names: set[str] | None = None
        for r in t.get("matchFields") or []:
            if r.get("key") == OBJECT_NAME_FIELD and r.get("operator") == "In":
                s = {str(v) for v in r.get("values") or []}
                term_names = s if term_names is None else term_names & s
        if term_names is None:
            return None, None
        names = term_names if names is None else names | term_names
    if names is not None and not names:
        return None, Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_NODE_AFFINITY_CONFLICT,))
    return names, None


def node_affinity_filter(spec: SchedulingSpec, node: Node) -> Status | None:
    """``(*NodeAffinity).Filter``: nodeSelector and required node affinity."""
    required = spec.required_node_affinity_matcher()
    if required.is_empty() or required.match(node):
        return None
    return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_NODE_AFFINITY,))


def node_affinity_scores(spec: SchedulingSpec, infos: Sequence[NodeInfo]) -> dict[str, int] | None:
    preferred = spec._preferred
    if not preferred:
        return None  # PreScore Skip
    scores = {ni.node.name: sum(w for w, t in preferred if t.match(ni.node)) for ni in infos}
    default_normalize_score(scores, reverse=False)
    return scores
