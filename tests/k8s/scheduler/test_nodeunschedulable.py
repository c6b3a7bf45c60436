"""Tests for capacity.k8s.scheduler.nodeunschedulable: a cordoned node."""

from __future__ import annotations

from capacity.k8s.node import TAINT_NODE_UNSCHEDULABLE
from capacity.k8s.scheduler.framework import UNSCHEDULABLE_AND_UNRESOLVABLE
from capacity.k8s.scheduler.nodeunschedulable import node_unschedulable_filter
from capacity.k8s.types import Toleration
from tests.k8s.scheduler.builders import mk_node, mk_pod


def test_node_unschedulable_filter() -> None:
    cordoned = mk_node("n", unschedulable=True)
    status = node_unschedulable_filter(mk_pod(), cordoned)
    assert status is not None and status.reasons == ("node(s) were unschedulable",)
    assert status.code == UNSCHEDULABLE_AND_UNRESOLVABLE
    assert node_unschedulable_filter(mk_pod(), mk_node("n")) is None
    tolerant = mk_pod(
        tolerations=[Toleration(TAINT_NODE_UNSCHEDULABLE, "Exists", None, "NoSchedule")]
    )
    assert node_unschedulable_filter(tolerant, cordoned) is None
