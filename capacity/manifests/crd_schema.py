"""Validate custom resources against the vendored CRDs, converted to JSON Schema.

The CRDs live in ``capacity/data/crds/`` (VerticalPodAutoscaler from kubernetes/autoscaler,
ServiceMonitor, PodMonitor and PrometheusRule from prometheus-operator; Apache-2.0, their
LICENSE files beside them). A CRD's ``openAPIV3Schema`` is a *structural schema* with
Kubernetes extensions; :func:`crd_to_json_schema` turns it into JSON Schema (draft 2020-12):

- ``nullable: true`` adds ``"null"`` to the allowed types;
- ``x-kubernetes-int-or-string: true`` becomes ``anyOf: [integer, string]``;
- ``x-kubernetes-preserve-unknown-fields: true`` keeps unknown fields allowed; every other
  object with ``properties`` gets ``additionalProperties: false``, which is what the API
  server's strict field validation (``kubectl apply --validate=strict``) reports: fields
  that pruning would silently drop;
- ``x-kubernetes-list-type: set`` becomes ``uniqueItems: true``; ``map`` lists with
  ``x-kubernetes-list-map-keys`` are checked by :func:`list_map_errors` (JSON Schema cannot
  say "unique by these keys");
- ``metadata`` gets a small ObjectMeta schema (name, namespace, labels, annotations, ...).

Not converted: ``x-kubernetes-validations`` (CEL rules; two in the VPA CRD) and
``x-kubernetes-embedded-resource``; both are left to the API server.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any

import yaml

CRD_FILES = (
    "vpa-v1-crd-gen.yaml",
    "monitoring.coreos.com_servicemonitors.yaml",
    "monitoring.coreos.com_podmonitors.yaml",
    "monitoring.coreos.com_prometheusrules.yaml",
)

_OBJECT_META: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 253},
        "namespace": {"type": "string"},
        "generateName": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}

_DROP = {
    "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations",
    "x-kubernetes-embedded-resource", "nullable", "description",
}


def _convert(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "properties":
            out[key] = {k: _convert(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _convert(value) if isinstance(value, dict) else value
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert(v) for v in value]
        else:
            out[key] = copy.deepcopy(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        # Kubernetes' int-or-string accepts integers and strings; anything else is invalid.
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        t = out["type"]
        out["type"] = [*t, "null"] if isinstance(t, list) else [t, "null"]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in node and not preserve and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def crd_to_json_schema(crd: dict[str, Any], version: str) -> dict[str, Any]:
    """JSON Schema of one served version of a CRD (raises KeyError if not there)."""
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            api = f"{crd['spec']['group']}/{version}"
            schema = _convert(v["schema"]["openAPIV3Schema"])
            props = schema.setdefault("properties", {})
            props["metadata"] = copy.deepcopy(_OBJECT_META)
            props["apiVersion"] = {"const": api}
            props["kind"] = {"const": crd["spec"]["names"]["kind"]}
            schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind",
                                         "metadata"})
            schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            schema["title"] = f"{crd['spec']['names']['kind']} ({api})"
            return schema
    raise KeyError(f"{crd['metadata']['name']} has no version {version}")


@functools.cache
def _crds() -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    """(apiVersion, kind) → (JSON Schema, the raw openAPIV3Schema) for every vendored CRD."""
    root = resources.files("capacity").joinpath("data", "crds")
    out: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    for name in CRD_FILES:
        for doc in yaml.safe_load_all(root.joinpath(name).read_text(encoding="utf-8")):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            for v in doc["spec"]["versions"]:
                if not v.get("served", True):
                    continue
                api = f"{doc['spec']['group']}/{v['name']}"
                key = (api, doc["spec"]["names"]["kind"])
                out[key] = (crd_to_json_schema(doc, v["name"]), v["schema"]["openAPIV3Schema"])
    return out


def known_kinds() -> list[tuple[str, str]]:
    """(apiVersion, kind) pairs the vendored CRDs define."""
    return sorted(_crds())


def json_schema_for(api_version: str, kind: str) -> dict[str, Any]:
    """The converted JSON Schema (KeyError if no vendored CRD defines the kind)."""
    return _crds()[(api_version, kind)][0]


def list_map_errors(raw: dict[str, Any], instance: Any, path: str = "") -> list[str]:
    """Duplicate keys in ``x-kubernetes-list-type: map`` lists (by their list-map-keys)."""
    errors: list[str] = []
    if isinstance(instance, dict) and isinstance(raw.get("properties"), dict):
        for k, sub in raw["properties"].items():
            if k in instance:
                errors += list_map_errors(sub, instance[k], f"{path}.{k}" if path else k)
    elif isinstance(instance, list) and isinstance(raw.get("items"), dict):
        if raw.get("x-kubernetes-list-type") == "map":
            keys = raw.get("x-kubernetes-list-map-keys") or []
            seen: set[tuple[Any, ...]] = set()
            for i, item in enumerate(instance):
                if isinstance(item, dict):
                    # repr: a key given as a list or mapping (invalid, reported by the
                    # schema) must not make the check itself fail (unhashable)
                    ident = tuple(repr(item.get(k)) for k in keys)
                    if ident in seen:
                        errors.append(f"{path}[{i}]: duplicate entry for keys {keys} = "
                                      f"{[item.get(k) for k in keys]}")
                    seen.add(ident)
        for i, item in enumerate(instance):
            errors += list_map_errors(raw["items"], item, f"{path}[{i}]")
    return errors


def validate_custom_resource(obj: dict[str, Any]) -> list[str]:
    """Errors of one custom resource against its vendored CRD (empty list: valid).

    Raises KeyError when no vendored CRD defines ``obj``'s apiVersion and kind.
    """
    import jsonschema

    schema, raw = _crds()[(obj.get("apiVersion", ""), obj.get("kind", ""))]
    validator = jsonschema.Draft202012Validator(schema)
    errors = [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    ]
    return errors + list_map_errors(raw, obj)


__all__ = ["CRD_FILES", "crd_to_json_schema", "json_schema_for", "known_kinds",
           "list_map_errors", "validate_custom_resource"]
