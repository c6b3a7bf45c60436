"""The VPA recommender's model: resource amounts, aggregation settings, container states.

Mirrors ``kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/model/``:
``types.go`` (``ResourceAmount``, ``CPUAmountFromCores``, ``MemoryAmountFromBytes``,
``ScaleResource``, ``RoundUpToScale``), ``aggregations_config.go`` (defaults and histogram
options), ``aggregate_container_state.go`` (``AggregateContainerState``: ``AddSample``,
``SubtractSample``, ``addCPUSample``, ``MergeContainerState``, ``UpdateFromPolicy``,
``isExpired``, ``SaveToCheckpoint``, ``LoadFromCheckpoint``,
``AggregateStateByContainerName``) and ``container.go`` (``ContainerState``:
``addCPUSample``, ``addMemorySample`` with one memory peak per aggregation interval,
``RecordOOM``).

Units as upstream: a resource amount is an int, CPU in millicores and memory in bytes;
histograms hold CPU in cores and memory in bytes. Times are float seconds; upstream's zero
``time.Time`` ("no sample yet") is ``None``.

Version note: since VPA 1.4.0 (commit ca812b36a3, February 2025) every CPU sample has the
same weight, ``minSampleWeight`` = 0.1. Before, a sample weighed its container's CPU
request in cores (at least 0.1), so raising the request made older history count less.
:attr:`AggregationsConfig.cpu_sample_weight_by_request` selects the old rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from capacity.k8s.quantity import Quantity
from capacity.k8s.vpa.histogram import (
    DecayingHistogram,
    ExponentialHistogramOptions,
    Histogram,
    HistogramCheckpoint,
    new_exponential_histogram_options,
)

RESOURCE_CPU = "cpu"
"""``ResourceCPU``: amounts in millicores."""
RESOURCE_MEMORY = "memory"
"""``ResourceMemory``: amounts in bytes."""
MAX_RESOURCE_AMOUNT = 10**14
"""``MaxResourceAmount``: amounts are clamped to ``[0, 1e14]``."""

Resources = dict[str, int]
"""``model.Resources``: resource name → amount (millicores or bytes)."""

DEFAULT_CONTROLLED_RESOURCES: tuple[str, ...] = (RESOURCE_CPU, RESOURCE_MEMORY)
"""``DefaultControlledResources``."""

CONTAINER_SCALING_MODE_AUTO = "Auto"
CONTAINER_SCALING_MODE_OFF = "Off"

SUPPORTED_CHECKPOINT_VERSION = "v3"
"""``SupportedCheckpointVersion``."""

# aggregations_config.go
MIN_SAMPLE_WEIGHT = 0.1
"""``minSampleWeight``: the weight of a CPU sample before decay."""
EPSILON = 0.001 * MIN_SAMPLE_WEIGHT
"""``epsilon``: the smallest bucket weight that counts as non-empty."""
DEFAULT_MEMORY_AGGREGATION_INTERVAL_COUNT = 8
DEFAULT_MEMORY_AGGREGATION_INTERVAL = 24 * 3600.0
DEFAULT_HISTOGRAM_BUCKET_SIZE_GROWTH = 0.05
DEFAULT_MEMORY_HISTOGRAM_DECAY_HALF_LIFE = 24 * 3600.0
DEFAULT_CPU_HISTOGRAM_DECAY_HALF_LIFE = 24 * 3600.0
DEFAULT_OOM_BUMP_UP_RATIO = 1.2
DEFAULT_OOM_MIN_BUMP_UP = 100.0 * 1024 * 1024
"""Bytes: an OOM raises the memory peak by at least 100 MiB."""


# --------------------------------------------------------------------------- types.go


def resource_amount_from_float(amount: float) -> int:
    """``resourceAmountFromFloat``: truncate toward zero, clamp to ``[0, 1e14]``.

    Upstream converts NaN (``0 * +Inf``, an empty histogram under an infinite confidence
    multiplier) to an undefined int64; it is 0 here.
    """
    if math.isnan(amount):
        return 0
    if amount > MAX_RESOURCE_AMOUNT:
        return MAX_RESOURCE_AMOUNT
    if amount < 0:
        return 0
    return int(amount)


def cpu_amount_from_cores(cores: float) -> int:
    """``CPUAmountFromCores``: cores → millicores (truncated)."""
    return resource_amount_from_float(cores * 1000.0)


def cores_from_cpu_amount(amount: int) -> float:
    """``CoresFromCPUAmount``: millicores → cores."""
    return amount / 1000.0


def memory_amount_from_bytes(num_bytes: float) -> int:
    """``MemoryAmountFromBytes``: bytes → whole bytes (truncated)."""
    return resource_amount_from_float(num_bytes)


def bytes_from_memory_amount(amount: int) -> float:
    """``BytesFromMemoryAmount``."""
    return float(amount)


def scale_resource(amount: int, factor: float) -> int:
    """``ScaleResource``: ``amount * factor``, truncated and clamped."""
    return resource_amount_from_float(float(amount) * factor)


def resource_amount_max(a: int, b: int) -> int:
    """``ResourceAmountMax``."""
    return a if a > b else b


def round_up_to_scale(value: int, scale: int) -> int:
    """``RoundUpToScale``: the next multiple of ``scale`` at or above ``value``.

    Raises ValueError if ``scale`` <= 0. (Upstream divides in float64; this is exact.)
    """
    if scale <= 0:
        raise ValueError("scale must be greater than zero")
    return -(-value // scale) * scale


def quantity_from_cpu_amount(amount: int) -> Quantity:
    """``QuantityFromCPUAmount``: millicores as a DecimalSI quantity (``"250m"``)."""
    return Quantity.from_milli(amount, "DecimalSI")


def quantity_from_memory_amount(amount: int) -> Quantity:
    """``QuantityFromMemoryAmount``: bytes as a BinarySI quantity (``"256Mi"``)."""
    return Quantity.from_value(amount, "BinarySI")


def resources_as_quantity_strings(resources: Mapping[str, int]) -> dict[str, str]:
    """Resources as Kubernetes quantity strings, as ``ResourcesAsResourceList`` prints them."""
    out: dict[str, str] = {}
    for name, amount in resources.items():
        if name == RESOURCE_CPU:
            out[name] = str(quantity_from_cpu_amount(amount))
        elif name == RESOURCE_MEMORY:
            out[name] = str(quantity_from_memory_amount(amount))
    return out


# --------------------------------------------------------------------------- aggregations_config.go


@dataclass(frozen=True, slots=True)
class AggregationsConfig:
    """``AggregationsConfig`` with upstream's defaults (``GetAggregationsConfig``).

    Durations in seconds. ``memory_aggregation_interval`` (flag
    ``--memory-aggregation-interval``, 24h) is the length of one memory peak interval,
    ``memory_aggregation_interval_count`` (``--memory-aggregation-interval-count``, 8) the
    number of them kept; ``cpu_histogram_decay_half_life`` and
    ``memory_histogram_decay_half_life`` (``--cpu-histogram-decay-half-life``,
    ``--memory-histogram-decay-half-life``, both 24h); ``oom_bump_up_ratio`` (1.2) and
    ``oom_min_bump_up`` (bytes, 100 MiB) shape the artificial sample an OOM kill adds.
    ``cpu_sample_weight_by_request`` gives the rule of VPA before 1.4.0 (module docstring).
    """

    memory_aggregation_interval: float = DEFAULT_MEMORY_AGGREGATION_INTERVAL
    memory_aggregation_interval_count: int = DEFAULT_MEMORY_AGGREGATION_INTERVAL_COUNT
    histogram_bucket_size_growth: float = DEFAULT_HISTOGRAM_BUCKET_SIZE_GROWTH
    memory_histogram_decay_half_life: float = DEFAULT_MEMORY_HISTOGRAM_DECAY_HALF_LIFE
    cpu_histogram_decay_half_life: float = DEFAULT_CPU_HISTOGRAM_DECAY_HALF_LIFE
    oom_bump_up_ratio: float = DEFAULT_OOM_BUMP_UP_RATIO
    oom_min_bump_up: float = DEFAULT_OOM_MIN_BUMP_UP
    cpu_sample_weight_by_request: bool = False
    cpu_histogram_options: ExponentialHistogramOptions = field(init=False, compare=False)
    memory_histogram_options: ExponentialHistogramOptions = field(init=False, compare=False)

    def __post_init__(self) -> None:
        growth = 1.0 + self.histogram_bucket_size_growth
        # cpuHistogramOptions: cores, first bucket 0.01 core (10m), up to 1000 cores.
        object.__setattr__(self, "cpu_histogram_options",
                           new_exponential_histogram_options(1000.0, 0.01, growth, EPSILON))
        # memoryHistogramOptions: bytes, first bucket 1e7 (10 MB), up to 1e12 (1 TB).
        object.__setattr__(self, "memory_histogram_options",
                           new_exponential_histogram_options(1e12, 1e7, growth, EPSILON))

    @property
    def memory_aggregation_window_length(self) -> float:
        """``GetMemoryAggregationWindowLength``: seconds of memory history (8 days)."""
        return self.memory_aggregation_interval * self.memory_aggregation_interval_count


DEFAULT_AGGREGATIONS_CONFIG = AggregationsConfig()


# --------------------------------------------------------------------------- samples


class ContainerUsageSample(NamedTuple):
    """``ContainerUsageSample``: usage measured over an interval starting at ``measure_start``.

    ``usage`` is millicores (CPU, the average over the interval) or bytes (memory).
    ``request`` is the container's CPU request in millicores; it only matters with
    ``cpu_sample_weight_by_request`` (VPA before 1.4.0, whose samples carried it).
    """

    measure_start: float
    usage: int
    resource: str
    request: int = 0

    def is_valid(self, expected_resource: str) -> bool:
        """``isValid``: non-negative usage of the expected resource."""
        return self.usage >= 0 and self.resource == expected_resource


# --------------------------------------------------------------------------- aggregate_container_state.go


class AggregateContainerState:
    """``AggregateContainerState``: the usage history of a group of containers.

    ``aggregate_cpu_usage`` is a decaying histogram of CPU samples (cores);
    ``aggregate_memory_peaks`` one of memory peaks (bytes), one per container per memory
    aggregation interval. ``first_sample_start``, ``last_sample_start`` and
    ``total_samples_count`` count CPU samples only, as upstream. The histograms may be
    passed in (tests use recording doubles); by default they are the decaying histograms
    of ``config``.
    """

    __slots__ = (
        "aggregate_cpu_usage",
        "aggregate_memory_peaks",
        "controlled_resources",
        "cpu_sample_weight_by_request",
        "creation_time",
        "first_sample_start",
        "last_sample_start",
        "memory_aggregation_interval",
        "memory_aggregation_interval_count",
        "oom_bump_up_ratio",
        "oom_min_bump_up",
        "scaling_mode",
        "total_samples_count",
    )

    def __init__(
        self,
        config: AggregationsConfig = DEFAULT_AGGREGATIONS_CONFIG,
        creation_time: float = 0.0,
        cpu_histogram: Histogram | None = None,
        memory_histogram: Histogram | None = None,
    ) -> None:
        """``NewAggregateContainerState``; ``creation_time`` replaces ``time.Now()``."""
        self.aggregate_cpu_usage: Histogram = (
            cpu_histogram if cpu_histogram is not None
            else DecayingHistogram(config.cpu_histogram_options, config.cpu_histogram_decay_half_life)
        )
        self.aggregate_memory_peaks: Histogram = (
            memory_histogram if memory_histogram is not None
            else DecayingHistogram(config.memory_histogram_options,
                                   config.memory_histogram_decay_half_life)
        )
        self.first_sample_start: float | None = None
        self.last_sample_start: float | None = None
        self.total_samples_count = 0
        self.creation_time = creation_time
        self.scaling_mode: str | None = None
        self.controlled_resources: tuple[str, ...] | None = None
        self.oom_bump_up_ratio = config.oom_bump_up_ratio
        self.oom_min_bump_up = config.oom_min_bump_up
        self.memory_aggregation_interval = config.memory_aggregation_interval
        self.memory_aggregation_interval_count = config.memory_aggregation_interval_count
        self.cpu_sample_weight_by_request = config.cpu_sample_weight_by_request

    # samples ------------------------------------------------------------------------
    def add_sample(self, sample: ContainerUsageSample) -> None:
        """``AddSample``: CPU to the CPU histogram, memory peaks (weight 1) to the memory one.

        Raises ValueError for another resource.
        """
        if sample.resource == RESOURCE_CPU:
            self.add_cpu_sample(sample)
        elif sample.resource == RESOURCE_MEMORY:
            self.aggregate_memory_peaks.add_sample(
                bytes_from_memory_amount(sample.usage), 1.0, sample.measure_start)
        else:
            raise ValueError(f"AddSample doesn't support resource '{sample.resource}'")

    def subtract_sample(self, sample: ContainerUsageSample) -> None:
        """``SubtractSample``: only memory peaks can be removed. Raises ValueError otherwise."""
        if sample.resource != RESOURCE_MEMORY:
            raise ValueError(f"SubtractSample doesn't support resource '{sample.resource}'")
        self.aggregate_memory_peaks.subtract_sample(
            bytes_from_memory_amount(sample.usage), 1.0, sample.measure_start)

    def add_cpu_sample(self, sample: ContainerUsageSample) -> None:
        """``addCPUSample``: weight ``MIN_SAMPLE_WEIGHT`` (or the request, pre-1.4 rule)."""
        weight = MIN_SAMPLE_WEIGHT
        if self.cpu_sample_weight_by_request:
            weight = max(cores_from_cpu_amount(sample.request), MIN_SAMPLE_WEIGHT)
        self.aggregate_cpu_usage.add_sample(
            cores_from_cpu_amount(sample.usage), weight, sample.measure_start)
        t = sample.measure_start
        if self.last_sample_start is None or t > self.last_sample_start:
            self.last_sample_start = t
        if self.first_sample_start is None or t < self.first_sample_start:
            self.first_sample_start = t
        self.total_samples_count += 1

    # aggregation --------------------------------------------------------------------
    def merge_container_state(self, other: AggregateContainerState) -> None:
        """``MergeContainerState``: add ``other``'s histograms, widen the sample span."""
        self.aggregate_cpu_usage.merge(other.aggregate_cpu_usage)
        self.aggregate_memory_peaks.merge(other.aggregate_memory_peaks)
        if self.first_sample_start is None or (
            other.first_sample_start is not None
            and other.first_sample_start < self.first_sample_start
        ):
            self.first_sample_start = other.first_sample_start
        if other.last_sample_start is not None and (
            self.last_sample_start is None or other.last_sample_start > self.last_sample_start
        ):
            self.last_sample_start = other.last_sample_start
        self.total_samples_count += other.total_samples_count

    def get_controlled_resources(self) -> tuple[str, ...]:
        """``GetControlledResources``: the policy's list, else cpu and memory."""
        if self.controlled_resources is not None:
            return self.controlled_resources
        return DEFAULT_CONTROLLED_RESOURCES

    def update_from_policy(
        self, container_policy: Mapping[str, Any] | None, per_vpa_config: bool = False
    ) -> None:
        """``UpdateFromPolicy``: scaling mode and controlled resources of a container policy.

        ``container_policy`` is a ``ContainerResourcePolicy`` dict (``mode``,
        ``controlledResources``, ...). The per-VPA fields ``oomBumpUpRatio``,
        ``oomMinBumpUp`` (quantities), ``memoryAggregationIntervalSeconds`` and
        ``memoryAggregationIntervalCount`` apply only with ``per_vpa_config`` (the alpha
        feature gate ``PerVPAConfig``, off by default since VPA 1.5).
        """
        policy = container_policy or {}
        self.scaling_mode = policy.get("mode") or CONTAINER_SCALING_MODE_AUTO
        controlled = policy.get("controlledResources")
        self.controlled_resources = (
            DEFAULT_CONTROLLED_RESOURCES if controlled is None
            else resource_names_api_to_model(controlled)
        )
        if not per_vpa_config or container_policy is None:
            return
        if policy.get("oomBumpUpRatio") is not None:
            self.oom_bump_up_ratio = _quantity_to_float(policy["oomBumpUpRatio"])
        if policy.get("oomMinBumpUp") is not None:
            self.oom_min_bump_up = _quantity_to_float(policy["oomMinBumpUp"])
        if policy.get("memoryAggregationIntervalSeconds") is not None:
            self.memory_aggregation_interval = float(int(policy["memoryAggregationIntervalSeconds"]))
        if policy.get("memoryAggregationIntervalCount") is not None:
            self.memory_aggregation_interval_count = int(policy["memoryAggregationIntervalCount"])

    @property
    def memory_aggregation_window_length(self) -> float:
        """``getMemoryAggregationWindowLength`` (seconds)."""
        return self.memory_aggregation_interval * self.memory_aggregation_interval_count

    def is_empty(self) -> bool:
        """``isEmpty``: no CPU sample was ever added."""
        return self.total_samples_count == 0

    def is_expired(self, now: float) -> bool:
        """``isExpired``: no sample (or, if empty, no creation) in the last window (8 days)."""
        if self.is_empty():
            return now - self.creation_time >= self.memory_aggregation_window_length
        assert self.last_sample_start is not None  # a CPU sample was added
        return now - self.last_sample_start >= self.memory_aggregation_window_length

    # checkpoints --------------------------------------------------------------------
    def save_to_checkpoint(self, now: float) -> dict[str, Any]:
        """``SaveToCheckpoint``: a ``VerticalPodAutoscalerCheckpointStatus``-shaped dict
        (times as float seconds; ``now`` is ``lastUpdateTime``)."""
        return {
            "lastUpdateTime": now,
            "version": SUPPORTED_CHECKPOINT_VERSION,
            "firstSampleStart": self.first_sample_start,
            "lastSampleStart": self.last_sample_start,
            "totalSamplesCount": self.total_samples_count,
            "memoryHistogram": self.aggregate_memory_peaks.save_to_checkpoint(),
            "cpuHistogram": self.aggregate_cpu_usage.save_to_checkpoint(),
        }

    def load_from_checkpoint(self, checkpoint: Mapping[str, Any]) -> None:
        """``LoadFromCheckpoint``. Raises ValueError on another version or a bad histogram."""
        if checkpoint.get("version") != SUPPORTED_CHECKPOINT_VERSION:
            raise ValueError(f"unsupported checkpoint version {checkpoint.get('version')}")
        self.total_samples_count = int(checkpoint.get("totalSamplesCount", 0))
        self.first_sample_start = checkpoint.get("firstSampleStart")
        self.last_sample_start = checkpoint.get("lastSampleStart")
        self.aggregate_memory_peaks.load_from_checkpoint(
            checkpoint.get("memoryHistogram") or HistogramCheckpoint())
        self.aggregate_cpu_usage.load_from_checkpoint(
            checkpoint.get("cpuHistogram") or HistogramCheckpoint())


def _quantity_to_float(q: Any) -> float:
    """``convertQuantityToFloat64``: ``MilliValue() / 1000``."""
    return Quantity.parse(q).milli_value() / 1000.0


def resource_names_api_to_model(names: Iterable[str]) -> tuple[str, ...]:
    """``ResourceNamesApiToModel``: keep ``cpu`` and ``memory``, drop the rest."""
    return tuple(n for n in names if n in (RESOURCE_CPU, RESOURCE_MEMORY))


def aggregate_state_by_container_name(
    states: Iterable[tuple[str, AggregateContainerState]],
    config: AggregationsConfig = DEFAULT_AGGREGATIONS_CONFIG,
    now: float = 0.0,
) -> dict[str, AggregateContainerState]:
    """``AggregateStateByContainerName``: merge ``(container_name, state)`` pairs by name.

    Each result is a new state (created at ``now``) into which the inputs are merged; as
    upstream's ``Merge``, this may move an input histogram's reference timestamp.
    """
    result: dict[str, AggregateContainerState] = {}
    for name, state in states:
        merged = result.get(name)
        if merged is None:
            merged = result[name] = AggregateContainerState(config, creation_time=now)
        merged.merge_container_state(state)
    return result


# --------------------------------------------------------------------------- container.go


class ContainerStateAggregator(Protocol):
    """``ContainerStateAggregator``: where a :class:`ContainerState` sends its samples."""

    def add_sample(self, sample: ContainerUsageSample) -> None: ...

    def subtract_sample(self, sample: ContainerUsageSample) -> None: ...

    @property
    def oom_bump_up_ratio(self) -> float: ...

    @property
    def oom_min_bump_up(self) -> float: ...

    @property
    def memory_aggregation_interval(self) -> float: ...


class ContainerState:
    """``ContainerState``: one running container, feeding its aggregate.

    CPU samples go straight through. Memory is reduced to one peak per aggregation
    interval: the interval ``[window_end - interval, window_end)`` holds one peak in the
    aggregate, replaced (subtract, add) when a larger usage arrives, and a sample at or past
    ``window_end`` opens a new interval. Peaks are added at ``window_end``, the end of their
    interval. Samples of one resource must come in time order; others are discarded.
    """

    __slots__ = (
        "aggregator",
        "last_cpu_sample_start",
        "last_memory_sample_start",
        "memory_peak",
        "oom_peak",
        "request",
        "window_end",
    )

    def __init__(self, aggregator: ContainerStateAggregator, request: Resources | None = None) -> None:
        """``NewContainerState``; ``request`` in millicores / bytes."""
        self.aggregator = aggregator
        self.request: Resources = dict(request or {})
        self.last_cpu_sample_start: float | None = None
        self.memory_peak = 0
        self.oom_peak = 0
        self.window_end: float | None = None
        self.last_memory_sample_start: float | None = None

    def add_sample(self, sample: ContainerUsageSample) -> bool:
        """``AddSample``: True if aggregated, False if discarded (invalid or out of order)."""
        if sample.resource == RESOURCE_CPU:
            return self.add_cpu_sample(sample)
        if sample.resource == RESOURCE_MEMORY:
            return self.add_memory_sample(sample, False)
        return False

    def add_cpu_sample(self, sample: ContainerUsageSample) -> bool:
        """``addCPUSample``: discards invalid samples and any not strictly after the last."""
        if not sample.is_valid(RESOURCE_CPU) or (
            self.last_cpu_sample_start is not None
            and not sample.measure_start > self.last_cpu_sample_start
        ):
            return False
        self.aggregator.add_sample(sample)
        self.last_cpu_sample_start = sample.measure_start
        return True

    def get_max_memory_peak(self) -> int:
        """``GetMaxMemoryPeak``: the larger of the usage peak and the OOM-derived peak."""
        return resource_amount_max(self.memory_peak, self.oom_peak)

    def add_memory_sample(self, sample: ContainerUsageSample, is_oom: bool = False) -> bool:
        """``addMemorySample``: keep the interval's peak in the aggregate.

        Non-OOM samples earlier than the last one are discarded (equal times are kept).
        """
        ts = sample.measure_start
        if not sample.is_valid(RESOURCE_MEMORY) or (
            not is_oom
            and self.last_memory_sample_start is not None
            and ts < self.last_memory_sample_start
        ):
            return False
        self.last_memory_sample_start = ts
        if self.window_end is None:
            self.window_end = ts
        add_new_peak = False
        if ts < self.window_end:
            old_max = self.get_max_memory_peak()
            if old_max != 0 and sample.usage > old_max:
                self.aggregator.subtract_sample(
                    ContainerUsageSample(self.window_end, old_max, RESOURCE_MEMORY))
                add_new_peak = True
        else:
            # Move the window forward by whole intervals so that it contains ts.
            interval = self.aggregator.memory_aggregation_interval
            shift = math.floor((ts - self.window_end) / interval) * interval + interval
            self.window_end += shift
            self.memory_peak = 0
            self.oom_peak = 0
            add_new_peak = True
        if add_new_peak:
            self.aggregator.add_sample(
                ContainerUsageSample(self.window_end, sample.usage, RESOURCE_MEMORY))
            if is_oom:
                self.oom_peak = sample.usage
            else:
                self.memory_peak = sample.usage
        return True

    def record_oom(self, timestamp: float, requested_memory: int) -> None:
        """``RecordOOM``: add an artificial memory peak for an OOM kill at ``timestamp``.

        The peak is ``max(used + oom_min_bump_up, used * oom_bump_up_ratio)`` where ``used``
        is the larger of ``requested_memory`` (bytes) and this interval's usage peak.
        Raises ValueError if the OOM is older than one interval before the last memory
        sample (kubernetes/autoscaler#8548: measured from the last sample, not the window
        end) or if the sample is refused.
        """
        interval = self.aggregator.memory_aggregation_interval
        if (self.last_memory_sample_start is not None
                and timestamp < self.last_memory_sample_start - interval):
            raise ValueError(f"OOM event will be discarded - it is too old ({timestamp})")
        # The OOM peak itself is left out, so repeated OOMs do not compound.
        memory_used = resource_amount_max(requested_memory, self.memory_peak)
        memory_needed = resource_amount_max(
            memory_used + memory_amount_from_bytes(self.aggregator.oom_min_bump_up),
            scale_resource(memory_used, self.aggregator.oom_bump_up_ratio),
        )
        oom_sample = ContainerUsageSample(timestamp, memory_needed, RESOURCE_MEMORY)
        if not self.add_memory_sample(oom_sample, True):
            raise ValueError("adding OOM sample failed")
