"""The HPA on the metrics the serving model produces (DESIGN §10), as an adapter serves them.

One Deployment, no cluster, no start-up delays; the load steps from 10 to 40 rps at 30 min.
Every metric below is worked so that the HPA wants 2 pods before the step and 8 after.
"""

from __future__ import annotations

import copy

import pytest

import capacity
from capacity.errors import ScenarioError
from capacity.scenario.loader import scenario_from_dict

BASE = {
    "name": "custom-metrics",
    "simulation": {"duration": "2h", "seed": 1},
    "workload": {
        "name": "web",
        "deployment": {"template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"}}}]}}},
        "startup": {"schedulingDelay": "0s", "imagePull": "0s", "containerStart": "0s"},
        "demand": {"cpuPerRequest": 0.02, "concurrency": 4, "latency": "20ms"},
    },
    "load": {"steps": [{"at": "0s", "rps": 10}, {"at": "30m", "rps": 40}],
             "externalMetrics": [{"name": "queue_depth", "fromLoad": 3.0,
                                  "selector": {"queue": "jobs"}}]},
    "autoscaling": {"horizontal": {"minReplicas": 2, "maxReplicas": 20, "metrics": []}},
}


def simulate(metric: dict) -> capacity.SimulationResult:
    d = copy.deepcopy(BASE)
    d["autoscaling"]["horizontal"]["metrics"] = [metric]
    return capacity.simulate(scenario_from_dict(d))


def replicas(res: capacity.SimulationResult) -> tuple[int, int]:
    ts = res.timeseries
    return int(ts[ts.time < 1500].spec_replicas.iloc[-1]), int(ts.spec_replicas.iloc[-1])


@pytest.mark.parametrize("metric", [
    # Pods: 10 rps over 2 pods is 5 per pod, on target; 40 rps: ceil(2 x 20 / 5) = 8, then
    # 40 / 8 = 5 per pod, on target again.
    {"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                              "target": {"type": "AverageValue", "averageValue": "5"}}},
    # Object, AverageValue: the Service's 40 rps over status.replicas against 5 per pod.
    {"type": "Object", "object": {
        "describedObject": {"apiVersion": "v1", "kind": "Service", "name": "web"},
        "metric": {"name": "http_requests_per_second"},
        "target": {"type": "AverageValue", "averageValue": "5"}}},
    # External: 3 x the offered rate (30, then 120) against 15 per pod: 2, then 8.
    {"type": "External", "external": {
        "metric": {"name": "queue_depth", "selector": {"matchLabels": {"queue": "jobs"}}},
        "target": {"type": "AverageValue", "averageValue": "15"}}},
], ids=["pods-rps", "object-rps", "external"])
def test_the_hpa_scales_on_model_metrics(metric):
    res = simulate(metric)
    assert replicas(res) == (2, 8)
    assert res.summary["events"]["SuccessfulRescale"] >= 1
    assert "FailedGetPodsMetric" not in res.summary["events"]


def test_an_unreachable_latency_target_scales_to_max():
    # p99 of one request alone: 20 ms fixed + exponential work of mean 20 ms on a free core,
    # 20 ms + 20 ms x ln(100) = 112 ms > the 80 ms target at any replica count: the HPA
    # keeps asking for more, up to maxReplicas.
    res = simulate({"type": "Pods", "pods": {
        "metric": {"name": "http_request_duration_seconds_p99"},
        "target": {"type": "AverageValue", "averageValue": "80m"}}})
    assert replicas(res)[1] == 20


@pytest.mark.parametrize("metric,path", [
    ({"type": "Pods", "pods": {"metric": {"name": "queue_messages"},
                               "target": {"type": "AverageValue", "averageValue": "5"}}},
     "metrics[0].pods.metric.name"),
    ({"type": "External", "external": {"metric": {"name": "sqs_depth"},
                                       "target": {"type": "AverageValue", "averageValue": "5"}}},
     "metrics[0].external.metric.name"),
    ({"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "web"},
                                   "metric": {"name": "http_requests_per_second"},
                                   "target": {"type": "Value", "value": "5"}}},
     "metrics[0].object.describedObject"),
])
def test_a_metric_the_model_does_not_produce_is_an_error_naming_it(metric, path):
    with pytest.raises(ScenarioError) as e:
        simulate(metric)
    assert path in str(e.value)
