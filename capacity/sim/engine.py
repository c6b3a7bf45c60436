"""One simulated run: the workload, its controllers and its traffic on simpy.

Processes (one per control loop, as in the cluster):

* ``load_process``: walks the piecewise-constant offered load;
* ``metrics_scrape``: metrics-server, every ``metricResolution``; CPU is the rate between
  the last two scrapes of each container's cumulative CPU, memory the last sample; a
  container younger than one resolution but at least 10 s old gets a synthetic first
  point (its start, zero CPU), as metrics-server's storage does;
* ``hpa_control_loop``: the HorizontalPodAutoscaler every sync period, through
  :class:`capacity.k8s.hpa.HorizontalController`, acting on the Deployment's
  ``spec.replicas``; one timeseries row per sync;
* ``pod_lifecycle``: per pod, scheduling, init containers, image pull, container start,
  then the startup and readiness probes (:mod:`capacity.k8s.probes`); termination
  removes the endpoint at once, runs preStop, and frees resources after the preStop or
  the grace period, whichever is shorter;
* the ReplicaSet controller reacts at once to a change of ``spec.replicas`` (slow-start
  batches, deletion ranking).

Traffic is a fluid: offered requests are spread evenly over the Service's endpoints; a pod
serves up to its ceiling; requests sent to a pod that cannot serve them are lost. All
quantities are integrated exactly between events, so nothing ticks per second.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import simpy

from capacity.errors import SimulationError
from capacity.k8s import hpa, rollout
from capacity.k8s.probes import startup_timeline
from capacity.k8s.quota import DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD, charged_in_status
from capacity.k8s.replicaset import get_pods_to_delete
from capacity.k8s.resources import pod_level_resources_enabled
from capacity.k8s.types import (
    CONDITION_FALSE,
    CONDITION_TRUE,
    POD_PENDING,
    POD_READY,
    POD_RUNNING,
    Pod,
    PodCondition,
    PodMetric,
)
from capacity.scenario.model import Scenario
from capacity.sim.admission import AdmissionModel, pod_level_resources_of
from capacity.sim.cluster import SCHEDULING_RETRY_BACKOFF, UNSCHEDULABLE_FLUSH, ClusterSim
from capacity.sim.custom_metrics import ModelMetrics
from capacity.sim.distributions import sample
from capacity.sim.hpa_adapter import has_custom_metrics, hpa_spec_from_scenario
from capacity.sim.loadgen import build_load
from capacity.sim.recorder import Integrals, Recorder
from capacity.sim.rng import RunStreams, child_sequence
from capacity.sim.serving import ServingModel, params_from
from capacity.sim.settings import check_controller_settings, pod_replacement_policy
from capacity.sim.workload import GIB, IDLE, OFF, SERVING, SimPod, WorkloadModel

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
CONTROLLER_PHASE_STREAM = 1000
"""Child index of the run's SeedSequence for controller phases added after the purposes of
:class:`capacity.sim.rng.RunStreams` were fixed (far above them, so they never collide)."""
INF_ = math.inf


def _suffix(n: int, width: int = 5) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, len(_NAME_ALPHABET))
        out.append(_NAME_ALPHABET[r])
    return "".join(reversed(out))


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


CRASH_LOOP_INITIAL_BACKOFF = 10.0
"""kubelet ``backOffPeriod`` (pkg/kubelet/kubelet.go): the first CrashLoopBackOff delay."""

CRASH_LOOP_MAX_BACKOFF = 300.0
"""``MaxContainerBackOff`` (pkg/kubelet/kubelet.go): the delay doubles up to 5 min."""


class CrashLoopBackOff:
    """The kubelet's per-container restart back-off (one pod's serving container).

    ``kuberuntime_manager.go`` ``doBackOff`` asks the container's ``flowcontrol.Backoff``
    (client-go ``util/flowcontrol/backoff.go``, no jitter for the kubelet) whether it is
    still backing off since the container finished (``IsInBackOffSince``: an entry exists,
    is not expired, and less than its delay has passed since the exit); if not, it calls
    ``Next`` and restarts the container. ``Next`` starts an entry at 10 s, or doubles it up
    to 300 s, and stamps it with the restart time; an entry not updated for more than
    2 × 300 s is expired (``hasExpired``). So the first restart after an exit is immediate,
    the next ones wait 10, 20, 40 ... 300 s. Times are simulation seconds.
    """

    __slots__ = ("backoff", "last_update")

    def __init__(self) -> None:
        self.backoff: float | None = None
        self.last_update = -math.inf

    def _expired(self, event_time: float) -> bool:
        return event_time - self.last_update > 2 * CRASH_LOOP_MAX_BACKOFF

    def delay(self, exited_at: float) -> float:
        """Seconds from the exit at ``exited_at`` until the kubelet restarts the container."""
        if self.backoff is None or self._expired(exited_at):
            return 0.0
        return self.backoff

    def next(self, exited_at: float, now: float) -> None:
        """``Backoff.Next(key, finishedAt)``: the container that exited at ``exited_at`` is
        restarted at ``now``."""
        if self.backoff is None or self._expired(exited_at):
            self.backoff = CRASH_LOOP_INITIAL_BACKOFF
        else:
            self.backoff = min(2 * self.backoff, CRASH_LOOP_MAX_BACKOFF)
        self.last_update = now


class ReplicaSet:
    """A ReplicaSet of the Deployment: ``spec.replicas``, its pods (terminating ones
    included until they are gone) and the ``desired-replicas`` / ``max-replicas``
    annotations the Deployment controller writes when it scales it."""

    __slots__ = ("desired_ann", "max_ann", "name", "pods", "rev", "spec_replicas")

    def __init__(self, name: str, rev: int, replicas: int) -> None:
        self.name = name
        self.rev = rev
        self.spec_replicas = replicas
        self.pods: list[SimPod] = []
        self.desired_ann: int | None = None
        self.max_ann: int | None = None


class Model:
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
        self.srv_wakeup = math.inf  # next regime change of an overloaded pod
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

    # --- helpers ---------------------------------------------------------------------
    def _rs_hash(self, rev: int) -> str:
        # A stable stand-in for the pod-template-hash label (hashlib: same in every process).
        digest = hashlib.sha256(f"{self.wl.name}/{rev}".encode()).digest()
        return _suffix(int.from_bytes(digest[:8], "big"), 10)

    def _cum(self, p: SimPod, t: float) -> float:
        if p.mode == SERVING:
            c = p.cls
            return p.cum + (c.S + c.cpu * (t - self.last_t)) - p.s0
        return p.cum + p.rate * (t - p.t0)

    def _hold(self, p: SimPod) -> None:
        """The pod is bound: it holds node resources (and is billed) from now."""
        p.holding = True
        self.n_holding += 1
        if p.spot:
            self.n_holding_spot += 1

    def _release(self, p: SimPod) -> None:
        if p.holding:
            p.holding = False
            self.n_holding -= 1
            if p.spot:
                self.n_holding_spot -= 1

    def _set_mode(self, p: SimPod, mode: int, lost: bool = False) -> None:
        """Change a pod's CPU mode at ``env.now`` (call after :meth:`touch`).

        A pod leaving SERVING leaves its queue: ``lost`` (its node died) makes its requests
        in flight ``dead_endpoint`` errors; otherwise they finish (graceful removal).
        """
        now = self.env.now
        was_serving = p.mode == SERVING
        if was_serving:
            if lost:
                self.srv.lose_pod(p, now, now > self.warmup)
            else:
                self.srv.remove_pod(p)
            self.n_serving -= 1
            if p.spot:
                self.n_serving_spot -= 1
        else:
            p.cum = self._cum(p, now)
        p.mode = mode
        p.t0 = now
        if mode == SERVING:
            self.n_serving += 1
            if p.spot:
                self.n_serving_spot += 1
            p.rate = 0.0
            self.srv.add_pod(p, self._cores_for(p), now)
        elif mode == IDLE:
            p.rate = self.wl.startup_cpu if p.ready_at is None else self.wl.base_cpu
        else:
            p.rate = 0.0

    def _cores_for(self, p: SimPod) -> float:
        """Cores a serving pod's requests can use (see :meth:`_refresh_cores`)."""
        if self.cluster is None:
            return max(self.wl.serving_limit_cpu - self.wl.base_cpu, 0.0)
        sn = self.cluster.node_of(p)
        if sn is None:
            return max(self.wl.serving_limit_cpu - self.wl.base_cpu, 0.0)
        return self._node_cores(sn, self._per_endpoint_rate()).get(id(p), 0.0)

    def _per_endpoint_rate(self) -> float:
        return self.rate / self.n_ep if self.n_ep > 0 else 0.0

    def _node_cores(self, sn: Any, lam: float) -> dict[int, float]:
        """Cores for requests of each serving pod on node ``sn`` at arrival rate ``lam``
        (see :meth:`_cores_from`)."""
        serving = [q for q in sn.pods if q.mode == SERVING]
        uses = [self._predicted_use(q, lam) for q in serving]
        idle = sum(q.rate for q in sn.pods if q.mode == IDLE)
        cores = self._cores_from(sn, uses, idle)
        return {id(q): c for q, c in zip(serving, cores, strict=True)}

    def _predicted_use(self, q: SimPod | None, lam: float) -> float:
        """The CPU a serving pod wants at arrival rate ``lam``: its base and its requests'
        work, up to its limit (not capped by the cores it gets, so the share below is a
        fixed point, not an iteration)."""
        return min(self.wl.base_cpu + lam * self.wl.cpu_per_request, self.wl.serving_limit_cpu)

    def _cores_from(self, sn: Any, uses: list[float], idle: float) -> tuple[float, ...]:
        """CFS on one node (``cpu.shares`` by request, work-conserving).

        Every tenant wants some CPU: the background tenants their ``usage``, the starting
        pods their start-up CPU, the serving pods ``baseCpu + rate x work``. Their mean
        use is the max-min fair (water-filling) split of the node's allocatable CPU
        weighted by their requests. A busy serving pod can then use what the others leave,
        at least its fair share of a node where everyone is busy, at most its limit; less
        its own ``baseCpu``.
        """
        wl = self.wl
        cl = self.cluster
        alloc = sn.node.allocatable.get("cpu", 0) / 1000.0
        req = max(wl.serving_request_cpu, 0.002)  # CFS gives every cgroup some weight
        bg_use, bg_req = cl.background_usage(sn), max(cl.background_requests(sn), 0.002)
        demands = [bg_use, idle, *uses]
        weights = [bg_req, req, *([req] * len(uses))]
        share = waterfill(alloc, demands, weights)
        total_w = sum(weights)
        used = sum(share)
        out = []
        for k, _ in enumerate(uses):
            mine = share[2 + k]
            fair = alloc * req / total_w
            free = alloc - (used - mine)
            avail = min(wl.serving_limit_cpu, max(fair, free))
            out.append(max(avail - wl.base_cpu, 0.0))
        return tuple(out)

    def _refresh_cores(self) -> None:
        """Re-derive every serving pod's cores from its node's current demand.

        Serving pods all see the same arrival rate, so on one node they want the same CPU:
        one split per distinct (node shape, pods, starting pods' use), cached.
        """
        cl = self.cluster
        if cl is None or not self.srv.classes:
            return
        u = self._predicted_use(None, self._per_endpoint_rate())
        by_node: dict[str, list[SimPod]] = {}
        for c in self.srv.classes:
            for q in c.pods:
                by_node.setdefault(q.node, []).append(q)  # type: ignore[arg-type]
        moves: list[tuple[SimPod, float]] = []
        cache = self._cores_cache
        for node, pods in by_node.items():
            sn = cl.nodes.get(node)
            if sn is None:
                continue
            n = sum(1 for q in sn.pods if q.mode == SERVING)
            idle = sum(q.rate for q in sn.pods if q.mode == IDLE)
            key = (sn.pool, sn.node.allocatable.get("cpu", 0), idle, n, u)
            cores = cache.get(key)
            if cores is None:
                cores = self._cores_from(sn, [u] * n, idle)[0] if n else 0.0
                if len(cache) > 512:
                    cache.clear()
                cache[key] = cores
            for q in pods:
                if q.cls.cores != cores:
                    moves.append((q, cores))
        if moves:
            self.srv.retarget(moves, self.env.now)

    def touch(self) -> None:
        """Integrate everything from the last event to now.

        metrics-server scrapes that fell between the last event and now happen here: the
        state was constant over that stretch, so each sample is exact and no scrape needs
        an event of its own.
        """
        now = self.env.now
        if now >= self.next_scrape:
            self._scrape_until(now)
        dt = now - self.last_t
        if dt <= 0:
            return
        m = 0.0 if now <= self.warmup else (dt if self.last_t >= self.warmup
                                            else now - self.warmup)
        owner_id = self.open_failures[-1].index if self.open_failures else -1
        self.srv.advance(self.last_t, now, m, self.n_ep, self.n_ep - self.n_alive, self.rate,
                         owner_id)
        self.errors_cum += (self.rate - self.served_rate) * dt
        if m > 0:
            ig = self.rec.integrals
            ig.measured_seconds += m
            ig.offered_requests += self.rate * m
            if self.n_alive > 0:
                ig.seconds_with_ready_pod += m
            if self.full:
                ig.seconds_at_full_capacity += m
            if self.n_alive >= self.spec_replicas:
                ig.seconds_all_desired_ready += m
            # pods not serving (the serving model integrates the others)
            ig.cpu_allocated_core_seconds += self.alloc_cpu * m
            ig.memory_allocated_gib_seconds += self.alloc_mem * m
            ig.cpu_allocated_spot_core_seconds += self.alloc_cpu_spot * m
            ig.memory_allocated_spot_gib_seconds += self.alloc_mem_spot * m
            ig.replica_seconds += self.n_holding * m
            ig.replica_seconds_spot += self.n_holding_spot * m
            ig.spec_replica_seconds += self.spec_replicas * m
            ig.ready_replica_seconds += self.n_alive * m
            idle = self.n_holding - self.n_serving
            ig.cpu_usage_core_seconds += idle * self.wl.base_cpu * m
            ig.memory_usage_gib_seconds += idle * self.wl.base_memory / GIB * m
            hist = ig.alive_seconds
            hist[self.n_alive] = hist.get(self.n_alive, 0.0) + m
            if self.open_failures:
                # Charge the loss to the latest failure still being recovered from.
                owner = self.open_failures[-1]
                owner.lost_requests += (self.rate - self.served_rate) * m
                if self.n_alive == 0:
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
        """An overloaded pod drains or fills its queue at ``at``: its regime changes."""
        yield self.env.timeout(max(at - self.env.now, 0.0))
        if at != self.srv_wakeup:
            return  # superseded by an earlier one
        self.srv_wakeup = math.inf
        self.touch()
        self.recompute()

    # --- pods ----------------------------------------------------------------------------
    def _new_pod(self, rs: ReplicaSet) -> SimPod:
        self.pod_counter += 1
        name = f"{rs.name}-{_suffix(self.pod_counter * 7919 + self.run_index)}"
        wl = self.wl
        pod = Pod(
            name=name,
            uid=name,
            namespace=wl.namespace,
            labels=wl.labels,
            creation_timestamp=self.env.now,
            owner=rs.name,
            containers=wl.containers,
            init_containers=wl.init_containers,
            overhead=wl.overhead,
            termination_grace_period_seconds=wl.grace,
            phase=POD_PENDING,
            resources=self.pod_resources,
        )
        p = SimPod(pod, rs.name, rs.rev)
        self.pod_version += 1
        if self.cluster is not None:
            self.cluster.prepare_pod(p)
        self.n_pending += 1
        rs.pods.append(p)
        self.pods.append(p)
        self.k8s_pods.append(pod)
        return p

    def _add_endpoint(self, p: SimPod) -> None:
        p.endpoint = True
        self.n_ep += 1
        if p.alive:
            self.n_alive += 1
            self._set_mode(p, SERVING)

    def _remove_endpoint(self, p: SimPod) -> None:
        if not p.endpoint:
            return
        p.endpoint = False
        self.n_ep -= 1
        if p.alive:
            self.n_alive -= 1
        if p.mode == SERVING:
            self._set_mode(p, IDLE)

    def create_warm_pod(self, rs: ReplicaSet, offset: float) -> None:
        """A pod that has been Ready for a long time when the run starts.

        With a cluster it is placed by the scheduler; if it fits nowhere it starts Pending
        like any new pod.
        """
        p = self._new_pod(rs)
        pod = p.pod
        if self.cluster is not None:
            sn, _ = self.cluster.schedule(p)
            if sn is None:
                self.env.process(self.pod_lifecycle(p))
                return
        else:
            pod.node_name = self.node_name
            p.node = self.node_name
        long_ago = -3600.0
        pod.creation_timestamp = long_ago
        pod.start_time = long_ago
        pod.phase = POD_RUNNING
        self.n_pending -= 1
        pod.conditions = [PodCondition(POD_READY, CONDITION_TRUE, long_ago)]
        p.container_start = long_ago
        p.ready_at = long_ago
        self._hold(p)
        self._add_endpoint(p)
        self.recompute()

    def _settle_warm_pods(self, offset: float) -> None:
        """Warm pods as metrics-server saw them at its scrape one resolution before the
        first one of the run, with the load as it is at the start (so every warm pod
        reports the same steady use, and the HPA has metrics from its first sync)."""
        res = self.resolution
        t_prev = offset - res
        for p in self.pods:
            if p.ready_at is None or p.mode != SERVING:
                continue
            p.m_last_t = t_prev
            p.m_last_c = 0.0
            c = p.cls
            p.cum = 0.0
            p.s0 = c.S - c.cpu * (res - offset)
            cpu = math.ceil(c.cpu * 1000.0 - 1e-6)
            p.cpu_metric = PodMetric(t_prev, res, cpu)
            p.mem_metric = PodMetric(t_prev, res, int(self.srv.memory_at(c, 0.0)) * 1000)
        self.metrics_dirty = False
        self.cpu_metrics = {p.pod.name: p.cpu_metric for p in self.pods if p.cpu_metric is not None}
        self.mem_metrics = {p.pod.name: p.mem_metric for p in self.pods if p.mem_metric is not None}

    def pod_lifecycle(self, p: SimPod):
        """Scheduling, then the start of the containers (see :meth:`start_containers`)."""
        env = self.env
        pod = p.pod
        yield env.timeout(sample(self.sched_delay, self.rng["startup"]))
        cl = self.cluster
        if cl is None:
            if p.deleted:
                return
            self._bind_virtual(p)
        else:
            while True:
                if p.deleted:
                    return
                sn, message = cl.schedule(p)
                if sn is not None:
                    break
                self.rec.event(env.now, "FailedScheduling", "Pod", pod.name, message, "Warning")
                if p not in cl.pending:
                    cl.pending.append(p)
                # Retried on a cluster change, or after podMaxInUnschedulablePodsDuration
                # (5 min), when the scheduling queue flushes unschedulable pods anyway.
                yield cl.changed | env.timeout(UNSCHEDULABLE_FLUSH)
                yield env.timeout(SCHEDULING_RETRY_BACKOFF)
            self.touch()
            self._hold(p)
            self.recompute()
        self.rec.event(env.now, "Scheduled", "Pod", pod.name,
                       f"Successfully assigned {pod.namespace}/{pod.name} to {p.node}")
        yield from self.start_containers(p)

    def _bind_virtual(self, p: SimPod) -> None:
        p.pod.node_name = self.node_name
        p.node = self.node_name
        self.touch()
        self._hold(p)
        self.recompute()

    def _node_gen(self, p: SimPod) -> int:
        cl = self.cluster
        if cl is None:
            return 0
        sn = cl.node_of(p)
        return -1 if sn is None or not sn.alive else sn.gen

    def start_containers(self, p: SimPod):
        """Kubelet: init containers, image pull, container start, probes, Ready.

        Stops if the pod is deleted or its node dies (the node's return starts it again).
        """
        env = self.env
        rng = self.rng["startup"]
        wl = self.wl
        pod = p.pod
        gen = self._node_gen(p)
        if gen < 0:
            return  # node down: restarted when it is back
        if pod.start_time is None:
            pod.start_time = env.now
            self.pod_version += 1
            self.young_until = max(self.young_until, env.now + self.cpu_init)
        worker_start = env.now
        init_t = sample(self.startup.initContainers, rng) if wl.init_containers else 0.0
        pull = sample(self.startup.imagePull, rng)
        start = sample(self.startup.containerStart, rng)
        yield env.timeout(init_t + pull + start)
        if p.deleted or self._node_gen(p) != gen:
            return
        self.touch()
        if pod.phase == POD_PENDING:
            pod.phase = POD_RUNNING
            self.n_pending -= 1
            self.pod_version += 1
        p.container_start = env.now
        p.cum = 0.0
        self._set_mode(p, IDLE)
        self.recompute()
        self.rec.event(env.now, "Started", "Pod", pod.name, f"Started container {wl.serving_container}")
        warm = self.startup.appWarmup
        app_up = env.now + (sample(warm, rng) if warm is not None else 0.0)
        backoff = CrashLoopBackOff()
        while True:
            tl = startup_timeline(worker_start, p.container_start, app_up,
                                  wl.startup_probe, wl.readiness_probe)
            if tl.killed_at is None:
                break
            yield env.timeout(tl.killed_at - env.now)
            if p.deleted or self._node_gen(p) != gen:
                return
            self.rec.event(env.now, "Unhealthy", "Pod", pod.name, "Startup probe failed", "Warning")
            self.rec.event(env.now, "Killing", "Pod", pod.name,
                           f"Container {wl.serving_container} failed startup probe, will be restarted")
            exited = env.now
            wait = backoff.delay(exited)
            if wait > 0:
                self.rec.event(env.now, "BackOff", "Pod", pod.name,
                               f"Back-off restarting failed container {wl.serving_container} "
                               f"in pod {pod.name}", "Warning")
                yield env.timeout(wait)
            backoff.next(exited, env.now)
            if p.deleted or self._node_gen(p) != gen:
                return
            self.touch()
            p.container_start = env.now
            # A new container: its cumulative CPU starts again and metrics-server drops the
            # old points (their start time differs; pkg/storage/pod.go).
            self._set_mode(p, IDLE)
            p.cum = 0.0
            p.m_last_t = p.m_prev_t = None
            if p.cpu_metric is not None:
                p.cpu_metric = p.mem_metric = None
                self.metrics_dirty = True
            app_up = env.now + (sample(warm, rng) if warm is not None else 0.0)
        yield env.timeout(max(tl.ready_at - env.now, 0.0))  # type: ignore[operator]
        if p.deleted or self._node_gen(p) != gen:
            return
        self.touch()
        p.ready_at = env.now
        pod.conditions = [PodCondition(POD_READY, CONDITION_TRUE, env.now)]
        self.pod_version += 1
        self._add_endpoint(p)
        self.recompute()
        # The ReplicaSet's readyReplicas changed; it is available minReadySeconds later.
        if self.rollout_active:
            self._enqueue_deployment()
            if self.wl.min_ready_seconds > 0:
                self.env.process(self._sync_later(self.wl.min_ready_seconds))

    # --- node events (called by the cluster) -------------------------------------------------
    def pod_lost(self, p: SimPod) -> None:
        """The pod's node died: containers stop; the endpoint stays until NotReady is seen.
        Its requests in flight are lost (``dead_endpoint``)."""
        if p.mode != OFF:
            if p.mode == SERVING and self.open_failures and self.env.now > self.warmup:
                self.open_failures[-1].lost_requests += self.srv.inflight_of(p.cls,
                                                                             self.env.now)
            self._set_mode(p, OFF, lost=True)
        if p.alive and p.endpoint:
            self.n_alive -= 1
        p.alive = False
        p.m_last_t = None
        p.m_prev_t = None
        p.cpu_metric = p.mem_metric = None
        self.metrics_dirty = True
        self.pod_version += 1

    def remove_endpoint_of_lost(self, p: SimPod) -> None:
        """MarkPodsNotReady: the endpoint of a pod on a NotReady node goes."""
        self.pod_version += 1
        if p.endpoint:
            p.endpoint = False
            self.n_ep -= 1

    def pod_node_back(self, p: SimPod) -> None:
        """The pod's node is back: a deleted pod finishes, the others start again.

        A node back before it was marked NotReady still lists its pods as endpoints: the
        kubelet restarts the containers, the pods turn not Ready and leave the endpoints
        until their probes pass again.
        """
        if p.endpoint:
            p.endpoint = False
            self.n_ep -= 1  # p.alive is False here, so n_alive never counted it
        p.alive = True
        if p.deleted:
            self.gone(p)
            return
        p.ready_at = None
        # The kubelet restarts the containers of the same pod: status.startTime stays (it
        # is set once, kubelet_pods.go generateAPIPodStatus keeps the old one), and the
        # status manager posts Ready=False. Its last posted status said Ready=True, so
        # updateLastTransitionTime (status_manager.go) stamps the condition with now. The
        # HPA then groups the pod by that condition (not as a pod without one).
        p.pod.conditions = [PodCondition(POD_READY, CONDITION_FALSE, self.env.now)]
        self.pod_version += 1
        self.env.process(self.start_containers(p))

    def delete_pod(self, p: SimPod, reason: str = "SuccessfulDelete",
                   grace: float | None = None) -> None:
        """Graceful deletion at ``env.now`` (the ReplicaSet's, an eviction's, the taint
        manager's). ``grace`` (seconds) overrides the pod's terminationGracePeriodSeconds, as
        a DeleteOptions.gracePeriodSeconds does (the cluster autoscaler's evictions)."""
        if p.deleted:
            return
        env = self.env
        self.touch()
        p.deleted = True
        pod = p.pod
        if pod.phase == POD_PENDING:
            self.n_pending -= 1
        # BeforeDelete (apiserver registry/rest/delete.go): deletionTimestamp is the time by
        # which the pod should be gone, now + the grace period.
        g = self.wl.grace if grace is None else float(grace)
        pod.deletion_timestamp = env.now + g
        pod.deletion_grace_period_seconds = g
        self.pod_version += 1
        self._remove_endpoint(p)
        self.recompute()
        if reason == "SuccessfulDelete":
            self.rec.event(env.now, "SuccessfulDelete", "ReplicaSet", p.rs, f"Deleted pod: {pod.name}")
        if p.node is None:
            self.gone(p)  # never bound: nothing to stop
            return
        if not p.alive:
            return  # on a dead node: Terminating until the node is back or removed
        if p.container_start is None:
            self.gone(p)
            return
        self.rec.event(env.now, "Killing", "Pod", pod.name, f"Stopping container {self.wl.serving_container}")
        env.process(self._terminate(p))

    def _terminate(self, p: SimPod):
        # preStop runs first; SIGTERM after it; SIGKILL at the end of the grace period.
        grace = p.pod.deletion_grace_period_seconds
        wait = min(self.wl.pre_stop, self.wl.grace if grace is None else grace)
        yield self.env.timeout(wait)
        if p.alive:
            self.gone(p)

    def gone(self, p: SimPod) -> None:
        """The pod object is removed (its resources are free)."""
        if p not in self.pods:
            return
        self.touch()
        if p.mode != OFF:
            self._set_mode(p, OFF)
        if p.endpoint:
            self._remove_endpoint(p)
        self._release(p)
        self.pods.remove(p)
        self.k8s_pods.remove(p.pod)
        # The quota controller sees the deletion and recalculates status.used at once.
        self.quota_replenished_at = self.env.now
        self.pod_version += 1
        if p.cpu_metric is not None:
            # metrics-server answers for the pods its informer lists (status.phase=Running,
            # pkg/server/informer.go runningPodMetadataInformer; pkg/api/pod.go): a deleted
            # pod's metrics go with the pod object, not at the next scrape.
            p.cpu_metric = p.mem_metric = None
            name = p.pod.name
            self.cpu_metrics = {k: v for k, v in self.cpu_metrics.items() if k != name}
            self.mem_metrics = {k: v for k, v in self.mem_metrics.items() if k != name}
        for rs in self.replicasets:
            if p in rs.pods:
                rs.pods.remove(p)
                break
        if self.cluster is not None:
            self.cluster.unbind(p)
        self.recompute()
        if self.rollout_active:
            self._enqueue_deployment()
        if self.create_failures:
            self.sync_all()

    # --- ReplicaSet / Deployment ---------------------------------------------------------
    def scale_deployment(self, replicas: int) -> None:
        """The HPA (or a user) sets the Deployment's ``spec.replicas``: the Deployment
        controller sees the update (``updateDeployment``) and syncs."""
        self.touch()
        self.spec_replicas = replicas
        self._enqueue_deployment()

    def _deployment_state(self) -> rollout.DeploymentState:
        return self._deployment_state_for(self.spec_replicas)

    def _deployment_state_for(self, replicas: int) -> rollout.DeploymentState:
        return rollout.DeploymentState(
            replicas=replicas, max_surge=self.max_surge,
            max_unavailable=self.max_unavailable, strategy_type=self.strategy_type,
            min_ready_seconds=self.wl.min_ready_seconds,
            status_replicas=sum(1 for p in self.pods if not p.deleted),
            pod_replacement_policy=self.pod_replacement_policy)

    def _scale_rs(self, rs: ReplicaSet, replicas: int) -> None:
        """``scaleReplicaSet``: write ``spec.replicas`` and the replicas annotations
        (``SetReplicasAnnotations``: the Deployment's ``replicas`` and ``replicas +
        maxSurge``), then let the ReplicaSet controller act. A changed ReplicaSet brings the
        Deployment back (``updateReplicaSet``)."""
        changed = rs.spec_replicas != replicas
        if changed:
            verb = "up" if replicas > rs.spec_replicas else "down"
            self.rec.event(self.env.now, "ScalingReplicaSet", "Deployment", self.wl.name,
                           f"Scaled {verb} replica set {rs.name} from {rs.spec_replicas} to {replicas}")
            rs.spec_replicas = replicas
        rs.desired_ann = self.spec_replicas
        rs.max_ann = self.spec_replicas + rollout.max_surge(self._deployment_state())
        self.sync_replica_set(rs)
        if changed:
            self._enqueue_deployment()

    def sync_all(self) -> None:
        """Let every controller react to a pod going away (evictions, node loss)."""
        if self.rollout_active:
            self._enqueue_deployment()
        for rs in list(self.replicasets):
            self.sync_replica_set(rs)

    def start_rollout(self) -> None:
        """A new pod template: a new ReplicaSet takes over (RollingUpdate or Recreate)."""
        self.touch()
        self.rev += 1
        new = ReplicaSet(f"{self.wl.name}-{self._rs_hash(self.rev)}", self.rev, 0)
        # getNewReplicaSet creates it with the replicas annotations of the Deployment now.
        new.desired_ann = self.spec_replicas
        new.max_ann = self.spec_replicas + rollout.max_surge(self._deployment_state())
        self.replicasets.append(new)
        self.rs = new
        self.rollout_active = True
        self.rollouts.append({"start": self.env.now, "end": None, "min_available": None})
        self._enqueue_deployment()

    def _rs_state(self, rs: ReplicaSet) -> rollout.ReplicaSetState:
        now = self.env.now
        mrs = self.wl.min_ready_seconds
        active = [p for p in rs.pods if not p.deleted]
        ready = sum(1 for p in active if p.ready_at is not None and p.endpoint)
        available = sum(1 for p in active if p.ready_at is not None and p.endpoint
                        and p.ready_at + mrs <= now)
        return rollout.ReplicaSetState(rs.name, rs.spec_replicas, available_replicas=available,
                                       ready_replicas=ready, replicas=len(active),
                                       creation_timestamp=float(rs.rev),
                                       desired_replicas_annotation=rs.desired_ann,
                                       max_replicas_annotation=rs.max_ann,
                                       terminating_replicas=len(rs.pods) - len(active))

    def _enqueue_deployment(self) -> None:
        """The Deployment's key enters the work queue: it is synced now, and again at once
        if something it watches changed during the sync (its own ReplicaSet scale-ups and
        scale-downs, pods deleted or Ready), as the queue runs a key again after a change
        during its sync (``deployment_controller.go`` ``updateReplicaSet``, ``enqueue``)."""
        if self._dep_syncing:
            self._dep_dirty = True
            return
        self._dep_syncing = True
        try:
            for _ in range(1000):
                self._dep_dirty = False
                self.deployment_sync()
                if not self._dep_dirty:
                    return
            raise SimulationError("the Deployment controller did not settle after 1000 syncs")
        finally:
            self._dep_syncing = False

    def deployment_sync(self) -> None:
        """``syncDeployment``: a scaling event scales proportionally (``sync.go`` ``scale``
        via :func:`capacity.k8s.rollout.scale`); otherwise a rollout goes on with
        ``rolloutRolling`` (``rolling.go``) or ``rolloutRecreate`` (``recreate.go``).

        Each ReplicaSet the controller scales re-queues the Deployment
        (:meth:`_enqueue_deployment`), so after the old ReplicaSet is scaled down the next
        surge pod is created at once, while the old pod still runs its preStop: terminating
        pods are not counted (``NewRSNewReplicas`` sums ``spec.replicas``), unless
        ``podReplacementPolicy`` is ``TerminationComplete``.
        """
        d = self._deployment_state()
        states = {rs.name: self._rs_state(rs) for rs in self.replicasets}
        new = states[self.rs.name]
        olds = [states[rs.name] for rs in self.replicasets if rs is not self.rs]
        by_name = {rs.name: rs for rs in self.replicasets}
        if rollout.is_scaling_event(d, states.values()):
            for name, n in rollout.scale(d, new, olds).items():
                self._scale_rs(by_name[name], n)
            return
        if not self.rollout_active:
            if self.rs.spec_replicas != self.spec_replicas:
                self._scale_rs(self.rs, self.spec_replicas)  # no annotations yet: scale()
            return
        all_rss = list(states.values())
        if self.strategy_type == rollout.RECREATE:
            self._rollout_recreate(d, new, olds, by_name)
        else:
            target = rollout.reconcile_new_replica_set(d, all_rss, new)
            if target is not None:
                self._scale_rs(self.rs, target)
                return  # rolloutRolling returns after a scale-up; the update brings it back
            active_olds = rollout.filter_active_replica_sets(olds)
            res = rollout.reconcile_old_replica_sets(d, all_rss, active_olds, new)
            for name, n in res.new_replicas.items():
                self._scale_rs(by_name[name], n)
            if res.scaled:
                return
        self._rollout_progress(d)

    def _rollout_recreate(self, d: rollout.DeploymentState, new: rollout.ReplicaSetState,
                          olds: list[rollout.ReplicaSetState],
                          by_name: dict[str, ReplicaSet]) -> None:
        """``rolloutRecreate``: scale every old ReplicaSet to zero, wait until none of their
        pods is left (``oldPodsRunning``: terminating pods count), then scale the new one
        to ``replicas``."""
        scaled = False
        for o in rollout.filter_active_replica_sets(olds):
            self._scale_rs(by_name[o.name], 0)
            scaled = True
        if scaled:
            return
        if any(rs.pods for rs in self.replicasets if rs is not self.rs):
            return
        if self.rs.spec_replicas != d.replicas:
            self._scale_rs(self.rs, d.replicas)

    def _rollout_progress(self, d: rollout.DeploymentState) -> None:
        """Record the rollout's figures and end it once ``DeploymentComplete`` holds: the
        new ReplicaSet owns every replica, all available, no old pod left that is not
        terminating (terminating ones too under ``TerminationComplete``)."""
        states = [self._rs_state(rs) for rs in self.replicasets]
        new = self._rs_state(self.rs)
        r = self.rollouts[-1]
        avail = sum(s.available_replicas for s in states)
        r["min_available"] = avail if r["min_available"] is None else min(r["min_available"], avail)
        r["max_pods"] = max(r.get("max_pods", 0), sum(s.replicas for s in states))
        # terminating pods too: they still hold node room and, within their grace, quota
        r["max_pod_objects"] = max(r.get("max_pod_objects", 0), len(self.pods))
        old_left = sum(s.replicas for s in states if s.name != new.name)
        terminating = sum(s.terminating_replicas for s in states)
        complete = (new.spec_replicas == d.replicas and new.replicas == d.replicas
                    and old_left == 0 and new.available_replicas >= d.replicas)
        if self.pod_replacement_policy == rollout.TERMINATION_COMPLETE:
            complete = complete and terminating == 0
        if complete:
            self.rollout_active = False
            r["end"] = self.env.now
            self.replicasets = [self.rs]

    def _sync_later(self, delay: float, timer: bool = True):
        """The Deployment is synced again after ``delay`` (a pod turning available after
        ``minReadySeconds``: the ReplicaSet controller re-queues itself for that moment,
        and its status update brings the Deployment back)."""
        yield self.env.timeout(delay)
        del timer
        self._enqueue_deployment()

    def _rollout_at(self, at: float):
        if at > self.env.now:
            yield self.env.timeout(at - self.env.now)
        self.start_rollout()

    def sync_replica_set(self, rs: ReplicaSet) -> None:
        """``manageReplicas``: create or delete pods to match ``spec.replicas``.

        Creation goes through admission; a refused create (``FailedCreate``) stops the
        batch, as ``slowStartBatch`` does, and the sync is retried with the controller's
        exponential back-off (5 ms doubling, at most 1000 s) or when a pod goes away.
        """
        active = [p for p in rs.pods if not p.deleted]
        diff = len(active) - rs.spec_replicas
        if diff < 0:
            for _ in range(-diff):
                msg = self.admission.admit(self.charged_pods())
                if msg is not None:
                    self.rec.event(self.env.now, "FailedCreate", "ReplicaSet", rs.name,
                                   f"Error creating: {msg}", "Warning")
                    self.create_failures += 1
                    if not self.retry_pending:
                        self.retry_pending = True
                        delay = min(0.005 * 2 ** (self.create_failures - 1), 1000.0)
                        self.env.process(self._retry_sync(delay))
                    return
                self.create_failures = 0
                p = self._new_pod(rs)
                self.rec.event(self.env.now, "SuccessfulCreate", "ReplicaSet", rs.name,
                               f"Created pod: {p.pod.name}")
                self.env.process(self.pod_lifecycle(p))
                n = self.charged_pods()
                if n > self.peak_charged:
                    self.peak_charged = n
        elif diff > 0:
            for p in self._pods_to_delete(active, diff):
                self.delete_pod(p)

    def _retry_sync(self, delay: float):
        yield self.env.timeout(delay)
        self.retry_pending = False
        self.sync_all()

    def quota_recalculated_at(self) -> float:
        """When the resource quota controller last recalculated ``status.used``: the latest
        of its periodic resyncs (every ``--resource-quota-sync-period``, 5 min, from a
        random phase) and the replenishments a pod deletion triggers."""
        period = DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD
        now = self.env.now
        resync = self.quota_phase + math.floor((now - self.quota_phase) / period) * period
        return max(resync, self.quota_replenished_at)

    def charged_pods(self) -> int:
        """Pods the quota's ``status.used`` charges now (what admission checks): every pod
        not deleted, and a deleted one until the first recalculation after its
        ``deletionTimestamp + grace`` (:func:`capacity.k8s.quota.charged_in_status`).

        The API server sets ``deletionTimestamp`` to the request time plus the grace period
        (``BeforeDelete``), and ``QuotaV1Pod`` keeps charging until that plus the grace
        period again; a pod on a lost node that stays Terminating is only released at the
        next quota resync."""
        r = self.quota_recalculated_at()
        return sum(1 for p in self.pods if charged_in_status(p.pod, r))

    def _pods_to_delete(self, active: list[SimPod], diff: int) -> list[SimPod]:
        """``getPodsToDelete`` (controller_utils.go ranking, via k8s.replicaset): unassigned,
        pending, not ready, most co-located, ready for less time, newest first."""
        related = [q.pod for q in self.pods if not q.deleted]
        chosen = get_pods_to_delete([p.pod for p in active], related, diff, self.env.now)
        by_pod = {id(p.pod): p for p in active}
        return [by_pod[id(pod)] for pod in chosen]

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
        srv = self.srv
        rebuild = self.metrics_dirty
        changed = False
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
                mv = int(srv.memory_at(k, t)) * 1000
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

    def hpa_control_loop(self, offset: float):
        env = self.env
        spec = self.hpa_spec
        yield env.timeout(offset)
        ctl = self.controller
        reconcile = ctl.reconcile_autoscaler
        nan = math.nan
        last_statuses: object = None
        # At a fixed point (the proposal and every recommendation a window can see equal
        # spec.replicas) a sync with unchanged inputs decides the same again: skip it and
        # hand the controller the last skipped sync's recommendation before the next real
        # one (HorizontalController.at_fixed_point). Exact; tested against the slow path.
        fixed_key: object = None
        skipped_at: float | None = None
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
                    cpu = mem = nan
                    for st in statuses:
                        if st is not None and st.average_utilization is not None and not st.container:
                            if st.name == "cpu":
                                cpu = float(st.average_utilization)
                            elif st.name == "memory":
                                mem = float(st.average_utilization)
                    self.last_util = cpu
                    self.last_mem_util = mem
                if res.event is not None:
                    etype, reason, message = res.event
                    self.rec.event(now, reason, "HorizontalPodAutoscaler", self.hpa_name, message, etype)
                if res.rescale:
                    self.scale_deployment(res.desired_replicas)
            else:
                self.last_desired = self.spec_replicas
            self.sample_row()
            yield env.timeout(self.sync_period)

    def sample_row(self) -> None:
        rec = self.rec
        n = self.spec_replicas
        if (n < rec.replicas_min or n > rec.replicas_max) and self.env.now >= self.warmup:
            rec.see_replicas(n)
        if not rec.record:
            return
        rec.row((
            self.env.now,
            self.rate,
            self.served_rate,
            self.last_desired,
            self.spec_replicas,
            self.n_alive,
            self.n_pending,
            self.last_util,
            self.last_mem_util,
            self.cluster.nodes_ready if self.cluster is not None else math.nan,
            self.cost_rate * 3600.0,
            self.n_ep,
            sum(c.n * min(c.mu, self.srv.p.rate_cap) for c in self.srv.classes),
            self.srv.inflight_total(self.env.now),
            self.errors_cum + (self.rate - self.served_rate) * (self.env.now - self.last_t),
        ))

    # --- run ------------------------------------------------------------------------------
    def initial_replicas(self) -> int:
        d = self.sc.workload.deployment.replicas
        s = self.hpa_spec
        if s is None:
            return d if d is not None else 1
        n = d if d is not None else (s.min_replicas or 1)
        return max(s.min_replicas or 1, min(s.max_replicas, n))

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
        cols = rec.column_arrays() if rec.record else {}
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
            rows = self.rec.column_arrays()["time"]
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


def waterfill(capacity: float, demands: list[float], weights: list[float]) -> list[float]:
    """Max-min fair split of ``capacity`` by ``weights``: each gets at most its demand, and
    what the satisfied leave is shared by the others in proportion to their weights."""
    out = [0.0] * len(demands)
    active = [i for i, d in enumerate(demands) if d > 0]
    left = capacity
    while active and left > 0:
        wsum = sum(weights[i] for i in active)
        level = left / wsum
        done = [i for i in active if demands[i] <= level * weights[i]]
        if not done:
            for i in active:
                out[i] = level * weights[i]
            break
        for i in done:
            out[i] = demands[i]
            left -= demands[i]
        active = [i for i in active if i not in done]
    return out


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
