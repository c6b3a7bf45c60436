"""Tests for capacity.k8s.scheduler.snapshot: keeping a Snapshot up to date."""

from __future__ import annotations

from capacity.k8s.scheduler.schedule_one import schedule_pod_in_snapshot
from capacity.k8s.scheduler.snapshot import Snapshot
from capacity.k8s.scheduler.spec import EMPTY_SPEC
from tests.k8s.scheduler.builders import V133, cpu_pod, mk_node


def test_snapshot_updates() -> None:
    nodes = [mk_node("n1", cpu=1000), mk_node("n2", cpu=1000)]
    snap = Snapshot(nodes)
    p = cpu_pod(800, node="n1")
    snap.add_pod(p)
    snap.add_pod(p)  # idempotent
    assert snap.node_infos["n1"].requested["cpu"] == 800
    assert schedule_pod_in_snapshot(cpu_pod(500), EMPTY_SPEC, snap).node_name == "n2"
    snap.remove_pod(p)
    assert snap.node_infos["n1"].requested["cpu"] == 0
    snap.set_node(mk_node("n1", cpu=1000, unschedulable=True))
    assert schedule_pod_in_snapshot(cpu_pod(500), EMPTY_SPEC, snap).node_name == "n2"
    snap.remove_node("n2")
    r = schedule_pod_in_snapshot(cpu_pod(500), EMPTY_SPEC, snap, config=V133)
    assert r.message.startswith("0/1 nodes are available: 1 node(s) were unschedulable.")
