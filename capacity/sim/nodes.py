"""The simulated nodes and the records of what happened to them (drains, failures).

Shared by the cluster (:mod:`capacity.sim.cluster`) and the cluster autoscaler
(:mod:`capacity.sim.autoscaler`), so that neither imports the other for its types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from capacity.k8s.node import Node

if TYPE_CHECKING:
    from capacity.sim.workload import SimPod


class SimNode:
    """A node of the model: the API object plus kubelet/controller bookkeeping."""

    __slots__ = (
        "alive",
        "detect_at",
        "detected",
        "down_causes",
        "down_since",
        "gen",
        "hb_phase",
        "kind_down",
        "name",
        "node",
        "pods",
        "pool",
        "price",
        "removed",
        "spot",
        "tainted_at",
        "zone",
    )

    def __init__(self, node: Node, zone: str, pool: str, spot: bool, hb_phase: float,
                 price: float) -> None:
        self.node = node
        self.name = node.name
        self.zone = zone
        self.pool = pool
        self.spot = spot
        self.alive = True
        self.detected = False  # NotReady marked by the node lifecycle controller
        self.detect_at = 0.0
        self.down_causes = 0  # overlapping failures keeping it down
        self.down_since: float | None = None
        self.gen = 0  # incarnation: bumps at every failure
        self.hb_phase = hb_phase
        self.kind_down = ""
        self.pods: list[SimPod] = []
        self.tainted_at: float | None = None
        self.removed = False
        self.price = price


@dataclass
class DrainRecord:
    """One drain: when it started and ended, how long evictions were refused (429)."""

    node: str
    reason: str
    start: float
    end: float | None = None
    refusals: int = 0
    pods: int = 0
    first_refusal: float | None = None
    last_refusal: float | None = None

    @property
    def blocked_seconds(self) -> float:
        """Wall time from the first refused eviction (429) to the end of the refusals."""
        if self.first_refusal is None:
            return 0.0
        return (self.last_refusal or self.first_refusal) - self.first_refusal


@dataclass
class FailureRecord:
    """One failure episode and its impact (filled in while the run goes on)."""

    kind: str
    target: str
    start: float
    end: float | None = None
    nodes: list[str] = field(default_factory=list)
    alive_before: int = 0  # ready pods when it began
    struck: bool = True  # its nodes have gone down (a spot notice or a drain comes first)
    recovered: float | None = None  # ready pods back (to before, or to spec.replicas)
    lost_requests: float = 0.0  # requests not served while it was the latest open failure
    downtime: float = 0.0  # seconds with no ready pod, likewise
    index: int = -1  # position in the run's failure list
