"""``python -m capacity SUBCOMMAND``: one module per subcommand.

Errors the user can fix (``CapacityError``) print one line and exit with status 2; the
traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from capacity.errors import CapacityError

# (module, help) in the order --help lists them; a module registers its own arguments.
SUBCOMMANDS = {
    "simulate": "simulate a scenario and print availability, replicas and cost",
    "check": "admission, quota headroom and configuration lint; exit 1 on errors",
    "report": "Markdown or HTML cost and availability report with plots",
    "manifests": "emit the Kubernetes manifests for a scenario",
    "import": "build a scenario from existing Deployment/HPA/PDB/quota YAML",
    "calibrate": "fit workload.demand to Prometheus series of requests, CPU and memory",
    "sweep": "run a scenario over a grid of parameter values",
    "schema": "print the JSON Schema of scenario files",
}


def _available() -> dict[str, object]:
    mods = {}
    for name in SUBCOMMANDS:
        modname = "import_" if name == "import" else name
        try:
            mods[name] = importlib.import_module(f"capacity.cli.{modname}")
        except ModuleNotFoundError as e:
            if e.name != f"capacity.cli.{modname}":
                raise
    return mods


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(
        prog="python -m capacity",
        description="Offline Kubernetes capacity, availability and cost planning.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    mods = _available()
    for name, mod in mods.items():
        p = sub.add_parser(name, help=SUBCOMMANDS[name], description=SUBCOMMANDS[name])
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks on errors")
        mod.add_arguments(p)  # type: ignore[attr-defined]
        p.set_defaults(_run=mod.run)  # type: ignore[attr-defined]
    return parser, mods


def main(argv: Sequence[str] | None = None) -> int:
    parser, _ = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except CapacityError as e:
        if args.debug:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
