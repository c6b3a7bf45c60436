"""Per-run constants derived from the scenario's workload, and the simulated pod record.

``WorkloadModel`` turns the pod template and the ``demand`` section into plain numbers
the hot loop reads (requests in milli-units, CPU per request, throughput ceiling,
probe specs, preStop and grace times). ``SimPod`` wraps a :class:`capacity.k8s.types.Pod`
with the simulation's bookkeeping (CPU integral, metrics-server samples, endpoint state).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from capacity.k8s.probes import ProbeSpec, probe_from_fields
from capacity.k8s.quantity import Quantity
from capacity.k8s.resources import pod_limits, pod_requests
from capacity.k8s.types import Container, Pod, PodMetric, resource_list
from capacity.scenario.model import Scenario
from capacity.sim.admission import defaulted_pod

GIB = 1024**3


def _containers(specs: list[dict] | None) -> list[Container]:
    """Containers of a Kubernetes-shaped pod spec (after admission defaults)."""
    out = []
    for c in specs or []:
        res = c.get("resources") or {}
        out.append(
            Container(
                name=c["name"],
                requests=resource_list(res.get("requests")),
                limits=resource_list(res.get("limits")),
                restart_policy=c.get("restartPolicy"),
            )
        )
    return out


def _pre_stop_seconds(container) -> float:
    """preStop duration: a ``sleep`` action, or an exec of ``sleep N``; else 0."""
    lc = container.lifecycle
    if lc is None or lc.preStop is None:
        return 0.0
    if lc.preStop.sleep is not None:
        return float(lc.preStop.sleep.seconds)
    ex = lc.preStop.exec
    if ex is not None and ex.command:
        m = re.search(r"\bsleep\s+(\d+(?:\.\d+)?)", " ".join(ex.command))
        if m:
            return float(m.group(1))
    return 0.0


@dataclass
class WorkloadModel:
    """Numbers of one workload that the model reads on every event."""

    name: str
    namespace: str
    labels: dict[str, str]
    containers: list[Container]
    init_containers: list[Container]
    overhead: dict[str, int]
    requests: dict[str, int]  # effective pod requests, milli-units, incl. overhead
    limits: dict[str, int]
    serving_container: str
    cpu_per_request: float  # CPU-seconds
    base_cpu: float  # cores
    startup_cpu: float  # cores
    base_memory: float  # bytes
    memory_per_inflight: float  # bytes
    latency: float  # seconds
    capacity_rps: float  # per-pod ceiling at its CPU limit (or concurrency), requests/s
    serving_request_cpu: float  # cores: the serving container's CPU request
    serving_limit_cpu: float  # cores: its CPU limit (inf: none)
    startup_probe: ProbeSpec | None
    readiness_probe: ProbeSpec | None
    pre_stop: float
    grace: float
    min_ready_seconds: float

    @classmethod
    def from_scenario(cls, sc: Scenario) -> WorkloadModel:
        wl = sc.workload
        tmpl = wl.deployment.template
        spec = tmpl.spec
        # The pod as the API server stores it: RuntimeClass overhead and LimitRange
        # defaults applied (what the scheduler, the HPA and the quota read).
        admitted, _ = defaulted_pod(sc)
        aspec = admitted["spec"]
        containers = _containers(aspec.get("containers"))
        inits = _containers(aspec.get("initContainers"))
        overhead = resource_list(aspec.get("overhead"))
        probe_pod = Pod(name="template", containers=containers, init_containers=inits,
                        overhead=overhead)
        requests = pod_requests(probe_pod)
        limits = pod_limits(probe_pod)
        serving_name = sc.serving_container
        serving = next(c for c in spec.containers if c.name == serving_name)
        d = wl.demand
        base_cpu = Quantity.parse(d.baseCpu).milli_value() / 1000.0
        startup_cpu = (Quantity.parse(d.startupCpu).milli_value() / 1000.0
                       if d.startupCpu is not None else base_cpu)
        serving_c = next(c for c in containers if c.name == serving_name)
        limit_cpu = (serving_c.limits["cpu"] / 1000.0 if "cpu" in serving_c.limits
                     else float("inf"))
        request_cpu = serving_c.requests.get("cpu", 0) / 1000.0
        # The most a pod completes: its workers, or the cores of its limit less its base.
        work_cores = min(float(d.concurrency) if d.concurrency else float("inf"),
                         max(limit_cpu - base_cpu, 0.0))
        cap = work_cores / d.cpuPerRequest
        if d.maxRequestsPerSecondPerPod is not None:
            cap = min(cap, d.maxRequestsPerSecondPerPod)
        labels = dict(tmpl.metadata.labels) or {"app": wl.name}
        grace = float(spec.terminationGracePeriodSeconds
                      if spec.terminationGracePeriodSeconds is not None else 30)
        return cls(
            name=wl.name,
            namespace=sc.namespace.name,
            labels=labels,
            containers=containers,
            init_containers=inits,
            overhead=overhead,
            requests=requests,
            limits=limits,
            serving_container=serving_name,
            cpu_per_request=d.cpuPerRequest,
            base_cpu=base_cpu,
            startup_cpu=startup_cpu,
            base_memory=float(Quantity.parse(d.baseMemory).value()),
            memory_per_inflight=float(Quantity.parse(d.memoryPerInflightRequest).value()),
            latency=d.latency,
            capacity_rps=cap,
            serving_request_cpu=request_cpu,
            serving_limit_cpu=limit_cpu,
            startup_probe=probe_from_fields(serving.startupProbe),
            readiness_probe=probe_from_fields(serving.readinessProbe),
            pre_stop=_pre_stop_seconds(serving),
            grace=grace,
            min_ready_seconds=float(wl.deployment.minReadySeconds),
        )


# Pod modes for CPU accounting
OFF, IDLE, SERVING = 0, 1, 2


class SimPod:
    """A pod in the model: the API object plus the model's bookkeeping."""

    __slots__ = (
        "alive",  # False while its node is dead (requests sent to it are lost)
        "cls",  # its queue's class in the serving model while it serves
        "container_start",
        "cpu_metric",
        "cum",
        "deleted",
        "endpoint",
        "hk_c",  # the latest cAdvisor reading: cumulative CPU seconds,
        "hk_mv",  # working set in milli-bytes,
        "hk_next",  # the time of the next reading,
        "hk_t",  # and the time of the latest (None: none yet)
        "holding",
        "m_last_c",
        "m_last_t",
        "m_prev_c",
        "m_prev_t",
        "mem_metric",
        "mode",
        "node",
        "pod",
        "rate",
        "ready_at",
        "rev",
        "rs",
        "s0",
        "spot",  # bound to a spot node (priced at spot prices)
        "t0",
    )

    def __init__(self, pod: Pod, rs: str, rev: int) -> None:
        self.pod = pod
        self.rs = rs
        self.rev = rev
        self.alive = True
        self.cls = None
        self.container_start: float | None = None
        self.cum = 0.0
        self.deleted = False
        self.endpoint = False
        self.hk_t: float | None = None
        self.hk_next = math.inf
        self.hk_c = 0.0
        self.hk_mv = 0
        self.m_last_t: float | None = None
        self.m_last_c = 0.0
        self.m_prev_t: float | None = None
        self.m_prev_c = 0.0
        self.cpu_metric: PodMetric | None = None  # this pod's entry in the metrics API
        self.mem_metric: PodMetric | None = None
        self.mode = OFF
        self.node: str | None = None
        self.rate = 0.0
        self.s0 = 0.0
        self.t0 = 0.0
        self.holding = False
        self.spot = False
        self.ready_at: float | None = None
