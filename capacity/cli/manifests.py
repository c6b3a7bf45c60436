"""``python -m capacity manifests SCENARIO -o DIR``: emit the scenario's Kubernetes manifests."""

from __future__ import annotations

import argparse
from pathlib import Path

from capacity.manifests.emit import render_manifests, write_manifests
from capacity.scenario.loader import load_scenario


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file, e.g. scenarios/peak.yaml")
    p.add_argument("-o", "--out", metavar="DIR",
                   help="write the folder (kustomization.yaml, namespaces/, deployments/, "
                        "autoscaling/, policies/, monitoring/) to DIR; default: print to stdout")


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(Path(args.scenario))
    if args.out:
        written = write_manifests(sc, Path(args.out))
        print(f"wrote {len(written)} files to {args.out}: " + ", ".join(written))
        return 0
    texts = render_manifests(sc)
    # One multi-document stream, in the order kustomize would apply the resources.
    parts = [text for name, text in texts.items() if name != "kustomization.yaml"]
    print("\n".join(parts), end="")
    return 0
