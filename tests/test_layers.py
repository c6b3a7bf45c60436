"""The import graph keeps DESIGN §2's layers: no cycles, no module importing a layer above.

Layers, lowest first: errors/files; scenario and k8s; sim and manifests; analysis; study;
api; report and cli. ``k8s`` stays pure (no simpy, pandas, matplotlib). Every import
counts, including those inside functions and under ``TYPE_CHECKING``: a cycle there is
still a cycle for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "capacity"
RANK = {"errors": 0, "files": 0, "scenario": 1, "k8s": 1, "sim": 3, "manifests": 3,
        "analysis": 4, "study": 5, "api": 6, "report": 7, "cli": 8}
IMPURE_FOR_K8S = {"simpy", "pandas", "matplotlib"}


def _modules() -> dict[str, Path]:
    mods = {}
    for f in ROOT.rglob("*.py"):
        rel = f.relative_to(ROOT).with_suffix("")
        mods[("capacity." + ".".join(rel.parts)).removesuffix(".__init__")] = f
    return mods


def _layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    mods = _modules()
    edges: dict[str, set[str]] = {}
    impure: list[str] = []
    for m, f in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                base = node.module
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]
                names = subs + ([base] if len(subs) < len(node.names) else [])
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for n in names:
                if _layer(m) == "k8s" and n.split(".")[0] in IMPURE_FOR_K8S:
                    impure.append(f"{m} imports {n}")
                if n in mods and n != m:
                    deps.add(n)
        edges[m] = deps
    return edges, impure


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycles():
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_no_module_imports_a_layer_above_it():
    edges, _ = _graph()
    up = [f"{m} -> {d}" for m, deps in edges.items() for d in deps
          if _layer(m) in RANK and _layer(d) in RANK and RANK[_layer(d)] > RANK[_layer(m)]]
    assert up == []


def test_k8s_is_pure():
    _, impure = _graph()
    assert impure == []


def test_the_study_layer_exists_and_only_its_executor_knows_dask():
    edges, _ = _graph()
    assert "capacity.study.executor" in edges
    knows = sorted(m for m, f in _modules().items() if "distributed" in f.read_text()
                   and "import" in f.read_text() and "from distributed" in f.read_text())
    assert knows == ["capacity.study.executor"]
