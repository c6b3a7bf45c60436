"""metrics-server: every ``metricResolution``, each container's CPU as the rate between
its last two samples, memory as the last sample; a container younger than one resolution but
at least 10 s old gets a synthetic first point (its start, zero CPU), as metrics-server's
storage does (``pkg/storage/pod.go``); a removed pod's metrics go at once (its informer
lists running pods only).

Scrapes between two events need no event of their own: the state was constant over that
stretch, so each sample is exact (:meth:`MetricsServer._scrape_until`).

The samples are cAdvisor's, not the scrape's: the kubelet's resource metrics collector
(``pkg/kubelet/metrics/collectors/resource_metrics.go``) serves each container's CPU and
memory with the timestamp of cAdvisor's latest reading, which the CRI stats provider takes
from cAdvisor's cache (``pkg/kubelet/stats/cri_stats_provider.go``, with the
``PodAndContainerStatsFromCRI`` gate off, its default). cAdvisor reads each container on
its own timer: right away when the container appears, then every housekeeping interval
(10 s as the kubelet sets it, ``pkg/kubelet/cadvisor/cadvisor_linux.go``) plus a jitter of
up to one interval (``jitter(interval, 1.0)`` in cadvisor's ``manager/container.go``). So a
sample lags its scrape by 0-20 s, about 7.8 s on average; a scrape that finds no new
reading stores the same sample again, and metrics-server keeps its previous point
(``newPoint.Timestamp.After(last.Timestamp)`` in ``pkg/storage/pod.go``). The reported
``Timestamp`` is the reading's, ``Window`` the time between the two readings. An idle
container whose readings repeat exactly would have its interval doubled up to 15 s: not
modelled (a pod here always uses some CPU). ``controllers.kubelet.housekeepingInterval: 0s``
reads at every scrape, as the CRI stats path does.
"""

from __future__ import annotations

import math
from typing import Any

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

    def _housekeep_start(self, p: Any) -> None:
        """A container appears at ``env.now``: cAdvisor reads it at once."""
        if self.hk_interval > 0:
            now = self.env.now
            p.hk_t, p.hk_next = None, now
            if now < self.hk_min:
                self.hk_min = now

    def _hk_gap(self) -> float:
        gaps = self.hk_gaps
        if not gaps:  # drawn in blocks: one draw per reading would dominate the cost
            iv = self.hk_interval
            gaps.extend(self.hk_rng.uniform(iv, 2.0 * iv, 1024).tolist()[::-1])
        return gaps.pop()

    def _housekeep(self, p: Any, until: float) -> None:
        """cAdvisor's readings of ``p`` due by ``until`` (the state unchanged since
        ``last_t``, so each is exact); keeps the latest."""
        h = p.hk_next
        while True:
            nxt = h + self._hk_gap()
            if nxt > until:
                break
            h = nxt
        p.hk_next = nxt
        p.hk_t = h
        p.hk_c, p.hk_mv = self._reading(p, h)

    def _housekeep_until(self, now: float) -> None:
        """Every reading due by ``now``; then the earliest next one."""
        lo = math.inf
        for p in self.pods:
            if p.mode == OFF:
                continue
            if p.hk_next <= now:
                self._housekeep(p, now)
            if p.hk_next < lo:
                lo = p.hk_next
        self.hk_min = lo

    def _reading(self, p: Any, t: float) -> tuple[float, int]:
        """Cumulative CPU seconds and working set (milli-bytes, as the metrics API's
        quantity gives it) of ``p`` at ``t``, with the state that held since ``last_t``."""
        if p.mode == SERVING:
            k = p.cls
            mv = int(self.srv.memory_at(k, t)) * 1000
            return p.cum + (k.S + k.cpu * (t - self.last_t)) - p.s0, mv
        return p.cum + p.rate * (t - p.t0), int(self.wl.base_memory) * 1000

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
        lagged = self.hk_interval > 0
        for p in self.pods:
            mode = p.mode
            if mode == OFF:
                if p.cpu_metric is not None:
                    p.cpu_metric = p.mem_metric = None
                    rebuild = True
                continue
            if lagged:
                # the latest cAdvisor reading, not the state at the scrape
                if p.hk_next <= t:
                    self._housekeep(p, t)
                if p.hk_t is None:
                    continue
                h = p.hk_t
                last = p.m_last_t
                if last is not None and h <= last:
                    continue  # no new reading: metrics-server keeps its points
                c, mv = p.hk_c, p.hk_mv
            elif mode == SERVING:
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
            if not lagged:
                h = t
            last = p.m_last_t
            if last is not None:
                p.m_prev_t = last
                p.m_prev_c = p.m_last_c
            elif 10.0 <= h - p.container_start < res:  # type: ignore[operator]
                # metrics-server's synthetic first point for a young container
                p.m_prev_t, p.m_prev_c = p.container_start, 0.0
            p.m_last_t = h
            p.m_last_c = c
            prev = p.m_prev_t
            if prev is not None and h > prev:
                window = h - prev
                cpu = math.ceil((c - p.m_prev_c) * 1000.0 / window - 1e-6)
                cm = p.cpu_metric
                if cm is None:
                    p.cpu_metric = PodMetric(h, window, cpu)
                    p.mem_metric = PodMetric(h, window, mv)
                    rebuild = True
                else:
                    if cm.value != cpu:
                        cm.value = cpu
                        changed = True
                    cm.timestamp = h
                    cm.window = window
                    mm = p.mem_metric
                    if mm.value != mv:  # type: ignore[union-attr]
                        mm.value = mv  # type: ignore[union-attr]
                        changed = True
                    mm.timestamp = h  # type: ignore[union-attr]
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
