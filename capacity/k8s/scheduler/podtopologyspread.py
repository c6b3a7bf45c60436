"""PodTopologySpread: DoNotSchedule constraints filter (PreFilter, Filter), ScheduleAnyway
constraints and the system defaults score (PreScore, Score, NormalizeScore).

Mirrors ``pkg/scheduler/framework/plugins/podtopologyspread/common.go``, ``filtering.go``,
``scoring.go`` and ``plugin.go``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from capacity.k8s.node import (
    LABEL_HOSTNAME,
    LABEL_TOPOLOGY_ZONE,
    Node,
    do_not_schedule_taints_filter,
    find_matching_untolerated_taint,
)
from capacity.k8s.scheduler.framework import (
    DEFAULT_CONFIG,
    MAX_NODE_SCORE,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    SchedulerConfig,
    Status,
)
from capacity.k8s.scheduler.selectors import (
    RequiredNodeAffinity,
    Requirement,
    Selector,
    label_selector_as_selector,
)
from capacity.k8s.scheduler.snapshot import NodeInfo, Snapshot
from capacity.k8s.scheduler.spec import (
    DO_NOT_SCHEDULE,
    POLICY_HONOR,
    POLICY_IGNORE,
    SCHEDULE_ANYWAY,
    SchedulingSpec,
    TopologySpreadConstraint,
)
from capacity.k8s.types import Pod

_MAX_INT32 = 2**31 - 1

ERR_REASON_SPREAD = "node(s) didn't match pod topology spread constraints"
ERR_REASON_SPREAD_MISSING_LABEL = ERR_REASON_SPREAD + " (missing required label)"


@dataclass(frozen=True, slots=True)
class _SpreadConstraint:
    """``topologySpreadConstraint``: parsed selector and resolved defaults."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int
    node_affinity_policy: str
    node_taints_policy: str

    def match_node_inclusion_policies(
        self, pod: Pod, node: Node, required: RequiredNodeAffinity
    ) -> bool:
        """``matchNodeInclusionPolicies``."""
        if self.node_affinity_policy == POLICY_HONOR and not required.match(node):
            return False
        if self.node_taints_policy == POLICY_HONOR:
            untolerated = find_matching_untolerated_taint(
                node.taints, pod.tolerations, do_not_schedule_taints_filter
            )
            if untolerated is not None:
                return False
        return True


SYSTEM_DEFAULT_CONSTRAINTS: tuple[TopologySpreadConstraint, ...] = (
    TopologySpreadConstraint(3, LABEL_HOSTNAME, SCHEDULE_ANYWAY, {}),
    TopologySpreadConstraint(5, LABEL_TOPOLOGY_ZONE, SCHEDULE_ANYWAY, {}),
)
"""``systemDefaultConstraints`` (podtopologyspread/plugin.go)."""


def _filter_spread_constraints(
    constraints: Sequence[TopologySpreadConstraint], pod_labels: Mapping[str, str], action: str
) -> list[_SpreadConstraint]:
    """``filterTopologySpreadConstraints``: those with ``whenUnsatisfiable == action``."""
    out = []
    for c in constraints:
        if c.when_unsatisfiable != action:
            continue
        sel = c._selector
        if c.match_label_keys:
            extra = [
                Requirement(k, "In", frozenset((pod_labels[k],)))
                for k in c.match_label_keys
                if k in pod_labels
            ]
            if extra:
                # mergeLabelSetWithSelector: the pod's values, then the selector's
                # requirements (a nil selector has none to add).
                sel = Selector(extra if sel.is_nothing() else (*extra, *sel.requirements))
        out.append(
            _SpreadConstraint(
                max_skew=c.max_skew,
                topology_key=c.topology_key,
                selector=sel,
                min_domains=1 if c.min_domains is None else c.min_domains,
                node_affinity_policy=c.node_affinity_policy or POLICY_HONOR,
                node_taints_policy=c.node_taints_policy or POLICY_IGNORE,
            )
        )
    return out


def _default_selector(pod: Pod, spec: SchedulingSpec) -> Selector:
    """Stand-in for ``helper.DefaultSelector`` (see the module docstring)."""
    if spec.default_spread_selector is not None:
        return label_selector_as_selector(spec.default_spread_selector)
    return Selector(Requirement(k, "In", frozenset((v,))) for k, v in pod.labels.items())


def _build_default_constraints(
    pod: Pod, spec: SchedulingSpec, action: str, config: SchedulerConfig
) -> list[_SpreadConstraint]:
    """``buildDefaultConstraints``: the system defaults with the pod's default selector."""
    if not config.system_default_spreading:
        return []
    cons = _filter_spread_constraints(SYSTEM_DEFAULT_CONSTRAINTS, pod.labels, action)
    if not cons:
        return []
    sel = _default_selector(pod, spec)
    if sel.empty():
        return []
    return [replace(c, selector=sel) for c in cons]


def _get_constraints(
    pod: Pod, spec: SchedulingSpec, action: str, config: SchedulerConfig
) -> list[_SpreadConstraint]:
    if spec.topology_spread_constraints:
        return _filter_spread_constraints(spec.topology_spread_constraints, pod.labels, action)
    return _build_default_constraints(pod, spec, action, config)


def _node_has_keys(labels: Mapping[str, str], constraints: Sequence[_SpreadConstraint]) -> bool:
    """``nodeLabelsMatchSpreadConstraints``."""
    return all(c.topology_key in labels for c in constraints)


def _count_pods_match_selector(pods: Iterable[Pod], selector: Selector, namespace: str) -> int:
    """``countPodsMatchSelector``: terminating pods and other namespaces are not counted."""
    if selector.is_nothing():
        return 0
    n = 0
    eq = selector._eq
    if len(eq) == 1 and not selector._rest:
        # Hot path (one matchLabels entry): inlined, the simulation calls this per pod.
        ((key, value),) = eq
        for p in pods:
            if (
                p.deletion_timestamp is None
                and p.namespace == namespace
                and p.labels.get(key) == value
            ):
                n += 1
        return n
    for p in pods:
        if p.deletion_timestamp is None and p.namespace == namespace and selector.matches(p.labels):
            n += 1
    return n


@dataclass(slots=True)
class SpreadPreFilterState:
    """``podtopologyspread.preFilterState``: per DoNotSchedule constraint, the number of
    matching pods in each eligible domain (``TpValueToMatchNum``)."""

    constraints: list[_SpreadConstraint]
    match_num: list[dict[str, int]]

    def min_match_num(self, i: int) -> int:
        """``minMatchNum``: the global minimum, 0 while domains < minDomains."""
        counts = self.match_num[i]
        if len(counts) < self.constraints[i].min_domains:
            return 0
        return min(counts.values()) if counts else _MAX_INT32


def cal_pre_filter_state(
    pod: Pod,
    spec: SchedulingSpec,
    node_infos: Iterable[NodeInfo],
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> SpreadPreFilterState:
    """``calPreFilterState`` (podtopologyspread/filtering.go) over all nodes.

    A node is a domain of a constraint if it carries every constraint's topology key and
    passes that constraint's inclusion policies; domains with no matching pod count (as 0).
    """
    constraints = _get_constraints(pod, spec, DO_NOT_SCHEDULE, config)
    match_num: list[dict[str, int]] = [{} for _ in constraints]
    if not constraints:
        return SpreadPreFilterState(constraints, match_num)
    required = spec.required_node_affinity_matcher()
    for ni in node_infos:
        node = ni.node
        labels = node.labels
        if not _node_has_keys(labels, constraints):
            continue
        for i, c in enumerate(constraints):
            if not c.match_node_inclusion_policies(pod, node, required):
                continue
            value = labels[c.topology_key]
            count = _count_pods_match_selector(ni.pods, c.selector, pod.namespace)
            match_num[i][value] = match_num[i].get(value, 0) + count
    return SpreadPreFilterState(constraints, match_num)


def pod_topology_spread_filter(pod: Pod, state: SpreadPreFilterState, node: Node) -> Status | None:
    """``(*PodTopologySpread).Filter``: reject if ``matchNum + selfMatch − globalMin >
    maxSkew`` for some DoNotSchedule constraint, or if the node lacks a topology key."""
    for i, c in enumerate(state.constraints):
        value = node.labels.get(c.topology_key)
        if value is None:
            return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_SPREAD_MISSING_LABEL,))
        min_match = state.min_match_num(i)
        self_match = 1 if c.selector.matches(pod.labels) else 0
        skew = state.match_num[i].get(value, 0) + self_match - min_match
        if skew > c.max_skew:
            return Status(UNSCHEDULABLE, (ERR_REASON_SPREAD,))
    return None


# ------------------------------------------------------------------------- scoring


def _go_round(x: float) -> int:
    """``math.Round`` (half away from zero)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def pod_topology_spread_scores(
    pod: Pod,
    spec: SchedulingSpec,
    snapshot: Snapshot,
    config: SchedulerConfig,
    feasible: Sequence[NodeInfo],
) -> dict[str, int] | None:
    """PodTopologySpread PreScore + Score + NormalizeScore (podtopologyspread/scoring.go)."""
    constraints = _get_constraints(pod, spec, SCHEDULE_ANYWAY, config)
    if not constraints or not snapshot.node_infos:
        return None
    # Only the pod's own constraints require every key; system defaults let a node without
    # a zone label still be spread by hostname.
    require_all = bool(spec.topology_spread_constraints) or not config.system_default_spreading
    counts: list[dict[str, int]] = [{} for _ in constraints]
    ignored: set[str] = set()
    for ni in feasible:
        labels = ni.node.labels
        if require_all and not _node_has_keys(labels, constraints):
            ignored.add(ni.node.name)
            continue
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                continue
            counts[i].setdefault(labels.get(c.topology_key, ""), 0)
    weights = []
    for i, c in enumerate(constraints):
        size = len(counts[i])
        if c.topology_key == LABEL_HOSTNAME:
            size = len(feasible) - len(ignored)
        weights.append(math.log(size + 2))
    required = spec.required_node_affinity_matcher()
    for ni in snapshot.node_infos.values():
        node = ni.node
        if require_all and not _node_has_keys(node.labels, constraints):
            continue
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                continue
            if not c.match_node_inclusion_policies(pod, node, required):
                continue
            value = node.labels.get(c.topology_key, "")
            if value not in counts[i]:
                continue
            counts[i][value] += _count_pods_match_selector(ni.pods, c.selector, pod.namespace)
    raw: dict[str, int] = {}
    for ni in feasible:
        name = ni.node.name
        if name in ignored:
            raw[name] = 0
            continue
        score = 0.0
        for i, c in enumerate(constraints):
            value = ni.node.labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                cnt = _count_pods_match_selector(ni.pods, c.selector, pod.namespace)
            else:
                cnt = counts[i][value]
            score += cnt * weights[i] + (c.max_skew - 1)
        raw[name] = _go_round(score)
    # NormalizeScore: fewer matching pods → higher score.
    min_score = min((s for n, s in raw.items() if n not in ignored), default=0)
    max_score = max((s for n, s in raw.items() if n not in ignored), default=0)
    max_score = max(max_score, 0)
    out = {}
    for name, s in raw.items():
        if name in ignored:
            out[name] = 0
        elif max_score == 0:
            out[name] = MAX_NODE_SCORE
        else:
            out[name] = MAX_NODE_SCORE * (max_score + min_score - s) // max_score
    return out
