"""Tests for capacity.k8s.rollout.

Tables ported from ``pkg/controller/deployment/util/deployment_util_test.go``
(TestResolveFenceposts, TestNewRSNewReplicas, TestMaxUnavailable, TestDeploymentComplete,
TestDeploymentProgressing, TestDeploymentTimedOut, TestGetReplicaCountForReplicaSets) and
``pkg/controller/deployment/rolling_test.go``; hand-worked and property tests after them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.k8s.intstr import IntOrStringError
from capacity.k8s.rollout import (
    MAX_INT32,
    NEW_RS_AVAILABLE_REASON,
    RECREATE,
    ROLLING_UPDATE,
    TIMED_OUT_REASON,
    CleanupError,
    DeploymentState,
    DeploymentStatus,
    ReplicaSetState,
    cleanup_unhealthy_replicas,
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
    filter_active_replica_sets,
    get_actual_replica_count_for_replica_sets,
    get_available_replica_count_for_replica_sets,
    get_ready_replica_count_for_replica_sets,
    get_replica_count_for_replica_sets,
    is_saturated,
    max_scaled_down,
    max_surge,
    max_unavailable,
    min_available,
    new_rs_new_replicas,
    old_replica_sets_scale_down,
    reconcile_new_replica_set,
    reconcile_old_replica_sets,
    resolve_fenceposts,
    scale_down_old_replica_sets_for_rolling_update,
    sort_replica_sets_by_creation_timestamp,
)

# ------------------------------------------------------------- deployment_util.go

# TestResolveFenceposts: (maxSurge, maxUnavailable, desired) -> (surge, unavailable)
FENCEPOSTS = [
    ("0%", "0%", 0, 0, 1),
    ("39%", "39%", 10, 4, 3),  # 3.9 -> 4 up, 3.9 -> 3 down
    (None, "39%", 10, 0, 3),
    ("39%", None, 10, 4, 0),
    (None, None, 10, 0, 1),
]
FENCEPOST_ERRORS = [("oops", "39%", 10), ("55%", "urg", 10), ("5", "1", 7)]


@pytest.mark.parametrize(("surge", "unavail", "desired", "want_s", "want_u"), FENCEPOSTS)
def test_resolve_fenceposts(surge, unavail, desired, want_s, want_u):
    assert resolve_fenceposts(surge, unavail, desired) == (want_s, want_u)


@pytest.mark.parametrize(("surge", "unavail", "desired"), FENCEPOST_ERRORS)
def test_resolve_fenceposts_errors(surge, unavail, desired):
    with pytest.raises(IntOrStringError):
        resolve_fenceposts(surge, unavail, desired)


@pytest.mark.parametrize(
    ("surge", "unavail", "desired", "want"),
    [
        (1, 1, 2, (1, 1)),
        ("25%", "25%", 8, (2, 2)),
        ("25%", "25%", 3, (1, 0)),  # 0.75 -> 1 surge, 0 unavailable: surge-only rollout
        ("25%", "25%", 1, (1, 0)),
        ("10%", "10%", 3, (1, 0)),
        ("0%", "10%", 3, (0, 1)),  # both would be 0 -> unavailable forced to 1
        (0, 0, 5, (0, 1)),
    ],
)
def test_resolve_fenceposts_hand_worked(surge, unavail, desired, want):
    assert resolve_fenceposts(surge, unavail, desired) == want


# TestMaxUnavailable (maxSurge 1): (replicas, maxUnavailable) -> expected
@pytest.mark.parametrize(
    ("replicas", "unavail", "expected"),
    [
        (10, 5, 5),
        (10, 10, 10),
        (5, 10, 5),  # capped at replicas
        (0, 10, 0),
        (10, "50%", 5),
        (10, "100%", 10),
        (5, "100%", 5),
    ],
)
def test_max_unavailable(replicas, unavail, expected):
    d = DeploymentState(replicas=replicas, max_surge=1, max_unavailable=unavail)
    assert max_unavailable(d) == expected


def test_max_unavailable_recreate_and_min_available():
    d = DeploymentState(replicas=3, strategy_type=RECREATE)
    assert (max_unavailable(d), min_available(d), max_surge(d)) == (0, 0, 0)
    # Defaults 25%/25% at 10 replicas: surge ceil(2.5)=3, unavailable floor(2.5)=2.
    d = DeploymentState(replicas=10)
    assert (max_surge(d), max_unavailable(d), min_available(d)) == (3, 2, 8)


# TestNewRSNewReplicas: the only ReplicaSet counted has 5 replicas; maxUnavailable 1.
@pytest.mark.parametrize(
    ("strategy", "dep_replicas", "new_rs_replicas", "surge", "expected"),
    [
        (ROLLING_UPDATE, 1, 5, 1, 5),  # can not scale up
        (ROLLING_UPDATE, 6, 2, 10, 6),  # scale up, capped at deployment replicas
        (RECREATE, 3, 1, 1, 3),
    ],
)
def test_new_rs_new_replicas(strategy, dep_replicas, new_rs_replicas, surge, expected):
    assert new_rs_new_replicas(dep_replicas, surge, 5, new_rs_replicas, strategy) == expected


def test_new_rs_new_replicas_hand_worked():
    # 10 replicas, 25% surge -> max total 13 pods. Old RS has 10, new 0 -> new gets 3.
    assert new_rs_new_replicas(10, "25%", 10, 0) == 3
    # After old scaled to 8 (total 11): new can go to 3 + 2 = 5.
    assert new_rs_new_replicas(10, "25%", 11, 3) == 5
    with pytest.raises(ValueError):
        new_rs_new_replicas(1, 1, 1, 0, "BlueGreen")


# TestDeploymentComplete: deployment(desired, current, updated, available, maxUnav, maxSurge)
@pytest.mark.parametrize(
    ("desired", "current", "updated", "available", "mu", "ms", "expected"),
    [
        (5, 5, 5, 4, 1, 0, False),  # min but not all pods available
        (5, 5, 5, 3, 1, 0, False),
        (5, 5, 5, 5, 0, 0, True),
        (5, 5, 4, 5, 0, 0, False),  # not all updated
        (1, 2, 1, 1, 0, 1, False),  # still running old pods
        (1, 1, 1, 0, 1, 1, False),  # never comes up
    ],
)
def test_deployment_complete(desired, current, updated, available, mu, ms, expected):
    d = DeploymentState(replicas=desired, max_surge=ms, max_unavailable=mu, generation=0)
    status = DeploymentStatus(
        replicas=current, updated_replicas=updated, available_replicas=available
    )
    assert deployment_complete(d, status) is expected


def test_deployment_complete_needs_observed_generation():
    d = DeploymentState(replicas=2, generation=3)
    s = DeploymentStatus(
        replicas=2, updated_replicas=2, available_replicas=2, observed_generation=2
    )
    assert not deployment_complete(d, s)
    s.observed_generation = 3
    assert deployment_complete(d, s)


# TestDeploymentProgressing: old (current, updated, ready, available) -> new -> expected
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ((10, 4, 4, 4), (10, 6, 4, 4), True),
        ((10, 4, 4, 4), (10, 4, 4, 4), False),
        ((10, 4, 6, 6), (8, 4, 6, 6), True),  # old pods removed
        ((10, 7, 3, 3), (10, 6, 3, 3), False),
        ((10, 4, 7, 7), (8, 8, 5, 5), True),
        ((10, 10, 9, 8), (10, 10, 10, 8), True),  # more ready
        ((10, 10, 10, 9), (10, 10, 10, 10), True),  # more available
    ],
)
def test_deployment_progressing(old, new, expected):
    o = DeploymentStatus(*old)
    n = DeploymentStatus(*new)
    assert deployment_progressing(o, n) is expected


# TestDeploymentTimedOut (times as seconds after 00:00)
@pytest.mark.parametrize(
    ("pds", "reason", "last_update", "now", "expected"),
    [
        (None, "", 69.0, 80.0, False),
        (MAX_INT32, "", 69.0, 80.0, False),
        (10, "", 69.0, 80.0, True),  # 11 s > 10 s
        (10, "", 71.0, 80.0, False),  # 9 s
        (None, NEW_RS_AVAILABLE_REASON, 0.0, 0.0, False),
        (10, NEW_RS_AVAILABLE_REASON, 0.0, 1000.0, False),
        (10, TIMED_OUT_REASON, 79.0, 80.0, True),
    ],
)
def test_deployment_timed_out(pds, reason, last_update, now, expected):
    d = DeploymentState(replicas=1, progress_deadline_seconds=pds)
    assert deployment_timed_out(d, reason, last_update, now) is expected


def test_deployment_timed_out_without_condition():
    assert not deployment_timed_out(DeploymentState(replicas=1), None, None, 1e9)


def test_replica_count_sums():
    # TestGetReplicaCountForReplicaSets: rs1 spec 1/status 2, rs2 spec 2/status 3
    rs1 = ReplicaSetState("rs1", 1, replicas=2, ready_replicas=1, available_replicas=1)
    rs2 = ReplicaSetState("rs2", 2, replicas=3, ready_replicas=2, available_replicas=0)
    assert (
        get_replica_count_for_replica_sets([rs1]),
        get_actual_replica_count_for_replica_sets([rs1]),
    ) == (1, 2)
    assert (
        get_replica_count_for_replica_sets([rs1, rs2, None]),
        get_actual_replica_count_for_replica_sets([rs1, rs2]),
    ) == (3, 5)
    assert get_ready_replica_count_for_replica_sets([rs1, rs2]) == 3
    assert get_available_replica_count_for_replica_sets([rs1, rs2]) == 1


def test_filter_and_sort_replica_sets():
    # TestActiveReplicaSetsFiltering: zero, nil, foo(1), bar(2) -> foo, bar
    zero = ReplicaSetState("zero", 0)
    foo = ReplicaSetState("foo", 1, creation_timestamp=5.0)
    bar = ReplicaSetState("bar", 2, creation_timestamp=5.0)
    old = ReplicaSetState("old", 2, creation_timestamp=1.0)
    assert filter_active_replica_sets([zero, None, foo, bar]) == [foo, bar]
    assert [rs.name for rs in sort_replica_sets_by_creation_timestamp([foo, bar, old])] == [
        "old",
        "bar",
        "foo",
    ]


def test_is_saturated():
    d = DeploymentState(replicas=3)
    assert is_saturated(
        d, ReplicaSetState("n", 3, available_replicas=3, desired_replicas_annotation=3)
    )
    assert not is_saturated(
        d, ReplicaSetState("n", 3, available_replicas=2, desired_replicas_annotation=3)
    )
    assert not is_saturated(
        d, ReplicaSetState("n", 3, available_replicas=3, desired_replicas_annotation=2)
    )
    assert not is_saturated(d, ReplicaSetState("n", 3, available_replicas=3))  # no annotation
    assert not is_saturated(d, None)


# ------------------------------------------------------------- rolling.go


# TestDeploymentController_reconcileNewReplicaSet (maxUnavailable 0):
# (deploymentReplicas, maxSurge, oldReplicas, newReplicas) -> new size or None
@pytest.mark.parametrize(
    ("dep", "surge", "old", "new", "expected"),
    [
        (10, 0, 10, 0, None),  # should not scale up
        (10, 2, 10, 0, 2),
        (10, 2, 5, 0, 7),
        (10, 2, 10, 2, None),
        (10, 2, 2, 11, 10),  # should scale down
    ],
)
def test_reconcile_new_replica_set(dep, surge, old, new, expected):
    d = DeploymentState(replicas=dep, max_surge=surge, max_unavailable=0)
    new_rs = ReplicaSetState("foo-v2", new)
    old_rs = ReplicaSetState("foo-v1", old)
    assert reconcile_new_replica_set(d, [new_rs, old_rs], new_rs) == expected


# TestDeploymentController_reconcileOldReplicaSets (maxSurge 0):
# (dep, maxUnavailable, old, new, readyOld, readyNew) -> expected old size (None = no scale)
@pytest.mark.parametrize(
    ("dep", "mu", "old", "new", "ready_old", "ready_new", "expected_old"),
    [
        (10, 0, 10, 0, 10, 0, 9),  # fencepost: unavailable 1
        (10, 2, 10, 0, 10, 0, 8),
        (10, 2, 10, 0, 8, 0, 8),  # 2 unhealthy cleaned up
        (10, 2, 10, 0, 9, 0, 8),  # 1 cleaned up + 1 ready scaled down
        (10, 2, 8, 2, 8, 0, None),  # new RS unavailable pods block further scale-down
    ],
)
def test_reconcile_old_replica_sets(dep, mu, old, new, ready_old, ready_new, expected_old):
    d = DeploymentState(replicas=dep, max_surge=0, max_unavailable=mu)
    new_rs = ReplicaSetState("foo-new", new, available_replicas=ready_new)
    old_rs = ReplicaSetState("foo-old", old, available_replicas=ready_old)
    res = reconcile_old_replica_sets(d, [old_rs, new_rs], [old_rs], new_rs)
    if expected_old is None:
        assert not res.scaled and res.scaled_down == 0
    else:
        assert res.new_replicas == {"foo-old": expected_old}
        assert res.scaled_down == old - expected_old
    assert old_rs.spec_replicas == old  # inputs are not mutated
    assert old_replica_sets_scale_down(d, [old_rs, new_rs], [old_rs], new_rs) == res.scaled_down


# TestDeploymentController_cleanupUnhealthyReplicas (old 10 replicas):
# (readyPods, maxCleanupCount) -> cleaned up
@pytest.mark.parametrize(
    ("ready", "max_cleanup", "expected"),
    [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)],
)
def test_cleanup_unhealthy_replicas(ready, max_cleanup, expected):
    old_rs = ReplicaSetState("foo-v2", 10, available_replicas=ready)
    out, count = cleanup_unhealthy_replicas([old_rs], max_cleanup)
    assert count == expected
    assert out[0].spec_replicas == 10 - expected


# TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate (maxSurge 0):
# (dep, maxUnavailable, readyPods, oldReplicas) -> expected old size (None = no scale)
@pytest.mark.parametrize(
    ("dep", "mu", "ready", "old", "expected_old"),
    [
        (10, 0, 10, 10, 9),
        (10, 2, 10, 10, 8),
        (10, 2, 8, 10, None),
        (10, 2, 10, 0, None),
        (10, 2, 1, 10, None),
    ],
)
def test_scale_down_old_replica_sets_for_rolling_update(dep, mu, ready, old, expected_old):
    d = DeploymentState(replicas=dep, max_surge=0, max_unavailable=mu)
    old_rs = ReplicaSetState("foo-v2", old, available_replicas=ready)
    out, count = scale_down_old_replica_sets_for_rolling_update(d, [old_rs], [old_rs])
    if expected_old is None:
        assert count == 0 and out[0].spec_replicas == old
    else:
        assert (count, out[0].spec_replicas) == (old - expected_old, expected_old)


def test_scale_down_takes_oldest_first():
    # Two old RSs of 3 (oldest "a"), 6 available of 6, budget = 6 - (6 - 2) = 2 (hand-worked:
    # replicas 6, maxUnavailable 2, maxSurge 0).
    d = DeploymentState(replicas=6, max_surge=0, max_unavailable=2)
    a = ReplicaSetState("a", 3, available_replicas=3, creation_timestamp=1.0)
    b = ReplicaSetState("b", 3, available_replicas=3, creation_timestamp=2.0)
    new = ReplicaSetState("n", 0, creation_timestamp=3.0)
    res = reconcile_old_replica_sets(d, [b, a, new], [b, a], new)
    assert res.new_replicas == {"a": 1}
    assert res.scaled_down == 2


def test_max_scaled_down_example_from_rolling_go():
    # The worked example in reconcileOldReplicaSets' comment: 10 replicas, maxUnavailable 2,
    # maxSurge 3; old 8, new 5 crash-looping -> 13 - 8 - 5 = 0.
    d = DeploymentState(replicas=10, max_surge=3, max_unavailable=2)
    old = ReplicaSetState("old", 8, available_replicas=8)
    new = ReplicaSetState("new", 5, available_replicas=0)
    assert max_scaled_down(d, [old, new], new) == 0
    assert not reconcile_old_replica_sets(d, [old, new], [old], new).scaled
    # Rollback: the good RS becomes "new" with 1 unavailable -> 13 - 8 - 1 = 4.
    good = ReplicaSetState("good", 8, available_replicas=7)
    bad = ReplicaSetState("bad", 5, available_replicas=0)
    assert max_scaled_down(d, [good, bad], good) == 4
    res = reconcile_old_replica_sets(d, [good, bad], [bad], good)
    # 4 crash-looping pods removed by the cleanup; available 7 <= minAvailable 8 -> no more.
    assert res.new_replicas == {"bad": 1} and res.scaled_down == 4


def test_cleanup_error_reports_partial_progress():
    # Status still shows more available pods than spec on "b" (just scaled down).
    d = DeploymentState(replicas=4, max_surge=1, max_unavailable=2)
    a = ReplicaSetState("a", 2, available_replicas=1, creation_timestamp=1.0)
    b = ReplicaSetState("b", 1, available_replicas=2, creation_timestamp=2.0)
    new = ReplicaSetState("n", 1, available_replicas=1, creation_timestamp=3.0)
    # all pods 4, minAvailable 4 - 2 = 2, new unavailable 0 -> bound 2. "a" loses its one
    # unavailable pod (2 -> 1), then "b" would "shrink" by min(1, 1 - 2) = -1: error.
    # Upstream stops there (no scale-down step), with "a" already written.
    res = reconcile_old_replica_sets(d, [a, b, new], [a, b], new)
    assert res.new_replicas == {"a": 1} and res.scaled_down == 1
    with pytest.raises(CleanupError):
        cleanup_unhealthy_replicas([a, b], 2)


# ------------------------------------------------------------- properties


@st.composite
def rollout_states(draw):
    replicas = draw(st.integers(0, 20))
    surge = draw(st.one_of(st.integers(0, 5), st.integers(0, 100).map(lambda v: f"{v}%")))
    unavail = draw(st.one_of(st.integers(0, 5), st.integers(0, 100).map(lambda v: f"{v}%")))
    n_old = draw(st.integers(1, 3))
    olds = []
    for i in range(n_old):
        spec = draw(st.integers(0, 15))
        avail = draw(st.integers(0, spec))
        olds.append(
            ReplicaSetState(f"old-{i}", spec, available_replicas=avail, creation_timestamp=float(i))
        )
    new_spec = draw(st.integers(0, 15))
    new = ReplicaSetState(
        "new", new_spec, available_replicas=draw(st.integers(0, new_spec)), creation_timestamp=10.0
    )
    return DeploymentState(replicas=replicas, max_surge=surge, max_unavailable=unavail), olds, new


def _available_after(olds, new, new_sizes):
    # The ReplicaSet controller deletes not-ready pods first, so an RS shrunk to s keeps
    # min(available, s) available pods.
    total = new.available_replicas
    for rs in olds:
        total += min(rs.available_replicas, new_sizes.get(rs.name, rs.spec_replicas))
    return total


@given(rollout_states())
def test_scale_down_never_breaks_min_available(state):
    d, olds, new = state
    min_avail = d.replicas - max_unavailable(d)
    before = _available_after(olds, new, {})
    res = reconcile_old_replica_sets(d, [*olds, new], filter_active_replica_sets(olds), new)
    after = _available_after(olds, new, res.new_replicas)
    if before >= min_avail:
        assert after >= min_avail
    else:
        assert after == before  # below the floor already: only unavailable pods go
    # and nothing ever grows
    for rs in olds:
        assert res.new_replicas.get(rs.name, rs.spec_replicas) <= rs.spec_replicas


@settings(max_examples=60)
@given(
    st.integers(0, 25),
    st.one_of(st.integers(0, 4), st.sampled_from(["0%", "10%", "25%", "50%", "100%"])),
    st.one_of(st.integers(0, 4), st.sampled_from(["0%", "10%", "25%", "50%", "100%"])),
)
def test_whole_rollout_keeps_availability_and_completes(replicas, surge, unavail):
    # Pods become available instantly; alternate reconcile steps like rolloutRolling.
    d = DeploymentState(replicas=replicas, max_surge=surge, max_unavailable=unavail)
    old = ReplicaSetState("old", replicas, available_replicas=replicas, creation_timestamp=0.0)
    new = ReplicaSetState("new", 0, creation_timestamp=1.0)
    floor = replicas - max_unavailable(d)
    cap = replicas + max_surge(d)
    for _ in range(200):
        target = reconcile_new_replica_set(d, [old, new], new)
        if target is not None:
            new.spec_replicas = new.available_replicas = target
        else:
            res = reconcile_old_replica_sets(d, [old, new], filter_active_replica_sets([old]), new)
            if not res.scaled:
                break
            old.spec_replicas = res.new_replicas["old"]
            old.available_replicas = min(old.available_replicas, old.spec_replicas)
        assert old.available_replicas + new.available_replicas >= floor
        assert old.spec_replicas + new.spec_replicas <= max(cap, replicas)
    assert (old.spec_replicas, new.spec_replicas) == (0, replicas)
