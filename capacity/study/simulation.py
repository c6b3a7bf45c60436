"""A scenario's full study: its replications, the failure-episode estimate, and the
fixed-replica comparisons when asked (what :func:`capacity.simulate` runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from capacity.scenario.model import Scenario
from capacity.sim.engine import RunOutcome
from capacity.study.replications import SimulationResult, simulate_replications


def simulate(sc: Scenario, *, runs: int, seed: int | None, duration: float,
             workers: int | None = None, scheduler: Any = None, record: bool | str = True,
             progress: bool | None = None, episodes: int = 0, compare: bool = False,
             until_ci: float | None = None,
             observers: tuple[Callable[[], Any], ...] = ()) -> SimulationResult:
    """See :func:`capacity.api.simulate`."""
    comparisons = None
    if compare and sc.autoscaling.horizontal is not None:
        def comparisons(outs: list[RunOutcome], ep: dict[str, Any] | None) -> dict[str, Any]:
            from capacity.analysis.cost import effective_pricing, run_costs
            from capacity.study.comparisons import compare_fixed

            pricing = effective_pricing(sc)
            return compare_fixed(sc, run_costs(sc, outs, pricing), seed=seed,
                                 duration=duration, workers=workers, scheduler=scheduler,
                                 pricing=pricing, outcomes=outs,
                                 availability={"episodes": ep} if ep else None)
    return simulate_replications(sc, runs=runs, seed=seed, duration=duration,
                                 workers=workers, scheduler=scheduler, record=record,
                                 progress=progress, episodes=episodes, until_ci=until_ci,
                                 observers=observers, comparisons=comparisons)
