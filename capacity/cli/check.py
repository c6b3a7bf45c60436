"""``python -m capacity check SCENARIO [--json]``: admission, quota headroom, lint.

Exit status 1 when a finding is an error, 0 otherwise (so it can gate CI); a scenario that
does not load is exit 2, as for every subcommand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from capacity.analysis.check import (
    check_report,
    count_by_severity,
    format_findings,
    format_headroom,
    run_checks,
)
from capacity.analysis.headroom import headroom
from capacity.cli import jsonout
from capacity.scenario.loader import load_scenario


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file, e.g. scenarios/peak.yaml")
    p.add_argument("--json", action="store_true",
                   help="print findings, counts and quota headroom as JSON")


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(Path(args.scenario))
    if args.json:
        report = check_report(sc)
        print(jsonout.dumps(report))
        return 0 if report["ok"] else 1
    findings = run_checks(sc)
    counts = count_by_severity(findings)
    print(f"scenario   {sc.name}   ({args.scenario})")
    print()
    print(format_headroom(headroom(sc)))
    print()
    print(format_findings(findings))
    print()
    print(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info")
    return 1 if counts["error"] else 0
