"""Tests for capacity.k8s.replicaset.

Ported from ``pkg/controller/controller_utils_test.go`` (TestSortingActivePodsWithRanks)
and ``pkg/controller/replicaset/replica_set_test.go`` (TestSlowStartBatch); the rest is
hand-worked.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.k8s.replicaset import (
    BURST_REPLICAS,
    SLOW_START_INITIAL_BATCH_SIZE,
    active_pods_with_ranks_less,
    filter_active_pods,
    get_pods_ranked_by_related_pods_on_same_node,
    get_pods_to_delete,
    logarithmic_rank_diff,
    manage_replicas,
    slow_start_batch,
    slow_start_batch_sizes,
    sort_active_pods_with_ranks,
)
from capacity.k8s.types import (
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

HOUR = 3600.0
NOW = 1_000_000_000.0
THEN_1_MONTH = NOW - 30 * 24 * HOUR
THEN_2_HOURS = NOW - 2 * HOUR
THEN_5_HOURS = NOW - 5 * HOUR
THEN_8_HOURS = NOW - 8 * HOUR


def mkpod(
    name: str,
    node: str | None,
    phase: str,
    ready: bool,
    ready_since: float = 0.0,
    created: float = 0.0,
    uid: str = "",
) -> Pod:
    conditions = [PodCondition(POD_READY, CONDITION_TRUE, ready_since)] if ready else []
    return Pod(
        name=name,
        node_name=node,
        phase=phase,
        conditions=conditions,
        creation_timestamp=created,
        uid=uid,
    )


# TestSortingActivePodsWithRanks fixtures (zeroTime -> 0.0, see the skipped cases below)
unscheduled = mkpod("unscheduled", "", POD_PENDING, False)
scheduled_pending = mkpod("pending", "node", POD_PENDING, False)
unknown_phase = mkpod("unknown-phase", "node", POD_UNKNOWN, False)
running_not_ready = mkpod("not-ready", "node", POD_RUNNING, False)
running_ready_any_time = mkpod("ready-no-last-transition-time", "node", POD_RUNNING, True)
ready_now = mkpod("ready-now", "node", POD_RUNNING, True, NOW, NOW)
ready_then = mkpod("ready-then", "node", POD_RUNNING, True, THEN_1_MONTH, THEN_1_MONTH)
ready_high_restarts = mkpod("ready-high-restarts", "node", POD_RUNNING, True, NOW, NOW)
ready_now_created_then = mkpod(
    "ready-now-created-then", "node", POD_RUNNING, True, NOW, THEN_1_MONTH
)
low_cost = mkpod("low-deletion-cost", "node", POD_RUNNING, True, NOW, THEN_1_MONTH)
high_cost = mkpod("high-deletion-cost", "node", POD_RUNNING, True, NOW, THEN_1_MONTH)
unscheduled_5h = mkpod("unscheduled-5-hours", "", POD_PENDING, False, THEN_5_HOURS, THEN_5_HOURS)
unscheduled_8h = mkpod("unscheduled-10-hours", "", POD_PENDING, False, THEN_8_HOURS, THEN_8_HOURS)
ready_2h = mkpod("ready-2-hours", "", POD_RUNNING, True, THEN_2_HOURS, THEN_1_MONTH)
ready_5h = mkpod("ready-5-hours", "", POD_RUNNING, True, THEN_5_HOURS, THEN_1_MONTH)
ready_8h = mkpod("ready-10-hours", "", POD_RUNNING, True, THEN_8_HOURS, THEN_1_MONTH)

RESTARTS = {"ready-high-restarts": 9001}
COSTS = {"low-deletion-cost": 10, "high-deletion-cost": 100}


def less(p1, r1, p2, r2, *, costs=COSTS, logarithmic=True):
    return active_pods_with_ranks_less(
        p1,
        r1,
        p2,
        r2,
        NOW,
        restart_counts=RESTARTS,
        deletion_costs=costs,
        logarithmic_scale_down=logarithmic,
    )


@pytest.mark.parametrize(
    ("p1", "p2"),
    [
        (unscheduled, unscheduled),
        (scheduled_pending, scheduled_pending),
        (unknown_phase, unknown_phase),
        (running_not_ready, running_not_ready),
        (ready_now_created_then, ready_now_created_then),
        (ready_now, ready_now),
        (ready_then, ready_then),
        (ready_high_restarts, ready_high_restarts),
        # 5 h and 8 h ago share ⌊log2(age in ns)⌋ = 44, and UIDs are equal
        (unscheduled_5h, unscheduled_8h),
        (ready_5h, ready_8h),
    ],
)
def test_equality(p1, p2):
    assert not less(p1, 1, p2, 1)
    assert not less(p2, 1, p1, 1)


# (lesser, rank), (greater, rank), deletion cost enabled
INEQUALITIES = [
    ((unscheduled, 1), (scheduled_pending, 2), True),
    ((unscheduled, 2), (scheduled_pending, 1), True),
    ((scheduled_pending, 1), (unknown_phase, 2), True),
    ((unknown_phase, 1), (running_not_ready, 2), True),
    ((running_not_ready, 1), (running_ready_any_time, 1), True),
    # Skipped: "ready-no-last-transition-time (1) < ready-now (1)" needs an unset (zero)
    # ready time, which a float timestamp cannot express.
    ((ready_now, 2), (running_ready_any_time, 1), True),
    ((ready_now, 1), (ready_then, 1), True),
    ((ready_now, 2), (ready_then, 1), True),
    ((ready_high_restarts, 1), (ready_now, 1), True),
    ((ready_now, 2), (ready_high_restarts, 1), True),
    ((ready_now, 1), (ready_now_created_then, 1), True),
    ((ready_now_created_then, 2), (ready_now, 1), True),
    ((low_cost, 2), (high_cost, 1), True),
    ((high_cost, 2), (low_cost, 1), False),  # PodDeletionCost disabled: rank decides
    ((ready_2h, 1), (ready_5h, 1), True),
]


@pytest.mark.parametrize(("lesser", "greater", "cost_enabled"), INEQUALITIES)
def test_inequality(lesser, greater, cost_enabled):
    costs = COSTS if cost_enabled else None
    assert less(lesser[0], lesser[1], greater[0], greater[1], costs=costs)
    assert not less(greater[0], greater[1], lesser[0], lesser[1], costs=costs)


def test_without_logarithmic_scale_down_times_compare_exactly():
    # Plain comparison: 5 h and 8 h ago differ, the newer one goes first.
    assert less(unscheduled_5h, 1, unscheduled_8h, 1, logarithmic=False)
    assert not less(unscheduled_8h, 1, unscheduled_5h, 1, logarithmic=False)
    assert less(ready_5h, 1, ready_8h, 1, logarithmic=False)


def test_logarithmic_ties_broken_by_uid():
    a = mkpod("a", "n", POD_RUNNING, True, THEN_5_HOURS, 0.0, uid="uid-b")
    b = mkpod("b", "n", POD_RUNNING, True, THEN_8_HOURS, 0.0, uid="uid-a")
    # same log bucket (44) -> UID decides: "uid-a" < "uid-b"
    assert less(b, 1, a, 1) and not less(a, 1, b, 1)


@pytest.mark.parametrize(
    ("t1", "t2", "now", "diff"),
    [
        (99.0, 98.0, 100.0, -1),  # log2(1e9 ns) = 29.9 -> 29; log2(2e9) = 30.9 -> 30
        (100.0, 99.0, 100.0, -1 - 29),  # age 0 ranks -1
        (THEN_2_HOURS, THEN_5_HOURS, NOW, 42 - 44),  # 7.2e12 ns -> 42; 1.8e13 ns -> 44
        (THEN_5_HOURS, THEN_8_HOURS, NOW, 0),  # 2.88e13 ns -> 44 too
        (101.0, 100.0, 100.0, 0),  # a future time ranks -1 like age 0: -1 - (-1)
    ],
)
def test_logarithmic_rank_diff(t1, t2, now, diff):
    assert logarithmic_rank_diff(t1, t2, now) == diff


def test_sort_matches_upstream_order():
    # Same spirit as TestSortingActivePods: a shuffled list sorts into the documented order.
    expected = [
        unscheduled,
        scheduled_pending,
        unknown_phase,
        running_not_ready,
        ready_high_restarts,  # ready now, 9001 restarts
        ready_now,
        ready_then,
    ]
    shuffled = [
        ready_then,
        unknown_phase,
        ready_now,
        unscheduled,
        running_not_ready,
        ready_high_restarts,
        scheduled_pending,
    ]
    got = sort_active_pods_with_ranks(shuffled, [1] * len(shuffled), NOW, restart_counts=RESTARTS)
    assert [p.name for p in got] == [p.name for p in expected]


# ------------------------------------------------------------- slowStartBatch


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (0, []),
        (1, [1]),
        (7, [1, 2, 4]),
        (10, [1, 2, 4, 3]),
        (500, [1, 2, 4, 8, 16, 32, 64, 128, 245]),  # 255 + 245
    ],
)
def test_slow_start_batch_sizes(count, sizes):
    assert slow_start_batch_sizes(count, SLOW_START_INITIAL_BATCH_SIZE) == sizes
    assert sum(sizes) == count


# TestSlowStartBatch: count 10; fn fails once called more than call_limit times.
@pytest.mark.parametrize(
    ("call_limit", "successes", "failed", "calls"),
    [
        (0, 0, True, 1),  # first batch (1) fails
        (10, 10, False, 10),  # 1 + 2 + 4 + 3
        (5, 5, True, 7),  # 1 + 2 + 4, the last batch has 2 failures
    ],
)
def test_slow_start_batch(call_limit, successes, failed, calls):
    fake = RuntimeError("fake error")
    n = 0

    def fn():
        nonlocal n
        n += 1
        return fake if n > call_limit else None

    got, err = slow_start_batch(10, 1, fn)
    assert got == successes
    assert (err is fake) if failed else err is None
    assert n == calls


def test_slow_start_batch_raising_fn():
    n = 0

    def fn():
        nonlocal n
        n += 1
        if n == 2:
            raise ValueError("quota exceeded")

    got, err = slow_start_batch(10, 1, fn)
    # batch 1 ok; batch 2: call 2 raises, call 3 ok -> 2 successes, stop.
    assert (got, n) == (2, 3)
    assert isinstance(err, ValueError)


# ------------------------------------------------------------- getPodsToDelete


def _ready(name, node, created=0.0):
    return mkpod(name, node, POD_RUNNING, True, created, created)


def test_ranks_count_active_related_pods_on_same_node():
    a, b, c = _ready("a", "n1"), _ready("b", "n1"), _ready("c", "n2")
    terminating = _ready("t", "n2")
    terminating.deletion_timestamp = 1.0
    done = mkpod("d", "n2", POD_SUCCEEDED, False)
    assert get_pods_ranked_by_related_pods_on_same_node(
        [a, b, c], [a, b, c, terminating, done]
    ) == [2, 2, 1]


def test_get_pods_to_delete_prefers_colocated():
    a, b, c = _ready("a", "n1"), _ready("b", "n1"), _ready("c", "n2")
    # a, b share n1 (rank 2), c alone (rank 1): doubled-up pods go first.
    assert get_pods_to_delete([c, a, b], [a, b, c], 2, NOW) == [a, b]
    # Pods of a sibling ReplicaSet on n2 raise c's rank to 3.
    d, e = _ready("d", "n2"), _ready("e", "n2")
    assert get_pods_to_delete([a, b, c], [a, b, c, d, e], 1, NOW) == [c]


def test_get_pods_to_delete_prefers_unhealthy():
    ready_old = _ready("old", "n1", created=NOW - 10 * HOUR)
    not_ready = mkpod("not-ready", "n1", POD_RUNNING, False, created=NOW - 10 * HOUR)
    pending = mkpod("pending", None, POD_PENDING, False, created=NOW)
    pods = [ready_old, not_ready, pending]
    assert get_pods_to_delete(pods, pods, 2, NOW) == [pending, not_ready]


def test_get_pods_to_delete_all_or_none():
    pods = [_ready("x", "n1"), _ready("y", "n2")]
    assert get_pods_to_delete(pods, pods, 2, NOW) == pods  # no sorting, input order
    assert get_pods_to_delete(pods, pods, 0, NOW) == []


def test_get_pods_to_delete_newest_first():
    young = _ready("young", "n1", created=NOW - 60)
    old = _ready("old", "n2", created=NOW - 10 * HOUR)
    # Same rank (1 each), both ready: ready for a shorter time -> young goes first.
    assert get_pods_to_delete([old, young], [old, young], 1, NOW) == [young]


def test_filter_active_pods():
    ok = _ready("ok", "n")
    term = _ready("term", "n")
    term.deletion_timestamp = 5.0
    pods = [ok, term, mkpod("s", "n", POD_SUCCEEDED, False), mkpod("f", "n", POD_FAILED, False)]
    assert filter_active_pods(pods) == [ok]


# ------------------------------------------------------------- manageReplicas


def test_manage_replicas():
    pods = [_ready(f"p{i}", "n1", created=NOW - i) for i in range(3)]
    assert manage_replicas(pods, 3, NOW).to_create == 0
    assert manage_replicas(pods, 3, NOW).to_delete == []
    assert manage_replicas(pods, 5, NOW).to_create == 2
    # Too many: delete the newest (p0 created at NOW, then p1).
    assert [p.name for p in manage_replicas(pods, 1, NOW).to_delete] == ["p0", "p1"]


def test_manage_replicas_burst():
    assert BURST_REPLICAS == 500
    assert manage_replicas([], 600, NOW).to_create == 500
    pods = [_ready(f"p{i}", "n1") for i in range(700)]
    assert len(manage_replicas(pods, 0, NOW).to_delete) == 500
    assert manage_replicas([], 10, NOW, burst_replicas=4).to_create == 4


# ------------------------------------------------------------- properties

pod_strategy = st.builds(
    mkpod,
    name=st.text("abcdefgh", min_size=1, max_size=4),
    node=st.sampled_from([None, "", "n1", "n2"]),
    phase=st.sampled_from([POD_PENDING, POD_UNKNOWN, POD_RUNNING]),
    ready=st.booleans(),
    ready_since=st.floats(NOW - 40 * 24 * HOUR, NOW),
    created=st.floats(NOW - 40 * 24 * HOUR, NOW),
    uid=st.text("0123456789", max_size=3),
)


@given(st.lists(pod_strategy, max_size=8), st.integers(0, 8))
def test_sorted_order_respects_less(pods, diff):
    # Checked with plain time comparison, which is a strict weak order. The logarithmic
    # variant is not always transitive (upstream neither): equal ready times fall through
    # to later rules while near-equal ones are decided by UID.
    ranks = get_pods_ranked_by_related_pods_on_same_node(pods, pods)
    ordered = sort_active_pods_with_ranks(pods, ranks, NOW, logarithmic_scale_down=False)
    rank_of = {id(p): r for p, r in zip(pods, ranks, strict=True)}
    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            # no later pod is strictly preferred for deletion over an earlier one
            assert not active_pods_with_ranks_less(
                ordered[j],
                rank_of[id(ordered[j])],
                ordered[i],
                rank_of[id(ordered[i])],
                NOW,
                logarithmic_scale_down=False,
            )
    chosen = get_pods_to_delete(pods, pods, diff, NOW)
    assert len(chosen) == min(diff, len(pods))
    assert all(any(c is p for p in pods) for c in chosen)
