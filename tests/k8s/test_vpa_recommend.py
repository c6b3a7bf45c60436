"""The assembled VPA recommender (capacity.k8s.vpa.cluster): worked scenarios and properties.

Not a port of one upstream test file: these feed :class:`VpaRecommenderState` the way the
recommender is fed (one CPU and one memory sample per container per minute) and check the
recommendation against hand-worked numbers from the upstream formulas
(util/histogram_options.go, logic/recommender.go, model/container.go, model/cluster.go,
routines/vpa.go, routines/recommender.go).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.k8s.vpa import (
    AggregationsConfig,
    RecommendationConfig,
    VpaRecommenderState,
    recommend,
    resources_as_quantity_strings,
)

MINUTE = 60.0
HOUR = 3600.0
DAY = 24 * HOUR
MIB = 1024 * 1024


def feed(state: VpaRecommenderState, start: float, end: float, cpu: float, memory: float,
         pod: str = "pod-a", container: str = "app") -> None:
    """One CPU and one memory sample a minute over [start, end)."""
    t = start
    while t < end:
        assert state.add_cpu_sample(pod, container, t, cpu)
        assert state.add_memory_sample(pod, container, t, memory)
        t += MINUTE


def bucket_end(first: float, value: float) -> float:
    """The end of the exponential (ratio 1.05) bucket holding ``value``, by hand."""
    n = math.floor(math.log(value * 0.05 / first + 1) / math.log(1.05))
    return first * (1.05 ** (n + 1) - 1) / 0.05


def test_constant_200m_for_8_days() -> None:
    """A container using a constant 200m CPU and 500 MiB for 8 days.

    CPU buckets start at 0.01 × (1.05^n − 1) / 0.05 = 0.2 × (1.05^n − 1) cores. 0.2 cores
    lies in bucket n = floor(log 2 / log 1.05) = floor(14.21) = 14, i.e.
    [0.2 × (1.05^14 − 1), 0.2 × (1.05^15 − 1)) = [0.19599, 0.21579) cores, and a percentile
    is the end of its bucket: p50 = p90 = p95 = 0.21579 cores → 215m (truncated). Every
    sample is in that bucket, so decay does not matter.

    * target = 215 + trunc(215 × 0.15 = 32.25) = 247m (≈ 200m × 1.0789 rounding × 1.15);
    * confidence = min(span, count): samples at 0 .. 8d − 1min span 7.99931 days, and
      11520 samples / 1440 = 8, so 7.99931;
    * lowerBound = trunc(247 × (1 + 0.001 / 7.99931)^−2 = 246.94) = 246m;
    * upperBound = trunc(247 × (1 + 1 / 7.99931) = 277.88) = 277m.

    Memory: 8 daily peaks of 500 MiB = 524288000 B; buckets start at
    1e7 × (1.05^n − 1) / 0.05 B, 500 MiB is in bucket 26, which ends at 546.69 MB; the target
    is that × 1.15 ≈ 628.7 MB (600 MiB), the bounds scale as for CPU.
    """
    state = VpaRecommenderState()
    feed(state, 0.0, 8 * DAY, 0.2, 500 * MIB)
    rec = state.recommend(8 * DAY)["app"]
    assert rec["target"]["cpu"] == 247
    assert rec["lowerBound"]["cpu"] == 246
    assert rec["upperBound"]["cpu"] == 277
    assert rec["uncappedTarget"] == rec["target"]

    assert bucket_end(0.01, 0.2) == pytest.approx(0.215786, abs=1e-6)
    peak = int(bucket_end(1e7, 500 * MIB))
    assert peak == 546691264
    target_memory = peak + int(peak * 0.15)
    confidence = (8 * DAY - MINUTE) / DAY
    assert rec["target"]["memory"] == target_memory
    assert rec["lowerBound"]["memory"] == int(target_memory * (1 + 0.001 / confidence) ** -2)
    assert rec["upperBound"]["memory"] == int(target_memory * (1 + 1 / confidence))
    assert resources_as_quantity_strings(rec["target"]) == {"cpu": "247m", "memory": "628694953"}


def test_one_hour_of_history_has_a_wide_upper_bound() -> None:
    """One hour: confidence = 1/24 day, so the upper bound is × 25 and the lower × ~0.953."""
    state = VpaRecommenderState()
    feed(state, 0.0, HOUR + MINUTE, 0.2, 500 * MIB)
    rec = state.recommend(HOUR + MINUTE)["app"]
    assert rec["target"]["cpu"] == 247
    assert rec["upperBound"]["cpu"] == 247 * 25
    assert rec["lowerBound"]["cpu"] == int(247 * (1 + 0.024) ** -2)


def test_recent_usage_wins_after_a_few_half_lives() -> None:
    """200m for 8 days, then 1 core for 3 days. With a 24h half-life a sample at day x
    weighs 2^x, so the last 3 days carry (2^11 − 2^8) / (2^11 − 1) ≈ 88% of the weight:
    the 200m bucket holds 12%, and p50 and p90 are both in the 1-core bucket."""
    state = VpaRecommenderState()
    feed(state, 0.0, 8 * DAY, 0.2, 500 * MIB)
    before = state.recommend(8 * DAY)["app"]["target"]["cpu"]
    feed(state, 8 * DAY, 11 * DAY, 1.0, 500 * MIB)
    after = state.recommend(11 * DAY)["app"]["target"]["cpu"]
    one_core = int(bucket_end(0.01, 1.0) * 1000)
    assert before == 247
    assert after == one_core + int(one_core * 0.15)
    assert state.recommend(11 * DAY)["app"]["lowerBound"]["cpu"] > 1000


def test_mode_off_and_controlled_resources() -> None:
    """routines/vpa.go: mode Off drops the container; controlledResources filters resources."""
    policy = {"containerPolicies": [
        {"containerName": "sidecar", "mode": "Off"},
        {"containerName": "*", "controlledResources": ["memory"]},
    ]}
    state = VpaRecommenderState(policy=policy)
    feed(state, 0.0, DAY, 0.2, 500 * MIB, container="app")
    feed(state, 0.0, DAY, 0.1, 100 * MIB, container="sidecar")
    rec = state.recommend(DAY)
    assert set(rec) == {"app"}
    for field in ("target", "lowerBound", "upperBound", "uncappedTarget"):
        assert set(rec["app"][field]) == {"memory"}
    # The pod minimum is split over the containers recommended, not the pod's containers.
    assert rec["app"]["target"]["memory"] > 250 * MIB


def test_resource_policy_caps_but_keeps_uncapped_target() -> None:
    """ApplyVPAPolicy: maxAllowed cpu 200m and minAllowed memory 1Gi; the global maximum
    (800Mi memory) fills in the memory maximum the policy does not name. The minimum is
    applied before the maximum, so memory ends at 800Mi. uncappedTarget is untouched."""
    policy = {"containerPolicies": [
        {"containerName": "app", "maxAllowed": {"cpu": "200m"}, "minAllowed": {"memory": "1Gi"}},
    ]}
    state = VpaRecommenderState(policy=policy)
    feed(state, 0.0, 8 * DAY, 0.2, 500 * MIB)
    rec = state.recommend(8 * DAY, global_max_allowed={"memory": "800Mi"})["app"]
    assert rec["uncappedTarget"]["cpu"] == 247
    for field in ("target", "lowerBound", "upperBound"):
        assert rec[field]["cpu"] == 200
        assert rec[field]["memory"] == 800 * MIB  # min to 1Gi, then max to 800Mi
    assert rec["uncappedTarget"]["memory"] == 628694953


def test_pod_minimum_is_split_over_containers() -> None:
    """GetRecommendedPodResources: 25m and 250 MiB per pod, halved for two containers."""
    state = VpaRecommenderState()
    feed(state, 0.0, DAY, 0.001, 1 * MIB, container="a")
    feed(state, 0.0, DAY, 0.001, 1 * MIB, container="b")
    rec = state.recommend(DAY)
    for name in ("a", "b"):
        assert rec[name]["target"] == {"cpu": 12, "memory": 125 * MIB}


def test_aggregates_expire_after_8_days_without_samples() -> None:
    """cluster.go garbage collection: 8 days (8 × 24h) after the last sample, at most once an
    hour; an empty aggregate no pod contributes to goes at the next collection."""
    state = VpaRecommenderState()
    feed(state, 0.0, DAY, 0.2, 500 * MIB)
    state.delete_pod("pod-a")
    last = DAY - MINUTE
    assert "app" in state.recommend(last + 8 * DAY - HOUR)
    assert state.recommend(last + 8 * DAY) == {}
    assert state.aggregates == {}


def test_garbage_collection_is_rate_limited() -> None:
    """RateLimitedGarbageCollectAggregateCollectionStates: not again within the hour."""
    state = VpaRecommenderState()
    feed(state, 0.0, DAY, 0.2, 500 * MIB)
    state.recommend(8 * DAY + DAY - 2 * MINUTE)  # collects, nothing expired yet
    assert "app" in state.recommend(8 * DAY + DAY)  # expired, but collected 2 minutes ago
    assert state.recommend(8 * DAY + DAY - 2 * MINUTE + HOUR) == {}


def test_a_new_replicaset_starts_a_new_aggregate() -> None:
    """Pods with another pod-template-hash aggregate apart; the VPA merges both."""
    state = VpaRecommenderState()
    state.add_pod("old", {"pod-template-hash": "1"})
    state.add_pod("new", {"pod-template-hash": "2"})
    feed(state, 0.0, DAY, 0.2, 500 * MIB, pod="old")
    feed(state, 0.0, DAY, 0.2, 500 * MIB, pod="new")
    assert len(state.aggregates) == 2
    merged = state.aggregate_state_by_container_name()
    assert merged["app"].total_samples_count == 2 * 1440


def test_oom_raises_the_memory_target() -> None:
    """RecordOOM: max(request, peak) × 1.2 (at least +100 MiB) becomes the day's peak."""
    state = VpaRecommenderState()
    state.add_container("pod-a", "app", {"cpu": 200, "memory": 512 * MIB})
    feed(state, 0.0, HOUR, 0.2, 500 * MIB)
    before = state.recommend(HOUR)["app"]["target"]["memory"]
    assert state.record_oom("pod-a", "app", HOUR)
    after = state.recommend(HOUR)["app"]["target"]["memory"]
    peak = int(bucket_end(1e7, int(512 * MIB * 1.2)))
    assert after == peak + int(peak * 0.15)
    assert after > before
    assert not state.record_oom("pod-a", "app", HOUR - 2 * DAY)  # too old


def test_recommend_on_prebuilt_states_and_rounding() -> None:
    """recommend() on per-name states, with --round-cpu-millicores 50."""
    state = VpaRecommenderState()
    feed(state, 0.0, 8 * DAY, 0.2, 500 * MIB)
    states = state.aggregate_state_by_container_name()
    rec = recommend(states, None, RecommendationConfig(round_cpu_millicores=50))
    assert rec["app"]["target"]["cpu"] == 250
    assert rec["app"]["uncappedTarget"]["cpu"] == 250


def test_invalid_samples_are_discarded() -> None:
    state = VpaRecommenderState()
    assert state.add_cpu_sample("p", "app", 10.0, 0.1)
    assert not state.add_cpu_sample("p", "app", 10.0, 0.1)  # not after the last one
    assert not state.add_cpu_sample("p", "app", 20.0, -0.1)
    assert not state.add_memory_sample("p", "app", 20.0, -1.0)


def test_state_size_does_not_grow_with_samples() -> None:
    """O(buckets): 176 floats per histogram whatever the history length."""
    state = VpaRecommenderState()
    feed(state, 0.0, 2 * DAY, 0.3, 400 * MIB)
    (aggregate,) = state.aggregates.values()
    assert len(aggregate.aggregate_cpu_usage.bucket_weight) == 176
    assert len(aggregate.aggregate_memory_peaks.bucket_weight) == 176


def test_cpu_sample_weight_by_request_config() -> None:
    """Pre-1.4 weighting: after the request rises 10×, new samples outweigh old ones."""
    config = AggregationsConfig(cpu_sample_weight_by_request=True)
    state = VpaRecommenderState(aggregations=config)
    t = 0.0
    for _ in range(900):
        state.add_cpu_sample("p", "app", t, 0.1, request_cores=0.1)
        t += MINUTE
    for _ in range(50):
        state.add_cpu_sample("p", "app", t, 0.5, request_cores=1.0)
        t += MINUTE
    weighted = state.recommend(t)["app"]["target"]["cpu"]
    plain = VpaRecommenderState()
    t = 0.0
    for cores in [0.1] * 900 + [0.5] * 50:
        plain.add_cpu_sample("p", "app", t, cores)
        t += MINUTE
    # 50 of 950 samples (5%) are at 0.5 cores; weighted by request they carry 50 of 140
    # (36%, more with decay), so only then does p90 move to the 0.5-core bucket.
    assert weighted > 500 > plain.recommend(t)["app"]["target"]["cpu"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 4.0), min_size=1, max_size=40),
       st.lists(st.floats(0.0, 4e9), min_size=1, max_size=40),
       st.integers(1, 60 * 24 * 3))
def test_bounds_are_ordered(cpu: list[float], memory: list[float], minutes: int) -> None:
    """lowerBound <= target <= upperBound for any usage, and all at least the pod minimum."""
    state = VpaRecommenderState()
    n = min(minutes, 200)  # samples spread evenly over the history, at least a minute apart
    for i in range(n):
        t = i * (minutes * MINUTE / n)
        state.add_cpu_sample("p", "app", t, cpu[i % len(cpu)])
        state.add_memory_sample("p", "app", t, memory[i % len(memory)])
    rec = state.recommend(minutes * MINUTE)["app"]
    for r in ("cpu", "memory"):
        assert rec["lowerBound"][r] <= rec["target"][r] <= rec["upperBound"][r]
    assert rec["lowerBound"]["cpu"] >= 25
    assert rec["lowerBound"]["memory"] >= 250 * MIB


def _snapshot(x: object) -> object:
    """Every number a recommender state holds (slots and dicts, recursively), for equality;
    the aggregator proxies and the histograms' shared options by type only."""
    if isinstance(x, dict):
        return {k: _snapshot(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_snapshot(v) for v in x]
    if type(x).__name__ in ("_AggregatorProxy", "ExponentialHistogramOptions"):
        return type(x).__name__
    slots = [s for k in type(x).__mro__ for s in getattr(k, "__slots__", ())]
    if slots or hasattr(x, "__dict__"):
        fields = {s: getattr(x, s) for s in slots if hasattr(x, s)}
        fields.update(getattr(x, "__dict__", {}))
        return (type(x).__name__, {k: _snapshot(v) for k, v in sorted(fields.items())})
    return x


_SAMPLE = st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["app", "side"]),
                    st.floats(0.0, 600.0), st.floats(-0.5, 3.0),      # CPU: step, cores
                    st.floats(-120.0, 600.0), st.floats(-1e6, 2e9),   # memory: step, bytes
                    st.booleans(), st.booleans())       # an OOM before it; registered first


@settings(max_examples=80, deadline=None)
@given(st.lists(_SAMPLE, min_size=1, max_size=60), st.booleans())
def test_add_usage_samples_is_add_cpu_then_add_memory(samples: list, by_request: bool) -> None:
    """The feeder's one-call pair (add_usage_samples) leaves every number of the state as
    add_cpu_sample then add_memory_sample do: repeated, earlier and negative samples, new
    containers, OOMs and aggregates collected in between included."""
    cfg = AggregationsConfig(cpu_sample_weight_by_request=by_request)
    slow, fast = VpaRecommenderState(aggregations=cfg), VpaRecommenderState(aggregations=cfg)
    t_cpu = t_mem = 0.0
    kept_slow = kept_fast = 0
    for pod, container, d_cpu, cores, d_mem, ws, oom, register in samples:
        t_cpu += d_cpu
        t_mem = max(t_mem + d_mem, 0.0)
        for s in (slow, fast):
            if register:  # else a sample for an unknown container creates it
                s.add_pod(pod, {"app": "web"})
                s.add_container(pod, container, {"cpu": 250, "memory": 256 * MIB})
            if oom:
                s.record_oom(pod, container, t_mem)
            s.garbage_collect(t_cpu)
        kept_slow += int(slow.add_cpu_sample(pod, container, t_cpu, cores))
        kept_slow += int(slow.add_memory_sample(pod, container, t_mem, ws))
        kept_fast += fast.add_usage_samples(pod, container, t_cpu, cores, t_mem, ws)
        assert _snapshot(vars(fast)) == _snapshot(vars(slow))
    assert kept_fast == kept_slow
    end = t_cpu + MINUTE
    assert fast.recommend(end) == slow.recommend(end)
