"""Kubelet probe timing (pkg/kubelet/prober/worker.go, prober_manager.go), worked by hand."""

from __future__ import annotations

from capacity.k8s.probes import ProbeSpec, startup_timeline


def test_no_probes_ready_when_started():
    tl = startup_timeline(0.0, 12.0, 20.0, None, None)
    assert (tl.started_at, tl.ready_at) == (12.0, 12.0)


def test_readiness_initial_delay_counts_whole_seconds_from_container_start():
    # Triggered at start (100.0): 0 s < 10; ticks every 5 s: 105 (5 s), 110 (10 s) -> Ready.
    tl = startup_timeline(90.0, 100.0, 100.0, None, ProbeSpec(initial_delay_seconds=10, period_seconds=5))
    assert tl.ready_at == 110.0
    # The startup worker ticks from pod admission (0), not from the container start (0.6):
    # at 10 only 9.4 s have passed, int() gives 9 < 10 (no result); at 15, 14 s: started.
    tl = startup_timeline(0.0, 0.6, 0.6, ProbeSpec(initial_delay_seconds=10, period_seconds=5), None)
    assert tl.started_at == 15.0


def test_readiness_success_threshold_needs_consecutive_successes():
    # App up at 107: probes at 100 (fail), 105 (fail), 110 (ok 1), 115 (ok 2), 120 (ok 3).
    tl = startup_timeline(100.0, 100.0, 107.0, None,
                          ProbeSpec(period_seconds=5, success_threshold=3))
    assert tl.ready_at == 120.0


def test_startup_probe_gates_readiness_and_triggers_it_at_once():
    # The seed's startup probe: period 5, failureThreshold 12; worker ticks from 0.
    # Container starts at 3, app answers from 14: ticks 5 (fail), 10 (fail), 15 (ok) ->
    # started at 15; readiness (delay 10, period 5) runs at once: 15 - 3 = 12 s >= 10: Ready.
    tl = startup_timeline(0.0, 3.0, 14.0, ProbeSpec(period_seconds=5, failure_threshold=12),
                          ProbeSpec(initial_delay_seconds=10, period_seconds=5))
    assert (tl.started_at, tl.ready_at) == (15.0, 15.0)


def test_startup_probe_kills_after_failure_threshold():
    # App never up within 12 failures at 5 s: ticks 5 .. 60 fail; the 12th (60) kills it.
    tl = startup_timeline(0.0, 1.0, 1000.0, ProbeSpec(period_seconds=5, failure_threshold=12), None)
    assert tl.killed_at == 60.0 and tl.ready_at is None
