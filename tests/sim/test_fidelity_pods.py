"""Pods as the kubelet and the HPA see them (issue 11, items 7, 10, 12 and 13).

* CrashLoopBackOff: ``pkg/kubelet/kuberuntime/kuberuntime_manager.go`` ``doBackOff`` with
  client-go ``util/flowcontrol/backoff.go`` (``IsInBackOffSince``, ``Next``), the kubelet's
  ``backOffPeriod`` 10 s and ``MaxContainerBackOff`` 300 s (``pkg/kubelet/kubelet.go``).
* A pod whose node returns: ``pkg/kubelet/status/status_manager.go``
  ``updateLastTransitionTime``; the HPA's ``groupPods``
  (``pkg/controller/podautoscaler/replica_calculator.go``).
* Succeeded pods (kubernetes/kubernetes#141302, from 1.38) and pod-level requests
  (KEP-2837, from 1.34 with the ``PodLevelResources`` gate) in the HPA, through a run.
"""

from __future__ import annotations

import numpy as np

from capacity.k8s.hpa_replica_calculator import group_pods
from capacity.k8s.types import CONDITION_FALSE, POD_READY, POD_SUCCEEDED, Pod
from capacity.scenario.loader import load_scenario, scenario_from_dict
from capacity.sim.engine import Model
from capacity.sim.kubelet import CrashLoopBackOff
from tests.sim.conftest import DATA, run_model


def _hpa_step(**changes):
    sc = load_scenario(DATA / "scenarios/hpa-step.yaml")
    d = sc.model_dump(mode="json", exclude_none=True, by_alias=True)
    for path, value in changes.items():
        node = d
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node.setdefault(k, {})
        node[keys[-1]] = value
    return scenario_from_dict(d)


def rescales(out):
    return [(t, msg.split(";")[0]) for (t, r, k, n, msg, _) in out.events if r == "SuccessfulRescale"]


# --- item 7 -------------------------------------------------------------------------


def test_backoff_sequence():
    b = CrashLoopBackOff()
    # First exit: no entry yet, restart at once (Next starts the entry at 10 s).
    assert b.delay(100.0) == 0.0
    b.next(100.0, 100.0)
    # Each later exit waits the current delay, then Next doubles it: 10, 20, 40 ... 300.
    waits = []
    t = 100.0
    for _ in range(8):
        t += 25.0  # the next exit, 25 s after the restart
        w = b.delay(t)
        waits.append(w)
        t += w
        b.next(t - w, t)
    assert waits == [10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0]
    # An entry not updated for more than 2 x 300 s has expired: restart at once again.
    assert b.delay(t + 601.0) == 0.0
    assert b.delay(t + 599.0) == 300.0


def test_crash_loop_restarts_in_a_run():
    # hpa-step's new pods (created at 661, containers start at 662) need 40 s to answer,
    # but the startup probe (period 5 s, failureThreshold 6, from the start) kills them at
    # the 6th failure, 25 s after each start. Kills and restarts of one pod:
    # 687 kill, restart at once; 712 kill, back-off 10 s -> 722; 747 kill, 20 s -> 767;
    # 792 kill, 40 s -> 832; 857 kill, 80 s -> 937; 962 kill, 160 s -> 1122; 1147 kill,
    # 300 s -> 1447; 1472 kill. (Every restart used to come one step late: 697, 742 ...)
    sc = _hpa_step(**{
        "workload.deployment.template.spec.containers.0.startupProbe":
            {"periodSeconds": 5, "failureThreshold": 6},
        "workload.startup.appWarmup": "40s"})
    _, out = run_model(sc, duration=1500)
    pod = next(n for (t, r, k, n, m, _) in out.events if r == "Started" and t > 600)
    kills = [t for (t, r, k, n, m, _) in out.events if r == "Killing" and n == pod]
    assert kills == [687.0, 712.0, 747.0, 792.0, 857.0, 962.0, 1147.0, 1472.0]
    backoffs = [t for (t, r, k, n, m, _) in out.events if r == "BackOff" and n == pod]
    assert backoffs == kills[1:]  # every exit but the first waits


# --- item 10 --------------------------------------------------------------------------


def test_pod_on_a_returning_node_keeps_start_time_and_gets_ready_false():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.failures.nodes.scheduled[0].duration = 20  # back at 1023, before NotReady (1050)
    c = sc.workload.deployment.template.spec.containers[0]
    c.readinessProbe = type(c).model_fields["readinessProbe"].annotation.__args__[0](
        initialDelaySeconds=30, periodSeconds=5)
    m = Model(sc, 0, np.random.SeedSequence(1), duration=1040.0, phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 0.0
    m.cluster.monitor_phase = 0.0
    m.run()
    back = next(p for p in m.pods if p.node == "general-zone-a-0")
    pod = back.pod
    # The warm pod started long before the run (-3600 s) and keeps that StartTime; the
    # kubelet posts Ready=False when its containers restart at 1023: the last status it
    # posted said True, so the condition's lastTransitionTime is 1023.
    assert pod.start_time == -3600.0
    assert [(c.type, c.status, c.last_transition_time) for c in pod.conditions] == [
        (POD_READY, CONDITION_FALSE, 1023.0)]
    # Its new container started at 1023: the scrape at 1035 sees it 12 s old (>= 10 s, less
    # than one 15 s resolution) and gives it a synthetic first point: it has a CPU metric.
    assert pod.name in m.cpu_metrics
    # groupPods for CPU at 1040: started more than 5 min ago, so it is unready only if
    # Ready is False AND StartTime + 30 s > lastTransitionTime (-3570 > 1023: no). It is
    # counted as ready with its metric, with the five others: 6. (With its conditions wiped,
    # as before, "no Ready condition" made it unready.)
    ready, unready, missing, ignored = group_pods(m.k8s_pods, m.cpu_metrics, "cpu", 300.0,
                                                  30.0, 1040.0)
    assert (ready, unready, missing, ignored) == (6, set(), set(), set())


# --- items 12 and 13 ------------------------------------------------------------------


def _with_succeeded_pods(m: Model, n: int) -> None:
    """``n`` Succeeded pods of the Deployment's selector, left over (say after node-pressure
    evictions, kubernetes/kubernetes#118310): no metrics, no endpoints."""
    wl = m.wl
    for i in range(n):
        m.k8s_pods.append(Pod(name=f"web-done-{i}", namespace=wl.namespace, labels=wl.labels,
                              owner=m.rs.name, containers=wl.containers, phase=POD_SUCCEEDED,
                              start_time=-7200.0))


def test_succeeded_pods_damp_the_scale_up_before_1_38():
    # hpa-step at 616: 3 pods at 350m / 250m = 140%, usage ratio 2.0. Three Succeeded pods
    # have no metric: before 1.38 groupPods does not ignore them, they are "missing"; on a
    # scale-up a missing pod is assumed to use 0: (3 x 350) / (6 x 250) = 70% -> ratio 1.0,
    # within tolerance: no scale-up at all, the whole step long.
    sc = _hpa_step(kubernetesVersion="1.37")
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    _with_succeeded_pods(m, 3)
    assert [t for t, _ in rescales(m.run()) if t < 2400] == []


def test_succeeded_pods_are_ignored_from_1_38():
    # From 1.38 they are ignored like Failed ones: the usual scale-up to 6 at 661 (see
    # test_narrated_hpa).
    sc = _hpa_step(kubernetesVersion="1.38")
    m = Model(sc, 0, np.random.SeedSequence(1), phases=(0.0, 1.0))
    _with_succeeded_pods(m, 3)
    assert [r for r in rescales(m.run()) if r[0] < 2400] == [(661.0, "New size: 6")]


POD_LEVEL = {"workload.deployment.template.spec.resources": {"requests": {"cpu": "500m"}}}


def test_pod_level_requests_from_1_34():
    # Pod-level requests 500m (the container still asks 250m). From 1.34 (gate on by
    # default) the HPA divides by the pod-level request: 350m / 500m = 70% = the target:
    # no scale-up.
    sc = _hpa_step(kubernetesVersion="1.34", **POD_LEVEL)
    _, out = run_model(sc)
    assert [t for t, _ in rescales(out) if t < 2400] == []


def test_pod_level_requests_before_1_34():
    # 1.33: the gate is off by default, the API server drops the field: 350m / 250m = 140%,
    # scale-up to 6 at 661. With the gate turned on in 1.33 the field is kept, but the 1.33
    # HPA does not read it yet: the same scale-up.
    for gates in ({}, {"PodLevelResources": True}):
        sc = _hpa_step(kubernetesVersion="1.33", **POD_LEVEL,
                       **({"controllers.featureGates": gates} if gates else {}))
        m, out = run_model(sc)
        assert (m.pod_resources is not None) == bool(gates)
        assert [r for r in rescales(out) if r[0] < 2400] == [(661.0, "New size: 6")]
