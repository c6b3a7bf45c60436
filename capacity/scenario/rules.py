"""Shared pieces of the scenario's validation rules.

:class:`FieldError` lets a model-level rule name the exact field it is about (a path
below the model that raised it), so the loader can print that path and find its line.
The caps below keep every number finite and every run bounded; each one says why.
"""

from __future__ import annotations

import math
from typing import Any

#: Kubernetes' int32 fields (replicas, seconds, weights) cannot hold more.
INT32_MAX = 2**31 - 1
#: apimachinery: "No matter which of the three exponent forms is used, no quantity may
#: represent a number greater than 2^63-1 in magnitude" (resource/quantity.go).
QUANTITY_MAX = 2**63 - 1
#: Kubernetes' documented scalability envelope ("Considerations for large clusters"):
#: at most 5,000 nodes and 150,000 pods per cluster.
MAX_NODES = 5_000
MAX_PODS = 150_000
#: Replications per scenario: beyond this the 95% intervals no longer narrow in any way
#: that matters, and the seeds alone would take minutes to spawn.
MAX_RUNS = 10_000
#: Seeds: numpy's SeedSequence takes any non-negative integer; 64 bits are plenty, and
#: JSON readers keep them exact.
MAX_SEED = 2**64 - 1
#: Failure episodes per kind for the rare-failure estimate (``--episodes``, a grid's
#: ``episodes``): each is two short simulations.
MAX_EPISODES = 10_000
#: Any duration field: far beyond any failure rate or run, yet small enough that sums and
#: products of durations stay finite (1e308 s as a duration is a typo, not a plan).
MAX_DURATION = 1000 * 365 * 86400.0
#: Offered load: 1e9 requests per second is beyond any single workload; above it the
#: arithmetic of requests × CPU × seconds loses its meaning.
MAX_RPS = 1e9
#: Multipliers of the load (spikes, trace scale): a burst 1000× the base is already absurd.
MAX_FACTOR = 1000.0
#: Prices per hour (per vCPU, GiB or node) in any currency.
MAX_PRICE = 1e9


class FieldError(ValueError):
    """A rule broken by the field at ``loc`` (relative to the model that raises it).

    ``value`` is shown as ``, got ...`` when ``has_value``; messages read as the rule,
    e.g. ``must be less than or equal to cpu limit of 1``.
    """

    def __init__(self, loc: tuple[str | int, ...], rule: str, value: Any = None,
                 has_value: bool = False) -> None:
        super().__init__(rule)
        self.loc = tuple(loc)
        self.rule = rule
        self.value = value
        self.has_value = has_value


def finite(value: float, what: str = "number") -> float:
    """``value`` if finite, else a ValueError naming ``what``."""
    if not math.isfinite(value):
        raise ValueError(f"must be a finite {what}")
    return value


def short_number(x: float) -> str:
    """``36000000`` → ``36M``, ``1.2e10`` → ``1.2e+10`` (for messages about counts)."""
    if not math.isfinite(x):
        return "infinitely many"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size and abs(x) < size * 1000:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"
