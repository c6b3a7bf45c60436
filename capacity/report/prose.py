"""Scenario settings written as sentences: the load, durations, failures and maintenance."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from capacity.report.fmt import pct
from capacity.report.timeline import Clock, duration_text
from capacity.scenario.model import Distribution, Load, Scenario


def hour_of_day(h: float) -> str:
    """14 -> ``14:00``, 9.5 -> ``09:30``."""
    m = round(h * 60) % (24 * 60)
    return f"{m // 60:02d}:{m % 60:02d}"


def distribution(d: Distribution | None) -> str:
    """A random duration in words: ``5 min``, ``3 min to 7 min``, ``median 30 min, 95th
    percentile 4 h (lognormal)``."""
    if d is None:
        return "–"
    if d.type == "constant":
        return duration_text(float(d.value or 0.0))
    if d.type == "uniform":
        return f"{duration_text(float(d.min or 0))} to {duration_text(float(d.max or 0))} (uniform)"
    if d.type == "exponential":
        return f"mean {duration_text(float(d.mean or 0))} (exponential)"
    return (f"median {duration_text(float(d.median or 0))}, 95th percentile "
            f"{duration_text(float(d.p95 or 0))} (lognormal)")


def load_prose(load: Load, ck: Clock) -> str:
    """The load section as sentences, every field of it said (peakHour, noise interval,
    spikes with their weekday and time, ...)."""
    parts = []
    if load.constant is not None:
        parts.append(f"A constant {load.constant:g} requests per second.")
    d = load.diurnal
    if d is not None:
        shape = "" if d.sharpness == 1 else (f", the peak narrowed by sharpness {d.sharpness:g}"
                                             if d.sharpness > 1 else
                                             f", the peak widened by sharpness {d.sharpness:g}")
        parts.append(f"A daily curve: on weekdays from {d.min:g} requests per second at night "
                     f"to {d.max:g} at {hour_of_day(d.peakHour)} (peakHour {d.peakHour:g})"
                     f"{shape}; Saturday and Sunday at {pct(d.weekendFactor, 0)} of the "
                     "weekday level (weekendFactor).")
    if load.steps:
        steps = [f"{s.rps:g} rps from {ck(s.at)}" for s in load.steps[:6]]
        more = f" and {len(load.steps) - 6} more steps" if len(load.steps) > 6 else ""
        parts.append("Steps: " + ", ".join(steps) + more + " (0 before the first).")
    t = load.trace
    if t is not None:
        extra = []
        if t.scale != 1:
            extra.append(f"scaled ×{t.scale:g}")
        if t.resample:
            extra.append(f"averaged over {duration_text(t.resample)}")
        if t.startOffset:
            extra.append(f"starting {duration_text(t.startOffset)} into it")
        extra.append("repeated when shorter than the run" if t.loop else "not repeated")
        unit = {"perSecond": "requests per second", "perMinute": "requests per minute",
                "perInterval": "requests per row"}[t.unit]
        parts.append(f"Replayed from `{t.path}` (column {t.valueColumn} in {unit}; "
                     + ", ".join(extra) + ").")
    for sp in load.spikes:
        parts.append(f"A spike: ×{sp.factor:g} for {duration_text(sp.duration)} from "
                     f"{ck(sp.at)}.")
    r = load.randomSpikes
    if r is not None:
        parts.append(f"Random spikes: {r.perDay:g} a day on average, ×{r.factor:g}, each "
                     f"lasting {distribution(r.duration)}.")
    n = load.noise
    if n is not None:
        parts.append(f"Noise: each {duration_text(n.interval)} the rate is multiplied by a "
                     f"random factor of mean 1 and coefficient of variation {n.cv:g} "
                     f"(about ±{pct(n.cv, 0)}, lognormal).")
    parts.append(f"Piecewise constant over {duration_text(load.resolution)}.")
    if load.externalMetrics:
        parts.append("External metrics for the HPA: "
                     + ", ".join(f"`{e.name}`" for e in load.externalMetrics) + ".")
    return " ".join(parts)


def failures_prose(sc: Scenario, ck: Clock) -> str:
    f = sc.failures
    parts = []
    if f.nodes is not None:
        if f.nodes.mtbf:
            parts.append(f"each node fails on average every {duration_text(f.nodes.mtbf)}, "
                         f"repaired in {distribution(f.nodes.repair)}")
        for s in f.nodes.scheduled:
            parts.append(f"node {s.node} fails at {ck(s.at)}")
    if f.zones is not None:
        if f.zones.mtbf:
            parts.append(f"each zone goes down on average every {duration_text(f.zones.mtbf)} "
                         f"for {distribution(f.zones.duration)}")
        for z in f.zones.scheduled:
            parts.append(f"{z.zone} goes down at {ck(z.at)} for {duration_text(z.duration)}")
    for sp in f.spot:
        rate = getattr(sp, "ratePerNodeDay", None)
        parts.append(f"spot pool {sp.pool}: "
                     + (f"{rate:g} reclaims per node-day, about {sp.meanNodesPerReclaim:g} "
                        "nodes each, " if rate else "")
                     + f"{duration_text(sp.notice)} notice")
        for r in sp.scheduled:
            parts.append(f"{r.nodes} spot node(s) of {sp.pool} reclaimed at {ck(r.at)}"
                         + (f" in {r.zone}" if r.zone else ""))
    for m in sc.disruption.maintenance:
        parts.append(f"node upgrades from {ck(m.start)}"
                     + (f" on {', '.join(m.pools)}" if m.pools else "")
                     + f", {m.parallelism} node(s) at a time, each down "
                       f"{distribution(m.nodeUpgradeTime)}"
                     + (", with a surge node" if m.surgeNode else ""))
    for r in sc.disruption.rollouts:
        parts.append(f"a rollout at {ck(r.at)}")
    return ("; ".join(parts) + ".") if parts else "none"


def display_path(path: str | os.PathLike[str] | None) -> str | None:
    """A scenario path as the reader would type it: relative to the working folder when
    inside it, else the file name."""
    if not path:
        return None
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return p.name


def extends_chain(path: str | os.PathLike[str] | None, limit: int = 10) -> list[str]:
    """The files a scenario ``extends``, nearest first, as :func:`display_path` writes them."""
    out: list[str] = []
    p = Path(path) if path else None
    while p is not None and len(out) < limit:
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            break
        ext = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(ext, str):
            break
        p = (p.parent / ext)
        out.append(display_path(p) or ext)
    return out
