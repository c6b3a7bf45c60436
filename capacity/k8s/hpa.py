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

    # Pods, Object and External metrics: a MetricsClient of three callables
    client = MetricsClient(
        get_raw_metric=lambda name, ns, selector, metric_selector: (pod_metrics, ts),
        get_object_metric=lambda name, ns, described_object, metric_selector: (milli, ts),
        get_external_metric=lambda name, ns, selector: ([milli, ...], ts),
    )
    r = hc.reconcile_autoscaler("ns/name", spec, current_replicas, pods, get_metrics, now,
                                metrics_client=client, status_replicas=status_replicas)

The spec is taken as already defaulted by the API server
(:func:`set_defaults_horizontal_pod_autoscaler`): ``min_replicas`` set, ``metrics``
non-empty, ``behavior`` either None (legacy path) or with both rule sets filled.

Version-dependent behaviour (``HorizontalController(kubernetes_minor=...)``, see
:func:`hpa_version_behaviour`): Succeeded pods ignored like Failed ones from 1.38 (k/k
PR #141302); pod-level requests (``PodLevelResources``, KEP-2837) used from 1.34 (k/k PR
#132430), without pod overhead from 1.38 (k/k PR #142154). No version given = the
behaviour of releases before 1.34.

Pods, Object and External metrics are read through a :class:`MetricsClient` (upstream's
``metricsclient.MetricsClient``): ``reconcile_autoscaler(..., metrics_client=...,
status_replicas=..., selector=...)``.

Differences from upstream (deliberate):

* No API server, informers, work queue, events broadcaster or status writes: metrics and
  pods are arguments, time is the ``now`` argument (float seconds), and the outcome is a
  :class:`ReconcileResult`. The caller applies the new replica count. A failed scale
  update (``FailedUpdateScale``/``FailedRescale``) and ``FailedGetScale`` cannot happen.
* Selector handling (``validateAndParseSelector``: ``InvalidSelector``,
  ``AmbiguousSelector``, ``SelectorRequired``) is not modelled: ``pods`` are the selected
  pods. Metric selectors are data (a :class:`LabelSelector` or match labels) handed to
  the metrics client, so ``LabelSelectorAsSelector`` cannot fail.
* A Pods, Object or External metric with no client to read it fails as a client error
  would (``FailedGetPodsMetric``/``FailedGetObjectMetric``/``FailedGetExternalMetric``),
  so with other valid metrics it only blocks scale-down. A Pods metric without an
  AverageValue target fails (upstream would dereference nil).
* Object Value and External Value proposals carry the client's timestamp (upstream
  returns a zero time from ``getUsageRatioReplicaCount``; it only logs it).
* ``ReconcileResult.conditions`` holds the conditions set during this reconcile (one per
  type, first-set order), not the persisted status list; messages are upstream's.
  ``LastTransitionTime`` is not tracked.
* When every metric fails, upstream leaves ``status.desiredReplicas`` at its previous
  value; here ``desired_replicas`` is the current count and ``rescale`` is false. The
  error text names the HPA key instead of ``Kind/namespace/name``.
* ``get_resource_replicas`` with an empty metrics map raises the metrics client's error
  ("no metrics returned from resource metrics API"), since the metrics are an argument;
  likewise empty Pods/External results get the REST client's "no metrics returned" error.
* Upstream mutates its metrics map and its per-reconcile HPA copy (scale-down window);
  these functions never mutate their arguments. ``get_resource_replicas`` computes the
  rebalancing on sums in one pass; the result is the same (tested against a literal port).
* ``HPAConfigurableTolerance`` is the constructor flag ``configurable_tolerance``
  (default on, as in beta, 1.35+); the legacy ``scaleUpLimitFactor``/``Minimum`` package
  variables are constructor arguments.
* int32/int64 overflow is not emulated except where upstream caps explicitly (MaxInt32
  replica counts, MaxInt64 external sums) and Go's float division by zero in the
  per-pod Object/External paths (0 status replicas).
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
    ExternalMetricGetter,
    HorizontalController,
    MetricsClient,
    MetricsGetter,
    MetricStatus,
    NormalizationArg,
    ObjectMetricGetter,
    PodsMetricsGetter,
    RawMetricGetter,
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
    calculate_pod_level_requests,
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
    HPA_POD_LEVEL_EXCLUDES_OVERHEAD_MINOR,
    HPA_POD_LEVEL_RESOURCES_MINOR,
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
    SUCCEEDED_PODS_IGNORED_MINOR,
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
    HPAVersionBehaviour,
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
    hpa_version_behaviour,
    recommended_default_hpa_controller_configuration,
    set_defaults_horizontal_pod_autoscaler,
    set_defaults_horizontal_pod_autoscaler_behavior,
)
from capacity.k8s.types import LabelSelector, LabelSelectorRequirement, label_selector_string

__all__ = [
    "ABLE_TO_SCALE",
    "AVERAGE_VALUE_METRIC_TYPE",
    "CONTAINER_RESOURCE_METRIC_SOURCE_TYPE",
    "DEFAULT_CPU_UTILIZATION",
    "DISABLED_POLICY_SELECT",
    "EXTERNAL_METRIC_SOURCE_TYPE",
    "HPA_POD_LEVEL_EXCLUDES_OVERHEAD_MINOR",
    "HPA_POD_LEVEL_RESOURCES_MINOR",
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
    "SUCCEEDED_PODS_IGNORED_MINOR",
    "UTILIZATION_METRIC_TYPE",
    "VALUE_METRIC_TYPE",
    "Condition",
    "ContainerResourceMetricSource",
    "CrossVersionObjectReference",
    "Event",
    "ExternalMetricGetter",
    "ExternalMetricSource",
    "HPAControllerConfiguration",
    "HPAError",
    "HPAScalingPolicy",
    "HPAScalingRules",
    "HPAVersionBehaviour",
    "HorizontalController",
    "HorizontalPodAutoscalerBehavior",
    "HorizontalPodAutoscalerSpec",
    "LabelSelector",
    "LabelSelectorRequirement",
    "MetricIdentifier",
    "MetricSpec",
    "MetricStatus",
    "MetricTarget",
    "MetricsClient",
    "MetricsGetter",
    "MetricsUnavailableError",
    "MissingRequestError",
    "NormalizationArg",
    "ObjectMetricGetter",
    "ObjectMetricSource",
    "PodsMetricSource",
    "PodsMetricsGetter",
    "RawMetricGetter",
    "ReconcileResult",
    "ReplicaCalculator",
    "ResourceMetricSource",
    "TimestampedRecommendation",
    "TimestampedScaleEvent",
    "Tolerances",
    "UnsupportedMetricError",
    "calculate_pod_level_requests",
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
    "hpa_version_behaviour",
    "label_selector_string",
    "mark_scale_events_outdated",
    "recommended_default_hpa_controller_configuration",
    "remove_metrics_for_pods",
    "set_defaults_horizontal_pod_autoscaler",
    "set_defaults_horizontal_pod_autoscaler_behavior",
]
