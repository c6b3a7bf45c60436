"""The HorizontalPodAutoscaler controller's decision logic, one reconcile at a time.

Mirrors ``kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go``:
``reconcileAutoscaler``, ``computeReplicasForMetrics``, ``computeReplicasForMetric``,
``computeStatusForResourceMetricGeneric``, the legacy path (``normalizeDesiredReplicas``,
``stabilizeRecommendation``, ``convertDesiredReplicasWithRules``,
``calculateScaleUpLimit``) and the behavior path
(``normalizeDesiredReplicasWithBehaviors``, ``stabilizeRecommendationWithBehaviors``,
``convertDesiredReplicasWithBehaviorRate``, ``calculateScaleUpLimitWithScalingRules``,
``calculateScaleDownLimitWithBehaviors``, ``getReplicasChangePerPeriod``,
``storeScaleEvent``, ``markScaleEventsOutdated``), plus ``tolerancesForHpa`` (KEP-4951).

The controller holds upstream's per-HPA memory (``recommendations``, ``scale_up_events``,
``scale_down_events``, keyed by the HPA key). It does not talk to an API server: the
caller passes the scale target's ``spec.replicas``, the selected pods, a resource metrics
getter and, for Pods/Object/External metrics, a :class:`MetricsClient` (upstream's
``metricsclient.MetricsClient`` of ``pkg/controller/podautoscaler/metrics/interfaces.go``),
and applies ``ReconcileResult.desired_replicas`` itself when ``rescale`` is true.
Times are float seconds; Go's ``Before``/``After`` are strict ``<``/``>``.

Pods, Object and External metrics follow ``computeStatusForPodsMetric``,
``computeStatusForObjectMetric`` and ``computeStatusForExternalMetric`` and the
calculator's ``GetMetricReplicas``, ``GetObjectMetricReplicas``,
``GetObjectPerPodMetricReplicas``, ``GetExternalMetricReplicas`` and
``GetExternalPerPodMetricReplicas``, with their error texts, conditions and events
(``FailedGetPodsMetric``, ``FailedGetObjectMetric``, ``FailedGetExternalMetric``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from capacity.k8s.hpa_replica_calculator import ReplicaCalculator
from capacity.k8s.hpa_types import (
    ABLE_TO_SCALE,
    AVERAGE_VALUE_METRIC_TYPE,
    CONTAINER_RESOURCE_METRIC_SOURCE_TYPE,
    DISABLED_POLICY_SELECT,
    EXTERNAL_METRIC_SOURCE_TYPE,
    MAX_INT32,
    MIN_CHANGE_POLICY_SELECT,
    MIN_INT32,
    OBJECT_METRIC_SOURCE_TYPE,
    PERCENT_SCALING_POLICY,
    PODS_METRIC_SOURCE_TYPE,
    PODS_SCALING_POLICY,
    RESOURCE_METRIC_SOURCE_TYPE,
    SCALING_ACTIVE,
    SCALING_LIMITED,
    VALUE_METRIC_TYPE,
    CrossVersionObjectReference,
    ExternalMetricSource,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAError,
    HPAScalingRules,
    HPAVersionBehaviour,
    MetricSpec,
    MetricTarget,
    ObjectMetricSource,
    PodsMetricSource,
    Tolerances,
    UnsupportedMetricError,
    generate_hpa_scale_down_rules,
    generate_hpa_scale_up_rules,
    hpa_version_behaviour,
)
from capacity.k8s.types import (
    LabelSelector,
    Pod,
    PodMetricsInfo,
    is_pod_active,
    label_selector_string,
)

SCALE_UP_LIMIT_FACTOR = 2.0
"""``scaleUpLimitFactor`` of the legacy path (upstream tests raise it to 8)."""
SCALE_UP_LIMIT_MINIMUM = 4.0
"""``scaleUpLimitMinimum`` of the legacy path."""

TRUE = "True"
FALSE = "False"
EVENT_NORMAL = "Normal"
EVENT_WARNING = "Warning"

Condition = tuple[str, str, str, str]
"""``(type, status, reason, message)`` of an HPA status condition."""
Event = tuple[str, str, str]
"""``(type, reason, message)`` of a Kubernetes event the controller would record."""

MetricsGetter = Callable[[str, str], PodMetricsInfo]
"""``get_metrics(resource, container)``; container "" = whole-pod sum. May raise HPAError."""
PodsMetricsGetter = Callable[[str], PodMetricsInfo]
"""``get_pods_metric(metric_name)`` for Pods metrics (older, simpler form of
``MetricsClient.get_raw_metric``). May raise HPAError."""

Selector = LabelSelector | Mapping[str, str] | None
"""A label selector: :class:`~capacity.k8s.types.LabelSelector`, match labels, or nil."""
RawMetricGetter = Callable[[str, str, Mapping[str, str], Selector], tuple[PodMetricsInfo, float]]
"""``GetRawMetric(metric_name, namespace, selector_labels, metric_selector)`` →
``(pod name → PodMetric, timestamp)``; values in milli-units."""
ObjectMetricGetter = Callable[[str, str, CrossVersionObjectReference, Selector], tuple[int, float]]
"""``GetObjectMetric(metric_name, namespace, described_object, metric_selector)`` →
``(value_milli, timestamp)``."""
ExternalMetricGetter = Callable[[str, str, Selector], tuple[Sequence[int], float]]
"""``GetExternalMetric(metric_name, namespace, selector)`` → ``(milli values, timestamp)``."""


@dataclass(frozen=True, slots=True)
class MetricsClient:
    """``metricsclient.MetricsClient`` for the custom and external metrics APIs.

    Mirrors ``pkg/controller/podautoscaler/metrics/interfaces.go`` (the resource metrics
    API stays the ``get_metrics`` argument of :meth:`HorizontalController.reconcile_autoscaler`).
    Each getter may raise :class:`~capacity.k8s.hpa_types.HPAError`; its text is the
    client's (upstream's REST client says e.g. "unable to fetch metrics from custom
    metrics API: …") and the controller wraps it as upstream does. A getter left None
    fails that metric type as a client error would.
    """

    get_raw_metric: RawMetricGetter | None = None
    get_object_metric: ObjectMetricGetter | None = None
    get_external_metric: ExternalMetricGetter | None = None

# Messages that do not depend on data, built once.
_MSG_GET_SCALE = "the HPA controller was able to get the target's current scale"
_MSG_DISABLED = "scaling is disabled since the replica count of the target is zero"
_MSG_READY = "recommended size matches current size"
_MSG_DOWN_STABILIZED = (
    "recent recommendations were higher than current one, applying the highest recent recommendation"
)
_MSG_UP_STABILIZED = (
    "recent recommendations were lower than current one, applying the lowest recent recommendation"
)
_MSG_WITHIN = "the desired count is within the acceptable range"
_MSG_UP_LIMIT = "the desired replica count is increasing faster than the maximum scale rate"
_MSG_DOWN_LIMIT = "the desired replica count is decreasing faster than the maximum scale rate"
_MSG_TOO_MANY = "the desired replica count is more than the maximum replica count"
_MSG_TOO_FEW = "the desired replica count is less than the minimum replica count"
_MSG_VALID = "the HPA was able to successfully calculate a replica count from "
_MSG_UNABLE = "the HPA was unable to compute the replica count: "
REASON_ABOVE_MAX = "Current number of replicas above Spec.MaxReplicas"
REASON_BELOW_MIN = "Current number of replicas below Spec.MinReplicas"
REASON_ALL_BELOW = "All metrics below target"


class TimestampedRecommendation(NamedTuple):
    """``timestampedRecommendation``: an unstabilized recommendation and when it was made."""

    recommendation: int
    timestamp: float


@dataclass(slots=True)
class TimestampedScaleEvent:
    """``timestampedScaleEvent``: a rescale's absolute replica change (non-negative)."""

    replica_change: int
    timestamp: float
    outdated: bool = False


class MetricStatus(NamedTuple):
    """The part of ``MetricStatus`` the simulation plots.

    ``name`` is the resource name (Resource, ContainerResource) or the metric name (Pods,
    Object, External). ``average_utilization`` is a percent (Utilization targets only);
    ``average_value`` is milli-units (the per-pod average: raw resource usage, Pods
    metric, Object/External AverageValue); ``value`` is milli-units (Object/External
    Value targets: the object's value or the sum of the external series).
    """

    type: str
    name: str
    container: str
    average_utilization: int | None
    average_value: int | None
    value: int | None = None


@dataclass(slots=True)
class NormalizationArg:
    """``NormalizationArg``: what the behavior path needs for one decision."""

    key: str
    scale_up_behavior: HPAScalingRules
    scale_down_behavior: HPAScalingRules
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int


@dataclass(slots=True)
class ReconcileResult:
    """What one ``reconcileAutoscaler`` decided.

    ``desired_replicas`` is the HPA's ``status.desiredReplicas`` (= current unless
    ``rescale``); ``reason`` the rescale reason of the ``SuccessfulRescale`` event;
    ``metric_desired_replicas`` the raw proposal from the metrics (None when metrics were
    not consulted or all failed); ``metric_statuses`` one entry per spec metric (None
    where it failed); ``conditions`` the conditions set in this reconcile, one per type,
    in first-set order; ``event`` the main event (``SuccessfulRescale`` or
    ``FailedComputeMetricsReplicas``) and ``events`` every event in order, including
    per-metric warnings; ``error`` the error upstream's reconcile would return.
    """

    current_replicas: int
    desired_replicas: int
    rescale: bool
    reason: str
    metric_desired_replicas: int | None
    metric_name: str
    metric_statuses: list[MetricStatus | None]
    conditions: tuple[Condition, ...]
    event: Event | None
    events: tuple[Event, ...]
    error: str | None

    def utilization(self, resource: str = "cpu") -> int | None:
        """The utilization percent computed for the Resource metric named ``resource``."""
        for s in self.metric_statuses:
            if s is not None and s.type == RESOURCE_METRIC_SOURCE_TYPE and s.name == resource:
                return s.average_utilization
        return None

    def condition(self, condition_type: str) -> Condition | None:
        """The condition of that type set in this reconcile, or None."""
        for c in self.conditions:
            if c[0] == condition_type:
                return c
        return None


# --- pure helpers ---------------------------------------------------------------------------


def get_replicas_change_per_period(
    period_seconds: float, scale_events: Sequence[TimestampedScaleEvent] | None, now: float
) -> int:
    """``getReplicasChangePerPeriod``: sum of changes of events newer than ``now - period``."""
    if not scale_events:
        return 0
    cutoff = now - period_seconds
    replicas = 0
    for event in scale_events:
        if event.timestamp > cutoff:
            replicas += event.replica_change
    return replicas


def get_longest_policy_period(scaling_rules: HPAScalingRules) -> int:
    """``getLongestPolicyPeriod``: the longest ``periodSeconds`` of the rule set's policies."""
    longest = 0
    for policy in scaling_rules.policies or ():
        if policy.period_seconds > longest:
            longest = policy.period_seconds
    return longest


def mark_scale_events_outdated(
    scale_events: Sequence[TimestampedScaleEvent] | None, longest_policy_period: float, now: float
) -> None:
    """``markScaleEventsOutdated``: flag events older than the longest period for reuse."""
    if not scale_events:
        return
    cutoff = now - longest_policy_period
    for event in scale_events:
        if event.timestamp < cutoff:
            event.outdated = True


def calculate_scale_up_limit(
    current_replicas: int,
    scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR,
    scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM,
) -> int:
    """``calculateScaleUpLimit``: ``int(max(factor × current, minimum))`` (legacy path)."""
    return int(max(scale_up_limit_factor * current_replicas, scale_up_limit_minimum))


def convert_desired_replicas_with_rules(
    current_replicas: int,
    desired_replicas: int,
    hpa_min_replicas: int,
    hpa_max_replicas: int,
    scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR,
    scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM,
) -> tuple[int, str, str]:
    """``convertDesiredReplicasWithRules``: clamp to [min, min(max, scale-up limit)].

    Returns ``(replicas, condition reason, message)``; no scale-down rate limit.
    """
    scale_up_limit = calculate_scale_up_limit(
        current_replicas, scale_up_limit_factor, scale_up_limit_minimum
    )
    if hpa_max_replicas > scale_up_limit:
        maximum_allowed = scale_up_limit
        reason, message = "ScaleUpLimit", _MSG_UP_LIMIT
    else:
        maximum_allowed = hpa_max_replicas
        reason, message = "TooManyReplicas", _MSG_TOO_MANY
    if desired_replicas < hpa_min_replicas:
        return hpa_min_replicas, "TooFewReplicas", _MSG_TOO_FEW
    if desired_replicas > maximum_allowed:
        return maximum_allowed, reason, message
    return desired_replicas, "DesiredWithinRange", _MSG_WITHIN


def calculate_scale_up_limit_with_scaling_rules(
    current_replicas: int,
    scale_up_events: Sequence[TimestampedScaleEvent] | None,
    scale_down_events: Sequence[TimestampedScaleEvent] | None,
    scaling_rules: HPAScalingRules,
    now: float,
) -> int:
    """``calculateScaleUpLimitWithScalingRules``: the most replicas the policies allow now.

    Per policy the period start is ``current − added + removed`` within the period;
    Pods adds ``value``, Percent multiplies by ``1 + value/100`` rounded up. ``Max``
    takes the largest, ``Min`` the smallest; ``Disabled`` returns ``current``.
    """
    select = scaling_rules.select_policy
    if select == DISABLED_POLICY_SELECT:
        return current_replicas
    use_min = select == MIN_CHANGE_POLICY_SELECT
    result = MAX_INT32 if use_min else MIN_INT32
    proposed = 0  # an unknown policy type keeps the previous proposal, as upstream
    for policy in scaling_rules.policies or ():
        added = get_replicas_change_per_period(policy.period_seconds, scale_up_events, now)
        deleted = get_replicas_change_per_period(policy.period_seconds, scale_down_events, now)
        period_start = current_replicas - added + deleted
        if policy.type == PODS_SCALING_POLICY:
            proposed = period_start + policy.value
        elif policy.type == PERCENT_SCALING_POLICY:
            # rounded up, or a small percentage could never add a pod
            proposed = math.ceil(float(period_start) * (1 + float(policy.value) / 100))
        result = min(result, proposed) if use_min else max(result, proposed)
    return result


def calculate_scale_down_limit_with_behaviors(
    current_replicas: int,
    scale_up_events: Sequence[TimestampedScaleEvent] | None,
    scale_down_events: Sequence[TimestampedScaleEvent] | None,
    scaling_rules: HPAScalingRules,
    now: float,
) -> int:
    """``calculateScaleDownLimitWithBehaviors``: the fewest replicas the policies allow now.

    Pods subtracts ``value``; Percent multiplies by ``1 − value/100`` truncated. ``Max``
    (largest change) takes the smallest limit, ``Min`` the largest; ``Disabled`` returns
    ``current``.
    """
    select = scaling_rules.select_policy
    if select == DISABLED_POLICY_SELECT:
        return current_replicas
    use_max = select == MIN_CHANGE_POLICY_SELECT
    result = MIN_INT32 if use_max else MAX_INT32
    proposed = 0
    for policy in scaling_rules.policies or ():
        added = get_replicas_change_per_period(policy.period_seconds, scale_up_events, now)
        deleted = get_replicas_change_per_period(policy.period_seconds, scale_down_events, now)
        period_start = current_replicas - added + deleted
        if policy.type == PODS_SCALING_POLICY:
            proposed = period_start - policy.value
        elif policy.type == PERCENT_SCALING_POLICY:
            # int32() of a float truncates toward zero
            proposed = int(float(period_start) * (1 - float(policy.value) / 100))
        result = max(result, proposed) if use_max else min(result, proposed)
    return result


_READY_FOR_NEW_SCALE: Condition = (ABLE_TO_SCALE, TRUE, "ReadyForNewScale", _MSG_READY)


def _set(conditions: dict[str, Condition], ctype: str, status: str, reason: str, msg: str) -> None:
    """``setCondition``: one condition per type; a later call replaces the earlier one."""
    conditions[ctype] = (ctype, status, reason, msg)


# --- the controller -------------------------------------------------------------------------


class HorizontalController:
    """``HorizontalController``: flags, the replica calculator and per-HPA memory.

    ``configurable_tolerance`` is the ``HPAConfigurableTolerance`` feature gate (alpha,
    off, in 1.33; beta, on, from 1.35): when off, per-HPA ``behavior.*.tolerance`` is
    ignored. ``scale_up_limit_factor``/``scale_up_limit_minimum`` are the legacy path's
    package variables (upstream tests set the factor to 8).

    ``kubernetes_minor`` selects the version-dependent replica calculation
    (:func:`~capacity.k8s.hpa_types.hpa_version_behaviour`: Succeeded pods ignored from
    1.38, pod-level requests from 1.34, without overhead from 1.38);
    ``pod_level_resources`` overrides that version's ``PodLevelResources`` gate default.
    None (the default) keeps the behaviour of releases before 1.34.
    """

    def __init__(
        self,
        downscale_stabilisation_window: float = 300.0,
        tolerance: float = 0.1,
        cpu_initialization_period: float = 300.0,
        delay_of_initial_readiness_status: float = 30.0,
        *,
        configurable_tolerance: bool = True,
        scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR,
        scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM,
        kubernetes_minor: int | None = None,
        pod_level_resources: bool | None = None,
    ) -> None:
        self.downscale_stabilisation_window = downscale_stabilisation_window
        self.tolerance = tolerance
        self.configurable_tolerance = configurable_tolerance
        self.scale_up_limit_factor = scale_up_limit_factor
        self.scale_up_limit_minimum = scale_up_limit_minimum
        self.kubernetes_minor = kubernetes_minor
        self.version_behaviour: HPAVersionBehaviour = hpa_version_behaviour(
            kubernetes_minor, pod_level_resources
        )
        vb = self.version_behaviour
        self.replica_calc = ReplicaCalculator(
            tolerance, cpu_initialization_period, delay_of_initial_readiness_status,
            ignore_succeeded_pods=vb.ignore_succeeded_pods,
            pod_level_resources=vb.pod_level_resources,
            pod_level_requests_exclude_overhead=vb.pod_level_requests_exclude_overhead,
        )
        self.recommendations: dict[str, list[TimestampedRecommendation]] = {}
        self.scale_up_events: dict[str, list[TimestampedScaleEvent]] = {}
        self.scale_down_events: dict[str, list[TimestampedScaleEvent]] = {}
        self._default_tolerances = Tolerances(tolerance, tolerance)
        self._tolerances_cache: dict[tuple[float, float], Tolerances] = {}
        self._metrics_memo: dict[str, tuple[Any, Any, dict[str, Condition], tuple[Event, ...]]] = {}

    def delete_hpa(self, key: str) -> None:
        """What ``reconcileKey`` does when the HPA is gone: forget its memory."""
        self.recommendations.pop(key, None)
        self.scale_up_events.pop(key, None)
        self.scale_down_events.pop(key, None)
        self._metrics_memo.pop(key, None)

    # -- tolerances ------------------------------------------------------------------------

    def tolerances_for_hpa(self, spec: HorizontalPodAutoscalerSpec) -> Tolerances:
        """``tolerancesForHpa``: the flag tolerance, overridden per direction by behavior.

        Overrides apply only when ``configurable_tolerance`` (the feature gate) is on.
        """
        behavior = spec.behavior
        if behavior is None or not self.configurable_tolerance:
            return self._default_tolerances
        down = up = self.tolerance
        if behavior.scale_down is not None and behavior.scale_down.tolerance is not None:
            down = behavior.scale_down.tolerance
        if behavior.scale_up is not None and behavior.scale_up.tolerance is not None:
            up = behavior.scale_up.tolerance
        if down == self.tolerance and up == self.tolerance:
            return self._default_tolerances
        key = (down, up)
        tol = self._tolerances_cache.get(key)
        if tol is None:
            tol = self._tolerances_cache[key] = Tolerances(down, up)
        return tol

    # -- metrics ---------------------------------------------------------------------------

    def compute_replicas_for_metrics(
        self,
        spec: HorizontalPodAutoscalerSpec,
        spec_replicas: int,
        pods: Sequence[Pod],
        get_metrics: MetricsGetter,
        now: float,
        conditions: dict[str, Condition] | None = None,
        events: list[Event] | None = None,
        get_pods_metric: PodsMetricsGetter | None = None,
        *,
        metrics_client: MetricsClient | None = None,
        status_replicas: int | None = None,
        selector: Mapping[str, str] | None = None,
        namespace: str = "default",
    ) -> tuple[int, str, list[MetricStatus | None], float, HPAError | None]:
        """``computeReplicasForMetrics``: the max proposal over the spec's metrics.

        Returns ``(replicas, metric, statuses, timestamp, error)``. ``replicas`` is -1
        when the HPA must not act: every metric failed, or some failed and the valid ones
        would scale below ``spec_replicas`` (only scale-up is trusted with partial
        metrics). With partial failures that still allow a scale-up, ``error`` is set
        too. Sets the ScalingActive condition into ``conditions``.

        ``status_replicas`` is the scale target's ``status.replicas`` (Object and External
        AverageValue targets divide by it); None counts the active pods (not terminal,
        not being deleted), as a ReplicaSet's status does. ``selector`` (the target's pod
        selector labels) and ``namespace`` are passed to ``metrics_client``.
        """
        if conditions is None:
            conditions = {}
        metric_specs = spec.metrics
        tolerances = self.tolerances_for_hpa(spec)
        statuses: list[MetricStatus | None] = [None] * len(metric_specs)
        replicas = 0
        metric = ""
        timestamp = 0.0
        invalid = 0
        invalid_error: HPAError | None = None
        invalid_condition: Condition | None = None
        for i, metric_spec in enumerate(metric_specs):
            proposal, name, ts, status, condition, err = self.compute_replicas_for_metric(
                spec, metric_spec, spec_replicas, pods, get_metrics, now, tolerances, events,
                get_pods_metric, metrics_client=metrics_client, status_replicas=status_replicas,
                selector=selector, namespace=namespace,
            )
            if err is not None:
                if invalid == 0:
                    invalid_condition = condition
                    invalid_error = err
                invalid += 1
                continue
            statuses[i] = status
            if replicas == 0 or proposal > replicas:
                timestamp = ts
                replicas = proposal
                metric = name

        if invalid_error is not None:
            invalid_error = HPAError(
                f"invalid metrics ({invalid} invalid out of {len(metric_specs)}), "
                f"first error is: {invalid_error}"
            )
        if invalid >= len(metric_specs) or (invalid > 0 and replicas < spec_replicas):
            if invalid_condition is not None:
                conditions[invalid_condition[0]] = invalid_condition
            else:
                # no metrics at all: upstream sets an empty condition
                conditions[""] = ("", "", "", "")
            return -1, "", statuses, 0.0, invalid_error
        _set(conditions, SCALING_ACTIVE, TRUE, "ValidMetricFound", _MSG_VALID + metric)
        return replicas, metric, statuses, timestamp, invalid_error

    def compute_replicas_for_metric(
        self,
        spec: HorizontalPodAutoscalerSpec,
        metric_spec: MetricSpec,
        spec_replicas: int,
        pods: Sequence[Pod],
        get_metrics: MetricsGetter,
        now: float,
        tolerances: Tolerances | None = None,
        events: list[Event] | None = None,
        get_pods_metric: PodsMetricsGetter | None = None,
        *,
        metrics_client: MetricsClient | None = None,
        status_replicas: int | None = None,
        selector: Mapping[str, str] | None = None,
        namespace: str = "default",
    ) -> tuple[int, str, float, MetricStatus | None, Condition | None, HPAError | None]:
        """``computeReplicasForMetric``: one metric's proposal.

        Returns ``(replicas, metric name, timestamp, status, condition, error)``; on error
        ``condition`` is the ScalingActive=False condition upstream would set and a
        Warning event with the condition's reason is appended to ``events``. Every
        source type is evaluated: Resource and ContainerResource through ``get_metrics``;
        Pods, Object and External through ``metrics_client`` (Pods also through the older
        ``get_pods_metric``). A type without a way to fetch it fails with its
        ``FailedGet…Metric`` reason. ``status_replicas`` None counts the active pods.
        """
        if tolerances is None:
            tolerances = self.tolerances_for_hpa(spec)
        mtype = metric_spec.type
        if mtype == RESOURCE_METRIC_SOURCE_TYPE and metric_spec.resource is not None:
            src = metric_spec.resource
            try:
                replicas, ts, name, status = self._resource_metric(
                    spec_replicas, src.target, src.name, "", mtype, pods, get_metrics, now,
                    tolerances,
                )
            except HPAError as e:
                cond = self._unable(events, "FailedGetResourceMetric", e)
                err = HPAError(f"failed to get {src.name} resource metric value: {e}")
                return 0, "", 0.0, None, cond, err
            return replicas, name, ts, status, None, None
        if mtype == CONTAINER_RESOURCE_METRIC_SOURCE_TYPE and metric_spec.container_resource:
            csrc = metric_spec.container_resource
            try:
                replicas, ts, name, status = self._resource_metric(
                    spec_replicas, csrc.target, csrc.name, csrc.container, mtype, pods,
                    get_metrics, now, tolerances,
                )
            except HPAError as e:
                cond = self._unable(events, "FailedGetContainerResourceMetric", e)
                err = HPAError(f"failed to get {csrc.container} container metric value: {e}")
                return 0, "", 0.0, None, cond, err
            return replicas, name, ts, status, None, None
        if mtype == PODS_METRIC_SOURCE_TYPE:
            try:
                replicas, ts, name, status = self._pods_metric(
                    spec_replicas, metric_spec.pods, pods, get_pods_metric, metrics_client, now,
                    tolerances, namespace, selector,
                )
            except HPAError as e:
                cond = self._unable(events, "FailedGetPodsMetric", _cause(e))
                return 0, "", 0.0, None, cond, HPAError(f"failed to get pods metric value: {e}")
            return replicas, name, ts, status, None, None
        if mtype == OBJECT_METRIC_SOURCE_TYPE:
            try:
                replicas, ts, name, status = self._object_metric(
                    spec_replicas, status_replicas, metric_spec.object, pods, metrics_client,
                    tolerances, namespace,
                )
            except HPAError as e:
                cond = self._unable(events, "FailedGetObjectMetric", _cause(e))
                return 0, "", 0.0, None, cond, HPAError(f"failed to get object metric value: {e}")
            return replicas, name, ts, status, None, None
        if mtype == EXTERNAL_METRIC_SOURCE_TYPE:
            esrc = metric_spec.external
            try:
                replicas, ts, name, status = self._external_metric(
                    spec_replicas, status_replicas, esrc, pods, metrics_client, tolerances,
                    namespace,
                )
            except HPAError as e:
                cond = self._unable(events, "FailedGetExternalMetric", _cause(e))
                mname = esrc.metric.name if esrc is not None else ""
                return 0, "", 0.0, None, cond, HPAError(
                    f"failed to get {mname} external metric value: {e}"
                )
            return replicas, name, ts, status, None, None
        e = HPAError(f'unknown metric source type "{mtype}"')
        return 0, "", 0.0, None, self._unable(events, "InvalidMetricSourceType", e), e

    @staticmethod
    def _unable(events: list[Event] | None, reason: str, err: HPAError) -> Condition:
        """``getUnableComputeReplicaCountCondition``: a Warning event and the condition."""
        text = str(err)
        if events is not None:
            events.append((EVENT_WARNING, reason, text))
        return (SCALING_ACTIVE, FALSE, reason, _MSG_UNABLE + text)

    def _resource_metric(
        self,
        current_replicas: int,
        target: MetricTarget,
        resource: str,
        container: str,
        source_type: str,
        pods: Sequence[Pod],
        get_metrics: MetricsGetter,
        now: float,
        tolerances: Tolerances,
    ) -> tuple[int, float, str, MetricStatus]:
        """``computeStatusForResourceMetricGeneric``: ``(replicas, timestamp, name, status)``."""
        if target.average_value is not None:
            try:
                metrics = _fetch(get_metrics, resource, container)
                replicas, raw, ts = self.replica_calc.get_raw_resource_replicas(
                    current_replicas, target.average_value, resource, tolerances, pods,
                    metrics, now, container,
                )
            except HPAError as e:
                raise HPAError(f"failed to get {resource} usage: {e}") from e
            status = MetricStatus(source_type, resource, container, None, raw)
            return replicas, ts, resource + " resource", status
        if target.average_utilization is None:
            raise HPAError(
                "invalid resource metric source: neither an average utilization target "
                "nor an average value (usage) target was set"
            )
        try:
            try:
                metrics = get_metrics(resource, container)
            except HPAError as e:
                raise HPAError(f"unable to get metrics for resource {resource}: {e}") from e
            replicas, utilization, raw, ts = self.replica_calc.get_resource_replicas(
                current_replicas, target.average_utilization, resource, tolerances, pods,
                metrics, now, container,
            )
        except HPAError as e:
            raise HPAError(f"failed to get {resource} utilization: {e}") from e
        if source_type == CONTAINER_RESOURCE_METRIC_SOURCE_TYPE:
            name = resource + " container resource utilization (percentage of request)"
        else:
            name = resource + " resource utilization (percentage of request)"
        return replicas, ts, name, MetricStatus(source_type, resource, container, utilization, raw)

    def _pods_metric(
        self,
        current_replicas: int,
        src: PodsMetricSource | None,
        pods: Sequence[Pod],
        get_pods_metric: PodsMetricsGetter | None,
        client: MetricsClient | None,
        now: float,
        tolerances: Tolerances,
        namespace: str,
        selector: Mapping[str, str] | None,
    ) -> tuple[int, float, str, MetricStatus]:
        """``computeStatusForPodsMetric`` with ``GetMetricReplicas``.

        Raises :class:`HPAError` with the condition's text ("unable to get metric %s: %v"
        for a client error, or the calculator's error).
        """
        if src is None or src.target.average_value is None:
            # Upstream dereferences Pods.Target.AverageValue (API validation requires it);
            # a spec without it fails here instead of crashing.
            raise HPAError("invalid pods metric source: no average value target was set")
        name = src.metric.name
        raw_getter = client.get_raw_metric if client is not None else None
        if raw_getter is None and get_pods_metric is None:
            raise UnsupportedMetricError(
                f"unable to get metric {name}: no custom metrics client was given"
            )
        timestamp: float | None = None
        try:
            if raw_getter is not None:
                metrics, timestamp = raw_getter(name, namespace, selector or {}, src.metric.selector)
            else:
                assert get_pods_metric is not None
                metrics = get_pods_metric(name)
            if not metrics:
                # what the REST metrics client returns for an empty list
                raise HPAError("no metrics returned from custom metrics API")
        except HPAError as e:
            raise HPAError(f"unable to get metric {name}: {e}") from e
        replicas, usage = self.replica_calc.calc_plain_metric_replicas(
            metrics, current_replicas, src.target.average_value, tolerances, pods, "", now
        )
        if timestamp is None:
            timestamp = next(iter(metrics.values())).timestamp
        status = MetricStatus(PODS_METRIC_SOURCE_TYPE, name, "", None, usage)
        return replicas, timestamp, "pods metric " + name, status

    def _object_metric(
        self,
        spec_replicas: int,
        status_replicas: int | None,
        src: ObjectMetricSource | None,
        pods: Sequence[Pod],
        client: MetricsClient | None,
        tolerances: Tolerances,
        namespace: str,
    ) -> tuple[int, float, str, MetricStatus]:
        """``computeStatusForObjectMetric`` with ``GetObjectMetricReplicas`` (Value target)
        or ``GetObjectPerPodMetricReplicas`` (AverageValue target, over ``status_replicas``).

        The metric name is "<Kind> metric <name>" for Value and, as upstream prints it,
        "external metric <name>(<selector>)" for AverageValue.
        """
        if src is None:
            raise HPAError(_ERR_OBJECT_TARGET)
        target = src.target
        name = src.metric.name
        obj = src.described_object
        if target.type == VALUE_METRIC_TYPE and target.value is not None:
            usage, timestamp = _fetch_object(client, name, namespace, obj, src.metric.selector)
            replicas, usage = self.replica_calc.get_object_metric_replicas(
                spec_replicas, target.value, usage, tolerances, pods
            )
            status = MetricStatus(OBJECT_METRIC_SOURCE_TYPE, name, "", None, None, usage)
            return replicas, timestamp, f"{obj.kind} metric {name}", status
        if target.type == AVERAGE_VALUE_METRIC_TYPE and target.average_value is not None:
            try:
                usage, timestamp = _fetch_object(client, name, namespace, obj, src.metric.selector)
                replicas, average = self.replica_calc.get_object_per_pod_metric_replicas(
                    _status_replicas(status_replicas, pods), target.average_value, usage,
                    tolerances,
                )
            except HPAError as e:
                raise _StatusError(f"failed to get {name} object metric: {e}", e) from e
            status = MetricStatus(OBJECT_METRIC_SOURCE_TYPE, name, "", None, average)
            metric_name = f"external metric {name}({label_selector_string(src.metric.selector)})"
            return replicas, timestamp, metric_name, status
        raise HPAError(_ERR_OBJECT_TARGET)

    def _external_metric(
        self,
        spec_replicas: int,
        status_replicas: int | None,
        src: ExternalMetricSource | None,
        pods: Sequence[Pod],
        client: MetricsClient | None,
        tolerances: Tolerances,
        namespace: str,
    ) -> tuple[int, float, str, MetricStatus]:
        """``computeStatusForExternalMetric`` with ``GetExternalPerPodMetricReplicas``
        (AverageValue target, checked first) or ``GetExternalMetricReplicas`` (Value).

        The metric name is "external metric <name>(<selector>)".
        """
        if src is None:
            raise HPAError(_ERR_EXTERNAL_TARGET)
        target = src.target
        name = src.metric.name
        sel = src.metric.selector
        metric_name = f"external metric {name}({label_selector_string(sel)})"
        if target.average_value is not None:
            try:
                values, timestamp = _fetch_external(client, name, namespace, sel)
                replicas, average = self.replica_calc.get_external_per_pod_metric_replicas(
                    _status_replicas(status_replicas, pods), target.average_value, values,
                    tolerances,
                )
            except HPAError as e:
                raise _StatusError(f"failed to get {name} external metric: {e}", e) from e
            status = MetricStatus(EXTERNAL_METRIC_SOURCE_TYPE, name, "", None, average)
            return replicas, timestamp, metric_name, status
        if target.value is not None:
            try:
                values, timestamp = _fetch_external(client, name, namespace, sel)
                replicas, usage = self.replica_calc.get_external_metric_replicas(
                    spec_replicas, target.value, values, tolerances, pods
                )
            except HPAError as e:
                raise _StatusError(f"failed to get external metric {name}: {e}", e) from e
            status = MetricStatus(EXTERNAL_METRIC_SOURCE_TYPE, name, "", None, None, usage)
            return replicas, timestamp, metric_name, status
        raise HPAError(_ERR_EXTERNAL_TARGET)

    # -- legacy path (behavior == nil) -----------------------------------------------------

    def record_initial_recommendation(self, current_replicas: int, key: str, now: float) -> None:
        """``recordInitialRecommendation``: seed the log once per HPA with the current size."""
        if key not in self.recommendations:
            self.recommendations[key] = [TimestampedRecommendation(current_replicas, now)]

    def stabilize_recommendation(self, key: str, prenormalized_desired_replicas: int, now: float) -> int:
        """``stabilizeRecommendation``: max of the proposal and recommendations not older
        than the downscale window; the proposal is stored (reusing a stale slot)."""
        max_recommendation = prenormalized_desired_replicas
        old_index = -1
        cutoff = now - self.downscale_stabilisation_window
        recs = self.recommendations.get(key)
        if recs is None:
            recs = self.recommendations[key] = []
        for i, rec in enumerate(recs):
            if rec.timestamp < cutoff:
                old_index = i
            elif rec.recommendation > max_recommendation:
                max_recommendation = rec.recommendation
        new = TimestampedRecommendation(prenormalized_desired_replicas, now)
        if old_index >= 0:
            recs[old_index] = new
        else:
            recs.append(new)
        return max_recommendation

    def at_fixed_point(self, key: str, spec: HorizontalPodAutoscalerSpec, current: int,
                       now: float) -> bool:
        """Not upstream: True when every stored recommendation that a stabilization window
        can still see equals ``current``. Then, while the metric proposal also equals
        ``current`` and the metric inputs do not change, every later sync decides
        ``current`` again and only stores another equal recommendation, so a caller may skip
        those syncs and record their recommendations in bulk
        (:meth:`replace_recommendations`): the decisions are the same."""
        if spec.behavior is None:
            window = self.downscale_stabilisation_window
        else:
            up = spec.behavior.scale_up
            down = spec.behavior.scale_down
            window = max((up.stabilization_window_seconds or 0) if up is not None else 0,
                         self._down_window(down) if down is not None
                         else self.downscale_stabilisation_window)
        cutoff = now - window
        for r, ts in self.recommendations.get(key, ()):
            if ts >= cutoff and r != current:
                return False
        return True

    def replace_recommendations(self, key: str, value: int, timestamp: float) -> None:
        """Not upstream: the recommendations of skipped syncs at a fixed point (see
        :meth:`at_fixed_point`), all equal to ``value``, as the one that matters: the last
        (equal values expire with their newest; older entries are past every window)."""
        self.recommendations[key] = [TimestampedRecommendation(value, timestamp)]

    def normalize_desired_replicas(
        self,
        spec: HorizontalPodAutoscalerSpec,
        key: str,
        current_replicas: int,
        prenormalized_desired_replicas: int,
        min_replicas: int,
        now: float,
        conditions: dict[str, Condition] | None = None,
    ) -> int:
        """``normalizeDesiredReplicas``: stabilize (down only), then clamp with the legacy rules.

        Sets AbleToScale (ScaleDownStabilized / ReadyForNewScale) and ScalingLimited.
        """
        if conditions is None:
            conditions = {}
        stabilized = self.stabilize_recommendation(key, prenormalized_desired_replicas, now)
        if stabilized != prenormalized_desired_replicas:
            _set(conditions, ABLE_TO_SCALE, TRUE, "ScaleDownStabilized", _MSG_DOWN_STABILIZED)
        else:
            _set(conditions, ABLE_TO_SCALE, TRUE, "ReadyForNewScale", _MSG_READY)
        desired, reason, message = convert_desired_replicas_with_rules(
            current_replicas, stabilized, min_replicas, spec.max_replicas,
            self.scale_up_limit_factor, self.scale_up_limit_minimum,
        )
        _set(conditions, SCALING_LIMITED, FALSE if desired == stabilized else TRUE, reason, message)
        return desired

    # -- behavior path ---------------------------------------------------------------------

    def maybe_init_scale_down_stabilization_window(self, spec: HorizontalPodAutoscalerSpec) -> None:
        """``maybeInitScaleDownStabilizationWindow``: fill a nil scale-down window from the flag.

        Mutates ``spec`` like upstream does to its per-reconcile copy;
        :meth:`reconcile_autoscaler` does not call it (it reads the flag instead), so the
        caller's spec is never changed.
        """
        behavior = spec.behavior
        if (
            behavior is not None
            and behavior.scale_down is not None
            and behavior.scale_down.stabilization_window_seconds is None
        ):
            behavior.scale_down.stabilization_window_seconds = int(
                self.downscale_stabilisation_window
            )

    def _down_window(self, rules: HPAScalingRules) -> int:
        w = rules.stabilization_window_seconds
        return int(self.downscale_stabilisation_window) if w is None else w

    def normalize_desired_replicas_with_behaviors(
        self,
        spec: HorizontalPodAutoscalerSpec,
        key: str,
        current_replicas: int,
        prenormalized_desired_replicas: int,
        min_replicas: int,
        now: float,
        conditions: dict[str, Condition] | None = None,
    ) -> int:
        """``normalizeDesiredReplicasWithBehaviors``: stabilize both ways, then rate-limit.

        Sets AbleToScale (ScaleUpStabilized / ScaleDownStabilized / ReadyForNewScale)
        and ScalingLimited (ScaleUpLimit / ScaleDownLimit / TooManyReplicas /
        TooFewReplicas / DesiredWithinRange).
        """
        if conditions is None:
            conditions = {}
        behavior = spec.behavior
        assert behavior is not None
        up = behavior.scale_up
        down = behavior.scale_down
        # The API server defaults both; be lenient with a spec that was not defaulted.
        if up is None:
            up = generate_hpa_scale_up_rules(None)
        if down is None:
            down = generate_hpa_scale_down_rules(None)
        arg = NormalizationArg(
            key, up, down, min_replicas, spec.max_replicas, current_replicas,
            prenormalized_desired_replicas,
        )
        stabilized, reason, message = self.stabilize_recommendation_with_behaviors(arg, now)
        arg.desired_replicas = stabilized
        # _set inlined (this runs on every sync)
        if stabilized != prenormalized_desired_replicas:
            conditions[ABLE_TO_SCALE] = (ABLE_TO_SCALE, TRUE, reason, message)
        else:
            conditions[ABLE_TO_SCALE] = _READY_FOR_NEW_SCALE
        desired, reason, message = self.convert_desired_replicas_with_behavior_rate(arg, now)
        conditions[SCALING_LIMITED] = (SCALING_LIMITED, FALSE if desired == stabilized else TRUE,
                                       reason, message)
        return desired

    def stabilize_recommendation_with_behaviors(
        self, args: NormalizationArg, now: float
    ) -> tuple[int, str, str]:
        """``stabilizeRecommendationWithBehaviors``: clamp current into [upRec, downRec].

        ``upRec`` = min of the proposal and recommendations newer than the scale-up
        window, ``downRec`` = max over the scale-down window. The raw proposal is stored,
        reusing a slot older than both windows. Returns ``(replicas, reason, message)``.
        """
        desired = args.desired_replicas
        up_cutoff = now - (args.scale_up_behavior.stabilization_window_seconds or 0)
        down_cutoff = now - self._down_window(args.scale_down_behavior)
        up_rec = desired
        down_rec = desired
        old_index = -1
        recs = self.recommendations.get(args.key)
        if recs is None:
            recs = self.recommendations[args.key] = []
        # Unpacked, not read by attribute: this loop runs over the whole log on every sync.
        for i, (r, ts) in enumerate(recs):
            if ts > up_cutoff and r < up_rec:
                up_rec = r
            if ts > down_cutoff and r > down_rec:
                down_rec = r
            if ts < up_cutoff and ts < down_cutoff:
                old_index = i
        recommendation = args.current_replicas
        if recommendation < up_rec:
            recommendation = up_rec
        if recommendation > down_rec:
            recommendation = down_rec
        new = TimestampedRecommendation(desired, now)
        if old_index >= 0:
            recs[old_index] = new
        else:
            recs.append(new)
        if desired >= args.current_replicas:
            return recommendation, "ScaleUpStabilized", _MSG_UP_STABILIZED
        return recommendation, "ScaleDownStabilized", _MSG_DOWN_STABILIZED

    def convert_desired_replicas_with_behavior_rate(
        self, args: NormalizationArg, now: float
    ) -> tuple[int, str, str]:
        """``convertDesiredReplicasWithBehaviorRate``: apply the policies' rate limits.

        Returns ``(replicas, reason, message)``; the stabilization window is not applied
        here.
        """
        current = args.current_replicas
        desired = args.desired_replicas
        if desired > current:
            limit = calculate_scale_up_limit_with_scaling_rules(
                current,
                self.scale_up_events.get(args.key),
                self.scale_down_events.get(args.key),
                args.scale_up_behavior,
                now,
            )
            if limit < current:
                # past events used up the budget: do not scale up, but never down
                limit = current
            maximum_allowed = args.max_replicas
            if maximum_allowed > limit:
                maximum_allowed = limit
                reason, message = "ScaleUpLimit", _MSG_UP_LIMIT
            else:
                reason, message = "TooManyReplicas", _MSG_TOO_MANY
            if desired > maximum_allowed:
                return maximum_allowed, reason, message
        elif desired < current:
            limit = calculate_scale_down_limit_with_behaviors(
                current,
                self.scale_up_events.get(args.key),
                self.scale_down_events.get(args.key),
                args.scale_down_behavior,
                now,
            )
            if limit > current:
                limit = current
            minimum_allowed = args.min_replicas
            if minimum_allowed < limit:
                minimum_allowed = limit
                reason, message = "ScaleDownLimit", _MSG_DOWN_LIMIT
            else:
                reason, message = "TooFewReplicas", _MSG_TOO_FEW
            if desired < minimum_allowed:
                return minimum_allowed, reason, message
        return desired, "DesiredWithinRange", _MSG_WITHIN

    def store_scale_event(
        self,
        behavior: HorizontalPodAutoscalerBehavior | None,
        key: str,
        prev_replicas: int,
        new_replicas: int,
        now: float,
    ) -> None:
        """``storeScaleEvent``: record ``|new − prev|`` in its direction (only with behavior).

        Events older than the direction's longest policy period are marked outdated and
        the last such slot is reused.
        """
        if behavior is None:
            return
        if new_replicas > prev_replicas:
            rules = behavior.scale_up or generate_hpa_scale_up_rules(None)
            store = self.scale_up_events
            change = new_replicas - prev_replicas
        else:
            rules = behavior.scale_down or generate_hpa_scale_down_rules(None)
            store = self.scale_down_events
            change = prev_replicas - new_replicas
        events = store.get(key)
        if events is None:
            events = store[key] = []
        mark_scale_events_outdated(events, get_longest_policy_period(rules), now)
        old_index = -1
        for i, event in enumerate(events):
            if event.outdated:
                old_index = i
        new = TimestampedScaleEvent(change, now, False)
        if old_index >= 0:
            events[old_index] = new
        else:
            events.append(new)

    # -- reconcile -------------------------------------------------------------------------

    def reconcile_autoscaler(
        self,
        key: str,
        spec: HorizontalPodAutoscalerSpec,
        current_replicas: int,
        pods: Sequence[Pod],
        get_metrics: MetricsGetter,
        now: float,
        get_pods_metric: PodsMetricsGetter | None = None,
        metrics_key: Hashable | None = None,
        *,
        metrics_client: MetricsClient | None = None,
        status_replicas: int | None = None,
        selector: Mapping[str, str] | None = None,
        namespace: str | None = None,
    ) -> ReconcileResult:
        """``reconcileAutoscaler`` for one HPA at time ``now``.

        ``spec`` must already be defaulted (:func:`set_defaults_horizontal_pod_autoscaler`);
        ``current_replicas`` is the target's ``spec.replicas``; ``pods`` the pods its
        selector matches; ``get_metrics`` the resource metrics API. The caller applies
        ``desired_replicas`` when ``rescale``.

        Pods, Object and External metrics are read through ``metrics_client`` (Pods also
        through the older ``get_pods_metric``, used when the client has no
        ``get_raw_metric``). ``status_replicas`` is the target's ``status.replicas``
        (None: the active pods are counted); ``selector`` its pod selector labels, passed
        to ``get_raw_metric``; ``namespace`` the HPA's namespace (None: the part of
        ``key`` before "/", else "default").

        Not upstream: ``metrics_key`` lets a caller that knows when the inputs of
        ``computeReplicasForMetrics`` are unchanged (same pods in the same states, same
        metric values, including the Pods/Object/External values the client would
        return, no pod within the CPU initialization period, same current and status
        replicas) skip recomputing it: when the key equals the previous call's for this
        HPA, that result is reused. Stabilization and rate limits always run.
        """
        conditions: dict[str, Condition] = {
            ABLE_TO_SCALE: (ABLE_TO_SCALE, TRUE, "SucceededGetScale", _MSG_GET_SCALE)
        }
        events: list[Event] = []
        self.record_initial_recommendation(current_replicas, key, now)
        min_replicas = spec.min_replicas if spec.min_replicas is not None else 1
        max_replicas = spec.max_replicas
        statuses: list[MetricStatus | None] = []
        metric_desired: int | None = None
        metric_name = ""
        error: str | None = None
        reason = ""
        desired = 0
        rescale = True

        if current_replicas == 0 and min_replicas != 0:
            # autoscaling is disabled for this target
            rescale = False
            _set(conditions, SCALING_ACTIVE, FALSE, "ScalingDisabled", _MSG_DISABLED)
        elif current_replicas > max_replicas:
            reason = REASON_ABOVE_MAX
            desired = max_replicas
        elif current_replicas < min_replicas:
            reason = REASON_BELOW_MIN
            desired = min_replicas
        else:
            memo = self._metrics_memo.get(key) if metrics_key is not None else None
            if memo is not None and memo[0] == metrics_key:
                # Same inputs as the last sync: replay its result, conditions and events.
                _, computed, memo_conditions, memo_events = memo
                conditions.update(memo_conditions)
                events.extend(memo_events)
            else:
                if namespace is None:
                    namespace = key.split("/", 1)[0] if "/" in key else "default"
                before = len(events)
                cond_before = dict(conditions)
                computed = self.compute_replicas_for_metrics(
                    spec, current_replicas, pods, get_metrics, now, conditions, events,
                    get_pods_metric, metrics_client=metrics_client,
                    status_replicas=status_replicas, selector=selector, namespace=namespace,
                )
                if metrics_key is not None:
                    changed = {k: v for k, v in conditions.items() if cond_before.get(k) != v}
                    self._metrics_memo[key] = (metrics_key, computed, changed,
                                               tuple(events[before:]))
            proposal, metric_name, statuses, _, err = computed
            if err is not None and proposal == -1:
                text = str(err)
                event = (EVENT_WARNING, "FailedComputeMetricsReplicas", text)
                events.append(event)
                return ReconcileResult(
                    current_replicas, current_replicas, False, "", None, "", statuses,
                    tuple(conditions.values()), event, tuple(events),
                    "failed to compute desired number of replicas based on listed metrics "
                    f"for {key}: {text}",
                )
            if err is not None:
                # scale on the valid metrics, but report the error
                error = str(err)
            metric_desired = proposal
            rescale_metric = ""
            if proposal > desired:
                desired = proposal
                rescale_metric = metric_name
            if desired > current_replicas:
                reason = rescale_metric + " above target"
            elif desired < current_replicas:
                reason = REASON_ALL_BELOW
            if spec.behavior is None:
                desired = self.normalize_desired_replicas(
                    spec, key, current_replicas, desired, min_replicas, now, conditions
                )
            else:
                desired = self.normalize_desired_replicas_with_behaviors(
                    spec, key, current_replicas, desired, min_replicas, now, conditions
                )
            rescale = desired != current_replicas

        event: Event | None = None
        if rescale:
            _set(
                conditions, ABLE_TO_SCALE, TRUE, "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
            )
            event = (EVENT_NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            events.append(event)
            self.store_scale_event(spec.behavior, key, current_replicas, desired, now)
        else:
            desired = current_replicas
        return ReconcileResult(
            current_replicas, desired, rescale, reason, metric_desired, metric_name, statuses,
            tuple(conditions.values()), event, tuple(events), error,
        )


def _fetch(get_metrics: MetricsGetter, resource: str, container: str) -> PodMetricsInfo:
    """Call the metrics getter, wrapping its error as ``GetResourceReplicas`` does."""
    try:
        return get_metrics(resource, container)
    except HPAError as e:
        raise HPAError(f"unable to get metrics for resource {resource}: {e}") from e


_ERR_OBJECT_TARGET = (
    "invalid object metric source: neither a value target nor an average value target was set"
)
_ERR_EXTERNAL_TARGET = (
    "invalid external metric source: neither a value target nor an average value target was set"
)


class _StatusError(HPAError):
    """A ``computeStatusFor*Metric`` error that returns more than its condition says.

    ``str(self)`` is the returned error; ``cause`` the error of the condition and event.
    """

    def __init__(self, returned: str, cause: HPAError) -> None:
        super().__init__(returned)
        self.cause = cause


def _status_replicas(status_replicas: int | None, pods: Sequence[Pod]) -> int:
    """The scale target's ``status.replicas``, or its active pods when not given."""
    if status_replicas is not None:
        return status_replicas
    # A ReplicaSet's status.replicas counts its active pods (controller.FilterActivePods).
    return sum(1 for p in pods if is_pod_active(p))


def _cause(err: HPAError) -> HPAError:
    """The error the condition and the event report."""
    return err.cause if isinstance(err, _StatusError) else err


def _fetch_object(
    client: MetricsClient | None,
    name: str,
    namespace: str,
    obj: CrossVersionObjectReference,
    metric_selector: Selector,
) -> tuple[int, float]:
    """The client call of ``GetObjectMetricReplicas``/``GetObjectPerPodMetricReplicas``.

    Upstream's message passes its arguments out of order, so it reads
    "unable to get metric <name>: <Kind> on <namespace> <object>/<error>".
    """
    try:
        if client is None or client.get_object_metric is None:
            raise UnsupportedMetricError("no custom metrics client was given")
        return client.get_object_metric(name, namespace, obj, metric_selector)
    except HPAError as e:
        raise HPAError(f"unable to get metric {name}: {obj.kind} on {namespace} {obj.name}/{e}") from e


def _fetch_external(
    client: MetricsClient | None, name: str, namespace: str, metric_selector: Selector
) -> tuple[Sequence[int], float]:
    """The client call of ``GetExternalMetricReplicas``/``GetExternalPerPodMetricReplicas``.

    An empty list is the REST client's error ("no metrics returned from external metrics
    API"); the message is "unable to get external metric <ns>/<name>/<selector>: <error>".
    """
    try:
        if client is None or client.get_external_metric is None:
            raise UnsupportedMetricError("no external metrics client was given")
        values, timestamp = client.get_external_metric(name, namespace, metric_selector)
        if not values:
            raise HPAError("no metrics returned from external metrics API")
        return values, timestamp
    except HPAError as e:
        raise HPAError(
            f"unable to get external metric {namespace}/{name}/"
            f"{label_selector_string(metric_selector)}: {e}"
        ) from e
