"""``python -m capacity schema``: the JSON Schema of scenario files."""

from __future__ import annotations

import argparse

from capacity.scenario.loader import dump_schema


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = "Save it and point your editor's YAML language server at it."


def run(args: argparse.Namespace) -> int:
    print(dump_schema())
    return 0
