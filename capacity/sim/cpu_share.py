"""The CPU each serving pod can use on its node: CFS shares, work-conserving.

Every tenant of a node wants some CPU (other teams' pods, starting pods, the serving pods);
their mean use is the max-min fair split of the node's allocatable CPU weighted by their
requests (``cpu.shares``); a busy pod can use what the others leave, at least its fair
share, at most its limit (DESIGN §10).
"""

from __future__ import annotations

from typing import Any

from capacity.sim.workload import IDLE, SERVING, SimPod


def waterfill(capacity: float, demands: list[float], weights: list[float]) -> list[float]:
    """Max-min fair split of ``capacity`` by ``weights``: each gets at most its demand, and
    what the satisfied leave is shared by the others in proportion to their weights."""
    out = [0.0] * len(demands)
    active = [i for i, d in enumerate(demands) if d > 0]
    left = capacity
    # Plain loops, not comprehensions and generators (called on every load step); the sums
    # run in the same order, so the shares are the same to the bit.
    while active and left > 0:
        wsum = 0
        for i in active:
            wsum += weights[i]
        level = left / wsum
        done = []
        rest = []
        for i in active:
            if demands[i] <= level * weights[i]:
                done.append(i)
            else:
                rest.append(i)
        if not done:
            for i in active:
                out[i] = level * weights[i]
            break
        for i in done:
            out[i] = demands[i]
            left -= demands[i]
        active = rest
    return out


class CpuShares:
    """The cpu share part of :class:`capacity.sim.engine.Model` (a mixin: it
    reads and writes the run's shared state on ``self``)."""

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
        classes = self.srv.classes
        if cl is None or not classes:
            return
        # Called on every load step (10k times a simulated week): locals instead of
        # attribute lookups, one pass over a node's pods for both counts (the same sums in
        # the same order as before).
        u = self._predicted_use(None, self._per_endpoint_rate())
        by_node: dict[str, list[SimPod]] = {}
        for c in classes:
            for q in c.pods:
                group = by_node.get(q.node)  # type: ignore[arg-type]
                if group is None:
                    by_node[q.node] = [q]  # type: ignore[index]
                else:
                    group.append(q)
        moves: list[tuple[SimPod, float]] = []
        cache = self._cores_cache
        nodes = cl.nodes
        for node, pods in by_node.items():
            sn = nodes.get(node)
            if sn is None:
                continue
            n = 0
            idle = 0  # an int while no pod idles, as sum() gave
            for q in sn.pods:
                mode = q.mode
                if mode == SERVING:
                    n += 1
                elif mode == IDLE:
                    idle += q.rate
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
