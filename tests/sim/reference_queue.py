"""A per-request reference simulation of the serving model's pods (DESIGN §10), with simpy.

Independent of :mod:`capacity.sim.serving`: every request is a simpy process, every pod a
server process that shares its cores among the requests in service. Used by
``tests/sim/test_serving_reference.py`` to check the fluid model on transients at small
rates, where running requests one by one is cheap.

The pod (as §10 states it):

* it works on at most ``workers`` requests at once (``inf``: processor sharing), the others
  wait FCFS; up to ``queue_limit`` may wait, an arrival beyond ``workers + queue_limit``
  requests in the CPU queue (``queue_limit`` without workers) is rejected at once;
* the requests in service share ``cores`` cores, each at most one core (so with
  ``workers <= cores`` every request in service runs at full speed: FCFS M/G/K);
* a request needs ``work`` CPU-seconds (exponential for ``cv = 1``, constant for ``cv = 0``,
  gamma otherwise), then ``fixed`` seconds without CPU (still in flight on the pod);
* a client gives up after ``timeout``: the request counts as ``timeout``, the pod still
  does its work;
* when the pod's node dies every request in it (waiting, in service or in its fixed part) is
  lost (``dead_endpoint``), and so are arrivals sent to it until its endpoint is removed.

Arrivals are Poisson with a piecewise-constant rate, each sent to one endpoint chosen at
random with equal probability (kube-proxy's random choice).
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

INF = math.inf


@dataclass(frozen=True)
class PodSpec:
    work: float  # CPU-seconds per request (mean)
    cv: float = 1.0
    fixed: float = 0.0  # seconds without CPU
    workers: float = INF  # K
    cores: float = 1.0  # c
    queue_limit: float = INF
    timeout: float = INF


@dataclass(frozen=True)
class Plan:
    """What happens in one run.

    ``rates``: ``(t, rps)`` steps (the first at 0). ``pods``: ``(ready_at, dies_at,
    unready_at)`` per pod (``inf``: never): the pod is an endpoint from ``ready_at``; at
    ``dies_at`` its node dies (its requests are lost) and its endpoint stays, dead, until
    ``unready_at``. ``window``: requests arriving in ``[t0, t1)`` are counted.
    ``samples``: times at which the requests in flight (all pods) are read.
    """

    rates: tuple[tuple[float, float], ...]
    pods: tuple[tuple[float, float, float], ...]
    window: tuple[float, float]
    samples: tuple[float, ...] = ()
    until: float | None = None  # simulate this long (default: window end + 10 % + 600 s)
    # Arrivals stop here (default: at the window's end when every request in service has a
    # core, since later arrivals cannot delay earlier ones under FCFS; else at ``until``).
    arrivals_until: float | None = None


@dataclass
class RunResult:
    answered: int = 0
    timeout: int = 0
    rejected: int = 0
    no_endpoint: int = 0
    dead_endpoint: int = 0  # sent to a dead endpoint
    dead_in_flight: int = 0  # in a pod when its node died (also dead_endpoint errors)
    unfinished: int = 0  # still in a pod when the simulation stopped
    latencies: list[float] = field(default_factory=list)
    inflight: list[float] = field(default_factory=list)  # at Plan.samples

    @property
    def offered(self) -> int:
        return (self.answered + self.timeout + self.rejected + self.no_endpoint
                + self.dead_endpoint + self.dead_in_flight + self.unfinished)

    def summary(self) -> dict[str, float]:
        lat = np.asarray(self.latencies)
        return {
            "offered": float(self.offered),
            "answered": float(self.answered),
            "timeout": float(self.timeout),
            "rejected": float(self.rejected),
            "no_endpoint": float(self.no_endpoint),
            "dead_endpoint": float(self.dead_endpoint + self.dead_in_flight),
            "dead_in_flight": float(self.dead_in_flight),
            "unfinished": float(self.unfinished),
            "mean": float(lat.mean()) if len(lat) else math.nan,
            "p50": float(np.quantile(lat, 0.5)) if len(lat) else math.nan,
            "p99": float(np.quantile(lat, 0.99)) if len(lat) else math.nan,
        }


class _Job:
    __slots__ = ("arrival", "counted", "done", "rem", "start")

    def __init__(self, arrival: float, work: float, counted: bool) -> None:
        self.arrival = arrival
        self.rem = work
        self.counted = counted
        self.start: simpy.Event | None = None  # FCFS path: a worker is free
        self.done: simpy.Event | None = None  # sharing path: the work is done


class RefPod:
    """One pod: a FCFS queue in front of ``workers`` slots sharing ``cores`` cores.

    With ``workers <= cores`` every request in service has a core of its own, and the
    request's process simply holds a worker for its work (the fast path). Otherwise a
    server process shares the cores among the requests in service (each at most one core)
    and recomputes the next completion at every arrival and completion.
    """

    def __init__(self, env: simpy.Environment, spec: PodSpec) -> None:
        self.env = env
        self.spec = spec
        self.sharing = spec.workers > spec.cores
        self.waiting: deque[_Job] = deque()
        self.busy = 0  # FCFS path: workers in use
        self.service: list[_Job] = []  # sharing path: requests in service
        self.in_fixed = 0  # requests in their fixed (non-CPU) part
        self.died_at = INF
        self._wake = env.event()
        self._last = env.now
        if self.sharing:
            env.process(self._serve())

    @property
    def alive(self) -> bool:
        return self.died_at == INF

    def in_cpu_queue(self) -> int:
        return len(self.waiting) + (len(self.service) if self.sharing else self.busy)

    def in_flight(self) -> int:
        return self.in_cpu_queue() + self.in_fixed if self.alive else 0

    def full(self) -> bool:
        """The CPU queue holds workers + queue_limit (queue_limit alone without workers)."""
        k = self.spec.workers
        cap = self.spec.queue_limit if k == INF else k + self.spec.queue_limit
        return self.in_cpu_queue() >= cap

    # --- FCFS path: a worker each -------------------------------------------------------
    def take_worker(self, job: _Job) -> simpy.Event | None:
        """A worker for ``job`` now (None), or an event when one is free (FCFS)."""
        if self.busy < self.spec.workers:
            self.busy += 1
            return None
        job.start = self.env.event()
        self.waiting.append(job)
        return job.start

    def free_worker(self) -> None:
        if self.waiting:
            j = self.waiting.popleft()
            j.start.succeed()  # type: ignore[union-attr]  # the worker passes on
        else:
            self.busy -= 1

    # --- sharing path ------------------------------------------------------------------
    def _speed(self) -> float:
        n = len(self.service)
        return min(1.0, self.spec.cores / n) if n else 0.0

    def _progress(self) -> None:
        now = self.env.now
        s = self._speed()
        if s > 0:
            d = (now - self._last) * s
            for j in self.service:
                j.rem -= d
        self._last = now

    def share(self, job: _Job) -> simpy.Event:
        """Queue ``job`` for a share of the cores; the event fires when its work is done."""
        self._progress()
        job.done = self.env.event()
        if len(self.service) < self.spec.workers:
            self.service.append(job)
        else:
            self.waiting.append(job)
        if not self._wake.triggered:
            self._wake.succeed()
        return job.done

    def _serve(self):
        env = self.env
        eps = 1e-9 * self.spec.work
        while self.alive:
            if not self.service:
                yield self._wake
                self._wake = env.event()
                continue
            dt = max(min(j.rem for j in self.service) / self._speed(), 0.0)
            yield env.timeout(dt) | self._wake
            if not self.alive:
                return
            if self._wake.triggered:
                self._wake = env.event()
            self._progress()
            done = [j for j in self.service if j.rem <= eps]
            if done:
                self.service = [j for j in self.service if j.rem > eps]
                for j in done:
                    j.done.succeed()  # type: ignore[union-attr]
                while self.waiting and len(self.service) < self.spec.workers:
                    self.service.append(self.waiting.popleft())

    def die(self) -> int:
        """The node dies. Requests waiting are lost here (their processes never resume;
        returns how many of them were counted); the others see ``died_at`` when they wake."""
        self.died_at = self.env.now
        lost = sum(j.counted for j in self.waiting)
        self.waiting.clear()
        if self.sharing:
            lost += sum(j.counted for j in self.service)
            self.service.clear()
            if not self._wake.triggered:
                self._wake.succeed()
        return lost


def simulate(spec: PodSpec, plan: Plan, seed: int) -> RunResult:
    """One run of the reference; counts the requests that arrive in ``plan.window``."""
    # independent streams for the gaps, the endpoint choices and the work
    g_gap, g_pick, g_work = (np.random.default_rng(s)
                             for s in np.random.SeedSequence(seed).spawn(3))
    env = simpy.Environment()
    res = RunResult()
    t0, t1 = plan.window
    until = plan.until if plan.until is not None else t1 * 1.1 + 600.0
    endpoints: list[RefPod] = []
    pods: list[RefPod | None] = [None] * len(plan.pods)
    admitted = [0]  # counted requests a pod accepted

    def work_draws():
        """The requests' work: exponential (cv 1), constant (cv 0) or gamma, in batches."""
        while True:
            if spec.cv == 0:
                yield spec.work
                continue
            if spec.cv == 1:
                batch = g_work.exponential(spec.work, 4096)
            else:
                k = 1.0 / (spec.cv * spec.cv)
                batch = g_work.gamma(k, spec.work / k, 4096)
            yield from batch.tolist()

    works = work_draws()

    def request(pod: RefPod, job: _Job):
        if pod.sharing:
            yield pod.share(job)
            if not pod.alive:
                return  # counted by die()
        else:
            wait = pod.take_worker(job)
            if wait is not None:
                yield wait  # never fires if the pod dies first (counted by die())
            yield env.timeout(job.rem)
            if pod.died_at <= env.now:
                res.dead_in_flight += job.counted
                return
            pod.free_worker()
        if spec.fixed > 0:
            pod.in_fixed += 1
            yield env.timeout(spec.fixed)
            if pod.died_at <= env.now:
                res.dead_in_flight += job.counted
                return
            pod.in_fixed -= 1
        if not job.counted:
            return
        t = env.now - job.arrival
        if t > spec.timeout:
            res.timeout += 1
        else:
            res.answered += 1
            res.latencies.append(t)

    def unit_draws(g: np.random.Generator, kind: str):
        """Endless standard exponential (``"exp"``) or uniform draws from ``g``, in batches."""
        while True:
            batch = g.standard_exponential(4096) if kind == "exp" else g.random(4096)
            yield from batch.tolist()

    gaps, picks = unit_draws(g_gap, "exp"), unit_draws(g_pick, "uniform")
    stop = plan.arrivals_until if plan.arrivals_until is not None else (
        t1 if spec.workers <= spec.cores else until)

    def arrivals():
        steps = [*plan.rates, (INF, 0.0)]
        for (ta, lam), (tb, _) in itertools.pairwise(steps):
            if env.now < ta:
                yield env.timeout(ta - env.now)
            if lam <= 0:
                continue
            end = min(tb, stop)
            while True:
                gap = next(gaps) / lam
                if env.now + gap >= end:
                    break
                yield env.timeout(gap)
                now = env.now
                counted = t0 <= now < t1
                n = len(endpoints)
                if not n:
                    res.no_endpoint += counted
                    continue
                pod = endpoints[int(next(picks) * n)] if n > 1 else endpoints[0]
                if not pod.alive:
                    res.dead_endpoint += counted
                    continue
                if pod.full():
                    res.rejected += counted
                    continue
                admitted[0] += counted
                env.process(request(pod, _Job(now, next(works), counted)))
            if tb >= stop:
                return

    def lifecycle(i: int, ready: float, dies: float, unready: float):
        yield env.timeout(ready)
        pod = RefPod(env, spec)
        pods[i] = pod
        endpoints.append(pod)
        if dies == INF:
            return
        yield env.timeout(dies - env.now)
        res.dead_in_flight += pod.die()
        if unready == INF:
            return
        yield env.timeout(unready - env.now)
        endpoints.remove(pod)

    def sampler():
        for t in plan.samples:
            yield env.timeout(t - env.now)
            res.inflight.append(float(sum(p.in_flight() for p in pods if p is not None)))

    for i, (ready, dies, unready) in enumerate(plan.pods):
        env.process(lifecycle(i, ready, dies, unready))
    env.process(arrivals())
    env.process(sampler())
    env.run(until=until)
    # requests still in a pod when the simulation stopped (a window too close to its end)
    res.unfinished = admitted[0] - res.answered - res.timeout - res.dead_in_flight
    return res


def replicate(spec: PodSpec, plan: Plan, seeds: range | list[int]) -> dict[str, np.ndarray]:
    """Each summary key over several seeds (one array entry per seed)."""
    out: dict[str, list[float]] = {}
    for s in seeds:
        for k, v in simulate(spec, plan, s).summary().items():
            out.setdefault(k, []).append(v)
    return {k: np.asarray(v) for k, v in out.items()}


def replicate_inflight(spec: PodSpec, plan: Plan, seeds: range | list[int]) -> np.ndarray:
    """Requests in flight at ``plan.samples``: one row per seed."""
    return np.asarray([simulate(spec, plan, s).inflight for s in seeds])


# --- scenarios for the serving tests ------------------------------------------------------------


def serving_scenario(demand: dict[str, Any], load: dict[str, Any], *, replicas: int = 1,
                     cpu_limit: str = "2", cpu_request: str = "100m", duration: str = "1h",
                     warmup: str = "0s", startup: dict[str, Any] | None = None,
                     **top: Any) -> Any:
    """A scenario of fixed replicas, no HPA, no cluster (each pod has exactly its CPU limit).

    ``demand`` defaults to ``latency: 0`` and ``baseCpu: 0`` (given keys override), so
    a pod's cores for requests are its CPU limit.
    """
    from capacity.scenario.loader import scenario_from_dict

    dm = {"latency": 0, "baseCpu": "0"}
    dm.update(demand)
    d: dict[str, Any] = {
        "name": "serving",
        "simulation": {"duration": duration, "seed": 1, "warmup": warmup},
        "workload": {
            "name": "web",
            "deployment": {"replicas": replicas, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "resources": {
                    "requests": {"cpu": cpu_request, "memory": "128Mi"},
                    "limits": {"cpu": cpu_limit, "memory": "1Gi"}}}]}}},
            "demand": dm,
            **({"startup": startup} if startup is not None else {}),
        },
        "load": load,
    }
    d.update(top)
    return scenario_from_dict(d)
