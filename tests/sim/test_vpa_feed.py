"""The VPA recommender fed from a run (capacity.sim.vpa_feed), as upstream feeds it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from capacity.k8s.vpa import VpaRecommenderState
from capacity.scenario.loader import load_scenario
from capacity.sim.engine import run_once
from capacity.sim.rng import run_seed_sequences
from capacity.sim.vpa_feed import RECOMMENDER_INTERVAL, VpaFeedObserver, VpaFeedSettings

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"


def scenario(tmp: Path, body: str, name: str = "v") -> Any:
    path = tmp / f"{name}.yaml"
    path.write_text(f"extends: {PEAK}\nname: {name}\n" + body)
    return load_scenario(path)


def feed(sc: Any, duration: float, settings: VpaFeedSettings | None = None
         ) -> tuple[Any, VpaFeedObserver]:
    obs = VpaFeedObserver(settings)
    seqs = run_seed_sequences(sc.simulation.seed, 1)
    return run_once(sc, 0, seqs[0], duration, True, observers=[obs]), obs


STEADY = """
simulation: {runs: 1}
failures: {nodes: null, zones: null}
autoscaling: {horizontal: null}
workload:
  deployment: {replicas: 3}
load: {constant: 6, diurnal: null, spikes: [], noise: null}
"""


class Recording:
    """Wraps a VpaRecommenderState and keeps every sample it is given."""

    def __init__(self, inner: VpaRecommenderState) -> None:
        self.inner = inner
        self.cpu: list[tuple[str, str, float, float]] = []
        self.mem: list[tuple[str, str, float, float]] = []
        self.deleted: list[str] = []

    def add_cpu_sample(self, pod: str, c: str, t: float, usage_cores: float) -> bool:
        self.cpu.append((pod, c, t, usage_cores))
        return self.inner.add_cpu_sample(pod, c, t, usage_cores)

    def add_memory_sample(self, pod: str, c: str, t: float, working_set_bytes: float) -> bool:
        self.mem.append((pod, c, t, working_set_bytes))
        return self.inner.add_memory_sample(pod, c, t, working_set_bytes)

    def add_usage_samples(self, pod: str, c: str, cpu_t: float, usage_cores: float,
                          mem_t: float, working_set_bytes: float) -> int:
        self.cpu.append((pod, c, cpu_t, usage_cores))
        self.mem.append((pod, c, mem_t, working_set_bytes))
        return self.inner.add_usage_samples(pod, c, cpu_t, usage_cores, mem_t, working_set_bytes)

    def delete_pod(self, pod: str) -> None:
        self.deleted.append(pod)
        self.inner.delete_pod(pod)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_samples_as_metrics_server_serves_them(tmp_path: Path):
    """Every minute, one CPU and one memory sample per container of each pod: the
    metrics API's CPU rate (millicores → cores) stamped with its scrape time, and the
    working set. The same samples fed by hand give the same recommendation."""
    sc = scenario(tmp_path, STEADY)
    # stamped with the scrape's time: no cAdvisor housekeeping lag (with it each sample
    # carries its reading's time, as tests/sim/test_metrics_server.py checks)
    sc.controllers.kubelet.housekeepingInterval = 0.0
    obs = VpaFeedObserver()
    seqs = run_seed_sequences(sc.simulation.seed, 1)

    class Probe:
        name = "vpa"

        def start(self, model: Any) -> None:
            obs.start(model)
            obs.state = Recording(obs.state)  # type: ignore[assignment]

        def finish(self, model: Any) -> Any:
            return obs.finish(model)

    out = run_once(sc, 0, seqs[0], 6 * 3600.0, True, observers=[Probe()])
    rec: Recording = obs.state  # type: ignore[assignment]
    pods = {p for p, *_ in rec.cpu}
    assert len(pods) == 3
    per_pod = [t for p, _, t, _ in rec.cpu if p == min(pods)]
    assert len(per_pod) == 6 * 60  # one a minute (the last one at 6 h)
    gaps = [b - a for a, b in itertools.pairwise(per_pod)]
    assert all(abs(g - 60.0) < 1e-6 for g in gaps), sorted({round(g, 3) for g in gaps})
    resolution = sc.controllers.metricsServer.metricResolution
    assert len({round(t % resolution, 6) for t in per_pod}) == 1  # metrics-server's scrapes
    assert all(0.05 < u < 1.0 for _, c, _, u in rec.cpu if c == "sandbox-executor")
    assert all(3e8 < b < 5e8 for _, _, _, b in rec.mem)
    # by hand: a fresh state, the same samples
    fresh = VpaRecommenderState(policy=sc.autoscaling.vertical.resourcePolicy.to_k8s())
    for p in sorted(pods):
        fresh.add_pod(p, {**sc.workload.deployment.template.metadata.labels,
                          "pod-template-hash": "x"})
    for p, c, t, u in rec.cpu:
        fresh.add_cpu_sample(p, c, t, u)
    for p, c, t, b in rec.mem:
        fresh.add_memory_sample(p, c, t, b)
    assert fresh.recommend(6 * 3600.0) == out.extra["vpa"]["containers"]
    assert out.extra["vpa"]["interval"] == RECOMMENDER_INTERVAL
    assert out.extra["vpa"]["samples"] == len(rec.cpu) + len(rec.mem)


def test_the_recommendation_follows_usage(tmp_path: Path):
    """Constant load: the CPU target is the usage's 90th percentile (a histogram bucket)
    plus 15 %, within the bucket's 5 % growth; memory the peak plus 15 %; the bounds
    around it; more load, a higher target."""
    sc = scenario(tmp_path, STEADY)
    out, _ = feed(sc, 8 * 3600.0)
    r = out.extra["vpa"]["containers"]["sandbox-executor"]
    lo, tgt, hi = (r[k]["cpu"] for k in ("lowerBound", "target", "upperBound"))
    assert lo <= tgt <= hi
    assert r["uncappedTarget"] == r["target"]
    sc2 = scenario(tmp_path, STEADY.replace("constant: 6", "constant: 9"), "v2")
    out2, _ = feed(sc2, 8 * 3600.0)
    assert out2.extra["vpa"]["containers"]["sandbox-executor"]["target"]["cpu"] > tgt
    # usage per pod: base 20m + 2 rps x 100 ms = 220m; p90 ~ 220m, x 1.15 ~ 253m
    assert 0.95 * 253 <= tgt <= 1.10 * 253


def test_capped_by_the_resource_policy(tmp_path: Path):
    sc = scenario(tmp_path, """
simulation: {runs: 1}
failures: {nodes: null, zones: null}
workload:
  deployment: {replicas: 3}
load: {constant: 6, diurnal: null, spikes: [], noise: null}
autoscaling:
  horizontal: null
  vertical:
    updatePolicy: {updateMode: "Off"}
    resourcePolicy:
      containerPolicies:
        - containerName: sandbox-executor
          maxAllowed: {cpu: 150m}
          controlledResources: [cpu]
""", "capped")
    out, _ = feed(sc, 3 * 3600.0)
    r = out.extra["vpa"]["containers"]["sandbox-executor"]
    assert r["target"] == {"cpu": 150} and r["uncappedTarget"]["cpu"] > 150
    assert set(r["lowerBound"]) == {"cpu"}  # memory not controlled


def test_pending_pods_are_not_fed(tmp_path: Path):
    """The recommender's pod lister skips Pending pods: pods that never schedule give no
    samples (and no aggregate)."""
    sc = scenario(tmp_path, """
simulation: {runs: 1}
failures: {nodes: null, zones: null}
autoscaling: {horizontal: null}
workload:
  deployment: {replicas: 36}
load: {constant: 6, diurnal: null, spikes: [], noise: null}
""", "pending")
    obs = VpaFeedObserver()
    seqs = run_seed_sequences(sc.simulation.seed, 1)
    out = run_once(sc, 0, seqs[0], 3600.0, True, observers=[obs])
    pending = [p for p in obs.m.pods if p.pod.phase == "Pending"]
    assert pending, "expected pods that do not fit the cluster"
    assert not {p.pod.name for p in pending} & set(obs.state.pods)
    assert out.extra["vpa"]["samples"] > 0


def test_hourly_targets(tmp_path: Path):
    sc = scenario(tmp_path, STEADY)
    out, _ = feed(sc, 5 * 3600.0, VpaFeedSettings(hourly=3600.0))
    hourly = out.extra["vpa"]["hourly"]
    assert [t for t, _ in hourly] == [3600.0, 7200.0, 10800.0, 14400.0, 18000.0]
    assert hourly[-1][1]["sandbox-executor"] == out.extra["vpa"]["containers"][
        "sandbox-executor"]["target"]


def test_no_vpa_no_feed(tmp_path: Path):
    sc = scenario(tmp_path, "autoscaling: {vertical: null}\n", "novpa")
    with pytest.raises(ValueError, match=r"autoscaling\.vertical"):
        feed(sc, 600.0)


def test_feeding_changes_nothing(tmp_path: Path):
    sc = scenario(tmp_path, "simulation: {runs: 1}\n", "same")
    seqs = run_seed_sequences(sc.simulation.seed, 1)
    bare = run_once(sc, 0, seqs[0], 4 * 3600.0, True)
    fed, _ = feed(sc, 4 * 3600.0)
    assert bare.integrals == fed.integrals and bare.event_counts == fed.event_counts
