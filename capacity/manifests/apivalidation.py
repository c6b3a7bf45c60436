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
   VerticalPodAutoscaler. Only the API versions the API server serves for a kind are
   looked up (``no matches for kind``, as ``kubectl apply`` says, otherwise).
3. Rules of ``pkg/apis/*/validation`` that a schema cannot express: quantities parse;
   ``requests <= limits`` per resource and container (``ValidateResourceRequirements``);
   an ``apps/v1`` Deployment has a non-empty ``spec.selector`` that matches the template's
   labels (``ValidateDeploymentSpec``); HPA ``minReplicas >= 1`` (0 needs the alpha gate
   HPAScaleToZero), ``maxReplicas >= minReplicas``, behavior periods and windows in range
   (``validateHorizontalPodAutoscalerSpec``); a PDB sets at most one of ``minAvailable``
   and ``maxUnavailable`` (``ValidatePodDisruptionBudgetSpec``); those two and a rolling
   update's ``maxSurge``/``maxUnavailable`` are integers >= 0 or percentages, at most
   100% but for ``maxSurge`` (``ValidatePositiveIntOrPercent``, ``IsNotMoreThan100Percent``).
4. Object metadata and label selectors, as apimachinery validates them:
   ``metadata.name`` required and a DNS subdomain, ``metadata.namespace`` a DNS label
   (``ValidateObjectMeta``, ``k8s.io/apimachinery/pkg/api/validation/objectmeta.go``);
   labels (``ValidateLabels``) and every label selector (the Deployment's and the PDB's
   ``spec.selector``, an HPA metric's ``selector``: ``ValidateLabelSelector`` and
   ``ValidateLabelSelectorRequirement``, in
   ``k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go``): keys are qualified
   names and values label values (``IsQualifiedName``, ``IsValidLabelValue``,
   ``k8s.io/apimachinery/pkg/util/validation/validation.go``), an operator is ``In``,
   ``NotIn``, ``Exists`` or ``DoesNotExist``, ``values`` is a list of strings, non-empty
   for ``In``/``NotIn`` and empty for ``Exists``/``DoesNotExist``. A wrong type (a string
   where ``values`` needs a list, a list where a key needs a string) is the JSON decoder's
   error upstream; here it is reported at the same path.

Every problem is reported, the schema's included (not only the first). A check between
fields (the selector must select the template's labels) is skipped when either field is
itself invalid, so one mistake gives one line. Field paths use the manifest's own
spelling: ``spec.template.spec.containers[1].resources``.
"""

from __future__ import annotations

import functools
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

# The API versions the API server serves for the kinds imported (the removed ones too:
# :data:`REMOVED_APIS` says from when they are refused). Anything else is "no matches for
# kind" upstream, and is never looked up in a schema.
SERVED_APIS: dict[str, tuple[str, ...]] = {
    "Deployment": ("apps/v1", "apps/v1beta2", "apps/v1beta1", "extensions/v1beta1"),
    "HorizontalPodAutoscaler": ("autoscaling/v2", "autoscaling/v1", "autoscaling/v2beta2",
                                "autoscaling/v2beta1"),
    "PodDisruptionBudget": ("policy/v1", "policy/v1beta1"),
    "ResourceQuota": ("v1",),
    "LimitRange": ("v1",),
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


@functools.lru_cache(maxsize=64)
def _schema_validator(kind: str, api_version: str, version: str) -> Any:
    """kubernetes-validate's strict schema of ``kind`` as a reusable validator (it reads
    the 1.5 MB definitions on every ``validate`` call, and stops at the first error).

    Raises ``kv.SchemaNotFoundError`` when no schema file exists for the pair.
    """
    import jsonschema
    import kubernetes_validate as kv
    from kubernetes_validate import utils as kvu
    from referencing import Registry, Resource

    have = [v for v in kvu.all_versions() if kvu.major_minor(v) <= version][-1]
    folder = f"kubernetes-json-schema/v{have}-local-strict"
    # rbac.authorization.k8s.io/v1 -> rbac-v1, as kubernetes-validate names its files
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kvu.schema_contents(f"{folder}/{kind.lower()}-{api}.json", version)
    except FileNotFoundError:
        raise kv.SchemaNotFoundError(version=version, kind=kind, api_version=api_version) from None
    defs = kvu.schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _schema_problem(e: Any) -> list[Problem]:
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
        for e in errors:
            where, _, message = e.partition(": ")
            out.append(Problem(_path(where.split(".")) if where != "(root)" else "(root)",
                               _short(message)))
        return out
    import kubernetes_validate as kv

    try:
        validator = _schema_validator(kind, str(obj.get("apiVersion", "")), schema_version(minor))
    except kv.SchemaNotFoundError:
        return [Problem("apiVersion", f"{obj.get('apiVersion')} {kind} is not served by "
                        f"Kubernetes 1.{minor}", obj.get("apiVersion"), True)]
    out: list[Problem] = []
    for e in validator.iter_errors(obj):
        out += [p for p in _schema_problem(e) if p not in out]
    return out


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


# --- metadata and label selectors (apimachinery) ------------------------------------------
# k8s.io/apimachinery/pkg/util/validation/validation.go: IsQualifiedName, IsValidLabelValue,
# IsDNS1123Label, IsDNS1123Subdomain; k8s.io/apimachinery/pkg/apis/meta/v1/validation/
# validation.go: ValidateLabels, ValidateLabelSelector, ValidateLabelSelectorRequirement.

_QNAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QNAME_RULE = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and "
               "end with an alphanumeric character")
_SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                   "characters, '-' or '.', and must start and end with an alphanumeric "
                   "character")
_DNS_LABEL_RULE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                   "characters or '-', and must start and end with an alphanumeric character")
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def qualified_name_error(value: Any) -> str | None:
    """``IsQualifiedName``'s first complaint about a label key, or None (valid)."""
    if not isinstance(value, str):
        return "must be a string (a label key)"
    parts = value.split("/")
    if len(parts) > 2:
        return ("a qualified name " + _QNAME_RULE + " with an optional DNS subdomain prefix "
                "and '/' (e.g. 'example.com/MyName')")
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return "prefix part must be non-empty"
        if len(prefix) > 253:
            return "prefix part must be no more than 253 characters"
        if not _DNS1123_SUBDOMAIN.fullmatch(prefix):
            return "prefix part " + _SUBDOMAIN_RULE
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QNAME.fullmatch(name):
        return "name part " + _QNAME_RULE
    return None


def label_value_error(value: Any) -> str | None:
    """``IsValidLabelValue``'s first complaint, or None. (JSON null decodes to "".)"""
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a string (a label value)"
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not _QNAME.fullmatch(value):
        return "a valid label must be an empty string or consist of alphanumeric characters, " \
               "'-', '_' or '.', and must start and end with an alphanumeric character"
    return None


def labels_problems(labels: Any, path: str) -> list[Problem]:
    """``ValidateLabels``: every key a qualified name, every value a label value."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [Problem(path, "must be a mapping of label keys to values", labels, True)]
    out = []
    for k, v in labels.items():
        why = qualified_name_error(k)
        if why is not None:
            out.append(Problem(path, why, k, True))
            continue
        why = label_value_error(v)
        if why is not None:
            out.append(Problem(f"{path}.{k}", why, v, True))
    return out


def label_selector_problems(selector: Any, path: str) -> list[Problem]:
    """``ValidateLabelSelector`` (with ``ValidateLabelSelectorRequirement``) of one selector;
    a wrong type anywhere (the JSON decoder's error upstream) is reported at its path."""
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [Problem(path, "must be a label selector (matchLabels, matchExpressions)",
                        selector, True)]
    out = labels_problems(selector.get("matchLabels"), f"{path}.matchLabels")
    exprs = selector.get("matchExpressions")
    if exprs is None:
        return out
    if not isinstance(exprs, list):
        return [*out, Problem(f"{path}.matchExpressions", "must be a list of requirements "
                              "(key, operator, values)", exprs, True)]
    for i, e in enumerate(exprs):
        at = f"{path}.matchExpressions[{i}]"
        if not isinstance(e, dict):
            out.append(Problem(at, "must be a requirement (key, operator, values)", e, True))
            continue
        op, values = e.get("operator"), e.get("values")
        bad = values is not None and not (isinstance(values, list)
                                          and all(isinstance(v, str) for v in values))
        if bad:
            out.append(Problem(f"{at}.values", "must be a list of strings", values, True))
            values = []
        if op in ("In", "NotIn"):
            if not values and not bad:
                out.append(Problem(f"{at}.values", "Required value: must be specified when "
                                   "`operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                out.append(Problem(f"{at}.values", "Forbidden: may not be specified when "
                                   "`operator` is 'Exists' or 'DoesNotExist'"))
        else:
            out.append(Problem(f"{at}.operator", 'Unsupported value: must be one of "In", '
                               '"NotIn", "Exists", "DoesNotExist"', op, True))
        why = qualified_name_error(e.get("key", ""))
        if why is not None:
            out.append(Problem(f"{at}.key", why, e.get("key"), True))
        for j, v in enumerate(values or []):
            why = label_value_error(v)
            if why is not None:
                out.append(Problem(f"{at}.values[{j}]", why, v, True))
    return out


def metadata_problems(obj: dict[str, Any]) -> list[Problem]:
    """``ValidateObjectMeta`` for an object applied with ``kubectl apply``: a name that is a
    DNS subdomain (apply cannot use generateName), a namespace that is a DNS label, labels
    as ``ValidateLabels`` says, annotation keys that are qualified names."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [] if "metadata" in obj else [Problem("metadata.name", "Required value: name "
                                                     "is required (kubectl apply)")]
    out = []
    name = meta.get("name")
    if name is None or name == "":
        out.append(Problem("metadata.name", "Required value: name is required (kubectl "
                           "apply cannot use generateName)"))
    elif not isinstance(name, str):
        out.append(Problem("metadata.name", "must be a string", name, True))
    elif len(name) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(name):
        out.append(Problem("metadata.name", _SUBDOMAIN_RULE + " (at most 253 characters)",
                           name, True))
    ns = meta.get("namespace")
    if ns is not None and ns != "":
        if not isinstance(ns, str):
            out.append(Problem("metadata.namespace", "must be a string", ns, True))
        elif len(ns) > 63 or not _DNS1123_LABEL.fullmatch(ns):
            out.append(Problem("metadata.namespace", _DNS_LABEL_RULE + " (at most 63 "
                               "characters)", ns, True))
    out += labels_problems(meta.get("labels"), "metadata.labels")
    ann = meta.get("annotations")
    if isinstance(ann, dict):
        for k in ann:
            why = qualified_name_error(k)
            if why is not None:
                out.append(Problem("metadata.annotations", why, k, True))
    elif ann is not None:
        out.append(Problem("metadata.annotations", "must be a mapping of keys to strings",
                           ann, True))
    return out


_PERCENT = re.compile(r"[0-9]+%")


def int_or_percent_problems(value: Any, path: str, at_most_100: bool = True) -> list[Problem]:
    """``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent``
    (``pkg/apis/apps/validation``, ``pkg/apis/policy/validation``): an integer >= 0 or a
    percentage string (up to 100% unless ``at_most_100`` is False: a Deployment's
    ``maxSurge``)."""
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int | str):
        return [Problem(path, "must be an integer or a percentage string", value, True)]
    if isinstance(value, str):
        if not _PERCENT.fullmatch(value):
            return [Problem(path, "a valid percent string must be a numeric string followed "
                            "by an ending '%' (e.g. '1%',  or '93%')", value, True)]
        if at_most_100 and int(value[:-1]) > 100:
            return [Problem(path, "must not be greater than 100%", value, True)]
        return []
    if value < 0:
        return [Problem(path, "must be greater than or equal to 0", value, True)]
    return []


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
    sel_problems = label_selector_problems(sel, "spec.selector")
    label_problems = labels_problems(tmeta.get("labels"), "spec.template.metadata.labels")
    out += sel_problems + label_problems
    if obj.get("apiVersion") == "apps/v1" and not sel_problems:
        if sel is None:
            out.append(Problem("spec.selector", "Required value (apps/v1 Deployments must "
                               "name their pods' labels; use the template's labels)"))
        elif not (sel.get("matchLabels") or sel.get("matchExpressions")):
            out.append(Problem("spec.selector", "empty selector is invalid for deployment"))
        elif not label_problems and not _selector_matches(sel, labels):
            out.append(Problem("spec.template.metadata.labels",
                               "`selector` does not match template `labels`", labels, True))
    strategy = spec.get("strategy") if isinstance(spec.get("strategy"), dict) else {}
    rolling = strategy.get("rollingUpdate") if isinstance(strategy.get("rollingUpdate"), dict) \
        else {}
    for key in ("maxSurge", "maxUnavailable"):
        out += int_or_percent_problems(rolling.get(key), f"spec.strategy.rollingUpdate.{key}",
                                       at_most_100=key == "maxUnavailable")
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
        for source in ("pods", "object", "external"):
            src = m.get(source)
            if not isinstance(src, dict):
                continue
            # autoscaling/v2: <source>.metric.selector; v2beta1: <source>.selector and
            # external.metricSelector
            metric = src.get("metric")
            if isinstance(metric, dict):
                out += label_selector_problems(metric.get("selector"),
                                               f"spec.metrics[{i}].{source}.metric.selector")
            for key in ("selector", "metricSelector"):
                out += label_selector_problems(src.get(key), f"spec.metrics[{i}].{source}.{key}")
        for source in ("resource", "containerResource", "pods", "object", "external"):
            t = (m.get(source) or {}).get("target") if isinstance(m.get(source), dict) else None
            if isinstance(t, dict):
                out += _quantity_problems({k: t[k] for k in ("value", "averageValue") if k in t},
                                          f"spec.metrics[{i}].{source}.target")
    return out


def pdb_problems(obj: dict[str, Any]) -> list[Problem]:
    """``ValidatePodDisruptionBudgetSpec``: the selector, at most one of minAvailable and
    maxUnavailable."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    out = label_selector_problems(spec.get("selector"), "spec.selector")
    for key in ("minAvailable", "maxUnavailable"):
        out += int_or_percent_problems(spec.get(key), f"spec.{key}")
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        out.append(Problem("spec", "minAvailable and maxUnavailable cannot be both set"))
    return out


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
    kind, api = obj["kind"], obj["apiVersion"]
    if kind in SERVED_APIS and api not in SERVED_APIS[kind]:
        return [Problem("apiVersion", f"no matches for kind {kind} in this version (the API "
                        f"server serves {', '.join(SERVED_APIS[kind])})", api, True)]
    gone = removed_api(obj, minor)
    if gone is not None:
        return [gone]
    problems: list[Problem] = []
    if schema and has_schema(obj, minor):
        problems += schema_problems(obj, minor)
    rules = _RULES.get(kind)
    if rules is not None or kind == "VerticalPodAutoscaler":
        # A rule's message says more than the schema's for the same field: it wins.
        own = metadata_problems(obj) + (rules(obj) if rules is not None else [])
        paths = {p.path for p in own}
        problems = [p for p in problems if p.path not in paths] + own
    return problems


__all__ = ["REMOVED_APIS", "SERVED_APIS", "Problem", "deployment_problems", "has_schema",
           "hpa_problems", "label_selector_problems", "label_value_error", "labels_problems",
           "metadata_problems", "namespace_policy_problems", "pdb_problems",
           "qualified_name_error", "removed_api", "schema_problems", "schema_version",
           "validate_object"]
