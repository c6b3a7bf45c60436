"""Ported tests of the VPA estimators and pod resource recommender.

Source: kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/logic/
estimator_test.go (6 tests) and recommender_test.go (5 tests), named after the upstream
ones, plus the confidence-multiplier table of the comments in ``CreatePodResourceRecommender``
and the defaults of ``config/config.go``.
"""

from __future__ import annotations

import pytest

from capacity.k8s.vpa.estimator import (
    CombinedEstimator,
    ConstEstimator,
    PercentileEstimator,
    get_confidence,
    with_confidence_multiplier,
    with_margin,
    with_min_resource,
)
from capacity.k8s.vpa.histogram import Histogram
from capacity.k8s.vpa.model import (
    MAX_RESOURCE_AMOUNT,
    RESOURCE_CPU,
    RESOURCE_MEMORY,
    AggregateContainerState,
    AggregationsConfig,
    ContainerUsageSample,
    cores_from_cpu_amount,
    cpu_amount_from_cores,
    memory_amount_from_bytes,
)
from capacity.k8s.vpa.recommender import (
    DEFAULT_RECOMMENDATION_CONFIG,
    PodResourceRecommender,
    RecommendedContainerResources,
    create_pod_resource_recommender,
    map_to_list_of_recommended_container_resources,
    round_resources,
)

ANY_TIME = 0.0
DAY = 24 * 3600.0
DEFAULT_CONFIDENCE_INTERVAL = DAY


def const_cpu(cores: float) -> ConstEstimator:
    return ConstEstimator(cpu_amount_from_cores(cores))


def const_memory(num_bytes: float) -> ConstEstimator:
    return ConstEstimator(memory_amount_from_bytes(num_bytes))


def add_cpu_samples(s: AggregateContainerState, n: int, step: float, start: float = ANY_TIME) -> None:
    t = start
    for _ in range(n):
        s.add_sample(ContainerUsageSample(t, cpu_amount_from_cores(1.0), RESOURCE_CPU))
        t += step


# --------------------------------------------------------------------------- estimator_test.go


def test_percentile_estimator() -> None:
    """TestPercentileEstimator: p20 of {1, 2, 3} cores and p50 of {1, 2, 3} GB, within 5%."""
    config = AggregationsConfig()
    cpu = Histogram(config.cpu_histogram_options)
    memory = Histogram(config.memory_histogram_options)
    for v in (1.0, 2.0, 3.0):
        cpu.add_sample(v, 1.0, ANY_TIME)
        memory.add_sample(v * 1e9, 1.0, ANY_TIME)
    s = AggregateContainerState(cpu_histogram=cpu, memory_histogram=memory)
    estimator = CombinedEstimator(PercentileEstimator(RESOURCE_CPU, 0.2),
                                  PercentileEstimator(RESOURCE_MEMORY, 0.5))
    estimation = estimator.get_resource_estimation(s)
    assert cores_from_cpu_amount(estimation[RESOURCE_CPU]) == pytest.approx(1.0, rel=0.05)
    assert float(estimation[RESOURCE_MEMORY]) == pytest.approx(2e9, rel=0.05)


def test_confidence_multiplier() -> None:
    """TestConfidenceMultiplier: no history → +inf / 0; 9 samples 2 minutes apart →
    confidence 9/1440 = 0.00625 and 3.14 × (1 + 0.1/0.00625)^2 = 907.46 cores."""
    base_cpu, base_memory = const_cpu(3.14), const_memory(3.14e9)
    e1 = CombinedEstimator(
        with_confidence_multiplier(1.0, 1.0, base_cpu, DEFAULT_CONFIDENCE_INTERVAL),
        with_confidence_multiplier(1.0, 1.0, base_memory, DEFAULT_CONFIDENCE_INTERVAL))
    e2 = CombinedEstimator(
        with_confidence_multiplier(1.0, -1.0, base_cpu, DEFAULT_CONFIDENCE_INTERVAL),
        with_confidence_multiplier(1.0, -1.0, base_memory, DEFAULT_CONFIDENCE_INTERVAL))
    s = AggregateContainerState()
    assert e1.get_resource_estimation(s)[RESOURCE_CPU] == MAX_RESOURCE_AMOUNT
    assert e2.get_resource_estimation(s)[RESOURCE_CPU] == 0

    e3 = CombinedEstimator(
        with_confidence_multiplier(0.1, 2.0, base_cpu, DEFAULT_CONFIDENCE_INTERVAL),
        with_confidence_multiplier(0.1, 2.0, base_memory, DEFAULT_CONFIDENCE_INTERVAL))
    add_cpu_samples(s, 9, 120.0)
    assert get_confidence(s, DEFAULT_CONFIDENCE_INTERVAL) == 0.00625
    estimation = e3.get_resource_estimation(s)
    assert cores_from_cpu_amount(estimation[RESOURCE_CPU]) == 907.46
    assert float(estimation[RESOURCE_MEMORY]) == 9.0746e11


def test_confidence_multiplier_with_custom_interval() -> None:
    """TestConfidenceMultiplierWithCustomInterval: an 18-minute interval → confidence
    min(16/18, 9/18) = 0.5, 3.14 × 1.2^2 = 4.5216 (CPU truncated to 4.521 cores)."""
    interval = 18 * 60.0
    s = AggregateContainerState()
    e = CombinedEstimator(
        with_confidence_multiplier(0.1, 2.0, const_cpu(3.14), interval),
        with_confidence_multiplier(0.1, 2.0, const_memory(3.14e9), interval))
    add_cpu_samples(s, 9, 120.0)
    assert get_confidence(s, interval) == 0.5
    estimation = e.get_resource_estimation(s)
    assert cores_from_cpu_amount(estimation[RESOURCE_CPU]) == 4.521
    assert float(estimation[RESOURCE_MEMORY]) == 4.5216e9


def test_confidence_multiplier_no_history() -> None:
    """TestConfidenceMultiplierNoHistory: a positive exponent with no history → 1e14."""
    e = CombinedEstimator(
        with_confidence_multiplier(0.1, 2.0, const_cpu(3.14), DEFAULT_CONFIDENCE_INTERVAL),
        with_confidence_multiplier(0.1, 2.0, const_memory(3.14e9), DEFAULT_CONFIDENCE_INTERVAL))
    assert e.get_resource_estimation(AggregateContainerState())[RESOURCE_CPU] == MAX_RESOURCE_AMOUNT


def test_margin_estimator() -> None:
    """TestMarginEstimator: +10% (Go's constant 3.14*1.1 is exactly 3.454)."""
    e = CombinedEstimator(with_margin(0.1, const_cpu(3.14)), with_margin(0.1, const_memory(3.14e9)))
    estimation = e.get_resource_estimation(AggregateContainerState())
    assert cores_from_cpu_amount(estimation[RESOURCE_CPU]) == 3.454
    assert float(estimation[RESOURCE_MEMORY]) == 3.454e9


def test_min_resources_estimator() -> None:
    """TestMinResourcesEstimator: a minimum below the estimate changes nothing."""
    s = AggregateContainerState()
    cpu = with_min_resource(cpu_amount_from_cores(0.2), const_cpu(3.14))
    assert cores_from_cpu_amount(cpu.estimate(s)) == 3.14
    memory = with_min_resource(memory_amount_from_bytes(2e7), const_memory(4e8))
    assert float(memory.estimate(s)) == 4e8
    assert with_min_resource(500, const_cpu(0.1)).estimate(s) == 500


# --------------------------------------------------------------------------- recommender_test.go


def const_recommender(min_cpu_millicores: float = 0.0, min_memory_mb: float = 0.0) -> PodResourceRecommender:
    cpu, memory = const_cpu(0.001), const_memory(1e6)
    return PodResourceRecommender(cpu, memory, cpu, memory, cpu, memory,
                                  min_cpu_millicores, min_memory_mb)


def test_min_resources_applied() -> None:
    """TestMinResourcesApplied: 1m and 1 MB are raised to 25m and 250 MiB."""
    rec = const_recommender(25.0, 250.0).get_recommended_pod_resources(
        {"container-1": AggregateContainerState()})
    assert rec["container-1"].target[RESOURCE_CPU] == cpu_amount_from_cores(25.0 / 1000)
    assert rec["container-1"].target[RESOURCE_MEMORY] == memory_amount_from_bytes(250.0 * 1024 * 1024)


def test_min_resources_split_across_containers() -> None:
    """TestMinResourcesSplitAcrossContainers: two containers get half the pod minimum each."""
    rec = const_recommender(25.0, 250.0).get_recommended_pod_resources(
        {"container-1": AggregateContainerState(), "container-2": AggregateContainerState()})
    for name in ("container-1", "container-2"):
        assert rec[name].target[RESOURCE_CPU] == cpu_amount_from_cores((25.0 / 1000) / 2)
        assert rec[name].target[RESOURCE_MEMORY] == memory_amount_from_bytes((250.0 * 1024 * 1024) / 2)
    assert rec["container-1"].target == {RESOURCE_CPU: 12, RESOURCE_MEMORY: 131072000}


def test_controlled_resources_filtered() -> None:
    """TestControlledResourcesFiltered: only memory is controlled."""
    s = AggregateContainerState()
    s.controlled_resources = (RESOURCE_MEMORY,)
    rec = const_recommender().get_recommended_pod_resources({"container-1": s})["container-1"]
    for bound in (rec.target, rec.lower_bound, rec.upper_bound):
        assert RESOURCE_MEMORY in bound
        assert RESOURCE_CPU not in bound


def test_controlled_resources_filtered_default() -> None:
    """TestControlledResourcesFilteredDefault: memory and cpu controlled."""
    s = AggregateContainerState()
    s.controlled_resources = (RESOURCE_MEMORY, RESOURCE_CPU)
    rec = const_recommender().get_recommended_pod_resources({"container-1": s})["container-1"]
    for bound in (rec.target, rec.lower_bound, rec.upper_bound):
        assert set(bound) == {RESOURCE_CPU, RESOURCE_MEMORY}


@pytest.mark.parametrize("names", [["a", "b", "c", "d"], ["b", "a", "d", "c"]],
                         ids=["All recommendations sorted", "All recommendations unsorted"])
def test_map_to_list_of_recommended_container_resources(names: list[str]) -> None:
    """TestMapToListOfRecommendedContainerResources: sorted by name, amounts unchanged."""
    resources = {
        f"{n}-container": RecommendedContainerResources(
            target={RESOURCE_CPU: cpu_amount_from_cores(i + 1),
                    RESOURCE_MEMORY: memory_amount_from_bytes((i + 1) * 1e6)})
        for i, n in enumerate(names)
    }
    out = map_to_list_of_recommended_container_resources(resources, 1, 1)
    assert [r.container_name for r in out] == ["a-container", "b-container", "c-container",
                                               "d-container"]
    for r in out:
        assert r.target == resources[r.container_name].target
        assert r.uncapped_target == r.target


# --------------------------------------------------------------------------- the assembled recommender


def test_default_recommendation_config() -> None:
    """config/config.go DefaultRecommenderConfig: the recommendation flags."""
    c = DEFAULT_RECOMMENDATION_CONFIG
    assert (c.safety_margin_fraction, c.pod_min_cpu_millicores, c.pod_min_memory_mb) == (0.15, 25, 250)
    assert (c.target_cpu_percentile, c.lower_bound_cpu_percentile, c.upper_bound_cpu_percentile) == (
        0.9, 0.5, 0.95)
    assert (c.target_memory_percentile, c.lower_bound_memory_percentile,
            c.upper_bound_memory_percentile) == (0.9, 0.5, 0.95)
    assert c.confidence_interval_cpu == c.confidence_interval_memory == DAY
    assert (c.round_cpu_millicores, c.round_memory_bytes) == (1, 1)


@pytest.mark.parametrize(
    ("history_minutes", "upper_factor", "lower_factor"),
    [
        (12 * 60, 3.0, None),       # "12h history: *3"
        (24 * 60, 2.0, None),       # "24h history: *2"
        (7 * 24 * 60, 1.14, None),  # "1 week history: *1.14"
        (5, None, 0.6),             # "5m history: *0.6"
        (30, None, 0.9),            # "30m history: *0.9"
        (60, None, 0.95),           # "60m history: *0.95"
    ],
)
def test_confidence_multipliers_of_the_bounds(
    history_minutes: int, upper_factor: float | None, lower_factor: float | None
) -> None:
    """The multiplier table in CreatePodResourceRecommender's comments (rounded there):
    upper bound (1 + 1/days)^1, lower bound (1 + 0.001/days)^-2, one sample a minute."""
    s = AggregateContainerState()
    add_cpu_samples(s, history_minutes + 1, 60.0)  # span = history_minutes
    days = history_minutes / (24 * 60)
    base = ConstEstimator(1_000_000)
    upper = with_confidence_multiplier(1.0, 1.0, base, DAY).estimate(s) / 1e6
    lower = with_confidence_multiplier(0.001, -2.0, base, DAY).estimate(s) / 1e6
    assert upper == pytest.approx(1 + 1 / days, abs=1e-6)
    assert lower == pytest.approx((1 + 0.001 / days) ** -2, abs=1e-6)
    if upper_factor is not None:
        assert upper == pytest.approx(upper_factor, abs=0.005)
    if lower_factor is not None:
        assert lower == pytest.approx(lower_factor, abs=0.015)


def test_create_pod_resource_recommender_on_an_empty_state() -> None:
    """No samples: every bound falls to the pod minimum (the upper bound's 0 × inf is 0)."""
    rec = create_pod_resource_recommender().get_recommended_pod_resources(
        {"app": AggregateContainerState()})["app"]
    minimum = {RESOURCE_CPU: 25, RESOURCE_MEMORY: 250 * 1024 * 1024}
    assert rec.target == rec.lower_bound == rec.upper_bound == minimum


def test_round_resources() -> None:
    """ResourcesAsResourceList: --round-cpu-millicores / --round-memory-bytes round up."""
    assert round_resources({RESOURCE_CPU: 247, RESOURCE_MEMORY: 1}, 50, 1024) == {
        RESOURCE_CPU: 250, RESOURCE_MEMORY: 1024}
    assert round_resources({RESOURCE_CPU: 0, RESOURCE_MEMORY: 2048}, 50, 1024) == {
        RESOURCE_CPU: 0, RESOURCE_MEMORY: 2048}
