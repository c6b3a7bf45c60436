"""Ported tables of upstream ``replica_calculator_test.go`` and ``metrics/utilization_test.go``.

Source: kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go
(TestReplicaCalcResourceScale, ...ConfigurableTolerance, ...Tolerance, the
...MissingMetrics* and ...SuperfluousMetrics/EmptyMetrics/DisjointResourcesMetrics
resource cases, ...ComputedToleranceAlgImplementation, TestGroupPods,
TestCalculateRequests with its three pod-level-resources cases,
TestCalculatePodRequestsFromContainers_NonExistentContainer) and
metrics/utilization_test.go. Inputs and expected outputs are upstream's; the fixtures
(tests/k8s/hpa_tables/fixtures.py) rebuild what upstream's fake clients return. The
Pods/Object/External cases are in test_hpa_replica_calc_metrics.py.

Version gates: TestGroupPods' cases use phase Succeeded and predate k/k PR #141302, so
they run with the pre-1.38 behaviour (Succeeded pods not ignored); the 1.38 side is
tested separately below, with the two "succeeded pods ignored" cases that PR added to
TestReplicaCalcResourceScale.
"""

from __future__ import annotations

import math

import pytest

from capacity.k8s.hpa import (
    HPAError,
    MissingRequestError,
    ReplicaCalculator,
    Tolerances,
    calculate_pod_level_requests,
    calculate_pod_requests_from_containers,
    calculate_requests,
    get_metric_usage_ratio,
    get_resource_utilization_ratio,
    group_pods,
    remove_metrics_for_pods,
)
from capacity.k8s.types import Container, Pod, PodCondition, PodMetric, ResourceRequirements
from tests.k8s.hpa_tables.fixtures import (
    COOL,
    FAILED,
    GO_ZERO_TIME,
    HOT,
    NOW,
    PENDING,
    RUNNING,
    TESTING_CPU_INIT,
    TESTING_READINESS_DELAY,
    TESTING_TOLERANCE,
    F,
    T,
    each_container,
    milli,
    pod_metrics,
    rc_pods,
    resource_metrics,
)


def calc() -> ReplicaCalculator:
    return ReplicaCalculator(TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY)


def reqs(n: int, cores: str = "1.0") -> list[int]:
    return [milli(cores)] * n


# Each resource case: name, fixture kwargs, levels, container, target, expected
# (replicas, utilization, raw) or an error substring, tolerances (down, up) or None.
RESOURCE_SCALE = [
    ("scale up", dict(current=3, requests=reqs(3)), each_container(300, 500, 700), "", 30, (5, 50, 2 * 500)),
    ("scale up: container metric", dict(current=3, requests=reqs(3)),
     [[1000, 300], [1000, 500], [1000, 700]], "container2", 30, (5, 50, 500)),
    ("scale up: unready pod scales less", dict(current=3, requests=reqs(3), readiness=[F, T, T]),
     each_container(300, 500, 700), "", 30, (4, 60, 2 * 600)),
    ("scale up: hot-CPU container scales less",
     dict(current=3, requests=reqs(3), start_times=[HOT, COOL, COOL]),
     [[0, 300], [0, 500], [0, 700]], "container2", 30, (4, 60, 600)),
    ("scale up: hot-CPU pod scales less",
     dict(current=3, requests=reqs(3), start_times=[HOT, COOL, COOL]),
     each_container(300, 500, 700), "", 30, (4, 60, 2 * 600)),
    ("no scale: unready pods ignored", dict(current=3, requests=reqs(3), readiness=[T, F, F]),
     each_container(400, 500, 700), "", 30, (3, 40, 2 * 400)),
    ("no scale: hot-CPU pods ignored",
     dict(current=3, requests=reqs(3), readiness=[T, F, F], start_times=[COOL, HOT, HOT]),
     each_container(400, 500, 700), "", 30, (3, 40, 2 * 400)),
    ("scale up: failed pods ignored",
     dict(current=2, requests=reqs(4), readiness=[T, T, F, F],
          phases=[RUNNING, RUNNING, FAILED, FAILED]),
     each_container(500, 700), "", 30, (4, 60, 2 * 600)),
    ("scale up: failed pods ignored with missing container metric",
     dict(current=2, requests=reqs(4), readiness=[T, T, F, F],
          phases=[RUNNING, RUNNING, FAILED, FAILED]),
     [[1000, 500], [9000, 700], [1000], [9000]], "container2", 30, (4, 60, 600)),
    ("scale up: container metrics with failed pods ignored",
     dict(current=2, requests=reqs(4), readiness=[T, T, F, F],
          phases=[RUNNING, RUNNING, FAILED, FAILED]),
     [[1000, 500], [9000, 700]], "container2", 30, (4, 60, 600)),
    ("scale up: pods being deleted are ignored",
     dict(current=2, requests=reqs(4), readiness=[T, T, F, F], phases=[RUNNING] * 4,
          deleted=[False, False, True, True]),
     each_container(500, 700), "", 30, (4, 60, 2 * 600)),
    ("scale up: container metrics with pods being deleted ignored",
     dict(current=2, requests=reqs(4), readiness=[T, T, F, F], phases=[RUNNING] * 4,
          deleted=[False, False, True, True]),
     each_container(500, 700), "container1", 30, (4, 60, 600)),
    ("scale down", dict(current=5, requests=reqs(5)), each_container(100, 300, 500, 250, 250),
     "", 50, (3, 28, 2 * 280)),
    ("scale down: container metric", dict(current=5, requests=reqs(5)),
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], "container2", 50,
     (3, 28, 280)),
    ("scale down: exclude unready pods",
     dict(current=5, requests=reqs(5), readiness=[T, T, T, F, F]),
     each_container(100, 300, 500, 250, 250), "", 50, (2, 30, 2 * 300)),
    ("scale down: container metric excludes unready pods",
     dict(current=5, requests=reqs(5), readiness=[T, T, T, F, F]),
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], "container2", 50,
     (2, 30, 300)),
    ("scale down: exclude unscheduled pods",
     dict(current=5, requests=reqs(5), readiness=[T, F, F, F, F],
          phases=[RUNNING, PENDING, PENDING, PENDING, PENDING]),
     each_container(100), "", 50, (1, 10, 2 * 100)),
    ("scale down: container metric excludes unscheduled pods",
     dict(current=5, requests=reqs(5), readiness=[T, F, F, F, F],
          phases=[RUNNING, PENDING, PENDING, PENDING, PENDING]),
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], "container2", 50,
     (1, 10, 100)),
    ("scale down: ignore hot-CPU pods",
     dict(current=5, requests=reqs(5), start_times=[COOL, COOL, COOL, HOT, HOT]),
     each_container(100, 300, 500, 250, 250), "", 50, (2, 30, 2 * 300)),
    ("scale down: container metric ignores hot-CPU pods",
     dict(current=5, requests=reqs(5), start_times=[COOL, COOL, COOL, HOT, HOT]),
     [[1000, 100], [1000, 300], [1000, 500], [1000, 1000], [1000, 1000]], "container2", 50,
     (2, 30, 300)),
    ("scale down: failed pods ignored",
     dict(current=5, requests=reqs(7), readiness=[T, T, T, T, T, F, F],
          phases=[RUNNING] * 5 + [FAILED, FAILED]),
     each_container(100, 300, 500, 250, 250), "", 50, (3, 28, 2 * 280)),
    ("scale down: container metric with failed pods ignored",
     dict(current=5, requests=reqs(7), readiness=[T, T, T, T, T, F, F],
          phases=[RUNNING] * 5 + [FAILED, FAILED]),
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], "container2", 50,
     (3, 28, 280)),
    ("scale down: pods being deleted are ignored",
     dict(current=5, requests=reqs(7), readiness=[T, T, T, T, T, F, F], phases=[RUNNING] * 7,
          deleted=[False] * 5 + [True, True]),
     each_container(100, 300, 500, 250, 250), "", 50, (3, 28, 2 * 280)),
    ("scale down: still-running pods being deleted are ignored",
     dict(current=5, requests=reqs(7), readiness=[T, T, T, T, T, F, F], phases=[RUNNING] * 7,
          deleted=[False] * 5 + [True, True]),
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], "container2", 50,
     (3, 28, 280)),
]

MIXED = [milli("0.9"), milli("1.0"), milli("1.1")]

RESOURCE_TOLERANCE = [
    ("within default tolerance", None, each_container(1010, 1030, 1020), (3, 102, 2 * 1020)),
    ("outside 0% tolerance", (0.0, 0.0), each_container(909, 1010, 1111), (4, 101, 2 * 1010)),
    ("within 200% scale-up tolerance", (TESTING_TOLERANCE, 2.0),
     each_container(1890, 1910, 1900), (3, 190, 2 * 1900)),
    ("outside 8% scale-up tolerance (superfluous scale-down tolerance)", (2.0, 0.08),
     each_container(1100, 1080, 1090), (4, 109, 2 * 1090)),
    ("within 36% scale-down tolerance", (0.36, TESTING_TOLERANCE),
     each_container(660, 640, 650), (3, 65, 2 * 650)),
    ("outside 34% scale-down tolerance", (0.34, TESTING_TOLERANCE),
     each_container(660, 640, 650), (2, 65, 2 * 650)),
]

RESOURCE_MISSING = [
    # 4 pods but 6 metrics: the extra two are ignored by the ratio (no request);
    # (4000+9500+3000+7000)·2 / 8000 = 587 %, ratio 5.87 × 4 ready → 24.
    ("superfluous metrics counted", dict(current=4, requests=reqs(4)),
     each_container(4000, 9500, 3000, 7000, 3200, 2000), 100, (24, 587, 2 * 5875), ()),
    # ready 990/4000 = 24 %; missing pods count 100 % on scale-down: 4990/8000 = 62 %,
    # 0.62 × 4 → 3.
    ("some pods missing metrics scales down", dict(current=4, requests=reqs(4)),
     each_container(400, 95), 100, (3, 24, 495), ()),
    ("no change: metric equal to target", dict(current=2, requests=reqs(2)),
     each_container(1000), 100, (2, 100, 2 * 1000), ()),
    ("no change: metric above target", dict(current=2, requests=reqs(2)),
     each_container(1900), 100, (2, 190, 2 * 1900), ()),
    ("no change: metric below target", dict(current=2, requests=reqs(2)),
     each_container(600), 100, (2, 60, 2 * 600), ()),
    ("no change: unready pod metric missing",
     dict(current=3, requests=reqs(3), readiness=[F, T, T]),
     each_container(100, 450), 50, (3, 45, 2 * 450), ()),
    ("no change: hot-CPU pod metric missing",
     dict(current=3, requests=reqs(3), start_times=[HOT, COOL, COOL]),
     each_container(100, 450), 50, (3, 45, 2 * 450), ()),
    ("scale up: unready pod metric missing",
     dict(current=3, requests=reqs(3), readiness=[F, T, T]),
     each_container(100, 2000), 50, (4, 200, 2 * 2000), ()),
    ("scale up: hot-CPU pod metric missing",
     dict(current=3, requests=reqs(3), readiness=[F, T, T], start_times=[HOT, COOL, COOL]),
     each_container(100, 2000), 50, (4, 200, 2 * 2000), ()),
    ("scale down: unready pod metric missing",
     dict(current=4, requests=reqs(4), readiness=[F, T, T, T]),
     each_container(100, 100, 100), 50, (3, 10, 2 * 100), ()),
    # missing pod counts at the 300 % target: (400 + 4000·3)/(6000+4000) = 124 %,
    # 1.24/3 × 3 counted pods → 2.
    ("scale down: target over 100",
     dict(current=4, requests=[1000, 1000, 2000, 2000], readiness=[F, T, T, T]),
     each_container(200, 100, 100), 300, (2, 6, 2 * 100), ()),
    ("rolling update with maxSurge: extra pod missing metric",
     dict(current=2, requests=reqs(3), phases=[RUNNING] * 3),
     each_container(100, 100), 50, (2, 10, 2 * 100), ()),
    ("disjoint pod and metric names", dict(current=1, requests=reqs(1)),
     each_container(100), 100, "no metrics returned matched known pods", ["an-older-pod-name"]),
    ("no metrics returned from metrics API", dict(current=4, requests=reqs(3)),
     [], 100,
     "unable to get metrics for resource cpu: no metrics returned from resource metrics API", ()),
    ("missing CPU request on container", dict(current=1, requests=[]),
     each_container(200), 100, "missing request for", ()),
]


def _run_resource(fixture, levels, container, target, tolerances, pod_names=()):
    pods = rc_pods(
        fixture["current"],
        fixture.get("requests", ()),
        fixture.get("readiness"),
        fixture.get("start_times"),
        fixture.get("phases"),
        fixture.get("deleted"),
    )
    metrics = resource_metrics(levels, container, pod_names=pod_names)
    tol = Tolerances(*tolerances) if tolerances else Tolerances(TESTING_TOLERANCE, TESTING_TOLERANCE)
    return calc().get_resource_replicas(
        fixture["current"], target, "cpu", tol, pods, metrics, NOW, container
    )


@pytest.mark.parametrize(
    ("fixture", "levels", "container", "target", "expected"),
    [pytest.param(*c[1:], id=c[0]) for c in RESOURCE_SCALE],
)
def test_replica_calc_resource_scale(fixture, levels, container, target, expected):
    replicas, utilization, raw, ts = _run_resource(fixture, levels, container, target, None)
    assert (replicas, utilization, raw) == expected
    assert ts == GO_ZERO_TIME  # the fixture's metric timestamp


@pytest.mark.parametrize(
    ("tolerances", "levels", "expected"), [pytest.param(*c[1:], id=c[0]) for c in RESOURCE_TOLERANCE]
)
def test_replica_calc_resource_tolerance(tolerances, levels, expected):
    fixture = dict(current=3, requests=MIXED)
    assert _run_resource(fixture, levels, "", 100, tolerances)[:3] == expected


@pytest.mark.parametrize(
    ("fixture", "levels", "target", "expected", "pod_names"),
    [pytest.param(*c[1:], id=c[0]) for c in RESOURCE_MISSING],
)
def test_replica_calc_resource_missing_metrics(fixture, levels, target, expected, pod_names):
    if isinstance(expected, str):
        with pytest.raises(HPAError, match=expected):
            _run_resource(fixture, levels, "", target, None, pod_names)
    else:
        assert _run_resource(fixture, levels, "", target, None, pod_names)[:3] == expected


def test_replica_calc_computed_tolerance_alg_implementation():
    # Upstream derives the target from the tolerance; the same arithmetic here.
    start_pods = 10
    total_used = start_pods * 150
    total_requested = 2 * total_used
    requested_to_used = float(total_requested // total_used)
    per_pod_requested = total_requested // start_pods
    target = abs(1 / (requested_to_used * (1 - TESTING_TOLERANCE))) + 0.01
    final_target = int(target * 100)
    used_ratio = total_used / (total_requested * target)
    final_pods = math.ceil(used_ratio * start_pods)
    assert (final_target, final_pods) == (56, 9)  # 50 % used of a 56 % target → 9 pods
    deltas = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0]
    pods = rc_pods(start_pods, [per_pod_requested + d for d in deltas])
    metrics = resource_metrics(each_container(*[total_used // 10] * 10))
    rc = calc()
    replicas, utilization, raw, _ = rc.get_resource_replicas(
        start_pods, final_target, "cpu", None, pods, metrics, NOW
    )
    assert (replicas, utilization, raw) == (final_pods, 50, 2 * total_used // 10)
    # Within a hair of the tolerance: no scaling.
    target = abs(1 / (requested_to_used * (1 - TESTING_TOLERANCE))) + 0.004
    replicas, _, _, _ = rc.get_resource_replicas(
        start_pods, int(target * 100), "cpu", None, pods, metrics, NOW
    )
    assert replicas == start_pods


# --- Pods (custom) metrics: GetMetricReplicas ---------------------------------------------
# The upstream-named Pods/Object/External cases are in test_hpa_replica_calc_metrics.py.


def test_get_metric_replicas_no_metrics():
    with pytest.raises(HPAError, match="unable to get metric qps: no metrics returned from custom"):
        calc().get_metric_replicas(3, 100, "qps", None, rc_pods(3), {}, NOW)


def test_raw_resource_replicas_average_value():
    # AverageValue on a resource takes the plain path with CPU readiness rules:
    # pod 0 is unready (Ready=False, never ready), pods 1–2 average (2·500+2·700)/2 = 1200m;
    # target 400m → ratio 3 > 1 with an unready pod → rebalance: (1000+1400+0)/3 = 800m,
    # 800/400 = 2 → ceil(2 × 3) = 6.
    pods = rc_pods(3, reqs(3), readiness=[F, T, T])
    metrics = resource_metrics(each_container(300, 500, 700))
    replicas, usage, ts = calc().get_raw_resource_replicas(3, 400, "cpu", None, pods, metrics, NOW)
    assert (replicas, usage, ts) == (6, 1200, GO_ZERO_TIME)


# --- Object / External metrics (values as arguments) -------------------------------------


def test_usage_ratio_replica_count_from_zero_ignores_tolerance():
    # current 0: ceil(ratio) without tolerance or ready pods (scale from zero).
    assert calc().get_usage_ratio_replica_count(0, 1.0, None, []) == 1
    assert calc().get_usage_ratio_replica_count(0, 20000 / 15000, None, []) == 2
    with pytest.raises(HPAError, match="unable to calculate ready pods: no pods returned"):
        calc().get_usage_ratio_replica_count(3, 2.0, None, [])


# --- groupPods ----------------------------------------------------------------------------


def _gp(name, phase, start=None, cond=None, deleted=None):
    conditions = [PodCondition("Ready", cond[0], cond[1])] if cond else []
    return Pod(name=name, phase=phase, start_time=start, conditions=conditions,
               deletion_timestamp=deleted)


def _m(value=1, ts=GO_ZERO_TIME, window=0.0):
    return PodMetric(ts, window, value)


SUCC = "Succeeded"
GROUP_PODS = [
    ("void", [], {}, "cpu", (0, set(), set(), set())),
    ("count in a ready pod - memory", [_gp("bentham", SUCC)],
     {"bentham": _m(1, NOW, 60.0)}, "memory", (1, set(), set(), set())),
    ("unready a pod without ready condition - CPU", [_gp("lucretius", SUCC, start=NOW)],
     {"lucretius": _m()}, "cpu", (0, {"lucretius"}, set(), set())),
    ("count in a ready pod with fresh metrics during initialization period - CPU",
     [_gp("bentham", SUCC, NOW - 60, (T, NOW - 30))], {"bentham": _m(1, NOW, 30.0)}, "cpu",
     (1, set(), set(), set())),
    ("unready a ready pod without fresh metrics during initialization period - CPU",
     [_gp("bentham", SUCC, NOW - 60, (T, NOW - 30))], {"bentham": _m(1, NOW, 60.0)}, "cpu",
     (0, {"bentham"}, set(), set())),
    ("unready an unready pod during initialization period - CPU",
     [_gp("lucretius", SUCC, NOW - 600, (F, NOW - 594))], {"lucretius": _m()}, "cpu",
     (0, {"lucretius"}, set(), set())),
    ("count in a ready pod without fresh metrics after initialization period - CPU",
     [_gp("bentham", SUCC, NOW - 180, (T, NOW - 180))], {"bentham": _m(1, NOW - 120, 60.0)},
     "cpu", (1, set(), set(), set())),
    ("count in an unready pod that was ready after initialization period - CPU",
     [_gp("lucretius", SUCC, NOW - 600, (F, NOW - 540))], {"lucretius": _m()}, "cpu",
     (1, set(), set(), set())),
    # start + 10 s == lastTransitionTime: "After" is strict, so the pod counts as ready.
    ("unready pod that has never been ready after initialization period - CPU",
     [_gp("lucretius", SUCC, NOW - 600, (F, NOW - 590))], {"lucretius": _m()}, "cpu",
     (1, set(), set(), set())),
    ("a missing pod", [_gp("epicurus", SUCC, NOW - 180)], {}, "cpu",
     (0, set(), {"epicurus"}, set())),
    ("several pods",
     [_gp("lucretius", SUCC, NOW), _gp("niccolo", SUCC, NOW - 180, (T, NOW - 180)),
      _gp("epicurus", SUCC, NOW - 180)],
     {"lucretius": _m(), "niccolo": _m()}, "cpu", (1, {"lucretius"}, {"epicurus"}, set())),
    ("pending pods are unreadied", [_gp("unscheduled", PENDING)], {}, "cpu",
     (0, {"unscheduled"}, set(), set())),
    ("ignore pods with deletion timestamps", [_gp("deleted", PENDING, deleted=1.0)],
     {"deleted": _m()}, "cpu", (0, set(), set(), {"deleted"})),
    ("ignore pods in a failed state", [_gp("failed", FAILED)], {"failed": _m()}, "cpu",
     (0, set(), set(), {"failed"})),
]


@pytest.mark.parametrize(
    ("pods", "metrics", "resource", "expected"), [pytest.param(*c[1:], id=c[0]) for c in GROUP_PODS]
)
def test_group_pods(pods, metrics, resource, expected):
    """TestGroupPods, as upstream wrote it before 1.38 (its pods are mostly Succeeded)."""
    got = group_pods(pods, metrics, resource, TESTING_CPU_INIT, TESTING_READINESS_DELAY, NOW,
                     ignore_succeeded_pods=False)
    assert got == expected


@pytest.mark.parametrize(
    ("pods", "metrics", "resource", "expected"), [pytest.param(*c[1:], id=c[0]) for c in GROUP_PODS]
)
def test_group_pods_ignores_succeeded_pods_from_1_38(pods, metrics, resource, expected):
    """The same table with k/k PR #141302 (1.38): every Succeeded pod is ignored.

    Hand-worked: the rows whose pods are all Succeeded become (0, {}, {}, {all pods});
    the Pending, deleted and Failed rows do not change.
    """
    got = group_pods(pods, metrics, resource, TESTING_CPU_INIT, TESTING_READINESS_DELAY, NOW,
                     ignore_succeeded_pods=True)
    if pods and all(p.phase == SUCC for p in pods):
        assert got == (0, set(), set(), {p.name for p in pods})
    else:
        assert got == expected


# k/k PR #141302 added these two cases to TestReplicaCalcResourceScale, next to "scale
# down: failed pods ignored": the two extra pods are Succeeded instead of Failed.
SUCCEEDED_7 = dict(current=5, requests=reqs(7), readiness=[T] * 5 + [F, F],
                   phases=[RUNNING] * 5 + [SUCC, SUCC])
SUCCEEDED_CASES = [
    # 1.38: as "scale down: failed pods ignored": (2·(100+300+500+250+250) = 2800m) over
    # 5 × 2000m requested = 28 %, ratio 0.56 → ceil(0.56 × 5) = 3, raw 2800/5 = 560.
    # Before: the Succeeded pods have no metrics, so they are *missing*; on a scale-down
    # each counts as using its whole request: (2800 + 2 × 2000) / (7 × 2000) = 48 %,
    # ratio 0.96 is within the 10 % tolerance → stay at 5 (upstream issue #141298).
    ("scale down: succeeded pods ignored", SUCCEEDED_7, each_container(100, 300, 500, 250, 250),
     "", (3, 28, 2 * 280), (5, 28, 2 * 280)),
    # Container metric: container2 reports 100..250 of its 1000m request: 1400/5000 = 28 %
    # → 3 on 1.38; before, the two missing pods add 2 × 1000m at 100 %: 3400/7000 = 48 %,
    # within tolerance → 5.
    ("scale down: container metric with succeeded pods ignored", SUCCEEDED_7,
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], "container2",
     (3, 28, 280), (5, 28, 280)),
]


@pytest.mark.parametrize(("fixture", "levels", "container", "on_1_38", "before"),
                         [pytest.param(*c[1:], id=c[0]) for c in SUCCEEDED_CASES])
@pytest.mark.parametrize("ignore_succeeded", [True, False], ids=["1.38", "1.37"])
def test_replica_calc_resource_scale_succeeded_pods(fixture, levels, container, on_1_38, before,
                                                    ignore_succeeded):
    pods = rc_pods(fixture["current"], fixture["requests"], fixture["readiness"], None,
                   fixture["phases"])
    rc = ReplicaCalculator(TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY,
                           ignore_succeeded_pods=ignore_succeeded)
    got = rc.get_resource_replicas(5, 50, "cpu", None, pods,
                                   resource_metrics(levels, container), NOW, container)
    assert got[:3] == (on_1_38 if ignore_succeeded else before)


@pytest.mark.parametrize(("ignore_succeeded", "expected"), [(True, 3), (False, 5)],
                         ids=["1.38", "1.37"])
def test_plain_metric_succeeded_pods(ignore_succeeded, expected):
    """TestReplicaCalcScaleDownCM with two extra Succeeded pods (no metrics).

    1.38: 5 pods at 12000 of 20000 → ratio 0.6 → 3, as upstream's case. Before: the two
    Succeeded pods are missing and count as the target on a scale-down: (5 × 12000 +
    2 × 20000) / 7 = 14285 → ratio 0.714 × 7 = 4.9998 → 5, no scale-down.
    """
    pods = rc_pods(5, (), [T] * 5 + [F, F], None, [RUNNING] * 5 + [SUCC, SUCC])
    rc = ReplicaCalculator(TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY,
                           ignore_succeeded_pods=ignore_succeeded)
    replicas, usage = rc.calc_plain_metric_replicas(pod_metrics([12000] * 5), 5, 20000, None,
                                                    pods, "", NOW)
    assert (replicas, usage) == (expected, 12000)


# --- calculateRequests --------------------------------------------------------------------


def _req_pod(containers, init=(), pod_cpu=None):
    resources = ResourceRequirements(requests={"cpu": pod_cpu}) if pod_cpu is not None else None
    return Pod(name="test-pod", namespace="test-namespace", containers=list(containers),
               init_containers=list(init), resources=resources)


C100 = Container("container1", requests={"cpu": 100})
C50 = Container("container2", requests={"cpu": 50})
# name, pods, container, enablePodLevelResources, expected requests or error text
CALCULATE_REQUESTS = [
    ("void", [], "", False, {}),
    ("Sum container requests if pod-level feature is disabled", [_req_pod([C100, C50])], "",
     False, {"test-pod": 150}),
    ("Pod-level resources are enabled, but not set: fallback to sum container requests",
     [_req_pod([C100, C50])], "", True, {"test-pod": 150}),
    ("Pod-level resources override container requests when feature enabled and pod resources "
     "specified", [_req_pod([C100, C50], pod_cpu=800)], "", True, {"test-pod": 800}),
    ("Fail if at least one of the containers is missing requests and pod-level feature/requests "
     "are not set", [_req_pod([Container("container1"), C50])], "", False,
     "missing request for cpu in container container1 of Pod test-pod"),
    ("Pod-level resources override missing container requests when feature enabled and pod "
     "resources specified", [_req_pod([Container("container1"), C50], pod_cpu=800)], "", True,
     {"test-pod": 800}),
    ("Container: if a container name is specified, calculate requests only for that container",
     [_req_pod([C100, C50])], "container1", False, {"test-pod": 100}),
    ("Container: if a container name is specified, calculate requests only for that container "
     "and ignore pod-level requests", [_req_pod([C100, C50], pod_cpu=800)], "container1", True,
     {"test-pod": 100}),
    ("pod with restartable init containers",
     [_req_pod([C100], [Container("init-container1", requests={"cpu": 20}),
                        Container("restartable-container1", requests={"cpu": 50},
                                  restart_policy="Always")])],
     "", False, {"test-pod": 150}),
]


@pytest.mark.parametrize(
    ("pods", "container", "pod_level", "expected"),
    [pytest.param(*c[1:], id=c[0]) for c in CALCULATE_REQUESTS],
)
def test_calculate_requests(pods, container, pod_level, expected):
    """TestCalculateRequests; ``enablePodLevelResources`` is the ``pod_level_resources`` flag."""
    if isinstance(expected, str):
        with pytest.raises(MissingRequestError) as e:
            calculate_requests(pods, container, "cpu", pod_level_resources=pod_level)
        assert str(e.value) == expected
    else:
        assert calculate_requests(pods, container, "cpu", pod_level_resources=pod_level) == expected


def test_calculate_requests_pod_level_set_but_gate_off():
    # Not an upstream row: the pod-level cases with the gate off fall back to containers
    # (100 + 50 = 150), or fail on the container without a request.
    assert calculate_requests([_req_pod([C100, C50], pod_cpu=800)], "", "cpu") == {"test-pod": 150}
    with pytest.raises(MissingRequestError, match="missing request for cpu in container container1"):
        calculate_requests([_req_pod([Container("container1"), C50], pod_cpu=800)], "", "cpu")


def test_calculate_pod_level_requests_overhead_and_missing_resource():
    # PodRequests applies the pod-level 800m over the containers and adds the 250m overhead
    # (1.34–1.37); from 1.38 (k/k PR #142154) the overhead is left out. A memory-only
    # pod-level request still selects the pod-level path, where the cpu is the containers'
    # aggregate (150m); with no container cpu at all it is an error.
    pod = _req_pod([C100, C50], pod_cpu=800)
    pod.overhead = {"cpu": 250}
    assert calculate_pod_level_requests(pod, "cpu") == 1050
    assert calculate_pod_level_requests(pod, "cpu", exclude_overhead=True) == 800
    mem_only = Pod(name="m", containers=[C100, C50],
                   resources=ResourceRequirements(requests={"memory": 1000}))
    assert calculate_requests([mem_only], "", "cpu", pod_level_resources=True) == {"m": 150}
    bare = Pod(name="b", containers=[Container("c")],
               resources=ResourceRequirements(requests={"memory": 1000}))
    with pytest.raises(MissingRequestError) as e:
        calculate_requests([bare], "", "cpu", pod_level_resources=True)
    assert str(e.value) == "missing pod-level request for cpu in Pod b"


def test_calculate_pod_requests_from_containers_non_existent_container():
    pod = _req_pod([C100])
    with pytest.raises(MissingRequestError) as e:
        calculate_pod_requests_from_containers(pod, "non-existent-container", "cpu")
    assert str(e.value) == "container non-existent-container not found in Pod test-pod"


def test_calculate_requests_named_sidecar_and_plain_init_container():
    # A sidecar can be named as the container; a plain init container cannot (upstream
    # only lists restartable init containers).
    pod = _req_pod([C100], [Container("init", requests={"cpu": 20}),
                            Container("side", requests={"cpu": 50}, restart_policy="Always")])
    assert calculate_pod_requests_from_containers(pod, "side", "cpu") == 50
    with pytest.raises(MissingRequestError, match="container init not found"):
        calculate_pod_requests_from_containers(pod, "init", "cpu")


def test_remove_metrics_for_pods():
    metrics = {"a": _m(1), "b": _m(2), "c": _m(3)}
    remove_metrics_for_pods(metrics, {"a", "c", "zzz"})
    assert metrics == {"b": _m(2)}


# --- metrics/utilization_test.go ----------------------------------------------------------

UTILIZATION = [
    ("base case", {"test-pod-0": 50, "test-pod-1": 76}, {"test-pod-0": 100, "test-pod-1": 100},
     (1.26, 63, 63)),
    ("ignore pods with no request",
     {"test-pod-0": 50, "test-pod-1": 76, "test-pod-no-request": 100},
     {"test-pod-0": 100, "test-pod-1": 100}, (1.26, 63, 63)),
    ("extra request", {"test-pod-0": 50, "test-pod-1": 76},
     {"test-pod-0": 100, "test-pod-1": 100, "test-pod-extra-request": 500}, (1.26, 63, 63)),
    ("no requests", {"test-pod-0": 50, "test-pod-1": 76}, {},
     "no metrics returned matched known pods"),
]


@pytest.mark.parametrize(
    ("metrics", "requests", "expected"), [pytest.param(*c[1:], id=c[0]) for c in UTILIZATION]
)
def test_get_resource_utilization_ratio(metrics, requests, expected):
    pm = {k: _m(v) for k, v in metrics.items()}
    if isinstance(expected, str):
        with pytest.raises(HPAError, match=expected):
            get_resource_utilization_ratio(pm, requests, 50)
    else:
        assert get_resource_utilization_ratio(pm, requests, 50) == expected


def test_get_metric_usage_ratio_base_case():
    pm = {"test-pod-0": _m(5000), "test-pod-1": _m(10000)}
    assert get_metric_usage_ratio(pm, 10000) == (0.75, 7500)


def test_utilization_truncates():
    # 199/200 = 99.5 % → 99 (integer division), so the ratio is 0.99, not 0.995.
    pm = {"a": _m(199)}
    assert get_resource_utilization_ratio(pm, {"a": 200}, 100) == (0.99, 99, 199)


def test_tolerances_is_within_inclusive_and_repr():
    t = Tolerances(0.1, 0.2)
    assert t.is_within(0.9) and t.is_within(1.2)
    assert not t.is_within(0.8999) and not t.is_within(1.2001)
    assert repr(t) == "[down:10.0%, up:20.0%]"
    assert Tolerances(0.0, 0.0).is_within(1.0)
