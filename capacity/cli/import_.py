"""``python -m capacity import PATH... [-o SCENARIO | --all -o DIR]``: scenarios from manifests.

PATH is a file (YAML, JSON, ``kubectl get -o yaml`` List output), a folder of them, or a
kustomization folder (rendered with ``kubectl kustomize``). Everything not imported or
not simulated is printed on stderr as one table, and kept as comments in the scenario.
``--all`` writes one scenario per Deployment into DIR, named ``<deployment>.yaml``
(``<namespace>-<deployment>.yaml`` when one name is in several namespaces).

Errors: every problem of every object the API server would reject is reported, one line
each (file, object, field path in the manifest's spelling), exit status 2, nothing
written. An ``-o`` that cannot be written (an existing folder for a scenario file, a file
for ``--all``'s folder, a read-only place) is one line before anything else is done.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from capacity.cli.output import (
    check_output_dir,
    check_output_file,
    write_file_atomically,
    write_files_atomically,
)
from capacity.errors import ScenarioError
from capacity.manifests.importer import (
    DEFAULT_KUBERNETES_VERSION,
    ImportResult,
    ManifestErrors,
    Note,
    import_all,
    import_manifests,
    manifest_error,
    notes_table,
    scenario_file_names,
    scenario_yaml,
)
from capacity.scenario.loader import scenario_from_dict


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="manifest files or folders; a folder with a kustomization.yaml is "
                        "rendered with kubectl kustomize; kubectl get -o yaml output is read")
    p.add_argument("-o", "--out", metavar="SCENARIO",
                   help="write the scenario YAML here (default: print it); with --all, a "
                        "folder for one scenario per Deployment")
    p.add_argument("--deployment", metavar="[NAMESPACE/]NAME",
                   help="the workload's Deployment when the manifests hold several")
    p.add_argument("--all", action="store_true",
                   help="one scenario per Deployment, written into the folder -o DIR")
    p.add_argument("--namespace", "-n", metavar="NAMESPACE",
                   help="namespace of objects that name none, as kubectl apply -n "
                        "(default: default)")
    p.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, metavar="1.NN",
                   help="kubernetesVersion of the scenario; objects are validated as its API "
                        f"server would (default {DEFAULT_KUBERNETES_VERSION})")
    p.add_argument("--name", help="scenario name (default: <deployment>-imported)")


def _checked(result: ImportResult) -> str:
    """The scenario text, after checking that it loads as the simulator will read it."""
    try:
        scenario_from_dict(result.scenario)
    except ScenarioError as e:
        raise manifest_error(result, e) from None
    return scenario_yaml(result)


def _print_notes(notes: list[Note]) -> None:
    table = notes_table(notes)
    if table:
        print("Not imported or not simulated (also noted in the scenario's comments):",
              file=sys.stderr)
        print(table, end="", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except ManifestErrors as e:
        for err in e.errors:
            print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    # The output target first: a bad -o is one line, before any table or import.
    if args.all:
        if not args.out:
            raise ScenarioError("--all writes one scenario per Deployment: give the folder "
                                "with -o DIR")
        if args.deployment or args.name:
            raise ScenarioError("--all imports every Deployment: drop --deployment and --name")
        check_output_dir(args.out)
    elif args.out:
        check_output_file(args.out)
    if args.all:
        results, skipped = import_all(args.paths, kubernetes_version=args.kubernetes_version,
                                      namespace=args.namespace)
        if not results:
            _print_notes(skipped)
            raise ScenarioError("no Deployment could be imported (see the table above)")
        errors: list[ScenarioError] = []
        texts: dict[str, str] = {}
        for fname, r in zip(scenario_file_names(results), results, strict=True):
            try:
                texts[fname] = _checked(r)
            except ScenarioError as e:
                errors.append(e)
        if errors:
            raise ManifestErrors(errors)
        _print_notes([n for r in results for n in r.notes] + skipped)

        def writer(text: str):
            return lambda p: p.write_text(text, encoding="utf-8")

        out = Path(args.out)
        write_files_atomically(out, {f: writer(t) for f, t in texts.items()})
        print(f"wrote {len(texts)} scenarios into {out}/: " + ", ".join(texts), file=sys.stderr)
        return 0

    result = import_manifests(args.paths, deployment=args.deployment,
                              kubernetes_version=args.kubernetes_version, name=args.name,
                              namespace=args.namespace)
    text = _checked(result)
    _print_notes(result.notes)
    if args.out:
        def write(p: Path) -> None:
            p.write_text(text, encoding="utf-8")

        write_file_atomically(Path(args.out), write)
        print(f"wrote {args.out} (Deployment {result.workload}; "
              f"{len(result.assumptions)} assumptions noted in comments)", file=sys.stderr)
    else:
        print(text, end="")
    return 0
