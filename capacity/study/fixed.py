"""Fixed replicas without an HPA: the baseline an HPA's cost is compared against.

:func:`fewest_fixed_replicas` finds the fewest replicas that meet every objective of the
scenario (``objectives.availability``: requests answered without error, the failure-
episode estimate when the scenario has random failures; each of ``objectives.latency``)
with the HPA removed and ``deployment.replicas = n``, and that are *safe*:

* the PodDisruptionBudget allows a disruption with all ``n`` healthy (else every drain
  blocks: :func:`capacity.analysis.safety.pdb_blocks_drains`);
* the objectives still hold with the largest zone down for the whole run (the pods
  rescheduled as the scheduler allows), when the scenario has a cluster of several zones.

Every candidate is simulated with the same seed and ``runs`` (default 3), so candidates see
the same load draws (common random numbers) and their difference is not noise. It bisects
for the fewest meeting the objectives, then steps up past the unsafe ones; each excluded
candidate is listed with its reason.

Decision rule (``criterion``): ``"lower"`` (default): an objective is met when the lower
end of its 95% interval is at least the target (with a single run, the point estimate);
``"mean"``: when the point estimate is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from capacity.scenario.model import Scenario

Criterion = Literal["lower", "mean"]


def zone_down_scenario(scenario: Scenario, zone: str, duration: float) -> Scenario:
    """A copy with ``zone`` down for the whole run and no random failures."""
    from capacity.scenario.model import ScheduledZoneOutage, ZoneFailures

    sc = scenario.model_copy(deep=True)
    sc.failures.nodes = None
    sc.failures.spot = []
    sc.failures.zones = ZoneFailures(scheduled=[ScheduledZoneOutage(zone=zone, at=0.0,
                                                                    duration=duration + 1.0)])
    sc.name = f"{scenario.name}-{zone}-down"
    sc._source = scenario.source
    return sc


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


def _simulate(scenario: Scenario, runs: int | None, seed: int | None,
              duration: float | str | None, workers: int | None, scheduler: Any = None,
              episodes: int = 0) -> Any:
    """The study's replications with the scenario's defaults (no timeseries kept)."""
    from capacity.scenario.durations import parse_duration
    from capacity.study.replications import simulate_replications as simulate

    return simulate(scenario, runs=int(runs if runs is not None else scenario.simulation.runs),
                    seed=seed if seed is not None else scenario.simulation.seed,
                    duration=(float(parse_duration(duration)) if duration is not None
                              else scenario.simulation.duration),
                    workers=workers, scheduler=scheduler, record=False, progress=False,
                    episodes=episodes)


def simulate_fixed(scenario: Scenario, replicas: int, runs: int | None = None,
                   seed: int | None = None, duration: float | str | None = None,
                   workers: int | None = None, scheduler: Any = None) -> Any:
    """Replications of :func:`fixed_replicas_scenario` (no timeseries kept)."""
    from capacity.study.defaults import DEFAULT_EPISODES
    from capacity.study.episodes import failure_kinds

    # With random failures in the scenario, weigh them by their rates too: a week of plain
    # Monte Carlo would rarely see one, and fewer fixed replicas suffer most from them.
    episodes = DEFAULT_EPISODES if failure_kinds(scenario) else 0
    return _simulate(fixed_replicas_scenario(scenario, replicas), runs, seed, duration,
                     workers, scheduler, episodes)


def availability_estimate(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary's requests-served estimate: the failure-episode one when present."""
    a = summary["availability"]
    return (a.get("episodes") or a)["requests_served"]


def objectives_met(summary: dict[str, Any], availability: float | None,
                   criterion: Criterion) -> tuple[bool, list[str]]:
    """Every objective against a summary: ``availability`` (if set) on
    :func:`availability_estimate`, each latency SLO on its good fraction. Returns (met,
    the objectives missed, each with its figure)."""
    missed = []
    if availability is not None:
        est = availability_estimate(summary)
        if not meets(est, availability, criterion):
            missed.append(f"availability {est['mean']:.4%} < {availability:.4%}")
    for s in summary.get("slo") or []:
        if s["sli"] != "latency":
            continue
        g = s["good_fraction"]
        if not meets(g, s["target"], criterion):
            missed.append(f"{s['name']}: {g['mean']:.3%}")
    return not missed, missed


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
    excluded: dict[int, str] = field(default_factory=dict)  # candidate -> why it is unsafe

    def as_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "measure": "every objective: availability.requests_served (availability.episodes "
                       "when the scenario has random failures) and each latency SLO's good "
                       "fraction; then safe: the PDB allows a drain, and the objectives hold "
                       "with the largest zone down",
            "criterion": ("lower end of the 95% interval >= objective (point estimate for one run)"
                          if self.criterion == "lower" else "mean >= objective"),
            "runs_per_candidate": self.runs,
            "replicas": self.replicas,
            "reason": self.reason,
            "tried": {str(k): v for k, v in sorted(self.tried.items())},
            "excluded": {str(k): v for k, v in sorted(self.excluded.items())},
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
    zone_down_fn: Callable[[int, int], Any] | None = None,
    safety: bool = True,
) -> FixedSearch:
    """Fewest fixed replicas in ``[lo, …]`` meeting every objective, and safe.

    ``objective`` overrides ``objectives.availability``. ``hi`` defaults to the HPA's
    ``maxReplicas`` (else ``lo``); when ``hi`` does not meet the objectives it is doubled
    up to ``limit``. Each candidate is simulated ``runs`` times with ``seed`` for
    ``duration`` (defaults: the scenario's). ``simulate_fn(n, runs)`` and
    ``zone_down_fn(n, runs)`` replace the simulations (tests, caching); ``safety=False``
    skips the PDB and zone checks. Raises ``ValueError`` without any objective.
    """
    from capacity.analysis.safety import largest_zone, pdb_blocks_drains
    from capacity.scenario.durations import parse_duration

    obj = scenario.objectives.availability if objective is None else objective
    if obj is None and not scenario.objectives.latency:
        raise ValueError("no objective: set objectives.availability or objectives.latency, "
                         "or pass one")
    if runs < 1:
        raise ValueError("runs must be >= 1")
    if hi is None:
        h = scenario.autoscaling.horizontal
        hi = max(lo, h.maxReplicas if h is not None else lo)
    sim = simulate_fn or (lambda n, k: simulate_fixed(scenario, n, runs=k, seed=seed,
                                                      duration=duration, workers=workers))
    dur = (parse_duration(duration) if duration is not None else scenario.simulation.duration)
    zone = largest_zone(scenario)
    if zone_down_fn is None and zone is not None and len(scenario.cluster.zones) > 1:  # type: ignore[union-attr]
        def zone_down_fn(n: int, k: int) -> Any:
            z = zone_down_scenario(fixed_replicas_scenario(scenario, n), zone, dur)
            return _simulate(z, k, seed, duration, workers)
    out = FixedSearch(objective=obj if obj is not None else float("nan"), criterion=criterion,
                      runs=runs, replicas=None)

    def ok(n: int) -> bool:
        if n not in out.tried:
            summ = sim(n, runs).summary
            met, missed = objectives_met(summ, obj, criterion)
            est = availability_estimate(summ)
            out.tried[n] = {"mean": est["mean"], "ci95": est.get("ci95"), "meets": met,
                            "missed": missed}
        return bool(out.tried[n]["meets"])

    def unsafe(n: int) -> str | None:
        if not safety:
            return None
        why = pdb_blocks_drains(scenario, n)
        if why is not None:
            return why
        if zone_down_fn is not None:
            met, missed = objectives_met(zone_down_fn(n, runs).summary, None if obj is None
                                         else obj, criterion)
            if not met:
                return f"with zone {zone} down: " + "; ".join(missed)
        return None

    while not ok(hi):
        if hi >= limit:
            out.reason = f"no fixed replica count up to {limit} meets the objectives"
            return out
        lo, hi = hi + 1, min(2 * hi, limit)
    # Invariant: ok(hi); every n < lo that was tried fails.
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    n = hi
    while n <= limit:
        if ok(n):
            why = unsafe(n)
            if why is None:
                out.replicas = n
                return out
            out.excluded[n] = why
        n += 1
    out.reason = f"no safe fixed replica count up to {limit} meets the objectives"
    return out
