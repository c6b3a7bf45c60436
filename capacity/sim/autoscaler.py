"""Cluster autoscaler for the node pools that have ``autoscaling`` (kubernetes/autoscaler
``cluster-autoscaler``; kubernetes-semantics.md §9).

A node group is a (pool, zone) pair; a pool's ``minNodes`` / ``maxNodes`` bound its nodes
over all its zones. Every ``scanInterval`` (10 s) the loop of ``core/static_autoscaler.go``
``RunOnce`` runs:

1. **Health** (``clusterstate/clusterstate.go`` ``IsClusterHealthy``): with more than 3
   unready nodes and more than 45 % of the nodes unready the autoscaler does nothing but
   forget its unneeded nodes (event ``ClusterUnhealthy``).
2. **Scale-up**: the nodes being provisioned are put into a copy of the scheduler's
   snapshot as template nodes (``addUpcomingNodesToClusterSnapshot``) and the pending pods
   that fit on the nodes there are, or coming, are filtered out
   (``FilterOutSchedulablePodListProcessor``). For the rest, each node group that is below
   its maximum and not backed off is estimated by first-fit bin packing on its template node
   with every scheduler filter, topology spread and anti-affinity included
   (``estimator/binpacking_estimator.go`` ``Estimate``); the option wasting least CPU and
   memory wins (``expander/waste``; ties go to the first group in cluster order, upstream
   draws one at random) and its group grows by the estimated nodes, once per loop. The other
   pods trigger another scale-up in a later loop, with the new nodes counted as upcoming.
   Pods younger than 2 s wait one loop (``allPodsAreNew``). A node that is not Ready within
   ``maxNodeProvisionTime`` fails its scale-up: event ``ScaleUpTimedOut``, the instance is
   dropped and the group backs off for 5 min, doubling up to 30 min
   (``updateScaleRequests``, ``utils/backoff`` ``exponentialBackoff``).
3. **Scale-down planning**, every loop in which no scale-up happened, cooldown or not
   (``scaledown/planner`` ``UpdateClusterState``): a node is unneeded while its requested
   CPU and memory (pods terminating for longer than their grace + 30 s excepted) are both
   below ``scaleDownUtilizationThreshold`` of allocatable and its pods fit on the remaining
   nodes (placements persist for the next candidate). A node with a pod whose PDB allows no
   more disruptions is unremovable for 5 min and is not cordoned; its unneeded timer starts
   again (``drainability/rules/pdb``, ``unremovable-node-recheck-timeout``).
4. **Scale-down** unless in cooldown (``isScaleDownInCooldown``: ``scaleDownDelayAfterAdd``
   after a scale-up, ``scaleDownDelayAfterDelete`` after a deletion started): a node
   unneeded for longer than ``scaleDownUnneededTime`` (an unready one:
   ``scale-down-unready-time``, 20 min) and above its pool's ``minNodes``
   (``unneeded/nodes.go`` ``RemovableAt``) is deleted: empty nodes at once, up to 10 in
   parallel, nodes with pods one at a time by draining them (``actuation/budgets.go``
   ``CropNodes``, ``--max-scale-down-parallelism`` 10, ``--max-drain-parallelism`` 1).
   The drain evicts every pod with a grace of at most ``maxGracefulTerminationSec``,
   retrying a refused eviction every 10 s for ``maxPodEvictionTime``, then waits for the pods
   to be gone for ``maxGracefulTerminationSec`` + 30 s; if an eviction fails or a pod stays,
   the node is kept (``actuation/drain.go``). Events: ``ScaleDown``, ``ScaleDownFailed``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from capacity.k8s import disruption as kdis
from capacity.k8s.node import LABEL_HOSTNAME, LABEL_TOPOLOGY_ZONE, Node, Taint
from capacity.k8s.resources import pod_requests
from capacity.k8s.scheduler import Snapshot, schedule_pod_in_snapshot
from capacity.k8s.scheduler.schedule_one import filter_node
from capacity.k8s.types import Pod, resource_list
from capacity.sim.distributions import sample
from capacity.sim.tenants import background_pod

if TYPE_CHECKING:
    from capacity.sim.nodes import SimNode
    from capacity.sim.workload import SimPod

# Upstream defaults of settings the scenario does not expose (cluster-autoscaler FAQ.md,
# "What are the parameters to CA?"; config/autoscaling_options.go).
OK_TOTAL_UNREADY_COUNT = 3  # --ok-total-unready-count
MAX_TOTAL_UNREADY_PERCENTAGE = 45.0  # --max-total-unready-percentage
SCALE_DOWN_UNREADY_TIME = 1200.0  # --scale-down-unready-time (20 min)
MAX_SCALE_DOWN_PARALLELISM = 10  # --max-scale-down-parallelism
MAX_DRAIN_PARALLELISM = 1  # --max-drain-parallelism
UNREMOVABLE_NODE_RECHECK_TIMEOUT = 300.0  # --unremovable-node-recheck-timeout
UNSCHEDULABLE_POD_TIME_BUFFER = 2.0  # static_autoscaler.go unschedulablePodTimeBuffer
POD_LONG_TERMINATING_EXTRA_THRESHOLD = 30.0  # utils/drain PodLongTerminatingExtraThreshold
EVICTION_RETRY_TIME = 10.0  # actuation/drain.go DefaultEvictionRetryTime
POD_EVICTION_HEADROOM = 30.0  # actuation/drain.go DefaultPodEvictionHeadroom
POD_DISAPPEAR_POLL = 5.0  # actuation/drain.go waitPodsToDisappear
BACKGROUND_NAMESPACE = "other-tenants"  # capacity.sim.tenants.background_pod
INITIAL_NODE_GROUP_BACKOFF = 300.0  # --initial-node-group-backoff-duration
MAX_NODE_GROUP_BACKOFF = 1800.0  # --max-node-group-backoff-duration
NODE_GROUP_BACKOFF_RESET = 10800.0  # --node-group-backoff-reset-timeout


def is_pod_long_terminating(pod: Pod, now: float) -> bool:
    """``IsPodLongTerminating`` (utils/drain/drain.go): deleted, and past its
    ``deletionTimestamp`` + grace + 30 s."""
    if pod.deletion_timestamp is None:
        return False
    return pod.deletion_timestamp + pod.termination_grace_period_seconds \
        + POD_LONG_TERMINATING_EXTRA_THRESHOLD < now


def fork(snapshot: Snapshot) -> Snapshot:
    """A copy of ``snapshot`` to simulate on (``ClusterSnapshot.Fork``)."""
    infos = snapshot.list()
    return Snapshot([ni.node for ni in infos], {ni.node.name: list(ni.pods) for ni in infos})


class ClusterAutoscaler:
    """Scale-up for unschedulable pods and scale-down of unneeded nodes, per pool."""

    def __init__(self, cluster: Any) -> None:
        self.cl = cluster
        self.m = cluster.m
        sc = cluster.sc
        cfg = sc.controllers.clusterAutoscaler
        self.cfg = cfg
        self.enabled = cfg.enabled
        self.scan_interval = cfg.scanInterval
        self.unneeded_time = cfg.scaleDownUnneededTime
        self.delay_after_add = cfg.scaleDownDelayAfterAdd
        self.delay_after_delete = cfg.scaleDownDelayAfterDelete
        self.utilization_threshold = cfg.scaleDownUtilizationThreshold
        self.max_node_provision_time = cfg.maxNodeProvisionTime
        self.max_graceful_termination = float(cfg.maxGracefulTerminationSec)
        self.max_pod_eviction_time = cfg.maxPodEvictionTime
        self.provisioning_delay = cfg.provisioningDelay
        self.pools = {p.name: p for p in sc.cluster.nodePools if p.autoscaling is not None}  # type: ignore[union-attr]
        # upcoming nodes per node group (pool, zone)
        self.provisioning: dict[tuple[str, str], int] = {}
        self.last_scale_up = -math.inf
        self.last_scale_down_delete = -math.inf
        self.unneeded_since: dict[str, float] = {}
        self.unneeded_empty: dict[str, bool] = {}
        self.unremovable_until: dict[str, float] = {}
        self.deleting: dict[str, bool] = {}  # node -> drained (True) or empty (False)
        self.backoff: dict[tuple[str, str], tuple[float, float, float]] = {}  # dur, until, last
        self.draining = False  # a drain is under way (kept for callers that read it)
        self.unhealthy = False

    @property
    def active(self) -> bool:
        return bool(self.pools) and self.enabled

    def pool_size(self, pool: str) -> int:
        """Target size of a pool: its nodes plus those being provisioned."""
        live = sum(1 for n in self.cl.nodes.values() if n.pool == pool and not n.removed)
        return live + sum(k for (p, _z), k in self.provisioning.items() if p == pool)

    def run(self):
        env = self.m.env
        while True:
            yield env.timeout(self.scan_interval)
            self.run_once()

    # --- one loop --------------------------------------------------------------------------
    def run_once(self) -> None:
        """``StaticAutoscaler.RunOnce`` (see the module docstring)."""
        m = self.m
        now = m.env.now
        if not self.cluster_healthy():
            self.unneeded_since.clear()
            self.unneeded_empty.clear()
            if not self.unhealthy:  # upstream repeats it every loop; once per episode here
                m.rec.event(now, "ClusterUnhealthy", "ConfigMap", "cluster-autoscaler-status",
                            "Cluster is unhealthy", "Warning")
            self.unhealthy = True
            return
        self.unhealthy = False
        pending = [p for p in self.cl.pending if not p.deleted and p.node is None]
        self.cl.pending = pending
        disable_scale_down = False
        if pending:
            snap, to_help = self.filter_out_schedulable(pending)
            if to_help:
                if all(now - p.pod.creation_timestamp < UNSCHEDULABLE_POD_TIME_BUFFER
                       for p in to_help):
                    disable_scale_down = True  # very new: wait one loop for more
                elif self.scale_up(to_help, snap):
                    self.last_scale_up = now
                    return  # no scale-down in a loop that scaled up
        self.update_unneeded(now)
        if disable_scale_down or self.scale_down_in_cooldown(now):
            return
        self.start_deletions(now)

    def cluster_healthy(self) -> bool:
        """``IsClusterHealthy``: not (more than 3 unready nodes and more than 45 % unready)."""
        nodes = [n for n in self.cl.nodes.values() if not n.removed]
        unready = sum(1 for n in nodes if not n.node.is_ready())
        return not (unready > OK_TOTAL_UNREADY_COUNT
                    and unready > MAX_TOTAL_UNREADY_PERCENTAGE / 100.0 * len(nodes))

    def scale_down_in_cooldown(self, now: float) -> bool:
        """``isScaleDownInCooldown``: within ``scaleDownDelayAfterAdd`` of the last scale-up
        or ``scaleDownDelayAfterDelete`` of the last deletion start (the after-failure delay
        is refused by settings.py: the simulated API never fails)."""
        return (self.last_scale_up + self.delay_after_add > now
                or self.last_scale_down_delete + self.delay_after_delete > now)

    # --- scale-up ---------------------------------------------------------------------
    def _template(self, pool, zone: str, name: str | None = None) -> Node:
        name = name or f"template-{pool.name}-{zone}"
        labels = {**pool.labels, LABEL_TOPOLOGY_ZONE: zone, LABEL_HOSTNAME: name,
                  "capacity.sim/pool": pool.name}
        if pool.instanceType:
            labels["node.kubernetes.io/instance-type"] = pool.instanceType
        return Node(name=name, labels=labels,
                    taints=[Taint(t.key, t.value or "", t.effect) for t in pool.taints],
                    allocatable=resource_list(pool.allocatable))

    def _add_template(self, snap: Snapshot, pool, zone: str, name: str) -> str:
        node = self._template(pool, zone, name)
        snap.set_node(node)
        bg = background_pod(pool, name)
        if bg is not None:
            snap.add_pod(bg, name)
        return name

    def _fits(self, snap: Snapshot, pod: Pod, node_name: str) -> bool:
        """``CheckPredicates`` on one node of ``snap``: every scheduler filter passes."""
        infos = snap.list()
        ni = snap.node_infos[node_name]
        reasons = filter_node(pod, self.cl.spec, ni.node, ni.pods, [i.node for i in infos],
                              {i.node.name: i.pods for i in infos}, config=self.cl.config)
        return not reasons

    def _zones(self, pool) -> list[str]:
        return list(pool.zones or self.cl.zones)

    def _zone_down(self, zone: str) -> bool:
        in_zone = [n for n in self.cl.nodes.values() if n.zone == zone and not n.removed]
        return bool(in_zone) and not any(n.alive for n in in_zone)

    def filter_out_schedulable(self, pending: list[SimPod]) -> tuple[Snapshot, list[SimPod]]:
        """Upcoming nodes join a copy of the snapshot as template nodes; the pending pods
        that the scheduler could place there are placed (in that copy) and dropped.
        Returns the copy and the pods left to help."""
        snap = fork(self.cl.snapshot)
        for (pool_name, zone), k in self.provisioning.items():
            pool = self.pools[pool_name]
            for i in range(k):
                self._add_template(snap, pool, zone, f"upcoming-{pool_name}-{zone}-{i}")
        left = []
        for p in pending:
            res = schedule_pod_in_snapshot(p.pod, self.cl.spec, snap, config=self.cl.config)
            if res.node_name is None:
                left.append(p)
            else:
                snap.add_pod(p.pod, res.node_name)
        return snap, left

    def estimate(self, snap: Snapshot, pool, zone: str, pods: list[SimPod],
                 limit: int) -> tuple[int, list[SimPod]]:
        """``BinpackingNodeEstimator.Estimate`` for the group (pool, zone): first fit on the
        nodes added so far, else on a new template node; a pod that does not fit on a new
        empty node stops the packing. At most ``limit`` nodes. Pods in decreasing request
        order (one template: all the same)."""
        sim = fork(snap)
        new_nodes: list[str] = []
        with_pods: set[str] = set()
        scheduled: list[SimPod] = []
        for p in pods:
            placed = False
            for name in new_nodes:
                if self._fits(sim, p.pod, name):
                    sim.add_pod(p.pod, name)
                    with_pods.add(name)
                    scheduled.append(p)
                    placed = True
                    break
            if placed:
                continue
            if new_nodes and new_nodes[-1] not in with_pods:
                break  # the last new node is empty and the pod does not fit it
            if len(new_nodes) >= limit:
                break
            name = self._add_template(sim, pool, zone, f"estimate-{pool.name}-{zone}-{len(new_nodes)}")
            new_nodes.append(name)
            if not self._fits(sim, p.pod, name):
                break  # e.g. zonal topology spread: this group cannot help this pod
            sim.add_pod(p.pod, name)
            with_pods.add(name)
            scheduled.append(p)
        return len(with_pods), scheduled

    def _backed_off(self, group: tuple[str, str], now: float) -> bool:
        b = self.backoff.get(group)
        return b is not None and b[1] > now

    def _back_off(self, group: tuple[str, str], now: float) -> None:
        """``exponentialBackoff.Backoff``: 5 min, doubled if the last failure is less than
        3 h old, at most 30 min."""
        duration = INITIAL_NODE_GROUP_BACKOFF
        b = self.backoff.get(group)
        if b is not None and b[2] + NODE_GROUP_BACKOFF_RESET > now:
            duration = min(2 * b[0], MAX_NODE_GROUP_BACKOFF)
        self.backoff[group] = (duration, now + duration, now)

    def scale_up(self, pending: list[SimPod], snap: Snapshot) -> bool:
        """``ScaleUpOrchestrator.ScaleUp``: grow the best node group for ``pending``; True
        when a group was grown."""
        m = self.m
        now = m.env.now
        req = m.wl.requests
        best: tuple[Any, ...] | None = None
        for name, pool in self.pools.items():
            room = pool.autoscaling.maxNodes - self.pool_size(name)
            if room <= 0:
                continue
            alloc = resource_list(pool.allocatable)
            for zone in self._zones(pool):
                group = (name, zone)
                if self._zone_down(zone) or self._backed_off(group, now):
                    continue
                # SchedulablePodGroups: only the pods a template node of the group can take
                probe = fork(snap)
                tmpl = self._add_template(probe, pool, zone, f"template-{name}-{zone}")
                fit = [p for p in pending if self._fits(probe, p.pod, tmpl)]
                if not fit:
                    continue
                count, scheduled = self.estimate(snap, pool, zone, fit, room)
                if count <= 0:
                    continue
                # expander least-waste: unused CPU and memory fractions of the new nodes
                cpu = alloc.get("cpu", 0) * count
                mem = alloc.get("memory", 0) * count
                used_cpu = sum(pod_requests(p.pod).get("cpu", 0) for p in scheduled)
                used_mem = sum(pod_requests(p.pod).get("memory", 0) for p in scheduled)
                waste = ((cpu - used_cpu) / cpu if cpu else 0.0) \
                    + ((mem - used_mem) / mem if mem else 0.0)
                if best is None or waste < best[0]:
                    best = (waste, name, zone, count, scheduled)
        if best is None:
            p0 = pending[0]
            m.rec.event(now, "NotTriggerScaleUp", "Pod", p0.pod.name,
                        "pod didn't trigger scale-up: no node group can take it", "Normal")
            return False
        _, name, zone, count, scheduled = best
        pool = self.pools[name]
        size = self.pool_size(name)
        add = min(count, pool.autoscaling.maxNodes - size)
        group = (name, zone)
        self.provisioning[group] = self.provisioning.get(group, 0) + add
        msg = f"pod triggered scale-up: [{{{name} {size}->{size + add} (max: {pool.autoscaling.maxNodes})}}]"
        for p in scheduled:
            m.rec.event(now, "TriggeredScaleUp", "Pod", p.pod.name, msg)
        for _ in range(add):
            m.env.process(self._provision(pool, zone, now))
        del req
        return True

    def _next_loop_after(self, t: float) -> float:
        """The first autoscaler loop strictly after ``t`` (loops at k × scanInterval)."""
        k = math.floor(t / self.scan_interval + 1e-9) + 1
        return k * self.scan_interval

    def _provision(self, pool, zone: str, requested: float):
        m = self.m
        env = m.env
        group = (pool.name, zone)
        delay = sample(self.provisioning_delay, m.rng["autoscaler"])
        timeout_at = self._next_loop_after(requested + self.max_node_provision_time)
        if requested + delay >= timeout_at:
            # Not Ready within maxNodeProvisionTime: the scale-up request expires at the
            # first loop after its ExpectedAddTime, the group backs off and the instance,
            # never registered, is removed.
            yield env.timeout(timeout_at - env.now)
            self.provisioning[group] -= 1
            m.rec.event(env.now, "ScaleUpTimedOut", "ConfigMap", "cluster-autoscaler-status",
                        f"Nodes added to group {pool.name}-{zone} failed to register within "
                        f"{env.now - requested:g}s", "Warning")
            self._back_off(group, env.now)
            return
        yield env.timeout(delay)
        self.provisioning[group] -= 1
        self.backoff.pop(group, None)  # the scale-up finished: RemoveBackoff
        sn = self.cl.add_node(pool, zone)
        m.rec.event(env.now, "RegisteredNode", "Node", sn.name,
                    f"Node {sn.name} event: Registered Node {sn.name} in Controller")

    # --- scale-down planning -------------------------------------------------------------
    def _utilization(self, sn: SimNode, now: float) -> float:
        """``utilization.Calculate``: the larger of requested CPU and memory over
        allocatable, leaving out pods terminating for too long."""
        ni = self.cl.snapshot.node_infos.get(sn.name)
        if ni is None:
            return 1.0
        requested = dict(ni.requested)
        for q in sn.pods:
            if is_pod_long_terminating(q.pod, now):
                for r, v in pod_requests(q.pod).items():
                    requested[r] = requested.get(r, 0) - v
        alloc = sn.node.allocatable
        u = 0.0
        for r in ("cpu", "memory"):
            if alloc.get(r):
                u = max(u, requested.get(r, 0) / alloc[r])
        return u

    def _pdb_budget(self) -> int | None:
        """The PDB's ``disruptionsAllowed`` now (None: no PDB)."""
        cl = self.cl
        if cl.pdb is None:
            return None
        m = self.m
        scale = {rs.name: kdis.ControllerAndScale("deployment", m.spec_replicas)
                 for rs in m.replicasets}
        try:
            status = kdis.compute_pdb_status(cl.pdb, [q.pod for q in m.pods], scale, m.env.now)
        except (ValueError, kdis.NoControllerError):
            status = kdis.fail_safe(cl.pdb)
        return status.disruptions_allowed

    def _candidates(self) -> Iterable[SimNode]:
        for sn in self.cl.nodes.values():
            if (sn.pool in self.pools and not sn.removed and sn.name not in self.deleting
                    and not sn.node.unschedulable):
                yield sn

    def update_unneeded(self, now: float) -> None:
        """``Planner.UpdateClusterState``: which nodes are unneeded now, and since when."""
        sim = fork(self.cl.snapshot)
        for name in self.deleting:
            sim.remove_node(name)
        budget = self._pdb_budget()
        removable: dict[str, bool] = {}
        for name, until in list(self.unremovable_until.items()):
            if until <= now:
                del self.unremovable_until[name]
        for sn in self._candidates():
            if sn.name in self.unremovable_until:
                continue  # recently found unremovable: not checked again yet
            if self._utilization(sn, now) >= self.utilization_threshold:
                continue
            # the pods the simulation has on it now: its own and those placed there for
            # earlier candidates; not the other tenants (they are on every node, like a
            # DaemonSet's), not pods terminating for too long
            ni = sim.node_infos.get(sn.name)
            to_move = [q for q in (ni.pods if ni is not None else [])
                       if q.namespace != BACKGROUND_NAMESPACE
                       and not is_pod_long_terminating(q, now)]
            if budget is not None and to_move and budget < 1:
                # drainability pdb rule: not enough pod disruption budget to move the pods
                self.unremovable_until[sn.name] = now + UNREMOVABLE_NODE_RECHECK_TIMEOUT
                continue
            if not self._place_elsewhere(sim, sn, to_move):
                self.unremovable_until[sn.name] = now + UNREMOVABLE_NODE_RECHECK_TIMEOUT
                continue
            if budget is not None:
                budget -= len(to_move)
            sim.remove_node(sn.name)  # no longer a destination for the next candidates
            removable[sn.name] = not to_move
        self.unneeded_since = {n: self.unneeded_since.get(n, now) for n in removable}
        self.unneeded_empty = removable

    def _place_elsewhere(self, sim: Snapshot, sn: SimNode, pods: list[Pod]) -> bool:
        """``findPlaceFor``: every pod of ``sn`` fits on the other nodes of ``sim`` (placed
        there for good if they all do)."""
        trial = fork(sim)
        ni = trial.node_infos.get(sn.name)
        if ni is not None:
            ni.node = _cordoned(ni.node)
        placed = []
        for q in pods:
            trial.remove_pod(q, sn.name)
            res = schedule_pod_in_snapshot(q, self.cl.spec, trial, config=self.cl.config)
            if res.node_name is None or res.node_name == sn.name:
                return False
            trial.add_pod(q, res.node_name)
            placed.append((q, res.node_name))
        for pod, node in placed:
            sim.remove_pod(pod, sn.name)
            sim.add_pod(pod, node)
        return True

    # --- scale-down actuation ------------------------------------------------------------
    def start_deletions(self, now: float) -> None:
        """``NodesToDelete`` (``RemovableAt``) cropped by the parallelism budgets, then
        ``StartDeletion``: empty nodes go at once, a node with pods is drained first."""
        size = {name: sum(1 for n in self.cl.nodes.values() if n.pool == name and not n.removed)
                for name in self.pools}
        in_progress: dict[str, int] = {}
        for name in self.deleting:
            sn = self.cl.nodes.get(name)
            if sn is not None:
                in_progress[sn.pool] = in_progress.get(sn.pool, 0) + 1
        empty, drain = [], []
        for name, since in self.unneeded_since.items():
            sn = self.cl.nodes.get(name)
            if sn is None or sn.removed:
                continue
            wait = self.unneeded_time if sn.node.is_ready() else SCALE_DOWN_UNREADY_TIME
            if not since + wait < now:
                continue
            pool = self.pools[sn.pool]
            if size[sn.pool] - in_progress.get(sn.pool, 0) <= pool.autoscaling.minNodes:
                continue  # NodeGroupMinSizeReached
            size[sn.pool] -= 1
            (empty if self.unneeded_empty.get(name) else drain).append(sn)
        drains_running = sum(1 for d in self.deleting.values() if d)
        budget = MAX_SCALE_DOWN_PARALLELISM - len(self.deleting)
        empty = empty[:max(budget, 0)]
        budget -= len(empty)
        drain = drain[:max(min(budget, MAX_DRAIN_PARALLELISM - drains_running), 0)]
        if not empty and not drain:
            return
        self.last_scale_down_delete = now
        for sn in empty:
            self.unneeded_since.pop(sn.name, None)
            self._delete_node(sn)
        for sn in drain:
            self.unneeded_since.pop(sn.name, None)
            self.deleting[sn.name] = True
            self.draining = True
            self.m.env.process(self._drain_and_delete(sn))

    def _delete_node(self, sn: SimNode) -> None:
        m = self.m
        m.rec.event(m.env.now, "ScaleDown", "Node", sn.name, "nodes removed by cluster autoscaler")
        self.cl.remove_node(sn, "scale-down", record=False)

    def _drain_and_delete(self, sn: SimNode):
        """``Evictor.DrainNode`` then the node's deletion (``actuation/drain.go``)."""
        m = self.m
        env = m.env
        cl = self.cl
        cl.cordon(sn)  # MarkToBeDeleted: the ToBeDeleted NoSchedule taint
        pods = list(sn.pods)
        retry_until = env.now + self.max_pod_eviction_time
        procs = [env.process(self._evict(p, retry_until)) for p in pods]
        results = (yield env.all_of(procs)) if procs else {}
        ok = all(v for v in results.values()) if procs else True
        if ok:
            limit = env.now + self.max_graceful_termination + POD_EVICTION_HEADROOM
            while any(q in sn.pods for q in pods) and env.now < limit:
                yield env.timeout(POD_DISAPPEAR_POLL)
            ok = not any(q in sn.pods for q in pods)
        del self.deleting[sn.name]
        self.draining = any(self.deleting.values())
        if ok and not sn.removed:
            self._delete_node(sn)
        elif not sn.removed:
            m.rec.event(env.now, "ScaleDownFailed", "Node", sn.name,
                        "failed to drain and delete node", "Warning")
            cl.uncordon(sn)

    def _evict(self, p: SimPod, retry_until: float):
        """``evictPod``: the eviction API with a grace of at most maxGracefulTerminationSec,
        retried every 10 s until ``retry_until``; returns whether the pod was evicted."""
        m = self.m
        env = m.env
        first = True
        while first or env.now < retry_until:
            first = False
            if p.deleted:
                return True
            res = self.cl.evict(p)
            if res.allowed:
                grace = min(m.wl.grace, self.max_graceful_termination) \
                    if self.max_graceful_termination > 0 else m.wl.grace
                m.rec.event(env.now, "ScaleDown", "Pod", p.pod.name,
                            "deleting pod for node scale down")
                m.delete_pod(p, reason="Evicted", grace=grace)
                m.sync_all()
                return True
            yield env.timeout(EVICTION_RETRY_TIME)
        return False


def _cordoned(node: Node) -> Node:
    """A copy of ``node`` marked unschedulable (the simulated removal's own node)."""
    return Node(name=node.name, labels=node.labels, taints=list(node.taints),
                allocatable=node.allocatable, unschedulable=True, ready=node.ready,
                ready_transition_time=node.ready_transition_time)
