"""Checks of command-line values shared by the subcommands (one-line errors, exit 2)."""

from __future__ import annotations

from capacity.errors import ScenarioError
from capacity.scenario.durations import parse_duration


def positive_runs(runs: int | None, flag: str = "--runs") -> int | None:
    """``runs`` unchanged, or a :class:`ScenarioError` when it is below 1."""
    if runs is not None and runs < 1:
        raise ScenarioError(f"{flag} must be >= 1", value=runs, has_value=True)
    return runs


def positive_duration(text: str | None) -> float | None:
    """Seconds from ``--duration`` (``2d``, ``6h``), or None; must be > 0."""
    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as e:
        raise ScenarioError(f"--duration {e}", value=text, has_value=True) from None
    if seconds <= 0:
        raise ScenarioError("--duration must be > 0", value=text, has_value=True)
    return seconds
