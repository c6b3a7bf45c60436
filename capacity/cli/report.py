"""``python -m capacity report SCENARIO... [-o FILE]``: the cost and availability report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from capacity.cli.args import (
    MAX_WORKERS,
    add_progress_option,
    add_scheduler_option,
    bounded_run,
    count,
    positive_duration,
    positive_runs,
    seed,
)
from capacity.cli.output import check_output_file, move_into_place, staging_folder
from capacity.errors import ScenarioError


def add_arguments(p: argparse.ArgumentParser) -> None:
    # argparse %-formats help strings but not the description (unless it names %(prog)),
    # so a percent sign is written once here.
    p.description = (
        "Simulate one or more scenarios and write a capacity review: first a verdict per "
        "scenario (each SLO met or missed with its error budget, the monthly cost with its "
        "95% interval, the recommendation from the search for the cheapest safe fixed "
        "replica count, and whether the HPA configuration itself is safe), then the "
        "evidence: a week of load against capacity with failures marked, latency and "
        "errors, the HPA in the hardest hour, availability, utilization, the cost breakdown "
        "(requests against nodes, spot, idle; OpenCost-style request allocation at "
        "OpenCost's public default prices unless the scenario prices it), quota headroom, "
        "check findings, and alerts and the VPA's recommendation when the summary has them. "
        "Several scenarios add a comparison of every figure against the first and a plot of "
        "cost against SLO attainment. The same seed gives the same report."
    )
    p.add_argument("scenario", nargs="+", help="scenario YAML file(s), e.g. scenarios/peak.yaml")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="FILE.html: one self-contained page, plots embedded. FILE.md: Markdown "
                        "(plain-text tables) with its plots written as PNG files into "
                        "FILE-plots/ beside it. FILE.pdf: the HTML page printed by headless "
                        "Chromium (needs chromium installed). Default: Markdown on stdout, "
                        "without plots")
    p.add_argument("--runs", type=int, help="replications per scenario (default: each scenario's)")
    p.add_argument("--seed", type=int, help="root seed (default: each scenario's)")
    p.add_argument("--duration", help="simulated time per run, e.g. 1d (default: each scenario's)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores for several runs)")
    add_scheduler_option(p)
    add_progress_option(p)
    p.add_argument("--no-compare", action="store_true",
                   help="skip the comparisons against fixed replicas and the HPA's zone-down "
                        "check (they simulate the scenario again)")
    p.add_argument("--search-runs", type=int, default=3, metavar="N",
                   help="runs per candidate when searching the fewest safe fixed replicas that "
                        "meet every objective, and for the HPA's check with its largest zone "
                        "down (default 3)")
    p.add_argument("--worked-example", choices=("auto", "off"), default="auto",
                   help="the hand-made cost estimate of the sandbox-executor workload "
                        "recomputed and simulated (auto: for that workload, once per report)")


def run(args: argparse.Namespace) -> int:
    from capacity.report.build import build_document, report_format, run_scenarios
    from capacity.report.document import to_markdown
    from capacity.scenario.loader import load_scenario

    if args.output is not None:
        try:
            report_format(args.output)
        except ValueError as e:
            raise ScenarioError(f"-o: {e}") from None
    positive_runs(args.runs)
    positive_runs(args.search_runs, "--search-runs")
    seed(args.seed)
    count(args.workers, "--workers", 1, MAX_WORKERS)
    duration = positive_duration(args.duration)
    if duration is not None:
        for path in args.scenario:
            bounded_run(load_scenario(Path(path)), duration)
    if args.output is not None:
        check_output_file(args.output)
    runs = run_scenarios(args.scenario, runs=args.runs, seed=args.seed, duration=duration,
                         workers=args.workers, compare=not args.no_compare,
                         search_runs=args.search_runs, worked_example=args.worked_example,
                         scheduler=args.scheduler, progress=not args.no_progress)
    doc = build_document(runs)
    if args.output is None:
        sys.stdout.write(to_markdown(doc, None))
        return 0
    written = write_whole(doc, Path(args.output))
    print("wrote " + ", ".join(str(p) + ("/" if p.is_dir() else "") for p in written))
    return 0


def write_whole(doc: object, out: Path) -> list[Path]:
    """Write the report and, for Markdown, its ``-plots/`` folder: both or neither.

    The report is written into a folder beside ``out`` and its parts renamed into place
    together, the plots before the page that links them.
    """
    from capacity.report.build import write_report

    with staging_folder(out) as tmp:
        parts = write_report(doc, tmp / out.name)  # type: ignore[arg-type]
        moves = [(p, out.with_name(p.name)) for p in parts]
        moves.sort(key=lambda m: m[0].is_file())  # folders (the plots) first
        move_into_place(moves)
    return [out.with_name(p.name) for p in parts]
