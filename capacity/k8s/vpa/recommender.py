"""The VPA pod resource recommender: target, lower bound and upper bound per container.

Mirrors ``kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/``:
``logic/recommender.go`` (``RecommendationConfig``, ``CreatePodResourceRecommender``,
``GetRecommendedPodResources``, ``estimateContainerResources``,
``FilterControlledResources``, ``MapToListOfRecommendedContainerResources``),
``config/config.go`` (``DefaultRecommenderConfig``: the flag defaults) and the rounding of
``model/types.go`` ``ResourcesAsResourceList`` (``--round-cpu-millicores``,
``--round-memory-bytes``).

Each estimator chain is percentile → safety margin → confidence multiplier (bounds only)
→ the pod minimum split over the containers:

* target: p90 × 1.15;
* lower bound: p50 × 1.15 × (1 + 0.001/confidence)^-2 (≈ 1 after an hour of samples);
* upper bound: p95 × 1.15 × (1 + 1/confidence)^+1 (×2 with one day of history, ×1.14
  with a week, +inf with none, clamped to 1e14);
* all at least 25 millicores and 250 MiB per pod, divided by the number of containers.

Amounts are ints, CPU in millicores and memory in bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from capacity.k8s.vpa.estimator import (
    ConfidenceMultiplier,
    Estimator,
    MarginEstimator,
    MinResourceEstimator,
    PercentileEstimator,
)
from capacity.k8s.vpa.model import (
    RESOURCE_CPU,
    RESOURCE_MEMORY,
    AggregateContainerState,
    Resources,
    cpu_amount_from_cores,
    memory_amount_from_bytes,
    round_up_to_scale,
    scale_resource,
)

# logic/recommender.go, in CreatePodResourceRecommender
UPPER_BOUND_CONFIDENCE_MULTIPLIER = 1.0
UPPER_BOUND_CONFIDENCE_EXPONENT = 1.0
LOWER_BOUND_CONFIDENCE_MULTIPLIER = 0.001
LOWER_BOUND_CONFIDENCE_EXPONENT = -2.0


@dataclass(frozen=True, slots=True)
class RecommendationConfig:
    """``RecommendationConfig`` with the recommender's flag defaults (``config/config.go``).

    ``safety_margin_fraction`` (``--recommendation-margin-fraction``, 0.15),
    ``pod_min_cpu_millicores`` (``--pod-recommendation-min-cpu-millicores``, 25),
    ``pod_min_memory_mb`` (``--pod-recommendation-min-memory-mb``, 250; MiB: upstream
    multiplies by 1024²), the percentiles (``--target-cpu-percentile`` 0.9,
    ``--recommendation-lower-bound-cpu-percentile`` 0.5,
    ``--recommendation-upper-bound-cpu-percentile`` 0.95 and the memory ones alike),
    ``confidence_interval_cpu`` / ``_memory`` in seconds (``--confidence-interval-cpu``,
    24h), and the output rounding ``round_cpu_millicores`` / ``round_memory_bytes``
    (``--round-cpu-millicores``, ``--round-memory-bytes``, 1 = none).
    """

    safety_margin_fraction: float = 0.15
    pod_min_cpu_millicores: float = 25.0
    pod_min_memory_mb: float = 250.0
    target_cpu_percentile: float = 0.9
    lower_bound_cpu_percentile: float = 0.5
    upper_bound_cpu_percentile: float = 0.95
    confidence_interval_cpu: float = 24 * 3600.0
    target_memory_percentile: float = 0.9
    lower_bound_memory_percentile: float = 0.5
    upper_bound_memory_percentile: float = 0.95
    confidence_interval_memory: float = 24 * 3600.0
    round_cpu_millicores: int = 1
    round_memory_bytes: int = 1


DEFAULT_RECOMMENDATION_CONFIG = RecommendationConfig()


@dataclass(slots=True)
class RecommendedContainerResources:
    """``logic.RecommendedContainerResources``: the estimated amounts of one container."""

    target: Resources = field(default_factory=dict)
    lower_bound: Resources = field(default_factory=dict)
    upper_bound: Resources = field(default_factory=dict)


@dataclass(slots=True)
class ContainerRecommendation:
    """``RecommendedContainerResources`` of the VPA status (``vpa_types``).

    ``uncapped_target`` is the target before the resource policy capped it.
    """

    container_name: str
    target: Resources = field(default_factory=dict)
    lower_bound: Resources = field(default_factory=dict)
    upper_bound: Resources = field(default_factory=dict)
    uncapped_target: Resources = field(default_factory=dict)

    def copy(self) -> ContainerRecommendation:
        """A deep copy (``DeepCopy``)."""
        return ContainerRecommendation(
            self.container_name, dict(self.target), dict(self.lower_bound),
            dict(self.upper_bound), dict(self.uncapped_target))

    def as_dict(self) -> dict[str, Resources]:
        """The status field names: ``target``, ``lowerBound``, ``upperBound``, ``uncappedTarget``."""
        return {
            "target": dict(self.target),
            "lowerBound": dict(self.lower_bound),
            "upperBound": dict(self.upper_bound),
            "uncappedTarget": dict(self.uncapped_target),
        }


@dataclass(frozen=True, slots=True)
class PodResourceRecommender:
    """``podResourceRecommender``: one estimator per bound and resource, plus pod minimums."""

    target_cpu: Estimator
    target_memory: Estimator
    lower_bound_cpu: Estimator
    lower_bound_memory: Estimator
    upper_bound_cpu: Estimator
    upper_bound_memory: Estimator
    min_cpu_millicores: float = 0.0
    min_memory_mb: float = 0.0

    def get_recommended_pod_resources(
        self, states: Mapping[str, AggregateContainerState]
    ) -> dict[str, RecommendedContainerResources]:
        """``GetRecommendedPodResources``: container name → estimated amounts.

        The pod minimums are split evenly over the containers of ``states``.
        """
        if not states:
            return {}
        fraction = 1.0 / len(states)
        min_cpu = scale_resource(cpu_amount_from_cores(self.min_cpu_millicores * 0.001), fraction)
        min_memory = scale_resource(
            memory_amount_from_bytes(self.min_memory_mb * 1024 * 1024), fraction)
        with_minimums = PodResourceRecommender(
            MinResourceEstimator(min_cpu, self.target_cpu),
            MinResourceEstimator(min_memory, self.target_memory),
            MinResourceEstimator(min_cpu, self.lower_bound_cpu),
            MinResourceEstimator(min_memory, self.lower_bound_memory),
            MinResourceEstimator(min_cpu, self.upper_bound_cpu),
            MinResourceEstimator(min_memory, self.upper_bound_memory),
            self.min_cpu_millicores,
            self.min_memory_mb,
        )
        return {name: with_minimums.estimate_container_resources(s) for name, s in states.items()}

    def estimate_container_resources(
        self, s: AggregateContainerState
    ) -> RecommendedContainerResources:
        """``estimateContainerResources``: the three estimates, controlled resources only."""
        controlled = s.get_controlled_resources()
        target = {RESOURCE_CPU: self.target_cpu.estimate(s),
                  RESOURCE_MEMORY: self.target_memory.estimate(s)}
        lower = {RESOURCE_CPU: self.lower_bound_cpu.estimate(s),
                 RESOURCE_MEMORY: self.lower_bound_memory.estimate(s)}
        upper = {RESOURCE_CPU: self.upper_bound_cpu.estimate(s),
                 RESOURCE_MEMORY: self.upper_bound_memory.estimate(s)}
        return RecommendedContainerResources(
            filter_controlled_resources(target, controlled),
            filter_controlled_resources(lower, controlled),
            filter_controlled_resources(upper, controlled),
        )


def filter_controlled_resources(estimation: Mapping[str, int], controlled: Iterable[str]) -> Resources:
    """``FilterControlledResources``: only the resources named in ``controlled``."""
    return {r: estimation[r] for r in controlled if r in estimation}


def create_pod_resource_recommender(
    config: RecommendationConfig = DEFAULT_RECOMMENDATION_CONFIG,
) -> PodResourceRecommender:
    """``CreatePodResourceRecommender``: the recommender's estimator chains."""
    margin = config.safety_margin_fraction

    def chain(resource: str, percentile: float) -> Estimator:
        return MarginEstimator(margin, PercentileEstimator(resource, percentile))

    ci_cpu, ci_mem = config.confidence_interval_cpu, config.confidence_interval_memory
    # Short histories widen the bounds so the updater does not evict pods on little data.
    upper_cpu = ConfidenceMultiplier(
        UPPER_BOUND_CONFIDENCE_MULTIPLIER, UPPER_BOUND_CONFIDENCE_EXPONENT,
        chain(RESOURCE_CPU, config.upper_bound_cpu_percentile), ci_cpu)
    upper_memory = ConfidenceMultiplier(
        UPPER_BOUND_CONFIDENCE_MULTIPLIER, UPPER_BOUND_CONFIDENCE_EXPONENT,
        chain(RESOURCE_MEMORY, config.upper_bound_memory_percentile), ci_mem)
    lower_cpu = ConfidenceMultiplier(
        LOWER_BOUND_CONFIDENCE_MULTIPLIER, LOWER_BOUND_CONFIDENCE_EXPONENT,
        chain(RESOURCE_CPU, config.lower_bound_cpu_percentile), ci_cpu)
    lower_memory = ConfidenceMultiplier(
        LOWER_BOUND_CONFIDENCE_MULTIPLIER, LOWER_BOUND_CONFIDENCE_EXPONENT,
        chain(RESOURCE_MEMORY, config.lower_bound_memory_percentile), ci_mem)
    return PodResourceRecommender(
        chain(RESOURCE_CPU, config.target_cpu_percentile),
        chain(RESOURCE_MEMORY, config.target_memory_percentile),
        lower_cpu,
        lower_memory,
        upper_cpu,
        upper_memory,
        config.pod_min_cpu_millicores,
        config.pod_min_memory_mb,
    )


def round_resources(
    resources: Mapping[str, int], round_cpu_millicores: int = 1, round_memory_bytes: int = 1
) -> Resources:
    """The rounding of ``ResourcesAsResourceList``: non-zero amounts up to a multiple.

    A factor of 1 leaves amounts alone; a factor <= 0 is ignored (upstream logs and keeps
    the raw value).
    """
    out: Resources = {}
    for name, amount in resources.items():
        if name not in (RESOURCE_CPU, RESOURCE_MEMORY):
            continue
        scale = round_cpu_millicores if name == RESOURCE_CPU else round_memory_bytes
        if scale != 1 and amount != 0 and scale > 0:
            amount = round_up_to_scale(amount, scale)
        out[name] = amount
    return out


def map_to_list_of_recommended_container_resources(
    resources: Mapping[str, RecommendedContainerResources],
    round_cpu_millicores: int = 1,
    round_memory_bytes: int = 1,
) -> list[ContainerRecommendation]:
    """``MapToListOfRecommendedContainerResources``: sorted by container name, rounded,
    with ``uncapped_target`` equal to the target (capping comes after)."""

    def rnd(r: Mapping[str, int]) -> Resources:
        return round_resources(r, round_cpu_millicores, round_memory_bytes)

    return [
        ContainerRecommendation(
            name,
            target=rnd(resources[name].target),
            lower_bound=rnd(resources[name].lower_bound),
            upper_bound=rnd(resources[name].upper_bound),
            uncapped_target=rnd(resources[name].target),
        )
        for name in sorted(resources)
    ]
