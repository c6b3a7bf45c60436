"""Ported ``pkg/apis/autoscaling/v2/defaults_test.go`` plus API and controller defaults.

Source: kubernetes/kubernetes pkg/apis/autoscaling/v2/defaults_test.go
(TestGenerateScaleDownRules, TestGenerateScaleUpRules), defaults.go
(SetDefaults_HorizontalPodAutoscaler) and
pkg/controller/podautoscaler/config/v1alpha1/defaults.go. Skipped:
TestHorizontalPodAutoscalerAnnotations (annotation round trips of the API machinery).
"""

from __future__ import annotations

import pytest

from capacity.k8s.hpa import (
    MAX_CHANGE_POLICY_SELECT,
    MIN_CHANGE_POLICY_SELECT,
    PERCENT_SCALING_POLICY,
    PODS_SCALING_POLICY,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricSpec,
    MetricTarget,
    ResourceMetricSource,
    generate_hpa_scale_down_rules,
    generate_hpa_scale_up_rules,
    recommended_default_hpa_controller_configuration,
    set_defaults_horizontal_pod_autoscaler,
)

PODS = PODS_SCALING_POLICY
PCT = PERCENT_SCALING_POLICY


def _rules(pods, pods_period, pct, pct_period, window, select):
    policies = []
    if pods or pods_period:
        policies.append(HPAScalingPolicy(PODS, pods, pods_period))
    if pct or pct_period:
        policies.append(HPAScalingPolicy(PCT, pct, pct_period))
    return HPAScalingRules(
        stabilization_window_seconds=window, select_policy=select, policies=policies or None
    )


SCALE_DOWN = [
    ("Default values", (0, 0, 0, 0, None, None), [(PCT, 100, 15)], None, MAX_CHANGE_POLICY_SELECT),
    ("All parameters are specified", (1, 2, 3, 4, 25, MAX_CHANGE_POLICY_SELECT),
     [(PODS, 1, 2), (PCT, 3, 4)], 25, MAX_CHANGE_POLICY_SELECT),
    ("Percent policy is specified", (0, 0, 1, 2, None, MIN_CHANGE_POLICY_SELECT),
     [(PCT, 1, 2)], None, MIN_CHANGE_POLICY_SELECT),
    ("Pods policy is specified", (3, 4, 0, 0, None, None), [(PODS, 3, 4)], None,
     MAX_CHANGE_POLICY_SELECT),
]

SCALE_UP = [
    ("Default values", (0, 0, 0, 0, None, None), [(PODS, 4, 15), (PCT, 100, 15)], 0,
     MAX_CHANGE_POLICY_SELECT),
    ("All parameters are specified", (1, 2, 3, 4, 25, MAX_CHANGE_POLICY_SELECT),
     [(PODS, 1, 2), (PCT, 3, 4)], 25, MAX_CHANGE_POLICY_SELECT),
    ("Pod policy is specified", (1, 2, 0, 0, None, MIN_CHANGE_POLICY_SELECT), [(PODS, 1, 2)], 0,
     MIN_CHANGE_POLICY_SELECT),
    ("Percent policy is specified", (0, 0, 7, 10, None, None), [(PCT, 7, 10)], 0,
     MAX_CHANGE_POLICY_SELECT),
    ("Pod policy and stabilization window are specified", (4, 2, 0, 0, 25, None),
     [(PODS, 4, 2)], 25, MAX_CHANGE_POLICY_SELECT),
    ("Percent policy and stabilization window are specified", (0, 0, 7, 60, 25, None),
     [(PCT, 7, 60)], 25, MAX_CHANGE_POLICY_SELECT),
]


def _policies(rules):
    return [(p.type, p.value, p.period_seconds) for p in rules.policies]


@pytest.mark.parametrize(
    ("given", "policies", "window", "select"), [pytest.param(*c[1:], id=c[0]) for c in SCALE_DOWN]
)
def test_generate_scale_down_rules(given, policies, window, select):
    down = generate_hpa_scale_down_rules(_rules(*given))
    assert _policies(down) == policies
    assert down.stabilization_window_seconds == window
    assert down.select_policy == select


@pytest.mark.parametrize(
    ("given", "policies", "window", "select"), [pytest.param(*c[1:], id=c[0]) for c in SCALE_UP]
)
def test_generate_scale_up_rules(given, policies, window, select):
    up = generate_hpa_scale_up_rules(_rules(*given))
    assert _policies(up) == policies
    assert up.stabilization_window_seconds == window
    assert up.select_policy == select


def test_generate_rules_from_nil_and_fresh_lists():
    a = generate_hpa_scale_up_rules(None)
    b = generate_hpa_scale_up_rules(None)
    assert _policies(a) == [(PODS, 4, 15), (PCT, 100, 15)]
    a.policies.append(HPAScalingPolicy(PODS, 1, 1))
    assert len(b.policies) == 2  # the defaults are not shared between calls


def test_generate_rules_keeps_tolerance():
    rules = generate_hpa_scale_down_rules(HPAScalingRules(tolerance=0.05))
    assert rules.tolerance == 0.05
    assert generate_hpa_scale_up_rules(None).tolerance is None


def test_set_defaults_min_replicas_and_default_metric():
    spec = set_defaults_horizontal_pod_autoscaler(HorizontalPodAutoscalerSpec(max_replicas=5))
    assert spec.min_replicas == 1
    assert spec.metrics == [
        MetricSpec("Resource", resource=ResourceMetricSource(
            "cpu", MetricTarget("Utilization", average_utilization=80)))
    ]
    assert spec.behavior is None  # nil behavior stays nil: the legacy path applies


def test_set_defaults_keeps_user_values():
    metric = MetricSpec("Resource", resource=ResourceMetricSource(
        "memory", MetricTarget("Utilization", average_utilization=70)))
    spec = HorizontalPodAutoscalerSpec(
        max_replicas=10, min_replicas=3, metrics=[metric],
        behavior=HorizontalPodAutoscalerBehavior(
            scale_down=HPAScalingRules(stabilization_window_seconds=60)),
    )
    set_defaults_horizontal_pod_autoscaler(spec)
    assert spec.min_replicas == 3
    assert spec.metrics == [metric]
    up, down = spec.behavior.scale_up, spec.behavior.scale_down
    assert (up.stabilization_window_seconds, up.select_policy, _policies(up)) == (
        0, MAX_CHANGE_POLICY_SELECT, [(PODS, 4, 15), (PCT, 100, 15)])
    assert (down.stabilization_window_seconds, down.select_policy, _policies(down)) == (
        60, MAX_CHANGE_POLICY_SELECT, [(PCT, 100, 15)])


def test_controller_configuration_defaults():
    c = recommended_default_hpa_controller_configuration()
    assert c.horizontal_pod_autoscaler_sync_period == 15.0
    assert c.horizontal_pod_autoscaler_tolerance == 0.1
    assert c.horizontal_pod_autoscaler_downscale_stabilization_window == 300.0
    assert c.horizontal_pod_autoscaler_cpu_initialization_period == 300.0
    assert c.horizontal_pod_autoscaler_initial_readiness_delay == 30.0
    assert c.horizontal_pod_autoscaler_upscale_forbidden_window == 180.0
    assert c.horizontal_pod_autoscaler_downscale_forbidden_window == 300.0
    assert c.concurrent_horizontal_pod_autoscaler_syncs == 5
