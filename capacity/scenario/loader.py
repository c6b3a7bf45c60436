"""Read scenario files: YAML, ``extends:``, validation, and one-line errors.

``load_scenario(path)`` returns a validated :class:`Scenario` or raises
:class:`~capacity.errors.ScenarioError` naming the file, the field path, the rule and the
value (and the line, when the YAML says where the field is).
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from capacity.errors import ScenarioError
from capacity.scenario.model import Scenario


def _display(path: Path) -> str:
    """A path as the user would recognise it: relative to the working directory if inside."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    shown = _display(path)
    if not path.exists():
        raise ScenarioError("file not found", file=shown)
    if path.is_dir():
        raise ScenarioError("is a directory, not a scenario file", file=shown)
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        problem = e.problem or e.context or "invalid YAML"
        raise ScenarioError(f"YAML syntax error: {problem}", file=shown, line=line) from None
    except yaml.YAMLError as e:  # pragma: no cover - PyYAML always marks its errors
        raise ScenarioError(f"YAML syntax error: {e}", file=shown) from None
    if data is None:
        raise ScenarioError("file is empty: a scenario needs at least name, workload and load",
                            file=shown)
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a mapping of sections", file=shown,
                            value=type(data).__name__, has_value=True)
    return data, node


def _merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; anything else (lists included) is replaced by the override."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``loc``, or of the deepest ancestor found."""
    line = None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if getattr(k, "value", None) == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], dict[tuple[str, ...], tuple[Path, yaml.Node | None]]]:
    """Load ``path`` with its ``extends`` chain merged; also return which file set each section."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(_display(p) for p in (*seen, path))
        raise ScenarioError(f"extends forms a cycle ({chain})", file=_display(seen[-1]),
                            path="extends")
    data, node = _read_yaml(path)
    parent = data.pop("extends", None)
    own = {key: (path, node) for key in data}
    origins: dict[tuple[str, ...], tuple[Path, yaml.Node | None]] = {}
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError("must be a path to another scenario file", file=_display(path),
                                path="extends", value=parent, has_value=True,
                                line=_line_of(node, ("extends",)))
        base_path = path.parent / parent
        if not base_path.exists():
            raise ScenarioError(f"extends a file that does not exist ({_display(base_path)})",
                                file=_display(path), path="extends",
                                line=_line_of(node, ("extends",)))
        base, origins = _resolve(base_path, (*seen, path))
        data = _merge(base, data)
    for key, origin in own.items():
        origins[(key,)] = origin
    return data, origins


def _relative_paths(data: dict[str, Any], origins: dict[tuple[str, ...], tuple[Path, Any]]) -> None:
    """Make file paths inside the scenario relative to the file that named them."""
    load = data.get("load")
    if isinstance(load, dict) and isinstance(load.get("trace"), dict):
        tr = load["trace"]
        if isinstance(tr.get("path"), str):
            owner = origins.get(("load",), (None, None))[0]
            if owner is not None and not os.path.isabs(tr["path"]):
                tr["path"] = str((owner.parent / tr["path"]).resolve())
    pricing = data.get("pricing")
    if isinstance(pricing, dict) and isinstance(pricing.get("file"), str):
        owner = origins.get(("pricing",), (None, None))[0]
        if owner is not None and not os.path.isabs(pricing["file"]):
            pricing["file"] = str((owner.parent / pricing["file"]).resolve())


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic adds union-branch and validator tags (e.g. 'function-after[...]'); drop them.
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in {"str", "int", "float"})))


def _message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if err.get("type") == "extra_forbidden":
        msg = "unknown field (not part of the scenario format)"
    elif err.get("type") == "missing":
        msg = "required field is missing"
    return msg


_FIELD_RULE = re.compile(r"^([a-z][A-Za-z0-9]*) (must .*)$")


def _field_from_message(loc: tuple[Any, ...], msg: str) -> tuple[tuple[Any, ...], str]:
    """Object-level rules name their field first ("maxReplicas must be ..."): move it to the path."""
    m = _FIELD_RULE.match(msg)
    if m:
        return (*loc, m.group(1)), m.group(2)
    return loc, msg


def validation_error(e: ValidationError, file: str | None, node: yaml.Node | None) -> ScenarioError:
    """The first pydantic error as a one-line :class:`ScenarioError`."""
    err = e.errors()[0]
    loc = _clean_loc(tuple(err.get("loc", ())))
    if err.get("type") == "value_error":
        loc, rule = _field_from_message(loc, _message(err))
        value = err.get("input")
        scalar = not isinstance(value, dict | list) and "got " not in rule
        return ScenarioError(rule, file=file, path=_loc_text(loc) or None, value=value,
                             has_value=scalar, line=_line_of(node, loc) if node else None)
    has_value = err.get("type") not in ("missing",) and "input" in err
    value = err.get("input")
    if isinstance(value, dict | list):
        has_value = err.get("type") != "extra_forbidden" and not isinstance(value, dict)
    if err.get("type") == "extra_forbidden":
        has_value = False
    return ScenarioError(_message(err), file=file, path=_loc_text(loc) or None,
                         value=value, has_value=has_value, line=_line_of(node, loc) if node else None)


def scenario_from_dict(data: dict[str, Any], file: str | None = None) -> Scenario:
    """Validate a scenario given as a dict; raises :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, file, None) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file.

    Raises :class:`ScenarioError` for a missing file, YAML errors (with the line), an
    ``extends`` cycle, and any rule of the scenario format.
    """
    p = Path(path)
    data, origins = _resolve(p, ())
    _relative_paths(data, origins)
    shown = _display(p)
    node = origins.get(("name",), (p.resolve(), None))[1]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = _clean_loc(tuple(err.get("loc", ())))
        owner, owner_node = origins.get(loc[:1], (p.resolve(), node)) if loc else (p.resolve(), node)
        raise validation_error(e, _display(owner), owner_node) from None
    _check_files(scenario, shown)
    scenario._source = str(p)
    return scenario


def _check_files(scenario: Scenario, shown: str) -> None:
    tr = scenario.load.trace
    if tr is not None and not Path(tr.path).exists():
        raise ScenarioError("trace file not found", file=shown, path="load.trace.path",
                            value=_display(Path(tr.path)), has_value=True)
    pf = scenario.pricing.file
    if pf is not None and not Path(pf).exists():
        raise ScenarioError("price file not found", file=shown, path="pricing.file",
                            value=_display(Path(pf)), has_value=True)


def _without_required(node: Any) -> Any:
    """A copy of a schema fragment with every ``required`` list dropped."""
    if isinstance(node, dict):
        return {k: _without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def _rename_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", f"#/$defs/{prefix}") if k == "$ref" else
                    _rename_refs(v, prefix)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename_refs(v, prefix) for v in node]
    return node


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files as users write them (for editors and ``jsonschema``).

    Durations, quantities and percentages are strings with their patterns (or numbers).
    A file with ``extends`` inherits what it leaves out, so for it nothing is required:
    it is checked against a copy of the schema without ``required`` (``Partial*`` defs).
    The model's cross-field rules (e.g. one load base) are checked by ``load_scenario``.
    """
    full = Scenario.model_json_schema(mode="validation")
    defs = full.pop("$defs", {})
    extends = {"type": "string",
               "description": "Path of a scenario this one overrides, relative to this file; "
                              "sections given here are deep-merged over it."}
    full["properties"]["extends"] = extends
    partial = _rename_refs(_without_required(full), "Partial")
    partial_defs = {f"Partial{k}": _rename_refs(_without_required(v), "Partial")
                    for k, v in defs.items()}
    full.pop("title", None)
    partial.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "capacity scenario",
        "description": "A capacity scenario file (DESIGN §3).",
        "$defs": {**defs, **partial_defs, "Scenario": full, "PartialScenario": partial},
        "if": {"type": "object", "required": ["extends"]},
        "then": {"$ref": "#/$defs/PartialScenario"},
        "else": {"$ref": "#/$defs/Scenario"},
    }


def dump_schema() -> str:
    return json.dumps(scenario_json_schema(), indent=2, sort_keys=True)
