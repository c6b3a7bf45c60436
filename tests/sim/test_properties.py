"""Hypothesis properties of whole simulations (small, fast examples).

* spec.replicas always stays within [minReplicas, maxReplicas];
* no scale-up goes beyond what the policies allow in their period: with the seed's
  scale-up policies (Percent 100 and Pods 2 per 30 s, selectPolicy Max), the replicas after
  a sync are at most max(2 x R0, R0 + 2), R0 being the replicas 30 s earlier;
* the same seed gives identical results.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.scenario.loader import load_scenario
from capacity.scenario.model import Step
from capacity.sim.engine import Model
from tests.sim.conftest import DATA

BASE = load_scenario(DATA / "scenarios/hpa-step.yaml")

loads = st.lists(st.tuples(st.integers(0, 7200), st.floats(0, 200)), min_size=1, max_size=6)


def run(steps, seed, noise):
    sc = BASE.model_copy(deep=True)
    sc.load.steps = [Step(at=float(t), rps=r) for t, r in sorted(steps)]
    if noise:
        from capacity.scenario.model import Noise

        sc.load.noise = Noise(cv=0.3, interval=60)
    return Model(sc, 0, np.random.SeedSequence(seed), duration=2 * 3600).run()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loads, st.integers(0, 2**32 - 1), st.booleans())
def test_replicas_in_range_and_rate_limited(steps, seed, noise):
    out = run(steps, seed, noise)
    spec = out.columns["spec_replicas"]
    t = out.columns["time"]
    assert spec.min() >= 3 and spec.max() <= 10
    for i in range(len(t)):
        j = np.searchsorted(t, t[i] - 30.0, side="right") - 1
        if j < 0:
            continue
        r0 = spec[j]
        assert spec[i] <= max(2 * r0, r0 + 2), (t[i], spec[i], r0)


@settings(max_examples=5, deadline=None)
@given(loads, st.integers(0, 2**32 - 1))
def test_same_seed_same_run(steps, seed):
    a = run(steps, seed, True)
    b = run(steps, seed, True)
    assert a.events == b.events
    for k in a.columns:
        np.testing.assert_array_equal(a.columns[k], b.columns[k])
