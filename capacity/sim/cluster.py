"""Nodes, scheduling, node and zone failures, spot reclaims, drains and the PDB.

The control loops modelled, with the upstream behaviour they follow:

* kube-scheduler: every pod is placed by :func:`capacity.k8s.scheduler.schedule_pod_in_snapshot`
  on a maintained snapshot; a pod that fits nowhere stays Pending with a
  ``FailedScheduling`` event and is retried when the cluster changes (a node becomes Ready
  or schedulable, a pod goes away), as the scheduling queue's cluster events do.
* kubelet + node lifecycle controller (``node_lifecycle_controller.go``): a node renews its
  lease every 0.25 × ``nodeLeaseDurationSeconds`` (10 s); the controller checks every
  ``nodeMonitorPeriod`` on a sliding timer, stamps the time it first sees a renewal, and
  marks a node NotReady (``NodeNotReady``) at the first check more than
  ``nodeMonitorGracePeriod`` after that stamp (:meth:`ClusterSim.not_ready_at`); it marks
  its pods not Ready (they leave the endpoints), taints it ``unreachable:NoSchedule`` at
  once and ``unreachable:NoExecute`` through its zone's rate-limited queue
  (``nodeEvictionRate``; none while a small zone is partially disrupted or every zone is
  down); the taint eviction controller deletes each pod when its ``tolerationSeconds``
  run out (``TaintManagerEviction``); the ReplicaSet replaces it at once. Pods deleted on a
  dead node stay Terminating until the node comes back.
* spot reclaims: a notice, a drain through the eviction API during the notice, then the
  node is gone (its pods with it) until the pool brings a replacement.
* ``kubectl drain``: cordon, evict every pod in parallel, retry a 429 every 5 s, wait
  until the pods are gone (``staging/src/k8s.io/kubectl/pkg/drain/drain.go``).
* the disruption controller: the PDB's status is recomputed from the pods at each
  eviction (``disruption.go``), and the eviction API decides (``eviction.go``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from capacity.errors import SimulationError
from capacity.k8s import disruption as kdis
from capacity.k8s.node import (
    LABEL_HOSTNAME,
    LABEL_TOPOLOGY_ZONE,
    TAINT_EFFECT_NO_EXECUTE,
    TAINT_EFFECT_NO_SCHEDULE,
    TAINT_NODE_NOT_READY,
    TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
    Node,
    Taint,
    toleration_tolerates_taint,
)
from capacity.k8s.scheduler import (
    Snapshot,
    schedule_pod_in_snapshot,
    scheduler_config_for_version,
    scheduling_spec_from_pod_spec,
)
from capacity.k8s.types import CONDITION_FALSE, POD_READY, PodCondition, Toleration, resource_list
from capacity.sim.distributions import sample
from capacity.sim.nodes import DrainRecord, FailureRecord, SimNode
from capacity.sim.settings import lease_renew_interval
from capacity.sim.tenants import background_pod, cpu_cores

if TYPE_CHECKING:
    from capacity.sim.workload import SimPod

SCHEDULING_RETRY_BACKOFF = 1.0  # podInitialBackoffSeconds
UNSCHEDULABLE_FLUSH = 300.0  # podMaxInUnschedulablePodsDuration (scheduling_queue.go)
# PodGC deletes the pods of a Node that no longer exists after a quarantine of 40 s
# (gc_controller.go quarantineTime; recalled, not re-read from the source here).
POD_GC_DELAY = 40.0
DRAIN_RETRY = kdis.DRAIN_EVICTION_RETRY_SECONDS


def _default_tolerations(sc, template_tolerations: list[Toleration]) -> list[Toleration]:
    """DefaultTolerationSeconds admission: not-ready and unreachable NoExecute tolerations
    (``plugin/pkg/admission/defaulttolerationseconds``), added unless the pod already
    tolerates those taints."""
    out = list(template_tolerations)
    api = sc.controllers.kubeApiserver
    for key, seconds in ((TAINT_NODE_NOT_READY, api.defaultNotReadyTolerationSeconds),
                         (TAINT_NODE_UNREACHABLE, api.defaultUnreachableTolerationSeconds)):
        taint = Taint(key, "", TAINT_EFFECT_NO_EXECUTE)
        if not any(toleration_tolerates_taint(t, taint) for t in out):
            out.append(Toleration(key=key, operator="Exists", effect=TAINT_EFFECT_NO_EXECUTE,
                                  toleration_seconds=float(seconds)))
    return out


class ClusterSim:
    """The cluster under the workload (present when the scenario has a ``cluster``)."""

    def __init__(self, model: Any) -> None:
        """``model`` is the run (:class:`capacity.sim.engine.Model`): the cluster reads its
        clock, random streams and pods, and calls back its pod lifecycle."""
        self.m = model
        sc = model.sc
        self.sc = sc
        cl = sc.cluster
        assert cl is not None
        rng = model.rng["nodes"]
        # The kubelet renews its Lease every 0.25 × nodeLeaseDurationSeconds (kubelet.go).
        self.lease_renew = lease_renew_interval(sc)
        self.nodes: dict[str, SimNode] = {}
        # Other tenants per pool (nodePools[].background): CPU they use, and a stand-in
        # pod per node holding their requests in the scheduler's snapshot.
        self.bg_usage = {p.name: cpu_cores(p.background.usage.cpu) if p.background else 0.0
                         for p in cl.nodePools}
        self.bg_requests = {p.name: cpu_cores(p.background.requests.cpu) if p.background
                            else 0.0 for p in cl.nodePools}
        self.zones = list(cl.zones)
        self.snapshot = Snapshot()
        for pool in cl.nodePools:
            alloc = resource_list(pool.allocatable)
            for zone in pool.zones or cl.zones:
                for i in range(pool.nodesPerZone):
                    self._add_node(pool, zone, i, alloc, float(rng.uniform(0, self.lease_renew)))
        tmpl = sc.workload.deployment.template.spec
        self.spec = scheduling_spec_from_pod_spec(tmpl.to_k8s())
        self.config = scheduler_config_for_version(sc.kubernetesVersion)
        tols = [Toleration(key=t.key, operator=t.operator or "Equal", value=t.value, effect=t.effect,
                           toleration_seconds=t.tolerationSeconds) for t in tmpl.tolerations or []]
        self.tolerations = _default_tolerations(sc, tols)
        kcm = sc.controllers.kubeControllerManager
        self.grace = sc.node_monitor_grace_period
        self.monitor_period = kcm.nodeMonitorPeriod
        self.monitor_phase = float(rng.uniform(0, self.monitor_period))
        self.eviction_rate = kcm.nodeEvictionRate
        self.secondary_rate = kcm.secondaryNodeEvictionRate
        self.unhealthy_threshold = kcm.unhealthyZoneThreshold
        self.large_cluster = kcm.largeClusterSizeThreshold
        self.pending: list[SimPod] = []  # unschedulable pods waiting for a change
        self.changed = model.env.event()
        self.zone_queue: dict[str, list[SimNode]] = {z: [] for z in self.zones}
        self.zone_wakeup: dict[str, Any] = {}
        self.zone_last_taint: dict[str, float] = {z: -math.inf for z in self.zones}
        self.all_disrupted = False  # every zone fully disrupted (handleDisruption)
        self._exit_pending = False
        self.drains: list[DrainRecord] = []
        self.failures: list[FailureRecord] = []
        self.pdb = self._build_pdb()
        self.nodes_ready = len(self.nodes)
        self._refresh_costs()
        from capacity.sim.autoscaler import ClusterAutoscaler

        self.autoscaler = ClusterAutoscaler(self)
        self.node_seconds_by_pool: dict[str, float] = {}

    # --- nodes -------------------------------------------------------------------------
    def _add_node(self, pool, zone: str, i: int, alloc: dict[str, int], phase: float) -> SimNode:
        name = f"{pool.name}-{zone}-{i}"
        while name in self.nodes:
            i += 1
            name = f"{pool.name}-{zone}-{i}"
        labels = {**pool.labels, LABEL_TOPOLOGY_ZONE: zone, LABEL_HOSTNAME: name,
                  "capacity.sim/pool": pool.name}
        if pool.instanceType:
            labels["node.kubernetes.io/instance-type"] = pool.instanceType
        taints = [Taint(t.key, t.value or "", t.effect) for t in pool.taints]
        node = Node(name=name, labels=labels, taints=taints, allocatable=dict(alloc))
        price = self._node_price(pool)
        sn = SimNode(node, zone, pool.name, pool.spot, phase, price)
        self.nodes[name] = sn
        self.snapshot.set_node(node)
        bg = background_pod(pool, name)
        if bg is not None:
            self.snapshot.add_pod(bg, name)
        return sn

    def background_usage(self, sn: SimNode) -> float:
        """Cores the other tenants of ``sn`` use (its pool's ``background.usage.cpu``)."""
        return self.bg_usage.get(sn.pool, 0.0)

    def background_requests(self, sn: SimNode) -> float:
        """Cores the other tenants of ``sn`` request (their CFS shares)."""
        return self.bg_requests.get(sn.pool, 0.0)

    def _node_price(self, pool) -> float:
        pr = self.sc.pricing
        if pool.name in pr.nodes:
            return pr.nodes[pool.name]
        if pool.pricePerHour is not None:
            return pool.pricePerHour
        alloc = resource_list(pool.allocatable)
        cpu = alloc.get("cpu", 0) / 1000.0
        mem = alloc.get("memory", 0) / 1000.0 / 1024**3
        if pool.spot:
            return cpu * pr.spotCpuPerHour + mem * pr.spotMemoryGiBPerHour
        return cpu * pr.cpuPerHour + mem * pr.memoryGiBPerHour

    def _refresh_costs(self) -> None:
        """Node cost rate (per second) and node counts per pool, for the nodes that exist."""
        live = [n for n in self.nodes.values() if not n.removed]
        self.node_cost_rate = sum(n.price for n in live) / 3600.0
        pools: dict[str, int] = {}
        for n in live:
            pools[n.pool] = pools.get(n.pool, 0) + 1
        self.pool_nodes = pools

    def notify(self) -> None:
        """Something changed that may let a Pending pod schedule."""
        ev = self.changed
        self.changed = self.m.env.event()
        if not ev.triggered:
            ev.succeed()

    # --- scheduling ----------------------------------------------------------------------
    def prepare_pod(self, p: SimPod) -> None:
        p.pod.tolerations = self.tolerations

    def schedule(self, p: SimPod) -> tuple[SimNode | None, str]:
        res = schedule_pod_in_snapshot(p.pod, self.spec, self.snapshot, config=self.config)
        if res.node_name is None:
            return None, res.message
        sn = self.nodes[res.node_name]
        self.bind(p, sn)
        return sn, ""

    def bind(self, p: SimPod, sn: SimNode) -> None:
        p.pod.node_name = sn.name
        p.node = sn.name
        p.spot = sn.spot
        sn.pods.append(p)
        self.snapshot.add_pod(p.pod, sn.name)

    def unbind(self, p: SimPod) -> None:
        sn = self.nodes.get(p.node or "")
        if sn is None:
            return
        if p in sn.pods:
            sn.pods.remove(p)
        self.snapshot.remove_pod(p.pod, sn.name)
        self.notify()

    def node_of(self, p: SimPod) -> SimNode | None:
        return self.nodes.get(p.node or "")

    # --- failures ---------------------------------------------------------------------------
    def fail_node(self, sn: SimNode, kind: str) -> None:
        """The node stops: its containers die, its lease stops being renewed.

        Causes overlap (a node failure inside a zone outage, an upgrade of a failed node):
        each call is matched by one :meth:`recover_node`, and the node is back only when
        every cause has ended.
        """
        sn.down_causes += 1
        if not sn.alive:
            return
        m = self.m
        m.touch()
        now = m.env.now
        sn.alive = False
        sn.gen += 1
        sn.down_since = now
        sn.kind_down = kind
        self.nodes_ready -= 1
        m.rec.event(now, "NodeDown", "Node", sn.name, f"{kind}: node stopped (kubelet not reachable)",
                    "Warning")
        for p in list(sn.pods):
            m.pod_lost(p)
        m.recompute()
        detect = max(now, self.not_ready_at(sn.hb_phase, now))
        sn.detect_at = detect
        m.env.process(self._detect(sn, sn.gen, detect))

    def not_ready_at(self, hb_phase: float, now: float) -> float:
        """When the node lifecycle controller marks a node NotReady whose kubelet stopped at
        ``now`` and renewed its Lease at ``hb_phase + k × lease_renew``.

        ``tryUpdateNodeHealth`` (node_lifecycle_controller.go) stamps ``probeTimestamp`` with
        the controller's own clock at the first ``monitorNodeHealth`` pass that sees the last
        renewal, and sets Ready to Unknown at the first pass with
        ``now.After(probeTimestamp + gracePeriod)``. ``Run`` starts the passes with
        ``wait.UntilWithContext``, a sliding timer: each period starts when the previous pass
        returns, so pass ``k`` after the stamping one runs slightly later than
        ``k × nodeMonitorPeriod`` and is strictly after the deadline as soon as
        ``k × period >= grace``. With the default 5 s period and 50 s grace that is the 10th
        pass, i.e. ``probeTimestamp + 50 s`` (the pass time drift, milliseconds, is not
        modelled beyond that tie-break).
        """
        period, phase, renew = self.monitor_period, self.monitor_phase, self.lease_renew
        last_lease = hb_phase + math.floor((now - hb_phase) / renew + 1e-9) * renew
        probe = phase + math.ceil((last_lease - phase) / period - 1e-9) * period
        return probe + math.ceil(self.grace / period - 1e-9) * period

    def _detect(self, sn: SimNode, gen: int, at: float):
        m = self.m
        yield m.env.timeout(at - m.env.now)
        if sn.gen != gen or sn.alive or sn.removed or sn.detect_at != at:
            return  # back, gone, or its probe timestamp was reset (leaving disruption mode)
        m.touch()
        now = m.env.now
        sn.detected = True
        sn.node.ready = "Unknown"
        sn.node.ready_transition_time = now
        # TaintNodesByCondition: NoSchedule at once.
        sn.node.taints.append(Taint(TAINT_NODE_UNREACHABLE, "", TAINT_EFFECT_NO_SCHEDULE))
        m.rec.event(now, "NodeNotReady", "Node", sn.name, f"Node {sn.name} status is now: NodeNotReady")
        for p in sn.pods:
            # MarkPodsNotReady: the Ready condition turns False; the endpoint goes.
            if not p.deleted:
                p.pod.conditions = [PodCondition(POD_READY, CONDITION_FALSE, now)]
            m.remove_endpoint_of_lost(p)
        m.recompute()
        self.zone_queue[sn.zone].append(sn)
        if not self.all_disrupted and self._all_zones_down():
            self._enter_full_disruption()
        self._wake_zone(sn.zone)

    def _next_pass(self, t: float) -> float:
        """The first ``monitorNodeHealth`` pass at or after ``t``."""
        period, phase = self.monitor_period, self.monitor_phase
        return phase + math.ceil((t - phase) / period - 1e-9) * period

    def _enter_full_disruption(self) -> None:
        """``handleDisruption``: every zone is fully disrupted (no Ready node anywhere), so
        the controller assumes it is the one cut off: ``markNodeAsReachable`` on every node
        (the ``unreachable`` / ``not-ready`` NoExecute taints go, which cancels the taint
        eviction controller's pending evictions), every zone's tainter gets a rate of 0."""
        self.all_disrupted = True
        for sn in self.nodes.values():
            if sn.tainted_at is not None or any(t.effect == TAINT_EFFECT_NO_EXECUTE
                                                for t in sn.node.taints):
                sn.node.taints = [t for t in sn.node.taints if not (
                    t.effect == TAINT_EFFECT_NO_EXECUTE
                    and t.key in (TAINT_NODE_UNREACHABLE, TAINT_NODE_NOT_READY))]
                sn.tainted_at = None

    def _leave_full_disruption(self, at: float):
        """``handleDisruption`` at the first pass after a node is Ready again: out of the
        all-disrupted mode, the probe timestamps of every node are reset to now (a dead node
        not yet marked is NotReady one grace period later), and each zone's tainter gets its
        state's rate through ``SwapLimiter``, which drains the new token bucket (the old
        limiter never accepted): the first NoExecute taint comes one 1/rate after this pass.
        The nodes still NotReady are queued again, and their pods are evicted
        ``tolerationSeconds`` after their new taint."""
        m = self.m
        yield m.env.timeout(max(at - m.env.now, 0.0))
        self._exit_pending = False
        if not self.all_disrupted or self._all_zones_down():
            return
        now = m.env.now
        self.all_disrupted = False
        wait = math.ceil(self.grace / self.monitor_period - 1e-9) * self.monitor_period
        for sn in self.nodes.values():
            if sn.removed:
                continue
            if not sn.alive and not sn.detected:
                sn.detect_at = now + wait
                m.env.process(self._detect(sn, sn.gen, sn.detect_at))
            if sn.detected and not sn.alive and sn.tainted_at is None \
                    and sn not in self.zone_queue[sn.zone]:
                self.zone_queue[sn.zone].append(sn)
        for z in self.zones:
            self.zone_last_taint[z] = now
            self._wake_zone(z)

    def _all_zones_down(self) -> bool:
        zones = [z for z in self.zones if any(n.zone == z and not n.removed for n in self.nodes.values())]
        return bool(zones) and all(
            all(n.detected for n in self.nodes.values() if n.zone == z and not n.removed) for z in zones)

    def _zone_rate(self, zone: str) -> float:
        """``handleDisruption`` / ``ComputeZoneState``: the zone's tainting rate (nodes/s)."""
        zone_nodes = [n for n in self.nodes.values() if n.zone == zone and not n.removed]
        not_ready = sum(1 for n in zone_nodes if n.detected)
        if self.all_disrupted:
            return 0.0  # every zone fully disrupted: evictions stop (handleDisruption)
        if not_ready == len(zone_nodes):
            return self.eviction_rate  # FullDisruption: normal rate
        if not_ready > 2 and not_ready / max(len(zone_nodes), 1) >= self.unhealthy_threshold:
            return self.secondary_rate if len(zone_nodes) > self.large_cluster else 0.0
        return self.eviction_rate

    def _wake_zone(self, zone: str) -> None:
        if zone not in self.zone_wakeup:
            self.zone_wakeup[zone] = None
            self.m.env.process(self._zone_tainter(zone))
        else:
            ev = self.zone_wakeup[zone]
            if ev is not None and not ev.triggered:
                ev.succeed()

    def _zone_tainter(self, zone: str):
        """The zone's rate-limited eviction queue (burst 1, polled every 100 ms)."""
        m = self.m
        env = m.env
        q = self.zone_queue[zone]
        while True:
            q[:] = [n for n in q if n.detected and not n.alive and n.tainted_at is None]
            if not q:
                ev = env.event()
                self.zone_wakeup[zone] = ev
                yield ev
                continue
            rate = self._zone_rate(zone)
            if rate <= 0:
                ev = env.event()
                self.zone_wakeup[zone] = ev
                yield ev
                continue
            ready_at = self.zone_last_taint[zone] + 1.0 / rate
            if ready_at > env.now:
                # the queue is polled every 100 ms
                wait = math.ceil((ready_at - env.now) / 0.1 - 1e-9) * 0.1
                yield env.timeout(wait)
                continue
            sn = q.pop(0)
            self.zone_last_taint[zone] = env.now
            self._taint_no_execute(sn)

    def _taint_no_execute(self, sn: SimNode) -> None:
        m = self.m
        now = m.env.now
        taint = Taint(TAINT_NODE_UNREACHABLE, "", TAINT_EFFECT_NO_EXECUTE, now)
        sn.node.taints.append(taint)
        sn.tainted_at = now
        for p in list(sn.pods):
            if p.deleted:
                continue
            seconds = None
            tolerated = False
            for t in p.pod.tolerations:
                if toleration_tolerates_taint(t, taint):
                    tolerated = True
                    if t.toleration_seconds is None:
                        seconds = math.inf
                    else:
                        seconds = t.toleration_seconds if seconds is None else min(seconds, t.toleration_seconds)
            delay = 0.0 if not tolerated else (seconds if seconds is not None else math.inf)
            if delay != math.inf:
                m.env.process(self._evict_after(sn, sn.gen, p, max(delay, 0.0), now))

    def _evict_after(self, sn: SimNode, gen: int, p: SimPod, delay: float, tainted_at: float):
        m = self.m
        yield m.env.timeout(delay)
        if sn.gen != gen or sn.alive or p.deleted:
            return
        if sn.tainted_at != tainted_at:
            return  # the taint was removed meanwhile: the eviction was cancelled
        m.rec.event(m.env.now, "TaintManagerEviction", "Pod", p.pod.name,
                    f"Marking for deletion Pod {p.pod.namespace}/{p.pod.name}")
        m.delete_pod(p, reason="TaintManagerEviction")
        m.sync_all()

    def recover_node(self, sn: SimNode) -> None:
        """The kubelet is back: the node turns Ready, taints go, its pods restart
        (once every cause of the outage has ended)."""
        sn.down_causes = max(sn.down_causes - 1, 0)
        if sn.alive or sn.removed or sn.down_causes > 0:
            return
        m = self.m
        m.touch()
        now = m.env.now
        sn.alive = True
        sn.detected = False
        sn.tainted_at = None
        sn.down_since = None
        self.nodes_ready += 1
        sn.node.taints = [t for t in sn.node.taints
                          if t.key not in (TAINT_NODE_UNREACHABLE, TAINT_NODE_NOT_READY)]
        sn.node.ready = "True"
        sn.node.ready_transition_time = now
        if self.all_disrupted and not self._exit_pending:
            self._exit_pending = True
            m.env.process(self._leave_full_disruption(self._next_pass(now)))
        m.rec.event(now, "NodeReady", "Node", sn.name, f"Node {sn.name} status is now: NodeReady")
        for p in list(sn.pods):
            m.pod_node_back(p)
        m.recompute()
        self._wake_zone(sn.zone)
        for z in self.zones:
            if z != sn.zone:
                self._wake_zone(z)
        self.notify()

    def remove_node(self, sn: SimNode, kind: str, record: bool = True) -> None:
        """The node is deleted from the cluster: its pods go at once (PodGC).

        ``record=False`` for a node that was drained first (cluster-autoscaler scale-down):
        no failure is recorded.
        """
        m = self.m
        if sn.alive and record:
            self.fail_node(sn, kind)
        elif sn.alive:
            m.touch()
            sn.alive = False
            sn.gen += 1
            self.nodes_ready -= 1
        sn.removed = True
        m.rec.event(m.env.now, "RemovingNode", "Node", sn.name, f"Removing Node {sn.name} from Controller")
        for p in list(sn.pods):
            if not p.deleted:
                m.delete_pod(p, reason="PodGC")
            m.gone(p)
        self.snapshot.remove_node(sn.name)
        m.touch()
        self._refresh_costs()
        m.sync_all()

    def add_node(self, pool, zone: str) -> SimNode:
        """A new Ready node of ``pool`` in ``zone`` (autoscaler, surge or replacement)."""
        rng = self.m.rng["nodes"]
        self.m.touch()
        sn = self._add_node(pool, zone, 0, resource_list(pool.allocatable),
                            float(rng.uniform(0, self.lease_renew)))
        self.nodes_ready += 1
        self._refresh_costs()
        self.notify()
        return sn

    def replace_node(self, sn: SimNode) -> SimNode:
        """A fresh node in the same pool and zone (the ASG keeps the pool's size)."""
        pool = next(p for p in self.sc.cluster.nodePools if p.name == sn.pool)
        alloc = resource_list(pool.allocatable)
        rng = self.m.rng["nodes"]
        new = self._add_node(pool, sn.zone, 0, alloc, float(rng.uniform(0, self.lease_renew)))
        del self.nodes[sn.name]
        self.nodes_ready += 1
        self.m.touch()
        self._refresh_costs()
        self.m.rec.event(self.m.env.now, "RegisteredNode", "Node", new.name,
                         f"Node {new.name} event: Registered Node {new.name} in Controller")
        self.notify()
        return new

    # --- PDB, eviction, drain -------------------------------------------------------------
    def _build_pdb(self) -> kdis.PodDisruptionBudget | None:
        spec = self.sc.disruption.podDisruptionBudget
        if spec is None:
            return None
        sel = spec.selector
        selector = kdis.LabelSelector(
            match_labels=dict(sel.matchLabels or {}) if sel else {},
            match_expressions=[kdis.LabelSelectorRequirement(e.key, e.operator, list(e.values or []))
                               for e in (sel.matchExpressions or [])] if sel else [],
        ) if sel is not None else kdis.LabelSelector(match_labels=dict(self.m.wl.labels))
        return kdis.PodDisruptionBudget(
            name=self.m.wl.name,
            namespace=self.m.wl.namespace,
            spec=kdis.PodDisruptionBudgetSpec(
                min_available=spec.minAvailable,
                max_unavailable=spec.maxUnavailable,
                selector=selector,
                unhealthy_pod_eviction_policy=spec.unhealthyPodEvictionPolicy,
            ),
        )

    def evict(self, p: SimPod) -> kdis.EvictionResult:
        """The eviction API on ``p``: the disruption controller's status first, then the check."""
        m = self.m
        now = m.env.now
        pdbs = []
        if self.pdb is not None:
            pods = [q.pod for q in m.pods]
            scale = {rs.name: kdis.ControllerAndScale("deployment", m.spec_replicas) for rs in m.replicasets}
            try:
                self.pdb.status = kdis.compute_pdb_status(self.pdb, pods, scale, now)
            except (ValueError, kdis.NoControllerError):
                self.pdb.status = kdis.fail_safe(self.pdb)
            pdbs = [self.pdb]
        return kdis.evict_pod(p.pod, pdbs, now)

    def drain(self, sn: SimNode, reason: str, deadline: float | None = None):
        """``kubectl drain``: cordon, evict in parallel (429 → retry after 5 s), wait until gone."""
        m = self.m
        env = m.env
        rec = DrainRecord(sn.name, reason, env.now)
        self.drains.append(rec)
        self.cordon(sn)
        pods = [p for p in sn.pods if not p.deleted]
        rec.pods = len(pods)
        procs = [env.process(self._evict_loop(p, rec, deadline)) for p in pods]
        if procs:
            yield env.all_of(procs)
        # wait for the pods to be gone (kubectl polls every second)
        while any(q in sn.pods for q in pods) and (deadline is None or env.now < deadline):
            yield env.timeout(kdis.DRAIN_POLL_DELETION_SECONDS)
        rec.end = env.now
        return rec

    def _evict_loop(self, p: SimPod, rec: DrainRecord, deadline: float | None):
        m = self.m
        env = m.env
        while not p.deleted:
            if deadline is not None and env.now >= deadline:
                return
            res = self.evict(p)
            if res.allowed:
                m.rec.event(env.now, "Evicted", "Pod", p.pod.name,
                            f"Evicted by the eviction API while draining node {rec.node}")
                m.delete_pod(p, reason="Evicted")
                m.sync_all()
                return
            rec.refusals += 1
            if rec.first_refusal is None:
                rec.first_refusal = env.now
            step = DRAIN_RETRY if deadline is None else min(DRAIN_RETRY, max(deadline - env.now, 0.0))
            rec.last_refusal = env.now + step
            if step <= 0:
                return
            yield env.timeout(step)

    def cordon(self, sn: SimNode) -> None:
        if sn.node.unschedulable:
            return
        sn.node.unschedulable = True
        sn.node.taints.append(Taint(TAINT_NODE_UNSCHEDULABLE, "", TAINT_EFFECT_NO_SCHEDULE))
        self.m.rec.event(self.m.env.now, "NodeNotSchedulable", "Node", sn.name,
                         f"Node {sn.name} status is now: NodeNotSchedulable")

    def uncordon(self, sn: SimNode) -> None:
        if not sn.node.unschedulable:
            return
        sn.node.unschedulable = False
        sn.node.taints = [t for t in sn.node.taints if t.key != TAINT_NODE_UNSCHEDULABLE]
        self.m.rec.event(self.m.env.now, "NodeSchedulable", "Node", sn.name,
                         f"Node {sn.name} status is now: NodeSchedulable")
        self.notify()

    # --- processes: random and scheduled failures -----------------------------------------
    def start(self) -> None:
        env = self.m.env
        f = self.sc.failures
        if f.nodes is not None:
            if f.nodes.mtbf:
                env.process(self._node_failures())
            for sf in f.nodes.scheduled:
                env.process(self._scheduled_node_failure(sf))
        if f.zones is not None:
            for z in f.zones.scheduled:
                env.process(self._zone_outage(z.zone, z.at, z.duration))
            if f.zones.mtbf:
                env.process(self._random_zone_outages())
        for sp in f.spot:
            env.process(self._spot_reclaims(sp))
            for sr in sp.scheduled:
                env.process(self._scheduled_reclaim(sp, sr))
        for wave in self.sc.disruption.maintenance:
            env.process(self._maintenance(wave))
        if self.autoscaler.active:
            env.process(self.autoscaler.run())

    def _eligible(self, pools: list[str] | None) -> list[SimNode]:
        return [n for n in self.nodes.values() if not n.removed and (pools is None or n.pool in pools)]

    def _node_failures(self):
        """Each node fails after an exponential time while up (superposed and thinned)."""
        f = self.sc.failures.nodes
        m = self.m
        rng = m.rng["nodes"]
        env = m.env
        while True:
            nodes = self._eligible(f.pools)
            if not nodes:
                return
            rate = len(nodes) / f.mtbf
            yield env.timeout(float(rng.exponential(1.0 / rate)))
            nodes = self._eligible(f.pools)
            sn = nodes[int(rng.integers(len(nodes)))]
            if not sn.alive:
                continue  # thinning: a node that is down cannot fail again
            repair = sample(f.repair, rng)
            env.process(self._outage([sn], "node", sn.name, repair))

    def _scheduled_node_failure(self, sf):
        env = self.m.env
        if sf.at > env.now:
            yield env.timeout(sf.at - env.now)
        sn = self.nodes.get(sf.node)
        if sn is None:
            raise SimulationError(f"failures.nodes.scheduled: no node named {sf.node!r} "
                                  f"(nodes: {', '.join(sorted(self.nodes))})")
        yield env.process(self._outage([sn], "node", sn.name, sf.duration))

    def _outage(self, nodes: list[SimNode], kind: str, target: str, duration: float):
        m = self.m
        rec = FailureRecord(kind, target, m.env.now, nodes=[n.name for n in nodes])
        self.open_failure(rec)
        for sn in nodes:
            self.fail_node(sn, kind)
        yield m.env.timeout(duration)
        for sn in nodes:
            if not sn.removed:
                self.recover_node(sn)
        rec.end = m.env.now

    def _zone_outage(self, zone: str, at: float, duration: float):
        env = self.m.env
        if at > env.now:
            yield env.timeout(at - env.now)
        nodes = [n for n in self.nodes.values() if n.zone == zone and not n.removed]
        if not any(n.alive for n in nodes):
            return  # the zone is already down: this outage adds nothing
        yield env.process(self._outage(nodes, "zone", zone, duration))

    def _random_zone_outages(self):
        zf = self.sc.failures.zones
        m = self.m
        rng = m.rng["zones"]
        env = m.env
        rate = len(self.zones) / zf.mtbf
        while True:
            yield env.timeout(float(rng.exponential(1.0 / rate)))
            zone = self.zones[int(rng.integers(len(self.zones)))]
            env.process(self._zone_outage(zone, env.now, sample(zf.duration, rng)))

    def _spot_reclaims(self, sp):
        m = self.m
        rng = m.rng["spot"]
        env = m.env
        pool_nodes = lambda: [n for n in self.nodes.values() if n.pool == sp.pool and not n.removed]  # noqa: E731
        n0 = len(pool_nodes())
        if n0 == 0 or sp.ratePerNodeDay <= 0:
            return
        rate = sp.ratePerNodeDay / 86400.0 * n0 / sp.meanNodesPerReclaim
        while True:
            yield env.timeout(float(rng.exponential(1.0 / rate)))
            nodes = [n for n in pool_nodes() if n.alive]
            if not nodes:
                continue
            zones = sorted({n.zone for n in nodes})
            zone = zones[int(rng.integers(len(zones)))]
            in_zone = [n for n in nodes if n.zone == zone]
            k = min(len(in_zone), 1 + int(rng.poisson(sp.meanNodesPerReclaim - 1)))
            chosen = [in_zone[i] for i in rng.choice(len(in_zone), size=k, replace=False)]
            rec = FailureRecord("spot", f"{sp.pool}/{zone}", env.now, nodes=[n.name for n in chosen],
                                struck=False)
            self.open_failure(rec)
            for sn in chosen:
                env.process(self._spot_node(sn, sp.notice, rec))

    def _scheduled_reclaim(self, sp, sr):
        env = self.m.env
        if sr.at > env.now:
            yield env.timeout(sr.at - env.now)
        nodes = [n for n in self.nodes.values() if n.pool == sp.pool and not n.removed and n.alive]
        zones = sorted({n.zone for n in nodes}, key=self.zones.index)
        if not zones:
            return
        zone = sr.zone if sr.zone in zones else zones[0]
        chosen = [n for n in nodes if n.zone == zone][: sr.nodes]
        rec = FailureRecord("spot", f"{sp.pool}/{zone}", env.now, nodes=[n.name for n in chosen],
                            struck=False)
        self.open_failure(rec)
        for sn in chosen:
            env.process(self._spot_node(sn, sp.notice, rec))

    def _spot_node(self, sn: SimNode, notice: float, rec: FailureRecord):
        m = self.m
        env = m.env
        m.rec.event(env.now, "SpotInterruption", "Node", sn.name,
                    f"Spot interruption notice: node {sn.name} terminates in {notice:g}s", "Warning")
        deadline = env.now + notice
        drain = env.process(self.drain(sn, "spot", deadline))
        yield env.any_of([drain, env.timeout(notice)])
        if env.now < deadline:
            yield env.timeout(deadline - env.now)
        # The instance is gone: pods left on it die; their endpoints stay until the node is
        # seen NotReady; the cloud controller then deletes the Node and PodGC its pods.
        rec.struck = True
        self.fail_node(sn, "spot")
        yield env.timeout(max(sn.detect_at - env.now, 0.0) + POD_GC_DELAY)
        self.remove_node(sn, "spot", record=False)
        delay = sample(self.sc.controllers.clusterAutoscaler.provisioningDelay, m.rng["spot"])
        yield env.timeout(delay)
        self.replace_node(sn)
        rec.end = env.now

    def _maintenance(self, wave):
        """Planned upgrades: drain node by node, zone after zone; each node is down for the
        upgrade time, then back and schedulable. With ``surgeNode`` a new node joins the
        zone first (and leaves at the end)."""
        m = self.m
        env = m.env
        rng = m.rng["maintenance"]
        if wave.start > env.now:
            yield env.timeout(wave.start - env.now)
        targets = [n for n in self._eligible(wave.pools)]
        targets.sort(key=lambda n: (self.zones.index(n.zone), n.name))
        for zone in self.zones:
            zone_nodes = [n for n in targets if n.zone == zone]
            if not zone_nodes:
                continue
            surge = None
            if wave.surgeNode:
                pool = next(p for p in self.sc.cluster.nodePools if p.name == zone_nodes[0].pool)
                surge = self.add_node(pool, zone)
                m.rec.event(env.now, "RegisteredNode", "Node", surge.name,
                            f"Node {surge.name} event: Registered Node {surge.name} in Controller")
            for i in range(0, len(zone_nodes), wave.parallelism):
                batch = zone_nodes[i:i + wave.parallelism]
                recs = []
                for sn in batch:
                    # Its impact counts from the start of the drain.
                    rec = FailureRecord("maintenance", sn.name, env.now, nodes=[sn.name], struck=False)
                    self.open_failure(rec)
                    recs.append(rec)
                deadline = None if wave.drainTimeout is None else env.now + wave.drainTimeout
                drains = [env.process(self.drain(sn, "maintenance", deadline)) for sn in batch]
                yield env.all_of(drains)
                downs = []
                for sn, rec in zip(batch, recs, strict=True):
                    rec.struck = True
                    self.fail_node(sn, "maintenance")
                    downs.append((sn, rec))
                yield env.timeout(sample(wave.nodeUpgradeTime, rng))
                for sn, rec in downs:
                    self.recover_node(sn)
                    self.uncordon(sn)
                    rec.end = env.now
            if surge is not None:
                yield env.process(self.drain(surge, "maintenance"))
                self.remove_node(surge, "maintenance")

    def open_failure(self, rec: FailureRecord) -> None:
        """Start tracking a failure's impact until the ready pods are back."""
        m = self.m
        m.touch()
        rec.alive_before = m.n_alive
        rec.index = len(self.failures)
        self.failures.append(rec)
        m.open_failures.append(rec)

    # --- reporting ---------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        drains = [
            {"node": d.node, "reason": d.reason, "start": d.start, "end": d.end,
             "duration": (d.end - d.start) if d.end is not None else None,
             "blocked_seconds": d.blocked_seconds, "refusals": d.refusals, "pods": d.pods}
            for d in self.drains
        ]
        fails = [{"kind": f.kind, "target": f.target, "start": f.start, "end": f.end,
                  "nodes": len(f.nodes), "recovered": f.recovered,
                  "time_to_recover": None if f.recovered is None else f.recovered - f.start,
                  "lost_requests": f.lost_requests, "downtime": f.downtime}
                 for f in self.failures]
        return {"drains": drains, "failures": fails}
