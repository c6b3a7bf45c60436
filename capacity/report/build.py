"""Build the cost and availability report for one or several scenarios.

:func:`run_scenarios` simulates each scenario (same seed, runs and duration for all) and
fills the summary's ``cost`` block with :func:`capacity.analysis.cost.cost_summary`,
comparisons against fixed replicas included. :func:`build_document` turns the results
into a :class:`~capacity.report.document.Document`; :func:`write_report` writes it as
HTML or Markdown, whole or not at all. Nothing in the report depends on the wall clock,
so the same seed gives the same report.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

import capacity
from capacity.analysis.cost import HOURS_PER_MONTH, cost_summary, effective_pricing
from capacity.k8s.quantity import Quantity, format_quantity
from capacity.report import plots, seed_claims
from capacity.report.document import (
    NO_INTERVAL,
    Bullets,
    Document,
    Heading,
    Para,
    Table,
    to_html,
    to_markdown,
)
from capacity.scenario.loader import load_scenario
from capacity.scenario.model import Scenario

WorkedExample = Literal["auto", "off"]
NO_CI = NO_INTERVAL


@dataclass
class ScenarioRun:
    """One scenario's results as the report uses them."""

    scenario: Scenario
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    worked_example: dict[str, Any] | None = None


def run_scenarios(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    *,
    runs: int | None = None,
    seed: int | None = None,
    duration: float | str | None = None,
    workers: int | None = None,
    compare: bool = True,
    search_runs: int = 3,
    worked_example: WorkedExample = "auto",
) -> list[ScenarioRun]:
    """Simulate every scenario and compute its cost block (with comparisons).

    ``runs``/``seed``/``duration`` default to each scenario's own; ``worked_example``
    ``auto`` adds the seed's cost claims for the seed's workload (sandbox-executor).
    Raises :class:`capacity.ScenarioError` for invalid input.
    """
    from capacity.scenario.durations import parse_duration

    out = []
    worked = False
    for s in scenarios:
        sc = s if isinstance(s, Scenario) else load_scenario(Path(s))
        effective_pricing(sc)  # a bad price file fails before any simulation
        dur = float(parse_duration(duration)) if duration is not None else sc.simulation.duration
        sd = seed if seed is not None else sc.simulation.seed
        from capacity.analysis.episodes import DEFAULT_EPISODES, failure_kinds

        res = capacity.simulate(sc, runs=runs, seed=sd, duration=dur, workers=workers,
                                record="first", progress=False,
                                episodes=DEFAULT_EPISODES if failure_kinds(sc) else 0)
        summary = dict(res.summary)
        summary["cost"] = cost_summary(sc, res.outcomes, seed=sd, duration=dur,
                                       compare=compare, search_runs=search_runs,
                                       workers=workers, availability=summary["availability"])
        we = None
        # The worked example is about the seed's workload; it appears once per report.
        if worked_example == "auto" and not worked and seed_claims.applies(sc):
            worked = True
            we = {
                "slips": seed_claims.arithmetic_slips(sc),
                "arithmetic": seed_claims.seed_arithmetic(sc),
                "saving": seed_claims.saving_claim(sc, runs=len(res.outcomes), seed=sd,
                                                   duration=dur, workers=workers),
            }
        out.append(ScenarioRun(sc, summary, res.timeseries, we))
    return out


# --- formatting ------------------------------------------------------------------------------


def money(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4f}"


def pct(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x * 100:.{digits}f}%"


def interval(ci: Sequence[float] | None, fmt: Any = money) -> str:
    return NO_CI if not ci else f"[{fmt(ci[0])}, {fmt(ci[1])}]"


def _dur(seconds: float) -> str:
    if seconds == 0:
        return "0 s"
    if seconds % 86400 == 0:
        return f"{seconds / 86400:g} d"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds:g} s"


def _res(m: dict[str, Any] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (m or {}).items()) or "–"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


# --- sections --------------------------------------------------------------------------------


def _config_rows(sc: Scenario, summary: dict[str, Any]) -> list[list[str]]:
    from capacity.sim.workload import WorkloadModel

    wl = WorkloadModel.from_scenario(sc)
    spec = sc.workload.deployment.template.spec
    rows = [["scenario", f"`{sc.name}`" + (f" ({Path(sc.source).name})" if sc.source else "")]]
    if sc.description:
        rows.append(["description", " ".join(sc.description.split())])
    rows += [
        ["Kubernetes", sc.kubernetesVersion],
        ["simulation", f"{summary['runs']} run(s) × {_dur(summary['duration_seconds'])}, "
                       f"seed {summary['seed']}, warm-up {_dur(summary.get('warmup_seconds', 0))}"],
    ]
    for c in spec.containers:
        r = c.resources
        rows.append([f"container `{c.name}`",
                     f"requests {_res(r.requests if r else None)}; "
                     f"limits {_res(r.limits if r else None)}"])
    oh = ", ".join(f"{k} {format_quantity(Quantity.from_milli(v))}" for k, v in wl.overhead.items())
    rc = sc.workload.runtimeClass
    rows.append(["RuntimeClass", (rc.name if rc and rc.name else (spec.runtimeClassName or "–"))
                 + (f", overhead {oh}" if oh else ", no overhead declared")])
    rows.append(["pod requests (costed)",
                 f"cpu {wl.requests.get('cpu', 0) / 1000:g} cores, memory "
                 f"{wl.requests.get('memory', 0) / 1000 / 2**30:g} GiB (overhead included)"])
    h = sc.autoscaling.horizontal
    if h is not None:
        ms = []
        for m in h.metrics or []:
            src = m.resource or m.containerResource
            if src is not None and src.target.averageUtilization:
                ms.append(f"{src.name} {src.target.averageUtilization}%")
            else:
                ms.append(m.type)
        rows.append(["HPA", f"{h.minReplicas}–{h.maxReplicas} replicas on "
                            + (", ".join(ms) or "cpu 80% (default)")])
        b = h.behavior
        for name in ("scaleUp", "scaleDown"):
            r = getattr(b, name, None) if b is not None else None
            if r is not None:
                pol = ", ".join(f"{p.value}{'%' if p.type == 'Percent' else (' pod' if p.value == 1 else ' pods')}/{p.periodSeconds}s"
                                for p in r.policies or [])
                rows.append([f"HPA {name}",
                             f"window {r.stabilizationWindowSeconds}s; policies {pol or 'default'}; "
                             f"select {r.selectPolicy or 'Max'}"])
    else:
        rows.append(["replicas", f"{sc.workload.deployment.replicas} fixed (no HPA)"])
    pdb = sc.disruption.podDisruptionBudget
    if pdb is not None:
        rows.append(["PodDisruptionBudget",
                     f"minAvailable {pdb.minAvailable}" if pdb.minAvailable is not None
                     else f"maxUnavailable {pdb.maxUnavailable}"])
    load = sc.load.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    text = json.dumps(load, separators=(", ", ": "))
    rows.append(["load", text if len(text) <= 240 else text[:237] + "…"])
    if sc.cluster is not None:
        for p in sc.cluster.nodePools:
            rows.append([f"node pool `{p.name}`",
                         f"{_res(p.allocatable)}; {p.nodesPerZone}/zone"
                         + (", spot" if p.spot else "")
                         + (f", {p.pricePerHour}/h" if p.pricePerHour is not None else "")])
    c = summary["cost"]
    pr = c["prices"]
    rows.append(["prices", f"{pr['source']}: {pr['cpu_per_hour']} {c['currency']}/vCPU-h, "
                           f"{pr['memory_gib_per_hour']} {c['currency']}/GiB-h (spot "
                           f"{pr['spot_cpu_per_hour']}, {pr['spot_memory_gib_per_hour']})"])
    o = sc.objectives
    rows.append(["objectives", ", ".join(
        x for x in [f"availability {pct(o.availability)} of requests served"
                    if o.availability is not None else "",
                    f"budget {money(o.monthlyBudget)} {c['currency']}/month"
                    if o.monthlyBudget is not None else ""] if x) or "–"])
    return rows




def _availability(doc: Document, summary: dict[str, Any]) -> None:
    a = summary["availability"]
    rows = []
    for key, label in (("requests_served", "requests served"),
                       ("time_with_ready_pod", "time with a ready pod"),
                       ("time_at_full_capacity", "time at full capacity (ready pods could "
                                                 "serve all offered load)"),
                       ("time_all_desired_ready", "time all desired pods ready (ready ≥ "
                                                  "spec.replicas)")):
        if key not in a:
            continue
        e = a[key]
        rows.append([label, pct(e["mean"], 4), interval(e.get("ci95"), lambda v: pct(v, 4))])
    for k, e in (a.get("time_with_at_least") or {}).items():
        rows.append([f"  time with at least {k} ready pod{'s' if k != '1' else ''}",
                     pct(e["mean"], 2), interval(e.get("ci95"), lambda v: pct(v, 2))])
    rp = summary["replicas"]
    rd = rp.get("ready")
    rows.append(["spec.replicas min / mean / max", f"{rp['min']} / {rp['mean']:.2f} / {rp['max']}",
                 interval(rp.get("mean_ci95"), lambda v: f"{v:.2f}")])
    if rd:
        rows.append(["ready pods min / mean / max", f"{rd['min']} / {rd['mean']:.2f} / {rd['max']}",
                     ""])
    ep = a.get("episodes")
    if ep:
        e = ep["requests_served"]
        rows.append(["requests served, rare failures weighted by their rates", pct(e["mean"], 4),
                     interval(e.get("ci95"), lambda v: pct(v, 4))])
        for kind, k in ep["by_kind"].items():
            rows.append([f"  {kind}: {k['rate_per_year']:.2f} per year, requests lost per episode",
                         f"{k['lost_requests_per_episode']['mean']:.0f}",
                         interval(k["lost_requests_per_episode"].get("ci95"), lambda v: f"{v:.0f}")])
    caption = a["requests_served"].get("estimator")
    if ep:
        caption = f"{caption}; rare failures: {ep['requests_served']['estimator']}"
    for n in summary.get("notices") or []:
        doc.add(Para(f"**Note:** {n}."))
    doc.add(Table(["measure", "mean", "95% interval over runs"], rows, caption=caption))
    obj = a.get("objective")
    if obj is not None:
        e = (ep or a)["requests_served"]
        lo = e["ci95"][0] if e.get("ci95") else e["mean"]
        verdict = ("met" if lo >= obj else
                   "met by the mean but not by the interval's lower end" if e["mean"] >= obj
                   else "**not met**")
        doc.add(Para(f"Objective: {pct(obj, 2)} of requests served — {verdict}."))


def _utilization(doc: Document, run: ScenarioRun, day: pd.DataFrame, prefix: str) -> None:
    sc, summary = run.scenario, run.summary
    b = summary["cost"]["breakdown"]
    cpu_t = mem_t = None
    h = sc.autoscaling.horizontal
    for m in (h.metrics or []) if h is not None else []:
        if m.resource is not None and m.resource.target.averageUtilization:
            if m.resource.name == "cpu":
                cpu_t = float(m.resource.target.averageUtilization)
            elif m.resource.name == "memory":
                mem_t = float(m.resource.target.averageUtilization)
    ts = run.timeseries
    rows = []
    if len(ts) and ts["cpu_utilization"].notna().any():
        rows.append(["CPU utilization the HPA saw (mean over syncs)",
                     f"{ts['cpu_utilization'].mean():.1f}%"])
    if len(ts) and "memory_utilization" in ts and ts["memory_utilization"].notna().any():
        rows.append(["memory utilization the HPA saw (mean over syncs)",
                     f"{ts['memory_utilization'].mean():.1f}%"])
    for res, unit, use, req in (("CPU", "core-h", "usage_core_hours", "request_core_hours"),
                                ("memory", "GiB-h", "usage_gib_hours", "request_gib_hours")):
        x = b["cpu" if res == "CPU" else "memory"]
        share = x[use] / x[req] if x[req] > 0 else math.nan
        rows.append([f"{res} used / requested (pod requests incl. overhead)",
                     f"{x[use]:,.1f} / {x[req]:,.1f} {unit} = {pct(share, 1)}"])
    doc.add(Table(["utilization", "value"], rows, align="lr"))
    if len(day) and (day["cpu_utilization"].notna().any()
                     or day.get("memory_utilization", pd.Series(dtype=float)).notna().any()):
        doc.image(f"{prefix}utilization.png",
                  plots.utilization(day, f"{sc.name}: utilization of requests", cpu_t, mem_t),
                  "utilization against the HPA targets",
                  "CPU and memory use as a percentage of the containers' requests, as the "
                  "HPA saw them (metrics-server samples), with the HPA targets dotted.")


def _cost(doc: Document, run: ScenarioRun, prefix: str) -> None:
    c = run.summary["cost"]
    cur = c["currency"]
    doc.add(Para(f"Basis: {c['basis']}. Prices: **{c['prices']['source']}**, {cur} per hour "
                 f"(vCPU {c['prices']['cpu_per_hour']}, GiB {c['prices']['memory_gib_per_hour']}). "
                 f"A month is {HOURS_PER_MONTH:g} hours."))
    days = c["measured_hours"] / 24
    rows = [
        [f"total for the run ({days:g} days measured)", money(c["total"]), interval(c.get("total_ci95"))],
        ["per day", money(c["per_day"]), interval(c.get("per_day_ci95"))],
        ["per month (730 h)", money(c["per_month"]), interval(c.get("per_month_ci95"))],
        ["per million served requests", money(c["per_million_requests"]),
         interval(c.get("per_million_requests_ci95"))],
        ["idle (requested but unused) per month", money(c["idle_per_month"]),
         interval(c.get("idle_per_month_ci95"))],
        ["idle share of the cost", pct(c["idle_fraction"], 1), ""],
    ]
    doc.add(Table(["figure", f"mean ({cur})", "95% interval over runs"], rows,
                  caption=c.get("estimator")))
    b = c["breakdown"]
    doc.add(Table(
        ["resource", "allocated max(request, usage)", "requested", "used",
         f"cost / month ({cur})", f"idle / month ({cur})"],
        [["CPU", f"{b['cpu']['allocated_core_hours']:,.1f} core-h",
          f"{b['cpu']['request_core_hours']:,.1f} core-h", f"{b['cpu']['usage_core_hours']:,.1f} core-h",
          money(b["cpu"]["per_month"]), money(b["cpu"]["idle_per_month"])],
         ["memory", f"{b['memory']['allocated_gib_hours']:,.1f} GiB-h",
          f"{b['memory']['request_gib_hours']:,.1f} GiB-h", f"{b['memory']['usage_gib_hours']:,.1f} GiB-h",
          money(b["memory"]["per_month"]), money(b["memory"]["idle_per_month"])]],
        caption="Resource-hours are means over runs of the measured time."))
    budget = run.scenario.objectives.monthlyBudget
    if budget is not None:
        ok = c["per_month"] <= budget
        doc.add(Para(f"Budget {money(budget)} {cur}/month: "
                     + ("within budget." if ok else "**over budget**.")))
    nb = c.get("nodes")
    if nb:
        doc.add(Heading(4, "Node-based cost"))
        doc.add(Table(["pool", "spot", "node-hours", f"price per node-hour ({cur})",
                       "price from", f"cost ({cur})"],
                      [[k, "yes" if v["spot"] else "no", f"{v['node_hours']:,.1f}",
                        money(v["price_per_hour"]), v["price_source"], money(v["cost"])]
                       for k, v in nb["by_pool"].items()],
                      align="llrrlr"))
        doc.add(Para(f"Nodes: {money(nb['per_month'])} {cur}/month "
                     f"{interval(nb.get('per_month_ci95'))}, spot nodes {pct(nb['spot_cost_share'], 1)} of the node cost "
                     f"({pct(nb['spot_node_hours_share'], 1)} of node-hours)."))


def _comparison_bars(c: dict[str, Any]) -> list[dict[str, Any]]:
    b = c["breakdown"]
    bars = [{"label": "with the HPA", "cpu": b["cpu"]["per_month"], "memory": b["memory"]["per_month"],
             "idle": c["idle_per_month"], "per_month": c["per_month"],
             "per_month_ci95": c.get("per_month_ci95")}]
    cmp_ = c.get("comparisons") or {}
    for key in ("fixed_max_replicas", "fixed_min_meeting_objective"):
        e = cmp_.get(key)
        if e:
            fb = e.get("breakdown") or {}
            bars.append({"label": f"fixed {e['replicas']} replica{'s' if e['replicas'] != 1 else ''}",
                         "cpu": fb.get("cpu", {}).get("per_month", e["per_month"]),
                         "memory": fb.get("memory", {}).get("per_month", 0.0),
                         "idle": e.get("idle_per_month"), "per_month": e["per_month"],
                         "per_month_ci95": e.get("per_month_ci95")})
    return bars


def _comparisons(doc: Document, run: ScenarioRun, prefix: str) -> None:
    c = run.summary["cost"]
    cmp_ = c.get("comparisons") or {}
    cur = c["currency"]
    if not cmp_.get("computed"):
        doc.add(Para(f"No comparison with fixed replicas: {cmp_.get('reason', 'not computed')}."))
        return
    # Every row on the same estimator (episodes when the scenario has random failures).
    a = (cmp_.get("hpa") or {}).get("availability") or run.summary["availability"]["requests_served"]
    rows = [["with the HPA", f"{run.summary['replicas']['mean']:.2f} (mean)",
             money(c["per_month"]), interval(c.get("per_month_ci95")),
             pct(a["mean"], 4), interval(a.get("ci95"), lambda v: pct(v, 4)), "", ""]]
    for key in ("fixed_max_replicas", "fixed_min_meeting_objective"):
        e = cmp_.get(key)
        if not e:
            continue
        ea = e["availability"]
        rows.append([e["label"], str(e["replicas"]), money(e["per_month"]),
                     interval(e.get("per_month_ci95")), pct(ea["mean"], 4),
                     interval(ea.get("ci95"), lambda v: pct(v, 4)),
                     pct(e["hpa_saving"], 1), interval(e.get("hpa_saving_ci95"), lambda v: pct(v, 1))])
    doc.add(Table(["configuration", "replicas", f"{cur}/month", "95% interval",
                   "requests served", "95% interval", "HPA saving", "95% interval"], rows,
                  align="lrrrrrrr",
                  caption="Fixed replicas: the same scenario without its HPA, simulated with the "
                          "same seed and runs (paired). HPA saving = 1 − HPA cost / fixed cost; "
                          "negative: the HPA costs more. Requests served, every row: "
                          + cmp_.get("availability_estimator", a.get("estimator", "")) + "."))
    notes = []
    fm = cmp_.get("fixed_max_replicas")
    if fm:
        notes.append(_saving_sentence(fm))
    fn = cmp_.get("fixed_min_meeting_objective")
    if fn:
        notes.append(_saving_sentence(fn))
    elif cmp_.get("fixed_min_reason"):
        notes.append(f"Fewest fixed replicas: {cmp_['fixed_min_reason']}.")
    f = run.scenario.failures
    if f.nodes is None and f.zones is None and not f.spot:
        notes.append("This scenario injects no node, zone or spot failures, so few fixed "
                     "replicas are judged on load alone; add `failures` to see what losing a "
                     "pod costs them.")
    s = cmp_.get("search")
    if s:
        tried = ", ".join(f"{n}: {pct(v['mean'], 3)}{' ✓' if v['meets'] else ' ✗'}"
                          for n, v in s["tried"].items())
        notes.append(f"Search for the fewest fixed replicas: bisection, {s['runs_per_candidate']} "
                     f"run(s) per candidate, criterion {s['criterion']}; tried {tried}.")
    doc.add(Bullets(notes))
    doc.image(f"{prefix}cost.png",
              plots.cost_breakdown(_comparison_bars(c), cur, f"{run.scenario.name}: cost per month"),
              "cost per month: HPA against fixed replicas",
              "CPU (red) and memory (cyan) cost per month, the idle part hatched, 95% intervals "
              "over runs.")


def _saving_sentence(e: dict[str, Any]) -> str:
    s = e["hpa_saving"]
    ci = interval(e.get("hpa_saving_ci95"), lambda v: pct(v, 1))
    if s >= 0:
        return f"Against {e['label']}: the HPA saves {pct(s, 1)} {ci}."
    ci2 = e.get("hpa_saving_ci95")
    more = NO_CI if not ci2 else f"[{pct(-ci2[1], 1)}, {pct(-ci2[0], 1)}]"
    return f"Against {e['label']}: the HPA costs {pct(-s, 1)} more {more}."


def _quota(doc: Document, summary: dict[str, Any]) -> None:
    q = summary.get("quota") or {}
    hard = q.get("hard") or {}
    if not hard:
        return
    doc.add(Heading(3, "Quota headroom"))
    rows = []
    for k, h in hard.items():
        used = (q.get("peak_used") or {}).get(k, "0")
        try:
            head = format_quantity(Quantity.parse(h) - Quantity.parse(used))
        except (ValueError, TypeError):
            head = "–"
        rows.append([k, str(used), str(h), head])
    doc.add(Table(["resource", "peak used", "hard", "headroom"], rows))


def _findings(doc: Document, summary: dict[str, Any]) -> None:
    f = summary.get("findings")
    if not isinstance(f, list) or not f:
        return
    doc.add(Heading(3, "Check findings"))
    doc.add(Table(["severity", "path", "message", "fix"],
                  [[str(x.get("severity", "")), f"`{x.get('path', '')}`", str(x.get("message", "")),
                    str(x.get("fix") or "")] for x in f], align="llll"))


def _worked_example(doc: Document, we: dict[str, Any]) -> None:
    ar, sv = we["arithmetic"], we["saving"]
    cur = ar["currency"]
    doc.add(Heading(3, "Worked example: the seed's cost claims, recomputed"))
    doc.add(Para("The seed document (sandbox-executor, \"Resource Efficiency\" and \"Cost "
                 "Savings\") sums its resources and estimates its savings by hand. Its resource "
                 "sums, with the right figures from the pod spec:"))
    doc.add(Table(["the seed says", "right figure", "why"],
                  [[r["claim"], r["correct"], r["why"]] for r in we["slips"]], align="lll"))
    doc.add(Para(
        f"At {ar['price_source']} ({ar['cpu_per_hour']} {cur}/vCPU-h, "
        f"{ar['memory_gib_per_hour']} {cur}/GiB-h) one pod at its requests costs "
        f"{ar['request_cpu']:g} × {ar['cpu_per_hour']} + {ar['request_memory_gib']:g} × "
        f"{ar['memory_gib_per_hour']} = {ar['pod_per_hour']:.8g} {cur}/h, so the seed's "
        f"X ({ar['min_replicas']} replicas for a month of 730 h) is "
        f"{ar['min_replicas']} × {ar['pod_per_hour']:.8g} × 730 = {money(ar['X_per_month'])} {cur}. "
        f"Reading \"assuming 20% peak traffic\" as 20% of the time at {ar['max_replicas']} "
        f"replicas and 80% at {ar['min_replicas']}: 0.2 × {ar['max_replicas']} + 0.8 × "
        f"{ar['min_replicas']} = {ar['average_replicas']:g} replicas on average."))
    rng = interval(sv.get("hpa_per_month_ci95"))
    doc.add(Table(
        ["claim", "the seed", "arithmetic", "simulated (HPA, matching load)"],
        [["3 replicas (X) per month", "$X", f"{money(ar['X_per_month'])} {cur}", ""],
         ["10 replicas per month", "$3.3X",
          f"{ar['peak_in_X']:.2f}X = {money(ar['peak_per_month'])} {cur}",
          f"{money(sv['fixed_per_month'])} {cur} (fixed {ar['max_replicas']})"],
         ["average, 20% of the time at peak", "~$1.5X",
          f"{ar['average_in_X']:.3f}X = {money(ar['average_per_month'])} {cur}",
          f"{money(sv['hpa_per_month'])} {cur} {rng}; {sv['mean_pods']:.2f} pods on average"],
         ["saving against fixed 10", "55%", f"1 − {ar['average_replicas']:g}/{ar['max_replicas']} = "
          f"{pct(ar['saving'], 0)} (1 − 1.5/3.3 = {pct(ar['seed_saving_from_its_rounding'], 0)})",
          f"{pct(sv['saving'], 1)} {interval(sv.get('saving_ci95'), lambda v: pct(v, 1))}"],
         ["idle state (3 vs 10)", "70%", pct(ar["idle_state_saving"], 0), ""]],
        align="llll",
        caption=(f"Simulated: {sv['runs']} run(s) × {_dur(sv['duration_seconds'])}; every day "
                 f"{pct(sv['peak_fraction'], 0)} of the time (centred on 12:00) at "
                 f"{sv['peak_rps']:.1f} rps, else {sv['base_rps']:.1f} rps, no noise. The HPA "
                 f"spent {pct(sv['time_at_max_replicas'], 1)} of its syncs at maxReplicas; "
                 f"requests served {pct(sv['hpa_availability']['mean'], 4)}. The saving is "
                 "paired run by run against fixed maxReplicas under the same load.")))
    held = abs(sv["saving"] - 0.55) <= 0.03
    doc.add(Para(
        (f"The seed's 55% {'holds up' if held else 'does not hold'} for a load that matches its "
         f"assumption: the model gives {pct(sv['saving'], 1)}. ")
        + ("Scale-up and scale-down lag, and CPU use above the request while the HPA catches "
           "up, cost the HPA more than the arithmetic's 4.4 replicas. "
           if sv["hpa_per_month"] > ar["average_per_month"] else "")
        + "For this scenario's own load, the comparison above gives the saving against fixed "
          "maxReplicas, and against the fewest fixed replicas that meet the objective, which can "
          "cost less than the HPA: a pod may use CPU up to its limit, so few pods carry more "
          "load than the HPA's target suggests (and pay for that use above their request)."))


def _scenario_section(doc: Document, run: ScenarioRun, index: int, multi: bool) -> None:
    sc, summary = run.scenario, run.summary
    prefix = f"{index + 1}-" if multi else ""
    level = 2
    if multi:
        doc.add(Heading(2, f"Scenario {index + 1}: {sc.name}", anchor=_slug(sc.name)))
        level = 3
    doc.add(Heading(level, "Configuration"))
    doc.add(Table(["setting", "value"], _config_rows(sc, summary), align="ll"))
    doc.add(Heading(level, "Availability"))
    _availability(doc, summary)
    day, d = plots.representative_day(run.timeseries)
    doc.add(Heading(level, "A representative day: replicas against load"))
    if len(day):
        which = ("the whole run" if d is None else
                 f"day {d + 1} of run 0 (its mean load is nearest the median of the daily means)")
        h = sc.autoscaling.horizontal
        doc.image(f"{prefix}replicas.png",
                  plots.replicas_vs_load(day, f"{sc.name}: {which}",
                                         h.maxReplicas if h is not None else None),
                  "replicas against load",
                  f"{which[0].upper()}{which[1:]}: offered load (blue), Deployment replicas "
                  "(orange) and ready replicas (green, dashed); lost requests shaded red.")
    else:
        doc.add(Para("No timeseries was recorded."))
    doc.add(Para(f"Replicas: min {summary['replicas']['min']}, mean "
                 f"{summary['replicas']['mean']:.2f}, max {summary['replicas']['max']}."))
    doc.add(Heading(level, "Utilization"))
    _utilization(doc, run, day, prefix)
    doc.add(Heading(level, "Cost"))
    _cost(doc, run, prefix)
    doc.add(Heading(level + 1, "Against fixed replicas"))
    _comparisons(doc, run, prefix)
    _quota(doc, summary)
    _findings(doc, summary)
    if run.worked_example:
        _worked_example(doc, run.worked_example)


def _side_by_side(doc: Document, runs: Sequence[ScenarioRun]) -> None:
    doc.add(Heading(2, "Side by side"))
    rows = []
    for r in runs:
        s, c = r.summary, r.summary["cost"]
        a = s["availability"]["requests_served"]
        obj = s["availability"].get("objective")
        met = "–" if obj is None else ("yes" if a["mean"] >= obj else "no")
        rows.append([f"`{r.scenario.name}`", pct(a["mean"], 4),
                     interval(a.get("ci95"), lambda v: pct(v, 4)),
                     pct(s["availability"]["time_at_full_capacity"]["mean"], 3),
                     f"{s['replicas']['mean']:.2f}",
                     money(c["per_month"]), interval(c.get("per_month_ci95")),
                     money(c["per_million_requests"]), pct(c["idle_fraction"], 1), met])
    cur = runs[0].summary["cost"]["currency"]
    doc.add(Table(["scenario", "requests served", "95% interval", "time at full capacity",
                   "mean replicas", f"{cur}/month", "95% interval", f"{cur}/M requests",
                   "idle share", "objective met"], rows))
    points = []
    for i, r in enumerate(runs):
        c = r.summary["cost"]
        a = r.summary["availability"]["requests_served"]
        points.append({"label": f"{r.scenario.name} (HPA)" if r.scenario.autoscaling.horizontal
                       else r.scenario.name, "availability": a["mean"],
                       "availability_ci95": a.get("ci95"), "per_month": c["per_month"],
                       "per_month_ci95": c.get("per_month_ci95"), "group": i})
        cmp_ = c.get("comparisons") or {}
        for key, marker in (("fixed_max_replicas", "s"), ("fixed_min_meeting_objective", "D")):
            e = cmp_.get(key)
            if e:
                points.append({"label": f"{r.scenario.name}: fixed {e['replicas']}",
                               "availability": e["availability"]["mean"],
                               "availability_ci95": e["availability"].get("ci95"),
                               "per_month": e["per_month"], "per_month_ci95": e.get("per_month_ci95"),
                               "group": i, "marker": marker})
    objs = {r.scenario.objectives.availability for r in runs} - {None}
    doc.image("cost-vs-availability.png",
              plots.cost_vs_availability(points, cur, objs.pop() if len(objs) == 1 else None),
              "cost against availability",
              "Each scenario with its HPA (circles) and as fixed replicas (squares: maxReplicas; "
              "diamonds: fewest meeting the objective); 95% intervals over runs.")


def build_document(runs: Sequence[ScenarioRun]) -> Document:
    """The report as a document (see :mod:`capacity.report.document`)."""
    if not runs:
        raise ValueError("no scenarios")
    multi = len(runs) > 1
    title = ("Cost and availability: " + runs[0].scenario.name if not multi
             else f"Cost and availability: {len(runs)} scenarios")
    doc = Document(title)
    srcs = sorted({r.summary["cost"]["prices"]["source"] for r in runs})
    doc.add(Para(f"Generated by capacity {capacity.__version__} (`python -m capacity report`). "
                 f"Every figure comes from simulated runs: means with 95% intervals over runs "
                 f"(none for a single run). Prices: {'; '.join(srcs)}, per hour; a month is "
                 f"{HOURS_PER_MONTH:g} hours. The same seed gives the same report."))
    if multi:
        _side_by_side(doc, runs)
        doc.add(Bullets([f"Scenario {i + 1}: `{r.scenario.name}`" for i, r in enumerate(runs)]))
    for i, r in enumerate(runs):
        _scenario_section(doc, r, i, multi)
    return doc


# --- output ------------------------------------------------------------------------------------


def report_format(path: str | os.PathLike[str]) -> Literal["html", "md"]:
    """``html`` for .html/.htm, ``md`` for .md/.markdown; ValueError otherwise."""
    suf = Path(path).suffix.lower()
    if suf in (".html", ".htm"):
        return "html"
    if suf in (".md", ".markdown"):
        return "md"
    raise ValueError(f"the report file must end in .html or .md, got {Path(path).name!r}")


def plot_dir(path: str | os.PathLike[str]) -> Path:
    """Where a Markdown report's PNGs go: ``<name>-plots/`` beside it."""
    p = Path(path)
    return p.with_name(f"{p.stem}-plots")


def write_report(doc: Document, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``doc`` to ``out`` (.html: one self-contained file; .md: the file plus its
    PNGs in ``<name>-plots/``). Files appear whole or not at all. Returns the paths."""
    from capacity.files import write_file_atomically, write_files_atomically

    out = Path(out)
    fmt = report_format(out)
    # Temporary files are created private (0600/0700); a report is for reading and sharing,
    # so it gets the modes an ordinary file would have under the user's umask.
    umask = os.umask(0)
    os.umask(umask)

    def text_writer(text: str):
        def write(p: Path) -> None:
            p.write_text(text, encoding="utf-8")
            p.chmod(0o666 & ~umask)
        return write

    if fmt == "html":
        write_file_atomically(out, text_writer(to_html(doc)))
        return [out]
    d = plot_dir(out)
    written = []
    if doc.images:
        def png_writer(data: bytes):
            def write(p: Path) -> None:
                p.write_bytes(data)
                p.chmod(0o666 & ~umask)
                p.parent.chmod(0o777 & ~umask)
            return write

        write_files_atomically(d, {n: png_writer(b) for n, b in doc.images.items()})
        written.append(d)
    # The plots first: the .md never links to PNGs that are not there.
    write_file_atomically(out, text_writer(to_markdown(doc, lambda name: f"{d.name}/{name}")))
    return [out, *written]


def report(scenarios: Sequence[Scenario | str | os.PathLike[str]],
           out: str | os.PathLike[str] | None = None, **kwargs: Any) -> Document:
    """Simulate, build and (with ``out``) write the report; returns the document.

    ``kwargs`` go to :func:`run_scenarios` (runs, seed, duration, workers, compare,
    search_runs, worked_example).
    """
    doc = build_document(run_scenarios(scenarios, **kwargs))
    if out is not None:
        write_report(doc, out)
    return doc
