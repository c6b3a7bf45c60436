"""The public entry points: ``load_scenario``, ``simulate`` and ``sweep`` (a thin facade over
:mod:`capacity.study`)."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from capacity.errors import ScenarioError
from capacity.scenario.loader import load_scenario
from capacity.scenario.model import MAX_RUNS, Scenario
from capacity.scenario.rules import MAX_SEED
from capacity.study.replications import SimulationResult
from capacity.study.simulation import simulate as _simulate

__all__ = ["SimulationResult", "load_scenario", "simulate", "sweep"]


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
    metrics_out: str | os.PathLike[str] | None = None,
    alerts: bool = True,
    vpa: bool = True,
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
    (:class:`capacity.sim.engine.Observer`), built in the worker of each run.

    What the monitoring would have seen (DESIGN §11): ``alerts`` evaluates the emitted
    PrometheusRule on each run's simulated series (``summary["alerts"]``,
    ``summary["monitoring"]``); ``vpa`` feeds the VPA recommender when the scenario has
    ``autoscaling.vertical`` (``summary["vpa"]``); ``metrics_out`` (a folder) receives
    ``metrics.om`` of every run and, when ``promtool`` is installed, ``blocks/`` (TSDB
    blocks for a Prometheus), written whole; the workers write beside it, so with a Dask
    cluster they must share this machine's file system. Raises
    :class:`capacity.ScenarioError` for invalid input.
    """
    from capacity.scenario.durations import parse_duration
    from capacity.sim.hpa_adapter import hpa_spec_from_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
    hpa_spec_from_scenario(sc)  # a metric the model cannot serve fails here, once
    n = runs if runs is not None else sc.simulation.runs
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_RUNS:
        raise ScenarioError(f"runs must be an integer from 1 to {MAX_RUNS}", value=n,
                            has_value=True)
    n = int(n)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or not 0 <= seed <= MAX_SEED):
        raise ScenarioError(f"seed must be an integer from 0 to {MAX_SEED} (2^64-1)",
                            value=seed, has_value=True)
    s = int(seed) if seed is not None else sc.simulation.seed
    if duration is None:
        dur = sc.simulation.duration
    else:
        try:
            dur = float(parse_duration(duration))
        except ValueError as e:
            raise ScenarioError(f"duration: {e}", value=duration, has_value=True) from None
        _bounded(sc, dur)
    with contextlib.ExitStack() as stack:
        extra, staging = _monitoring_observers(sc, stack, metrics_out, alerts, vpa)
        result = _simulate(sc, runs=n, seed=s, duration=dur, workers=workers,
                           scheduler=scheduler, record=record, progress=progress,
                           episodes=episodes, compare=compare, until_ci=until_ci,
                           observers=tuple(observers) + extra)
        if staging is not None:
            from capacity.analysis.monitoring_export import assemble_export

            info = assemble_export(Path(metrics_out), staging,  # type: ignore[arg-type]
                                   [(o.extra.get("monitoring") or {}).get("export")
                                    for o in result.outcomes])
            result.summary.setdefault("monitoring", {})["export"] = info
    return result


def _bounded(sc: Scenario, duration: float) -> None:
    """A ``duration`` given here must make a bounded run, as the file's own must."""
    from capacity.scenario.limits import run_bound_problem
    from capacity.scenario.loader import loc_text

    if duration <= sc.simulation.warmup:
        raise ScenarioError(f"duration must be longer than simulation.warmup "
                            f"({sc.simulation.warmup:g}s)", file=sc.source, value=duration,
                            has_value=True)
    err = run_bound_problem(sc, duration, "duration")
    if err is not None:
        raise ScenarioError(err.rule, file=sc.source, path=loc_text(err.loc) or None)


def sweep(
    scenario: Scenario | str | os.PathLike[str],
    grid: dict[str, Any] | str | os.PathLike[str],
    seed: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
) -> Any:
    """Simulate ``scenario`` at every point of ``grid`` and return a pandas DataFrame,
    cheapest first: one column per parameter, then each figure's estimate with ``_lo`` and
    ``_hi`` 95% interval columns, each SLO's good fraction, the paired difference of each
    figure against the grid's first point (``… vs first``), and the verdict columns
    (``meets_objectives``, ``safe``, ``excluded``, ``missed``, ``relies_on_bursting``,
    ``findings``).

    ``grid`` is a grid file (the format ``python -m capacity sweep --help`` shows) or the
    same as a dict, e.g. ``{"runs": 5, "parameters": {"autoscaling.horizontal.minReplicas":
    [2, 3]}}``. Every point uses the same seed (common random numbers). Raises
    :class:`capacity.ScenarioError` for a bad grid or point, before any simulation.
    """
    from capacity.scenario.grid import check_grid, load_grid, points
    from capacity.study.progress import Progress
    from capacity.study.sweep import sweep_frame

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
    if isinstance(grid, dict):
        file = "grid"
        g = check_grid(grid, file)
    else:
        file = str(grid)
        g = load_grid(Path(grid))
    n = len(points(sc, g, file))
    with Progress(f"sweep {sc.name}", n, "point", progress) as bar:
        return sweep_frame(sc, g, file, seed=seed, workers=workers, scheduler=scheduler,
                           progress=bar if bar.on else None)


def _monitoring_observers(sc: Scenario, stack: contextlib.ExitStack,
                          metrics_out: str | os.PathLike[str] | None, alerts: bool, vpa: bool
                          ) -> tuple[tuple[Callable[[], Any], ...], Path | None]:
    """Picklable factories of the monitoring and VPA observers (built in each worker),
    and the staging folder of ``metrics_out`` (removed when ``stack`` closes)."""
    out: list[Callable[[], Any]] = []
    staging = None
    if metrics_out is not None or alerts:
        from capacity.analysis.monitoring_export import export_staging, process_run
        from capacity.sim.monitoring import MonitoringObserver, MonitoringSettings

        promtool = None
        if metrics_out is not None:
            staging = stack.enter_context(export_staging(metrics_out))
            promtool = shutil.which("promtool")
        process = functools.partial(process_run, alerts=alerts, promtool=promtool,
                                    export_dir=str(staging) if staging is not None else None)
        out.append(functools.partial(MonitoringObserver, MonitoringSettings(
            histograms=staging is not None, process=process)))
    if vpa and sc.autoscaling.vertical is not None:
        from capacity.sim.vpa_feed import VpaFeedObserver

        out.append(VpaFeedObserver)
    return tuple(out), staging
