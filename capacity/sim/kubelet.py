"""The kubelet's part of a run: pods from creation to removal.

Scheduling (through the cluster's scheduler), init containers, image pull, container start,
the startup and readiness probes (:mod:`capacity.k8s.probes`), CrashLoopBackOff after a
startup-probe kill (``kuberuntime_manager.go`` ``doBackOff``), graceful termination (the
endpoint goes at once, preStop, then SIGKILL at the end of the grace period), and what
happens to a pod when its node dies or comes back. Read "what happens when a pod is
deleted" in :meth:`Kubelet.delete_pod` and :meth:`Kubelet.gone`.
"""

from __future__ import annotations

import math

from capacity.k8s.probes import startup_timeline
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
from capacity.sim.cluster import SCHEDULING_RETRY_BACKOFF, UNSCHEDULABLE_FLUSH
from capacity.sim.controllers import ReplicaSet, _suffix
from capacity.sim.distributions import sample
from capacity.sim.workload import IDLE, OFF, SERVING, SimPod

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


class Kubelet:
    """The kubelet part of :class:`capacity.sim.engine.Model` (a mixin: it
    reads and writes the run's shared state on ``self``)."""

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
            if self.hk_interval > 0:
                # that sample is cAdvisor's latest reading; the next comes after a part of
                # one gap (the pod has run long, so its timer's phase is arbitrary)
                p.hk_t, p.hk_c, p.hk_mv = t_prev, 0.0, p.mem_metric.value
                p.hk_next = t_prev + float(self.hk_rng.uniform(0.0, 1.0)) * self._hk_gap()
                self.hk_min = min(self.hk_min, p.hk_next)
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
        self._housekeep_start(p)
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
            self._housekeep_start(p)
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
