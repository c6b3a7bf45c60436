"""Tests for capacity.k8s.disruption.

Tables ported from ``pkg/controller/disruption/disruption_test.go`` and
``pkg/registry/core/pod/storage/eviction_test.go`` (as far as a pure function can express
a controller or API test), plus hand-worked cases for our reference scenarios.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.k8s.disruption import (
    DELETION_TIMEOUT_SECONDS,
    DRAIN_DEFAULT_GRACE_PERIOD_SECONDS,
    DRAIN_DEFAULT_TIMEOUT_SECONDS,
    DRAIN_EVICTION_RETRY_SECONDS,
    DRAIN_POLL_DELETION_SECONDS,
    DRAIN_STEP_DONE,
    DRAIN_STEP_FAIL,
    DRAIN_STEP_RETRY,
    DRAIN_STEP_WAIT_FOR_DELETE,
    MAX_DISRUPTED_POD_SIZE,
    MESSAGE_MULTIPLE_PDBS,
    MESSAGE_VIOLATES_BUDGET,
    REASON_INSUFFICIENT_PODS,
    REASON_SUFFICIENT_PODS,
    REASON_SYNC_FAILED,
    UNHEALTHY_POD_EVICTION_ALWAYS_ALLOW,
    UNHEALTHY_POD_EVICTION_IF_HEALTHY_BUDGET,
    ControllerAndScale,
    LabelSelector,
    LabelSelectorRequirement,
    NoControllerError,
    PodDisruptionBudget,
    PodDisruptionBudgetSpec,
    PodDisruptionBudgetStatus,
    build_disrupted_pod_map,
    can_ignore_pdb,
    compute_pdb_status,
    count_healthy_pods,
    disruptions_allowed_for,
    evict_pod,
    get_expected_pod_count,
    get_pods_for_deletion,
    get_pods_for_pdb,
    next_drain_step,
    sync_pdb,
    update_pdb_status,
)
from capacity.k8s.intstr import IntOrStringError
from capacity.k8s.types import (
    CONDITION_FALSE,
    CONDITION_TRUE,
    POD_FAILED,
    POD_PENDING,
    POD_READY,
    POD_RUNNING,
    POD_SUCCEEDED,
    POD_UNKNOWN,
    Pod,
    PodCondition,
)

LABELS = {"a": "true"}


def mkpod(
    name: str,
    ready: bool | None = True,
    phase: str = POD_RUNNING,
    owner: str | None = "rs",
    deletion: float | None = None,
    labels: dict[str, str] | None = None,
    node: str | None = "node-1",
) -> Pod:
    """A pod; ``ready=None`` means no Ready condition at all."""
    conditions = []
    if ready is not None:
        conditions.append(PodCondition(POD_READY, CONDITION_TRUE if ready else CONDITION_FALSE))
    return Pod(
        name=name,
        labels=dict(LABELS if labels is None else labels),
        owner=owner,
        deletion_timestamp=deletion,
        phase=phase,
        conditions=conditions,
        node_name=node,
    )


def mkpdb(
    min_available=None,
    max_unavailable=None,
    selector: LabelSelector | None = None,
    policy: str | None = None,
    status: PodDisruptionBudgetStatus | None = None,
    name: str = "foo",
) -> PodDisruptionBudget:
    return PodDisruptionBudget(
        name=name,
        spec=PodDisruptionBudgetSpec(
            min_available=min_available,
            max_unavailable=max_unavailable,
            selector=LabelSelector(dict(LABELS)) if selector is None else selector,
            unhealthy_pod_eviction_policy=policy,
        ),
        status=status or PodDisruptionBudgetStatus(),
    )


# ------------------------------------------------------------- getExpectedPodCount


def test_min_available_int_counts_matched_pods():
    # minAvailable: 3 with 4 pods -> expected = len(pods) = 4, desired = 3 (TestUnavailable)
    pods = [mkpod(f"p{i}") for i in range(4)]
    assert get_expected_pod_count(PodDisruptionBudgetSpec(min_available=3), pods, {}) == (
        4,
        3,
        [],
    )


def test_min_available_int_counts_every_phase():
    # The int form uses len(pods) of whatever phase; no controller lookup at all.
    pods = [mkpod("a"), mkpod("b", phase=POD_SUCCEEDED), mkpod("c", owner=None)]
    assert get_expected_pod_count(PodDisruptionBudgetSpec(min_available=1), pods, {})[:2] == (
        3,
        1,
    )


@pytest.mark.parametrize(
    ("spec", "scale", "npods", "expected", "desired"),
    [
        # TestStatefulSetController: 34% of 3 = 1.02 -> 2
        (PodDisruptionBudgetSpec(min_available="34%"), 3, 1, 3, 2),
        # TestReplicaSet: 20% of 10 = 2
        (PodDisruptionBudgetSpec(min_available="20%"), 10, 1, 10, 2),
        # TestTwoControllers, one controller: 28% of 11 = 3.08 -> 4
        (PodDisruptionBudgetSpec(min_available="28%"), 11, 11, 11, 4),
        # maxUnavailable 1 of 3 -> desired 2
        (PodDisruptionBudgetSpec(max_unavailable=1), 3, 2, 3, 2),
        # maxUnavailable 30% of 10 -> 3 (ceil) -> desired 7
        (PodDisruptionBudgetSpec(max_unavailable="30%"), 10, 10, 10, 7),
        # maxUnavailable 25% of 3 -> ceil(0.75) = 1 -> desired 2 (rounds up, unlike rollouts)
        (PodDisruptionBudgetSpec(max_unavailable="25%"), 3, 3, 3, 2),
        # maxUnavailable larger than the scale -> desired clamps at 0
        (PodDisruptionBudgetSpec(max_unavailable=5), 3, 3, 3, 0),
        # neither field -> 0, 0
        (PodDisruptionBudgetSpec(), 3, 3, 0, 0),
    ],
)
def test_expected_count_from_controller_scale(spec, scale, npods, expected, desired):
    pods = [mkpod(f"p{i}") for i in range(npods)]
    got = get_expected_pod_count(spec, pods, {"rs": scale})
    assert got[:2] == (expected, desired)


def test_two_controllers_add_up():
    # TestTwoControllers: RC of 11 + Deployment of 11 -> expected 22; 28% of 22 = 6.16 -> 7
    pods = [mkpod(f"rc-{i}", owner="rc") for i in range(11)]
    pods += [mkpod(f"d-{i}", owner="rs-d") for i in range(11)]
    scale = {"rc": 11, "rs-d": ControllerAndScale("deploy-uid", 11)}
    assert get_expected_pod_count(PodDisruptionBudgetSpec(min_available="28%"), pods, scale)[
        :2
    ] == (22, 7)


def test_replica_sets_of_one_deployment_count_once():
    # During a rollout the pods of both ReplicaSets resolve to the same Deployment, whose
    # replicas (4) are counted once, not per ReplicaSet: expected 4, 50% -> desired 2.
    pods = [mkpod("old-1", owner="rs-old"), mkpod("new-1", owner="rs-new")]
    dep = ControllerAndScale("deploy-uid", 4)
    got = get_expected_pod_count(
        PodDisruptionBudgetSpec(min_available="50%"), pods, {"rs-old": dep, "rs-new": dep}
    )
    assert got[:2] == (4, 2)


def test_unmanaged_pods_are_reported_and_ignored():
    # TestNakedPod: a pod without controller under a percentage PDB contributes nothing.
    pods = [mkpod("naked", owner=None), mkpod("managed")]
    assert get_expected_pod_count(
        PodDisruptionBudgetSpec(min_available="28%"), pods, {"rs": 3}
    ) == (3, 1, ["naked"])


def test_unknown_controller_is_an_error():
    with pytest.raises(NoControllerError):
        get_expected_pod_count(PodDisruptionBudgetSpec(max_unavailable=1), [mkpod("p")], {})


def test_bad_percentage_is_an_error():
    with pytest.raises(IntOrStringError):
        get_expected_pod_count(PodDisruptionBudgetSpec(min_available="50"), [mkpod("p")], {"rs": 2})


# ------------------------------------------------------------- countHealthyPods


@pytest.mark.parametrize(
    ("pod", "disrupted", "now", "healthy"),
    [
        (mkpod("p"), {}, 0.0, 1),
        (mkpod("p", ready=False), {}, 0.0, 0),
        (mkpod("p", ready=None), {}, 0.0, 0),
        (mkpod("p", deletion=5.0), {}, 10.0, 0),  # terminating
        (mkpod("p"), {"p": 100.0}, 150.0, 0),  # evicted 50 s ago: on its way out
        (mkpod("p"), {"p": 100.0}, 219.9, 0),
        (mkpod("p"), {"p": 100.0}, 220.0, 1),  # exactly 120 s: counted again
        (mkpod("p"), {"p": 100.0}, 400.0, 1),
        (mkpod("p"), {"other": 100.0}, 150.0, 1),
    ],
)
def test_count_healthy_pods(pod, disrupted, now, healthy):
    assert count_healthy_pods([pod], disrupted, now) == healthy


# ------------------------------------------------------------- buildDisruptedPodMap


def test_build_disrupted_pod_map_prunes():
    # Like TestUpdateDisruptedPods: entries for deleted, terminating or unknown pods and
    # for evictions older than DeletionTimeout disappear; a recent one stays.
    now = 1000.0
    pods = [
        mkpod("terminating", deletion=now - 1),
        mkpod("recent"),
        mkpod("stale"),
        mkpod("not-disrupted"),
    ]
    recorded = {
        "terminating": now - 10,
        "recent": now - 10,
        "stale": now - DELETION_TIMEOUT_SECONDS - 1,
        "gone": now - 10,  # no such pod any more
    }
    got, recheck = build_disrupted_pod_map(pods, recorded, now)
    assert got == {"recent": now - 10}
    assert recheck == now - 10 + 120.0


def test_build_disrupted_pod_map_boundary_and_empty():
    # expectedDeletion == now is not "Before(now)", so the entry is kept.
    got, recheck = build_disrupted_pod_map([mkpod("p")], {"p": 80.0}, 200.0)
    assert got == {"p": 80.0} and recheck == 200.0
    assert build_disrupted_pod_map([mkpod("p")], None, 0.0) == ({}, None)
    assert build_disrupted_pod_map([mkpod("p")], {}, 0.0) == ({}, None)


# ------------------------------------------------------------- updatePdbStatus


@pytest.mark.parametrize(
    ("current", "desired", "expected", "allowed"),
    [
        (4, 3, 4, 1),
        (3, 3, 4, 0),
        (2, 3, 4, 0),  # negative -> forced to 0
        (5, 0, 0, 0),  # expected 0 -> 0 whatever the health
        (10, 2, 10, 8),
    ],
)
def test_disruptions_allowed_rule(current, desired, expected, allowed):
    assert disruptions_allowed_for(current, desired, expected) == allowed
    pdb = mkpdb(min_available=desired)
    pdb.generation = 3
    st_ = update_pdb_status(pdb, current, desired, expected, {"x": 1.0})
    assert pdb.status is st_
    assert (st_.current_healthy, st_.desired_healthy, st_.expected_pods) == (
        current,
        desired,
        expected,
    )
    assert st_.disruptions_allowed == allowed
    assert st_.disrupted_pods == {"x": 1.0}
    assert st_.observed_generation == 3
    assert st_.disruption_allowed_reason == (
        REASON_SUFFICIENT_PODS if allowed > 0 else REASON_INSUFFICIENT_PODS
    )


def test_unavailable_sequence():
    # TestUnavailable: minAvailable 3, 4 ready pods -> (allowed 1, current 4, desired 3,
    # expected 4); one pod becomes not ready -> (0, 3, 3, 4).
    pdb = mkpdb(min_available=3)
    pods = [mkpod(f"p{i}") for i in range(4)]
    sync_pdb(pdb, pods, {}, 0.0)
    s = pdb.status
    assert (s.disruptions_allowed, s.current_healthy, s.desired_healthy, s.expected_pods) == (
        1,
        4,
        3,
        4,
    )
    pods[0].conditions[0].status = CONDITION_FALSE
    sync_pdb(pdb, pods, {}, 1.0)
    s = pdb.status
    assert (s.disruptions_allowed, s.current_healthy, s.desired_healthy, s.expected_pods) == (
        0,
        3,
        3,
        4,
    )


def test_stateful_set_sequence():
    # TestStatefulSetController: 34% of a 3-replica StatefulSet; pods appear one by one:
    # (0,1,2,3), (0,2,2,3), then (1,3,2,3).
    pdb = mkpdb(min_available="34%")
    pods: list[Pod] = []
    seen = []
    for i in range(3):
        pods.append(mkpod(f"ss-{i}", owner="ss"))
        sync_pdb(pdb, pods, {"ss": 3}, float(i))
        s = pdb.status
        seen.append((s.disruptions_allowed, s.current_healthy, s.desired_healthy, s.expected_pods))
    assert seen == [(0, 1, 2, 3), (0, 2, 2, 3), (1, 3, 2, 3)]


def test_two_controllers_sequence():
    # TestTwoControllers (first half): 28% with an RC of 11. The first 7 pods are not
    # ready -> (0, 0, 4, 11); pods 8..10 ready -> current 1..3, still 0 allowed; the 11th
    # ready pod makes current 4 = desired 4 -> still 0 allowed.
    pdb = mkpdb(min_available="28%")
    pods: list[Pod] = []
    for i in range(11):
        pods.append(mkpod(f"rc-{i}", owner="rc", ready=i >= 7))
        sync_pdb(pdb, pods, {"rc": 11}, 0.0)
        s = pdb.status
        want_current = max(0, i - 6)
        assert (s.disruptions_allowed, s.current_healthy, s.desired_healthy, s.expected_pods) == (
            0,
            want_current,
            4,
            11,
        )
    # Second half, condensed: a Deployment of 11 joins with 11 ready pods -> expected 22,
    # desired 7, current 4 + 11 = 15, allowed 8.
    pods += [mkpod(f"d-{i}", owner="rs-d") for i in range(11)]
    sync_pdb(pdb, pods, {"rc": 11, "rs-d": ControllerAndScale("d", 11)}, 0.0)
    s = pdb.status
    assert (s.disruptions_allowed, s.current_healthy, s.desired_healthy, s.expected_pods) == (
        8,
        15,
        7,
        22,
    )


def test_integer_max_unavailable():
    # TestIntegerMaxUnavailable-like: maxUnavailable 1, Deployment of 3, only 2 ready pods
    # -> desired 2, current 2 -> 0 allowed; the third pod becomes ready -> 1 allowed.
    pdb = mkpdb(max_unavailable=1)
    pods = [mkpod("p0"), mkpod("p1"), mkpod("p2", ready=False)]
    sync_pdb(pdb, pods, {"rs": 3}, 0.0)
    assert pdb.status.disruptions_allowed == 0
    pods[2].conditions[0].status = CONDITION_TRUE
    sync_pdb(pdb, pods, {"rs": 3}, 1.0)
    assert pdb.status.disruptions_allowed == 1


def test_naked_pod_gives_no_disruptions():
    # TestNakedPod: 28% with only an unmanaged pod -> expected 0 -> 0 allowed.
    pdb = mkpdb(min_available="28%")
    sync_pdb(pdb, [mkpod("naked", owner=None)], {}, 0.0)
    assert pdb.status.disruptions_allowed == 0
    assert pdb.status.expected_pods == 0


def test_sync_failure_fail_safe_keeps_other_fields():
    # failSafe only zeroes disruptionsAllowed and sets the SyncFailed reason.
    pdb = mkpdb(
        max_unavailable=1,
        status=PodDisruptionBudgetStatus(
            current_healthy=3, desired_healthy=2, expected_pods=3, disruptions_allowed=1
        ),
    )
    recheck = sync_pdb(pdb, [mkpod("p", owner="unknown-rs")], {}, 0.0)
    assert recheck is None
    s = pdb.status
    assert (s.disruptions_allowed, s.current_healthy, s.desired_healthy, s.expected_pods) == (
        0,
        3,
        2,
        3,
    )
    assert s.disruption_allowed_reason == REASON_SYNC_FAILED


def test_compute_pdb_status_does_not_mutate_and_sync_returns_recheck():
    pdb = mkpdb(min_available=1, status=PodDisruptionBudgetStatus(disrupted_pods={"p0": 100.0}))
    pods = [mkpod("p0"), mkpod("p1")]
    before = pdb.status
    computed = compute_pdb_status(pdb, pods, {}, 150.0)
    assert pdb.status is before
    # p0 was evicted 50 s ago: not healthy; p1 is -> current 1, desired 1 -> 0 allowed
    assert (computed.current_healthy, computed.disruptions_allowed) == (1, 0)
    assert sync_pdb(pdb, pods, {}, 150.0) == 220.0
    assert pdb.status.disrupted_pods == {"p0": 100.0}


def test_selectors():
    sel = LabelSelector(
        {"app": "web"},
        [
            LabelSelectorRequirement("tier", "In", ["a", "b"]),
            LabelSelectorRequirement("canary", "DoesNotExist"),
        ],
    )
    pdb = mkpdb(min_available=1, selector=sel)
    good = mkpod("good", labels={"app": "web", "tier": "a"})
    wrong_tier = mkpod("wrong", labels={"app": "web", "tier": "c"})
    canary = mkpod("canary", labels={"app": "web", "tier": "a", "canary": "1"})
    other_ns = mkpod("other", labels={"app": "web", "tier": "a"})
    other_ns.namespace = "elsewhere"
    assert get_pods_for_pdb(pdb, [good, wrong_tier, canary, other_ns]) == [good]
    # A nil selector matches nothing; an empty one matches everything.
    nil_pdb = mkpdb(min_available=1)
    nil_pdb.spec.selector = None
    assert get_pods_for_pdb(nil_pdb, [good]) == []
    assert get_pods_for_pdb(mkpdb(min_available=1, selector=LabelSelector()), [good]) == [good]
    assert LabelSelector(match_expressions=[LabelSelectorRequirement("x", "NotIn", ["1"])]).matches(
        {"x": "2"}
    )
    assert LabelSelector(match_expressions=[LabelSelectorRequirement("x", "Exists")]).matches(
        {"x": ""}
    )


# ------------------------------------------------------------- eviction subresource

ALL_POLICIES = [None, UNHEALTHY_POD_EVICTION_IF_HEALTHY_BUDGET, UNHEALTHY_POD_EVICTION_ALWAYS_ALLOW]
GUARDING_POLICIES = [None, UNHEALTHY_POD_EVICTION_IF_HEALTHY_BUDGET]


@pytest.mark.parametrize("policy", GUARDING_POLICIES)
def test_no_disruptions_allowed_running_pod_is_refused(policy):
    # TestEviction "matching pdbs with no disruptions allowed, pod running": the pod has no
    # Ready condition, so it is unhealthy, but 0 >= 0 fails "desired > 0": checkAndDecrement.
    pdb = mkpdb(policy=policy)
    r = evict_pod(mkpod("t1", ready=None), [pdb], 0.0)
    assert (r.allowed, r.code, r.message) == (False, 429, MESSAGE_VIOLATES_BUDGET)
    assert r.cause == "The disruption budget foo needs 0 healthy pods and has 0 currently"
    assert r.decremented_pdb is None
    assert pdb.status.disrupted_pods == {}


def test_always_allow_evicts_unready_running_pod():
    pdb = mkpdb(policy=UNHEALTHY_POD_EVICTION_ALWAYS_ALLOW)
    r = evict_pod(mkpod("t1", ready=None), [pdb], 0.0)
    assert (r.allowed, r.code, r.decremented_pdb) == (True, 201, None)


@pytest.mark.parametrize("policy", ALL_POLICIES)
@pytest.mark.parametrize("phase", [POD_PENDING, POD_SUCCEEDED, POD_FAILED])
def test_pending_and_finished_pods_ignore_the_pdb(policy, phase):
    # TestEviction: pending, succeeded, failed pods are deleted despite 0 allowed.
    pdb = mkpdb(policy=policy)
    r = evict_pod(mkpod("t2", ready=None, phase=phase), [pdb], 0.0)
    assert (r.allowed, r.code) == (True, 201)
    assert pdb.status.disruptions_allowed == 0


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_terminating_pod_ignores_the_pdb(policy):
    # TestEvictionIgnorePDB "matching pdbs with no disruptions allowed, pod terminating"
    r = evict_pod(mkpod("t6", deletion=1.0), [mkpdb(policy=policy)], 2.0)
    assert r.allowed


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_disruptions_allowed_decrements_and_records(policy):
    # TestEviction "matching pdbs with disruptions allowed" (+ the PDB write it implies).
    pdb = mkpdb(policy=policy, status=PodDisruptionBudgetStatus(disruptions_allowed=1))
    r = evict_pod(mkpod("t5"), [pdb], 42.0)
    assert (r.allowed, r.code, r.decremented_pdb) == (True, 201, pdb)
    assert pdb.status.disruptions_allowed == 0
    assert pdb.status.disrupted_pods == {"t5": 42.0}
    assert pdb.status.disruption_allowed_reason == REASON_INSUFFICIENT_PODS


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_non_matching_pdb_allows(policy):
    pdb = mkpdb(policy=policy, selector=LabelSelector({"b": "true"}))
    assert evict_pod(mkpod("t6", ready=None), [pdb], 0.0).allowed


@pytest.mark.parametrize("policy", GUARDING_POLICIES)
def test_empty_selector_matches_everything(policy):
    # TestEviction "... pod running, empty selector"
    r = evict_pod(mkpod("t8", ready=None), [mkpdb(policy=policy, selector=LabelSelector())], 0.0)
    assert r.code == 429


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_healthy_pod_with_exhausted_budget_is_refused(policy):
    # TestEvictionIgnorePDB "... pod running, pod healthy, unhealthy pod not ours"
    pdb = mkpdb(
        policy=policy,
        status=PodDisruptionBudgetStatus(
            disruptions_allowed=0, current_healthy=2, desired_healthy=2
        ),
    )
    r = evict_pod(mkpod("t7"), [pdb], 0.0)
    assert r.code == 429
    assert r.cause == "The disruption budget foo needs 2 healthy pods and has 2 currently"


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_healthy_pod_honours_budget(policy):
    # "... disruptions allowed, pod running, pod healthy, healthy pod ours"
    pdb = mkpdb(
        policy=policy,
        status=PodDisruptionBudgetStatus(
            disruptions_allowed=1, current_healthy=3, desired_healthy=3
        ),
    )
    r = evict_pod(mkpod("t8"), [pdb], 0.0)
    assert r.allowed and pdb.status.disruptions_allowed == 0


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_unhealthy_pod_with_healthy_budget_is_deleted_without_decrement(policy):
    # "... no disruptions allowed, pod running, pod unhealthy, unhealthy pod ours":
    # current 2 >= desired 2 > 0, so the not-ready pod goes, budget untouched.
    pdb = mkpdb(
        policy=policy,
        status=PodDisruptionBudgetStatus(
            disruptions_allowed=0, current_healthy=2, desired_healthy=2
        ),
    )
    r = evict_pod(mkpod("t8", ready=False), [pdb], 0.0)
    assert (r.allowed, r.decremented_pdb) == (True, None)
    assert pdb.status.disruptions_allowed == 0 and pdb.status.disrupted_pods == {}


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        (None, False),
        (UNHEALTHY_POD_EVICTION_IF_HEALTHY_BUDGET, False),
        (UNHEALTHY_POD_EVICTION_ALWAYS_ALLOW, True),
    ],
)
def test_unhealthy_pod_with_unhealthy_budget(policy, allowed):
    # Budget already violated (1 healthy, 2 desired): only AlwaysAllow lets the broken pod go.
    pdb = mkpdb(
        policy=policy,
        status=PodDisruptionBudgetStatus(
            disruptions_allowed=0, current_healthy=1, desired_healthy=2
        ),
    )
    assert evict_pod(mkpod("p", ready=False), [pdb], 0.0).allowed is allowed


@pytest.mark.parametrize("policy", GUARDING_POLICIES)
def test_empty_selector_healthy_pod_not_deleted(policy):
    # "... pod healthy, empty selector, pod not deleted by honoring the PDB"
    pdb = mkpdb(
        policy=policy,
        selector=LabelSelector(),
        status=PodDisruptionBudgetStatus(
            disruptions_allowed=0, current_healthy=3, desired_healthy=3
        ),
    )
    r = evict_pod(mkpod("t11"), [pdb], 0.0)
    assert r.cause == "The disruption budget foo needs 3 healthy pods and has 3 currently"


def test_more_than_one_pdb_is_500():
    pdbs = [mkpdb(name="a"), mkpdb(name="b")]
    r = evict_pod(mkpod("p"), pdbs, 0.0)
    assert (r.allowed, r.code, r.message) == (False, 500, MESSAGE_MULTIPLE_PDBS)


def test_pdb_status_condition_after_eviction():
    # TestEvictionPDBStatus: 1 -> 0 flips the reason to InsufficientPods; 3 -> 2 keeps
    # SufficientPods.
    pdb = mkpdb(
        status=PodDisruptionBudgetStatus(
            disruptions_allowed=1, disruption_allowed_reason=REASON_SUFFICIENT_PODS
        )
    )
    evict_pod(mkpod("foo-1"), [pdb], 0.0)
    assert (pdb.status.disruptions_allowed, pdb.status.disruption_allowed_reason) == (
        0,
        REASON_INSUFFICIENT_PODS,
    )
    pdb = mkpdb(
        status=PodDisruptionBudgetStatus(
            disruptions_allowed=3, disruption_allowed_reason=REASON_SUFFICIENT_PODS
        )
    )
    evict_pod(mkpod("foo-1"), [pdb], 0.0)
    assert (pdb.status.disruptions_allowed, pdb.status.disruption_allowed_reason) == (
        2,
        REASON_SUFFICIENT_PODS,
    )


def test_check_and_decrement_refusals():
    # Generation not yet observed -> 429 "still being processed"
    pdb = mkpdb(status=PodDisruptionBudgetStatus(disruptions_allowed=5, observed_generation=1))
    pdb.generation = 2
    r = evict_pod(mkpod("p"), [pdb], 0.0)
    assert (
        r.code == 429
        and r.cause == "The disruption budget foo is still being processed by the server."
    )
    # Negative -> 403
    r = evict_pod(
        mkpod("p"), [mkpdb(status=PodDisruptionBudgetStatus(disruptions_allowed=-1))], 0.0
    )
    assert (r.allowed, r.code) == (False, 403)
    # Too many unconfirmed evictions -> 403
    many = {f"x{i}": 0.0 for i in range(MAX_DISRUPTED_POD_SIZE + 1)}
    r = evict_pod(
        mkpod("p"),
        [mkpdb(status=PodDisruptionBudgetStatus(disruptions_allowed=5, disrupted_pods=many))],
        0.0,
    )
    assert r.code == 403
    # Exactly at the limit is still fine.
    many = {f"x{i}": 0.0 for i in range(MAX_DISRUPTED_POD_SIZE)}
    pdb = mkpdb(status=PodDisruptionBudgetStatus(disruptions_allowed=5, disrupted_pods=many))
    assert evict_pod(mkpod("p"), [pdb], 0.0).allowed


def test_dry_run_decrements_without_recording():
    pdb = mkpdb(status=PodDisruptionBudgetStatus(disruptions_allowed=2))
    assert evict_pod(mkpod("p"), [pdb], 0.0, dry_run=True).allowed
    assert pdb.status.disruptions_allowed == 1 and pdb.status.disrupted_pods == {}


def test_can_ignore_pdb():
    assert can_ignore_pdb(mkpod("p", phase=POD_PENDING))
    assert not can_ignore_pdb(mkpod("p", phase=POD_RUNNING))
    assert not can_ignore_pdb(mkpod("p", phase=POD_UNKNOWN))
    assert can_ignore_pdb(mkpod("p", phase=POD_UNKNOWN, deletion=0.0))


# ------------------------------------------------------------- our scenarios


def test_min_available_2_scenario():
    # sandbox-executor: PDB minAvailable 2.
    pdb = mkpdb(min_available=2)
    pods = [mkpod("a"), mkpod("b")]
    sync_pdb(pdb, pods, {}, 0.0)
    # 2 healthy - 2 desired = 0 -> no disruption allowed, eviction 429.
    assert pdb.status.disruptions_allowed == 0
    assert evict_pod(pods[0], [pdb], 1.0).code == 429

    # A third pod becomes Ready -> 3 - 2 = 1 allowed.
    pods.append(mkpod("c"))
    sync_pdb(pdb, pods, {}, 10.0)
    assert (pdb.status.current_healthy, pdb.status.disruptions_allowed) == (3, 1)
    r = evict_pod(pods[0], [pdb], 11.0)
    assert r.allowed and r.decremented_pdb is pdb
    assert pdb.status.disrupted_pods == {"a": 11.0}
    # The API decremented the budget: a second eviction before the next sync is refused.
    assert evict_pod(pods[1], [pdb], 11.5).code == 429

    # Controller sync while "a" is not yet terminating: it is in disruptedPods -> not
    # healthy -> current 2 -> 0 allowed.
    sync_pdb(pdb, pods, {}, 12.0)
    assert (pdb.status.current_healthy, pdb.status.disruptions_allowed) == (2, 0)
    # Had "a" never been deleted, 120 s after the eviction it counts again: 1 allowed.
    sync_pdb(pdb, pods, {}, 11.0 + 121.0)
    assert pdb.status.disruptions_allowed == 1
    assert pdb.status.disrupted_pods == {}


def test_knative_activator_pdb_never_allows_eviction_with_one_replica():
    # data/manifests/knative__serving/activator-hpa.yaml: minAvailable 80%, HPA
    # minReplicas 1. With 1 replica: expected 1, desired ceil(0.8 * 1) = 1, healthy 1 ->
    # 0 allowed: a drain of that node waits forever (retrying every 5 s).
    pdb = mkpdb(min_available="80%", selector=LabelSelector({"app": "activator"}))
    pod = mkpod("activator-0", owner="activator-rs", labels={"app": "activator"})
    scale = {"activator-rs": ControllerAndScale("activator-deploy", 1)}
    for t in (0.0, 60.0, 3600.0):
        sync_pdb(pdb, [pod], scale, t)
        s = pdb.status
        assert (s.expected_pods, s.desired_healthy, s.current_healthy) == (1, 1, 1)
        assert s.disruptions_allowed == 0
        r = evict_pod(pod, [pdb], t + 1)
        assert r.code == 429
        assert next_drain_step(r.code).action == DRAIN_STEP_RETRY
    # At 5 replicas: desired ceil(4.0) = 4, so one eviction at a time is possible.
    pods = [
        mkpod(f"activator-{i}", owner="activator-rs", labels={"app": "activator"}) for i in range(5)
    ]
    sync_pdb(pdb, pods, {"activator-rs": ControllerAndScale("activator-deploy", 5)}, 0.0)
    assert pdb.status.disruptions_allowed == 1


# ------------------------------------------------------------- drain


def test_drain_defaults():
    # kubectl pkg/cmd/drain: GracePeriodSeconds -1, Timeout zero value (= infinite);
    # pkg/drain: 5 s retry after 429, 1 s deletion polling.
    assert DRAIN_EVICTION_RETRY_SECONDS == 5.0
    assert DRAIN_POLL_DELETION_SECONDS == 1.0
    assert DRAIN_DEFAULT_TIMEOUT_SECONDS == 0.0
    assert DRAIN_DEFAULT_GRACE_PERIOD_SECONDS == -1


@pytest.mark.parametrize(
    ("code", "action", "delay"),
    [
        (201, DRAIN_STEP_WAIT_FOR_DELETE, 1.0),
        (404, DRAIN_STEP_DONE, 0.0),
        (429, DRAIN_STEP_RETRY, 5.0),
        (403, DRAIN_STEP_FAIL, 0.0),
        (500, DRAIN_STEP_FAIL, 0.0),
    ],
)
def test_next_drain_step(code, action, delay):
    step = next_drain_step(code)
    assert (step.action, step.delay) == (action, delay)


def _kinds(mapping):
    return lambda p: mapping.get(p.name, "ReplicaSet" if p.owner else None)


def test_get_pods_for_deletion_filters():
    now = 100.0
    rs_pod = mkpod("rs-pod")
    ds_pod = mkpod("ds-pod", owner="ds")
    ds_done = mkpod("ds-done", owner="ds", phase=POD_SUCCEEDED)
    mirror = mkpod("mirror", owner=None)
    naked = mkpod("naked", owner=None)
    other_node = mkpod("elsewhere", node="node-2")
    pods = [rs_pod, ds_pod, ds_done, mirror, naked, other_node]
    kinds = _kinds({"ds-pod": "DaemonSet", "ds-done": "DaemonSet"})
    is_mirror = lambda p: p.name == "mirror"  # noqa: E731

    # Defaults: DaemonSet pod and naked pod are errors, so the drain would stop.
    lst = get_pods_for_deletion(pods, "node-1", now, owner_kind=kinds, is_mirror_pod=is_mirror)
    assert [p.name for p in lst.pods()] == ["rs-pod", "ds-done"]
    errs = lst.errors()
    assert len(errs) == 2
    assert "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)" in errs[0]
    assert (
        errs[1]
        == "cannot delete Pods that declare no controller (use --force to override): default/naked"
    )

    # --ignore-daemonsets --force: no errors; DaemonSet pod and mirror pod skipped.
    lst = get_pods_for_deletion(
        pods,
        "node-1",
        now,
        force=True,
        ignore_all_daemonsets=True,
        owner_kind=kinds,
        is_mirror_pod=is_mirror,
    )
    assert lst.errors() == []
    assert [p.name for p in lst.pods()] == ["rs-pod", "ds-done", "naked"]


def test_get_pods_for_deletion_local_storage_and_skip_wait():
    emptydir = mkpod("cache")
    old_terminating = mkpod("stuck", deletion=10.0)
    pods = [emptydir, old_terminating]
    has_ls = lambda p: p.name == "cache"  # noqa: E731
    lst = get_pods_for_deletion(pods, "node-1", 100.0, has_local_storage=has_ls)
    assert [p.name for p in lst.pods()] == ["stuck"]
    assert lst.errors() == [
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache"
    ]
    lst = get_pods_for_deletion(
        pods,
        "node-1",
        100.0,
        delete_emptydir_data=True,
        skip_wait_for_delete_timeout_seconds=60,
        has_local_storage=has_ls,
    )
    # stuck: terminating for 90 s > 60 s -> skipped
    assert [p.name for p in lst.pods()] == ["cache"]


# ------------------------------------------------------------- properties

pod_state = st.tuples(
    st.sampled_from([True, False, None]),  # ready
    st.booleans(),  # terminating
    st.one_of(st.none(), st.floats(0, 400)),  # evicted at
)


@given(
    st.lists(pod_state, max_size=12),
    st.one_of(
        st.integers(0, 15).map(lambda v: PodDisruptionBudgetSpec(min_available=v)),
        st.integers(0, 100).map(lambda v: PodDisruptionBudgetSpec(min_available=f"{v}%")),
        st.integers(0, 15).map(lambda v: PodDisruptionBudgetSpec(max_unavailable=v)),
        st.integers(0, 100).map(lambda v: PodDisruptionBudgetSpec(max_unavailable=f"{v}%")),
    ),
    st.integers(0, 15),
    st.floats(0, 500),
)
def test_disruptions_allowed_bounds(states, spec, scale, now):
    pods = []
    disrupted = {}
    for i, (ready, terminating, evicted) in enumerate(states):
        pods.append(mkpod(f"p{i}", ready=ready, deletion=0.0 if terminating else None))
        if evicted is not None:
            disrupted[f"p{i}"] = evicted
    spec.selector = LabelSelector(dict(LABELS))
    pdb = PodDisruptionBudget("pdb", spec, PodDisruptionBudgetStatus(disrupted_pods=disrupted))
    s = compute_pdb_status(pdb, pods, {"rs": scale}, now)
    assert 0 <= s.disruptions_allowed <= s.current_healthy
    assert s.current_healthy <= sum(1 for r, t, _ in states if r and not t)
    # Evicting every pod one after another never removes more healthy pods than allowed.
    allowed = s.disruptions_allowed
    pdb.status = s  # evict_pod decrements this object in place
    decremented = sum(1 for p in pods if evict_pod(p, [pdb], now).decremented_pdb is not None)
    assert decremented == allowed
    assert pdb.status.disruptions_allowed == 0
