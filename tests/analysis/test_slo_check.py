"""`check` warns from the queueing formulas alone when an objective cannot be met."""

from __future__ import annotations

import math

import pytest

from capacity.analysis.check import run_checks
from capacity.analysis.slo_check import peak_findings, peak_rate
from capacity.scenario.loader import scenario_from_dict


def scenario(rps: float, **objectives) -> object:
    return scenario_from_dict({
        "name": "mm1",
        "workload": {
            "name": "web",
            "deployment": {"replicas": 2, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "resources": {
                    "requests": {"cpu": "500m", "memory": "256Mi"},
                    "limits": {"cpu": "1", "memory": "512Mi"}}}]}}},
            # one worker on a free core, 100 ms of work: M/M/1 with mu = 10 per pod
            "demand": {"cpuPerRequest": 0.1, "concurrency": 1, "latency": "0s"},
        },
        "load": {"constant": rps},
        "objectives": objectives,
    })


def test_latency_objective_out_of_reach_at_the_peak():
    # 16 rps over 2 pods: lambda = 8, rho = 0.8, T ~ Exp(mu - lambda = 2):
    # P(T <= 1 s) = 1 - e^-2 = 86.47% < 90%: a warning; P(T <= 2 s) = 1 - e^-4 = 98.17%.
    sc = scenario(16, latency=[{"threshold": "1s", "target": "90%"},
                               {"threshold": "2s", "target": "95%"}])
    found = peak_findings(sc)
    assert [f.path for f in found] == ["objectives.latency[0]"]
    assert "86.466%" in found[0].message
    codes = [f.code for f in run_checks(sc)]
    assert "slo-latency-at-peak" in codes


def test_overload_at_the_peak_names_the_replicas_needed():
    # 25 rps over 2 pods of 10: the queue grows; ceil(25 x 0.1 / 1 core) = 3 pods needed.
    sc = scenario(25, availability="99%")
    (f,) = peak_findings(sc)
    assert f.code == "slo-overload-at-peak"
    assert f.path == "workload.deployment.replicas"
    assert f.fix.endswith("at least 3")


def test_reachable_objectives_give_no_warning():
    assert peak_findings(scenario(8, availability="99.9%",
                                  latency=[{"threshold": "1s", "target": "95%"}])) == []
    # rho = 0.4: P(T <= 1 s) = 1 - e^-6 = 99.75% >= 95%


def test_peak_rate_of_a_diurnal_load_with_a_spike():
    import capacity

    sc = capacity.load_scenario("scenarios/peak.yaml")
    # weekday max 14 rps; the Wednesday spike doubles the 10:00 level (below the peak).
    peak = peak_rate(sc)
    assert 14 * 0.99 < peak < 2 * 14
    assert not math.isnan(peak)


@pytest.mark.parametrize("path", ["scenarios/peak.yaml", "scenarios/zone-outage.yaml"])
def test_shipped_scenarios_meet_their_objectives_in_the_best_case(path):
    import capacity

    assert peak_findings(capacity.load_scenario(path)) == []
