"""InterPodAffinity: required pod affinity and anti-affinity, and existing pods'
anti-affinity (PreFilter, Filter); preferred terms (PreScore, Score, NormalizeScore).

Mirrors ``pkg/scheduler/framework/plugins/interpodaffinity/filtering.go`` and
``scoring.go``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from capacity.k8s.node import Node
from capacity.k8s.scheduler.framework import (
    MAX_NODE_SCORE,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    SchedulerConfig,
    Status,
)
from capacity.k8s.scheduler.selectors import Requirement
from capacity.k8s.scheduler.snapshot import NodeInfo, Snapshot
from capacity.k8s.scheduler.spec import (
    PodAffinityTerm,
    SchedulingSpec,
    SpecOf,
    WeightedPodAffinityTerm,
)
from capacity.k8s.types import Pod

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

ERR_REASON_AFFINITY_RULES = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"


class _AffinityTerm:
    """``fwk.AffinityTerm``: a PodAffinityTerm resolved against the pod that owns it."""

    __slots__ = ("namespace_selector", "namespaces", "selector", "topology_key")

    def __init__(self, term: PodAffinityTerm, owner: Pod) -> None:
        sel = term._selector
        # matchLabelKeys / mismatchLabelKeys: merged into the selector with the owner's
        # values (what the API server does at pod creation from 1.33).
        extra = [
            Requirement(k, "In", frozenset((owner.labels[k],)))
            for k in term.match_label_keys
            if k in owner.labels
        ] + [
            Requirement(k, "NotIn", frozenset((owner.labels[k],)))
            for k in term.mismatch_label_keys
            if k in owner.labels
        ]
        self.selector = sel.add(*extra) if extra else sel
        # getNamespacesFromPodAffinityTerm: no namespaces and no selector = owner's namespace.
        if not term.namespaces and term.namespace_selector is None:
            self.namespaces: frozenset[str] = frozenset((owner.namespace,))
        else:
            self.namespaces = frozenset(term.namespaces)
        self.namespace_selector = term._ns_selector
        self.topology_key = term.topology_key

    def matches(self, pod: Pod) -> bool:
        """``(*AffinityTerm).Matches``; namespace labels are only ``metadata.name``."""
        if pod.namespace in self.namespaces or self.namespace_selector.matches(
            {NAMESPACE_NAME_LABEL: pod.namespace}
        ):
            return self.selector.matches(pod.labels)
        return False


def _resolve_terms(terms: Sequence[PodAffinityTerm], owner: Pod) -> list[_AffinityTerm]:
    return [_AffinityTerm(t, owner) for t in terms]


def _resolve_weighted(
    terms: Sequence[WeightedPodAffinityTerm], owner: Pod
) -> list[tuple[int, _AffinityTerm]]:
    return [(w.weight, _AffinityTerm(w.term, owner)) for w in terms]


def _matches_all(pod: Pod, terms: Sequence[_AffinityTerm]) -> bool:
    """``podMatchesAllAffinityTerms``: false for no terms."""
    return bool(terms) and all(t.matches(pod) for t in terms)


@dataclass(slots=True)
class InterPodAffinityPreFilterState:
    """``interpodaffinity.preFilterState``: counts per ``(topologyKey, value)``."""

    affinity_terms: list[_AffinityTerm]
    anti_affinity_terms: list[_AffinityTerm]
    affinity_counts: dict[tuple[str, str], int]
    anti_affinity_counts: dict[tuple[str, str], int]
    existing_anti_affinity_counts: dict[tuple[str, str], int]
    pod: Pod


def inter_pod_affinity_pre_filter(
    pod: Pod, spec: SchedulingSpec, node_infos: Iterable[NodeInfo], spec_of: SpecOf | None = None
) -> InterPodAffinityPreFilterState | None:
    """``(*InterPodAffinity).PreFilter``; None (Skip) when no term can apply."""
    affinity_terms = _resolve_terms(spec.required_pod_affinity, pod)
    anti_terms = _resolve_terms(spec.required_pod_anti_affinity, pod)
    if not affinity_terms and not anti_terms and spec_of is None:
        return None  # nothing can apply: skip the walk over every pod
    existing: dict[tuple[str, str], int] = {}
    aff: dict[tuple[str, str], int] = {}
    anti: dict[tuple[str, str], int] = {}
    any_existing = False
    for ni in node_infos:
        labels = ni.node.labels
        for ep in ni.pods:
            if spec_of is not None:
                ep_spec = spec_of(ep)
                if ep_spec is not None and ep_spec.required_pod_anti_affinity:
                    any_existing = True
                    for t in _resolve_terms(ep_spec.required_pod_anti_affinity, ep):
                        if t.matches(pod) and t.topology_key in labels:
                            key = (t.topology_key, labels[t.topology_key])
                            existing[key] = existing.get(key, 0) + 1
            if affinity_terms and _matches_all(ep, affinity_terms):
                for t in affinity_terms:
                    if t.topology_key in labels:
                        key = (t.topology_key, labels[t.topology_key])
                        aff[key] = aff.get(key, 0) + 1
            for t in anti_terms:
                if t.matches(ep) and t.topology_key in labels:
                    key = (t.topology_key, labels[t.topology_key])
                    anti[key] = anti.get(key, 0) + 1
    if not affinity_terms and not anti_terms and not any_existing:
        return None
    return InterPodAffinityPreFilterState(affinity_terms, anti_terms, aff, anti, existing, pod)


def inter_pod_affinity_filter(state: InterPodAffinityPreFilterState, node: Node) -> Status | None:
    """``(*InterPodAffinity).Filter``: required affinity, anti-affinity, then existing pods'
    anti-affinity."""
    labels = node.labels
    # satisfyPodAffinity
    pods_exist = True
    for t in state.affinity_terms:
        value = labels.get(t.topology_key)
        if value is None:
            return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_AFFINITY_RULES,))
        if state.affinity_counts.get((t.topology_key, value), 0) <= 0:
            pods_exist = False
    # The first pod of a group with affinity to itself may go anywhere if nothing matches.
    if not pods_exist and not (
        not state.affinity_counts and _matches_all(state.pod, state.affinity_terms)
    ):
        return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_AFFINITY_RULES,))
    # satisfyPodAntiAffinity
    for t in state.anti_affinity_terms:
        value = labels.get(t.topology_key)
        if value is not None and state.anti_affinity_counts.get((t.topology_key, value), 0) > 0:
            return Status(UNSCHEDULABLE, (ERR_REASON_ANTI_AFFINITY_RULES,))
    # satisfyExistingPodsAntiAffinity
    if state.existing_anti_affinity_counts:
        for kv in labels.items():
            if state.existing_anti_affinity_counts.get(kv, 0) > 0:
                return Status(UNSCHEDULABLE, (ERR_REASON_EXISTING_ANTI_AFFINITY,))
    return None


# ------------------------------------------------------------------------- scoring


def inter_pod_affinity_scores(
    pod: Pod,
    spec: SchedulingSpec,
    snapshot: Snapshot,
    config: SchedulerConfig,
    spec_of: SpecOf | None,
    feasible: Sequence[NodeInfo],
) -> dict[str, int] | None:
    """InterPodAffinity PreScore + Score + NormalizeScore (interpodaffinity/scoring.go)."""
    pref_aff = _resolve_weighted(spec.preferred_pod_affinity, pod)
    pref_anti = _resolve_weighted(spec.preferred_pod_anti_affinity, pod)
    has_constraints = bool(pref_aff or pref_anti)
    if not has_constraints and spec_of is None:
        return None  # no term can contribute
    hard_weight = config.hard_pod_affinity_weight
    topo: dict[str, dict[str, int]] = {}

    def add(term: _AffinityTerm, weight: int, target: Pod, labels: Mapping[str, str]) -> None:
        if term.matches(target):
            value = labels.get(term.topology_key)
            if value is not None:
                m = topo.setdefault(term.topology_key, {})
                m[value] = m.get(value, 0) + weight

    for ni in snapshot.node_infos.values():
        labels = ni.node.labels
        if not labels:
            continue
        for ep in ni.pods:
            ep_spec = spec_of(ep) if spec_of is not None else None
            ep_has = ep_spec is not None and ep_spec.has_pod_affinity()
            if not has_constraints and not ep_has:
                continue
            for w, t in pref_aff:
                add(t, w, ep, labels)
            for w, t in pref_anti:
                add(t, -w, ep, labels)
            if ep_spec is None or not ep_has:
                continue
            if hard_weight > 0:
                for t in _resolve_terms(ep_spec.required_pod_affinity, ep):
                    add(t, hard_weight, pod, labels)
            for w, t in _resolve_weighted(ep_spec.preferred_pod_affinity, ep):
                add(t, w, pod, labels)
            for w, t in _resolve_weighted(ep_spec.preferred_pod_anti_affinity, ep):
                add(t, -w, pod, labels)
    if not topo:
        return None  # PreScore Skip
    raw = {}
    for ni in feasible:
        labels = ni.node.labels
        s = 0
        for key, values in topo.items():
            v = labels.get(key)
            if v is not None:
                s += values.get(v, 0)
        raw[ni.node.name] = s
    lo, hi = min(raw.values()), max(raw.values())
    diff = hi - lo
    return {n: int(MAX_NODE_SCORE * ((s - lo) / diff)) if diff > 0 else 0 for n, s in raw.items()}
