"""Checks of command-line values shared by the subcommands (one-line errors, exit 2).

The same rules as the scenario file's: ``--runs`` as ``simulation.runs``, ``--seed`` as
``simulation.seed``, ``--duration`` as ``simulation.duration`` (and the bound on steps
per run, which depends on it), so a value refused in a file is refused on the line too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from capacity.errors import ScenarioError
from capacity.scenario.rules import MAX_EPISODES, MAX_RUNS, MAX_SEED

__all__ = ["MAX_EPISODES", "MAX_RUNS", "MAX_SEED", "MAX_WORKERS", "OneLineParser",
           "add_progress_option", "add_scheduler_option", "bounded_run", "count",
           "positive_duration", "positive_runs", "seed"]

#: Worker processes: far beyond any machine's cores, small enough that a typo does not
#: fork the machine to death.
MAX_WORKERS = 1024


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (``error: ...``), exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {' '.join(message.split())} (see {self.prog} --help)",
              file=sys.stderr)
        raise SystemExit(2)


def add_scheduler_option(p: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS``: the runs go to an existing dask.distributed cluster."""
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on an existing Dask cluster, e.g. tcp://127.0.0.1:8786 "
                        "(pip install -e '.[dask]'); the numbers are the same as locally")


def add_progress_option(p: argparse.ArgumentParser) -> None:
    """``--no-progress``; without it a bar on a terminal and one line per stage on a pipe."""
    p.add_argument("--no-progress", action="store_true",
                   help="no progress on stderr (else a bar on a terminal, one status line per "
                        "stage on a pipe)")


def positive_runs(runs: int | None, flag: str = "--runs") -> int | None:
    """``runs`` unchanged, or a :class:`ScenarioError` when outside 1..``MAX_RUNS``."""
    if runs is not None and runs < 1:
        raise ScenarioError(f"{flag} must be >= 1", value=runs, has_value=True)
    if runs is not None and runs > MAX_RUNS:
        raise ScenarioError(f"{flag} must be at most {MAX_RUNS}", value=runs, has_value=True)
    return runs


def seed(value: int | None, flag: str = "--seed") -> int | None:
    """``value`` unchanged, or a :class:`ScenarioError` unless 0 <= value <= 2^64-1."""
    if value is not None and not 0 <= value <= MAX_SEED:
        raise ScenarioError(f"{flag} must be between 0 and 2^64-1", value=value, has_value=True)
    return value


def count(value: int | None, flag: str, lo: int, hi: int) -> int | None:
    """An integer option within ``lo..hi`` (``--workers``, ``--episodes``)."""
    if value is not None and not lo <= value <= hi:
        raise ScenarioError(f"{flag} must be between {lo} and {hi}", value=value, has_value=True)
    return value


def positive_duration(text: str | None, flag: str = "--duration") -> float | None:
    """Seconds from ``--duration`` (``2d``, ``6h``), or None; must be > 0."""
    if text is None:
        return None
    from capacity.scenario.durations import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as e:
        raise ScenarioError(f"{flag} {e}", value=text, has_value=True) from None
    if seconds <= 0:
        raise ScenarioError(f"{flag} must be > 0", value=text, has_value=True)
    return seconds


def bounded_run(sc: object, duration: float | None, flag: str = "--duration") -> None:
    """The scenario's run with ``duration`` (from ``flag``) is bounded, as a file's must be.

    Raises :class:`ScenarioError` naming the scenario file and the field (or ``flag``)
    that makes the run explode, or a duration not longer than ``simulation.warmup``.
    """
    from capacity.scenario.limits import run_bound_problem
    from capacity.scenario.loader import display_path, loc_text
    from capacity.scenario.model import Scenario

    assert isinstance(sc, Scenario)
    if duration is None:
        return
    file = display_path(Path(sc.source)) if sc.source else None
    if duration <= sc.simulation.warmup:
        raise ScenarioError(f"{flag} must be longer than simulation.warmup "
                            f"({sc.simulation.warmup:g}s)", file=file, value=duration,
                            has_value=True)
    err = run_bound_problem(sc, duration, flag)
    if err is not None:
        raise ScenarioError(err.rule, file=file, path=loc_text(err.loc) or None)
