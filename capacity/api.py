"""The public entry points: ``load_scenario`` and ``simulate``."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from capacity.analysis.summary import build_summary
from capacity.scenario.loader import load_scenario
from capacity.scenario.model import Scenario
from capacity.sim.engine import RunOutcome, run_once
from capacity.sim.recorder import EVENT_COLUMNS, TIMESERIES_COLUMNS
from capacity.sim.rng import run_seed_sequences


@dataclass
class SimulationResult:
    """``summary`` (DESIGN §5), ``timeseries`` and ``events`` (pandas), and the scenario."""

    scenario: Scenario
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    events: pd.DataFrame
    outcomes: list[RunOutcome] = field(repr=False, default_factory=list)


def _run_chunk(args: tuple[Scenario, list[tuple[int, np.random.SeedSequence]], float, bool]) -> list[RunOutcome]:
    sc, items, duration, record = args
    return [run_once(sc, i, ss, duration, record) for i, ss in items]


def _frames(outs: list[RunOutcome]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ts_parts = []
    ev_rows: list[tuple[Any, ...]] = []
    for o in outs:
        if o.columns:
            df = pd.DataFrame(o.columns)
            df.insert(0, "run", o.run)
            ts_parts.append(df)
        ev_rows.extend((o.run, *e) for e in o.events)
    ts = (pd.concat(ts_parts, ignore_index=True) if ts_parts
          else pd.DataFrame(columns=["run", *TIMESERIES_COLUMNS]))
    for c in ("desired_replicas", "spec_replicas", "ready_replicas", "pending_pods", "endpoints"):
        if c in ts and len(ts):
            ts[c] = ts[c].astype("int64")
    ev = pd.DataFrame(ev_rows, columns=["run", *EVENT_COLUMNS])
    return ts, ev


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
) -> SimulationResult:
    """Simulate ``runs`` replications of a scenario.

    ``runs``, ``seed`` and ``duration`` default to the scenario's ``simulation`` section;
    ``duration`` may be a string (``"2d"``). ``workers`` processes share the runs (default:
    1 for one run, else the number of cores); the numbers do not depend on it. ``record``:
    True keeps every run's timeseries and events, ``"first"`` only run 0's, False none.
    ``episodes`` > 0 adds the failure-episode estimate of availability
    (:mod:`capacity.analysis.episodes`, that many episodes per failure kind) under
    ``summary["availability"]["episodes"]``. Raises :class:`capacity.ScenarioError` for
    invalid input. ``compare`` adds ``summary["cost"]["comparisons"]``: the cost of fixed
    replicas at ``maxReplicas`` and of the fewest fixed replicas meeting the availability
    objective without an HPA (simulated with the same seeds).
    """
    from capacity.scenario.durations import parse_duration

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
    from capacity.sim.hpa_adapter import hpa_spec_from_scenario

    hpa_spec_from_scenario(sc)  # a metric the model cannot serve fails here, once
    n = int(runs if runs is not None else sc.simulation.runs)
    if n < 1:
        raise ValueError("runs must be >= 1")
    s = seed if seed is not None else sc.simulation.seed
    dur = float(parse_duration(duration)) if duration is not None else sc.simulation.duration
    seqs = run_seed_sequences(s, n)
    items = list(enumerate(seqs))

    def rec_for(i: int) -> bool:
        return record is True or (record == "first" and i == 0)

    w = workers if workers is not None else (1 if n == 1 else (os.cpu_count() or 1))
    w = max(1, min(w, n))
    show = progress if progress is not None else (n > 1 and sys.stderr.isatty())
    outs: list[RunOutcome] = []
    if w == 1:
        it = items
        if show:
            from tqdm import tqdm

            it = tqdm(items, desc=sc.name, unit="run")
        for i, ss in it:
            outs.append(run_once(sc, i, ss, dur, rec_for(i)))
    else:
        # Small chunks keep memory flat and the progress bar moving.
        chunks = [[items[j]] for j in range(n)]
        args = [(sc, ch, dur, rec_for(ch[0][0])) for ch in chunks]
        with ProcessPoolExecutor(max_workers=w) as pool:
            results = pool.map(_run_chunk, args)
            if show:
                from tqdm import tqdm

                results = tqdm(results, total=len(args), desc=sc.name, unit="run")
            for r in results:
                outs.extend(r)
    outs.sort(key=lambda o: o.run)
    ep = None
    if episodes > 0:
        from capacity.analysis.episodes import episode_estimates

        ep = episode_estimates(sc, episodes=episodes, seed=s)
    summary = build_summary(sc, outs, s, dur, compare=compare, workers=w, episodes=ep)
    ts, ev = _frames(outs)
    return SimulationResult(scenario=sc, summary=summary, timeseries=ts, events=ev, outcomes=outs)
