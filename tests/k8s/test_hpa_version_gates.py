"""Version gates of the HPA controller and of ``PodRequests``, both sides of each.

* Succeeded pods ignored like Failed ones from 1.38 (kubernetes/kubernetes PR #141302,
  merged August 2026 after the release-1.37 branch cut);
* pod-level requests (``PodLevelResources``, KEP-2837: alpha, off, 1.32; beta, on, 1.34)
  used by the HPA from 1.34 (k/k PR #132430), without pod overhead from 1.38 (k/k PR
  #142154);
* ``PodRequests``/``PodLimits`` (component-helpers) with pod-level resources.

Expected values are worked by hand in each test's comment (the upstream tests of these
changes exercise the replica calculator, ported in test_hpa_replica_calculator.py).
"""

from __future__ import annotations

import pytest

from capacity.k8s.hpa import (
    HorizontalController,
    HorizontalPodAutoscalerSpec,
    HPAVersionBehaviour,
    MetricSpec,
    MetricTarget,
    ResourceMetricSource,
    hpa_version_behaviour,
)
from capacity.k8s.resources import (
    is_pod_level_requests_set,
    pod_level_resources_enabled,
    pod_limits,
    pod_requests,
)
from capacity.k8s.types import Container, Pod, ResourceRequirements, pod_from_manifest
from tests.k8s.hpa_tables.fixtures import (
    NOW,
    RUNNING,
    TESTING_CPU_INIT,
    TESTING_READINESS_DELAY,
    TESTING_TOLERANCE,
    F,
    T,
    hc_metrics_getter,
    hc_pods,
)

KEY = "test-namespace/test-hpa"
ONE = 1000


@pytest.mark.parametrize(("minor", "gate", "expected"), [
    (None, None, HPAVersionBehaviour(False, False, False)),
    (31, True, HPAVersionBehaviour(False, False, False)),  # no gate before 1.32
    (32, None, HPAVersionBehaviour(False, False, False)),  # alpha: off by default
    (33, True, HPAVersionBehaviour(False, False, False)),  # gate on, but the HPA ignores it
    (34, None, HPAVersionBehaviour(False, True, False)),   # beta: on; HPA support (PR #132430)
    (34, False, HPAVersionBehaviour(False, False, False)),
    (37, None, HPAVersionBehaviour(False, True, False)),
    (38, None, HPAVersionBehaviour(True, True, True)),     # PRs #141302 and #142154
    (38, False, HPAVersionBehaviour(True, False, True)),
])
def test_hpa_version_behaviour(minor, gate, expected):
    assert hpa_version_behaviour(minor, gate) == expected


@pytest.mark.parametrize(("minor", "gate", "expected"), [
    (None, True, False), (31, True, False), (32, None, False), (32, True, True),
    (33, None, False), (34, None, True), (34, False, False), (36, None, True),
])
def test_pod_level_resources_enabled(minor, gate, expected):
    assert pod_level_resources_enabled(minor, gate) is expected


def _cpu_hpa(target: int, max_replicas: int = 10) -> HorizontalPodAutoscalerSpec:
    return HorizontalPodAutoscalerSpec(max_replicas, 1, [MetricSpec(
        "Resource", resource=ResourceMetricSource(
            "cpu", MetricTarget("Utilization", average_utilization=target)))])


def _controller(minor: int | None) -> HorizontalController:
    return HorizontalController(300.0, TESTING_TOLERANCE, TESTING_CPU_INIT,
                                TESTING_READINESS_DELAY, scale_up_limit_factor=8.0,
                                kubernetes_minor=minor)


@pytest.mark.parametrize(("minor", "expected"), [(38, 3), (37, 5)])
def test_succeeded_pods_through_the_controller(minor, expected):
    """TestScaleDownIgnoresFailedPods with the two extra pods Succeeded instead of Failed.

    Five Running pods use 100, 300, 500, 250, 250m of 1 CPU each: 1400/5000 = 28 % of a
    50 % target. 1.38: the Succeeded pods are ignored: ratio 0.56 → ceil(2.8) = 3.
    1.37: they have no metrics, so they are missing and count as 100 % of their 1000m on
    a scale-down: (1400 + 2000)/7000 = 48 %, ratio 0.96 is within tolerance → stay at 5.
    """
    pods = hc_pods(5, [ONE] * 7, readiness=[T] * 5 + [F, F],
                   phases=[RUNNING] * 5 + ["Succeeded", "Succeeded"])
    hc = _controller(minor)
    hc.recommendations[KEY] = []
    r = hc.reconcile_autoscaler(KEY, _cpu_hpa(50, 6), 5, pods,
                                hc_metrics_getter([100, 300, 500, 250, 250]), NOW)
    assert r.desired_replicas == expected
    assert r.utilization("cpu") == 28


@pytest.mark.parametrize(("minor", "expected", "utilization"), [(34, 3, 50), (33, 6, 100)])
def test_pod_level_requests_through_the_controller(minor, expected, utilization):
    """Three pods with 2 × 500m container requests and a 2000m pod-level request, each
    using 1000m, CPU target 50 %.

    1.34: the pod-level request counts: 3000/6000 = 50 % → ratio 1 → stay at 3.
    1.33: the gate exists (alpha) but the HPA sums containers: 3000/3000 = 100 % →
    ratio 2 → 6.
    """
    pods = hc_pods(3, [ONE] * 3)
    for p in pods:
        p.resources = ResourceRequirements(requests={"cpu": 2000})
    r = _controller(minor).reconcile_autoscaler(KEY, _cpu_hpa(50), 3, pods,
                                                hc_metrics_getter([1000] * 3), NOW)
    assert (r.desired_replicas, r.utilization("cpu")) == (expected, utilization)


@pytest.mark.parametrize(("minor", "expected", "utilization"), [(37, 3, 50), (38, 4, 66)])
def test_pod_level_requests_overhead(minor, expected, utilization):
    """Pod-level request 1500m, RuntimeClass overhead 500m, 1000m used per pod, target 50 %.

    1.37: the request includes the overhead: 3000/6000 = 50 % → stay at 3.
    1.38 (PR #142154): 3000 × 100 // 4500 = 66 %, ratio 1.32 × 3 = 3.96 → 4.
    """
    pods = hc_pods(3, [ONE] * 3)
    for p in pods:
        p.resources = ResourceRequirements(requests={"cpu": 1500})
        p.overhead = {"cpu": 500}
    r = _controller(minor).reconcile_autoscaler(KEY, _cpu_hpa(50), 3, pods,
                                                hc_metrics_getter([1000] * 3), NOW)
    assert (r.desired_replicas, r.utilization("cpu")) == (expected, utilization)


def test_pod_level_gate_override_on_the_controller():
    # 1.34 with --feature-gates=PodLevelResources=false: containers again (as 1.33 above).
    pods = hc_pods(3, [ONE] * 3)
    for p in pods:
        p.resources = ResourceRequirements(requests={"cpu": 2000})
    hc = HorizontalController(300.0, TESTING_TOLERANCE, TESTING_CPU_INIT, TESTING_READINESS_DELAY,
                              scale_up_limit_factor=8.0, kubernetes_minor=34,
                              pod_level_resources=False)
    r = hc.reconcile_autoscaler(KEY, _cpu_hpa(50), 3, pods, hc_metrics_getter([1000] * 3), NOW)
    assert r.utilization("cpu") == 100


# --- PodRequests / PodLimits (k8s.io/component-helpers/resource/helpers.go) ---------------


def _pod(pod_requests_: dict | None = None, pod_limits_: dict | None = None) -> Pod:
    resources = None
    if pod_requests_ is not None or pod_limits_ is not None:
        resources = ResourceRequirements(requests=pod_requests_ or {}, limits=pod_limits_ or {})
    return Pod(
        name="p",
        containers=[
            Container("a", requests={"cpu": 100, "memory": 10}, limits={"cpu": 300, "memory": 0}),
            Container("b", requests={"cpu": 50}),
        ],
        overhead={"cpu": 5, "memory": 7},
        resources=resources,
    )


def test_pod_requests_pod_level_replaces_aggregate_per_resource():
    # Containers: cpu 100 + 50 = 150, memory 10. Pod-level cpu 800 replaces the cpu only;
    # overhead (cpu 5, memory 7) is added after.
    pod = _pod({"cpu": 800})
    assert pod_requests(pod) == {"cpu": 805, "memory": 17}
    assert pod_requests(pod, exclude_overhead=True) == {"cpu": 800, "memory": 10}
    assert pod_requests(pod, skip_pod_level_resources=True) == {"cpu": 155, "memory": 17}


def test_pod_requests_only_supported_pod_level_resources():
    # ephemeral-storage is not a pod-level resource: it neither counts as "set" nor
    # replaces anything; hugepages-* is (newer helpers).
    pod = _pod({"ephemeral-storage": 1000})
    assert not is_pod_level_requests_set(pod)
    assert pod_requests(pod, exclude_overhead=True) == {"cpu": 150, "memory": 10}
    pod = _pod({"hugepages-2Mi": 2048})
    assert is_pod_level_requests_set(pod)
    assert pod_requests(pod, exclude_overhead=True)["hugepages-2Mi"] == 2048


def test_pod_limits_pod_level_and_overhead_on_non_zero_limits():
    # Containers: cpu limit 300, memory limit 0. Pod-level cpu limit 1000 replaces 300;
    # overhead goes to the non-zero cpu limit (1005) but not to the zero memory limit.
    pod = _pod(pod_limits_={"cpu": 1000})
    assert pod_limits(pod) == {"cpu": 1005, "memory": 0}
    assert pod_limits(pod, skip_pod_level_resources=True) == {"cpu": 305, "memory": 0}
    # Pod-level requests only: "resources set", but no pod-level limits to apply.
    assert pod_limits(_pod({"cpu": 800}), exclude_overhead=True) == {"cpu": 300, "memory": 0}


def test_pod_from_manifest_reads_pod_level_resources():
    pod = pod_from_manifest({
        "metadata": {"name": "p"},
        "spec": {"resources": {"requests": {"cpu": "1500m"}, "limits": {"memory": "1Gi"}},
                 "containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]},
    })
    assert pod.resources == ResourceRequirements(
        requests={"cpu": 1500}, limits={"memory": 1024**3 * 1000})
    assert pod_from_manifest({"metadata": {"name": "q"}}).resources is None
