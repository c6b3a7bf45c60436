"""Speed and memory of one run of scenarios/peak.yaml.

Prints:
* simulated seconds per wall second for one 7-day run (best and median of 5, after one
  warm-up run; interpreter start-up, imports and scenario loading excluded), and its ratio
  to the simpy HPA skeleton (../shared/bench/hpa_skeleton.py) measured in the same process;
* peak resident memory of a separate process that loads and runs 30 days with recording on,
  target <= 300 MB (the whole process: Python, numpy, pandas, simpy and the results).

Usage: python benchmarks/bench_peak.py [--reps N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "shared" / "bench"))

MEMORY_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
import capacity
r = capacity.simulate({scenario!r}, runs=1, seed=1, duration='30d', record=True)
rows = len(r.timeseries)
print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "peak.yaml"))
    args = ap.parse_args()

    import numpy as np

    import capacity
    from capacity.sim.engine import run_once

    sc = capacity.load_scenario(args.scenario)
    duration = 7 * 86400.0
    run_once(sc, 0, np.random.SeedSequence(0), duration, True)  # warm-up
    times = []
    for i in range(args.reps):
        t0 = time.perf_counter()
        run_once(sc, 0, np.random.SeedSequence(i + 1), duration, True)
        times.append(time.perf_counter() - t0)
    best, med = min(times), statistics.median(times)
    print(f"peak.yaml, 1 run x 7 days, recording on: best {best:.3f} s, median {med:.3f} s")
    print(f"  simulated seconds per wall second: best {duration / best:,.0f}, "
          f"median {duration / med:,.0f}")
    try:
        from hpa_skeleton import run_simpy

        sk = min(run_simpy(7)[0] for _ in range(3))
        print(f"  the simpy HPA skeleton's week in the same process: {sk:.3f} s; "
              f"ratio skeleton / run {sk / best:.3f} (best)")
    except ImportError:
        print("  (../shared/bench/hpa_skeleton.py not found: no ratio)")

    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD.format(root=str(ROOT), scenario=args.scenario)],
                         capture_output=True, text=True, check=True)
    rows, kb = out.stdout.split()
    print(f"peak.yaml, 1 run x 30 days, recording on ({int(rows):,} timeseries rows): "
          f"peak RSS {int(kb) / 1024:.0f} MB (target <= 300 MB)")


if __name__ == "__main__":
    main()
