"""The HorizontalPodAutoscaler controller (autoscaling/v2), as pure Python.

This module re-exports the public names of :mod:`capacity.k8s.hpa_types` (API types,
API defaulting, controller flags, ``Tolerances``), :mod:`capacity.k8s.hpa_replica_calculator`
(``replica_calculator.go``, ``metrics/utilization.go``) and
:mod:`capacity.k8s.hpa_controller` (``horizontal.go``). Upstream: ``kubernetes/kubernetes``
``pkg/controller/podautoscaler/`` and ``pkg/apis/autoscaling/v2/defaults.go``; the
replica calculator follows a recent version (``Tolerances``, ``calculateRequests``,
"container not found" error, missing pods filled at ``max(100, target)`` %), the
controller a ~1.31 ``horizontal.go`` plus ``tolerancesForHpa`` (KEP-4951).

Usage::

    hc = HorizontalController()            # kube-controller-manager defaults
    spec = set_defaults_horizontal_pod_autoscaler(HorizontalPodAutoscalerSpec(...))
    r = hc.reconcile_autoscaler("ns/name", spec, current_replicas, pods, get_metrics, now)
    if r.rescale:
        deployment.replicas = r.desired_replicas

The spec is taken as already defaulted by the API server
(:func:`set_defaults_horizontal_pod_autoscaler`): ``min_replicas`` set, ``metrics``
non-empty, ``behavior`` either None (legacy path) or with both rule sets filled.

Differences from upstream (deliberate):

* No API server, informers, work queue, events broadcaster or status writes: metrics and
  pods are arguments, time is the ``now`` argument (float seconds), and the outcome is a
  :class:`ReconcileResult`. The caller applies the new replica count. A failed scale
  update (``FailedUpdateScale``/``FailedRescale``) and ``FailedGetScale`` cannot happen.
* Selector handling (``validateAndParseSelector``: ``InvalidSelector``,
  ``AmbiguousSelector``, ``SelectorRequired``) is not modelled: ``pods`` are the selected
  pods.
* Object and External metrics are not evaluated by the controller: they fail with
  ``FailedGetObjectMetric`` / ``FailedGetExternalMetric`` (an :class:`UnsupportedMetricError`
  text), so with other valid metrics they only block scale-down, as any failing metric
  does. Their arithmetic is available on :class:`ReplicaCalculator` with values as
  arguments. Pods metrics are evaluated only when ``get_pods_metric`` is given.
* ``ReconcileResult.conditions`` holds the conditions set during this reconcile (one per
  type, first-set order), not the persisted status list; messages are upstream's.
  ``LastTransitionTime`` is not tracked.
* When every metric fails, upstream leaves ``status.desiredReplicas`` at its previous
  value; here ``desired_replicas`` is the current count and ``rescale`` is false. The
  error text names the HPA key instead of ``Kind/namespace/name``.
* Pod-level resources (``PodLevelResources``) are not modelled: requests always come
  from containers (plus restartable init containers).
* ``get_resource_replicas`` with an empty metrics map raises the metrics client's error
  ("no metrics returned from resource metrics API"), since the metrics are an argument.
* Upstream mutates its metrics map and its per-reconcile HPA copy (scale-down window);
  these functions never mutate their arguments. ``get_resource_replicas`` computes the
  rebalancing on sums in one pass; the result is the same (tested against a literal port).
* ``HPAConfigurableTolerance`` is the constructor flag ``configurable_tolerance``
  (default on, as in beta, 1.35+); the legacy ``scaleUpLimitFactor``/``Minimum`` package
  variables are constructor arguments.
* int32/int64 overflow is not emulated except where upstream caps explicitly (MaxInt32
  replica counts, MaxInt64 external sums).
"""

from __future__ import annotations

from capacity.k8s.hpa_controller import (
    REASON_ABOVE_MAX,
    REASON_ALL_BELOW,
    REASON_BELOW_MIN,
    SCALE_UP_LIMIT_FACTOR,
    SCALE_UP_LIMIT_MINIMUM,
    Condition,
    Event,
    HorizontalController,
    MetricsGetter,
    MetricStatus,
    NormalizationArg,
    PodsMetricsGetter,
    ReconcileResult,
    TimestampedRecommendation,
    TimestampedScaleEvent,
    calculate_scale_down_limit_with_behaviors,
    calculate_scale_up_limit,
    calculate_scale_up_limit_with_scaling_rules,
    convert_desired_replicas_with_rules,
    get_longest_policy_period,
    get_replicas_change_per_period,
    mark_scale_events_outdated,
)
from capacity.k8s.hpa_replica_calculator import (
    ReplicaCalculator,
    calculate_pod_requests,
    calculate_pod_requests_from_containers,
    calculate_requests,
    get_metric_usage_ratio,
    get_ready_pods_count,
    get_resource_utilization_ratio,
    group_pods,
    remove_metrics_for_pods,
)
from capacity.k8s.hpa_types import (
    ABLE_TO_SCALE,
    AVERAGE_VALUE_METRIC_TYPE,
    CONTAINER_RESOURCE_METRIC_SOURCE_TYPE,
    DEFAULT_CPU_UTILIZATION,
    DISABLED_POLICY_SELECT,
    EXTERNAL_METRIC_SOURCE_TYPE,
    MAX_CHANGE_POLICY_SELECT,
    MIN_CHANGE_POLICY_SELECT,
    OBJECT_METRIC_SOURCE_TYPE,
    PERCENT_SCALING_POLICY,
    PODS_METRIC_SOURCE_TYPE,
    PODS_SCALING_POLICY,
    RESOURCE_CPU,
    RESOURCE_MEMORY,
    RESOURCE_METRIC_SOURCE_TYPE,
    SCALING_ACTIVE,
    SCALING_LIMITED,
    UTILIZATION_METRIC_TYPE,
    VALUE_METRIC_TYPE,
    ContainerResourceMetricSource,
    CrossVersionObjectReference,
    ExternalMetricSource,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAControllerConfiguration,
    HPAError,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricIdentifier,
    MetricSpec,
    MetricsUnavailableError,
    MetricTarget,
    MissingRequestError,
    ObjectMetricSource,
    PodsMetricSource,
    ResourceMetricSource,
    Tolerances,
    UnsupportedMetricError,
    copy_hpa_scaling_rules,
    generate_hpa_scale_down_rules,
    generate_hpa_scale_up_rules,
    recommended_default_hpa_controller_configuration,
    set_defaults_horizontal_pod_autoscaler,
    set_defaults_horizontal_pod_autoscaler_behavior,
)

__all__ = [
    "ABLE_TO_SCALE",
    "AVERAGE_VALUE_METRIC_TYPE",
    "CONTAINER_RESOURCE_METRIC_SOURCE_TYPE",
    "DEFAULT_CPU_UTILIZATION",
    "DISABLED_POLICY_SELECT",
    "EXTERNAL_METRIC_SOURCE_TYPE",
    "MAX_CHANGE_POLICY_SELECT",
    "MIN_CHANGE_POLICY_SELECT",
    "OBJECT_METRIC_SOURCE_TYPE",
    "PERCENT_SCALING_POLICY",
    "PODS_METRIC_SOURCE_TYPE",
    "PODS_SCALING_POLICY",
    "REASON_ABOVE_MAX",
    "REASON_ALL_BELOW",
    "REASON_BELOW_MIN",
    "RESOURCE_CPU",
    "RESOURCE_MEMORY",
    "RESOURCE_METRIC_SOURCE_TYPE",
    "SCALE_UP_LIMIT_FACTOR",
    "SCALE_UP_LIMIT_MINIMUM",
    "SCALING_ACTIVE",
    "SCALING_LIMITED",
    "UTILIZATION_METRIC_TYPE",
    "VALUE_METRIC_TYPE",
    "Condition",
    "ContainerResourceMetricSource",
    "CrossVersionObjectReference",
    "Event",
    "ExternalMetricSource",
    "HPAControllerConfiguration",
    "HPAError",
    "HPAScalingPolicy",
    "HPAScalingRules",
    "HorizontalController",
    "HorizontalPodAutoscalerBehavior",
    "HorizontalPodAutoscalerSpec",
    "MetricIdentifier",
    "MetricSpec",
    "MetricStatus",
    "MetricTarget",
    "MetricsGetter",
    "MetricsUnavailableError",
    "MissingRequestError",
    "NormalizationArg",
    "ObjectMetricSource",
    "PodsMetricSource",
    "PodsMetricsGetter",
    "ReconcileResult",
    "ReplicaCalculator",
    "ResourceMetricSource",
    "TimestampedRecommendation",
    "TimestampedScaleEvent",
    "Tolerances",
    "UnsupportedMetricError",
    "calculate_pod_requests",
    "calculate_pod_requests_from_containers",
    "calculate_requests",
    "calculate_scale_down_limit_with_behaviors",
    "calculate_scale_up_limit",
    "calculate_scale_up_limit_with_scaling_rules",
    "convert_desired_replicas_with_rules",
    "copy_hpa_scaling_rules",
    "generate_hpa_scale_down_rules",
    "generate_hpa_scale_up_rules",
    "get_longest_policy_period",
    "get_metric_usage_ratio",
    "get_ready_pods_count",
    "get_replicas_change_per_period",
    "get_resource_utilization_ratio",
    "group_pods",
    "mark_scale_events_outdated",
    "recommended_default_hpa_controller_configuration",
    "remove_metrics_for_pods",
    "set_defaults_horizontal_pod_autoscaler",
    "set_defaults_horizontal_pod_autoscaler_behavior",
]
