"""The VPA recommender's estimators: from an aggregate usage history to an amount.

Mirrors ``kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/logic/estimator.go``:
``percentileCPUEstimator`` / ``percentileMemoryEstimator``, ``cpuMarginEstimator`` /
``memoryMarginEstimator`` (``WithCPUMargin``), ``cpuConfidenceMultiplier`` /
``memoryConfidenceMultiplier`` (``WithCPUConfidenceMultiplier``, ``getConfidence``),
``cpuMinResourceEstimator`` / ``memoryMinResourceEstimator`` (``WithCPUMinResource``),
the constant estimators and ``combinedEstimator``.

Upstream has one type per resource for each estimator; here one class serves both, with
the resource named where it matters (the percentile estimator). Amounts are ints:
millicores for CPU, bytes for memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from capacity.k8s.vpa.model import (
    RESOURCE_CPU,
    RESOURCE_MEMORY,
    AggregateContainerState,
    Resources,
    cpu_amount_from_cores,
    memory_amount_from_bytes,
    resource_amount_max,
    scale_resource,
)


class Estimator(Protocol):
    """``CPUEstimator`` / ``MemoryEstimator``: an amount for one resource."""

    def estimate(self, s: AggregateContainerState) -> int: ...


@dataclass(frozen=True, slots=True)
class PercentileEstimator:
    """``percentileCPUEstimator`` / ``percentileMemoryEstimator``: a percentile (0..1) of
    the CPU usage histogram (→ millicores) or of the memory peaks histogram (→ bytes)."""

    resource: str
    percentile: float

    def estimate(self, s: AggregateContainerState) -> int:
        if self.resource == RESOURCE_CPU:
            return cpu_amount_from_cores(s.aggregate_cpu_usage.percentile(self.percentile))
        if self.resource == RESOURCE_MEMORY:
            return memory_amount_from_bytes(s.aggregate_memory_peaks.percentile(self.percentile))
        raise ValueError(f"unknown resource {self.resource!r}")


@dataclass(frozen=True, slots=True)
class MarginEstimator:
    """``cpuMarginEstimator`` / ``memoryMarginEstimator``: ``base + base * margin_fraction``
    (the margin truncated on its own, as upstream)."""

    margin_fraction: float
    base: Estimator

    def estimate(self, s: AggregateContainerState) -> int:
        base = self.base.estimate(s)
        return base + scale_resource(base, self.margin_fraction)


def get_confidence(s: AggregateContainerState, confidence_interval: float) -> float:
    """``getConfidence``: how much history ``s`` holds, in units of ``confidence_interval``.

    The smaller of the span between the first and last CPU sample and the sample count
    normalised to one sample per minute; for a steady 1/minute stream over N days (with the
    default interval of one day) it is N. ``confidence_interval`` is in seconds.
    """
    span = 0.0
    if s.first_sample_start is not None and s.last_sample_start is not None:
        span = s.last_sample_start - s.first_sample_start
    lifespan = span / confidence_interval
    samples_amount = s.total_samples_count / (confidence_interval / 60.0)
    return min(lifespan, samples_amount)


@dataclass(frozen=True, slots=True)
class ConfidenceMultiplier:
    """``cpuConfidenceMultiplier`` / ``memoryConfidenceMultiplier``:
    ``base * (1 + multiplier / confidence) ** exponent``.

    With no history (confidence 0) the factor is +inf for a positive exponent and 0 for a
    negative one; the result is clamped to ``[0, 1e14]``. ``confidence_interval`` in seconds.
    """

    multiplier: float
    exponent: float
    base: Estimator
    confidence_interval: float

    def estimate(self, s: AggregateContainerState) -> int:
        confidence = get_confidence(s, self.confidence_interval)
        base = self.base.estimate(s)
        # Go's float division gives +Inf for x/0; Python raises instead.
        ratio = self.multiplier / confidence if confidence != 0 else math.inf
        return scale_resource(base, math.pow(1.0 + ratio, self.exponent))


@dataclass(frozen=True, slots=True)
class MinResourceEstimator:
    """``cpuMinResourceEstimator`` / ``memoryMinResourceEstimator``: at least ``min_resource``."""

    min_resource: int
    base: Estimator

    def estimate(self, s: AggregateContainerState) -> int:
        return resource_amount_max(self.base.estimate(s), self.min_resource)


@dataclass(frozen=True, slots=True)
class ConstEstimator:
    """``constCPUEstimator`` / ``constMemoryEstimator``: always ``value``."""

    value: int

    def estimate(self, s: AggregateContainerState) -> int:
        return self.value


@dataclass(frozen=True, slots=True)
class CombinedEstimator:
    """``combinedEstimator``: one estimator per resource → ``{"cpu": ..., "memory": ...}``."""

    cpu: Estimator
    memory: Estimator

    def get_resource_estimation(self, s: AggregateContainerState) -> Resources:
        """``GetResourceEstimation``."""
        return {RESOURCE_CPU: self.cpu.estimate(s), RESOURCE_MEMORY: self.memory.estimate(s)}


def with_margin(margin_fraction: float, base: Estimator) -> MarginEstimator:
    """``WithCPUMargin`` / ``WithMemoryMargin``."""
    return MarginEstimator(margin_fraction, base)


def with_confidence_multiplier(
    multiplier: float, exponent: float, base: Estimator, confidence_interval: float
) -> ConfidenceMultiplier:
    """``WithCPUConfidenceMultiplier`` / ``WithMemoryConfidenceMultiplier``."""
    return ConfidenceMultiplier(multiplier, exponent, base, confidence_interval)


def with_min_resource(min_resource: int, base: Estimator) -> MinResourceEstimator:
    """``WithCPUMinResource`` / ``WithMemoryMinResource``."""
    return MinResourceEstimator(min_resource, base)
