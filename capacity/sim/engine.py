"""One simulated run: the workload, its controllers and its traffic on simpy.

:class:`Model` holds the run's shared state; each control loop is a mixin in its own module,
as the cluster's own seams divide them:

* :mod:`capacity.sim.controllers`: the Deployment and ReplicaSet controllers;
* :mod:`capacity.sim.kubelet`: pod lifecycle, from scheduling to removal;
* :mod:`capacity.sim.endpoints`: the Service's endpoints and each pod's CPU mode;
* :mod:`capacity.sim.cpu_share`: the CPU a serving pod gets on its node (CFS shares);
* :mod:`capacity.sim.metrics_server`: the resource metrics the HPA reads;
* :mod:`capacity.sim.hpa_loop`: the HPA's sync loop and the timeseries rows;
* :mod:`capacity.sim.cluster` (nodes, failures, drains) and
  :mod:`capacity.sim.autoscaler` (the cluster autoscaler) are objects of their own.

This module integrates everything between events (:meth:`Model.touch`), re-derives the
rates after a change (:meth:`Model.recompute`), walks the offered load, and runs the loops.
Traffic is a fluid between events; each ready pod is a queue (:mod:`capacity.sim.serving`);
nothing ticks per request or per second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import simpy

from capacity.k8s import hpa, rollout
from capacity.k8s.quota import DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD
from capacity.k8s.resources import pod_level_resources_enabled
from capacity.k8s.types import (
    Pod,
    PodMetric,
)
from capacity.scenario.model import Scenario
from capacity.sim.admission import AdmissionModel, pod_level_resources_of
from capacity.sim.cluster import ClusterSim
from capacity.sim.controllers import ReplicaSet, WorkloadControllers
from capacity.sim.cpu_share import CpuShares, waterfill  # noqa: F401 (waterfill re-exported)
from capacity.sim.custom_metrics import ModelMetrics
from capacity.sim.endpoints import Endpoints
from capacity.sim.hpa_adapter import has_custom_metrics, hpa_spec_from_scenario
from capacity.sim.hpa_loop import HpaLoop
from capacity.sim.kubelet import Kubelet
from capacity.sim.loadgen import build_load
from capacity.sim.metrics_server import MetricsServer
from capacity.sim.recorder import Integrals, Recorder
from capacity.sim.rng import RunStreams, child_sequence
from capacity.sim.serving import ServingModel, params_from
from capacity.sim.settings import check_controller_settings, pod_replacement_policy
from capacity.sim.workload import GIB, SimPod, WorkloadModel

CONTROLLER_PHASE_STREAM = 1000
"""Child index of the run's SeedSequence for controller phases added after the purposes of
:class:`capacity.sim.rng.RunStreams` were fixed (far above them, so they never collide)."""
HOUSEKEEPING_STREAM = 1001
"""Child index for cAdvisor's housekeeping gaps (see :data:`CONTROLLER_PHASE_STREAM`)."""
INF_ = math.inf


class Observer(Protocol):
    """Something that watches a run without changing it (the monitoring of DESIGN §11).

    ``start(model)`` is called once the run is set up, before simulated time moves; it may
    start simpy processes on ``model.env`` that read the model's state (never write it).
    ``finish(model)`` is called at the end and returns what goes into the outcome's
    ``extra[name]``.
    """

    name: str

    def start(self, model: Model) -> None: ...

    def finish(self, model: Model) -> Any: ...


@dataclass
class RunOutcome:
    """What one run hands back to the runner (picklable)."""

    run: int
    duration: float
    integrals: Integrals
    event_counts: dict[str, int]
    replicas_min: int
    replicas_max: int
    columns: dict[str, Any]  # numpy arrays, empty when not recorded
    events: list[tuple[Any, ...]]
    extra: dict[str, Any]


class Model(Endpoints, CpuShares, Kubelet, WorkloadControllers, MetricsServer, HpaLoop):
    """The state and processes of one run. Build, then :meth:`run`."""

    def __init__(self, sc: Scenario, run: int, ss: np.random.SeedSequence,
                 duration: float | None = None, record: bool = True,
                 phases: tuple[float, float] | None = None, load_offset: float = 0.0,
                 hpa_memo: bool = True) -> None:
        """``phases`` fixes (metrics scrape offset, HPA sync offset) in seconds; by default
        both are drawn uniformly from the run's ``phase`` stream. ``load_offset`` starts the
        run that far into the load profile (failure episodes start at random times)."""
        self.phases = phases
        self.load_offset = float(load_offset)
        self.hpa_memo = hpa_memo
        self.sc = sc
        self.run_index = run
        self.duration = float(duration if duration is not None else sc.simulation.duration)
        self.warmup = min(sc.simulation.warmup, self.duration)
        self.rng = RunStreams(ss)
        self.rec = Recorder(run=run, record=record)
        self.env = simpy.Environment()
        self.wl = WorkloadModel.from_scenario(sc)
        kcm = sc.controllers.kubeControllerManager
        self.sync_period = kcm.horizontalPodAutoscalerSyncPeriod
        self.resolution = sc.controllers.metricsServer.metricResolution
        # cAdvisor housekeeping (capacity.sim.metrics_server): the gaps' own stream, so the
        # other streams keep their numbers
        self.hk_interval = float(sc.controllers.kubelet.housekeepingInterval)
        self.hk_min = math.inf  # the earliest housekeeping due over the pods
        self.hk_rng = np.random.Generator(np.random.PCG64(
            child_sequence(ss, HOUSEKEEPING_STREAM)))
        self.hk_gaps: list[float] = []
        self.hpa_spec = hpa_spec_from_scenario(sc)
        self.hpa_name = (sc.autoscaling.horizontal.scaleTargetRef.name
                         if sc.autoscaling.horizontal is not None
                         and sc.autoscaling.horizontal.scaleTargetRef is not None else self.wl.name)
        # Settings the model cannot honour are refused before anything runs.
        check_controller_settings(sc)
        # Version-dependent HPA behaviour (Succeeded pods ignored from 1.38, pod-level
        # requests from 1.34 when the PodLevelResources gate is on).
        pod_level_gate = sc.controllers.featureGates.get("PodLevelResources")
        self.controller = hpa.HorizontalController(
            downscale_stabilisation_window=kcm.horizontalPodAutoscalerDownscaleStabilizationWindow,
            tolerance=kcm.horizontalPodAutoscalerTolerance,
            cpu_initialization_period=kcm.horizontalPodAutoscalerCPUInitializationPeriod,
            delay_of_initial_readiness_status=kcm.horizontalPodAutoscalerInitialReadinessDelay,
            kubernetes_minor=sc.minor,
            pod_level_resources=pod_level_gate,
        )
        # Pod-level resources (spec.resources) reach the pod objects only where the API
        # server keeps them: with the PodLevelResources gate off it drops the field.
        self.pod_resources = (pod_level_resources_of(sc)
                              if pod_level_resources_enabled(sc.minor, pod_level_gate) else None)
        self.hpa_key = f"{self.wl.namespace}/{self.hpa_name}"
        # Pods/Object/External metrics, served from the serving model (as an adapter would)
        self.custom = (ModelMetrics(self, self.duration + float(load_offset))
                       if has_custom_metrics(self.hpa_spec) else None)
        self.metrics_client = self.custom.client() if self.custom is not None else None
        self.recomputes = 0  # bumped by every recompute: custom metrics may have changed
        self.observers: list[Observer] = []
        pr = sc.pricing
        self._price_cpu = pr.cpuPerHour / 3600.0
        self._price_mem = pr.memoryGiBPerHour / 3600.0
        self._req_cpu = self.wl.requests.get("cpu", 0) / 1000.0
        self._req_mem = self.wl.requests.get("memory", 0) / 1000.0 / GIB
        self.startup = sc.workload.startup
        self.sched_delay = self.startup.schedulingDelay or sc.controllers.scheduler.schedulingDelay
        # --- state ---
        self.rate = 0.0
        self.last_t = 0.0
        # Every ready pod is a queue (DESIGN §10): CPU, memory, throughput and errors of
        # the serving pods come from the serving model, latency at the end of the run.
        self.srv = ServingModel(params_from(self.wl, sc.workload.demand))
        self.srv_wakeup = math.inf  # next regime change (or fill piece) of a fluid pod
        self._cores_cache: dict[tuple[Any, ...], tuple[float, ...]] = {}
        self.errors_cum = 0.0  # requests lost so far (not timeouts), warm-up included
        self.n_ep = 0  # endpoints (incl. pods on dead nodes until marked)
        self.n_alive = 0  # endpoints that can serve
        self.n_holding = 0  # pods holding node resources
        self.n_holding_spot = 0  # of which on spot nodes
        self.n_serving_spot = 0
        self.n_serving = 0
        self.served_rate = 0.0  # requests accepted per second (timeouts included)
        self.full = True
        self.cost_rate = 0.0
        self.alloc_cpu = 0.0
        self.alloc_mem = 0.0
        self.alloc_cpu_spot = 0.0
        self.alloc_mem_spot = 0.0
        self.pods: list[SimPod] = []
        self.k8s_pods: list[Pod] = []
        self.cpu_metrics: dict[str, PodMetric] = {}
        self.metrics_dirty = False
        # Bumped whenever a pod changes in a way the HPA reads (phase, conditions, deletion,
        # start time, the set of pods or of pods with metrics): with the metric values it
        # tells the controller when its metric computation can be reused.
        self.pod_version = 0
        self.metrics_version = 0  # bumped when a scrape changes any metric value
        self.young_until = -math.inf  # latest start_time + cpu-initialization-period
        self.cpu_init = kcm.horizontalPodAutoscalerCPUInitializationPeriod
        self.mem_metrics: dict[str, PodMetric] = {}
        self._empty_metrics: dict[str, PodMetric] = {}
        self.pod_counter = 0
        self.rev = 1
        self.rs = ReplicaSet(f"{self.wl.name}-{self._rs_hash(self.rev)}", self.rev, 0)
        self.replicasets = [self.rs]
        self.spec_replicas = 0
        self.last_desired = 0
        self.last_util: float = math.nan
        self.last_mem_util: float = math.nan
        self.node_name = "node"
        self.next_scrape = 0.0
        self.n_pending = 0
        self.rollout_active = False
        self._dep_syncing = False  # the Deployment controller is in a sync
        self._dep_dirty = False  # ... and something it watches changed meanwhile
        self.rollouts: list[dict[str, Any]] = []
        self.min_ready_zero = self.wl.min_ready_seconds == 0
        strat = sc.workload.deployment.strategy
        ru = strat.rollingUpdate
        self.max_surge = ru.maxSurge if ru and ru.maxSurge is not None else "25%"
        self.max_unavailable = ru.maxUnavailable if ru and ru.maxUnavailable is not None else "25%"
        self.strategy_type = strat.type
        # KEP-3973: None unless the gates are on and the Deployment sets the field.
        self.pod_replacement_policy = pod_replacement_policy(sc)
        self.cluster: ClusterSim | None = ClusterSim(self) if sc.cluster is not None else None
        self.admission = AdmissionModel(sc)
        self.open_failures: list[Any] = []  # failures whose impact is still being counted
        # The ReplicaSet of the warm pods, as the Deployment controller last scaled it.
        n0 = self.initial_replicas()
        self.rs.desired_ann = n0
        self.rs.max_ann = n0 + rollout.max_surge(self._deployment_state_for(n0))
        # The resource quota controller's resync phase (its own stream: the purposes of
        # RunStreams are fixed, and drawing from one of them would shift its numbers).
        ctl_rng = np.random.Generator(np.random.PCG64(child_sequence(ss, CONTROLLER_PHASE_STREAM)))
        self.quota_phase = float(ctl_rng.uniform(0, DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD))
        self.quota_replenished_at = -math.inf
        self.create_failures = 0  # consecutive FailedCreate, for the ReplicaSet's back-off
        self.retry_pending = False
        self.peak_charged = 0

    def touch(self) -> None:
        """Integrate everything from the last event to now.

        metrics-server scrapes that fell between the last event and now happen here: the
        state was constant over that stretch, so each sample is exact and no scrape needs
        an event of its own.
        """
        now = self.env.now
        if now >= self.next_scrape:
            self._scrape_until(now)
        if now >= self.hk_min:
            # housekeeping readings due by now, while the state they read is still the one
            # that held since last_t
            self._housekeep_until(now)
        last_t = self.last_t
        dt = now - last_t
        if dt <= 0:
            return
        # Attributes read once into locals (this runs on every event); every sum below is
        # the same operation on the same values as before, so the integrals keep their bits.
        warmup = self.warmup
        m = 0.0 if now <= warmup else (dt if last_t >= warmup else now - warmup)
        open_failures = self.open_failures
        owner_id = open_failures[-1].index if open_failures else -1
        rate = self.rate
        n_ep = self.n_ep
        n_alive = self.n_alive
        self.srv.advance(last_t, now, m, n_ep, n_ep - n_alive, rate, owner_id)
        served_rate = self.served_rate
        self.errors_cum += (rate - served_rate) * dt
        if m > 0:
            ig = self.rec.integrals
            spec_replicas = self.spec_replicas
            n_holding = self.n_holding
            ig.measured_seconds += m
            ig.offered_requests += rate * m
            if n_alive > 0:
                ig.seconds_with_ready_pod += m
            if self.full:
                ig.seconds_at_full_capacity += m
            if n_alive >= spec_replicas:
                ig.seconds_all_desired_ready += m
            # pods not serving (the serving model integrates the others)
            ig.cpu_allocated_core_seconds += self.alloc_cpu * m
            ig.memory_allocated_gib_seconds += self.alloc_mem * m
            ig.cpu_allocated_spot_core_seconds += self.alloc_cpu_spot * m
            ig.memory_allocated_spot_gib_seconds += self.alloc_mem_spot * m
            ig.replica_seconds += n_holding * m
            ig.replica_seconds_spot += self.n_holding_spot * m
            ig.spec_replica_seconds += spec_replicas * m
            ig.ready_replica_seconds += n_alive * m
            idle = n_holding - self.n_serving
            wl = self.wl
            ig.cpu_usage_core_seconds += idle * wl.base_cpu * m
            ig.memory_usage_gib_seconds += idle * wl.base_memory / GIB * m
            hist = ig.alive_seconds
            hist[n_alive] = hist.get(n_alive, 0.0) + m
            if open_failures:
                # Charge the loss to the latest failure still being recovered from.
                owner = open_failures[-1]
                owner.lost_requests += (rate - served_rate) * m
                if n_alive == 0:
                    owner.downtime += m
            cl = self.cluster
            if cl is not None:
                ig.node_seconds += cl.nodes_ready * m
                by_pool = ig.node_seconds_by_pool
                for pool, n in cl.pool_nodes.items():
                    by_pool[pool] = by_pool.get(pool, 0.0) + n * m
        self.last_t = now

    def _check_recovered(self) -> None:
        """Close the failures whose ready pods are back (to before, or to spec.replicas)."""
        target = self.spec_replicas
        still = []
        for rec in self.open_failures:
            if rec.struck and self.full and self.n_alive >= min(rec.alive_before, target):
                rec.recovered = self.env.now
            else:
                still.append(rec)
        self.open_failures = still

    def recompute(self) -> None:
        """Derived rates after a change of load or endpoints (call after :meth:`touch`)."""
        wl = self.wl
        now = self.env.now
        srv = self.srv
        self.recomputes += 1
        self._refresh_cores()
        srv.update(now, self.rate, self.n_ep)
        self.served_rate = srv.accepted_rate()
        self.full = srv.full
        rc, rm = self._req_cpu, self._req_mem
        a_cpu_i, a_mem_i = max(rc, wl.base_cpu), max(rm, wl.base_memory / GIB)
        idle = self.n_holding - self.n_serving
        idle_spot = self.n_holding_spot - self.n_serving_spot
        # Allocation of the pods not serving; the serving model integrates the others.
        self.alloc_cpu = idle * a_cpu_i
        self.alloc_mem = idle * a_mem_i
        self.alloc_cpu_spot = idle_spot * a_cpu_i
        self.alloc_mem_spot = idle_spot * a_mem_i
        s_cpu = s_mem = 0.0
        for c in srv.classes:
            s_cpu += c.n * max(rc, c.cpu)
            s_mem += c.n * max(rm, srv.memory_at(c, now) / GIB)
        self.cost_rate = ((self.alloc_cpu + s_cpu) * self._price_cpu
                          + (self.alloc_mem + s_mem) * self._price_mem)
        nxt = srv.next_transition(now)
        if nxt < self.srv_wakeup:
            self.srv_wakeup = nxt
            self.env.process(self._serving_wakeup(nxt))
        if self.open_failures:
            self._check_recovered()

    def _serving_wakeup(self, at: float):
        """A fluid pod drains or fills its queue, or ends a fill piece, at ``at``: its
        regime or its slope changes."""
        yield self.env.timeout(max(at - self.env.now, 0.0))
        if at != self.srv_wakeup:
            return  # superseded by an earlier one
        self.srv_wakeup = math.inf
        self.touch()
        self.recompute()

    # --- processes -------------------------------------------------------------------------
    def load_process(self, times: np.ndarray, rates: np.ndarray):
        env = self.env
        t_list = times.tolist()
        r_list = rates.tolist()
        for t, r in zip(t_list, r_list, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            self.touch()
            self.rate = r
            self.recompute()

    def run(self) -> RunOutcome:
        env = self.env
        phase = self.rng["phase"]
        scrape_offset = float(phase.uniform(0, self.resolution))
        hpa_offset = float(phase.uniform(0, self.sync_period))
        if self.phases is not None:
            scrape_offset, hpa_offset = self.phases
        off = self.load_offset
        times, rates = build_load(self.sc.load, self.duration + off, self.rng["load"],
                                  start_hour_of_week(self.sc))
        if off > 0:
            i = max(int(np.searchsorted(times, off, side="right")) - 1, 0)
            times = np.concatenate([[0.0], times[i + 1:] - off])
            rates = rates[i:]
        self.rate = float(rates[0]) if rates.size else 0.0
        n0 = self.initial_replicas()
        self.spec_replicas = n0
        self.rs.spec_replicas = n0
        self.last_desired = n0
        for i in range(n0):
            if self.admission.admit(i) is not None:
                break
            self.create_warm_pod(self.rs, scrape_offset)
        self.peak_charged = len(self.pods)
        # The warm pods were added one by one at t = 0, each shifting the others' share:
        # they start together, each with its steady queue for the share it really gets.
        self.srv.reset_queues(self.env.now)
        self.recompute()
        self._settle_warm_pods(scrape_offset)
        self.sync_replica_set(self.rs)  # pods admission refused: FailedCreate, retried
        env.process(self.load_process(times, rates))
        if self.cluster is not None:
            self.cluster.start()
        for r in self.sc.disruption.rollouts:
            env.process(self._rollout_at(r.at))
        self.next_scrape = scrape_offset
        env.process(self.hpa_control_loop(hpa_offset))
        for obs in self.observers:
            obs.start(self)
        env.run(until=self.duration)
        self.touch()
        rec = self.rec
        ig = rec.integrals
        lat = self._finish_serving()
        # Integrals that follow from others (constant requests and prices within a run).
        ig.cpu_request_core_seconds = ig.replica_seconds * self._req_cpu
        ig.memory_request_gib_seconds = ig.replica_seconds * self._req_mem
        ig.cost = (ig.cpu_allocated_core_seconds * self._price_cpu
                   + ig.memory_allocated_gib_seconds * self._price_mem)
        if self.cluster is not None:
            prices = {n.pool: n.price for n in self.cluster.nodes.values()}
            ig.node_cost = sum(sec * prices.get(pool, 0.0) / 3600.0
                               for pool, sec in ig.node_seconds_by_pool.items())
        cols = rec.column_arrays(release=True) if rec.record else {}
        if cols:
            self._serving_columns(cols, lat)
        return RunOutcome(
            run=self.run_index,
            duration=self.duration,
            integrals=rec.integrals,
            event_counts=dict(rec.event_counts),
            replicas_min=int(rec.replicas_min) if rec.replicas_min != float("inf") else n0,
            replicas_max=int(rec.replicas_max) if rec.replicas_max != float("-inf") else n0,
            columns=cols,
            events=rec.events,
            extra={
                "cluster": self.cluster.summary() if self.cluster is not None else None,
                "rollouts": self.rollouts,
                "peak_pods": self.peak_charged,
                "first_warnings": dict(rec.first_warnings),
                "node_seconds_by_pool": dict(rec.integrals.node_seconds_by_pool),
                "latency": lat["summary"],
                **{obs.name: obs.finish(self) for obs in self.observers},
            },
        )

    def _finish_serving(self) -> dict[str, Any]:
        """Fold the serving model's totals into the integrals; latency over the run."""
        ig = self.rec.integrals
        srv = self.srv
        tot = srv.totals
        rows = None
        if self.rec.record and len(self.rec.flat):
            rows = self.rec.column("time")
        res = srv.finish(rows)
        # Segments and online integrals sum in different orders: keep answered <= offered.
        ig.served_requests = max(min(res.answered - tot.inflight_lost, ig.offered_requests), 0.0)
        ig.errors = {"timeout": res.timeouts, "rejected": tot.rejected,
                     "no_endpoint": tot.no_endpoint, "dead_endpoint": tot.dead_endpoint}
        ig.inflight_seconds = tot.inflight_seconds
        ig.cpu_above_request_core_seconds = tot.cpu_above_request
        ig.cpu_work_core_seconds = tot.cpu_work
        ig.cpu_usage_core_seconds += tot.cpu_usage
        ig.memory_usage_gib_seconds += tot.memory_usage
        ig.cpu_allocated_core_seconds += tot.cpu_alloc
        ig.memory_allocated_gib_seconds += tot.memory_alloc
        ig.cpu_allocated_spot_core_seconds += tot.cpu_alloc_spot
        ig.memory_allocated_spot_gib_seconds += tot.memory_alloc_spot
        thresholds = [o.threshold for o in self.sc.objectives.latency]
        within = srv.answered_within(thresholds) if thresholds else []
        srv.release()
        if self.cluster is not None:
            for rec in self.cluster.failures:
                rec.lost_requests += res.by_owner_timeouts.get(rec.index, 0.0)
        summary = {
            "answered": res.answered,
            "mean": res.mean,
            **res.quantiles,
            "sum": res.latency_sum,
            "buckets": dict(zip((f"{b:g}" for b in srv.buckets()), res.buckets, strict=True)),
            "within": {f"{t:g}": w for t, w in zip(thresholds, within, strict=True)},
        }
        return {"summary": summary, "rows": res.rows}

    def _serving_columns(self, cols: dict[str, np.ndarray], lat: dict[str, Any]) -> None:
        """Per-row latency percentiles and error rate from the run's serving segments."""
        t = cols["time"]
        cum = cols.pop("errors_cum")
        rows = lat["rows"]
        dt = np.diff(np.concatenate([[max(t[0] - self.sync_period, 0.0)], t])) if len(t) else t
        lost = np.maximum(np.diff(np.concatenate([[0.0], cum])), 0.0)  # float noise below 0
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["error_rps"] = np.where(dt > 0, (lost + rows.get("timeouts", 0.0)) / dt, 0.0)
        cols["latency_p50"] = rows.get("latency_p50", np.full(len(t), np.nan))
        cols["latency_p99"] = rows.get("latency_p99", np.full(len(t), np.nan))


def start_hour_of_week(sc: Scenario) -> float:
    """Hours since Monday 00:00 at simulation start (default: Monday 00:00)."""
    st = sc.simulation.startTime
    if not st:
        return 0.0
    import datetime as _dt

    t = _dt.datetime.fromisoformat(st)
    return t.weekday() * 24 + t.hour + t.minute / 60 + t.second / 3600


def run_once(sc: Scenario, run: int, ss: np.random.SeedSequence, duration: float | None = None,
             record: bool = True, load_offset: float = 0.0,
             observers: Sequence[Observer] = ()) -> RunOutcome:
    """Simulate one run; ``observers`` watch it (see :class:`Observer`)."""
    m = Model(sc, run, ss, duration, record, load_offset=load_offset)
    m.observers = list(observers)
    return m.run()
