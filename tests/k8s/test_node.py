"""Tests for capacity.k8s.node: the Node mirror and the taint/toleration helpers.

Cases for ``toleration_tolerates_taint`` follow the semantics of
``k8s.io/api/core/v1/toleration.go`` ``ToleratesTaint`` (and the table of its
``toleration_test.go``), written out by hand.
"""

from __future__ import annotations

import pytest

from capacity.k8s.node import (
    LABEL_HOSTNAME,
    LABEL_TOPOLOGY_ZONE,
    TAINT_EFFECT_NO_EXECUTE,
    TAINT_EFFECT_NO_SCHEDULE,
    TAINT_EFFECT_PREFER_NO_SCHEDULE,
    TAINT_NODE_NOT_READY,
    TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
    Node,
    Taint,
    do_not_schedule_taints_filter,
    find_matching_untolerated_taint,
    get_matching_tolerations,
    node_from_manifest,
    toleration_tolerates_taint,
    tolerations_tolerate_taint,
)
from capacity.k8s.types import Toleration


def test_well_known_names() -> None:
    assert LABEL_TOPOLOGY_ZONE == "topology.kubernetes.io/zone"
    assert LABEL_HOSTNAME == "kubernetes.io/hostname"
    assert TAINT_NODE_NOT_READY == "node.kubernetes.io/not-ready"
    assert TAINT_NODE_UNREACHABLE == "node.kubernetes.io/unreachable"
    assert TAINT_NODE_UNSCHEDULABLE == "node.kubernetes.io/unschedulable"


@pytest.mark.parametrize(
    ("toleration", "taint", "tolerated"),
    [
        # same key and effect, Exists, taint without value
        (Toleration("foo", "Exists", None, "NoSchedule"), Taint("foo", "", "NoSchedule"), True),
        # same key and effect, Exists, taint with a value: Exists ignores values
        (Toleration("foo", "Exists", None, "NoSchedule"), Taint("foo", "bar", "NoSchedule"), True),
        # same key, effect and value, Equal
        (Toleration("foo", "Equal", "bar", "NoSchedule"), Taint("foo", "bar", "NoSchedule"), True),
        # Equal with a different value
        (Toleration("foo", "Equal", "baz", "NoSchedule"), Taint("foo", "bar", "NoSchedule"), False),
        # different effect
        (Toleration("foo", "Equal", "bar", "NoExecute"), Taint("foo", "bar", "NoSchedule"), False),
        # empty effect tolerates every effect
        (Toleration("foo", "Equal", "bar", None), Taint("foo", "bar", "NoExecute"), True),
        # empty key with Exists tolerates every taint
        (Toleration(None, "Exists", None, None), Taint("anything", "x", "NoSchedule"), True),
        # different key
        (Toleration("other", "Exists", None, None), Taint("foo", "", "NoSchedule"), False),
        # empty operator means Equal
        (Toleration("foo", "", "bar", None), Taint("foo", "bar", "NoSchedule"), True),
        # Equal with no value matches a taint with no value
        (Toleration("foo", "Equal", None, None), Taint("foo", "", "NoSchedule"), True),
        # unknown operator tolerates nothing
        (Toleration("foo", "Gt", "1", None), Taint("foo", "2", "NoSchedule"), False),
    ],
)
def test_toleration_tolerates_taint(toleration: Toleration, taint: Taint, tolerated: bool) -> None:
    assert toleration_tolerates_taint(toleration, taint) is tolerated


def test_tolerations_tolerate_taint_any() -> None:
    taint = Taint("dedicated", "user1", TAINT_EFFECT_NO_SCHEDULE)
    assert not tolerations_tolerate_taint([], taint)
    assert tolerations_tolerate_taint(
        [Toleration("x", "Exists"), Toleration("dedicated", "Equal", "user1")], taint
    )


def test_find_matching_untolerated_taint_order_and_filter() -> None:
    taints = [
        Taint("soft", "", TAINT_EFFECT_PREFER_NO_SCHEDULE),
        Taint(TAINT_NODE_UNREACHABLE, "", TAINT_EFFECT_NO_EXECUTE, 10.0),
        Taint(TAINT_NODE_UNREACHABLE, "", TAINT_EFFECT_NO_SCHEDULE),
    ]
    # The default tolerations from the DefaultTolerationSeconds admission plugin cover
    # NoExecute only, so the NoSchedule taint is the first untolerated one that counts.
    default_tolerations = [
        Toleration(TAINT_NODE_NOT_READY, "Exists", None, TAINT_EFFECT_NO_EXECUTE, 300),
        Toleration(TAINT_NODE_UNREACHABLE, "Exists", None, TAINT_EFFECT_NO_EXECUTE, 300),
    ]
    found = find_matching_untolerated_taint(
        taints, default_tolerations, do_not_schedule_taints_filter
    )
    assert found is taints[2]
    # Without a filter, the PreferNoSchedule taint comes first.
    assert find_matching_untolerated_taint(taints, default_tolerations) is taints[0]
    # Tolerating everything: nothing found.
    assert find_matching_untolerated_taint(taints, [Toleration(None, "Exists")]) is None


def test_do_not_schedule_taints_filter() -> None:
    assert do_not_schedule_taints_filter(Taint("a", "", TAINT_EFFECT_NO_SCHEDULE))
    assert do_not_schedule_taints_filter(Taint("a", "", TAINT_EFFECT_NO_EXECUTE))
    assert not do_not_schedule_taints_filter(Taint("a", "", TAINT_EFFECT_PREFER_NO_SCHEDULE))


def test_get_matching_tolerations() -> None:
    t1 = Taint("a", "1", TAINT_EFFECT_NO_EXECUTE)
    t2 = Taint("b", "", TAINT_EFFECT_NO_EXECUTE)
    tol_a = Toleration("a", "Equal", "1", TAINT_EFFECT_NO_EXECUTE, 30)
    tol_b = Toleration("b", "Exists", None, None)
    assert get_matching_tolerations([], []) == (True, [])
    assert get_matching_tolerations([t1], []) == (False, [])
    assert get_matching_tolerations([t1, t2], [tol_b, tol_a]) == (True, [tol_a, tol_b])
    assert get_matching_tolerations([t1, t2], [tol_a]) == (False, [])


def test_taint_str() -> None:
    assert str(Taint("k", "v", "NoSchedule")) == "k=v:NoSchedule"
    assert str(Taint("k", "", "NoExecute")) == "k:NoExecute"


def test_node_from_manifest() -> None:
    node = node_from_manifest(
        {
            "metadata": {"name": "n1", "labels": {LABEL_TOPOLOGY_ZONE: "a"}},
            "spec": {
                "unschedulable": True,
                "taints": [
                    {"key": TAINT_NODE_UNREACHABLE, "effect": "NoExecute", "timeAdded": 12.5},
                    {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                ],
            },
            "status": {
                "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "Unknown", "lastTransitionTime": 40}],
            },
        }
    )
    assert node.name == "n1"
    assert node.labels == {LABEL_TOPOLOGY_ZONE: "a"}
    assert node.unschedulable
    assert node.taints == [
        Taint(TAINT_NODE_UNREACHABLE, "", "NoExecute", 12.5),
        Taint("dedicated", "gpu", "NoSchedule", None),
    ]
    # milli-units: 3920m cpu; 15 GiB = 15 * 2**30 bytes; 110 pods
    assert node.allocatable == {"cpu": 3920, "memory": 15 * 2**30 * 1000, "pods": 110_000}
    assert node.allowed_pod_number() == 110
    assert node.ready == "Unknown"
    assert not node.is_ready()
    assert node.ready_transition_time == 40.0


def test_node_defaults() -> None:
    n = Node("n")
    assert n.is_ready()
    assert n.allowed_pod_number() == 0
    assert not n.unschedulable
