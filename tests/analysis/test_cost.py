"""The cost model against costs worked out by hand (the arithmetic is in each test).

Default prices are OpenCost's public defaults (configs/default.json), USD per hour:
0.031611 per vCPU-hour, 0.004237 per GiB-hour, spot 0.006655 and 0.000892.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

import capacity
from capacity.analysis.cost import (
    OPENCOST_DEFAULT_PRICES,
    allocation_cost,
    cost_summary,
    effective_pricing,
    fixed_replicas_cost,
    load_price_file,
    node_cost,
    node_price_per_hour,
    pod_requests,
    run_cost,
)
from capacity.errors import ScenarioError
from capacity.scenario.loader import scenario_from_dict
from capacity.scenario.model import OPENCOST_DEFAULT_SOURCE, Cluster, Pricing
from capacity.study.comparisons import cost_with_comparisons
from capacity.study.fixed import fewest_fixed_replicas, fixed_replicas_scenario, meets

CPU, MEM, SPOT_CPU, SPOT_MEM = 0.031611, 0.004237, 0.006655, 0.000892
PEAK = Path(__file__).resolve().parents[2] / "scenarios" / "peak.yaml"


def scenario(**over):
    """3 fixed replicas of 250m / 512Mi; 1 rps spread over them, 30 ms of CPU per request."""
    d = {
        "name": "fixed-3",
        "simulation": {"duration": "30d", "seed": 7},
        "workload": {
            "name": "web",
            "deployment": {"replicas": 3, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "resources": {
                    "requests": {"cpu": "250m", "memory": "512Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"}}}]}}},
            "demand": {"cpuPerRequest": 0.03, "baseCpu": "50m", "baseMemory": "128Mi"},
        },
        "load": {"constant": 1, "resolution": "1h"},
    }
    for k, v in over.items():
        d[k] = v
    return scenario_from_dict(d)


# --- request-based, by hand -----------------------------------------------------------------


def test_defaults_are_opencosts_public_prices():
    p = Pricing()
    assert (p.cpuPerHour, p.memoryGiBPerHour, p.spotCpuPerHour, p.spotMemoryGiBPerHour) == (
        CPU, MEM, SPOT_CPU, SPOT_MEM)
    assert OPENCOST_DEFAULT_PRICES["cpuPerHour"] == CPU
    assert effective_pricing(scenario()).source == OPENCOST_DEFAULT_SOURCE


def test_three_fixed_replicas_for_30_days_at_default_prices():
    # One pod at its requests: 0.25 vCPU × 0.031611 + 0.5 GiB × 0.004237
    #   = 0.00790275 + 0.0021185 = 0.01002125 USD per hour.
    # 3 pods × 30 days × 24 h = 2160 pod-hours; 2160 × 0.01002125 = 21.6459 USD.
    # Usage stays below the requests (1 rps over 3 pods: 50m + 1/3 × 30m = 60m CPU, 128Mi),
    # so max(request, usage) = request throughout.
    sc = scenario()
    res = capacity.simulate(sc, record=False)
    c = cost_summary(sc, res.outcomes)
    assert c["currency"] == "USD"
    assert c["prices"]["source"] == OPENCOST_DEFAULT_SOURCE
    assert c["total"] == pytest.approx(21.6459, rel=1e-9)
    # per month: 3 × 730 h × 0.01002125 = 21.9465375; per day: 3 × 24 × 0.01002125 = 0.721530
    assert c["per_month"] == pytest.approx(21.9465375, rel=1e-9)
    assert c["per_day"] == pytest.approx(0.721530, rel=1e-9)
    assert c["total_ci95"] is None  # one run: no interval
    # Idle (requested, unused), 2160 pod-hours:
    #   CPU    (0.25 − 0.06) × 2160 × 0.031611 = 410.4 × 0.031611 = 12.9731544
    #   memory (0.5 − 0.125) × 2160 × 0.004237 = 810 × 0.004237   = 3.43197
    assert c["breakdown"]["cpu"]["idle"] == pytest.approx(12.9731544, rel=1e-9)
    assert c["breakdown"]["memory"]["idle"] == pytest.approx(3.43197, rel=1e-9)
    assert c["idle"] == pytest.approx(16.4051244, rel=1e-9)
    # 1 rps × 30 × 86400 s = 2,592,000 served; 21.6459 / 2.592 = 8.35104166… per million
    assert c["per_million_requests"] == pytest.approx(21.6459 / 2.592, rel=1e-9)
    # The closed form agrees: 3 × 720 h × 0.01002125
    assert fixed_replicas_cost(3, 720, sc) == pytest.approx(21.6459, rel=1e-12)


def test_runtime_class_overhead_is_costed():
    # gVisor-style overhead 100m / 128Mi: the pod requests 350m and 640Mi (0.625 GiB).
    # Per pod-hour 0.35 × 0.031611 + 0.625 × 0.004237 = 0.01106385 + 0.002648125
    #   = 0.013711975 USD; 3 pods × 24 h = 72 pod-hours → 0.9872622 USD for a day.
    sc = scenario(simulation={"duration": "1d", "seed": 7})
    d = sc.model_dump(mode="json", exclude_none=True)
    d["workload"]["runtimeClass"] = {"name": "gvisor", "handler": "runsc",
                                     "overhead": {"podFixed": {"cpu": "100m", "memory": "128Mi"}}}
    d["workload"]["deployment"]["template"]["spec"]["runtimeClassName"] = "gvisor"
    sc = scenario_from_dict(d)
    assert pod_requests(sc) == pytest.approx((0.35, 0.625))
    res = capacity.simulate(sc, record=False)
    assert cost_summary(sc, res.outcomes)["total"] == pytest.approx(0.9872622, rel=1e-9)


def test_usage_above_request_is_charged():
    # 30 rps over 3 pods: 10 rps × 30 ms = 0.3 cores + 50m base = 350m > the 250m request.
    # Per pod-hour 0.35 × 0.031611 + 0.5 × 0.004237 = 0.01106385 + 0.0021185 = 0.01318235;
    # 3 pods × 24 h = 72 → 0.9491292 USD for a day; CPU idle is zero.
    sc = scenario(simulation={"duration": "1d", "seed": 7},
                  load={"constant": 30, "resolution": "1h"})
    c = cost_summary(sc, capacity.simulate(sc, record=False).outcomes)
    assert c["total"] == pytest.approx(0.9491292, rel=1e-6)
    assert c["breakdown"]["cpu"]["idle"] == pytest.approx(0.0, abs=1e-9)


def test_max_is_taken_instant_by_instant_not_over_the_day():
    # 12 h at 30 rps (350m per pod, above the 250m request), then 12 h at 1 rps (60m, below).
    # Σ max(request, usage): 3 pods × (12 h × 0.35 + 12 h × 0.25) = 3 × 7.2 = 21.6 core-h,
    # not max(Σ request, Σ usage) = max(18, 3 × (4.2 + 0.72) = 14.76) = 18.
    # CPU 21.6 × 0.031611 = 0.6827976; memory 3 × 24 × 0.5 × 0.004237 = 0.152532;
    # total 0.8353296. Idle CPU only in the quiet half: 3 × 12 × (0.25 − 0.06) = 6.84 core-h
    # × 0.031611 = 0.21621924.
    sc = scenario(simulation={"duration": "1d", "seed": 7},
                  load={"steps": [{"at": "0s", "rps": 30}, {"at": "12h", "rps": 1}]})
    c = cost_summary(sc, capacity.simulate(sc, record=False).outcomes)
    assert c["breakdown"]["cpu"]["allocated_core_hours"] == pytest.approx(21.6, rel=1e-9)
    assert c["total"] == pytest.approx(0.8353296, rel=1e-9)
    assert c["breakdown"]["cpu"]["idle"] == pytest.approx(0.21621924, rel=1e-9)


def test_allocation_cost_with_a_spot_share():
    # A quarter of the time on spot: CPU 0.75 × 0.031611 + 0.25 × 0.006655 = 0.025372,
    # memory 0.75 × 0.004237 + 0.25 × 0.000892 = 0.00340075.
    # 100 core-hours and 200 GiB-hours: 2.5372 + 0.68015 = 3.21735.
    assert allocation_cost(100, 200, Pricing(), spot_fraction=0.25) == pytest.approx(3.21735)
    assert allocation_cost(100, 200, Pricing(), spot_fraction=1.0) == pytest.approx(
        100 * SPOT_CPU + 200 * SPOT_MEM)
    with pytest.raises(ValueError):
        allocation_cost(1, 1, Pricing(), spot_fraction=1.5)


# --- node-based, by hand ------------------------------------------------------------------


def cluster(*pools):
    return Cluster(zones=["a", "b", "c"], nodePools=list(pools))


def test_node_pool_at_a_flat_price():
    # 3 nodes for 30 days = 3 × 720 = 2160 node-hours at 0.20 per node-hour = 432.00.
    cl = cluster({"name": "general", "allocatable": {"cpu": "4", "memory": "16Gi"},
                  "pricePerHour": 0.20})
    out = node_cost({"general": 3 * 30 * 86400.0}, Pricing(), cl)
    assert out["node_hours"] == pytest.approx(2160)
    assert out["total"] == pytest.approx(432.0)
    assert out["by_pool"]["general"]["price_source"] == "nodePools[general].pricePerHour"
    assert out["spot_cost_share"] == 0.0
    # A price list (e.g. from a price file) wins over the pool's own price: 2160 × 0.15 = 324.
    out = node_cost({"general": 3 * 30 * 86400.0}, Pricing(nodes={"general": 0.15}), cl)
    assert out["total"] == pytest.approx(324.0)


def test_spot_mix():
    # on-demand pool: flat 0.19/h, 2 nodes × 730 h = 1460 node-hours → 277.40
    # spot pool, no price given: 4 vCPU × 0.006655 + 16 GiB × 0.000892
    #   = 0.02662 + 0.014272 = 0.040892 per node-hour; 3 nodes × 730 h = 2190 → 89.55348
    # total 366.95348; spot share 89.55348 / 366.95348 = 0.244046…
    cl = cluster(
        {"name": "od", "allocatable": {"cpu": "4", "memory": "16Gi"}, "pricePerHour": 0.19},
        {"name": "spot", "allocatable": {"cpu": "4", "memory": "16Gi"}, "spot": True},
    )
    out = node_cost({"od": 2 * 730 * 3600.0, "spot": 3 * 730 * 3600.0}, Pricing(), cl)
    assert out["by_pool"]["spot"]["price_per_hour"] == pytest.approx(0.040892)
    assert out["by_pool"]["spot"]["cost"] == pytest.approx(89.55348)
    assert out["by_pool"]["od"]["cost"] == pytest.approx(277.40)
    assert out["total"] == pytest.approx(366.95348)
    assert out["spot_cost_share"] == pytest.approx(89.55348 / 366.95348)
    # The same pool on demand: 4 × 0.031611 + 16 × 0.004237 = 0.126444 + 0.067792 = 0.194236
    od = cl.nodePools[1].model_copy(update={"spot": False})
    assert node_price_per_hour(od, Pricing())[0] == pytest.approx(0.194236)


def test_pods_all_on_a_spot_pool_cost_the_spot_prices():
    # One spot pool only, so every pod runs on spot nodes. The default pod (scenario() in
    # this file) requests 250m CPU and 512Mi, uses less, and 3 fixed replicas run 24 h:
    # on demand: 3 × 24 × (0.25 × 0.031611 + 0.5 × 0.004237)
    #            = 72 × (0.00790275 + 0.0021185) = 72 × 0.01002125 = 0.721530
    # on spot:   3 × 24 × (0.25 × 0.006655 + 0.5 × 0.000892)
    #            = 72 × (0.00166375 + 0.000446) = 72 × 0.00210975 = 0.151902
    # i.e. the spot discount (1 − 0.151902 / 0.721530 = 78.95%) less.
    pools = [{"name": "p", "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
              "nodesPerZone": 1}]
    od = scenario(simulation={"duration": "1d", "seed": 7},
                  cluster={"zones": ["a"], "nodePools": pools})
    spot = scenario(simulation={"duration": "1d", "seed": 7},
                    cluster={"zones": ["a"], "nodePools": [{**pools[0], "spot": True}]})
    c_od = cost_summary(od, capacity.simulate(od, record=False).outcomes)
    c_spot = cost_summary(spot, capacity.simulate(spot, record=False).outcomes)
    assert c_od["total"] == pytest.approx(0.721530, rel=1e-6)
    assert c_spot["total"] == pytest.approx(0.151902, rel=1e-6)
    assert c_spot["breakdown"]["spot"]["pod_hours_share"] == pytest.approx(1.0)
    assert c_spot["breakdown"]["spot"]["cost_share"] == pytest.approx(1.0)
    assert c_od["breakdown"]["spot"]["pod_hours"] == 0.0


def test_spot_scenario_costs_less_than_peak_on_the_same_seed():
    # scenarios/spot.yaml puts two of three nodes per zone on spot: pods land on spot
    # nodes, so the request-based cost must drop (same seed, same load draws).
    peak = capacity.simulate("scenarios/peak.yaml", runs=1, seed=3, duration="1d", record=False)
    spot = capacity.simulate("scenarios/spot.yaml", runs=1, seed=3, duration="1d", record=False)
    share = spot.summary["cost"]["breakdown"]["spot"]["pod_hours_share"]
    assert 0.3 < share <= 1.0
    assert spot.summary["cost"]["total"] < peak.summary["cost"]["total"] * (1 - 0.5 * share)


def test_node_cost_rejects_unknown_pools_and_negative_time():
    cl = cluster({"name": "a", "allocatable": {"cpu": "1"}})
    with pytest.raises(ValueError, match="not in cluster"):
        node_cost({"b": 1.0}, Pricing(), cl)
    with pytest.raises(ValueError, match=">= 0"):
        node_cost({"a": -1.0}, Pricing(), cl)


def test_summary_has_node_block_when_node_seconds_are_given():
    # 2 nodes × 24 h at 0.10 = 4.80 per day; per month 2 × 730 × 0.10 = 146.
    sc = scenario(simulation={"duration": "1d", "seed": 7},
                  cluster={"zones": ["a"], "nodePools": [
                      {"name": "p", "allocatable": {"cpu": "4", "memory": "16Gi"},
                       "pricePerHour": 0.10}]})
    res = capacity.simulate(sc, record=False)
    c = cost_summary(sc, res.outcomes, node_seconds_by_pool=[{"p": 2 * 86400.0}])
    assert c["nodes"]["total"] == pytest.approx(4.8)
    assert c["nodes"]["per_month"] == pytest.approx(146.0)
    # Without the argument the simulated node-seconds are used: the pool has one node
    # (nodesPerZone defaults to 1) for 24 h at 0.10 = 2.40.
    assert cost_summary(sc, res.outcomes)["nodes"]["total"] == pytest.approx(2.4)


# --- prices: section, price file, source -------------------------------------------------------


def test_pricing_section_names_itself(tmp_path):
    sc = scenario(pricing={"cpuPerHour": 0.05})
    assert effective_pricing(sc).source == "scenario pricing section"
    # Writing out the defaults explicitly (as baseline.yaml does) keeps OpenCost's name.
    sc = scenario(pricing={"currency": "USD", "cpuPerHour": CPU, "memoryGiBPerHour": MEM})
    assert effective_pricing(sc).source == OPENCOST_DEFAULT_SOURCE


def test_price_file_overrides_section_in_any_currency(tmp_path):
    f = tmp_path / "chf.yaml"
    f.write_text("currency: CHF\ncpuPerHour: 0.06\nmemoryGiBPerHour: 0.008\n"
                 "nodes: {general: 0.3}\n")
    sc = scenario(simulation={"duration": "1d", "seed": 7},
                  pricing={"cpuPerHour": 0.05, "spotCpuPerHour": 0.01,
                           "nodes": {"other": 0.1}, "file": str(f)})
    pr = effective_pricing(sc)
    assert (pr.currency, pr.cpuPerHour, pr.memoryGiBPerHour) == ("CHF", 0.06, 0.008)
    assert pr.spotCpuPerHour == 0.01  # from the section: the file does not set it
    assert pr.nodes == {"other": 0.1, "general": 0.3}
    assert pr.source == "price file chf.yaml"
    # 3 pods × 24 h × (0.25 × 0.06 + 0.5 × 0.008) = 72 × 0.019 = 1.368 CHF
    c = cost_summary(sc, capacity.simulate(sc, record=False).outcomes)
    assert c["currency"] == "CHF"
    assert c["total"] == pytest.approx(1.368, rel=1e-9)


def test_opencost_config_file_is_a_price_file(tmp_path):
    # OpenCost's configs/azure.json values: CPU 0.039, RAM 0.001917 (strings, their keys).
    f = tmp_path / "azure.json"
    f.write_text(json.dumps({"provider": "azure", "description": "d", "CPU": "0.039",
                             "spotCPU": "0.007764", "RAM": "0.001917", "spotRAM": "0.000382",
                             "GPU": "0.95", "storage": "0.00005479452",
                             "internetNetworkEgress": "0.12"}))
    got = load_price_file(f)
    assert got == {"cpuPerHour": 0.039, "spotCpuPerHour": 0.007764, "memoryGiBPerHour": 0.001917,
                   "spotMemoryGiBPerHour": 0.000382, "storageGiBPerHour": 0.00005479452}


@pytest.mark.parametrize("text, match", [
    ("cpuPerHour: [1]\n", "must be a number"),
    ("cpuPerHour: -1\n", ">= 0"),
    ("cpuPerhour: 1\n", "unknown price field"),
    ("- 1\n", "mapping"),
    ("cpuPerHour: [\n", "syntax"),
])
def test_bad_price_files(tmp_path, text, match):
    f = tmp_path / "p.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=match) as e:
        load_price_file(f)
    assert str(f) in str(e.value)


def test_run_cost_reprices_the_recorded_integrals():
    # Doubling every price doubles the cost of the same run.
    sc = scenario(simulation={"duration": "1d", "seed": 7}, load={"constant": 30})
    out = capacity.simulate(sc, record=False).outcomes[0]
    base = run_cost(out, Pricing(), sc.pricing)
    double = run_cost(out, Pricing(cpuPerHour=2 * CPU, memoryGiBPerHour=2 * MEM), sc.pricing)
    assert base.total == pytest.approx(out.integrals.cost, rel=1e-9)
    assert double.total == pytest.approx(2 * base.total, rel=1e-9)


def test_exact_allocation_integrals_are_used_when_recorded():
    # A recorder that keeps ∫max(request, usage) (asked of the simulation) is read as is:
    # 3600 core-s = 1 core-h, 7200 GiB-s = 2 GiB-h → 0.031611 + 2 × 0.004237 = 0.040085.
    ig = SimpleNamespace(cpu_allocated_core_seconds=3600.0, memory_allocated_gib_seconds=7200.0,
                         cost=123.0, measured_seconds=3600.0, cpu_usage_core_seconds=1800.0,
                         memory_usage_gib_seconds=3600.0, cpu_request_core_seconds=3600.0,
                         memory_request_gib_seconds=7200.0, served_requests=10.0,
                         replica_seconds=3600.0)
    rc = run_cost(SimpleNamespace(integrals=ig), Pricing(), Pricing())
    assert rc.total == pytest.approx(0.040085)
    # idle = allocation − usage: 0.5 core-h × 0.031611 + 1 GiB-h × 0.004237
    assert rc.idle == pytest.approx(0.5 * CPU + MEM)


# --- intervals over runs, comparisons ------------------------------------------------------------


def test_intervals_over_runs_and_comparisons():
    sc = capacity.load_scenario(PEAK)
    res = capacity.simulate(sc, runs=2, duration="1d", workers=1, record=False)
    c = cost_with_comparisons(sc, res.outcomes, seed=sc.simulation.seed, duration=86400.0,
                              search_runs=2, workers=1)
    lo, hi = c["per_month_ci95"]
    assert lo <= c["per_month"] <= hi
    assert c["per_month"] == pytest.approx(c["per_hour"] * 730)
    cmp_ = c["comparisons"]
    fm = cmp_["fixed_max_replicas"]
    # Fixed 10 pods never use more than they request under this load (≤ 1.5 rps each:
    # 20m + 1.5 × 100m = 170m < 250m; memory 300Mi + 4Mi × in-flight < 512Mi), so the cost
    # is the closed form: 10 × 730 × 0.01002125 = 73.155125 per month.
    assert fm["replicas"] == 10
    assert fm["per_month"] == pytest.approx(73.155125, rel=1e-9)
    assert fm["hpa_saving"] == pytest.approx(1 - c["total"] / fm["total"], rel=1e-9)
    fn = cmp_["fixed_min_meeting_objective"]
    assert meets(fn["availability"], 0.999, "mean")
    assert all(s_["met"] for s_ in fn["slo"])  # every objective, the latency one too
    n = fn["replicas"]
    # Never at or below the PDB's minAvailable (2): a drain would block.
    assert n > 2
    search = cmp_["search"]
    for k in ("1", "2"):
        if k in search["excluded"]:
            assert "allows 0 disruptions" in search["excluded"][k]
    # The count below it fails an objective, or is excluded as unsafe, with its reason.
    below = str(n - 1)
    assert search["tried"][below]["meets"] is False or below in search["excluded"]
    # Without compare, the block says why there is no comparison.
    assert cost_summary(sc, res.outcomes)["comparisons"]["computed"] is False


def fake_served(threshold: int):
    """A simulation stand-in: fixed n serves everything from ``threshold`` replicas up."""
    calls = []

    def sim(n, runs):
        calls.append(n)
        m = 1.0 if n >= threshold else 0.99
        return SimpleNamespace(summary={"availability": {"requests_served": {
            "mean": m, "ci95": [m - 0.0005, min(m + 0.0005, 1.0)] if runs > 1 else None}}})
    return sim, calls


@pytest.mark.parametrize("threshold", [1, 2, 3, 7, 10])
def test_fewest_fixed_replicas_bisects(threshold):
    sc = capacity.load_scenario(PEAK)  # objective 99.9%, maxReplicas 10
    sim, calls = fake_served(threshold)
    out = fewest_fixed_replicas(sc, runs=3, simulate_fn=sim, safety=False)
    assert out.replicas == threshold
    assert len(set(calls)) <= 1 + math.ceil(math.log2(10)) + 1


def test_fewest_fixed_replicas_grows_past_max_and_gives_up():
    sc = capacity.load_scenario(PEAK)
    sim, _ = fake_served(25)
    assert fewest_fixed_replicas(sc, runs=1, simulate_fn=sim, safety=False).replicas == 25
    sim, _ = fake_served(10**6)
    out = fewest_fixed_replicas(sc, runs=1, simulate_fn=sim, limit=40, safety=False)
    assert out.replicas is None and "up to 40" in out.reason


def test_fewest_fixed_replicas_skips_what_the_pdb_or_a_zone_outage_rules_out():
    # peak.yaml: PDB minAvailable 2, so 1 and 2 replicas allow no disruption. The fake
    # simulation meets the objectives from 1 replica; the fake zone-down one only from 4.
    sc = capacity.load_scenario(PEAK)
    sim, _ = fake_served(1)
    zone, _ = fake_served(4)
    out = fewest_fixed_replicas(sc, runs=2, simulate_fn=sim, zone_down_fn=zone)
    assert out.replicas == 4
    assert "allows 0 disruptions" in out.excluded[1] and "allows 0 disruptions" in out.excluded[2]
    assert out.excluded[3].startswith("with zone zone-a down")
    assert set(out.as_dict()["excluded"]) == {"1", "2", "3"}


def test_lower_bound_criterion_is_stricter_than_the_mean():
    est = {"mean": 0.9992, "ci95": [0.9985, 0.9999]}
    assert meets(est, 0.999, "mean")
    assert not meets(est, 0.999, "lower")
    assert meets({"mean": 0.9992, "ci95": None}, 0.999, "lower")  # one run: the point estimate


def test_fixed_replicas_scenario_removes_the_hpa():
    sc = capacity.load_scenario(PEAK)
    f = fixed_replicas_scenario(sc, 4)
    assert f.autoscaling.horizontal is None and f.workload.deployment.replicas == 4
    assert sc.autoscaling.horizontal is not None  # the original is untouched
