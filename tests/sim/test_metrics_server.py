"""metrics-server as the HPA sees it (kubernetes-semantics.md §2, pkg/storage/pod.go).

hpa-step: three new pods start their containers at 662 s; scrapes every 15 s at 0, 15, ...
The scrape at 675 finds them 13 s old: younger than one resolution (15 s) but at least 10 s,
so metrics-server adds a synthetic first point (start, 0 CPU) and reports a 13 s window.
"""

from __future__ import annotations

import itertools

from capacity.scenario.loader import load_scenario
from tests.sim.conftest import DATA, run_model


def _new_pods(m):
    return [p for p in m.pods if p.container_start is not None and p.container_start > 0]


def test_young_container_gets_a_synthetic_first_point():
    sc = load_scenario(DATA / "scenarios/hpa-step.yaml")
    m, _ = run_model(sc, duration=676)
    new = _new_pods(m)
    assert len(new) == 3
    for p in new:
        metric = m.cpu_metrics[p.pod.name]
        assert metric.timestamp == 675.0 and metric.window == 13.0


def test_container_younger_than_10s_has_no_metric_until_the_next_scrape():
    sc = load_scenario(DATA / "scenarios/hpa-step.yaml")
    sc.workload.startup.containerStart = type(sc.workload.startup.containerStart)(value=5.0)
    # containers now start at 667: at the 675 scrape they are 8 s old (< 10 s): no metric,
    # the pods are "missing" for the HPA; the 690 scrape pairs with the 675 sample.
    m, _ = run_model(sc, duration=676)
    assert all(p.pod.name not in m.cpu_metrics for p in _new_pods(m))
    m, _ = run_model(sc, duration=691)
    for p in _new_pods(m):
        metric = m.cpu_metrics[p.pod.name]
        assert metric.timestamp == 690.0 and metric.window == 15.0


def test_metrics_of_a_deleted_pod_go_with_the_pod():
    # metrics-server serves the pods its informer lists (status.phase=Running:
    # pkg/server/informer.go, pkg/api/pod.go), so a pod's metrics disappear when the pod
    # object does, not at the next scrape. hpa-step scales 6 -> 3 at 2701 (see
    # test_narrated_hpa); the pods have no preStop, so the three removed ones are gone at
    # 2701: right after, three metrics are left, although the last scrape (2700) saw six.
    sc = load_scenario(DATA / "scenarios/hpa-step.yaml")
    m, _ = run_model(sc, duration=2701.5)
    assert len(m.pods) == 3
    assert sorted(m.cpu_metrics) == sorted(p.pod.name for p in m.pods)
    assert sorted(m.mem_metrics) == sorted(p.pod.name for p in m.pods)


# --- cAdvisor's housekeeping lag (controllers.kubelet.housekeepingInterval) -------------------
#
# With a 10 s interval each container is read at its start, then after gaps G ~ U(10, 20) s
# (cadvisor's jitter(interval, 1.0)). A scrape serves the latest reading, so the age of its
# sample at a scrape that falls at a random moment of a gap is the renewal process' age:
# mean E[G^2] / (2 E[G]) = ((20^3 - 10^3) / 30) / 30 = 233.3 / 30 = 7.78 s, always < 20 s.
# Scrapes every 15 s sometimes find no new reading (a gap > 15 s): the metric stays as it was.


def _lagged(interval: float):
    from capacity.sim.engine import Model

    sc = load_scenario(DATA / "scenarios/hpa-step.yaml")
    sc.controllers.kubelet.housekeepingInterval = interval
    seen: list[tuple[float, str, float, float]] = []
    scrape = Model._scrape

    def spy(self, t):
        scrape(self, t)
        seen.extend((t, name, m.timestamp, m.window) for name, m in self.cpu_metrics.items())

    return sc, seen, spy


def test_samples_lag_the_scrapes_by_cadvisor_housekeeping(monkeypatch):
    from capacity.sim.engine import Model

    sc, seen, spy = _lagged(10.0)
    monkeypatch.setattr(Model, "_scrape", spy)
    run_model(sc, duration=6 * 3600)
    late = [(t, n, ts, w) for t, n, ts, w in seen if t > 900]  # warm pods' phase settled
    ages = [t - ts for t, _, ts, _ in late]
    assert min(ages) >= 0 and max(ages) < 20
    # ~4,500 ages of 3+ pods; their spread is about 5 s, so the mean is within 0.5 s of
    # the closed form with a wide margin (the scrapes of one pod are correlated)
    assert abs(sum(ages) / len(ages) - 233.33 / 30) < 0.5, sum(ages) / len(ages)
    # the window is the time between two readings: 10-20 s, or a multiple when a scrape
    # found nothing new in between; and a repeated reading leaves the metric as it was
    by_pod: dict[str, list[tuple[float, float, float]]] = {}
    for t, n, ts, w in late:
        by_pod.setdefault(n, []).append((t, ts, w))
    repeats = 0
    for rows in by_pod.values():
        for (_, ts0, w0), (_, ts1, w1) in itertools.pairwise(rows):
            if ts1 == ts0:
                repeats += 1
                assert w1 == w0
            else:
                assert ts1 > ts0 and 10 <= w1 <= 45
    assert repeats > 0  # some scrapes find no new reading


def test_no_lag_with_interval_zero(monkeypatch):
    from capacity.sim.engine import Model

    sc, seen, spy = _lagged(0.0)
    monkeypatch.setattr(Model, "_scrape", spy)
    run_model(sc, duration=3600)
    assert seen and all(ts == t for t, _, ts, _ in seen if t > 0)
