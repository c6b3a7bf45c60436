"""Other tenants of the workload's nodes (``nodePools[].background``, DESIGN §10).

Their requests take allocatable room from the scheduler (a stand-in pod per node in the
snapshot); their CPU use is taken from the idle CPU the workload's pods could burst into.
"""

from __future__ import annotations

from typing import Any

from capacity.k8s.quantity import Quantity
from capacity.k8s.types import Container, Pod, resource_list


def cpu_cores(q: str) -> float:
    """A CPU quantity in cores (``250m`` → 0.25)."""
    return Quantity.parse(q).milli_value() / 1000.0


def background_pod(pool: Any, node_name: str) -> Pod | None:
    """A stand-in pod for the other tenants of one node of ``pool`` (their requests), or
    None when the pool declares none. It matches no selector, so it only takes room."""
    bg = pool.background
    if bg is None:
        return None
    req = resource_list({"cpu": bg.requests.cpu, "memory": bg.requests.memory})
    if not any(req.values()):
        return None
    return Pod(name=f"background-{node_name}", namespace="other-tenants", labels={},
               containers=[Container(name="background", requests=req, limits={})],
               node_name=node_name, phase="Running")
