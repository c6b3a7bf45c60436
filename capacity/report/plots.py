"""The report's plots, drawn with :mod:`capacity.report.style` and returned as PNG bytes.

Time axes read as weekday clock times (``Wed 10:00``) of the simulated week; failure
windows are shaded and hatched, the hardest hour shaded yellow, and each is named in the
legend. Pod counts have whole-number axes. The notebooks use the same functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter

from capacity.report import style
from capacity.report.style import SERIES, figure, finish, integer_axis, labels, legend, line
from capacity.report.timeline import Clock, Hour, Window

TIME_LABEL = "time of the simulated week (weekday hh:mm)"


# --- time axes -------------------------------------------------------------------------------


def time_axis(ax: Axes, t0: float, t1: float, ck: Clock) -> None:
    """Ticks at round clock times of the span, labelled ``Mon`` / ``Wed 09:00`` / ``10:15``."""
    span = max(t1 - t0, 1.0)
    if span > 2.5 * 86400:
        major, minor, fmt = 86400.0, 6 * 3600.0, "day"
    elif span > 8 * 3600:
        major, minor, fmt = 3 * 3600.0, 3600.0, "hour"
    elif span > 2 * 3600:
        major, minor, fmt = 1800.0, 600.0, "hour"
    else:
        major, minor, fmt = 600.0, 60.0, "minute"
    off = ck.start_hour * 3600.0

    def ticks(step: float) -> np.ndarray:
        first = math.ceil((t0 + off) / step) * step - off
        return np.arange(first, t1 + 1e-6, step)

    maj = ticks(major)
    ax.set_xticks(maj)
    ax.set_xticks(ticks(minor), minor=True)
    names = []
    for i, t in enumerate(maj):
        if fmt == "day":
            names.append(ck.day_name(t)[:3])
        else:
            midnight = abs((t + off) % 86400) < 1
            # The weekday on a second line: it does not widen the label into its neighbour.
            names.append(f"{ck(t, day=False)}\n{ck.day_name(t)[:3]}" if i == 0 or midnight
                         else ck(t, day=False))
    ax.set_xticklabels(names)
    ax.set_xlim(t0, t1)


def _shade(ax: Axes, windows: Sequence[Window], hardest: Hour | None) -> list[Any]:
    """Shade failure windows and the hardest hour; the legend handles for them."""
    handles = []
    fails = [w for w in windows if w.is_failure]
    for w in fails:
        style.span(ax, w.start, max(w.end, w.start + 60), "failure")
    if fails:
        colour, hatch = style.SPAN["failure"]
        kinds = sorted({w.kind for w in fails})
        handles.append(Patch(facecolor=colour, alpha=0.35, hatch=hatch, edgecolor=style.GREY,
                             label=", ".join(kinds)))
    if hardest is not None:
        style.span(ax, hardest.start, hardest.end, "hardest")
        handles.append(Patch(facecolor=style.SPAN["hardest"][0], alpha=0.3,
                             label="the hardest hour"))
    return handles


def _spike_marks(ax: Axes, windows: Sequence[Window], ymax: float) -> list[Any]:
    sp = [w for w in windows if w.kind == "spike"]
    if not sp:
        return []
    xs = [(w.start + w.end) / 2 for w in sp]
    ax.plot(xs, [ymax] * len(xs), linestyle="none", marker="v", color=style.OKABE_ITO["black"],
            markersize=7, zorder=5, clip_on=False)
    return [Line2D([], [], linestyle="none", marker="v", color=style.OKABE_ITO["black"],
                   label="load spike")]


def _errors_fill(ax: Axes, df: pd.DataFrame) -> list[Any]:
    if "error_rps" not in df or not (df["error_rps"] > 1e-9).any():
        return []
    ax.fill_between(df["time"], 0, df["error_rps"], step="post",
                    color=SERIES["errors"].colour, alpha=0.8, linewidth=0, zorder=4)
    return [Patch(facecolor=SERIES["errors"].colour, alpha=0.8,
                  label="failed requests (rps)")]


def _load_panel(ax: Axes, df: pd.DataFrame, windows: Sequence[Window],
                hardest: Hour | None) -> None:
    t = df["time"]
    line(ax, t, df["offered_rps"], "offered", "offered load")
    if "capacity_rps" in df:
        cap = df["capacity_rps"].replace([np.inf], np.nan)
        line(ax, t, cap, "capacity", "capacity of the ready pods", step=True)
    extra = _errors_fill(ax, df)
    top = float(np.nanmax([df["offered_rps"].max(),
                           df["capacity_rps"].replace([np.inf], np.nan).max()
                           if "capacity_rps" in df else 0.0]))
    ax.set_ylim(0, top * 1.08 if top > 0 else 1)
    extra += _spike_marks(ax, windows, top * 1.08 if top > 0 else 1)
    extra += _shade(ax, windows, hardest)
    labels(ax, y="requests per second (rps)")
    h, lab = ax.get_legend_handles_labels()
    legend(ax, handles=[*h, *extra], labels_=[*lab, *[e.get_label() for e in extra]])


def _replica_panel(ax: Axes, df: pd.DataFrame, max_replicas: int | None,
                   desired: bool = False, pending: bool = False) -> None:
    t = df["time"]
    line(ax, t, df["spec_replicas"], "spec_replicas", "spec.replicas (asked for)", step=True)
    line(ax, t, df["ready_replicas"], "ready_replicas", "ready pods (serving)", step=True)
    if desired and "desired_replicas" in df:
        line(ax, t, df["desired_replicas"], "desired_replicas", "the HPA's desired replicas",
             step=True)
    if pending and "pending_pods" in df and (df["pending_pods"] > 0).any():
        line(ax, t, df["pending_pods"], "pending_pods", "Pending pods", step=True)
    top = max(float(df["spec_replicas"].max()), float(df["ready_replicas"].max()),
              float(max_replicas or 0))
    ax.set_ylim(0, top + 1)
    integer_axis(ax)
    labels(ax, y="pods (count)")
    legend(ax)


def week(ts: pd.DataFrame, ck: Clock, windows: Sequence[Window], hardest: Hour | None,
         title: str, max_replicas: int | None, duration: float) -> bytes:
    """Run 0 over the whole run: offered load against the capacity of the ready pods,
    failed requests, failure windows, spikes and the hardest hour; replicas below."""
    fig, (a, b) = figure(2, 1, height=5.4, sharex=True, height_ratios=[1.5, 1])
    _load_panel(a, ts, windows, hardest)
    _replica_panel(b, ts, max_replicas)
    for w in windows:
        if w.is_failure:
            style.span(b, w.start, max(w.end, w.start + 60), "failure")
    if hardest is not None:
        style.span(b, hardest.start, hardest.end, "hardest")
    a.set_title(title, loc="left")
    time_axis(b, 0.0, duration, ck)
    labels(b, x=TIME_LABEL)
    return finish(fig)


def day(df: pd.DataFrame, ck: Clock, windows: Sequence[Window], hardest: Hour | None,
        title: str, max_replicas: int | None) -> bytes:
    """One calendar day of run 0: load against capacity, then replicas."""
    t0 = ck.day_start(float(df["time"].min()))
    fig, (a, b) = figure(2, 1, height=5.0, sharex=True, height_ratios=[1.4, 1])
    inside = [w for w in windows if w.end >= t0 and w.start <= t0 + 86400]
    _load_panel(a, df, inside, hardest)
    _replica_panel(b, df, max_replicas)
    a.set_title(title, loc="left")
    time_axis(b, t0, t0 + 86400, ck)
    labels(b, x=TIME_LABEL)
    return finish(fig)


def hour(df: pd.DataFrame, ck: Clock, h: Hour, title: str, max_replicas: int | None,
         latency_threshold: float | None) -> bytes:
    """The hardest hour: load and capacity with failed requests; the HPA's desired
    replicas, spec.replicas, ready and Pending pods with each rescale marked; p99 latency."""
    fig, (a, b, c) = figure(3, 1, height=7.2, sharex=True, height_ratios=[1.2, 1.2, 1])
    w = df[(df["time"] >= h.start) & (df["time"] < h.end)]
    _load_panel(a, w, [h.window] if h.window.kind == "spike" else
                [h.window] if h.window.is_failure else [], None)
    _replica_panel(b, w, max_replicas, desired=True, pending=True)
    if h.rescales:
        xs = [t for t, _ in h.rescales]
        top = b.get_ylim()[1]
        b.plot(xs, [top - 0.4] * len(xs), linestyle="none", marker="|", markersize=12,
               color=style.OKABE_ITO["purple"], label="SuccessfulRescale event")
        legend(b)
    line(c, w["time"], w["latency_p99"], "p99", "p99 of each 15 s")
    if "latency_p50" in w:
        line(c, w["time"], w["latency_p50"], "p50", "p50 of each 15 s")
    if latency_threshold is not None:
        c.axhline(latency_threshold, color=SERIES["threshold"].colour,
                  linestyle=SERIES["threshold"].linestyle, linewidth=SERIES["threshold"].linewidth,
                  label=f"SLO threshold {latency_threshold:g} s")
    c.set_ylim(bottom=0)
    labels(c, y="response time (s)")
    legend(c)
    a.set_title(title, loc="left")
    time_axis(c, h.start, h.end, ck)
    labels(c, x=TIME_LABEL)
    return finish(fig)


def latency(ts: pd.DataFrame, ck: Clock, thresholds: Sequence[float],
            windows: Sequence[Window], duration: float, title: str) -> bytes:
    """p50 and p99 response time of each 15 s over the run, the SLO thresholds, and the
    failed requests per second below."""
    fig, (a, b) = figure(2, 1, height=4.8, sharex=True, height_ratios=[1.4, 1])
    t = ts["time"]
    line(a, t, ts["latency_p99"], "p99", "p99 of each 15 s")
    line(a, t, ts["latency_p50"], "p50", "p50 of each 15 s")
    for i, thr in enumerate(sorted(set(thresholds))):
        a.axhline(thr, color=SERIES["threshold"].colour,
                  linestyle=[":", "-."][i % 2], linewidth=1.4,
                  label=f"latency SLO threshold {thr:g} s")
    top = float(np.nanmax([ts["latency_p99"].max(), *thresholds, 0.1]))
    a.set_ylim(0, top * 1.08)
    for w in windows:
        if w.is_failure:
            style.span(a, w.start, max(w.end, w.start + 60), "failure")
            style.span(b, w.start, max(w.end, w.start + 60), "failure")
    labels(a, y="response time (s)")
    legend(a)
    line(b, t, ts["error_rps"], "errors", "failed requests")
    b.set_ylim(bottom=0, top=max(float(ts["error_rps"].max()) * 1.1, 0.01))
    labels(b, y="failed requests per second (rps)")
    legend(b)
    a.set_title(title, loc="left")
    time_axis(b, 0.0, duration, ck)
    labels(b, x=TIME_LABEL)
    return finish(fig)


def utilization(df: pd.DataFrame, ck: Clock, title: str, cpu_target: float | None,
                memory_target: float | None) -> bytes:
    """What the HPA saw: CPU and memory utilization of the requests (%), with its targets."""
    fig, (ax,) = figure(1, 1, height=3.2)
    t = df["time"]
    line(ax, t, df["cpu_utilization"], "util_cpu", "CPU")
    if "memory_utilization" in df and df["memory_utilization"].notna().any():
        line(ax, t, df["memory_utilization"], "util_memory", "memory")
    for target, kind, name in ((cpu_target, "util_cpu", "CPU"),
                               (memory_target, "util_memory", "memory")):
        if target is not None:
            ax.axhline(target, color=SERIES[kind].colour, linestyle=":", linewidth=1.6,
                       label=f"{name} target {target:g}%")
    ax.set_ylim(bottom=0)
    labels(ax, y="utilization of requests (%)")
    legend(ax)
    ax.set_title(title, loc="left")
    t0 = ck.day_start(float(t.min()))
    t1 = float(t.max())
    time_axis(ax, t0 if t1 - t0 <= 86400 else float(t.min()),
              t0 + 86400 if t0 + 86400 - t1 < 120 else max(t1, t0 + 3600), ck)
    labels(ax, x=TIME_LABEL)
    return finish(fig)


def _err(mean: float, ci: Sequence[float] | None) -> list[float]:
    if not ci:
        return [0.0, 0.0]
    return [max(mean - ci[0], 0.0), max(ci[1] - mean, 0.0)]


def cost_breakdown(bars: Sequence[dict[str, Any]], currency: str, title: str) -> bytes:
    """Monthly cost per configuration: CPU and memory stacked, the idle part hatched,
    95% intervals. ``bars``: dicts with ``label``, ``cpu``, ``memory``, ``idle``,
    ``per_month`` and ``per_month_ci95``."""
    fig, (ax,) = figure(1, 1, height=1.6 + 0.6 * len(bars))
    y = np.arange(len(bars))[::-1]
    for i, (yi, b) in enumerate(zip(y, bars, strict=True)):
        ax.barh(yi, b["cpu"], color=style.BAR["cpu"], height=0.6, label="CPU" if i == 0 else None)
        ax.barh(yi, b["memory"], left=b["cpu"], color=style.BAR["memory"], height=0.6,
                label="memory" if i == 0 else None)
        if b.get("idle"):
            ax.barh(yi, b["idle"], left=b["cpu"] + b["memory"] - b["idle"], height=0.6,
                    fill=False, hatch="///", edgecolor=style.BAR["idle_edge"], linewidth=0,
                    label="of which idle (requested, unused)" if i == 0 else None)
        e = _err(b["per_month"], b.get("per_month_ci95"))
        ax.errorbar(b["per_month"], yi, xerr=[[e[0]], [e[1]]], color="black", capsize=4)
        ax.text(b["per_month"] + e[1], yi, f"  {b['per_month']:,.2f}", va="center",
                fontsize=style.FONT - 0.5)
    ax.set_yticks(y, [b["label"] for b in bars])
    xmax = max(b["per_month"] + _err(b["per_month"], b.get("per_month_ci95"))[1] for b in bars)
    ax.set_xlim(0, xmax * 1.2 if xmax > 0 else 1)
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", length=0)
    style.categorical(ax, "y")
    labels(ax, x=f"cost per month of 730 h ({currency})")
    legend(ax, where="below", ncol=3)
    ax.set_title(title, loc="left")
    return finish(fig)


# --- cost against SLO attainment ----------------------------------------------------------------


def pareto_front(points: Sequence[dict[str, Any]]) -> list[int]:
    """Indices of the points no other point beats on both cost and budget used (lower is
    better on both), cheapest first."""
    order = sorted(range(len(points)), key=lambda i: (points[i]["cost"], points[i]["budget"]))
    front, best = [], math.inf
    for i in order:
        if points[i]["budget"] < best - 1e-12:
            front.append(i)
            best = points[i]["budget"]
    return front


def _place_labels(ax: Axes, fig: Any, xy: Sequence[tuple[float, float]],
                  texts: Sequence[str], colours: Sequence[str] | None = None) -> list[Any]:
    """Annotate each point with its label where it overlaps no other label or marker:
    the first free spot among offsets around it, further out each round."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    pts = [ax.transData.transform(p) for p in xy]
    placed: list[Any] = []
    out = []
    frame = ax.get_window_extent(r)
    for k, (_p, text) in enumerate(zip(pts, texts, strict=True)):
        ann = None
        for dist in (10, 22, 36, 52, 70, 90, 115, 140):
            for dx, dy in ((1, 0.3), (1, -1), (-1, 0.3), (-1, -1), (0.2, 1.2), (0.2, -1.8),
                           (1, 1.2), (-1, 1.2), (1, -1.8), (-1, -1.8)):
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                cand = ax.annotate(text, xy=xy[k], xytext=(dx * dist, dy * dist * 0.6),
                                   textcoords="offset points", ha=ha, va="center",
                                   fontsize=style.FONT - 1,
                                   color=colours[k] if colours else "black",
                                   arrowprops={"arrowstyle": "-", "color": style.GREY,
                                               "lw": 0.6} if dist > 10 else None)
                bb = cand.get_window_extent(r).expanded(1.05, 1.15)
                inside = (bb.x0 >= frame.x0 and bb.x1 <= frame.x1 and bb.y0 >= frame.y0
                          and bb.y1 <= frame.y1)
                hits = any(bb.overlaps(o) for o in placed) or any(
                    bb.contains(q[0], q[1]) or _near(bb, q, 6) for q in pts)
                if inside and not hits:
                    ann = cand
                    break
                cand.remove()
            if ann is not None:
                break
        if ann is None:  # crowded: the last resort still names the point
            ann = ax.annotate(text, xy=xy[k], xytext=(12, 12 + 11 * k),
                              textcoords="offset points", fontsize=style.FONT - 1,
                              color=colours[k] if colours else "black",
                              arrowprops={"arrowstyle": "-", "color": style.GREY, "lw": 0.6})
        placed.append(ann.get_window_extent(r).expanded(1.05, 1.15))
        out.append(ann)
    return out


def _near(bb: Any, q: Sequence[float], pad: float) -> bool:
    return bb.x0 - pad <= q[0] <= bb.x1 + pad and bb.y0 - pad <= q[1] <= bb.y1 + pad


def _dodge(ax: Axes, xy: Sequence[tuple[float, float]], px: float = 11.0) -> list[tuple[float, float]]:
    """Positions at which markers do not sit on each other: a marker within ``px`` pixels
    of one already placed moves right by ``px`` until it is free (values are unchanged;
    only the marker is set beside its twin)."""
    to_px, to_data = ax.transData.transform, ax.transData.inverted().transform
    placed: list[np.ndarray] = []
    out = []
    for p in xy:
        q = np.array(to_px(p), dtype=float)
        while any(np.hypot(*(q - o)) < px for o in placed):
            q[0] += px
        placed.append(q)
        x, y = to_data(q)
        out.append((float(x), float(y)))
    return out


def cost_vs_slo(points: Sequence[dict[str, Any]], currency: str, xlabel: str,
                title: str, limit: float | None = 100.0,
                groups: Sequence[str] | None = None,
                kinds: dict[str, str] | None = None) -> bytes:
    """Cost per month against SLO attainment, one marker per configuration, the Pareto
    front through the configurations nothing beats on both.

    ``points``: dicts with ``label`` (a short name written beside the marker), ``cost``,
    ``cost_ci95``, ``budget`` (percent of the error budget used, or another "lower is
    better" figure named by ``xlabel``), optional ``budget_ci95``, ``group`` (colour: a
    scenario; named by ``groups``), ``marker`` (shape: a kind of configuration; named by
    ``kinds``, marker to name) and ``meets`` (every SLO met: filled; else hollow).
    ``limit`` draws the line where the budget runs out.

    The x axis rises from 0 to the right and clamps nothing: linear when the values are of
    one order of magnitude, else linear up to the smallest one's decade and logarithmic
    beyond (symlog), so 0.1% and 50% are both readable; markers that would sit on each
    other are set side by side."""
    fig, (ax,) = figure(1, 1, height=5.0)
    xmax = max([p["budget"] + _err(p["budget"], p.get("budget_ci95"))[1] for p in points]
               + [(limit or 0.0) * 1.15, 1e-9])
    ymax = max(p["cost"] + _err(p["cost"], p.get("cost_ci95"))[1] for p in points)
    positive = [p["budget"] for p in points if p["budget"] > 0]
    if positive and max(positive) / min(positive) > 20:
        lin = 10.0 ** math.floor(math.log10(min(positive)))
        ax.set_xscale("symlog", linthresh=lin, linscale=1.0)
        ax.set_xlim(0.0, xmax * 1.5)
        decades = [lin * 10**k for k in range(0, 12) if lin * 10**k <= xmax * 1.5]
        ax.xaxis.set_major_locator(FixedLocator([0.0, *decades]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    else:
        ax.set_xlim(0.0, xmax * 1.12)
    ax.set_ylim(0, ymax * 1.2 if ymax > 0 else 1)
    front = sorted(pareto_front(points), key=lambda i: points[i]["budget"])
    if len(front) > 1:
        ax.step([points[i]["budget"] for i in front], [points[i]["cost"] for i in front],
                where="post", color=style.GREY, linestyle="--", linewidth=1.0, zorder=1,
                label="Pareto front (nothing is cheaper and better)")
    if limit is not None:
        ax.axvline(limit, color=style.OKABE_ITO["vermillion"], linestyle=":", linewidth=1.4,
                   label="the whole error budget (SLO missed beyond)")
    fig.canvas.draw()
    at = _dodge(ax, [(p["budget"], p["cost"]) for p in points])
    for i, (p, (x, y)) in enumerate(zip(points, at, strict=True)):
        colour = style.GROUP_COLOURS[p.get("group", i) % len(style.GROUP_COLOURS)]
        ce = _err(p["cost"], p.get("cost_ci95"))
        be = _err(p["budget"], p.get("budget_ci95"))
        filled = p.get("meets", True)
        bars = ax.errorbar(x, y, xerr=[[be[0]], [be[1]]], yerr=[[ce[0]], [ce[1]]],
                           fmt=p.get("marker", "o"), ms=8, mew=1.8, capsize=3, color=colour,
                           mfc=colour if filled else "white", zorder=4)
        for artist in bars.lines[0:1]:
            artist.set_clip_on(False)  # a marker at 0 is drawn whole on the axis
    labels(ax, x=xlabel, y=f"cost per month ({currency})")
    handles, labs = ax.get_legend_handles_labels()
    used = {p.get("group", i) for i, p in enumerate(points)}
    for g, name in enumerate(groups or []):
        if g not in used:
            continue
        handles.append(Line2D([], [], marker="o", linestyle="none", ms=8,
                              color=style.GROUP_COLOURS[g % len(style.GROUP_COLOURS)]))
        labs.append(name)
    shapes = {p.get("marker", "o") for p in points}
    for marker, name in (kinds or {}).items():
        if marker not in shapes:
            continue
        handles.append(Line2D([], [], marker=marker, linestyle="none", ms=8, color=style.GREY))
        labs.append(name)
    handles += [Line2D([], [], marker="o", linestyle="none", color=style.GREY, mfc=style.GREY),
                Line2D([], [], marker="o", linestyle="none", color=style.GREY, mfc="white")]
    labs += ["filled: every SLO met", "hollow: an SLO missed"]
    legend(ax, where="below", ncol=2, handles=handles, labels_=labs)
    ax.set_title(title, loc="left")
    _place_labels(ax, fig, at, [p["label"] for p in points],
                  [style.GROUP_COLOURS[p.get("group", i) % len(style.GROUP_COLOURS)]
                   for i, p in enumerate(points)])
    return finish(fig)
