"""When a starting container becomes started and Ready, from its probe fields.

Mirrors the kubelet's prober (``kubernetes/kubernetes`` ``pkg/kubelet/prober/worker.go``
``doProbe`` and ``prober_manager.go`` ``UpdatePodStatus``):

* each probe has a worker ticking every ``periodSeconds`` from the moment the pod is
  admitted (``worker_start``); a tick while the container is not running, or earlier than
  ``initialDelaySeconds`` after the container started (whole seconds, truncated as the
  kubelet's ``int32(time.Since(startedAt).Seconds())``), gives no result;
* readiness and liveness probes are off until the startup probe has succeeded; the startup
  probe stops once it has;
* a result changes the state only after ``successThreshold`` (or ``failureThreshold``)
  equal results in a row; readiness starts as Failure, so a container with a readiness
  probe is not Ready until it succeeds; a container without one is Ready once started;
* when the container has started and its readiness is not yet known, the status update
  triggers an immediate readiness probe and the worker's ticker restarts from then;
* ``failureThreshold`` startup failures in a row kill the container (it is restarted).

The application itself answers probes from ``app_up_at`` on (an input: how long the
process takes to come up). Times are float seconds on one clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """The timing fields of ``core/v1 Probe`` (API defaults)."""

    initial_delay_seconds: int = 0
    period_seconds: int = 10
    success_threshold: int = 1
    failure_threshold: int = 3


@dataclass(frozen=True, slots=True)
class ProbeTimeline:
    """Outcome for one container start.

    ``started_at`` is when the startup probe succeeded (or the container started, without
    one); ``ready_at`` when the Ready condition turns True. ``killed_at`` is set instead
    when the startup probe fails ``failureThreshold`` times in a row: the kubelet then
    restarts the container and both other times are None.
    """

    started_at: float | None
    ready_at: float | None
    killed_at: float | None = None


def _elapsed_ok(t: float, container_start: float, initial_delay: int) -> bool:
    # The kubelet truncates the elapsed time to whole seconds before comparing.
    return int(t - container_start + 1e-9) >= initial_delay


def _first_tick_at_or_after(origin: float, period: float, t: float) -> float:
    if t <= origin:
        return origin
    k = math.ceil((t - origin) / period - 1e-9)
    return origin + k * period


def startup_timeline(
    worker_start: float,
    container_start: float,
    app_up_at: float,
    startup: ProbeSpec | None,
    readiness: ProbeSpec | None,
) -> ProbeTimeline:
    """Times at which the container is started and Ready (see module docstring)."""
    # --- startup probe -------------------------------------------------------------
    if startup is None:
        started_at = container_start
    else:
        p = startup.period_seconds
        t = _first_tick_at_or_after(worker_start, p, container_start)
        failures = 0
        while True:
            if _elapsed_ok(t, container_start, startup.initial_delay_seconds):
                if t >= app_up_at:
                    # successThreshold must be 1 for startup probes (API validation).
                    started_at = t
                    break
                failures += 1
                if failures >= startup.failure_threshold:
                    return ProbeTimeline(None, None, killed_at=t)
            t += p
    # --- readiness probe -------------------------------------------------------------
    if readiness is None:
        return ProbeTimeline(started_at, started_at)
    p = readiness.period_seconds
    # The status update after "started" triggers an immediate probe; ticks restart from it.
    t = started_at
    run = 0
    while True:
        if _elapsed_ok(t, container_start, readiness.initial_delay_seconds) and t >= app_up_at:
            run += 1
            if run >= readiness.success_threshold:
                return ProbeTimeline(started_at, t)
        else:
            run = 0
        t += p


def probe_from_fields(fields: object | None) -> ProbeSpec | None:
    """A :class:`ProbeSpec` from any object with the API's camelCase probe fields."""
    if fields is None:
        return None
    return ProbeSpec(
        initial_delay_seconds=int(getattr(fields, "initialDelaySeconds", 0) or 0),
        period_seconds=int(getattr(fields, "periodSeconds", 10) or 10),
        success_threshold=int(getattr(fields, "successThreshold", 1) or 1),
        failure_threshold=int(getattr(fields, "failureThreshold", 3) or 3),
    )
