"""``python -m capacity manifests SCENARIO -o DIR``: emit the scenario's Kubernetes manifests."""

from __future__ import annotations

import argparse
from pathlib import Path

from capacity.cli.output import check_output_dir, move_into_place, staging_folder
from capacity.errors import CapacityError
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
        target = Path(args.out)
        check_output_dir(target)
        written = write_folder(sc, target)
        print(f"wrote {len(written)} files to {args.out}: " + ", ".join(written))
        return 0
    texts = render_manifests(sc)
    # One multi-document stream, in the order kustomize would apply the resources.
    parts = [text for name, text in texts.items() if name != "kustomization.yaml"]
    print("\n".join(parts), end="")
    return 0


def write_folder(sc: object, target: Path) -> list[str]:
    """The manifests folder, swapped in whole (an interrupt leaves the old one or none).

    As :func:`~capacity.manifests.emit.write_manifests`, an existing folder is replaced
    only if it holds nothing but files capacity wrote.
    """
    from capacity.manifests.emit import _foreign_files  # the same rule as write_manifests

    if target.is_dir():
        foreign = _foreign_files(target)
        if foreign:
            raise CapacityError(f"{target}: holds {foreign}, which capacity did not write; "
                                "choose an empty or new output folder")
    with staging_folder(target) as tmp:
        written = write_manifests(sc, tmp / target.name)  # type: ignore[arg-type]
        move_into_place([(tmp / target.name, target)])
    return written
