"""One scheduling cycle: PreFilter, Filter, PostFilter messages, Score, and the choice of a
node.

Mirrors ``pkg/scheduler/schedule_one.go`` (``schedulePod``, ``findNodesThatFitPod``,
``prioritizeNodes``, ``selectHost``), the CycleState PreFilter fills
(``pkg/scheduler/framework/cycle_state.go``) and the plugin runner
(``pkg/scheduler/framework/runtime/framework.go``: ``RunFilterPlugins``,
``RunScorePlugins``, ``RunPostFilterPlugins``), with the plugins of the default profile
in the order of ``getDefaultPlugins``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from capacity.k8s.node import Node
from capacity.k8s.scheduler.defaultpreemption import preemption_post_filter_message
from capacity.k8s.scheduler.framework import (
    DEFAULT_CONFIG,
    INTER_POD_AFFINITY,
    NODE_AFFINITY,
    NODE_RESOURCES_BALANCED_ALLOCATION,
    NODE_RESOURCES_FIT,
    POD_TOPOLOGY_SPREAD,
    TAINT_TOLERATION,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    SchedulerConfig,
    Status,
    fit_error_message,
)
from capacity.k8s.scheduler.interpodaffinity import (
    inter_pod_affinity_filter,
    inter_pod_affinity_pre_filter,
    inter_pod_affinity_scores,
)
from capacity.k8s.scheduler.nodeaffinity import (
    node_affinity_filter,
    node_affinity_pre_filter,
    node_affinity_scores,
)
from capacity.k8s.scheduler.noderesources import (
    balanced_allocation_scores,
    compute_pod_resource_request,
    is_scalar_resource_name,
    node_resources_fit_filter,
    node_resources_fit_scores,
)
from capacity.k8s.scheduler.nodeunschedulable import node_unschedulable_filter
from capacity.k8s.scheduler.podtopologyspread import (
    cal_pre_filter_state,
    pod_topology_spread_filter,
    pod_topology_spread_scores,
)
from capacity.k8s.scheduler.snapshot import NodeInfo, Snapshot
from capacity.k8s.scheduler.spec import SchedulingSpec, SpecOf
from capacity.k8s.scheduler.tainttoleration import taint_toleration_filter, taint_toleration_scores
from capacity.k8s.types import Pod

ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods"
DRA_NO_CLAIMS = "no new claims to deallocate"
"""The DynamicResources PostFilter's reason when the pod has no claim
(``dynamicresources/dynamicresources.go``); its Filter is not modelled."""


@dataclass(slots=True)
class ScheduleResult:
    """Outcome of one scheduling cycle.

    ``node_name`` is None when the pod did not fit; ``message`` is then the
    ``FailedScheduling`` event / PodScheduled condition message. ``statuses`` are the
    failed nodes' filter statuses; ``scores`` the weighted totals of the feasible nodes
    (empty when fewer than two nodes fit: upstream does not score then).
    """

    node_name: str | None
    message: str = ""
    evaluated_nodes: int = 0
    feasible_nodes: int = 0
    statuses: dict[str, Status] = field(default_factory=dict)
    scores: dict[str, int] = field(default_factory=dict)


class _Cycle:
    """The CycleState of one pod: everything PreFilter computes once."""

    __slots__ = (
        "checked",
        "config",
        "ipa",
        "pod",
        "pod_request",
        "pre_filter_names",
        "pre_filter_status",
        "snapshot",
        "spec",
        "spec_of",
        "spread",
    )

    def __init__(
        self,
        pod: Pod,
        spec: SchedulingSpec,
        snapshot: Snapshot,
        config: SchedulerConfig,
        spec_of: SpecOf | None,
    ) -> None:
        self.pod = pod
        self.spec = spec
        self.snapshot = snapshot
        self.config = config
        self.spec_of = spec_of
        infos = snapshot.list()
        # PreFilter in plugin order: NodeAffinity, NodeResourcesFit, PodTopologySpread,
        # InterPodAffinity.
        self.pre_filter_names, self.pre_filter_status = node_affinity_pre_filter(spec)
        self.pod_request = compute_pod_resource_request(pod)
        # The (resource, amount) pairs fitsRequest checks, computed once per cycle.
        self.checked = tuple(
            (k, v)
            for k, v in self.pod_request.items()
            if v > 0 and (k in ("cpu", "memory", "ephemeral-storage") or is_scalar_resource_name(k))
        )
        self.spread = cal_pre_filter_state(pod, spec, infos, config)
        self.ipa = inter_pod_affinity_pre_filter(pod, spec, infos, spec_of)

    def _fits(self, ni: NodeInfo) -> bool:
        """Quick yes of :func:`~capacity.k8s.scheduler.noderesources.fits_request` (the full
        check builds the reasons)."""
        if len(ni.pods) + 1 > ni.node.allowed_pod_number():
            return False
        alloc, used = ni.node.allocatable, ni.requested
        # A plain loop: measurably faster than all(<genexpr>) on this hot path.
        for k, v in self.checked:  # noqa: SIM110
            if v > alloc.get(k, 0) - used.get(k, 0):
                return False
        return True

    def filter(self, ni: NodeInfo) -> Status | None:
        """``RunFilterPlugins``: the first failing plugin's status, in profile order."""
        pod, node = self.pod, ni.node
        st = node_unschedulable_filter(pod, node)
        if st is None:
            st = taint_toleration_filter(pod, node)
        if st is None:
            st = node_affinity_filter(self.spec, node)
        if st is None and not self._fits(ni):
            st = node_resources_fit_filter(self.pod_request, ni, self.config.fit_unresolvable)
        if st is None and self.spread.constraints:
            st = pod_topology_spread_filter(pod, self.spread, node)
        if st is None and self.ipa is not None:
            st = inter_pod_affinity_filter(self.ipa, node)
        return st


# ------------------------------------------------------------------------- scoring


def _plugin_scores(cycle: _Cycle, feasible: Sequence[NodeInfo]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {
        TAINT_TOLERATION: taint_toleration_scores(cycle.pod, feasible)
    }
    na = node_affinity_scores(cycle.spec, feasible)
    if na is not None:
        out[NODE_AFFINITY] = na
    out[NODE_RESOURCES_FIT] = node_resources_fit_scores(cycle.pod, feasible)
    spread = pod_topology_spread_scores(
        cycle.pod, cycle.spec, cycle.snapshot, cycle.config, feasible
    )
    if spread is not None:
        out[POD_TOPOLOGY_SPREAD] = spread
    ipa = inter_pod_affinity_scores(
        cycle.pod, cycle.spec, cycle.snapshot, cycle.config, cycle.spec_of, feasible
    )
    if ipa is not None:
        out[INTER_POD_AFFINITY] = ipa
    ba = balanced_allocation_scores(cycle.pod_request, feasible)
    if ba is not None:
        out[NODE_RESOURCES_BALANCED_ALLOCATION] = ba
    return out


def _total_scores(
    per_plugin: Mapping[str, Mapping[str, int]], names: Iterable[str], config: SchedulerConfig
) -> dict[str, int]:
    totals = dict.fromkeys(names, 0)
    for plugin, scores in per_plugin.items():
        w = config.weights.get(plugin, 0)
        for n, s in scores.items():
            totals[n] += w * s
    return totals


# ------------------------------------------------------------------------ public API


def _snapshot(
    nodes: Iterable[Node] | Snapshot, pods_by_node: Mapping[str, Iterable[Pod]] | None
) -> Snapshot:
    if isinstance(nodes, Snapshot):
        return nodes
    return Snapshot(nodes, pods_by_node)


def filter_node(
    pod: Pod,
    spec: SchedulingSpec,
    node: Node,
    node_pods: Iterable[Pod],
    all_nodes: Iterable[Node],
    all_pods_by_node: Mapping[str, Iterable[Pod]],
    *,
    spec_of: SpecOf | None = None,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> list[str]:
    """PreFilter + Filter of one node: the failure reasons, empty if the pod fits.

    ``node_pods`` are the pods bound to ``node`` (they replace
    ``all_pods_by_node[node.name]``); ``all_nodes`` / ``all_pods_by_node`` are the cluster
    the spreading and affinity counts see. A PreFilter rejection is returned as its reason.
    """
    pods_by_node = dict(all_pods_by_node)
    pods_by_node[node.name] = list(node_pods)
    nodes = [n for n in all_nodes if n.name != node.name] + [node]
    snapshot = Snapshot(nodes, pods_by_node)
    cycle = _Cycle(pod, spec, snapshot, config, spec_of)
    if cycle.pre_filter_status is not None:
        return list(cycle.pre_filter_status.reasons)
    if cycle.pre_filter_names is not None and node.name not in cycle.pre_filter_names:
        return [f"node(s) didn't satisfy plugin(s) [{NODE_AFFINITY}]"]
    st = cycle.filter(snapshot.node_infos[node.name])
    return [] if st is None else list(st.reasons)


def plugin_scores(
    pod: Pod,
    spec: SchedulingSpec,
    nodes: Iterable[Node] | Snapshot,
    pods_by_node: Mapping[str, Iterable[Pod]] | None = None,
    *,
    feasible: Iterable[str] | None = None,
    spec_of: SpecOf | None = None,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> dict[str, dict[str, int]]:
    """Normalised scores (0..100) per plugin per node, for the ``feasible`` node names
    (default: every node); plugins that Skip for this pod are absent."""
    snapshot = _snapshot(nodes, pods_by_node)
    cycle = _Cycle(pod, spec, snapshot, config, spec_of)
    names = list(snapshot.node_infos) if feasible is None else list(feasible)
    return _plugin_scores(cycle, [snapshot.node_infos[n] for n in names])


def score_nodes(
    pod: Pod,
    spec: SchedulingSpec,
    nodes: Iterable[Node] | Snapshot,
    pods_by_node: Mapping[str, Iterable[Pod]] | None = None,
    *,
    feasible: Iterable[str] | None = None,
    spec_of: SpecOf | None = None,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> dict[str, int]:
    """``prioritizeNodes``: ``Σ weight × normalised score`` per node name.

    Scores the ``feasible`` node names, or, by default, the nodes that pass the filters.
    """
    snapshot = _snapshot(nodes, pods_by_node)
    cycle = _Cycle(pod, spec, snapshot, config, spec_of)
    if feasible is None:
        infos = [ni for ni in snapshot.node_infos.values() if _passes(cycle, ni)]
    else:
        infos = [snapshot.node_infos[n] for n in feasible]
    return _total_scores(_plugin_scores(cycle, infos), (ni.node.name for ni in infos), config)


def _passes(cycle: _Cycle, ni: NodeInfo) -> bool:
    if cycle.pre_filter_status is not None:
        return False
    if cycle.pre_filter_names is not None and ni.node.name not in cycle.pre_filter_names:
        return False
    return cycle.filter(ni) is None


def _post_filter_message(
    spec: SchedulingSpec,
    num_nodes: int,
    statuses: Mapping[str, Status],
    config: SchedulerConfig,
) -> str:
    """``RunPostFilterPlugins``: DynamicResources then DefaultPreemption, reasons joined by
    ``", "``. All pods share one priority, so no node has a preemption victim."""
    reasons = []
    if config.dynamic_resources:
        reasons.append(DRA_NO_CLAIMS)
    if config.preemption:
        reasons.append(preemption_post_filter_message(spec, num_nodes, statuses))
    return ", ".join(reasons)


def schedule_pod_in_snapshot(
    pod: Pod,
    spec: SchedulingSpec,
    snapshot: Snapshot,
    *,
    spec_of: SpecOf | None = None,
    tie_breaker: Callable[[Sequence[str]], str] | None = None,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> ScheduleResult:
    """``schedulePod`` + PostFilter messages, on a maintained :class:`Snapshot`.

    Does not bind: the caller adds the pod to the snapshot on success.
    ``tie_breaker`` receives the names of the best-scoring nodes, sorted, and returns one
    (e.g. ``random.Random(seed).choice``); by default the first name wins, where upstream
    chooses uniformly at random.
    """
    n_nodes = len(snapshot)
    if n_nodes == 0:
        return ScheduleResult(None, ERR_NO_NODES_AVAILABLE)
    cycle = _Cycle(pod, spec, snapshot, config, spec_of)
    if cycle.pre_filter_status is not None:
        st = cycle.pre_filter_status
        post = _post_filter_message(spec, n_nodes, {}, config)
        msg = fit_error_message(
            n_nodes, {}, pre_filter_msg=", ".join(st.reasons), post_filter_msg=post
        )
        return ScheduleResult(None, msg, 0, 0, {})
    statuses: dict[str, Status] = {}
    feasible: list[NodeInfo] = []
    absent: Status | None = None
    names = cycle.pre_filter_names
    if names is not None:
        absent = Status(
            UNSCHEDULABLE_AND_UNRESOLVABLE, (f"node(s) didn't satisfy plugin(s) [{NODE_AFFINITY}]",)
        )
    for name, ni in snapshot.node_infos.items():
        if names is not None and name not in names:
            continue
        st = cycle.filter(ni)
        if st is None:
            feasible.append(ni)
        else:
            statuses[name] = st
    evaluated = len(feasible) + len(statuses)
    if not feasible:
        post = _post_filter_message(spec, n_nodes, statuses, config)
        msg = fit_error_message(
            n_nodes,
            {n: st.reasons for n, st in statuses.items()},
            absent_reasons=absent.reasons if absent is not None else (),
            post_filter_msg=post,
        )
        return ScheduleResult(None, msg, evaluated, 0, statuses)
    if len(feasible) == 1:
        # Upstream skips scoring when a single node fits.
        return ScheduleResult(feasible[0].node.name, "", evaluated, 1, statuses)
    totals = _total_scores(
        _plugin_scores(cycle, feasible), (ni.node.name for ni in feasible), config
    )
    best = max(totals.values())
    tied = sorted(n for n, s in totals.items() if s == best)
    chosen = tied[0] if tie_breaker is None or len(tied) == 1 else tie_breaker(tied)
    return ScheduleResult(chosen, "", evaluated, len(feasible), statuses, totals)


def schedule_pod(
    pod: Pod,
    spec: SchedulingSpec,
    nodes: Iterable[Node],
    pods_by_node: Mapping[str, Iterable[Pod]],
    *,
    spec_of: SpecOf | None = None,
    tie_breaker: Callable[[Sequence[str]], str] | None = None,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> ScheduleResult:
    """One scheduling cycle for ``pod`` over ``nodes`` and the pods bound to them.

    Builds a :class:`Snapshot` (O(pods) request sums); in a loop prefer keeping a Snapshot
    and calling :func:`schedule_pod_in_snapshot`.
    """
    return schedule_pod_in_snapshot(
        pod,
        spec,
        Snapshot(nodes, pods_by_node),
        spec_of=spec_of,
        tie_breaker=tie_breaker,
        config=config,
    )
