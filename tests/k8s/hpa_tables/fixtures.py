"""Pods and metrics built the way upstream's HPA test fakes build them.

``replica_calculator_test.go`` (``buildFakePod``, ``newFakeResourceMetricsClient``):
every pod has two containers, ``container1`` and ``container2``, each requesting the
pod's listed CPU request; the Ready condition has a zero ``lastTransitionTime``; the
start time defaults to Go's zero time; metric levels are given per container and the
metrics client sums them per pod (or picks one container), dropping a pod when a
container lacks the metric.

``horizontal_test.go`` (``prepareTestClient``): each container requests half the pod's
request and reports half the pod's level; the Ready condition's ``lastTransitionTime``
is the pod's start time; metric samples are stamped "now" with a one-minute window.
"""

from __future__ import annotations

from collections.abc import Sequence

from capacity.k8s.types import Container, Pod, PodCondition, PodMetric

NOW = 1_700_000_000.0
"""The simulated ``time.Now()`` of every test."""
GO_ZERO_TIME = -62_135_596_800.0
"""``metav1.Time{}`` (year 1) in Unix seconds."""
HOT = NOW
"""``hotCPUCreationTime()``: started now."""
COOL = NOW - 180.0
"""``coolCPUCreationTime()``: started three minutes ago."""

# defaultTesting* constants of replica_calculator.go
TESTING_TOLERANCE = 0.1
TESTING_CPU_INIT = 120.0
TESTING_READINESS_DELAY = 10.0

T = "True"
F = "False"
RUNNING = "Running"
PENDING = "Pending"
FAILED = "Failed"


def milli(cores: str) -> int:
    """"1.0" → 1000, "0.9" → 900 (CPU cores to millicores)."""
    return round(float(cores) * 1000)


def rc_pods(
    current_replicas: int,
    requests: Sequence[int] = (),
    readiness: Sequence[str] | None = None,
    start_times: Sequence[float] | None = None,
    phases: Sequence[str] | None = None,
    deleted: Sequence[bool] | None = None,
    resource: str = "cpu",
) -> list[Pod]:
    """``newFakePodClient``/``buildFakePod`` of ``replica_calculator_test.go``."""
    count = current_replicas
    if phases is not None and len(phases) > count:
        count = len(phases)  # failed pods are not counted in currentReplicas
    pods = []
    for i in range(count):
        ready = readiness[i] if readiness is not None and i < len(readiness) else T
        start = start_times[i] if start_times is not None else GO_ZERO_TIME
        phase = phases[i] if phases is not None else RUNNING
        req = {resource: requests[i]} if i < len(requests) else {}
        pods.append(
            Pod(
                name=f"test-pod-{i}",
                namespace="test-namespace",
                phase=phase,
                start_time=start,
                conditions=[PodCondition("Ready", ready, GO_ZERO_TIME)],
                containers=[
                    Container("container1", requests=dict(req)),
                    Container("container2", requests=dict(req)),
                ],
                deletion_timestamp=NOW if deleted is not None and deleted[i] else None,
            )
        )
    return pods


def each_container(*levels: int) -> list[list[int]]:
    """``makePodMetricLevels``: both containers of pod i report ``levels[i]``."""
    return [[lv, lv] for lv in levels]


def resource_metrics(
    levels: Sequence[Sequence[int]],
    container: str = "",
    timestamp: float = GO_ZERO_TIME,
    window: float = 60.0,
    pod_names: Sequence[str] = (),
) -> dict[str, PodMetric]:
    """The resource metrics client over the fake's per-container levels.

    A pod listed with fewer than two levels has a second, nameless container without
    usage, as the fake builds it; such a pod is dropped from the whole-pod sum.
    """
    out: dict[str, PodMetric] = {}
    for i, per_container in enumerate(levels):
        name = pod_names[i] if i < len(pod_names) else f"test-pod-{i}"
        containers: list[tuple[str, int | None]] = [
            (f"container{j + 1}", v) for j, v in enumerate(per_container)
        ]
        while len(containers) < 2:
            containers.append(("", None))
        if container:
            for cname, value in containers:
                if cname == container:
                    if value is not None:
                        out[name] = PodMetric(timestamp, window, value)
                    break
        else:
            if any(v is None for _, v in containers):
                continue
            out[name] = PodMetric(timestamp, window, sum(v for _, v in containers if v is not None))
    return out


def pod_metrics(levels: Sequence[int], timestamp: float = GO_ZERO_TIME) -> dict[str, PodMetric]:
    """The custom metrics client: one value per pod (window unused)."""
    return {f"test-pod-{i}": PodMetric(timestamp, 0.0, v) for i, v in enumerate(levels)}


def hc_pods(
    status_replicas: int,
    cpu_requests: Sequence[int] | None,
    readiness: Sequence[str] | None = None,
    start_times: Sequence[float] | None = None,
    phases: Sequence[str] | None = None,
    deleted: Sequence[bool] | None = None,
) -> list[Pod]:
    """``prepareTestClient``'s pod list of ``horizontal_test.go``.

    ``cpu_requests`` None means "not specified": ``status_replicas`` pods of 1 CPU.
    """
    count = status_replicas if cpu_requests is None else len(cpu_requests)
    pods = []
    for i in range(count):
        ready = readiness[i] if readiness is not None else T
        start = start_times[i] if start_times is not None else GO_ZERO_TIME
        phase = phases[i] if phases is not None else RUNNING
        request = 1000 if cpu_requests is None else cpu_requests[i]
        pods.append(
            Pod(
                name=f"test-pod-{i}",
                namespace="test-namespace",
                phase=phase,
                start_time=start,
                conditions=[PodCondition("Ready", ready, start)],
                containers=[
                    Container("container1", requests={"cpu": request // 2}),
                    Container("container2", requests={"cpu": request // 2}),
                ],
                deletion_timestamp=NOW if deleted is not None and deleted[i] else None,
            )
        )
    return pods


HC_MEMORY_PER_CONTAINER = 1024 * 1024 // 2 * 1000
"""The fake's memory usage per container (512 KiB) in milli-bytes."""


def hc_metrics_getter(levels: Sequence[int], fail: bool = False):
    """``prepareTestClient``'s resource metrics client as a ``get_metrics`` callable."""
    from capacity.k8s.hpa import HPAError

    def get_metrics(resource: str, container: str) -> dict[str, PodMetric]:
        if fail:
            raise HPAError("something went wrong")
        out = {}
        for i, level in enumerate(levels):
            per = level // 2 if resource == "cpu" else HC_MEMORY_PER_CONTAINER
            value = per if container in ("container1", "container2") else 2 * per
            out[f"test-pod-{i}"] = PodMetric(NOW, 60.0, value)
        return out

    return get_metrics


def hc_pods_metric_getter(levels: Sequence[int], fail: bool = False):
    """The custom metrics client (metric ``qps``) as a ``get_pods_metric`` callable."""
    from capacity.k8s.hpa import HPAError

    def get_pods_metric(name: str) -> dict[str, PodMetric]:
        assert name == "qps"
        if fail:
            raise HPAError("something went wrong")
        return {f"test-pod-{i}": PodMetric(NOW, 0.0, v) for i, v in enumerate(levels)}

    return get_pods_metric


class ClientCalls:
    """What a fake metrics client was asked, to check the controller's arguments."""

    def __init__(self) -> None:
        self.raw: list[tuple] = []
        self.object: list[tuple] = []
        self.external: list[tuple] = []


def metrics_client(
    levels: Sequence[int],
    timestamp: float = GO_ZERO_TIME,
    fail_custom: bool = False,
    fail_external: bool = False,
    calls: ClientCalls | None = None,
):
    """The fake custom and external metrics clients of both upstream test files.

    ``get_raw_metric`` returns one value per pod (``test-pod-<i>``), ``get_object_metric``
    ``levels[0]`` and ``get_external_metric`` every level, as ``prepareTestClient`` and
    ``newFakeCustomMetricsClient``/``newFakeExternalMetricsClient`` do; ``fail_*`` makes
    that API fail with "something went wrong" (``TestConditionFailedGetMetrics``).
    """
    from capacity.k8s.hpa import HPAError, MetricsClient

    def get_raw_metric(name, namespace, selector, metric_selector):
        if calls is not None:
            calls.raw.append((name, namespace, dict(selector), metric_selector))
        if fail_custom:
            raise HPAError("something went wrong")
        return {f"test-pod-{i}": PodMetric(timestamp, 60.0, v) for i, v in enumerate(levels)}, timestamp

    def get_object_metric(name, namespace, described_object, metric_selector):
        if calls is not None:
            calls.object.append((name, namespace, described_object, metric_selector))
        if fail_custom:
            raise HPAError("something went wrong")
        return levels[0], timestamp

    def get_external_metric(name, namespace, selector):
        if calls is not None:
            calls.external.append((name, namespace, selector))
        if fail_external:
            raise HPAError("something went wrong")
        return list(levels), timestamp

    return MetricsClient(get_raw_metric, get_object_metric, get_external_metric)
