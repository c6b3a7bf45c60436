"""The scheduling fields of a PodSpec (``core/v1`` types) that :class:`~capacity.k8s.types.Pod`
lacks: node selector and affinity, pod (anti-)affinity, topology spread constraints,
preemption policy; and :func:`scheduling_spec_from_pod_spec` to read them from a PodSpec dict.

Field names and defaults follow ``k8s.io/api/core/v1/types.go``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from capacity.k8s.scheduler.selectors import (
    NodeSelectorTerm,
    RequiredNodeAffinity,
    Selector,
    label_selector_as_selector,
    node_selector_term,
)
from capacity.k8s.types import Pod

# whenUnsatisfiable, nodeInclusionPolicy, preemptionPolicy values
DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
POLICY_HONOR = "Honor"
POLICY_IGNORE = "Ignore"
PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"
PREEMPT_NEVER = "Never"


@dataclass(slots=True)
class PodAffinityTerm:
    """``core/v1 PodAffinityTerm``. Selectors are LabelSelector dicts (compiled on creation;
    an invalid one raises ValueError)."""

    label_selector: Mapping[str, Any] | None = None
    topology_key: str = ""
    namespaces: tuple[str, ...] = ()
    namespace_selector: Mapping[str, Any] | None = None
    match_label_keys: tuple[str, ...] = ()
    mismatch_label_keys: tuple[str, ...] = ()
    _selector: Selector = field(init=False, repr=False, compare=False)
    _ns_selector: Selector = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._selector = label_selector_as_selector(self.label_selector)
        self._ns_selector = label_selector_as_selector(self.namespace_selector)


@dataclass(slots=True)
class WeightedPodAffinityTerm:
    """``core/v1 WeightedPodAffinityTerm``: weight 1..100 and a term."""

    weight: int
    term: PodAffinityTerm


@dataclass(slots=True)
class TopologySpreadConstraint:
    """``core/v1 TopologySpreadConstraint``. None policies mean the defaults
    (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore); None minDomains means 1."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: str = DO_NOT_SCHEDULE
    label_selector: Mapping[str, Any] | None = None
    min_domains: int | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    match_label_keys: tuple[str, ...] = ()
    _selector: Selector = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._selector = label_selector_as_selector(self.label_selector)


@dataclass(slots=True)
class SchedulingSpec:
    """The scheduling fields of a PodSpec that :class:`~capacity.k8s.types.Pod` lacks.

    ``required_node_affinity`` holds the NodeSelectorTerms of
    ``affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`` (None: absent);
    ``preferred_node_affinity`` ``(weight, preference term)`` pairs. Treat as immutable:
    parsed forms are cached at construction.
    """

    node_selector: dict[str, str] = field(default_factory=dict)
    required_node_affinity: list[Mapping[str, Any]] | None = None
    preferred_node_affinity: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)
    required_pod_affinity: list[PodAffinityTerm] = field(default_factory=list)
    preferred_pod_affinity: list[WeightedPodAffinityTerm] = field(default_factory=list)
    required_pod_anti_affinity: list[PodAffinityTerm] = field(default_factory=list)
    preferred_pod_anti_affinity: list[WeightedPodAffinityTerm] = field(default_factory=list)
    topology_spread_constraints: list[TopologySpreadConstraint] = field(default_factory=list)
    preemption_policy: str = PREEMPT_LOWER_PRIORITY
    default_spread_selector: Mapping[str, Any] | None = None
    _required: RequiredNodeAffinity = field(init=False, repr=False, compare=False)
    _preferred: tuple[tuple[int, NodeSelectorTerm], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        terms = None
        if self.required_node_affinity is not None:
            terms = tuple(node_selector_term(t) for t in self.required_node_affinity)
        self._required = RequiredNodeAffinity(dict(self.node_selector), terms)
        preferred = []
        for weight, term in self.preferred_node_affinity:
            parsed = node_selector_term(term)
            # NewPreferredSchedulingTerms drops zero weights, empty and unparsable terms.
            if weight == 0 or parsed.parse_error is not None:
                continue
            if parsed.labels is None and parsed.fields is None:
                continue
            preferred.append((int(weight), parsed))
        self._preferred = tuple(preferred)

    def required_node_affinity_matcher(self) -> RequiredNodeAffinity:
        """``nodeaffinity.GetRequiredNodeAffinity(pod)``."""
        return self._required

    def has_pod_affinity(self) -> bool:
        """Any pod (anti-)affinity term (``PodInfo`` "with affinity")."""
        return bool(
            self.required_pod_affinity
            or self.preferred_pod_affinity
            or self.required_pod_anti_affinity
            or self.preferred_pod_anti_affinity
        )


EMPTY_SPEC = SchedulingSpec()


def _affinity_term_from_dict(d: Mapping[str, Any]) -> PodAffinityTerm:
    return PodAffinityTerm(
        label_selector=d.get("labelSelector"),
        topology_key=d.get("topologyKey", ""),
        namespaces=tuple(d.get("namespaces") or ()),
        namespace_selector=d.get("namespaceSelector"),
        match_label_keys=tuple(d.get("matchLabelKeys") or ()),
        mismatch_label_keys=tuple(d.get("mismatchLabelKeys") or ()),
    )


def _weighted_terms(items: Iterable[Mapping[str, Any]]) -> list[WeightedPodAffinityTerm]:
    return [
        WeightedPodAffinityTerm(
            int(w.get("weight", 0)), _affinity_term_from_dict(w["podAffinityTerm"])
        )
        for w in items
    ]


def scheduling_spec_from_pod_spec(pod_spec: Mapping[str, Any]) -> SchedulingSpec:
    """Build a :class:`SchedulingSpec` from a Kubernetes-shaped PodSpec dict.

    Reads ``nodeSelector``, ``affinity`` (nodeAffinity, podAffinity, podAntiAffinity),
    ``topologySpreadConstraints`` and ``preemptionPolicy``. Raises ValueError on an invalid
    label selector (the API server would have rejected the pod).
    """
    affinity = pod_spec.get("affinity") or {}
    node_aff = affinity.get("nodeAffinity") or {}
    required = node_aff.get("requiredDuringSchedulingIgnoredDuringExecution")
    required_terms = None
    if required is not None:
        required_terms = list(required.get("nodeSelectorTerms") or [])
    preferred = [
        (int(p.get("weight", 0)), p.get("preference") or {})
        for p in node_aff.get("preferredDuringSchedulingIgnoredDuringExecution") or []
    ]
    pod_aff = affinity.get("podAffinity") or {}
    pod_anti = affinity.get("podAntiAffinity") or {}
    spread = [
        TopologySpreadConstraint(
            max_skew=int(c["maxSkew"]),
            topology_key=c["topologyKey"],
            when_unsatisfiable=c.get("whenUnsatisfiable", DO_NOT_SCHEDULE),
            label_selector=c.get("labelSelector"),
            min_domains=None if c.get("minDomains") is None else int(c["minDomains"]),
            node_affinity_policy=c.get("nodeAffinityPolicy"),
            node_taints_policy=c.get("nodeTaintsPolicy"),
            match_label_keys=tuple(c.get("matchLabelKeys") or ()),
        )
        for c in pod_spec.get("topologySpreadConstraints") or []
    ]
    return SchedulingSpec(
        node_selector={str(k): str(v) for k, v in (pod_spec.get("nodeSelector") or {}).items()},
        required_node_affinity=required_terms,
        preferred_node_affinity=preferred,
        required_pod_affinity=[
            _affinity_term_from_dict(t)
            for t in pod_aff.get("requiredDuringSchedulingIgnoredDuringExecution") or []
        ],
        preferred_pod_affinity=_weighted_terms(
            pod_aff.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        ),
        required_pod_anti_affinity=[
            _affinity_term_from_dict(t)
            for t in pod_anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []
        ],
        preferred_pod_anti_affinity=_weighted_terms(
            pod_anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        ),
        topology_spread_constraints=spread,
        preemption_policy=pod_spec.get("preemptionPolicy") or PREEMPT_LOWER_PRIORITY,
    )


SpecOf = Callable[[Pod], "SchedulingSpec | None"]
