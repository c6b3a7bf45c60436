"""Minimal mirrors of the core/v1 objects the controllers read.

These are plain ``__slots__`` dataclasses, not pydantic models: the simulation mutates
them in place and the controller functions in ``capacity.k8s`` read them on every sync.
Field names are the Kubernetes API's in snake_case (``deletionTimestamp`` →
``deletion_timestamp``). Times are float seconds on the simulation clock; resource amounts
are integers in milli-units, as upstream's ``Quantity.MilliValue()`` gives them
(cpu: millicores; memory: milli-bytes).

``pod_from_manifest`` builds a :class:`Pod` from a Kubernetes-shaped dict (a manifest or
``kubectl get pod -o json``), so tables ported from upstream tests can be written as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from capacity.k8s.quantity import Quantity

# Pod phases (core/v1 PodPhase)
POD_PENDING = "Pending"
POD_RUNNING = "Running"
POD_SUCCEEDED = "Succeeded"
POD_FAILED = "Failed"
POD_UNKNOWN = "Unknown"

# Condition types and statuses
POD_READY = "Ready"
CONDITION_TRUE = "True"
CONDITION_FALSE = "False"
CONDITION_UNKNOWN = "Unknown"

# Container restart policy that makes an init container a sidecar (KEP-753)
CONTAINER_RESTART_POLICY_ALWAYS = "Always"

ResourceList = dict[str, int]
"""Resource name → amount in milli-units (``Quantity.MilliValue()``)."""


@dataclass(slots=True)
class ResourceRequirements:
    """``core/v1 ResourceRequirements`` (requests and limits; claims are not modelled)."""

    requests: ResourceList = field(default_factory=dict)
    limits: ResourceList = field(default_factory=dict)


@dataclass(slots=True)
class LabelSelectorRequirement:
    """``meta/v1 LabelSelectorRequirement``: ``operator`` is In, NotIn, Exists or DoesNotExist."""

    key: str
    operator: str
    values: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LabelSelector:
    """``meta/v1 LabelSelector``: match labels and match expressions."""

    match_labels: dict[str, str] = field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = field(default_factory=list)


def label_selector_string(selector: LabelSelector | Mapping[str, str] | None) -> str:
    """``(*LabelSelector).String()`` of ``k8s.io/apimachinery pkg/apis/meta/v1/generated.pb.go``.

    This is what Go's ``%+v`` prints for a selector (the HPA puts it in metric names and
    error messages): ``nil`` for a nil selector, else match labels sorted by key and the
    match expressions in order. A plain mapping is taken as match labels only.
    """
    if selector is None:
        return "nil"
    if isinstance(selector, LabelSelector):
        labels: Mapping[str, str] = selector.match_labels
        expressions = selector.match_expressions
    else:
        labels = selector
        expressions = []
    exprs = "".join(
        # Go prints a []string with %v as "[a b]"; the requirement's own "&" is dropped.
        f"LabelSelectorRequirement{{Key:{r.key},Operator:{r.operator},"
        f"Values:[{' '.join(r.values)}],}},"
        for r in expressions
    )
    pairs = "".join(f"{k}: {labels[k]}," for k in sorted(labels))
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{pairs}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )


@dataclass(slots=True)
class PodCondition:
    """``core/v1 PodCondition``: type, status and lastTransitionTime (seconds)."""

    type: str
    status: str
    last_transition_time: float = 0.0


@dataclass(slots=True)
class Container:
    """``core/v1 Container``: only what the controllers read."""

    name: str
    requests: ResourceList = field(default_factory=dict)
    limits: ResourceList = field(default_factory=dict)
    restart_policy: str | None = None  # "Always" on an init container = sidecar


@dataclass(slots=True)
class Toleration:
    """``core/v1 Toleration``."""

    key: str | None = None
    operator: str = "Equal"
    value: str | None = None
    effect: str | None = None
    toleration_seconds: float | None = None


@dataclass(slots=True, eq=False)
class Pod:
    """``core/v1 Pod``, flattened: metadata, spec and status fields used by controllers.

    Identity is by object (``eq=False``): two pods are the same pod only if they are the
    same object, as two API objects with different UIDs would be.
    """

    name: str
    namespace: str = "default"
    labels: dict[str, str] = field(default_factory=dict)
    uid: str = ""
    creation_timestamp: float = 0.0
    deletion_timestamp: float | None = None
    deletion_grace_period_seconds: float | None = None
    owner: str | None = None  # name of the owning ReplicaSet
    # spec
    containers: list[Container] = field(default_factory=list)
    init_containers: list[Container] = field(default_factory=list)
    overhead: ResourceList = field(default_factory=dict)
    node_name: str | None = None
    tolerations: list[Toleration] = field(default_factory=list)
    termination_grace_period_seconds: float = 30.0
    # status
    phase: str = POD_PENDING
    start_time: float | None = None
    conditions: list[PodCondition] = field(default_factory=list)
    # spec.resources: pod-level requests and limits (KEP-2837, feature gate
    # PodLevelResources: alpha 1.32, beta 1.34). Last so positional construction is unchanged.
    resources: ResourceRequirements | None = None


@dataclass(slots=True)
class PodMetric:
    """``metricsclient.PodMetric``: one pod's sample from the resource metrics API.

    ``value`` is in milli-units (upstream stores ``MilliValue()``); ``timestamp`` is the
    end of the sample window and ``window`` its length, both in seconds.
    """

    timestamp: float
    window: float
    value: int


PodMetricsInfo = dict[str, PodMetric]
"""Pod name → metric (``metricsclient.PodMetricsInfo``)."""


def get_pod_condition(pod: Pod, condition_type: str) -> PodCondition | None:
    """``podutil.GetPodCondition``: the pod's condition of that type, or None."""
    for c in pod.conditions:
        if c.type == condition_type:
            return c
    return None


def is_pod_ready(pod: Pod) -> bool:
    """``podutil.IsPodReady``: the Ready condition is True."""
    c = get_pod_condition(pod, POD_READY)
    return c is not None and c.status == CONDITION_TRUE


def is_pod_available(pod: Pod, min_ready_seconds: float, now: float) -> bool:
    """``podutil.IsPodAvailable``: Ready for at least ``min_ready_seconds``."""
    c = get_pod_condition(pod, POD_READY)
    if c is None or c.status != CONDITION_TRUE:
        return False
    return min_ready_seconds == 0 or c.last_transition_time + min_ready_seconds <= now


def is_pod_active(pod: Pod) -> bool:
    """``controller.IsPodActive``: not terminal and not being deleted."""
    return (
        pod.phase != POD_SUCCEEDED
        and pod.phase != POD_FAILED
        and pod.deletion_timestamp is None
    )


def resource_list(spec: Mapping[str, Any] | None) -> ResourceList:
    """A ``{name: quantity}`` mapping as milli-units."""
    if not spec:
        return {}
    return {str(k): Quantity.parse(v).milli_value() for k, v in spec.items()}


def _container_from_manifest(c: Mapping[str, Any]) -> Container:
    res = c.get("resources") or {}
    return Container(
        name=c.get("name", ""),
        requests=resource_list(res.get("requests")),
        limits=resource_list(res.get("limits")),
        restart_policy=c.get("restartPolicy"),
    )


def _resource_requirements(res: Mapping[str, Any] | None) -> ResourceRequirements | None:
    if res is None:
        return None
    return ResourceRequirements(
        requests=resource_list(res.get("requests")), limits=resource_list(res.get("limits"))
    )


def _time(v: Any) -> float | None:
    """Seconds from a number; RFC 3339 strings are not used in tests (None if absent)."""
    if v is None:
        return None
    return float(v)


def pod_from_manifest(obj: Mapping[str, Any]) -> Pod:
    """Build a :class:`Pod` from a Kubernetes-shaped dict.

    Timestamps (``creationTimestamp``, ``deletionTimestamp``, ``status.startTime``,
    conditions' ``lastTransitionTime``) are given as float seconds, not RFC 3339.
    """
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    tolerations = [
        Toleration(
            key=t.get("key"),
            operator=t.get("operator", "Equal"),
            value=t.get("value"),
            effect=t.get("effect"),
            toleration_seconds=t.get("tolerationSeconds"),
        )
        for t in spec.get("tolerations") or []
    ]
    return Pod(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", "default"),
        labels=dict(meta.get("labels") or {}),
        uid=meta.get("uid", ""),
        creation_timestamp=_time(meta.get("creationTimestamp")) or 0.0,
        deletion_timestamp=_time(meta.get("deletionTimestamp")),
        deletion_grace_period_seconds=_time(meta.get("deletionGracePeriodSeconds")),
        containers=[_container_from_manifest(c) for c in spec.get("containers") or []],
        init_containers=[_container_from_manifest(c) for c in spec.get("initContainers") or []],
        overhead=resource_list(spec.get("overhead")),
        node_name=spec.get("nodeName"),
        tolerations=tolerations,
        termination_grace_period_seconds=float(spec.get("terminationGracePeriodSeconds", 30)),
        phase=status.get("phase", POD_PENDING),
        start_time=_time(status.get("startTime")),
        conditions=[
            PodCondition(
                type=c["type"],
                status=c.get("status", CONDITION_UNKNOWN),
                last_transition_time=_time(c.get("lastTransitionTime")) or 0.0,
            )
            for c in status.get("conditions") or []
        ],
        resources=_resource_requirements(spec.get("resources")),
    )
