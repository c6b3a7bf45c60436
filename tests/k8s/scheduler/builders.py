"""Builders and shared values for the scheduler tests.

Amounts are in milli-units, as in :mod:`capacity.k8s.scheduler` (memory in milli-bytes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from capacity.k8s.node import LABEL_TOPOLOGY_ZONE, Node, Taint
from capacity.k8s.scheduler.framework import scheduler_config_for_version
from capacity.k8s.scheduler.spec import TopologySpreadConstraint, scheduling_spec_from_pod_spec
from capacity.k8s.types import Container, Pod, Toleration

MI = 2**20 * 1000  # one MiB in milli-bytes
ZONE = LABEL_TOPOLOGY_ZONE
V133 = scheduler_config_for_version("1.33")  # no DRA PostFilter note


# ------------------------------------------------------------------------- builders


def mk_node(
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    cpu: int = 4000,
    mem: int = 16 * 1024 * MI,
    pods: int = 110,
    taints: Sequence[Taint] = (),
    unschedulable: bool = False,
    extra: Mapping[str, int] | None = None,
) -> Node:
    alloc = {"cpu": cpu, "memory": mem, "pods": pods * 1000, **(extra or {})}
    return Node(name, dict(labels or {}), list(taints), alloc, unschedulable)


def mk_pod(
    name: str = "p",
    labels: Mapping[str, str] | None = None,
    *,
    node: str | None = None,
    ns: str = "default",
    requests: Mapping[str, int] | None = None,
    init: Sequence[Mapping[str, int]] = (),
    overhead: Mapping[str, int] | None = None,
    tolerations: Sequence[Toleration] = (),
    terminating: bool = False,
) -> Pod:
    containers = [Container("c", dict(requests))] if requests is not None else []
    return Pod(
        name,
        ns,
        dict(labels or {}),
        containers=containers,
        init_containers=[Container(f"i{i}", dict(r)) for i, r in enumerate(init)],
        overhead=dict(overhead or {}),
        node_name=node,
        tolerations=list(tolerations),
        deletion_timestamp=1.0 if terminating else None,
    )


def spread(
    max_skew: int,
    key: str,
    selector: Mapping[str, Any] | None,
    *,
    when: str = "DoNotSchedule",
    min_domains: int | None = None,
    affinity_policy: str | None = None,
    taints_policy: str | None = None,
) -> TopologySpreadConstraint:
    return TopologySpreadConstraint(
        max_skew, key, when, selector, min_domains, affinity_policy, taints_policy
    )


WEB = {"matchLabels": {"app": "web"}}


def affinity_spec(*terms: Mapping[str, Any], node_selector: Mapping[str, str] | None = None):
    return scheduling_spec_from_pod_spec(
        {
            "nodeSelector": dict(node_selector or {}),
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": list(terms)
                    }
                }
            }
            if terms
            else {},
        }
    )


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    d: dict[str, Any] = {"key": key, "operator": op}
    if values:
        d["values"] = list(values)
    return d


def foo_pods(
    counts: Mapping[str, int], labels: Mapping[str, str] | None = None
) -> dict[str, list[Pod]]:
    lab = {"foo": ""} if labels is None else dict(labels)
    return {n: [mk_pod(f"p-{n}-{i}", lab, node=n) for i in range(c)] for n, c in counts.items()}


def cpu_pod(cpu: int, **kw: Any) -> Pod:
    return mk_pod(requests={"cpu": cpu, "memory": 100 * MI}, **kw)
