"""``python -m capacity import PATH... -o SCENARIO``: a scenario from existing manifests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from capacity.cli.output import write_file_atomically
from capacity.errors import ScenarioError
from capacity.manifests.importer import DEFAULT_KUBERNETES_VERSION, import_manifests, scenario_yaml
from capacity.scenario.loader import scenario_from_dict


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="manifest files or folders (multi-document YAML and JSON are read)")
    p.add_argument("-o", "--out", metavar="SCENARIO",
                   help="write the scenario YAML here (default: print it)")
    p.add_argument("--deployment", metavar="NAME",
                   help="the workload's Deployment when the manifests hold several")
    p.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, metavar="1.NN",
                   help=f"kubernetesVersion of the scenario (default {DEFAULT_KUBERNETES_VERSION})")
    p.add_argument("--name", help="scenario name (default: <deployment>-imported)")


def run(args: argparse.Namespace) -> int:
    result = import_manifests(args.paths, deployment=args.deployment,
                              kubernetes_version=args.kubernetes_version, name=args.name)
    # Validate before writing: the scenario must load as the simulator will read it.
    try:
        scenario_from_dict(result.scenario)
    except ScenarioError as e:
        path = e.path or ""
        origin = next((where for key, where in sorted(result.sources.items(), key=lambda kv: -len(kv[0]))
                       if path.startswith(key)), None)
        raise ScenarioError(e.rule, file=origin, path=path or None, value=e.value,
                            has_value=e.has_value) from None
    text = scenario_yaml(result)
    for u in result.skipped_unknown:
        print(f"skipped (unknown kind): {u}", file=sys.stderr)
    if args.out:
        def write(p: Path) -> None:
            p.write_text(text, encoding="utf-8")

        write_file_atomically(Path(args.out), write)
        print(f"wrote {args.out} (Deployment {result.scenario['workload']['name']}; "
              f"{len(result.assumptions)} assumptions noted in comments)", file=sys.stderr)
    else:
        print(text, end="")
    return 0
