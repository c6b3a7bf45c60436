"""Monte Carlo replications of one scenario: the runs, then their summary.

Run ``i`` draws from the ``i``-th child of ``SeedSequence(seed)``, so a run's numbers do
not depend on where it ran, and two configurations simulated with the same seed see the
same load noise, phases and failure times run by run (common random numbers): their
differences are paired. ``until_ci`` adds replications until the 95% interval of the
requests answered (or of the first SLO's good fraction) is at most that half-width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from capacity.analysis.stats import ratio_ci
from capacity.analysis.summary import build_summary
from capacity.scenario.model import Scenario
from capacity.sim.engine import RunOutcome
from capacity.sim.recorder import DERIVED_COLUMNS, EVENT_COLUMNS, TIMESERIES_COLUMNS
from capacity.sim.rng import run_seed_sequences
from capacity.study.executor import RunTask, make_executor
from capacity.study.progress import Progress, Stage

ESTIMATOR_UNTIL_CI = ("sequential: batches of runs until the 95% interval's half-width is at "
                      "most {h} or {n} runs; stopping on the interval itself puts its coverage "
                      "slightly below 95%")


@dataclass
class SimulationResult:
    """``summary`` (DESIGN §5), ``timeseries`` and ``events`` (pandas), and the scenario."""

    scenario: Scenario
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    events: pd.DataFrame
    outcomes: list[RunOutcome] = field(repr=False, default_factory=list)


def frames(outs: Sequence[RunOutcome]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs' recorded rows and events as two DataFrames (a ``run`` column first)."""
    ts_parts = []
    ev_rows: list[tuple[Any, ...]] = []
    for o in outs:
        if o.columns:
            df = pd.DataFrame(o.columns)
            df.insert(0, "run", o.run)
            ts_parts.append(df)
        ev_rows.extend((o.run, *e) for e in o.events)
    cols = [c for c in TIMESERIES_COLUMNS if c != "errors_cum"] + list(DERIVED_COLUMNS)
    ts = (pd.concat(ts_parts, ignore_index=True) if ts_parts
          else pd.DataFrame(columns=["run", *cols]))
    for c in ("desired_replicas", "spec_replicas", "ready_replicas", "pending_pods", "endpoints"):
        if c in ts and len(ts):
            ts[c] = ts[c].astype("int64")
    ev = pd.DataFrame(ev_rows, columns=["run", *EVENT_COLUMNS])
    return ts, ev


def tasks_for(sc: Scenario, runs: range | Sequence[int], seed: int | None, duration: float,
              record: bool | str, observers: tuple[Callable[[], Any], ...] = ()) -> list[RunTask]:
    """The run tasks of ``runs`` (indices) of a scenario; ``record``: True, ``"first"``
    (run 0 only) or False."""
    seqs = run_seed_sequences(seed, max(runs, default=-1) + 1)
    return [RunTask(sc, i, seqs[i], duration, record is True or (record == "first" and i == 0),
                    observers=observers) for i in runs]


def run_replications(sc: Scenario, runs: int, seed: int | None, duration: float, *,
                     record: bool | str = True, workers: int | None = None,
                     scheduler: Any = None, progress: Callable[[int, int], None] | None = None,
                     until_ci: float | None = None,
                     observers: tuple[Callable[[], Any], ...] = ()) -> list[RunOutcome]:
    """The outcomes of runs ``0 .. runs-1`` (fewer with ``until_ci``), in run order."""
    ex = make_executor(workers, scheduler, runs)
    try:
        if until_ci is None:
            return ex.map(tasks_for(sc, range(runs), seed, duration, record, observers),
                          progress)
        outs: list[RunOutcome] = []
        batch = max(4, ex.workers)
        while len(outs) < runs:
            nxt = range(len(outs), min(len(outs) + batch, runs))
            outs.extend(ex.map(tasks_for(sc, nxt, seed, duration, record, observers)))
            if progress is not None:
                progress(len(outs), runs)
            if len(outs) >= 2 and half_width(sc, outs) <= until_ci:
                break
        return outs
    finally:
        close = getattr(ex, "close", None)
        if close is not None:
            close()


def half_width(sc: Scenario, outs: Sequence[RunOutcome]) -> float:
    """Half-width of the 95% interval the stopping rule watches: the first latency SLO's
    good fraction when the scenario has one, else requests answered / offered."""
    if sc.objectives.latency:
        key = f"{sc.objectives.latency[0].threshold:g}"
        good = [float(((o.extra or {}).get("latency") or {}).get("within", {}).get(key, 0.0))
                for o in outs]
        valid = [o.integrals.served_requests for o in outs]
    else:
        good = [o.integrals.served_requests for o in outs]
        valid = [o.integrals.offered_requests for o in outs]
    _, ci = ratio_ci(good, valid)
    return float("inf") if ci is None else (ci[1] - ci[0]) / 2


def simulate_replications(sc: Scenario, *, runs: int, seed: int | None, duration: float,
                          workers: int | None = None, scheduler: Any = None,
                          record: bool | str = True, progress: bool | None = None,
                          episodes: int = 0, until_ci: float | None = None,
                          observers: tuple[Callable[[], Any], ...] = (),
                          comparisons: Callable[[list[RunOutcome], dict[str, Any] | None],
                                                dict[str, Any]] | None = None,
                          ) -> SimulationResult:
    """Replications of ``sc`` and their summary; ``comparisons(outcomes, episodes)``, when
    given, adds ``cost.comparisons`` (see :mod:`capacity.study.simulation`)."""
    with Progress(sc.name, runs, "run", progress) as bar:
        outs = run_replications(sc, runs, seed, duration, record=record, workers=workers,
                                scheduler=scheduler, progress=bar if bar.on else None,
                                until_ci=until_ci, observers=observers)
        bar(len(outs), runs)
    ep = None
    from capacity.study.episodes import failure_kinds

    if episodes > 0 and failure_kinds(sc):  # no random failures: no episodes, no stage line
        from capacity.study.episodes import episode_estimates

        with Stage(f"{sc.name}: {episodes} failure episodes per kind", progress):
            ep = episode_estimates(sc, episodes=episodes, seed=seed, workers=workers,
                                   scheduler=scheduler)
    cmp_ = None
    if comparisons is not None:
        with Stage(f"{sc.name}: compared with fixed replicas", progress):
            cmp_ = comparisons(outs, ep)
    summary = build_summary(sc, outs, seed, duration, episodes=ep, comparisons=cmp_)
    if until_ci is not None:
        summary["until_ci"] = {"half_width": until_ci, "runs": len(outs), "max_runs": runs,
                               "estimator": ESTIMATOR_UNTIL_CI.format(h=until_ci, n=runs),
                               "reached": half_width(sc, outs) <= until_ci}
    ts, ev = frames(outs)
    return SimulationResult(scenario=sc, summary=summary, timeseries=ts, events=ev,
                            outcomes=list(outs))
