"""Hypothesis properties of the HPA port.

* ``get_resource_replicas`` (one fused pass, arithmetic on sums) equals a literal port of
  upstream ``GetResourceReplicas`` built from ``group_pods``, ``remove_metrics_for_pods``,
  ``calculate_requests`` and ``get_resource_utilization_ratio`` on a mutated metrics map.
* After a reconcile that starts within [min, max], the desired count is within [min, max].
* With behavior policies, no rescale ever exceeds what the policy allows for its period:
  scale-ups never pass ``max(current, start-of-period + value)`` (Pods) and scale-downs
  never pass ``min(current, start-of-period − value)``.
* The legacy path never scales up past ``max(2 × current, 4)`` in one reconcile.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.k8s.hpa import (
    HorizontalController,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAError,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricSpec,
    MetricTarget,
    ReplicaCalculator,
    ResourceMetricSource,
    Tolerances,
    calculate_requests,
    get_resource_utilization_ratio,
    group_pods,
    remove_metrics_for_pods,
    set_defaults_horizontal_pod_autoscaler,
)
from capacity.k8s.types import Container, Pod, PodCondition, PodMetric
from tests.k8s.hpa_tables.fixtures import NOW


def reference_get_resource_replicas(
    rc: ReplicaCalculator, current, target, resource, tol, pods, metrics, now, container
):
    """A line-by-line port of upstream GetResourceReplicas (mutating a copy of the map)."""
    if not metrics:
        raise HPAError(f"unable to get metrics for resource {resource}: "
                       "no metrics returned from resource metrics API")
    metrics = dict(metrics)
    timestamp = next(iter(metrics.values())).timestamp
    if not pods:
        raise HPAError("no pods returned by selector while calculating replica count")
    ready, unready, missing, ignored = group_pods(
        pods, metrics, resource, rc.cpu_initialization_period,
        rc.delay_of_initial_readiness_status, now)
    remove_metrics_for_pods(metrics, ignored)
    remove_metrics_for_pods(metrics, unready)
    if not metrics:
        raise HPAError("did not receive metrics for targeted pods (pods might be unready)")
    requests = calculate_requests(pods, container, resource)
    ratio, util, raw = get_resource_utilization_ratio(metrics, requests, target)
    up_unready = bool(unready) and ratio > 1.0
    if not up_unready and not missing:
        if tol.is_within(ratio):
            return current, util, raw, timestamp
        return math.ceil(ratio * ready), util, raw, timestamp
    if missing:
        if ratio < 1.0:
            fallback = max(100, target)
            for name in missing:
                metrics[name] = PodMetric(0.0, 0.0, requests[name] * fallback // 100)
        elif ratio > 1.0:
            for name in missing:
                metrics[name] = PodMetric(0.0, 0.0, 0)
    if up_unready:
        for name in unready:
            metrics[name] = PodMetric(0.0, 0.0, 0)
    new_ratio, _, _ = get_resource_utilization_ratio(metrics, requests, target)
    if tol.is_within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, util, raw, timestamp
    new = math.ceil(new_ratio * len(metrics))
    if (new_ratio < 1.0 and new > current) or (new_ratio > 1.0 and new < current):
        return current, util, raw, timestamp
    return new, util, raw, timestamp


@st.composite
def pod_and_metric(draw, i):
    name = f"p{i}"
    phase = draw(st.sampled_from(["Running", "Running", "Running", "Pending", "Failed",
                                  "Succeeded"]))
    start = draw(st.one_of(st.none(), st.sampled_from([NOW - 1000, NOW - 100, NOW - 10, NOW])))
    cond = draw(st.one_of(
        st.none(),
        st.tuples(st.sampled_from(["True", "False"]),
                  st.sampled_from([NOW - 1000, NOW - 995, NOW - 90, NOW - 20, NOW]))))
    deleted = draw(st.booleans()) and draw(st.booleans())
    c1 = draw(st.one_of(st.none(), st.integers(0, 2000)))
    c2 = draw(st.one_of(st.none(), st.integers(1, 2000)))
    containers = [Container("a", requests={} if c1 is None else {"cpu": c1})]
    if c2 is not None or draw(st.booleans()):
        containers.append(Container("b", requests={} if c2 is None else {"cpu": c2}))
    pod = Pod(name=name, phase=phase, start_time=start, deletion_timestamp=NOW if deleted else None,
              containers=containers,
              conditions=[] if cond is None else [PodCondition("Ready", cond[0], cond[1])])
    metric = draw(st.one_of(
        st.none(),
        st.builds(PodMetric, st.sampled_from([NOW - 120, NOW - 30, NOW]),
                  st.sampled_from([15.0, 30.0, 60.0]), st.integers(0, 5000))))
    return pod, metric


@st.composite
def calc_inputs(draw):
    n = draw(st.integers(1, 8))
    pairs = [draw(pod_and_metric(i)) for i in range(n)]
    pods = [p for p, _ in pairs]
    metrics = {p.name: m for p, m in pairs if m is not None}
    for j in range(draw(st.integers(0, 2))):  # superfluous metrics of unknown pods
        metrics[f"ghost{j}"] = PodMetric(NOW, 60.0, draw(st.integers(0, 3000)))
    return (
        pods, metrics, draw(st.integers(1, 10)), draw(st.integers(10, 300)),
        draw(st.sampled_from(["cpu", "memory"])), draw(st.sampled_from(["", "a", "b"])),
        Tolerances(draw(st.sampled_from([0.0, 0.1, 0.5])), draw(st.sampled_from([0.0, 0.1, 1.0]))),
    )


def _outcome(fn, *args):
    try:
        return fn(*args)
    except HPAError as e:
        return ("error", str(e))


@settings(max_examples=400, deadline=None)
@given(calc_inputs())
def test_fused_get_resource_replicas_equals_reference(inputs):
    pods, metrics, current, target, resource, container, tol = inputs
    rc = ReplicaCalculator(0.1, 120.0, 10.0)
    got = _outcome(rc.get_resource_replicas, current, target, resource, tol, pods, metrics, NOW,
                   container)
    want = _outcome(reference_get_resource_replicas, rc, current, target, resource, tol, pods,
                    metrics, NOW, container)
    assert got == want


def _uniform_pods(n: int, utilization: int) -> tuple[list[Pod], dict[str, PodMetric]]:
    pods = [
        Pod(name=f"p{i}", phase="Running", start_time=NOW - 10_000,
            containers=[Container("a", requests={"cpu": 1000})],
            conditions=[PodCondition("Ready", "True", NOW - 10_000)])
        for i in range(n)
    ]
    return pods, {p.name: PodMetric(NOW, 60.0, 10 * utilization) for p in pods}


RULES = st.builds(
    HPAScalingRules,
    stabilization_window_seconds=st.sampled_from([None, 0, 30, 300]),
    select_policy=st.sampled_from([None, "Max", "Min", "Disabled"]),
    policies=st.one_of(st.none(), st.lists(st.builds(
        HPAScalingPolicy, st.sampled_from(["Pods", "Percent"]), st.integers(1, 300),
        st.sampled_from([15, 60, 120])), min_size=1, max_size=3)),
    tolerance=st.sampled_from([None, 0.0, 0.05, 0.3]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lo=st.integers(1, 10), span=st.integers(0, 40), data=st.data(),
    utilizations=st.lists(st.integers(0, 400), min_size=1, max_size=12),
    behavior=st.one_of(st.none(), st.builds(HorizontalPodAutoscalerBehavior, st.one_of(
        st.none(), RULES), st.one_of(st.none(), RULES))),
)
def test_desired_within_min_max(lo, span, data, utilizations, behavior):
    hi = lo + span
    spec = set_defaults_horizontal_pod_autoscaler(HorizontalPodAutoscalerSpec(
        hi, lo, [MetricSpec("Resource", resource=ResourceMetricSource(
            "cpu", MetricTarget("Utilization", average_utilization=50)))], behavior))
    hc = HorizontalController()
    current = data.draw(st.integers(lo, hi))
    now = NOW
    for u in utilizations:
        pods, metrics = _uniform_pods(current, u)
        r = hc.reconcile_autoscaler("k", spec, current, pods, lambda res, c, m=metrics: m, now)
        assert lo <= r.desired_replicas <= hi
        current = r.desired_replicas
        now += 15.0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    up_value=st.integers(1, 6), up_period=st.sampled_from([15, 30, 60]),
    down_value=st.integers(1, 6), down_period=st.sampled_from([15, 30, 60]),
    utilizations=st.lists(st.integers(0, 500), min_size=2, max_size=25),
    start=st.integers(1, 20),
)
def test_behavior_rate_limits_never_exceeded(
    up_value, up_period, down_value, down_period, utilizations, start
):
    behavior = HorizontalPodAutoscalerBehavior(
        HPAScalingRules(0, "Max", [HPAScalingPolicy("Pods", up_value, up_period)]),
        HPAScalingRules(0, "Max", [HPAScalingPolicy("Pods", down_value, down_period)]),
    )
    spec = set_defaults_horizontal_pod_autoscaler(HorizontalPodAutoscalerSpec(
        100, 1, [MetricSpec("Resource", resource=ResourceMetricSource(
            "cpu", MetricTarget("Utilization", average_utilization=50)))], behavior))
    hc = HorizontalController()
    history = [(NOW - 10_000.0, start)]  # (time, replicas after that time)
    current = start
    now = NOW
    for u in utilizations:
        pods, metrics = _uniform_pods(current, u)
        r = hc.reconcile_autoscaler("k", spec, current, pods, lambda res, c, m=metrics: m, now)
        new = r.desired_replicas

        def replicas_just_after(t: float) -> int:
            # the count in force right after time t (events at exactly t are outside)
            value = history[0][1]
            for ts, reps in history:
                if ts <= t:
                    value = reps
            return value

        if new > current:
            assert new <= max(current, replicas_just_after(now - up_period) + up_value)
        elif new < current:
            assert new >= min(current, replicas_just_after(now - down_period) - down_value)
        if new != current:
            history.append((now, new))
        current = new
        now += 15.0


@settings(max_examples=200, deadline=None)
@given(current=st.integers(1, 30), utilization=st.integers(0, 2000))
def test_legacy_scale_up_limit(current, utilization):
    spec = set_defaults_horizontal_pod_autoscaler(HorizontalPodAutoscalerSpec(1000, 1))
    hc = HorizontalController()
    pods, metrics = _uniform_pods(current, utilization)
    r = hc.reconcile_autoscaler("k", spec, current, pods, lambda res, c: metrics, NOW)
    assert r.desired_replicas <= max(2 * current, 4)
