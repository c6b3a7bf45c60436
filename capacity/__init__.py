"""capacity: offline Kubernetes capacity, availability and cost planning.

>>> import capacity
>>> result = capacity.simulate("scenarios/peak.yaml", runs=1)   # doctest: +SKIP
>>> result.summary["availability"]["requests_served"]["mean"]   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from capacity.api import SimulationResult, simulate, sweep
    from capacity.errors import CapacityError, ScenarioError, SimulationError
    from capacity.scenario.loader import load_scenario
    from capacity.scenario.model import Scenario

# Imported on first use (PEP 562), so ``python -m capacity --help`` and the command line's
# signal handlers come before pandas, scipy and pydantic are loaded.
_WHERE = {
    "SimulationResult": "capacity.api", "simulate": "capacity.api", "sweep": "capacity.api",
    "CapacityError": "capacity.errors", "ScenarioError": "capacity.errors",
    "SimulationError": "capacity.errors", "load_scenario": "capacity.scenario.loader",
    "Scenario": "capacity.scenario.model",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"capacity.{name}") is not None:
        return importlib.import_module(f"capacity.{name}")  # capacity.api, capacity.sim, ...
    raise AttributeError(f"module 'capacity' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__", *(n for n in globals() if n.startswith("__"))})


__all__ = [
    "CapacityError",
    "Scenario",
    "ScenarioError",
    "SimulationError",
    "SimulationResult",
    "load_scenario",
    "simulate",
    "sweep",
]
__version__ = "0.1.0"
