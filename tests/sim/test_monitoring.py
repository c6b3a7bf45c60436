"""The simulated monitoring (capacity.sim.monitoring): series, labels, counts, files.

The short scenarios here are shared with the cross-checks against the real Prometheus
(``test_monitoring_prometheus``) and ``promtool test rules`` (``test_monitoring_promtool``):

* ``peak-burst``: scenarios/peak.yaml for 6 h of a Wednesday, 07:00 to 13:00, with its
  10-minute burst at 10:00, as in the week;
* ``peak-sensitive``: the same with lower thresholds and shorter ``for``, so that the
  alerts have episodes to compare (HighCPU 15 % of the limit, HighMemory 14 % for 1 min,
  ReplicaMismatch for 30 s, PodNotReady at once, HighErrorRate 0.01 %, LowAvailability
  90 % for 30 s);
* ``crashy-overload``: the same morning with an HPA capped at 5 replicas, a burst of
  4 × for 20 min that overflows the queues (503s: HighErrorRate) and an application
  that often starts slower than the startup probe allows (restarts: PodRestarting);
* ``zone-window``: scenarios/zone-outage.yaml cut to its outage: Tuesday 11:00 to 17:00
  with zone-c down from 13:00 for 3 hours.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from capacity.analysis.monitoring_export import (
    DEFAULT_EPOCH,
    assemble_export,
    export_run,
    export_staging,
    process_run,
    run_shift,
)
from capacity.analysis.monitoring_summary import evaluate_alerts, rule_metric_names, series_store
from capacity.analysis.openmetrics import format_le, read_openmetrics
from capacity.analysis.promql import SeriesStore, is_stale
from capacity.manifests.emit import build_manifests
from capacity.scenario.loader import load_scenario
from capacity.sim.engine import RunOutcome, run_once
from capacity.sim.monitoring import FAMILIES, MonitoringObserver, MonitoringRun, MonitoringSettings
from capacity.sim.rng import run_seed_sequences
from capacity.sim.serving import PROMETHEUS_BUCKETS

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

VARIANTS = {
    "peak-burst": f"""
extends: {SCENARIOS / 'peak.yaml'}
name: peak-burst
simulation: {{duration: 6h, runs: 1, startTime: "2026-01-07T07:00:00"}}
load:
  spikes: [{{at: 3h, duration: 10m, factor: 2.0}}]
""",
    "peak-sensitive": f"""
extends: {SCENARIOS / 'peak.yaml'}
name: peak-sensitive
simulation: {{duration: 6h, runs: 1, startTime: "2026-01-07T07:00:00"}}
load:
  spikes: [{{at: 3h, duration: 10m, factor: 2.0}}]
monitoring:
  alerts:
    HighCPU: {{threshold: 0.15}}
    HighMemory: {{threshold: 0.14, for: 1m}}
    ReplicaMismatch: {{for: 30s}}
    PodNotReady: {{for: 0s}}
    HighErrorRate: {{threshold: 0.0001}}
    LowAvailability: {{threshold: 0.9, for: 30s}}
""",
    "crashy-overload": f"""
extends: {SCENARIOS / 'peak.yaml'}
name: crashy-overload
simulation: {{duration: 6h, runs: 1, startTime: "2026-01-07T07:00:00"}}
autoscaling:
  horizontal: {{maxReplicas: 5}}
workload:
  startup:
    appWarmup: {{type: lognormal, median: 50s, p95: 120s}}
load:
  spikes: [{{at: 3h, duration: 20m, factor: 4.0}}]
""",
    # Without cAdvisor's housekeeping lag: its narrative (6 of 10 pods left when zone-c
    # goes, LowAvailability under 70%) is that run's; with the 10 s lag this seed's HPA
    # leaves 7 of 10, exactly at the threshold, and the alert stays silent.
    "zone-window": f"""
extends: {SCENARIOS / 'zone-outage.yaml'}
name: zone-window
simulation: {{duration: 6h, runs: 1, startTime: "2026-01-06T11:00:00"}}
controllers:
  kubelet: {{housekeepingInterval: 0s}}
failures:
  zones:
    scheduled: [{{zone: zone-c, at: 2h, duration: 3h}}]
""",
}


def variant(name: str, folder: Path) -> Any:
    path = folder / f"{name}.yaml"
    path.write_text(VARIANTS[name])
    return load_scenario(path)


@dataclass
class Exported:
    """One run of a scenario with its monitoring: the outcome, what the observer saw,
    the per-run result (alerts...), the stores with and without staleness markers, the
    observer, and the assembled folder."""

    scenario: Any
    outcome: RunOutcome
    observer: MonitoringObserver
    run: MonitoringRun
    result: dict[str, Any]
    store: SeriesStore
    store_plain: SeriesStore
    folder: Path | None
    start: float  # Unix seconds of the run's t = 0 in the files


def observed(sc: Any, run: int = 0, duration: float | None = None, histograms: bool = False
             ) -> tuple[RunOutcome, MonitoringObserver]:
    """Run ``run`` of ``sc`` watched by a monitoring observer that keeps its raw data."""
    seqs = run_seed_sequences(sc.simulation.seed, run + 1)
    dur = float(duration if duration is not None else sc.simulation.duration)
    obs = MonitoringObserver(MonitoringSettings(histograms=histograms))
    return run_once(sc, run, seqs[run], dur, True, observers=[obs]), obs


def exported_run(sc: Any, folder: Path | None, duration: float | None = None, run: int = 0,
                 promtool: str | None = None) -> Exported:
    """Simulate run ``run`` of ``sc`` with the monitoring and process it as a study does;
    with ``folder``, also export it there (blocks with ``promtool``)."""
    out, obs = observed(sc, run, duration, histograms=folder is not None)
    mrun = out.extra["monitoring"]
    assert isinstance(mrun, MonitoringRun)
    if folder is None:
        res = process_run(mrun, keep_store=True)
    else:
        with export_staging(folder) as staging:
            res = process_run(mrun, keep_store=True, export_dir=str(staging), promtool=promtool)
            assemble_export(folder, staging, [res["export"]])
    return Exported(sc, out, obs, mrun, res, res["store"], series_store(mrun, stale=False),
                    folder, DEFAULT_EPOCH + run_shift(run, mrun.duration))


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    tmp = tmp_path_factory.mktemp("zone")
    return exported_run(variant("zone-window", tmp), tmp / "metrics")


@pytest.fixture(scope="module")
def burst(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    tmp = tmp_path_factory.mktemp("burst")
    return exported_run(variant("peak-burst", tmp), tmp / "metrics")


def _names(store: SeriesStore) -> set[str]:
    return set(store.names())


# --- the series and their labels ----------------------------------------------------------


def test_every_design_series_is_there(burst: Exported):
    """DESIGN §11's series (and the limits HighCPU reads), in memory and in the file."""
    want = {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
            "kube_pod_container_status_restarts_total", "kube_pod_status_ready",
            "kube_pod_status_phase", "kube_deployment_spec_replicas",
            "kube_deployment_status_replicas_available",
            "kube_horizontalpodautoscaler_status_desired_replicas", "http_requests_total",
            "kube_pod_container_resource_limits", "kube_pod_container_resource_requests"}
    assert want <= _names(burst.store)
    data = read_openmetrics(burst.folder / "metrics.om")
    assert want | {"http_request_duration_seconds_bucket", "http_request_duration_seconds_sum",
                   "http_request_duration_seconds_count"} == _names(data.store)
    assert {f: i.type for f, i in data.families.items()} == {f: t for f, (t, _) in
                                                             FAMILIES.items()}


def test_labels_follow_the_emitted_service_monitor(burst: Exported):
    objs = [o for group in build_manifests(burst.scenario).values() for o in group]
    sm = next(o for o in objs if o["kind"] == "ServiceMonitor")
    svc = next(o for o in objs if o["kind"] == "Service")
    port = sm["spec"]["endpoints"][0]["port"]
    container = next(c for c in burst.scenario.workload.deployment.template.spec.containers
                     if any(p.get("name") == port for p in c.ports or []))
    number = next(p["containerPort"] for p in container.ports if p.get("name") == port)
    reqs = burst.store.select([("__name__", "=", "http_requests_total")])
    assert reqs
    for s in reqs:
        lab = s.label_dict
        assert lab["job"] == lab["service"] == svc["metadata"]["name"]
        assert lab["endpoint"] == port and lab["container"] == container.name
        assert lab["namespace"] == "swissbrain" and lab["pod"].startswith("sandbox-executor-")
        assert lab["instance"].endswith(f":{number}") and lab["code"] in ("200", "503", "429")
    cpu = burst.store.select([("__name__", "=", "container_cpu_usage_seconds_total")])
    assert cpu and all(s.label_dict["job"] == "kubelet" and s.label_dict["node"]
                       and s.label_dict["metrics_path"] == "/metrics/cadvisor"
                       and s.label_dict["image"] == container.image for s in cpu)
    phases = burst.store.select([("__name__", "=", "kube_pod_status_phase")])
    assert {s.label_dict["phase"] for s in phases} == {"Pending", "Running", "Succeeded",
                                                       "Failed", "Unknown"}
    assert all(s.label_dict["job"] == "kube-state-metrics" for s in phases)


def test_one_phase_at_a_time_and_limits_from_the_spec(burst: Exported):
    st = burst.store_plain
    by_pod: dict[str, np.ndarray] = {}
    for s in st.select([("__name__", "=", "kube_pod_status_phase")]):
        pod = s.label_dict["pod"]
        by_pod[pod] = by_pod.get(pod, 0) + s.v
    assert by_pod and all(np.all(v == 1.0) for v in by_pod.values())
    lim = {(s.label_dict["resource"], s.label_dict["unit"]): s.v[0]
           for s in st.select([("__name__", "=", "kube_pod_container_resource_limits"),
                               ("container", "=", "sandbox-executor")])}
    assert lim[("cpu", "core")] == 1.0 and lim[("memory", "byte")] == 2 * 1024**3


def test_monitoring_changes_nothing(burst: Exported):
    sc = burst.scenario
    seqs = run_seed_sequences(sc.simulation.seed, 1)
    bare = run_once(sc, 0, seqs[0], sc.simulation.duration, True)
    assert bare.integrals == burst.outcome.integrals
    assert bare.event_counts == burst.outcome.event_counts


def test_scrapes_on_the_grid(burst: Exported):
    res = burst.result
    assert res["scrapes"] == round(6 * 3600 / 30) + 1
    dep = burst.store.get({"__name__": "kube_deployment_spec_replicas",
                           "namespace": "swissbrain", "deployment": "sandbox-executor",
                           "job": "kube-state-metrics", "service": "kube-state-metrics",
                           "endpoint": "http", "instance": "kube-state-metrics:8080"})
    assert dep is not None
    assert np.array_equal(dep.t, np.arange(0, 6 * 3600 + 1, 30.0))


# --- what the application counts ------------------------------------------------------------


def _final(store: SeriesStore, name: str, **match: str) -> float:
    """Sum over series of their last values before each counter reset (total counted)."""
    total = 0.0
    for s in store.select([("__name__", "=", name), *((k, "=", v) for k, v in match.items())]):
        _, v = s.clean()
        resets = np.flatnonzero(np.diff(v) < 0)
        total += float(v[resets].sum() + v[-1])
    return total


def test_counts_match_the_serving_model(tmp_path: Path):
    """A fixed fleet (no HPA, no failures, no deletions) overloaded by its burst: the
    application's counters add up to the serving model's accepted and rejected requests
    (less the floor of each pod's counts), and HighErrorRate sees the 503s."""
    path = tmp_path / "fixed.yaml"
    path.write_text(f"""
extends: {SCENARIOS / 'peak.yaml'}
name: fixed-overloaded
simulation: {{duration: 3h, runs: 1, startTime: "2026-01-07T09:00:00"}}
failures: {{nodes: null, zones: null}}
autoscaling: {{horizontal: null, vertical: null}}
workload:
  deployment: {{replicas: 4}}
load:
  spikes: [{{at: 1h, duration: 20m, factor: 2.5}}]
""")
    sc = load_scenario(path)
    ex = exported_run(sc, tmp_path / "m")
    tot = ex.observer.m.srv.totals
    pods = len({s.label_dict["pod"] for s in ex.store.select(
        [("__name__", "=", "http_requests_total")])})
    assert pods == 4 and sc.simulation.warmup == 0
    ok = _final(ex.store, "http_requests_total", code="200")
    rejected = _final(ex.store, "http_requests_total", code="503")
    assert tot.rejected > 1000  # the burst overflows the queues
    assert tot.accepted - pods <= ok <= tot.accepted
    assert tot.rejected - pods <= rejected <= tot.rejected
    # The histogram counts the answered (200) requests; its mean is the serving model's
    # (no timeouts here, so the same requests), its buckets the model's distribution.
    data = read_openmetrics(ex.folder / "metrics.om").store
    count = _final(data, "http_request_duration_seconds_count")
    assert count == ok
    lat = ex.outcome.extra["latency"]
    assert math.isclose(_final(data, "http_request_duration_seconds_sum") / count, lat["mean"],
                        rel_tol=1e-3)
    for le in (0.1, 0.25, 0.5, 1.0, 2.5):
        got = _final(data, "http_request_duration_seconds_bucket", le=format_le(le))
        want = lat["buckets"][f"{le:g}"]
        assert abs(got - want) <= pods + 1e-6 * want, (le, got, want)
    alerts = ex.result["alerts"]
    assert alerts["SandboxExecutorHighErrorRate"]["fired"] >= 1


def test_timeouts_are_answered_200_late(tmp_path: Path):
    """A client timeout shorter than the requests: the serving model counts timeouts, the
    pod's counter still counts them as 200 and the histogram holds their full duration."""
    path = tmp_path / "timeouts.yaml"
    path.write_text(f"""
extends: {SCENARIOS / 'peak.yaml'}
name: short-timeout
simulation: {{duration: 1h, runs: 1, startTime: "2026-01-07T13:00:00"}}
failures: {{nodes: null, zones: null}}
autoscaling: {{horizontal: null, vertical: null}}
workload:
  deployment: {{replicas: 4}}
  demand: {{timeout: 250ms}}
""")
    ex = exported_run(load_scenario(path), tmp_path / "m")
    timeouts = ex.outcome.integrals.errors["timeout"]
    assert timeouts > 1000
    ok = _final(ex.store, "http_requests_total", code="200")
    tot = ex.observer.m.srv.totals
    assert tot.accepted - 4 <= ok <= tot.accepted  # timeouts included
    assert _final(ex.store, "http_requests_total", code="503") == 0
    data = read_openmetrics(ex.folder / "metrics.om").store
    under = _final(data, "http_request_duration_seconds_bucket", le="0.25")
    assert ok - under >= 0.9 * timeouts  # the late answers sit above the timeout


def test_a_lost_zone_is_no_error_the_pods_count(zone: Exported):
    """dead_endpoint requests never reach a pod: the pods' 5xx are the queue-full
    rejections of the survivors alone, HighErrorRate stays silent, while LowAvailability
    and PodNotReady see the outage within half an hour."""
    errs = zone.outcome.integrals.errors
    tot = zone.observer.m.srv.totals
    assert errs["dead_endpoint"] > 50
    counted = _final(zone.store, "http_requests_total", code="503")
    assert tot.rejected - 1 <= counted <= tot.rejected
    alerts = zone.result["alerts"]
    assert alerts["SandboxExecutorHighErrorRate"]["fired"] == 0
    assert alerts["SandboxExecutorPodNotReady"]["fired"] >= 1
    assert alerts["SandboxExecutorLowAvailability"]["fired"] >= 1
    first = min(a["first_fired_at"] for a in alerts.values() if a["first_fired_at"] is not None)
    assert 2 * 3600 < first < 2 * 3600 + 1800


def test_a_dead_node_is_not_scraped(zone: Exported):
    """Pods of zone-c: their cAdvisor and application series stop at the outage (with a
    staleness marker at the next scrape) while kube-state-metrics keeps reporting them,
    Ready turning false once the node controller marks them."""
    out_at = 2 * 3600.0
    ksm = {"namespace": "swissbrain", "job": "kube-state-metrics",
           "service": "kube-state-metrics", "endpoint": "http",
           "instance": "kube-state-metrics:8080"}
    lost = 0
    for s in zone.store.select([("__name__", "=", "container_cpu_usage_seconds_total")]):
        t, v = s.t, s.v
        st = is_stale(v)
        pod = s.label_dict["pod"]
        ready = zone.store_plain.get({"__name__": "kube_pod_status_ready", **ksm, "pod": pod,
                                      "condition": "true"})
        assert ready is not None
        if not (t[~st][0] < out_at <= t[~st][-1] + 30 and st.any()
                and t[st][0] <= out_at + 30 and ready.t[-1] > out_at + 600):
            continue  # not a pod the outage caught (or one deleted before it)
        lost += 1
        before = ready.v[ready.t < out_at]
        after = ready.v[(ready.t > out_at + 120) & (ready.t < out_at + 600)]
        assert before[-1] == 1.0 and len(after) and (after == 0.0).all(), pod
        phase = zone.store_plain.get({"__name__": "kube_pod_status_phase", **ksm, "pod": pod,
                                      "phase": "Running"})
        assert phase is not None and (phase.v[phase.t > out_at] == 1.0).all()
    assert lost >= 2  # the pods on zone-c's two nodes


def test_staleness_markers_end_stopped_series(zone: Exported):
    """Each stretch of samples in the alert store ends with a marker at the next scrape
    (unless the run ended), and the marker is the only non-sample: the plain store holds
    the same samples without them."""
    for s in zone.store:
        st = is_stale(s.v)
        plain = zone.store_plain.get(s.label_dict)
        assert plain is not None and np.array_equal(plain.t_ms, s.t_ms[~st])
        k = np.rint(s.t / 30).astype(int)
        samples = k[~st]
        gaps = np.flatnonzero(np.diff(samples) > 1)
        want = set((samples[gaps] + 1).tolist())
        if samples[-1] < 6 * 3600 / 30:
            want.add(int(samples[-1]) + 1)
        assert set(k[st].tolist()) == want


# --- the files --------------------------------------------------------------------------------


def test_the_file_holds_the_store(burst: Exported):
    """metrics.om parses strictly (families, metrics and points not interleaved, # EOF)
    and holds exactly the in-memory samples, at the run's start in Unix time."""
    data = read_openmetrics(burst.folder / "metrics.om")
    got = data.store
    n = 0
    for s in burst.store_plain:
        g = got.get(s.label_dict)
        assert g is not None, s.label_dict
        assert np.array_equal(g.t_ms, s.t_ms + round(burst.start * 1000))
        assert np.array_equal(g.v, s.v)
        n += 1
    hist = [s for s in got if s.name.startswith("http_request_duration_seconds")]
    assert len(got) == n + len(hist) and hist
    le = sorted({s.label_dict.get("le") for s in hist} - {None},
                key=lambda x: float(x.replace("Inf", "inf")))
    assert le == [*(format_le(b) for b in PROMETHEUS_BUCKETS), "+Inf"]


def test_runs_follow_each_other_in_one_file(tmp_path: Path):
    """Two runs merge into one file: each family once, run 1 a whole number of weeks
    after run 0, series shared by both runs (the Deployment's) continuous in time."""
    sc = variant("peak-burst", tmp_path)
    seqs = run_seed_sequences(sc.simulation.seed, 2)
    dur = 2 * 3600.0
    target = tmp_path / "two"
    with export_staging(target) as staging:
        exports = []
        for r in range(2):
            obs = MonitoringObserver(MonitoringSettings(histograms=True))
            out = run_once(sc, r, seqs[r], dur, True, observers=[obs])
            exports.append(export_run(out.extra["monitoring"], staging))
        info = assemble_export(target, staging, exports)
    assert info["runs"] == 2 and info["blocks"] is None
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # staging removed
    text = (target / "metrics.om").read_text()
    assert text.endswith("# EOF\n") and text.count("# TYPE kube_pod_status_phase ") == 1
    data = read_openmetrics(target / "metrics.om")
    (dep,) = data.store.select([("__name__", "=", "kube_deployment_spec_replicas")])
    week = 7 * 86400.0
    assert run_shift(1, dur) == week
    t = dep.t - DEFAULT_EPOCH
    assert np.array_equal(t, np.concatenate([np.arange(0, dur + 1, 30.0),
                                             week + np.arange(0, dur + 1, 30.0)]))


def test_an_existing_folder_keeps_other_files(tmp_path: Path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "summary.json").write_text("{}")
    (target / "metrics.om").write_text("old")
    sc = variant("peak-burst", tmp_path)
    seqs = run_seed_sequences(sc.simulation.seed, 1)
    with export_staging(target) as staging:
        obs = MonitoringObserver(MonitoringSettings(histograms=True))
        out = run_once(sc, 0, seqs[0], 600.0, True, observers=[obs])
        assemble_export(target, staging, [export_run(out.extra["monitoring"], staging)])
    assert (target / "summary.json").read_text() == "{}"
    assert (target / "metrics.om").read_text().startswith("# TYPE ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "peak-burst.yaml"]


def test_run_shift_weeks():
    assert run_shift(0, 7 * 86400.0) == 0
    assert run_shift(1, 7 * 86400.0) == 14 * 86400.0  # a week and an hour need two weeks
    assert run_shift(3, 3600.0) == 3 * 7 * 86400.0


def test_blocks_from_promtool(tmp_path: Path):
    """With promtool: one TSDB block per 2-hour window, promtool's own alignment."""
    from tests.manifests.conftest import tool

    promtool = tool("promtool")
    sc = variant("peak-burst", tmp_path)
    ex = exported_run(sc, tmp_path / "m", duration=3 * 3600.0, promtool=promtool)
    blocks = sorted((ex.folder / "blocks").iterdir())
    metas = [json.loads((b / "meta.json").read_text()) for b in blocks]
    start_ms = round(ex.start * 1000)
    end_ms = start_ms + 3 * 3600 * 1000
    want = sorted({w for w in range(start_ms // 7_200_000, end_ms // 7_200_000 + 1)})
    assert sorted(m["minTime"] // 7_200_000 for m in metas) == want
    assert sum(m["stats"]["numSamples"] for m in metas) == \
        ex.result["samples"]
    r = subprocess.run([promtool, "tsdb", "list", str(ex.folder / "blocks")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == len(blocks) + 1


# --- memory ------------------------------------------------------------------------------------

_RSS_SCRIPT = textwrap.dedent("""
    import functools, json, resource, sys
    from pathlib import Path
    from capacity.analysis.monitoring_export import (assemble_export, export_staging,
                                                     process_run)
    from capacity.scenario.loader import load_scenario
    from capacity.sim.engine import run_once
    from capacity.sim.monitoring import MonitoringObserver, MonitoringSettings
    from capacity.sim.rng import run_seed_sequences
    sc = load_scenario(sys.argv[1])
    target, dur = Path(sys.argv[2]), float(sys.argv[3])
    promtool = sys.argv[4] or None
    seqs = run_seed_sequences(sc.simulation.seed, 1)
    info = {}
    if sys.argv[5] == "off":
        run_once(sc, 0, seqs[0], dur, False)
    else:
        with export_staging(target) as staging:
            process = functools.partial(process_run, export_dir=str(staging),
                                        promtool=promtool)
            obs = MonitoringObserver(MonitoringSettings(histograms=True, process=process))
            out = run_once(sc, 0, seqs[0], dur, False, observers=[obs])
            info = assemble_export(target, staging, [out.extra["monitoring"]["export"]])
            info["samples"] = out.extra["monitoring"]["samples"]
    info["rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(info))
""")


def export_rss(tmp: Path, days: float, promtool: str | None = None, monitoring: bool = True
               ) -> dict[str, Any]:
    """Peak RSS (KiB) of a fresh process simulating ``days`` of peak.yaml (run 0, nothing
    recorded), with the monitoring exported (and the file's size) or without it."""
    r = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(SCENARIOS / "peak.yaml"),
                        str(tmp / f"m{days}"), str(days * 86400.0), promtool or "",
                        "on" if monitoring else "off"],
                       capture_output=True, text=True, timeout=3600, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.splitlines()[-1])


@pytest.mark.slow
def test_a_week_streams(tmp_path: Path):
    """7 days of peak.yaml (about 0.8 GB of text, with blocks): the export adds far less
    memory to the run than the file's size (the engine's own peak is the baseline)."""
    bare = export_rss(tmp_path, 7.0, monitoring=False)
    week = export_rss(tmp_path, 7.0, shutil.which("promtool"))
    added = (week["rss_kib"] - bare["rss_kib"]) * 1024
    print(f"\nwithout monitoring: {bare}\n7 days exported: {week}\nadded: {added / 1e6:.0f} MB")
    assert week["bytes"] > 5e8
    assert added < week["bytes"] / 8


# --- memory: what a long run's store shares ----------------------------------------------


def test_the_rules_store_gives_the_same_alerts(zone: Exported):
    """process_run keeps only the series the rules read: the same alerts as the whole store."""
    names = rule_metric_names(zone.run.rule)
    assert names is not None and "kube_pod_status_ready" not in names
    assert "kube_pod_status_phase" in names and "http_requests_total" in names
    small = series_store(zone.run, names=names)
    assert set(small.names()) < set(zone.store.names())
    got = evaluate_alerts(zone.run, small)
    assert got == evaluate_alerts(zone.run, zone.store)
    assert got == {k: zone.result[k] for k in ("alerts", "alert_intervals", "rule_interval")}
    lean = process_run(zone.run)  # what a study does: the rules' store, not kept
    assert "store" not in lean
    assert {k: lean[k] for k in got} == got


def test_rule_metric_names_falls_back_to_everything():
    rule = {"spec": {"groups": [{"name": "g", "rules": [
        {"record": "job:x:sum", "expr": "sum(x)"},
        {"alert": "A", "expr": "job:x:sum > 1"}]}]}}
    assert rule_metric_names(rule) == {"x", "job:x:sum"}  # a clash with a raw series stays
    regex = {"spec": {"groups": [{"name": "g", "rules": [
        {"alert": "A", "expr": '{__name__=~"x.*"} > 1'}]}]}}
    assert rule_metric_names(regex) is None
    broken = {"spec": {"groups": [{"name": "g", "rules": [{"alert": "A"}]}]}}
    assert rule_metric_names(broken) is None  # evaluate_rules reports what is wrong


def test_a_pods_series_share_their_timestamps(zone: Exported):
    by_pod: dict[str, list[Any]] = {}
    for s in zone.store:
        pod = s.label_dict.get("pod")
        if pod and s.name in ("kube_pod_status_phase", "kube_pod_container_resource_limits",
                              "kube_pod_status_ready"):
            by_pod.setdefault(pod, []).append(s)
    assert by_pod
    for series in by_pod.values():
        phases = [s for s in series if s.name == "kube_pod_status_phase"]
        limits = [s for s in series if s.name == "kube_pod_container_resource_limits"]
        assert len(phases) == 5 and limits
        first = phases[0]
        # The phases and limits come from every scrape of the pod; its ready series
        # from those where it had a node: the same array whenever the same scrapes.
        for s in series:
            if s.name != "kube_pod_status_ready" or np.array_equal(s.t_ms, first.t_ms):
                assert s.t_ms is first.t_ms


def test_a_phase_never_held_is_one_broadcast_zero(zone: Exported):
    phases = [s for s in zone.run.series if s.family == "kube_pod_status_phase"]
    never = [s for s in phases if not np.any(s.v)]
    held = [s for s in phases if np.any(s.v)]
    assert never and held
    assert all(s.v.strides == (0,) and len(s.v) == len(s.k) for s in never)
    assert all(set(np.unique(s.v)) <= {0.0, 1.0} for s in held)
