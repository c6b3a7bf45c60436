"""The report's plots: matplotlib (Agg backend), returned as PNG bytes.

PNGs are written without the matplotlib version or a date in their metadata, so the same
data gives the same bytes (and the same report). Each plot uses its own colours from
:data:`PALETTE`, which the page never uses elsewhere, so a screenshot can tell that the
plots are there.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

PALETTE = {
    "load": "#1f77b4",  # blue
    "replicas": "#ff7f0e",  # orange
    "ready": "#2ca02c",  # green
    "cpu": "#d62728",  # red
    "memory": "#17becf",  # cyan
    "util_cpu": "#9467bd",  # purple
    "util_memory": "#8c564b",  # brown
    "target": "#7f7f7f",  # grey
}
SCENARIO_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                    "#e377c2", "#bcbd22", "#17becf", "#7f7f7f"]
DPI = 100


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def representative_day(ts: pd.DataFrame, run: int = 0) -> tuple[pd.DataFrame, int | None]:
    """Rows of one day of ``run``: the full day whose mean offered load is nearest the
    median of the daily means (the earliest on ties). Runs shorter than two days give the
    whole run (``None`` as the day)."""
    df = ts[ts["run"] == run] if "run" in ts else ts
    if df.empty:
        return df, None
    end = float(df["time"].max())
    days = int(end // 86400)
    if days < 2:
        return df, None
    day_of = (df["time"] // 86400).astype(int)
    means = df.groupby(day_of)["offered_rps"].mean().loc[: days - 1]
    med = float(np.median(means.to_numpy()))
    d = int((means - med).abs().idxmin())
    return df[day_of == d], d


def replicas_vs_load(day: pd.DataFrame, title: str, max_replicas: int | None = None) -> bytes:
    """Offered and served load (left axis) against spec and ready replicas (right axis)."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    h = (day["time"] - (day["time"].min() // 86400) * 86400) / 3600.0
    ax.plot(h, day["offered_rps"], color=PALETTE["load"], lw=1.2, label="offered load (rps)")
    lost = day["offered_rps"] - day["served_rps"]
    if (lost > 1e-9).any():
        ax.fill_between(h, day["served_rps"], day["offered_rps"], color=PALETTE["cpu"],
                        alpha=0.5, label="lost requests (rps)")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("requests per second")
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ax2.step(h, day["spec_replicas"], where="post", color=PALETTE["replicas"], lw=2,
             label="replicas (spec)")
    ax2.step(h, day["ready_replicas"], where="post", color=PALETTE["ready"], lw=1,
             ls="--", label="ready replicas")
    top = max(float(day["spec_replicas"].max()), float(max_replicas or 0)) + 1
    ax2.set_ylim(0, top)
    ax2.set_ylabel("replicas")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper left", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlim(float(h.min()), float(h.max()))
    fig.tight_layout()
    return _png(fig)


def utilization(day: pd.DataFrame, title: str, cpu_target: float | None,
                memory_target: float | None) -> bytes:
    """What the HPA saw: CPU and memory utilization of requests (%), with its targets."""
    fig, ax = plt.subplots(figsize=(9, 3.0))
    h = (day["time"] - (day["time"].min() // 86400) * 86400) / 3600.0
    ax.plot(h, day["cpu_utilization"], color=PALETTE["util_cpu"], lw=1.2,
            label="CPU utilization of requests (%)")
    if "memory_utilization" in day and day["memory_utilization"].notna().any():
        ax.plot(h, day["memory_utilization"], color=PALETTE["util_memory"], lw=1.2,
                label="memory utilization of requests (%)")
    if cpu_target is not None:
        ax.axhline(cpu_target, color=PALETTE["util_cpu"], ls=":", lw=1,
                   label=f"CPU target {cpu_target:g}%")
    if memory_target is not None:
        ax.axhline(memory_target, color=PALETTE["util_memory"], ls=":", lw=1,
                   label=f"memory target {memory_target:g}%")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("percent of request")
    ax.set_ylim(bottom=0)
    ax.set_xlim(float(h.min()), float(h.max()))
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def _err(mean: float, ci: Sequence[float] | None) -> list[float]:
    if not ci:
        return [0.0, 0.0]
    return [max(mean - ci[0], 0.0), max(ci[1] - mean, 0.0)]


def cost_breakdown(bars: Sequence[dict[str, Any]], currency: str, title: str) -> bytes:
    """Monthly cost per configuration: CPU and memory stacked, idle hatched, 95% intervals.

    ``bars``: dicts with ``label``, ``cpu``, ``memory``, ``idle`` (per month), ``per_month``
    and ``per_month_ci95``.
    """
    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.75 * len(bars)))
    y = np.arange(len(bars))[::-1]
    for yi, b in zip(y, bars, strict=True):
        ax.barh(yi, b["cpu"], color=PALETTE["cpu"], height=0.6,
                label="CPU" if yi == y[0] else None)
        ax.barh(yi, b["memory"], left=b["cpu"], color=PALETTE["memory"], height=0.6,
                label="memory" if yi == y[0] else None)
        if b.get("idle"):
            ax.barh(yi, b["idle"], left=b["cpu"] + b["memory"] - b["idle"], height=0.6,
                    fill=False, hatch="///", edgecolor="black", lw=0,
                    label="of which idle (requested, unused)" if yi == y[0] else None)
        e = _err(b["per_month"], b.get("per_month_ci95"))
        ax.errorbar(b["per_month"], yi, xerr=[[e[0]], [e[1]]], color="black", capsize=4)
        ax.text(b["per_month"] + e[1], yi, f"  {b['per_month']:,.2f}", va="center", fontsize=8)
    ax.set_yticks(y, [b["label"] for b in bars], fontsize=8)
    ax.set_xlabel(f"{currency} per month (730 h)")
    xmax = max(b["per_month"] + _err(b["per_month"], b.get("per_month_ci95"))[1] for b in bars)
    ax.set_xlim(0, xmax * 1.2 if xmax > 0 else 1)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def cost_vs_availability(points: Sequence[dict[str, Any]], currency: str,
                         objective: float | None) -> bytes:
    """Cost per month against requests served, one point per configuration, 95% intervals.

    ``points``: dicts with ``label``, ``availability``, ``availability_ci95``,
    ``per_month``, ``per_month_ci95`` and optional ``marker`` and ``group`` (colour index).
    The x axis is unavailability (1 − served) on a log scale: 99.9% and 99.99% are far apart.
    """
    fig, ax = plt.subplots(figsize=(9, 4.5))
    floor = 1e-6
    for i, p in enumerate(points):
        colour = SCENARIO_COLOURS[p.get("group", i) % len(SCENARIO_COLOURS)]
        u = max(1.0 - p["availability"], floor)
        ci = p.get("availability_ci95")
        xerr = None
        if ci:
            lo_u, hi_u = max(1.0 - ci[1], floor), max(1.0 - ci[0], floor)
            xerr = [[max(u - lo_u, 0.0)], [max(hi_u - u, 0.0)]]
        e = _err(p["per_month"], p.get("per_month_ci95"))
        ax.errorbar(u, p["per_month"], xerr=xerr, yerr=[[e[0]], [e[1]]],
                    fmt=p.get("marker", "o"), color=colour, ms=8, capsize=3, label=p["label"])
    if objective is not None:
        ax.axvline(max(1 - objective, floor), color=PALETTE["target"], ls="--", lw=1,
                   label=f"objective {objective * 100:g}% served")
    ax.set_xscale("log")
    ax.invert_xaxis()  # better availability to the right
    ax.set_xlabel(f"requests not served (1 − availability); values below {floor:g} drawn at {floor:g}")
    ax.set_ylabel(f"{currency} per month")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="best")
    ax.set_title("cost against availability (95% intervals over runs)", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)
