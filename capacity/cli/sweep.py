"""``python -m capacity sweep SCENARIO --grid FILE``: a scenario over a grid of values."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from capacity.cli.args import MAX_WORKERS, add_progress_option, add_scheduler_option, count, seed

GRID_EXAMPLE = """\
grid file (YAML): scenario fields by path, each with the values to try; every combination
is one point, validated as a scenario and simulated on the same seed (common random
numbers), so differences against the first point carry paired 95% intervals:

  runs: 5                 # per point (default: the scenario's simulation.runs)
  duration: 7d            # per run (default: the scenario's)
  episodes: 0             # failure episodes per kind per point (default 0)
  parameters:
    autoscaling.horizontal.minReplicas: [2, 3, 4]
    autoscaling.horizontal.metrics[0].resource.target.averageUtilization: [60, 70, 80]
    autoscaling.horizontal.behavior.scaleDown.stabilizationWindowSeconds: [60, 300]

The table lists each point cheapest first: requests served, p99 latency, mean replicas,
cost per month with its interval, the cost difference against the first point of the
grid, and the verdict (meets every SLO, and safe: its PDB allows a drain at its fewest
replicas and the SLOs hold with the largest zone down), then the check findings.

examples:
  python -m capacity sweep scenarios/peak.yaml --grid grid.yaml
  python -m capacity sweep scenarios/peak.yaml --grid grid.yaml --csv sweep.csv
  python -m capacity sweep scenarios/peak.yaml --grid grid.yaml --scheduler tcp://127.0.0.1:8786
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.description = ("Simulate a scenario at every point of a grid of values and rank the "
                     "points by cost; the cheapest safe point meeting every SLO is named last.")
    p.epilog = GRID_EXAMPLE
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--grid", required=True, metavar="FILE",
                   help="YAML grid of field paths and values (format below)")
    p.add_argument("--seed", type=int, help="root seed for every point (default: the scenario's)")
    p.add_argument("--workers", type=int,
                   help="worker processes per point (local; default: all cores)")
    add_scheduler_option(p)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--csv", metavar="FILE",
                   help="also write the table as CSV (one column per parameter, estimate "
                        "and interval), whole or not at all; '-' prints the CSV instead of "
                        "the table")
    add_progress_option(p)


def run(args: argparse.Namespace) -> int:
    from capacity.cli import jsonout
    from capacity.cli.output import check_output_file, write_file_atomically
    from capacity.scenario.grid import load_grid, points
    from capacity.scenario.loader import load_scenario
    from capacity.study.progress import Progress
    from capacity.study.sweep import rows_frame, sweep

    seed(args.seed)
    count(args.workers, "--workers", 1, MAX_WORKERS)
    sc = load_scenario(Path(args.scenario))
    grid = load_grid(Path(args.grid))
    n = len(points(sc, grid, args.grid))  # every point checked before any simulation
    to_stdout = args.csv == "-"
    if to_stdout and args.json:
        from capacity.errors import ScenarioError

        raise ScenarioError("--csv - and --json both print to stdout: choose one")
    if args.csv is not None and not to_stdout:
        check_output_file(args.csv)
    with Progress(f"sweep {sc.name}", n, "point", not args.no_progress) as bar:
        rows = sweep(sc, grid, args.grid, seed=args.seed, workers=args.workers,
                     scheduler=args.scheduler, progress=bar if bar.on else None)
    if to_stdout:
        print(rows_frame(rows).to_csv(index=False, float_format="%.12g"), end="")
        return 0
    if args.csv is not None:
        frame = rows_frame(rows)
        write_file_atomically(Path(args.csv),
                              lambda p: frame.to_csv(p, index=False, float_format="%.12g"))
    if args.json:
        print(jsonout.dumps(rows))
        return 0
    print(format_table(rows))
    return 0


def _verdict(r: dict[str, Any]) -> str:
    if r["meets_objectives"] is None:
        verdict = "no objectives"
    elif not r["meets_objectives"]:
        verdict = "misses " + "; ".join(r["missed"])
    elif r["excluded"]:
        verdict = "unsafe: " + r["excluded"]
    else:
        verdict = "safe"
    if r["relies_on_bursting"]:
        verdict += " (relies on bursting)"
    return verdict


def _pm(est: float, ci: list[float] | None, fmt: str) -> str:
    """``est ±half-width`` of its interval (the estimate alone without one)."""
    text = format(est + 0.0, fmt)  # + 0.0: no "-0"
    if text.lstrip("+-").strip("0.") == "":
        text = text.lstrip("+-")
    if ci is None or any(not math.isfinite(x) for x in ci):
        return text
    return f"{text} ±{format((ci[1] - ci[0]) / 2, fmt.lstrip('+'))}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """The sweep's rows as a text table, cheapest first, then the cheapest safe point."""
    if not rows:
        return "no points"
    names = list(rows[0]["parameters"])
    currency = rows[0]["currency"]
    head = [n.split(".")[-1] for n in names] + [
        "served", "p99", "replicas", f"{currency}/month", "vs first", "verdict"]
    body = []
    for r in rows:
        d = r["vs_first"].get("cost_per_month")
        diff = "(first)" if r["is_first"] else "" if d is None else _pm(d["mean"], d["ci95"], "+.0f")
        p99 = r["latency_p99"]["mean"]
        cells = [str(r["parameters"][n]) for n in names] + [
            f"{r['requests_served']['mean'] * 100:.3f}%",
            "-" if not math.isfinite(p99) else f"{p99 * 1000:.0f} ms",
            f"{r['replicas_mean']:.2f}",
            _pm(r["cost_per_month"], r.get("cost_per_month_ci95"), ".0f"),
            diff,
            _verdict(r),
        ]
        body.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in body)) for i, h in enumerate(head)]
    last = len(head) - 1

    def line(cells: list[str]) -> str:
        return "  ".join(c if i == last else c.rjust(widths[i])
                         for i, c in enumerate(cells)).rstrip()

    out = [line(head)] + [line(c) for c in body]
    # Findings every point shares are listed once.
    common = set(rows[0]["findings"]).intersection(*(r["findings"] for r in rows))
    if common:
        out.append("check, every point: " + "; ".join(f for f in rows[0]["findings"]
                                                       if f in common))
    for r, c in zip(rows, body, strict=True):
        own = [f for f in r["findings"] if f not in common]
        if own:
            out.append(f"check, {', '.join(c[:len(names)])}: " + "; ".join(own))
    cheapest = next((r for r in rows if r["safe"]), None)
    if cheapest is not None:
        chosen = ", ".join(f"{k} = {v}" for k, v in cheapest["parameters"].items())
        out.append(f"\ncheapest safe configuration meeting every objective: {chosen} "
                   f"({cheapest['cost_per_month']:.2f} {cheapest['currency']} per month)")
    else:
        out.append("\nno point is safe and meets every objective")
    return "\n".join(out)
