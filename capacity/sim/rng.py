"""Random streams: one SeedSequence per study, one child per run, one grandchild per purpose.

A run's numbers depend only on (seed, run index), never on how runs are spread over
worker processes. Each purpose (load noise, start-up delays, failures, ...) has its own
stream, so adding draws for one purpose does not shift the others.

Streams are derived from the run's SeedSequence without spawning from it
(``SeedSequence.spawn`` is stateful: a second call gives other children). So two models
built from the same SeedSequence, e.g. a failure episode and its failure-free baseline,
draw the same numbers: common random numbers.
"""

from __future__ import annotations

import numpy as np

PURPOSES = ("load", "startup", "phase", "nodes", "zones", "spot", "maintenance", "autoscaler",
            "serving")


def run_seed_sequences(seed: int | None, runs: int) -> list[np.random.SeedSequence]:
    """Children of ``SeedSequence(seed)`` for runs 0..runs-1 (same seed, same children)."""
    return [child_sequence(np.random.SeedSequence(seed), i) for i in range(runs)]


def child_sequence(ss: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """The ``index``-th child of ``ss``, as ``ss.spawn`` would make it, without changing ``ss``."""
    return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, index),
                                  pool_size=ss.pool_size)


class RunStreams:
    """Named generators for one run, each derived from the run's SeedSequence."""

    def __init__(self, ss: np.random.SeedSequence) -> None:
        self._gens = {name: np.random.Generator(np.random.PCG64(child_sequence(ss, i)))
                      for i, name in enumerate(PURPOSES)}

    def __getitem__(self, purpose: str) -> np.random.Generator:
        return self._gens[purpose]
