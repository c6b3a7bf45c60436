"""The VPA recommender's bucketed histograms: plain and exponentially decaying.

Mirrors ``kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/util/``:
``histogram_options.go`` (``NewLinearHistogramOptions``, ``NewExponentialHistogramOptions``,
``FindBucket``, ``GetBucketStart``), ``histogram.go`` (``AddSample``, ``SubtractSample``,
``Merge``, ``Percentile``, ``IsEmpty``, ``Equals``, ``scale``, ``SaveToChekpoint``,
``LoadFromCheckpoint``) and ``decaying_histogram.go`` (``decayFactor``,
``shiftReferenceTimestamp``, ``maxDecayExponent``).

A histogram holds one float weight per bucket, so its size is O(buckets) whatever the
number of samples. Times are float seconds. Upstream's zero ``time.Time``, the initial
reference timestamp of a decaying histogram, is ``None`` here: earlier than any time, so
the first sample moves the reference to itself, as in Go. Rounding a timestamp to a
multiple of the half-life is done relative to ``0.0`` (Go rounds relative to year 1, a
whole number of days before the Unix epoch, so the two agree for half-lives that divide a
day when ``0.0`` is read as the Unix epoch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

MAX_CHECKPOINT_WEIGHT = 10000
"""``MaxCheckpointWeight``: the largest bucket weight stored in a checkpoint."""

MAX_DECAY_EXPONENT = 100
"""``maxDecayExponent``: past 2^100 the reference timestamp is moved forward."""


def _go_round(x: float) -> int:
    """``round`` of decaying_histogram.go: ``floor(x + 0.5)`` (halves go up)."""
    return math.floor(x + 0.5)


def _log(base: float, x: float) -> float:
    """``log(base, x)`` of histogram_options.go."""
    return math.log(x) / math.log(base)


# --------------------------------------------------------------------------- options


class HistogramOptions(Protocol):
    """``HistogramOptions``: the bucketing scheme of a histogram."""

    @property
    def num_buckets(self) -> int: ...

    @property
    def epsilon(self) -> float: ...

    def find_bucket(self, value: float) -> int: ...

    def get_bucket_start(self, bucket: int) -> float: ...


@dataclass(frozen=True, slots=True)
class LinearHistogramOptions:
    """``linearHistogramOptions``: ``num_buckets`` buckets of ``bucket_size``, from 0."""

    num_buckets: int
    bucket_size: float
    epsilon: float

    def find_bucket(self, value: float) -> int:
        """``FindBucket``: values outside the range go to the first or last bucket."""
        bucket = int(value / self.bucket_size)
        if bucket < 0:
            return 0
        return min(bucket, self.num_buckets - 1)

    def get_bucket_start(self, bucket: int) -> float:
        """``GetBucketStart``; raises IndexError outside ``[0, num_buckets)``."""
        if not 0 <= bucket < self.num_buckets:
            raise IndexError(f"index {bucket} out of range [0..{self.num_buckets - 1}]")
        return float(bucket) * self.bucket_size


@dataclass(frozen=True, slots=True)
class ExponentialHistogramOptions:
    """``exponentialHistogramOptions``: bucket n has size ``first_bucket_size * ratio**n``.

    Bucket n >= 1 starts at ``first_bucket_size * (ratio**n - 1) / (ratio - 1)``.
    """

    num_buckets: int
    first_bucket_size: float
    ratio: float
    epsilon: float

    def find_bucket(self, value: float) -> int:
        """``FindBucket``: the inverse of :meth:`get_bucket_start`, clamped to the range."""
        if value < self.first_bucket_size:
            return 0
        bucket = int(_log(self.ratio, value * (self.ratio - 1) / self.first_bucket_size + 1))
        return min(bucket, self.num_buckets - 1)

    def get_bucket_start(self, bucket: int) -> float:
        """``GetBucketStart``; raises IndexError outside ``[0, num_buckets)``."""
        if not 0 <= bucket < self.num_buckets:
            raise IndexError(f"index {bucket} out of range [0..{self.num_buckets - 1}]")
        if bucket == 0:
            return 0.0
        return self.first_bucket_size * (math.pow(self.ratio, bucket) - 1) / (self.ratio - 1)


def new_linear_histogram_options(
    max_value: float, bucket_size: float, epsilon: float
) -> LinearHistogramOptions:
    """``NewLinearHistogramOptions``: the last bucket starts at or above ``max_value``.

    Raises ValueError unless all three arguments are positive.
    """
    if max_value <= 0.0 or bucket_size <= 0.0 or epsilon <= 0.0:
        raise ValueError("maxValue and bucketSize must both be positive")
    return LinearHistogramOptions(math.ceil(max_value / bucket_size) + 1, bucket_size, epsilon)


def new_exponential_histogram_options(
    max_value: float, first_bucket_size: float, ratio: float, epsilon: float
) -> ExponentialHistogramOptions:
    """``NewExponentialHistogramOptions``: the last bucket starts at or above ``max_value``.

    Raises ValueError unless ``max_value``, ``first_bucket_size``, ``epsilon`` > 0 and
    ``ratio`` > 1.
    """
    if max_value <= 0.0 or first_bucket_size <= 0.0 or ratio <= 1.0 or epsilon <= 0.0:
        raise ValueError("maxValue, firstBucketSize and epsilon must be > 0.0, ratio must be > 1.0")
    num_buckets = math.ceil(_log(ratio, max_value * (ratio - 1) / first_bucket_size + 1)) + 1
    return ExponentialHistogramOptions(num_buckets, first_bucket_size, ratio, epsilon)


# --------------------------------------------------------------------------- checkpoints


@dataclass(slots=True)
class HistogramCheckpoint:
    """``HistogramCheckpoint`` of the VerticalPodAutoscalerCheckpoint API.

    ``bucket_weights`` maps bucket index to an integer weight in ``[1, 10000]``, scaled so
    the heaviest bucket has 10000; ``total_weight`` keeps the real total.
    ``reference_timestamp`` is set for decaying histograms only.
    """

    total_weight: float = 0.0
    bucket_weights: dict[int, int] = field(default_factory=dict)
    reference_timestamp: float | None = None


# --------------------------------------------------------------------------- histograms


class Histogram:
    """``histogram``: total weight per bucket; a percentile is a bucket's upper end.

    A bucket whose weight is below ``options.epsilon`` counts as empty. ``min_bucket`` is
    the first non-empty bucket (the last bucket when empty), ``max_bucket`` the last
    non-empty one (0 when empty). The ``t`` arguments are ignored; they exist so that a
    :class:`DecayingHistogram` can be used in the same place.
    """

    __slots__ = ("bucket_weight", "max_bucket", "min_bucket", "options", "total_weight")

    def __init__(self, options: HistogramOptions) -> None:
        self.options = options
        self.bucket_weight = [0.0] * options.num_buckets
        self.total_weight = 0.0
        self.min_bucket = options.num_buckets - 1
        self.max_bucket = 0

    def add_sample(self, value: float, weight: float, t: float = 0.0) -> None:
        """``AddSample``: add ``weight`` to the bucket of ``value``. Raises ValueError if < 0."""
        if weight < 0.0:
            raise ValueError("sample weight must be non-negative")
        bucket = self.options.find_bucket(value)
        self.bucket_weight[bucket] += weight
        self.total_weight += weight
        # A bucket only becomes the min/max once it holds at least epsilon.
        if bucket < self.min_bucket and self.bucket_weight[bucket] >= self.options.epsilon:
            self.min_bucket = bucket
        if bucket > self.max_bucket and self.bucket_weight[bucket] >= self.options.epsilon:
            self.max_bucket = bucket

    def subtract_sample(self, value: float, weight: float, t: float = 0.0) -> None:
        """``SubtractSample``: remove weight; what falls below epsilon becomes 0.

        Raises ValueError if ``weight`` < 0.
        """
        if weight < 0.0:
            raise ValueError("sample weight must be non-negative")
        bucket = self.options.find_bucket(value)
        eps = self.options.epsilon
        self.total_weight = _safe_subtract(self.total_weight, weight, eps)
        self.bucket_weight[bucket] = _safe_subtract(self.bucket_weight[bucket], weight, eps)
        self._update_min_and_max_bucket()

    def merge(self, other: Histogram) -> None:
        """``Merge``: add all of ``other``'s weights.

        Raises TypeError for another histogram type, ValueError for other options.
        """
        if type(other) is not Histogram:
            raise TypeError("can only merge a histogram of the same type")
        self._merge_buckets(other)

    def _merge_buckets(self, o: Histogram) -> None:
        if self.options != o.options:
            raise ValueError("can't merge histograms with different options")
        for bucket in range(o.min_bucket, o.max_bucket + 1):
            self.bucket_weight[bucket] += o.bucket_weight[bucket]
        self.total_weight += o.total_weight
        self.min_bucket = min(self.min_bucket, o.min_bucket)
        self.max_bucket = max(self.max_bucket, o.max_bucket)

    def percentile(self, percentile: float) -> float:
        """``Percentile``: the end of the first bucket where the cumulative weight reaches
        ``percentile * total_weight`` (``percentile`` in [0, 1]; outside it gives the first or
        last non-empty bucket). The last bucket has no end, so its start is returned.
        An empty histogram gives 0.0.
        """
        if self.is_empty():
            return 0.0
        partial_sum = 0.0
        threshold = percentile * self.total_weight
        bucket = self.min_bucket
        while bucket < self.max_bucket:
            partial_sum += self.bucket_weight[bucket]
            if partial_sum >= threshold:
                break
            bucket += 1
        if bucket < self.options.num_buckets - 1:
            return self.options.get_bucket_start(bucket + 1)
        return self.options.get_bucket_start(bucket)

    def is_empty(self) -> bool:
        """``IsEmpty``: the first non-empty bucket holds less than epsilon."""
        return self.bucket_weight[self.min_bucket] < self.options.epsilon

    def equals(self, other: Histogram) -> bool:
        """``Equals``: same type, options and bucket range; weights within 1e-15."""
        if type(other) is not type(self):
            return False
        return self._equal_buckets(other)

    def _equal_buckets(self, o: Histogram) -> bool:
        if (self.options != o.options or self.min_bucket != o.min_bucket
                or self.max_bucket != o.max_bucket):
            return False
        return all(
            abs(self.bucket_weight[b] - o.bucket_weight[b]) <= 1e-15
            for b in range(self.min_bucket, self.max_bucket + 1)
        )

    def scale(self, factor: float) -> None:
        """``scale``: multiply every weight (percentiles do not change).

        Raises ValueError if ``factor`` < 0.
        """
        if factor < 0.0:
            raise ValueError("scale factor must be non-negative")
        for bucket in range(self.min_bucket, self.max_bucket + 1):
            self.bucket_weight[bucket] *= factor
        self.total_weight *= factor
        # Scaling down can push buckets under epsilon.
        self._update_min_and_max_bucket()

    def _update_min_and_max_bucket(self) -> None:
        """``updateMinAndMaxBucket``, after any operation that lowers weights."""
        eps = self.options.epsilon
        last = self.options.num_buckets - 1
        while self.bucket_weight[self.min_bucket] < eps and self.min_bucket < last:
            self.min_bucket += 1
        while self.bucket_weight[self.max_bucket] < eps and self.max_bucket > 0:
            self.max_bucket -= 1

    def save_to_checkpoint(self) -> HistogramCheckpoint:
        """``SaveToChekpoint``: weights scaled so the largest is 10000, rounded; zeros dropped."""
        result = HistogramCheckpoint(total_weight=self.total_weight)
        buckets = range(self.min_bucket, self.max_bucket + 1)
        max_weight = max((self.bucket_weight[b] for b in buckets), default=0.0)
        max_weight = max(max_weight, 0.0)
        if max_weight == 0.0:
            # Upstream divides by zero here and every rounded weight comes out 0.
            return result
        ratio = MAX_CHECKPOINT_WEIGHT / max_weight
        for b in buckets:
            w = _go_round(self.bucket_weight[b] * ratio)
            if w > 0:
                result.bucket_weights[b] = w
        return result

    def load_from_checkpoint(self, checkpoint: HistogramCheckpoint | None) -> None:
        """``LoadFromCheckpoint``: add the checkpoint's samples to this histogram.

        Raises ValueError on a missing checkpoint, a negative total weight or a bucket index
        outside the histogram.
        """
        if checkpoint is None:
            raise ValueError("cannot load from empty checkpoint")
        if checkpoint.total_weight < 0.0:
            raise ValueError(f"cannot load checkpoint with negative weight {checkpoint.total_weight}")
        total = 0
        for bucket, weight in checkpoint.bucket_weights.items():
            total += weight
            if bucket >= self.options.num_buckets:
                raise ValueError(
                    f"checkpoint has bucket {bucket} that is exceeding histogram buckets "
                    f"{self.options.num_buckets}"
                )
            if bucket < 0:
                raise ValueError(f"checkpoint has a negative bucket {bucket}")
        if total == 0:
            return
        ratio = checkpoint.total_weight / total
        for bucket, weight in checkpoint.bucket_weights.items():
            self.min_bucket = min(self.min_bucket, bucket)
            self.max_bucket = max(self.max_bucket, bucket)
            self.bucket_weight[bucket] += weight * ratio
        self.total_weight += checkpoint.total_weight
        # Rounding in save/load can leave the smallest bucket just under epsilon
        # (kubernetes/autoscaler#7726): drop such buckets so the histogram stays non-empty.
        self._update_min_and_max_bucket()

    def copy(self) -> Histogram:
        """An independent copy."""
        h = Histogram.__new__(type(self))
        self._copy_into(h)
        return h

    def _copy_into(self, h: Histogram) -> None:
        h.options = self.options
        h.bucket_weight = list(self.bucket_weight)
        h.total_weight = self.total_weight
        h.min_bucket = self.min_bucket
        h.max_bucket = self.max_bucket

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(min_bucket={self.min_bucket}, "
                f"max_bucket={self.max_bucket}, total_weight={self.total_weight:.3f})")


def _safe_subtract(value: float, sub: float, epsilon: float) -> float:
    """``safeSubtract``: ``value - sub``, or 0 when that is below epsilon."""
    value -= sub
    return 0.0 if value < epsilon else value


class DecayingHistogram(Histogram):
    """``decayingHistogram``: a sample's weight doubles with every ``half_life`` of its time.

    A sample added at time ``t`` gets weight ``w * 2**((t - reference) / half_life)``, so
    relative to a sample one half-life newer it counts half. Only relative weights matter,
    so when the factor would pass 2^100 the reference timestamp is moved forward (to a
    multiple of the half-life) and all weights are scaled down to match.
    """

    __slots__ = ("half_life", "reference_timestamp")

    def __init__(self, options: HistogramOptions, half_life: float) -> None:
        """``half_life`` in seconds; raises ValueError unless it is positive."""
        super().__init__(options)
        if half_life <= 0:
            raise ValueError("half life must be positive")
        self.half_life = float(half_life)
        # None is Go's zero time: before every timestamp.
        self.reference_timestamp: float | None = None

    def add_sample(self, value: float, weight: float, t: float = 0.0) -> None:
        """``AddSample`` at time ``t`` (seconds)."""
        super().add_sample(value, weight * self._decay_factor(t), t)

    def subtract_sample(self, value: float, weight: float, t: float = 0.0) -> None:
        """``SubtractSample`` of a sample added at time ``t`` (seconds)."""
        super().subtract_sample(value, weight * self._decay_factor(t), t)

    def merge(self, other: Histogram) -> None:
        """``Merge``: aligns the older reference timestamp with the newer one first.

        As upstream, this may move ``other``'s reference timestamp (its distribution is
        unchanged). Raises TypeError for a non-decaying histogram, ValueError for a
        different half-life or options.
        """
        if not isinstance(other, DecayingHistogram):
            raise TypeError("can only merge a decaying histogram into a decaying histogram")
        if self.half_life != other.half_life:
            raise ValueError("can't merge decaying histograms with different half life periods")
        mine, theirs = self.reference_timestamp, other.reference_timestamp
        if theirs is not None and (mine is None or mine < theirs):
            self.shift_reference_timestamp(theirs)
        elif mine is not None and (theirs is None or theirs < mine):
            other.shift_reference_timestamp(mine)
        self._merge_buckets(other)

    def equals(self, other: Histogram) -> bool:
        """``Equals``: also the same half-life and reference timestamp."""
        return (
            isinstance(other, DecayingHistogram)
            and self.half_life == other.half_life
            and self.reference_timestamp == other.reference_timestamp
            and self._equal_buckets(other)
        )

    def shift_reference_timestamp(self, new_reference: float) -> None:
        """``shiftReferenceTimestamp``: round to a multiple of the half-life, rescale weights."""
        new_reference = _round_to_multiple(new_reference, self.half_life)
        if self.reference_timestamp is None:
            # From Go's zero time the exponent is hugely negative: weights scale to 0.
            self.scale(0.0)
        else:
            exponent = _go_round((self.reference_timestamp - new_reference) / self.half_life)
            self.scale(math.ldexp(1.0, exponent))
        self.reference_timestamp = new_reference

    def _decay_factor(self, t: float) -> float:
        """``decayFactor``: ``2**((t - reference) / half_life)``, renormalising first if the
        exponent would exceed :data:`MAX_DECAY_EXPONENT`."""
        ref = self.reference_timestamp
        if ref is None or t > ref + self.half_life * MAX_DECAY_EXPONENT:
            self.shift_reference_timestamp(t)
        assert self.reference_timestamp is not None  # set by the shift
        return math.pow(2.0, (t - self.reference_timestamp) / self.half_life)

    def save_to_checkpoint(self) -> HistogramCheckpoint:
        """``SaveToChekpoint``, with the reference timestamp."""
        checkpoint = super().save_to_checkpoint()
        checkpoint.reference_timestamp = self.reference_timestamp
        return checkpoint

    def load_from_checkpoint(self, checkpoint: HistogramCheckpoint | None) -> None:
        """``LoadFromCheckpoint``; takes the checkpoint's reference timestamp."""
        super().load_from_checkpoint(checkpoint)
        assert checkpoint is not None  # checked by the base class
        self.reference_timestamp = checkpoint.reference_timestamp

    def _copy_into(self, h: Histogram) -> None:
        super()._copy_into(h)
        assert isinstance(h, DecayingHistogram)
        h.half_life = self.half_life
        h.reference_timestamp = self.reference_timestamp

    def __repr__(self) -> str:
        return (f"DecayingHistogram(reference_timestamp={self.reference_timestamp}, "
                f"half_life={self.half_life}, min_bucket={self.min_bucket}, "
                f"max_bucket={self.max_bucket}, total_weight={self.total_weight:.3f})")


def _round_to_multiple(t: float, d: float) -> float:
    """Go's ``time.Round(d)``: the nearest multiple of ``d``, halves away from zero."""
    q = abs(t) / d
    r = math.floor(q + 0.5) * d
    return r if t >= 0 else -r
