"""What the monitoring would have seen (DESIGN §11): a Prometheus scraping the run.

:class:`MonitoringObserver` watches one run (:class:`capacity.sim.engine.Observer`) and
takes, every ``monitoring.scrapeInterval``, the samples a Prometheus with the usual
scrape jobs would have stored:

* **cAdvisor** (kubelet ``/metrics/cadvisor``, job ``kubelet``):
  ``container_cpu_usage_seconds_total`` (the container's cumulative CPU, reset when it
  restarts) and ``container_memory_working_set_bytes``, per running container, labelled
  ``namespace, pod, container, image, node`` plus the kube-prometheus target labels
  ``job="kubelet", service="kubelet", endpoint="https-metrics",
  metrics_path="/metrics/cadvisor", instance="<node>:10250"``.
* **kube-state-metrics** (job ``kube-state-metrics``, ``honorLabels`` so its own
  ``namespace``/``pod``/``container`` win): ``kube_pod_status_phase{phase}`` (all five
  phases, 1 for the current one), ``kube_pod_status_ready{condition}`` (true, false,
  unknown; once the pod is bound, as the Ready condition exists from then),
  ``kube_pod_container_status_restarts_total`` (bound pods), ``kube_pod_container_resource_
  requests`` / ``_limits{resource, unit}`` (cores and bytes, from the pod spec),
  ``kube_deployment_spec_replicas``, ``kube_deployment_status_replicas_available`` (pods
  Ready for ``minReadySeconds``, not being deleted, over all ReplicaSets) and
  ``kube_horizontalpodautoscaler_status_desired_replicas``.
* **the application**, through the emitted ServiceMonitor (``job`` and ``service`` the
  Service's name, ``endpoint`` the metrics port's name, ``container`` the container that
  exposes it, ``namespace``, ``pod``, ``instance="<pod IP>:<port>"``): ``http_requests_
  total{code}`` and ``http_request_duration_seconds`` (``_bucket{le}`` with client_golang's
  default buckets, ``_sum``, ``_count``), counted per pod from the serving model.

What the application's own counters see (this decides what HighErrorRate can see):

* ``code="200"``: every request the pod accepted. A request the client gave up on
  (``timeout``) is still finished by the pod and answered 200 late, to nobody: it is a 200
  here and its whole response time lands in the histogram, as a real server's middleware
  records it;
* ``code="503"``: requests refused because the pod's queue was full (``queueLimit``);
  ``code="429"``: refused by ``maxRequestsPerSecondPerPod``. Rejections are not in the
  histogram (the handler never ran);
* ``no_endpoint`` and ``dead_endpoint`` errors never reach a pod: the ingress would count
  them, the application's ServiceMonitor cannot. So HighErrorRate fires on queue-full
  rejections only; a zone outage shows up in LowAvailability, ReplicaMismatch and
  PodNotReady, not in the error rate.

Requests are counted when they arrive (the serving model's fluid has no completion
times); the histogram's share under each bound is the queue's response-time distribution
over the scrape interval (steady queues) or the linear response time of an overloaded one.
Counters are whole numbers (the floor of the fluid count) and start again at 0 when the
container restarts; a code's series appears with its first request, the histogram with
the process.

Targets and staleness: a pod's cAdvisor and application series exist while its
containers run on a live node; the application target leaves with the endpoint when the
pod is deleted (terminating pods leave the Endpoints), and a dead node's targets are not
scraped (the scrape fails). kube-state-metrics keeps reporting every pod object. A
series that stops gets a staleness marker at the next scrape, as Prometheus' scrape loop
writes one; the in-memory store the alerts are evaluated on has them; OpenMetrics text
cannot hold them, so ``metrics.om`` and the TSDB blocks made from it do not (a query
there sees a vanished series for the 5-minute lookback).

Invented labels: pod IPs (``10.244.x.y`` in order of creation), the instance names of
the kubelet (node name) and of kube-state-metrics. Not exported: cAdvisor's ``id`` and
``name`` (cgroup path, container ID), ksm's ``uid`` and the ``node`` label of its
resource series. Restarts count container starts after the first (startup-probe kills
and a node coming back); two restarts within one scrape interval count once (the
startup probe cannot kill faster than every ~70 s). Every target is scraped at the same
instants, ``k × scrapeInterval`` from the run's start (a real Prometheus spreads targets
over the interval).

Files (when :class:`MonitoringSettings` has an ``export_dir``): each run writes, per
2-hour TSDB block window (aligned as ``promtool`` aligns blocks), one OpenMetrics file
that ``promtool tsdb create-blocks-from openmetrics`` turns into that window's block (so
promtool reads each sample once: it re-reads its whole input once per 2-hour block), and
appends each metric's text to a per-family fragment with an index; the parent merges the
fragments of all runs into one ``metrics.om`` (:func:`assemble_export`) by copying byte
ranges. Nothing but the run's numeric samples (about 8 bytes each) is held in memory.
Runs are placed one after another in time, run ``r`` starting ``r × W`` after
``epoch``, ``W`` the smallest whole number of weeks longer than the run plus an hour, so
weekdays stay weekdays and no window reaches from one run into the next.

This module uses the pure PromQL, alerting and OpenMetrics code of
:mod:`capacity.analysis` (which imports nothing from :mod:`capacity.sim`).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import pickle
import shutil
import subprocess
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from capacity.analysis.alerting import evaluate_rules
from capacity.analysis.openmetrics import OpenMetricsWriter
from capacity.analysis.promql import STALE_NAN, SeriesStore
from capacity.k8s.types import CONDITION_TRUE, POD_READY
from capacity.manifests.emit import alerts_from_scenario, build_manifests
from capacity.sim import queueing as qm
from capacity.sim.serving import PROMETHEUS_BUCKETS
from capacity.sim.workload import OFF, SERVING

__all__ = [
    "BLOCK_SECONDS",
    "DEFAULT_EPOCH",
    "FAMILIES",
    "RULE_INTERVAL",
    "MonitoringObserver",
    "MonitoringSettings",
    "assemble_export",
    "export_staging",
    "run_shift",
]

#: Run 0 starts at 2026-01-05T00:00:00Z, a Monday (the load profiles' default start).
DEFAULT_EPOCH = 1767571200.0
#: ``tsdb.DefaultBlockDuration``: promtool cuts its input into blocks of 2 hours.
BLOCK_SECONDS = 7200.0
#: The Prometheus Operator's default ``evaluationInterval`` (PrometheusSpec), which a
#: PrometheusRule group without ``interval`` is evaluated at.
RULE_INTERVAL = 30.0
WEEK = 7 * 86400.0

_BLOCK_MS = int(BLOCK_SECONDS * 1000)
_LE = (*PROMETHEUS_BUCKETS, math.inf)
_NB = len(PROMETHEUS_BUCKETS)
# Per-pod application counters: 200, 503, 429, latency sum, then the finite buckets.
_C200, _C503, _C429, _SUM, _B0 = 0, 1, 2, 3, 4
_NV = _B0 + _NB

_PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
_PHASE_INDEX = {ph: i for i, ph in enumerate(_PHASES)}
_READY = ("true", "false", "unknown")

#: Family name → (OpenMetrics type, help), in the order they are written.
FAMILIES: dict[str, tuple[str, str]] = {
    "container_cpu_usage_seconds": ("counter", "Cumulative cpu time consumed in seconds."),
    "container_memory_working_set_bytes": ("gauge", "Current working set in bytes."),
    "http_request_duration_seconds": ("histogram", "Duration of HTTP requests the pod "
                                      "handled, in seconds."),
    "http_requests": ("counter", "HTTP requests by status code."),
    "kube_deployment_spec_replicas": ("gauge", "Number of desired pods for a deployment."),
    "kube_deployment_status_replicas_available": ("gauge", "The number of available "
                                                  "replicas per deployment."),
    "kube_horizontalpodautoscaler_status_desired_replicas": ("gauge", "Desired number of "
                                                             "replicas of pods managed by "
                                                             "this autoscaler."),
    "kube_pod_container_resource_limits": ("gauge", "The number of requested limit resource "
                                           "by a container."),
    "kube_pod_container_resource_requests": ("gauge", "The number of requested request "
                                             "resource by a container."),
    "kube_pod_container_status_restarts": ("counter", "The number of container restarts per "
                                           "container."),
    "kube_pod_status_phase": ("gauge", "The pods current phase."),
    "kube_pod_status_ready": ("gauge", "Describes whether the pod is ready to serve "
                              "requests."),
}

_KSM = {"job": "kube-state-metrics", "service": "kube-state-metrics", "endpoint": "http",
        "instance": "kube-state-metrics:8080"}


@dataclass(frozen=True)
class MonitoringSettings:
    """What the observer does (picklable: built in the parent, the observer in the worker).

    ``export_dir``: a folder all workers can write (made by :func:`export_staging`); None
    writes nothing. ``alerts``: evaluate the emitted PrometheusRule on the run's series at
    ``rule_interval`` seconds (None: the group's own ``interval``, else
    :data:`RULE_INTERVAL`). ``epoch``: Unix seconds of run 0's start in the files.
    ``promtool``: the promtool to build TSDB blocks with (None: no blocks).
    ``keep_store``: also return the run's series store (tests).
    """

    export_dir: str | None = None
    alerts: bool = True
    rule_interval: float | None = RULE_INTERVAL
    epoch: float = DEFAULT_EPOCH
    promtool: str | None = None
    keep_store: bool = False


def run_shift(run: int, duration: float) -> float:
    """Seconds from run 0's start to run ``run``'s in the exported files."""
    weeks = math.floor((duration + 3600.0) / WEEK) + 1
    return run * weeks * WEEK


# --- one series at the end of a run ------------------------------------------------------


@dataclass
class _Series:
    family: str
    labels: dict[str, str]
    k: np.ndarray  # scrape indices, increasing
    v: np.ndarray | None = None  # counter/gauge values
    hist: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # buckets, sum, count

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.labels.items()))


class _PodRec:
    """Everything scraped about one pod."""

    __slots__ = ("app", "app_k", "app_start", "cpu", "ctr_k", "ip", "ksm_k", "last_start", "mem", "name",
                 "node", "phase", "ready", "ready_k", "restarts", "rst")

    def __init__(self, name: str, ip: str) -> None:
        self.name = name
        self.ip = ip
        self.node: str | None = None
        self.ksm_k = array("i")
        self.phase = array("b")
        self.ready_k = array("i")
        self.ready = array("b")
        self.rst = array("i")
        self.ctr_k = array("i")
        self.cpu = array("d")
        self.mem = array("d")
        self.app_k = array("i")
        self.app = array("d")
        self.app_start = array("d")  # the container's start, per application sample
        self.last_start: float | None = None
        self.restarts = 0


def _i(a: array) -> np.ndarray:
    return np.frombuffer(a, dtype=np.int32).astype(np.int64) if len(a) else np.zeros(0, np.int64)


def _f(a: array) -> np.ndarray:
    return np.frombuffer(a, dtype=np.float64).copy() if len(a) else np.zeros(0)


class MonitoringObserver:
    """Scrapes one run as Prometheus would (module docstring); ``finish`` returns a dict:
    ``scrape_interval``, ``scrapes``, ``series``, ``samples``, ``alerts`` (name → DESIGN
    §11 entry for this run), ``alert_intervals`` (every episode: ``alert``, ``severity``,
    ``labels``, ``pending_since``, ``firing_since``, ``resolved_at``, seconds into the
    run), ``rule_interval``, ``export`` (what :func:`assemble_export` needs, or None) and
    ``store`` with ``keep_store``."""

    name = "monitoring"

    def __init__(self, settings: MonitoringSettings | None = None) -> None:
        self.settings = settings or MonitoringSettings()
        self._pods: dict[str, _PodRec] = {}
        self._acc: dict[str, tuple[float | None, np.ndarray]] = {}
        self._cdf: dict[int, tuple[Any, np.ndarray, float]] = {}
        self._dep_k = array("i")
        self._dep_spec = array("d")
        self._dep_avail = array("d")
        self._hpa = array("d")
        self._k = 0

    # --- set-up ------------------------------------------------------------------------
    def start(self, model: Any) -> None:
        """Read the emitted manifests for the labels and start the scrape loop."""
        self.m = model
        sc = model.sc
        self.interval = float(sc.monitoring.scrapeInterval)
        self.ns = model.wl.namespace
        self.deployment = model.wl.name
        files = build_manifests(sc, alerts_from_scenario(sc))
        objs = [o for group in files.values() for o in group]
        self.rule = next(o for o in objs if o["kind"] == "PrometheusRule")
        svc = next((o for o in objs if o["kind"] == "Service"), None)
        sm = next((o for o in objs if o["kind"] == "ServiceMonitor"), None)
        hpa = next((o for o in objs if o["kind"] == "HorizontalPodAutoscaler"), None)
        self.hpa_name = hpa["metadata"]["name"] if hpa is not None else None
        self.app_labels: dict[str, str] | None = None
        self.app_port = 0
        spec = sc.workload.deployment.template.spec
        if sm is not None and svc is not None:
            ep = sm["spec"]["endpoints"][0]
            port_name, number = ep.get("port"), ep.get("targetPort")
            for c in spec.containers:
                for p in c.ports or []:
                    if (port_name is not None and p.get("name") == port_name) or \
                            (port_name is None and p.get("containerPort") == number):
                        self.app_port = int(p["containerPort"])
                        name = svc["metadata"]["name"]
                        self.app_labels = {"namespace": self.ns, "job": name, "service": name,
                                           "container": c.name,
                                           "endpoint": port_name or str(number)}
        self.images = {c.name: c.image or "" for c in spec.containers}
        self.containers = list(model.wl.containers)
        self.serving = model.wl.serving_container
        self.export_hist = self.settings.export_dir is not None
        # values kept per application sample: the three codes, plus sum and buckets when
        # the histogram is written
        self._nv = _NV if self.export_hist else _C429 + 1
        p = model.srv.p
        self._fixed = p.fixed
        self._work = p.work
        self._cap = p.rate_cap
        self._le = np.asarray(PROMETHEUS_BUCKETS, dtype=float)
        model.srv.watchers.append(self._advance)
        model.env.process(self._loop())

    def _loop(self) -> Iterator[Any]:
        env = self.m.env
        while True:
            t = self._k * self.interval
            if t >= self.m.duration:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            self._scrape(self._k)
            self._k += 1

    # --- the application's counters --------------------------------------------------------
    def _steady(self, st: Any) -> tuple[np.ndarray, float]:
        hit = self._cdf.get(id(st))
        if hit is not None and hit[0] is st:
            return hit[1], hit[2]
        pw, th, svc, cv2 = st.distribution(self._work)
        f = np.clip(qm.response_cdf(self._le, self._fixed, pw, th, svc, cv2), 0.0, 1.0)
        mean = self._fixed + pw * th + svc
        if len(self._cdf) > 4096:
            self._cdf.clear()
        self._cdf[id(st)] = (st, f, mean)  # holding st keeps its id from being reused
        return f, mean

    def _inc(self, c: Any, a: float, b: float) -> np.ndarray | None:
        """Per-pod counter increments of class ``c`` over ``[a, b]`` (no event inside)."""
        dt = b - a
        if dt <= 0:
            return None
        out = np.zeros(_NV)
        limited = max(c.lam - self._cap, 0.0) if self._cap != math.inf else 0.0
        out[_C429] = limited * dt
        out[_C503] = max(c.rejected - limited, 0.0) * dt
        acc = c.accepted * dt
        if acc > 0 and c.fluid and c.mu == 0:
            return out  # never answered: a pod without CPU for requests
        if acc > 0 and not self.export_hist:
            out[_C200] = acc  # the latency histogram is only written to files
        elif acc > 0:
            if c.fluid:
                srv = self.m.srv
                ra = srv.response_time(c, max(c.backlog(a), 0.0))
                rb = srv.response_time(c, max(c.backlog(b), 0.0))
                if math.isinf(ra) or math.isinf(rb):
                    return out  # never answered: a pod without CPU for requests
                lo, hi = min(ra, rb), max(ra, rb)
                if hi > lo:
                    f = np.clip((self._le - lo) / (hi - lo), 0.0, 1.0)
                else:
                    f = (self._le >= lo).astype(float)
                mean = (ra + rb) / 2
            else:
                if c.state is None:
                    return out
                f, mean = self._steady(c.state)
            out[_C200] = acc
            out[_SUM] = acc * mean
            out[_B0:] = acc * f
        return out

    def _advance(self, t0: float, t1: float, classes: Sequence[Any]) -> None:
        """Serving-model watcher: fold one integration step into the pods' counters."""
        for c in classes:
            if c.n == 0:
                continue
            inc = self._inc(c, t0, t1)
            if inc is None:
                continue
            for p in c.pods:
                key = p.pod.name
                entry = self._acc.get(key)
                if entry is None or entry[0] != p.container_start:
                    self._acc[key] = (p.container_start, inc.copy())
                else:
                    entry[1].__iadd__(inc)

    def _app_now(self, p: Any, now: float) -> np.ndarray:
        entry = self._acc.get(p.pod.name)
        vals = entry[1].copy() if entry is not None and entry[0] == p.container_start \
            else np.zeros(_NV)
        if p.mode == SERVING and p.cls is not None:
            extra = self._inc(p.cls, self.m.last_t, now)
            if extra is not None:
                vals += extra
        return vals

    # --- one scrape ------------------------------------------------------------------------
    def _scrape(self, k: int) -> None:
        m = self.m
        now = m.env.now
        mrs = m.wl.min_ready_seconds
        avail = 0
        base_mem = m.wl.base_memory
        for p in m.pods:
            name = p.pod.name
            rec = self._pods.get(name)
            if rec is None:
                n = len(self._pods) + 1
                rec = self._pods[name] = _PodRec(name, f"10.244.{n // 250}.{n % 250 + 2}")
            pod = p.pod
            rec.ksm_k.append(k)
            rec.phase.append(_PHASE_INDEX.get(pod.phase, 4))
            if p.node is not None:
                rec.node = p.node
                cond_true = bool(pod.conditions) and any(
                    c.type == POD_READY and c.status == CONDITION_TRUE for c in pod.conditions)
                rec.ready_k.append(k)
                rec.ready.append(1 if cond_true and (p.alive or p.endpoint) else 0)
                cs = p.container_start
                if cs is not None:
                    if rec.last_start is not None and cs != rec.last_start:
                        rec.restarts += 1
                    rec.last_start = cs
                rec.rst.append(rec.restarts)
            if not p.deleted and p.ready_at is not None and p.endpoint \
                    and p.ready_at + mrs <= now:
                avail += 1
            if p.container_start is None or p.mode == OFF or not p.alive:
                continue
            rec.ctr_k.append(k)
            rec.cpu.append(max(m._cum(p, now), 0.0))
            rec.mem.append(m.srv.memory_at(p.cls, now) if p.mode == SERVING else base_mem)
            if not p.deleted and self.app_labels is not None:
                rec.app_k.append(k)
                rec.app.extend(self._app_now(p, now)[:self._nv].tolist())
                rec.app_start.append(p.container_start)
        self._dep_k.append(k)
        self._dep_spec.append(m.spec_replicas)
        self._dep_avail.append(avail)
        self._hpa.append(m.last_desired)

    # --- the end of the run --------------------------------------------------------------
    def finish(self, model: Any) -> dict[str, Any]:
        """The last scrape (at the end of the run, if on the grid), alerts, files."""
        k_end = model.duration / self.interval
        if abs(k_end - round(k_end)) < 1e-9 and round(k_end) == self._k:
            self._scrape(self._k)
            self._k += 1
        series = list(self._series())
        out: dict[str, Any] = {
            "scrape_interval": self.interval,
            "scrapes": self._k,
            # a histogram is its buckets (+Inf included), _sum and _count
            "series": sum(1 if s.hist is None else _NB + 3 for s in series),
            "samples": int(sum(len(s.k) * (1 if s.hist is None else _NB + 3)
                               for s in series)),
            "alerts": None,
            "alert_intervals": None,
            "rule_interval": self.settings.rule_interval,
            "export": None,
        }
        store = None
        if self.settings.alerts or self.settings.keep_store:
            store = self.store(series)
        if self.settings.alerts:
            out.update(self._alerts(store, model.duration))
        if self.settings.keep_store:
            out["store"] = store
        if self.settings.export_dir is not None:
            out["export"] = self._export(series, model)
        return out

    def _t(self, k: np.ndarray) -> np.ndarray:
        return k * self.interval

    def _series(self) -> Iterator[_Series]:
        """Every series of the run (labels without ``__name__``; families as FAMILIES)."""
        ns = self.ns
        for rec in self._pods.values():
            pod = {"namespace": ns, "pod": rec.name}
            ksm_k = _i(rec.ksm_k)
            phase = np.frombuffer(rec.phase, dtype=np.int8) if len(rec.phase) else np.zeros(0)
            for j, ph in enumerate(_PHASES):
                yield _Series("kube_pod_status_phase", {**pod, **_KSM, "phase": ph}, ksm_k,
                              (phase == j).astype(float))
            for c in self.containers:
                ctr = {**pod, **_KSM, "container": c.name}
                for fam, amounts in (("kube_pod_container_resource_requests", c.requests),
                                     ("kube_pod_container_resource_limits", c.limits)):
                    for res, milli in sorted(amounts.items()):
                        unit = "core" if res == "cpu" else ("byte" if res in (
                            "memory", "ephemeral-storage") else "integer")
                        yield _Series(fam, {**ctr, "resource": res.replace("-", "_"),
                                            "unit": unit}, ksm_k,
                                      np.full(len(ksm_k), milli / 1000.0))
            if len(rec.ready_k):
                rk = _i(rec.ready_k)
                ready = np.frombuffer(rec.ready, dtype=np.int8)
                for cond, want in (("true", 1), ("false", 0), ("unknown", -1)):
                    yield _Series("kube_pod_status_ready", {**pod, **_KSM, "condition": cond},
                                  rk, (ready == want).astype(float))
                rst = _i(rec.rst).astype(float)
                for c in self.containers:
                    yield _Series("kube_pod_container_status_restarts",
                                  {**pod, **_KSM, "container": c.name}, rk, rst)
            if len(rec.ctr_k):
                ck = _i(rec.ctr_k)
                cpu, mem = _f(rec.cpu), _f(rec.mem)
                node = rec.node or ""
                for c in self.containers:
                    lab = {**pod, "container": c.name, "image": self.images.get(c.name, ""),
                           "node": node, "job": "kubelet", "service": "kubelet",
                           "endpoint": "https-metrics", "metrics_path": "/metrics/cadvisor",
                           "instance": f"{node}:10250"}
                    mine = c.name == self.serving
                    # Only the serving container works in the model; the others idle at 0.
                    yield _Series("container_cpu_usage_seconds", lab, ck,
                                  cpu if mine else np.zeros(len(ck)))
                    yield _Series("container_memory_working_set_bytes", lab, ck,
                                  mem if mine else np.zeros(len(ck)))
            if len(rec.app_k) and self.app_labels is not None:
                yield from self._app_series(rec, pod)
        dk = _i(self._dep_k)
        dep = {"namespace": ns, "deployment": self.deployment, **_KSM}
        yield _Series("kube_deployment_spec_replicas", dep, dk, _f(self._dep_spec))
        yield _Series("kube_deployment_status_replicas_available", dep, dk, _f(self._dep_avail))
        if self.hpa_name is not None:
            yield _Series("kube_horizontalpodautoscaler_status_desired_replicas",
                          {"namespace": ns, "horizontalpodautoscaler": self.hpa_name, **_KSM},
                          dk, _f(self._hpa))

    def _app_series(self, rec: _PodRec, pod: dict[str, str]) -> Iterator[_Series]:
        ak = _i(rec.app_k)
        vals = _f(rec.app).reshape(-1, self._nv)
        counts = np.floor(vals[:, [_C200, _C503, _C429]] + 1e-7)
        lab = {**self.app_labels, **pod, "instance": f"{rec.ip}:{self.app_port}"}  # type: ignore[dict-item]
        # A counter resets with its process: split the samples at the restarts.
        starts = np.flatnonzero(np.diff(_f(rec.app_start)) != 0) + 1
        pieces = np.split(np.arange(len(ak)), starts)
        for j, code in enumerate(("200", "503", "429")):
            keep = np.zeros(len(ak), dtype=bool)
            for idx in pieces:
                # client_golang creates a code's child with its first request
                c = counts[idx, j]
                keep[idx[c >= 1]] = True
            if keep.any():
                yield _Series("http_requests", {**lab, "code": code}, ak[keep],
                              counts[keep, j])
        if self.export_hist:
            b = np.floor(vals[:, _B0:] + 1e-7)
            total = counts[:, 0]
            b = np.minimum(np.maximum.accumulate(b, axis=1), total[:, None])
            buckets = np.concatenate([b, total[:, None]], axis=1)
            yield _Series("http_request_duration_seconds", lab, ak,
                          hist=(buckets, vals[:, _SUM].copy(), total.copy()))

    # --- the store and the alerts -------------------------------------------------------------
    def store(self, series: Sequence[_Series], stale: bool = True) -> SeriesStore:
        """The run's counter and gauge series (histograms left out: no rule reads them),
        times in seconds from the run's start; ``stale``: with staleness markers at the
        scrape after each stretch of samples (as the scrape loop writes them)."""
        st = SeriesStore(scrape_interval=self.interval)
        last = self._k - 1
        for s in series:
            if s.v is None or not len(s.k):
                continue
            name = s.family + ("_total" if FAMILIES[s.family][0] == "counter" else "")
            k, v = s.k, s.v
            if stale:
                ends = np.flatnonzero(np.diff(k) > 1)
                gap_end = np.concatenate([k[ends] + 1, [k[-1] + 1]])
                gap_end = gap_end[gap_end <= last]
                if len(gap_end):
                    k = np.concatenate([k, gap_end])
                    v = np.concatenate([v, np.full(len(gap_end), STALE_NAN)])
                    order = np.argsort(k, kind="stable")
                    k, v = k[order], v[order]
            st.add({"__name__": name, **s.labels}, self._t(k), v)
        return st

    def _alerts(self, store: SeriesStore, duration: float) -> dict[str, Any]:
        ri = self.settings.rule_interval
        groups = self.rule["spec"]["groups"]
        if ri is not None:
            groups = [{k: v for k, v in g.items() if k != "interval"} for g in groups]
        res = evaluate_rules(groups, store, 0.0, duration,
                             default_interval=ri if ri is not None else RULE_INTERVAL)
        intervals = [{"alert": a.name, "severity": a.severity, "labels": dict(iv.labels),
                      "pending_since": iv.pending_since, "firing_since": iv.firing_since,
                      "resolved_at": iv.resolved_at}
                     for a in res.alerts for iv in a.intervals]
        return {"alerts": res.summary(), "alert_intervals": intervals,
                "rule_interval": ri if ri is not None else RULE_INTERVAL}

    # --- files ---------------------------------------------------------------------------
    def _export(self, series: list[_Series], model: Any) -> dict[str, Any]:
        """Window files (→ promtool blocks) and per-family fragments with their index."""
        root = Path(self.settings.export_dir) / f"run-{model.run_index}"  # type: ignore[arg-type]
        root.mkdir(parents=True, exist_ok=True)
        base_ms = round((self.settings.epoch + run_shift(model.run_index, model.duration))
                        * 1000)
        step_ms = round(self.interval * 1000)
        series.sort(key=lambda s: (s.family, s.key))
        abs_ms = [base_ms + s.k * step_ms for s in series]
        wins = [ms // _BLOCK_MS for ms in abs_ms]
        all_w = np.unique(np.concatenate(wins)) if series else np.zeros(0, np.int64)
        cursor = [0] * len(series)
        frags: dict[str, Any] = {}
        index: list[tuple[str, tuple[tuple[str, str], ...], int, int, int]] = []
        blocks = root / "blocks"
        promtool = self.settings.promtool
        written = 0
        try:
            for w in all_w.tolist():
                buf = io.StringIO()
                wr = OpenMetricsWriter(buf)
                fam_writer = None
                fam_name = None
                spans: list[tuple[str, tuple[tuple[str, str], ...], int, int]] = []
                for i, s in enumerate(series):
                    lo = cursor[i]
                    if lo >= len(wins[i]) or wins[i][lo] != w:
                        continue
                    hi = lo + int(np.searchsorted(wins[i][lo:], w, side="right"))
                    cursor[i] = hi
                    if s.family != fam_name:
                        fam_name = s.family
                        ty, help_ = FAMILIES[s.family]
                        fam_writer = wr.family(s.family, ty, help_)
                    a = buf.tell()
                    t = abs_ms[i][lo:hi] / 1000.0
                    if s.hist is not None:
                        bk, sm, ct = s.hist
                        fam_writer.histogram(s.labels, t, _LE, bk[lo:hi], sm[lo:hi],  # type: ignore[union-attr]
                                             ct[lo:hi])
                    else:
                        fam_writer.samples(s.labels, t, s.v[lo:hi])  # type: ignore[union-attr, index]
                    spans.append((s.family, s.key, a, buf.tell()))
                wr.close()
                text = buf.getvalue()
                for fam, key, a, b in spans:
                    fh = frags.get(fam)
                    if fh is None:
                        fh = frags[fam] = open(root / f"{fam}.frag", "ab")  # noqa: SIM115
                    data = text[a:b].encode("utf-8")
                    index.append((fam, key, w, fh.tell(), len(data)))
                    fh.write(data)
                    written += len(data)
                if promtool is not None:
                    win = root / f"window-{w}.om"
                    win.write_text(text, encoding="utf-8")
                    r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics",
                                        "-q", str(win), str(blocks)],
                                       capture_output=True, text=True, timeout=600)
                    win.unlink()
                    if r.returncode != 0:
                        raise RuntimeError(f"promtool tsdb create-blocks-from openmetrics "
                                           f"failed on run {model.run_index}: "
                                           f"{(r.stderr or r.stdout).strip()[-2000:]}")
        finally:
            for fh in frags.values():
                fh.close()
        idx_path = root / "index.pkl"
        with open(idx_path, "wb") as fh:
            pickle.dump(index, fh)
        return {"dir": str(root), "index": str(idx_path), "bytes": written,
                "blocks": str(blocks) if promtool is not None else None,
                "start": base_ms / 1000.0, "windows": len(all_w)}


# --- the parent: one metrics.om and one blocks/ from every run ------------------------------


@contextlib.contextmanager
def export_staging(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder beside ``target`` for the runs' exports; removed afterwards."""
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _header(family: str) -> str:
    buf = io.StringIO()
    wr = OpenMetricsWriter(buf)
    ty, help_ = FAMILIES[family]
    wr.family(family, ty, help_)
    return buf.getvalue()


def assemble_export(target: str | os.PathLike[str], staging: str | os.PathLike[str],
                    exports: Sequence[dict[str, Any] | None],
                    progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Merge the runs' exports (``finish()["export"]``, in run order) into
    ``target/metrics.om`` and ``target/blocks/`` (when blocks were built), written whole:
    everything is assembled in ``staging`` and renamed into place at the end (an existing
    ``metrics.om`` and ``blocks/`` are replaced, other files in ``target`` are left alone).
    Returns ``{"path", "bytes", "blocks", "runs"}``."""
    target, staging = Path(target), Path(staging)
    parts = [e for e in exports if e is not None]
    out = staging / "assembled"
    out.mkdir()
    by_family: dict[str, dict[tuple[tuple[str, str], ...], list[tuple[int, int, int, int]]]] = {}
    for r, e in enumerate(parts):
        with open(e["index"], "rb") as fh:
            for fam, key, w, off, n in pickle.load(fh):
                by_family.setdefault(fam, {}).setdefault(key, []).append((r, w, off, n))
    om = out / "metrics.om"
    with open(om, "wb") as dst:
        for fam in FAMILIES:
            metrics = by_family.get(fam)
            if not metrics:
                continue
            dst.write(_header(fam).encode("utf-8"))
            handles = {r: open(Path(e["dir"]) / f"{fam}.frag", "rb")  # noqa: SIM115
                       for r, e in enumerate(parts) if (Path(e["dir"]) / f"{fam}.frag").exists()}
            try:
                for key in sorted(metrics):
                    for r, _w, off, n in sorted(metrics[key]):
                        fh = handles[r]
                        fh.seek(off)
                        dst.write(fh.read(n))
            finally:
                for fh in handles.values():
                    fh.close()
        dst.write(b"# EOF\n")
    nblocks = 0
    blocks = [Path(e["blocks"]) for e in parts if e.get("blocks")]
    if blocks:
        bdir = out / "blocks"
        bdir.mkdir()
        for b in blocks:
            if not b.exists():
                continue
            for d in sorted(b.iterdir()):
                if d.is_dir() and not d.name.startswith(".") and (d / "meta.json").exists():
                    os.replace(d, bdir / d.name)
                    nblocks += 1
    size = om.stat().st_size
    _land(out, target, ["metrics.om", "blocks"] if blocks else ["metrics.om"])
    return {"path": str(target / "metrics.om"), "bytes": size,
            "blocks": nblocks if blocks else None, "runs": len(parts)}


def _land(src: Path, target: Path, names: list[str]) -> None:
    """Rename ``src`` to ``target`` (absent), or its ``names`` into ``target`` (present),
    the old ones moved aside first and put back if a rename fails."""
    if not target.exists():
        os.replace(src, target)
        return
    if not target.is_dir():
        raise OSError(f"{target}: exists and is not a directory")
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    moved: list[str] = []
    done: list[str] = []
    try:
        for n in names:
            if (target / n).exists():
                os.replace(target / n, aside / n)
                moved.append(n)
        for n in names:
            os.replace(src / n, target / n)
            done.append(n)
    except OSError:
        for n in done:
            with contextlib.suppress(OSError):
                os.replace(target / n, src / n)
        for n in moved:
            with contextlib.suppress(OSError):
                os.replace(aside / n, target / n)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)

