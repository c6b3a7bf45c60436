"""Scenarios side by side: every figure of each against the first, and cost against SLO
attainment as one plot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from capacity.report import plots
from capacity.report.document import STATUS_TEXT, Document, Heading, Para, Table
from capacity.report.fmt import (
    count,
    diff_points,
    diff_relative,
    money,
    near_one,
    pct,
    seconds,
)
from capacity.report.verdict import HpaSafety, Verdict

Getter = Callable[[Mapping[str, Any]], Any]


def _slo(summary: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return next((s for s in summary.get("slo") or [] if s["name"] == name), None)


def _get(d: Any, *path: Any) -> Any:
    for p in path:
        if d is None:
            return None
        d = d.get(p) if isinstance(d, Mapping) else None
    return d


def _rows(summaries: Sequence[Mapping[str, Any]]) -> list[tuple[str, Getter, Callable[[Any], str], str]]:
    """(figure, getter, format, difference kind): ``pp`` percentage points, ``rel`` absolute
    and relative, ``int`` a whole-number difference, ``""`` none."""
    rows: list[tuple[str, Getter, Callable[[Any], str], str]] = []
    names = list(dict.fromkeys(s["name"] for sm in summaries for s in sm.get("slo") or []))
    for n in names:
        rows += [
            (f"{n}: good", lambda sm, n=n: _get(_slo(sm, n), "good_fraction", "mean"), near_one, "pp"),
            (f"{n}: met", lambda sm, n=n: None if _slo(sm, n) is None else
             ("yes" if _slo(sm, n)["met"] else "no"), str, ""),  # type: ignore[index]
            (f"{n}: error budget used", lambda sm, n=n: _get(_slo(sm, n), "error_budget_used"),
             lambda v: pct(v, 1), "pp"),
            (f"{n}: budget minutes spent a month",
             lambda sm, n=n: _get(_slo(sm, n), "bad_minutes_per_month"),
             lambda v: f"{count(v)} min", "rel"),
            (f"{n}: bad requests a month",
             lambda sm, n=n: _get(_slo(sm, n), "bad_requests_per_month"), count, "rel"),
        ]
    rows += [
        ("latency p50", lambda sm: _get(sm, "latency", "p50", "mean"), seconds, "rel"),
        ("latency p99", lambda sm: _get(sm, "latency", "p99", "mean"), seconds, "rel"),
        ("failed requests", lambda sm: _get(sm, "errors", "rate", "mean"), lambda v: pct(v, 5), "pp"),
        ("requests served", lambda sm: _get(sm, "availability", "requests_served", "mean"),
         near_one, "pp"),
        ("time at full capacity", lambda sm: _get(sm, "availability", "time_at_full_capacity",
                                                  "mean"), near_one, "pp"),
        ("time all desired pods ready", lambda sm: _get(sm, "availability",
                                                        "time_all_desired_ready", "mean"),
         near_one, "pp"),
        ("spec.replicas, mean", lambda sm: _get(sm, "replicas", "mean"), lambda v: f"{v:.2f}", "rel"),
        ("ready pods, fewest", lambda sm: _get(sm, "replicas", "ready", "min"), lambda v: f"{v:g}",
         "int"),
        ("cost a month, the pods' requests", lambda sm: _get(sm, "cost", "per_month"), money, "rel"),
        ("cost a month, the nodes", lambda sm: _get(sm, "cost", "nodes", "per_month"), money, "rel"),
        ("cost per million served requests", lambda sm: _get(sm, "cost", "per_million_requests"),
         money, "rel"),
        ("idle share of the cost", lambda sm: _get(sm, "cost", "idle_fraction"),
         lambda v: pct(v, 1), "pp"),
        ("pod-hours on spot", lambda sm: _get(sm, "cost", "breakdown", "spot", "pod_hours_share"),
         lambda v: pct(v, 1), "pp"),
        ("cheapest safe fixed replicas", lambda sm: _get(sm, "cost", "comparisons",
                                                         "fixed_min_meeting_objective", "replicas"),
         lambda v: f"{v:g}", "int"),
        ("its cost a month", lambda sm: _get(sm, "cost", "comparisons",
                                             "fixed_min_meeting_objective", "per_month"), money, "rel"),
    ]
    return rows


def _diff(kind: str, a: Any, b: Any, fmt: Callable[[Any], str], currency: str) -> str:
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return "" if kind == "" else ("same" if a == b and a is not None else "–")
    if kind == "pp":
        return diff_points(a, b)
    if kind == "int":
        d = b - a
        return "±0" if d == 0 else ("+" if d > 0 else "−") + f"{abs(d):g}"
    if kind == "rel":
        return diff_relative(a, b, lambda v: fmt(v).replace(" min", ""))
    return ""


def side_by_side(doc: Document, names: Sequence[str], summaries: Sequence[Mapping[str, Any]],
                 verdicts: Sequence[Verdict], safeties: Sequence[HpaSafety | None],
                 scenarios_have_hpa: Sequence[bool]) -> None:
    """The comparison table (each figure of each scenario, and its difference from the
    first) and the cost-against-SLO plot."""
    doc.add(Heading(2, "Side by side: each scenario against the first"))
    cur = summaries[0]["cost"]["currency"]
    headers = ["figure", f"`{names[0]}`"]
    for n in names[1:]:
        headers += [f"`{n}`", "difference"]
    body = [["verdict", *[
        x for i, v in enumerate(verdicts)
        for x in ([STATUS_TEXT[v.status] + " " + v.headline]
                  + ([] if i == 0 else [""]))]]]
    for label, get, fmt, kind in _rows(summaries):
        vals = [get(s) for s in summaries]
        if all(v is None for v in vals):
            continue
        row = [label, "–" if vals[0] is None else fmt(vals[0])]
        for v in vals[1:]:
            row += ["–" if v is None else fmt(v), _diff(kind, vals[0], v, fmt, cur)]
        body.append(row)
    safe_row = ["HPA configuration safe"]
    for i, (sf, has) in enumerate(zip(safeties, scenarios_have_hpa, strict=True)):
        val = "no HPA" if not has or sf is None else {True: "yes", False: "no", None: "not checked"}[sf.safe]
        safe_row += [val] if i == 0 else [val, ""]
    body.append(safe_row)
    doc.add(Table(headers, body, align="l" + "r" * (len(headers) - 1),
                  caption=f"Costs in {cur}. Differences against the first scenario: shares in "
                          "percentage points (pp), amounts absolute and relative. Means over "
                          "runs; each scenario's own section gives the intervals."))
    points, xlabel, limit = cost_points(names, summaries)
    if points:
        doc.image("cost-vs-slo.png",
                  plots.cost_vs_slo(points, cur, xlabel, "cost against SLO attainment",
                                    limit=limit, groups=list(names), kinds=KINDS),
                  "cost against SLO attainment",
                  "One colour per scenario; ○ with its HPA, □ fixed maxReplicas, ◇ the "
                  "cheapest safe fixed count (the number beside a square or diamond is its "
                  "replica count); hollow markers miss an SLO. x: the largest share of an "
                  "error budget the configuration's SLOs used (availability on the "
                  "comparisons' one estimator; fixed maxReplicas: availability only), linear "
                  "to 1% and logarithmic beyond, 0 at 0; markers on the same spot are set "
                  "side by side. The dashed line is the Pareto front; 95% intervals over "
                  "runs.")
        doc.add(Para("Lower left is better: cheaper and spending less of the error budget. A "
                     "point right of the dotted line misses its SLO."))


def _budget(served: float | None, objective: float | None) -> float | None:
    if served is None or objective is None or objective >= 1:
        return None
    return max(1.0 - served, 0.0) / (1.0 - objective) * 100.0


KINDS = {"o": "with its HPA", "s": "fixed maxReplicas", "D": "cheapest safe fixed count"}


def cost_points(names: Sequence[str], summaries: Sequence[Mapping[str, Any]]
                ) -> tuple[list[dict[str, Any]], str, float | None]:
    """The plot's points: each HPA and its fixed comparisons, at the largest share of an
    error budget any of their known SLOs used (availability on the comparisons' one
    estimator; latency where the configuration's SLOs were kept, i.e. not for fixed
    maxReplicas), or at requests lost per million when a scenario sets no availability
    objective."""
    objs = [_get(s, "availability", "objective") for s in summaries]
    use_budget = all(o is not None for o in objs)
    xlabel = ("largest share of an error budget used (% of the budget)" if use_budget
              else "requests not served (per million)")
    pts: list[dict[str, Any]] = []
    for g, s in enumerate(summaries):
        obj = _get(s, "availability", "objective")
        cmp_ = _get(s, "cost", "comparisons") or {}
        cmp_ = cmp_ if cmp_.get("computed") else {}
        hpa_a = _get(cmp_, "hpa", "availability") or _get(s, "availability", "requests_served")

        def x(a: Mapping[str, Any] | None, slos: Sequence[Mapping[str, Any]] | None,
              obj: float | None = obj) -> tuple[float, list[float] | None]:
            lat = [100.0 * sl["error_budget_used"] for sl in slos or [] if sl["sli"] == "latency"]
            if a is None:
                return (max(lat) if lat else 0.0), None
            m, ci = a["mean"], a.get("ci95")
            if not use_budget:
                return (1 - m) * 1e6, None if not ci else [(1 - ci[1]) * 1e6, (1 - ci[0]) * 1e6]
            b = _budget(m, obj) or 0.0
            if lat and max(lat) > b:
                return max(lat), None  # the latency SLO binds: its interval is not kept here
            return b, None if not ci else sorted([_budget(ci[1], obj) or 0.0,
                                                  _budget(ci[0], obj) or 0.0])

        met = all(sl["met"] for sl in s.get("slo") or [])
        b, bci = x(hpa_a, s.get("slo"))
        pts.append({"label": "HPA" if cmp_ else names[g], "cost": s["cost"]["per_month"],
                    "cost_ci95": s["cost"].get("per_month_ci95"), "budget": b,
                    "budget_ci95": bci, "group": g, "marker": "o", "meets": met})
        for key, marker in (("fixed_max_replicas", "s"), ("fixed_min_meeting_objective", "D")):
            e = cmp_.get(key)
            if not e:
                continue
            slo = e.get("slo")
            b, bci = x(e.get("availability"), slo)
            meets = all(sl["met"] for sl in slo) if slo else (b <= 100.0 if use_budget else True)
            pts.append({"label": f"{e['replicas']}", "cost": e["per_month"],
                        "cost_ci95": e.get("per_month_ci95"), "budget": b, "budget_ci95": bci,
                        "group": g, "marker": marker, "meets": meets})
    return pts, xlabel, 100.0 if use_budget else None
