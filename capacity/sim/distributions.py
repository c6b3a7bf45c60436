"""Sampling the scenario's duration distributions with an explicit Generator."""

from __future__ import annotations

import math

import numpy as np

from capacity.scenario.model import Distribution


def sample(dist: Distribution, rng: np.random.Generator) -> float:
    """One draw in seconds (never negative)."""
    t = dist.type
    if t == "constant":
        return float(dist.value)  # type: ignore[arg-type]
    if t == "uniform":
        return float(rng.uniform(dist.min, dist.max))
    if t == "exponential":
        return float(rng.exponential(dist.mean)) if dist.mean else 0.0
    mu, sigma = dist.lognormal_params()
    return float(math.exp(mu + sigma * rng.standard_normal()))
