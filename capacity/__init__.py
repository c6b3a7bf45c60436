"""capacity: offline Kubernetes capacity, availability and cost planning.

>>> import capacity
>>> result = capacity.simulate("scenarios/peak.yaml", runs=1)   # doctest: +SKIP
>>> result.summary["availability"]["requests_served"]["mean"]   # doctest: +SKIP
"""

from capacity.api import SimulationResult, simulate, sweep
from capacity.errors import CapacityError, ScenarioError, SimulationError
from capacity.scenario.loader import load_scenario
from capacity.scenario.model import Scenario

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
