"""Quota and terminating pods (issue 11, item 3).

Upstream: ``staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go`` ``BeforeDelete``
(``deletionTimestamp = now + grace``), ``pkg/quota/v1/evaluator/core/pods.go``
``QuotaV1Pod`` (charged until ``deletionTimestamp + grace``),
``pkg/controller/resourcequota/resource_quota_monitor.go`` ``controllerFor`` (pod deletions
and updates that end the charge trigger a recalculation; nothing else does) and the
controller's periodic resync (``--resource-quota-sync-period`` 5 min);
``pkg/controller/replicaset/replica_set.go`` (a failed sync is re-queued with the workqueue's
``DefaultControllerRateLimiter``: 5 ms doubling).

The scenario: node-failure.yaml (six pods, one per node; general-zone-a-0 dies at 1003 s
for two hours) in a namespace whose quota admits exactly six pods. The quota controller's
resyncs are at 0, 300, 600 ... (phase 0).
"""

from __future__ import annotations

import numpy as np
import pytest

from capacity.scenario.loader import load_scenario, scenario_from_dict
from capacity.sim.engine import Model
from tests.sim.conftest import DATA


def run(quota_phase=0.0, pods="6", duration=2000.0):
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    d = sc.model_dump(mode="json", exclude_none=True, by_alias=True)
    d["namespace"] = {"name": "team", "resourceQuota": {"hard": {"pods": pods}}}
    m = Model(scenario_from_dict(d), 0, np.random.SeedSequence(1), duration=duration,
              phases=(0.0, 1.0))
    for n in m.cluster.nodes.values():
        n.hb_phase = 0.0
    m.cluster.monitor_phase = 0.0
    m.quota_phase = quota_phase
    return m, m.run()


def test_a_pod_stuck_on_a_lost_node_holds_the_quota_until_the_resync():
    m, out = run()
    failed = [t for (t, r, *_x) in out.events if r == "FailedCreate"]
    created = [t for (t, r, *_x) in out.events if r == "SuccessfulCreate" and t > 0]
    # NotReady at 1050, NoExecute taint at once, the pod's 300 s toleration ends at 1350:
    # the taint manager deletes it with its 30 s grace: deletionTimestamp = 1350 + 30 = 1380,
    # and QuotaV1Pod charges it until 1380 + 30 = 1410. Its node is dead, so it stays
    # Terminating, and no event tells the quota controller when 1410 passes.
    p = next(p for p in m.pods if p.node == "general-zone-a-0")
    assert p.pod.deletion_timestamp == 1380.0
    # The ReplicaSet's replacement at 1350 is refused (6 charged + 1 > 6). Its retries come
    # 5 ms x (2^k - 1) after 1350: 1350.005, ..., 1431.915 (k = 14) all refused; the resync
    # at 1500 is the first recalculation after 1410 and releases the stuck pod; the next
    # retry, k = 15 at 1350 + 0.005 x 32767 = 1513.835, is admitted.
    assert failed[0] == 1350.0
    assert len(failed) == 15
    assert created == [pytest.approx(1513.835)]
    # (Releasing at deletionTimestamp + grace with deletionTimestamp = the request time, as
    # before, admitted the retry at 1350 + 0.005 x 8191 = 1390.955.)


def test_the_resync_phase_moves_the_release():
    # Resyncs at 150, 450, ...: the one at 1650 is the first after 1410; retries at
    # 1513.835 (refused) and 1350 + 0.005 x 65535 = 1677.675 (admitted).
    _, out = run(quota_phase=150.0)
    created = [t for (t, r, *_x) in out.events if r == "SuccessfulCreate" and t > 0]
    assert created == [pytest.approx(1677.675)]


def test_without_a_binding_quota_the_replacement_is_immediate():
    # pods: "7" leaves room: the replacement is created at 1350 with the eviction.
    _, out = run(pods="7")
    created = [t for (t, r, *_x) in out.events if r == "SuccessfulCreate" and t > 0]
    assert created == [1350.0]
