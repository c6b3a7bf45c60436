"""The Service's endpoints and each pod's CPU mode.

A ready pod is an endpoint and a queue of the serving model (:mod:`capacity.sim.serving`);
a pod that holds node resources is billed. A pod's cumulative CPU (what metrics-server and
cAdvisor read) is integrated by mode: off, idle (start-up or base CPU), serving.
"""

from __future__ import annotations

from capacity.sim.workload import IDLE, SERVING, SimPod


class Endpoints:
    """The endpoints part of :class:`capacity.sim.engine.Model` (a mixin: it
    reads and writes the run's shared state on ``self``)."""

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
