"""Scenario files: models, loading, ``extends`` and the JSON Schema."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from capacity.scenario.loader import load_scenario, scenario_from_dict, scenario_json_schema
    from capacity.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario", "scenario_from_dict", "scenario_json_schema"]

# Loaded on first use (PEP 562): the command line reads the bounds in
# capacity.scenario.rules without loading the models.
_WHERE = {"Scenario": "capacity.scenario.model", "load_scenario": "capacity.scenario.loader",
          "scenario_from_dict": "capacity.scenario.loader",
          "scenario_json_schema": "capacity.scenario.loader"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'capacity.scenario' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
