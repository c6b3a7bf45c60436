"""Many runs of scenarios/peak.yaml with node and zone failures on (issue 3 target).

Prints the wall time of ``--runs`` runs of 7 days on ``--workers`` processes (default: all
cores), recording off (only the summary integrals come back), and the parent's peak
resident memory after a tenth of the runs and after all of them, to show it stays flat.
Target on the 2-core machine: 1,000 runs in at most 5 minutes.

Usage: python benchmarks/bench_failures.py [--runs 1000] [--workers N]
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


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    import capacity

    sc = capacity.load_scenario(ROOT / "scenarios" / "peak.yaml")
    assert sc.failures.nodes is not None and sc.failures.zones is not None
    tenth = max(args.runs // 10, 1)
    t0 = time.perf_counter()
    r1 = capacity.simulate(sc, runs=tenth, seed=1, record=False, workers=args.workers, progress=False)
    t1 = time.perf_counter()
    m1 = rss_mb()
    r = capacity.simulate(sc, runs=args.runs, seed=1, record=False, workers=args.workers, progress=False)
    t2 = time.perf_counter()
    m2 = rss_mb()
    print(f"peak.yaml with node and zone failures, 7 days per run, {args.workers} workers")
    print(f"  {tenth} runs: {t1 - t0:.1f} s; {args.runs} runs: {t2 - t1:.1f} s "
          f"({(t2 - t1) / args.runs * 1000:.0f} ms per run; target <= 300 s for 1000)")
    print(f"  parent peak RSS: {m1:.0f} MB after {tenth} runs, {m2:.0f} MB after {args.runs} runs")
    fails = r.summary["failures"]
    print("  failure episodes seen: " + ", ".join(f"{k} {v['episodes']}" for k, v in fails.items()))
    a = r.summary["availability"]["requests_served"]
    print(f"  requests served {a['mean']:.6f} [{a['ci95'][0]:.6f}, {a['ci95'][1]:.6f}] ({a['estimator']})")
    del r1


if __name__ == "__main__":
    main()
