"""Ported tests of the VPA recommender's container and aggregate states.

Source: kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/model/
container_test.go (14 tests: sampling, memory peaks per interval, OOM bumps) and
aggregate_container_state_test.go (10 tests: aggregation by container name, checkpoints,
expiry, UpdateFromPolicy). Upstream checks histogram calls with a testify mock; here a
recording histogram captures ``(op, value, weight, time)`` in order. Times are float
seconds from the Unix epoch.
"""

from __future__ import annotations

import calendar

import pytest

from capacity.k8s.vpa.histogram import DecayingHistogram, Histogram, HistogramCheckpoint
from capacity.k8s.vpa.model import (
    CONTAINER_SCALING_MODE_AUTO,
    CONTAINER_SCALING_MODE_OFF,
    DEFAULT_OOM_MIN_BUMP_UP,
    MIN_SAMPLE_WEIGHT,
    RESOURCE_CPU,
    RESOURCE_MEMORY,
    SUPPORTED_CHECKPOINT_VERSION,
    AggregateContainerState,
    AggregationsConfig,
    ContainerState,
    ContainerUsageSample,
    aggregate_state_by_container_name,
)

TEST_TIMESTAMP = float(calendar.timegm((2017, 4, 18, 17, 35, 5)))
HOUR = 3600.0
DAY = 24 * HOUR
INTERVAL = AggregationsConfig().memory_aggregation_interval  # 24h
MB = 1024 * 1024
TEST_REQUEST = {RESOURCE_CPU: 2300, RESOURCE_MEMORY: 500_000_000}

Call = tuple[str, float, float, float]


class RecordingHistogram(Histogram):
    """A histogram that records its add/subtract calls (stands in for util.MockHistogram)."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        super().__init__(AggregationsConfig().memory_histogram_options)
        self.calls: list[Call] = []

    def add_sample(self, value: float, weight: float, t: float = 0.0) -> None:
        self.calls.append(("add", value, weight, t))

    def subtract_sample(self, value: float, weight: float, t: float = 0.0) -> None:
        self.calls.append(("subtract", value, weight, t))


class ContainerTest:
    """``newContainerTest``: a container feeding an aggregate with recording histograms."""

    def __init__(self, interval: float = INTERVAL, interval_count: int = 0) -> None:
        self.cpu = RecordingHistogram()
        self.memory = RecordingHistogram()
        self.aggregate = AggregateContainerState(cpu_histogram=self.cpu, memory_histogram=self.memory)
        self.aggregate.oom_bump_up_ratio = 1.2
        self.aggregate.oom_min_bump_up = 1.048576e08
        self.aggregate.memory_aggregation_interval = interval
        self.aggregate.memory_aggregation_interval_count = interval_count
        self.container = ContainerState(self.aggregate, TEST_REQUEST)


def usage(t: float, amount: int, resource: str) -> ContainerUsageSample:
    """``newUsageSample``."""
    return ContainerUsageSample(t, amount, resource)


# --------------------------------------------------------------------------- container_test.go


def test_aggregate_container_usage_samples() -> None:
    """TestAggregateContainerUsageSamples: 3 valid and 3 invalid samples."""
    test = ContainerTest()
    c = test.container
    step = INTERVAL / 2
    assert c.add_sample(usage(TEST_TIMESTAMP, 3140, RESOURCE_CPU))
    assert c.add_sample(usage(TEST_TIMESTAMP, 5, RESOURCE_MEMORY))
    assert c.add_sample(usage(TEST_TIMESTAMP + step, 6280, RESOURCE_CPU))
    assert c.add_sample(usage(TEST_TIMESTAMP + step, 10, RESOURCE_MEMORY))
    assert c.add_sample(usage(TEST_TIMESTAMP + 2 * step, 1570, RESOURCE_CPU))
    assert c.add_sample(usage(TEST_TIMESTAMP + 2 * step, 2, RESOURCE_MEMORY))
    # Out of order, negative CPU, negative memory.
    assert not c.add_sample(usage(TEST_TIMESTAMP + 2 * step, 1000, RESOURCE_CPU))
    assert not c.add_sample(usage(TEST_TIMESTAMP + 4 * step, -1000, RESOURCE_CPU))
    assert not c.add_sample(usage(TEST_TIMESTAMP + 4 * step, -1000, RESOURCE_MEMORY))

    # Since VPA 1.4 every CPU sample weighs minSampleWeight.
    assert test.cpu.calls == [
        ("add", 3.14, MIN_SAMPLE_WEIGHT, TEST_TIMESTAMP),
        ("add", 6.28, MIN_SAMPLE_WEIGHT, TEST_TIMESTAMP + step),
        ("add", 1.57, MIN_SAMPLE_WEIGHT, TEST_TIMESTAMP + 2 * step),
    ]
    end = TEST_TIMESTAMP + INTERVAL
    assert test.memory.calls == [
        ("add", 5.0, 1.0, end),
        ("subtract", 5.0, 1.0, end),
        ("add", 10.0, 1.0, end),
        ("add", 2.0, 1.0, end + INTERVAL),
    ]


def test_cpu_sample_weight_by_request_before_1_4() -> None:
    """The TestAggregateContainerUsageSamples expectation before commit ca812b36a3 (VPA < 1.4):
    CPU samples weighed the request, 2.3 cores."""
    cpu = RecordingHistogram()
    aggregate = AggregateContainerState(
        AggregationsConfig(cpu_sample_weight_by_request=True), cpu_histogram=cpu)
    c = ContainerState(aggregate, TEST_REQUEST)
    assert c.add_sample(ContainerUsageSample(TEST_TIMESTAMP, 3140, RESOURCE_CPU, 2300))
    assert c.add_sample(ContainerUsageSample(TEST_TIMESTAMP + 1, 3140, RESOURCE_CPU, 50))
    assert cpu.calls == [("add", 3.14, 2.3, TEST_TIMESTAMP),
                         ("add", 3.14, MIN_SAMPLE_WEIGHT, TEST_TIMESTAMP + 1)]


def test_record_oom_increased_by_bump_up() -> None:
    """TestRecordOOMIncreasedByBumpUp: 1000 MiB × 1.2."""
    test = ContainerTest()
    test.container.record_oom(TEST_TIMESTAMP, 1000 * MB)
    assert test.memory.calls == [("add", 1200.0 * MB, 1.0, TEST_TIMESTAMP + INTERVAL)]


def test_record_oom_dont_run_away() -> None:
    """TestRecordOOMDontRunAway: smaller OOMs leave the OOM peak alone, a larger one raises it."""
    test = ContainerTest()
    end = TEST_TIMESTAMP + INTERVAL
    test.container.record_oom(TEST_TIMESTAMP, 1000 * MB)
    test.container.record_oom(TEST_TIMESTAMP, 999 * MB)
    test.container.record_oom(TEST_TIMESTAMP, 999 * MB)
    assert test.memory.calls == [("add", 1200.0 * MB, 1.0, end)]
    test.container.record_oom(TEST_TIMESTAMP, 2000 * MB)
    assert test.memory.calls[1:] == [("subtract", 1200.0 * MB, 1.0, end),
                                     ("add", 2400.0 * MB, 1.0, end)]


def test_record_oom_increased_by_min() -> None:
    """TestRecordOOMIncreasedByMin: at least +100 MiB."""
    test = ContainerTest()
    test.container.record_oom(TEST_TIMESTAMP, 1 * MB)
    assert test.memory.calls == [("add", 101.0 * MB, 1.0, TEST_TIMESTAMP + INTERVAL)]


def test_record_oom_maxed_with_known_sample() -> None:
    """TestRecordOOMMaxedWithKnownSample: the usage peak (3000 MiB) beats the request."""
    test = ContainerTest()
    end = TEST_TIMESTAMP + INTERVAL
    assert test.container.add_sample(usage(TEST_TIMESTAMP, 3000 * MB, RESOURCE_MEMORY))
    test.container.record_oom(TEST_TIMESTAMP, 1000 * MB)
    assert test.memory.calls == [("add", 3000.0 * MB, 1.0, end),
                                 ("subtract", 3000.0 * MB, 1.0, end),
                                 ("add", 3600.0 * MB, 1.0, end)]


def test_record_oom_discards_old_sample() -> None:
    """TestRecordOOMDiscardsOldSample: an OOM 30h before the last sample is stale."""
    test = ContainerTest()
    assert test.container.add_sample(usage(TEST_TIMESTAMP, 1000 * MB, RESOURCE_MEMORY))
    with pytest.raises(ValueError, match="too old"):
        test.container.record_oom(TEST_TIMESTAMP - 30 * HOUR, 1000 * MB)
    assert test.memory.calls == [("add", 1000.0 * MB, 1.0, TEST_TIMESTAMP + INTERVAL)]


def test_record_oom_in_new_window() -> None:
    """TestRecordOOMInNewWindow: an OOM two intervals later opens a new window."""
    test = ContainerTest()
    assert test.container.add_sample(usage(TEST_TIMESTAMP, 2000 * MB, RESOURCE_MEMORY))
    test.container.record_oom(TEST_TIMESTAMP + 2 * INTERVAL, 1000 * MB)
    end = TEST_TIMESTAMP + INTERVAL
    assert test.memory.calls == [("add", 2000.0 * MB, 1.0, end),
                                 ("add", 2400.0 * MB, 1.0, end + 2 * INTERVAL)]


def test_record_oom_fresh_oom_near_window_boundary_is_not_discarded() -> None:
    """TestRecordOOMFreshOOMNearWindowBoundaryIsNotDiscarded (kubernetes/autoscaler#8548)."""
    test = ContainerTest()
    c = test.container
    boundary = TEST_TIMESTAMP + INTERVAL
    window_end = TEST_TIMESTAMP + 2 * INTERVAL
    assert c.add_sample(usage(TEST_TIMESTAMP, 100 * MB, RESOURCE_MEMORY))
    assert c.add_sample(usage(boundary, 2000 * MB, RESOURCE_MEMORY))
    c.record_oom(boundary - 1, 1000 * MB)  # one second before the last sample
    assert test.memory.calls == [("add", 100.0 * MB, 1.0, boundary),
                                 ("add", 2000.0 * MB, 1.0, window_end),
                                 ("subtract", 2000.0 * MB, 1.0, window_end),
                                 ("add", 2400.0 * MB, 1.0, window_end)]


def test_memory_samples_with_custom_aggregation_interval() -> None:
    """TestMemorySamplesWithCustomAggregationInterval: with 1h, samples 2h apart get two peaks."""
    test = ContainerTest(interval=HOUR)
    c = test.container
    assert c.add_sample(usage(TEST_TIMESTAMP, 5, RESOURCE_MEMORY))
    assert c.add_sample(usage(TEST_TIMESTAMP + 2 * HOUR, 10, RESOURCE_MEMORY))
    assert test.memory.calls == [("add", 5.0, 1.0, TEST_TIMESTAMP + HOUR),
                                 ("add", 10.0, 1.0, TEST_TIMESTAMP + 3 * HOUR)]
    assert test.cpu.calls == []


def test_memory_peak_update_within_custom_interval() -> None:
    """TestMemoryPeakUpdateWithinCustomInterval: 30 minutes later is the same 1h window."""
    test = ContainerTest(interval=HOUR)
    c = test.container
    end = TEST_TIMESTAMP + HOUR
    assert c.add_sample(usage(TEST_TIMESTAMP, 5, RESOURCE_MEMORY))
    assert c.add_sample(usage(TEST_TIMESTAMP + 1800, 10, RESOURCE_MEMORY))
    assert test.memory.calls == [("add", 5.0, 1.0, end), ("subtract", 5.0, 1.0, end),
                                 ("add", 10.0, 1.0, end)]


def test_record_oom_discards_old_sample_with_custom_interval() -> None:
    """TestRecordOOMDiscardsOldSampleWithCustomInterval: with 1h, an OOM 2h back is stale."""
    test = ContainerTest(interval=HOUR)
    assert test.container.add_sample(usage(TEST_TIMESTAMP, 1000 * MB, RESOURCE_MEMORY))
    with pytest.raises(ValueError):
        test.container.record_oom(TEST_TIMESTAMP - 2 * HOUR, 1000 * MB)
    assert test.memory.calls == [("add", 1000.0 * MB, 1.0, TEST_TIMESTAMP + HOUR)]


def test_record_oom_in_new_window_with_custom_interval() -> None:
    """TestRecordOOMInNewWindowWithCustomInterval."""
    test = ContainerTest(interval=HOUR)
    assert test.container.add_sample(usage(TEST_TIMESTAMP, 2000 * MB, RESOURCE_MEMORY))
    test.container.record_oom(TEST_TIMESTAMP + 2 * HOUR, 1000 * MB)
    end = TEST_TIMESTAMP + HOUR
    assert test.memory.calls == [("add", 2000.0 * MB, 1.0, end),
                                 ("add", 2400.0 * MB, 1.0, end + 2 * HOUR)]


def test_record_oom_discards_old_sample_with_custom_interval_count() -> None:
    """TestRecordOOMDiscardsOldSampleWithCustomIntervalCount: stale 3 intervals back."""
    test = ContainerTest(interval_count=2)
    assert test.container.add_sample(usage(TEST_TIMESTAMP, 1000 * MB, RESOURCE_MEMORY))
    with pytest.raises(ValueError):
        test.container.record_oom(TEST_TIMESTAMP - 3 * INTERVAL, 1000 * MB)
    assert test.memory.calls == [("add", 1000.0 * MB, 1.0, TEST_TIMESTAMP + INTERVAL)]


def test_memory_samples_with_custom_aggregation_interval_count() -> None:
    """TestMemorySamplesWithCustomAggregationIntervalCount: the count does not change windows."""
    test = ContainerTest(interval_count=16)
    c = test.container
    assert c.add_sample(usage(TEST_TIMESTAMP, 5, RESOURCE_MEMORY))
    assert c.add_sample(usage(TEST_TIMESTAMP + 2 * INTERVAL, 10, RESOURCE_MEMORY))
    assert test.memory.calls == [("add", 5.0, 1.0, TEST_TIMESTAMP + INTERVAL),
                                 ("add", 10.0, 1.0, TEST_TIMESTAMP + 3 * INTERVAL)]
    assert test.cpu.calls == []


def test_memory_sample_at_same_time_is_kept_and_earlier_is_discarded() -> None:
    """addMemorySample: only samples strictly before the last one are discarded (Before)."""
    test = ContainerTest()
    c = test.container
    assert c.add_sample(usage(TEST_TIMESTAMP, 5, RESOURCE_MEMORY))
    assert c.add_sample(usage(TEST_TIMESTAMP, 7, RESOURCE_MEMORY))
    assert not c.add_sample(usage(TEST_TIMESTAMP - 1, 9, RESOURCE_MEMORY))
    # A lower usage in the same window changes nothing.
    assert c.add_sample(usage(TEST_TIMESTAMP + 1, 6, RESOURCE_MEMORY))
    end = TEST_TIMESTAMP + INTERVAL
    assert test.memory.calls == [("add", 5.0, 1.0, end), ("subtract", 5.0, 1.0, end),
                                 ("add", 7.0, 1.0, end)]


# --------------------------------------------------------------------------- aggregate_container_state_test.go


def test_aggregate_state_by_container_name() -> None:
    """TestAggregateStateByContainerName: two pods with different labels, so four aggregates;
    the two app-A ones merge by container name."""
    containers = [("pod-1", "app-A"), ("pod-1", "app-B"), ("pod-2", "app-A"), ("pod-2", "app-C")]
    request = {RESOURCE_CPU: 3140, RESOURCE_MEMORY: 3_140_000_000}
    aggregates = {key: AggregateContainerState() for key in containers}
    states = {key: ContainerState(aggregates[key], request) for key in containers}
    for key, cores in zip(containers, (1000, 5000, 3000, 5000), strict=True):
        assert states[key].add_sample(usage(TEST_TIMESTAMP, cores, RESOURCE_CPU))
    for key, num_bytes in zip(containers, (2e9, 10e9, 4e9, 10e9), strict=True):
        assert states[key].add_sample(usage(TEST_TIMESTAMP, int(num_bytes), RESOURCE_MEMORY))

    merged = aggregate_state_by_container_name((name, aggregates[(pod, name)]) for pod, name in containers)
    assert set(merged) == {"app-A", "app-B", "app-C"}
    assert merged["app-A"].total_samples_count == 2
    assert merged["app-B"].total_samples_count == 1
    assert merged["app-C"].total_samples_count == 1

    config = AggregationsConfig()
    expected_cpu = DecayingHistogram(config.cpu_histogram_options, config.cpu_histogram_decay_half_life)
    expected_cpu.merge(aggregates[("pod-1", "app-A")].aggregate_cpu_usage)
    expected_cpu.merge(aggregates[("pod-2", "app-A")].aggregate_cpu_usage)
    expected_memory = DecayingHistogram(config.memory_histogram_options,
                                        config.memory_histogram_decay_half_life)
    expected_memory.add_sample(2e9, 1.0, states[("pod-1", "app-A")].window_end or 0.0)
    expected_memory.add_sample(4e9, 1.0, states[("pod-2", "app-A")].window_end or 0.0)
    assert expected_cpu.equals(merged["app-A"].aggregate_cpu_usage)
    assert expected_memory.equals(merged["app-A"].aggregate_memory_peaks)
    assert not expected_memory.equals(merged["app-B"].aggregate_memory_peaks)


def test_aggregate_container_state_save_to_checkpoint() -> None:
    """TestAggregateContainerStateSaveToCheckpoint."""
    t1 = float(calendar.timegm((2018, 1, 1, 2, 3, 4)))
    t2 = float(calendar.timegm((2018, 2, 1, 2, 3, 4)))
    cs = AggregateContainerState()
    cs.first_sample_start = t1
    cs.last_sample_start = t2
    cs.total_samples_count = 10
    cs.aggregate_cpu_usage.add_sample(1, 33, t2)
    cs.aggregate_memory_peaks.add_sample(1, 55, t1)
    cs.aggregate_memory_peaks.add_sample(10000000, 55, t1)
    checkpoint = cs.save_to_checkpoint(now=t2 + 5)
    assert checkpoint["lastUpdateTime"] == t2 + 5
    assert checkpoint["firstSampleStart"] == t1
    assert checkpoint["lastSampleStart"] == t2
    assert checkpoint["totalSamplesCount"] == 10
    assert checkpoint["version"] == SUPPORTED_CHECKPOINT_VERSION
    assert len(checkpoint["cpuHistogram"].bucket_weights) == 1
    assert len(checkpoint["memoryHistogram"].bucket_weights) == 2


def test_aggregate_container_state_load_from_checkpoint_fails_for_version_mismatch() -> None:
    """TestAggregateContainerStateLoadFromCheckpointFailsForVersionMismatch."""
    with pytest.raises(ValueError, match="unsupported checkpoint version"):
        AggregateContainerState().load_from_checkpoint({"version": "foo"})


def test_aggregate_container_state_load_from_checkpoint() -> None:
    """TestAggregateContainerStateLoadFromCheckpoint."""
    t1 = float(calendar.timegm((2018, 1, 1, 2, 3, 4)))
    t2 = float(calendar.timegm((2018, 2, 1, 2, 3, 4)))
    checkpoint = {
        "version": SUPPORTED_CHECKPOINT_VERSION,
        "lastUpdateTime": t2,
        "firstSampleStart": t1,
        "lastSampleStart": t2,
        "totalSamplesCount": 20,
        "memoryHistogram": HistogramCheckpoint(total_weight=33.0, bucket_weights={0: 10}),
        "cpuHistogram": HistogramCheckpoint(total_weight=44.0, bucket_weights={0: 10}),
    }
    cs = AggregateContainerState()
    cs.load_from_checkpoint(checkpoint)
    assert cs.first_sample_start == t1
    assert cs.last_sample_start == t2
    assert cs.total_samples_count == 20
    assert not cs.aggregate_cpu_usage.is_empty()
    assert not cs.aggregate_memory_peaks.is_empty()


def test_aggregate_container_state_is_expired() -> None:
    """TestAggregateContainerStateIsExpired: 8 days after the last sample, or creation."""
    cs = AggregateContainerState()
    cs.last_sample_start = TEST_TIMESTAMP
    cs.total_samples_count = 1
    assert not cs.is_expired(TEST_TIMESTAMP + 7 * DAY)
    assert cs.is_expired(TEST_TIMESTAMP + 8 * DAY)
    empty = AggregateContainerState(creation_time=TEST_TIMESTAMP)
    assert not empty.is_expired(TEST_TIMESTAMP + 7 * DAY)
    assert empty.is_expired(TEST_TIMESTAMP + 8 * DAY)


def test_aggregate_container_state_is_expired_with_custom_interval_count() -> None:
    """TestAggregateContainerStateIsExpiredWithCustomIntervalCount: 4 × 24h window."""
    window = INTERVAL * 4
    cs = AggregateContainerState()
    cs.last_sample_start = TEST_TIMESTAMP
    cs.total_samples_count = 1
    cs.memory_aggregation_interval_count = 4
    assert not cs.is_expired(TEST_TIMESTAMP + window - HOUR)
    assert cs.is_expired(TEST_TIMESTAMP + window)
    empty = AggregateContainerState(creation_time=TEST_TIMESTAMP)
    empty.memory_aggregation_interval_count = 4
    assert not empty.is_expired(TEST_TIMESTAMP + window - HOUR)
    assert empty.is_expired(TEST_TIMESTAMP + window)


@pytest.mark.parametrize(
    ("name", "policy", "expected"),
    [
        ("Explicit auto scaling mode", {"mode": "Auto"}, CONTAINER_SCALING_MODE_AUTO),
        ("Off scaling mode", {"mode": "Off"}, CONTAINER_SCALING_MODE_OFF),
        ("No mode specified - default to Auto", {}, CONTAINER_SCALING_MODE_AUTO),
        ("Nil policy - default to Auto", None, CONTAINER_SCALING_MODE_AUTO),
    ],
)
def test_update_from_policy_scaling_mode(name: str, policy: dict | None, expected: str) -> None:
    """TestUpdateFromPolicyScalingMode."""
    cs = AggregateContainerState()
    cs.update_from_policy(policy)
    assert cs.scaling_mode == expected


@pytest.mark.parametrize(
    ("name", "policy", "expected"),
    [
        ("Explicit ControlledResources", {"controlledResources": ["cpu", "memory"]},
         ("cpu", "memory")),
        ("Empty ControlledResources", {"controlledResources": []}, ()),
        ("ControlledResources with one resource", {"controlledResources": ["memory"]},
         ("memory",)),
        ("No ControlledResources specified - used default", {}, ("cpu", "memory")),
        ("Nil policy - use default", None, ("cpu", "memory")),
    ],
)
def test_update_from_policy_controlled_resources(
    name: str, policy: dict | None, expected: tuple[str, ...]
) -> None:
    """TestUpdateFromPolicyControlledResources."""
    cs = AggregateContainerState()
    cs.update_from_policy(policy)
    assert cs.get_controlled_resources() == expected


@pytest.mark.parametrize(
    ("name", "policy", "feature_enabled", "expected"),
    [
        ("Custom interval with feature enabled", {"memoryAggregationIntervalSeconds": 3600},
         True, 3600.0),
        ("Custom interval with feature disabled - falls back to default",
         {"memoryAggregationIntervalSeconds": 3600}, False, INTERVAL),
        ("Nil MemoryAggregationIntervalSeconds - uses default", {}, True, INTERVAL),
        ("Nil policy - uses default", None, True, INTERVAL),
    ],
)
def test_update_from_policy_memory_aggregation_interval(
    name: str, policy: dict | None, feature_enabled: bool, expected: float
) -> None:
    """TestUpdateFromPolicyMemoryAggregationInterval (feature gate PerVPAConfig)."""
    cs = AggregateContainerState()
    cs.update_from_policy(policy, per_vpa_config=feature_enabled)
    assert cs.memory_aggregation_interval == expected


@pytest.mark.parametrize(
    ("name", "policy", "feature_enabled", "expected"),
    [
        ("Custom count with feature enabled", {"memoryAggregationIntervalCount": 4}, True, 4),
        ("Custom count with feature disabled - falls back to default",
         {"memoryAggregationIntervalCount": 4}, False, 8),
        ("Nil MemoryAggregationIntervalCount - uses default", {}, True, 8),
        ("Nil policy - uses default", None, True, 8),
    ],
)
def test_update_from_policy_memory_aggregation_interval_count(
    name: str, policy: dict | None, feature_enabled: bool, expected: int
) -> None:
    """TestUpdateFromPolicyMemoryAggregationIntervalCount."""
    cs = AggregateContainerState()
    cs.update_from_policy(policy, per_vpa_config=feature_enabled)
    assert cs.memory_aggregation_interval_count == expected


def test_update_from_policy_oom_settings_need_the_feature_gate() -> None:
    """UpdateFromPolicy: oomBumpUpRatio / oomMinBumpUp are quantities, read as MilliValue/1000."""
    policy = {"oomBumpUpRatio": "1.5", "oomMinBumpUp": "200Mi"}
    cs = AggregateContainerState()
    cs.update_from_policy(policy)
    assert (cs.oom_bump_up_ratio, cs.oom_min_bump_up) == (1.2, DEFAULT_OOM_MIN_BUMP_UP)
    cs.update_from_policy(policy, per_vpa_config=True)
    assert (cs.oom_bump_up_ratio, cs.oom_min_bump_up) == (1.5, 200.0 * MB)


def test_aggregate_states_merge_with_empty_ones() -> None:
    """MergeContainerState: an empty state does not move the first/last sample span."""
    a = AggregateContainerState()
    a.add_sample(ContainerUsageSample(100.0, 250, RESOURCE_CPU))
    a.add_sample(ContainerUsageSample(50.0, 250, RESOURCE_CPU))
    merged = aggregate_state_by_container_name([("x", AggregateContainerState()), ("x", a)])
    assert (merged["x"].first_sample_start, merged["x"].last_sample_start) == (50.0, 100.0)
    assert merged["x"].total_samples_count == 2
    with pytest.raises(ValueError):
        a.subtract_sample(ContainerUsageSample(1.0, 1, RESOURCE_CPU))
    with pytest.raises(ValueError):
        a.add_sample(ContainerUsageSample(1.0, 1, "ephemeral-storage"))
