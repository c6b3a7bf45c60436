"""What the notebooks show: the verdict box, tables instead of raw dicts, times as weekday
clock times, event messages whole, and figures drawn in the report's style.

Every function returns something Jupyter displays (an ``IPython.display.HTML``, a pandas
``DataFrame`` or ``Styler``, or a matplotlib figure), so a cell ends with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from capacity.report import fmt, plots, style, timeline
from capacity.report.document import Box, _box_html
from capacity.report.timeline import Clock
from capacity.report.verdict import HpaSafety, hpa_safety, verdict
from capacity.scenario.model import Scenario

_CSS = ("<style>section.verdict{border:3px solid #888;border-left-width:12px;border-radius:4px;"
        "padding:.3em 1em .5em;margin:.5em 0;font-family:sans-serif}"
        "section.verdict table{border-collapse:collapse;width:100%}"
        "section.verdict th{text-align:left;width:12em;white-space:nowrap;vertical-align:top;"
        "padding:.2em .5em}section.verdict td{text-align:left;padding:.2em .5em}"
        ".v-ok{border-color:#009E73}.v-warn{border-color:#E69F00}.v-fail{border-color:#D55E00}"
        ".status{display:inline-block;padding:0 .5em;margin-right:.5em;border-radius:3px;"
        "color:#fff}.v-ok .status{background:#00785a}.v-warn .status{background:#8a5f00}"
        ".v-fail .status{background:#b34700}</style>")


def verdict_box(scenario: Scenario, summary: Mapping[str, Any],
                zone_down: Mapping[str, Any] | None = None) -> Any:
    """The report's verdict box for one simulation, as HTML."""
    from IPython.display import HTML

    from capacity.report.build import verdict_box as box

    safety: HpaSafety | None = hpa_safety(scenario, summary, zone_down)
    v = verdict(scenario, summary, safety)
    b: Box = box(v, f"Verdict: {scenario.name}", "verdict", dict(summary))
    return HTML(_CSS + _box_html(b))


def slo_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per SLO: good fraction, met, error budget used, and per 30-day month the
    minutes and requests spent of the budget."""
    rows = []
    for s in summary.get("slo") or []:
        g = s["good_fraction"]
        rows.append({"objective": s["name"], "good": fmt.near_one(g["mean"]),
                     "95% interval": fmt.interval(g.get("ci95"), fmt.near_one),
                     "met": "yes" if s["met"] else "NO",
                     "error budget used": fmt.pct(s["error_budget_used"], 1),
                     "minutes a month (spent / budget)":
                         f"{fmt.count(s['bad_minutes_per_month'])} / "
                         f"{fmt.count(s['budget_minutes_per_month'])}",
                     "requests a month (bad / budget)":
                         f"{fmt.count(s['bad_requests_per_month'])} / "
                         f"{fmt.count(s['budget_requests_per_month'])}"})
    df = pd.DataFrame(rows)
    if rows and (df["95% interval"] == fmt.NO_INTERVAL).all():
        df = df.drop(columns="95% interval")  # one run: no interval to show
    return df.set_index("objective") if rows else df


def figures(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The headline figures of a summary, each with its unit and interval."""
    lat, err, av = summary.get("latency") or {}, summary.get("errors") or {}, summary["availability"]
    c, rp = summary["cost"], summary["replicas"]
    rows = [("requests served", fmt.with_interval(av["requests_served"]["mean"],
                                                  av["requests_served"].get("ci95"), fmt.near_one))]
    for k in ("p50", "p99"):
        if k in lat:
            rows.append((f"latency {k}", fmt.with_interval(lat[k]["mean"], lat[k].get("ci95"),
                                                           fmt.seconds)))
    if err:
        rows.append(("failed requests", fmt.with_interval(err["rate"]["mean"],
                                                          err["rate"].get("ci95"),
                                                          lambda v: fmt.pct(v, 5))))
    rows.append(("time all desired pods ready",
                 fmt.near_one(av.get("time_all_desired_ready", {}).get("mean"))))
    rows.append(("spec.replicas min / mean / max", f"{rp['min']} / {rp['mean']:.2f} / {rp['max']}"))
    rows.append((f"cost a month ({c['currency']})",
                 fmt.with_interval(c["per_month"], c.get("per_month_ci95"))))
    return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")


def _wrap(df: pd.DataFrame) -> Any:
    """A Styler that shows every cell whole (no '...'), left-aligned and wrapped."""
    return (df.style.hide(axis="index")
            .set_properties(**{"text-align": "left", "white-space": "pre-wrap"})
            .set_table_styles([{"selector": "th", "props": "text-align: left;"}]))


def events(ev: pd.DataFrame | None, ck: Clock, reasons: Sequence[str] | None = None,
           start: float | None = None, end: float | None = None, run: int = 0) -> Any:
    """Events of ``run`` as ``kubectl get events`` prints them: weekday time, reason, object
    and the whole message (nothing cut off)."""
    cols = ["time", "reason", "object", "message"]
    if ev is None or ev.empty:
        return _wrap(pd.DataFrame(columns=cols))
    e = ev[ev["run"] == run] if "run" in ev else ev
    if reasons is not None:
        e = e[e["reason"].isin(list(reasons))]
    if start is not None:
        e = e[e["time"] >= start]
    if end is not None:
        e = e[e["time"] < end]
    df = pd.DataFrame({"time": [ck(float(t), seconds=True) for t in e["time"]],
                       "reason": e["reason"].to_numpy(),
                       "object": [f"{k}/{n}" for k, n in zip(e["kind"], e["name"], strict=True)],
                       "message": e["message"].to_numpy()})
    return _wrap(df)


def drains(summary: Mapping[str, Any], ck: Clock) -> pd.DataFrame:
    """Each drain of run 0: node, start as a weekday time, how long it took and how long
    the PDB blocked it, and the evictions it refused."""
    rows = []
    for d in (summary.get("drains") or {}).get("by_node") or []:
        rows.append({"node": d["node"], "why": d.get("reason", ""),
                     "started": ck(float(d["start"]), seconds=True),
                     "took": timeline.duration_text(float(d["duration"])),
                     "blocked by the PDB": timeline.duration_text(float(d["blocked_seconds"])),
                     "evictions refused (429)": int(d.get("refusals", 0))})
    return pd.DataFrame(rows)


class Drawn:
    """A finished figure: Jupyter shows its PNG; ``figure`` keeps the (closed) matplotlib
    figure for a reader, or a test, to inspect."""

    def __init__(self, figure: Any) -> None:
        import matplotlib.pyplot as plt

        self.figure = figure
        self.png = style.finish_png(figure)
        plt.close(figure)

    def _repr_png_(self) -> bytes:
        return self.png


def replicas_figure(runs: Mapping[str, pd.DataFrame], ck: Clock, start: float, end: float,
                    title: str, pending: bool = True) -> Drawn:
    """spec.replicas and ready pods of every run given (a name per timeseries, run 0 of
    each), and their Pending pods below, between ``start`` and ``end``; whole-pod axes."""
    fig, (a, b) = style.figure(2, 1, height=5.2, sharex=True)
    colours = style.GROUP_COLOURS
    top = 1.0
    for i, (name, ts) in enumerate(runs.items()):
        w = ts[(ts["time"] >= start) & (ts["time"] <= end)]
        if "run" in w:
            w = w[w["run"] == w["run"].min()]
        c = colours[i % len(colours)]
        a.step(w["time"], w["spec_replicas"], where="post", color=c, linewidth=4.0,
               alpha=0.35, label=f"spec.replicas, {name}")
        a.step(w["time"], w["ready_replicas"], where="post", color=c, linewidth=1.4,
               linestyle=["--", "-.", ":", (0, (5, 1))][i % 4], label=f"ready, {name}")
        if pending:
            b.step(w["time"], w["pending_pods"], where="post", color=c, linewidth=1.6,
                   linestyle=["-", "--", "-.", ":"][i % 4], label=f"Pending, {name}")
        top = max(top, float(w["spec_replicas"].max()), float(w["ready_replicas"].max()),
                  float(w["pending_pods"].max()))
    for ax in (a, b):
        ax.set_ylim(0, top + 1)
        style.integer_axis(ax)
        style.legend(ax)
    style.labels(a, y="pods (count)")
    style.labels(b, y="Pending pods (count)")
    a.set_title(title, loc="left")
    plots.time_axis(b, start, end, ck)
    style.labels(b, x=plots.TIME_LABEL)
    return Drawn(fig)


def history(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The configurations tried in an explorer, one row each."""
    return pd.DataFrame(list(rows))


# --- the report's figures, for one simulation ---------------------------------------------


def _evidence(scenario: Scenario, result: Any) -> Any:
    from capacity.report import sections

    return sections.evidence(scenario, result.summary, result.timeseries, result.events)


def week(scenario: Scenario, result: Any) -> Any:
    """Run 0 over the whole run, as in the report: load against capacity with failures and
    the hardest hour marked, then replicas."""
    from IPython.display import Image

    ev = _evidence(scenario, result)
    h = scenario.autoscaling.horizontal
    dur = float(result.summary["duration_seconds"])
    return Image(plots.week(ev.ts0, ev.clock, ev.windows, ev.hardest,
                            f"{scenario.name}: run 0, {timeline.duration_text(dur)} from "
                            f"{ev.clock(0)}", h.maxReplicas if h else None, dur))


def hardest_hour(scenario: Scenario, result: Any) -> tuple[Any, Any, Any]:
    """(the hardest hour, its figure, the scored candidates as a table), as in the report."""
    from IPython.display import Image

    ev = _evidence(scenario, result)
    h = ev.hardest
    cands = pd.DataFrame([{"window": c.label, "failed requests": fmt.count(c.failed_requests),
                           "p99 above the SLO": timeline.duration_text(c.seconds_over_latency),
                           "highest p99": fmt.seconds(c.max_p99),
                           "hardest": "◀" if c is h else ""} for c in ev.candidates])
    if h is None:
        return None, None, cands
    hpa = scenario.autoscaling.horizontal
    img = Image(plots.hour(ev.ts0, ev.clock, h, f"{scenario.name}: the {h.label}",
                           hpa.maxReplicas if hpa else None,
                           timeline.tightest_latency(scenario)))
    return h, img, cands


def targets(scenario: Scenario) -> dict[str, float]:
    """SLO name -> target, named as the summary names them."""
    from capacity.analysis.slo import _ms, _pct

    o = scenario.objectives
    out = {}
    if o.availability is not None:
        out[f"availability {_pct(o.availability)}"] = float(o.availability)
    for lo in o.latency or []:
        out[f"latency {_pct(lo.target)} within {_ms(lo.threshold)}"] = float(lo.target)
    return out


def _budget_used(row: Mapping[str, Any], tg: Mapping[str, float]) -> float:
    used = [(1 - s["good_fraction"]) / (1 - tg[s["name"]]) * 100.0
            for s in row.get("slo") or [] if s["name"] in tg and tg[s["name"]] < 1]
    return max(used) if used else 0.0


def _short(params: Mapping[str, Any]) -> str:
    """A point's values, in the order of the grid: ``3 / 70``."""
    return " / ".join(str(v) for v in params.values())


def sweep_table(rows: Sequence[Mapping[str, Any]], tg: Mapping[str, float]) -> pd.DataFrame:
    """A sweep's rows, cheapest first: parameters, cost, p99, the largest share of an
    error budget used, and whether the point is safe (or why not)."""
    recs = []
    for r in rows:
        d: dict[str, Any] = {k.rsplit(".", 1)[-1]: v for k, v in r["parameters"].items()}
        d[f"cost a month ({r['currency']})"] = fmt.money(r["cost_per_month"])
        d["p99"] = fmt.seconds(r["latency_p99"]["mean"])
        d["error budget used (worst SLO)"] = fmt.pct(_budget_used(r, tg) / 100, 1)
        d["every SLO met"] = "yes" if r["meets_objectives"] else "no"
        d["safe"] = "yes" if r["safe"] else "no"
        d["why not"] = r["excluded"] or "; ".join(r.get("missed") or []) or ""
        recs.append(d)
    return pd.DataFrame(recs)


def pareto(rows: Sequence[Mapping[str, Any]], tg: Mapping[str, float], title: str) -> Any:
    """Cost against SLO attainment of every sweep point, labelled with its values: safe
    points, points that meet the SLOs but are unsafe, points that miss one (hollow); the
    Pareto front; the cheapest safe point as a star."""
    from IPython.display import Image

    cheapest = next((i for i, r in enumerate(rows) if r["safe"]), None)
    pts = []
    for i, r in enumerate(rows):
        group = 0 if r["safe"] else (1 if r["meets_objectives"] else 2)
        pts.append({"label": _short(r["parameters"]), "cost": r["cost_per_month"],
                    "cost_ci95": r.get("cost_per_month_ci95"), "budget": _budget_used(r, tg),
                    "group": group, "marker": "*" if i == cheapest else "o",
                    "meets": bool(r["meets_objectives"])})
    cur = rows[0]["currency"] if rows else "USD"
    names = " / ".join(k.rsplit(".", 1)[-1] for k in (rows[0]["parameters"] if rows else {}))
    return Image(plots.cost_vs_slo(
        pts, cur, "largest share of an error budget used (% of the budget)",
        f"{title} (labels: {names})" if names else title,
        groups=["safe", "meets the SLOs, not safe", "misses an SLO"],
        kinds={"*": "the cheapest safe point", "o": "another point"}))
