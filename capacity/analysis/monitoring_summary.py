"""What the monitoring would have seen, summarised (DESIGN §11): alerts and the VPA.

Per run (in the worker, from the observer's :class:`~capacity.sim.monitoring.MonitoringRun`):

* :func:`series_store`: the run's series as a PromQL :class:`SeriesStore`, with the
  staleness marker Prometheus' scrape loop writes at the first scrape a series is missing
  from (a pod gone, a target down);
* :func:`evaluate_alerts`: the emitted PrometheusRule evaluated on it with
  :func:`capacity.analysis.alerting.evaluate_rules`, every ``rule_interval`` seconds
  (default 30 s: the Prometheus Operator's default ``evaluationInterval``, which a group
  without ``interval`` gets), phase 0 (evaluations on the scrape grid, as
  ``promtool test rules`` does).

Over runs (:func:`monitoring_summary`, for ``build_summary``):

* ``alerts``: per alert, DESIGN §11's ``severity``, ``fired`` (firing episodes per run,
  mean), ``firing_seconds`` (per run, mean), ``first_fired_at`` (seconds into run 0, or
  null), and ``fired_per_week`` (``fired`` scaled to 7 days), ``on_normal_load`` (episodes
  per run that began outside every failure, drain and rollout), ``false_pages`` (see
  below; null when no run recorded its timeseries or the scenario has no objective) and
  ``time_to_detect`` per failure kind;
* ``monitoring``: the scrape and rule intervals, every failure episode with the first
  firing of each alert after its start (``time_to_detect``), the definition of a false
  page, and finding-like notices for alerts that fire on normal load;
* ``vpa``: the recommender's ``target``, ``lowerBound``, ``upperBound`` and
  ``uncappedTarget`` per container, as Kubernetes quantities and as numbers (cores,
  bytes), mean, min and max over runs, beside the scenario's requests, limits and the
  policy's ``minAllowed`` / ``maxAllowed``.

A **false page** is a firing episode (from ``firing_since`` to ``resolved_at``, or the end
of the run) during which no objective of the scenario is breached in any timeseries row
whose sync interval (previous row, row] overlaps it. A row breaches the availability
objective ``A`` when ``error_rps > (1 - A) x offered_rps`` (errors of every reason: the
error budget burns faster than the objective allows), and a latency objective
``{threshold, target}`` when the row's percentile at or above the target it carries
exceeds the threshold (``latency_p50`` for targets up to 50 %, else ``latency_p99``; for
targets above 99 % the p99 is the closest the rows hold, so a breach in the last 1 % is
not seen). An episode that overlaps no row is not judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from capacity.analysis.alerting import evaluate_rules
from capacity.analysis.promql import STALE_NAN, Query, SeriesStore, to_ms
from capacity.k8s.vpa.model import resources_as_quantity_strings
from capacity.manifests.alerts import ALERT_NAMES, alert_name
from capacity.scenario.model import Scenario

if TYPE_CHECKING:  # the data only: nothing of the simulation runs here
    from capacity.sim.monitoring import MonitoringRun

__all__ = [
    "FALSE_PAGE_DEFINITION",
    "RULE_INTERVAL",
    "evaluate_alerts",
    "monitoring_notices",
    "monitoring_summary",
    "rule_metric_names",
    "series_store",
    "vpa_summary",
]

#: The Prometheus Operator's default ``evaluationInterval`` (``PrometheusSpec`` in
#: ``pkg/apis/monitoring/v1/prometheus_types.go``: ``+kubebuilder:default:="30s"``), which
#: its generated config gives every PrometheusRule group without an ``interval``; seconds.
RULE_INTERVAL = 30.0
WEEK = 7 * 86400.0

FALSE_PAGE_DEFINITION = (
    "a firing episode during which no objective is breached in any timeseries row "
    "(sync interval) it overlaps: errors <= (1 - availability objective) x offered, and "
    "for each latency objective the row's p50 (targets up to 50%) or p99 within the "
    "threshold")


# --- one run ------------------------------------------------------------------------------


def rule_metric_names(rule: Mapping[str, Any]) -> set[str] | None:
    """The metric names a PrometheusRule's expressions read, with its recording rules'
    outputs (a raw series of that name must still clash, as without the filter). None
    (read everything) when a selector names no metric exactly or the rule is not
    well formed: :func:`evaluate_rules` then reports what is wrong with it."""
    names: set[str] = set()
    try:
        for g in rule["spec"]["groups"]:
            for r in g.get("rules") or ():
                got = Query(str(r["expr"])).metric_names()
                if got is None:
                    return None
                names |= got
                if r.get("record"):
                    names.add(str(r["record"]))
    except (KeyError, TypeError, AttributeError, ValueError):
        return None  # PromQLError and UnsupportedPromQL are ValueErrors too
    return names


def series_store(run: MonitoringRun, stale: bool = True,
                 names: set[str] | None = None) -> SeriesStore:
    """The run's counter and gauge series (histograms left out: no rule reads them), in
    seconds from the run's start; ``stale``: a staleness marker at the scrape after each
    stretch of samples that ends before the run does; ``names``: only the series of these
    metric names (what the rules read), None for all."""
    st = SeriesStore(scrape_interval=run.scrape_interval)
    last = run.scrapes - 1
    # The series of one pod or object are sampled at the same scrapes (one ``k`` array):
    # they share one timestamp array, and constants stay broadcast, so a month of scrapes
    # costs the store little beyond the values themselves.
    # Keyed by id, each entry holding its k so that id stays that array's.
    shared: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray | None, int]] = {}
    for s in run.series:
        if s.v is None or not len(s.k) or (names is not None and s.sample_name not in names):
            continue
        got = shared.get(id(s.k))
        if got is None or got[0] is not s.k:
            k, order, gaps = s.k, None, 0
            if stale:
                ends = np.flatnonzero(np.diff(k) > 1)
                gap_end = np.concatenate([k[ends] + 1, [k[-1] + 1]])
                gap_end = gap_end[gap_end <= last]
                if len(gap_end):
                    k = np.concatenate([k, gap_end])
                    order = np.argsort(k, kind="stable")
                    k, gaps = k[order], len(gap_end)
            got = (s.k, to_ms(k * run.scrape_interval), order, gaps)
            shared[id(s.k)] = got
        _, t_ms, order, gaps = got
        v = s.v
        if order is not None:
            v = np.concatenate([v, np.full(gaps, STALE_NAN)])[order]
        st.add({"__name__": s.sample_name, **s.labels}, None, v, t_ms=t_ms, copy=False)
    return st


def evaluate_alerts(run: MonitoringRun, store: SeriesStore,
                    rule_interval: float | None = RULE_INTERVAL) -> dict[str, Any]:
    """The emitted rules on ``store`` over the run: ``alerts`` (name → DESIGN §11 entry of
    this run), ``alert_intervals`` (every episode: ``alert``, ``severity``, ``labels``,
    ``pending_since``, ``firing_since``, ``resolved_at``, seconds into the run) and the
    ``rule_interval`` used. ``rule_interval`` None keeps each group's own ``interval``
    (30 s where it has none). Raises what ``evaluate_rules`` raises."""
    groups = run.rule["spec"]["groups"]
    if rule_interval is not None:
        groups = [{k: v for k, v in g.items() if k != "interval"} for g in groups]
    default = rule_interval if rule_interval is not None else RULE_INTERVAL
    res = evaluate_rules(groups, store, 0.0, run.duration, default_interval=default)
    intervals = [{"alert": a.name, "severity": a.severity, "labels": dict(iv.labels),
                  "pending_since": iv.pending_since, "firing_since": iv.firing_since,
                  "resolved_at": iv.resolved_at}
                 for a in res.alerts for iv in a.intervals]
    return {"alerts": res.summary(), "alert_intervals": intervals, "rule_interval": default}


# --- over runs ------------------------------------------------------------------------------


def _monitored(outs: Sequence[Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [(o, o.extra["monitoring"]) for o in outs
            if isinstance((o.extra or {}).get("monitoring"), Mapping)
            and o.extra["monitoring"].get("alerts") is not None]


def _windows(o: Any) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
    """The run's failure episodes, and every window of trouble (failures until recovered,
    drains, rollouts), seconds into the run."""
    end = float(o.duration)
    cl = (o.extra or {}).get("cluster") or {}
    fails = list(cl.get("failures") or [])
    spans = []
    for f in fails:
        stop = f.get("recovered") if f.get("recovered") is not None else f.get("end")
        spans.append((float(f["start"]), float(stop) if stop is not None else end))
    for d in cl.get("drains") or []:
        spans.append((float(d["start"]), float(d["end"]) if d.get("end") is not None else end))
    for r in (o.extra or {}).get("rollouts") or []:
        spans.append((float(r["start"]), float(r["end"]) if r.get("end") is not None else end))
    return fails, spans


def _breach_rows(sc: Scenario, cols: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """Per timeseries row, whether an objective is breached; None without objectives."""
    obj = sc.objectives
    if obj.availability is None and not obj.latency:
        return None
    offered = np.asarray(cols["offered_rps"], dtype=float)
    bad = np.zeros(len(offered), dtype=bool)
    if obj.availability is not None:
        err = np.nan_to_num(np.asarray(cols.get("error_rps", np.zeros(len(offered))), float))
        bad |= err > (1.0 - float(obj.availability)) * offered + 1e-12
    for lo in obj.latency:
        col = "latency_p50" if lo.target <= 0.5 else "latency_p99"
        lat = np.asarray(cols.get(col, np.full(len(offered), np.nan)), dtype=float)
        with np.errstate(invalid="ignore"):
            bad |= lat > lo.threshold
    return bad


def _false_page(iv: Mapping[str, Any], t: np.ndarray, bad: np.ndarray, end: float
                ) -> bool | None:
    f = iv["firing_since"]
    r = iv["resolved_at"] if iv["resolved_at"] is not None else end
    prev = np.concatenate([[-np.inf], t[:-1]])
    over = (t > f) & (prev < r)
    if not over.any():
        return None
    return not bool(bad[over].any())


def _short(sc: Scenario, name: str) -> str:
    for s in ALERT_NAMES:
        if alert_name(sc.workload.name, s) == name:
            return s
    return name


def _episodes(sc: Scenario, outs: Sequence[Any]) -> dict[str, Any]:
    """Per-alert counts over runs and the failure episodes with their detection."""
    mon = _monitored(outs)
    per_alert: dict[str, dict[str, list[float]]] = {}
    episodes: list[dict[str, Any]] = []
    for o, m in mon:
        fails, spans = _windows(o)
        end = float(o.duration)
        cols = o.columns or {}
        bad = _breach_rows(sc, cols) if cols and "time" in cols else None
        t = np.asarray(cols["time"], dtype=float) if bad is not None else None
        counts: dict[str, dict[str, float]] = {a: {"normal": 0.0, "false": 0.0, "judged": 0.0}
                                               for a in m["alerts"]}
        for iv in m["alert_intervals"]:
            if iv["firing_since"] is None:
                continue
            c = counts.setdefault(iv["alert"], {"normal": 0.0, "false": 0.0, "judged": 0.0})
            p = iv["pending_since"]
            if not any(a <= p <= b for a, b in spans):
                c["normal"] += 1
            if bad is not None:
                fp = _false_page(iv, t, bad, end)  # type: ignore[arg-type]
                if fp is not None:
                    c["judged"] += 1
                    c["false"] += fp
        for name, c in counts.items():
            d = per_alert.setdefault(name, {"normal": [], "false": []})
            d["normal"].append(c["normal"])
            if bad is not None:
                d["false"].append(c["false"])
        for f in fails:
            start = float(f["start"])
            stop = f.get("recovered") if f.get("recovered") is not None else f.get("end")
            stop = float(stop) if stop is not None else end
            detected: dict[str, float] = {}
            for iv in m["alert_intervals"]:
                if iv["firing_since"] is None or not start <= iv["pending_since"] <= stop:
                    continue
                dt = iv["firing_since"] - start
                if iv["alert"] not in detected or dt < detected[iv["alert"]]:
                    detected[iv["alert"]] = dt
            first = min(detected.items(), key=lambda kv: kv[1]) if detected else None
            episodes.append({"run": o.run, "kind": f["kind"], "target": f["target"],
                             "start": start, "recovered": f.get("recovered"),
                             "detected_by": dict(sorted(detected.items(), key=lambda kv: kv[1])),
                             "first_alert": first[0] if first else None,
                             "time_to_detect": first[1] if first else None})
    return {"per_alert": per_alert, "episodes": episodes, "runs": len(mon)}


def monitoring_summary(sc: Scenario, outs: Sequence[Any]) -> dict[str, Any]:
    """``alerts``, ``monitoring`` and ``vpa`` for the summary; only the keys whose data
    the runs carry (none when nothing was monitored)."""
    out: dict[str, Any] = {}
    mon = _monitored(outs)
    if mon:
        ep = _episodes(sc, outs)
        runs = len(mon)
        names = list(mon[0][1]["alerts"])
        first = mon[0][1]["alerts"] if mon[0][0].run == 0 else None
        alerts: dict[str, Any] = {}
        for name in names:
            entries = [m["alerts"][name] for _, m in mon]
            dur = np.mean([float(o.duration) for o, _ in mon])
            fired = float(np.mean([e["fired"] for e in entries]))
            pa = ep["per_alert"].get(name, {"normal": [], "false": []})
            kinds: dict[str, dict[str, Any]] = {}
            for e in ep["episodes"]:
                k = kinds.setdefault(e["kind"], {"episodes": 0, "detected": 0, "seconds": []})
                k["episodes"] += 1
                if name in e["detected_by"]:
                    k["detected"] += 1
                    k["seconds"].append(e["detected_by"][name])
            alerts[name] = {
                "severity": entries[0]["severity"],
                "fired": fired,
                "firing_seconds": float(np.mean([e["firing_seconds"] for e in entries])),
                "first_fired_at": first[name]["first_fired_at"] if first else None,
                "fired_per_week": fired * WEEK / dur if dur > 0 else None,
                "on_normal_load": float(np.mean(pa["normal"])) if pa["normal"] else 0.0,
                "false_pages": float(np.mean(pa["false"])) if pa["false"] else None,
                "time_to_detect": {
                    kind: {"episodes": k["episodes"], "detected": k["detected"],
                           "mean_seconds": float(np.mean(k["seconds"])) if k["seconds"]
                           else None,
                           "max_seconds": float(np.max(k["seconds"])) if k["seconds"]
                           else None}
                    for kind, k in kinds.items()},
            }
        out["alerts"] = alerts
        out["monitoring"] = {
            "runs": runs,
            "scrape_interval_seconds": mon[0][1]["scrape_interval"],
            "rule_interval_seconds": mon[0][1]["rule_interval"],
            "episodes": ep["episodes"],
            "false_page_definition": FALSE_PAGE_DEFINITION,
            "normal_load": _normal_load_findings(sc, alerts),
        }
    vpa = vpa_summary(sc, outs)
    if vpa is not None:
        out["vpa"] = vpa
    return out


def _normal_load_findings(sc: Scenario, alerts: Mapping[str, Any]) -> list[dict[str, str]]:
    out = []
    for name, a in alerts.items():
        n = a["on_normal_load"]
        if n <= 0:
            continue
        short = _short(sc, name)
        week = n * a["fired_per_week"] / a["fired"] if a["fired"] else n
        out.append({
            "severity": "warning", "code": "alert-fires-on-normal-load",
            "path": f"monitoring.alerts.{short}",
            "message": f"{name} ({a['severity']}) fired {n:g} times per run on normal load "
                       f"(no failure, drain or rollout under way), about {week:.1f} a week",
            "fix": f"raise monitoring.alerts.{short}.threshold or lengthen its for:, or "
                   "change what it measures, so that it pages on trouble only"})
    return out


def monitoring_notices(sc: Scenario, outs: Sequence[Any]) -> list[str]:
    """One line per alert that fires on normal load (for ``summary["notices"]``)."""
    mon = monitoring_summary(sc, outs).get("monitoring")
    if not mon:
        return []
    return [f"{f['message']}: {f['fix']}" for f in mon["normal_load"]]


# --- the VPA -----------------------------------------------------------------------------------

_FIELDS = ("target", "lowerBound", "upperBound", "uncappedTarget")


def _quantities(spec: Mapping[str, Any] | None) -> dict[str, str]:
    return {k: str(v) for k, v in (spec or {}).items()}


def vpa_summary(sc: Scenario, outs: Sequence[Any]) -> dict[str, Any] | None:
    """``summary["vpa"]`` from the runs' ``extra["vpa"]`` (None without a VPA feed)."""
    runs = [o.extra["vpa"] for o in outs if isinstance((o.extra or {}).get("vpa"), Mapping)]
    if not runs:
        return None
    v = sc.autoscaling.vertical
    policies = {}
    if v is not None and v.resourcePolicy is not None:
        for p in v.resourcePolicy.containerPolicies or []:
            policies[p.containerName] = p
    spec = {c.name: c for c in sc.workload.deployment.template.spec.containers}
    names = sorted({n for r in runs for n in r["containers"]})
    containers: dict[str, Any] = {}
    for name in names:
        entry: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for fld in _FIELDS:
            amounts: dict[str, list[int]] = {}
            for r in runs:
                for res, amt in (r["containers"].get(name, {}).get(fld) or {}).items():
                    amounts.setdefault(res, []).append(int(amt))
            mean = {res: round(float(np.mean(a))) for res, a in amounts.items()}
            entry[fld] = resources_as_quantity_strings(mean)
            values[fld] = {res: {"mean": _number(res, float(np.mean(a))),
                                 "min": _number(res, float(min(a))),
                                 "max": _number(res, float(max(a)))}
                           for res, a in amounts.items()}
        c = spec.get(name)
        res = c.resources.to_k8s() if c is not None and c.resources is not None else {}
        pol = policies.get(name) or policies.get("*")
        entry.update({
            "values": values,
            "requests": _quantities(res.get("requests")),
            "limits": _quantities(res.get("limits")),
            "minAllowed": _quantities(pol.minAllowed if pol is not None else None),
            "maxAllowed": _quantities(pol.maxAllowed if pol is not None else None),
        })
        containers[name] = entry
    first = runs[0]
    return {
        "updateMode": ((v.updatePolicy.updateMode if v is not None and v.updatePolicy
                        else None) or "Auto") if v is not None else None,
        "recommender_interval_seconds": first.get("interval"),
        "runs": len(runs),
        "samples_per_run": float(np.mean([r.get("samples", 0) for r in runs])),
        "estimator": "kubernetes/autoscaler vertical-pod-autoscaler recommender (capacity."
                     "k8s.vpa) fed from metrics-server every --recommender-interval; capped "
                     "by the resourcePolicy; mean (min, max) over runs",
        "containers": containers,
    }


def _number(resource: str, amount: float) -> float:
    """A recommendation amount as a number: cores for cpu (millicores / 1000), bytes."""
    return amount / 1000.0 if resource == "cpu" else amount
