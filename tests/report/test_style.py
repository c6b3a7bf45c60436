"""The plotting style: units on every axis, legends off the data, distinguishable lines
(also for colour-blind readers and in grey), whole pods; and every report plot follows it."""

from __future__ import annotations

import io

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from capacity.report import plots, style
from capacity.report.timeline import Clock, Hour, Window

# Kinds drawn together in one panel by the report's plots.
PANELS = [
    ["offered", "served", "capacity", "errors"],
    ["spec_replicas", "ready_replicas", "desired_replicas", "pending_pods"],
    ["p50", "p99", "threshold"],
    ["util_cpu", "util_memory"],
]


def test_units_are_required_on_axis_labels():
    _fig, (ax,) = style.figure()
    with pytest.raises(ValueError, match="names no unit"):
        style.labels(ax, y="replicas")
    style.labels(ax, y="pods (count)")
    assert ax.get_ylabel() == "pods (count)"


def test_a_figure_without_units_is_refused():
    fig, (ax,) = style.figure()
    ax.plot([0, 1], [0, 1])
    ax.set_ylabel("load")  # set directly, bypassing labels()
    found = style.problems(fig)
    assert any("y axis label 'load' names no unit" in p for p in found)
    assert any("x axis label '' names no unit" in p for p in found)
    with pytest.raises(ValueError, match="plot style"):
        style.finish(fig)


def test_legend_over_the_data_is_found_and_outside_legend_is_not():
    fig, (ax,) = style.figure()
    ax.plot(np.arange(10), np.arange(10), label="a")
    style.labels(ax, x="time (s)", y="load (rps)")
    ax.legend(loc="center")
    assert any("legend overlaps" in p for p in style.problems(fig))
    style.legend(ax)  # replaces it, outside on the right
    assert style.problems(fig) == []
    style.legend(ax, where="below")
    assert style.problems(fig) == []


def test_pod_axes_have_integer_ticks():
    fig, (ax,) = style.figure()
    ax.plot([0, 1], [3.0, 3.6])
    style.labels(ax, x="time (s)", y="pods (count)")
    ax._capacity_integer = {"y"}  # claims whole pods, but the ticks are matplotlib's
    assert any("counts pods" in p for p in style.problems(fig))
    style.integer_axis(ax)
    assert style.problems(fig) == []
    ticks = ax.get_yticks()
    assert len(ticks) >= 2 and all(t == int(t) for t in ticks)


def test_two_lines_drawn_alike_are_found():
    fig, (ax,) = style.figure()
    style.line(ax, [0, 1], [0, 1], "offered", "a")
    style.line(ax, [0, 1], [1, 2], "offered", "b")
    style.labels(ax, x="time (s)", y="load (rps)")
    style.legend(ax)
    assert any("drawn alike" in p for p in style.problems(fig))


@pytest.mark.parametrize("panel", PANELS, ids=lambda p: "+".join(p))
def test_series_of_one_panel_are_distinguishable(panel):
    # Same stroke and close colours for some colour vision would be a confusable pair.
    assert style.distinguishable(panel) == []
    strokes = [(style.SERIES[k].linestyle, style.SERIES[k].linewidth) for k in panel]
    assert len(set(strokes)) == len(strokes), "lines also differ without colour (grey print)"


def test_the_checker_catches_red_against_green_for_deuteranopes():
    red, green = "#d62728", "#2ca02c"  # matplotlib's default C3 and C2
    normal = np.linalg.norm(style.simulate_cvd(red, None) - style.simulate_cvd(green, None))
    deutan = np.linalg.norm(style.simulate_cvd(red, "deuteranopia")
                            - style.simulate_cvd(green, "deuteranopia"))
    assert normal > 60 and deutan < normal / 2
    assert style.min_contrast([red, green]) < 25


def test_palette_colours_stay_apart_for_every_colour_vision():
    """Okabe–Ito: the closest pair for the worst of normal vision, protanopia, deuteranopia
    and tritanopia is still about ΔE 16 (matplotlib's default red/green falls to about 7
    for a deuteranope); the panels' series never rely on colour alone (above)."""
    assert style.min_contrast(style.GROUP_COLOURS[:6]) > 15
    for panel in PANELS:
        assert style.min_contrast([style.SERIES[k].colour for k in panel]) > 15, panel


def test_coinciding_spec_and_ready_lines_both_show():
    """The wide light spec band and the thin dark ready line on top: where they are equal
    both colours are on the picture (the old plot drew one colour)."""
    t = np.arange(0, 3600, 15.0)
    df = pd.DataFrame({"time": t, "spec_replicas": 5, "ready_replicas": 5})
    fig, (ax,) = style.figure()
    plots._replica_panel(ax, df, 10)
    style.labels(ax, x="time (s)")
    img = mpimg.imread(io.BytesIO(style.finish(fig)))[..., :3]
    spec = np.array([int(style.SERIES["spec_replicas"].colour[i:i + 2], 16)
                     for i in (1, 3, 5)]) / 255
    blend = 1 - style.SERIES["spec_replicas"].alpha * (1 - spec)  # over white
    near_spec = (np.abs(img - blend).max(axis=-1) < 0.08).sum()
    near_black = (img.max(axis=-1) < 0.15).sum()
    assert near_spec > 500 and near_black > 300


def _ts(days: float = 2.0) -> pd.DataFrame:
    t = np.arange(0, days * 86400, 15.0)
    load = 5 + 4 * np.sin(t / 86400 * 2 * np.pi) ** 2
    spec = np.clip(np.round(load / 2), 3, 10)
    return pd.DataFrame({"run": 0, "time": t, "offered_rps": load, "served_rps": load,
                         "capacity_rps": spec * 3.0, "spec_replicas": spec,
                         "ready_replicas": spec, "desired_replicas": spec,
                         "pending_pods": 0, "error_rps": np.where(np.abs(t - 90000) < 300, 0.5, 0),
                         "latency_p50": 0.2, "latency_p99": 1.0 + load / 10,
                         "cpu_utilization": 60.0, "memory_utilization": 50.0})


def test_every_report_plot_follows_the_style():
    """Each plot function passes :func:`style.problems` (finish raises otherwise) and
    returns a PNG."""
    ts = _ts()
    ck = Clock(0.0)
    wins = [Window("zone outage", 90000, 95000, "zone-a down"),
            Window("spike", 40000, 40600, "load ×2")]
    h = Hour(wins[0], 89400, 93000, 150.0, 600.0, 2.0, 0.9,
             rescales=[(90100.0, "New size: 6; reason: cpu")])
    pngs = [
        plots.week(ts, ck, wins, h, "week", 10, 2 * 86400),
        plots.day(ts[ts.time < 86400], ck, wins, h, "day", 10),
        plots.hour(ts, ck, h, "hour", 10, 2.0),
        plots.latency(ts, ck, [2.0], wins, 2 * 86400, "latency"),
        plots.utilization(ts[ts.time < 86400], ck, "util", 70.0, 80.0),
        plots.cost_breakdown([{"label": "HPA", "cpu": 20, "memory": 5, "idle": 8,
                               "per_month": 25, "per_month_ci95": [24, 26]}], "USD", "cost"),
        plots.cost_vs_slo([{"label": "a", "cost": 10, "budget": 5},
                           {"label": "b", "cost": 20, "budget": 150, "meets": False}],
                          "USD", "error budget used (%)", "pareto"),
    ]
    for png in pngs:
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_week_axis_names_the_weekdays():
    _fig, (ax,) = style.figure()
    ax.plot([0, 7 * 86400], [0, 1])
    plots.time_axis(ax, 0, 7 * 86400, Clock(0.0))
    assert [t.get_text() for t in ax.get_xticklabels()][:4] == ["Mon", "Tue", "Wed", "Thu"]
    plots.time_axis(ax, 2 * 86400 + 9.8 * 3600, 2 * 86400 + 10.8 * 3600, Clock(0.0))
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert names[0] == "09:50\nWed" and names[1] == "10:00"
    # A week starting on a Saturday (simulation.startTime) reads Sat first.
    plots.time_axis(ax, 0, 7 * 86400, Clock(5 * 24.0))
    assert ax.get_xticklabels()[0].get_text() == "Sat"


def test_pareto_labels_never_overlap_and_every_point_is_named():
    """Points at the same spot (two scenarios whose fixed maxReplicas cost and serve the
    same) each keep a visible marker and a label of their own."""
    pts = [{"label": "peak (HPA)", "cost": 35.4, "budget": 0.1, "group": 0, "marker": "o"},
           {"label": "peak: fixed 10", "cost": 73.2, "budget": 0.02, "group": 0, "marker": "s"},
           {"label": "spot: fixed 10", "cost": 73.2, "budget": 0.02, "group": 1, "marker": "s"},
           {"label": "spot (HPA)", "cost": 23.0, "budget": 0.0, "group": 1, "marker": "o"},
           {"label": "zone: fixed 3", "cost": 22.0, "budget": 180.0, "group": 2, "marker": "D",
            "meets": False}]
    fig, (ax,) = style.figure(height=4.8)
    # Draw as cost_vs_slo does, then inspect the annotations it placed.
    for p in pts:
        ax.plot(p["budget"], p["cost"], marker=p["marker"], linestyle="none",
                color=style.GROUP_COLOURS[p["group"]])
    ax.set_xlim(-5, 210)
    ax.set_ylim(0, 90)
    anns = plots._place_labels(ax, fig, [(p["budget"], p["cost"]) for p in pts],
                               [p["label"] for p in pts])
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [a.get_window_extent(r) for a in anns]
    assert [a.get_text() for a in anns] == [p["label"] for p in pts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (anns[i].get_text(), anns[j].get_text())
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_pareto_front():
    pts = [{"cost": 10, "budget": 50}, {"cost": 20, "budget": 10}, {"cost": 30, "budget": 20},
           {"cost": 5, "budget": 200}]
    assert plots.pareto_front(pts) == [3, 0, 1]


def test_cost_vs_slo_axis_starts_at_zero_and_draws_every_value():
    """Not reversed, not clamped: the x axis rises from 0, a point that loses nothing sits
    at 0 (not at 1e-6), and each point is drawn at its own value; linear for values of one
    order of magnitude, symlog (linear to the smallest value's decade) for a wide range."""
    import matplotlib.pyplot as plt

    def draw(budgets):
        captured = {}
        real = plots.finish

        def keep(fig):
            ax = fig.axes[0]
            captured["scale"] = ax.get_xscale()
            captured["xlim"] = ax.get_xlim()
            captured["xs"] = sorted(float(x) for ln in ax.get_lines() for x in ln.get_xdata()
                                    if ln.get_marker() not in (None, "None", ""))
            return real(fig)

        plots.finish = keep
        try:
            plots.cost_vs_slo([{"label": f"p{i}", "cost": 10 + 5 * i, "budget": b}
                               for i, b in enumerate(budgets)], "USD",
                              "error budget used (%)", "t")
        finally:
            plots.finish = real
        plt.close("all")
        return captured

    few = draw([0.0, 37.5, 60.0])
    assert few["scale"] == "linear"
    wide = draw([0.0, 0.13, 40.8, 143.0])
    assert wide["scale"] == "symlog"
    for c, values in ((few, [0.0, 37.5, 60.0]), (wide, [0.0, 0.13, 40.8, 143.0])):
        assert c["xlim"][0] == 0.0 < c["xlim"][1]
        drawn = [round(x, 6) for x in c["xs"]]
        assert all(v in drawn for v in values), (values, drawn)


def test_coinciding_markers_are_set_side_by_side():
    """Three configurations with the same cost and attainment (fixed maxReplicas of three
    scenarios): each marker is drawn, none on another."""
    import matplotlib.pyplot as plt

    fig, (ax,) = style.figure()
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    fig.canvas.draw()
    at = plots._dodge(ax, [(10.0, 73.2), (10.0, 73.2), (10.0, 73.2), (60.0, 20.0)])
    px = [ax.transData.transform(p) for p in at]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.hypot(*(px[i] - px[j])) >= 10.9
    assert at[0] == pytest.approx((10.0, 73.2)) and at[3] == pytest.approx((60.0, 20.0))
    plt.close(fig)
