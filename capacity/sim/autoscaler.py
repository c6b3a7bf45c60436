"""Cluster autoscaler for the node pools that have ``autoscaling`` (kubernetes/autoscaler
``cluster-autoscaler``, FAQ and flag defaults; kubernetes-semantics.md §9).

Every ``scanInterval`` (10 s):

* **scale-up**: if pods failed scheduling, try a new node of each autoscaled pool in each
  of its zones (the scheduler's filters on a template node); among the options that fit,
  take the one that wastes least CPU (expander ``least-waste``); add as many nodes as the
  pending pods need by their requests (at most ``maxNodes`` of the pool); the nodes are
  Ready after ``provisioningDelay``. Events: ``TriggeredScaleUp`` or ``NotTriggerScaleUp``.
* **scale-down**: a node is unneeded while its requested CPU and memory are both below
  ``scaleDownUtilizationThreshold`` of allocatable and every pod on it fits on another
  node; after ``scaleDownUnneededTime`` unneeded (and ``scaleDownDelayAfterAdd`` after the
  last scale-up), it is drained through the eviction API, respecting PDBs; if a pod cannot
  be evicted within ``maxPodEvictionTime`` the node is kept. One non-empty node at a time;
  never below ``minNodes``. Event: ``ScaleDown``.

Simplifications: ``maxNodes``/``minNodes`` count the pool's nodes over all its zones; the
scale-up estimate is by requests (no full bin-packing simulation); the unneeded check
places each pod on the other nodes independently.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from capacity.k8s.node import LABEL_HOSTNAME, LABEL_TOPOLOGY_ZONE, Node, Taint
from capacity.k8s.scheduler import schedule_pod_in_snapshot
from capacity.k8s.types import resource_list
from capacity.sim.distributions import sample
from capacity.sim.tenants import background_pod

if TYPE_CHECKING:
    from capacity.sim.cluster import ClusterSim, SimNode, background_pod


class ClusterAutoscaler:
    """Scale-up for unschedulable pods and scale-down of unneeded nodes, per pool."""

    def __init__(self, cluster: ClusterSim) -> None:
        self.cl = cluster
        self.m = cluster.m
        sc = cluster.sc
        self.cfg = sc.controllers.clusterAutoscaler
        self.pools = {p.name: p for p in sc.cluster.nodePools if p.autoscaling is not None}  # type: ignore[union-attr]
        self.provisioning: dict[str, int] = {name: 0 for name in self.pools}
        self.last_scale_up = -math.inf
        self.unneeded_since: dict[str, float] = {}
        self.draining = False

    @property
    def active(self) -> bool:
        return bool(self.pools) and self.cfg.enabled

    def pool_size(self, pool: str) -> int:
        live = sum(1 for n in self.cl.nodes.values() if n.pool == pool and not n.removed)
        return live + self.provisioning[pool]

    def run(self):
        env = self.m.env
        while True:
            yield env.timeout(self.cfg.scanInterval)
            pending = [p for p in self.cl.pending if not p.deleted and p.node is None]
            self.cl.pending = pending
            # Pods that a new node would help hold scale-down back; pods no pool can help
            # do not.
            helped = self.scale_up(pending) if pending else False
            if (not helped and not self.draining
                    and env.now - self.last_scale_up >= self.cfg.scaleDownDelayAfterAdd):
                self.scale_down()

    # --- scale-up ---------------------------------------------------------------------
    def _template(self, pool, zone: str) -> Node:
        labels = {**pool.labels, LABEL_TOPOLOGY_ZONE: zone, LABEL_HOSTNAME: f"template-{pool.name}-{zone}",
                  "capacity.sim/pool": pool.name}
        return Node(name=f"template-{pool.name}-{zone}", labels=labels,
                    taints=[Taint(t.key, t.value or "", t.effect) for t in pool.taints],
                    allocatable=resource_list(pool.allocatable))

    def _fits(self, p, node: Node) -> bool:
        snap = self.cl.snapshot
        snap.set_node(node)
        pool = next((q for q in self.m.sc.cluster.nodePools
                     if q.name == node.labels.get("capacity.sim/pool")), None)
        bg = background_pod(pool, node.name) if pool is not None else None
        if bg is not None:
            snap.add_pod(bg, node.name)
        try:
            res = schedule_pod_in_snapshot(p.pod, self.cl.spec, snap, config=self.cl.config)
            return res.node_name == node.name
        finally:
            snap.remove_node(node.name)

    def _fits_now(self, p) -> bool:
        res = schedule_pod_in_snapshot(p.pod, self.cl.spec, self.cl.snapshot, config=self.cl.config)
        return res.node_name is not None

    def scale_up(self, pending) -> bool:
        """Add nodes for ``pending``; True when a new or upcoming node will help them."""
        m = self.m
        # Pods that fit on the nodes there are now will be placed by the scheduler.
        pending = [p for p in pending if not self._fits_now(p)]
        if not pending:
            return True
        p0 = pending[0]
        best = None
        req = self.m.wl.requests
        for name, pool in self.pools.items():
            if self.pool_size(name) >= pool.autoscaling.maxNodes:
                continue
            alloc = resource_list(pool.allocatable)
            for zone in pool.zones or self.cl.zones:
                in_zone = [n for n in self.cl.nodes.values() if n.zone == zone and not n.removed]
                if in_zone and not any(n.alive for n in in_zone):
                    continue  # the zone is down: the cloud cannot start nodes there
                if not self._fits(p0, self._template(pool, zone)):
                    continue
                per_node = min(alloc.get(r, 0) // v for r, v in req.items() if v > 0 and r in alloc) if req else 1
                per_node = max(per_node, 1)
                waste = 1.0 - (min(len(pending), per_node) * req.get("cpu", 0)) / max(alloc.get("cpu", 1), 1)
                cand = (waste, name, zone, per_node)
                if best is None or cand < best:
                    best = cand
        if best is None:
            if any(self.provisioning.values()):
                return True
            m.rec.event(m.env.now, "NotTriggerScaleUp", "Pod", p0.pod.name,
                        "pod didn't trigger scale-up: no node group can take it", "Normal")
            return False
        _, name, zone, per_node = best
        pool = self.pools[name]
        size = self.pool_size(name)
        # Nodes already on their way count (the autoscaler's upcoming nodes).
        need = math.ceil(len(pending) / per_node) - self.provisioning[name]
        add = min(need, pool.autoscaling.maxNodes - size)
        if add <= 0:
            return True
        self.provisioning[name] += add
        self.last_scale_up = m.env.now
        m.rec.event(m.env.now, "TriggeredScaleUp", "Pod", p0.pod.name,
                    f"pod triggered scale-up: [{{{name} {size}->{size + add} (max: {pool.autoscaling.maxNodes})}}]")
        for _ in range(add):
            m.env.process(self._provision(pool, zone))
        return True

    def _provision(self, pool, zone: str):
        m = self.m
        yield m.env.timeout(sample(self.cfg.provisioningDelay, m.rng["autoscaler"]))
        self.provisioning[pool.name] -= 1
        sn = self.cl.add_node(pool, zone)
        m.rec.event(m.env.now, "RegisteredNode", "Node", sn.name,
                    f"Node {sn.name} event: Registered Node {sn.name} in Controller")

    # --- scale-down ---------------------------------------------------------------------
    def _utilization(self, sn: SimNode) -> float:
        ni = self.cl.snapshot.node_infos.get(sn.name)
        if ni is None:
            return 1.0
        alloc = sn.node.allocatable
        u = 0.0
        for r in ("cpu", "memory"):
            if alloc.get(r):
                u = max(u, ni.requested.get(r, 0) / alloc[r])
        return u

    def _movable(self, sn: SimNode) -> bool:
        node = sn.node
        was = node.unschedulable
        node.unschedulable = True
        try:
            for p in sn.pods:
                if p.deleted:
                    continue
                res = schedule_pod_in_snapshot(p.pod, self.cl.spec, self.cl.snapshot, config=self.cl.config)
                if res.node_name is None:
                    return False
            return True
        finally:
            node.unschedulable = was

    def scale_down(self) -> None:
        env = self.m.env
        now = env.now
        candidates = []
        for sn in list(self.cl.nodes.values()):
            pool = self.pools.get(sn.pool)
            if pool is None or sn.removed or not sn.alive or sn.node.unschedulable:
                self.unneeded_since.pop(sn.name, None)
                continue
            if self._utilization(sn) < self.cfg.scaleDownUtilizationThreshold and self._movable(sn):
                since = self.unneeded_since.setdefault(sn.name, now)
                if now - since >= self.cfg.scaleDownUnneededTime:
                    candidates.append(sn)
            else:
                self.unneeded_since.pop(sn.name, None)
        for sn in candidates:
            pool = self.pools[sn.pool]
            live = sum(1 for n in self.cl.nodes.values() if n.pool == sn.pool and not n.removed)
            if live <= pool.autoscaling.minNodes:
                continue
            self.draining = True
            env.process(self._remove(sn))
            return

    def _remove(self, sn: SimNode):
        m = self.m
        env = m.env
        deadline = env.now + self.cfg.maxPodEvictionTime
        rec = yield env.process(self.cl.drain(sn, "scale-down", deadline))
        if any(not p.deleted for p in sn.pods):
            # an eviction failed for maxPodEvictionTime: keep the node
            self.cl.uncordon(sn)
            self.unneeded_since.pop(sn.name, None)
        else:
            m.rec.event(env.now, "ScaleDown", "Node", sn.name, "node removed by cluster autoscaler")
            self.cl.remove_node(sn, "scale-down", record=False)
        del rec
        self.draining = False
