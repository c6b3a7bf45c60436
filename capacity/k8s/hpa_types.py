"""autoscaling/v2 HorizontalPodAutoscaler types, API defaults and HPA controller defaults.

Mirrors, in snake_case:

* ``k8s.io/api/autoscaling/v2/types.go`` (``MetricSpec``, ``MetricTarget``,
  ``HPAScalingRules``, ``HorizontalPodAutoscalerBehavior``, ...);
* ``kubernetes/kubernetes pkg/apis/autoscaling/v2/defaults.go``
  (``SetDefaults_HorizontalPodAutoscaler``, ``GenerateHPAScaleUpRules``,
  ``GenerateHPAScaleDownRules``, ``copyHPAScalingRules``);
* ``kubernetes/kubernetes pkg/controller/podautoscaler/config/v1alpha1/defaults.go``
  (``RecommendedDefaultHPAControllerConfiguration``);
* ``Tolerances`` from ``pkg/controller/podautoscaler/replica_calculator.go``;
* :class:`HPAVersionBehaviour`: what changed in the HPA controller between releases.

Quantities are ints in milli-units (``Quantity.MilliValue()``); a ``tolerance`` is the
float ``Quantity.AsApproximateFloat64()``; durations are seconds. The dataclasses are
mutable only so that API defaulting can fill them in place, as the API server does;
treat them as immutable afterwards (the controller never mutates them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from capacity.k8s.resources import pod_level_resources_enabled
from capacity.k8s.types import LabelSelector

# --- metric source types (MetricSourceType) ---------------------------------------------
OBJECT_METRIC_SOURCE_TYPE = "Object"
PODS_METRIC_SOURCE_TYPE = "Pods"
RESOURCE_METRIC_SOURCE_TYPE = "Resource"
CONTAINER_RESOURCE_METRIC_SOURCE_TYPE = "ContainerResource"
EXTERNAL_METRIC_SOURCE_TYPE = "External"

# --- metric target types (MetricTargetType) ---------------------------------------------
UTILIZATION_METRIC_TYPE = "Utilization"
VALUE_METRIC_TYPE = "Value"
AVERAGE_VALUE_METRIC_TYPE = "AverageValue"

# --- scaling policies -------------------------------------------------------------------
PODS_SCALING_POLICY = "Pods"
PERCENT_SCALING_POLICY = "Percent"
MAX_CHANGE_POLICY_SELECT = "Max"
MIN_CHANGE_POLICY_SELECT = "Min"
DISABLED_POLICY_SELECT = "Disabled"

# --- condition types (HorizontalPodAutoscalerConditionType) -----------------------------
ABLE_TO_SCALE = "AbleToScale"
SCALING_ACTIVE = "ScalingActive"
SCALING_LIMITED = "ScalingLimited"

# --- core resource names ----------------------------------------------------------------
RESOURCE_CPU = "cpu"
RESOURCE_MEMORY = "memory"

DEFAULT_CPU_UTILIZATION = 80
"""``autoscaling.DefaultCPUUtilization``: the target when an HPA lists no metrics."""

MAX_INT32 = 2**31 - 1
MIN_INT32 = -(2**31)
MAX_INT64 = 2**63 - 1
MIN_INT64 = -(2**63)


class HPAError(Exception):
    """An error the upstream controller would return; ``str(e)`` is upstream's text."""


class MetricsUnavailableError(HPAError):
    """Metrics could not be fetched (the metrics API failed or returned nothing)."""


class MissingRequestError(HPAError):
    """A pod lacks the resource request needed for a Utilization target."""


class UnsupportedMetricError(HPAError):
    """A metric the caller gave no way to fetch (no metrics client for Pods/Object/External)."""


# --- API types ------------------------------------------------------------------------------


@dataclass(slots=True)
class MetricTarget:
    """``MetricTarget``: ``type`` is Utilization, Value or AverageValue.

    ``average_utilization`` is a percent of the request; ``average_value`` and ``value``
    are milli-units.
    """

    type: str
    average_utilization: int | None = None
    average_value: int | None = None
    value: int | None = None


@dataclass(slots=True)
class MetricIdentifier:
    """``MetricIdentifier``: metric name and optional label selector.

    ``selector`` is a :class:`~capacity.k8s.types.LabelSelector`, or a plain mapping of
    match labels; None is a nil selector (upstream: ``labels.Nothing()`` for the metrics
    API, printed ``nil``), ``{}`` an empty one (everything).
    """

    name: str
    selector: LabelSelector | Mapping[str, str] | None = None


@dataclass(slots=True)
class CrossVersionObjectReference:
    """``CrossVersionObjectReference``."""

    kind: str
    name: str
    api_version: str = ""


@dataclass(slots=True)
class ResourceMetricSource:
    """``ResourceMetricSource``: a resource of the whole pod (sum over containers)."""

    name: str
    target: MetricTarget


@dataclass(slots=True)
class ContainerResourceMetricSource:
    """``ContainerResourceMetricSource``: a resource of one named container."""

    name: str
    container: str
    target: MetricTarget


@dataclass(slots=True)
class PodsMetricSource:
    """``PodsMetricSource``: a per-pod custom metric, averaged over the pods.

    Only an AverageValue target (``target.average_value``, milli-units) is valid
    (API validation); the controller reads it through ``MetricsClient.get_raw_metric``.
    """

    metric: MetricIdentifier
    target: MetricTarget


@dataclass(slots=True)
class ObjectMetricSource:
    """``ObjectMetricSource``: one metric of one Kubernetes object (``describedObject``).

    Value target: the object's value against ``target.value``; AverageValue target: the
    value divided by the target's ``status.replicas`` against ``target.average_value``
    (both milli-units). Read through ``MetricsClient.get_object_metric``.
    """

    described_object: CrossVersionObjectReference
    metric: MetricIdentifier
    target: MetricTarget


@dataclass(slots=True)
class ExternalMetricSource:
    """``ExternalMetricSource``: a metric from outside the cluster, summed over its series.

    Value or AverageValue target (milli-units), as :class:`ObjectMetricSource`; read
    through ``MetricsClient.get_external_metric`` with ``metric.selector``.
    """

    metric: MetricIdentifier
    target: MetricTarget


@dataclass(slots=True)
class MetricSpec:
    """``MetricSpec``: ``type`` names which of the source fields is set."""

    type: str
    resource: ResourceMetricSource | None = None
    container_resource: ContainerResourceMetricSource | None = None
    pods: PodsMetricSource | None = None
    object: ObjectMetricSource | None = None
    external: ExternalMetricSource | None = None


@dataclass(slots=True)
class HPAScalingPolicy:
    """``HPAScalingPolicy``: ``type`` Pods or Percent; ``value`` > 0; period in seconds."""

    type: str
    value: int
    period_seconds: int


@dataclass(slots=True)
class HPAScalingRules:
    """``HPAScalingRules``; None means "unset" (defaulting fills it in).

    ``tolerance`` is the per-direction tolerance of KEP-4951 (feature gate
    ``HPAConfigurableTolerance``: alpha 1.33, beta 1.35) as a float (0.05 = 5 %).
    """

    stabilization_window_seconds: int | None = None
    select_policy: str | None = None
    policies: list[HPAScalingPolicy] | None = None
    tolerance: float | None = None


@dataclass(slots=True)
class HorizontalPodAutoscalerBehavior:
    """``HorizontalPodAutoscalerBehavior``."""

    scale_up: HPAScalingRules | None = None
    scale_down: HPAScalingRules | None = None


@dataclass(slots=True)
class HorizontalPodAutoscalerSpec:
    """``HorizontalPodAutoscalerSpec`` without ``scaleTargetRef`` (the caller knows it)."""

    max_replicas: int
    min_replicas: int | None = None
    metrics: list[MetricSpec] = field(default_factory=list)
    behavior: HorizontalPodAutoscalerBehavior | None = None


# --- API defaulting (pkg/apis/autoscaling/v2/defaults.go) --------------------------------

SCALE_UP_LIMIT_PERCENT = 100
SCALE_UP_LIMIT_MINIMUM_PODS = 4
SCALE_UP_PERIOD = 15
SCALE_UP_STABILIZATION_SECONDS = 0
SCALE_DOWN_PERIOD = 15
SCALE_DOWN_LIMIT_PERCENT = 100


def _default_scale_up_rules() -> HPAScalingRules:
    return HPAScalingRules(
        stabilization_window_seconds=SCALE_UP_STABILIZATION_SECONDS,
        select_policy=MAX_CHANGE_POLICY_SELECT,
        policies=[
            HPAScalingPolicy(PODS_SCALING_POLICY, SCALE_UP_LIMIT_MINIMUM_PODS, SCALE_UP_PERIOD),
            HPAScalingPolicy(PERCENT_SCALING_POLICY, SCALE_UP_LIMIT_PERCENT, SCALE_UP_PERIOD),
        ],
    )


def _default_scale_down_rules() -> HPAScalingRules:
    # The window stays None: the controller fills it from its
    # --horizontal-pod-autoscaler-downscale-stabilization flag.
    return HPAScalingRules(
        stabilization_window_seconds=None,
        select_policy=MAX_CHANGE_POLICY_SELECT,
        policies=[
            HPAScalingPolicy(PERCENT_SCALING_POLICY, SCALE_DOWN_LIMIT_PERCENT, SCALE_DOWN_PERIOD)
        ],
    )


def copy_hpa_scaling_rules(
    from_rules: HPAScalingRules | None, to: HPAScalingRules
) -> HPAScalingRules:
    """``copyHPAScalingRules``: copy every non-None field of ``from_rules`` onto ``to``.

    A user ``policies`` list replaces the default list wholesale (same list object).
    """
    if from_rules is None:
        return to
    if from_rules.select_policy is not None:
        to.select_policy = from_rules.select_policy
    if from_rules.stabilization_window_seconds is not None:
        to.stabilization_window_seconds = from_rules.stabilization_window_seconds
    if from_rules.policies is not None:
        to.policies = from_rules.policies
    if from_rules.tolerance is not None:
        to.tolerance = from_rules.tolerance
    return to


def generate_hpa_scale_up_rules(rules: HPAScalingRules | None) -> HPAScalingRules:
    """``GenerateHPAScaleUpRules``: a new, fully set scale-up rule set.

    Defaults: window 0 s, selectPolicy Max, policies Pods 4 / 15 s and Percent 100 / 15 s.
    """
    return copy_hpa_scaling_rules(rules, _default_scale_up_rules())


def generate_hpa_scale_down_rules(rules: HPAScalingRules | None) -> HPAScalingRules:
    """``GenerateHPAScaleDownRules``: a new scale-down rule set.

    Defaults: selectPolicy Max, policy Percent 100 / 15 s; the stabilization window is
    left None (the controller's downscale-stabilization flag applies).
    """
    return copy_hpa_scaling_rules(rules, _default_scale_down_rules())


def set_defaults_horizontal_pod_autoscaler_behavior(
    spec: HorizontalPodAutoscalerSpec,
) -> HorizontalPodAutoscalerSpec:
    """``SetDefaults_HorizontalPodAutoscalerBehavior``: fill both rule sets if behavior is set."""
    if spec.behavior is not None:
        spec.behavior.scale_up = generate_hpa_scale_up_rules(spec.behavior.scale_up)
        spec.behavior.scale_down = generate_hpa_scale_down_rules(spec.behavior.scale_down)
    return spec


def set_defaults_horizontal_pod_autoscaler(
    spec: HorizontalPodAutoscalerSpec,
) -> HorizontalPodAutoscalerSpec:
    """``SetDefaults_HorizontalPodAutoscaler``, in place; returns ``spec``.

    minReplicas nil → 1; no metrics → CPU Utilization 80 %; behavior defaulted field by
    field when present (a nil behavior stays nil: the legacy path applies).
    """
    if spec.min_replicas is None:
        spec.min_replicas = 1
    if not spec.metrics:
        spec.metrics = [
            MetricSpec(
                type=RESOURCE_METRIC_SOURCE_TYPE,
                resource=ResourceMetricSource(
                    name=RESOURCE_CPU,
                    target=MetricTarget(
                        type=UTILIZATION_METRIC_TYPE,
                        average_utilization=DEFAULT_CPU_UTILIZATION,
                    ),
                ),
            )
        ]
    return set_defaults_horizontal_pod_autoscaler_behavior(spec)


# --- controller configuration (config/v1alpha1/defaults.go) ------------------------------


@dataclass(slots=True)
class HPAControllerConfiguration:
    """``HPAControllerConfiguration`` with the kube-controller-manager defaults (seconds).

    The forbidden windows are still defaulted upstream but unused by the controller.
    """

    concurrent_horizontal_pod_autoscaler_syncs: int = 5
    horizontal_pod_autoscaler_sync_period: float = 15.0
    horizontal_pod_autoscaler_upscale_forbidden_window: float = 180.0
    horizontal_pod_autoscaler_downscale_forbidden_window: float = 300.0
    horizontal_pod_autoscaler_downscale_stabilization_window: float = 300.0
    horizontal_pod_autoscaler_tolerance: float = 0.1
    horizontal_pod_autoscaler_cpu_initialization_period: float = 300.0
    horizontal_pod_autoscaler_initial_readiness_delay: float = 30.0


def recommended_default_hpa_controller_configuration() -> HPAControllerConfiguration:
    """``RecommendedDefaultHPAControllerConfiguration``."""
    return HPAControllerConfiguration()


# --- behaviour by Kubernetes version ---------------------------------------------------------

SUCCEEDED_PODS_IGNORED_MINOR = 38
"""Succeeded pods are ignored like Failed ones from 1.38: kubernetes/kubernetes PR #141302
(issue #141298), merged in August 2026 after the release-1.37 branch was cut (5 August
2026, ``kubernetes/sig-release releases/release-1.37/README.md``) with no cherry-pick."""

HPA_POD_LEVEL_RESOURCES_MINOR = 34
"""The HPA uses pod-level requests from 1.34 (kubernetes/kubernetes PR #132430, in the
1.34 release notes: ``kubernetes/sig-release releases/release-1.34/release-notes``); the
``PodLevelResources`` gate is alpha from 1.32 but the 1.32/1.33 HPA ignores it."""

HPA_POD_LEVEL_EXCLUDES_OVERHEAD_MINOR = 38
"""The HPA leaves pod overhead out of pod-level requests from 1.38 (kubernetes/kubernetes
PR #142154, in the 1.38 release notes)."""


@dataclass(frozen=True, slots=True)
class HPAVersionBehaviour:
    """Which version-dependent HPA behaviours apply; all off = before 1.34.

    ``ignore_succeeded_pods``: ``groupPods`` ignores Succeeded pods (1.38+).
    ``pod_level_resources``: ``calculateRequests`` uses pod-level requests (1.34+, with the
    ``PodLevelResources`` gate on). ``pod_level_requests_exclude_overhead``: those requests
    leave out ``pod.spec.overhead`` (1.38+).
    """

    ignore_succeeded_pods: bool = False
    pod_level_resources: bool = False
    pod_level_requests_exclude_overhead: bool = False


def hpa_version_behaviour(
    kubernetes_minor: int | None, pod_level_resources_gate: bool | None = None
) -> HPAVersionBehaviour:
    """The :class:`HPAVersionBehaviour` of kube-controller-manager ``1.<kubernetes_minor>``.

    ``pod_level_resources_gate`` overrides the ``PodLevelResources`` default of that
    version (off in 1.32–1.33, on from 1.34); None = the default. An unknown version
    (None) gives the old behaviour (everything off).
    """
    if kubernetes_minor is None:
        return HPAVersionBehaviour()
    gate = pod_level_resources_enabled(kubernetes_minor, pod_level_resources_gate)
    return HPAVersionBehaviour(
        ignore_succeeded_pods=kubernetes_minor >= SUCCEEDED_PODS_IGNORED_MINOR,
        pod_level_resources=gate and kubernetes_minor >= HPA_POD_LEVEL_RESOURCES_MINOR,
        pod_level_requests_exclude_overhead=kubernetes_minor >= HPA_POD_LEVEL_EXCLUDES_OVERHEAD_MINOR,
    )


# --- tolerances (replica_calculator.go) --------------------------------------------------


class Tolerances:
    """``Tolerances``: usage-ratio tolerances for scaling down and up.

    ``is_within(r)`` ⇔ ``1 - scale_down <= r <= 1 + scale_up`` (inclusive).
    """

    __slots__ = ("_hi", "_lo", "scale_down", "scale_up")

    def __init__(self, scale_down: float = 0.1, scale_up: float = 0.1) -> None:
        self.scale_down = scale_down
        self.scale_up = scale_up
        # Same float expressions as upstream, computed once.
        self._lo = 1.0 - scale_down
        self._hi = 1.0 + scale_up

    def is_within(self, usage_ratio: float) -> bool:
        """``isWithin``."""
        return self._lo <= usage_ratio <= self._hi

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Tolerances)
            and self.scale_down == other.scale_down
            and self.scale_up == other.scale_up
        )

    def __hash__(self) -> int:
        return hash((self.scale_down, self.scale_up))

    def __repr__(self) -> str:
        # Upstream String(): "[down:%.1f%%, up:%.1f%%]".
        return f"[down:{self.scale_down * 100.0:.1f}%, up:{self.scale_up * 100.0:.1f}%]"
