"""ResourceQuota admission in the simulation: refused creates, retries, lost capacity."""

from __future__ import annotations

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
    # No queue limit: the excess waits in the pods (processor sharing: an arrival's answer
    # takes about backlog / 12 s). From 600 s three pods get 60 / 3 = 20 rps against 12, so
    # their backlog grows by 8 a second; from 672 s four pods get 15 rps, +3/s. The last
    # pod to join (empty at 672 s) passes a 30 s wait at a backlog of 360 requests, 120 s
    # later (792 s); from then until the drop at 2400 s every arrival times out (the pods
    # still work through the requests their clients gave up on): at least
    # (2400 - 792) x 60 = 96,480 requests, all of them timeouts.
    assert lost >= 96_480
    assert ig.errors["timeout"] >= 96_480
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
