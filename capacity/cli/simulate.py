"""``python -m capacity simulate SCENARIO``: run it and print the summary."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from capacity.api import SimulationResult, simulate
from capacity.cli.args import positive_duration, positive_runs
from capacity.cli.output import write_files_atomically
from capacity.scenario.loader import load_scenario


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file, e.g. scenarios/peak.yaml")
    p.add_argument("--runs", type=int, help="replications (default: the scenario's simulation.runs)")
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's simulation.seed)")
    p.add_argument("--duration", help="simulated time per run, e.g. 2d or 6h (default: the scenario's)")
    p.add_argument("--out", metavar="DIR", help="write summary.json, timeseries.csv, events.csv to DIR")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores for several runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--compare", action="store_true",
                   help="also cost fixed replicas (at maxReplicas, and the fewest that meet the "
                        "availability objective without an HPA): several more simulations")
    p.add_argument("--record", choices=["all", "first", "none"], default=None,
                   help="which runs keep their timeseries and events (default: all for up to "
                        "20 runs, else the first only, so memory stays flat in the run count)")
    p.add_argument("--episodes", type=int, default=20, metavar="N",
                   help="failure episodes simulated per random failure kind for the rare-failure "
                        "availability estimate (default 20; 0 turns it off)")


def _pct(x: dict[str, Any]) -> str:
    m = x["mean"]
    s = f"{m * 100:.4f}%"
    if x.get("ci95"):
        lo, hi = x["ci95"]
        s += f"  [{lo * 100:.4f}%, {hi * 100:.4f}%]"
    return s


def format_summary(summary: dict[str, Any]) -> str:
    """The human-readable table printed by ``simulate``."""
    a = summary["availability"]
    r = summary["replicas"]
    c = summary["cost"]
    lines = [
        f"scenario   {summary['scenario']}   (Kubernetes {summary['kubernetesVersion']})",
        f"runs       {summary['runs']} x {summary['duration_seconds'] / 86400:g} days, seed {summary['seed']}",
        "",
        "availability (mean, 95% interval over runs)",
        f"  requests served            {_pct(a['requests_served'])}",
        f"  time with a ready pod      {_pct(a['time_with_ready_pod'])}",
        f"  time at full capacity      {_pct(a['time_at_full_capacity'])}",
    ]
    ep = a.get("episodes")
    if ep:
        lines.append("  requests served, with rare failures weighted by their rates")
        lines.append(f"    (failure episodes)       {_pct(ep['requests_served'])}")
        for kind, k in ep["by_kind"].items():
            lines.append(f"    {kind:12} {k['rate_per_year']:6.2f}/year, "
                         f"{k['lost_requests_per_episode']['mean']:10.0f} requests lost per episode")
    if a.get("objective") is not None:
        best = (ep or a)["requests_served"]
        ok = best["mean"] >= a["objective"]
        lines.append(f"  objective                  {a['objective'] * 100:g}%  "
                     f"({'met' if ok else 'NOT met'} by the mean"
                     f"{' of the episode estimate' if ep else ''})")
    lines += [
        "",
        f"replicas   min {r['min']}   mean {r['mean']:.2f}   max {r['max']}",
        "",
        f"cost ({c['currency']}, {c['prices']['source']})",
        f"  per month                  {c['per_month']:.2f}",
        f"  per day                    {c['per_day']:.2f}",
        f"  total for the run          {c['total']:.2f}",
    ]
    comp = c.get("comparisons") or {}
    if comp.get("computed"):
        for k, v in comp.items():
            if isinstance(v, dict) and "per_month" in v:
                lines.append(f"  {k:26} {v['per_month']:.2f} per month"
                             + (f" ({v['replicas']} replicas)" if "replicas" in v else ""))
    pm = c.get("per_million_requests")
    if pm is not None and not math.isnan(pm):
        lines.append(f"  per million requests       {pm:.4f}")
    fails = summary.get("failures") or {}
    if fails:
        lines += ["", "failures   kind: episodes, requests lost, time to recover (mean)"]
        for kind, f in fails.items():
            ttr = f.get("time_to_recover_seconds")
            ttr_s = f"{ttr['mean'] / 60:.1f} min" if ttr else "not recovered"
            lines.append(f"  {kind:12} {f['episodes']:4d}   {f['lost_requests']:12.0f}   {ttr_s}")
    dr = summary.get("drains") or {}
    if dr.get("count"):
        lines.append(f"drains     {dr['count']} ({dr['blocked']} blocked by the PDB, "
                     f"longest {dr['blocked_seconds_max'] / 60:.1f} min, {dr['unfinished']} unfinished)")
    q = summary.get("quota") or {}
    if q.get("hard"):
        lines += ["", "quota      resource: peak used / hard"]
        for k, hard in q["hard"].items():
            lines.append(f"  {k:26} {q['peak_used'].get(k, '0')} / {hard}")
    findings = [f for f in summary.get("findings") or [] if f["severity"] in ("error", "warning")]
    if findings:
        lines += ["", "check      (python -m capacity check for details)"]
        for f in findings:
            lines.append(f"  {f['severity'].upper():8} {f['code']}: {f['message']}")
    ev = summary.get("events") or {}
    if ev:
        lines += ["", "events     " + ", ".join(f"{k} {v}" for k, v in ev.items())]
    return "\n".join(lines)


def write_outputs(result: SimulationResult, out: Path) -> None:
    def summary(p: Path) -> None:
        p.write_text(json.dumps(result.summary, indent=2, default=_json_default) + "\n")

    def ts(p: Path) -> None:
        result.timeseries.to_csv(p, index=False)

    def ev(p: Path) -> None:
        result.events.to_csv(p, index=False)

    write_files_atomically(out, {"summary.json": summary, "timeseries.csv": ts, "events.csv": ev})


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(Path(args.scenario))
    positive_runs(args.runs)
    duration = positive_duration(args.duration)
    runs = args.runs if args.runs is not None else sc.simulation.runs
    record_arg = args.record or ("all" if runs <= 20 else "first")
    record: bool | str = {"all": True, "first": "first", "none": False}[record_arg]
    result = simulate(sc, runs=args.runs, seed=args.seed, duration=duration, record=record,
                      workers=args.workers, progress=False if args.no_progress else None,
                      episodes=max(args.episodes, 0), compare=args.compare)
    if args.out:
        write_outputs(result, Path(args.out))
    if args.json:
        print(json.dumps(result.summary, indent=2, default=_json_default))
    else:
        print(format_summary(result.summary))
        if args.out:
            print(f"\nwrote {args.out}/summary.json, timeseries.csv, events.csv")
    return 0
