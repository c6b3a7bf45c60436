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
    sc.load.steps[1].rps = 60  # 4 pods x 12 rps = 48 < 60: 12 rps not served at the peak
    _, out = run_model(sc)
    ig = out.integrals
    lost = ig.offered_requests - ig.served_requests
    # From the moment 4 pods are Ready (672) until the drop at 2400 s, 12 rps are lost:
    # at least (2400 - 672) x 12 = 20,736 requests.
    assert lost >= 20736
    assert ig.seconds_at_full_capacity < ig.measured_seconds
