"""The HorizontalPodAutoscaler's control loop: every sync period, through
:class:`capacity.k8s.hpa.HorizontalController`, acting on the Deployment's ``spec.replicas``;
one timeseries row per sync.
"""

from __future__ import annotations

import math

from capacity.k8s.hpa_controller import MetricStatus


class HpaLoop:
    """The hpa loop part of :class:`capacity.sim.engine.Model` (a mixin: it
    reads and writes the run's shared state on ``self``)."""

    def hpa_control_loop(self, offset: float):
        env = self.env
        spec = self.hpa_spec
        yield env.timeout(offset)
        ctl = self.controller
        reconcile = ctl.reconcile_autoscaler
        last_statuses: object = None
        # At a fixed point (the proposal and every recommendation a window can see equal
        # spec.replicas) a sync with unchanged inputs decides the same again: skip it and
        # hand the controller the last skipped sync's recommendation before the next real
        # one (HorizontalController.at_fixed_point). Exact; tested against the slow path.
        fixed_key: tuple[int, int, int, int] | None = None
        skipped_at: float | None = None
        # At a fixed point, a sync whose metric values changed (and nothing else) only needs
        # the new proposal: when it still equals spec.replicas, normalisation decides
        # spec.replicas again (every recommendation a window sees is that value too), so
        # the sync is taken as skipped, with the new metric statuses. Custom metrics take
        # the full path (their client is not assumed free of side effects).
        hpa_key = self.hpa_key
        namespace = hpa_key.split("/", 1)[0] if "/" in hpa_key else "default"
        compute = ctl.compute_replicas_for_metrics
        while True:
            now = env.now
            # Only the scrapes due by now; the integrals catch up at the next state change.
            if now >= self.next_scrape:
                self._scrape_until(now)
            if spec is not None:
                key = None
                if self.hpa_memo and now >= self.young_until:
                    key = (self.spec_replicas, self.pod_version, self.metrics_version,
                           self.recomputes if self.metrics_client is not None else 0)
                if key is not None and key == fixed_key:
                    skipped_at = now
                    self.sample_row()
                    yield env.timeout(self.sync_period)
                    continue
                if (fixed_key is not None and key is not None and key[0] == fixed_key[0]
                        and self.metrics_client is None):
                    events: list[tuple[str, str, str]] = []
                    proposal, _, statuses, _, err = compute(
                        spec, self.spec_replicas, self.k8s_pods, self.get_metrics, now, {},
                        events, None, selector=self.wl.labels, namespace=namespace)
                    if (err is None and not events and proposal == self.spec_replicas
                            and ctl.at_fixed_point(hpa_key, spec, self.spec_replicas, now)):
                        skipped_at = now
                        fixed_key = key
                        self.last_desired = self.spec_replicas
                        self._see_statuses(statuses)
                        last_statuses = statuses
                        self.sample_row()
                        yield env.timeout(self.sync_period)
                        continue
                if skipped_at is not None:
                    ctl.replace_recommendations(self.hpa_key, self.spec_replicas, skipped_at)
                    skipped_at = None
                res = reconcile(self.hpa_key, spec, self.spec_replicas, self.k8s_pods,
                                self.get_metrics, now, None, key,
                                metrics_client=self.metrics_client,
                                selector=self.wl.labels)
                fixed_key = (key if key is not None and not res.rescale and res.event is None
                             and res.error is None
                             and res.metric_desired_replicas == self.spec_replicas
                             and len(res.events) == 0
                             and ctl.at_fixed_point(self.hpa_key, spec, self.spec_replicas, now)
                             else None)
                self.last_desired = res.desired_replicas
                statuses = res.metric_statuses
                if statuses is not last_statuses:  # a reused computation reuses its list
                    last_statuses = statuses
                    self._see_statuses(statuses)
                if res.event is not None:
                    etype, reason, message = res.event
                    self.rec.event(now, reason, "HorizontalPodAutoscaler", self.hpa_name, message, etype)
                if res.rescale:
                    self.scale_deployment(res.desired_replicas)
            else:
                self.last_desired = self.spec_replicas
            self.sample_row()
            yield env.timeout(self.sync_period)

    def _see_statuses(self, statuses: list[MetricStatus | None]) -> None:
        """The CPU and memory utilisation of the timeseries, from the metric statuses."""
        cpu = mem = math.nan
        for st in statuses:
            if st is not None and st.average_utilization is not None and not st.container:
                if st.name == "cpu":
                    cpu = float(st.average_utilization)
                elif st.name == "memory":
                    mem = float(st.average_utilization)
        self.last_util = cpu
        self.last_mem_util = mem

    def sample_row(self) -> None:
        # Called on every sync (40k times a simulated week): attributes are read once and the
        # serving model's sums are inlined, with the same operations in the same order as
        # ServingModel.inflight_total and inflight_of (bit-identical rows).
        rec = self.rec
        n = self.spec_replicas
        now = self.env.now
        if (n < rec.replicas_min or n > rec.replicas_max) and now >= self.warmup:
            rec.see_replicas(n)
        if not rec.record:
            return
        srv = self.srv
        p = srv.p
        rate_cap = p.rate_cap
        fixed = p.fixed
        capacity = 0
        inflight = 0
        for c in srv.classes:
            mu = c.mu
            capacity += c.n * (rate_cap if rate_cap < mu else mu)  # min(mu, rate_cap)
            if c.fluid:
                inflight += c.n * ((c.B + c.slope * (now - c.t_b)) + c.accepted * fixed)
            else:
                inflight += c.n * c.inflight
        rate = self.rate
        cluster = self.cluster
        rec.row((
            now,
            rate,
            self.served_rate,
            self.last_desired,
            n,
            self.n_alive,
            self.n_pending,
            self.last_util,
            self.last_mem_util,
            cluster.nodes_ready if cluster is not None else math.nan,
            self.cost_rate * 3600.0,
            self.n_ep,
            capacity,
            inflight,
            self.errors_cum + (rate - self.served_rate) * (now - self.last_t),
        ))
