"""ResourceQuota admission in the simulation: refused creates, retries, lost capacity."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from scipy import integrate

from capacity.analysis.summary import build_summary
from capacity.scenario.loader import load_scenario
from tests.sim.conftest import DATA, run_model


def test_quota_caps_the_replicas_and_the_shortfall_costs_requests():
    sc = load_scenario(DATA / "scenarios/quota-short.yaml")
    _, out = run_model(sc)
    failed = [(t, msg) for (t, r, k, n, msg, _) in out.events if r == "FailedCreate"]
    # 661: the HPA asks for 6 (see test_narrated_hpa); the ReplicaSet creates the 4th pod
    # (pods 3 -> 4 of 4) and the 5th is refused by the quota, as the API server words it.
    assert failed[0][0] == 661.0
    assert failed[0][1] == ('Error creating: pods "web-" is forbidden: exceeded quota: team-quota, '
                            "requested: pods=1, used: pods=4, limited: pods=4")
    created = [t for (t, r, *_rest) in out.events if r == "SuccessfulCreate"]
    assert created == [661.0]
    # The ReplicaSet retries with back-off (5 ms doubling): several refusals follow.
    assert len(failed) > 5
    ts = out.columns
    assert ts["ready_replicas"].max() == 4
    # 42 rps on 4 pods of at most 12 rps: 48 >= 42, all served; back at 9 rps fine too.
    # The load that 4 pods cannot carry: none here, so availability stays whole, but the
    # quota shows up as peak usage at the hard limit.
    summary = build_summary(sc, [out], 1, sc.simulation.duration)
    assert summary["quota"]["hard"]["pods"] == "4"
    assert summary["quota"]["peak_used"]["pods"] == "4"


def test_shortfall_counts_against_availability():
    sc = load_scenario(DATA / "scenarios/quota-short.yaml")
    sc.load.steps[1].rps = 60  # 4 pods x 12 rps = 48 < 60: 12 rps too many at the peak
    sc.workload.demand.timeout = 30.0  # clients give up after 30 s
    _, out = run_model(sc)
    ig = out.integrals
    lost = ig.offered_requests - ig.served_requests
    # No queue limit: the excess waits in the pods, which share their 0.3 cores among all
    # their requests (mu = 12/s a pod): with a backlog B an arrival of work x times the mean
    # is answered after 0.1 s + x B / 12 s, so it times out when x > 29.9 x 12 / B, with
    # probability exp(-358.8 / B) for exponential work. From 600 s three pods get 60 / 3 =
    # 20 rps against 12, so their backlog grows by 8 a second; from 672 s (the 4th pod
    # Ready, empty) four pods get 15 rps, +3/s each; from 2400 s 9 rps, 2.25 a pod, and the
    # backlogs drain at 9.75/s. The timeouts are the integral of rate x exp(-358.8 / B(t))
    # over those lines: 92,301. (Before each arrival's time was its own work's, every
    # arrival there had the mean's, B / 12 s: all timed out from a backlog of 359, some
    # 96,500 requests.) The model's bins of the work give the exponential's tail to ~1%.
    y = 29.9 * 12.0

    def timeouts(rate: float, backlog: Callable[[float], float], t0: float, t1: float) -> float:
        return integrate.quad(lambda t: rate * math.exp(-y / backlog(t)), t0, t1,
                              limit=200)[0]

    b3, b4 = 8.0 * 72 + 3.0 * 1728, 3.0 * 1728  # the backlogs at 2400 s
    three = (timeouts(20.0, lambda t: 8.0 * (t - 600), 600, 672)
             + timeouts(15.0, lambda t: 576 + 3.0 * (t - 672), 672, 2400)
             + timeouts(2.25, lambda t: b3 - 9.75 * (t - 2400), 2400, 2400 + b3 / 9.75))
    fourth = (timeouts(15.0, lambda t: 3.0 * (t - 672), 672, 2400)
              + timeouts(2.25, lambda t: b4 - 9.75 * (t - 2400), 2400, 2400 + b4 / 9.75))
    want = 3 * three + fourth
    assert want == pytest.approx(92_301, rel=1e-4)
    assert lost == pytest.approx(ig.errors["timeout"], rel=1e-12)
    assert ig.errors["timeout"] == pytest.approx(want, rel=0.015)
    assert ig.errors["rejected"] == ig.errors["no_endpoint"] == ig.errors["dead_endpoint"] == 0
    assert ig.seconds_at_full_capacity < ig.measured_seconds


def test_shortfall_with_a_queue_limit_is_rejected_not_timed_out():
    sc = load_scenario(DATA / "scenarios/quota-short.yaml")
    sc.load.steps[1].rps = 60
    sc.workload.demand.queueLimit = 30  # at most 30 requests in a pod (no concurrency set)
    _, out = run_model(sc)
    ig = out.integrals
    # Once full, each of the 4 pods refuses what it cannot serve: 60 - 48 = 12 rps from
    # about 672 s (the 4th pod fills in 30 / 3 = 10 s) to 2400 s, about 1728 s x 12 =
    # 20,736 rejected, plus the three pods' excess before (8 rps each, full after ~4 s):
    # at most 20,736 + 3 x 8 x 72 = 22,464 in all.
    assert 20_500 <= ig.errors["rejected"] <= 22_464
    assert ig.errors["timeout"] == 0  # no client timeout set
