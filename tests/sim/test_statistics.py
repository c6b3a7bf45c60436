"""Statistical checks against closed forms, with stated tolerances.

k-of-n availability: n nodes fail independently (exponential, mean MTBF while up) and are
repaired (exponential, mean MTTR), so each is up with probability A = MTBF/(MTBF+MTTR) and
the number up is Binomial(n, A). With one pod per node and no spare room, a pod is ready
exactly while its node is up, so the fraction of time with at least k ready pods is
P(X >= k), X ~ Binomial(n, A). The simulation reports each fraction with a 95% t-interval
over its runs (12 runs x 30 days); the closed form must lie inside it. Seeded, so the test
is deterministic; with another seed it would fail about 5% of the time per k (the
interval's level), which is the stated tolerance.
"""

from __future__ import annotations

from math import comb

import pytest

import capacity
from capacity.scenario.loader import load_scenario
from tests.sim.conftest import DATA


def binom_at_least(n: int, k: int, a: float) -> float:
    return sum(comb(n, j) * a**j * (1 - a) ** (n - j) for j in range(k, n + 1))


@pytest.fixture(scope="module")
def k_of_n():
    sc = load_scenario(DATA / "scenarios/k-of-n.yaml")
    return sc, capacity.simulate(sc, record=False, workers=2, progress=False)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_k_of_n_matches_binomial_inside_the_interval(k_of_n, k):
    _, res = k_of_n
    a = 10 / 12  # MTBF 10 h, MTTR 2 h
    expected = binom_at_least(4, k, a)  # k=4: 0.4823, 3: 0.8681, 2: 0.9838, 1: 0.9992
    est = res.summary["availability"]["time_with_at_least"][str(k)]
    lo, hi = est["ci95"]
    assert lo <= expected <= hi, (k, expected, est)
    assert hi - lo < 0.05  # the interval is informative, not vacuous


def test_spare_room_lets_rescheduling_raise_availability(k_of_n):
    sc, res = k_of_n
    spare = sc.model_copy(deep=True)
    # Five nodes, each with room for two pods, still four pods: a failed node's pod is
    # evicted after ~6 min and rescheduled on a node with room, so >= 4 ready pods becomes
    # far likelier than the 0.48 of four nodes without spare room.
    spare.cluster.nodePools[0].nodesPerZone = 5
    spare.cluster.nodePools[0].allocatable["cpu"] = "1"
    res2 = capacity.simulate(spare, record=False, workers=2, progress=False)
    four = res2.summary["availability"]["time_with_at_least"]["4"]
    assert four["ci95"][0] > binom_at_least(4, 4, 10 / 12) + 0.2
    three = res2.summary["availability"]["time_with_at_least"]["3"]
    assert three["mean"] > res.summary["availability"]["time_with_at_least"]["3"]["mean"]
