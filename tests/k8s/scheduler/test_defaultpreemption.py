"""Tests for capacity.k8s.scheduler.defaultpreemption: the PostFilter message when no node
has a victim, through whole scheduling cycles."""

from __future__ import annotations

from capacity.k8s.scheduler.framework import scheduler_config_for_version
from capacity.k8s.scheduler.schedule_one import schedule_pod
from capacity.k8s.scheduler.spec import EMPTY_SPEC, scheduling_spec_from_pod_spec
from tests.k8s.scheduler.builders import V133, cpu_pod, mk_node


def test_message_insufficient_cpu_and_preemption() -> None:
    nodes = [mk_node(f"n{i}", cpu=1000) for i in range(3)]
    r = schedule_pod(cpu_pod(2000), EMPTY_SPEC, nodes, {}, config=V133)
    assert r.node_name is None
    assert r.message == (
        "0/3 nodes are available: 3 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )
    # Kubernetes >= 1.34: the DynamicResources PostFilter note comes first, and a request
    # above the node's whole allocatable (2000m > 1000m) is UnschedulableAndUnresolvable,
    # so preemption is "not helpful" there.
    r = schedule_pod(
        cpu_pod(2000), EMPTY_SPEC, nodes, {}, config=scheduler_config_for_version("1.34")
    )
    assert r.message == (
        "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    # Full but big enough nodes (1000m allocatable, 800m used, 500m asked) stay resolvable.
    full = {n.name: [cpu_pod(800, node=n.name)] for n in nodes}
    r = schedule_pod(cpu_pod(500), EMPTY_SPEC, nodes, full)
    assert r.message.endswith(
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )


def test_message_preemption_policy_never() -> None:
    spec = scheduling_spec_from_pod_spec({"preemptionPolicy": "Never"})
    r = schedule_pod(cpu_pod(2000), spec, [mk_node("n", cpu=1000)], {}, config=V133)
    assert r.message == (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: not eligible due to preemptionPolicy=Never."
    )
