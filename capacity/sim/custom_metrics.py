"""The custom and external metrics an adapter would serve the HPA, from the serving model.

``http_requests_per_second``, ``http_requests_in_flight`` and the latency percentiles
(``http_request_duration_seconds_p50`` .. ``_p99``) are served per pod (``Pods`` metrics:
the pods that serve, i.e. the ready endpoints; a pod without traffic has no series, which
the HPA treats as a missing metric) and for the workload's Service or Deployment
(``Object`` metrics: totals, and percentiles of the mixture over its pods). ``External``
metrics read the series of ``load.externalMetrics``. Values are the model's state at the
HPA's sync (an adapter's rate window shorter than a load step); quantities are
milli-units, as the metrics APIs carry them (a latency of 0.25 s is 250m).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from capacity.k8s import hpa
from capacity.k8s.types import PodMetric
from capacity.scenario.metrics import LATENCY_QUANTILES
from capacity.sim import queueing as qm
from capacity.sim.loadgen import external_series

INF = math.inf


class ModelMetrics:
    """Serves a run's custom metrics; ``model`` is the run (its ``srv``, ``rate``, ...)."""

    def __init__(self, model: Any, duration: float) -> None:
        self.m = model
        self.offset = float(getattr(model, "load_offset", 0.0))  # an episode's start
        sc = model.sc
        self.series: list[tuple[Any, np.ndarray | None, np.ndarray | None]] = []
        for e in sc.load.externalMetrics:
            if e.column is not None:
                t, v = external_series(sc.load, e.column, duration, f"load.externalMetrics[{e.name}]")
                self.series.append((e, t, v))
            else:
                self.series.append((e, None, None))

    def client(self) -> hpa.MetricsClient:
        return hpa.MetricsClient(get_raw_metric=self.get_raw_metric,
                                 get_object_metric=self.get_object_metric,
                                 get_external_metric=self.get_external_metric)

    # --- per pod --------------------------------------------------------------------------
    def _pod_value(self, name: str, cls: Any, now: float) -> float:
        srv = self.m.srv
        if name == "http_requests_per_second":
            return cls.lam
        if name == "http_requests_in_flight":
            return srv.inflight_of(cls, now)
        q = LATENCY_QUANTILES[name]
        return self._class_quantile(cls, q, now)

    def _class_quantile(self, cls: Any, q: float, now: float) -> float:
        srv = self.m.srv
        p = srv.p
        if cls.fluid:
            before, service = srv.fluid_parts(cls, max(cls.backlog(now), 0.0))
            cv2 = p.cv * p.cv if srv.shares(cls) else 0.0
            if cv2 < 1e-9 or math.isinf(before + service):
                return before + service
            # the time in service is the arrival's own work's (ServingModel.fluid_parts)
            return float(qm.response_quantile(q, before, 0.0, 0.0, service, cv2,
                                              iterations=40)[0])
        st = cls.state
        if st is None or st.accepted <= 0:
            return p.fixed + p.work
        pw, th, svc, cv2 = st.distribution(p.work)
        return float(qm.response_quantile(q, p.fixed, pw, th, svc, cv2, iterations=40)[0])

    def get_raw_metric(self, metric_name: str, namespace: str, selector_labels: Any,
                       metric_selector: Any) -> tuple[dict[str, PodMetric], float]:
        now = self.m.env.now
        window = self.m.resolution
        out: dict[str, PodMetric] = {}
        cache: dict[int, int] = {}
        for c in self.m.srv.classes:
            v = cache.get(id(c))
            if v is None:
                v = cache[id(c)] = _milli(self._pod_value(metric_name, c, now))
            for p in c.pods:
                out[p.pod.name] = PodMetric(now, window, v)
        return out, now

    # --- the Service / Deployment ----------------------------------------------------------
    def get_object_metric(self, metric_name: str, namespace: str, described_object: Any,
                          metric_selector: Any) -> tuple[int, float]:
        m = self.m
        now = m.env.now
        srv = m.srv
        if metric_name == "http_requests_per_second":
            v = m.rate
        elif metric_name == "http_requests_in_flight":
            v = srv.inflight_total(now)
        elif metric_name == "http_errors_per_second":
            v = max(m.rate - m.served_rate, 0.0)
        else:
            v = self._service_quantile(LATENCY_QUANTILES[metric_name], now)
        return _milli(v), now

    def _service_quantile(self, q: float, now: float) -> float:
        """The q-quantile over the Service: the mixture of its pods' current states."""
        srv = self.m.srv
        p = srv.p
        parts = [(c.n * c.accepted, c) for c in srv.classes if c.n * c.accepted > 0]
        if not parts:
            return p.fixed + p.work
        total = sum(w for w, _ in parts)
        work_cv2 = p.cv * p.cv

        def cdf(t: float) -> float:
            acc = 0.0
            for w, c in parts:
                if c.fluid:
                    before, service = srv.fluid_parts(c, max(c.backlog(now), 0.0))
                    if not srv.shares(c) or work_cv2 < 1e-9 or math.isinf(before + service):
                        acc += w * (1.0 if t >= before + service else 0.0)
                    else:
                        acc += w * float(qm.response_cdf(t, before, 0.0, 0.0, service,
                                                         work_cv2))
                else:
                    pw, th, svc, cv2 = c.state.distribution(p.work)
                    acc += w * float(qm.response_cdf(t, p.fixed, pw, th, svc, cv2))
            return acc / total

        lo, hi = max(p.fixed, 1e-9), max(p.fixed, 1e-3) * 2
        while cdf(hi) < q and hi < 1e7:
            hi *= 2
        for _ in range(40):
            mid = math.sqrt(lo * hi)
            if cdf(mid) < q:
                lo = mid
            else:
                hi = mid
        return math.sqrt(lo * hi)

    # --- external ------------------------------------------------------------------------------
    def get_external_metric(self, metric_name: str, namespace: str,
                            selector: Any) -> tuple[list[int], float]:
        now = self.m.env.now
        want = dict(selector) if isinstance(selector, dict) else {}
        out: list[int] = []
        for e, t, v in self.series:
            if e.name != metric_name:
                continue
            labels = e.selector or {}
            if any(labels.get(k) != val for k, val in want.items()):
                continue
            if t is not None and v is not None:
                i = max(int(np.searchsorted(t, now + self.offset, side="right")) - 1, 0)
                x = float(v[i])
            elif e.fromLoad is not None:
                x = e.fromLoad * self.m.rate
            else:
                x = float(e.constant or 0.0)
            out.append(_milli(x))
        return out, now


def _milli(x: float) -> int:
    """A value as the metrics API's quantity carries it, in milli-units (rounded up, as
    ``MilliValue`` rounds a finer quantity)."""
    if not math.isfinite(x):
        return 2**62
    return math.ceil(x * 1000.0 - 1e-9)
