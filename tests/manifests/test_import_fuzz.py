"""Property: a mutated manifest is imported, or refused in one line naming file and field.

Hypothesis mutates real manifests (copies in tests/data of the shared data set, see
tests/data/manifests/SOURCES.md and tests/data/import/SOURCES.md: knative serving and
eventing, kube-prometheus, kube-metrics-adapter, the VPA example with the Kubernetes
website's quota and LimitRange, microservices-demo, popeye's ``kind: List`` fixtures) one
field at a time: wrong types (string, list, mapping, integer, null), huge numbers, NaN and
infinities, strings with NUL and other control characters, deleted keys, a key renamed
(to a number, null, a string with control characters), and the value reshaped (a list
of it, a mapping of it, its first item, its keys). Each mutated set of
files goes through the real CLI in-process (``import FILES -o scenario.yaml``, or
``--all -o DIR``). It must

- exit 0, with no ``error:`` line, and a scenario that :func:`capacity.load_scenario`
  loads (every scenario, with ``--all``); or
- exit 2 with one ``error: <file>...`` line per problem (usually one; a reshaped value
  can make two, e.g. an unknown field and a missing one), each naming the mutated file
  and the mutated field (its path, a parent or a child of it), or a single import-wide
  message that a changed identity gives ("no Deployment among the manifests", ...), and
  nothing written.

Never exit 1, a traceback or a RuntimeWarning. The default run keeps the example count
small (well under 30 s); ``-m slow`` runs the thorough version and prints how many mutated
inputs it ran.
"""

from __future__ import annotations

import copy
import math
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity import load_scenario
from capacity.cli import main
from tests.mutations import DELETE, get_at, loc_text, set_at, shaped

from .conftest import ROOT

DATA = ROOT / "tests" / "data"
EXAMPLES = 60  # the default run
THOROUGH = 2000  # -m slow
COUNT = {"inputs": 0}


def _docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


# (name, files, extra CLI arguments): each imports with exit 0 as shipped.
_CASES: list[tuple[str, list[Path], list[str]]] = [
    ("knative-serving", [DATA / "manifests/knative__serving/activator.yaml",
                         DATA / "manifests/knative__serving/activator-hpa.yaml"], []),
    ("kube-prometheus", [
        DATA / "manifests/prometheus-operator__kube-prometheus/prometheusAdapter-deployment.yaml",
        DATA / "manifests/prometheus-operator__kube-prometheus/"
               "prometheusAdapter-podDisruptionBudget.yaml"], []),
    ("kube-metrics-adapter", [
        DATA / "import/zalando-incubator__kube-metrics-adapter/example/deploy/deployment.yaml",
        DATA / "import/zalando-incubator__kube-metrics-adapter/example/deploy/hpa.yaml"], []),
    ("knative-eventing", [DATA / "import/knative__eventing/config/core/deployments/webhook.yaml",
                          DATA / "import/knative__eventing/config/core/deployments/"
                                 "webhook-hpa.yaml"], []),
    ("vpa-quota-limitrange", [
        DATA / "import/kubernetes__autoscaler/vertical-pod-autoscaler/examples/hamster.yaml",
        DATA / "kubernetes__website/quota-mem-cpu.yaml",
        DATA / "kubernetes__website/limit-mem-cpu-container.yaml"], []),
    ("popeye-lists", [DATA / "import/derailed__popeye/internal/lint/testdata/apps/dp/1.yaml",
                      DATA / "import/derailed__popeye/internal/lint/testdata/autoscaling/hpa/1.yaml",
                      DATA / "import/derailed__popeye/internal/lint/testdata/pol/pdb/1.yaml"],
     ["--deployment", "dp1"]),
    ("microservices-demo", [DATA / "manifests/GoogleCloudPlatform__microservices-demo/"
                                   "kubernetes-manifests.yaml"], ["--deployment", "frontend"]),
    ("microservices-demo-all", [DATA / "manifests/GoogleCloudPlatform__microservices-demo/"
                                       "kubernetes-manifests.yaml"], ["--all"]),
]
CASES = {name: ([(f"{i}-{p.name}", _docs(p)) for i, p in enumerate(files)], extra)
         for name, files, extra in _CASES}


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every field path of ``node`` (mappings, lists and leaves), the root excluded."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def _targets(name: str) -> list[tuple]:
    """(case, file, document, path) for every field; the fields of the microservices-demo
    objects other than the chosen Deployment's are sampled less (they only give notes)."""
    files, _ = CASES[name]
    out = []
    for fi, (_, docs) in enumerate(files):
        for di, doc in enumerate(docs):
            ps = paths(doc)
            if name.startswith("microservices-demo") and doc.get("kind") != "Deployment":
                ps = [p for p in ps if len(p) <= 2]
            if name == "microservices-demo" and (doc.get("metadata") or {}).get("name") != \
                    "frontend":
                ps = [p for p in ps if len(p) <= 2]
            out += [(name, fi, di, p) for p in ps]
    return out


TARGETS = [t for name in CASES for t in _targets(name)]

FIXED = [
    DELETE, None, "", [], {}, 0, -1, 1, 2**31, 2**63, 10**30, -(10**30), 0.5, 1e308, -1e308,
    math.nan, math.inf, -math.inf, True, False, "web", "abc", "1e400", "1e9999999999", "-1",
    "120%", "0%", "ñ", "\x00", "a\x00b", "x\ny", "\x1b[31m", "\t", "a" * 300, "apps/v1",
    "v1", "Deployment", ["web"], {"a": 1}, [{"b": [1]}], "default", "kube-system",
]
VALUES = st.one_of(
    st.sampled_from(FIXED),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
SHAPES = ("list of it", "mapping of it", "first item", "keys", "rename key")


# Import-wide messages: a mutation that changes which objects there are (kind, apiVersion,
# name, namespace, requests) may end the import with one of these, naming no field.
WHOLE_IMPORT = (
    "no Deployment among the manifests", "several Deployments found", "no Deployment named",
    "is in several namespaces", "has no resources.requests", "no Deployment could be imported",
)


def names_the_field(line: str, path: tuple) -> bool:
    """The error names the mutated field: its path, a parent or a child of it, or (for a
    rule between fields) its name in the rule's text."""
    text = loc_text(path)
    fields = re.findall(r"(?:^|: )([A-Za-z(][\w.\[\]()/-]*?): ", line)
    for f in fields:
        if f == text or text.startswith(f + ".") or text.startswith(f + "[") \
                or f.startswith(text + ".") or f.startswith(text + "["):
            return True
    words = set(re.findall(r"[A-Za-z][\w-]*", line))
    return any(str(p) in words for p in path if isinstance(p, str) and len(p) > 2)


def import_property(tmp: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str], target: tuple, value: Any,
                    shape: str | None) -> None:
    name, fi, di, path = target
    files, extra = CASES[name]
    files = copy.deepcopy(files)
    doc = files[fi][1][di]
    parent = get_at(doc, path[:-1])
    if shape == "rename key" and isinstance(parent, dict):
        # the key itself replaced (YAML keys may be numbers, booleans, null, any string)
        new = value if value is None or isinstance(value, int | float | str) else (
            "x" if value is DELETE else str(value))
        if new in parent:
            return
        items = [(new if k == path[-1] else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        path = path[:-1]  # the error names the parent or the new key under it
    else:
        new = shaped(get_at(doc, path), shape) if shape else value
        set_at(doc, path, new)
    what = f"{name}: {files[fi][0]} document {di}: {loc_text(path)} = {new!r}"[:300]
    for fname, docs in files:
        (tmp / fname).write_text(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True),
                                 encoding="utf-8")
    out = tmp / ("out" if "--all" in extra else "out.yaml")
    COUNT["inputs"] += 1
    monkeypatch.chdir(tmp)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        rc = main(["import", *(f for f, _ in files), *extra, "-o", out.name])
    err = capsys.readouterr().err
    err += "".join(f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})\n"
                   for w in caught if issubclass(w.category, RuntimeWarning))
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert rc in (0, 2), f"{what}: exit {rc}: {err}"
    assert "Traceback" not in err and "Warning" not in err, f"{what}: {err}"
    if rc == 0:
        assert errors == [], f"{what}: {err}"
        for f in (sorted(out.glob("*.yaml")) if out.is_dir() else [out]):
            load_scenario(f)
        return
    assert not out.exists(), f"{what}: {out} written"
    lines = err.strip().splitlines()
    # One line per problem (a reshaped value can make two: `x` unknown and `containers`
    # missing), each about the mutated field: nothing derived from it elsewhere.
    assert lines == errors and len(set(lines)) == len(lines), f"{what}: {err}"
    # a path inside a List names the item's own field path
    rel = path[2:] if doc.get("kind") == "List" and path[:1] == ("items",) else path
    for line in lines:
        if any(m in line for m in WHOLE_IMPORT):
            assert len(lines) == 1, f"{what}: {err}"
            continue
        assert line.startswith(f"error: {files[fi][0]}"), f"{what}: another file: {line}"
        # (a top-level key renamed: any field of that object)
        assert not rel or names_the_field(line, rel), f"{what}: the error does not name it: {line}"


MUTATION = st.tuples(st.sampled_from(TARGETS), VALUES,
                     st.one_of(st.none(), st.sampled_from(SHAPES)))


def _settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=n == EXAMPLES,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _fresh(tmp: Path) -> Path:
    for p in sorted(tmp.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    return tmp


@_settings(EXAMPLES)
@given(MUTATION)
def test_mutated_manifests_import_or_name_the_field(tmp_path, monkeypatch, capsys, m):
    import_property(_fresh(tmp_path), monkeypatch, capsys, *m)


@pytest.mark.slow
def test_mutated_manifests_thorough(tmp_path, monkeypatch, capsys, pytestconfig):
    expr = pytestconfig.getoption("markexpr") or ""
    if "slow" not in expr or "not slow" in expr:
        pytest.skip("the thorough fuzz runs with -m slow")

    @_settings(THOROUGH)
    @given(MUTATION)
    def prop(m):
        import_property(_fresh(tmp_path), monkeypatch, capsys, *m)

    COUNT["inputs"] = 0
    prop()
    print(f"\nthorough import fuzz: {COUNT['inputs']} mutated inputs")
