"""Random streams: one SeedSequence per study, one child per run, one grandchild per purpose.

A run's numbers depend only on (seed, run index), never on how runs are spread over
worker processes. Each purpose (load noise, start-up delays, failures, ...) has its own
stream, so adding draws for one purpose does not shift the others.
"""

from __future__ import annotations

import numpy as np

PURPOSES = ("load", "startup", "phase", "nodes", "zones", "spot", "maintenance", "autoscaler")


def run_seed_sequences(seed: int | None, runs: int) -> list[np.random.SeedSequence]:
    """Children of ``SeedSequence(seed)`` for runs 0..runs-1 (same seed, same children)."""
    root = np.random.SeedSequence(seed)
    return root.spawn(runs)


class RunStreams:
    """Named generators for one run, each spawned from the run's SeedSequence."""

    def __init__(self, ss: np.random.SeedSequence) -> None:
        children = ss.spawn(len(PURPOSES))
        self._gens = {name: np.random.Generator(np.random.PCG64(c))
                      for name, c in zip(PURPOSES, children, strict=True)}

    def __getitem__(self, purpose: str) -> np.random.Generator:
        return self._gens[purpose]
