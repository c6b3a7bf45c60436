"""The evidence sections of one scenario's report, each a function adding blocks to a
:class:`~capacity.report.document.Document`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from capacity.analysis.cost import HOURS_PER_MONTH
from capacity.k8s.quantity import Quantity, format_quantity
from capacity.report import plots, prose, timeline
from capacity.report.document import Bullets, Document, Heading, Para, Table
from capacity.report.fmt import (
    amount,
    count,
    duration,
    interval,
    money,
    near_one,
    pct,
    quota_row,
    seconds,
    with_interval,
)
from capacity.report.timeline import Clock, Hour, Window
from capacity.report.verdict import HpaSafety, search_reasons
from capacity.scenario.model import Scenario


@dataclass
class Evidence:
    """What the sections share: the run's clock, its stress windows and its hardest hour."""

    clock: Clock
    windows: list[Window]
    hardest: Hour | None
    candidates: list[Hour]
    ts0: pd.DataFrame  # run 0's timeseries
    events0: pd.DataFrame | None


def evidence(sc: Scenario, summary: Mapping[str, Any], ts: pd.DataFrame,
             events: pd.DataFrame | None) -> Evidence:
    ck = timeline.clock(sc)
    dur = float(summary["duration_seconds"])
    ts0 = ts[ts["run"] == ts["run"].min()] if len(ts) and "run" in ts else ts
    ev0 = None
    if events is not None and len(events):
        ev0 = events[events["run"] == events["run"].min()] if "run" in events else events
    if ts0.empty:
        return Evidence(ck, [], None, [], ts0, ev0)
    hardest, cands = timeline.hardest_hour(sc, ts0, ev0, dur)
    return Evidence(ck, timeline.stress_windows(sc, ts0, ev0, dur), hardest, cands, ts0, ev0)


def _res(m: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (m or {}).items()) or "–"


def _cpu_target(sc: Scenario) -> tuple[float | None, float | None]:
    cpu = mem = None
    h = sc.autoscaling.horizontal
    for m in (h.metrics or []) if h is not None else []:
        if m.resource is not None and m.resource.target.averageUtilization:
            if m.resource.name == "cpu":
                cpu = float(m.resource.target.averageUtilization)
            elif m.resource.name == "memory":
                mem = float(m.resource.target.averageUtilization)
    return cpu, mem


# --- what was simulated -------------------------------------------------------------------


def configuration(doc: Document, sc: Scenario, summary: Mapping[str, Any], ck: Clock) -> None:
    from capacity.sim.workload import WorkloadModel

    wl = WorkloadModel.from_scenario(sc)
    spec = sc.workload.deployment.template.spec
    where = prose.display_path(sc.source)
    chain = prose.extends_chain(sc.source)
    src = f"`{where}`" if where else "given in Python"
    if chain:
        src += ", which extends " + " → ".join(f"`{c}`" for c in chain)
    rows = [["scenario", f"`{sc.name}` ({src})"]]
    if sc.description:
        rows.append(["description", " ".join(sc.description.split())])
    start = sc.simulation.startTime or "a Monday 00:00"
    rows.append(["simulation",
                 f"{summary['runs']} run(s) of {timeline.duration_text(summary['duration_seconds'])}"
                 f" from {start} ({ck(0)}), seed {summary['seed']}, Kubernetes "
                 f"{sc.kubernetesVersion}"
                 + (f", warm-up {timeline.duration_text(summary.get('warmup_seconds', 0))}"
                    if summary.get("warmup_seconds") else "")])
    for c in spec.containers:
        r = c.resources
        rows.append([f"container `{c.name}`", f"requests {_res(r.requests if r else None)}; "
                                              f"limits {_res(r.limits if r else None)}"])
    oh = ", ".join(f"{k} {format_quantity(Quantity.from_milli(v))}" for k, v in wl.overhead.items())
    rc = sc.workload.runtimeClass
    rows.append(["RuntimeClass", (rc.name if rc and rc.name else (spec.runtimeClassName or "–"))
                 + (f", overhead {oh}" if oh else ", no overhead declared")])
    rows.append(["pod requests (costed)",
                 f"{wl.requests.get('cpu', 0) / 1000:g} CPU cores, "
                 f"{wl.requests.get('memory', 0) / 1000 / 2**30:g} GiB memory (overhead included)"])
    d = sc.workload.demand
    if d is not None:
        bits = [f"{d.cpuPerRequest * 1000:g} ms of CPU per request"]
        if getattr(d, "latency", None):
            bits.append(f"plus {seconds(d.latency)} without CPU")
        if getattr(d, "concurrency", None):
            bits.append(f"{d.concurrency} at once per pod")
        if getattr(d, "queueLimit", None) is not None:
            bits.append(f"up to {d.queueLimit} more waiting")
        if getattr(d, "timeout", None):
            bits.append(f"callers give up after {timeline.duration_text(d.timeout)}")
        rows.append(["each request", ", ".join(bits)])
    h = sc.autoscaling.horizontal
    if h is not None:
        ms = []
        for m in h.metrics or []:
            src_ = m.resource or m.containerResource
            if src_ is not None and src_.target.averageUtilization:
                ms.append(f"{src_.name} {src_.target.averageUtilization}%")
            else:
                ms.append(m.type)
        rows.append(["HPA", f"{h.minReplicas}–{h.maxReplicas} replicas on "
                            + (", ".join(ms) or "cpu 80% (default)")])
        b = h.behavior
        for name in ("scaleUp", "scaleDown"):
            r = getattr(b, name, None) if b is not None else None
            if r is not None:
                pol = ", ".join(
                    f"{p.value}{'%' if p.type == 'Percent' else (' pod' if p.value == 1 else ' pods')}"
                    f" per {timeline.duration_text(p.periodSeconds)}" for p in r.policies or [])
                rows.append([f"HPA {name}",
                             f"stabilization window {timeline.duration_text(r.stabilizationWindowSeconds or 0)}; "
                             f"policies {pol or 'default'}; selectPolicy {r.selectPolicy or 'Max'}"])
    else:
        rows.append(["replicas", f"{sc.workload.deployment.replicas} fixed (no HPA)"])
    pdb = sc.disruption.podDisruptionBudget
    if pdb is not None:
        rows.append(["PodDisruptionBudget",
                     f"minAvailable {pdb.minAvailable}" if pdb.minAvailable is not None
                     else f"maxUnavailable {pdb.maxUnavailable}"])
    rows.append(["load", prose.load_prose(sc.load, ck)])
    rows.append(["failures and maintenance", prose.failures_prose(sc, ck)])
    if sc.cluster is not None:
        for p in sc.cluster.nodePools:
            rows.append([f"node pool `{p.name}`",
                         f"{_res(p.allocatable)}; {p.nodesPerZone} per zone in "
                         f"{', '.join(p.zones or sc.cluster.zones)}"
                         + (", spot" if p.spot else "")
                         + (f", {p.pricePerHour}/h" if p.pricePerHour is not None else "")])
    c = summary["cost"]
    pr = c["prices"]
    rows.append(["prices", f"{pr['source']}: {pr['cpu_per_hour']} {c['currency']} per vCPU-hour, "
                           f"{pr['memory_gib_per_hour']} per GiB-hour (spot "
                           f"{pr['spot_cpu_per_hour']} and {pr['spot_memory_gib_per_hour']})"])
    o = sc.objectives
    objs = []
    if o.availability is not None:
        objs.append(f"availability {pct(o.availability, 2)} of requests answered without error")
    for lo in o.latency or []:
        objs.append(f"{pct(lo.target, 2)} of answered requests within {seconds(lo.threshold)}")
    if o.monthlyBudget is not None:
        objs.append(f"budget {money(o.monthlyBudget)} {c['currency']} a month")
    rows.append(["objectives", "; ".join(objs) or "–"])
    doc.add(Table(["setting", "value"], rows, align="ll"))


# --- a week of load against capacity --------------------------------------------------------


def week(doc: Document, sc: Scenario, summary: Mapping[str, Any], ev: Evidence,
         prefix: str) -> None:
    if ev.ts0.empty:
        doc.add(Para("No timeseries was recorded."))
        return
    dur = float(summary["duration_seconds"])
    h = sc.autoscaling.horizontal
    doc.image(f"{prefix}week.png",
              plots.week(ev.ts0, ev.clock, ev.windows, ev.hardest,
                         f"{sc.name}: run 0, {timeline.duration_text(dur)} from {ev.clock(0)}",
                         h.maxReplicas if h else None, dur),
              "a week of load against capacity",
              "Top: offered load and what the ready pods could serve, failed requests filled "
              "red, spikes marked ▼, failure windows hatched, the hardest hour shaded yellow. "
              "Bottom: spec.replicas (wide band) and ready pods (dashed line).")
    rows = []
    for w in ev.windows:
        rows.append([w.kind, ev.clock(w.start), timeline.duration_text(max(w.end - w.start, 0)),
                     w.what])
    if rows:
        doc.add(Table(["what", "starts", "lasts", "detail"], rows, align="llrl",
                      caption="Stress windows found in run 0 (load from the scenario and the "
                              "run, failures from its events)."))
    rp, rd = summary["replicas"], summary["replicas"].get("ready")
    text = (f"spec.replicas from {rp['min']} to {rp['max']} (mean {rp['mean']:.2f})"
            + (f"; ready pods from {rd['min']} to {rd['max']} (mean {rd['mean']:.2f})"
               if rd else "") + ".")
    doc.add(Para("Replicas over all runs: " + text))


# --- latency, errors, SLOs ------------------------------------------------------------------


def latency(doc: Document, sc: Scenario, summary: Mapping[str, Any], ev: Evidence,
            prefix: str) -> None:
    lat = summary.get("latency") or {}
    slos = summary.get("slo") or []
    if slos:
        rows = []
        for s in slos:
            g = s["good_fraction"]
            rows.append([s["name"], near_one(g["mean"]), interval(g.get("ci95"), near_one),
                         "met" if s["met"] else "**missed**",
                         pct(s["error_budget_used"], 1),
                         interval(s.get("error_budget_used_ci95"), lambda v: pct(v, 1)),
                         f"{count(s['bad_minutes_per_month'])} of "
                         f"{count(s['budget_minutes_per_month'])}",
                         f"{count(s['bad_requests_per_month'])} of "
                         f"{count(s['budget_requests_per_month'])}"])
        doc.add(Table(["objective", "good", "95% interval", "", "error budget used",
                       "95% interval", "minutes a month: spent of budget",
                       "requests a month: bad of budget"], rows, align="lrrlrrrr",
                      caption="Good = answered without error (availability) or answered "
                              "within the threshold (latency), over the runs. A month is 30 "
                              "days, at the simulated request rate; minutes are the "
                              "equivalent of a full outage."))
    if lat:
        rows = [[k, with_interval(lat[k]["mean"], lat[k].get("ci95"), seconds)]
                for k in ("mean", "p50", "p90", "p95", "p99") if k in lat]
        e = summary.get("errors") or {}
        if e:
            r = e["rate"]
            rows.append(["failed requests", with_interval(r["mean"], r.get("ci95"),
                                                         lambda v: pct(v, 5))])
            for reason, n in (e.get("by_reason") or {}).items():
                rows.append([f"  {reason.replace('_', ' ')}", f"{count(n)} per run"])
        doc.add(Table(["response time and errors", "over the runs"], rows, align="lr",
                      caption="Response times of answered requests, the mixture over each "
                              "run; failed requests by reason (timeout: the caller gave up; "
                              "rejected: the pod's queue was full; no endpoint / dead "
                              "endpoint: no ready pod, or one on a dead node)."))
    if not ev.ts0.empty and "latency_p99" in ev.ts0:
        thr = [float(lo.threshold) for lo in sc.objectives.latency or []]
        doc.image(f"{prefix}latency.png",
                  plots.latency(ev.ts0, ev.clock, thr, ev.windows,
                                float(summary["duration_seconds"]),
                                f"{sc.name}: response time and failed requests, run 0"),
                  "latency and errors over the run",
                  "p50 and p99 response time of each 15 s interval against the latency SLO "
                  "threshold; failed requests per second below; failure windows hatched.")


# --- the hardest hour -----------------------------------------------------------------------


def hardest(doc: Document, sc: Scenario, summary: Mapping[str, Any], ev: Evidence,
            prefix: str, level: int) -> None:
    h = ev.hardest
    if h is None:
        return
    ck = ev.clock
    doc.add(Heading(level, f"The HPA in the hardest hour: the {h.label}"))
    doc.add(Para(
        "Each stress window of run 0 (the highest hour of load, each spike, each failure) "
        "was scored by what callers felt in the hour around it: failed requests first, then "
        "the time the p99 response time was above the tightest latency SLO, then the "
        "highest load against ready capacity. The hardest is drawn below."))
    thr = timeline.tightest_latency(sc)
    rows = [[c.label, count(c.failed_requests), timeline.duration_text(c.seconds_over_latency)
             if thr is not None else "–", seconds(c.max_p99),
             "–" if math.isnan(c.max_load_over_capacity) else
             f"{c.max_load_over_capacity * 100:.0f}%",
             "**hardest**" if c is h else ""] for c in ev.candidates]
    doc.add(Table(["window (hour from 10 min before)", "failed requests",
                   f"p99 above {seconds(thr)}" if thr is not None else "p99 above the SLO",
                   "highest p99", "highest load / ready capacity", ""], rows, align="lrrrrl"))
    w = ev.ts0[(ev.ts0["time"] >= h.start) & (ev.ts0["time"] < h.end)]
    hpa = sc.autoscaling.horizontal
    if not w.empty:
        doc.image(f"{prefix}hardest-hour.png",
                  plots.hour(ev.ts0, ck, h, f"{sc.name}: {ck(h.start)} to {ck(h.end)}",
                             hpa.maxReplicas if hpa else None, thr),
                  "the hardest hour",
                  "Top: load against ready capacity, failed requests filled. Middle: the "
                  "HPA's desired replicas, spec.replicas, ready and Pending pods; each "
                  "SuccessfulRescale marked │. Bottom: p50 and p99 of each 15 s.")
        doc.add(Para(_reaction(w, h, ck)))
    if h.rescales:
        doc.add(Table(["time", "SuccessfulRescale message"],
                      [[ck(t, seconds=True), m] for t, m in h.rescales], align="ll",
                      caption="The HPA's events in that hour, as `kubectl get events` shows "
                              "them."))
    day = timeline.day_of(ev.ts0, h.window.start, ck)
    if not day.empty and float(summary["duration_seconds"]) > 86400 / 2:
        name = ck.day_name(h.window.start)
        n = int(ck.day_start(h.window.start) // 86400) + 1
        doc.image(f"{prefix}day.png",
                  plots.day(day, ck, ev.windows, h,
                            f"{sc.name}: {name} (day {n} of run 0) with the {h.window.kind}",
                            hpa.maxReplicas if hpa else None),
                  f"{name}, the day of the hardest hour",
                  f"{name}, the day of the hardest hour: load against ready capacity with "
                  "failed requests, then spec.replicas and ready pods.")


def _reaction(w: pd.DataFrame, h: Hour, ck: Clock) -> str:
    """The HPA's reaction in words: first rescale after the window starts, the most it
    asked for, when ready pods caught up, and what callers lost."""
    start = h.window.start
    after = [(t, m) for t, m in h.rescales if t >= start]
    before = w[w["time"] <= start]
    spec0 = int((before if len(before) else w)["spec_replicas"].iloc[-1 if len(before) else 0])
    parts = [f"At {ck(start, seconds=True)}, the start of the {h.window.kind} "
             f"({h.window.what}), spec.replicas was {spec0}."]
    if after:
        t1 = after[0][0]
        parts.append(f"The HPA's first rescale came {timeline.duration_text(t1 - start)} later "
                     f"({ck(t1, seconds=True)}).")
    elif h.rescales:
        parts.append("The HPA had already rescaled before it.")
    else:
        parts.append("The HPA did not rescale in this hour.")
    top = int(w["spec_replicas"].max())
    if top > spec0:
        t_top = float(w.loc[w["spec_replicas"].idxmax(), "time"])
        ready = w[(w["time"] >= t_top) & (w["ready_replicas"] >= top)]
        parts.append(f"It asked for up to {top} replicas ({ck(t_top, seconds=True)})"
                     + (f", ready {timeline.duration_text(float(ready['time'].iloc[0]) - t_top)} "
                        "after that." if len(ready) else ", and they were not all ready within "
                                                          "the hour."))
    parts.append(f"Callers saw {count(h.failed_requests)} failed requests"
                 + (f" and a p99 of up to {seconds(h.max_p99)}" if h.max_p99 == h.max_p99 else "")
                 + " in the hour.")
    return " ".join(parts)


# --- availability, utilization --------------------------------------------------------------


def availability(doc: Document, summary: Mapping[str, Any]) -> None:
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
        rows.append([label, near_one(e["mean"]), interval(e.get("ci95"), near_one)])
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
        rows.append(["requests served, rare failures weighted by their rates", near_one(e["mean"]),
                     interval(e.get("ci95"), near_one)])
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
    dr = summary.get("drains") or {}
    if dr.get("count"):
        doc.add(Para(f"Drains: {dr['count']} per run, {dr.get('blocked', 0)} blocked by the PDB "
                     f"(longest {timeline.duration_text(dr.get('blocked_seconds_max', 0))}, "
                     f"{dr.get('refusals', 0)} evictions refused), {dr.get('unfinished', 0)} "
                     "unfinished."))


def utilization(doc: Document, sc: Scenario, summary: Mapping[str, Any], ev: Evidence,
                prefix: str) -> None:
    b = summary["cost"]["breakdown"]
    cpu_t, mem_t = _cpu_target(sc)
    ts = ev.ts0
    rows = []
    if len(ts) and ts["cpu_utilization"].notna().any():
        rows.append(["CPU utilization the HPA saw (mean over syncs)",
                     f"{ts['cpu_utilization'].mean():.1f}%"])
    if len(ts) and "memory_utilization" in ts and ts["memory_utilization"].notna().any():
        rows.append(["memory utilization the HPA saw (mean over syncs)",
                     f"{ts['memory_utilization'].mean():.1f}%"])
    for res, unit, use, req in (("CPU", "core-hours", "usage_core_hours", "request_core_hours"),
                                ("memory", "GiB-hours", "usage_gib_hours", "request_gib_hours")):
        x = b["cpu" if res == "CPU" else "memory"]
        share = x[use] / x[req] if x[req] > 0 else math.nan
        rows.append([f"{res} used / requested (pod requests incl. overhead)",
                     f"{x[use]:,.1f} / {x[req]:,.1f} {unit} = {pct(share, 1)}"])
    cpu = summary.get("cpu") or {}
    if cpu:
        rows.append(["CPU work done above the pods' requests (bursting)",
                     pct(cpu.get("above_request_share"), 0)
                     + (" — relies on idle node CPU" if cpu.get("relies_on_bursting") else "")])
    doc.add(Table(["utilization", "value"], rows, align="lr"))
    if ev.hardest is not None and len(ts) and ts["cpu_utilization"].notna().any():
        day = timeline.day_of(ts, ev.hardest.window.start, ev.clock)
        if not day.empty:
            doc.image(f"{prefix}utilization.png",
                      plots.utilization(day, ev.clock, f"{sc.name}: utilization of requests, "
                                        f"{ev.clock.day_name(float(day['time'].min()))}",
                                        cpu_t, mem_t),
                      "utilization against the HPA targets",
                      "CPU and memory use as a percentage of the containers' requests, as the "
                      "HPA saw them (metrics-server samples), with the HPA targets dotted.")


# --- cost -----------------------------------------------------------------------------------


def cost(doc: Document, sc: Scenario, summary: Mapping[str, Any], level: int) -> None:
    c = summary["cost"]
    cur = c["currency"]
    doc.add(Para(f"Basis: {c['basis']}. Prices: **{c['prices']['source']}**, {cur} per hour "
                 f"(vCPU {c['prices']['cpu_per_hour']}, GiB {c['prices']['memory_gib_per_hour']}). "
                 f"A month is {HOURS_PER_MONTH:g} hours."))
    days = c["measured_hours"] / 24
    b = c["breakdown"]
    rows = [
        [f"total for the run ({days:g} days measured)", money(c["total"]), interval(c.get("total_ci95"))],
        ["per day", money(c["per_day"]), interval(c.get("per_day_ci95"))],
        ["per month (730 h), the pods' requests", money(c["per_month"]),
         interval(c.get("per_month_ci95"))],
        ["  of which CPU", money(b["cpu"]["per_month"]), ""],
        ["  of which memory", money(b["memory"]["per_month"]), ""],
        ["  of which idle (requested but unused)", money(c["idle_per_month"]),
         interval(c.get("idle_per_month_ci95"))],
        ["per million served requests", money(c["per_million_requests"]),
         interval(c.get("per_million_requests_ci95"))],
    ]
    nb = c.get("nodes")
    if nb:
        rows.append(["per month (730 h), the nodes under the pods", money(nb["per_month"]),
                     interval(nb.get("per_month_ci95"))])
    doc.add(Table(["figure", f"mean ({cur})", "95% interval over runs"], rows,
                  caption=c.get("estimator")))
    spot = b.get("spot") or {}
    facts = [f"Idle: {pct(c['idle_fraction'], 1)} of the requests' cost pays for CPU and "
             "memory the pods requested and did not use."]
    if nb and nb.get("per_month"):
        facts.append(f"Requests against nodes: the pods' requests are "
                     f"{pct(c['per_month'] / nb['per_month'], 1)} of the node bill "
                     f"({money(c['per_month'])} of {money(nb['per_month'])} {cur} a month); "
                     "the rest is other tenants, system reserves and free room.")
    facts.append(f"Spot: {pct(spot.get('pod_hours_share', 0.0), 1)} of pod-hours ran on spot "
                 f"nodes, {pct(spot.get('cost_share', 0.0), 1)} of the requests' cost"
                 + (f"; spot nodes are {pct(nb['spot_cost_share'], 1)} of the node bill "
                    f"({pct(nb['spot_node_hours_share'], 1)} of node-hours)" if nb else "") + ".")
    budget = sc.objectives.monthlyBudget
    if budget is not None:
        facts.append(f"Budget {money(budget)} {cur} a month: "
                     + ("within budget." if c["per_month"] <= budget else "**over budget**."))
    doc.add(Bullets(facts))
    doc.add(Table(
        ["resource", "allocated max(request, usage)", "requested", "used",
         f"cost a month ({cur})", f"idle a month ({cur})"],
        [["CPU", f"{b['cpu']['allocated_core_hours']:,.1f} core-hours",
          f"{b['cpu']['request_core_hours']:,.1f} core-hours",
          f"{b['cpu']['usage_core_hours']:,.1f} core-hours",
          money(b["cpu"]["per_month"]), money(b["cpu"]["idle_per_month"])],
         ["memory", f"{b['memory']['allocated_gib_hours']:,.1f} GiB-hours",
          f"{b['memory']['request_gib_hours']:,.1f} GiB-hours",
          f"{b['memory']['usage_gib_hours']:,.1f} GiB-hours",
          money(b["memory"]["per_month"]), money(b["memory"]["idle_per_month"])]],
        caption="Resource-hours are means over runs of the measured time."))
    if nb:
        doc.add(Heading(level + 1, "Node-based cost"))
        doc.add(Table(["pool", "spot", "node-hours", f"price per node-hour ({cur})",
                       "price from", f"cost ({cur})"],
                      [[k, "yes" if v["spot"] else "no", f"{v['node_hours']:,.1f}",
                        money(v["price_per_hour"]), v["price_source"], money(v["cost"])]
                       for k, v in nb["by_pool"].items()],
                      align="llrrlr"))


def _comparison_bars(c: Mapping[str, Any]) -> list[dict[str, Any]]:
    b = c["breakdown"]
    bars = [{"label": "with the HPA", "cpu": b["cpu"]["per_month"],
             "memory": b["memory"]["per_month"], "idle": c["idle_per_month"],
             "per_month": c["per_month"], "per_month_ci95": c.get("per_month_ci95")}]
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


def _saving_sentence(e: Mapping[str, Any]) -> str:
    s = e["hpa_saving"]
    ci = e.get("hpa_saving_ci95")
    if s >= 0:
        return (f"Against {e['label']}: the HPA saves {pct(s, 1)}"
                + (f" {interval(ci, lambda v: pct(v, 1))}" if ci else "") + ".")
    more = f" [{pct(-ci[1], 1)}, {pct(-ci[0], 1)}]" if ci else ""
    return f"Against {e['label']}: the HPA costs {pct(-s, 1)} more{more}."


def comparisons(doc: Document, sc: Scenario, summary: Mapping[str, Any], prefix: str,
                safety: HpaSafety | None) -> None:
    c = summary["cost"]
    cmp_ = c.get("comparisons") or {}
    cur = c["currency"]
    if not cmp_.get("computed"):
        doc.add(Para(f"No comparison with fixed replicas: {cmp_.get('reason', 'not computed')}."))
        return
    a = (cmp_.get("hpa") or {}).get("availability") or summary["availability"]["requests_served"]
    rows = [["with the HPA", f"{summary['replicas']['mean']:.2f} (mean)",
             money(c["per_month"]), interval(c.get("per_month_ci95")),
             near_one(a["mean"]), interval(a.get("ci95"), near_one), "", ""]]
    for key in ("fixed_max_replicas", "fixed_min_meeting_objective"):
        e = cmp_.get(key)
        if not e:
            continue
        ea = e["availability"]
        rows.append([e["label"], str(e["replicas"]), money(e["per_month"]),
                     interval(e.get("per_month_ci95")), near_one(ea["mean"]),
                     interval(ea.get("ci95"), near_one), pct(e["hpa_saving"], 1),
                     interval(e.get("hpa_saving_ci95"), lambda v: pct(v, 1))])
    doc.add(Table(["configuration", "replicas", f"{cur} a month", "95% interval",
                   "requests served", "95% interval", "HPA saving", "95% interval"], rows,
                  align="lrrrrrrr",
                  caption="Fixed replicas: the same scenario without its HPA, simulated with the "
                          "same seed and runs (paired). HPA saving = 1 − HPA cost / fixed cost; "
                          "negative: the HPA costs more. Requests served, every row: "
                          + cmp_.get("availability_estimator", a.get("estimator", "")) + "."))
    notes = []
    for key in ("fixed_max_replicas", "fixed_min_meeting_objective"):
        if cmp_.get(key):
            notes.append(_saving_sentence(cmp_[key]))
    if not cmp_.get("fixed_min_meeting_objective") and cmp_.get("fixed_min_reason"):
        notes.append(f"Fewest fixed replicas: {cmp_['fixed_min_reason']}.")
    f = sc.failures
    if f.nodes is None and f.zones is None and not f.spot:
        notes.append("This scenario injects no node, zone or spot failures, so few fixed "
                     "replicas are judged on load alone; the search still asks each candidate "
                     "to keep the SLOs with its largest zone down.")
    doc.add(Bullets(notes))
    s = cmp_.get("search")
    if s:
        rows = []
        for n, v in s["tried"].items():
            why = s.get("excluded", {}).get(n)
            rows.append([n, near_one(v["mean"]), "yes" if v["meets"] else "no",
                         "; ".join(v.get("missed") or []) or "–",
                         f"excluded: {why}" if why else
                         ("chosen" if str(s.get("replicas")) == n else "")])
        doc.add(Table(["fixed replicas", "requests served", "meets every objective",
                       "missed", "safety"], rows, align="rrlll",
                      caption=f"The fixed-replica search: bisection for the fewest meeting every "
                              f"objective, then upwards past the unsafe ones; "
                              f"{s['runs_per_candidate']} run(s) per candidate, criterion "
                              f"{s['criterion']}. Safe: {s['measure'].split('then safe: ')[-1]}."))
    doc.image(f"{prefix}cost.png",
              plots.cost_breakdown(_comparison_bars(c), cur, f"{sc.name}: cost per month"),
              "cost per month: HPA against fixed replicas",
              "CPU (blue) and memory (orange) cost per month, the idle part hatched, 95% "
              "intervals over runs.")
    if safety is not None:
        items = []
        items.append("PDB at minReplicas: " + (safety.pdb or "allows a drain"))
        if safety.zone_down_missed is not None:
            items.append(f"with {safety.zone} down for the whole run (the HPA in place): "
                         + ("every SLO holds" if not safety.zone_down_missed else
                            "; ".join(safety.zone_down_missed)))
        for w in safety.warnings:
            items.append(f"check warns ({w.get('code')}): {w.get('message')}; fix: {w.get('fix')}")
        doc.add(Para("**The HPA configuration itself**, judged by the rules the fixed "
                     "candidates had to pass:"))
        doc.add(Bullets(items))


# --- quota, findings, alerts, VPA -------------------------------------------------------------


def quota(doc: Document, summary: Mapping[str, Any], level: int) -> None:
    q = summary.get("quota") or {}
    hard = q.get("hard") or {}
    if not hard:
        return
    doc.add(Heading(level, "Quota headroom"))
    rows = [quota_row(k, (q.get("peak_used") or {}).get(k, "0"), h) for k, h in hard.items()]
    doc.add(Table(["resource", "unit", "peak used", "hard", "headroom", "used"], rows,
                  align="llrrrr",
                  caption="The most charged to the namespace's ResourceQuota at once (surge "
                          "and terminating pods included), each resource in one unit."))


def findings(doc: Document, summary: Mapping[str, Any], level: int) -> None:
    f = summary.get("findings")
    if not isinstance(f, list) or not f:
        return
    doc.add(Heading(level, "Check findings"))
    doc.add(Table(["severity", "finding", "where", "what", "fix"],
                  [[str(x.get("severity", "")), str(x.get("code", "")), f"`{x.get('path', '')}`",
                    str(x.get("message", "")), str(x.get("fix") or "")] for x in f],
                  align="lllll", caption="`python -m capacity check` on the scenario."))


def alert_entries(alerts: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """``summary["alerts"]`` as (alert name, entry): a mapping of name to entry, or a list
    of entries naming themselves (``alert`` or ``name``)."""
    if isinstance(alerts, Mapping):
        return [(str(k), v) for k, v in alerts.items() if isinstance(v, Mapping)]
    if isinstance(alerts, list):
        return [(str(a.get("alert") or a.get("name") or f"alert {i + 1}"), a)
                for i, a in enumerate(alerts) if isinstance(a, Mapping)]
    return []


def alerts(doc: Document, summary: Mapping[str, Any], ck: Clock, level: int) -> None:
    entries = alert_entries(summary.get("alerts"))
    if not entries:
        return
    doc.add(Heading(level, "Alerts the PrometheusRule would have fired"))
    extra = [(k, h) for k, h in (("on_normal_load", "fired on normal load per run"),
                                 ("false_pages", "false pages per run"))
             if any(a.get(k) is not None for _, a in entries)]
    detect = any(a.get("time_to_detect") for _, a in entries)
    rows = []
    for name, a in entries:
        first = a.get("first_fired_at")
        row = [f"`{name}`", str(a.get("severity", "–")), f"{float(a.get('fired', 0)):g}",
               duration(a.get("firing_seconds")),
               "never" if first is None else ck(float(first), seconds=True)]
        row += ["–" if a.get(k) is None else f"{float(a[k]):g}" for k, _ in extra]
        if detect:
            ttd = a.get("time_to_detect") or {}
            row.append("; ".join(f"{kind}: {duration(t.get('mean_seconds'))} "
                                 f"({t.get('detected', 0)} of {t.get('episodes', 0)})"
                                 for kind, t in ttd.items()) or "–")
        rows.append(row)
    fired = [n for n, a in entries if float(a.get("fired", 0) or 0) > 0]
    doc.add(Table(["alert", "severity", "firing episodes per run", "firing per run",
                   "first fired (run 0)", *[h for _, h in extra]]
                  + (["time to detect a failure (detected of episodes)"] if detect else []),
                  rows, align="llrrl" + "r" * len(extra) + ("l" if detect else ""),
                  caption="Each alert of the emitted PrometheusRule evaluated on the simulated "
                          "series with its own expression and `for:`, as Prometheus evaluates "
                          "it at the rule group's interval; means over runs."))
    doc.add(Para(f"{len(fired)} of {len(entries)} alerts fired"
                 + (": " + ", ".join(f"`{n}`" for n in fired) if fired else "") + "."))
    eps = (summary.get("monitoring") or {}).get("episodes") or []
    if eps:
        doc.add(Table(["failure", "started (run)", "first alert", "time to detect",
                       "recovered"],
                      [[f"{e.get('kind')} {e.get('target', '')}".strip(),
                        f"{ck(float(e['start']), seconds=True)} ({e.get('run', 0)})",
                        f"`{e['first_alert']}`" if e.get("first_alert") else "none fired",
                        duration(e.get("time_to_detect")),
                        "–" if e.get("recovered") is None else ck(float(e["recovered"]),
                                                                  seconds=True)]
                       for e in eps], align="lllrl",
                      caption="Each failure episode of the runs and the first alert that "
                              "fired for it."))


def vpa_entries(vpa: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """``summary["vpa"]`` as (container, recommendation): a mapping of container to its
    ``target``/``lowerBound``/``upperBound``/``uncappedTarget``, the same under
    ``containers``, or a list as the VPA status has it (``containerRecommendations``,
    each naming its ``containerName``)."""
    if isinstance(vpa, Mapping):
        for key in ("containers", "recommendation", "containerRecommendations"):
            if key in vpa:
                return vpa_entries(vpa[key])
        return [(str(k), v) for k, v in vpa.items()
                if isinstance(v, Mapping) and ("target" in v or "lowerBound" in v)]
    if isinstance(vpa, list):
        return [(str(r.get("containerName", f"container {i + 1}")), r)
                for i, r in enumerate(vpa) if isinstance(r, Mapping)]
    return []


def vpa(doc: Document, sc: Scenario, summary: Mapping[str, Any], level: int) -> None:
    entries = vpa_entries(summary.get("vpa"))
    if not entries:
        return
    doc.add(Heading(level, "What the VerticalPodAutoscaler would recommend"))
    requests = {c.name: dict((c.resources.requests if c.resources else None) or {})
                for c in sc.workload.deployment.template.spec.containers}
    rows = []
    for name, r in entries:
        if r.get("requests"):
            requests[name] = dict(r["requests"])
        resources = sorted({k for f in ("target", "lowerBound", "upperBound", "uncappedTarget")
                            for k in (r.get(f) or {})})
        for res in resources:
            lo, hi = (r.get("minAllowed") or {}).get(res), (r.get("maxAllowed") or {}).get(res)
            rows.append([f"`{name}`", res, amount(res, requests.get(name, {}).get(res)),
                         amount(res, (r.get("lowerBound") or {}).get(res)),
                         amount(res, (r.get("target") or {}).get(res)),
                         amount(res, (r.get("upperBound") or {}).get(res)),
                         amount(res, (r.get("uncappedTarget") or {}).get(res)),
                         "–" if lo is None and hi is None else
                         f"{amount(res, lo)} to {amount(res, hi)}"])
    doc.add(Table(["container", "resource", "request now", "lowerBound", "target", "upperBound",
                   "uncappedTarget", "resourcePolicy allows"], rows, align="llrrrrrl",
                  caption="The recommender's figures for the simulated usage, as upstream's "
                          "recommender computes them, capped by the VPA's resourcePolicy "
                          "(uncappedTarget is before the cap)."))


# --- the hand-made estimate -------------------------------------------------------------------


def worked_example(doc: Document, we: Mapping[str, Any], level: int) -> None:
    ar, sv = we["arithmetic"], we["saving"]
    cur = ar["currency"]
    doc.add(Heading(level, "Example: checking a cost estimate made by hand"))
    doc.add(Para(
        "The sandbox-executor configuration that `scenarios/baseline.yaml` models came with a "
        "cost estimate worked out by hand: what three replicas cost, what ten cost, and how "
        "much an HPA saves against always running ten. `docs/seed-findings.md` lists that "
        "document's claims and `docs/cost.md` the arithmetic. Here each step is redone from "
        "the pod spec and the prices, then simulated. First, the resource sums:"))
    doc.add(Table(["the estimate says", "right figure", "why"],
                  [[r["claim"], r["correct"], r["why"]] for r in we["slips"]], align="lll"))
    doc.add(Para(
        f"At {ar['price_source']} ({ar['cpu_per_hour']} {cur} per vCPU-hour, "
        f"{ar['memory_gib_per_hour']} {cur} per GiB-hour) one pod at its requests costs "
        f"{ar['request_cpu']:g} × {ar['cpu_per_hour']} + {ar['request_memory_gib']:g} × "
        f"{ar['memory_gib_per_hour']} = {ar['pod_per_hour']:.8g} {cur} an hour, so the "
        f"estimate's unit X ({ar['min_replicas']} replicas for a month of 730 h) is "
        f"{ar['min_replicas']} × {ar['pod_per_hour']:.8g} × 730 = {money(ar['X_per_month'])} {cur}. "
        f"Reading \"assuming 20% peak traffic\" as 20% of the time at {ar['max_replicas']} "
        f"replicas and 80% at {ar['min_replicas']}: 0.2 × {ar['max_replicas']} + 0.8 × "
        f"{ar['min_replicas']} = {ar['average_replicas']:g} replicas on average."))
    rng = interval(sv.get("hpa_per_month_ci95"))
    doc.add(Table(
        ["claim", "the estimate", "arithmetic", "simulated (HPA, matching load)"],
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
        caption=(f"Simulated: {sv['runs']} run(s) × {timeline.duration_text(sv['duration_seconds'])}; "
                 f"every day {pct(sv['peak_fraction'], 0)} of the time (centred on 12:00) at "
                 f"{sv['peak_rps']:.1f} rps, else {sv['base_rps']:.1f} rps, no noise. The HPA "
                 f"spent {pct(sv['time_at_max_replicas'], 1)} of its syncs at maxReplicas; "
                 f"requests served {near_one(sv['hpa_availability']['mean'])}. The saving is "
                 "paired run by run against fixed maxReplicas under the same load.")))
    held = abs(sv["saving"] - 0.55) <= 0.03
    doc.add(Para(
        (f"The estimate's 55% {'holds up' if held else 'does not hold'} for a load that "
         f"matches its assumption: the model gives {pct(sv['saving'], 1)}. ")
        + ("Scale-up and scale-down lag, and CPU use above the request while the HPA catches "
           f"up, cost the HPA more than the arithmetic's {ar['average_replicas']:g} replicas. "
           if sv["hpa_per_month"] > ar["average_per_month"] else "")
        + "For this scenario's own load, the comparison with fixed replicas above is the "
          "figure to use."))


def search_bullets(summary: Mapping[str, Any], limit: int = 4) -> list[str]:
    cmp_ = (summary.get("cost") or {}).get("comparisons") or {}
    if not cmp_.get("computed"):
        return []
    r = search_reasons(cmp_)
    return r[:limit] + ([f"… and {len(r) - limit} more (see the cost section)"]
                        if len(r) > limit else [])
