"""Pods, Object and External metrics: upstream ``replica_calculator_test.go`` cases.

Each case of :mod:`tests.k8s.hpa_tables.replica_calc_metrics` (named after the upstream
test it ports) runs twice: on the value-level :class:`ReplicaCalculator` methods, and
end to end through ``HorizontalController.compute_replicas_for_metric`` with a fake
:class:`MetricsClient`, which is what upstream's test does (the calculator fetches through
the metrics client there). The fake checks the arguments, as upstream's fake clients do.
"""

from __future__ import annotations

import pytest

from capacity.k8s.hpa import (
    AVERAGE_VALUE_METRIC_TYPE,
    EXTERNAL_METRIC_SOURCE_TYPE,
    OBJECT_METRIC_SOURCE_TYPE,
    PODS_METRIC_SOURCE_TYPE,
    VALUE_METRIC_TYPE,
    CrossVersionObjectReference,
    ExternalMetricSource,
    HorizontalController,
    HorizontalPodAutoscalerSpec,
    MetricIdentifier,
    MetricsClient,
    MetricSpec,
    MetricTarget,
    ObjectMetricSource,
    PodsMetricSource,
    ReplicaCalculator,
    Tolerances,
)
from capacity.k8s.hpa_types import MIN_INT64
from tests.k8s.hpa_tables.fixtures import (
    GO_ZERO_TIME,
    NOW,
    TESTING_CPU_INIT,
    TESTING_READINESS_DELAY,
    TESTING_TOLERANCE,
    ClientCalls,
    metrics_client,
    pod_metrics,
    rc_pods,
)
from tests.k8s.hpa_tables.replica_calc_metrics import (
    CASES,
    EXTERNAL,
    EXTERNAL_PER_POD,
    OBJECT,
    OBJECT_PER_POD,
    PODS,
    MetricCase,
)

NAMESPACE = "test-namespace"
DEPLOYMENT = CrossVersionObjectReference("Deployment", "some-deployment", "apps/v1")
EXTERNAL_SELECTOR = {"label": "value"}  # upstream's metric selector for external cases
POD_SELECTOR = {"name": "test-pod"}


def calc() -> ReplicaCalculator:
    return ReplicaCalculator(TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY)


def tolerances(c: MetricCase) -> Tolerances:
    return Tolerances(*(c.tolerances or (TESTING_TOLERANCE, TESTING_TOLERANCE)))


def pods_of(c: MetricCase):
    return rc_pods(c.current, (), c.readiness, c.start_times, c.phases)


def metric_spec(c: MetricCase) -> MetricSpec:
    if c.kind == PODS:
        return MetricSpec(PODS_METRIC_SOURCE_TYPE, pods=PodsMetricSource(
            MetricIdentifier("qps"), MetricTarget(AVERAGE_VALUE_METRIC_TYPE, average_value=c.target)))
    if c.kind in (OBJECT, OBJECT_PER_POD):
        target = (MetricTarget(VALUE_METRIC_TYPE, value=c.target) if c.kind == OBJECT
                  else MetricTarget(AVERAGE_VALUE_METRIC_TYPE, average_value=c.target))
        return MetricSpec(OBJECT_METRIC_SOURCE_TYPE, object=ObjectMetricSource(
            DEPLOYMENT, MetricIdentifier("qps"), target))
    target = (MetricTarget(VALUE_METRIC_TYPE, value=c.target) if c.kind == EXTERNAL
              else MetricTarget(AVERAGE_VALUE_METRIC_TYPE, average_value=c.target))
    return MetricSpec(EXTERNAL_METRIC_SOURCE_TYPE, external=ExternalMetricSource(
        MetricIdentifier("qps", EXTERNAL_SELECTOR), target))


@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in CASES])
def test_replica_calc_values(c: MetricCase):
    """The calculator's arithmetic on the value the metrics client would return."""
    rc, tol, pods = calc(), tolerances(c), pods_of(c)
    if c.kind == PODS:
        got = rc.calc_plain_metric_replicas(pod_metrics(c.levels), c.current, c.target, tol,
                                            pods, "", NOW)
    elif c.kind == OBJECT:
        got = rc.get_object_metric_replicas(c.current, c.target, c.levels[0], tol, pods)
    elif c.kind == OBJECT_PER_POD:
        got = rc.get_object_per_pod_metric_replicas(c.current, c.target, c.levels[0], tol)
    elif c.kind == EXTERNAL:
        got = rc.get_external_metric_replicas(c.current, c.target, c.levels, tol, pods)
    else:
        got = rc.get_external_per_pod_metric_replicas(c.current, c.target, c.levels, tol)
    assert got == (c.expected_replicas, c.expected_usage)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in CASES])
def test_replica_calc_through_metrics_client(c: MetricCase):
    """Upstream's ``runTest``: fetch through the (fake) metrics client, then calculate."""
    hc = HorizontalController(300.0, TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY)
    calls = ClientCalls()
    spec = HorizontalPodAutoscalerSpec(10, 1, [metric_spec(c)])
    replicas, name, ts, status, condition, err = hc.compute_replicas_for_metric(
        spec, spec.metrics[0], c.current, pods_of(c), _no_resource_metrics, NOW, tolerances(c),
        [], metrics_client=metrics_client(c.levels, calls=calls), status_replicas=c.current,
        selector=POD_SELECTOR, namespace=NAMESPACE,
    )
    assert (err, condition) == (None, None)
    assert replicas == c.expected_replicas
    assert ts == GO_ZERO_TIME  # the fake's timestamp
    assert status is not None and status.name == "qps"
    if c.kind in (OBJECT, EXTERNAL):
        assert (status.value, status.average_value) == (c.expected_usage, None)
    else:
        assert (status.value, status.average_value) == (None, c.expected_usage)
    # The arguments the fake clients check upstream.
    if c.kind == PODS:
        assert calls.raw == [("qps", NAMESPACE, POD_SELECTOR, None)]
        assert name == "pods metric qps"
    elif c.kind in (OBJECT, OBJECT_PER_POD):
        assert calls.object == [("qps", NAMESPACE, DEPLOYMENT, None)]
    else:
        assert calls.external == [("qps", NAMESPACE, EXTERNAL_SELECTOR)]


def _no_resource_metrics(resource: str, container: str):
    raise AssertionError("resource metrics API must not be called")


# --- beyond upstream's table: names and errors as horizontal.go formats them -------------
# The expected texts come from the format strings of computeStatusFor*Metric and the
# calculator's Get*Replicas (upstream's tests do not check them).


def _compute(c: MetricCase, client: MetricsClient | None, events: list):
    hc = HorizontalController(300.0, TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY)
    spec = HorizontalPodAutoscalerSpec(10, 1, [metric_spec(c)])
    return hc.compute_replicas_for_metric(
        spec, spec.metrics[0], c.current, pods_of(c), _no_resource_metrics, NOW, None, events,
        metrics_client=client, status_replicas=c.current, namespace=NAMESPACE,
    )


def _case(kind: str) -> MetricCase:
    return next(c for c in CASES if c.kind == kind)


SELECTOR_TEXT = ("&LabelSelector{MatchLabels:map[string]string{label: value,},"
                 "MatchExpressions:[]LabelSelectorRequirement{},}")


@pytest.mark.parametrize(("kind", "metric_name"), [
    (PODS, "pods metric qps"),
    (OBJECT, "Deployment metric qps"),
    # upstream names an Object AverageValue metric "external metric …" (sic)
    (OBJECT_PER_POD, "external metric qps(nil)"),
    (EXTERNAL, f"external metric qps({SELECTOR_TEXT})"),
    (EXTERNAL_PER_POD, f"external metric qps({SELECTOR_TEXT})"),
])
def test_metric_names(kind, metric_name):
    _, name, _, _, _, err = _compute(_case(kind), metrics_client(_case(kind).levels), [])
    assert err is None and name == metric_name


FAILED = "something went wrong"
OBJ_INNER = f"unable to get metric qps: Deployment on {NAMESPACE} some-deployment/{FAILED}"
EXT_INNER = f"unable to get external metric {NAMESPACE}/qps/{SELECTOR_TEXT}: {FAILED}"


@pytest.mark.parametrize(("kind", "reason", "inner", "returned"), [
    (PODS, "FailedGetPodsMetric", f"unable to get metric qps: {FAILED}",
     f"failed to get pods metric value: unable to get metric qps: {FAILED}"),
    (OBJECT, "FailedGetObjectMetric", OBJ_INNER, f"failed to get object metric value: {OBJ_INNER}"),
    (OBJECT_PER_POD, "FailedGetObjectMetric", OBJ_INNER,
     f"failed to get object metric value: failed to get qps object metric: {OBJ_INNER}"),
    (EXTERNAL, "FailedGetExternalMetric", EXT_INNER,
     f"failed to get qps external metric value: failed to get external metric qps: {EXT_INNER}"),
    (EXTERNAL_PER_POD, "FailedGetExternalMetric", EXT_INNER,
     f"failed to get qps external metric value: failed to get qps external metric: {EXT_INNER}"),
])
def test_client_errors(kind, reason, inner, returned):
    """The condition and event carry the calculator's error; the returned error wraps it."""
    c = _case(kind)
    events: list = []
    client = metrics_client(c.levels, fail_custom=True, fail_external=True)
    replicas, name, _, status, condition, err = _compute(c, client, events)
    assert (replicas, name, status) == (0, "", None)
    assert condition == ("ScalingActive", "False", reason,
                         f"the HPA was unable to compute the replica count: {inner}")
    assert events == [("Warning", reason, inner)]
    assert str(err) == returned


@pytest.mark.parametrize(("kind", "reason", "inner"), [
    (PODS, "FailedGetPodsMetric", "unable to get metric qps: no metrics returned from custom "
     "metrics API"),
    (EXTERNAL, "FailedGetExternalMetric", f"unable to get external metric {NAMESPACE}/qps/"
     f"{SELECTOR_TEXT}: no metrics returned from external metrics API"),
])
def test_empty_results_are_the_rest_clients_errors(kind, reason, inner):
    c = _case(kind)
    events: list = []
    _, _, _, _, condition, err = _compute(c, metrics_client(()), events)
    assert err is not None and condition[2] == reason
    assert events == [("Warning", reason, inner)]


@pytest.mark.parametrize(("kind", "reason", "inner"), [
    (PODS, "FailedGetPodsMetric", "unable to get metric qps: no custom metrics client was given"),
    (OBJECT, "FailedGetObjectMetric",
     f"unable to get metric qps: Deployment on {NAMESPACE} some-deployment/no custom metrics "
     "client was given"),
    (EXTERNAL, "FailedGetExternalMetric",
     f"unable to get external metric {NAMESPACE}/qps/{SELECTOR_TEXT}: no external metrics "
     "client was given"),
])
def test_no_client_fails_like_a_client_error(kind, reason, inner):
    events: list = []
    _, _, _, _, condition, err = _compute(_case(kind), None, events)
    assert err is not None and condition[2] == reason and events[0][2] == inner


@pytest.mark.parametrize(("source", "reason", "text"), [
    (MetricSpec(OBJECT_METRIC_SOURCE_TYPE, object=ObjectMetricSource(
        DEPLOYMENT, MetricIdentifier("qps"), MetricTarget(VALUE_METRIC_TYPE, average_value=5))),
     "FailedGetObjectMetric",
     "invalid object metric source: neither a value target nor an average value target was set"),
    (MetricSpec(EXTERNAL_METRIC_SOURCE_TYPE, external=ExternalMetricSource(
        MetricIdentifier("qps"), MetricTarget(VALUE_METRIC_TYPE))),
     "FailedGetExternalMetric",
     "invalid external metric source: neither a value target nor an average value target was set"),
    (MetricSpec(OBJECT_METRIC_SOURCE_TYPE), "FailedGetObjectMetric",
     "invalid object metric source: neither a value target nor an average value target was set"),
])
def test_invalid_targets(source, reason, text):
    # An Object Value target must have type Value *and* a value (upstream checks both).
    hc = HorizontalController()
    spec = HorizontalPodAutoscalerSpec(10, 1, [source])
    events: list = []
    _, _, _, _, condition, err = hc.compute_replicas_for_metric(
        spec, source, 3, rc_pods(3), _no_resource_metrics, NOW, None, events,
        metrics_client=metrics_client((1000,)),
    )
    assert condition[2] == reason and events == [("Warning", reason, text)]
    assert str(err).endswith(text)


def test_object_value_with_no_ready_pods_reports_the_ready_pods_error():
    # getUsageRatioReplicaCount needs the pod list; an empty one is an error.
    c = _case(OBJECT)
    hc = HorizontalController()
    spec = HorizontalPodAutoscalerSpec(10, 1, [metric_spec(c)])
    events: list = []
    _, _, _, _, condition, err = hc.compute_replicas_for_metric(
        spec, spec.metrics[0], 3, [], _no_resource_metrics, NOW, None, events,
        metrics_client=metrics_client((20000,)),
    )
    assert condition[2] == "FailedGetObjectMetric"
    assert events[0][2] == ("unable to calculate ready pods: no pods returned by selector while "
                            "calculating replica count")
    assert str(err).startswith("failed to get object metric value: unable to calculate ready pods")


def test_per_pod_with_zero_status_replicas_divides_like_go():
    # status.replicas 0 (scaled to zero): ratio 20000/(5000·0) = +Inf is outside any
    # tolerance, so the proposal is ceil(20000/5000) = 4; the per-pod average 20000/0 is
    # +Inf, which Go's int64 conversion turns into MinInt64 on amd64.
    assert calc().get_object_per_pod_metric_replicas(0, 5000, 20000, None) == (4, MIN_INT64)
    assert calc().get_external_per_pod_metric_replicas(0, 5000, [20000], None) == (4, MIN_INT64)
    # 0/0 is NaN: also outside tolerance, ceil(0/5000) = 0 replicas.
    assert calc().get_object_per_pod_metric_replicas(0, 5000, 0, None) == (0, MIN_INT64)


def test_float64_division_as_go():
    # Go divides float64(usage) by float64(target); Python's int/int division rounds the
    # exact quotient and can differ above 2**53. Here float64(u)/float64(t) is exactly 1.0
    # (within a zero tolerance: stay at 3), while u/t rounds to 1.0000000000000002
    # (outside it: ceil(1.0000000000000002 × 3) = 4).
    u, t = 715116816985516952, 715116816985516867
    assert u / t != 1.0 and float(u) / float(t) == 1.0
    replicas, _ = calc().get_object_metric_replicas(3, t, u, Tolerances(0.0, 0.0), rc_pods(3))
    assert replicas == 3


def test_label_selector_string():
    from capacity.k8s.hpa import LabelSelector, LabelSelectorRequirement, label_selector_string

    sel = LabelSelector({"b": "2", "a": "1"},
                        [LabelSelectorRequirement("zone", "In", ["x", "y"])])
    assert label_selector_string(sel) == (
        "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:"
        "[]LabelSelectorRequirement{LabelSelectorRequirement{Key:zone,Operator:In,"
        "Values:[x y],},},}"
    )
    assert label_selector_string(None) == "nil"
    assert label_selector_string({}) == (
        "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:"
        "[]LabelSelectorRequirement{},}"
    )
