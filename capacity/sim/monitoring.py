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
writes one: the store the alerts are evaluated on has them
(:func:`capacity.analysis.monitoring_summary.series_store`); OpenMetrics text cannot hold
them, so ``metrics.om`` and the TSDB blocks made from it do not (a query there sees a
vanished series for the 5-minute lookback).

Invented labels: pod IPs (``10.244.x.y`` in order of creation), the instance names of
the kubelet (node name) and of kube-state-metrics. Not exported: cAdvisor's ``id`` and
``name`` (cgroup path, container ID), ksm's ``uid`` and the ``node`` label of its
resource series. Restarts count container starts after the first (startup-probe kills
and a node coming back); two restarts within one scrape interval count once (the
startup probe cannot kill faster than every ~70 s). Every target is scraped at the same
instants, ``k × scrapeInterval`` from the run's start (a real Prometheus spreads targets
over the interval).

What this module hands back is the run's series as numbers (:class:`MonitoringRun`),
and the PrometheusRule the scenario emits; evaluating the rules and writing OpenMetrics
and TSDB blocks are analysis (:mod:`capacity.analysis.monitoring_summary`,
:mod:`capacity.analysis.monitoring_export`), which a study hands to the observer as
``MonitoringSettings.process`` so that it runs in the worker, beside the run's data.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from capacity.k8s.types import CONDITION_TRUE, POD_READY
from capacity.manifests.emit import alerts_from_scenario, build_manifests
from capacity.sim import queueing as qm
from capacity.sim.serving import PROMETHEUS_BUCKETS, pieces_cdf
from capacity.sim.workload import OFF, SERVING

__all__ = [
    "FAMILIES",
    "LE",
    "MonitoredSeries",
    "MonitoringObserver",
    "MonitoringRun",
    "MonitoringSettings",
]

#: Upper bounds of ``http_request_duration_seconds`` (client_golang's DefBuckets, +Inf).
LE = (*PROMETHEUS_BUCKETS, math.inf)
_NB = len(PROMETHEUS_BUCKETS)
# Per-pod application counters: 200, 503, 429, latency sum, then the finite buckets.
_C200, _C503, _C429, _SUM, _B0 = 0, 1, 2, 3, 4
_NV = _B0 + _NB

_PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
_PHASE_INDEX = {ph: i for i, ph in enumerate(_PHASES)}

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
    """What the observer does (picklable: made in the parent, the observer in the worker).

    ``histograms``: also compute ``http_request_duration_seconds`` (only files need it;
    it costs a response-time distribution per queue state). ``process``: a picklable
    callable (a module-level function or a ``functools.partial`` of one) applied to the
    run's :class:`MonitoringRun` in the worker; its result goes into the outcome's
    ``extra["monitoring"]`` instead of the run's data.
    """

    histograms: bool = False
    process: Callable[[MonitoringRun], Any] | None = None


@dataclass
class MonitoredSeries:
    """One series of a run: ``family`` (a key of :data:`FAMILIES`; a counter's name
    without ``_total``), its labels without ``__name__``, ``k`` the scrape indices
    (increasing; time ``k × scrape_interval`` from the run's start) and either ``v``
    (counters and gauges) or ``hist`` (cumulative bucket counts shaped (len(k), len(LE)),
    sums, counts)."""

    family: str
    labels: dict[str, str]
    k: np.ndarray
    v: np.ndarray | None = None
    hist: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.labels.items()))

    @property
    def sample_name(self) -> str:
        """The metric name of a counter or gauge series as Prometheus stores it."""
        return self.family + ("_total" if FAMILIES[self.family][0] == "counter" else "")


@dataclass
class MonitoringRun:
    """What the observer saw in one run: its series, the scrape grid (``scrapes`` scrapes
    at ``k × scrape_interval`` s, k = 0 .. scrapes - 1) and the emitted PrometheusRule."""

    run: int
    duration: float
    scrape_interval: float
    scrapes: int
    rule: dict[str, Any]
    series: list[MonitoredSeries] = field(default_factory=list)

    def samples(self) -> int:
        """Samples in all series (a histogram point is its buckets, sum and count)."""
        return int(sum(len(s.k) * (1 if s.hist is None else len(LE) + 2) for s in self.series))

    def series_count(self) -> int:
        """Series as Prometheus counts them (each bucket, _sum and _count separately)."""
        return sum(1 if s.hist is None else len(LE) + 2 for s in self.series)


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


def _same(k: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``other`` when it holds the same scrapes as ``k``: series of one pod then share one
    array (and one timestamp array in the store)."""
    return other if np.array_equal(k, other) else k


def _indicator(codes: np.ndarray, want: int) -> np.ndarray:
    """1.0 where ``codes == want``, else 0.0; a state never held is one broadcast zero (most
    pods never see most phases), not a month of zeros."""
    hit = codes == want
    return hit.astype(float) if hit.any() else np.broadcast_to(0.0, len(codes))


class MonitoringObserver:
    """Scrapes one run as Prometheus would (module docstring); ``finish`` returns the
    run's :class:`MonitoringRun`, or ``settings.process`` of it."""

    name = "monitoring"

    def __init__(self, settings: MonitoringSettings | None = None) -> None:
        self.settings = settings or MonitoringSettings()
        self._pods: dict[str, _PodRec] = {}
        self._acc: dict[str, tuple[float | None, list[float]]] = {}
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
        self.export_hist = self.settings.histograms
        # values kept per application sample: the three codes, plus sum and buckets when
        # the histogram is written
        self._nv = _NV if self.export_hist else _C429 + 1
        p = model.srv.p
        self._fixed = p.fixed
        self._work = p.work
        self._cap = p.rate_cap
        self._le = np.asarray(PROMETHEUS_BUCKETS, dtype=float)
        self._bin_arrays: dict[int, tuple[np.ndarray, ...]] = {}  # _fluid_buckets, by id
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

    def _inc(self, c: Any, a: float, b: float) -> list[float] | None:
        """Per-pod counter increments of class ``c`` over ``[a, b]`` (no event inside):
        200, 503, 429, and with histograms the latency sum and the finite buckets.
        Plain floats: this runs for every class at every event and scrape."""
        dt = b - a
        if dt <= 0:
            return None
        limited = max(c.lam - self._cap, 0.0) if self._cap != math.inf else 0.0
        rejected = max(c.rejected - limited, 0.0) * dt
        acc = c.accepted * dt
        nv = self._nv
        if acc <= 0 or (c.fluid and c.mu == 0):  # (no CPU for requests: never answered)
            return [0.0, rejected, limited * dt] + [0.0] * (nv - 3)
        if nv == 3:  # the latency histogram is only written to files
            return [acc, rejected, limited * dt]
        if c.fluid:
            srv = self.m.srv
            wa, sa = srv.fluid_parts(c, max(c.backlog(a), 0.0))
            wb, sb = srv.fluid_parts(c, max(c.backlog(b), 0.0))
            ra, rb = wa + sa, wb + sb
            if math.isinf(ra) or math.isinf(rb):
                return [0.0, rejected, limited * dt] + [0.0] * (nv - 3)
            f = self._fluid_buckets(srv.work_bins_of(c), wa, sa, wb, sb)
            mean = (ra + rb) / 2
        else:
            if c.state is None:
                return [0.0, rejected, limited * dt] + [0.0] * (nv - 3)
            f, mean = self._steady(c.state)
        return [acc, rejected, limited * dt, acc * mean, *(acc * f).tolist()]

    def _fluid_buckets(self, bins: tuple[tuple[float, ...], ...], wa: float, sa: float,
                       wb: float, sb: float) -> np.ndarray:
        """Share of a fluid stretch's arrivals at or under each bucket bound: per bin of the
        work (``bins``: ServingModel.work_bins_of) the mean response time moves linearly
        from ``wa + x sa`` to ``wb + x sb`` over the stretch, spread over the bin's band at
        the narrower end's width, as the serving model's segments are (pieces_cdf)."""
        if len(bins[0]) == 1:
            return pieces_cdf(self._le, wa + sa, wb + sb, np.zeros(1))
        arrays = self._bin_arrays.get(id(bins))
        if arrays is None:
            arrays = self._bin_arrays[id(bins)] = tuple(np.asarray(v)[:, None] for v in bins)
        pb, x, wd = arrays
        f = pieces_cdf(self._le[None, :], wa + x * sa, wb + x * sb, wd * min(sa, sb))
        return pb[:, 0] @ f

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
                    self._acc[key] = (p.container_start, list(inc))
                else:
                    acc = entry[1]
                    for i, x in enumerate(inc):
                        acc[i] += x

    # --- one scrape ------------------------------------------------------------------------
    def _scrape(self, k: int) -> None:
        # Runs for every pod at every scrape (100k pod-scrapes a simulated week): the
        # counters' open step and the memory are computed once per serving class (its pods
        # share them), attributes are read once, and each value is the same operation on
        # the same numbers as Model._cum and ServingModel.memory_at give (the same bits).
        m = self.m
        now = m.env.now
        mrs = m.wl.min_ready_seconds
        avail = 0
        base_mem = m.wl.base_memory
        srv = m.srv
        last_t = m.last_t
        pods = self._pods
        acc_of = self._acc.get
        app = self.app_labels is not None
        nv = self._nv
        zeros = [0.0] * nv
        # per serving class (alive through the scrape): its memory and its open step
        per_class: dict[int, tuple[float, list[float] | None]] = {}
        for p in m.pods:
            pod = p.pod
            name = pod.name
            rec = pods.get(name)
            if rec is None:
                n = len(pods) + 1
                rec = pods[name] = _PodRec(name, f"10.244.{n // 250}.{n % 250 + 2}")
            rec.ksm_k.append(k)
            rec.phase.append(_PHASE_INDEX.get(pod.phase, 4))
            cs = p.container_start
            if p.node is not None:
                rec.node = p.node
                cond_true = False
                for c in pod.conditions:
                    if c.type == POD_READY and c.status == CONDITION_TRUE:
                        cond_true = True
                rec.ready_k.append(k)
                rec.ready.append(1 if cond_true and (p.alive or p.endpoint) else 0)
                if cs is not None:
                    if rec.last_start is not None and cs != rec.last_start:
                        rec.restarts += 1
                    rec.last_start = cs
                rec.rst.append(rec.restarts)
            if not p.deleted and p.ready_at is not None and p.endpoint \
                    and p.ready_at + mrs <= now:
                avail += 1
            mode = p.mode
            if cs is None or mode == OFF or not p.alive:
                continue
            rec.ctr_k.append(k)
            extra = None
            if mode == SERVING:
                c = p.cls
                rec.cpu.append(max(p.cum + (c.S + c.cpu * (now - last_t)) - p.s0, 0.0))
                shared = per_class.get(id(c))
                if shared is None:
                    shared = per_class[id(c)] = (srv.memory_at(c, now),
                                                 self._inc(c, last_t, now) if app else None)
                rec.mem.append(shared[0])
                extra = shared[1]
            else:
                rec.cpu.append(max(p.cum + p.rate * (now - p.t0), 0.0))
                rec.mem.append(base_mem)
            if app and not p.deleted:
                rec.app_k.append(k)
                entry = acc_of(name)
                vals = entry[1] if entry is not None and entry[0] == cs else zeros
                if extra is not None:
                    rec.app.extend([x + y for x, y in zip(vals, extra, strict=True)])
                else:
                    rec.app.extend(vals)
                rec.app_start.append(cs)
        self._dep_k.append(k)
        self._dep_spec.append(m.spec_replicas)
        self._dep_avail.append(avail)
        self._hpa.append(m.last_desired)

    # --- the end of the run --------------------------------------------------------------
    def finish(self, model: Any) -> Any:
        """The last scrape (at the end of the run, if on the grid), then the run's
        :class:`MonitoringRun`, or what ``settings.process`` makes of it. Once per run:
        building the series consumes the raw samples."""
        k_end = model.duration / self.interval
        if abs(k_end - round(k_end)) < 1e-9 and round(k_end) == self._k:
            self._scrape(self._k)
            self._k += 1
        run = MonitoringRun(run=model.run_index, duration=float(model.duration),
                            scrape_interval=self.interval, scrapes=self._k,
                            rule=self.rule, series=list(self._series()))
        self._acc.clear()  # the run is over: nothing more to accumulate
        self._cdf.clear()
        process = self.settings.process
        return process(run) if process is not None else run

    def _series(self) -> Iterator[MonitoredSeries]:
        """Every series of the run (labels without ``__name__``; families as FAMILIES).
        Consumes the raw samples: each pod's buffers are dropped once its series exist, so
        a month of scrapes is not held twice."""
        ns = self.ns
        for name in list(self._pods):
            rec = self._pods.pop(name)
            pod = {"namespace": ns, "pod": rec.name}
            ksm_k = _i(rec.ksm_k)
            phase = np.frombuffer(rec.phase, dtype=np.int8) if len(rec.phase) else np.zeros(0)
            for j, ph in enumerate(_PHASES):
                yield MonitoredSeries("kube_pod_status_phase", {**pod, **_KSM, "phase": ph}, ksm_k,
                                      _indicator(phase, j))
            for c in self.containers:
                ctr = {**pod, **_KSM, "container": c.name}
                for fam, amounts in (("kube_pod_container_resource_requests", c.requests),
                                     ("kube_pod_container_resource_limits", c.limits)):
                    for res, milli in sorted(amounts.items()):
                        unit = "core" if res == "cpu" else ("byte" if res in (
                            "memory", "ephemeral-storage") else "integer")
                        # a constant: one value broadcast (no memory per sample)
                        yield MonitoredSeries(fam, {**ctr, "resource": res.replace("-", "_"),
                                                    "unit": unit}, ksm_k,
                                              np.broadcast_to(milli / 1000.0, len(ksm_k)))
            if len(rec.ready_k):
                rk = _same(_i(rec.ready_k), ksm_k)
                ready = np.frombuffer(rec.ready, dtype=np.int8)
                for cond, want in (("true", 1), ("false", 0), ("unknown", -1)):
                    yield MonitoredSeries("kube_pod_status_ready", {**pod, **_KSM, "condition": cond},
                                          rk, _indicator(ready, want))
                rst = _i(rec.rst).astype(float)
                for c in self.containers:
                    yield MonitoredSeries("kube_pod_container_status_restarts",
                                  {**pod, **_KSM, "container": c.name}, rk, rst)
            if len(rec.ctr_k):
                ck = _same(_i(rec.ctr_k), ksm_k)
                cpu, mem = _f(rec.cpu), _f(rec.mem)
                node = rec.node or ""
                for c in self.containers:
                    lab = {**pod, "container": c.name, "image": self.images.get(c.name, ""),
                           "node": node, "job": "kubelet", "service": "kubelet",
                           "endpoint": "https-metrics", "metrics_path": "/metrics/cadvisor",
                           "instance": f"{node}:10250"}
                    mine = c.name == self.serving
                    # Only the serving container works in the model; the others idle at 0.
                    yield MonitoredSeries("container_cpu_usage_seconds", lab, ck,
                                  cpu if mine else np.broadcast_to(0.0, len(ck)))
                    yield MonitoredSeries("container_memory_working_set_bytes", lab, ck,
                                  mem if mine else np.broadcast_to(0.0, len(ck)))
            if len(rec.app_k) and self.app_labels is not None:
                yield from self._app_series(rec, pod)
        dk = _i(self._dep_k)
        dep = {"namespace": ns, "deployment": self.deployment, **_KSM}
        yield MonitoredSeries("kube_deployment_spec_replicas", dep, dk, _f(self._dep_spec))
        yield MonitoredSeries("kube_deployment_status_replicas_available", dep, dk, _f(self._dep_avail))
        if self.hpa_name is not None:
            yield MonitoredSeries("kube_horizontalpodautoscaler_status_desired_replicas",
                          {"namespace": ns, "horizontalpodautoscaler": self.hpa_name, **_KSM},
                          dk, _f(self._hpa))

    def _app_series(self, rec: _PodRec, pod: dict[str, str]) -> Iterator[MonitoredSeries]:
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
                yield MonitoredSeries("http_requests", {**lab, "code": code}, ak[keep],
                              counts[keep, j])
        if self.export_hist:
            b = np.floor(vals[:, _B0:] + 1e-7)
            total = counts[:, 0]
            b = np.minimum(np.maximum.accumulate(b, axis=1), total[:, None])
            buckets = np.concatenate([b, total[:, None]], axis=1)
            yield MonitoredSeries("http_request_duration_seconds", lab, ak,
                          hist=(buckets, vals[:, _SUM].copy(), total.copy()))
