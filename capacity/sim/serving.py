"""The serving model of one run (DESIGN §10): every ready pod is a queue.

Traffic stays a fluid between events. The Service's offered rate is split over its
endpoints (``even``: kube-proxy's random choice, each endpoint the same share;
``leastRequest``: in proportion to each pod's service rate, which equalises utilisation as
least-request balancing does). Pods that see the same arrival rate and CPU behave the same,
so they are kept in *classes*; a class is in one of two regimes:

* **steady**: its arrival rate is below its service capacity and any backlog has drained;
  its queue is the stationary one of :func:`capacity.sim.queueing.steady_state`;
* **fluid**: overloaded, draining a backlog, or filling slowly. ``B`` (requests in the
  pod) moves linearly, ``dB/dt = accepted - capacity`` (a slow fill: see below); at ``N``
  (concurrency + queueLimit) arrivals beyond capacity are rejected (``rejected``); once
  ``B`` is back at (or, filling, within 5% under) the steady mean the class is steady
  again. The moments where that happens are events of the run
  (:meth:`ServingModel.next_transition`). An arrival's time is the mean path's: its wait
  for a worker, then, where more requests are in service than the pod has cores (they
  share them), its own work times the sharing it finds (the work in bins, each a band of
  times: :meth:`ServingModel.work_bins_of`); under FCFS the mean work. An unbounded queue
  near capacity (below it but slow to fill, or above it by little) instead fills along the
  pointwise-stationary fluid approximation, in linear pieces that are events too
  (:meth:`ServingModel._fill_piece`): at exactly capacity its backlog grows like the
  square root of time, as a critically loaded queue's does, rather than not at all.

Errors: no ready endpoint (``no_endpoint``); requests sent to a pod on a dead node before
it is marked NotReady, and those in flight on a pod when its node dies (``dead_endpoint``);
queue full (``rejected``); and answers slower than ``demand.timeout`` (``timeout``: the
client gave up, the pod still did the work). Latency counts answered requests only.

Online (on every event) the model keeps what the rest of the run depends on: CPU and memory
per pod, throughput, the errors that change the load. Response times and timeouts change
nothing downstream, so each stretch between events is recorded as a *segment* (the queue's
parameters and its arrivals) and the latency distribution, percentiles and timeouts are
computed at the end of the run, vectorised over all segments (:meth:`ServingModel.finish`).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from capacity.sim import queueing as qm

INF = math.inf
GIB = 1024**3

ERROR_REASONS = ("timeout", "rejected", "no_endpoint", "dead_endpoint")

#: Bucket bounds (seconds) of the latency histogram a Prometheus client would export
#: (client_golang's DefBuckets), and for DESIGN §11's http_request_duration_seconds.
PROMETHEUS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Segment layout: t0, t1, kind, arrivals, a, b, c, owner, d. Steady: a = p_wait,
# b = theta, c = mean time in service, d = its cv^2. Fluid: a, b = mean response times at
# t0, t1 (linear between); c, d = the width at t0, t1 of the band of times about them (a bin
# of the work: queueing.work_bins), uniform; 0 where every arrival at an instant has the same
# time. A piece of a segment takes the narrower of its ends' widths as its band (_band).
_STEADY, _FLUID = 0.0, 1.0
_SEG = 9
_ONE_BIN = ((1.0,), (1.0,), (0.0,))  # work_bins_of where every arrival has the mean's work
_SETTLE = 0.5  # seconds: a fill or drain shorter than this is taken as instantaneous
# An unbounded queue below capacity whose fill takes less than about _FILL_GRAIN s is at its
# stationary state at once (that overstates its first seconds' waits: the safe side);
# a slower one fills piece by piece, and is taken as filled within _FILL_CLOSE of its mean.
_FILL_GRAIN = 10.0
_FILL_CLOSE = 0.05
# A fill piece grows the backlog by this share (or this many requests, when it is below
# one), or closes this share x 2.5 of its gap to the stationary mean: the slope then
# changes by about 10% a piece, which bounds the chord's lag when pieces are cut short.
_FILL_STEP = 0.1
# An overload (unbounded queue) whose drift takes over from its noise within _DRIFT_GRAIN
# seconds grows at lam - mu from the start, as the textbook fluid does; a slower one
# fills (a fill grows faster than the linear fluid: the mean just below the boundary is
# the higher). There the two differ by about 1% in a ten-minute overload's mean latency
# (0.7%, 1.1% and 1.3% measured at mu = 1, 10 and 100/s).
_DRIFT_GRAIN = 2.0


@dataclass
class ServingParams:
    """Per-run constants of the serving model (from the scenario's ``demand``)."""

    work: float  # CPU-seconds per request (w)
    cv: float  # coefficient of variation of the work
    fixed: float  # seconds without CPU per request (L)
    concurrency: float  # K (inf: processor sharing)
    queue_limit: float  # waiting requests beyond K (inf: unbounded)
    timeout: float  # client timeout (inf: none)
    base_cpu: float  # cores
    base_memory: float  # bytes
    memory_per_inflight: float  # bytes
    rate_cap: float  # per-pod rate limit (requests/s; inf: none)
    balancing: str = "even"
    request_cpu: float = 0.0  # cores: the pod's effective request (allocation = max(r, use))
    request_memory_gib: float = 0.0

    @property
    def capacity_n(self) -> float:
        """Most requests a pod holds: K + queueLimit (queueLimit alone under PS)."""
        if self.concurrency == INF:
            return self.queue_limit
        return self.concurrency + self.queue_limit


class PodClass:
    """Pods with the same CPU for requests and the same backlog history."""

    __slots__ = ("B", "S", "accepted", "cores", "cpu", "filling", "fluid", "inflight", "lam",
                 "m", "mem", "mu", "n", "n_spot", "piece", "pods", "rejected", "slope", "state",
                 "t_b", "target", "warm")

    def __init__(self, cores: float) -> None:
        self.cores = cores  # cores the pod's requests can use (c)
        self.pods: list[Any] = []  # SimPods (each has .cls, .cum, .s0, .spot)
        self.n = 0  # len(pods)
        self.n_spot = 0  # of which on spot nodes
        self.fluid = False
        self.filling = False  # fluid below capacity: the queue fills towards its steady mean
        # the fill piece under way (_fill_piece): rate, cores, slope, end (requests), busy
        # cores, end (time)
        self.piece: tuple[float, float, float, float, float, float] | None = None
        self.warm = False  # set up warm (reset_queues): at its steady state from the start
        self.B = 0.0  # requests in the pod at t_b (fluid)
        self.t_b = 0.0
        self.slope = 0.0  # dB/dt while fluid
        self.target = 0.0  # in-system count that ends this fluid piece (inf: none)
        self.lam = 0.0  # arrivals per pod per second
        self.m = 0.0  # min(K, c)
        self.mu = INF  # service capacity, requests/s
        self.state: qm.QueueState | None = None
        self.accepted = 0.0  # per pod per second
        self.rejected = 0.0
        self.cpu = 0.0  # cores used per pod (base included)
        self.mem = 0.0  # bytes per pod
        self.inflight = 0.0  # requests in flight per pod (fixed part included)
        self.S = 0.0  # ∫ cpu dt of one pod of this class (core-seconds)

    def backlog(self, t: float) -> float:
        return self.B + self.slope * (t - self.t_b)


@dataclass
class ServingTotals:
    """Online integrals over the measured time (requests)."""

    offered: float = 0.0
    accepted: float = 0.0
    no_endpoint: float = 0.0
    dead_endpoint: float = 0.0
    rejected: float = 0.0
    inflight_seconds: float = 0.0  # ∫ requests in flight dt
    inflight_lost: float = 0.0  # accepted requests lost in flight with their pod
    # Serving pods' resource integrals (core-seconds, GiB-seconds); allocation is
    # ∫ max(request, usage) dt pod by pod, and its part on spot nodes.
    cpu_usage: float = 0.0
    memory_usage: float = 0.0
    cpu_alloc: float = 0.0
    memory_alloc: float = 0.0
    cpu_alloc_spot: float = 0.0
    memory_alloc_spot: float = 0.0
    # Work done with CPU beyond the pods' requests: a busy pod runs its requests on its
    # cores c; of that, the part above (request - baseCpu) is burst CPU (core-seconds).
    cpu_above_request: float = 0.0
    cpu_work: float = 0.0  # ∫ Σ cores doing request work dt


@dataclass
class LatencyResult:
    """What :meth:`ServingModel.finish` computes (all over measured, answered requests)."""

    answered: float
    timeouts: float
    mean: float
    quantiles: dict[str, float]
    buckets: list[float]  # cumulative answered requests <= each PROMETHEUS_BUCKETS bound
    latency_sum: float  # seconds, over answered requests
    by_owner_timeouts: dict[int, float] = field(default_factory=dict)
    rows: dict[str, np.ndarray] = field(default_factory=dict)


class ServingModel:
    """Queues of the ready pods of one run; the engine calls it on every event."""

    def __init__(self, params: ServingParams, record_segments: bool = True) -> None:
        self.p = params
        self.classes: list[PodClass] = []
        self.totals = ServingTotals()
        self.seg = array("d")
        self.record = record_segments
        self.full = True
        self._cache: dict[tuple[float, float], qm.QueueState] = {}
        self._finished: tuple[int, _Mixture] | None = None  # (segments, mixture) of finish()
        self._released = False
        # Where requests in service share cores, a fluid arrival's time in service is its
        # own work times the mean path's sharing: the work's distribution in bins, each
        # bin's arrivals a segment of their own (work_bins_of).
        pb, xb, wb = (tuple(float(v) for v in a) for a in qm.work_bins(params.cv * params.cv))
        self._bins = (pb, xb, wb)
        # Read-only observers of every integration step (the monitoring of DESIGN §11):
        # called as ``watcher(t0, t1, classes)`` before the step, warm-up included.
        self.watchers: list[Any] = []

    # --- membership ------------------------------------------------------------------------
    # A pod's CPU integral is ``p.cum + (cls.S - p.s0)`` while it is in ``cls``: joining sets
    # ``s0``, leaving folds the class's integral into ``cum``. Callers integrate up to ``now``
    # (the engine's ``touch``) before any change of membership.

    def add_pod(self, p: Any, cores: float, now: float) -> None:
        """A pod becomes a ready endpoint with ``cores`` for requests; its queue is empty."""
        cls = next((c for c in self.classes if c.cores == cores and not c.fluid), None)
        if cls is None:
            cls = PodClass(cores)
            cls.t_b = now
            self.classes.append(cls)
        self._enter(p, cls)

    def _enter(self, p: Any, cls: PodClass) -> None:
        p.cls = cls
        p.s0 = cls.S
        cls.pods.append(p)
        cls.n += 1
        if p.spot:
            cls.n_spot += 1

    def remove_pod(self, p: Any) -> None:
        """The pod leaves the endpoints (its queue drains off the books: nothing is lost)."""
        cls = p.cls
        p.cum += cls.S - p.s0
        cls.pods.remove(p)
        cls.n -= 1
        if p.spot:
            cls.n_spot -= 1
        p.cls = None
        if cls.n == 0:
            self.classes.remove(cls)

    def lose_pod(self, p: Any, now: float, measured: bool) -> float:
        """The pod's node died: its requests in flight are ``dead_endpoint`` errors
        (counted when ``measured``; returned)."""
        lost = self.inflight_of(p.cls, now)
        if measured:
            # They were counted as accepted (and answered) when they arrived: move them
            # from answered to the errors.
            self.totals.dead_endpoint += lost
            self.totals.inflight_lost += lost
        self.remove_pod(p)
        return lost

    def set_cores(self, p: Any, cores: float, now: float) -> None:
        """The pod's CPU for requests changed (co-tenants on its node came or went); the
        pod keeps its queue (a fluid pod its backlog, a steady one its mean)."""
        old = p.cls
        if old.cores == cores:
            return
        if old.n == 1:  # the class is this pod: change it in place
            if old.fluid:
                old.B, old.t_b = old.backlog(now), now
            old.cores = cores
            return
        if not old.fluid:
            self.remove_pod(p)
            self.add_pod(p, cores, now)
            new = p.cls
            if new.n == 1 and new.state is None:  # a class of its own: its queue goes along
                new.state = old.state
            return
        b = old.backlog(now)
        self.remove_pod(p)
        # pods leaving one fluid class together stay together
        cls = next((c for c in self.classes if c.fluid and c.cores == cores and c.t_b == now
                    and b == c.B and c.lam == old.lam), None)
        if cls is None:
            cls = PodClass(cores)
            cls.fluid, cls.B, cls.t_b = True, b, now
            cls.lam = old.lam
            self.classes.append(cls)
        self._enter(p, cls)

    def reset_queues(self, now: float) -> None:
        """Forget every queue's history: each class starts at the steady state of its next
        rate (no backlog to drain; empty when an unbounded queue has none, at or above
        capacity). For pods set up together before time moves."""
        for c in self.classes:
            c.fluid = c.filling = False
            c.warm = True
            c.state = c.piece = None
            c.B, c.t_b, c.slope = 0.0, now, 0.0
        self._merge_steady()

    def retarget(self, moves: list[tuple[Any, float]], now: float) -> None:
        """Set the cores of many pods at once; a class whose pods all move to the same
        cores changes in place (no churn of memberships)."""
        by_class: dict[int, tuple[PodClass, set[float]]] = {}
        for p_, cores in moves:
            c = p_.cls
            entry = by_class.get(id(c))
            if entry is None:
                by_class[id(c)] = (c, {cores})
            else:
                entry[1].add(cores)
        for c, targets in by_class.values():
            if len(targets) == 1:
                (cores,) = targets
                if c.cores != cores:
                    if c.fluid:
                        c.B, c.t_b = c.backlog(now), now
                    c.cores = cores
        for p_, cores in moves:
            if p_.cls.cores != cores:
                self.set_cores(p_, cores, now)

    def _merge_steady(self) -> None:
        """Steady classes with the same cores behave alike: keep one of each."""
        seen: dict[float, PodClass] = {}
        for c in list(self.classes):
            if c.fluid:
                continue
            keep = seen.get(c.cores)
            if keep is None:
                seen[c.cores] = c
                continue
            for p in list(c.pods):
                self.remove_pod(p)
                self._enter(p, keep)

    def inflight_of(self, cls: PodClass, t: float) -> float:
        """Requests in flight on one pod of ``cls`` at ``t`` (the fixed part included)."""
        if cls.fluid:
            return cls.backlog(t) + cls.accepted * self.p.fixed
        return cls.inflight

    # --- rates --------------------------------------------------------------------------------
    def update(self, now: float, rate: float, n_ep: int) -> None:
        """New offered ``rate`` (requests/s) over ``n_ep`` endpoints (dead ones included):
        re-derive every class's arrival rate, regime and per-pod rates at ``now``."""
        p = self.p
        classes = self.classes
        live = 0
        for c in classes:
            live += c.n
        rate_cap = p.rate_cap
        capacity_n = p.capacity_n
        set_rate = self._set_rate
        if n_ep > 0 and live != 0 and p.balancing == "leastRequest":
            # Dead endpoints get no new requests (their in-flight count only grows);
            # live ones in proportion to their service capacity.
            caps = {id(c): min(qm.service_capacity(p.work, c.cores, p.concurrency), p.rate_cap)
                    for c in classes}
            tot = sum(caps[id(c)] * c.n for c in classes)
            if tot == INF or tot <= 0:
                per = {id(c): rate / live for c in classes}
            else:
                per = {id(c): rate * caps[id(c)] / tot for c in classes}
            for c in classes:
                set_rate(c, per[id(c)], now, capacity_n)
        else:
            # Every class gets the same share (called on every load step: no per-class map).
            lam = 0.0 if (n_ep <= 0 or live == 0) else rate / n_ep
            for c in classes:
                set_rate(c, lam, now, capacity_n)
        full = rate == 0.0 or (n_ep > 0 and live == n_ep)
        if full:
            for c in classes:
                # Capacity covers the load when no pod is overloaded (a full queue's rare
                # rejections at a load below capacity are a queue-sizing matter, not
                # capacity).
                lam = c.lam
                if (c.fluid and not c.filling) or min(lam, rate_cap) >= c.mu or lam > rate_cap:
                    full = False
                    break
        self.full = full
        self._merge_steady()

    def _set_rate(self, c: PodClass, lam: float, now: float,
                  capacity_n: float | None = None) -> None:
        """Arrival rate ``lam`` per pod from ``now``: pick the regime and the rates.

        A stationary state exists below capacity, or at any load with a finite queue. The
        class is steady when it is at (or, below capacity, quickly heading to) that state;
        else fluid: its backlog ``B`` moves at ``accepted - capacity`` towards the
        stationary mean (a drain, or a finite queue filling in overload), grows at it
        without end (an unbounded queue well above capacity), or fills piece by piece
        (:meth:`_fill_piece`: an unbounded queue slow to fill below capacity, or at or a
        little above it); ``target`` is where the current piece ends. ``capacity_n``
        is ``p.capacity_n`` when the caller has it at hand.
        """
        p = self.p
        if capacity_n is None:
            capacity_n = p.capacity_n
        capped = min(lam, p.rate_cap)
        limit_rej = lam - capped  # the rate limiter refuses these at once
        c.lam = lam
        m = c.m = min(p.concurrency, c.cores)
        mu = c.mu = INF if m == INF else (m / p.work if m > 0 else 0.0)
        below = capped < mu
        if mu == 0 and capacity_n != INF:  # no CPU for requests: a full queue refuses all
            st = qm.QueueState(capped, 0.0, 1.0, 0.0, 0.0, 1.0, capacity_n, 0.0)
        elif below or (capacity_n != INF and mu > 0):
            st = self._cache.get((capped, c.cores))
            if st is None:
                st = self._steady(c, capped)
        else:
            st = None
        target = st.in_system if st is not None else INF
        if c.fluid:
            b = max(c.backlog(now), 0.0)
        else:
            b = c.state.in_system if c.state is not None else 0.0
        eps = 1e-9 * max(1.0, target if target != INF else 1.0)
        grow = False  # the fluid piece follows the pointwise-stationary fill (_fill_piece)
        warm, c.warm = c.warm, False
        if st is None:
            steady = False
            # An unbounded queue at or above capacity grows at lam - mu once its drift
            # dominates its noise, after about sigma^2 / (lam - mu)^2 s (sigma^2 ~ lam + mu,
            # the heavy-traffic diffusion's); near capacity that is long, and it fills.
            grow = 0.0 < mu < INF and (capped + mu) >= _DRIFT_GRAIN * (capped - mu) ** 2
        elif not below:
            # A finite queue at or above capacity: steady once filled (at exactly capacity
            # it fills by chance, not by drift: steady at once).
            steady = b >= target - eps or capped <= mu or \
                (target - b) / (capped - mu) < _SETTLE
        elif capacity_n == INF and b < target * (1.0 - _FILL_CLOSE):
            # Below capacity with an unbounded queue to build: at once, unless the fill is
            # slow. Its time scale is about Lq^2 / lam, Lq the stationary requests beyond
            # those the busy cores hold (under processor sharing too): for M/M/1 that is
            # rho^3 / (mu (1 - rho)^2), a quarter of the queue's relaxation time. (A finite
            # queue holds at most N: it is taken as filled at once, as at and above
            # capacity.) Pods set up warm start at their steady state.
            lq = max(st.in_system - st.busy_cores, 0.0)
            steady = warm or lq * lq < _FILL_GRAIN * capped
            grow = not steady
        else:
            # Below capacity: steady unless a backlog well above the new stationary mean
            # has to drain first (a drain shorter than _SETTLE is below the model's grain).
            steady = b <= target + eps or (b - target) / (mu - capped) < _SETTLE
        if not grow:
            c.piece = None
        if steady:
            assert st is not None
            c.fluid = c.filling = False
            c.state = st
            accepted = c.accepted = st.accepted
            c.rejected = capped - accepted + limit_rej
            busy = st.busy_cores
            in_system = st.in_system
            inflight = c.inflight = in_system + accepted * p.fixed
            c.slope = 0.0
            c.B, c.t_b = in_system, now
        else:
            c.fluid = True
            c.filling = grow and below
            c.B, c.t_b = b, now
            c.accepted = capped
            c.rejected = limit_rej
            piece = c.piece
            if grow and piece is not None and piece[0] == capped and piece[1] == c.cores \
                    and now < piece[5]:
                # the same rate on the same cores: the piece under way goes on to its end
                # time (by time, not backlog: at a wakeup the backlog misses the piece's
                # end by rounding, and a gap under a ulp of now would wake it at now again)
                c.slope, c.target, busy = piece[2], piece[3], piece[4]
            elif grow:
                c.slope, c.target, busy = self._fill_piece(c, capped, b, target)
                if c.target != INF:
                    # at least a microsecond: the end time lies strictly after now
                    span = max((c.target - b) / c.slope, 1e-6)
                    c.piece = (capped, c.cores, c.slope, c.target, busy, now + span)
                else:
                    c.piece = None
            else:
                c.slope, c.target, busy = capped - mu, target, m
            inflight = c.inflight = b + capped * p.fixed  # at t_b; moves with the backlog
            c.state = None
        c.cpu = p.base_cpu + busy
        c.mem = p.base_memory + p.memory_per_inflight * inflight

    def _fill_piece(self, c: PodClass, lam: float, b: float,
                    top: float) -> tuple[float, float, float]:
        """One linear piece of a queue that fills from ``b`` requests at arrival rate
        ``lam``: (slope, in-system count where the piece ends, busy cores).

        The pointwise-stationary fluid flow approximation (Wang, Sadeghi and Tipper):
        ``dB/dt = lam - x(B)``, ``x(B)`` the throughput of the stationary queue whose mean
        in-system count is ``B``. Below capacity ``B`` rises towards the stationary mean
        ``top``; at or above it (unbounded queue, ``top`` inf) it grows like the square
        root of time at exactly capacity (M/M/1: ``B^2 / 2 + B = mu t``, about 25% above
        the heavy-traffic diffusion's ``sqrt(4 mu t / pi)``: on the side of more queue),
        and tends to the linear ``lam - mu`` above it. A piece grows ``B`` by 10% (at least
        0.1 request), or closes a quarter of its gap to ``top``; its duration is the ODE's,
        by two-point Gauss-Legendre on ``1 / (lam - x(B))`` (exact for M/M/1 at capacity),
        so a piece that runs to its end ends on the ODE's curve, and one cut short by a
        change of load (a new piece starts where it is) lags the curve by a few percent at
        most. The busy cores are the work done over the piece. Once ``mu - x`` is under
        1% of ``lam - mu``, the rest is one linear piece at ``lam - mu`` (end inf).
        """
        end = b + max(b * _FILL_STEP, _FILL_STEP)
        if top != INF:
            end = min(end, b + (top - b) * 2.5 * _FILL_STEP)
        hi = lam if top != INF else c.mu
        half, mid = (end - b) / 2, (end + b) / 2
        duration = 0.0
        x = 0.0
        for node in (mid - half / math.sqrt(3.0), mid + half / math.sqrt(3.0)):
            x = self._throughput_at(c, node, hi)
            if x >= lam:  # no growth left to resolve (to rounding): as it is
                return max(lam - c.mu, 0.0), INF, min(lam, c.mu) * self.p.work
            duration += half / (lam - x)
        if top == INF and c.mu - x <= 0.01 * (lam - c.mu):
            return lam - c.mu, INF, c.m
        slope = (end - b) / duration
        return slope, end, (lam - slope) * self.p.work

    def _throughput_at(self, c: PodClass, n: float, lam_hi: float) -> float:
        """The throughput of the stationary queue (arrival rate below ``lam_hi``) that holds
        ``n`` requests on average: the inverse of ``steady_state(...).in_system``; ``mu``
        when no rate below it holds that many (a pod with next to no CPU)."""
        from scipy.optimize import brentq

        p = self.p

        def state(lam_: float) -> qm.QueueState:
            return qm.steady_state(lam_, p.work, p.cv, c.cores, p.concurrency, p.capacity_n)

        hi = lam_hi
        if lam_hi >= c.mu:  # the mean grows without bound towards mu: bracket below it
            hi = c.mu * 0.5
            while state(hi).in_system <= n and hi < c.mu * (1 - 1e-12):
                hi = c.mu - (c.mu - hi) / 2
            if state(hi).in_system <= n:
                return c.mu
        # 1e-9: far finer than a piece's 10% (brentq then needs a few evaluations fewer)
        lam_ = brentq(lambda v: state(v).in_system - n, 0.0, hi, xtol=1e-9 * hi, rtol=1e-9)
        return state(lam_).accepted

    def _steady(self, c: PodClass, lam: float) -> qm.QueueState:
        key = (lam, c.cores)
        st = self._cache.get(key)
        if st is None:
            p = self.p
            st = qm.steady_state(lam, p.work, p.cv, c.cores, p.concurrency, p.capacity_n)
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = st
        return st

    def next_transition(self, now: float) -> float:
        """When a fluid class next reaches its stationary mean (drained, or its finite
        queue filled) or the end of its fill piece; inf if none will."""
        t = INF
        for c in self.classes:
            if not c.fluid or c.target == INF or c.slope == 0:
                continue
            if c.piece is not None:  # a fill piece ends at its own time
                t = min(t, c.piece[5])
                continue
            gap = c.target - c.backlog(now)
            t = min(t, now + max(gap / c.slope, 0.0)) if (gap > 0) == (c.slope > 0) else min(t, now)
        return t

    # --- integration ------------------------------------------------------------------------
    def advance(self, t0: float, t1: float, measured: float, n_ep: int, n_dead: int,
                rate: float, owner: int) -> None:
        """Integrate from ``t0`` to ``t1`` (no event in between); ``measured`` of it counts
        (after warm-up). ``n_dead`` endpoints are on dead nodes; ``owner`` is the failure
        being recovered from (-1: none), for the failure's timeouts."""
        dt = t1 - t0
        for w in self.watchers:
            w(t0, t1, self.classes)
        for c in self.classes:
            c.S += c.cpu * dt
        if measured <= 0:
            return
        tot = self.totals
        m = measured
        s0 = t1 - m
        tot.offered += rate * m
        if n_ep == 0:
            tot.no_endpoint += rate * m
            return
        if n_dead:
            per = rate / n_ep if self.p.balancing != "leastRequest" else 0.0
            tot.dead_endpoint += per * n_dead * m
        p = self.p
        rec = self.record
        seg = self.seg
        rc, rm = p.request_cpu, p.request_memory_gib
        for c in self.classes:
            if c.n == 0:
                continue
            acc = c.accepted * c.n * m
            tot.accepted += acc
            tot.rejected += c.rejected * c.n * m
            a_cpu = max(rc, c.cpu) * m
            tot.cpu_usage += c.n * c.cpu * m
            tot.cpu_work += c.n * (c.cpu - p.base_cpu) * m
            if c.cores > 0 and c.cores != INF:
                busy = c.cpu - p.base_cpu
                own = max(rc - p.base_cpu, 0.0)
                tot.cpu_above_request += c.n * busy * max(c.cores - own, 0.0) / c.cores * m
            tot.cpu_alloc += c.n * a_cpu
            tot.cpu_alloc_spot += c.n_spot * a_cpu
            if c.fluid:
                b0, b1 = c.backlog(s0), c.backlog(t1)
                tot.inflight_seconds += c.n * ((b0 + b1) / 2 + c.accepted * p.fixed) * m
                g0 = (p.base_memory + p.memory_per_inflight * (b0 + c.accepted * p.fixed)) / GIB
                g1 = (p.base_memory + p.memory_per_inflight * (b1 + c.accepted * p.fixed)) / GIB
                a_mem = _integral_max(rm, g0, g1, m)
                use_mem = (g0 + g1) / 2 * m
            else:
                tot.inflight_seconds += c.n * c.inflight * m
                use_mem = c.mem / GIB * m
                a_mem = max(rm, c.mem / GIB) * m
            tot.memory_usage += c.n * use_mem
            tot.memory_alloc += c.n * a_mem
            tot.memory_alloc_spot += c.n_spot * a_mem
            if c.fluid:
                if rec and acc > 0:
                    wa, sa = self.fluid_parts(c, b0)
                    wb, sb = self.fluid_parts(c, b1)
                    # a bin's band: its spread of work times the time in service
                    for pj, xj, wj in zip(*self.work_bins_of(c), strict=True):
                        seg.extend((s0, t1, _FLUID, acc * pj, wa + xj * sa, wb + xj * sb,
                                    wj * sa if wj > 0 else 0.0, owner,
                                    wj * sb if wj > 0 else 0.0))
            else:
                st = c.state
                if rec and acc > 0 and st is not None:
                    pw, th, svc, cv2 = st.distribution(p.work)
                    seg.extend((s0, t1, _STEADY, acc, pw, th, svc, owner, cv2))

    def shares(self, c: PodClass) -> bool:
        """Whether requests in service in a pod of ``c`` can share its cores: more of them
        than it has cores, and more than one (one worker on half a core is slow, not
        shared). Processor sharing, or more workers than cores."""
        return self.p.concurrency > max(c.m, 1.0)

    def work_bins_of(self, c: PodClass) -> tuple[tuple[float, ...], ...]:
        """(probabilities, means, widths) of a fluid arrival's work over the mean work in
        a pod of ``c``: the work's bins (:func:`capacity.sim.queueing.work_bins`) where
        requests share cores, where a request's time is its own work's; else (and where the
        pod has no CPU for requests) one bin of the mean and width 0, the mean path's time
        (under FCFS the wait, whose spread the fluid leaves out too, dominates)."""
        return self._bins if self.shares(c) and c.mu > 0 else _ONE_BIN

    def fluid_parts(self, c: PodClass, b: float) -> tuple[float, float]:
        """An arrival that finds ``b`` requests in a fluid pod of ``c``: (seconds before
        its service: the fixed part and its wait for a worker, both the mean path's; mean
        seconds in service). With ``n`` requests in service sharing ``m`` cores each is
        served at ``m / n`` of a core, so an arrival's time in service is its own work over
        the mean work times the second (:meth:`work_bins_of`): a short request leaves early
        and a long one stays. Both are inf when the pod has no CPU for requests. In a slow
        fill this is the mean path's time: a run's p99 there is low (at 99% of capacity
        about half the reference's), and high once the fill ends (the stationary tail,
        which a 20-minute run does not see in full)."""
        p = self.p
        if c.mu == 0:
            return INF, INF
        k = p.concurrency
        wait = max(b - k, 0.0) / c.mu if k != INF else 0.0
        in_service = min(b, k)
        return p.fixed + wait, p.work * max(1.0, in_service / c.m if c.m > 0 else INF)

    # --- per-pod readings -----------------------------------------------------------------------
    def cpu_at(self, cls: PodClass, t: float, last_t: float) -> float:
        """∫ cpu dt of one pod of ``cls`` up to ``t`` (``last_t``: last integration)."""
        return cls.S + cls.cpu * (t - last_t)

    def memory_at(self, cls: PodClass, t: float) -> float:
        if cls.fluid:
            return self.p.base_memory + self.p.memory_per_inflight * self.inflight_of(cls, t)
        return cls.mem

    def inflight_total(self, t: float) -> float:
        return sum(c.n * self.inflight_of(c, t) for c in self.classes)

    def accepted_rate(self) -> float:
        return sum(c.n * c.accepted for c in self.classes)

    # --- the end of the run -------------------------------------------------------------------------
    def finish(self, row_times: np.ndarray | None = None,
               quantiles: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99)) -> LatencyResult:
        """Latency over the measured, answered requests of the run, and timeouts.

        The run's distribution is the mixture of its segments' distributions weighted by
        their arrivals. Each distinct queue state is tabulated once on a log grid (16 points
        a decade); percentiles are read off the mixture by interpolation and then refined
        by bisection on the exact mixture (run-level, to 1e-6). With ``row_times`` (the
        timeseries' sample times), also per row the median and 99th percentile of the
        requests that arrived since the previous row (grid interpolation, about 1%), and
        its timeouts.
        """
        self._check_segments()
        p = self.p
        st, fl = self._segments()
        tau = p.timeout
        ok_st = _steady_cdf(tau, p, st) if tau != INF else np.ones(len(st))
        ok_fl = _fluid_cdf(tau, fl) if tau != INF else np.ones(len(fl))
        n_st, n_fl = st[:, 3], fl[:, 3]
        answered = float((n_st * ok_st).sum() + (n_fl * ok_fl).sum())
        timeouts = float((n_st * (1 - ok_st)).sum() + (n_fl * (1 - ok_fl)).sum())
        by_owner: dict[int, float] = {}
        for arr, ok in ((st, ok_st), (fl, ok_fl)):
            if len(arr):
                own = arr[:, 7].astype(int)
                lost = arr[:, 3] * (1 - ok)
                for o in np.unique(own[own >= 0]):
                    by_owner[int(o)] = by_owner.get(int(o), 0.0) + float(lost[own == o].sum())
        mix = _Mixture(p, st, fl)
        self._finished = (len(self.seg), mix)  # answered_within reads the same mixture
        grid = _grid(tau, *mix.span())
        f_run = mix.cdf_on_grid(grid)
        # Mean over answered requests: exact without a timeout; with one,
        # E[T; T <= tau] = tau F(tau) - integral_0^tau F(t) dt on the grid.
        exact = float((n_st * (p.fixed + st[:, 4] * st[:, 5] + st[:, 6])).sum())
        if tau == INF:
            tsum = exact + float((n_fl * (fl[:, 4] + fl[:, 5]) / 2).sum())
        else:
            # E[T; T <= tau] = E[T] - tau P(T > tau) - integral_tau^inf P(T > t) dt: the
            # correction is small when timeouts are, so its grid error is too.
            tail = np.geomspace(tau, tau * 1e4, 121)
            sf = mix.survival_on(tail)
            beyond = float(np.sum((sf[1:] + sf[:-1]) / 2 * np.diff(tail)))
            tsum = exact - tau * float(sf[0]) - beyond
            a_, b_ = fl[:, 4], fl[:, 5]
            lo_, hi_ = np.minimum(a_, b_), np.maximum(a_, b_)
            with np.errstate(divide="ignore", invalid="ignore"):
                part = np.where(tau >= hi_, (lo_ + hi_) / 2,
                                np.where(tau <= lo_, 0.0, (tau - lo_) / np.where(
                                    hi_ > lo_, hi_ - lo_, 1.0) * (lo_ + tau) / 2))
            w_ = _widths(fl)
            band = w_ > 0
            if band.any():
                part[band] = qm.band_partial_mean(tau, *_band(a_[band], b_[band], w_[band]))
            tsum += float((n_fl * part).sum())
        mean = tsum / answered if answered > 0 else math.nan
        qs = {f"p{round(q * 100):d}": mix.quantile(q, answered, grid, f_run) for q in quantiles}
        buckets = [float(mix.cdf(min(b, tau))) for b in PROMETHEUS_BUCKETS]
        res = LatencyResult(answered, timeouts, mean, qs, buckets, tsum, by_owner)
        if row_times is not None:
            res.rows = self._rows(np.asarray(row_times, dtype=float), st, fl, ok_st, ok_fl,
                                  mix, grid)
        return res

    def _segments(self) -> tuple[np.ndarray, np.ndarray]:
        data = (np.frombuffer(self.seg, dtype=float).reshape(-1, _SEG) if len(self.seg)
                else np.zeros((0, _SEG)))
        return data[data[:, 2] == _STEADY], data[data[:, 2] == _FLUID]

    @staticmethod
    def buckets() -> tuple[float, ...]:
        return PROMETHEUS_BUCKETS

    def answered_within(self, thresholds: list[float]) -> list[float]:
        """Answered requests with a response time of at most each threshold (seconds)."""
        self._check_segments()
        done = self._finished
        if done is not None and done[0] == len(self.seg):
            mix = done[1]  # no segment since finish: the same mixture (np.unique is costly)
        else:
            st, fl = self._segments()
            mix = _Mixture(self.p, st, fl)
        return [float(mix.cdf(min(t, self.p.timeout))) for t in thresholds]

    def release(self) -> None:
        """Drop the run's segments and the mixture of :meth:`finish` once their results
        are taken: a month's latency tables are tens of MB the rest of the run's end does
        not need. :meth:`finish` and :meth:`answered_within` then raise RuntimeError."""
        self.seg = array("d")
        self._finished = None
        self._released = True

    def _check_segments(self) -> None:
        if self._released:
            raise RuntimeError("the serving model's segments were released after finish()")

    def _rows(self, rows: np.ndarray, st: np.ndarray, fl: np.ndarray, ok_st: np.ndarray,
              ok_fl: np.ndarray, mix: _Mixture, grid: np.ndarray) -> dict[str, np.ndarray]:
        """Per timeseries row (requests arriving in (previous row, row]): p50, p99, timeouts."""
        n = len(rows)
        out = {"latency_p50": np.full(n, np.nan), "latency_p99": np.full(n, np.nan),
               "timeouts": np.zeros(n)}
        if n == 0:
            return out
        edges = np.concatenate([[-INF], rows])
        st_rows, st_idx, st_w = _split_by_rows(st, rows, edges)
        fl_rows, fl_idx, fl_w = _split_by_rows(fl, rows, edges)
        np.add.at(out["timeouts"], st_rows, st_w * (1 - ok_st[st_idx]))
        # fluid pieces: the mean response time and the band's width move linearly over the
        # segment; cut at the rows, a piece's band is the narrower of its ends'
        pa = pb = pw = np.zeros(0)
        exact = np.zeros(len(fl_idx), dtype=bool)  # pieces of rows read off exactly below
        if len(fl_idx):
            t0, t1 = fl[fl_idx, 0], fl[fl_idx, 1]
            span = np.where(t1 > t0, t1 - t0, 1.0)
            ua = np.clip((np.maximum(t0, edges[fl_rows]) - t0) / span, 0, 1)
            ub = np.clip((np.minimum(t1, edges[fl_rows + 1]) - t0) / span, 0, 1)
            ta, tb = fl[fl_idx, 4], fl[fl_idx, 5]
            ha, hb = fl[fl_idx, 6], fl[fl_idx, 8]
            pa, pb = ta + (tb - ta) * ua, ta + (tb - ta) * ub
            pw = np.minimum(ha + (hb - ha) * ua, ha + (hb - ha) * ub)
            # a piece's timeouts from its own response times, not the whole segment's
            tau = self.p.timeout
            if tau != INF:
                ok = pieces_cdf(tau, pa, pb, pw)
                np.add.at(out["timeouts"], fl_rows, fl_w * (1 - ok))
            n_st = np.bincount(st_rows, minlength=n) if len(st_rows) else np.zeros(n)
            n_band = np.bincount(fl_rows, weights=pw > 0, minlength=n)
            exact = (n_st[fl_rows] == 0) & (n_band[fl_rows] > 0)
        from scipy import sparse

        m_st = sparse.csr_matrix((st_w, (st_rows, mix.inverse[st_idx])),
                                 shape=(n, len(mix.states))) if len(st_idx) else None
        on_grid = np.flatnonzero(~exact)
        g_rows = fl_rows[on_grid]
        step = max(_TABLE_CELLS // max(len(grid), 1), 1)
        chunk = 4096
        for lo in range(0, n, chunk):
            hi = min(lo + chunk, n)
            f = np.zeros((hi - lo, len(grid)))
            if m_st is not None:
                f += m_st[lo:hi] @ mix.table(grid)
            sel = on_grid[(g_rows >= lo) & (g_rows < hi)]
            for k in range(0, len(sel), step):
                j = sel[k:k + step]
                frac = pieces_cdf(grid[None, :], pa[j, None], pb[j, None], pw[j, None])
                np.add.at(f, fl_rows[j] - lo, fl_w[j][:, None] * frac)
            total = f[:, -1]
            for q, key in ((0.5, "latency_p50"), (0.99, "latency_p99")):
                out[key][lo:hi] = _interp_quantile(grid, f, q * total)
        if len(fl_idx):
            # Rows made of one fluid piece alone and no band: its answers' times are uniform
            # on [a, min(b, tau)]: exact, not the grid's interpolation.
            n_fl = np.bincount(fl_rows, minlength=n)
            alone = np.flatnonzero((n_fl[fl_rows] == 1) & (n_st[fl_rows] == 0)
                                   & (n_band[fl_rows] == 0))
            if len(alone):
                rk = fl_rows[alone]
                lo_t = np.minimum(pa[alone], pb[alone])
                hi_t = np.minimum(np.maximum(pa[alone], pb[alone]), self.p.timeout)
                live = hi_t >= lo_t
                for q, key in ((0.5, "latency_p50"), (0.99, "latency_p99")):
                    out[key][rk[live]] = (lo_t + q * (hi_t - lo_t))[live]
            # Rows of fluid pieces only, one with a band at least (a fluid segment's work
            # bins): bisection on their mixture, exact too.
            if exact.any():
                self._fluid_row_quantiles(out, fl_rows[exact], pa[exact], pb[exact],
                                          pw[exact], fl_w[exact], n)
        return out

    def _fluid_row_quantiles(self, out: dict[str, np.ndarray], rows: np.ndarray,
                             a: np.ndarray, b: np.ndarray, w: np.ndarray,
                             weight: np.ndarray, n: int) -> None:
        """p50 and p99 of the answered arrivals of rows made of fluid pieces only: piece
        ``i`` of row ``rows[i]`` has ``weight[i]`` arrivals, mean times from ``a[i]`` to
        ``b[i]`` and band ``w[i]`` (:func:`pieces_cdf`); those over the timeout, and those
        of a pod with no CPU for requests (infinite times), are not answered. NaN where a
        row has none answered. Log-bisection to 1e-9 of the time."""
        tau = self.p.timeout
        rows_here = np.unique(rows)
        fin = np.isfinite(a) & np.isfinite(b)
        rows, a, b, w, weight = rows[fin], a[fin], b[fin], w[fin], weight[fin]
        lo_i, d, _ = _band(a, b, w)
        small = np.full(n, INF)
        np.minimum.at(small, rows, lo_i)
        top = np.full(n, -INF)
        np.maximum.at(top, rows, lo_i + d + w)
        big = np.minimum(top, tau)
        small = np.maximum(small, 1e-12 * big)  # a band may start at 0 s (no fixed part)

        def mass(t: np.ndarray) -> np.ndarray:  # per row: arrivals answered within t
            return np.bincount(rows, weights=weight * pieces_cdf(t[rows], a, b, w),
                               minlength=n)

        live = np.zeros(n, dtype=bool)
        live[rows] = True
        live &= big >= small
        total = mass(np.where(live, big, 0.0))
        live &= total > 0
        for q, key in ((0.5, "latency_p50"), (0.99, "latency_p99")):
            x0 = np.log(np.where(live, small, 1.0))
            x1 = np.log(np.where(live, big, 1.0))
            for _ in range(40):
                mid = 0.5 * (x0 + x1)
                below = mass(np.exp(mid)) < q * total
                x0, x1 = np.where(below, mid, x0), np.where(below, x1, mid)
            out[key][rows_here] = np.nan
            out[key][live] = np.exp(x1)[live]


_TABLE_CELLS = 1 << 16  # cells of the latency table computed at once


class _Mixture:
    """The arrivals-weighted mixture of a run's segment distributions (answered requests)."""

    def __init__(self, p: ServingParams, st: np.ndarray, fl: np.ndarray) -> None:
        self.p = p
        if len(st):
            self.states, self.inverse = np.unique(st[:, [4, 5, 6, 8]], axis=0,
                                                  return_inverse=True)
            self.inverse = self.inverse.reshape(-1)
            self.weights = np.bincount(self.inverse, weights=st[:, 3],
                                       minlength=len(self.states))
        else:
            self.states = np.zeros((0, 4))
            self.inverse = np.zeros(0, dtype=int)
            self.weights = np.zeros(0)
        self.fl = fl
        self._pieces = (fl[:, 4], fl[:, 5], _widths(fl))  # (a, b, band) of pieces_cdf
        self._tables: dict[int, np.ndarray] = {}

    def table(self, grid: np.ndarray) -> np.ndarray:
        """P(T <= g) for each distinct steady state (rows) and grid point (columns)."""
        key = id(grid)
        t = self._tables.get(key)
        if t is None:
            s = self.states
            t = np.zeros((len(s), len(grid)))
            # In blocks of rows: response_cdf makes a dozen temporaries of the block's shape,
            # which for a month's distinct states would be hundreds of MB at once.
            step = max(_TABLE_CELLS // max(len(grid), 1), 1)
            for lo in range(0, len(s), step):
                b = s[lo:lo + step]
                t[lo:lo + step] = qm.response_cdf(grid[None, :], self.p.fixed, b[:, 0:1],
                                                  b[:, 1:2], b[:, 2:3], b[:, 3:4])
            self._tables = {key: t}
        return t

    def cdf(self, x: float) -> float:
        """Σ arrivals × P(T <= x)."""
        s = self.states
        v = float(self.weights @ qm.response_cdf(x, self.p.fixed, s[:, 0], s[:, 1], s[:, 2],
                                                 s[:, 3])) if len(s) else 0.0
        if len(self.fl):
            v += float((self.fl[:, 3] * pieces_cdf(x, *self._pieces)).sum())
        return v

    def span(self) -> tuple[float, float]:
        """Response times that carry mass: from the fixed part to far in every tail."""
        lo = max(self.p.fixed * 0.999, 1e-4) if self.p.fixed > 0 else 1e-4
        hi = 0.0
        s = self.states
        if len(s):
            tail = s[:, 1] + s[:, 2] * np.maximum(1.0, np.sqrt(s[:, 3]))
            hi = float(self.p.fixed + 60.0 * tail.max())
            lo = max(lo, float(self.p.fixed + 1e-3 * np.maximum(s[:, 2], 1e-12).min()))
        if len(self.fl):
            a, b, w = self._pieces
            hi = max(hi, float((np.maximum(a, b) + w / 2).max()) * 1.01)
            lo = min(lo, float((np.minimum(a, b) - w / 2).min()) * 0.99)
        return lo, max(hi, lo * 10)

    def survival_on(self, t: np.ndarray) -> np.ndarray:
        """Σ over steady states of arrivals × P(T > t), for each t (increasing); only the
        states with a tail beyond t[0] that matters are evaluated."""
        s = self.states
        if not len(s):
            return np.zeros(len(t))
        sf0 = self.weights * (1.0 - qm.response_cdf(t[0], self.p.fixed, s[:, 0], s[:, 1],
                                                    s[:, 2], s[:, 3]))
        keep = sf0 > 1e-12 * max(float(self.weights.sum()), 1.0)
        if not keep.any():
            return np.zeros(len(t))
        k = s[keep]
        f = qm.response_cdf(t[None, :], self.p.fixed, k[:, 0:1], k[:, 1:2], k[:, 2:3], k[:, 3:4])
        return self.weights[keep] @ (1.0 - f)

    def cdf_on_grid(self, grid: np.ndarray) -> np.ndarray:
        f = self.weights @ self.table(grid) if len(self.states) else np.zeros(len(grid))
        if len(self.fl):
            a, b, w = self._pieces
            n = self.fl[:, 3]
            if not (w > 0).any():  # one grid point at a time: the sums' bits as they were
                return f + np.array([(n * pieces_cdf(g, a, b, w)).sum() for g in grid])
            step = max(_TABLE_CELLS // max(len(grid), 1), 1)
            for k in range(0, len(a), step):
                sl = slice(k, k + step)
                f = f + n[sl] @ pieces_cdf(grid[None, :], a[sl, None], b[sl, None],
                                            w[sl, None])
        return f

    def quantile(self, q: float, total: float, grid: np.ndarray, f: np.ndarray) -> float:
        """The q-quantile of the answered requests (``total`` of them): read off the grid,
        then bisected on the exact mixture between the two grid points around it."""
        if total <= 0:
            return math.nan
        y = q * total
        k = int(np.searchsorted(f, y, side="left"))
        if k >= len(grid):
            return float(grid[-1])
        lo = float(grid[k - 1]) if k > 0 else max(self.p.fixed, 1e-12)
        hi = float(grid[k])
        if lo >= hi:
            return hi
        # Illinois (regula falsi) in log time on F - y: a few exact evaluations.
        a, b = math.log(lo), math.log(hi)
        fa, fb = self.cdf(lo) - y, self.cdf(hi) - y
        if fa >= 0:
            return lo
        side = 0
        for _ in range(30):
            c = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
            fc = self.cdf(math.exp(c)) - y
            if abs(b - a) < 1e-7 or fc == 0:
                return math.exp(c)
            if fc > 0:
                b, fb = c, fc
                if side == 1:
                    fa /= 2
                side = 1
            else:
                a, fa = c, fc
                if side == -1:
                    fb /= 2
                side = -1
            if abs(fc) <= 1e-9 * max(y, 1.0):
                return math.exp(c)
        return math.exp(0.5 * (a + b))


def _grid(tau: float, lo: float = 1e-4, hi: float = 1e5) -> np.ndarray:
    """Log grid of response times, 16 a decade over [lo, hi] (within 0.1 ms .. 1e5 s);
    capped at the timeout (answered requests are those at or under it), which is included."""
    lo = min(max(lo, 1e-4), 1e5)
    hi = min(max(hi, lo * 10), 1e5)
    if tau != INF:
        hi = min(hi, tau)
    n = max(math.ceil(math.log10(hi / lo) * 16), 8)
    g = np.geomspace(lo, hi, n + 1)
    if tau != INF and g[-1] < tau:
        g = np.concatenate([g, [tau]])
    elif tau != INF:
        g[-1] = tau
    return g


def _split_by_rows(arr: np.ndarray, rows: np.ndarray,
                   edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut segments at the row times: (row of each piece, its segment, its arrivals)."""
    if not len(arr):
        z = np.zeros(0, dtype=int)
        return z, z, np.zeros(0)
    n = len(rows)
    t0, t1 = arr[:, 0], arr[:, 1]
    k0 = np.minimum(np.searchsorted(rows, t0, side="left"), n - 1)
    k1 = np.minimum(np.searchsorted(rows, t1, side="left"), n - 1)
    counts = k1 - k0 + 1
    idx = np.repeat(np.arange(len(arr)), counts)
    starts = np.cumsum(counts) - counts
    rowk = np.repeat(k0, counts) + (np.arange(counts.sum()) - np.repeat(starts, counts))
    a = np.maximum(t0[idx], edges[rowk])
    b = np.minimum(t1[idx], edges[rowk + 1])
    span = np.where(t1[idx] > t0[idx], t1[idx] - t0[idx], 1.0)
    frac = np.clip((b - a) / span, 0.0, 1.0)
    keep = frac > 0
    return rowk[keep], idx[keep], (arr[idx, 3] * frac)[keep]


def _interp_quantile(grid: np.ndarray, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row of ``f`` (a CDF on ``grid``), the point where it reaches ``y``: log-linear
    interpolation between the grid points around it; NaN where the row has no mass."""
    k = (f < y[:, None]).sum(axis=1)
    k = np.minimum(k, len(grid) - 1)
    km = np.maximum(k - 1, 0)
    rows = np.arange(len(y))
    f0, f1 = f[rows, km], f[rows, k]
    g0, g1 = np.log(grid[km]), np.log(grid[k])
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(f1 > f0, (y - f0) / (f1 - f0), 1.0)
    out = np.exp(g0 + np.clip(w, 0.0, 1.0) * (g1 - g0))
    return np.where(f[:, -1] > 0, out, np.nan)


def _integral_max(r: float, a: float, b: float, dt: float) -> float:
    """∫ max(r, f) over a stretch of length ``dt`` where f moves linearly from a to b."""
    if a >= r and b >= r:
        return (a + b) / 2 * dt
    if a <= r and b <= r:
        return r * dt
    # crosses r at fraction x of the stretch
    x = (r - a) / (b - a)
    if a < r:  # below, then above
        return r * x * dt + (r + b) / 2 * (1 - x) * dt
    return (a + r) / 2 * x * dt + r * (1 - x) * dt


def _steady_cdf(x: float | np.ndarray, p: ServingParams, st: np.ndarray) -> np.ndarray:
    if not len(st):
        return np.zeros(0)
    return qm.response_cdf(x, p.fixed, st[:, 4], st[:, 5], st[:, 6], st[:, 8])


def _fluid_cdf(x: float | np.ndarray, fl: np.ndarray) -> np.ndarray:
    """Share of each fluid segment's arrivals answered within ``x`` (:func:`pieces_cdf`)."""
    if not len(fl):
        return np.zeros(0)
    return pieces_cdf(x, fl[:, 4], fl[:, 5], _widths(fl))


def _widths(fl: np.ndarray) -> np.ndarray:
    """Fluid segments' bands: the narrower end's, so that no time falls below the fixed
    part and the wait (a bin's width is at most twice its mean's time in service)."""
    return np.minimum(fl[:, 6], fl[:, 8])


def pieces_cdf(x: float | np.ndarray, a: np.ndarray, b: np.ndarray,
                w: np.ndarray) -> np.ndarray:
    """Share at or under ``x`` of fluid pieces' arrivals: spread evenly over the piece, mean
    response time linear from ``a`` to ``b``, each instant's times uniform on a band of
    width ``w`` about it (broadcasting). Where no piece has a band this is the plain
    uniform on [a, b]; :func:`capacity.sim.queueing.band_cdf` gives the same bits there."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    if not (w > 0).any():
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(hi > lo, (x - lo) / (hi - lo), (np.asarray(x) >= lo).astype(float))
        return np.clip(frac, 0.0, 1.0)
    return qm.band_cdf(x, *_band(a, b, w))


def _band(a: np.ndarray, b: np.ndarray,
          w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fluid pieces' times as ``lo + d U + w V`` (queueing.band_cdf): (lo, d, w)."""
    with np.errstate(invalid="ignore"):
        return np.minimum(a, b) - w / 2, np.abs(b - a), w


def params_from(wl: Any, demand: Any) -> ServingParams:
    """:class:`ServingParams` from the workload model and the scenario's ``demand``."""
    return ServingParams(
        work=demand.cpuPerRequest,
        cv=float(demand.serviceTimeCV),
        fixed=float(demand.latency),
        concurrency=float(demand.concurrency) if demand.concurrency is not None else INF,
        queue_limit=float(demand.queueLimit) if demand.queueLimit is not None else INF,
        timeout=float(demand.timeout) if demand.timeout is not None else INF,
        base_cpu=wl.base_cpu,
        base_memory=wl.base_memory,
        memory_per_inflight=wl.memory_per_inflight,
        rate_cap=(float(demand.maxRequestsPerSecondPerPod)
                  if demand.maxRequestsPerSecondPerPod is not None else INF),
        balancing=demand.loadBalancing,
        request_cpu=wl.requests.get("cpu", 0) / 1000.0,
        request_memory_gib=wl.requests.get("memory", 0) / 1000.0 / GIB,
    )
