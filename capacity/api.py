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
    n = int(runs if runs is not None else sc.simulation.runs)
    if n < 1:
        raise ValueError("runs must be >= 1")
    s = seed if seed is not None else sc.simulation.seed
    dur = float(parse_duration(duration)) if duration is not None else sc.simulation.duration
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
