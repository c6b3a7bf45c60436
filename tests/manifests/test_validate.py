"""Validation of what we emit (DESIGN §7).

- built-in kinds: kubernetes-validate, strict, for the scenario's Kubernetes version;
- CRDs: the vendored CRDs converted to JSON Schema, checked with jsonschema;
- PromQL syntax with promql-parser; ``promtool check rules``;
- ``kubectl kustomize`` builds the folder offline;
- checkov finds no failed check, except those listed in checkov_exceptions.yaml with a reason.

Tests needing promtool, kubectl or checkov skip when the tool is missing, unless
CAPACITY_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from capacity.manifests.crd_schema import (
    crd_to_json_schema,
    json_schema_for,
    list_map_errors,
    validate_custom_resource,
)
from capacity.manifests.emit import build_manifests, write_manifests
from capacity.scenario.loader import load_scenario

from .conftest import CHECKOV, HPA_STEP, PEAK, by_kind, tool

CRD_KINDS = {"VerticalPodAutoscaler", "ServiceMonitor", "PodMonitor", "PrometheusRule"}
HERE = Path(__file__).parent


def _k8s_version(minor: int) -> str:
    """The schema version kubernetes-validate has for a scenario's version.

    Divergence: kubernetes-validate ships schemas from 1.25 on; scenarios may say 1.23 or
    1.24, which we validate against 1.25 (autoscaling/v2 and policy/v1 are the same).
    """
    return f"1.{max(minor, 25)}"


def _objects(path: Path):
    sc = load_scenario(path)
    return sc, [o for objs in build_manifests(sc).values() for o in objs]


@pytest.mark.parametrize("path", [PEAK, HPA_STEP], ids=["peak", "hpa-step"])
def test_builtin_kinds_valid_in_strict_mode(path):
    kv = pytest.importorskip("kubernetes_validate")
    sc, objs = _objects(path)
    checked = 0
    for o in objs:
        if o["kind"] in CRD_KINDS:
            continue
        try:
            kv.validate(o, _k8s_version(sc.minor), strict=True)
        except kv.ValidationError as e:
            pytest.fail(f"{o['kind']} {o['metadata']['name']}: {e.message}")
        checked += 1
    assert checked >= 5


def test_strict_mode_rejects_an_unknown_field(peak_objects):
    """The check above can fail: a misspelt field is an error in strict mode."""
    kv = pytest.importorskip("kubernetes_validate")
    import copy

    dep = copy.deepcopy(by_kind(peak_objects, "Deployment")[0])
    dep["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kv.ValidationError):
        kv.validate(dep, "1.33", strict=True)


@pytest.mark.parametrize("path", [PEAK, HPA_STEP], ids=["peak", "hpa-step"])
def test_custom_resources_valid_against_vendored_crds(path):
    _, objs = _objects(path)
    crs = [o for o in objs if o["kind"] in CRD_KINDS]
    assert crs
    for o in crs:
        assert validate_custom_resource(o) == [], o["kind"]


def test_crd_validation_catches_mistakes(peak_objects):
    import copy

    sm = copy.deepcopy(by_kind(peak_objects, "ServiceMonitor")[0])
    sm["spec"]["endpoints"][0]["intervall"] = "30s"  # unknown field (pruned by the API server)
    assert any("intervall" in e for e in validate_custom_resource(sm))
    vpa = copy.deepcopy(by_kind(peak_objects, "VerticalPodAutoscaler")[0])
    vpa["spec"]["updatePolicy"]["updateMode"] = "Sometimes"  # not in the enum
    assert any("Sometimes" in e for e in validate_custom_resource(vpa))
    rule = copy.deepcopy(by_kind(peak_objects, "PrometheusRule")[0])
    rule["spec"]["groups"][0]["rules"][0]["for"] = "five minutes"  # not a duration
    assert validate_custom_resource(rule)


def test_crd_conversion_of_kubernetes_extensions():
    crd = {
        "metadata": {"name": "things.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Thing"}, "versions": [{
            "name": "v1", "served": True, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object", "properties": {
                    "port": {"x-kubernetes-int-or-string": True},
                    "note": {"type": "string", "nullable": True},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                             "properties": {"a": {"type": "string"}}},
                    "tags": {"type": "array", "items": {"type": "string"},
                             "x-kubernetes-list-type": "set"},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map",
                              "x-kubernetes-list-map-keys": ["name"],
                              "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                }}}}}}]},
    }
    import jsonschema

    schema = crd_to_json_schema(crd, "v1")
    v = jsonschema.Draft202012Validator(schema)

    def ok(spec):
        return not list(v.iter_errors({"apiVersion": "example.com/v1", "kind": "Thing",
                                       "metadata": {"name": "t"}, "spec": spec}))

    assert ok({"port": 80}) and ok({"port": "http"}) and not ok({"port": 1.5})
    assert ok({"note": None}) and not ok({"tags": None})
    assert ok({"free": {"anything": 1}})          # preserve-unknown-fields
    assert not ok({"unknown": 1})                 # pruned field: error
    assert not ok({"tags": ["a", "a"]})           # list-type set
    raw = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    dup = {"spec": {"ports": [{"name": "a"}, {"name": "a"}]}}
    assert list_map_errors(raw, dup) == ["spec.ports[1]: duplicate entry for keys ['name'] = ['a']"]
    assert json_schema_for("monitoring.coreos.com/v1", "PrometheusRule")["properties"]["kind"] == \
        {"const": "PrometheusRule"}


def _rule_file(peak_objects, tmp_path: Path) -> Path:
    rule = by_kind(peak_objects, "PrometheusRule")[0]
    p = tmp_path / "rules.yaml"
    p.write_text(yaml.safe_dump(rule["spec"], sort_keys=False))
    return p


def test_promql_parses(peak_objects):
    promql_parser = pytest.importorskip("promql_parser")
    rules = by_kind(peak_objects, "PrometheusRule")[0]["spec"]["groups"][0]["rules"]
    assert len(rules) == 7
    for r in rules:
        promql_parser.parse(r["expr"])
    with pytest.raises(ValueError):
        promql_parser.parse("sum by (pod (rate(x[5m]))")


def test_promtool_check_rules(peak_objects, tmp_path):
    promtool = tool("promtool")
    r = subprocess.run([promtool, "check", "rules", str(_rule_file(peak_objects, tmp_path))],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "7 rules found" in r.stdout


def test_kubectl_kustomize_builds_the_folder(peak, tmp_path):
    kubectl = tool("kubectl")
    write_manifests(peak, tmp_path / "m")
    r = subprocess.run([kubectl, "kustomize", str(tmp_path / "m")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    built = [d for d in yaml.safe_load_all(r.stdout) if d]
    assert len(built) == 18
    assert {d["kind"] for d in built} >= {"Deployment", "HorizontalPodAutoscaler", "PrometheusRule"}


def test_checkov_has_only_listed_exceptions(peak, tmp_path):
    checkov = tool(CHECKOV)
    exceptions = yaml.safe_load((HERE / "checkov_exceptions.yaml").read_text())
    for check, why in exceptions.items():
        assert isinstance(why, str) and len(why) > 20, f"{check} needs a reason"
    write_manifests(peak, tmp_path / "m")
    r = subprocess.run([checkov, "-d", str(tmp_path / "m"), "--framework", "kubernetes",
                        "--quiet", "--compact", "-o", "json"],
                       capture_output=True, text=True, timeout=600)
    report = json.loads(r.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = {(c["check_id"], c["resource"]) for rep in reports
              for c in rep["results"]["failed_checks"]}
    assert reports[0]["summary"]["passed"] > 50  # it really checked our objects
    unexpected = sorted(f for f in failed if f[0] not in exceptions)
    assert not unexpected, f"checkov failures without a listed reason: {unexpected}"
    unused = sorted(set(exceptions) - {c for c, _ in failed})
    assert not unused, f"exceptions no longer needed, remove them: {unused}"
