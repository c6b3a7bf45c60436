"""The plotting style of the report and the notebooks.

Every plot is drawn through these helpers so that it follows four rules, which
:func:`problems` checks on a finished figure (and :func:`finish` enforces before a PNG is
written):

* **units on every axis**: each axis label names its unit in parentheses, e.g.
  ``requests per second (rps)``, ``pods (count)``;
* **legends that hide nothing**: legends sit outside the plotting area (right of it or
  below), never over the data;
* **distinguishable lines**: the colours are the Okabe–Ito palette, chosen to stay apart for
  the three common colour-vision deficiencies, and lines drawn in one panel differ in
  line style or width too, so two series that coincide still show both (a wide light band
  under a thin dark line) and a grey-scale print still tells them apart;
* **whole pods**: axes that count pods get integer ticks only.

:func:`simulate_cvd` and :func:`min_contrast` let the tests check the colour rule itself
(Machado, Oliveira and Fernandes 2009, severity 1, on linear RGB; distances are CIE76 ΔE in
CIELAB).
"""

from __future__ import annotations

import io
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

# Reports are drawn headless (Agg: no display, the same bytes everywhere); in a notebook
# the kernel's own backend stays, so figures show inline.
if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

#: The Okabe–Ito palette (Okabe and Ito 2008, "Color Universal Design").
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
GREY = "#6E6E6E"


@dataclass(frozen=True)
class Series:
    """How one kind of series is drawn: colour, line style, width, opacity, z-order."""

    colour: str
    linestyle: str = "-"
    linewidth: float = 1.4
    alpha: float = 1.0
    zorder: float = 2.0
    marker: str | None = None


#: One entry per kind of series the plots draw. Series shown together differ in colour
#: and in line style or width (see the module docstring).
SERIES: dict[str, Series] = {
    "offered": Series(OKABE_ITO["blue"], "-", 0.9),
    "served": Series(OKABE_ITO["sky_blue"], "--", 1.2),
    "capacity": Series(OKABE_ITO["green"], "-", 2.0, zorder=3),
    # spec.replicas is a wide light band, ready a thin dark dashed line on top of it:
    # when they coincide both stay visible.
    "spec_replicas": Series(OKABE_ITO["orange"], "-", 4.5, alpha=0.55, zorder=2),
    "ready_replicas": Series(OKABE_ITO["black"], "--", 1.2, zorder=4),
    "desired_replicas": Series(OKABE_ITO["purple"], ":", 1.8, zorder=3),
    "pending_pods": Series(OKABE_ITO["vermillion"], "-.", 1.4, zorder=3),
    "errors": Series(OKABE_ITO["vermillion"], "-", 1.2, zorder=3),
    "p50": Series(OKABE_ITO["blue"], "-", 1.2),
    "p99": Series(OKABE_ITO["vermillion"], "--", 1.4, zorder=3),
    "threshold": Series(GREY, ":", 1.4, zorder=1),
    "util_cpu": Series(OKABE_ITO["purple"], "-", 1.3),
    "util_memory": Series(OKABE_ITO["green"], "--", 1.3),
    "cost": Series(OKABE_ITO["blue"], "-", 1.4),
    "before": Series(GREY, "-", 1.0, alpha=0.6, zorder=1),
}

#: Bars: CPU and memory cost, and the idle part hatched over them.
BAR = {"cpu": OKABE_ITO["blue"], "memory": OKABE_ITO["orange"], "idle_edge": "#000000"}

#: One colour and marker per scenario or configuration group, in this order.
GROUP_COLOURS = [OKABE_ITO[k] for k in ("blue", "orange", "green", "purple", "vermillion",
                                        "sky_blue", "black", "yellow")]
GROUP_MARKERS = ["o", "s", "D", "^", "v", "P", "X", "*"]

#: Shading of failure windows and of the hardest hour on time axes.
SPAN = {"failure": ("#BBBBBB", "//"), "hardest": (OKABE_ITO["yellow"], None)}

DPI = 100
FONT = 9.0
UNIT_RE = re.compile(r"\([^()]+\)\s*$")


def rc() -> dict[str, Any]:
    """rcParams of every figure: readable fonts, a light grid, no top/right spines."""
    return {"font.size": FONT, "axes.titlesize": FONT + 1, "axes.labelsize": FONT,
            "legend.fontsize": FONT - 0.5, "xtick.labelsize": FONT - 0.5,
            "ytick.labelsize": FONT - 0.5, "axes.grid": True, "grid.alpha": 0.3,
            "axes.spines.top": False, "axes.spines.right": False,
            "font.family": "DejaVu Sans", "svg.hashsalt": "capacity"}


def figure(nrows: int = 1, ncols: int = 1, *, width: float = 10.0, height: float = 3.4,
           sharex: bool = False, height_ratios: Sequence[float] | None = None
           ) -> tuple[Figure, list[Axes]]:
    """A figure with constrained layout (room is made for outside legends) and its axes
    as a flat list."""
    with plt.rc_context(rc()):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), sharex=sharex,
                                 layout="constrained", squeeze=False,
                                 gridspec_kw={"height_ratios": height_ratios}
                                 if height_ratios else None)
    for ax in axes.flat:
        for k, v in rc().items():
            if k.startswith("axes.spines."):
                ax.spines[k.rsplit(".", 1)[1]].set_visible(v)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=FONT - 0.5)
    return fig, list(axes.flat)


def line(ax: Axes, x: Any, y: Any, kind: str, label: str | None = None, *,
         step: bool = False) -> Any:
    """Draw series ``kind`` (a key of :data:`SERIES`); ``step`` for piecewise-constant
    values such as replica counts (held until the next sample)."""
    s = SERIES[kind]
    kw = {"color": s.colour, "linestyle": s.linestyle, "linewidth": s.linewidth,
          "alpha": s.alpha, "zorder": s.zorder, "label": label}
    if s.marker:
        kw["marker"] = s.marker
    if step:
        return ax.step(x, y, where="post", **kw)[0]
    return ax.plot(x, y, **kw)[0]


def labels(ax: Axes, x: str | None = None, y: str | None = None) -> None:
    """Axis labels; each must end in its unit in parentheses (ValueError otherwise)."""
    for text, setter in ((x, ax.set_xlabel), (y, ax.set_ylabel)):
        if text is None:
            continue
        if not UNIT_RE.search(text):
            raise ValueError(f"axis label {text!r} names no unit: end it with '(unit)'")
        setter(text, fontsize=FONT)


def integer_axis(ax: Axes, which: str = "y") -> None:
    """Whole-number ticks on ``which`` axis (pods are counted, never fractional)."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if which == "y" else ax.get_xlim()
    if hi - lo < 2:  # room for two whole numbers, else the locator falls back to fractions
        span = (math.floor(lo), max(math.ceil(hi), math.floor(lo) + 2))
        (ax.set_ylim if which == "y" else ax.set_xlim)(*span)
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=2))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
    ax._capacity_integer = {*getattr(ax, "_capacity_integer", set()), which}  # type: ignore[attr-defined]


def categorical(ax: Axes, which: str = "y") -> None:
    """Mark ``which`` axis as naming categories (configurations, scenarios): its tick
    labels are the names, so it needs no unit."""
    ax._capacity_categorical = {*getattr(ax, "_capacity_categorical", set()), which}  # type: ignore[attr-defined]


def legend(ax: Axes, *, where: str = "right", handles: Sequence[Any] | None = None,
           labels_: Sequence[str] | None = None, ncol: int = 1) -> Any:
    """A legend outside the plotting area: ``right`` of the panel or ``below`` it."""
    kw: dict[str, Any] = {"fontsize": FONT - 0.5, "frameon": False}
    if handles is not None:
        kw["handles"] = handles
        if labels_ is not None:
            kw["labels"] = labels_
    if where == "right":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                         ncol=ncol, **kw)
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), borderaxespad=0.0,
                     ncol=ncol, **kw)


def span(ax: Axes, start: float, end: float, kind: str = "failure") -> None:
    """Shade [start, end] on a time axis: a failure window or the hardest hour."""
    colour, hatch = SPAN[kind]
    ax.axvspan(start, end, facecolor=colour, alpha=0.35 if hatch else 0.3, hatch=hatch,
               edgecolor=GREY if hatch else "none", linewidth=0.0, zorder=0)


# --- checks ------------------------------------------------------------------------------


def _shown(axis: Any) -> bool:
    return axis.get_visible() and any(t.get_visible() and t.get_text()
                                      for t in axis.get_ticklabels())


def problems(fig: Figure) -> list[str]:
    """Where ``fig`` breaks the rules of this module (empty when it follows them):
    an axis with tick labels but no unit in its label (an x axis shared with the panel
    below may leave it to that panel), a legend over a plotting area, an integer axis
    with fractional ticks, two lines of one panel drawn alike."""
    out: list[str] = []
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    axes = [a for a in fig.axes if a.get_visible() and a.axison]
    boxes = [a.get_window_extent(renderer) for a in axes]
    for i, ax in enumerate(axes):
        name = ax.get_title() or f"axes {i}"
        for which, axis, label in (("x", ax.xaxis, ax.get_xlabel()),
                                   ("y", ax.yaxis, ax.get_ylabel())):
            if not _shown(axis) or which in getattr(ax, "_capacity_categorical", set()):
                continue
            if which == "x" and not label and any(
                    o is not ax and o.get_shared_x_axes().joined(o, ax) and o.get_xlabel()
                    for o in axes):
                continue
            if not UNIT_RE.search(label or ""):
                out.append(f"{name}: {which} axis label {label!r} names no unit")
            if which in getattr(ax, "_capacity_integer", set()):
                ticks = axis.get_ticklocs()
                lo, hi = (ax.get_ylim() if which == "y" else ax.get_xlim())
                seen = [t for t in ticks if min(lo, hi) - 1e-9 <= t <= max(lo, hi) + 1e-9]
                if any(abs(t - round(t)) > 1e-9 for t in seen):
                    out.append(f"{name}: {which} axis counts pods but has ticks {seen}")
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            lb = leg.get_window_extent(renderer)
            for j, b in enumerate(boxes):
                if lb.overlaps(b) and _overlap_area(lb, b) > 4.0:
                    out.append(f"{name}: legend overlaps the plotting area of "
                               f"{axes[j].get_title() or f'axes {j}'}")
        drawn = [(ln.get_color(), ln.get_linestyle(), round(float(ln.get_linewidth()), 1))
                 for ln in ax.get_lines() if ln.get_visible() and ln.get_label()
                 and not str(ln.get_label()).startswith("_")]
        if len(set(drawn)) < len(drawn):
            out.append(f"{name}: two lines are drawn alike {drawn}")
    if fig.legends:
        for leg in fig.legends:
            lb = leg.get_window_extent(renderer)
            for j, b in enumerate(boxes):
                if _overlap_area(lb, b) > 4.0:
                    out.append(f"figure legend overlaps the plotting area of axes {j}")
    return out


def _overlap_area(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


def finish_png(fig: Figure) -> bytes:
    """Check ``fig`` (:func:`problems`; ValueError naming them) and return it as PNG bytes,
    leaving it open. PNGs carry no matplotlib version or date, so the same data gives the
    same bytes."""
    found = problems(fig)
    if found:
        raise ValueError("plot style: " + "; ".join(found))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def finish(fig: Figure) -> bytes:
    """:func:`finish_png`, then close the figure."""
    try:
        return finish_png(fig)
    finally:
        plt.close(fig)


# --- colour vision -----------------------------------------------------------------------

#: Machado et al. (2009), severity 1.0, applied to linear RGB.
CVD = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _srgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])


def _linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = m @ np.clip(linear_rgb, 0.0, 1.0) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def simulate_cvd(hex_colour: str, kind: str | None) -> np.ndarray:
    """CIELAB of ``hex_colour`` as seen with colour-vision deficiency ``kind`` (a key of
    :data:`CVD`, or None for normal vision)."""
    lin = _linear(_srgb(hex_colour))
    if kind is not None:
        lin = CVD[kind] @ lin
    return _lab(lin)


def min_contrast(colours: Iterable[str]) -> float:
    """The smallest CIE76 ΔE between any two of ``colours``, over normal vision and the
    three simulated deficiencies."""
    cs = list(dict.fromkeys(c.upper() for c in colours))
    best = math.inf
    for kind in (None, *CVD):
        labs = [simulate_cvd(c, kind) for c in cs]
        for i in range(len(labs)):
            for j in range(i + 1, len(labs)):
                best = min(best, float(np.linalg.norm(labs[i] - labs[j])))
    return best


def distinguishable(kinds: Sequence[str], min_delta_e: float = 20.0) -> list[str]:
    """Pairs of :data:`SERIES` kinds drawn together that a reader could confuse: alike in
    line style and width, and closer than ``min_delta_e`` for some colour vision."""
    bad = []
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            sa, sb = SERIES[a], SERIES[b]
            same_stroke = sa.linestyle == sb.linestyle and abs(sa.linewidth - sb.linewidth) < 1.0
            if same_stroke and min_contrast([sa.colour, sb.colour]) < min_delta_e:
                bad.append(f"{a}/{b}")
    return bad
