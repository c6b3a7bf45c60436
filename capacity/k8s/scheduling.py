"""The kube-scheduler's default filters and scores, as pure functions.

Mirrors the default profile of ``kubernetes/kubernetes`` ``pkg/scheduler`` (read at
≈v1.35/master): the plugins below, run in the order of
``pkg/scheduler/apis/config/v1/default_plugins.go`` (``getDefaultPlugins``):

====================================  ======  ============================================
plugin                                weight  upstream file (``framework/plugins/...``)
====================================  ======  ============================================
NodeUnschedulable (filter)                    ``nodeunschedulable/node_unschedulable.go``
TaintToleration                          3    ``tainttoleration/taint_toleration.go``
NodeAffinity                             2    ``nodeaffinity/node_affinity.go``
NodeResourcesFit (LeastAllocated)        1    ``noderesources/fit.go``, ``least_allocated.go``
PodTopologySpread                        2    ``podtopologyspread/{common,filtering,scoring,plugin}.go``
InterPodAffinity                         2    ``interpodaffinity/{filtering,scoring}.go``
NodeResourcesBalancedAllocation          1    ``noderesources/balanced_allocation.go``
ImageLocality                            1    not modelled (no images: 0 on every node)
====================================  ======  ============================================

A scheduling cycle (``pkg/scheduler/schedule_one.go`` ``schedulePod``) runs PreFilter, then
Filter on every node (the first failing plugin gives the node's reasons), then, if more
than one node fits, Score + NormalizeScore per plugin, sums ``weight × score`` and picks the
highest. When nothing fits, the message is ``FitError.Error()``
(``pkg/scheduler/framework/types.go``) followed by the PostFilter message: the
DynamicResources note (Kubernetes ≥ 1.34, where DRA is GA and on) and DefaultPreemption's
(``framework/preemption/preemption.go`` ``Preempt``, ``default_preemption.go``
``SelectVictimsOnNode``), e.g.::

    0/6 nodes are available: 3 Insufficient cpu, 3 node(s) didn't match pod topology spread
    constraints. preemption: 0/6 nodes are available: 6 No preemption victims found for
    incoming pod.

Deliberate divergences (each also noted where it happens):

* Ties between the best nodes are broken by node name (first), or by a caller-supplied
  ``tie_breaker``; upstream picks uniformly at random (reservoir sampling in ``selectHost``).
* Every node is evaluated; upstream stops after ``numFeasibleNodesToFind`` feasible nodes,
  which only differs for clusters of more than ~100 nodes.
* Preemption is never performed: all pods are taken to have the same priority, so the
  PostFilter message is what upstream prints when no victim exists.
* Plugins that need objects we do not model are left out: NodeName, NodePorts, the volume
  plugins, ImageLocality, DynamicResources' filter, pod-level resources, extenders.
* Pod affinity ``namespaceSelector`` is evaluated against the namespace's automatic label
  ``kubernetes.io/metadata.name`` only (no Namespace objects are modelled).
* The system-default spreading selector (``helper.DefaultSelector``: the selectors of the
  Services, ReplicaSets... that select the pod) is ``SchedulingSpec.default_spread_selector``
  or, when unset, the pod's own labels (a ReplicaSet's selector is its template's labels).
* Existing pods' affinity terms come from the optional ``spec_of(pod)`` callable; without it
  existing pods have no (anti-)affinity.

Units: resource amounts in milli-units (``Quantity.MilliValue()``); memory therefore in
milli-bytes, which leaves every ratio and every integer division upstream does unchanged.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from capacity.k8s.node import (
    LABEL_HOSTNAME,
    LABEL_TOPOLOGY_ZONE,
    TAINT_EFFECT_NO_SCHEDULE,
    TAINT_EFFECT_PREFER_NO_SCHEDULE,
    TAINT_NODE_UNSCHEDULABLE,
    Node,
    Taint,
    do_not_schedule_taints_filter,
    find_matching_untolerated_taint,
    tolerations_tolerate_taint,
)
from capacity.k8s.resources import pod_requests
from capacity.k8s.types import (
    POD_FAILED,
    POD_SUCCEEDED,
    Container,
    Pod,
    ResourceList,
)

# --------------------------------------------------------------------------- constants

MAX_NODE_SCORE = 100
"""``framework.MaxNodeScore``."""

DEFAULT_MILLI_CPU_REQUEST = 100
"""``schedutil.DefaultMilliCPURequest``: cpu counted for a container without a request."""

DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024 * 1000
"""``schedutil.DefaultMemoryRequest`` (200 MiB) in milli-bytes."""

_MAX_INT32 = 2**31 - 1

# Status codes (framework.Code)
UNSCHEDULABLE = "Unschedulable"
UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"

# Filter reasons, verbatim from the plugins
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_NODE_AFFINITY_CONFLICT = "pod affinity terms conflict"
ERR_REASON_TOO_MANY_PODS = "Too many pods"
ERR_REASON_SPREAD = "node(s) didn't match pod topology spread constraints"
ERR_REASON_SPREAD_MISSING_LABEL = ERR_REASON_SPREAD + " (missing required label)"
ERR_REASON_AFFINITY_RULES = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
PREEMPTION_NO_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_POLICY_NEVER = "not eligible due to preemptionPolicy=Never."
DRA_NO_CLAIMS = "no new claims to deallocate"

# whenUnsatisfiable, nodeInclusionPolicy, preemptionPolicy values
DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
POLICY_HONOR = "Honor"
POLICY_IGNORE = "Ignore"
PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"
PREEMPT_NEVER = "Never"

OBJECT_NAME_FIELD = "metadata.name"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

# Plugin names (pkg/scheduler/framework/plugins/names)
TAINT_TOLERATION = "TaintToleration"
NODE_AFFINITY = "NodeAffinity"
NODE_RESOURCES_FIT = "NodeResourcesFit"
POD_TOPOLOGY_SPREAD = "PodTopologySpread"
INTER_POD_AFFINITY = "InterPodAffinity"
NODE_RESOURCES_BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation"
IMAGE_LOCALITY = "ImageLocality"

DEFAULT_PLUGIN_WEIGHTS: Mapping[str, int] = MappingProxyType(
    {
        TAINT_TOLERATION: 3,
        NODE_AFFINITY: 2,
        NODE_RESOURCES_FIT: 1,
        POD_TOPOLOGY_SPREAD: 2,
        INTER_POD_AFFINITY: 2,
        NODE_RESOURCES_BALANCED_ALLOCATION: 1,
        IMAGE_LOCALITY: 1,
    }
)
"""Score weights of ``getDefaultPlugins`` (default_plugins.go)."""


# ------------------------------------------------------------------- label selectors

_LABEL_VALUE_RE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")

_SELECTOR_OPS = ("In", "NotIn", "Exists", "DoesNotExist")
_NODE_SELECTOR_OPS = (*_SELECTOR_OPS, "Gt", "Lt")


def _valid_label_value(value: str) -> bool:
    """``validation.IsValidLabelValue``: at most 63 characters of the label alphabet."""
    return len(value) <= 63 and _LABEL_VALUE_RE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Requirement:
    """``labels.Requirement``: one key, operator and value set."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``(*Requirement).Matches``."""
        op = self.operator
        if op == "In":
            v = labels.get(self.key)
            return v is not None and v in self.values
        if op == "NotIn":
            v = labels.get(self.key)
            return v is None or v not in self.values
        if op == "Exists":
            return self.key in labels
        if op == "DoesNotExist":
            return self.key not in labels
        # Gt / Lt: both sides must parse as base-10 int64; otherwise no match.
        v = labels.get(self.key)
        if v is None or _INTEGER_RE.fullmatch(v) is None:
            return False
        lhs = int(v)
        rhs = int(next(iter(self.values)))
        return lhs > rhs if op == "Gt" else lhs < rhs


class Selector:
    """``labels.Selector``: requirements ANDed. ``Selector.nothing()`` matches no set."""

    __slots__ = ("_eq", "_nothing", "_rest", "requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), nothing: bool = False) -> None:
        self.requirements: tuple[Requirement, ...] = tuple(requirements)
        self._nothing = nothing
        # Fast path for matchLabels-style requirements (key In {one value}), the common case.
        self._eq = tuple(
            (r.key, next(iter(r.values)))
            for r in self.requirements
            if r.operator == "In" and len(r.values) == 1
        )
        self._rest = tuple(
            r for r in self.requirements if not (r.operator == "In" and len(r.values) == 1)
        )

    @classmethod
    def nothing(cls) -> Selector:
        """``labels.Nothing()``."""
        return cls((), nothing=True)

    def is_nothing(self) -> bool:
        """This is ``labels.Nothing()`` (from a nil LabelSelector)."""
        return self._nothing

    def empty(self) -> bool:
        """``Selector.Empty()``: no requirements (matches everything)."""
        return not self._nothing and not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``Selector.Matches``."""
        if self._nothing:
            return False
        for k, v in self._eq:
            if labels.get(k) != v:
                return False
        if self._rest:
            for r in self._rest:
                if not r.matches(labels):
                    return False
        return True

    def add(self, *requirements: Requirement) -> Selector:
        """``Selector.Add``: a new selector with more requirements."""
        if self._nothing:
            return self
        return Selector((*self.requirements, *requirements))

    def __repr__(self) -> str:
        if self._nothing:
            return "Selector.nothing()"
        return f"Selector({list(self.requirements)!r})"


def label_selector_as_selector(selector: Mapping[str, Any] | None) -> Selector:
    """``metav1.LabelSelectorAsSelector``: a ``{matchLabels, matchExpressions}`` dict.

    None matches nothing, ``{}`` everything. Raises ValueError on an unknown operator, on
    values given to Exists/DoesNotExist or missing for In/NotIn, or on an invalid label value.
    """
    if selector is None:
        return Selector.nothing()
    reqs: list[Requirement] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        v = "" if v is None else str(v)
        if not _valid_label_value(v):
            raise ValueError(f"invalid label value {v!r} for key {k!r}")
        reqs.append(Requirement(str(k), "In", frozenset((v,))))
    for expr in selector.get("matchExpressions") or []:
        reqs.append(_requirement(expr, _SELECTOR_OPS))
    return Selector(reqs)


def label_selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a LabelSelector dict selects these labels (None selects nothing)."""
    return label_selector_as_selector(selector).matches(labels)


def _requirement(expr: Mapping[str, Any], allowed: Sequence[str]) -> Requirement:
    key = str(expr.get("key", ""))
    op = str(expr.get("operator", ""))
    values = [str(v) for v in expr.get("values") or []]
    if op not in allowed:
        raise ValueError(f"{op!r} is not a valid label selector operator")
    if op in ("In", "NotIn"):
        if not values:
            raise ValueError(f"for 'in', 'notin' operators, values set can't be empty ({key})")
    elif op in ("Exists", "DoesNotExist"):
        if values:
            raise ValueError(f"values set must be empty for exists and does not exist ({key})")
    elif len(values) != 1 or _INTEGER_RE.fullmatch(values[0]) is None:
        raise ValueError(f"for 'Gt', 'Lt' operators, exactly one integer value is required ({key})")
    for v in values:
        if not _valid_label_value(v):
            raise ValueError(f"invalid label value {v!r} for key {key!r}")
    return Requirement(key, op, frozenset(values))


# --------------------------------------------------------------------- node affinity


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """A parsed ``core/v1 NodeSelectorTerm`` (component-helpers ``nodeSelectorTerm``).

    A term with neither matchExpressions nor matchFields matches no node; a term that
    failed to parse (invalid operator or value) matches no node either.
    """

    labels: Selector | None
    fields: Selector | None
    parse_error: str | None = None

    def match(self, node: Node) -> bool:
        """``nodeSelectorTerm.match``."""
        if self.labels is None and self.fields is None:
            return False
        if self.parse_error is not None:
            return False
        if self.labels is not None and not self.labels.matches(node.labels):
            return False
        return self.fields is None or self.fields.matches({OBJECT_NAME_FIELD: node.name})


def node_selector_term(term: Mapping[str, Any]) -> NodeSelectorTerm:
    """Parse a NodeSelectorTerm dict (``newNodeSelectorTerm``); errors are kept, not raised.

    ``matchFields`` accepts In/NotIn with exactly one value (``metadata.name``).
    """
    labels: Selector | None = None
    fields: Selector | None = None
    error: str | None = None
    exprs = term.get("matchExpressions") or []
    if exprs:
        try:
            labels = Selector(_requirement(e, _NODE_SELECTOR_OPS) for e in exprs)
        except ValueError as e:
            labels, error = Selector(), str(e)
    fexprs = term.get("matchFields") or []
    if fexprs:
        reqs = []
        for e in fexprs:
            op = e.get("operator")
            values = list(e.get("values") or [])
            if op not in ("In", "NotIn") or len(values) != 1:
                error = error or f"invalid matchFields requirement {dict(e)!r}"
                continue
            reqs.append(Requirement(str(e.get("key", "")), op, frozenset((str(values[0]),))))
        fields = Selector(reqs)
    return NodeSelectorTerm(labels, fields, error)


@dataclass(frozen=True, slots=True)
class RequiredNodeAffinity:
    """``nodeaffinity.RequiredNodeAffinity``: ``nodeSelector`` AND required node affinity.

    ``terms`` is None when the pod has no required node affinity; an empty tuple (a
    required affinity with no terms) matches no node.
    """

    node_selector: Mapping[str, str] = field(default_factory=dict)
    terms: tuple[NodeSelectorTerm, ...] | None = None

    def is_empty(self) -> bool:
        """No nodeSelector and no required affinity: every node matches."""
        return not self.node_selector and self.terms is None

    def match(self, node: Node) -> bool:
        """``(RequiredNodeAffinity).Match``."""
        labels = node.labels
        for k, v in self.node_selector.items():
            if labels.get(k) != v:
                return False
        if self.terms is None:
            return True
        return any(t.match(node) for t in self.terms)


# ------------------------------------------------------------------ spec dataclasses


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


# ----------------------------------------------------------------- node info, snapshot


def _is_terminal(pod: Pod) -> bool:
    return pod.phase in (POD_SUCCEEDED, POD_FAILED)


def _with_default_requests(c: Container) -> Container:
    """``applyNonMissing``: a missing cpu / memory request counts as the scheduler default."""
    if "cpu" in c.requests and "memory" in c.requests:
        return c
    req = dict(c.requests)
    req.setdefault("cpu", DEFAULT_MILLI_CPU_REQUEST)
    req.setdefault("memory", DEFAULT_MEMORY_REQUEST)
    return replace(c, requests=req)


def non_zero_requests(pod: Pod) -> tuple[int, int]:
    """``PodRequests`` with ``NonMissingContainerRequests`` (cpu 100m, memory 200Mi):
    the (milli-cpu, milli-bytes memory) the scoring plugins charge for the pod."""
    shadow = replace(
        pod,
        containers=[_with_default_requests(c) for c in pod.containers],
        init_containers=[_with_default_requests(c) for c in pod.init_containers],
    )
    r = pod_requests(shadow)
    return r.get("cpu", 0), r.get("memory", 0)


class NodeInfo:
    """``framework.NodeInfo`` (pkg/scheduler/framework/types.go): a node, its pods and
    their summed requests.

    ``requested`` sums ``PodRequests`` (with overhead) of the pods; ``non_zero_cpu`` /
    ``non_zero_mem`` sum :func:`non_zero_requests`. Terminal pods (Succeeded/Failed) are not
    added: the scheduler's pod informer excludes them (``newPodInformer`` field selector
    ``status.phase!=Succeeded,status.phase!=Failed``). Pods being deleted stay until removed.
    """

    __slots__ = ("_pod_res", "node", "non_zero_cpu", "non_zero_mem", "pods", "requested")

    def __init__(self, node: Node, pods: Iterable[Pod] = ()) -> None:
        self.node = node
        self.pods: list[Pod] = []
        self.requested: dict[str, int] = {}
        self.non_zero_cpu = 0
        self.non_zero_mem = 0
        self._pod_res: dict[int, tuple[ResourceList, int, int]] = {}
        for p in pods:
            self.add_pod(p)

    def add_pod(self, pod: Pod) -> None:
        """``NodeInfo.AddPod``; terminal pods are ignored."""
        if _is_terminal(pod) or id(pod) in self._pod_res:
            return
        req = pod_requests(pod)
        nz_cpu, nz_mem = non_zero_requests(pod)
        self._pod_res[id(pod)] = (req, nz_cpu, nz_mem)
        self.pods.append(pod)
        for k, v in req.items():
            self.requested[k] = self.requested.get(k, 0) + v
        self.non_zero_cpu += nz_cpu
        self.non_zero_mem += nz_mem

    def remove_pod(self, pod: Pod) -> None:
        """``NodeInfo.RemovePod`` (no-op for a pod that is not here)."""
        res = self._pod_res.pop(id(pod), None)
        if res is None:
            return
        req, nz_cpu, nz_mem = res
        self.pods.remove(pod)
        for k, v in req.items():
            self.requested[k] -= v
        self.non_zero_cpu -= nz_cpu
        self.non_zero_mem -= nz_mem

    def __repr__(self) -> str:
        return f"NodeInfo({self.node.name!r}, pods={len(self.pods)})"


class Snapshot:
    """``cache.Snapshot`` (pkg/scheduler/backend/cache/snapshot.go): the cluster as one
    scheduling cycle sees it.

    Keep one and update it with :meth:`add_pod` / :meth:`remove_pod` / :meth:`set_node`
    rather than rebuilding it for every pod: that keeps a cycle O(nodes + pods) in cheap
    operations. Node order is insertion order.
    """

    __slots__ = ("node_infos",)

    def __init__(
        self, nodes: Iterable[Node] = (), pods_by_node: Mapping[str, Iterable[Pod]] | None = None
    ) -> None:
        self.node_infos: dict[str, NodeInfo] = {}
        pods_by_node = pods_by_node or {}
        for n in nodes:
            self.node_infos[n.name] = NodeInfo(n, pods_by_node.get(n.name, ()))

    def set_node(self, node: Node) -> None:
        """Add a node, or replace the Node object of an existing one (keeping its pods)."""
        ni = self.node_infos.get(node.name)
        if ni is None:
            self.node_infos[node.name] = NodeInfo(node)
        else:
            ni.node = node

    def remove_node(self, name: str) -> None:
        """Forget a node and its pods."""
        self.node_infos.pop(name, None)

    def add_pod(self, pod: Pod, node_name: str | None = None) -> None:
        """Account a pod bound to ``node_name`` (default ``pod.node_name``)."""
        ni = self.node_infos.get(node_name or pod.node_name or "")
        if ni is not None:
            ni.add_pod(pod)

    def remove_pod(self, pod: Pod, node_name: str | None = None) -> None:
        """Stop accounting a pod (deleted, or turned terminal)."""
        ni = self.node_infos.get(node_name or pod.node_name or "")
        if ni is not None:
            ni.remove_pod(pod)

    def list(self) -> list[NodeInfo]:
        """All node infos, in node order."""
        return list(self.node_infos.values())

    def __len__(self) -> int:
        return len(self.node_infos)


# ------------------------------------------------------------------------ status etc.


@dataclass(frozen=True, slots=True)
class Status:
    """``framework.Status`` of a failed plugin: code and reasons."""

    code: str
    reasons: tuple[str, ...]


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


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """The parts of the scheduler profile we model.

    ``dynamic_resources``: the DynamicResources plugin is enabled (DRA GA and on by default
    from Kubernetes 1.34), so its PostFilter adds ``"no new claims to deallocate"`` before
    the preemption message. ``preemption``: DefaultPreemption enabled.
    ``fit_unresolvable``: NodeResourcesFit marks requests above a node's allocatable
    UnschedulableAndUnresolvable (k/k#131345, merged after the 1.33 freeze, so 1.34).
    """

    weights: Mapping[str, int] = field(default_factory=lambda: DEFAULT_PLUGIN_WEIGHTS)
    dynamic_resources: bool = True
    preemption: bool = True
    fit_unresolvable: bool = True
    hard_pod_affinity_weight: int = 1
    system_default_spreading: bool = True


DEFAULT_CONFIG = SchedulerConfig()


def scheduler_config_for_version(version: str) -> SchedulerConfig:
    """Defaults for a Kubernetes minor version such as ``"1.33"``.

    What differs here: the DRA PostFilter note and the NodeResourcesFit
    UnschedulableAndUnresolvable status, both from 1.34.
    """
    major, minor = (int(x) for x in version.lstrip("v").split(".")[:2])
    recent = (major, minor) >= (1, 34)
    return SchedulerConfig(dynamic_resources=recent, fit_unresolvable=recent)


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


def fit_error_message(
    num_all_nodes: int,
    node_reasons: Mapping[str, Sequence[str]],
    *,
    pre_filter_msg: str = "",
    absent_reasons: Sequence[str] = (),
    post_filter_msg: str = "",
) -> str:
    """``(*FitError).Error()``: ``0/N nodes are available: <histogram>. <PostFilterMsg>``.

    Each reason is counted once per node that reported it; nodes absent from
    ``node_reasons`` count ``absent_reasons``. The ``"<count> <reason>"`` strings are sorted
    as strings (so ``"10 x"`` sorts before ``"3 y"``), as Go's ``sort.Strings`` does. A
    PreFilter message replaces the histogram.
    """
    msg = f"0/{num_all_nodes} nodes are available:"
    if pre_filter_msg:
        msg += f" {pre_filter_msg}."
    else:
        counts: Counter[str] = Counter()
        for reasons in node_reasons.values():
            for r in reasons:
                counts[r] += 1
        missing = num_all_nodes - len(node_reasons)
        if missing > 0:
            for r in absent_reasons:
                counts[r] += missing
        items = sorted(f"{v} {k}" for k, v in counts.items())
        if items:
            msg += f" {', '.join(items)}."
    if post_filter_msg:
        msg += f" {post_filter_msg}"
    return msg


# ------------------------------------------------------------------ resource helpers


def _is_scalar_resource_name(name: str) -> bool:
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
        if want == 0 or not _is_scalar_resource_name(name):
            continue
        if want > alloc.get(name, 0) - used.get(name, 0):
            cap = alloc.get(name, 0)
            out.append(
                InsufficientResource(
                    name, f"Insufficient {name}", want, used.get(name, 0), cap, want > cap
                )
            )
    return out


# -------------------------------------------------------------- pod affinity helpers


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


SpecOf = Callable[[Pod], "SchedulingSpec | None"]


# ----------------------------------------------------------- topology spread helpers


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


# ------------------------------------------------------------- inter-pod affinity


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


# ------------------------------------------------------------------------- filters


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


def node_affinity_filter(spec: SchedulingSpec, node: Node) -> Status | None:
    """``(*NodeAffinity).Filter``: nodeSelector and required node affinity."""
    required = spec.required_node_affinity_matcher()
    if required.is_empty() or required.match(node):
        return None
    return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_NODE_AFFINITY,))


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
            if v > 0
            and (k in ("cpu", "memory", "ephemeral-storage") or _is_scalar_resource_name(k))
        )
        self.spread = cal_pre_filter_state(pod, spec, infos, config)
        self.ipa = inter_pod_affinity_pre_filter(pod, spec, infos, spec_of)

    def _fits(self, ni: NodeInfo) -> bool:
        """Quick yes of :func:`fits_request` (the full check builds the reasons)."""
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


# -------------------------------------------------------------------------- scoring


def default_normalize_score(scores: dict[str, int], reverse: bool) -> None:
    """``helper.DefaultNormalizeScore(MaxNodeScore, reverse, scores)``, in place."""
    max_count = max(scores.values(), default=0)
    if max_count <= 0:
        if reverse:
            for k in scores:
                scores[k] = MAX_NODE_SCORE
        return
    for k, s in scores.items():
        v = MAX_NODE_SCORE * s // max_count
        scores[k] = MAX_NODE_SCORE - v if reverse else v


def _taint_toleration_scores(pod: Pod, infos: Sequence[NodeInfo]) -> dict[str, int]:
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


def _node_affinity_scores(spec: SchedulingSpec, infos: Sequence[NodeInfo]) -> dict[str, int] | None:
    preferred = spec._preferred
    if not preferred:
        return None  # PreScore Skip
    scores = {ni.node.name: sum(w for w, t in preferred if t.match(ni.node)) for ni in infos}
    default_normalize_score(scores, reverse=False)
    return scores


def _least_requested_score(requested: int, capacity: int) -> int:
    """``leastRequestedScore``."""
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def _fit_scores(pod: Pod, infos: Sequence[NodeInfo]) -> dict[str, int]:
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


def _balanced_allocation_scores(
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


def _go_round(x: float) -> int:
    """``math.Round`` (half away from zero)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _spread_scores(cycle: _Cycle, feasible: Sequence[NodeInfo]) -> dict[str, int] | None:
    """PodTopologySpread PreScore + Score + NormalizeScore (podtopologyspread/scoring.go)."""
    pod, spec = cycle.pod, cycle.spec
    constraints = _get_constraints(pod, spec, SCHEDULE_ANYWAY, cycle.config)
    if not constraints or not cycle.snapshot.node_infos:
        return None
    # Only the pod's own constraints require every key; system defaults let a node without
    # a zone label still be spread by hostname.
    require_all = (
        bool(spec.topology_spread_constraints) or not cycle.config.system_default_spreading
    )
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
    for ni in cycle.snapshot.node_infos.values():
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


def _inter_pod_affinity_scores(
    cycle: _Cycle, feasible: Sequence[NodeInfo]
) -> dict[str, int] | None:
    """InterPodAffinity PreScore + Score + NormalizeScore (interpodaffinity/scoring.go)."""
    pod, spec, spec_of = cycle.pod, cycle.spec, cycle.spec_of
    pref_aff = _resolve_weighted(spec.preferred_pod_affinity, pod)
    pref_anti = _resolve_weighted(spec.preferred_pod_anti_affinity, pod)
    has_constraints = bool(pref_aff or pref_anti)
    if not has_constraints and spec_of is None:
        return None  # no term can contribute
    hard_weight = cycle.config.hard_pod_affinity_weight
    topo: dict[str, dict[str, int]] = {}

    def add(term: _AffinityTerm, weight: int, target: Pod, labels: Mapping[str, str]) -> None:
        if term.matches(target):
            value = labels.get(term.topology_key)
            if value is not None:
                m = topo.setdefault(term.topology_key, {})
                m[value] = m.get(value, 0) + weight

    for ni in cycle.snapshot.node_infos.values():
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


def _plugin_scores(cycle: _Cycle, feasible: Sequence[NodeInfo]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {
        TAINT_TOLERATION: _taint_toleration_scores(cycle.pod, feasible)
    }
    na = _node_affinity_scores(cycle.spec, feasible)
    if na is not None:
        out[NODE_AFFINITY] = na
    out[NODE_RESOURCES_FIT] = _fit_scores(cycle.pod, feasible)
    spread = _spread_scores(cycle, feasible)
    if spread is not None:
        out[POD_TOPOLOGY_SPREAD] = spread
    ipa = _inter_pod_affinity_scores(cycle, feasible)
    if ipa is not None:
        out[INTER_POD_AFFINITY] = ipa
    ba = _balanced_allocation_scores(cycle.pod_request, feasible)
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
        if spec.preemption_policy == PREEMPT_NEVER:
            reasons.append("preemption: " + PREEMPTION_POLICY_NEVER)
        else:
            # nodesWherePreemptionMightHelp: only Unschedulable nodes are dry-run (and find no
            # lower-priority pod); UnschedulableAndUnresolvable and absent nodes are not.
            per_node = {
                n: (PREEMPTION_NO_VICTIMS,)
                for n, st in statuses.items()
                if st.code == UNSCHEDULABLE
            }
            inner = fit_error_message(num_nodes, per_node, absent_reasons=(PREEMPTION_NOT_HELPFUL,))
            reasons.append("preemption: " + inner)
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
