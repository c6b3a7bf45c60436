"""End-to-end ``reconcile_autoscaler`` cases ported from upstream ``horizontal_test.go``.

Source: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go, the
``testCase`` tests (TestScaleUp…, TestScaleDown…, TestTolerance…, TestMinReplicas…,
TestCondition…, TestUpscaleCap…, ...). Each row keeps upstream's inputs (replicas, CPU
target, reported levels and requests, readiness, start times, phases, deletion, metric
specs, behavior rules, preset recommendations) and expected outputs (desired replicas,
status conditions as type/status/reason, CPU utilization where upstream verifies it).
The fixtures rebuild upstream's fake pods and metrics (tests/k8s/hpa_tables/fixtures.py);
like upstream's test ``init()``, the legacy scale-up limit factor is 8.

Pods, Object and External metrics go through a fake :class:`MetricsClient` built like
upstream's fake custom and external metrics clients (``metrics_client`` in the fixtures:
the object's value is ``reportedLevels[0]``, the external series are the levels, the
per-pod values one per pod); ``status.replicas`` is upstream's ``statusReplicas``.

Not expressible here (client or API plumbing) and skipped:
TestScaleUpDeployment/ReplicaSet (same numbers as TestScaleUp, other scale kinds),
TestConditionInvalidSelectorMissing/Unparsable, TestConditionNoAmbiguousSelector…,
TestConditionAmbiguousSelector… (selectors), TestConditionFailedGetScale,
TestConditionFailedUpdateScale (API errors), TestMultipleHPAs (worker concurrency), and the
monitor-label assertions of every test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from capacity.k8s.hpa import (
    AVERAGE_VALUE_METRIC_TYPE,
    EXTERNAL_METRIC_SOURCE_TYPE,
    MAX_CHANGE_POLICY_SELECT,
    OBJECT_METRIC_SOURCE_TYPE,
    PERCENT_SCALING_POLICY,
    PODS_SCALING_POLICY,
    ContainerResourceMetricSource,
    CrossVersionObjectReference,
    ExternalMetricSource,
    HorizontalController,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricIdentifier,
    MetricSpec,
    MetricStatus,
    MetricTarget,
    ObjectMetricSource,
    PodsMetricSource,
    ResourceMetricSource,
    TimestampedRecommendation,
    set_defaults_horizontal_pod_autoscaler_behavior,
)
from capacity.k8s.hpa_types import VALUE_METRIC_TYPE
from tests.k8s.hpa_tables.fixtures import (
    COOL,
    FAILED,
    HOT,
    NOW,
    RUNNING,
    TESTING_CPU_INIT,
    TESTING_READINESS_DELAY,
    TESTING_TOLERANCE,
    ClientCalls,
    F,
    T,
    hc_metrics_getter,
    hc_pods,
    hc_pods_metric_getter,
    metrics_client,
    milli,
)

KEY = "test-namespace/test-hpa"
A, S, L = "AbleToScale", "ScalingActive", "ScalingLimited"
STATUS_OK = [(A, T, "SucceededRescale"), (S, T, "ValidMetricFound"), (L, F, "DesiredWithinRange")]


def ok(*overrides: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    """``statusOkWithOverrides``: replace conditions of the same type, in place."""
    out = list(STATUS_OK)
    for o in overrides:
        for i, c in enumerate(out):
            if c[0] == o[0]:
                out[i] = o
                break
        else:
            out.append(o)
    return out


def rules(pods, pods_period, percent, percent_period, window):
    """``generateScalingRules``."""
    policies = []
    if pods:
        policies.append(HPAScalingPolicy(PODS_SCALING_POLICY, pods, pods_period))
    if percent:
        policies.append(HPAScalingPolicy(PERCENT_SCALING_POLICY, percent, percent_period))
    return HPAScalingRules(window, MAX_CHANGE_POLICY_SELECT, policies or None)


def cpu_util(container: str, target: int) -> MetricSpec:
    return MetricSpec(
        "ContainerResource",
        container_resource=ContainerResourceMetricSource(
            "cpu", container, MetricTarget("Utilization", average_utilization=target)
        ),
    )


def qps(average_milli: int) -> MetricSpec:
    return MetricSpec(
        "Pods",
        pods=PodsMetricSource(
            MetricIdentifier("qps"), MetricTarget("AverageValue", average_value=average_milli)
        ),
    )


DEPLOYMENT = CrossVersionObjectReference("Deployment", "some-deployment", "apps/v1")


def _target(kind: str, milli_value: int) -> MetricTarget:
    if kind == VALUE_METRIC_TYPE:
        return MetricTarget(VALUE_METRIC_TYPE, value=milli_value)
    return MetricTarget(AVERAGE_VALUE_METRIC_TYPE, average_value=milli_value)


def obj(kind: str, milli_value: int, selector: dict[str, str] | None = None) -> MetricSpec:
    """An Object metric ``qps`` on Deployment some-deployment."""
    return MetricSpec(OBJECT_METRIC_SOURCE_TYPE, object=ObjectMetricSource(
        DEPLOYMENT, MetricIdentifier("qps", selector), _target(kind, milli_value)))


def ext(kind: str, milli_value: int) -> MetricSpec:
    """An External metric ``qps`` with an empty (non-nil) selector, as upstream's tests."""
    return MetricSpec(EXTERNAL_METRIC_SOURCE_TYPE, external=ExternalMetricSource(
        MetricIdentifier("qps", {}), _target(kind, milli_value)))


V, AV = VALUE_METRIC_TYPE, AVERAGE_VALUE_METRIC_TYPE
CHEDDAR = MetricSpec("CheddarCheese")
EXTERNAL_QPS = ext(V, 100)
OBJECT_QPS = obj(V, 15000)
ONE = milli("1.0")
MIXED = [milli("0.9"), milli("1.0"), milli("1.1")]


@dataclass
class Case:
    """horizontal_test.go ``testCase``, the fields that matter here."""

    name: str
    min: int
    max: int
    spec: int
    status: int
    expected: int
    cpu_target: int = 0
    levels: list[int] = field(default_factory=list)
    requests: list[int] | None = None
    readiness: list[str] | None = None
    start_times: list[float] | None = None
    phases: list[str] | None = None
    deleted: list[bool] | None = None
    metrics: list[MetricSpec] = field(default_factory=list)
    up: HPAScalingRules | None = None
    down: HPAScalingRules | None = None
    recommendations: list[TimestampedRecommendation] | None = None
    conditions: list[tuple[str, str, str]] | None = None  # None: statusOk
    cpu_current: int | None = None  # checked when set (upstream verifyCPUCurrent)
    fail_resource: bool = False
    fail_pods: bool = False  # the custom metrics API (Pods and Object metrics) fails
    fail_external: bool = False  # the external metrics API fails
    error: bool = False  # reconcile returns an error


def run(c: Case, **controller_kwargs):
    metrics = []
    if c.cpu_target > 0:
        metrics.append(MetricSpec("Resource", resource=ResourceMetricSource(
            "cpu", MetricTarget("Utilization", average_utilization=c.cpu_target))))
    metrics += c.metrics
    if not metrics:
        # "manually add in the defaulting logic": a CPU metric without a target
        metrics = [MetricSpec("Resource", resource=ResourceMetricSource("cpu", MetricTarget("")))]
    behavior = None
    if c.up is not None or c.down is not None:
        behavior = HorizontalPodAutoscalerBehavior(c.up, c.down)
    spec = set_defaults_horizontal_pod_autoscaler_behavior(
        HorizontalPodAutoscalerSpec(c.max, c.min, metrics, behavior)
    )
    kwargs = dict(scale_up_limit_factor=8.0)
    kwargs.update(controller_kwargs)
    hc = HorizontalController(
        300.0, TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY, **kwargs
    )
    if c.recommendations is not None:
        hc.recommendations[KEY] = list(c.recommendations)
    pods = hc_pods(c.status, c.requests, c.readiness, c.start_times, c.phases, c.deleted)
    client = metrics_client(c.levels, NOW, fail_custom=c.fail_pods, fail_external=c.fail_external)
    result = hc.reconcile_autoscaler(
        KEY, spec, c.spec, pods, hc_metrics_getter(c.levels, c.fail_resource), NOW,
        metrics_client=client, status_replicas=c.status,
    )
    return hc, result


NO_RECS: list[TimestampedRecommendation] = []
RESCALED = [(A, T, "SucceededRescale")]

CASES = [
    Case("TestScaleUp", 2, 6, 3, 3, 5, cpu_target=30, levels=[300, 500, 700],
         requests=[ONE] * 3, cpu_current=50),
    Case("TestScaleUpContainer", 2, 6, 3, 3, 5, metrics=[cpu_util("container1", 30)],
         levels=[300, 500, 700], requests=[ONE] * 3),
    Case("TestScaleUpUnreadyLessScale", 2, 6, 3, 3, 4, cpu_target=30, levels=[300, 500, 700],
         requests=[ONE] * 3, readiness=[F, T, T], cpu_current=60),
    Case("TestScaleUpHotCpuLessScale", 2, 6, 3, 3, 4, cpu_target=30, levels=[300, 500, 700],
         requests=[ONE] * 3, start_times=[HOT, COOL, COOL], cpu_current=60),
    Case("TestScaleUpUnreadyNoScale", 2, 6, 3, 3, 3, cpu_target=30, levels=[400, 500, 700],
         requests=[ONE] * 3, readiness=[T, F, F], cpu_current=40,
         conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestScaleUpHotCpuNoScale", 2, 6, 3, 3, 3, cpu_target=30, levels=[400, 500, 700],
         requests=[ONE] * 3, readiness=[T, F, F], start_times=[COOL, HOT, HOT], cpu_current=40,
         conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestScaleUpIgnoresFailedPods", 2, 6, 2, 2, 4, cpu_target=30, levels=[500, 700],
         requests=[ONE] * 4, readiness=[T, T, F, F], phases=[RUNNING, RUNNING, FAILED, FAILED],
         cpu_current=60),
    Case("TestScaleUpIgnoresDeletionPods", 2, 6, 2, 2, 4, cpu_target=30, levels=[500, 700],
         requests=[ONE] * 4, readiness=[T, T, F, F], phases=[RUNNING] * 4,
         deleted=[False, False, True, True], cpu_current=60),
    Case("TestScaleUpCM", 2, 6, 3, 3, 4, metrics=[qps(15000)], levels=[20000, 10000, 30000],
         requests=[ONE] * 3),
    Case("TestScaleUpCMUnreadyAndHotCpuNoLessScale", 2, 6, 3, 3, 6, metrics=[qps(15000)],
         levels=[50000, 10000, 30000], readiness=[T, T, F], start_times=[COOL, COOL, HOT],
         requests=[ONE] * 3),
    Case("TestScaleUpCMUnreadyandCpuHot", 2, 6, 3, 3, 6, metrics=[qps(15000)],
         levels=[50000, 15000, 30000], readiness=[F, T, F], start_times=[HOT, COOL, HOT],
         requests=[ONE] * 3,
         conditions=ok((A, T, "SucceededRescale"), (L, T, "TooManyReplicas"))),
    Case("TestScaleUpHotCpuNoScaleWouldScaleDown", 2, 6, 3, 3, 6, metrics=[qps(15000)],
         levels=[50000, 15000, 30000], requests=[ONE] * 3, start_times=[HOT, COOL, HOT],
         conditions=ok((A, T, "SucceededRescale"), (L, T, "TooManyReplicas"))),
    Case("TestScaleDown", 2, 6, 5, 5, 3, cpu_target=50, levels=[100, 300, 500, 250, 250],
         requests=[ONE] * 5, recommendations=NO_RECS, cpu_current=28),
    Case("TestScaleDownContainerResource", 2, 6, 5, 5, 3, metrics=[cpu_util("container2", 50)],
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 5, recommendations=NO_RECS),
    Case("TestScaleDownWithScalingRules", 2, 6, 5, 5, 3, up=rules(0, 0, 100, 15, 30),
         cpu_target=50, levels=[100, 300, 500, 250, 250], requests=[ONE] * 5,
         recommendations=NO_RECS, cpu_current=28),
    Case("TestScaleUpOneMetricInvalid", 2, 6, 3, 3, 4, cpu_target=30, metrics=[CHEDDAR],
         levels=[300, 400, 500], requests=[ONE] * 3, cpu_current=40, error=True),
    Case("TestScaleUpFromZeroOneMetricInvalid", 0, 6, 0, 0, 4, cpu_target=30,
         metrics=[CHEDDAR], levels=[300, 400, 500], requests=[ONE] * 3,
         recommendations=NO_RECS, cpu_current=40, error=True),
    Case("TestScaleUpBothMetricsEmpty", 2, 6, 3, 3, 3, metrics=[CHEDDAR], levels=[],
         requests=[ONE] * 3,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "InvalidMetricSourceType")],
         error=True),
    Case("TestScaleDownStabilizeInitialSize", 2, 6, 5, 5, 5, cpu_target=50,
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 5, cpu_current=28,
         conditions=ok((A, T, "ReadyForNewScale"), (A, T, "ScaleDownStabilized"))),
    Case("TestScaleDownCM", 2, 6, 5, 5, 3, metrics=[qps(20000)], levels=[12000] * 5,
         requests=[ONE] * 5, recommendations=NO_RECS),
    Case("TestScaleDownIncludeUnreadyPods", 2, 6, 5, 5, 2, cpu_target=50,
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 5, readiness=[T, T, T, F, F],
         recommendations=NO_RECS, cpu_current=30),
    Case("TestScaleDownIgnoreHotCpuPods", 2, 6, 5, 5, 2, cpu_target=50,
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 5,
         start_times=[COOL, COOL, COOL, HOT, HOT], recommendations=NO_RECS, cpu_current=30),
    Case("TestScaleDownIgnoresFailedPods", 2, 6, 5, 5, 3, cpu_target=50,
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 7, readiness=[T] * 5 + [F, F],
         phases=[RUNNING] * 5 + [FAILED, FAILED], recommendations=NO_RECS, cpu_current=28),
    Case("TestScaleDownIgnoresDeletionPods", 2, 6, 5, 5, 3, cpu_target=50,
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 7, readiness=[T] * 5 + [F, F],
         phases=[RUNNING] * 7, deleted=[False] * 5 + [True, True], recommendations=NO_RECS,
         cpu_current=28),
    Case("TestTolerance", 1, 5, 3, 3, 3, cpu_target=100, levels=[1010, 1030, 1020],
         requests=MIXED, conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestToleranceCM", 1, 5, 3, 3, 3, metrics=[qps(20000)], levels=[20000, 20001, 21000],
         requests=MIXED, conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestMinReplicas", 2, 5, 3, 3, 2, cpu_target=90, levels=[10, 95, 10], requests=MIXED,
         recommendations=NO_RECS, conditions=ok((L, T, "TooFewReplicas"))),
    Case("TestZeroMinReplicasDesiredZero", 0, 5, 3, 3, 0, cpu_target=90, levels=[0, 0, 0],
         requests=MIXED, recommendations=NO_RECS, conditions=ok((L, F, "DesiredWithinRange"))),
    Case("TestMinReplicasDesiredZero", 2, 5, 3, 3, 2, cpu_target=90, levels=[0, 0, 0],
         requests=MIXED, recommendations=NO_RECS, conditions=ok((L, T, "TooFewReplicas"))),
    Case("TestZeroReplicas", 3, 5, 0, 0, 0, cpu_target=90, levels=[], requests=[],
         conditions=[(A, T, "SucceededGetScale"), (S, F, "ScalingDisabled")]),
    Case("TestTooFewReplicas", 3, 5, 2, 2, 3, cpu_target=90, levels=[], requests=[],
         conditions=RESCALED),
    Case("TestTooManyReplicas", 3, 5, 10, 10, 5, cpu_target=90, levels=[], requests=[],
         conditions=RESCALED),
    Case("TestMaxReplicas", 2, 5, 3, 3, 5, cpu_target=90, levels=[8000, 9500, 1000],
         requests=MIXED, conditions=ok((L, T, "TooManyReplicas"))),
    Case("TestSuperfluousMetrics", 2, 6, 4, 4, 6, cpu_target=100,
         levels=[4000, 9500, 3000, 7000, 3200, 2000], requests=[ONE] * 4,
         conditions=ok((L, T, "TooManyReplicas"))),
    Case("TestMissingMetrics", 2, 6, 4, 4, 3, cpu_target=100, levels=[400, 95],
         requests=[ONE] * 4, recommendations=NO_RECS),
    Case("TestEmptyMetrics", 2, 6, 4, 4, 4, cpu_target=100, levels=[], requests=[ONE] * 4,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "FailedGetResourceMetric")],
         error=True),
    Case("TestEmptyCPURequest", 1, 5, 1, 1, 1, cpu_target=100, levels=[200], requests=[],
         conditions=[(A, T, "SucceededGetScale"), (S, F, "FailedGetResourceMetric")],
         error=True),
    Case("TestEventCreated", 1, 5, 1, 1, 2, cpu_target=50, levels=[200],
         requests=[milli("0.2")]),
    Case("TestEventNotCreated", 1, 5, 2, 2, 2, cpu_target=50, levels=[200, 200],
         requests=[milli("0.4")] * 2, conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestMissingReports", 1, 5, 4, 4, 2, cpu_target=50, levels=[200],
         requests=[milli("0.2")], recommendations=NO_RECS),
    Case("TestUpscaleCap", 1, 100, 3, 3, 24, up=rules(0, 0, 700, 60, 0), cpu_target=10,
         levels=[100, 200, 300], requests=[milli("0.1")] * 3,
         conditions=ok((L, T, "ScaleUpLimit"))),
    Case("TestUpscaleCapGreaterThanMaxReplicas", 1, 20, 3, 3, 20, up=rules(0, 0, 700, 60, 0),
         cpu_target=10, levels=[100, 200, 300], requests=[milli("0.1")] * 3,
         conditions=ok((L, T, "TooManyReplicas"))),
    # spec 4, status 5 (a 25 % surge): five pods at exactly the target → no change.
    Case("TestMoreReplicasThanSpecNoScale", 1, 8, 4, 5, 4, cpu_target=50, levels=[500] * 5,
         requests=[ONE] * 5, conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestConditionFailedGetMetrics/FailedGetResourceMetric", 1, 100, 3, 3, 3,
         cpu_target=10, levels=[100, 200, 300], requests=[milli("0.1")] * 3, fail_resource=True,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "FailedGetResourceMetric")],
         error=True),
    Case("TestConditionFailedGetMetrics/FailedGetPodsMetric", 1, 100, 3, 3, 3,
         metrics=[qps(15000)], levels=[100, 200, 300], requests=[milli("0.1")] * 3,
         fail_pods=True,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "FailedGetPodsMetric")], error=True),
    Case("TestConditionFailedGetMetrics/FailedGetObjectMetric", 1, 100, 3, 3, 3,
         metrics=[OBJECT_QPS], levels=[100, 200, 300], requests=[milli("0.1")] * 3,
         fail_pods=True, fail_external=True,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "FailedGetObjectMetric")], error=True),
    Case("TestConditionFailedGetMetrics/FailedGetExternalMetric", 1, 100, 3, 3, 3,
         metrics=[ext(V, 300)], levels=[100, 200, 300], requests=[milli("0.1")] * 3,
         fail_pods=True, fail_external=True,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "FailedGetExternalMetric")],
         error=True),
    Case("TestConditionInvalidSourceType", 2, 6, 3, 3, 3, metrics=[CHEDDAR], levels=[20000],
         conditions=[(A, T, "SucceededGetScale"), (S, F, "InvalidMetricSourceType")],
         error=True),
    Case("TestNoBackoffUpscaleCM", 1, 5, 3, 3, 4, metrics=[qps(15000)],
         levels=[20000, 10000, 30000], requests=[ONE] * 3,
         conditions=ok((A, T, "ReadyForNewScale"), (A, T, "SucceededRescale"),
                       (L, F, "DesiredWithinRange"))),
    Case("TestNoBackoffUpscaleCMNoBackoffCpu", 1, 5, 3, 3, 5, cpu_target=10,
         metrics=[qps(15000)], levels=[20000, 10000, 30000], requests=[ONE] * 3,
         conditions=ok((A, T, "ReadyForNewScale"), (A, T, "SucceededRescale"),
                       (L, T, "TooManyReplicas"))),
    Case("TestStabilizeDownscale", 1, 5, 4, 4, 4, cpu_target=100, levels=[50, 50, 50],
         requests=[milli("0.1")] * 3,
         recommendations=[TimestampedRecommendation(10, NOW - 600),
                          TimestampedRecommendation(4, NOW - 60)],
         conditions=ok((A, T, "ReadyForNewScale"), (A, T, "ScaleDownStabilized"))),
    Case("TestScaleUpRCImmediately", 2, 6, 1, 1, 2, levels=[0, 0, 0, 0], requests=[ONE] * 4,
         conditions=RESCALED),
    Case("TestScaleDownRCImmediately", 2, 5, 6, 6, 5, cpu_target=50, levels=[8000, 9500, 1000],
         requests=MIXED, conditions=RESCALED),
    # Upstream asserts that the unchanged status is not written; the decision is: stay at 2.
    Case("TestAvoidUnnecessaryUpdates", 2, 6, 2, 2, 2, cpu_target=80, levels=[400, 500, 700],
         requests=[ONE] * 3, start_times=[COOL, HOT, HOT], recommendations=NO_RECS,
         cpu_current=40,
         conditions=ok((A, T, "ReadyForNewScale"), (L, T, "TooFewReplicas"))),
    Case("TestScaleUpOneMetricEmpty", 2, 6, 3, 3, 4, cpu_target=30, metrics=[EXTERNAL_QPS],
         levels=[300, 400, 500], requests=[ONE] * 3, cpu_current=40, fail_external=True,
         error=True),
    Case("TestNoScaleDownOneMetricInvalid", 2, 6, 5, 5, 5, cpu_target=50, metrics=[CHEDDAR],
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 5, recommendations=NO_RECS,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "InvalidMetricSourceType")],
         error=True),
    Case("TestNoScaleDownOneMetricEmpty", 2, 6, 5, 5, 5, cpu_target=50, metrics=[ext(V, 1000)],
         levels=[100, 300, 500, 250, 250], requests=[ONE] * 5, recommendations=NO_RECS,
         fail_external=True,
         conditions=[(A, T, "SucceededGetScale"), (S, F, "FailedGetExternalMetric")],
         error=True),
]


CASES += [
    # --- Object and External metrics (no CPU requests: statusReplicas pods of 1 CPU) ---
    # 20000/15000 × 3 ready pods = 4.
    Case("TestScaleUpCMObject", 2, 6, 3, 3, 4, metrics=[obj(V, 15000)], levels=[20000]),
    # From zero replicas: ceil(20000/15000) = 2, no ready pods or tolerance needed.
    Case("TestScaleUpFromZeroCMObject", 0, 6, 0, 0, 2, metrics=[obj(V, 15000)], levels=[20000]),
    # From zero the tolerance does not apply: ceil(1000/1000) = 1.
    Case("TestScaleUpFromZeroIgnoresToleranceCMObject", 0, 6, 0, 0, 1,
         metrics=[obj(V, 1000)], levels=[1000]),
    # 40000/(10000 × 3) = 1.33 → ceil(40000/10000) = 4.
    Case("TestScaleUpPerPodCMObject", 2, 6, 3, 3, 4, metrics=[obj(AV, 10000)], levels=[40000]),
    # 8600/6666 × 3 = 3.87 → 4.
    Case("TestScaleUpCMExternal", 2, 6, 3, 3, 4, metrics=[ext(V, 6666)], levels=[8600]),
    # 8600/(2222 × 3) = 1.29 → ceil(8600/2222) = 4.
    Case("TestScaleUpPerPodCMExternal", 2, 6, 3, 3, 4, metrics=[ext(AV, 2222)], levels=[8600]),
    Case("TestScaleDownCMObject", 2, 6, 5, 5, 3, metrics=[obj(V, 20000)], levels=[12000],
         requests=[ONE] * 5, recommendations=NO_RECS),
    Case("TestScaleDownToZeroCMObject", 0, 6, 5, 5, 0, metrics=[obj(V, 20000)], levels=[0],
         requests=[ONE] * 5, recommendations=NO_RECS),
    Case("TestScaleDownPerPodCMObject", 2, 6, 5, 5, 3, metrics=[obj(AV, 20000)], levels=[60000],
         requests=[ONE] * 5, recommendations=NO_RECS),
    Case("TestScaleDownCMExternal", 2, 6, 5, 5, 3, metrics=[ext(V, 14400)], levels=[8600],
         recommendations=NO_RECS),
    Case("TestScaleDownToZeroCMExternal", 0, 6, 5, 5, 0, metrics=[ext(V, 14400)], levels=[0],
         recommendations=NO_RECS),
    Case("TestScaleDownPerPodCMExternal", 2, 6, 5, 5, 3, metrics=[ext(AV, 3000)],
         levels=[8600], recommendations=NO_RECS),
    Case("TestToleranceCMObject", 1, 5, 3, 3, 3, metrics=[obj(V, 20000)], levels=[20050],
         requests=MIXED, conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestToleranceCMExternal", 2, 6, 4, 4, 4, metrics=[ext(V, 8666)], levels=[8600],
         conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestTolerancePerPodCMObject", 2, 6, 4, 4, 4, metrics=[obj(AV, 2200, {})],
         levels=[8600], conditions=ok((A, T, "ReadyForNewScale"))),
    Case("TestTolerancePerPodCMExternal", 2, 6, 4, 4, 4, metrics=[ext(AV, 2200)], levels=[8600],
         conditions=ok((A, T, "ReadyForNewScale"))),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_reconcile(case: Case):
    _, r = run(case)
    assert r.desired_replicas == case.expected
    assert r.rescale == (case.spec != case.expected)
    expected_conditions = STATUS_OK if case.conditions is None else case.conditions
    assert [c[:3] for c in r.conditions] == expected_conditions
    if case.cpu_current is not None:
        assert r.utilization("cpu") == case.cpu_current
    assert (r.error is not None) == case.error
    if r.rescale:
        assert r.event is not None and r.event[:2] == ("Normal", "SuccessfulRescale")
        assert r.event[2].startswith(f"New size: {case.expected}; reason: ")
    elif case.error and r.desired_replicas == case.spec and case.conditions is not None:
        assert r.event == ("Warning", "FailedComputeMetricsReplicas", r.event[2])


def test_computed_tolerance_alg_implementation():
    """TestComputedToleranceAlgImplementation, end to end (min 0, max 1000, spec 10)."""
    start_pods, total_used = 10, 1500
    per_pod_requested = 2 * total_used // start_pods  # 300m
    requested_to_used = float(2 * total_used // total_used)
    deltas = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0]
    target = abs(1 / (requested_to_used * (1 - TESTING_TOLERANCE))) + 0.01
    final_pods = math.ceil(total_used / (2 * total_used * target) * start_pods)
    assert (int(target * 100), final_pods) == (56, 9)
    base = dict(levels=[total_used // 10] * 10,
                requests=[per_pod_requested + d for d in deltas], recommendations=NO_RECS)
    _, r = run(Case("tc1", 0, 1000, 10, 10, 9, cpu_target=int(target * 100), **base))
    assert (r.desired_replicas, r.rescale) == (9, True)
    target = abs(1 / (requested_to_used * (1 - TESTING_TOLERANCE))) + 0.004
    _, r = run(Case("tc2", 0, 1000, 10, 10, 10, cpu_target=int(target * 100), **base))
    assert (r.desired_replicas, r.rescale) == (10, False)
    assert r.condition(A)[2] == "ReadyForNewScale"


# --- messages and events (upstream text) ---------------------------------------------------


def test_event_created_message():
    """TestEventCreated with verifyEvents: the SuccessfulRescale text."""
    _, r = run(CASES[[c.name for c in CASES].index("TestEventCreated")])
    assert r.event == (
        "Normal", "SuccessfulRescale",
        "New size: 2; reason: cpu resource utilization (percentage of request) above target",
    )
    assert r.reason == "cpu resource utilization (percentage of request) above target"
    assert r.condition(S) == (
        S, T, "ValidMetricFound",
        "the HPA was able to successfully calculate a replica count from cpu resource "
        "utilization (percentage of request)",
    )
    assert r.condition(A)[3] == "the HPA controller was able to update the target scale to 2"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("TestTooFewReplicas", "Current number of replicas below Spec.MinReplicas"),
     ("TestTooManyReplicas", "Current number of replicas above Spec.MaxReplicas"),
     ("TestMissingReports", "All metrics below target"),
     ("TestScaleUpContainer",
      "cpu container resource utilization (percentage of request) above target")],
)
def test_rescale_reasons(name, reason):
    _, r = run(CASES[[c.name for c in CASES].index(name)])
    assert r.reason == reason
    assert r.event[2] == f"New size: {r.desired_replicas}; reason: {reason}"
    if name in ("TestTooFewReplicas", "TestTooManyReplicas"):
        assert r.metric_desired_replicas is None  # immediate: metrics are not consulted


def test_failed_metric_messages():
    c = CASES[[c.name for c in CASES].index("TestEmptyMetrics")]
    _, r = run(c)
    inner = ("failed to get cpu utilization: unable to get metrics for resource cpu: "
             "no metrics returned from resource metrics API")
    assert r.condition(S) == (
        S, F, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: " + inner
    )
    assert r.events[0] == ("Warning", "FailedGetResourceMetric", inner)
    first = "failed to get cpu resource metric value: " + inner
    assert r.event == (
        "Warning", "FailedComputeMetricsReplicas",
        f"invalid metrics (1 invalid out of 1), first error is: {first}",
    )
    assert r.error == (
        f"failed to compute desired number of replicas based on listed metrics for {KEY}: "
        f"invalid metrics (1 invalid out of 1), first error is: {first}"
    )


def test_invalid_source_type_message():
    c = CASES[[c.name for c in CASES].index("TestConditionInvalidSourceType")]
    _, r = run(c)
    assert r.condition(S)[3] == (
        'the HPA was unable to compute the replica count: unknown metric source type "CheddarCheese"'
    )


def test_partial_failure_scales_up_and_reports_error():
    c = CASES[[c.name for c in CASES].index("TestScaleUpOneMetricInvalid")]
    _, r = run(c)
    assert r.metric_statuses[1] is None and r.metric_statuses[0].average_utilization == 40
    assert r.error == (
        'invalid metrics (1 invalid out of 2), first error is: unknown metric source type '
        '"CheddarCheese"'
    )


def test_stabilization_conditions_messages():
    c = CASES[[c.name for c in CASES].index("TestStabilizeDownscale")]
    _, r = run(c)
    assert r.condition(A)[3] == (
        "recent recommendations were higher than current one, applying the highest recent "
        "recommendation"
    )
    assert r.metric_desired_replicas == 2  # 50 % of a 100 % target on 3 pods → 2


# --- beyond upstream's table: behavior memory across reconciles ---------------------------


def test_scale_events_are_stored_only_with_behavior():
    hc, r = run(CASES[[c.name for c in CASES].index("TestScaleDownWithScalingRules")])
    assert r.rescale and [(e.replica_change, e.timestamp) for e in hc.scale_down_events[KEY]] == [
        (2, NOW)]
    hc, r = run(CASES[[c.name for c in CASES].index("TestScaleDown")])
    assert r.rescale and KEY not in hc.scale_down_events


def test_initial_recommendation_is_recorded_once():
    hc = HorizontalController()
    spec = HorizontalPodAutoscalerSpec(5, 1, [MetricSpec("Resource", resource=ResourceMetricSource(
        "cpu", MetricTarget("Utilization", average_utilization=50)))])
    pods = hc_pods(3, [ONE] * 3)
    hc.reconcile_autoscaler(KEY, spec, 3, pods, hc_metrics_getter([500] * 3), NOW)
    # seeded {3, NOW}, then the raw proposal 3 (exactly at target) appended
    assert hc.recommendations[KEY] == [TimestampedRecommendation(3, NOW)] * 2
    hc.delete_hpa(KEY)
    assert KEY not in hc.recommendations


# --- beyond upstream's table: per-HPA tolerance (KEP-4951) ---------------------------------
# TestTolerance's pods give 102 % of a 100 % target: inside the 10 % default tolerance,
# outside a 1 % scale-up tolerance → ceil(1.02 × 3) = 4.


@pytest.mark.parametrize(("gate", "expected"), [(True, 4), (False, 3)])
def test_per_hpa_scale_up_tolerance(gate, expected):
    c = Case("tolerance", 1, 5, 3, 3, expected, cpu_target=100, levels=[1010, 1030, 1020],
             requests=MIXED, up=HPAScalingRules(tolerance=0.01))
    _, r = run(c, configurable_tolerance=gate)
    assert r.desired_replicas == expected
    assert r.utilization("cpu") == 102


def test_per_hpa_scale_down_tolerance():
    # TestMinReplicas-like pods at 65 % of a 100 % target: 0.65 → ceil(1.95) = 2 replicas,
    # unless a 40 % scale-down tolerance makes 0.65 "within" (0.6 ≤ 0.65).
    base = dict(cpu_target=100, levels=[650, 650, 650], requests=[ONE] * 3,
                recommendations=NO_RECS)
    _, r = run(Case("t", 1, 5, 3, 3, 2, down=HPAScalingRules(stabilization_window_seconds=0),
                    **base))
    assert r.desired_replicas == 2
    _, r = run(Case("t", 1, 5, 3, 3, 3, down=HPAScalingRules(stabilization_window_seconds=0,
                                                             tolerance=0.4), **base))
    assert r.desired_replicas == 3


def test_memory_metric_uses_no_cpu_readiness_rule():
    # Memory utilization: every pod uses 1 MiB (two 512 KiB containers) of a 2 MiB request
    # = 50 %; with a 25 % target → ratio 2 → 6. A hot, unready pod still counts (no
    # readiness rule outside CPU), unlike TestScaleUpHotCpuLessScale.
    mib = 1024 * 1024 * 1000  # milli-bytes
    pods = hc_pods(3, [ONE] * 3, readiness=[F, T, T], start_times=[HOT, COOL, COOL])
    for p in pods:
        for cont in p.containers:
            cont.requests["memory"] = mib
    spec = HorizontalPodAutoscalerSpec(10, 1, [MetricSpec("Resource", resource=ResourceMetricSource(
        "memory", MetricTarget("Utilization", average_utilization=25)))])
    hc = HorizontalController(scale_up_limit_factor=8.0)
    r = hc.reconcile_autoscaler(KEY, spec, 3, pods, hc_metrics_getter([0, 0, 0]), NOW)
    assert (r.desired_replicas, r.utilization("memory")) == (6, 50)
    assert r.reason == "memory resource utilization (percentage of request) above target"


# --- beyond upstream's table: Pods/Object/External names, messages, client arguments ----
# Texts from horizontal.go's format strings ("%s metric %s", "external metric %s(%+v)",
# "unable to get metric %s: %v on %s %s/%s", "failed to get object metric value: %v").

SELECTOR_TEXT = ("&LabelSelector{MatchLabels:map[string]string{},"
                 "MatchExpressions:[]LabelSelectorRequirement{},}")


def _case(name: str) -> Case:
    return CASES[[c.name for c in CASES].index(name)]


@pytest.mark.parametrize(("name", "metric", "status"), [
    ("TestScaleUpCMObject", "Deployment metric qps",
     MetricStatus("Object", "qps", "", None, None, 20000)),
    ("TestScaleUpPerPodCMObject", "external metric qps(nil)",
     MetricStatus("Object", "qps", "", None, 13334)),  # ceil(40000/3)
    ("TestScaleUpCMExternal", f"external metric qps({SELECTOR_TEXT})",
     MetricStatus("External", "qps", "", None, None, 8600)),
    ("TestScaleUpPerPodCMExternal", f"external metric qps({SELECTOR_TEXT})",
     MetricStatus("External", "qps", "", None, 2867)),  # ceil(8600/3)
    ("TestScaleUpCM", "pods metric qps", MetricStatus("Pods", "qps", "", None, 20000)),
])
def test_custom_metric_reason_condition_and_status(name, metric, status):
    _, r = run(_case(name))
    assert r.reason == f"{metric} above target"
    assert r.event == ("Normal", "SuccessfulRescale", f"New size: 4; reason: {metric} above target")
    assert r.condition(S)[3] == f"the HPA was able to successfully calculate a replica count from {metric}"
    assert r.metric_statuses == [status]


def test_failed_object_metric_messages():
    """TestConditionFailedGetMetrics/FailedGetObjectMetric, with the texts."""
    _, r = run(_case("TestConditionFailedGetMetrics/FailedGetObjectMetric"))
    inner = "unable to get metric qps: Deployment on test-namespace some-deployment/something went wrong"
    assert r.events[0] == ("Warning", "FailedGetObjectMetric", inner)
    assert r.condition(S) == (S, F, "FailedGetObjectMetric",
                              "the HPA was unable to compute the replica count: " + inner)
    assert r.event == ("Warning", "FailedComputeMetricsReplicas",
                       "invalid metrics (1 invalid out of 1), first error is: "
                       f"failed to get object metric value: {inner}")


def test_failed_external_metric_messages():
    """TestScaleUpOneMetricEmpty: scales on CPU and reports the External error."""
    _, r = run(_case("TestScaleUpOneMetricEmpty"))
    inner = f"unable to get external metric test-namespace/qps/{SELECTOR_TEXT}: something went wrong"
    assert r.events[0] == ("Warning", "FailedGetExternalMetric", inner)
    assert r.error == ("invalid metrics (1 invalid out of 2), first error is: failed to get qps "
                       f"external metric value: failed to get external metric qps: {inner}")
    assert (r.rescale, r.desired_replicas) == (True, 4)


def test_client_receives_namespace_selector_and_metric_selector():
    calls = ClientCalls()
    hc = HorizontalController(scale_up_limit_factor=8.0)
    spec = HorizontalPodAutoscalerSpec(6, 2, [qps(15000), obj(V, 15000, {"a": "b"}), ext(V, 6666)])
    r = hc.reconcile_autoscaler(
        "shop/web", spec, 3, hc_pods(3, [ONE] * 3), hc_metrics_getter([]), NOW,
        metrics_client=metrics_client([20000, 10000, 30000], NOW, calls=calls),
        selector={"app": "web"},
    )
    assert calls.raw == [("qps", "shop", {"app": "web"}, None)]
    assert calls.object == [("qps", "shop", DEPLOYMENT, {"a": "b"})]
    assert calls.external == [("qps", "shop", {})]
    # Pods: 20000/15000 → 4; Object: 20000/15000 × 3 → 4; External: 60000/6666 = 9.0009,
    # × 3 = 27.003 → 28 (the largest; then capped at max 6).
    assert r.metric_desired_replicas == 28 and r.desired_replicas == 6


def test_legacy_get_pods_metric_still_serves_pods_metrics():
    """TestScaleUpCM through the older ``get_pods_metric`` argument (no client)."""
    c = _case("TestScaleUpCM")
    hc = HorizontalController(300.0, TESTING_TOLERANCE, TESTING_CPU_INIT,
                              TESTING_READINESS_DELAY, scale_up_limit_factor=8.0)
    spec = HorizontalPodAutoscalerSpec(c.max, c.min, c.metrics)
    pods = hc_pods(c.status, c.requests)
    r = hc.reconcile_autoscaler(KEY, spec, c.spec, pods, hc_metrics_getter(c.levels), NOW,
                                hc_pods_metric_getter(c.levels))
    assert (r.desired_replicas, r.reason) == (4, "pods metric qps above target")
    # A client's get_raw_metric takes precedence over get_pods_metric.
    hc.delete_hpa(KEY)
    r = hc.reconcile_autoscaler(KEY, spec, c.spec, pods, hc_metrics_getter(c.levels), NOW,
                                hc_pods_metric_getter(c.levels, fail=True),
                                metrics_client=metrics_client(c.levels, NOW))
    assert r.desired_replicas == 4


def test_status_replicas_default_counts_active_pods():
    # 3 Running pods plus a Failed and a deleted one: status.replicas defaults to the 3
    # active pods, so the per-pod average of an Object AverageValue metric is 30000/3.
    pods = hc_pods(5, [ONE] * 5, phases=[RUNNING] * 3 + [FAILED, RUNNING],
                   deleted=[False] * 4 + [True])
    hc = HorizontalController()
    spec = HorizontalPodAutoscalerSpec(10, 1, [obj(AV, 10000)])
    r = hc.reconcile_autoscaler(KEY, spec, 3, pods, hc_metrics_getter([]), NOW,
                                metrics_client=metrics_client([30000], NOW))
    assert r.metric_statuses[0].average_value == 10000
    assert not r.rescale  # 30000/(10000 × 3) = 1: within tolerance
