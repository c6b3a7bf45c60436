"""Helpers of the fuzz properties (tests/scenario/test_fuzz.py, tests/manifests/
test_import_fuzz.py): mutate one field of parsed YAML at a path of keys and indices."""

from __future__ import annotations

from typing import Any

#: A mutation that deletes the field instead of setting it.
DELETE = object()


def shaped(value: Any, how: str) -> Any:
    """A wrong shape built from the value that was there."""
    if how == "list of it":
        return [value]
    if how == "mapping of it":
        return {"x": value}
    if how == "first item":
        if isinstance(value, list):
            return value[0] if value else None
        if isinstance(value, dict):
            return next(iter(value.values()), None)
        return value
    return list(value) if isinstance(value, dict) else str(value)


def set_at(data: Any, path: tuple, value: Any) -> None:
    """``data[path] = value`` (``DELETE``: remove it)."""
    node = data
    for p in path[:-1]:
        node = node[p]
    if value is DELETE:
        if isinstance(node, dict):
            del node[path[-1]]
        else:
            node.pop(path[-1])
    else:
        node[path[-1]] = value


def get_at(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def loc_text(path: tuple) -> str:
    """``a.b[0].c``, as the errors write a field path."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out
