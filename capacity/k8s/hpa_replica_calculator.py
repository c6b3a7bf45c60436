"""The HPA replica calculator: from pods and their metrics to a proposed replica count.

Mirrors ``kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go``
(recent version, with ``Tolerances`` and ``calculateRequests``) and
``pkg/controller/podautoscaler/metrics/utilization.go``.

Version-dependent behaviour is passed to :class:`ReplicaCalculator` (see
:class:`~capacity.k8s.hpa_types.HPAVersionBehaviour`):

* ``ignore_succeeded_pods``: Succeeded pods are ignored like Failed ones (k/k PR #141302,
  merged August 2026 after the release-1.37 branch was cut, so first in 1.38); before,
  a Succeeded pod without metrics counted as *missing* and damped scaling;
* ``pod_level_resources``: with the ``PodLevelResources`` gate on, pod-level requests
  (``pod.spec.resources``) are the pod's request when no container is named (k/k PR
  #132430, 1.34);
* ``pod_level_requests_exclude_overhead``: the pod-level request leaves out
  ``pod.spec.overhead`` (k/k PR #142154, 1.38); before, it included it.

Upstream methods fetch metrics and pods through clients; here they are arguments:
``pods`` are the pods the target's selector matches and ``metrics`` maps pod name to
:class:`~capacity.k8s.types.PodMetric` (what ``metricsclient.GetResourceMetric`` or
``GetRawMetric`` would return). ``now`` replaces ``time.Now()``. Upstream mutates its
metrics map while rebalancing; these functions never mutate their arguments (the
arithmetic is done on sums instead, which gives the same numbers).

Pod names are assumed unique (they are, within a namespace).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from capacity.k8s.hpa_types import (
    MAX_INT32,
    MAX_INT64,
    MIN_INT64,
    RESOURCE_CPU,
    HPAError,
    MetricsUnavailableError,
    MissingRequestError,
    Tolerances,
)
from capacity.k8s.resources import is_pod_level_requests_set, pod_requests
from capacity.k8s.types import (
    CONDITION_FALSE,
    CONDITION_TRUE,
    CONTAINER_RESTART_POLICY_ALWAYS,
    POD_FAILED,
    POD_PENDING,
    POD_READY,
    POD_RUNNING,
    POD_SUCCEEDED,
    Pod,
    PodMetric,
    PodMetricsInfo,
)

_ERR_NO_PODS = "no pods returned by selector while calculating replica count"
_ERR_NO_TARGETED = "did not receive metrics for targeted pods (pods might be unready)"
_ERR_NO_MATCH = "no metrics returned matched known pods"

# --- metrics/utilization.go ----------------------------------------------------------------


def get_resource_utilization_ratio(
    metrics: Mapping[str, PodMetric], requests: Mapping[str, int], target_utilization: int
) -> tuple[float, int, int]:
    """``GetResourceUtilizationRatio``: ratio of sums, not mean of ratios.

    Only pods present in both maps count. Returns ``(usage_ratio, utilization, raw)``
    with ``utilization = int(Σusage·100 / Σrequest)`` (truncated), ``usage_ratio =
    utilization / target`` and ``raw = Σusage // n`` (milli-units).

    Raises HPAError("no metrics returned matched known pods") if Σrequest is 0.
    """
    metrics_total = 0
    requests_total = 0
    entries = 0
    for pod_name, metric in metrics.items():
        request = requests.get(pod_name)
        if request is None:
            # extraneous metric: its pod is not in the list
            continue
        metrics_total += metric.value
        requests_total += request
        entries += 1
    if requests_total == 0:
        raise HPAError(_ERR_NO_MATCH)
    utilization = metrics_total * 100 // requests_total
    return utilization / target_utilization, utilization, metrics_total // entries


def get_metric_usage_ratio(
    metrics: Mapping[str, PodMetric], target_usage: int
) -> tuple[float, int]:
    """``GetMetricUsageRatio``: ``usage = Σ // len(metrics)``; returns ``(usage/target, usage)``."""
    total = 0
    for metric in metrics.values():
        total += metric.value
    usage = total // len(metrics)
    return usage / target_usage, usage


# --- pod grouping and requests -------------------------------------------------------------


def _cpu_unready(
    pod: Pod, metric: PodMetric, now: float, cpu_init: float, delay: float
) -> bool:
    """The CPU-only readiness rule of ``groupPods``."""
    condition = None
    for c in pod.conditions:
        if c.type == POD_READY:
            condition = c
            break
    start = pod.start_time
    if condition is None or start is None:
        return True
    if start + cpu_init > now:
        # Still initialising: ignore the sample if unready, or if one full metric window
        # has not passed since the last readiness transition.
        return (
            condition.status == CONDITION_FALSE
            or metric.timestamp < condition.last_transition_time + metric.window
        )
    # After initialisation: ignore only pods that are unready and have never been ready.
    return condition.status == CONDITION_FALSE and start + delay > condition.last_transition_time


def _ignored(pod: Pod, ignore_succeeded_pods: bool) -> bool:
    """The first rule of ``groupPods``: deleted or terminal pods are ignored."""
    if pod.deletion_timestamp is not None:
        return True
    phase = pod.phase
    return phase == POD_FAILED or (ignore_succeeded_pods and phase == POD_SUCCEEDED)


def group_pods(
    pods: Iterable[Pod],
    metrics: Mapping[str, PodMetric],
    resource: str,
    cpu_initialization_period: float,
    delay_of_initial_readiness_status: float,
    now: float,
    ignore_succeeded_pods: bool = False,
) -> tuple[int, set[str], set[str], set[str]]:
    """``groupPods``: ``(ready_count, unready, missing, ignored)`` pod-name sets.

    Deleted or Failed (and, with ``ignore_succeeded_pods``, Succeeded: 1.38+) → ignored;
    Pending → unready; no metric → missing; for CPU only, the readiness rules
    (initialisation period, initial readiness delay) may make a Running pod unready;
    everything else is ready.
    """
    ready = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    is_cpu = resource == RESOURCE_CPU
    for pod in pods:
        if _ignored(pod, ignore_succeeded_pods):
            ignored.add(pod.name)
            continue
        if pod.phase == POD_PENDING:
            unready.add(pod.name)
            continue
        metric = metrics.get(pod.name)
        if metric is None:
            missing.add(pod.name)
            continue
        if is_cpu and _cpu_unready(
            pod, metric, now, cpu_initialization_period, delay_of_initial_readiness_status
        ):
            unready.add(pod.name)
            continue
        ready += 1
    return ready, unready, missing, ignored


def calculate_pod_requests_from_containers(pod: Pod, container: str, resource: str) -> int:
    """``calculatePodRequestsFromContainers``: the pod's request for ``resource`` (milli).

    App containers plus restartable (sidecar) init containers, summed; or only the
    container named ``container``. Raises :class:`MissingRequestError` when a counted
    container has no request, or when the named container does not exist.
    """
    request = 0
    for containers in (pod.containers, pod.init_containers):
        sidecars_only = containers is pod.init_containers
        for c in containers:
            if sidecars_only and c.restart_policy != CONTAINER_RESTART_POLICY_ALWAYS:
                continue
            if not container or container == c.name:
                value = c.requests.get(resource)
                if value is None:
                    raise MissingRequestError(
                        f"missing request for {resource} in container {c.name} of Pod {pod.name}"
                    )
                request += value
            if container == c.name:
                # container names are unique within a pod
                return request
    if container:
        raise MissingRequestError(f"container {container} not found in Pod {pod.name}")
    return request


def calculate_pod_level_requests(pod: Pod, resource: str, exclude_overhead: bool = False) -> int:
    """``calculatePodLevelRequests``: the pod's effective request for ``resource`` (milli).

    ``PodRequests`` of ``k8s.io/component-helpers/resource/helpers.go``: the container
    aggregate with the pod-level requests applied over it; pod overhead included unless
    ``exclude_overhead`` (upstream passes ``ExcludeOverhead: true`` from 1.38, k/k PR
    #142154). Raises :class:`MissingRequestError` when the result has no such resource.
    """
    request = pod_requests(pod, exclude_overhead=exclude_overhead).get(resource)
    if request is None:
        raise MissingRequestError(f"missing pod-level request for {resource} in Pod {pod.name}")
    return request


def _pod_request(
    pod: Pod, container: str, resource: str, pod_level_resources: bool, exclude_overhead: bool
) -> int:
    """One pod's request as ``calculateRequests`` computes it (KEP-2837 precedence)."""
    # A named container takes precedence over pod-level requests.
    if pod_level_resources and not container and is_pod_level_requests_set(pod):
        return calculate_pod_level_requests(pod, resource, exclude_overhead)
    return calculate_pod_requests_from_containers(pod, container, resource)


def calculate_requests(
    pods: Iterable[Pod],
    container: str,
    resource: str,
    pod_level_resources: bool = False,
    pod_level_requests_exclude_overhead: bool = False,
) -> dict[str, int]:
    """``calculateRequests``: pod name → request (milli) for every pod; first error raised.

    ``pod_level_resources`` is the ``PodLevelResources`` gate as the HPA sees it (1.34+):
    when on and no container is named, a pod with pod-level requests uses
    :func:`calculate_pod_level_requests`; otherwise its containers' requests are summed.
    """
    return {
        pod.name: _pod_request(
            pod, container, resource, pod_level_resources, pod_level_requests_exclude_overhead
        )
        for pod in pods
    }


calculate_pod_requests = calculate_requests
"""Older upstream name of :func:`calculate_requests`."""


def remove_metrics_for_pods(metrics: PodMetricsInfo, pods: Iterable[str]) -> None:
    """``removeMetricsForPods``: delete those pods' entries from ``metrics`` in place."""
    for name in pods:
        metrics.pop(name, None)


def get_ready_pods_count(pods: Sequence[Pod]) -> int:
    """``getReadyPodsCount``: pods that are Running and Ready; error if there are none at all."""
    if not pods:
        raise HPAError(_ERR_NO_PODS)
    count = 0
    for pod in pods:
        if pod.phase == POD_RUNNING:
            for c in pod.conditions:
                if c.type == POD_READY:
                    if c.status == CONDITION_TRUE:
                        count += 1
                    break
    return count


# --- the calculator ------------------------------------------------------------------------


class ReplicaCalculator:
    """``ReplicaCalculator`` with its timing parameters (seconds) and version behaviour.

    ``tolerance`` builds the :class:`Tolerances` used when a call passes ``None``
    (upstream always passes them; the HPA controller builds them per HPA). The keyword
    flags are the version-dependent behaviours of the module docstring; all off is the
    behaviour of releases before 1.34 (and of this port before they were added).
    """

    __slots__ = (
        "cpu_initialization_period",
        "default_tolerances",
        "delay_of_initial_readiness_status",
        "ignore_succeeded_pods",
        "pod_level_requests_exclude_overhead",
        "pod_level_resources",
    )

    def __init__(
        self,
        tolerance: float = 0.1,
        cpu_initialization_period: float = 300.0,
        delay_of_initial_readiness_status: float = 30.0,
        *,
        ignore_succeeded_pods: bool = False,
        pod_level_resources: bool = False,
        pod_level_requests_exclude_overhead: bool = False,
    ) -> None:
        self.default_tolerances = Tolerances(tolerance, tolerance)
        self.cpu_initialization_period = cpu_initialization_period
        self.delay_of_initial_readiness_status = delay_of_initial_readiness_status
        self.ignore_succeeded_pods = ignore_succeeded_pods
        self.pod_level_resources = pod_level_resources
        self.pod_level_requests_exclude_overhead = pod_level_requests_exclude_overhead

    # -- Resource, Utilization target --------------------------------------------------------

    def get_resource_replicas(
        self,
        current_replicas: int,
        target_utilization: int,
        resource: str,
        tolerances: Tolerances | None,
        pods: Sequence[Pod],
        metrics: Mapping[str, PodMetric],
        now: float,
        container: str = "",
    ) -> tuple[int, int, int, float]:
        """``GetResourceReplicas``: ``(replicas, utilization %, raw average milli, timestamp)``.

        ``timestamp`` is the first metric's timestamp (the metrics API list's first
        item). Raises :class:`HPAError` with upstream's text.

        One pass over the pods does ``groupPods``, ``calculateRequests`` and the ratio
        sums; errors keep upstream's precedence (no targeted metrics, then a missing
        request, then no matching request).
        """
        if not metrics:
            raise MetricsUnavailableError(
                f"unable to get metrics for resource {resource}: "
                "no metrics returned from resource metrics API"
            )
        if not pods:
            raise HPAError(_ERR_NO_PODS)
        tol = tolerances if tolerances is not None else self.default_tolerances
        timestamp = next(iter(metrics.values())).timestamp
        is_cpu = resource == RESOURCE_CPU
        cpu_init = self.cpu_initialization_period
        delay = self.delay_of_initial_readiness_status
        get_metric = metrics.get

        ready = 0
        metrics_total = 0
        requests_total = 0
        removed = 0  # metrics of ignored and unready pods
        unready: list[tuple[str, int]] | None = None
        missing: list[tuple[str, int]] | None = None
        request_error: HPAError | None = None
        pod_level = self.pod_level_resources
        no_overhead = self.pod_level_requests_exclude_overhead
        ignore_succeeded = self.ignore_succeeded_pods
        # Pods of one ReplicaSet usually share their container lists: reuse the last
        # request while the lists (and the pod-level requests and overhead the request
        # may depend on) are the same objects (not upstream; same result).
        last_containers: object = None
        last_inits: object = None
        last_resources: object = None
        last_overhead: object = None
        last_request = 0
        for pod in pods:
            if (
                pod.containers is last_containers
                and pod.init_containers is last_inits
                and pod.resources is last_resources
                and pod.overhead is last_overhead
            ):
                request = last_request
            else:
                try:
                    request = _pod_request(pod, container, resource, pod_level, no_overhead)
                    last_containers, last_inits, last_request = (
                        pod.containers, pod.init_containers, request)
                    last_resources, last_overhead = pod.resources, pod.overhead
                except HPAError as e:
                    if request_error is None:
                        request_error = e
                    request = 0
                    last_containers = last_inits = None
            name = pod.name
            phase = pod.phase
            # _ignored(pod, ignore_succeeded), inlined: this loop runs per pod per metric on
            # every sync.
            if pod.deletion_timestamp is not None or phase == POD_FAILED or (
                    ignore_succeeded and phase == POD_SUCCEEDED):
                if name in metrics:
                    removed += 1
                continue
            metric = get_metric(name)
            if phase == POD_PENDING:
                if metric is not None:
                    removed += 1
                if unready is None:
                    unready = []
                unready.append((name, request))
                continue
            if metric is None:
                if missing is None:
                    missing = []
                missing.append((name, request))
                continue
            if is_cpu and _cpu_unready(pod, metric, now, cpu_init, delay):
                removed += 1
                if unready is None:
                    unready = []
                unready.append((name, request))
                continue
            ready += 1
            metrics_total += metric.value
            requests_total += request

        remaining = len(metrics) - removed
        if remaining == 0:
            raise HPAError(_ERR_NO_TARGETED)
        if request_error is not None:
            raise request_error
        if requests_total == 0:
            raise HPAError(_ERR_NO_MATCH)
        utilization = metrics_total * 100 // requests_total
        raw = metrics_total // ready
        usage_ratio = utilization / target_utilization

        scale_up_with_unready = unready is not None and usage_ratio > 1.0
        if not scale_up_with_unready and missing is None:
            if tol.is_within(usage_ratio):
                return current_replicas, utilization, raw, timestamp
            return math.ceil(usage_ratio * ready), utilization, raw, timestamp

        # Rebalance: add the missing (and, on scale-up, the unready) pods back with
        # conservative usage, then recompute.
        count = remaining
        if missing is not None:
            if usage_ratio < 1.0:
                # scale-down: missing pods use 100 % of their request, or the target if >100 %
                fallback = max(100, target_utilization)
                for _, request in missing:
                    metrics_total += request * fallback // 100
                    requests_total += request
                count += len(missing)
            elif usage_ratio > 1.0:
                # scale-up: missing pods use nothing
                for _, request in missing:
                    requests_total += request
                count += len(missing)
        if scale_up_with_unready:
            assert unready is not None
            for _, request in unready:
                requests_total += request
            count += len(unready)

        new_usage_ratio = (metrics_total * 100 // requests_total) / target_utilization
        if (
            tol.is_within(new_usage_ratio)
            or (usage_ratio < 1.0 and new_usage_ratio > 1.0)
            or (usage_ratio > 1.0 and new_usage_ratio < 1.0)
        ):
            # too small a change, or the rebalancing flipped the direction
            return current_replicas, utilization, raw, timestamp
        new_replicas = math.ceil(new_usage_ratio * count)
        if (new_usage_ratio < 1.0 and new_replicas > current_replicas) or (
            new_usage_ratio > 1.0 and new_replicas < current_replicas
        ):
            # the number of counted pods would flip the direction
            return current_replicas, utilization, raw, timestamp
        return new_replicas, utilization, raw, timestamp

    # -- Resource AverageValue and Pods metrics ----------------------------------------------

    def get_raw_resource_replicas(
        self,
        current_replicas: int,
        target_usage: int,
        resource: str,
        tolerances: Tolerances | None,
        pods: Sequence[Pod],
        metrics: Mapping[str, PodMetric],
        now: float,
        container: str = "",
    ) -> tuple[int, int, float]:
        """``GetRawResourceReplicas``: AverageValue target (milli); ``(replicas, usage, timestamp)``."""
        if not metrics:
            raise MetricsUnavailableError(
                f"unable to get metrics for resource {resource}: "
                "no metrics returned from resource metrics API"
            )
        timestamp = next(iter(metrics.values())).timestamp
        replicas, usage = self.calc_plain_metric_replicas(
            metrics, current_replicas, target_usage, tolerances, pods, resource, now
        )
        return replicas, usage, timestamp

    def get_metric_replicas(
        self,
        current_replicas: int,
        target_usage: int,
        metric_name: str,
        tolerances: Tolerances | None,
        pods: Sequence[Pod],
        metrics: Mapping[str, PodMetric],
        now: float,
    ) -> tuple[int, int, float]:
        """``GetMetricReplicas``: a Pods metric, AverageValue target; ``(replicas, usage, timestamp)``."""
        if not metrics:
            raise MetricsUnavailableError(
                f"unable to get metric {metric_name}: no metrics returned from custom metrics API"
            )
        timestamp = next(iter(metrics.values())).timestamp
        replicas, usage = self.calc_plain_metric_replicas(
            metrics, current_replicas, target_usage, tolerances, pods, "", now
        )
        return replicas, usage, timestamp

    def calc_plain_metric_replicas(
        self,
        metrics: Mapping[str, PodMetric],
        current_replicas: int,
        target_usage: int,
        tolerances: Tolerances | None,
        pods: Sequence[Pod],
        resource: str,
        now: float,
    ) -> tuple[int, int]:
        """``calcPlainMetricReplicas``: ``(replicas, usage)`` for a per-pod average target.

        Like :meth:`get_resource_replicas` but on the plain average of the metric values
        (superfluous metrics of unknown pods included, as upstream); on scale-down a
        missing pod counts as exactly the target.
        """
        if not pods:
            raise HPAError(_ERR_NO_PODS)
        tol = tolerances if tolerances is not None else self.default_tolerances
        ready, unready, missing, ignored = group_pods(
            pods,
            metrics,
            resource,
            self.cpu_initialization_period,
            self.delay_of_initial_readiness_status,
            now,
            self.ignore_succeeded_pods,
        )
        kept = {k: v for k, v in metrics.items() if k not in ignored and k not in unready}
        if not kept:
            raise HPAError(_ERR_NO_TARGETED)
        usage_ratio, usage = get_metric_usage_ratio(kept, target_usage)

        scale_up_with_unready = bool(unready) and usage_ratio > 1.0
        if not scale_up_with_unready and not missing:
            if tol.is_within(usage_ratio):
                return current_replicas, usage
            return math.ceil(usage_ratio * ready), usage

        if missing:
            if usage_ratio < 1.0:
                # scale-down: missing pods use exactly the target
                for name in missing:
                    kept[name] = PodMetric(0.0, 0.0, target_usage)
            elif usage_ratio > 1.0:
                for name in missing:
                    kept[name] = PodMetric(0.0, 0.0, 0)
        if scale_up_with_unready:
            for name in unready:
                kept[name] = PodMetric(0.0, 0.0, 0)

        new_usage_ratio, _ = get_metric_usage_ratio(kept, target_usage)
        if (
            tol.is_within(new_usage_ratio)
            or (usage_ratio < 1.0 and new_usage_ratio > 1.0)
            or (usage_ratio > 1.0 and new_usage_ratio < 1.0)
        ):
            return current_replicas, usage
        new_replicas = math.ceil(new_usage_ratio * len(kept))
        if (new_usage_ratio < 1.0 and new_replicas > current_replicas) or (
            new_usage_ratio > 1.0 and new_replicas < current_replicas
        ):
            return current_replicas, usage
        return new_replicas, usage

    # -- Object and External metrics (values instead of clients) -----------------------------
    # Upstream's methods fetch the value through the metrics client first; the controller
    # does that here (HorizontalController._object_metric / _external_metric, with
    # upstream's error texts) and passes the value in. Go converts int64 operands to
    # float64 before dividing, so the divisions below do too (it matters above 2**53).

    def get_usage_ratio_replica_count(
        self,
        current_replicas: int,
        usage_ratio: float,
        tolerances: Tolerances | None,
        pods: Sequence[Pod],
    ) -> int:
        """``getUsageRatioReplicaCount``: scale on Running+Ready pods; from 0 use ``ceil(ratio)``.

        With ``current_replicas == 0`` neither tolerance nor ready pods apply (scale from
        zero). Raises :class:`HPAError` ("unable to calculate ready pods: …") when there
        are no pods at all.
        """
        tol = tolerances if tolerances is not None else self.default_tolerances
        if current_replicas != 0:
            if tol.is_within(usage_ratio):
                return current_replicas
            try:
                ready = get_ready_pods_count(pods)
            except HPAError as e:
                raise HPAError(f"unable to calculate ready pods: {e}") from e
            replicas = usage_ratio * ready
            if replicas > MAX_INT32:
                return MAX_INT32
            return math.ceil(replicas)
        return math.ceil(usage_ratio)

    def get_object_metric_replicas(
        self,
        current_replicas: int,
        target_usage: int,
        usage: int,
        tolerances: Tolerances | None,
        pods: Sequence[Pod],
    ) -> tuple[int, int]:
        """``GetObjectMetricReplicas`` given the object's metric ``usage`` (milli).

        Value target: ``ratio = usage / target``, then :meth:`get_usage_ratio_replica_count`.
        Returns ``(replicas, usage)``.
        """
        ratio = float(usage) / float(target_usage)
        return self.get_usage_ratio_replica_count(current_replicas, ratio, tolerances, pods), usage

    def get_object_per_pod_metric_replicas(
        self,
        status_replicas: int,
        target_average_usage: int,
        usage: int,
        tolerances: Tolerances | None,
    ) -> tuple[int, int]:
        """``GetObjectPerPodMetricReplicas``: AverageValue target over ``status.replicas``.

        ``ratio = usage / (target × status_replicas)``; outside tolerance the proposal is
        ``ceil(usage / target)``, else ``status_replicas``. Returns ``(replicas, usage per
        pod rounded up)``; with 0 status replicas the division is Go's (ratio +Inf or NaN,
        the per-pod usage Go's int64 of ±Inf/NaN, MinInt64 on amd64).
        """
        tol = tolerances if tolerances is not None else self.default_tolerances
        replicas = status_replicas
        ratio = _go_div(float(usage), float(target_average_usage) * float(replicas))
        if not tol.is_within(ratio):
            replicas = math.ceil(float(usage) / float(target_average_usage))
        return replicas, _go_ceil_int64(_go_div(float(usage), float(status_replicas)))

    def get_external_metric_replicas(
        self,
        current_replicas: int,
        target_usage: int,
        values: Iterable[int],
        tolerances: Tolerances | None,
        pods: Sequence[Pod],
    ) -> tuple[int, int]:
        """``GetExternalMetricReplicas``: Value target on the sum of all series (milli).

        The sum saturates at MaxInt64 (upstream's overflow guard); then as
        :meth:`get_object_metric_replicas`. Returns ``(replicas, usage)``.
        """
        usage = 0
        for value in values:
            if value > 0 and usage > MAX_INT64 - value:
                usage = MAX_INT64
                break
            usage += value
        ratio = float(usage) / float(target_usage)
        return self.get_usage_ratio_replica_count(current_replicas, ratio, tolerances, pods), usage

    def get_external_per_pod_metric_replicas(
        self,
        status_replicas: int,
        target_usage_per_pod: int,
        values: Iterable[int],
        tolerances: Tolerances | None,
    ) -> tuple[int, int]:
        """``GetExternalPerPodMetricReplicas``: AverageValue target on the summed series.

        Like :meth:`get_object_per_pod_metric_replicas`, with the replica proposal capped
        at MaxInt32 and a usage of MaxInt64 (overflowed sum) reported as is.
        """
        tol = tolerances if tolerances is not None else self.default_tolerances
        usage = 0
        for value in values:
            usage += value
            if usage > MAX_INT64:
                # upstream detects the int64 wrap-around
                usage = MAX_INT64
                break
        replicas = status_replicas
        ratio = _go_div(float(usage), float(target_usage_per_pod) * float(replicas))
        if not tol.is_within(ratio):
            result = math.ceil(float(usage) / float(target_usage_per_pod))
            replicas = MAX_INT32 if result > MAX_INT32 else result
        if float(usage) >= float(MAX_INT64):
            return replicas, MAX_INT64
        return replicas, _go_ceil_int64(_go_div(float(usage), float(status_replicas)))


def _go_div(a: float, b: float) -> float:
    """Go's float64 division: by zero gives ±Inf, or NaN for 0/0 (Python raises)."""
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _go_ceil_int64(x: float) -> int:
    """``int64(math.Ceil(x))``; Go on amd64 turns NaN, ±Inf and out-of-range into MinInt64."""
    if math.isnan(x) or math.isinf(x):
        return MIN_INT64
    value = math.ceil(x)
    if value > MAX_INT64 or value < MIN_INT64:
        return MIN_INT64
    return value
