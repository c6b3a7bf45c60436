"""Scenario files: models, loading, ``extends`` and the JSON Schema."""

from capacity.scenario.loader import load_scenario, scenario_from_dict, scenario_json_schema
from capacity.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario", "scenario_from_dict", "scenario_json_schema"]
