"""Tests for capacity.k8s.scheduler.nodeaffinity: nodeSelector, required and preferred node
affinity.

The filter table is a subset of ``kubernetes/kubernetes``
``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go`` (TestNodeAffinity),
ported as data in our own structure.
"""

from __future__ import annotations

import pytest

from capacity.k8s.scheduler.framework import NODE_AFFINITY, UNSCHEDULABLE_AND_UNRESOLVABLE
from capacity.k8s.scheduler.nodeaffinity import (
    ERR_REASON_NODE_AFFINITY,
    node_affinity_filter,
    node_affinity_pre_filter,
)
from capacity.k8s.scheduler.schedule_one import plugin_scores
from capacity.k8s.scheduler.spec import EMPTY_SPEC, SchedulingSpec, scheduling_spec_from_pod_spec
from tests.k8s.scheduler.builders import affinity_spec, expr, mk_node, mk_pod

# ------------------------------------------------------------------- NodeAffinity


NODE_AFFINITY_CASES = [
    (
        "missing labels",
        scheduling_spec_from_pod_spec({"nodeSelector": {"foo": "bar"}}),
        {},
        "n",
        False,
    ),
    (
        "same labels",
        scheduling_spec_from_pod_spec({"nodeSelector": {"foo": "bar"}}),
        {"foo": "bar"},
        "n",
        True,
    ),
    (
        "node labels are superset",
        scheduling_spec_from_pod_spec({"nodeSelector": {"foo": "bar"}}),
        {"foo": "bar", "baz": "blah"},
        "n",
        True,
    ),
    (
        "node labels are subset",
        scheduling_spec_from_pod_spec({"nodeSelector": {"foo": "bar", "baz": "blah"}}),
        {"foo": "bar"},
        "n",
        False,
    ),
    (
        "matchExpressions In matches",
        affinity_spec({"matchExpressions": [expr("foo", "In", "bar", "value2")]}),
        {"foo": "bar"},
        "n",
        True,
    ),
    (
        "matchExpressions Gt matches",
        affinity_spec({"matchExpressions": [expr("kernel-version", "Gt", "0204")]}),
        {"kernel-version": "0206"},
        "n",
        True,
    ),
    (
        "matchExpressions NotIn matches",
        affinity_spec({"matchExpressions": [expr("mem-type", "NotIn", "DDR", "DDR2")]}),
        {"mem-type": "DDR3"},
        "n",
        True,
    ),
    (
        "matchExpressions Exists matches",
        affinity_spec({"matchExpressions": [expr("GPU", "Exists")]}),
        {"GPU": "NVIDIA-GRID-K1"},
        "n",
        True,
    ),
    (
        "affinity that doesn't match node's labels",
        affinity_spec({"matchExpressions": [expr("foo", "In", "value1", "value2")]}),
        {"foo": "bar"},
        "n",
        False,
    ),
    (
        "empty MatchExpressions matches no objects",
        affinity_spec({"matchExpressions": []}),
        {"foo": "bar"},
        "n",
        False,
    ),
    ("no Affinity", EMPTY_SPEC, {"foo": "bar"}, "n", True),
    (
        "Affinity but nil NodeSelector",
        scheduling_spec_from_pod_spec({"affinity": {"nodeAffinity": {}}}),
        {"foo": "bar"},
        "n",
        True,
    ),
    (
        "multiple matchExpressions ANDed that match",
        affinity_spec(
            {"matchExpressions": [expr("GPU", "Exists"), expr("GPU", "NotIn", "AMD", "INTER")]}
        ),
        {"GPU": "NVIDIA-GRID-K1"},
        "n",
        True,
    ),
    (
        "multiple matchExpressions ANDed that don't match",
        affinity_spec(
            {"matchExpressions": [expr("GPU", "Exists"), expr("GPU", "In", "AMD", "INTER")]}
        ),
        {"GPU": "NVIDIA-GRID-K1"},
        "n",
        False,
    ),
    (
        "multiple NodeSelectorTerms ORed",
        affinity_spec(
            {"matchExpressions": [expr("foo", "In", "bar", "value2")]},
            {"matchExpressions": [expr("diffkey", "In", "wrong", "value2")]},
        ),
        {"foo": "bar"},
        "n",
        True,
    ),
    (
        "Affinity and NodeSelector both satisfied",
        affinity_spec({"matchExpressions": [expr("foo", "Exists")]}, node_selector={"foo": "bar"}),
        {"foo": "bar"},
        "n",
        True,
    ),
    (
        "Affinity matches but NodeSelector not satisfied",
        affinity_spec({"matchExpressions": [expr("foo", "Exists")]}, node_selector={"foo": "bar"}),
        {"foo": "barrrrrr"},
        "n",
        False,
    ),
    (
        "invalid value in Affinity term",
        affinity_spec({"matchExpressions": [expr("foo", "NotIn", "invalid value: ___@#$%^")]}),
        {"foo": "bar"},
        "n",
        False,
    ),
    (
        "matchFields In matches the node",
        affinity_spec({"matchFields": [expr("metadata.name", "In", "node1")]}),
        {},
        "node1",
        True,
    ),
    (
        "matchFields In does not match the node",
        affinity_spec({"matchFields": [expr("metadata.name", "In", "node1")]}),
        {},
        "node2",
        False,
    ),
    (
        "two terms: matchFields does not match, but matchExpressions matches",
        affinity_spec(
            {"matchFields": [expr("metadata.name", "In", "node1")]},
            {"matchExpressions": [expr("foo", "In", "bar")]},
        ),
        {"foo": "bar"},
        "node2",
        True,
    ),
    (
        "one term: matchFields does not match, but matchExpressions matches",
        affinity_spec(
            {
                "matchFields": [expr("metadata.name", "In", "node1")],
                "matchExpressions": [expr("foo", "In", "bar")],
            }
        ),
        {"foo": "bar"},
        "node2",
        False,
    ),
]


@pytest.mark.parametrize(
    ("spec", "labels", "node_name", "fits"),
    [pytest.param(s, lab, nn, f, id=name) for name, s, lab, nn, f in NODE_AFFINITY_CASES],
)
def test_node_affinity_filter(
    spec: SchedulingSpec, labels: dict[str, str], node_name: str, fits: bool
) -> None:
    status = node_affinity_filter(spec, mk_node(node_name, labels))
    if fits:
        assert status is None
    else:
        assert status is not None
        assert status.code == UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.reasons == (ERR_REASON_NODE_AFFINITY,)


def test_node_affinity_pre_filter() -> None:
    # matchFields on metadata.name restricts the nodes (PreFilterResult {node1}).
    spec = affinity_spec({"matchFields": [expr("metadata.name", "In", "node1")]})
    assert node_affinity_pre_filter(spec) == ({"node1"}, None)
    # A term without matchFields allows every node.
    spec = affinity_spec(
        {"matchFields": [expr("metadata.name", "In", "node1")]},
        {"matchExpressions": [expr("foo", "In", "bar")]},
    )
    assert node_affinity_pre_filter(spec) == (None, None)
    # Two matchFields In requirements in one term are ANDed: {node1} ∩ {node2} = ∅.
    spec = affinity_spec(
        {
            "matchFields": [
                expr("metadata.name", "In", "node1"),
                expr("metadata.name", "In", "node2"),
            ]
        }
    )
    names, status = node_affinity_pre_filter(spec)
    assert names is None and status is not None
    assert status.reasons == ("pod affinity terms conflict",)


# ------------------------------------------------------------------------- scoring


def test_node_affinity_preferred_score() -> None:
    spec = scheduling_spec_from_pod_spec(
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 2,
                            "preference": {"matchExpressions": [expr("disk", "In", "ssd")]},
                        },
                        {"weight": 5, "preference": {"matchExpressions": [expr("gpu", "Exists")]}},
                        {"weight": 0, "preference": {"matchExpressions": [expr("disk", "Exists")]}},
                    ]
                }
            }
        }
    )
    nodes = [
        mk_node("n1", {"disk": "ssd", "gpu": "x"}),
        mk_node("n2", {"disk": "ssd"}),
        mk_node("n3"),
    ]
    # raw 7, 2, 0 → 100·7//7 = 100, 100·2//7 = 28, 0
    assert plugin_scores(mk_pod(), spec, nodes, {})[NODE_AFFINITY] == {"n1": 100, "n2": 28, "n3": 0}
    assert NODE_AFFINITY not in plugin_scores(mk_pod(), EMPTY_SPEC, nodes, {})
