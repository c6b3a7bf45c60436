"""Tests for capacity.k8s.scheduler.noderesources: NodeResourcesFit and
NodeResourcesBalancedAllocation.

Tables are ported (as data, in our own structure) from ``kubernetes/kubernetes``
``pkg/scheduler/framework/plugins/noderesources/fit_test.go`` (TestEnoughRequests,
TestNotEnoughRequests, TestStorageRequests). Upstream amounts are in their units; memory
and extended resources are multiplied by 1000 here (milli-units). Other expected values
are worked out by hand in comments.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from capacity.k8s.scheduler.framework import (
    NODE_RESOURCES_BALANCED_ALLOCATION,
    NODE_RESOURCES_FIT,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
)
from capacity.k8s.scheduler.noderesources import (
    InsufficientResource,
    compute_pod_resource_request,
    fits_request,
    node_resources_fit_filter,
)
from capacity.k8s.scheduler.schedule_one import plugin_scores
from capacity.k8s.scheduler.snapshot import NodeInfo
from capacity.k8s.scheduler.spec import EMPTY_SPEC
from capacity.k8s.types import Container, Pod
from tests.k8s.scheduler.builders import MI, mk_node, mk_pod

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


# ------------------------------------------------------------------------- scoring


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
