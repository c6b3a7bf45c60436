"""Limits that keep a run bounded: steps per simulated hour, derived from the periods.

Every periodic loop of the model (the HPA's sync, metrics-server's scrapes, the load's
steps, the cluster autoscaler's scans, the node lifecycle controller's checks, kubelet
lease renewals, Prometheus scrapes) and every random failure adds steps per simulated
hour. A period of 1 ms or an MTBF of 1 ms makes a one-hour run millions of steps long,
which is a hang, not a plan. :func:`check_run_bounds` refuses such a run before it
starts and names the field that makes it explode; the same rule judges ``--duration``.

A pod's probes tick from its start until it is Ready: :func:`check_run_bounds` also
bounds the ticks of one pod start (initial delay plus a slow start-up, over the period).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from capacity.scenario.durations import format_duration
from capacity.scenario.rules import FieldError, short_number

#: A :class:`capacity.scenario.model.Scenario`; not imported, since the model's own
#: validator calls this module (an import each way would be a cycle).
Scenario = Any

#: Steps one run may take. The model records a row per HPA sync and analyses the rows
#: after the run: 3.6M syncs (a 1 ms sync period for an hour) take about half a minute
#: of one core, so 10M is a minute or two. A week at upstream's default periods is about
#: 0.3M steps, a quarter of a year about 4M.
MAX_STEPS_PER_RUN = 10_000_000
#: Probe ticks of one pod start (a readiness probe every second for a day is 86,400).
MAX_PROBE_TICKS = 100_000


@dataclass(frozen=True)
class Source:
    """One stream of steps: the field that sets it, its value, steps per simulated hour,
    and whether that rate is faster than upstream's default makes it."""

    loc: tuple[str | int, ...]
    shown: str
    per_hour: float
    unusual: bool


def _fmt(seconds: float) -> str:
    """``0.001`` → ``1ms``; else as scenario files write durations."""
    return f"{seconds * 1000:g}ms" if 0 < seconds < 1 else format_duration(seconds)


def _period(loc: tuple[str | int, ...], seconds: float, default: float,
            times: float = 1.0) -> Source:
    rate = times * 3600.0 / seconds if seconds > 0 else float("inf")
    return Source(loc, _fmt(seconds), rate, seconds < default)


def sources(sc: Scenario) -> list[Source]:
    """The scenario's streams of steps, each with the field that sets its rate."""
    c = sc.controllers
    kcm = c.kubeControllerManager
    out = [
        _period(("controllers", "kubeControllerManager", "horizontalPodAutoscalerSyncPeriod"),
                kcm.horizontalPodAutoscalerSyncPeriod, 15.0),
        _period(("controllers", "metricsServer", "metricResolution"),
                c.metricsServer.metricResolution, 15.0),
        _period(("monitoring", "scrapeInterval"), sc.monitoring.scrapeInterval, 15.0),
    ]
    ld = sc.load
    if ld.trace is None:
        out.append(_period(("load", "resolution"), ld.resolution, 1.0))
    elif ld.trace.resample is not None:
        out.append(_period(("load", "trace", "resample"), ld.trace.resample, 1.0))
    if ld.noise is not None and ld.noise.cv > 0:
        out.append(_period(("load", "noise", "interval"), ld.noise.interval, 1.0))
    if ld.randomSpikes is not None:
        out.append(Source(("load", "randomSpikes", "perDay"), f"{ld.randomSpikes.perDay:g}",
                          2 * ld.randomSpikes.perDay / 24.0, ld.randomSpikes.perDay > 100))
    cl = sc.cluster
    if cl is None:
        return out
    nodes = cl.max_nodes()
    out.append(_period(("controllers", "kubeControllerManager", "nodeMonitorPeriod"),
                       kcm.nodeMonitorPeriod, 5.0))
    # Leases and node-monitor checks are computed in closed form per node, so each
    # stream counts once, not once per node.
    lease = c.kubelet.nodeLeaseDurationSeconds
    out.append(Source(("controllers", "kubelet", "nodeLeaseDurationSeconds"), str(lease),
                      3600.0 / (lease / 4.0), lease < 40))
    if c.clusterAutoscaler.enabled and any(p.autoscaling for p in cl.nodePools):
        out.append(_period(("controllers", "clusterAutoscaler", "scanInterval"),
                           c.clusterAutoscaler.scanInterval, 10.0))
    f = sc.failures
    # A failure is at least two steps (down, back up); a failure a day is not unusual.
    if f.nodes is not None and f.nodes.mtbf:
        n = len([x for p in cl.nodePools if f.nodes.pools is None or p.name in f.nodes.pools
                 for x in cl.initial_nodes(p)]) or nodes
        out.append(_period(("failures", "nodes", "mtbf"), f.nodes.mtbf, 86400.0, 2.0 * n))
    if f.zones is not None and f.zones.mtbf:
        out.append(_period(("failures", "zones", "mtbf"), f.zones.mtbf, 86400.0,
                           2.0 * len(cl.zones)))
    pools = {p.name: p for p in cl.nodePools}
    for i, sp in enumerate(f.spot):
        p = pools.get(sp.pool)
        n = len(cl.initial_nodes(p)) if p is not None else 0
        rate = 2.0 * sp.ratePerNodeDay / 24.0 * n / sp.meanNodesPerReclaim
        out.append(Source(("failures", "spot", i, "ratePerNodeDay"), f"{sp.ratePerNodeDay:g}",
                          rate, sp.ratePerNodeDay > 24))
    return out


def _path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def run_bound_problem(sc: Scenario, duration: float | None = None,
                      duration_flag: str | None = None) -> FieldError | None:
    """Why a run of ``duration`` seconds (default: the scenario's) would not be bounded.

    The error names the field that makes the run explode: the fastest stream that runs
    faster than upstream's default, or else the duration itself.
    """
    dur = sc.simulation.duration if duration is None else duration
    hours = dur / 3600.0
    srcs = sources(sc)
    per_hour = sum(s.per_hour for s in srcs)
    total = per_hour * hours
    over = f"above the limit of {short_number(MAX_STEPS_PER_RUN)} steps per run"
    if total > MAX_STEPS_PER_RUN:
        unusual = [s for s in srcs if s.unusual]
        span = _fmt(dur) + (f" ({duration_flag})" if duration_flag else "")
        if unusual:
            worst = max(unusual, key=lambda s: s.per_hour)
            return FieldError(worst.loc, f"{worst.shown} gives {short_number(worst.per_hour)} "
                              f"steps per simulated hour, {short_number(worst.per_hour * hours)} "
                              f"over {span}, {over}")
        rule = (f"{_fmt(dur)} at {short_number(per_hour)} steps per simulated hour gives "
                f"{short_number(total)} steps, {over}")
        if duration_flag:
            return FieldError((), f"{duration_flag} {rule}")
        return FieldError(("simulation", "duration"), rule)
    return _probe_problem(sc)


def _probe_problem(sc: Scenario) -> FieldError | None:
    spec = sc.workload.deployment.template.spec
    st = sc.workload.startup
    parts = [("initContainers", st.initContainers), ("imagePull", st.imagePull),
             ("containerStart", st.containerStart), ("appWarmup", st.appWarmup)]
    slow = [(name, d.p95_seconds()) for name, d in parts if d is not None]
    start = sum(t for _, t in slow)
    for ci, c in enumerate(spec.containers):
        for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
            p = getattr(c, probe_name)
            if p is None:
                continue
            ticks = (p.initialDelaySeconds + start) / p.periodSeconds
            if ticks <= MAX_PROBE_TICKS:
                continue
            at = ("workload", "deployment", "template", "spec", "containers", ci, probe_name)
            if p.initialDelaySeconds >= start:
                return FieldError((*at, "initialDelaySeconds"),
                                  f"{p.initialDelaySeconds} with periodSeconds {p.periodSeconds} "
                                  f"gives {short_number(ticks)} probe ticks per pod start, above "
                                  f"the limit of {short_number(MAX_PROBE_TICKS)}")
            name, t = max(slow, key=lambda x: x[1])
            which = "p95" if getattr(st, name).type == "lognormal" else "slow end"
            return FieldError(("workload", "startup", name),
                              f"a start-up of {format_duration(start)} ({name} {which} "
                              f"{format_duration(t)}) gives {short_number(ticks)} ticks of "
                              f"{_path(at)} (every {p.periodSeconds}s) per pod start, above "
                              f"the limit of {short_number(MAX_PROBE_TICKS)}")
    return None


def check_run_bounds(sc: Scenario, duration: float | None = None,
                     duration_flag: str | None = None) -> None:
    """Raise :class:`FieldError` when a run would not be bounded (see the module)."""
    err = run_bound_problem(sc, duration, duration_flag)
    if err is not None:
        raise err
