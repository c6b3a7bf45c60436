"""The public entry points: ``load_scenario``, ``simulate`` and ``sweep`` (a thin facade over
:mod:`capacity.study`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from capacity.scenario.loader import load_scenario
from capacity.scenario.model import Scenario
from capacity.study.replications import SimulationResult
from capacity.study.simulation import simulate as _simulate

__all__ = ["SimulationResult", "load_scenario", "simulate"]


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    runs: int | None = None,
    seed: int | None = None,
    duration: float | str | None = None,
    workers: int | None = None,
    record: bool | str = True,
    progress: bool | None = None,
    episodes: int = 0,
    compare: bool = False,
    scheduler: Any = None,
    until_ci: float | None = None,
    observers: tuple[Callable[[], Any], ...] = (),
) -> SimulationResult:
    """Simulate ``runs`` replications of a scenario.

    ``runs``, ``seed`` and ``duration`` default to the scenario's ``simulation`` section;
    ``duration`` may be a string (``"2d"``). ``workers`` local processes share the runs
    (default: 1 for one run, else the number of cores), or ``scheduler`` (a Dask scheduler
    address such as ``"tcp://127.0.0.1:8786"``, or a ``distributed.Client``) sends them to
    a Dask cluster; the numbers do not depend on either. ``record``: True keeps every run's
    timeseries and events, ``"first"`` only run 0's, False none. ``episodes`` > 0 adds the
    failure-episode estimate of availability (that many episodes per failure kind) under
    ``summary["availability"]["episodes"]``. ``compare`` adds
    ``summary["cost"]["comparisons"]``: fixed replicas at ``maxReplicas`` and the fewest safe
    fixed replicas meeting every objective, simulated with the same seeds. ``until_ci``
    stops adding runs once the 95% interval's half-width is at most that (up to ``runs``).
    ``observers`` are picklable zero-argument factories of run observers
    (:class:`capacity.sim.engine.Observer`), built in the worker of each run. Raises
    :class:`capacity.ScenarioError` for invalid input.
    """
    from capacity.scenario.durations import parse_duration
    from capacity.sim.hpa_adapter import hpa_spec_from_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
    hpa_spec_from_scenario(sc)  # a metric the model cannot serve fails here, once
    n = int(runs if runs is not None else sc.simulation.runs)
    if n < 1:
        raise ValueError("runs must be >= 1")
    s = seed if seed is not None else sc.simulation.seed
    dur = float(parse_duration(duration)) if duration is not None else sc.simulation.duration
    return _simulate(sc, runs=n, seed=s, duration=dur, workers=workers, scheduler=scheduler,
                     record=record, progress=progress, episodes=episodes, compare=compare,
                     until_ci=until_ci, observers=tuple(observers))
