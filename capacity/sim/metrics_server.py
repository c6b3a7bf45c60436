"""metrics-server: every ``metricResolution``, each container's CPU as the rate between
its last two samples, memory as the last sample; a container younger than one resolution but
at least 10 s old gets a synthetic first point (its start, zero CPU), as metrics-server's
storage does (``pkg/storage/pod.go``); a removed pod's metrics go at once (its informer
lists running pods only).

Scrapes between two events need no event of their own: the state was constant over that
stretch, so each sample is exact (:meth:`MetricsServer._scrape_until`).
"""

from __future__ import annotations

import math

from capacity.k8s.types import (
    PodMetric,
)
from capacity.sim.workload import OFF, SERVING


class MetricsServer:
    """The metrics server part of :class:`capacity.sim.engine.Model` (a mixin: it
    reads and writes the run's shared state on ``self``)."""

    def _scrape_until(self, now: float) -> None:
        """Run the scrapes due in ``(last_t, now]``; only the last two can matter."""
        res = self.resolution
        n = int((now - self.next_scrape) // res) + 1
        last = self.next_scrape + (n - 1) * res
        if n >= 2:
            self._scrape(last - res)
        self._scrape(last)
        self.next_scrape = last + res

    def _scrape(self, t: float) -> None:
        """One metrics-server scrape at ``t`` (no state change since ``last_t``).

        Each pod keeps its own metric objects, updated in place; the per-resource maps are
        rebuilt only when the set of pods with a metric changes.
        """
        res = self.resolution
        # working set in milli-bytes, as the metrics API's quantity gives it
        mv_idle = int(self.wl.base_memory) * 1000
        dt_last = t - self.last_t
        sp = self.srv.p
        # ServingModel.memory_at of a fluid class, inlined (one scrape per sync): the same
        # operations in the same order, so the same bits.
        base_memory, per_inflight, fixed = sp.base_memory, sp.memory_per_inflight, sp.fixed
        rebuild = self.metrics_dirty
        changed = False
        last_k = None
        last_mv = 0
        for p in self.pods:
            mode = p.mode
            if mode == OFF:
                if p.cpu_metric is not None:
                    p.cpu_metric = p.mem_metric = None
                    rebuild = True
                continue
            if mode == SERVING:
                k = p.cls
                c = p.cum + (k.S + k.cpu * dt_last) - p.s0
                if k is not last_k:  # the pods of one class have the same memory
                    last_k = k
                    if k.fluid:
                        last_mv = int(base_memory + per_inflight
                                      * ((k.B + k.slope * (t - k.t_b)) + k.accepted * fixed)) * 1000
                    else:
                        last_mv = int(k.mem) * 1000
                mv = last_mv
            else:
                c = p.cum + p.rate * (t - p.t0)
                mv = mv_idle
            last = p.m_last_t
            if last is not None:
                p.m_prev_t = last
                p.m_prev_c = p.m_last_c
            elif 10.0 <= t - p.container_start < res:  # type: ignore[operator]
                # metrics-server's synthetic first point for a young container
                p.m_prev_t, p.m_prev_c = p.container_start, 0.0
            p.m_last_t = t
            p.m_last_c = c
            prev = p.m_prev_t
            if prev is not None and t > prev:
                window = t - prev
                cpu = math.ceil((c - p.m_prev_c) * 1000.0 / window - 1e-6)
                cm = p.cpu_metric
                if cm is None:
                    p.cpu_metric = PodMetric(t, window, cpu)
                    p.mem_metric = PodMetric(t, window, mv)
                    rebuild = True
                else:
                    if cm.value != cpu:
                        cm.value = cpu
                        changed = True
                    cm.timestamp = t
                    cm.window = window
                    mm = p.mem_metric
                    if mm.value != mv:  # type: ignore[union-attr]
                        mm.value = mv  # type: ignore[union-attr]
                        changed = True
                    mm.timestamp = t  # type: ignore[union-attr]
                    mm.window = window  # type: ignore[union-attr]
        if rebuild:
            self.cpu_metrics = {p.pod.name: p.cpu_metric for p in self.pods if p.cpu_metric is not None}
            self.mem_metrics = {p.pod.name: p.mem_metric for p in self.pods if p.mem_metric is not None}
            self.metrics_dirty = False
            self.pod_version += 1
        elif changed:
            self.metrics_version += 1

    def get_metrics(self, resource: str, container: str) -> dict[str, PodMetric]:
        if container and container != self.wl.serving_container:
            # Only the serving container does work; other containers report zero.
            src = self.cpu_metrics if resource == "cpu" else self.mem_metrics
            return {k: PodMetric(v.timestamp, v.window, 0) for k, v in src.items()}
        if resource == "cpu":
            return self.cpu_metrics
        if resource == "memory":
            return self.mem_metrics
        return self._empty_metrics
