"""Read scenario files: YAML, ``extends:``, validation, and one-line errors.

``load_scenario(path)`` returns a validated :class:`Scenario` or raises
:class:`~capacity.errors.ScenarioError` naming the file, the field path, the rule and the
value (and the line, when the YAML says where the field is).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from capacity.errors import ScenarioError
from capacity.scenario.model import Scenario
from capacity.scenario.rules import MAX_PRICE, MAX_RPS, FieldError

#: A scenario is a page or two of YAML; these bounds refuse what is no scenario at all
#: (a log file by mistake, a billion-laughs document) before it takes memory or time.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000
#: Trace and price files: large traces are fine, a disk image is not.
MAX_DATA_FILE_BYTES = 2 * 1024**3
YAML_SUFFIXES = (".yaml", ".yml")
#: Trace times are seconds, relative or since 1970; beyond this they are a typo.
MAX_TRACE_TIME = 1e11


def _display(path: Path) -> str:
    """A path as the user would recognise it: relative to the working directory if inside."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def read_text_file(path: Path, shown: str, what: str = "file",
                   max_bytes: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``, or a one-line :class:`ScenarioError` saying why not."""
    try:
        if not path.exists():
            raise ScenarioError(f"{what} not found", file=shown)
        if path.is_dir():
            raise ScenarioError(f"is a directory, not a {what}", file=shown)
        if not path.is_file():
            raise ScenarioError(f"is not a regular file, so not a {what}", file=shown)
        if path.stat().st_size > max_bytes:
            raise ScenarioError(f"is larger than {max_bytes // 1024**2} MiB, too large for a "
                                f"{what}", file=shown)
        raw = path.read_bytes()
    except OSError as e:
        raise ScenarioError(f"cannot be read ({e.strerror or e})", file=shown) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(f"is UTF-16 text; save the {what} as UTF-8", file=shown)
    if b"\x00" in raw:
        raise ScenarioError(f"is a binary file, not a {what}", file=shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ScenarioError(f"is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                            f"save the {what} as UTF-8", file=shown, line=line) from None
    return text.removeprefix("\ufeff")


class ScenarioYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps a malformed date or an oversized integer as the string it is.

    PyYAML turns ``2026-13-45T99:00:00`` into a ``datetime`` and fails with a bare
    ValueError; as a string it reaches the model, which names the field and the rule.
    """

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # more digits than int() converts
            raise yaml.constructor.ConstructorError(
                None, None, "integer with too many digits", node.start_mark) from None


ScenarioYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", ScenarioYamlLoader.construct_yaml_timestamp)
ScenarioYamlLoader.add_constructor("tag:yaml.org,2002:int", ScenarioYamlLoader.construct_yaml_int)


def _check_depth(text: str, shown: str) -> None:
    """Nesting deeper than :data:`MAX_DEPTH`, found from the event stream (the composer
    recurses, so it would overflow the stack on 3,000 nested lists)."""
    depth = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(f"YAML nested more than {MAX_DEPTH} levels deep", file=shown,
                                    line=ev.start_mark.line + 1)
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1


def check_yaml_nodes(root: yaml.Node, shown: str) -> None:
    """Duplicate keys (naming both lines) and documents that explode through aliases."""
    expanded: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        # Depth is bounded by _check_depth, so recursion is safe; aliases share nodes,
        # and the memo counts each shared node's expansion once per use.
        key = id(node)
        if key in expanded:
            return expanded[key]
        expanded[key] = 1  # a cycle through an anchor counts once
        n = 1
        if isinstance(node, yaml.MappingNode):
            n += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n += sum(size(v) for v in node.value)
        expanded[key] = min(n, MAX_NODES + 1)
        return expanded[key]

    if size(root) > MAX_NODES:
        raise ScenarioError(f"YAML has more than {MAX_NODES} values once its aliases are "
                            "expanded", file=shown)

    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    line = k.start_mark.line + 1
                    if (k.tag, k.value) in first:
                        raise ScenarioError(
                            f"duplicate key {k.value!r} (lines {first[(k.tag, k.value)]} and "
                            f"{line}): YAML would keep the second silently",
                            file=shown, line=line, path=_loc_text((*loc, k.value)) or None)
                    first[(k.tag, k.value)] = line
                    stack.append((v, (*loc, k.value)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, (*loc, i)) for i, v in enumerate(node.value))


def _yaml_error(e: yaml.YAMLError, text: str, shown: str) -> ScenarioError:
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        problem = e.problem or e.context or "invalid YAML"
    elif isinstance(e, yaml.reader.ReaderError):
        line = text[: e.position].count("\n") + 1
        problem = f"unacceptable character #x{e.character:04x}: special characters are not allowed"
    else:  # pragma: no cover - PyYAML marks its other errors
        line, problem = None, str(e)
    return ScenarioError(f"YAML syntax error: {' '.join(str(problem).split())}", file=shown,
                         line=line)


def parse_yaml(text: str, shown: str) -> tuple[Any, yaml.Node | None]:
    """Data and node tree of one YAML document, with the limits and duplicate-key rule."""
    try:
        _check_depth(text, shown)
        loader = ScenarioYamlLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, None
            check_yaml_nodes(node, shown)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise _yaml_error(e, text, shown) from None
    except RecursionError:  # pragma: no cover - _check_depth bounds the nesting
        raise ScenarioError("YAML nested too deeply", file=shown) from None
    return data, node


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    shown = _display(path)
    text = read_text_file(path, shown, "scenario file")
    data, node = parse_yaml(text, shown)
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
        if not parent.lower().endswith(YAML_SUFFIXES):
            raise ScenarioError("must name a YAML scenario file (.yaml or .yml)",
                                file=_display(path), path="extends", value=parent, has_value=True,
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
    """``("a", 0, "b")`` → ``a[0].b``."""
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


def error_details(err: dict[str, Any]) -> tuple[tuple[Any, ...], str, Any, bool]:
    """(field path, rule, value, whether to show the value) of one pydantic error."""
    loc = _clean_loc(tuple(err.get("loc", ())))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        return (*loc, *cause.loc), cause.rule, cause.value, cause.has_value
    value = err.get("input")
    if err.get("type") == "value_error":
        loc, rule = _field_from_message(loc, _message(err))
        return loc, rule, value, not isinstance(value, dict | list) and "got " not in rule
    has_value = err.get("type") not in ("missing",) and "input" in err
    if isinstance(value, dict | list):
        has_value = err.get("type") != "extra_forbidden" and not isinstance(value, dict)
    if err.get("type") == "extra_forbidden":
        has_value = False
    return loc, _message(err), value, has_value


def validation_error(e: ValidationError, file: str | None, node: yaml.Node | None) -> ScenarioError:
    """The first pydantic error as a one-line :class:`ScenarioError`."""
    loc, rule, value, has_value = error_details(e.errors()[0])
    return ScenarioError(rule, file=file, path=_loc_text(loc) or None, value=value,
                         has_value=has_value, line=_line_of(node, loc) if node else None)


def scenario_from_dict(data: dict[str, Any], file: str | None = None) -> Scenario:
    """Validate a scenario given as a dict; raises :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, file, None) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file.

    Raises :class:`ScenarioError` for a missing, unreadable, binary or non-UTF-8 file,
    YAML errors (with the line), duplicate keys (with both lines), YAML beyond the depth
    and size limits, an ``extends`` cycle or non-YAML target, any rule of the scenario
    format, and trace or price files that are missing, not text, or hold non-finite values.
    """
    p = Path(path)
    data, origins = _resolve(p, ())
    _relative_paths(data, origins)
    shown = _display(p)
    node = origins.get(("name",), (p.resolve(), None))[1]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        loc = error_details(e.errors()[0])[0]
        owner, owner_node = origins.get(loc[:1], (p.resolve(), node)) if loc else (p.resolve(), node)
        raise validation_error(e, _display(owner), owner_node) from None
    except RecursionError:  # an alias that contains itself
        raise ScenarioError("YAML refers to itself through an alias", file=shown) from None
    _check_files(scenario, shown)
    scenario._source = str(p)
    return scenario


def _check_files(scenario: Scenario, shown: str) -> None:
    """The trace and price files exist, are text, and hold finite numbers."""
    tr = scenario.load.trace
    if tr is not None:
        tp = Path(tr.path)
        _check_data_path(tp, "trace file", shown, "load.trace.path")
        _check_trace(scenario, tp)
    pf = scenario.pricing.file
    if pf is not None:
        pp = Path(pf)
        _check_data_path(pp, "price file", shown, "pricing.file")
        text = read_text_file(pp, _display(pp), "price file", MAX_FILE_BYTES)
        if pp.suffix.lower() != ".json":
            data, _ = parse_yaml(text, _display(pp))
        else:
            try:
                data = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as e:
                raise ScenarioError(f"price file syntax error: {' '.join(str(e).split())}",
                                    file=_display(pp)) from None
        if not isinstance(data, dict):
            raise ScenarioError("a price file must be a mapping of price fields",
                                file=_display(pp))
        _check_prices(data, _display(pp))


def _check_prices(data: dict[str, Any], shown: str) -> None:
    """The price file's numbers within the rules of the ``pricing`` section (finite, >= 0,
    at most MAX_PRICE per hour) and its currency not empty, whatever the keys' dialect
    (ours or OpenCost's; the cost model maps the keys)."""
    if set(data) == {"pricing"} and isinstance(data["pricing"], dict):
        data = data["pricing"]
    items = [(str(k), v) for k, v in data.items() if k != "nodes"]
    if isinstance(data.get("nodes"), dict):
        items += [(f"nodes.{k}", v) for k, v in data["nodes"].items()]
    for key, v in items:
        if key in ("currency", "currencyCode"):
            if not isinstance(v, str) or not v.strip():
                raise ScenarioError("must be a currency code such as USD", file=shown, path=key,
                                    value=v, has_value=True)
            continue
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            continue  # the cost model names what is wrong with it
        try:
            x = float(v)
        except (ValueError, OverflowError):
            continue
        if not math.isfinite(x) or x < 0 or x > MAX_PRICE:
            raise ScenarioError(f"must be a finite price per hour from 0 to {MAX_PRICE:g}",
                                file=shown, path=key, value=v, has_value=True)


def _check_data_path(path: Path, what: str, shown: str, field: str) -> None:
    """A file the scenario names exists and is a regular file (error names the field)."""
    if not path.exists():
        rule = f"{what} not found"
    elif path.is_dir():
        rule = f"is a directory, not a {what}"
    elif not path.is_file():
        rule = f"is not a regular file, so not a {what}"
    else:
        return
    raise ScenarioError(rule, file=shown, path=field, value=_display(path), has_value=True)


def _bad_number(text: str) -> str | None:
    """Why a number in a data file cannot be used: not finite (NaN, inf), or None."""
    try:
        x = float(text)
    except ValueError:
        return None  # not a number: the trace reader names the row and the rule
    return None if math.isfinite(x) else "must be a finite number"


def _check_trace(scenario: Scenario, path: Path) -> None:
    """A trace is a text file whose numbers are finite and whose rates stay within the cap."""
    tr = scenario.load.trace
    assert tr is not None
    shown = _display(path)
    text = read_text_file(path, shown, "trace file", MAX_DATA_FILE_BYTES)
    columns = {tr.valueColumn, *(e.column for e in scenario.load.externalMetrics if e.column)}
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return  # the trace reader says what is wrong with it
        result = (doc.get("data") or {}).get("result") if isinstance(doc, dict) else None
        for i, series in enumerate(result if isinstance(result, list) else []):
            values = series.get("values") if isinstance(series, dict) else None
            for j, pair in enumerate(values if isinstance(values, list) else []):
                if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str):
                    why = _bad_number(pair[1])
                    if why:
                        raise ScenarioError(why, file=shown,
                                            path=f"data.result[{i}].values[{j}]",
                                            value=pair[1], has_value=True)
        return
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        return
    header = [h.strip() for h in header]
    index = {c: header.index(c) for c in columns if c in header}
    t_at = header.index(tr.timeColumn) if tr.timeColumn in header else None
    for row in rows:
        if t_at is not None and t_at < len(row):
            cell = row[t_at].strip()
            why = _bad_number(cell)
            if why is None and abs(_finite_float(cell)) > MAX_TRACE_TIME:
                why = "must be within 1e11 s (unix seconds up to the year 5138)"
            if why:
                raise ScenarioError(f"column {tr.timeColumn!r} {why}",
                                    file=f"{shown}:{rows.line_num}", value=cell, has_value=True)
        for col, k in index.items():
            if k < len(row):
                cell = row[k].strip()
                why = _bad_number(cell)
                if why is None and col == tr.valueColumn and _finite_float(cell) * tr.scale > MAX_RPS:
                    why = f"must be at most {MAX_RPS:g} once scaled (the cap on offered load)"
                if why:
                    raise ScenarioError(f"column {col!r} {why}", file=f"{shown}:{rows.line_num}",
                                        value=cell, has_value=True)


def _finite_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        return 0.0
    return x if math.isfinite(x) else 0.0


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


#: Public names of the helpers the CLI shares (paths as users see them, field paths).
display_path = _display
loc_text = _loc_text
line_of = _line_of
