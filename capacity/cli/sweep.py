"""``python -m capacity sweep SCENARIO --grid FILE``: a scenario over a grid of values."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from capacity.analysis.sweep import load_grid, sweep
from capacity.cli.args import MAX_WORKERS, count, seed
from capacity.scenario.loader import load_scenario


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--grid", required=True, metavar="FILE",
                   help="YAML with 'parameters: {field.path: [values]}' (and optional runs, "
                        "duration, episodes); see capacity.analysis.sweep")
    p.add_argument("--seed", type=int, help="root seed for every point (default: the scenario's)")
    p.add_argument("--workers", type=int, help="worker processes per point (local; default: all cores)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")


def run(args: argparse.Namespace) -> int:
    seed(args.seed)
    count(args.workers, "--workers", 1, MAX_WORKERS)
    sc = load_scenario(Path(args.scenario))
    grid = load_grid(Path(args.grid))
    rows = sweep(sc, grid, args.grid, seed=args.seed, workers=args.workers)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    names = list(rows[0]["parameters"]) if rows else []
    head = "  ".join(f"{n.split('.')[-1]:>14}" for n in names)
    print(f"{head}  {'served':>10}  {'p99':>8}  {'replicas':>8}  {'per month':>10}  verdict")
    for r in rows:
        vals = "  ".join(f"{r['parameters'][n]!s:>14}" for n in names)
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
        p99 = r["latency_p99"]["mean"]
        print(f"{vals}  {r['requests_served']['mean'] * 100:9.4f}%  {p99 * 1000:6.0f}ms  "
              f"{r['replicas_mean']:8.2f}  {r['cost_per_month']:10.2f}  {verdict}")
    cheapest = next((r for r in rows if r["safe"]), None)
    if cheapest is not None:
        print(f"\ncheapest safe configuration meeting every objective: {cheapest['parameters']} "
              f"({cheapest['cost_per_month']:.2f} {cheapest['currency']} per month)")
    elif rows:
        print("\nno point is safe and meets every objective")
    return 0
