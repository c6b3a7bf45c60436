"""What one run records: flat timeseries rows, Kubernetes-style events, and integrals.

The observer is deliberately dumb: the model calls ``event(...)`` and ``row(...)``; it
appends to lists (columnar for the timeseries) and converts to pandas only at the end.
With ``record=False`` rows and events are counted but not kept, so memory does not grow
with simulated time.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TIMESERIES_COLUMNS = (
    "time",
    "offered_rps",
    "served_rps",
    "desired_replicas",
    "spec_replicas",
    "ready_replicas",
    "pending_pods",
    "cpu_utilization",
    "memory_utilization",
    "nodes_ready",
    "cost_per_hour",
    "endpoints",
    "capacity_rps",
    "inflight",
    "errors_cum",  # requests lost so far; becomes error_rps at the end of the run
)
# Added at the end of a run from the serving model (DESIGN §5).
DERIVED_COLUMNS = ("error_rps", "latency_p50", "latency_p99")

EVENT_COLUMNS = ("time", "reason", "kind", "name", "message", "type")


@dataclass
class Integrals:
    """Time integrals over the measured part of a run (after warm-up)."""

    measured_seconds: float = 0.0
    offered_requests: float = 0.0
    served_requests: float = 0.0
    seconds_with_ready_pod: float = 0.0
    seconds_at_full_capacity: float = 0.0  # ready capacity covered the offered load
    seconds_all_desired_ready: float = 0.0  # ready pods >= the Deployment's spec.replicas
    replica_seconds: float = 0.0  # ∫ pods holding requests dt
    spec_replica_seconds: float = 0.0  # ∫ Deployment spec.replicas dt
    ready_replica_seconds: float = 0.0
    cost: float = 0.0  # currency, request-based (OpenCost max(request, usage))
    cpu_request_core_seconds: float = 0.0
    cpu_usage_core_seconds: float = 0.0
    memory_request_gib_seconds: float = 0.0
    memory_usage_gib_seconds: float = 0.0
    node_cost: float = 0.0
    node_seconds: float = 0.0
    alive_seconds: dict[int, float] = field(default_factory=dict)  # ready pods → seconds
    cpu_allocated_core_seconds: float = 0.0  # ∫ Σ max(request, usage) dt
    memory_allocated_gib_seconds: float = 0.0
    node_seconds_by_pool: dict[str, float] = field(default_factory=dict)  # nodes existing
    # The part of the allocation and of the pod-time on spot nodes (priced at spot prices).
    cpu_allocated_spot_core_seconds: float = 0.0
    memory_allocated_spot_gib_seconds: float = 0.0
    replica_seconds_spot: float = 0.0
    # The serving model: errors by reason (requests) and ∫ requests in flight dt.
    errors: dict[str, float] = field(default_factory=dict)
    inflight_seconds: float = 0.0
    cpu_above_request_core_seconds: float = 0.0  # request work run on burst CPU
    cpu_work_core_seconds: float = 0.0  # request work in all


@dataclass
class Recorder:
    run: int
    record: bool = True
    # Rows go into one flat array('d'): 8 bytes a value (a list of floats takes about 32)
    # and one C call per row.
    flat: array[float] = field(default_factory=lambda: array("d"))
    events: list[tuple[Any, ...]] = field(default_factory=list)
    event_counts: Counter[str] = field(default_factory=Counter)
    integrals: Integrals = field(default_factory=Integrals)
    replicas_min: float = float("inf")
    replicas_max: float = float("-inf")
    peak: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # The first message of each Warning reason (kept even when events are not recorded, so
    # a summary can say why, e.g., no pod was ever admitted).
    first_warnings: dict[str, str] = field(default_factory=dict)

    def event(self, time: float, reason: str, kind: str, name: str, message: str,
              type: str = "Normal") -> None:
        self.event_counts[reason] += 1
        if type == "Warning" and reason not in self.first_warnings:
            self.first_warnings[reason] = message
        if self.record:
            self.events.append((time, reason, kind, name, message, type))

    def row(self, values: tuple[float, ...]) -> None:
        """One timeseries row, values in the order of ``TIMESERIES_COLUMNS``."""
        self.flat.extend(values)

    def _rows(self) -> np.ndarray:
        k = len(TIMESERIES_COLUMNS)
        return (np.frombuffer(self.flat, dtype=float).reshape(-1, k) if len(self.flat)
                else np.zeros((0, k)))

    def column(self, name: str) -> np.ndarray:
        """One column of the rows (a copy)."""
        return self._rows()[:, TIMESERIES_COLUMNS.index(name)].copy()

    def column_arrays(self, release: bool = False) -> dict[str, np.ndarray]:
        """The rows as one contiguous numpy array per column; ``release`` then drops the
        row buffer (the columns are the only copy left)."""
        data = np.ascontiguousarray(self._rows().T)
        if release:
            self.flat = array("d")
        return {c: data[i] for i, c in enumerate(TIMESERIES_COLUMNS)}

    def see_replicas(self, n: int) -> None:
        if n < self.replicas_min:
            self.replicas_min = n
        if n > self.replicas_max:
            self.replicas_max = n
