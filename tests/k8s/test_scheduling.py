"""Tests for capacity.k8s.scheduling, the kube-scheduler's default filters and scores.

Tables are ported (as data, in our own structure) from ``kubernetes/kubernetes``
``pkg/scheduler``: ``noderesources/fit_test.go`` (TestEnoughRequests,
TestNotEnoughRequests, TestStorageRequests), ``nodeaffinity/node_affinity_test.go``
(TestNodeAffinity, a subset), ``tainttoleration/taint_toleration_test.go``,
``podtopologyspread/filtering_test.go`` (TestPreFilterState node-inclusion cases,
TestSingleConstraint) and ``framework/types_test.go`` (TestFitError_Error). Upstream
amounts are in their units; memory and extended resources are multiplied by 1000 here
(milli-units). Other expected values are worked out by hand in comments.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.k8s.node import (
    LABEL_HOSTNAME,
    LABEL_TOPOLOGY_ZONE,
    TAINT_NODE_NOT_READY,
    TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
    Node,
    Taint,
)
from capacity.k8s.scheduling import (
    DEFAULT_PLUGIN_WEIGHTS,
    EMPTY_SPEC,
    ERR_REASON_AFFINITY_RULES,
    ERR_REASON_ANTI_AFFINITY_RULES,
    ERR_REASON_EXISTING_ANTI_AFFINITY,
    ERR_REASON_NODE_AFFINITY,
    ERR_REASON_SPREAD,
    ERR_REASON_SPREAD_MISSING_LABEL,
    INTER_POD_AFFINITY,
    NODE_AFFINITY,
    NODE_RESOURCES_BALANCED_ALLOCATION,
    NODE_RESOURCES_FIT,
    POD_TOPOLOGY_SPREAD,
    TAINT_TOLERATION,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    InsufficientResource,
    NodeInfo,
    PodAffinityTerm,
    SchedulingSpec,
    Snapshot,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    cal_pre_filter_state,
    compute_pod_resource_request,
    filter_node,
    fit_error_message,
    fits_request,
    inter_pod_affinity_filter,
    inter_pod_affinity_pre_filter,
    label_selector_as_selector,
    label_selector_matches,
    node_affinity_filter,
    node_affinity_pre_filter,
    node_resources_fit_filter,
    node_unschedulable_filter,
    plugin_scores,
    pod_topology_spread_filter,
    schedule_pod,
    schedule_pod_in_snapshot,
    scheduler_config_for_version,
    scheduling_spec_from_pod_spec,
    score_nodes,
    taint_toleration_filter,
)
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


FOO = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
BAR = {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}


# ------------------------------------------------------------------- label selectors


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        (None, {"a": "1"}, False),  # nil selector: labels.Nothing()
        ({}, {"a": "1"}, True),  # empty selector: labels.Everything()
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchLabels": {"a": ""}}, {}, False),  # equality needs the key
        ({"matchLabels": {"a": ""}}, {"a": ""}, True),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]},
            {"a": "2"},
            True,
        ),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        (
            {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]},
            {"a": "1"},
            False,
        ),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False),
        (
            {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]},
            {"a": "1"},
            False,
        ),
    ],
)
def test_label_selector_matches(
    selector: Mapping[str, Any] | None, labels: dict[str, str], matches: bool
) -> None:
    assert label_selector_matches(selector, labels) is matches


@pytest.mark.parametrize(
    "selector",
    [
        {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},  # not for pods
        {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
        {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
        {"matchLabels": {"a": "not a valid value!"}},
    ],
)
def test_label_selector_invalid(selector: Mapping[str, Any]) -> None:
    with pytest.raises(ValueError):
        label_selector_as_selector(selector)


# ---------------------------------------------------------------- NodeResourcesFit

# TestEnoughRequests node: cpu 10m, memory 20 bytes, 32 pods, example.com/aaa 5,
# ephemeral-storage 20 bytes, hugepages-2Mi 5.
EXT_A, EXT_B = "example.com/aaa", "example.com/bbb"
K8S_IO_A, K8S_IO_B = "kubernetes.io/something", "subdomain.kubernetes.io/something"
HUGE_A = "hugepages-2Mi"
FIT_NODE = mk_node(
    "n",
    cpu=10,
    mem=20_000,
    pods=32,
    extra={EXT_A: 5000, "ephemeral-storage": 20_000, HUGE_A: 5000},
)


def rl(cpu: int = 0, mem: int = 0, eph: int = 0, **scalars: int) -> dict[str, int]:
    """Upstream newResourcePod usage in milli-units; also carries the zero ``pods`` request
    upstream's helper adds (it must be ignored)."""
    out = {"cpu": cpu, "memory": mem * 1000, "pods": 0, "ephemeral-storage": eph * 1000}
    names = {"ext_a": EXT_A, "ext_b": EXT_B, "k8s_a": K8S_IO_A, "k8s_b": K8S_IO_B, "huge": HUGE_A}
    for k, v in scalars.items():
        out[names[k]] = v * 1000
    return out


def res_pod(*usage: dict[str, int], init: Sequence[dict[str, int]] = (), overhead=None) -> Pod:
    p = Pod("p", containers=[Container(f"c{i}", u) for i, u in enumerate(usage)])
    p.init_containers = [Container(f"i{i}", u) for i, u in enumerate(init)]
    p.overhead = dict(overhead or {})
    return p


def ir(name: str, requested: int, used: int, capacity: int) -> InsufficientResource:
    # Unresolvable (recent fit.go): the request alone exceeds the node's allocatable.
    return InsufficientResource(
        name, f"Insufficient {name}", requested, used, capacity, requested > capacity
    )


ENOUGH_REQUESTS = [
    ("no resources requested always fits", Pod("p"), rl(10, 20), []),
    (
        "too many resources fails",
        res_pod(rl(1, 1)),
        rl(10, 20),
        [ir("cpu", 1, 10, 10), ir("memory", 1000, 20_000, 20_000)],
    ),
    (
        "too many resources fails due to init container cpu",
        res_pod(rl(1, 1), init=[rl(3, 1)]),
        rl(8, 19),
        [ir("cpu", 3, 8, 10)],
    ),
    (
        "too many resources fails due to highest init container cpu",
        res_pod(rl(1, 1), init=[rl(3, 1), rl(2, 1)]),
        rl(8, 19),
        [ir("cpu", 3, 8, 10)],
    ),
    (
        "too many resources fails due to init container memory",
        res_pod(rl(1, 1), init=[rl(1, 3)]),
        rl(9, 19),
        [ir("memory", 3000, 19_000, 20_000)],
    ),
    (
        "too many resources fails due to highest init container memory",
        res_pod(rl(1, 1), init=[rl(1, 3), rl(1, 2)]),
        rl(9, 19),
        [ir("memory", 3000, 19_000, 20_000)],
    ),
    (
        "init container fits because it's the max, not sum, of containers and init containers",
        res_pod(rl(1, 1), init=[rl(1, 1)]),
        rl(9, 19),
        [],
    ),
    (
        "multiple init containers fit because it's the max, not sum",
        res_pod(rl(1, 1), init=[rl(1, 1), rl(1, 1)]),
        rl(9, 19),
        [],
    ),
    ("both resources fit", res_pod(rl(1, 1)), rl(5, 5), []),
    ("one resource memory fits", res_pod(rl(2, 1)), rl(9, 5), [ir("cpu", 2, 9, 10)]),
    (
        "one resource cpu fits",
        res_pod(rl(1, 2)),
        rl(5, 19),
        [ir("memory", 2000, 19_000, 20_000)],
    ),
    ("equal edge case", res_pod(rl(5, 1)), rl(5, 19), []),
    ("equal edge case for init container", res_pod(rl(4, 1), init=[rl(5, 1)]), rl(5, 19), []),
    ("extended resource fits", res_pod(rl(ext_a=1)), rl(), []),
    ("extended resource fits for init container", res_pod(rl(), init=[rl(ext_a=1)]), rl(), []),
    (
        "extended resource capacity enforced",
        res_pod(rl(1, 1, ext_a=10)),
        rl(0, 0, ext_a=0),
        [ir(EXT_A, 10_000, 0, 5000)],
    ),
    (
        "extended resource capacity enforced for init container",
        res_pod(rl(), init=[rl(1, 1, ext_a=10)]),
        rl(0, 0, ext_a=0),
        [ir(EXT_A, 10_000, 0, 5000)],
    ),
    (
        "extended resource allocatable enforced",
        res_pod(rl(1, 1, ext_a=1)),
        rl(0, 0, ext_a=5),
        [ir(EXT_A, 1000, 5000, 5000)],
    ),
    (
        "extended resource allocatable enforced for multiple containers",
        res_pod(rl(1, 1, ext_a=3), rl(1, 1, ext_a=3)),
        rl(0, 0, ext_a=2),
        [ir(EXT_A, 6000, 2000, 5000)],
    ),
    (
        "extended resource allocatable admits multiple init containers",
        res_pod(rl(), init=[rl(1, 1, ext_a=3), rl(1, 1, ext_a=3)]),
        rl(0, 0, ext_a=2),
        [],
    ),
    (
        "extended resource allocatable enforced for multiple init containers",
        res_pod(rl(), init=[rl(1, 1, ext_a=6), rl(1, 1, ext_a=3)]),
        rl(0, 0, ext_a=2),
        [ir(EXT_A, 6000, 2000, 5000)],
    ),
    (
        "extended resource allocatable enforced for unknown resource",
        res_pod(rl(1, 1, ext_b=1)),
        rl(),
        [ir(EXT_B, 1000, 0, 0)],
    ),
    (
        "kubernetes.io resource capacity enforced",
        res_pod(rl(1, 1, k8s_a=10)),
        rl(),
        [ir(K8S_IO_A, 10_000, 0, 0)],
    ),
    (
        "kubernetes.io resource capacity enforced for init container",
        res_pod(rl(), init=[rl(1, 1, k8s_b=10)]),
        rl(),
        [ir(K8S_IO_B, 10_000, 0, 0)],
    ),
    (
        "hugepages resource capacity enforced",
        res_pod(rl(1, 1, huge=10)),
        rl(0, 0, huge=0),
        [ir(HUGE_A, 10_000, 0, 5000)],
    ),
    (
        "hugepages resource allocatable enforced for multiple containers",
        res_pod(rl(1, 1, huge=3), rl(1, 1, huge=3)),
        rl(0, 0, huge=2),
        [ir(HUGE_A, 6000, 2000, 5000)],
    ),
    (
        "resources + pod overhead fits",
        res_pod(rl(1, 1), overhead={"cpu": 3, "memory": 13_000}),
        rl(5, 5),
        [],
    ),
    (
        "requests + overhead does not fit for memory",
        res_pod(rl(1, 1), overhead={"cpu": 1, "memory": 15_000}),
        rl(5, 5),
        [ir("memory", 16_000, 5000, 20_000)],
    ),
    (
        "skip checking extended resource request with quantity zero",
        res_pod(rl(1, 1, ext_a=0)),
        rl(0, 0, ext_a=6),
        [],
    ),
    (
        "skip checking resource request with quantity zero",
        res_pod({EXT_A: 1000}),
        rl(20, 30, ext_a=1),
        [],
    ),
]


@pytest.mark.parametrize(
    ("pod", "existing", "want"),
    [pytest.param(p, e, w, id=n) for n, p, e, w in ENOUGH_REQUESTS],
)
def test_fit_enough_requests(
    pod: Pod, existing: dict[str, int], want: list[InsufficientResource]
) -> None:
    ni = NodeInfo(FIT_NODE, [res_pod(existing)])
    got = fits_request(compute_pod_resource_request(pod), ni)
    assert got == want
    status = node_resources_fit_filter(compute_pod_resource_request(pod), ni)
    if want:
        assert status is not None
        unresolvable = any(w.requested > w.capacity for w in want)
        assert status.code == (UNSCHEDULABLE_AND_UNRESOLVABLE if unresolvable else UNSCHEDULABLE)
        assert status.reasons == tuple(w.reason for w in want)
    else:
        assert status is None


@pytest.mark.parametrize(
    ("pod", "existing"),
    [
        pytest.param(Pod("p"), rl(10, 20), id="even without specified resources"),
        pytest.param(res_pod(rl(1, 1)), rl(5, 5), id="even if both resources fit"),
        pytest.param(res_pod(rl(5, 1)), rl(5, 19), id="even for equal edge case"),
        pytest.param(res_pod(rl(5, 1), init=[rl(5, 1)]), rl(5, 19), id="equal edge, init"),
    ],
)
def test_fit_not_enough_pods(pod: Pod, existing: dict[str, int]) -> None:
    # TestNotEnoughRequests: allocatable cpu 10m, memory 20, one pod slot, already taken.
    node = mk_node("n", cpu=10, mem=20_000, pods=1)
    status = node_resources_fit_filter(
        compute_pod_resource_request(pod), NodeInfo(node, [res_pod(existing)])
    )
    assert status is not None
    assert status.reasons == ("Too many pods",)


@pytest.mark.parametrize(
    ("pod", "existing", "reasons"),
    [
        pytest.param(res_pod(rl(1, 1)), rl(2, 10), (), id="empty storage requested, pod fits"),
        pytest.param(
            res_pod(rl(eph=25)),
            rl(2, 2),
            ("Insufficient ephemeral-storage",),
            id="ephemeral local storage request exceeds allocatable",
        ),
        pytest.param(
            res_pod(rl(), init=[rl(eph=5)]),
            rl(2, 2, eph=10),
            (),
            id="ephemeral local storage is sufficient",
        ),
        pytest.param(res_pod(rl(eph=10)), rl(2, 2), (), id="pod fits"),
    ],
)
def test_fit_storage_requests(pod: Pod, existing: dict[str, int], reasons: tuple[str, ...]) -> None:
    status = node_resources_fit_filter(
        compute_pod_resource_request(pod), NodeInfo(FIT_NODE, [res_pod(existing)])
    )
    assert (status.reasons if status else ()) == reasons


def test_fit_counts_sidecars_and_ignores_terminal_pods() -> None:
    # A sidecar (init container with restartPolicy Always) runs beside the app container:
    # request = 1500m app + 1000m sidecar = 2500m > 4000m − 2000m used.
    node = mk_node("n", cpu=4000)
    pod = Pod(
        "p",
        containers=[Container("app", {"cpu": 1500})],
        init_containers=[Container("proxy", {"cpu": 1000}, restart_policy="Always")],
    )
    used = mk_pod("u", requests={"cpu": 2000})
    done = mk_pod("done", requests={"cpu": 2000})
    done.phase = "Succeeded"  # terminal pods are not in the scheduler's cache
    ni = NodeInfo(node, [used, done])
    assert ni.requested["cpu"] == 2000 and len(ni.pods) == 1
    assert fits_request(compute_pod_resource_request(pod), ni) == [ir("cpu", 2500, 2000, 4000)]
    ni.remove_pod(used)
    assert fits_request(compute_pod_resource_request(pod), ni) == []


# ------------------------------------------------------------------- NodeAffinity


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


# --------------------------------------------------------- TaintToleration, cordon


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


# ---------------------------------------------------------------- PodTopologySpread

UNSCHED_TAINT = [Taint(TAINT_NODE_UNSCHEDULABLE, "", "NoSchedule")]
TOL_UNSCHED = [Toleration(TAINT_NODE_UNSCHEDULABLE, "Exists", None, "NoSchedule")]


def three_nodes(c_taints: Sequence[Taint] = ()) -> list[Node]:
    return [
        mk_node("node-a", {"node": "node-a", "foo": ""}),
        mk_node("node-b", {"node": "node-b", "foo": ""}),
        mk_node("node-c", {"node": "node-c", "bar": ""}, taints=c_taints),
    ]


BAR_PODS = {
    "node-a": [mk_pod("p-a", {"bar": ""}, node="node-a")],
    "node-b": [
        mk_pod("p-b", {"bar": ""}, node="node-b"),
        mk_pod("p-c", {"bar": ""}, node="node-b"),
    ],
    "node-c": [mk_pod("p-d", node="node-c")],
}
FOO_AFFINITY = {"matchExpressions": [expr("foo", "In", "")]}


@pytest.mark.parametrize(
    ("spec", "tolerations", "nodes", "want"),
    [
        pytest.param(
            SchedulingSpec(
                node_selector={"foo": ""}, topology_spread_constraints=[spread(1, "node", BAR)]
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2}],
            id="NodeAffinityPolicy honored with labelSelectors",
        ),
        pytest.param(
            SchedulingSpec(
                node_selector={"foo": ""},
                topology_spread_constraints=[spread(1, "node", BAR, affinity_policy="Ignore")],
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeAffinityPolicy ignored with labelSelectors",
        ),
        pytest.param(
            SchedulingSpec(
                required_node_affinity=[FOO_AFFINITY],
                topology_spread_constraints=[spread(1, "node", BAR)],
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2}],
            id="NodeAffinityPolicy honored with nodeAffinity",
        ),
        pytest.param(
            SchedulingSpec(
                required_node_affinity=[FOO_AFFINITY],
                topology_spread_constraints=[spread(1, "node", BAR, affinity_policy="Ignore")],
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeAffinityPolicy ignored with nodeAffinity",
        ),
        pytest.param(
            SchedulingSpec(topology_spread_constraints=[spread(1, "node", BAR)]),
            [],
            three_nodes(UNSCHED_TAINT),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeTaintsPolicy ignored",
        ),
        pytest.param(
            SchedulingSpec(
                topology_spread_constraints=[spread(1, "node", BAR, taints_policy="Honor")]
            ),
            [],
            three_nodes(UNSCHED_TAINT),
            [{"node-a": 1, "node-b": 2}],
            id="NodeTaintsPolicy honored",
        ),
        pytest.param(
            SchedulingSpec(
                topology_spread_constraints=[spread(1, "node", BAR, taints_policy="Honor")]
            ),
            TOL_UNSCHED,
            three_nodes(UNSCHED_TAINT),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeTaintsPolicy honored with tolerated taints",
        ),
    ],
)
def test_spread_pre_filter_state_inclusion_policies(
    spec: SchedulingSpec,
    tolerations: list[Toleration],
    nodes: list[Node],
    want: list[dict[str, int]],
) -> None:
    pod = mk_pod(labels={"foo": ""}, tolerations=tolerations)
    state = cal_pre_filter_state(pod, spec, Snapshot(nodes, BAR_PODS).list())
    assert state.match_num == want


@pytest.mark.parametrize(
    ("spec", "b_taints", "want"),
    [
        pytest.param(
            SchedulingSpec(
                node_selector={"foo": ""},
                topology_spread_constraints=[
                    spread(1, "zone", FOO),
                    spread(1, "node", FOO, affinity_policy="Ignore"),
                ],
            ),
            (),
            [{"zone1": 0, "zone2": 1}, {"node-a": 0, "node-b": 2, "node-x": 1}],
            id="zone: honor/ignore, node: ignore/ignore",
        ),
        pytest.param(
            SchedulingSpec(
                topology_spread_constraints=[
                    spread(1, "zone", FOO, taints_policy="Honor"),
                    spread(1, "node", FOO),
                ]
            ),
            UNSCHED_TAINT,
            [{"zone1": 0, "zone2": 1}, {"node-a": 0, "node-b": 2, "node-x": 1}],
            id="zone: honor/honor, node: honor/ignore",
        ),
    ],
)
def test_spread_pre_filter_state_two_constraints(
    spec: SchedulingSpec, b_taints: Sequence[Taint], want: list[dict[str, int]]
) -> None:
    nodes = [
        mk_node("node-a", {"zone": "zone1", "node": "node-a", "foo": ""}),
        mk_node("node-b", {"zone": "zone1", "node": "node-b"}, taints=b_taints),
        mk_node("node-x", {"zone": "zone2", "node": "node-x", "foo": ""}),
    ]
    pods = {
        "node-b": [mk_pod("p-b1", {"foo": ""}), mk_pod("p-b2", {"foo": ""})],
        "node-x": [mk_pod("p-x1", {"foo": ""})],
    }
    state = cal_pre_filter_state(mk_pod(labels={"foo": ""}), spec, Snapshot(nodes, pods).list())
    assert state.match_num == want


def four_nodes(**extra: dict[str, str]) -> list[Node]:
    base = {
        "node-a": {"zone": "zone1", "node": "node-a"},
        "node-b": {"zone": "zone1", "node": "node-b"},
        "node-x": {"zone": "zone2", "node": "node-x"},
        "node-y": {"zone": "zone2", "node": "node-y"},
    }
    return [mk_node(n, {**lab, **extra.get(n.replace("-", "_"), {})}) for n, lab in base.items()]


def foo_pods(
    counts: Mapping[str, int], labels: Mapping[str, str] | None = None
) -> dict[str, list[Pod]]:
    lab = {"foo": ""} if labels is None else dict(labels)
    return {n: [mk_pod(f"p-{n}-{i}", lab, node=n) for i in range(c)] for n, c in counts.items()}


S, U, UU = "Success", UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE


def spread_codes(
    pod: Pod, spec: SchedulingSpec, nodes: list[Node], pods: Mapping[str, list[Pod]]
) -> dict[str, str]:
    snapshot = Snapshot(nodes, pods)
    state = cal_pre_filter_state(pod, spec, snapshot.list())
    out = {}
    for n in nodes:
        st = pod_topology_spread_filter(pod, state, n)
        out[n.name] = S if st is None else st.code
    return out


def one(c: TopologySpreadConstraint, **kw: Any) -> SchedulingSpec:
    return SchedulingSpec(topology_spread_constraints=[c], **kw)


SINGLE_CONSTRAINT = [
    (
        "no existing pods",
        {"foo": ""},
        one(spread(1, "zone", FOO)),
        four_nodes(),
        {},
        dict.fromkeys("abxy", S),
    ),
    (
        "no existing pods, incoming pod doesn't match itself",
        {"foo": ""},
        one(spread(1, "zone", BAR)),
        four_nodes(),
        {},
        dict.fromkeys("abxy", S),
    ),
    (
        "pods spread across zones as 3/3, all nodes fit",
        {"foo": ""},
        one(spread(1, "zone", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        dict.fromkeys("abxy", S),
    ),
    (
        "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
        {"foo": ""},
        one(spread(1, "zone", FOO)),
        [
            mk_node("node-a", {"zone": "zone1", "node": "node-a"}),
            mk_node("node-b", {"zon": "zone1", "node": "node-b"}),
            mk_node("node-x", {"zone": "zone2", "node": "node-x"}),
            mk_node("node-y", {"zone": "zone2", "node": "node-y"}),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-x": 1, "node-y": 1}),
        {"a": S, "b": UU, "x": U, "y": U},
    ),
    (
        "pods spread across nodes as 2/1/0/3, only node-x fits",
        {"foo": ""},
        one(spread(1, "node", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": U, "b": U, "x": S, "y": U},
    ),
    (
        "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
        {"foo": ""},
        one(spread(2, "node", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": U, "b": S, "x": S, "y": U},
    ),
    (
        # by hand: the pod does not match itself (selfMatch 0), min 0 (node-x):
        # a 2 > 1, b 1, x 0, y 3 > 1
        "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
        {"bar": ""},
        one(spread(1, "node", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": U, "b": S, "x": S, "y": U},
    ),
    (
        "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
        {"foo": ""},
        one(
            spread(1, "node", FOO),
            required_node_affinity=[{"matchExpressions": [expr("node", "In", "node-a", "node-y")]}],
        ),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": S, "b": S, "x": S, "y": U},
    ),
    (
        "terminating Pods should be excluded",
        {"foo": ""},
        one(spread(1, "node", FOO)),
        [mk_node("node-a", {"node": "node-a"}), mk_node("node-b", {"node": "node-b"})],
        {
            "node-a": [mk_pod("p-a", {"foo": ""}, node="node-a", terminating=True)],
            "node-b": [mk_pod("p-b", {"foo": ""}, node="node-b")],
        },
        {"a": S, "b": U},
    ),
    (
        "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
        {"foo": ""},
        one(
            spread(1, "zone", FOO),
            required_node_affinity=[{"matchExpressions": [expr("node", "NotIn", "node-b")]}],
        ),
        four_nodes(),
        foo_pods({"node-b": 2, "node-y": 1}),
        {"a": S, "b": S, "x": U, "y": U},
    ),
    (
        "pods spread across nodes as 2/2/1, maxSkew 2, domains < minDomains: third node fits",
        {"foo": ""},
        one(spread(2, "node", FOO, min_domains=4)),
        [mk_node(f"node-{c}", {"node": f"node-{c}"}) for c in "abc"],
        foo_pods({"node-a": 2, "node-b": 2, "node-c": 1}),
        {"a": U, "b": U, "c": S},
    ),
    (
        "pods spread across nodes as 2/2/1, maxSkew 2, domains > minDomains: all fit",
        {"foo": ""},
        one(spread(2, "node", FOO, min_domains=2)),
        [mk_node(f"node-{c}", {"node": f"node-{c}"}) for c in "abc"],
        foo_pods({"node-a": 2, "node-b": 2, "node-c": 1}),
        {"a": S, "b": S, "c": S},
    ),
    (
        "pods spread across zone as 2/1, maxSkew 2, domains < minDomains: zone2 fits",
        {"foo": ""},
        one(spread(2, "zone", FOO, min_domains=3)),
        four_nodes(),
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": S},
    ),
    (
        "pods spread across zone as 2/1, maxSkew 2, domains > minDomains: all fit",
        {"foo": ""},
        one(spread(2, "zone", FOO, min_domains=1)),
        four_nodes(),
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        dict.fromkeys("abxy", S),
    ),
    (
        "NodeAffinityPolicy honored with labelSelectors",
        {"foo": ""},
        one(spread(1, "node", FOO), node_selector={"foo": ""}),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": S},
    ),
    (
        "NodeAffinityPolicy ignored with labelSelectors",
        {"foo": ""},
        one(spread(1, "node", FOO, affinity_policy="Ignore"), node_selector={"foo": ""}),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": U},
    ),
    (
        "NodeTaintsPolicy honored",
        {"foo": ""},
        one(spread(1, "node", FOO, taints_policy="Honor")),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}, taints=UNSCHED_TAINT),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": S},
    ),
    (
        "NodeTaintsPolicy ignored",
        {"foo": ""},
        one(spread(1, "node", FOO)),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}, taints=UNSCHED_TAINT),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": U},
    ),
    (
        "pod cannot be scheduled as all nodes don't have label 'rack'",
        {"foo": ""},
        one(spread(1, "rack", FOO)),
        [mk_node("node-a", {"zone": "zone1"}), mk_node("node-x", {"zone": "zone2"})],
        {},
        {"a": UU, "x": UU},
    ),
]


@pytest.mark.parametrize(
    ("labels", "spec", "nodes", "pods", "want"),
    [pytest.param(lab, s, n, p, w, id=name) for name, lab, s, n, p, w in SINGLE_CONSTRAINT],
)
def test_spread_filter_single_constraint(
    labels: dict[str, str],
    spec: SchedulingSpec,
    nodes: list[Node],
    pods: dict[str, list[Pod]],
    want: dict[str, str],
) -> None:
    got = spread_codes(mk_pod(labels=labels), spec, nodes, pods)
    assert got == {f"node-{k}": v for k, v in want.items()}


def test_spread_filter_other_namespace_does_not_count() -> None:
    # zone1 holds only pods of other namespaces (count 0), zone2 two: 2 + 1 − 0 > 1.
    pods = {
        "node-a": [mk_pod("p-a1", {"foo": ""}, ns="ns1"), mk_pod("p-b1", {"foo": ""}, ns="ns2")],
        "node-x": [mk_pod("p-x1", {"foo": ""})],
        "node-y": [mk_pod("p-y1", {"foo": ""})],
    }
    got = spread_codes(mk_pod(labels={"foo": ""}), one(spread(1, "zone", FOO)), four_nodes(), pods)
    assert got == {"node-a": S, "node-b": S, "node-x": U, "node-y": U}


def test_spread_filter_reasons() -> None:
    pod = mk_pod(labels={"foo": ""})
    spec = one(spread(1, "zone", FOO))
    nodes = [mk_node("a", {"zone": "z1"}), mk_node("b", {"zone": "z2"}), mk_node("c", {})]
    snapshot = Snapshot(nodes, foo_pods({"a": 1}))
    state = cal_pre_filter_state(pod, spec, snapshot.list())
    st = pod_topology_spread_filter(pod, state, nodes[0])
    assert st is not None and st.reasons == (ERR_REASON_SPREAD,)
    st = pod_topology_spread_filter(pod, state, nodes[2])
    assert st is not None and st.reasons == (ERR_REASON_SPREAD_MISSING_LABEL,)


def test_spread_match_label_keys() -> None:
    # matchLabelKeys adds pod-template-hash=v2 to the selector: the two old (v1) pods in
    # zone1 no longer count, so zone1 (0) fits and zone2 (one v2 pod: 1 + 1 − 0 = 2) does not.
    spec = SchedulingSpec(
        topology_spread_constraints=[
            TopologySpreadConstraint(
                1,
                "zone",
                "DoNotSchedule",
                {"matchLabels": {"app": "web"}},
                match_label_keys=("pod-template-hash",),
            )
        ]
    )
    pods = {
        "node-a": [mk_pod(f"old{i}", {"app": "web", "pod-template-hash": "v1"}) for i in range(2)],
        "node-x": [mk_pod("new", {"app": "web", "pod-template-hash": "v2"})],
    }
    pod = mk_pod(labels={"app": "web", "pod-template-hash": "v2"})
    assert spread_codes(pod, spec, four_nodes(), pods) == {
        "node-a": S,
        "node-b": S,
        "node-x": U,
        "node-y": U,
    }


# -------------------------------------------------------------- InterPodAffinity

WEB = {"matchLabels": {"app": "web"}}


def ipa_codes(
    pod: Pod,
    spec: SchedulingSpec,
    nodes: list[Node],
    pods: Mapping[str, list[Pod]],
    spec_of=None,
) -> dict[str, tuple[str, ...]]:
    snapshot = Snapshot(nodes, pods)
    state = inter_pod_affinity_pre_filter(pod, spec, snapshot.list(), spec_of)
    out: dict[str, tuple[str, ...]] = {}
    for n in nodes:
        st = None if state is None else inter_pod_affinity_filter(state, n)
        out[n.name] = () if st is None else (st.code, *st.reasons)
    return out


def test_required_anti_affinity_hostname() -> None:
    # One web pod on n1: a web pod with hostname anti-affinity to web avoids n1 only.
    nodes = [mk_node(f"n{i}", {LABEL_HOSTNAME: f"n{i}", ZONE: "z1"}) for i in (1, 2)]
    spec = SchedulingSpec(required_pod_anti_affinity=[PodAffinityTerm(WEB, LABEL_HOSTNAME)])
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec, nodes, foo_pods({"n1": 1}, {"app": "web"}))
    assert got == {"n1": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES), "n2": ()}


def test_required_anti_affinity_zone_and_namespaces() -> None:
    nodes = [
        mk_node("n1", {ZONE: "z1"}),
        mk_node("n2", {ZONE: "z1"}),
        mk_node("n3", {ZONE: "z2"}),
        mk_node("n4", {}),  # no zone label: the term cannot be violated there
    ]
    spec = SchedulingSpec(required_pod_anti_affinity=[PodAffinityTerm(WEB, ZONE)])
    pods = {
        "n1": [mk_pod("w", {"app": "web"})],
        # a web pod in another namespace does not count (term namespaces = pod's own)
        "n3": [mk_pod("w2", {"app": "web"}, ns="other")],
    }
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec, nodes, pods)
    assert got == {
        "n1": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES),
        "n2": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES),
        "n3": (),
        "n4": (),
    }
    # namespaceSelector {} selects every namespace: now z2 is taken too.
    spec_all = SchedulingSpec(
        required_pod_anti_affinity=[PodAffinityTerm(WEB, ZONE, namespace_selector={})]
    )
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec_all, nodes, pods)
    assert got["n3"] == (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES)
    # namespaceSelector on the namespace's name label selects just that namespace.
    spec_other = SchedulingSpec(
        required_pod_anti_affinity=[
            PodAffinityTerm(
                WEB,
                ZONE,
                namespace_selector={"matchLabels": {"kubernetes.io/metadata.name": "other"}},
            )
        ]
    )
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec_other, nodes, pods)
    assert got == {
        "n1": (),
        "n2": (),
        "n3": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES),
        "n4": (),
    }


def test_existing_pods_anti_affinity_symmetry() -> None:
    # The existing pod on n1 refuses security=S1 pods on its host; the incoming pod has no
    # terms of its own but carries security=S1.
    nodes = [mk_node(f"n{i}", {LABEL_HOSTNAME: f"n{i}"}) for i in (1, 2)]
    existing = mk_pod("e", {"app": "db"}, node="n1")
    e_spec = SchedulingSpec(
        required_pod_anti_affinity=[
            PodAffinityTerm({"matchLabels": {"security": "S1"}}, LABEL_HOSTNAME)
        ]
    )
    specs = {id(existing): e_spec}
    got = ipa_codes(
        mk_pod(labels={"security": "S1"}),
        EMPTY_SPEC,
        nodes,
        {"n1": [existing]},
        spec_of=lambda p: specs.get(id(p)),
    )
    assert got == {"n1": (UNSCHEDULABLE, ERR_REASON_EXISTING_ANTI_AFFINITY), "n2": ()}
    # Without spec_of the existing pod has no terms and nothing is rejected.
    assert ipa_codes(mk_pod(labels={"security": "S1"}), EMPTY_SPEC, nodes, {"n1": [existing]}) == {
        "n1": (),
        "n2": (),
    }


def test_required_pod_affinity() -> None:
    nodes = [mk_node("n1", {ZONE: "z1"}), mk_node("n2", {ZONE: "z2"}), mk_node("n3", {})]
    spec = SchedulingSpec(
        required_pod_affinity=[PodAffinityTerm({"matchLabels": {"app": "db"}}, ZONE)]
    )
    aff_fail = (UNSCHEDULABLE_AND_UNRESOLVABLE, ERR_REASON_AFFINITY_RULES)
    got = ipa_codes(
        mk_pod(labels={"app": "web"}), spec, nodes, {"n1": [mk_pod("db", {"app": "db"})]}
    )
    assert got == {"n1": (), "n2": aff_fail, "n3": aff_fail}
    # No db pod anywhere, and the pod does not match its own term: nowhere.
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec, nodes, {})
    assert got == {"n1": aff_fail, "n2": aff_fail, "n3": aff_fail}
    # The first pod of a group with affinity to itself may go to any node with the key.
    got = ipa_codes(mk_pod(labels={"app": "db"}), spec, nodes, {})
    assert got == {"n1": (), "n2": (), "n3": aff_fail}


# ------------------------------------------------------------------------ FitError


@pytest.mark.parametrize(
    ("num", "reasons", "pre", "post", "want"),
    [
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed PreFilter plugin FalsePreFilter",)
            ),
            "Node(s) failed PreFilter plugin FalsePreFilter",
            "",
            "0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter.",
            id="nodes failed Prefilter plugin",
        ),
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed PreFilter plugin FalsePreFilter",)
            ),
            "Node(s) failed PreFilter plugin FalsePreFilter",
            "Error running PostFilter plugin FailedPostFilter",
            "0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter. "
            "Error running PostFilter plugin FailedPostFilter",
            id="nodes failed Prefilter plugin and the preemption also failed",
        ),
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed Filter plugin FalseFilter-1",)
            ),
            "",
            "",
            "0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1.",
            id="nodes failed one Filter plugin with an empty PostFilterMsg",
        ),
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed Filter plugin FalseFilter-1",)
            ),
            "",
            "Error running PostFilter plugin FailedPostFilter",
            "0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1. "
            "Error running PostFilter plugin FailedPostFilter",
            id="nodes failed one Filter plugin with a non-empty PostFilterMsg",
        ),
        pytest.param(
            3,
            {
                "node1": ["Node(s) failed Filter plugin FalseFilter-1"],
                "node2": ["Node(s) failed Filter plugin FalseFilter-1"],
                "node3": ["Node(s) failed Filter plugin FalseFilter-2"],
            },
            "",
            "",
            "0/3 nodes are available: 1 Node(s) failed Filter plugin FalseFilter-2, "
            "2 Node(s) failed Filter plugin FalseFilter-1.",
            id="nodes failed two Filter plugins with an empty PostFilterMsg",
        ),
        pytest.param(
            1,
            {"node1": ["Node failed Permit plugin Permit-1"]},
            "",
            "",
            "0/1 nodes are available: 1 Node failed Permit plugin Permit-1.",
            id="failed to Permit on node",
        ),
        pytest.param(
            # by hand: "10 ..." sorts before "3 ..." (string sort, as Go's sort.Strings)
            13,
            {
                **{f"a{i}": ["Insufficient cpu"] for i in range(10)},
                **{f"b{i}": ["Too many pods"] for i in range(3)},
            },
            "",
            "",
            "0/13 nodes are available: 10 Insufficient cpu, 3 Too many pods.",
            id="counts sort as strings",
        ),
    ],
)
def test_fit_error_message(
    num: int, reasons: dict[str, list[str]], pre: str, post: str, want: str
) -> None:
    assert fit_error_message(num, reasons, pre_filter_msg=pre, post_filter_msg=post) == want


def test_fit_error_message_absent_nodes() -> None:
    got = fit_error_message(4, {"n1": ["Insufficient cpu"]}, absent_reasons=["x"])
    assert got == "0/4 nodes are available: 1 Insufficient cpu, 3 x."


# --------------------------------------------------------- schedule_pod messages


def cpu_pod(cpu: int, **kw: Any) -> Pod:
    return mk_pod(requests={"cpu": cpu, "memory": 100 * MI}, **kw)


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


def test_default_weights() -> None:
    assert dict(DEFAULT_PLUGIN_WEIGHTS) == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }


def test_least_allocated_and_balanced_scores() -> None:
    # Nodes: 4000m cpu, 10000 MiB. n1 already has 1000m / 2000Mi; the pod asks 1000m / 2000Mi.
    nodes = [mk_node("n1", cpu=4000, mem=10000 * MI), mk_node("n2", cpu=4000, mem=10000 * MI)]
    pods = {"n1": [mk_pod("e", requests={"cpu": 1000, "memory": 2000 * MI})]}
    pod = mk_pod(requests={"cpu": 1000, "memory": 2000 * MI})
    s = plugin_scores(pod, EMPTY_SPEC, nodes, pods)
    # n1: cpu (4000−2000)·100/4000 = 50, memory (10000−4000)·100/10000 = 60 → 110 // 2 = 55
    # n2: cpu 3000·100/4000 = 75, memory 8000·100/10000 = 80 → 155 // 2 = 77
    assert s[NODE_RESOURCES_FIT] == {"n1": 55, "n2": 77}
    # balanced: n1 fractions 0.5 and 0.4 → std 0.05 → 95; n2 0.25, 0.2 → std 0.025 → 97
    assert s[NODE_RESOURCES_BALANCED_ALLOCATION] == {"n1": 95, "n2": 97}


def test_non_zero_requests_in_least_allocated() -> None:
    # No requests: each pod counts 100m cpu and 200 MiB for scoring.
    # n: 1000m, 1000 MiB, one request-less pod: cpu (1000−200)·100/1000 = 80,
    # memory (1000−400)·100/1000 = 60 → 70. BalancedAllocation skips best-effort pods.
    nodes = [mk_node("n", cpu=1000, mem=1000 * MI)]
    s = plugin_scores(mk_pod(requests={}), EMPTY_SPEC, nodes, {"n": [mk_pod("e", requests={})]})
    assert s[NODE_RESOURCES_FIT] == {"n": 70}
    assert NODE_RESOURCES_BALANCED_ALLOCATION not in s


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


def test_spread_score_schedule_anyway() -> None:
    # zone a has 2 web pods, b 1, c 0. Weight ln(3 domains + 2) = ln 5 = 1.6094.
    # raw: a → round(2·1.6094 + 0) = 3, b → round(1.6094) = 2, c → 0; min 0, max 3;
    # normalised 100·(3 + 0 − s)//3: a 0, b 33, c 100.
    spec = SchedulingSpec(topology_spread_constraints=[spread(1, ZONE, WEB, when="ScheduleAnyway")])
    nodes = [
        mk_node("a1", {ZONE: "a"}),
        mk_node("a2", {ZONE: "a"}),
        mk_node("b1", {ZONE: "b"}),
        mk_node("c1", {ZONE: "c"}),
    ]
    pods = {
        "a1": [mk_pod("w1", {"app": "web"})],
        "a2": [mk_pod("w2", {"app": "web"})],
        "b1": [mk_pod("w3", {"app": "web"})],
    }
    s = plugin_scores(mk_pod(labels={"app": "web"}), spec, nodes, pods)
    assert s[POD_TOPOLOGY_SPREAD] == {"a1": 0, "a2": 0, "b1": 33, "c1": 100}


def test_spread_score_system_defaults() -> None:
    # No constraints: hostname maxSkew 3 and zone maxSkew 5 (ScheduleAnyway), selector = the
    # pod's labels. Web pods: a1 2, a2 0, b1 1. Weights: hostname ln(3 nodes + 2) = 1.6094,
    # zone ln(2 zones + 2) = 1.3863.
    # a1: 2·1.6094 + 2 + 2·1.3863 + 4 = 11.99 → 12
    # a2: 0 + 2 + 2·1.3863 + 4 = 8.77 → 9
    # b1: 1.6094 + 2 + 1.3863 + 4 = 9.00 → 9
    # normalised 100·(12 + 9 − s)//12: a1 75, a2 100, b1 100
    nodes = [
        mk_node("a1", {ZONE: "a", LABEL_HOSTNAME: "a1"}),
        mk_node("a2", {ZONE: "a", LABEL_HOSTNAME: "a2"}),
        mk_node("b1", {ZONE: "b", LABEL_HOSTNAME: "b1"}),
    ]
    pods = {
        "a1": [mk_pod(f"w{i}", {"app": "web"}) for i in range(2)],
        "b1": [mk_pod("w9", {"app": "web"})],
    }
    assert 2 * math.log(5) + 2 + 2 * math.log(4) + 4 == pytest.approx(11.99, abs=0.01)
    s = plugin_scores(mk_pod(labels={"app": "web"}), EMPTY_SPEC, nodes, pods)
    assert s[POD_TOPOLOGY_SPREAD] == {"a1": 75, "a2": 100, "b1": 100}
    # A pod without labels has an empty default selector: no spreading score at all.
    assert POD_TOPOLOGY_SPREAD not in plugin_scores(mk_pod(), EMPTY_SPEC, nodes, pods)


def test_preferred_anti_affinity_score() -> None:
    # weight 100 against web pods on the same host: raw −200, −100, 0 → min −200, max 0
    # → 100·(s + 200)/200: 0, 50, 100
    spec = SchedulingSpec(
        preferred_pod_anti_affinity=[
            WeightedPodAffinityTerm(100, PodAffinityTerm(WEB, LABEL_HOSTNAME))
        ]
    )
    nodes = [mk_node(f"n{i}", {LABEL_HOSTNAME: f"n{i}"}) for i in (1, 2, 3)]
    pods = {
        "n1": [mk_pod(f"w{i}", {"app": "web"}) for i in range(2)],
        "n2": [mk_pod("w3", {"app": "web"})],
    }
    s = plugin_scores(mk_pod(labels={"app": "web"}), spec, nodes, pods)
    assert s[INTER_POD_AFFINITY] == {"n1": 0, "n2": 50, "n3": 100}


def test_existing_pods_preferred_affinity_score_via_spec_of() -> None:
    # The existing pod on n1 prefers (weight 30) web pods in its zone; the incoming web pod
    # gets +30 in zone z1 (n1, n2), 0 in z2: normalised 100, 100, 0.
    nodes = [mk_node("n1", {ZONE: "z1"}), mk_node("n2", {ZONE: "z1"}), mk_node("n3", {ZONE: "z2"})]
    e = mk_pod("e", {"app": "cache"})
    e_spec = SchedulingSpec(
        preferred_pod_affinity=[WeightedPodAffinityTerm(30, PodAffinityTerm(WEB, ZONE))]
    )
    s = plugin_scores(
        mk_pod(labels={"app": "web"}),
        EMPTY_SPEC,
        nodes,
        {"n1": [e]},
        spec_of=lambda p: e_spec if p is e else None,
    )
    assert s[INTER_POD_AFFINITY] == {"n1": 100, "n2": 100, "n3": 0}


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


def test_scheduling_spec_from_pod_spec() -> None:
    spec = scheduling_spec_from_pod_spec(
        {
            "nodeSelector": {"pool": "general"},
            "affinity": {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {"labelSelector": WEB, "topologyKey": LABEL_HOSTNAME}
                    ],
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 50,
                            "podAffinityTerm": {"labelSelector": WEB, "topologyKey": ZONE},
                        }
                    ],
                }
            },
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": ZONE,
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": WEB,
                    "minDomains": 3,
                    "nodeTaintsPolicy": "Honor",
                    "matchLabelKeys": ["pod-template-hash"],
                }
            ],
        }
    )
    assert spec.node_selector == {"pool": "general"}
    assert spec.required_pod_anti_affinity[0].topology_key == LABEL_HOSTNAME
    assert spec.preferred_pod_anti_affinity[0].weight == 50
    c = spec.topology_spread_constraints[0]
    assert (c.max_skew, c.topology_key, c.min_domains, c.node_taints_policy) == (
        1,
        ZONE,
        3,
        "Honor",
    )
    assert c.node_affinity_policy is None and c.match_label_keys == ("pod-template-hash",)
    with pytest.raises(ValueError):
        scheduling_spec_from_pod_spec(
            {
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": ZONE,
                        "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]},
                    }
                ]
            }
        )


# ------------------------------------------------- narrated case: a zone goes dark

DEFAULT_TOLERATIONS = [
    # added by the DefaultTolerationSeconds admission plugin: NoExecute only
    Toleration(TAINT_NODE_NOT_READY, "Exists", None, "NoExecute", 300),
    Toleration(TAINT_NODE_UNREACHABLE, "Exists", None, "NoExecute", 300),
]
ZONE_SPREAD = {
    "maxSkew": 1,
    "topologyKey": ZONE,
    "whenUnsatisfiable": "DoNotSchedule",
    "labelSelector": WEB,
}


def web_pod(name: str, node: str | None = None, terminating: bool = False) -> Pod:
    return mk_pod(
        name,
        {"app": "web"},
        node=node,
        requests={"cpu": 500, "memory": 512 * MI},
        tolerations=DEFAULT_TOLERATIONS,
        terminating=terminating,
    )


def zone_cluster(c_down: bool) -> tuple[list[Node], dict[str, list[Pod]]]:
    """3 zones × 2 nodes (4 cpu, 16 GiB); one web pod on a1, b1, c1. With zone c down its
    nodes are NotReady, tainted unreachable NoExecute + NoSchedule, and its pod is
    Terminating (evicted, but no kubelet to finish it)."""
    nodes = []
    for z in "abc":
        for i in (1, 2):
            n = mk_node(f"{z}{i}", {ZONE: z, LABEL_HOSTNAME: f"{z}{i}"})
            if z == "c" and c_down:
                n.ready = "Unknown"
                n.taints = [
                    Taint(TAINT_NODE_UNREACHABLE, "", "NoExecute", 100.0),
                    Taint(TAINT_NODE_UNREACHABLE, "", "NoSchedule"),
                ]
            nodes.append(n)
    pods = {
        "a1": [web_pod("web-1", "a1")],
        "b1": [web_pod("web-2", "b1")],
        "c1": [web_pod("web-3", "c1", terminating=c_down)],
    }
    return nodes, pods


def test_zone_outage_before_any_node_fits() -> None:
    # Healthy: zones a, b, c hold 1 each; min 1; a new pod anywhere: 1 + 1 − 1 = 1 ≤ 1.
    nodes, pods = zone_cluster(c_down=False)
    spec = scheduling_spec_from_pod_spec({"topologySpreadConstraints": [ZONE_SPREAD]})
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods)
    assert r.feasible_nodes == 6


def test_zone_outage_default_taints_policy_leaves_replacement_pending() -> None:
    # nodeTaintsPolicy Ignore (default): zone c is still a domain. Its only pod is
    # Terminating and not counted, so the counts are a 1, b 1, c 0 and the global min is 0.
    # a1, a2, b1, b2: 1 + 1 (the pod matches itself) − 0 = 2 > maxSkew 1 → spread filter.
    # c1, c2: the untolerated unreachable:NoSchedule taint (the pod tolerates NoExecute only).
    nodes, pods = zone_cluster(c_down=True)
    spec = scheduling_spec_from_pod_spec({"topologySpreadConstraints": [ZONE_SPREAD]})
    state = cal_pre_filter_state(web_pod("web-4"), spec, Snapshot(nodes, pods).list())
    assert state.match_num == [{"a": 1, "b": 1, "c": 0}]
    assert state.min_match_num(0) == 0
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods, config=V133)
    assert r.node_name is None
    assert r.message == (
        "0/6 nodes are available: 2 node(s) had untolerated taint "
        "{node.kubernetes.io/unreachable: }, 4 node(s) didn't match pod topology spread "
        "constraints. preemption: 0/6 nodes are available: 2 Preemption is not helpful for "
        "scheduling, 4 No preemption victims found for incoming pod."
    )
    # Kubernetes 1.34+ (default config) adds the DRA note before the preemption part.
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods)
    assert ". no new claims to deallocate, preemption: 0/6" in r.message
    # Deleting the Terminating pod object changes nothing: zone c stays a domain with 0.
    del pods["c1"]
    assert schedule_pod(web_pod("web-4"), spec, nodes, pods).node_name is None
    # filter_node says the same for one node.
    assert filter_node(web_pod("web-4"), spec, nodes[0], pods["a1"], nodes, pods) == [
        ERR_REASON_SPREAD
    ]


def test_zone_outage_taints_policy_honor_schedules() -> None:
    # nodeTaintsPolicy Honor: c1, c2 carry an untolerated NoSchedule taint, so zone c is no
    # domain. Counts a 1, b 1, min 1; a or b: 1 + 1 − 1 = 1 ≤ 1 → a1, a2, b1, b2 fit.
    nodes, pods = zone_cluster(c_down=True)
    spec = scheduling_spec_from_pod_spec(
        {"topologySpreadConstraints": [{**ZONE_SPREAD, "nodeTaintsPolicy": "Honor"}]}
    )
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods)
    # Scores (no ScheduleAnyway constraint: PodTopologySpread does not score; no affinity):
    #   TaintToleration: no PreferNoSchedule taints → 100 each, × 3 = 300
    #   NodeResourcesFit (LeastAllocated), 4000m / 16384 MiB:
    #     a1, b1 (one pod + this one: 1000m, 1024 MiB): cpu 3000·100//4000 = 75,
    #       memory 15360·100//16384 = 93 → (75 + 93)//2 = 84
    #     a2, b2 (this pod only: 500m, 512 MiB): cpu 87, memory 96 → 91
    #   BalancedAllocation: a1 fractions 0.25 and 0.0625 → std 0.09375 → 90;
    #     a2 0.125 and 0.03125 → std 0.046875 → 95
    #   totals: a1 = b1 = 300 + 84 + 90 = 474; a2 = b2 = 300 + 91 + 95 = 486
    assert r.scores == {"a1": 474, "a2": 486, "b1": 474, "b2": 486}
    assert r.node_name == "a2"  # tie a2/b2 broken by name
    # The next one cannot go to zone a any more (2 + 1 − 1 = 2 > 1) but fits zone b.
    pods["a2"] = [web_pod("web-4", "a2")]
    r5 = schedule_pod(web_pod("web-5"), spec, nodes, pods)
    assert r5.node_name == "b2"
    assert set(r5.statuses) == {"a1", "a2", "c1", "c2"}
    assert r5.statuses["a1"].reasons == (ERR_REASON_SPREAD,)


# ------------------------------------------------------------------ snapshot, property


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


@settings(max_examples=40, deadline=None)
@given(
    zones=st.integers(min_value=2, max_value=4),
    nodes_per_zone=st.integers(min_value=1, max_value=3),
    replicas=st.integers(min_value=1, max_value=25),
    max_skew=st.integers(min_value=1, max_value=2),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_property_do_not_schedule_keeps_skew(
    zones: int, nodes_per_zone: int, replicas: int, max_skew: int, seed: int
) -> None:
    # Scheduling replicas one by one onto ample, healthy nodes with a DoNotSchedule zone
    # constraint never leaves zone counts further apart than maxSkew, and never blocks.
    nodes = [
        mk_node(f"z{z}n{i}", {ZONE: f"z{z}", LABEL_HOSTNAME: f"z{z}n{i}"}, cpu=64_000)
        for z in range(zones)
        for i in range(nodes_per_zone)
    ]
    spec = scheduling_spec_from_pod_spec(
        {"topologySpreadConstraints": [{**ZONE_SPREAD, "maxSkew": max_skew}]}
    )
    snap = Snapshot(nodes)
    rng = random.Random(seed)
    counts = dict.fromkeys((f"z{z}" for z in range(zones)), 0)
    for i in range(replicas):
        pod = web_pod(f"w{i}")
        r = schedule_pod_in_snapshot(pod, spec, snap, tie_breaker=rng.choice)
        assert r.node_name is not None, r.message
        pod.node_name = r.node_name
        snap.add_pod(pod)
        counts[snap.node_infos[r.node_name].node.labels[ZONE]] += 1
        assert max(counts.values()) - min(counts.values()) <= max_skew
