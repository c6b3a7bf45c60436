"""Tests for capacity.k8s.scheduler.schedule_one: whole scheduling cycles (messages, node
choice, score totals, filter_node)."""

from __future__ import annotations

import random

from capacity.k8s.node import Taint
from capacity.k8s.scheduler.schedule_one import filter_node, schedule_pod, score_nodes
from capacity.k8s.scheduler.spec import EMPTY_SPEC, SchedulingSpec
from tests.k8s.scheduler.builders import V133, affinity_spec, cpu_pod, expr, mk_node

# --------------------------------------------------------- schedule_pod messages


def test_message_match_fields_absent_nodes() -> None:
    # A pod pinned to n1 by matchFields (as DaemonSet pods are) on a full n1: the other
    # nodes are not evaluated and count as "didn't satisfy plugin(s) [NodeAffinity]".
    nodes = [mk_node(f"n{i}", cpu=1000) for i in range(1, 5)]
    spec = affinity_spec({"matchFields": [expr("metadata.name", "In", "n1")]})
    r = schedule_pod(cpu_pod(2000), spec, nodes, {}, config=V133)
    assert r.message == (
        "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) "
        "[NodeAffinity]. preemption: 0/4 nodes are available: 1 No preemption victims found "
        "for incoming pod, 3 Preemption is not helpful for scheduling."
    )
    assert r.evaluated_nodes == 1


def test_message_pre_filter_conflict_and_no_nodes() -> None:
    spec = affinity_spec(
        {"matchFields": [expr("metadata.name", "In", "n1"), expr("metadata.name", "In", "n2")]}
    )
    nodes = [mk_node(f"n{i}") for i in range(1, 4)]
    r = schedule_pod(cpu_pod(100), spec, nodes, {}, config=V133)
    assert r.message == (
        "0/3 nodes are available: pod affinity terms conflict. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    assert (
        schedule_pod(cpu_pod(100), EMPTY_SPEC, [], {}).message
        == "no nodes available to schedule pods"
    )


def test_message_mixed_reasons() -> None:
    # one cordoned node, one tainted, one with a nodeSelector mismatch, one full
    nodes = [
        mk_node("a", {"disk": "ssd"}, unschedulable=True),
        mk_node("b", {"disk": "ssd"}, taints=[Taint("dedicated", "gpu", "NoSchedule")]),
        mk_node("c", {"disk": "hdd"}),
        mk_node("d", {"disk": "ssd"}, cpu=500),
    ]
    spec = SchedulingSpec(node_selector={"disk": "ssd"})
    r = schedule_pod(cpu_pod(1000), spec, nodes, {}, config=V133)
    assert r.message == (
        "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node "
        "affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}, "
        "1 node(s) were unschedulable. preemption: 0/4 nodes are available: "
        "1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
    )


# ------------------------------------------------------------------------- scoring


def test_schedule_picks_best_and_breaks_ties() -> None:
    nodes = [mk_node("b"), mk_node("a"), mk_node("c", cpu=2000)]
    pod = cpu_pod(500)
    r = schedule_pod(pod, EMPTY_SPEC, nodes, {})
    # a and b are identical and larger than c: tie between a and b → first name "a".
    assert r.node_name == "a"
    assert r.scores["a"] == r.scores["b"] > r.scores["c"]
    assert r.feasible_nodes == 3 and r.evaluated_nodes == 3
    picked = schedule_pod(pod, EMPTY_SPEC, nodes, {}, tie_breaker=lambda names: names[-1])
    assert picked.node_name == "b"
    rng = random.Random(7)
    seen = {
        schedule_pod(pod, EMPTY_SPEC, nodes, {}, tie_breaker=rng.choice).node_name
        for _ in range(40)
    }
    assert seen == {"a", "b"}


def test_single_feasible_node_is_not_scored() -> None:
    nodes = [mk_node("a", cpu=100), mk_node("b")]
    r = schedule_pod(cpu_pod(500), EMPTY_SPEC, nodes, {})
    assert r.node_name == "b" and r.scores == {} and r.feasible_nodes == 1
    assert r.statuses["a"].reasons == ("Insufficient cpu",)


def test_score_nodes_totals() -> None:
    # Two empty 4-cpu nodes with PreferNoSchedule taint on n2: TaintToleration gives n1 100,
    # n2 0 (×3); everything else is equal, so n1 leads by exactly 300.
    nodes = [mk_node("n1"), mk_node("n2", taints=[Taint("soft", "", "PreferNoSchedule")])]
    totals = score_nodes(cpu_pod(500), EMPTY_SPEC, nodes, {})
    assert totals["n1"] - totals["n2"] == 300


def test_filter_node_api() -> None:
    nodes = [mk_node("n1", cpu=1000), mk_node("n2")]
    pods = {"n1": [cpu_pod(800, node="n1")]}
    assert filter_node(cpu_pod(500), EMPTY_SPEC, nodes[0], pods["n1"], nodes, pods) == [
        "Insufficient cpu"
    ]
    assert filter_node(cpu_pod(500), EMPTY_SPEC, nodes[1], [], nodes, pods) == []
