"""``python -m capacity simulate SCENARIO``: run it and print the summary."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capacity.cli import jsonout
from capacity.cli.args import (
    MAX_EPISODES,
    MAX_WORKERS,
    add_progress_option,
    add_scheduler_option,
    bounded_run,
    count,
    positive_duration,
    positive_runs,
    seed,
)
from capacity.cli.output import check_output_dir, write_files_atomically
from capacity.study.defaults import DEFAULT_EPISODES

if TYPE_CHECKING:
    from capacity.api import SimulationResult

# The simulation and the models are imported where they are used, so that every
# command's --help (which builds all the parsers) starts in a fraction of a second.

EPILOG = """\
availability measures (each the mean over runs with a 95% interval):
  requests served         answered requests / offered requests
  time with a ready pod   share of time with at least one ready endpoint
  time at full capacity   share of time the ready pods could serve all offered load
                          (no request lost for want of capacity)
  time all desired ready  share of time the ready pods are at least spec.replicas
                          (pods Pending, starting or lost count against it)
  time with ready pods    share of time with at least k ready pods, for each k
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("scenario", help="scenario YAML file, e.g. scenarios/peak.yaml")
    p.add_argument("--runs", type=int, help="replications (default: the scenario's simulation.runs)")
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's simulation.seed)")
    p.add_argument("--duration", help="simulated time per run, e.g. 2d or 6h (default: the scenario's)")
    p.add_argument("--out", metavar="DIR", help="write summary.json, timeseries.csv, events.csv to DIR")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores for several runs)")
    add_scheduler_option(p)
    p.add_argument("--until-ci", type=float, metavar="HALFWIDTH",
                   help="add runs until the 95%% interval of the first latency SLO (else of "
                        "requests answered) is at most this half-width, e.g. 0.0005, up to "
                        "--runs")
    add_progress_option(p)
    p.add_argument("--compare", action="store_true",
                   help="also cost fixed replicas (at maxReplicas, and the fewest that meet the "
                        "availability objective without an HPA): several more simulations")
    p.add_argument("--record", choices=["all", "first", "none"], default=None,
                   help="which runs keep their timeseries and events (default: all for up to "
                        "20 runs, else the first only, so memory stays flat in the run count)")
    p.add_argument("--episodes", type=int, default=DEFAULT_EPISODES, metavar="N",
                   help="failure episodes simulated per random failure kind for the rare-failure "
                        f"availability estimate (default {DEFAULT_EPISODES}, as in `report`; "
                        "0 turns it off)")
    p.add_argument("--metrics-out", metavar="DIR",
                   help="also write what Prometheus would have scraped: DIR/metrics.om "
                        "(OpenMetrics, every run one after another in time) and, when "
                        "promtool is installed, DIR/blocks/ (TSDB blocks to load into a "
                        "Prometheus, see the README); about 0.9 GB per simulated week and run")


def _pct(x: dict[str, Any], digits: int = 4) -> str:
    m = x["mean"]
    s = f"{m * 100:.{digits}f}%"
    if x.get("ci95"):
        lo, hi = x["ci95"]
        s += f"  [{lo * 100:.{digits}f}%, {hi * 100:.{digits}f}%]"
    return s


def _objective(x: float) -> str:
    """``0.999`` → ``99.9%`` (never ``99.90000000000001%``)."""
    return f"{round(x * 100, 10):g}%"


def _interval_heading(runs: int) -> str:
    return ("mean, 95% interval over runs" if runs > 1
            else "one run: no interval (use --runs 2 or more)")


def format_summary(summary: dict[str, Any]) -> str:
    """The human-readable table printed by ``simulate``."""
    from capacity.scenario.durations import human_duration

    a = summary["availability"]
    r = summary["replicas"]
    c = summary["cost"]
    runs = summary["runs"]
    lines = [
        f"scenario   {summary['scenario']}   (Kubernetes {summary['kubernetesVersion']})",
        f"runs       {runs} x {human_duration(summary['duration_seconds'])}, "
        f"seed {summary['seed']}",
    ]
    for n in summary.get("notices") or []:
        lines.append(f"NOTE       {n}")
    lines += [
        "",
        f"availability ({_interval_heading(runs)})",
        f"  requests served            {_pct(a['requests_served'])}",
        f"  time with a ready pod      {_pct(a['time_with_ready_pod'])}",
        f"  time at full capacity      {_pct(a['time_at_full_capacity'])}"
        "   (ready pods could serve all offered load)",
    ]
    if "time_all_desired_ready" in a:
        lines.append(f"  time all desired ready     {_pct(a['time_all_desired_ready'])}"
                     "   (ready pods >= spec.replicas)")
    at_least = a.get("time_with_at_least") or {}
    if at_least:
        shown = ", ".join(f">={k}: {v['mean'] * 100:.2f}%" for k, v in at_least.items())
        lines.append(f"  time with ready pods       {shown}")
    ep = a.get("episodes")
    if ep:
        lines.append("  requests served, with rare failures weighted by their rates")
        lines.append(f"    ({ep.get('episodes_per_kind', '?')} failure episodes per kind)"
                     f"  {_pct(ep['requests_served'])}")
        for kind, k in ep["by_kind"].items():
            lost = k["lost_requests_per_episode"]
            ci = lost.get("ci95")
            ci_s = f" [{round(ci[0]) + 0:.0f}, {round(ci[1]) + 0:.0f}]" if ci else ""
            lines.append(f"    {kind:12} {k['rate_per_year']:6.2f}/year, "
                         f"{round(lost['mean']) + 0:10.0f}{ci_s} requests lost per episode")
    if a.get("objective") is not None:
        best = (ep or a)["requests_served"]
        ok = best["mean"] >= a["objective"]
        lines.append(f"  objective                  {_objective(a['objective'])}  "
                     f"({'met' if ok else 'NOT met'} by the mean"
                     f"{' of the episode estimate' if ep else ''})")
    lat = summary.get("latency") or {}
    if lat and lat.get("p50", {}).get("n"):
        lines += ["", f"latency    answered requests ({_interval_heading(runs)})"]
        for k in ("mean", "p50", "p90", "p95", "p99"):
            lines.append(f"  {k:26} {_secs(lat[k])}")
    errs = summary.get("errors") or {}
    if errs:
        by = errs.get("by_reason") or {}
        reasons = ", ".join(f"{k} {_count(v)}" for k, v in by.items() if v >= 0.05) or "none"
        lines += ["", f"errors     {_pct(errs['rate'])} of offered requests",
                  f"  by reason, per run         {reasons}"]
    slos = summary.get("slo") or []
    if slos:
        lines += ["", "SLOs       good fraction, met?, error budget used (of a 30-day month)"]
        for s_ in slos:
            ok = "met" if s_["met"] else "MISSED"
            lines.append(f"  {s_['name']:26} {_pct(s_['good_fraction'])}  {ok}, "
                         f"{s_['error_budget_used'] * 100:.1f}% of the budget: "
                         f"{s_['bad_minutes_per_month']:.1f} of {s_['budget_minutes_per_month']:.1f} min, "
                         f"{_count(round(s_['bad_requests_per_month']))} of "
                         f"{_count(round(s_['budget_requests_per_month']))} requests")
    rd = r.get("ready") or {}
    lines += [
        "",
        f"replicas   spec.replicas min {r['min']}   mean {r['mean']:.2f}   max {r['max']}",
    ]
    if rd:
        lines.append(f"           ready pods    min {rd['min']}   mean {rd['mean']:.2f}   "
                     f"max {rd['max']}")
    lines += [
        "",
        f"cost ({c['currency']}, {c['prices']['source']})",
        f"  per month                  {_money(c, 'per_month')}",
        f"  per day                    {_money(c, 'per_day')}",
        f"  total for the run          {_money(c, 'total')}",
    ]
    spot = (c.get("breakdown") or {}).get("spot") or {}
    if spot.get("pod_hours"):
        lines.append(f"  on spot nodes              {spot['pod_hours_share'] * 100:.1f}% of pod-hours, "
                     f"{spot['cost_share'] * 100:.1f}% of the cost")
    comp = c.get("comparisons") or {}
    if comp.get("computed"):
        for k, v in comp.items():
            if isinstance(v, dict) and "per_month" in v:
                lines.append(f"  {k:26} {v['per_month']:.2f} per month"
                             + (f" ({v['replicas']} replicas)" if "replicas" in v else ""))
    pm = c.get("per_million_requests")
    if pm is not None and not math.isnan(pm):
        lines.append(f"  per million requests       {pm:.4f}")
    nb = c.get("nodes")
    if nb:
        lines.append(f"  nodes (node-based)         {nb['per_month']:.2f} per month; spot nodes "
                     f"{nb['spot_cost_share'] * 100:.1f}% of the node cost, "
                     f"{nb['spot_node_hours_share'] * 100:.1f}% of node-hours")
    fails = summary.get("failures") or {}
    if fails:
        lines += ["", "failures   kind: episodes, requests lost, time to recover (mean)"]
        for kind, f in fails.items():
            ttr = f.get("time_to_recover_seconds")
            ttr_s = human_duration(ttr["mean"]) if ttr else "not recovered"
            lines.append(f"  {kind:12} {f['episodes']:4d}   {f['lost_requests']:12.0f}   {ttr_s}")
    dr = summary.get("drains") or {}
    if dr.get("count"):
        lines.append(f"drains     {dr['count']} ({dr['blocked']} blocked by the PDB, "
                     f"longest {human_duration(dr['blocked_seconds_max'])}, "
                     f"{dr['unfinished']} unfinished)")
    q = summary.get("quota") or {}
    if q.get("hard"):
        from capacity.report.fmt import quota_row

        # one unit per row (cores, GiB, count), as the report's quota table
        rows = [quota_row(k, q["peak_used"].get(k, "0"), hard) for k, hard in q["hard"].items()]
        lines += ["", f"quota      {'resource':26} {'unit':6} {'peak used':>10} {'hard':>10} "
                      f"{'headroom':>10} {'used':>7}"]
        lines += [f"  {r[0]:35} {r[1]:6} {r[2]:>10} {r[3]:>10} {r[4]:>10} {r[5]:>7}"
                  for r in rows]
    findings = [f for f in summary.get("findings") or [] if f["severity"] in ("error", "warning")]
    if findings:
        lines += ["", "check      (python -m capacity check for details)"]
        for f in findings:
            lines.append(f"  {f['severity'].upper():8} {f['code']}: {f['message']}")
    ev = summary.get("events") or {}
    if ev:
        tot = summary.get("events_total") or {}
        per = "per run (total)" if runs > 1 else "in the run"
        lines += ["", f"events     {per}: " + ", ".join(
            f"{k} {_count(v)}" + (f" ({tot[k]})" if runs > 1 and k in tot else "")
            for k, v in ev.items())]
    return "\n".join(lines)


def _secs(x: dict[str, Any]) -> str:
    """A latency estimate in ms (under 10 s) or s, with its interval."""
    def f(v: float) -> str:
        return f"{v * 1000:.1f} ms" if v < 10 else f"{v:.2f} s"
    s = f(x["mean"])
    if x.get("ci95"):
        s += f"  [{f(x['ci95'][0])}, {f(x['ci95'][1])}]"
    return s


def _count(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _money(c: dict[str, Any], key: str) -> str:
    s = f"{c[key]:.2f}"
    ci = c.get(f"{key}_ci95")
    if ci:
        s += f"  [{ci[0]:.2f}, {ci[1]:.2f}]"
    return s


def csv_frame(df: Any, start_time: str | None) -> Any:
    """``df`` as the CSV files hold it: ``time`` (seconds since the start) to the
    millisecond, and a last column ``clock``, the wall-clock time of the row: ISO 8601 from
    ``simulation.startTime``, else the day of the run, weekday and time from a Monday 00:00
    (``day 1 Mon 00:00:14``)."""
    import datetime as dt

    import pandas as pd

    out = df.copy()
    if "time" not in out.columns:
        return out
    out["time"] = out["time"].astype(float).round(3)
    delta = pd.to_timedelta(out["time"], unit="s")
    if start_time:
        # the model validated it with datetime.fromisoformat, which reads more forms
        # (week dates, offsets with seconds) than pandas' own parser
        stamp = pd.Timestamp(dt.datetime.fromisoformat(start_time))
        fmt = "%Y-%m-%dT%H:%M:%S.%f" + ("%z" if stamp.tzinfo is not None else "")
        # %f is microseconds; the times are whole milliseconds, so three digits suffice
        text = (stamp + delta).dt.strftime(fmt)
        clock = (text.str.replace(r"(\.\d{3})\d{3}", r"\1", regex=True)
                 .str.replace(r"([+-]\d{2})(\d{2})(\d{2})?$", _iso_offset, regex=True))

    else:
        day = (out["time"] // 86400).astype(int) + 1
        clock = ("day " + day.astype(str) + " "
                 + (pd.Timestamp("2024-01-01") + delta).dt.strftime("%a %H:%M:%S"))  # a Monday
    out["clock"] = clock
    return out


def _iso_offset(m: Any) -> str:
    """``+0100`` as ``+01:00`` (and ``+054530`` as ``+05:45:30``), as ISO 8601 writes it."""
    return f"{m[1]}:{m[2]}" + (f":{m[3]}" if m[3] else "")


def write_outputs(result: SimulationResult, out: Path) -> None:
    start = result.scenario.simulation.startTime

    def summary(p: Path) -> None:
        p.write_text(jsonout.dumps(result.summary) + "\n")

    def ts(p: Path) -> None:
        csv_frame(result.timeseries, start).to_csv(p, index=False, float_format="%.12g")

    def ev(p: Path) -> None:
        csv_frame(result.events, start).to_csv(p, index=False, float_format="%.12g")

    write_files_atomically(out, {"summary.json": summary, "timeseries.csv": ts, "events.csv": ev})


def run(args: argparse.Namespace) -> int:
    from capacity.api import simulate
    from capacity.scenario.loader import load_scenario

    # Arguments first (cheap, and the user's latest edit), then the scenario, then the
    # output folder, all before the simulation.
    positive_runs(args.runs)
    seed(args.seed)
    count(args.workers, "--workers", 1, MAX_WORKERS)
    count(args.episodes, "--episodes", 0, MAX_EPISODES)
    duration = positive_duration(args.duration)
    sc = load_scenario(Path(args.scenario))
    bounded_run(sc, duration)
    for flag, value in (("--out", args.out), ("--metrics-out", args.metrics_out)):
        if value is not None and not value.strip():
            from capacity.errors import ScenarioError

            raise ScenarioError(f"{flag}: must name a folder, got {value!r}")
    if args.out:
        check_output_dir(args.out)
    if args.metrics_out:
        check_output_dir(args.metrics_out)
    runs = args.runs if args.runs is not None else sc.simulation.runs
    record_arg = args.record or ("all" if runs <= 20 else "first")
    record: bool | str = {"all": True, "first": "first", "none": False}[record_arg]
    if args.until_ci is not None and not 0 < args.until_ci < 1:
        from capacity.errors import ScenarioError

        raise ScenarioError("--until-ci must be a half-width between 0 and 1",
                            value=args.until_ci, has_value=True)
    result = simulate(sc, runs=args.runs, seed=args.seed, duration=duration, record=record,
                      workers=args.workers, progress=not args.no_progress,
                      episodes=max(args.episodes, 0), compare=args.compare,
                      scheduler=args.scheduler, until_ci=args.until_ci,
                      metrics_out=args.metrics_out)
    if args.out:
        write_outputs(result, Path(args.out))
    if args.json:
        print(jsonout.dumps(result.summary))
    else:
        print(format_summary(result.summary))
        if args.out:
            out = Path(args.out)
            print(f"\nwrote {out / 'summary.json'}, {out / 'timeseries.csv'}, "
                  f"{out / 'events.csv'}")
        exp = (result.summary.get("monitoring") or {}).get("export")
        if exp:
            blocks = (f" and {exp['blocks']} TSDB blocks in {Path(args.metrics_out) / 'blocks'}"
                      if exp["blocks"] is not None else " (no promtool: no TSDB blocks)")
            print(f"{'' if args.out else chr(10)}wrote {exp['path']} "
                  f"({exp['bytes'] / 1e6:.0f} MB){blocks}")
    return 0
