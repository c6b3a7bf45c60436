"""The seed's HPA behaviour under a load step, event by event, worked out by hand.

Scrapes at t = 0, 15, 30 ... (each CPU sample is the rate over the last 15 s); HPA syncs
at t = 1, 16, 31 ... Load: 9 rps, 42 rps from 600 s, 9 rps from 2400 s; 25 ms of CPU per
request; requests 250m CPU / 512Mi memory; memory stays at 100Mi (19%), below its target.
"""

from __future__ import annotations

import pytest

from tests.sim.conftest import run_model


def rescales(out):
    return [(t, msg) for (t, reason, kind, name, msg, _type) in out.events if reason == "SuccessfulRescale"]


def test_scale_up_waits_for_the_window_then_doubles(scenario):
    sc = scenario("hpa-step.yaml")
    _, out = run_model(sc)
    ups = rescales(out)
    # The scrape at 615 is the first whose window [600, 615] is all at 42 rps: 14 rps x 25 ms
    # = 350m per pod = 140% -> raw recommendation ceil(3 x 140/70) = 6, first stored at 616.
    # The 60 s up-window keeps the minimum of the recommendations newer than now - 60 s:
    # at 646 it still holds 601 (3); at 661 it holds only 616, 631, 646, 661 (all 6).
    # Rate: Percent 100/30 s gives 3 x 2 = 6, Pods 2 gives 5; selectPolicy Max -> 6.
    assert ups[0] == (661.0, "New size: 6; reason: cpu resource utilization (percentage of request) above target")
    # With 6 pods the load is 7 rps = 175m = 70% per pod: within tolerance, no more scaling
    # until the drop.
    assert [t for t, _ in ups if t < 2400] == [661.0]


def test_scale_down_waits_out_300s_then_halves_with_select_max(scenario):
    sc = scenario("hpa-step.yaml")
    _, out = run_model(sc)
    downs = [(t, m) for t, m in rescales(out) if t > 2400]
    # Drop at 2400: 9 rps over 6 pods = 1.5 rps = 37.5m -> 38m (metrics round up) = 15%
    # -> raw ceil(6 x 15/70) = 2. The last recommendation of 6 is from the sync at 2401
    # (its sample [2385, 2400] is still high). It leaves the 300 s window when
    # 2401 > now - 300 stops holding: at 2701. Limits then: Percent 50/60 s -> int(6 x 0.5)
    # = 3, Pods 1 -> 5; selectPolicy Max takes the larger change -> 3 (= minReplicas).
    assert downs == [(2701.0, "New size: 3; reason: All metrics below target")]


def test_scale_down_one_pod_per_minute_with_select_min(scenario):
    sc = scenario("hpa-step.yaml")
    sc.autoscaling.horizontal.behavior.scaleDown.selectPolicy = "Min"
    _, out = run_model(sc)
    downs = [(t, m) for t, m in rescales(out) if t > 2400]
    # selectPolicy Min takes the smaller change: Pods 1 -> 5 at 2701. At 2716 the 60 s
    # period still holds that event (periodStart = 5 + 1 = 6): Pods gives 5, Percent 3,
    # Min -> 5: no change. At 2761 the event at 2701 is no longer newer than now - 60 s:
    # 5 -> 4; likewise 4 -> 3 at 2821.
    assert [t for t, _ in downs] == [2701.0, 2761.0, 2821.0]
    assert [m.split(";")[0] for _, m in downs] == ["New size: 5", "New size: 4", "New size: 3"]


def test_new_pod_timeline_event_by_event(scenario):
    sc = scenario("hpa-step.yaml")
    _m, out = run_model(sc)
    created = [(t, msg) for (t, reason, kind, name, msg, _) in out.events if reason == "SuccessfulCreate"]
    assert [t for t, _ in created] == [661.0, 661.0, 661.0]
    pod = created[0][1].removeprefix("Created pod: ")
    timeline = [(t, reason) for (t, reason, kind, name, msg, _) in out.events if name == pod]
    # scheduling delay 1 s; no image pull or start time; then the pod is Running at 662.
    assert timeline[:2] == [(662.0, "Scheduled"), (662.0, "Started")]
    # Ready: readiness initialDelaySeconds 10, period 5, triggered at start (662): probes at
    # 662 (0 s < 10), 667 (5 s < 10), 672 (10 s) -> Ready at 672. The timeseries shows it.
    ts = out.columns

    t = ts["time"]
    ready = ts["ready_replicas"]
    assert ready[t == 661.0][0] == 3  # the sync that scaled up
    assert ready[t == 676.0][0] == 6  # the first sync after 672
    assert ts["pending_pods"][t == 661.0][0] == 3  # created, not yet scheduled (1 s delay)


@pytest.mark.parametrize("seed", [1, 2])
def test_same_seed_same_numbers(scenario, seed):
    sc = scenario("hpa-step.yaml")
    sc.load.noise = type(sc.load).model_fields["noise"].annotation.__args__[0](cv=0.3, interval=60)  # type: ignore[attr-defined]
    _, a = run_model(sc, phases=None, seed=seed)
    _, b = run_model(sc, phases=None, seed=seed)
    assert a.events == b.events
    for k in a.columns:
        assert (a.columns[k] == b.columns[k]).all() or (
            (a.columns[k] != a.columns[k]) == (b.columns[k] != b.columns[k])).all()
