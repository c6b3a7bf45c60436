"""Study-scale speed and memory (issue 12 targets), each against the simpy HPA skeleton.

The machine is shared and noisy, so every figure is also printed as a ratio to
``../shared/bench/hpa_skeleton.py``'s ``run_simpy(7)`` (one simulated week of a bare HPA
loop on simpy) measured in the same process, just before.

* one run of ``scenarios/peak.yaml`` (7 days, recording on): simulated s per wall s, and
  skeleton time / run time (target >= 0.5);
* ``--weeks`` runs of ``scenarios/zone-outage.yaml`` stretched to 7 days with its random
  node and zone failures, recording off, on ``--workers`` processes (target: 1,000 weeks in
  at most 120 s on 2 cores); a smaller ``--weeks`` is extrapolated and says so;
* a 3 x 3 x 3 sweep of peak.yaml (minReplicas, CPU target, scale-down window), ``--sweep-runs``
  runs of 7 days each (target: 20 runs each in at most 3 minutes on 2 cores);
* the client's memory over many short runs with recording off (it must stay flat).

Usage: python benchmarks/bench_study.py [--weeks 1000] [--sweep-runs 20] [--workers 2]
       python benchmarks/bench_study.py --quick      # small counts, extrapolated
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "shared" / "bench"))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def skeleton_week() -> float:
    from hpa_skeleton import run_simpy

    return min(run_simpy(7)[0] for _ in range(3))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weeks", type=int, default=1000)
    ap.add_argument("--sweep-runs", type=int, default=20)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--quick", action="store_true", help="40 weeks, 2 runs per sweep point")
    args = ap.parse_args()
    if args.quick:
        args.weeks, args.sweep_runs = 40, 2

    import numpy as np

    import capacity
    from capacity.sim.engine import run_once

    week = 7 * 86400.0
    peak = capacity.load_scenario(ROOT / "scenarios" / "peak.yaml")
    run_once(peak, 0, np.random.SeedSequence(0), week, True)  # warm-up
    sk = skeleton_week()
    times = []
    for i in range(3):
        t0 = time.perf_counter()
        run_once(peak, 0, np.random.SeedSequence(i + 1), week, True)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"one run of peak.yaml (7 d, recording on): {best:.3f} s, {week / best:,.0f} simulated "
          f"s per s; skeleton {sk:.3f} s; ratio {sk / best:.3f} (target >= 0.5)")

    zone = capacity.load_scenario(ROOT / "scenarios" / "zone-outage.yaml")
    zone = zone.model_copy(deep=True)
    from capacity.scenario.model import NodeFailures, ZoneFailures

    zone.failures.nodes = NodeFailures(mtbf=650 * 86400.0)
    zone.failures.zones = ZoneFailures(mtbf=730 * 86400.0)
    sk = skeleton_week()
    t0 = time.perf_counter()
    capacity.simulate(zone, runs=args.weeks, seed=1, duration=week, record=False,
                      workers=args.workers, progress=False)
    dt = time.perf_counter() - t0
    per_1000 = dt / args.weeks * 1000
    note = "" if args.weeks == 1000 else f" (measured {args.weeks}, extrapolated)"
    print(f"1,000 weeks of zone-outage.yaml with random failures on {args.workers} workers: "
          f"{per_1000:.0f} s{note}; {per_1000 / sk:,.0f} skeleton weeks (target <= 120 s)")

    from capacity.study.sweep import sweep_frame

    grid = {"runs": args.sweep_runs, "duration": "7d", "parameters": {
        "autoscaling.horizontal.minReplicas": [3, 4, 5],
        "autoscaling.horizontal.metrics[0].resource.target.averageUtilization": [50, 60, 70],
        "autoscaling.horizontal.behavior.scaleDown.stabilizationWindowSeconds": [60, 300, 600],
    }}
    sk = skeleton_week()
    t0 = time.perf_counter()
    frame = sweep_frame(peak, grid, "bench grid", seed=1, workers=args.workers)
    dt = time.perf_counter() - t0
    scale = 20 / args.sweep_runs
    note = "" if args.sweep_runs == 20 else f" (measured {args.sweep_runs} runs per point, extrapolated)"
    print(f"3 x 3 x 3 sweep, 20 runs x 7 d per point ({len(frame)} points): {dt * scale:.0f} s"
          f"{note}; {dt * scale / sk:,.0f} skeleton weeks (target <= 180 s)")

    short = capacity.load_scenario(ROOT / "tests" / "data" / "scenarios" / "hpa-step.yaml")
    capacity.simulate(short, runs=100, seed=1, duration=600.0, record=False,
                      workers=args.workers, progress=False)
    before = rss_mb()
    capacity.simulate(short, runs=10_000 if not args.quick else 2_000, seed=1, duration=600.0,
                      record=False, workers=args.workers, progress=False)
    print(f"client peak RSS: {before:.0f} MB after 100 runs, {rss_mb():.0f} MB after "
          f"{10_000 if not args.quick else 2_000:,} more (recording off)")


if __name__ == "__main__":
    main()
