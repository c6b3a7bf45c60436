"""Tests for capacity.k8s.scheduler.tainttoleration, from ``kubernetes/kubernetes``
``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go`` (ported as
data in our own structure)."""

from __future__ import annotations

import pytest

from capacity.k8s.node import Taint
from capacity.k8s.scheduler.framework import TAINT_TOLERATION, UNSCHEDULABLE_AND_UNRESOLVABLE
from capacity.k8s.scheduler.schedule_one import plugin_scores
from capacity.k8s.scheduler.spec import EMPTY_SPEC
from capacity.k8s.scheduler.tainttoleration import taint_toleration_filter
from capacity.k8s.types import Toleration
from tests.k8s.scheduler.builders import mk_node, mk_pod


@pytest.mark.parametrize(
    ("tolerations", "taints", "reason"),
    [
        ([], [Taint("dedicated", "user1", "NoSchedule")], "{dedicated: user1}"),
        (
            [Toleration("dedicated", "Equal", "user1", "NoSchedule")],
            [Taint("dedicated", "user1")],
            None,
        ),
        (
            [Toleration("dedicated", "Equal", "user2", "NoSchedule")],
            [Taint("dedicated", "user1", "NoSchedule")],
            "{dedicated: user1}",
        ),
        (
            [Toleration("foo", "Exists", None, "NoSchedule")],
            [Taint("foo", "bar", "NoSchedule")],
            None,
        ),
        (
            [
                Toleration("dedicated", "Equal", "user2", "NoSchedule"),
                Toleration("foo", "Exists", None, "NoSchedule"),
            ],
            [Taint("dedicated", "user2", "NoSchedule"), Taint("foo", "bar", "NoSchedule")],
            None,
        ),
        (
            [Toleration("foo", "Equal", "bar", "PreferNoSchedule")],
            [Taint("foo", "bar", "NoSchedule")],
            "{foo: bar}",
        ),
        ([Toleration("foo", "Equal", "bar")], [Taint("foo", "bar", "NoSchedule")], None),
        (
            [Toleration("dedicated", "Equal", "user2", "NoSchedule")],
            [Taint("dedicated", "user1", "PreferNoSchedule")],
            None,
        ),
        ([], [Taint("dedicated", "user1", "PreferNoSchedule")], None),
    ],
)
def test_taint_toleration_filter(
    tolerations: list[Toleration], taints: list[Taint], reason: str | None
) -> None:
    status = taint_toleration_filter(mk_pod(tolerations=tolerations), mk_node("n", taints=taints))
    if reason is None:
        assert status is None
    else:
        assert status is not None
        assert status.code == UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.reasons == (f"node(s) had untolerated taint {reason}",)


@pytest.mark.parametrize(
    ("tolerations", "node_taints", "expected"),
    [
        (
            [Toleration("foo", "Equal", "bar", "PreferNoSchedule")],
            [[Taint("foo", "bar", "PreferNoSchedule")], [Taint("foo", "blah", "PreferNoSchedule")]],
            [100, 0],
        ),
        (
            [
                Toleration("cpu-type", "Equal", "arm64", "PreferNoSchedule"),
                Toleration("disk-type", "Equal", "ssd", "PreferNoSchedule"),
            ],
            [
                [],
                [Taint("cpu-type", "arm64", "PreferNoSchedule")],
                [
                    Taint("cpu-type", "arm64", "PreferNoSchedule"),
                    Taint("disk-type", "ssd", "PreferNoSchedule"),
                ],
            ],
            [100, 100, 100],
        ),
        (
            [Toleration("foo", "Equal", "bar", "PreferNoSchedule")],
            [
                [],
                [Taint("cpu-type", "arm64", "PreferNoSchedule")],
                [
                    Taint("cpu-type", "arm64", "PreferNoSchedule"),
                    Taint("disk-type", "ssd", "PreferNoSchedule"),
                ],
            ],
            [100, 50, 0],
        ),
        (
            [
                Toleration("cpu-type", "Equal", "arm64", "NoSchedule"),
                Toleration("disk-type", "Equal", "ssd", "NoSchedule"),
            ],
            [
                [],
                [Taint("cpu-type", "arm64", "NoSchedule")],
                [
                    Taint("cpu-type", "arm64", "PreferNoSchedule"),
                    Taint("disk-type", "ssd", "PreferNoSchedule"),
                ],
            ],
            [100, 100, 0],
        ),
        ([], [[], [Taint("cpu-type", "arm64", "PreferNoSchedule")]], [100, 0]),
    ],
)
def test_taint_toleration_score(
    tolerations: list[Toleration], node_taints: list[list[Taint]], expected: list[int]
) -> None:
    nodes = [mk_node(f"node{i}", taints=t) for i, t in enumerate(node_taints)]
    scores = plugin_scores(mk_pod(tolerations=tolerations), EMPTY_SPEC, nodes, {})
    assert [scores[TAINT_TOLERATION][n.name] for n in nodes] == expected
