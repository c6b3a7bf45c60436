"""The cluster as one scheduling cycle sees it: ``NodeInfo`` (a node, its pods and their
summed requests) and the ``Snapshot`` of all of them.

Mirrors ``pkg/scheduler/framework/types.go`` (``NodeInfo``),
``pkg/scheduler/backend/cache/snapshot.go`` (``Snapshot``) and
``pkg/scheduler/util/pod_resources.go`` (the default requests of ``GetNonzeroRequests``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from capacity.k8s.node import Node
from capacity.k8s.resources import pod_requests
from capacity.k8s.types import POD_FAILED, POD_SUCCEEDED, Container, Pod, ResourceList

DEFAULT_MILLI_CPU_REQUEST = 100
"""``schedutil.DefaultMilliCPURequest``: cpu counted for a container without a request."""

DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024 * 1000
"""``schedutil.DefaultMemoryRequest`` (200 MiB) in milli-bytes."""


def _is_terminal(pod: Pod) -> bool:
    return pod.phase in (POD_SUCCEEDED, POD_FAILED)


def _with_default_requests(c: Container) -> Container:
    """``applyNonMissing``: a missing cpu / memory request counts as the scheduler default."""
    if "cpu" in c.requests and "memory" in c.requests:
        return c
    req = dict(c.requests)
    req.setdefault("cpu", DEFAULT_MILLI_CPU_REQUEST)
    req.setdefault("memory", DEFAULT_MEMORY_REQUEST)
    return replace(c, requests=req)


def non_zero_requests(pod: Pod) -> tuple[int, int]:
    """``PodRequests`` with ``NonMissingContainerRequests`` (cpu 100m, memory 200Mi):
    the (milli-cpu, milli-bytes memory) the scoring plugins charge for the pod."""
    shadow = replace(
        pod,
        containers=[_with_default_requests(c) for c in pod.containers],
        init_containers=[_with_default_requests(c) for c in pod.init_containers],
    )
    r = pod_requests(shadow)
    return r.get("cpu", 0), r.get("memory", 0)


class NodeInfo:
    """``framework.NodeInfo`` (pkg/scheduler/framework/types.go): a node, its pods and
    their summed requests.

    ``requested`` sums ``PodRequests`` (with overhead) of the pods; ``non_zero_cpu`` /
    ``non_zero_mem`` sum :func:`non_zero_requests`. Terminal pods (Succeeded/Failed) are not
    added: the scheduler's pod informer excludes them (``newPodInformer`` field selector
    ``status.phase!=Succeeded,status.phase!=Failed``). Pods being deleted stay until removed.
    """

    __slots__ = ("_pod_res", "node", "non_zero_cpu", "non_zero_mem", "pods", "requested")

    def __init__(self, node: Node, pods: Iterable[Pod] = ()) -> None:
        self.node = node
        self.pods: list[Pod] = []
        self.requested: dict[str, int] = {}
        self.non_zero_cpu = 0
        self.non_zero_mem = 0
        self._pod_res: dict[int, tuple[ResourceList, int, int]] = {}
        for p in pods:
            self.add_pod(p)

    def add_pod(self, pod: Pod) -> None:
        """``NodeInfo.AddPod``; terminal pods are ignored."""
        if _is_terminal(pod) or id(pod) in self._pod_res:
            return
        req = pod_requests(pod)
        nz_cpu, nz_mem = non_zero_requests(pod)
        self._pod_res[id(pod)] = (req, nz_cpu, nz_mem)
        self.pods.append(pod)
        for k, v in req.items():
            self.requested[k] = self.requested.get(k, 0) + v
        self.non_zero_cpu += nz_cpu
        self.non_zero_mem += nz_mem

    def remove_pod(self, pod: Pod) -> None:
        """``NodeInfo.RemovePod`` (no-op for a pod that is not here)."""
        res = self._pod_res.pop(id(pod), None)
        if res is None:
            return
        req, nz_cpu, nz_mem = res
        self.pods.remove(pod)
        for k, v in req.items():
            self.requested[k] -= v
        self.non_zero_cpu -= nz_cpu
        self.non_zero_mem -= nz_mem

    def __repr__(self) -> str:
        return f"NodeInfo({self.node.name!r}, pods={len(self.pods)})"


class Snapshot:
    """``cache.Snapshot`` (pkg/scheduler/backend/cache/snapshot.go): the cluster as one
    scheduling cycle sees it.

    Keep one and update it with :meth:`add_pod` / :meth:`remove_pod` / :meth:`set_node`
    rather than rebuilding it for every pod: that keeps a cycle O(nodes + pods) in cheap
    operations. Node order is insertion order.
    """

    __slots__ = ("node_infos",)

    def __init__(
        self, nodes: Iterable[Node] = (), pods_by_node: Mapping[str, Iterable[Pod]] | None = None
    ) -> None:
        self.node_infos: dict[str, NodeInfo] = {}
        pods_by_node = pods_by_node or {}
        for n in nodes:
            self.node_infos[n.name] = NodeInfo(n, pods_by_node.get(n.name, ()))

    def set_node(self, node: Node) -> None:
        """Add a node, or replace the Node object of an existing one (keeping its pods)."""
        ni = self.node_infos.get(node.name)
        if ni is None:
            self.node_infos[node.name] = NodeInfo(node)
        else:
            ni.node = node

    def remove_node(self, name: str) -> None:
        """Forget a node and its pods."""
        self.node_infos.pop(name, None)

    def add_pod(self, pod: Pod, node_name: str | None = None) -> None:
        """Account a pod bound to ``node_name`` (default ``pod.node_name``)."""
        ni = self.node_infos.get(node_name or pod.node_name or "")
        if ni is not None:
            ni.add_pod(pod)

    def remove_pod(self, pod: Pod, node_name: str | None = None) -> None:
        """Stop accounting a pod (deleted, or turned terminal)."""
        ni = self.node_infos.get(node_name or pod.node_name or "")
        if ni is not None:
            ni.remove_pod(pod)

    def list(self) -> list[NodeInfo]:
        """All node infos, in node order."""
        return list(self.node_infos.values())

    def __len__(self) -> int:
        return len(self.node_infos)
