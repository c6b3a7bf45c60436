"""Validate imported objects as the API server would, for a Kubernetes version.

``validate_object(obj, minor)`` returns the :class:`Problem` list of one object (empty:
the API server would accept it). Three layers, in the order the API server applies them:

1. API versions no longer served by that version (the deprecation guide,
   kubernetes.io/docs/reference/using-api/deprecation-guide/): Deployment
   ``extensions/v1beta1``, ``apps/v1beta1``, ``apps/v1beta2`` (1.16);
   HorizontalPodAutoscaler ``autoscaling/v2beta1`` and PodDisruptionBudget
   ``policy/v1beta1`` (1.25); HorizontalPodAutoscaler ``autoscaling/v2beta2`` (1.26).
2. The OpenAPI schema in strict mode (unknown fields are errors, as ``kubectl apply
   --validate=strict``): ``kubernetes-validate`` for built-in kinds (its schemas start at
   1.25, so 1.23 and 1.24 are checked against 1.25, where the kinds we import are the
   same); the vendored CRD (:mod:`capacity.manifests.crd_schema`) for the
   VerticalPodAutoscaler. ``kubernetes-validate`` reports the first schema error of an
   object; the rules below are all reported.
3. Rules of ``pkg/apis/*/validation`` that a schema cannot express: quantities parse;
   ``requests <= limits`` per resource and container (``ValidateResourceRequirements``);
   an ``apps/v1`` Deployment has a non-empty ``spec.selector`` that matches the template's
   labels (``ValidateDeploymentSpec``); HPA ``minReplicas >= 1`` (0 needs the alpha gate
   HPAScaleToZero), ``maxReplicas >= minReplicas``, behavior periods and windows in range
   (``validateHorizontalPodAutoscalerSpec``); a PDB sets at most one of ``minAvailable``
   and ``maxUnavailable`` (``ValidatePodDisruptionBudgetSpec``).

Field paths use the manifest's own spelling: ``spec.template.spec.containers[1].resources``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from capacity.k8s.quantity import Quantity


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else ``[]`` (a wrong shape is reported by validation)."""
    return value if isinstance(value, list) else []

# (apiVersion, kind) -> (first minor version that no longer serves it, the replacement)
REMOVED_APIS: dict[tuple[str, str], tuple[int, str]] = {
    ("extensions/v1beta1", "Deployment"): (16, "apps/v1"),
    ("apps/v1beta1", "Deployment"): (16, "apps/v1"),
    ("apps/v1beta2", "Deployment"): (16, "apps/v1"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): (25, "autoscaling/v2"),
    ("policy/v1beta1", "PodDisruptionBudget"): (25, "policy/v1"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): (26, "autoscaling/v2"),
}

# kubernetes-validate ships schemas from this minor version on.
_FIRST_SCHEMA_MINOR = 25
_QUANTITY_RULE = ("quantities must match the regular expression "
                  "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


@dataclass(frozen=True)
class Problem:
    """One thing the API server would reject: ``path`` is in the manifest's spelling."""

    path: str
    rule: str
    value: Any = None
    has_value: bool = False


def schema_version(minor: int) -> str:
    """The kubernetes-validate schema version used for a scenario's minor version."""
    import kubernetes_validate as kv

    latest = int(kv.latest_version().split(".")[1])
    return f"1.{min(max(minor, _FIRST_SCHEMA_MINOR), latest)}"


def removed_api(obj: dict[str, Any], minor: int) -> Problem | None:
    """The problem of an apiVersion that Kubernetes 1.<minor> no longer serves, if any."""
    key = (str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    if key in REMOVED_APIS and minor >= REMOVED_APIS[key][0]:
        since, instead = REMOVED_APIS[key]
        return Problem("apiVersion", f"{key[0]} {key[1]} is not served since Kubernetes 1.{since} "
                       f"(the scenario is 1.{minor}): use {instead}", key[0], True)
    return None


def has_schema(obj: dict[str, Any], minor: int) -> bool:
    """False for an apiVersion still served at 1.<minor> but gone from the 1.25 schemas
    kubernetes-validate starts at (autoscaling/v2beta1 and policy/v1beta1 before 1.25)."""
    key = (str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    return not (key in REMOVED_APIS and REMOVED_APIS[key][0] <= _FIRST_SCHEMA_MINOR
                and minor < REMOVED_APIS[key][0])


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int) or (isinstance(p, str) and p.isdigit()):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def schema_problems(obj: dict[str, Any], minor: int) -> list[Problem]:
    """Strict OpenAPI schema check (see the module doc); [] when the validator is missing.

    Raises ImportError when ``kubernetes-validate`` (or ``jsonschema`` for CRDs) is not
    installed, so the caller can say that the check was skipped.
    """
    kind = str(obj.get("kind", ""))
    if kind == "VerticalPodAutoscaler":
        from capacity.manifests.crd_schema import validate_custom_resource

        try:
            errors = validate_custom_resource(obj)
        except KeyError:
            return [Problem("apiVersion", "no vendored VerticalPodAutoscaler CRD serves this "
                            "version (autoscaling.k8s.io/v1 expected)",
                            obj.get("apiVersion"), True)]
        out = []
        for e in errors[:1]:  # the first, as for built-in kinds
            where, _, message = e.partition(": ")
            out.append(Problem(_path(where.split(".")) if where != "(root)" else "(root)",
                               _short(message)))
        return out
    import kubernetes_validate as kv

    try:
        kv.validate(obj, schema_version(minor), strict=True)
    except kv.SchemaNotFoundError:
        return [Problem("apiVersion", f"{obj.get('apiVersion')} {kind} is not served by "
                        f"Kubernetes 1.{minor}", obj.get("apiVersion"), True)]
    except kv.ValidationError as e:
        path = _path(e.absolute_path)
        if e.validator == "additionalProperties":
            names = re.findall(r"'([^']+)'", e.message.split("(", 1)[-1])
            if names:
                return [Problem(f"{path}.{n}" if path else n, "unknown field") for n in names]
        if e.validator == "required":
            m = re.match(r"'([^']+)' is a required property", e.message)
            if m:
                return [Problem(f"{path}.{m.group(1)}" if path else m.group(1), "Required value")]
        return [Problem(path or "(root)", _short(e.message))]
    return []


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quantity_problems(values: Any, path: str) -> list[Problem]:
    out = []
    if isinstance(values, dict):
        for k, v in values.items():
            try:
                Quantity.parse(v)
            except Exception:
                out.append(Problem(f"{path}.{k}", _QUANTITY_RULE, v, True))
    return out


def _resource_problems(c: dict[str, Any], path: str) -> list[Problem]:
    res = c.get("resources")
    if not isinstance(res, dict):
        return []
    out: list[Problem] = []
    req = res.get("requests") if isinstance(res.get("requests"), dict) else {}
    lim = res.get("limits") if isinstance(res.get("limits"), dict) else {}
    out += _quantity_problems(req, f"{path}.resources.requests")
    out += _quantity_problems(lim, f"{path}.resources.limits")
    if out:
        return out
    for name, value in req.items():
        if name in lim and Quantity.parse(value) > Quantity.parse(lim[name]):
            out.append(Problem(f"{path}.resources.requests.{name}",
                               f"must be less than or equal to {name} limit of {lim[name]}",
                               value, True))
    return out


def _selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    ml = selector.get("matchLabels") or {}
    if not isinstance(ml, dict) or any(labels.get(k) != v for k, v in ml.items()):
        return False
    for e in _list(selector.get("matchExpressions")):
        if not isinstance(e, dict):
            return False
        key, op, values = e.get("key"), e.get("operator"), _list(e.get("values"))
        if (op == "In" and labels.get(key) not in values) or \
                (op == "NotIn" and key in labels and labels[key] in values) or \
                (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def deployment_problems(obj: dict[str, Any]) -> list[Problem]:
    """``ValidateDeploymentSpec`` rules beyond the schema (selector, resources)."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    out: list[Problem] = []
    tmpl = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    tmeta = tmpl.get("metadata") if isinstance(tmpl.get("metadata"), dict) else {}
    labels = tmeta.get("labels") if isinstance(tmeta.get("labels"), dict) else {}
    sel = spec.get("selector")
    if obj.get("apiVersion") == "apps/v1":
        if sel is None:
            out.append(Problem("spec.selector", "Required value (apps/v1 Deployments must "
                               "name their pods' labels; use the template's labels)"))
        elif isinstance(sel, dict) and not (sel.get("matchLabels") or sel.get("matchExpressions")):
            out.append(Problem("spec.selector", "empty selector is invalid for deployment"))
        elif isinstance(sel, dict) and not _selector_matches(sel, labels):
            out.append(Problem("spec.template.metadata.labels",
                               "`selector` does not match template `labels`", labels, True))
    pod = tmpl.get("spec") if isinstance(tmpl.get("spec"), dict) else {}
    for field in ("initContainers", "containers"):
        for i, c in enumerate(_list(pod.get(field))):
            if isinstance(c, dict):
                out += _resource_problems(c, f"spec.template.spec.{field}[{i}]")
    if isinstance(pod.get("overhead"), dict):
        out += _quantity_problems(pod["overhead"], "spec.template.spec.overhead")
    return out


def hpa_problems(obj: dict[str, Any]) -> list[Problem]:
    """``validateHorizontalPodAutoscalerSpec`` rules beyond the schema (autoscaling/v2 shape)."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    out: list[Problem] = []
    lo, hi = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if isinstance(lo, int) and lo < 1:
        out.append(Problem("spec.minReplicas", "must be greater than or equal to 1 (0 needs "
                           "the alpha feature gate HPAScaleToZero)", lo, True))
    if isinstance(lo, int) and isinstance(hi, int) and hi < lo:
        out.append(Problem("spec.maxReplicas",
                           f"must be greater than or equal to `minReplicas` ({lo})", hi, True))
    behavior = spec.get("behavior") if isinstance(spec.get("behavior"), dict) else {}
    for direction in ("scaleUp", "scaleDown"):
        rules = behavior.get(direction)
        if not isinstance(rules, dict):
            continue
        base = f"spec.behavior.{direction}"
        w = rules.get("stabilizationWindowSeconds")
        if isinstance(w, int) and not 0 <= w <= 3600:
            out.append(Problem(f"{base}.stabilizationWindowSeconds",
                               "must be between 0 and 3600 seconds", w, True))
        for i, pol in enumerate(_list(rules.get("policies"))):
            if not isinstance(pol, dict):
                continue
            p = pol.get("periodSeconds")
            if isinstance(p, int) and not 0 < p <= 1800:
                out.append(Problem(f"{base}.policies[{i}].periodSeconds",
                                   "must be greater than zero and less than or equal to 1800",
                                   p, True))
            v = pol.get("value")
            if isinstance(v, int) and v <= 0:
                out.append(Problem(f"{base}.policies[{i}].value", "must be greater than zero",
                                   v, True))
    for i, m in enumerate(_list(spec.get("metrics"))):
        if not isinstance(m, dict):
            continue
        for source in ("resource", "containerResource", "pods", "object", "external"):
            t = (m.get(source) or {}).get("target") if isinstance(m.get(source), dict) else None
            if isinstance(t, dict):
                out += _quantity_problems({k: t[k] for k in ("value", "averageValue") if k in t},
                                          f"spec.metrics[{i}].{source}.target")
    return out


def pdb_problems(obj: dict[str, Any]) -> list[Problem]:
    """``ValidatePodDisruptionBudgetSpec``: at most one of minAvailable, maxUnavailable."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        return [Problem("spec", "minAvailable and maxUnavailable cannot be both set")]
    return []


def namespace_policy_problems(obj: dict[str, Any]) -> list[Problem]:
    """Quantities of a ResourceQuota's ``hard`` and a LimitRange's items parse."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if obj.get("kind") == "ResourceQuota":
        return _quantity_problems(spec.get("hard"), "spec.hard")
    out: list[Problem] = []
    for i, item in enumerate(_list(spec.get("limits"))):
        if isinstance(item, dict):
            for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
                out += _quantity_problems(item.get(field), f"spec.limits[{i}].{field}")
    return out


_RULES = {
    "Deployment": deployment_problems,
    "HorizontalPodAutoscaler": hpa_problems,
    "PodDisruptionBudget": pdb_problems,
    "ResourceQuota": namespace_policy_problems,
    "LimitRange": namespace_policy_problems,
}


def validate_object(obj: dict[str, Any], minor: int, *, schema: bool = True) -> list[Problem]:
    """Every problem the API server of 1.<minor> would report for ``obj`` (see module doc).

    A removed API version stops there (its schema is not served). With ``schema=False``
    the strict schema check is skipped (``kubernetes-validate`` not installed); it is also
    skipped where :func:`has_schema` is False.
    """
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str) or not obj.get(key):
            return [Problem(key, "Required value (a non-empty string)", obj.get(key), True)]
    gone = removed_api(obj, minor)
    if gone is not None:
        return [gone]
    problems: list[Problem] = []
    if schema and has_schema(obj, minor):
        problems += schema_problems(obj, minor)
    rules = _RULES.get(str(obj.get("kind", "")))
    if rules is not None:
        # A rule's message says more than the schema's for the same field: it wins.
        own = rules(obj)
        paths = {p.path for p in own}
        problems = [p for p in problems if p.path not in paths] + own
    return problems


__all__ = ["REMOVED_APIS", "Problem", "deployment_problems", "has_schema", "hpa_problems",
           "namespace_policy_problems", "pdb_problems", "removed_api", "schema_problems",
           "schema_version", "validate_object"]
