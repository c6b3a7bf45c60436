"""Sweep grids: read, check and expand a grid of scenario values.

A grid file (YAML) names scenario fields by their path and lists values::

    runs: 3                      # optional, per point (default: the scenario's)
    duration: 2d                 # optional
    episodes: 10                 # optional: rare-failure estimate per point (default 0)
    parameters:
      autoscaling.horizontal.minReplicas: [2, 3, 4]
      autoscaling.horizontal.metrics[0].resource.target.averageUtilization: [60, 70, 80]

Every path is checked against the scenario's models before any point is built, and every
combination is validated as a scenario (errors name the grid file, the line and the path) and
as a bounded run. :func:`capacity.study.sweep.sweep` simulates the points.
"""

from __future__ import annotations

import itertools
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from capacity.errors import ScenarioError
from capacity.scenario.durations import parse_duration
from capacity.scenario.limits import run_bound_problem
from capacity.scenario.loader import line_of, loc_text, validation_error
from capacity.scenario.model import MAX_RUNS, Scenario
from capacity.scenario.rules import MAX_EPISODES

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_./-]+?|\[\d+\])*$")
GRID_KEYS = ("parameters", "runs", "duration", "episodes")
#: Points of one grid: each is a full simulation.
MAX_POINTS = 10_000


def _parts(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in _PART.findall(path):
        out.append(int(index) if index else name)
    return out


def _unwrap(tp: Any) -> Any:
    """The type inside Optional, Annotated and unions of one model (``X | None``)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else args[0]
        else:
            return tp


def model_path_problem(path: str) -> str | None:
    """Why ``path`` names no field of a scenario (None when it names one).

    Walks the models' field names, so a typo is found before any point is built.
    Below a field typed as a free mapping (labels, resources) any key is allowed.
    """
    if not _PATH.match(path):
        return "is not a field path such as a.b[0].c"
    tp: Any = Scenario
    for i, part in enumerate(_parts(path)):
        tp = _unwrap(tp)
        shown = ".".join(str(p) for p in _parts(path)[: i + 1])
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {f.alias or n: f for n, f in tp.model_fields.items()}
            fields.update(tp.model_fields)
            if not isinstance(part, str) or part not in fields:
                known = ", ".join(sorted(tp.model_fields))
                return f"no such field in the scenario: {shown} (fields there: {known})"
            tp = fields[part].annotation
            continue
        origin = typing.get_origin(tp)
        if origin is list:
            if not isinstance(part, int):
                return f"{shown}: a list needs an index such as [0]"
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif tp is Any:
            return None
        else:
            return f"no such field in the scenario: {shown} (a value has no fields)"
    return None


def set_path(data: Any, path: str, value: Any, file: str) -> None:
    """Set ``data[path] = value`` for a dotted path with ``[i]`` indices.

    The path is one the models have (:func:`model_path_problem`); a section the scenario
    leaves unset is created on the way (``autoscaling.vertical.updatePolicy.updateMode``),
    but a list item must exist. Raises ScenarioError naming the path."""
    parts = _parts(path)
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                        for p in parts[: i + 1]).lstrip(".")
        if (not last and isinstance(node, dict) and isinstance(part, str)
                and node.get(part) is None):
            if isinstance(parts[i + 1], int):
                raise ScenarioError("the scenario does not set this list: write its items in "
                                    "the scenario first", file=file, path=f"parameters.{path}",
                                    value=shown, has_value=True)
            node[part] = {}
        try:
            if last:
                node[part] = value
            else:
                node = node[part]
        except IndexError:
            raise ScenarioError(f"the scenario's list has {len(node)} item(s)", file=file,
                                path=f"parameters.{path}", value=shown, has_value=True) from None
        except (KeyError, TypeError):
            raise ScenarioError("no such field in the scenario", file=file,
                                path=f"parameters.{path}", value=shown, has_value=True) from None


def load_grid(path: Path) -> dict[str, Any]:
    """Read and check a grid file; errors name the file, the line and the key or path."""
    from capacity.scenario.loader import display_path, parse_yaml, read_text_file

    shown = display_path(Path(path))
    text = read_text_file(Path(path), shown, "grid file")
    grid, node = parse_yaml(text, shown)
    return check_grid({} if grid is None else grid, shown, node)


def check_grid(grid: Any, shown: str, node: Any = None) -> dict[str, Any]:
    """Check a grid given as data (``node``: its YAML node, for line numbers); returns it
    without its empty keys. Raises ScenarioError naming ``shown`` and the key or path."""
    if not isinstance(grid, dict):
        raise ScenarioError("a grid must be a mapping with a 'parameters' key", file=shown)

    def fail(rule: str, loc: tuple[Any, ...], value: Any = None,
             has_value: bool = False) -> typing.NoReturn:
        raise ScenarioError(rule, file=shown, path=loc_text(loc), value=value,
                            has_value=has_value, line=line_of(node, loc) if node else None)

    for k in grid:
        if k not in GRID_KEYS:
            fail(f"unknown key (a grid has {', '.join(GRID_KEYS)})", (k,))
    # `runs:` with no value is the same as no `runs:` (the scenario's).
    grid = {k: v for k, v in grid.items() if v is not None or k == "parameters"}
    params = grid.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ScenarioError("needs a 'parameters' mapping of field path -> list of values",
                            file=shown, path="parameters")
    n = 1
    for k, v in params.items():
        if not isinstance(k, str):
            fail("must be a field path such as a.b[0].c", ("parameters", k), k, True)
        why = model_path_problem(k)
        if why:
            fail(why, ("parameters", k))
        if not isinstance(v, list) or not v:
            fail("must be a non-empty list of values", ("parameters", k), v, True)
        n *= len(v)
    if n > MAX_POINTS:
        fail(f"{n} combinations, more than {MAX_POINTS} points (each a full simulation)",
             ("parameters",))
    runs = grid.get("runs")
    if runs is not None and (isinstance(runs, bool) or not isinstance(runs, int)
                             or not 1 <= runs <= MAX_RUNS):
        fail(f"must be an integer from 1 to {MAX_RUNS}", ("runs",), runs, True)
    if runs is not None and n * runs > MAX_RUNS:
        fail(f"{n} points x {runs} runs is {n * runs} simulations, more than {MAX_RUNS}",
             ("runs",), runs, True)
    episodes = grid.get("episodes")
    if episodes is not None and (isinstance(episodes, bool) or not isinstance(episodes, int)
                                 or not 0 <= episodes <= MAX_EPISODES):
        fail(f"must be an integer from 0 to {MAX_EPISODES}", ("episodes",), episodes, True)
    if grid.get("duration") is not None:
        try:
            seconds = parse_duration(grid["duration"])
        except ValueError as e:
            fail(str(e), ("duration",), grid["duration"], True)
        if seconds <= 0:
            fail("must be > 0", ("duration",), grid["duration"], True)
    return grid


def points(sc: Scenario, grid: dict[str, Any], file: str) -> list[tuple[dict[str, Any], Scenario]]:
    """Every combination of the grid's values, as (parameters, validated scenario).

    Each point must also be a bounded run at the grid's ``duration``.
    """
    base = sc.model_dump(mode="python", by_alias=True, exclude_none=True)
    names = list(grid["parameters"])
    duration = parse_duration(grid["duration"]) if grid.get("duration") is not None else None
    out = []
    for combo in itertools.product(*(grid["parameters"][n] for n in names)):
        data = _copy(base)
        chosen = dict(zip(names, combo, strict=True))
        for n, v in chosen.items():
            set_path(data, n, v, file)
        where = f"{file} (point {chosen})"
        try:
            point = Scenario.model_validate(data)
        except ValidationError as e:
            raise validation_error(e, where, None) from None
        if duration is not None:
            if duration <= point.simulation.warmup:
                raise ScenarioError(f"must be longer than simulation.warmup "
                                    f"({point.simulation.warmup:g}s)", file=where,
                                    path="duration", value=grid["duration"], has_value=True)
            err = run_bound_problem(point, duration, "the grid's duration")
            if err is not None:
                raise ScenarioError(err.rule, file=where, path=loc_text(err.loc) or None)
        out.append((chosen, point))
    return out


def _copy(x: Any) -> Any:
    import copy

    return copy.deepcopy(x)
