"""What the VPA recommender keeps for one VPA, and its recommendation for it.

Mirrors the parts of ``kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/``
that one VerticalPodAutoscaler over one workload uses:

* ``model/cluster.go``: ``AddOrUpdatePod``, ``AddOrUpdateContainer``, ``DeletePod``,
  ``AddSample``, ``RecordOOM``, ``findOrCreateAggregateContainerState`` and
  ``garbageCollectAggregateCollectionStates`` / ``RateLimitedGarbageCollect...`` (an
  aggregate with no CPU sample for 8 days is dropped, checked at most once an hour);
* ``model/aggregate_container_state.go`` ``ContainerStateAggregatorProxy`` (a container
  whose aggregate was collected gets a new one);
* ``model/vpa.go`` ``UseAggregationIfMatching`` and ``AggregateStateByContainerName``;
* ``routines/vpa.go`` ``GetContainerNameToAggregateStateMap`` (containers in ``mode: Off``
  get nothing; the others take their policy's ``controlledResources``);
* ``routines/recommender.go`` ``processVPAUpdate`` with the capping post-processor
  (``routines/capping_post_processor.go``): estimate, list with ``uncappedTarget``, cap.

Upstream keys aggregates by namespace, container name and the pod's labels; here by
container name and a pod label set given to :meth:`VpaRecommenderState.add_pod` (pods of
one ReplicaSet share labels; a new ReplicaSet's ``pod-template-hash`` starts a new
aggregate, which the recommendation merges with the old one until that expires).

Feeding it as the real recommender is fed (``input/cluster_feeder.go``, metrics-server):
every ``--recommender-interval`` (1 minute) one CPU sample per container, the usage rate in
cores averaged over the metrics window and stamped with the window's end, and one memory
sample, the working set in bytes at that time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from capacity.k8s.vpa.capping import apply_vpa_policy, get_container_resource_policy
from capacity.k8s.vpa.model import (
    CONTAINER_SCALING_MODE_OFF,
    DEFAULT_AGGREGATIONS_CONFIG,
    RESOURCE_CPU,
    RESOURCE_MEMORY,
    AggregateContainerState,
    AggregationsConfig,
    ContainerState,
    ContainerUsageSample,
    Resources,
    aggregate_state_by_container_name,
    cpu_amount_from_cores,
    memory_amount_from_bytes,
)
from capacity.k8s.vpa.recommender import (
    DEFAULT_RECOMMENDATION_CONFIG,
    RecommendationConfig,
    create_pod_resource_recommender,
    map_to_list_of_recommended_container_resources,
)

AGGREGATE_CONTAINER_STATE_GC_INTERVAL = 3600.0
"""``aggregateContainerStateGCInterval`` (routines/recommender_controller.go): 1 hour."""

LabelsKey = tuple[tuple[str, str], ...]
AggregateKey = tuple[LabelsKey, str]
"""(pod labels, container name)."""

Recommendation = dict[str, dict[str, Resources]]
"""Container name → ``{"target", "lowerBound", "upperBound", "uncappedTarget"}`` →
``{"cpu": millicores, "memory": bytes}``."""


def get_container_name_to_aggregate_state_map(
    states: Mapping[str, AggregateContainerState],
    policy: Mapping[str, Any] | None,
    per_vpa_config: bool = False,
) -> dict[str, AggregateContainerState]:
    """``GetContainerNameToAggregateStateMap``: drop ``mode: Off`` containers and apply each
    remaining container's policy (``UpdateFromPolicy``; this sets fields on the states)."""
    result: dict[str, AggregateContainerState] = {}
    for name, state in states.items():
        container_policy = get_container_resource_policy(name, policy)
        if container_policy is not None and container_policy.get("mode") == CONTAINER_SCALING_MODE_OFF:
            continue
        state.update_from_policy(container_policy, per_vpa_config)
        result[name] = state
    return result


def recommend(
    states: Mapping[str, AggregateContainerState],
    policy: Mapping[str, Any] | None = None,
    config: RecommendationConfig = DEFAULT_RECOMMENDATION_CONFIG,
    global_max_allowed: Mapping[str, Any] | None = None,
    per_vpa_config: bool = False,
) -> Recommendation:
    """The VPA status recommendation (``processVPAUpdate``) for per-container-name states.

    ``policy`` is the VPA's ``spec.resourcePolicy`` dict; ``global_max_allowed`` the
    recommender's ``--container-recommendation-max-allowed-cpu`` / ``-memory``
    (quantities). Returns container name → ``target``, ``lowerBound``, ``upperBound``,
    ``uncappedTarget`` as ``{"cpu": millicores, "memory": bytes}`` (only controlled
    resources), sorted by container name. ``uncappedTarget`` is the target before capping.
    """
    filtered = get_container_name_to_aggregate_state_map(states, policy, per_vpa_config)
    estimated = create_pod_resource_recommender(config).get_recommended_pod_resources(filtered)
    listed = map_to_list_of_recommended_container_resources(
        estimated, config.round_cpu_millicores, config.round_memory_bytes)
    capped = apply_vpa_policy(listed, policy, global_max_allowed) or []
    return {r.container_name: r.as_dict() for r in capped}


class _AggregatorProxy:
    """``ContainerStateAggregatorProxy``: finds (or re-creates) the container's aggregate."""

    __slots__ = ("container", "owner", "pod")

    def __init__(self, owner: VpaRecommenderState, pod: str, container: str) -> None:
        self.owner = owner
        self.pod = pod
        self.container = container

    def _state(self) -> AggregateContainerState:
        return self.owner.find_or_create_aggregate_container_state(self.pod, self.container)

    def add_sample(self, sample: ContainerUsageSample) -> None:
        self._state().add_sample(sample)

    def subtract_sample(self, sample: ContainerUsageSample) -> None:
        self._state().subtract_sample(sample)

    @property
    def oom_bump_up_ratio(self) -> float:
        return self._state().oom_bump_up_ratio

    @property
    def oom_min_bump_up(self) -> float:
        return self._state().oom_min_bump_up

    @property
    def memory_aggregation_interval(self) -> float:
        return self._state().memory_aggregation_interval


class VpaRecommenderState:
    """The recommender's memory for one VPA: container states per pod, aggregates per
    (pod labels, container name), O(histogram buckets) each.

    ``policy`` is the VPA's ``spec.resourcePolicy`` (or None). ``created_at`` is when the
    recommender started watching (seconds); new aggregates are created at the time of the
    sample that needs them. Samples for unknown pods or containers create them.
    """

    def __init__(
        self,
        policy: Mapping[str, Any] | None = None,
        aggregations: AggregationsConfig = DEFAULT_AGGREGATIONS_CONFIG,
        per_vpa_config: bool = False,
        gc_interval: float = AGGREGATE_CONTAINER_STATE_GC_INTERVAL,
        created_at: float = 0.0,
    ) -> None:
        self.policy = policy
        self.aggregations = aggregations
        self.per_vpa_config = per_vpa_config
        self.gc_interval = gc_interval
        self.aggregates: dict[AggregateKey, AggregateContainerState] = {}
        self.pods: dict[str, dict[str, ContainerState]] = {}
        self.pod_labels: dict[str, LabelsKey] = {}
        self.last_gc = created_at
        self._now = created_at

    # pods and containers ------------------------------------------------------------
    def add_pod(self, pod: str, labels: Mapping[str, str] | None = None) -> None:
        """``AddOrUpdatePod``: register a pod (or change its labels)."""
        self.pods.setdefault(pod, {})
        self.pod_labels[pod] = tuple(sorted((labels or {}).items()))

    def delete_pod(self, pod: str) -> None:
        """``DeletePod``: forget the pod's containers; their aggregates stay until they expire."""
        self.pods.pop(pod, None)
        self.pod_labels.pop(pod, None)

    def add_container(self, pod: str, container: str, request: Resources | None = None) -> ContainerState:
        """``AddOrUpdateContainer``: ``request`` in millicores / bytes (used by OOMs)."""
        if pod not in self.pods:
            self.add_pod(pod)
        containers = self.pods[pod]
        state = containers.get(container)
        if state is None:
            state = containers[container] = ContainerState(_AggregatorProxy(self, pod, container), request)
            # Creating the aggregate links it to the VPA, as upstream does on AddOrUpdateContainer.
            self.find_or_create_aggregate_container_state(pod, container)
        elif request is not None:
            state.request = dict(request)
        return state

    def find_or_create_aggregate_container_state(self, pod: str, container: str) -> AggregateContainerState:
        """``findOrCreateAggregateContainerState`` + ``UseAggregationIfMatching``."""
        key = (self.pod_labels.get(pod, ()), container)
        state = self.aggregates.get(key)
        if state is None:
            state = AggregateContainerState(self.aggregations, creation_time=self._now)
            state.update_from_policy(
                get_container_resource_policy(container, self.policy), self.per_vpa_config)
            self.aggregates[key] = state
        return state

    # samples ------------------------------------------------------------------------
    def add_cpu_sample(
        self, pod: str, container: str, t: float, usage_cores: float,
        request_cores: float | None = None,
    ) -> bool:
        """A CPU sample: average usage in cores over the interval starting at ``t`` (s).

        ``request_cores`` (else the container's known request) only matters with
        ``cpu_sample_weight_by_request``. False if discarded (negative, or not after the
        container's previous CPU sample).
        """
        if usage_cores < 0:
            return False
        self._now = max(self._now, t)
        state = self.add_container(pod, container)
        request = (cpu_amount_from_cores(request_cores) if request_cores is not None
                   else state.request.get(RESOURCE_CPU, 0))
        return state.add_sample(
            ContainerUsageSample(t, cpu_amount_from_cores(usage_cores), RESOURCE_CPU, request))

    def add_memory_sample(self, pod: str, container: str, t: float, working_set_bytes: float) -> bool:
        """A memory sample: working set in bytes at ``t`` (s). False if discarded."""
        if working_set_bytes < 0:
            return False
        self._now = max(self._now, t)
        state = self.add_container(pod, container)
        return state.add_sample(
            ContainerUsageSample(t, memory_amount_from_bytes(working_set_bytes), RESOURCE_MEMORY))

    def add_usage_samples(
        self, pod: str, container: str, cpu_t: float, usage_cores: float,
        memory_t: float, working_set_bytes: float,
    ) -> int:
        """One feeder pass over one known container: :meth:`add_cpu_sample` then
        :meth:`add_memory_sample`, with the same results, the container's state looked up
        once and its aggregate once (the feeder adds two samples per container every
        minute). Returns how many of the two were kept (0-2)."""
        containers = self.pods.get(pod)
        state = containers.get(container) if containers is not None else None
        if state is None:  # a new container: the general path creates it
            return (int(self.add_cpu_sample(pod, container, cpu_t, usage_cores))
                    + int(self.add_memory_sample(pod, container, memory_t, working_set_bytes)))
        kept = 0
        if not usage_cores < 0:  # (as add_cpu_sample: NaN is not refused)
            if cpu_t > self._now:
                self._now = cpu_t
            # ContainerState.add_cpu_sample's checks (its usage is never negative here),
            # then its aggregator proxy's add, straight to the aggregate.
            last = state.last_cpu_sample_start
            if last is None or cpu_t > last:
                self.find_or_create_aggregate_container_state(pod, container).add_cpu_sample(
                    ContainerUsageSample(cpu_t, cpu_amount_from_cores(usage_cores), RESOURCE_CPU,
                                         state.request.get(RESOURCE_CPU, 0)))
                state.last_cpu_sample_start = cpu_t
                kept += 1
        if not working_set_bytes < 0:
            if memory_t > self._now:
                self._now = memory_t
            if state.add_memory_sample(ContainerUsageSample(
                    memory_t, memory_amount_from_bytes(working_set_bytes), RESOURCE_MEMORY)):
                kept += 1
        return kept

    def record_oom(
        self, pod: str, container: str, t: float, memory_request_bytes: float | None = None
    ) -> bool:
        """``RecordOOM``: an OOM kill at ``t``; ``memory_request_bytes`` defaults to the
        container's known memory request. False if discarded as too old (upstream logs it)."""
        self._now = max(self._now, t)
        state = self.add_container(pod, container)
        request = (memory_amount_from_bytes(memory_request_bytes) if memory_request_bytes is not None
                   else state.request.get(RESOURCE_MEMORY, 0))
        try:
            state.record_oom(t, request)
        except ValueError:
            return False
        return True

    # garbage collection and recommendation ------------------------------------------
    def garbage_collect(self, now: float) -> list[AggregateKey]:
        """``garbageCollectAggregateCollectionStates``: drop expired aggregates, and empty ones
        no current pod contributes to. Returns the keys dropped."""
        contributive = {
            (self.pod_labels.get(pod, ()), name)
            for pod, containers in self.pods.items() for name in containers
        }
        dropped = [
            key for key, state in self.aggregates.items()
            if (key not in contributive and state.is_empty()) or state.is_expired(now)
        ]
        for key in dropped:
            del self.aggregates[key]
        return dropped

    def rate_limited_garbage_collect(self, now: float) -> None:
        """``RateLimitedGarbageCollectAggregateCollectionStates``: at most once per interval."""
        if now - self.last_gc < self.gc_interval:
            return
        self.garbage_collect(now)
        self.last_gc = now

    def aggregate_state_by_container_name(self, now: float = 0.0) -> dict[str, AggregateContainerState]:
        """``Vpa.AggregateStateByContainerName``: fresh merged states per container name."""
        return aggregate_state_by_container_name(
            ((name, state) for (_, name), state in self.aggregates.items()),
            self.aggregations, now)

    def recommend(
        self,
        now: float,
        config: RecommendationConfig = DEFAULT_RECOMMENDATION_CONFIG,
        global_max_allowed: Mapping[str, Any] | None = None,
    ) -> Recommendation:
        """One recommender loop at ``now`` (s): garbage collection, then :func:`recommend`
        on the merged states with this VPA's policy. Same units as :func:`recommend`."""
        self._now = max(self._now, now)
        self.rate_limited_garbage_collect(now)
        return recommend(self.aggregate_state_by_container_name(now), self.policy, config,
                         global_max_allowed, self.per_vpa_config)
