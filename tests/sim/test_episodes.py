"""The failure-episode estimator against a closed form and against plain Monte Carlo.

One node, one pod, no spare room, constant load. The node fails at rate 1/MTBF and stays
down exactly D; while it is down no request is served (the pod cannot move), and the pod
is back as soon as the node is (no start-up delay). Served fraction, exactly:
A = MTBF / (MTBF + D); the estimator is first order: 1 - D / MTBF. With MTBF = 100 h and
D = 10 min the two differ by 2.8e-6, so the closed form checked is A within 1e-4.
"""

from __future__ import annotations

import pytest

import capacity
from capacity.scenario.loader import scenario_from_dict
from capacity.study.episodes import episode_estimates

SCENARIO = {
    "name": "one-node",
    "simulation": {"duration": "30d", "runs": 40, "seed": 11},
    "controllers": {"kubeControllerManager": {"horizontalPodAutoscalerSyncPeriod": "10m"}},
    "cluster": {"zones": ["zone-a"], "nodePools": [
        {"name": "p", "allocatable": {"cpu": "500m", "memory": "1Gi", "pods": "10"}, "nodesPerZone": 1}]},
    "failures": {"nodes": {"mtbf": "100h", "repair": "10m"}},
    "workload": {"name": "web", "deployment": {"replicas": 1, "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "500m"}}}]}}},
        "startup": {"schedulingDelay": "0s", "imagePull": "0s", "containerStart": "0s"},
        "demand": {"cpuPerRequest": 0.001}},
    "load": {"constant": 10},
}


@pytest.fixture(scope="module")
def sc():
    return scenario_from_dict(SCENARIO)


def test_episode_estimate_matches_the_closed_form(sc):
    est = episode_estimates(sc, episodes=10)
    closed = 100 * 60 / (100 * 60 + 10)  # MTBF / (MTBF + D), in minutes: 0.998336
    served = est["requests_served"]
    assert served["mean"] == pytest.approx(closed, abs=1e-4)
    node = est["by_kind"]["node"]
    # Each episode loses 10 rps x 600 s = 6000 requests (exactly: nothing else differs).
    assert node["lost_requests_per_episode"]["mean"] == pytest.approx(6000.0, rel=1e-6)
    assert node["rate_per_year"] == pytest.approx(365 * 24 / 100)
    assert "episodes" in served["estimator"]


def test_plain_monte_carlo_agrees_within_its_interval(sc):
    res = capacity.simulate(sc, record=False, workers=2, progress=False)
    mc = res.summary["availability"]["requests_served"]
    closed = 6000 / 6010
    lo, hi = mc["ci95"]
    assert lo <= closed <= hi
    # 40 runs x 30 days see ~290 failures: the interval is about +-0.0002 wide.
    assert hi - lo < 0.001


def test_long_failures_are_capped_and_said_to_be():
    # repair exactly 3 d, beyond the episode cap of 1 d: each episode is simulated with the
    # node down 1 d, so with no room elsewhere it loses 1 d x 10 rps = 864,000 requests
    # (not 2,592,000); one failure every 100 h that lasts 72 h means 0.72 failures in
    # progress at once, far from the first order's "one at a time"
    from capacity.analysis.summary import episode_notices
    from capacity.study.episodes import MAX_FAILURE

    assert MAX_FAILURE == 86400.0
    data = {**SCENARIO, "failures": {"nodes": {"mtbf": "100h", "repair": "3d"}}}
    est = episode_estimates(scenario_from_dict(data), episodes=3)
    node = est["by_kind"]["node"]
    assert node["episodes_capped"] == 3 and node["failure_cap_seconds"] == 86400.0
    assert node["lost_requests_per_episode"]["mean"] == pytest.approx(864_000, rel=1e-3)
    assert node["overlap"] == pytest.approx(72 / 100)
    text = episode_notices(est)
    assert len(text) == 2
    assert text[0].startswith("3 of 3 node failure episodes lasted longer than 1 d")
    assert text[1].startswith("node failures overlap: 0.72 are in progress at once")
    # the reference scenario's 10 min repairs every 100 h: nothing to say
    assert episode_notices(episode_estimates(scenario_from_dict(SCENARIO), episodes=3)) == []
