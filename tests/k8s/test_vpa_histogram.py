"""Ported tests of the VPA recommender's histograms, plus properties.

Source: kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/util/
histogram_test.go (16 tests), decaying_histogram_test.go (8, and one of ours) and histogram_options_test.go
(2), each test named after the upstream one. Times are float seconds; upstream's
``time.Unix(1234567890, 0)`` is ``1234567890.0``.
"""

from __future__ import annotations

import calendar
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.k8s.vpa.histogram import (
    MAX_CHECKPOINT_WEIGHT,
    DecayingHistogram,
    Histogram,
    HistogramCheckpoint,
    new_exponential_histogram_options,
    new_linear_histogram_options,
)
from capacity.k8s.vpa.model import AggregationsConfig

VALUE_EPSILON = 1e-15  # relative precision of values (assert.InEpsilon)
WEIGHT_EPSILON = 1e-15
ANY_TIME = 0.0
START_TIME = 1234567890.0
HOUR = 3600.0
TEST_OPTIONS = new_linear_histogram_options(10.0, 1.0, WEIGHT_EPSILON)


def in_epsilon(expected: float, actual: float, eps: float = VALUE_EPSILON) -> bool:
    return abs(expected - actual) <= eps * abs(expected)


# --------------------------------------------------------------------------- histogram_test.go


def test_percentiles_empty_histogram() -> None:
    """TestPercentilesEmptyHistogram."""
    h = Histogram(TEST_OPTIONS)
    for p in (-0.5, 0.0, 0.5, 1.0, 1.5):
        assert h.percentile(p) == 0.0


def test_percentiles() -> None:
    """TestPercentiles: histogram {1: 1, 2: 2, 3: 3, 4: 4}; a percentile is a bucket's end."""
    h = Histogram(TEST_OPTIONS)
    for i in range(1, 5):
        h.add_sample(float(i), float(i), ANY_TIME)
    expected = [(0.0, 2), (0.1, 2), (0.2, 3), (0.3, 3), (0.4, 4), (0.5, 4), (0.6, 4),
                (0.7, 5), (0.8, 5), (0.9, 5), (1.0, 5)]
    for p, value in expected:
        assert in_epsilon(value, h.percentile(p)), p


def test_percentile_out_of_bounds() -> None:
    """TestPercentileOutOfBounds: below 0 gives the first bucket, above 1 the last."""
    options = new_linear_histogram_options(1.0, 0.1, WEIGHT_EPSILON)
    h = Histogram(options)
    h.add_sample(0.1, 0.1, ANY_TIME)
    h.add_sample(0.2, 0.2, ANY_TIME)
    assert in_epsilon(0.2, h.percentile(-0.1))
    assert in_epsilon(0.3, h.percentile(1.1))
    # Fill the boundary buckets.
    h.add_sample(0.0, 0.1, ANY_TIME)
    h.add_sample(1.0, 0.2, ANY_TIME)
    assert in_epsilon(0.1, h.percentile(-0.1))
    assert in_epsilon(1.0, h.percentile(1.1))


def test_empty_histogram() -> None:
    """TestEmptyHistogram: empty once the weight drops under epsilon."""
    h = Histogram(new_linear_histogram_options(1.0, 0.1, WEIGHT_EPSILON))
    assert h.is_empty()
    h.add_sample(0.1, WEIGHT_EPSILON * 2.5, ANY_TIME)
    assert not h.is_empty()
    h.subtract_sample(0.1, WEIGHT_EPSILON, ANY_TIME)  # 1.5 epsilon left
    assert not h.is_empty()
    h.subtract_sample(0.1, WEIGHT_EPSILON, ANY_TIME)  # 0.5 epsilon left
    assert h.is_empty()


def test_non_empty_on_epsilon_addition() -> None:
    """TestNonEmptyOnEpsilonAddition: sub-epsilon samples do not empty a non-empty one."""
    h = Histogram(new_linear_histogram_options(1.0, 0.1, WEIGHT_EPSILON))
    assert h.is_empty()
    h.add_sample(9.9, WEIGHT_EPSILON * 3, ANY_TIME)
    assert not h.is_empty()
    h.add_sample(0.1, WEIGHT_EPSILON * 0.3, ANY_TIME)
    assert not h.is_empty()
    h.add_sample(999.9, WEIGHT_EPSILON * 0.3, ANY_TIME)
    assert not h.is_empty()


def test_histogram_merge() -> None:
    """TestHistogramMerge."""
    h1 = Histogram(TEST_OPTIONS)
    h1.add_sample(1, 1, ANY_TIME)
    h1.add_sample(2, 1, ANY_TIME)
    h2 = Histogram(TEST_OPTIONS)
    h2.add_sample(2, 1, ANY_TIME)
    h2.add_sample(3, 1, ANY_TIME)
    expected = Histogram(TEST_OPTIONS)
    for v in (1, 2, 2, 3):
        expected.add_sample(v, 1, ANY_TIME)
    h1.merge(h2)
    assert h1.equals(expected)


def test_histogram_save_to_checkpoint_empty() -> None:
    """TestHistogramSaveToCheckpointEmpty."""
    s = Histogram(TEST_OPTIONS).save_to_checkpoint()
    assert s.total_weight == 0.0
    assert s.bucket_weights == {}


def test_histogram_save_to_checkpoint() -> None:
    """TestHistogramSaveToCheckpoint: the single bucket gets MaxCheckpointWeight."""
    h = Histogram(TEST_OPTIONS)
    h.add_sample(1, 1, ANY_TIME)
    s = h.save_to_checkpoint()
    bucket = TEST_OPTIONS.find_bucket(1)
    assert s.total_weight == 1.0
    assert s.bucket_weights == {bucket: MAX_CHECKPOINT_WEIGHT}


def test_histogram_save_to_checkpoint_drops_relatively_small_values() -> None:
    """TestHistogramSaveToCheckpointDropsRelativelySmallValues."""
    h = Histogram(TEST_OPTIONS)
    v1, w1 = 1.0, 1.0
    v2, w2 = 2.0, 100000.0
    h.add_sample(v1, w1, ANY_TIME)
    h.add_sample(v2, w2, ANY_TIME)
    b1, b2 = TEST_OPTIONS.find_bucket(v1), TEST_OPTIONS.find_bucket(v2)
    assert b1 != b2
    assert w1 < (w2 / MAX_CHECKPOINT_WEIGHT) / 2
    s = h.save_to_checkpoint()
    assert s.total_weight == 100001.0
    assert s.bucket_weights == {b2: MAX_CHECKPOINT_WEIGHT}


def test_histogram_save_to_checkpoint_for_multiple_values() -> None:
    """TestHistogramSaveToCheckpointForMultipleValues."""
    h = Histogram(TEST_OPTIONS)
    h.add_sample(1.0, 1.0, ANY_TIME)
    h.add_sample(2.0, 10000.0, ANY_TIME)
    h.add_sample(3.0, 50.0, ANY_TIME)
    b = [TEST_OPTIONS.find_bucket(v) for v in (1.0, 2.0, 3.0)]
    assert len(set(b)) == 3
    s = h.save_to_checkpoint()
    assert s.total_weight == 10051.0
    assert s.bucket_weights == {b[0]: 1, b[1]: 10000, b[2]: 50}


def test_histogram_load_from_checkpoint() -> None:
    """TestHistogramLoadFromCheckpoint: weights scaled to the checkpoint's total weight."""
    h = Histogram(TEST_OPTIONS)
    h.load_from_checkpoint(HistogramCheckpoint(total_weight=6.0, bucket_weights={0: 1, 1: 2}))
    assert h.total_weight == 6.0
    assert h.bucket_weight[0] == 2.0
    assert h.bucket_weight[1] == 4.0


@pytest.mark.parametrize(
    ("name", "checkpoint"),
    [
        ("TestHistogramLoadFromCheckpointReturnsErrorOnNegativeBucket",
         HistogramCheckpoint(total_weight=1.0, bucket_weights={-1: 1})),
        ("TestHistogramLoadFromCheckpointReturnsErrorOnInvalidBucket",
         HistogramCheckpoint(total_weight=1.0, bucket_weights={99: 1})),
        ("TestHistogramLoadFromCheckpointReturnsErrorNegativeTotaWeight",
         HistogramCheckpoint(total_weight=-1.0, bucket_weights={})),
        ("TestHistogramLoadFromCheckpointReturnsErrorOnNilInput", None),
    ],
)
def test_histogram_load_from_checkpoint_errors(name: str, checkpoint: HistogramCheckpoint | None) -> None:
    """The four TestHistogramLoadFromCheckpointReturnsError* tests."""
    with pytest.raises(ValueError):
        Histogram(TEST_OPTIONS).load_from_checkpoint(checkpoint)


def test_histogram_is_not_empty_after_saving_and_loading_checkpoints_with_boundary_values() -> None:
    """TestHistogramIsNotEmptyAfterSavingAndLoadingCheckpointsWithBoundaryValues (#7726).

    Weights epsilon and (10000 - 1) * epsilon round to 1 and 10000; loading scales them by
    10000 epsilon / 10001 < epsilon, so the small bucket would fall under epsilon.
    """
    h = Histogram(TEST_OPTIONS)
    h.add_sample(1, WEIGHT_EPSILON, ANY_TIME)
    h.add_sample(2, MAX_CHECKPOINT_WEIGHT * WEIGHT_EPSILON - WEIGHT_EPSILON, ANY_TIME)
    assert not h.is_empty()
    checkpoint = h.save_to_checkpoint()
    loaded = Histogram(TEST_OPTIONS)
    loaded.load_from_checkpoint(checkpoint)
    assert not loaded.is_empty()


# --------------------------------------------------------------------------- decaying_histogram_test.go


def test_percentiles_empty_decaying_histogram() -> None:
    """TestPercentilesEmptyDecayingHistogram."""
    h = DecayingHistogram(TEST_OPTIONS, HOUR)
    for p in (-0.5, 0.0, 0.5, 1.0, 1.5):
        assert h.percentile(p) == 0.0


def test_simple_decay() -> None:
    """TestSimpleDecay: 20 half-lives later, weight 1 outweighs weight 1000 by 2^20/1000."""
    h = DecayingHistogram(TEST_OPTIONS, HOUR)
    h.add_sample(2, 1000, START_TIME)
    h.add_sample(1, 1, START_TIME + 20 * HOUR)
    assert in_epsilon(2, h.percentile(0.999))
    assert in_epsilon(3, h.percentile(1.0))


def test_longterm_decay() -> None:
    """TestLongtermDecay: past 2^100 the reference moves and the old sample vanishes."""
    h = DecayingHistogram(TEST_OPTIONS, HOUR)
    h.add_sample(2, 1, START_TIME)
    h.add_sample(1, 1, START_TIME + 101 * HOUR)
    assert in_epsilon(2, h.percentile(1.0))


def test_decaying_histogram_percentiles() -> None:
    """TestDecayingHistogramPercentiles: values and weights 1..4, one half-life apart.

    Weights 1/8, 2/4, 3/2, 4 → cumulative shares 2%, 10%, 34%, 100%.
    """
    h = DecayingHistogram(TEST_OPTIONS, HOUR)
    t = START_TIME
    for i in range(1, 5):
        h.add_sample(float(i), float(i), t)
        t += HOUR
    for p, value in [(0.00, 2), (0.02, 2), (0.03, 3), (0.10, 3), (0.11, 4), (0.34, 4),
                     (0.35, 5), (1.00, 5)]:
        assert in_epsilon(value, h.percentile(p)), p


def test_no_decay() -> None:
    """TestNoDecay: at one instant a decaying histogram is a plain one."""
    h = DecayingHistogram(TEST_OPTIONS, HOUR)
    for i in range(1, 5):
        h.add_sample(float(i), float(i), START_TIME)
    for p, value in [(0.0, 2), (0.2, 3), (0.1, 2), (0.3, 3), (0.4, 4), (0.5, 4), (0.6, 4),
                     (0.7, 5), (0.8, 5), (0.9, 5), (1.0, 5)]:
        assert in_epsilon(value, h.percentile(p)), p


def test_decaying_histogram_merge() -> None:
    """TestDecayingHistogramMerge."""
    h1 = DecayingHistogram(TEST_OPTIONS, HOUR)
    h1.add_sample(1, 1, START_TIME)
    h1.add_sample(2, 1, START_TIME + HOUR)
    h2 = DecayingHistogram(TEST_OPTIONS, HOUR)
    h2.add_sample(2, 1, START_TIME + 2 * HOUR)
    h2.add_sample(3, 1, START_TIME + HOUR)
    expected = DecayingHistogram(TEST_OPTIONS, HOUR)
    expected.add_sample(2, 1, START_TIME + 2 * HOUR)
    expected.add_sample(2, 1, START_TIME + HOUR)
    expected.add_sample(3, 1, START_TIME + HOUR)
    expected.add_sample(1, 1, START_TIME)
    h1.merge(h2)
    assert h1.equals(expected)


def test_decaying_histogram_save_to_checkpoint() -> None:
    """TestDecayingHistogramSaveToCheckpoint: the moved reference timestamp is saved."""
    d = DecayingHistogram(TEST_OPTIONS, HOUR)
    d.add_sample(2, 1, START_TIME + 100 * HOUR)
    assert d.reference_timestamp is not None
    checkpoint = d.save_to_checkpoint()
    assert checkpoint.reference_timestamp == d.reference_timestamp
    assert checkpoint.bucket_weights
    assert checkpoint.total_weight != 0


def test_first_sample_moves_the_reference_from_the_zero_time() -> None:
    """decayFactor: Go's zero time is more than 100 half-lives before any real sample, so
    the first one moves the reference to itself, rounded to the half-life."""
    d = DecayingHistogram(TEST_OPTIONS, HOUR)
    assert d.reference_timestamp is None
    d.add_sample(2, 1, START_TIME)  # 1234567890 s = 342935.5 h → 342936 h
    assert d.reference_timestamp == 342936 * HOUR
    assert d.total_weight == pytest.approx(2 ** ((START_TIME - 342936 * HOUR) / HOUR))


def test_decaying_histogram_load_from_checkpoint() -> None:
    """TestDecayingHistogramLoadFromCheckpoint."""
    timestamp = float(calendar.timegm((2018, 1, 2, 3, 4, 5)))
    checkpoint = HistogramCheckpoint(total_weight=6.0, bucket_weights={0: 1},
                                     reference_timestamp=timestamp)
    d = DecayingHistogram(TEST_OPTIONS, HOUR)
    d.load_from_checkpoint(checkpoint)
    assert not d.is_empty()
    assert d.reference_timestamp == timestamp


# --------------------------------------------------------------------------- histogram_options_test.go


def test_linear_histogram_options() -> None:
    """TestLinearHistogramOptions."""
    o = new_linear_histogram_options(5.0, 0.3, 0.001)
    assert o.epsilon == 0.001
    assert o.num_buckets == 18
    assert o.get_bucket_start(0) == 0.0
    assert o.get_bucket_start(17) == 5.1
    assert o.find_bucket(-1.0) == 0
    assert o.find_bucket(0.0) == 0
    assert o.find_bucket(1.3) == 4
    assert o.find_bucket(100.0) == 17


def test_exponential_histogram_options() -> None:
    """TestExponentialHistogramOptions: buckets start at 0, 40, 100, 190, 325, 527.5."""
    o = new_exponential_histogram_options(500.0, 40.0, 1.5, 0.001)
    assert o.epsilon == 0.001
    assert o.num_buckets == 6
    assert [o.get_bucket_start(b) for b in range(6)] == [0.0, 40.0, 100.0, 190.0, 325.0, 527.5]
    assert o.find_bucket(-1.0) == 0
    assert o.find_bucket(39.99) == 0
    assert o.find_bucket(40.0) == 1
    assert o.find_bucket(100.0) == 2
    assert o.find_bucket(900.0) == 5


def test_options_reject_bad_arguments() -> None:
    """The error branches of NewLinearHistogramOptions / NewExponentialHistogramOptions."""
    with pytest.raises(ValueError):
        new_linear_histogram_options(0.0, 1.0, 0.1)
    with pytest.raises(ValueError):
        new_exponential_histogram_options(10.0, 1.0, 1.0, 0.1)
    with pytest.raises(IndexError):
        TEST_OPTIONS.get_bucket_start(TEST_OPTIONS.num_buckets)


def test_cpu_and_memory_options_have_176_buckets() -> None:
    """aggregations_config.go: 10m..1000 cores and 10 MB..1 TB, 5% growth → 176 buckets each,
    so a container's state is a few KiB whatever the number of samples."""
    config = AggregationsConfig()
    assert config.cpu_histogram_options.num_buckets == 176
    assert config.memory_histogram_options.num_buckets == 176
    assert config.cpu_histogram_options.epsilon == pytest.approx(1e-4)


# --------------------------------------------------------------------------- properties

CPU_OPTIONS = AggregationsConfig().cpu_histogram_options
samples = st.lists(
    st.tuples(st.floats(0.0, 2000.0), st.floats(1e-3, 100.0)), min_size=1, max_size=50)


@given(samples, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_percentile_is_monotone_in_the_percentile(
    points: list[tuple[float, float]], p: float, q: float
) -> None:
    h = Histogram(CPU_OPTIONS)
    for value, weight in points:
        h.add_sample(value, weight)
    lo, hi = min(p, q), max(p, q)
    assert h.percentile(lo) <= h.percentile(hi)


@given(samples)
def test_percentiles_bracket_the_samples(points: list[tuple[float, float]]) -> None:
    """p0 is at most one bucket above the smallest value, p100 at least the largest
    (clamped to the last bucket's start)."""
    h = Histogram(CPU_OPTIONS)
    for value, weight in points:
        h.add_sample(value, weight)
    smallest = min(v for v, _ in points)
    largest = max(v for v, _ in points)
    last_start = CPU_OPTIONS.get_bucket_start(CPU_OPTIONS.num_buckets - 1)
    assert h.percentile(0.0) > smallest or smallest >= last_start
    assert h.percentile(1.0) >= min(largest, last_start)


@given(st.floats(0.05, 5.0), st.floats(0.05, 5.0), st.floats(1.5, 60.0))
def test_decay_favours_the_recent_sample(old: float, new: float, half_lives: float) -> None:
    """Two equal-weight samples far apart in time: the median is the newer one's bucket."""
    if CPU_OPTIONS.find_bucket(old) == CPU_OPTIONS.find_bucket(new):
        return
    h = DecayingHistogram(CPU_OPTIONS, HOUR)
    h.add_sample(old, 1.0, START_TIME)
    h.add_sample(new, 1.0, START_TIME + half_lives * HOUR)
    expected = CPU_OPTIONS.get_bucket_start(CPU_OPTIONS.find_bucket(new) + 1)
    assert h.percentile(0.5) == expected


@given(st.lists(st.floats(0.0, 12.0), min_size=2, max_size=30), st.floats(0.0, 1.0))
def test_renormalisation_keeps_relative_weights(hours: list[float], frac: float) -> None:
    """Moving the reference timestamp (scaling by a power of two) changes no percentile,
    as long as no bucket falls under epsilon: unit weights within 12 half-lives of the
    newest sample stay above 2^-13 > 1e-4."""
    h = DecayingHistogram(CPU_OPTIONS, HOUR)
    far = DecayingHistogram(CPU_OPTIONS, HOUR)
    hours = sorted(hours)
    for i, hr in enumerate(hours):
        value = 0.05 * (i + 1)
        h.add_sample(value, 1.0, START_TIME + hr * HOUR)
        far.add_sample(value, 1.0, START_TIME + hr * HOUR)
    far.shift_reference_timestamp(START_TIME + frac * hours[-1] * HOUR)
    assert far.reference_timestamp % HOUR == 0
    for p in (0.1, 0.5, 0.9, 1.0):
        assert h.percentile(p) == far.percentile(p)
    assert math.isfinite(far.total_weight)
