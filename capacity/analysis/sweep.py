"""Parameter sweeps: the same scenario over a grid of values, ranked by cost.

A grid file (YAML) names scenario fields by their path and lists values::

    runs: 3                      # optional, per point (default: the scenario's)
    duration: 2d                 # optional
    episodes: 10                 # optional: rare-failure estimate per point (default 0)
    parameters:
      autoscaling.horizontal.minReplicas: [2, 3, 4]
      autoscaling.horizontal.metrics[0].resource.target.averageUtilization: [60, 70, 80]

Every combination is validated as a scenario (errors name the grid file and the path) and
simulated with the same seed, so points differ only by their parameters.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from capacity.api import simulate
from capacity.errors import ScenarioError
from capacity.scenario.loader import validation_error
from capacity.scenario.model import Scenario

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in _PART.findall(path):
        out.append(int(index) if index else name)
    return out


def set_path(data: Any, path: str, value: Any, file: str) -> None:
    """Set ``data[path] = value`` for a dotted path with ``[i]`` indices."""
    parts = _parts(path)
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        try:
            if last:
                node[part] = value
            else:
                nxt = node[part]
                if nxt is None:
                    nxt = node[part] = {}
                node = nxt
        except (KeyError, IndexError, TypeError):
            shown = ".".join(str(p) for p in parts[: i + 1])
            raise ScenarioError("no such field in the scenario", file=file,
                                path=f"parameters.{path}", value=shown, has_value=True) from None


def load_grid(path: Path) -> dict[str, Any]:
    shown = str(path)
    if not path.exists():
        raise ScenarioError("file not found", file=shown)
    try:
        grid = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ScenarioError("YAML syntax error", file=shown, line=mark.line + 1 if mark else None) from None
    params = grid.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ScenarioError("needs a 'parameters' mapping of field path -> list of values",
                            file=shown, path="parameters")
    for k, v in params.items():
        if not isinstance(v, list) or not v:
            raise ScenarioError("must be a non-empty list of values", file=shown,
                                path=f"parameters.{k}", value=v, has_value=True)
    return grid


def points(sc: Scenario, grid: dict[str, Any], file: str) -> list[tuple[dict[str, Any], Scenario]]:
    """Every combination of the grid's values, as (parameters, validated scenario)."""
    base = sc.model_dump(mode="python", by_alias=True, exclude_none=True)
    names = list(grid["parameters"])
    out = []
    for combo in itertools.product(*(grid["parameters"][n] for n in names)):
        data = _copy(base)
        chosen = dict(zip(names, combo, strict=True))
        for n, v in chosen.items():
            set_path(data, n, v, file)
        try:
            point = Scenario.model_validate(data)
        except ValidationError as e:
            raise validation_error(e, f"{file} (point {chosen})", None) from None
        out.append((chosen, point))
    return out


def _copy(x: Any) -> Any:
    import copy

    return copy.deepcopy(x)


def sweep(sc: Scenario, grid: dict[str, Any], file: str, seed: int | None = None,
          workers: int | None = None) -> list[dict[str, Any]]:
    """Simulate every point; rows sorted by monthly cost, cheapest first.

    Each row has the point's SLOs (``slo``: met or not, with the good fraction),
    ``meets_objectives`` (every SLO met), its ``check`` findings (errors and warnings),
    whether it ``relies_on_bursting``, and ``excluded``: why it is not safe to run even
    when it meets the objectives (its PDB blocks drains at its fewest replicas; or, for the
    cheapest candidates until one passes, the objectives fail with the largest zone down).
    ``safe`` = meets the objectives and not excluded. The first safe row is the cheapest
    safe configuration.
    """
    from capacity.analysis.check import run_checks
    from capacity.analysis.fixed import objectives_met, zone_down_scenario
    from capacity.analysis.safety import largest_zone, pdb_blocks_drains
    from capacity.scenario.durations import parse_duration

    rows = []
    for chosen, point in points(sc, grid, file):
        res = simulate(point, runs=grid.get("runs"), seed=seed, duration=grid.get("duration"),
                       workers=workers, record=False, progress=False,
                       episodes=int(grid.get("episodes", 0)))
        s = res.summary
        a = s["availability"]
        best = a.get("episodes") or a
        met, missed = objectives_met(s, point.objectives.availability, "mean")
        h = point.autoscaling.horizontal
        fewest = h.minReplicas if h is not None else (point.workload.deployment.replicas or 1)
        rows.append({
            "parameters": chosen,
            "requests_served": best["requests_served"],
            "time_at_full_capacity": a["time_at_full_capacity"],
            "replicas_mean": s["replicas"]["mean"],
            "cost_per_month": s["cost"]["per_month"],
            "currency": s["cost"]["currency"],
            "latency_p99": s["latency"]["p99"],
            "slo": [{"name": x["name"], "met": x["met"],
                     "good_fraction": x["good_fraction"]["mean"]} for x in s["slo"]],
            "meets_objectives": met if (point.objectives.availability is not None
                                        or point.objectives.latency) else None,
            "missed": missed,
            "meets_objective": None if a.get("objective") is None
            else best["requests_served"]["mean"] >= a["objective"],
            "relies_on_bursting": s["cpu"]["relies_on_bursting"],
            "findings": [f"{f.severity}: {f.code}" for f in run_checks(point)
                         if f.severity in ("error", "warning")],
            "excluded": pdb_blocks_drains(point, fewest),
            "_point": point,
        })
    rows.sort(key=lambda r: r["cost_per_month"])
    # The zone check costs a simulation: only for candidates, cheapest first, until one holds.
    for r in rows:
        if not r["meets_objectives"] or r["excluded"]:
            continue
        point = r["_point"]
        zone = largest_zone(point)
        if zone is None or len(point.cluster.zones) < 2:  # type: ignore[union-attr]
            break
        dur = (parse_duration(grid["duration"]) if grid.get("duration") is not None
               else point.simulation.duration)
        z = simulate(zone_down_scenario(point, zone, dur), runs=grid.get("runs"), seed=seed,
                     duration=grid.get("duration"), workers=workers, record=False,
                     progress=False)
        ok, why = objectives_met(z.summary, point.objectives.availability, "mean")
        if ok:
            break
        r["excluded"] = f"with zone {zone} down: " + "; ".join(why)
    for r in rows:
        r.pop("_point")
        r["safe"] = bool(r["meets_objectives"]) and not r["excluded"]
    return rows
