"""Ported unit tables of upstream ``horizontal_test.go``: rules, stabilization, events.

Source: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go
(TestConvertDesiredReplicasWithRules, TestCalculateScaleUpLimitWithScalingRules,
TestCalculateScaleDownLimitWithBehaviors, TestNormalizeDesiredReplicas, TestScalingWithRules,
TestStoreScaleEvents, TestNormalizeDesiredReplicasWithBehavior). Upstream uses
``time.Now()``; here every timestamp is relative to ``NOW``.
"""

from __future__ import annotations

import pytest

from capacity.k8s.hpa import (
    MAX_CHANGE_POLICY_SELECT,
    MIN_CHANGE_POLICY_SELECT,
    PERCENT_SCALING_POLICY,
    PODS_SCALING_POLICY,
    HorizontalController,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAScalingPolicy,
    HPAScalingRules,
    NormalizationArg,
    TimestampedRecommendation,
    TimestampedScaleEvent,
    Tolerances,
    calculate_scale_down_limit_with_behaviors,
    calculate_scale_up_limit,
    calculate_scale_up_limit_with_scaling_rules,
    convert_desired_replicas_with_rules,
    generate_hpa_scale_down_rules,
    generate_hpa_scale_up_rules,
    get_longest_policy_period,
    get_replicas_change_per_period,
)
from tests.k8s.hpa_tables.fixtures import NOW

R = TimestampedRecommendation


def generate_scaling_rules(pods, pods_period, percent, percent_period, window):
    """``generateScalingRules`` of horizontal_test.go."""
    policies = []
    if pods:
        policies.append(HPAScalingPolicy(PODS_SCALING_POLICY, pods, pods_period))
    if percent:
        policies.append(HPAScalingPolicy(PERCENT_SCALING_POLICY, percent, percent_period))
    return HPAScalingRules(
        stabilization_window_seconds=window,
        select_policy=MAX_CHANGE_POLICY_SELECT,
        policies=policies or None,
    )


def uniform_events(raw, period_seconds):
    """``generateEventsUniformDistribution``: event i sits in the middle of segment i."""
    segment = period_seconds / len(raw)
    out = []
    for idx, change in enumerate(raw):
        # Go converts the float to a Duration (truncation) before scaling by a second.
        boundary = int(period_seconds - segment * (idx + 1) + segment / 2)
        out.append(TimestampedScaleEvent(change, NOW - boundary))
    return out


# --- convertDesiredReplicasWithRules (legacy path; upstream tests use factor 8) ----------

CONVERT_WITH_RULES = [
    ("prenormalized desired replicas within range", 5, 7, 3, 8, 7, "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, "TooFewReplicas"),
    ("prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, "DesiredWithinRange"),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10,
     "TooManyReplicas"),
    ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000,
     calculate_scale_up_limit(3, 8.0), "ScaleUpLimit"),
]


@pytest.mark.parametrize(
    ("current", "desired", "lo", "hi", "expected", "condition"),
    [pytest.param(*c[1:], id=c[0]) for c in CONVERT_WITH_RULES],
)
def test_convert_desired_replicas_with_rules(current, desired, lo, hi, expected, condition):
    got, reason, _ = convert_desired_replicas_with_rules(current, desired, lo, hi, 8.0)
    assert (got, reason) == (expected, condition)


@pytest.mark.parametrize(
    ("current", "expected"), [(0, 4), (1, 4), (2, 4), (3, 6), (10, 20)]
)
def test_calculate_scale_up_limit_default_factor(current, expected):
    # int(max(2.0 × current, 4.0)): the production factor, not the tests' 8.
    assert calculate_scale_up_limit(current) == expected


def test_calculate_scale_up_limit_with_scaling_rules_min_policy():
    rules = HPAScalingRules(300, MIN_CHANGE_POLICY_SELECT, [
        HPAScalingPolicy(PODS_SCALING_POLICY, 2, 60),
        HPAScalingPolicy(PERCENT_SCALING_POLICY, 50, 60),
    ])
    # Pods: 1 + 2 = 3; Percent: ceil(1 × 1.5) = 2; Min → 2.
    assert calculate_scale_up_limit_with_scaling_rules(1, [], [], rules, NOW) == 2


def test_calculate_scale_down_limit_with_behaviors_min_policy():
    rules = HPAScalingRules(300, MIN_CHANGE_POLICY_SELECT, [
        HPAScalingPolicy(PODS_SCALING_POLICY, 2, 60),
        HPAScalingPolicy(PERCENT_SCALING_POLICY, 50, 60),
    ])
    # Pods: 5 − 2 = 3; Percent: int(5 × 0.5) = 2; Min (smallest change) → 3.
    assert calculate_scale_down_limit_with_behaviors(5, [], [], rules, NOW) == 3


def test_disabled_select_policy_keeps_current():
    rules = HPAScalingRules(0, "Disabled", [HPAScalingPolicy(PODS_SCALING_POLICY, 100, 15)])
    assert calculate_scale_up_limit_with_scaling_rules(7, [], [], rules, NOW) == 7
    assert calculate_scale_down_limit_with_behaviors(7, [], [], rules, NOW) == 7


# --- stabilizeRecommendation (legacy) ----------------------------------------------------

NORMALIZE_LEGACY = [
    ("empty log", [], 5, 5, 1),
    ("stabilize", [R(4, NOW - 120), R(5, NOW - 60)], 3, 5, 3),
    ("no stabilize", [R(1, NOW - 120), R(2, NOW - 60)], 3, 3, 3),
    ("no stabilize - old recommendations", [R(10, NOW - 600), R(9, NOW - 540)], 3, 3, 2),
    ("stabilize - old recommendations",
     [R(10, NOW - 600), R(4, NOW - 60), R(5, NOW - 120), R(9, NOW - 540)], 3, 5, 4),
]


@pytest.mark.parametrize(
    ("recs", "desired", "expected", "log_length"),
    [pytest.param(*c[1:], id=c[0]) for c in NORMALIZE_LEGACY],
)
def test_normalize_desired_replicas_legacy(recs, desired, expected, log_length):
    hc = HorizontalController(downscale_stabilisation_window=300.0)
    hc.recommendations[""] = list(recs)
    assert hc.stabilize_recommendation("", desired, NOW) == expected
    assert len(hc.recommendations[""]) == log_length
    assert R(desired, NOW) in hc.recommendations[""]


# --- convertDesiredReplicasWithBehaviorRate ----------------------------------------------

# name, up events, down events, min, max, up rules, down rules, current, desired,
# expected replicas, expected condition
SCALING_WITH_RULES = [
    ("prenormalized desired replicas within range", None, None, 3, 8, None, None, 5, 7, 7,
     "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", None, None, 2, 8, None, None, 3, 1, 2,
     "TooFewReplicas"),
    ("prenormalized desired replicas within range when minReplicas is 0", None, None, 0, 10,
     None, None, 1, 0, 0, "DesiredWithinRange"),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", None, None, 1, 10, None,
     None, 20, 1000, 10, "TooManyReplicas"),
    ("desired replica count is more than the maximum replica count", None, None, 100, 150,
     None, None, 100, 1000, 150, "TooManyReplicas"),
    ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", None,
     None, 1, 2000, generate_scaling_rules(0, 0, 1, 60, 0), None, 3, 1000, 4, "ScaleUpLimit"),
    # Upstream skips this row (testThis); its expectation still holds: 1000 − 20 = 980.
    ("scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined "
     "policies", None, None, 3, 2000, None, generate_scaling_rules(20, 60, 0, 0, 0), 1000, 3,
     980, "ScaleDownLimit"),
    ("scaleUp with default behavior", None, None, 1, 1000, None, None, 10, 50, 20,
     "ScaleUpLimit"),
    ("scaleUp with pods policy larger than percent policy", None, None, 1, 1000,
     generate_scaling_rules(100, 60, 100, 60, 0), None, 10, 500, 110, "ScaleUpLimit"),
    ("scaleUp with percent policy larger than pods policy", None, None, 1, 1000,
     generate_scaling_rules(2, 60, 100, 60, 0), None, 10, 500, 20, "ScaleUpLimit"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy", None, None, 1, 1000,
     generate_scaling_rules(100, 60, 0, 0, 0), None, 10, 50, 50, "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy", None, None, 1, 1000,
     generate_scaling_rules(10000, 60, 0, 0, 0), None, 10, 50, 50, "DesiredWithinRange"),
    ("scaleUp with pod policy limitation", None, None, 1, 1000,
     generate_scaling_rules(30, 60, 0, 0, 0), None, 10, 50, 40, "ScaleUpLimit"),
    ("scaleUp with percent policy limitation", None, None, 1, 1000,
     generate_scaling_rules(0, 0, 200, 60, 0), None, 10, 50, 30, "ScaleUpLimit"),
    ("scaleDown with percent policy larger than pod policy", None, None, 1, 1000, None,
     generate_scaling_rules(20, 60, 1, 60, 300), 100, 2, 80, "ScaleDownLimit"),
    ("scaleDown with pod policy larger than percent policy", None, None, 1, 1000, None,
     generate_scaling_rules(2, 60, 1, 60, 300), 100, 2, 98, "ScaleDownLimit"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy", None, None, 1,
     1000, None, generate_scaling_rules(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large pod policy", None, None, 1, 1000,
     None, generate_scaling_rules(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large percent policy", None, None, 5,
     1000, None, generate_scaling_rules(0, 0, 100, 60, 300), 10, 2, 5, "TooFewReplicas"),
    ("scaleDown with pod policy limitation", None, None, 1, 1000, None,
     generate_scaling_rules(5, 60, 0, 0, 300), 10, 2, 5, "ScaleDownLimit"),
    ("scaleDown with percent policy limitation", None, None, 1, 1000, None,
     generate_scaling_rules(0, 0, 50, 60, 300), 10, 5, 5, "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy and events",
     uniform_events([1, 5, 9], 120), None, 1, 200, generate_scaling_rules(300, 60, 0, 0, 0),
     None, 100, 500, 200, "TooManyReplicas"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy and events",
     uniform_events([1, 5, 9], 120), None, 1, 200, generate_scaling_rules(0, 0, 10000, 60, 0),
     None, 100, 500, 200, "TooManyReplicas"),
    ("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent "
     "scale up events", uniform_events([1, 5, 9], 120), None, 1, 1000,
     generate_scaling_rules(5, 120, 0, 0, 0), None, 100, 500, 100, "ScaleUpLimit"),
    ("scaleUp with pod policy and previous scale up events", uniform_events([1, 5, 9], 120),
     None, 1, 1000, generate_scaling_rules(150, 120, 0, 0, 0), None, 100, 500, 235,
     "ScaleUpLimit"),
    ("scaleUp with percent policy and previous scale up events",
     uniform_events([1, 5, 9], 120), None, 1, 1000, generate_scaling_rules(0, 0, 200, 120, 0),
     None, 100, 500, 255, "ScaleUpLimit"),
    ("scaleUp with percent policy and previous scale up and down events",
     uniform_events([4], 120), uniform_events([2], 120), 1, 1000,
     generate_scaling_rules(0, 0, 300, 300, 0), None, 6, 24, 16, "ScaleUpLimit"),
    ("scaleDown with default policy and previous events", None, uniform_events([1, 5, 9], 120),
     1, 1000, None, None, 10, 5, 5, "DesiredWithinRange"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy and previous "
     "events", None, uniform_events([1, 5, 9], 120), 1, 1000, None,
     generate_scaling_rules(115, 120, 0, 0, 300), 100, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large pod policy and previous events",
     None, uniform_events([1, 5, 9], 120), 5, 1000, None,
     generate_scaling_rules(130, 120, 0, 0, 300), 100, 0, 5, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large percent policy and previous "
     "events", None, uniform_events([1, 5, 9], 120), 5, 1000, None,
     generate_scaling_rules(0, 0, 100, 120, 300), 100, 2, 5, "TooFewReplicas"),
    ("scaleDown with pod policy limitation and previous events", None,
     uniform_events([1, 5, 9], 120), 1, 1000, None, generate_scaling_rules(5, 120, 0, 0, 300),
     100, 2, 100, "ScaleDownLimit"),
    ("scaleDown with percent policy limitation and previous events", None,
     uniform_events([2, 4, 6], 120), 1, 1000, None, generate_scaling_rules(0, 0, 50, 120, 300),
     100, 0, 56, "ScaleDownLimit"),
    ("scaleDown with percent policy and previous scale up and down events",
     uniform_events([2], 120), uniform_events([4], 120), 1, 1000, None,
     generate_scaling_rules(0, 0, 50, 180, 0), 10, 1, 6, "ScaleDownLimit"),
    ("scaleDown with previous events preventing further scale down", None,
     uniform_events([10, 10, 10], 120), 1, 1000, None,
     generate_scaling_rules(0, 0, 10, 120, 300), 100, 0, 100, "ScaleDownLimit"),
    ("scaleDown with with previous events still allowing more scale down", None,
     uniform_events([10, 10, 10], 120), 1, 1000, None,
     generate_scaling_rules(0, 0, 1000, 120, 300), 10, 5, 5, "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for up",
     uniform_events([8, 12, 9, 11], 120), None, 1, 1000,
     generate_scaling_rules(1000, 60, 0, 0, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("check that events were not marked 'outdated' for two different policies in the "
     "behavior for up", uniform_events([8, 12, 9, 11], 120), None, 1, 1000,
     generate_scaling_rules(1000, 120, 100, 60, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("check that events were marked 'outdated' for two different policies in the behavior "
     "for up", uniform_events([8, 12, 9, 11], 120), None, 1, 1000,
     generate_scaling_rules(1000, 30, 100, 60, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for down", None,
     uniform_events([8, 12, 9, 11], 120), 1, 1000, None,
     generate_scaling_rules(1000, 60, 0, 0, 300), 100, 5, 5, "DesiredWithinRange"),
    ("check that events were not marked 'outdated' for two different policies in the "
     "behavior for down", None, uniform_events([8, 12, 9, 11], 120), 1, 1000, None,
     generate_scaling_rules(1000, 120, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"),
    ("check that events were marked 'outdated' for two different policies in the behavior "
     "for down", None, uniform_events([8, 12, 9, 11], 120), 1, 1000, None,
     generate_scaling_rules(1000, 30, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"),
]


@pytest.mark.parametrize(
    ("up_events", "down_events", "lo", "hi", "up_rules", "down_rules", "current", "desired",
     "expected", "condition"),
    [pytest.param(*c[1:], id=c[0]) for c in SCALING_WITH_RULES],
)
def test_scaling_with_rules(
    up_events, down_events, lo, hi, up_rules, down_rules, current, desired, expected, condition
):
    hc = HorizontalController()
    hc.scale_up_events[""] = up_events
    hc.scale_down_events[""] = down_events
    arg = NormalizationArg(
        "", generate_hpa_scale_up_rules(up_rules), generate_hpa_scale_down_rules(down_rules),
        lo, hi, current, desired,
    )
    replicas, reason, _ = hc.convert_desired_replicas_with_behavior_rate(arg, NOW)
    assert (replicas, reason) == (expected, condition)


# --- storeScaleEvent ----------------------------------------------------------------------

E = TimestampedScaleEvent
# name, previous events, expected (change, outdated) after storing, rules,
# expected change within the last 60 s before storing
STORE_SCALE_EVENTS = [
    ("empty entries with default behavior", [], [], None, 0),
    ("empty entries with two-policy-behavior", [], [(5, False)],
     generate_scaling_rules(10, 60, 100, 60, 0), 0),
    ("one outdated entry to be kept untouched without behavior", [E(7, NOW - 61)], [(7, False)],
     None, 0),
    ("one outdated entry to be replaced with behavior", [E(7, NOW - 61)], [(5, False)],
     generate_scaling_rules(10, 60, 100, 60, 0), 0),
    ("one actual entry to be not touched with behavior", [E(7, NOW - 58)],
     [(7, False), (5, False)], generate_scaling_rules(10, 60, 100, 60, 0), 7),
    ("two entries, one of them to be replaced", [E(7, NOW - 61), E(6, NOW - 59)],
     [(5, False), (6, False)], generate_scaling_rules(10, 60, 0, 0, 0), 6),
    ("replace one entry, use policies with different periods",
     [E(8, NOW - 29), E(6, NOW - 59), E(7, NOW - 61), E(9, NOW - 61)],
     [(8, False), (6, False), (7, True), (5, False)],
     generate_scaling_rules(10, 60, 100, 30, 0), 14),
    ("two entries, both actual", [E(7, NOW - 58), E(6, NOW - 59)],
     [(7, False), (6, False), (5, False)], generate_scaling_rules(10, 120, 100, 30, 0), 13),
]


@pytest.mark.parametrize("direction", ["up", "down"])
@pytest.mark.parametrize(
    ("prev", "expected", "rules", "expected_change"),
    [pytest.param(*c[1:], id=c[0]) for c in STORE_SCALE_EVENTS],
)
def test_store_scale_events(direction, prev, expected, rules, expected_change):
    hc = HorizontalController()
    store = hc.scale_up_events if direction == "up" else hc.scale_down_events
    store[""] = [E(e.replica_change, e.timestamp, e.outdated) for e in prev]
    assert get_replicas_change_per_period(60, store[""], NOW) == expected_change
    behavior = None
    if rules is not None:
        behavior = (
            HorizontalPodAutoscalerBehavior(scale_up=rules)
            if direction == "up"
            else HorizontalPodAutoscalerBehavior(scale_down=rules)
        )
    new = 15 if direction == "up" else 5
    hc.store_scale_event(behavior, "", 10, new, NOW)
    assert [(e.replica_change, e.outdated) for e in store[""]] == expected


def test_get_longest_policy_period():
    assert get_longest_policy_period(generate_scaling_rules(10, 60, 100, 30, 0)) == 60
    assert get_longest_policy_period(HPAScalingRules()) == 0


def test_get_replicas_change_per_period_is_strict():
    events = [E(3, NOW - 60), E(4, NOW - 59.999)]
    # "After(cutoff)": an event exactly one period old no longer counts.
    assert get_replicas_change_per_period(60, events, NOW) == 4


# --- stabilizeRecommendationWithBehaviors ------------------------------------------------

# name, recs, current, desired, expected, expected stored recommendations (or None),
# up window, down window
NORMALIZE_WITH_BEHAVIOR = [
    ("empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0),
    ("simple scale down stabilization", [R(4, NOW - 120), R(5, NOW - 60)], 100, 3, 5,
     [4, 5, 3], 0, 180),
    ("simple scale up stabilization", [R(4, NOW - 120), R(5, NOW - 60)], 1, 7, 4, [4, 5, 7],
     300, 0),
    ("no scale down stabilization", [R(1, NOW - 120), R(2, NOW - 60)], 100, 3, 3, [1, 2, 3],
     300, 0),
    ("no scale up stabilization", [R(4, NOW - 120), R(5, NOW - 60)], 1, 3, 3, [4, 5, 3], 0, 300),
    ("no scale down stabilization, reuse recommendation element",
     [R(10, NOW - 600), R(9, NOW - 540)], 100, 3, 3, [10, 3], 0, 0),
    ("no scale up stabilization, reuse recommendation element",
     [R(10, NOW - 600), R(9, NOW - 540)], 1, 100, 100, [10, 100], 0, 0),
    ("scale down stabilization, reuse one of obsolete recommendation element",
     [R(10, NOW - 600), R(4, NOW - 60), R(5, NOW - 120), R(9, NOW - 540)], 100, 3, 5,
     [10, 4, 5, 3], 0, 180),
    ("scale up stabilization, reuse one of obsolete recommendation element",
     [R(10, NOW - 6000), R(6, NOW - 60), R(5, NOW - 120), R(9, NOW - 180)], 1, 100, 5,
     [100, 6, 5, 9], 300, 0),
    ("scale up and down stabilization, do not scale up when prenormalized rec goes down",
     [R(2, NOW - 6000), R(3, NOW - 180)], 2, 1, 2, None, 300, 300),
    ("scale up and down stabilization, do not scale down when prenormalized rec goes up",
     [R(2, NOW - 6000), R(1, NOW - 180)], 2, 3, 2, None, 300, 300),
]


@pytest.mark.parametrize(
    ("recs", "current", "desired", "expected", "stored", "up_window", "down_window"),
    [pytest.param(*c[1:], id=c[0]) for c in NORMALIZE_WITH_BEHAVIOR],
)
def test_normalize_desired_replicas_with_behavior(
    recs, current, desired, expected, stored, up_window, down_window
):
    hc = HorizontalController()
    hc.recommendations[""] = list(recs)
    arg = NormalizationArg(
        "", HPAScalingRules(stabilization_window_seconds=up_window),
        HPAScalingRules(stabilization_window_seconds=down_window), 1, 1000, current, desired,
    )
    got, _, _ = hc.stabilize_recommendation_with_behaviors(arg, NOW)
    assert got == expected
    if stored is not None:
        assert [r.recommendation for r in hc.recommendations[""]] == stored


@pytest.mark.parametrize(
    ("current", "desired", "reason"),
    [(1, 7, "ScaleUpStabilized"), (5, 5, "ScaleUpStabilized"), (100, 3, "ScaleDownStabilized")],
)
def test_stabilization_reason_follows_raw_direction(current, desired, reason):
    hc = HorizontalController()
    arg = NormalizationArg("", HPAScalingRules(0), HPAScalingRules(0), 1, 1000, current, desired)
    assert hc.stabilize_recommendation_with_behaviors(arg, NOW)[1] == reason


def test_nil_scale_down_window_uses_controller_flag():
    # behavior.scaleDown.stabilizationWindowSeconds nil → --downscale-stabilization (here 120 s)
    hc = HorizontalController(downscale_stabilisation_window=120.0)
    hc.recommendations["k"] = [R(9, NOW - 119), R(8, NOW - 121)]
    arg = NormalizationArg("k", HPAScalingRules(0), HPAScalingRules(None), 1, 100, 10, 2)
    assert hc.stabilize_recommendation_with_behaviors(arg, NOW)[0] == 9
    spec = HorizontalPodAutoscalerSpec(
        max_replicas=10, behavior=HorizontalPodAutoscalerBehavior(HPAScalingRules(0),
                                                                  HPAScalingRules())
    )
    hc.maybe_init_scale_down_stabilization_window(spec)
    assert spec.behavior.scale_down.stabilization_window_seconds == 120


# --- tolerancesForHpa (KEP-4951) ----------------------------------------------------------


def _spec(up_tol=None, down_tol=None, behavior=True):
    b = None
    if behavior:
        b = HorizontalPodAutoscalerBehavior(
            scale_up=generate_hpa_scale_up_rules(HPAScalingRules(tolerance=up_tol)),
            scale_down=generate_hpa_scale_down_rules(HPAScalingRules(tolerance=down_tol)),
        )
    return HorizontalPodAutoscalerSpec(max_replicas=10, min_replicas=1, behavior=b)


@pytest.mark.parametrize(
    ("spec", "gate", "expected"),
    [
        (_spec(behavior=False), True, Tolerances(0.1, 0.1)),
        (_spec(), True, Tolerances(0.1, 0.1)),
        (_spec(up_tol=0.01), True, Tolerances(0.1, 0.01)),
        (_spec(down_tol=0.5), True, Tolerances(0.5, 0.1)),
        (_spec(up_tol=0.0, down_tol=0.2), True, Tolerances(0.2, 0.0)),
        (_spec(up_tol=0.01, down_tol=0.5), False, Tolerances(0.1, 0.1)),
    ],
)
def test_tolerances_for_hpa(spec, gate, expected):
    hc = HorizontalController(tolerance=0.1, configurable_tolerance=gate)
    assert hc.tolerances_for_hpa(spec) == expected
