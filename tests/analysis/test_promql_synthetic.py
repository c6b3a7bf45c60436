"""The synthetic monitoring data the cross-checks against Prometheus use, and its properties.

Three hours scraped every 30 s of what cAdvisor, kube-state-metrics and the application
would export for ``sandbox-executor`` in ``swissbrain`` (DESIGN §11 names), built so that
every one of the seven emitted alerts has something to do:

* pod A runs throughout and burns > 80 % of its CPU limit for 20 min (HighCPU fires) and
  > 85 % of its memory limit for 10 min (HighMemory fires);
* pod B restarts at 1h30m (CPU and request counters reset, restarts go 0 → 1:
  PodRestarting), has a short CPU burst (pending, never firing), and a 10 min gap in its
  memory series (absent after the 5 min lookback);
* pod C is created at 1h, Pending for 15 min (PodNotReady fires), deleted at 2h15m (its
  series end; with ``stale=True`` they end with a staleness marker);
* the Deployment is one replica short while C is Pending (870 s: ReplicaMismatch stays
  pending, LowAvailability fires) and two short from 2h30m for 20 min (both fire);
* 10 % of requests fail for 15 min (HighErrorRate fires);
* other pods (another app, another namespace) that the rules' matchers must exclude, a
  latency histogram, a gauge with NaN and ±Inf values, and counters that appear at 30 min
  whose zero point lies between half and 1.1 × a scrape interval before their first
  sample (where the order of the two extrapolation limits matters: 2.x caps at the zero
  point first).

``jitter=True`` moves each scrape by up to ±0.2 s (per-target offset plus noise), as real
scrapes land; ``promtool test rules`` input needs the regular grid (``jitter=False``).
"""

from __future__ import annotations

import numpy as np

from capacity.analysis.openmetrics import format_le
from capacity.analysis.promql import STALE_NAN, SeriesStore, is_stale

NS = "swissbrain"
WORKLOAD = "sandbox-executor"
CONTAINER = "sandbox-executor"
SPAN = 10800.0
SCRAPE = 30.0
POD_A = "sandbox-executor-5d8f7-aaaaa"
POD_B = "sandbox-executor-5d8f7-bbbbb"
POD_C = "sandbox-executor-5d8f7-ccccc"
OTHER = "other-app-7c9d-qqqqq"
STAGING = "sandbox-executor-5d8f7-zzzzz"
GI = 1024.0**3
LE = (0.05, 0.1, 0.25, 0.5, 1.0, float("inf"))

#: OpenMetrics family types of the synthetic series.
TYPES = {
    "container_cpu_usage_seconds_total": "counter",
    "container_memory_working_set_bytes": "gauge",
    "kube_pod_container_resource_limits": "gauge",
    "kube_pod_container_status_restarts_total": "counter",
    "kube_pod_status_phase": "gauge",
    "kube_pod_status_ready": "gauge",
    "kube_deployment_spec_replicas": "gauge",
    "kube_deployment_status_replicas_available": "gauge",
    "http_requests_total": "counter",
    "http_request_duration_seconds": "histogram",
    "synthetic_edge_values": "gauge",
    "synthetic_late_start": "counter",
}

GRID = np.arange(0.0, SPAN + 1, SCRAPE)


def _lifetime(pod: str) -> tuple[float, float]:
    return (3600.0, 8100.0) if pod == POD_C else (0.0, SPAN)


def synthetic_store(*, jitter: bool = False, stale: bool = False, seed: int = 7) -> SeriesStore:
    """The data set described in the module docstring (times in seconds from 0)."""
    rng = np.random.default_rng(seed)
    jitter_rng = np.random.default_rng(seed + 1)  # apart, so values do not depend on jitter
    st = SeriesStore(scrape_interval=SCRAPE)
    grids: dict[str, np.ndarray] = {}

    def add(labels: dict[str, str], mask: np.ndarray, values: np.ndarray, target: str) -> None:
        # All series of one scrape target share the scrape's timestamps, as in Prometheus.
        if target not in grids:
            off = jitter_rng.uniform(-0.15, 0.15) if jitter else 0.0
            noise = jitter_rng.uniform(-0.05, 0.05, len(GRID)) if jitter else 0.0
            grids[target] = np.maximum(GRID + off + noise, 0.0)
        t = grids[target][mask]
        v = np.asarray(values, dtype=np.float64)[mask]
        if stale:
            # The scrape after the series' last sample finds it gone: a staleness marker.
            last = np.flatnonzero(mask)[-1]
            if last + 1 < len(GRID):
                t = np.append(t, grids[target][last + 1])
                v = np.append(v, STALE_NAN)
        st.add(labels, t, v)

    n = len(GRID)
    for ns, pod in ((NS, POD_A), (NS, POD_B), (NS, POD_C), (NS, OTHER), ("staging", STAGING)):
        a, b = _lifetime(pod)
        alive = (a <= GRID) & (GRID <= b)  # noqa: SIM300
        ctr = {"namespace": ns, "pod": pod, "container": CONTAINER if pod != OTHER else "app"}
        kubelet, ksm, app = f"kubelet/{pod}", f"ksm/{pod}", f"app/{pod}"
        running = alive & ~((pod == POD_C) & (GRID < 4500))

        # CPU: cores used per scrape interval, integrated into the cAdvisor counter.
        cores = 0.45 + 0.1 * np.sin(GRID / 900.0) + rng.normal(0, 0.03, n)
        if pod == POD_A:
            cores = np.where((GRID >= 1800) & (GRID < 3000), 0.95 + rng.normal(0, 0.02, n), cores)
        if pod == POD_B:
            cores = np.where((GRID >= 6000) & (GRID < 6200), 0.92, cores)
        cores = np.where(running, np.clip(cores, 0.01, None), 0.0)
        cpu = 3.0 + np.cumsum(cores * SCRAPE)
        if pod == POD_B:  # container restart: the counter starts again near zero
            cpu = np.where(GRID >= 5400, cpu - cpu[GRID == 5400][0] + 0.8, cpu)
        add({"__name__": "container_cpu_usage_seconds_total", **ctr}, alive, cpu, kubelet)

        mem = 1.2 * GI + rng.normal(0, 0.02 * GI, n)
        if pod == POD_A:
            mem = np.where((GRID >= 7200) & (GRID < 7800), 1.8 * GI, mem)
        mem_mask = alive.copy()
        if pod == POD_B:
            mem_mask &= ~((GRID > 3000) & (GRID < 3600))
        add({"__name__": "container_memory_working_set_bytes", **ctr}, mem_mask,
            np.rint(mem), kubelet)

        for res, unit, lim in (("cpu", "core", 1.0), ("memory", "byte", 2 * GI)):
            add({"__name__": "kube_pod_container_resource_limits", **ctr, "resource": res,
                 "unit": unit}, alive, np.full(n, lim), ksm)
        restarts = np.where((pod == POD_B) & (GRID >= 5400), 1.0, 0.0)
        add({"__name__": "kube_pod_container_status_restarts_total", **ctr}, alive, restarts,
            ksm)
        for phase in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
            on = (~running & (phase == "Pending")) | (running & (phase == "Running"))
            add({"__name__": "kube_pod_status_phase", "namespace": ns, "pod": pod,
                 "phase": phase}, alive, on.astype(float), ksm)
        for cond in ("true", "false"):
            add({"__name__": "kube_pod_status_ready", "namespace": ns, "pod": pod,
                 "condition": cond}, alive, (running == (cond == "true")).astype(float), ksm)

        # Requests: Poisson counts per scrape interval by code; 10 % errors in a window.
        rps = np.where(running, 12.0 + 4 * np.sin(GRID / 1300.0), 0.0)
        err = np.where((GRID >= 6600) & (GRID < 7500), 0.10, 0.01)
        counts = {"200": rng.poisson(rps * SCRAPE * (1 - err)),
                  "500": rng.poisson(rps * SCRAPE * err * 0.7),
                  "503": rng.poisson(rps * SCRAPE * err * 0.3)}
        for code, c in counts.items():
            total = np.cumsum(c).astype(float)
            if pod == POD_B:
                total = np.where(GRID >= 5400, total - total[GRID == 5400][0] + c[GRID == 5400][0],
                                 total)
            add({"__name__": "http_requests_total", "namespace": ns, "pod": pod, "code": code},
                alive, total, app)

        # Latency histogram (cumulative buckets), same scrape timestamps for all its series.
        if pod in (POD_A, POD_B):
            req = counts["200"] + counts["500"] + counts["503"]
            lat = rng.exponential(0.12, (n, 40))
            share = np.stack([(lat <= le).mean(axis=1) for le in LE], axis=1)
            per = np.floor(share * req[:, None])
            per[:, -1] = req
            per = np.maximum.accumulate(per, axis=1)
            cum = np.cumsum(per, axis=0)
            sums = np.cumsum(req * lat.mean(axis=1))
            hl = {"namespace": ns, "pod": pod}
            for j, le in enumerate(LE):
                add({"__name__": "http_request_duration_seconds_bucket", **hl,
                     "le": format_le(le)}, alive, cum[:, j], app)
            add({"__name__": "http_request_duration_seconds_sum", **hl}, alive, sums, app)
            add({"__name__": "http_request_duration_seconds_count", **hl}, alive, cum[:, -1],
                app)

    dep = {"namespace": NS, "deployment": WORKLOAD}
    spec = np.where((GRID >= 3600) & (GRID < 8100), 3.0, 2.0)
    avail = np.where((GRID >= 3600) & (GRID < 4500), 2.0, spec)
    avail = np.where((GRID >= 9000) & (GRID < 10200), 1.0, avail)
    everywhere = np.ones(n, dtype=bool)
    add({"__name__": "kube_deployment_spec_replicas", **dep}, everywhere, spec, "ksm/dep")
    add({"__name__": "kube_deployment_status_replicas_available", **dep}, everywhere, avail,
        "ksm/dep")
    edge = rng.normal(0, 1, n)
    edge[[50, 51]] = np.nan
    edge[120] = np.inf
    edge[121] = -np.inf
    edge[200:203] = np.inf
    add({"__name__": "synthetic_edge_values", "namespace": NS, "kind": "edge"}, everywhere,
        edge, "misc")
    for i, frac in enumerate((0.6, 0.8, 1.0, 1.5)):
        step = 10.0 * (i + 1)
        late = (GRID >= 1800) & (GRID <= 5400)
        add({"__name__": "synthetic_late_start_total", "namespace": NS, "zero": f"{frac:g}"},
            late, frac * step + step * np.cumsum(late) - step, "misc")
    return st


def test_the_data_has_what_the_cross_checks_need():
    st = synthetic_store()
    cpu_b = st.get({"__name__": "container_cpu_usage_seconds_total", "namespace": NS,
                    "pod": POD_B, "container": CONTAINER})
    assert cpu_b is not None and (np.diff(cpu_b.v) < 0).sum() == 1  # one counter reset
    mem_b = st.get({"__name__": "container_memory_working_set_bytes", "namespace": NS,
                    "pod": POD_B, "container": CONTAINER})
    assert mem_b is not None and np.diff(mem_b.t).max() == 600.0  # a gap longer than 5 min
    cpu_c = st.get({"__name__": "container_cpu_usage_seconds_total", "namespace": NS,
                    "pod": POD_C, "container": CONTAINER})
    assert cpu_c is not None and (cpu_c.t[0], cpu_c.t[-1]) == (3600.0, 8100.0)
    edge = st.get({"__name__": "synthetic_edge_values", "namespace": NS, "kind": "edge"})
    assert edge is not None and np.isnan(edge.v).sum() == 2 and np.isinf(edge.v).sum() == 5
    assert not any(is_stale(s.v).any() for s in st)
    late = st.get({"__name__": "synthetic_late_start_total", "namespace": NS, "zero": "0.8"})
    assert late is not None and late.t[0] == 1800 and late.v[0] == 0.8 * 20
    assert np.all(np.diff(late.v) == 20)


def test_jitter_and_staleness_variants():
    plain, jit, stale = synthetic_store(), synthetic_store(jitter=True), synthetic_store(stale=True)
    assert len(plain) == len(jit) == len(stale)
    s0 = next(iter(plain))
    s1 = jit.get(s0.label_dict)
    assert s1 is not None and np.array_equal(s0.v, s1.v)
    off = s1.t - s0.t
    assert 0 < np.abs(off).max() <= 0.2 and not np.all(off == off[0])
    # Series of one scrape target share its timestamps.
    same = [s for s in jit if s.label_dict.get("pod") == POD_A and s.name.startswith("kube_")]
    assert len(same) > 3 and all(np.array_equal(x.t_ms, same[0].t_ms) for x in same)
    c = stale.get({"__name__": "container_cpu_usage_seconds_total", "namespace": NS,
                   "pod": POD_C, "container": CONTAINER})
    assert c is not None and is_stale(c.v[-1:]).all() and c.t[-1] == 8130.0
    # Series that run to the end of the span have no marker.
    a = stale.get({"__name__": "container_cpu_usage_seconds_total", "namespace": NS,
                   "pod": POD_A, "container": CONTAINER})
    assert a is not None and not is_stale(a.v).any()
    # Histogram series of one target share their timestamps, jittered or not.
    b = [s for s in jit if s.name.startswith("http_request_duration_seconds")
         and s.label_dict["pod"] == POD_A]
    assert len(b) == len(LE) + 2 and all(np.array_equal(x.t_ms, b[0].t_ms) for x in b)
