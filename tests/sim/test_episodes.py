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
