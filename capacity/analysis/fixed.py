"""Fixed replicas without an HPA: the baseline an HPA's cost is compared against.

:func:`fewest_fixed_replicas` finds the fewest replicas that meet the scenario's
availability objective (``objectives.availability``, a fraction of requests served) with
the HPA removed and ``deployment.replicas = n``. It bisects over ``n``: every candidate is
simulated with the same seed and the same ``runs`` (default 3), so candidates see the same
load draws (common random numbers) and their difference is not noise.

Decision rule (``criterion``):

* ``"lower"`` (default): ``n`` meets the objective when the lower end of the 95% interval
  of requests served (ratio of sums over runs, delta-method t-interval) is at least the
  objective; with a single run, when the point estimate is. A planner wants replicas that
  meet the target with confidence, not on average;
* ``"mean"``: when the point estimate is.

Bisection assumes that more replicas never serve fewer requests, which holds for the
model (served = min(load, ready pods × per-pod ceiling)) up to failure draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from capacity.scenario.model import Scenario

Criterion = Literal["lower", "mean"]


def fixed_replicas_scenario(scenario: Scenario, replicas: int) -> Scenario:
    """A deep copy of ``scenario`` with no HPA and ``deployment.replicas = replicas``."""
    if replicas < 0:
        raise ValueError(f"replicas must be >= 0, got {replicas}")
    sc = scenario.model_copy(deep=True)
    sc.autoscaling.horizontal = None
    sc.workload.deployment.replicas = int(replicas)
    sc.name = f"{scenario.name}-fixed-{replicas}"
    sc._source = scenario.source
    return sc


def simulate_fixed(scenario: Scenario, replicas: int, runs: int | None = None,
                   seed: int | None = None, duration: float | str | None = None,
                   workers: int | None = None) -> Any:
    """``capacity.simulate`` of :func:`fixed_replicas_scenario` (no timeseries kept)."""
    from capacity.analysis.episodes import DEFAULT_EPISODES, failure_kinds
    from capacity.api import simulate

    # With random failures in the scenario, weigh them by their rates too: a week of plain
    # Monte Carlo would rarely see one, and fewer fixed replicas suffer most from them.
    episodes = DEFAULT_EPISODES if failure_kinds(scenario) else 0
    return simulate(fixed_replicas_scenario(scenario, replicas), runs=runs, seed=seed,
                    duration=duration, workers=workers, record=False, progress=False,
                    episodes=episodes)


def availability_estimate(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary's requests-served estimate: the failure-episode one when present."""
    a = summary["availability"]
    return (a.get("episodes") or a)["requests_served"]


def meets(requests_served: dict[str, Any], objective: float, criterion: Criterion) -> bool:
    """Whether a ``requests_served`` estimate (summary shape) meets ``objective``."""
    ci = requests_served.get("ci95")
    x = ci[0] if (criterion == "lower" and ci) else requests_served["mean"]
    # The simulated fraction is a float sum: allow for its rounding at exactly 100%.
    return x >= objective - 1e-12


@dataclass
class FixedSearch:
    """Result of :func:`fewest_fixed_replicas`; ``replicas`` is None when not found."""

    objective: float
    criterion: Criterion
    runs: int
    replicas: int | None
    tried: dict[int, dict[str, Any]] = field(default_factory=dict)
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "measure": "availability.requests_served (availability.episodes when the "
                       "scenario has random failures)",
            "criterion": ("lower end of the 95% interval >= objective (point estimate for one run)"
                          if self.criterion == "lower" else "mean >= objective"),
            "runs_per_candidate": self.runs,
            "replicas": self.replicas,
            "reason": self.reason,
            "tried": {str(k): v for k, v in sorted(self.tried.items())},
        }


def fewest_fixed_replicas(
    scenario: Scenario,
    objective: float | None = None,
    *,
    runs: int = 3,
    seed: int | None = None,
    duration: float | str | None = None,
    lo: int = 1,
    hi: int | None = None,
    limit: int = 200,
    criterion: Criterion = "lower",
    workers: int | None = None,
    simulate_fn: Callable[[int, int], Any] | None = None,
) -> FixedSearch:
    """Fewest fixed replicas in ``[lo, …]`` meeting ``objective`` (default the scenario's).

    ``hi`` defaults to the HPA's ``maxReplicas`` (else ``lo``); when ``hi`` does not meet
    the objective it is doubled up to ``limit``. Each candidate is simulated ``runs`` times
    with ``seed`` for ``duration`` (defaults: the scenario's). ``simulate_fn(n, runs)``
    replaces the simulation (tests, caching). Raises ``ValueError`` without an objective.
    """
    obj = scenario.objectives.availability if objective is None else objective
    if obj is None:
        raise ValueError("no availability objective: set objectives.availability or pass one")
    if runs < 1:
        raise ValueError("runs must be >= 1")
    if hi is None:
        h = scenario.autoscaling.horizontal
        hi = max(lo, h.maxReplicas if h is not None else lo)
    sim = simulate_fn or (lambda n, k: simulate_fixed(scenario, n, runs=k, seed=seed,
                                                      duration=duration, workers=workers))
    out = FixedSearch(objective=obj, criterion=criterion, runs=runs, replicas=None)

    def ok(n: int) -> bool:
        if n not in out.tried:
            est = availability_estimate(sim(n, runs).summary)
            out.tried[n] = {"mean": est["mean"], "ci95": est.get("ci95"),
                            "meets": meets(est, obj, criterion)}
        return bool(out.tried[n]["meets"])

    while not ok(hi):
        if hi >= limit:
            out.reason = (f"no fixed replica count up to {limit} meets {obj:.4%} of requests "
                          "served")
            return out
        lo, hi = hi + 1, min(2 * hi, limit)
    # Invariant: ok(hi); every n < lo that was tried fails.
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    out.replicas = hi
    return out
