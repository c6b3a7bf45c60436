"""metrics-server as the HPA sees it (kubernetes-semantics.md §2, pkg/storage/pod.go).

hpa-step: three new pods start their containers at 662 s; scrapes every 15 s at 0, 15, ...
The scrape at 675 finds them 13 s old: younger than one resolution (15 s) but at least 10 s,
so metrics-server adds a synthetic first point (start, 0 CPU) and reports a 13 s window.
"""

from __future__ import annotations

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
