"""Steady states of one pod's request queue, and the response-time distribution.

A pod is a birth-death queue (DESIGN §10). Requests arrive at rate ``lam`` (Poisson: a
share of the Service's traffic) and need ``w`` CPU-seconds each. With ``n`` in the pod,
the pod works on ``min(n, K)`` of them (``K`` = ``demand.concurrency``, its workers; no
limit = processor sharing), each using at most one core, over ``c`` cores it can use. So
it completes work at ``phi(n) = min(n, K, c)`` cores, i.e. ``phi(n) / w`` requests a second.
With ``m = min(K, c)`` and ``j = floor(m)``: ``phi(n) = n`` for ``n <= j`` and ``m`` above.
Up to ``N = K + queueLimit`` requests fit; an arrival that finds ``N`` is rejected (503).

The stationary probabilities follow in closed form (``a = lam * w``, the offered cores):
``p(n) = p0 a^n / n!`` for ``n <= j`` and ``p(j) (a/m)^(n-j)`` above, so each state costs
O(j) arithmetic, whatever ``N``. The queue is exact for exponential work (``cv = 1``): it is
then M/M/c with ``c = K`` servers when ``K <= c`` (Erlang C), and M/M/1-PS when ``c <= 1``
without a concurrency limit. Processor sharing is insensitive, so its mean holds for any
``cv``; the FCFS wait for a worker is scaled by ``(1 + cv^2) / 2`` (exact for M/G/1 by
Pollaczek–Khinchine, the Allen–Cunneen approximation for several workers).

Response time ``T = L + W + S``: ``L`` the part without CPU (``demand.latency``), ``W``
the wait for a worker (0 with probability ``1 - p_wait``, else exponential with mean
``theta``: exact for M/M/c), and ``S`` the time in service: mean ``sigma * w`` (``sigma``
the slowdown from sharing cores: 1 when every request in service has a core,
``1 / (c (1 - rho))`` for M/G/1-PS) and squared coefficient of variation ``svc_cv2``. In
service without sharing ``S`` is the work itself (``cv^2``). Sharing adds variability:
M/M/1-PS's sojourn has ``E[T^2] = 4 S^2 / ((1 - rho)^2 (2 - rho))`` (Kleinrock), so
``cv^2 = (2 + rho) / (2 - rho)``; the excess ``2 rho / (2 - rho)`` is added to the work's
``cv^2``, weighted by how often an arrival shares (1 for one shared core). ``S`` is then
exponential (``cv^2 = 1``), constant (0), a balanced-means two-phase hyperexponential
(above 1) or a gamma (below 1): a two-moment fit, exact for FCFS and in mean for PS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import special

INF = math.inf


@dataclass(frozen=True, slots=True)
class QueueState:
    """The steady state of one pod's queue (rates per second, times in seconds).

    ``accepted`` = ``lam * (1 - p_block)`` is also the throughput; ``in_system`` the mean
    number of requests waiting or in service (Little: ``accepted * (mean_wait + w * sigma)``);
    ``busy_cores`` the mean cores doing request work (``accepted * w``). ``p_wait`` is the
    chance that an accepted request waits for a worker, ``theta`` its mean wait if it does;
    ``svc_cv2`` the squared coefficient of variation of the time in service.
    """

    lam: float
    accepted: float
    p_block: float
    p_wait: float
    theta: float
    sigma: float
    in_system: float
    busy_cores: float
    svc_cv2: float = 1.0
    # When the wait is far from exponential (a finite queue near full), the time in the pod
    # is one distribution of this mean (seconds) and squared CV; 0: use the parts above.
    fit_mean: float = 0.0
    fit_cv2: float = 1.0

    def distribution(self, w: float) -> tuple[float, float, float, float]:
        """(p_wait, theta, mean time in service, its cv^2) for :func:`response_cdf`."""
        if self.fit_mean > 0:
            return 0.0, 0.0, self.fit_mean, self.fit_cv2
        return self.p_wait, self.theta, w * self.sigma, self.svc_cv2

    @property
    def mean_wait(self) -> float:
        return self.p_wait * self.theta


def service_capacity(w: float, cores: float, concurrency: float) -> float:
    """Most requests per second a pod can complete: ``min(K, c) / w``."""
    m = min(concurrency, cores)
    return INF if m == INF else m / w


def steady_state(lam: float, w: float, cv: float, cores: float, concurrency: float = INF,
                 capacity: float = INF) -> QueueState:
    """The stationary queue for arrival rate ``lam`` (see the module docstring).

    ``cores`` (> 0) may be fractional or ``inf``; ``concurrency`` (K) and ``capacity`` (N,
    the most requests in the pod) may be ``inf``. With ``N`` infinite the load must be
    below capacity (``lam * w < min(K, c)``); raises ValueError otherwise.
    """
    m = min(concurrency, cores)
    cv2 = cv * cv
    if lam <= 0.0:
        return QueueState(0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, cv2)
    if m == INF:  # every request gets its own core at once: a pure delay
        return QueueState(lam, lam, 0.0, 0.0, 0.0, 1.0, lam * w, lam * w, cv2)
    a = lam * w
    if a < 1e-12:
        # No load to speak of (and no underflow below): a request runs alone, on at most
        # one core of the m it may use.
        return QueueState(lam, lam, 0.0, 0.0, 0.0, 1.0 / min(1.0, m) if m > 0 else 1.0,
                          a, a, cv2)
    r = a / m  # utilisation of the m cores (or workers)
    if capacity == INF and r >= 1.0:
        raise ValueError(f"unstable queue: offered {a:.6g} cores >= capacity {m:.6g}")
    j = math.floor(m)
    if capacity < j:
        j = int(capacity)
    n_cap = capacity
    # Unnormalised p(n) = a^n / n! for n <= j (p0 = 1), then a geometric tail of ratio r.
    terms = [1.0]
    for n in range(1, j + 1):
        terms.append(terms[-1] * a / n)
    head = sum(terms)
    pj = terms[-1]
    # tail: n = j+1 .. N with p(n) = pj r^(n-j)
    tail_len = n_cap - j  # may be inf
    if tail_len == INF:
        tail = pj * r / (1.0 - r)
        tail_n = pj * _geo_moment(r, INF, j)
    elif tail_len <= 0:
        tail = tail_n = 0.0
    else:
        k = int(tail_len)
        tail = pj * _geo_sum(r, k)
        tail_n = pj * _geo_moment(r, k, j)
    total = head + tail
    # One loop for the head's probabilities and its mean (called on every load step): the
    # same divisions and the same left-to-right sum, starting from 0, as sum() gave.
    p_head = []
    head_n = 0
    for n, t in enumerate(terms):
        p = t / total
        p_head.append(p)
        head_n += n * p
    n_mean = head_n + tail_n / total
    p_block = 0.0
    if n_cap != INF:
        nc = int(n_cap)
        p_block = (p_head[nc] if nc <= j else pj * r ** (nc - j) / total)
    accepted = lam * (1.0 - p_block)
    if accepted <= 0.0:
        return QueueState(lam, 0.0, p_block, 0.0, 0.0, 1.0, n_mean, 0.0, cv2)
    # Requests waiting for a worker: n > K. Only when K is finite (and K >= j).
    K = concurrency
    if K == INF or (n_cap != INF and n_cap <= K):
        n_wait = 0.0
        p_wait = 0.0
    else:
        Ki = int(K)
        # P(arrival finds n >= K, and is accepted) / P(accepted); n_wait = sum (n-K) p(n)
        # K >= j here (m <= K), so every n >= K lies in the geometric tail or is p(j).
        pK = p_head[Ki] if Ki <= j else pj * r ** (Ki - j) / total
        span = INF if n_cap == INF else int(n_cap) - Ki  # states K .. N-1 accept and wait
        p_wait = pK * (_geo_sum(r, span - 1) + 1.0) if span != INF else pK / (1.0 - r)
        n_wait = pK * r / (1.0 - r) ** 2 if span == INF else pK * _geo_moment(r, span, 0)
        p_wait /= (1.0 - p_block)
    mean_wait = n_wait / accepted
    in_service = n_mean - n_wait
    sigma = in_service / (accepted * w)
    # Non-exponential work: the FCFS wait scales by (1 + cv^2)/2 (the chance to wait and
    # the shared-core part are kept from the exponential chain; PS is insensitive). Not
    # for a finite queue at or above capacity: it is full whatever the variability.
    factor = fcfs_wait_factor(cv) if (r < 1.0 or n_cap == INF) else 1.0
    mean_wait *= factor
    theta = mean_wait / p_wait if p_wait > 0 else 0.0
    n_system = min(in_service + accepted * mean_wait, n_cap)
    # Sharing cores (m below the workers, or no worker limit): an arrival that finds
    # ceil(m) or more requests in service shares; M/M/1-PS adds 2 rho / (2 - rho) to cv^2.
    svc_cv2 = cv2
    if m < K or K == INF:
        share_from = max(1, math.ceil(m - 1e-12))
        p_share = 1.0 - sum(p_head[: min(share_from, j + 1)])
        if share_from > j + 1:  # the states j+1 .. share_from-1 are in the tail
            p_share -= pj / total * _geo_sum(r, share_from - 1 - j)
        rho_ps = min(r, 0.999999)
        zeta = min(max(p_share / rho_ps, 0.0), 1.0) if rho_ps > 0 else 0.0
        svc_cv2 = cv2 + zeta * 2.0 * rho_ps / (2.0 - rho_ps)
    st = QueueState(lam, accepted, p_block, min(p_wait, 1.0), theta, max(sigma, 1.0),
                    n_system, accepted * w, svc_cv2)
    if p_wait > 0 and K != INF and n_cap != INF:
        st = _truncated_wait(st, r, int(n_cap) - int(K), m / w, factor, w)
    return st


def _truncated_wait(st: QueueState, r: float, span: int, rate: float, factor: float,
                    w: float) -> QueueState:
    """A finite queue: an arrival that waits has ``a`` = 1 .. span completions ahead of it
    (truncated geometric of ratio ``r``), each at ``rate``: its wait is a mixture of
    Erlangs, not exponential. When that mixture is far from exponential (a queue near
    full: close to a constant wait), the whole time in the pod is represented by one
    distribution with the exact mean and variance (see :func:`response_cdf`)."""
    if span <= 0:
        return st
    if r < 1.0 and r**span < 1e-12:
        return st  # the truncation does not matter: the exponential wait is exact
    ea, ea2 = _truncated_geometric_moments(r, span)
    ew = ea / rate * factor
    ew2 = (ea2 + ea) / rate**2 * factor**2
    cv2_w = ew2 / (ew * ew) - 1.0
    if abs(cv2_w - 1.0) < 0.05:
        return st
    svc = w * st.sigma
    mean = st.p_wait * ew + svc
    var = st.p_wait * ew2 - (st.p_wait * ew) ** 2 + st.svc_cv2 * svc * svc
    return replace(st, fit_mean=mean, fit_cv2=max(var, 0.0) / (mean * mean))


def _truncated_geometric_moments(r: float, k: int) -> tuple[float, float]:
    """E[a] and E[a^2] for P(a) proportional to r^(a-1), a = 1 .. k (closed forms)."""
    if abs(1.0 - r) < 1e-6:
        return (k + 1) / 2.0, (k + 1) * (2 * k + 1) / 6.0
    if r > 1.0:  # mirror a -> k + 1 - a (ratio 1/r) so that r^k cannot overflow
        m1, m2 = _truncated_geometric_moments(1.0 / r, k)
        return k + 1 - m1, (k + 1) ** 2 - 2 * (k + 1) * m1 + m2
    rk = r**k
    s0 = (1.0 - rk) / (1.0 - r)
    s1 = (1.0 - (k + 1) * rk + k * rk * r) / (1.0 - r) ** 2
    s2 = (1.0 + r - (k + 1) ** 2 * rk + (2 * k * k + 2 * k - 1) * rk * r
          - k * k * rk * r * r) / (1.0 - r) ** 3
    return s1 / s0, s2 / s0


def _geo_sum(r: float, k: float) -> float:
    """sum_{i=1..k} r^i (k may be inf, then r < 1)."""
    if k == INF:
        return r / (1.0 - r)
    if k <= 0:
        return 0.0
    if abs(1.0 - r) < 1e-12:
        return float(k)
    return r * (1.0 - r**k) / (1.0 - r)


def _geo_moment(r: float, k: float, offset: int) -> float:
    """sum_{i=1..k} (offset + i) r^i."""
    if k == INF:
        return offset * r / (1.0 - r) + r / (1.0 - r) ** 2
    if k <= 0:
        return 0.0
    if abs(1.0 - r) < 1e-12:
        return offset * k + k * (k + 1) / 2.0
    s1 = r * (1.0 - r**k) / (1.0 - r)
    # sum i r^i, i = 1..k
    s2 = r * (1.0 - (k + 1) * r**k + k * r ** (k + 1)) / (1.0 - r) ** 2
    return offset * s1 + s2


def fcfs_wait_factor(cv: float) -> float:
    """Scale of the FCFS wait for a service-time CV (Pollaczek–Khinchine, Allen–Cunneen)."""
    return (1.0 + cv * cv) / 2.0


# --- the response-time distribution ---------------------------------------------------------


def response_cdf(t: np.ndarray | float, fixed: float | np.ndarray, p_wait: np.ndarray,
                 theta: np.ndarray, svc_mean: np.ndarray,
                 svc_cv2: np.ndarray | float = 1.0) -> np.ndarray:
    """P(T <= t) for ``T = fixed + W + S`` (arrays broadcast together).

    ``W`` is 0 with probability ``1 - p_wait`` and exponential with mean ``theta``
    otherwise; ``S`` has mean ``svc_mean`` and squared CV ``svc_cv2`` (see the module
    docstring for the family). Where a gamma's convolution with the wait has no closed form
    (the wait shorter than a gamma scale) the sum is moment-matched by a gamma.
    """
    x = np.asarray(t, dtype=float) - fixed
    p_wait, theta, svc, c2, x = np.broadcast_arrays(
        np.asarray(p_wait, dtype=float), np.asarray(theta, dtype=float),
        np.asarray(svc_mean, dtype=float), np.asarray(svc_cv2, dtype=float), x)
    pos = x > 0
    xs = np.where(pos, x, 0.0)
    out = np.zeros(xs.shape)
    waits = (p_wait > 0) & (theta > 0)
    alpha = np.where(waits, 1.0 / np.where(theta > 0, theta, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        kind = np.where(np.abs(c2 - 1.0) < 1e-9, 1, np.where(c2 < 1e-9, 0,
                                                               np.where(c2 > 1.0, 2, 3)))
        for k in (0, 1, 2, 3):
            sel = kind == k
            if not sel.any():
                continue
            xv, mv, cv2, av, pw, th = (xs[sel], svc[sel], c2[sel], alpha[sel], p_wait[sel],
                                       theta[sel])
            fs = _service_cdf(k, xv, mv, cv2)
            conv = _wait_plus_service_cdf(k, xv, av, mv, cv2, th)
            wv = waits[sel]
            out[sel] = (1.0 - pw) * fs + pw * np.where(wv, conv, fs)
    return np.where(pos, np.clip(out, 0.0, 1.0), 0.0)


def _h2(mean: np.ndarray, cv2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Balanced-means H2 with this mean and cv^2 (> 1): (p1, rate1, rate2)."""
    p1 = 0.5 * (1.0 + np.sqrt((cv2 - 1.0) / (cv2 + 1.0)))
    return p1, 2.0 * p1 / mean, 2.0 * (1.0 - p1) / mean


def _hypo(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(E_a + E_b <= x) for exponentials of rates a and b."""
    d = b - a
    close = np.abs(d) < 1e-9 * np.maximum(b, 1e-300)
    ea, eb = np.exp(-a * x), np.exp(-b * x)
    hypo = 1.0 - (b * ea - a * eb) / np.where(close, 1.0, d)
    erlang = 1.0 - ea * (1.0 + a * x)
    return np.where(close, erlang, hypo)


def _service_cdf(kind: int, x: np.ndarray, mean: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    if kind == 1:
        return -np.expm1(-x / mean)
    if kind == 0:
        return (x >= mean).astype(float)
    if kind == 2:
        p1, r1, r2 = _h2(mean, cv2)
        return 1.0 - p1 * np.exp(-r1 * x) - (1.0 - p1) * np.exp(-r2 * x)
    k = 1.0 / cv2
    return special.gammainc(k, x / (mean / k))


def _wait_plus_service_cdf(kind: int, x: np.ndarray, alpha: np.ndarray, mean: np.ndarray,
                           cv2: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """P(E + S <= x), E exponential of rate alpha (> 0), S as in :func:`_service_cdf`."""
    if kind == 0:
        return np.where(x >= mean, -np.expm1(-alpha * (x - mean)), 0.0)
    if kind == 1:
        return _hypo(x, alpha, 1.0 / mean)
    if kind == 2:
        p1, r1, r2 = _h2(mean, cv2)
        return p1 * _hypo(x, alpha, r1) + (1.0 - p1) * _hypo(x, alpha, r2)
    k = 1.0 / cv2
    s = mean / k
    ok = alpha * s < 0.95
    q = np.where(ok, 1.0 - alpha * s, 1.0)
    exact = special.gammainc(k, x / s) - np.exp(-alpha * x) * q ** (-k) * special.gammainc(
        k, x * q / s)
    # moment match: mean theta + mean, variance theta^2 + cv2 mean^2
    m1 = theta + mean
    var = theta**2 + cv2 * mean**2
    km = m1 * m1 / var
    approx = special.gammainc(km, x / (var / m1))
    return np.where(ok, exact, approx)


#: Probability edges of :func:`work_bins` (34 bins): three a decade of the short requests'
#: probability from 1e-3 to 0.1 (under sharing and a timeout the answered are those: a deep
#: backlog answers only the shortest), tenths for the body, then six a decade of the long
#: ones' down to 1e-4 (a p99 falls between bins some 15% of the mean apart).
_BIN_EDGES = np.concatenate([[0.0], 10.0 ** (-np.arange(9, 2, -1) / 3.0),
                             np.linspace(0.2, 0.9, 8), 1.0 - 10.0 ** (-np.arange(7, 25) / 6.0),
                             [1.0]])


def work_bins(cv2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A request's work relative to its mean (mean 1, squared CV ``cv2``, the family of the
    module docstring) cut into bins of probability: ``(probabilities, means, widths)``.

    A bin's mean is the conditional mean of its work and its width that of a uniform with
    the bin's conditional variance (``sqrt(12 var)``, capped at twice the mean so that no
    work is negative): the bins, read as uniforms, keep the mean and the variance of the
    whole (to rounding, and but for a capped bin). Constant work is one bin of width 0.
    Used where a request's time is its own work times a factor the model gives.
    """
    if cv2 < 1e-9:
        return np.ones(1), np.ones(1), np.zeros(1)
    q = _BIN_EDGES
    inner = q[1:-1]
    if abs(cv2 - 1.0) < 1e-9:
        y = -np.log1p(-inner)
        part = -np.expm1(-y) - y * np.exp(-y)  # E[X; X <= y]
        part2 = 2.0 - (y * y + 2.0 * y + 2.0) * np.exp(-y)  # E[X^2; X <= y]
        whole2 = 2.0
    elif cv2 < 1.0:
        k = 1.0 / cv2
        y = special.gammaincinv(k, inner) / k
        part = special.gammainc(k + 1.0, k * y)
        whole2 = (k + 1.0) / k
        part2 = whole2 * special.gammainc(k + 2.0, k * y)
    else:
        p1, r1, r2 = _h2(np.asarray(1.0), np.asarray(cv2))
        probs, rates = (float(p1), 1.0 - float(p1)), (float(r1), float(r2))
        # the H2's quantiles: bisection on its CDF, between 0 and a bound past the slow phase
        lo, hi = np.zeros(len(inner)), np.full(len(inner), 40.0 / min(rates))
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            f = 1.0 - sum(pi * np.exp(-ri * mid) for pi, ri in zip(probs, rates, strict=True))
            below = f < inner
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        y = 0.5 * (lo + hi)
        pairs = tuple(zip(probs, rates, strict=True))
        part = sum(pi / ri * (-np.expm1(-ri * y) - ri * y * np.exp(-ri * y)) for pi, ri in pairs)
        whole2 = sum(2.0 * pi / (ri * ri) for pi, ri in pairs)
        part2 = sum(2.0 * pi / (ri * ri) * (1.0 - np.exp(-ri * y) * (1.0 + ri * y
                                                                     + (ri * y) ** 2 / 2.0))
                    for pi, ri in pairs)
    part = np.concatenate([[0.0], part, [1.0]])
    part2 = np.concatenate([[0.0], part2, [whole2]])
    prob = np.diff(q)
    means = np.diff(part) / prob
    var = np.maximum(np.diff(part2) / prob - means * means, 0.0)
    widths = np.minimum(np.sqrt(12.0 * var), 2.0 * means)
    scale = float(prob @ means)
    return prob, means / scale, widths / scale


def _band_scaled(x: float | np.ndarray, lo: np.ndarray, d: np.ndarray,
                 w: np.ndarray) -> tuple[np.ndarray, ...]:
    """The band's sides in units of the longer ``q``: (u = (x - lo) / q clipped to the
    band, r = shorter / longer, q); a side under 1e-12 of the other is taken as none."""
    lo, d, w = np.broadcast_arrays(lo, d, w)
    q = np.maximum(d, w)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.where(q > 0, np.minimum(d, w) / q, 0.0)
        r = np.where(r > 1e-12, r, 0.0)
        u = np.where(q > 0, (np.asarray(x) - lo) / q, np.where(np.asarray(x) >= lo, 1.0, 0.0))
    # a time that never comes: infinite, or NaN (inf - inf)
    u = np.where(np.isfinite(lo) & ~np.isnan(d) & ~np.isnan(u), u, 0.0)
    return np.clip(u, 0.0, 1.0 + r), r, q


def band_cdf(x: float | np.ndarray, lo: np.ndarray, d: np.ndarray,
             w: np.ndarray) -> np.ndarray:
    """P(T <= x) for ``T = lo + d U + w V``, ``U`` and ``V`` independent uniforms on [0, 1]
    (``d, w >= 0``): the trapezoid of two uniforms' sum, one value per element (0 where
    ``lo`` or ``d`` is infinite or NaN: a time that never comes). With ``w = 0`` the same
    bits as the uniform's ``clip((x - lo) / d, 0, 1)``."""
    u, r, _ = _band_scaled(x, lo, d, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = u * u / (2.0 * r)
        mid = u - r / 2.0
        fall = 1.0 - (1.0 + r - u) ** 2 / (2.0 * r)
    return np.where(u <= r, np.where(r > 0, rise, 0.0), np.where(u <= 1.0, mid, fall))


def band_partial_mean(x: float | np.ndarray, lo: np.ndarray, d: np.ndarray,
                      w: np.ndarray) -> np.ndarray:
    """E[T; T <= x] for the ``T`` of :func:`band_cdf`: ``(lo + z) F - G(z)`` with ``z`` the
    distance above ``lo`` (within the band) and ``G`` the integral of the CDF from ``lo``."""
    u, r, q = _band_scaled(x, lo, d, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_rise = np.where(r > 0, u**3 / (6.0 * r), 0.0)
        g_mid = r * r / 6.0 + (u * u - r * u) / 2.0
        g_one = r * r / 6.0 + (1.0 - r) / 2.0
        g_fall = g_one + (u - 1.0) - (r**3 - (1.0 + r - u) ** 3) / (6.0 * r)
    g = np.where(u <= r, g_rise, np.where(u <= 1.0, g_mid, g_fall))
    f = band_cdf(x, lo, d, w)
    lo = np.broadcast_arrays(lo, d, w)[0]
    with np.errstate(invalid="ignore"):
        return np.where(f > 0, (lo + q * u) * f - q * g, 0.0)


def response_mean(fixed: float, p_wait: float, theta: float, svc_mean: float) -> float:
    return fixed + p_wait * theta + svc_mean


def response_quantile(q: float, fixed: float, p_wait: np.ndarray, theta: np.ndarray,
                      svc_mean: np.ndarray, svc_cv2: np.ndarray | float = 1.0,
                      iterations: int = 60) -> np.ndarray:
    """The ``q``-quantile of T for each state (vectorised bisection on :func:`response_cdf`)."""
    p_wait = np.atleast_1d(np.asarray(p_wait, dtype=float))
    theta = np.broadcast_to(np.asarray(theta, dtype=float), p_wait.shape)
    svc = np.broadcast_to(np.asarray(svc_mean, dtype=float), p_wait.shape)
    lo = np.full(p_wait.shape, float(fixed))
    # an upper bound: the mean over (1 - q) (Markov) plus the fixed part
    hi = fixed + (p_wait * theta + svc) / max(1.0 - q, 1e-9) + svc * 10.0 + 1e-9
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = response_cdf(mid, fixed, p_wait, theta, svc, svc_cv2) < q
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


# --- closed forms (for tests and for `check`) -----------------------------------------------------


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c (``offered`` = lam/mu < servers)."""
    if offered >= servers:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):  # Erlang B by recursion, then C from B
        b = offered * b / (k + offered * b)
    rho = offered / servers
    return b / (1.0 - rho * (1.0 - b))
