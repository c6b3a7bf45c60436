"""Build a scenario from the manifests a team already has.

``import_manifests(paths)`` reads Deployment, HorizontalPodAutoscaler (autoscaling/v2,
v2beta2, v2beta1 and v1, converted to v2), PodDisruptionBudget, ResourceQuota, LimitRange
and VerticalPodAutoscaler objects and returns an :class:`ImportResult`: the scenario as a
dict, the assumptions made for what manifests do not say (load, demand, cluster, prices,
failures), and :class:`Note` rows for everything that is not imported or not simulated.
``import_all(paths)`` gives one result per Deployment.

What is read, as ``kubectl apply`` would take it:

- files (multi-document YAML or JSON; ``kind: List`` as ``kubectl get -o yaml`` prints it,
  read whole) and folders, recursively;
- a folder with a ``kustomization.yaml`` (or that file itself) is rendered with the real
  ``kubectl kustomize`` (:mod:`capacity.manifests.kustomize`), never read raw; a folder
  that holds kustomizations below its top is refused (which one is applied?);
- namespaces are defaulted as the API server does: an object without
  ``metadata.namespace`` is in ``namespace`` (``--namespace``, as ``kubectl apply -n``),
  else ``default``, on both sides of every match (HPA target, PDB selection, VPA target,
  quota and LimitRange);
- every imported object is validated as the API server of the scenario's version would
  (:mod:`capacity.manifests.apivalidation`): errors name the file, the object and the field
  in the manifest's own spelling, and are all reported at once
  (:class:`ManifestErrors`).

Objects about other Deployments, other namespaces, custom resources, kinds a scenario does
not hold and HPA metrics the serving model does not produce are never fatal: they become
notes, printed as one table (:func:`notes_table`) and kept as comments in the scenario.
Errors the user must fix raise :class:`~capacity.errors.ScenarioError` (one line each).
"""

from __future__ import annotations

import copy
import os
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from capacity.errors import ScenarioError
from capacity.k8s.hpa_replica_calculator import calculate_pod_requests_from_containers
from capacity.k8s.limitrange import (
    limit_range_mutate_pod,
    set_defaults_limit_range,
    set_defaults_pod,
)
from capacity.k8s.types import pod_from_manifest
from capacity.manifests import apivalidation
from capacity.manifests.kustomize import (
    KUSTOMIZATION_FILES,
    kustomization_file,
    render_kustomization,
)
from capacity.scenario.loader import ScenarioYamlLoader, check_yaml_nodes, read_text_file
from capacity.scenario.metrics import OBJECT_KINDS, OBJECT_METRICS, POD_METRICS


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else ``[]`` (a wrong shape is reported by validation)."""
    return value if isinstance(value, list) else []


def printable(text: str) -> str:
    """``text`` with control characters (NUL, ESC, newlines...) escaped as Python would, so
    a kind, name or file name from a manifest cannot break a message, a table row or the
    scenario's comments."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)

IMPORTED_KINDS = ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                  "ResourceQuota", "LimitRange", "VerticalPodAutoscaler")
# Kinds that run pods but are not simulated: only a Deployment is a workload.
OTHER_WORKLOADS = ("StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
                   "CronJob", "Pod", "Rollout")
# Kinds a scenario does not hold but that usually sit beside a workload: one summary row
# per kind, with what the scenario assumes instead.
KNOWN_SKIPPED: dict[str, str] = {
    "Namespace": "the scenario's namespace.name is the workload's namespace",
    "Service": "load is spread evenly over the ready pods, as a Service does; `capacity "
               "manifests` emits one",
    "ServiceAccount": "no effect on capacity",
    "ConfigMap": "no effect on capacity",
    "Secret": "no effect on capacity",
    "Role": "no effect on capacity", "RoleBinding": "no effect on capacity",
    "ClusterRole": "no effect on capacity", "ClusterRoleBinding": "no effect on capacity",
    "NetworkPolicy": "no effect on capacity; `capacity manifests` emits one",
    "Ingress": "load is offered to the Service directly",
    "ServiceMonitor": "the scenario's monitoring section says what is scraped",
    "PodMonitor": "the scenario's monitoring section says what is scraped",
    "PrometheusRule": "`capacity manifests` emits alert rules from the scenario",
    "RuntimeClass": "give workload.runtimeClass (its overhead) in the scenario",
    "PriorityClass": "preemption is not modelled",
    "PersistentVolumeClaim": "storage is not modelled",
    "Kustomization": "kustomizations are rendered with kubectl kustomize",
}
_SUFFIXES = (".yaml", ".yml", ".json")
#: ``kubectl get -o yaml`` of a large namespace is megabytes; a disk image is not a manifest.
MAX_MANIFEST_BYTES = 256 * 1024**2
#: Objects are a few dozen levels deep (a CRD's schema the most); PyYAML's composer
#: recurses, so 3,000 nested lists would overflow the stack.
MAX_MANIFEST_DEPTH = 128

DEFAULT_KUBERNETES_VERSION = "1.33"
DEFAULT_NAMESPACE = "default"
DEFAULT_CPU_PER_REQUEST = 0.01  # [assumption] 10 ms of CPU per request
# Metadata the API server sets or kubectl adds: not configuration.
_SERVER_META = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
                "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
                "finalizers")
_SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",
                       "deployment.kubernetes.io/revision")
_UPDATING_VPA_MODES = ("Auto", "Recreate", "InPlaceOrRecreate", "Initial")


@dataclass
class Doc:
    """One object read from a file, with where it came from."""

    obj: dict[str, Any]
    file: str
    line: int | None = None
    via: str | None = None  # the kustomization that rendered it

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def meta(self) -> dict[str, Any]:
        m = self.obj.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        """``spec`` if it is a mapping, else ``{}`` (shape errors come from validation)."""
        sp = self.obj.get("spec")
        return sp if isinstance(sp, dict) else {}

    @property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = self.meta.get("namespace")
        return str(ns) if ns else None

    @property
    def ref(self) -> str:
        """``Kind/name``, as kubectl prints an object (control characters escaped)."""
        ref = f"{self.kind}/{self.name}" if self.name else self.kind or "(no kind)"
        return printable(ref)

    @property
    def where(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return printable(f"{place} (kustomize {self.via})" if self.via else place)


@dataclass(frozen=True)
class Note:
    """One thing not imported or not simulated: what, where, why, and what is assumed."""

    subject: str
    where: str
    why: str
    instead: str


@dataclass
class ImportResult:
    """The imported scenario (a dict ready for ``scenario_from_dict``) and what was assumed."""

    scenario: dict[str, Any]
    assumptions: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    # scenario path prefix -> (object, its kind/name, path prefix in the manifest)
    origins: dict[str, tuple[Doc, str]] = field(default_factory=dict)

    @property
    def workload(self) -> str:
        return str(self.scenario["workload"]["name"])


class ManifestErrors(ScenarioError):
    """Several problems at once (every invalid object is reported, not only the first).

    ``errors`` holds one :class:`ScenarioError` per problem; ``str()`` is their lines.
    """

    def __init__(self, errors: list[ScenarioError]) -> None:
        first = errors[0]
        super().__init__(first.rule, file=first.file, path=first.path, value=first.value,
                         has_value=first.has_value, line=first.line)
        self.errors = errors
        self.args = ("\n".join(str(e) for e in errors),)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class NoRequestsError(ScenarioError):
    """A Deployment whose containers have no CPU request, and no LimitRange default."""


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


# --- reading -----------------------------------------------------------------------------


def _list_items(node: yaml.Node, data: dict[str, Any], shown: str, line: int) -> list[Doc]:
    """The items of a ``*List`` document, each with its own line."""
    lines: list[int] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
                lines = [item.start_mark.line + 1 for item in value.value]
    kind = str(data.get("kind", ""))
    out = []
    for i, item in enumerate(_list(data.get("items"))):
        if not isinstance(item, dict):
            continue
        if "kind" not in item and kind.endswith("List") and kind != "List":
            # A typed list from the API (DeploymentList): its items carry no kind.
            item = {"apiVersion": data.get("apiVersion"), "kind": kind[:-4], **item}
        out.append(Doc(item, shown, lines[i] if i < len(lines) else line))
    return out


def read_documents(path: Path) -> list[Doc]:
    """Every object in a (multi-document) YAML or JSON file; ``*List`` objects are unpacked.

    Raises ScenarioError naming the file (and line) for a file that is not UTF-8 text
    (binary, UTF-16) or larger than :data:`MAX_MANIFEST_BYTES`, and for malformed YAML.
    """
    shown = _display(path)
    text = read_text_file(path, shown, "manifest file", max_bytes=MAX_MANIFEST_BYTES)
    return parse_documents(text, shown)


def _check_depth(text: str, shown: str) -> None:
    """Nesting deeper than :data:`MAX_MANIFEST_DEPTH`, from the event stream."""
    depth = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_MANIFEST_DEPTH:
                raise ScenarioError(f"YAML nested more than {MAX_MANIFEST_DEPTH} levels deep",
                                    file=shown, line=ev.start_mark.line + 1)
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1


def parse_documents(text: str, shown: str) -> list[Doc]:
    """:func:`read_documents` on text already read; ``shown`` names it in messages.

    YAML nested more than :data:`MAX_MANIFEST_DEPTH` levels, and as for scenario files
    (:mod:`capacity.scenario.loader`) a document whose aliases expand to more than
    ``MAX_NODES`` values (kubectl refuses "excessive aliasing" too) and duplicate keys
    (kubectl's YAML decoder refuses them: "mapping key already defined") are errors; an
    integer too long to convert is a YAML error, not a crash.
    """
    docs: list[Doc] = []
    try:
        _check_depth(text, shown)
        loader = ScenarioYamlLoader(text)
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise ScenarioError(f"not YAML: character U+{e.character:04X} is not allowed",
                            file=shown, line=line) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ScenarioError(f"YAML syntax error: {e.problem or e.context or 'invalid YAML'}",
                            file=shown, line=mark.line + 1 if mark else None) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover
                continue
            line = node.start_mark.line + 1
            check_yaml_nodes(node, shown)
            data = loader.construct_document(node)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise ScenarioError("a manifest must be a mapping with apiVersion and kind",
                                    file=shown, line=line, value=type(data).__name__,
                                    has_value=True)
            if str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
                docs += _list_items(node, data, shown, line)
            else:
                docs.append(Doc(data, shown, line))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        raise ScenarioError(f"YAML syntax error: {problem}", file=shown,
                            line=mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise ScenarioError(f"not YAML: character U+{e.character:04X} is not allowed",
                            file=shown, line=line) from None
    except yaml.YAMLError as e:  # pragma: no cover - PyYAML marks its other errors
        raise ScenarioError(f"YAML syntax error: {e}", file=shown) from None
    except RecursionError:  # an alias that contains itself
        raise ScenarioError("YAML refers to itself through an alias", file=shown) from None
    finally:
        loader.dispose()
    return docs


def _origin_line(origin: Path, kind: str, name: str, cache: dict[Path, list[Doc]]) -> int | None:
    """The line of ``kind/name`` in the file kustomize says it came from (best effort)."""
    if origin not in cache:
        try:
            cache[origin] = read_documents(origin)
        except (ScenarioError, OSError):
            cache[origin] = []
    same = [d for d in cache[origin] if d.kind == kind]
    exact = [d for d in same if d.name == name]
    pick = exact or (same if len(same) == 1 else [])
    return pick[0].line if pick else None


def _kustomized(folder: Path, notes: list[Note]) -> list[Doc]:
    kfile = kustomization_file(folder)
    assert kfile is not None
    shown = _display(kfile)
    cache: dict[Path, list[Doc]] = {}
    docs = []
    for r in render_kustomization(folder, shown):
        kind = str(r.obj.get("kind", ""))
        name = str((r.obj.get("metadata") or {}).get("name", ""))
        if r.origin is not None:
            docs.append(Doc(r.obj, _display(r.origin), _origin_line(r.origin, kind, name, cache),
                            via=_display(folder)))
        else:  # generated (configMapGenerator) or remote: the kustomization is the origin
            docs.append(Doc(r.obj, shown))
    return docs


def load_documents(paths: list[str | os.PathLike[str]]) -> tuple[list[Doc], list[Note]]:
    """Every object of ``paths`` (see the module doc) and notes on what was passed over.

    Raises ScenarioError for a missing path, an empty folder, a folder with nested
    kustomizations and none at its top, kubectl missing or failing, and malformed YAML.
    """
    docs: list[Doc] = []
    notes: list[Note] = []
    plain: list[Path] = []
    rendered: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            if kustomization_file(p) is not None:
                rendered.append(p.resolve())
                continue
            nested = sorted(f for f in p.rglob("*") if f.name in KUSTOMIZATION_FILES)
            if nested:
                raise ScenarioError(
                    "folder holds kustomizations below its top ("
                    + ", ".join(_display(f.parent) for f in nested[:4])
                    + (", ..." if len(nested) > 4 else "")
                    + "): import the one you apply (kubectl apply -k FOLDER), not the whole tree",
                    file=_display(p))
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in _SUFFIXES)
            if not found:
                raise ScenarioError("folder holds no .yaml, .yml or .json file", file=_display(p))
            plain += found
        elif p.is_file():
            if p.name in KUSTOMIZATION_FILES:
                rendered.append(p.parent.resolve())
            else:
                plain.append(p)
        else:
            raise ScenarioError("file not found", file=_display(p))
    for folder in dict.fromkeys(rendered):
        docs += _kustomized(folder, notes)
    for f in plain:
        inside = next((k for k in rendered if f.resolve().is_relative_to(k)), None)
        if inside is not None:
            # `import dir/*.yaml` names dir/kustomization.yaml too: its render has them.
            notes.append(Note(_display(f), _display(f), "inside the kustomization "
                              f"{_display(inside)}", "read through kubectl kustomize, not raw"))
            continue
        docs += read_documents(f)
    return _dedupe(docs, notes), notes


def _dedupe(docs: list[Doc], notes: list[Note]) -> list[Doc]:
    """One object per kind/namespace/name: the last wins, as with ``kubectl apply -f``."""
    last: dict[tuple[str, str, str | None, str], int] = {}
    for i, d in enumerate(docs):
        if d.kind and d.name:
            group = d.api_version.split("/")[0] if "/" in d.api_version else ""
            last[(group, d.kind, d.namespace, d.name)] = i
    out = []
    for i, d in enumerate(docs):
        group = d.api_version.split("/")[0] if "/" in d.api_version else ""
        key = (group, d.kind, d.namespace, d.name)
        if d.kind and d.name and last[key] != i:
            later = docs[last[key]]
            notes.append(Note(d.ref, d.where, f"defined again at {later.where}",
                              "the later definition is used, as kubectl apply leaves it"))
            continue
        out.append(d)
    return out


# --- conversions -------------------------------------------------------------------------


def hpa_spec_v2(doc: Doc) -> dict[str, Any]:
    """The HPA's spec in autoscaling/v2 shape (v1 and v2beta1 converted, v2beta2 as is)."""
    api = doc.api_version
    spec = copy.deepcopy(doc.spec)
    if api == "autoscaling/v1":
        target = spec.pop("targetCPUUtilizationPercentage", None)
        if target is not None:
            spec["metrics"] = [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]
        # v1 without a target: the controller's default is 80% CPU; leave metrics unset so
        # the scenario applies the same default.
    elif api == "autoscaling/v2beta1":
        spec["metrics"] = [_v2beta1_metric(m) if isinstance(m, dict) else m
                           for m in _list(spec.get("metrics"))]
    elif api not in ("autoscaling/v2", "autoscaling/v2beta2"):
        raise ScenarioError(f"HorizontalPodAutoscaler {doc.name}: unsupported apiVersion",
                            file=doc.file, line=doc.line, value=api, has_value=True)
    return spec


def _v2beta1_target(src: dict[str, Any], average: str, value: str | None = None,
                    utilization: str | None = None) -> dict[str, Any]:
    if utilization and utilization in src:
        return {"type": "Utilization", "averageUtilization": src[utilization]}
    if value and src.get(value) is not None:
        return {"type": "Value", "value": src[value]}
    return {"type": "AverageValue", "averageValue": src.get(average)}


def _metric_id(name: Any, selector: Any) -> dict[str, Any]:
    return {"name": name, **({"selector": selector} if selector is not None else {})}


def _v2beta1_metric(m: dict[str, Any]) -> dict[str, Any]:
    """``autoscaling/v2beta1`` MetricSpec → v2 (the conversion of ``pkg/apis/autoscaling``)."""
    t = m.get("type")
    if t == "Resource" and isinstance(m.get("resource"), dict):
        r = m["resource"]
        return {"type": t, "resource": {"name": r.get("name"), "target": _v2beta1_target(
            r, "targetAverageValue", utilization="targetAverageUtilization")}}
    if t == "ContainerResource" and isinstance(m.get("containerResource"), dict):
        r = m["containerResource"]
        return {"type": t, "containerResource": {
            "name": r.get("name"), "container": r.get("container"),
            "target": _v2beta1_target(r, "targetAverageValue",
                                      utilization="targetAverageUtilization")}}
    if t == "Pods" and isinstance(m.get("pods"), dict):
        p = m["pods"]
        return {"type": t, "pods": {"metric": _metric_id(p.get("metricName"), p.get("selector")),
                                    "target": _v2beta1_target(p, "targetAverageValue")}}
    if t == "Object" and isinstance(m.get("object"), dict):
        o = m["object"]
        return {"type": t, "object": {
            "describedObject": o.get("target"),
            "metric": _metric_id(o.get("metricName"), o.get("selector")),
            "target": _v2beta1_target(o, "averageValue", value="targetValue")}}
    if t == "External" and isinstance(m.get("external"), dict):
        e = m["external"]
        return {"type": t, "external": {
            "metric": _metric_id(e.get("metricName"), e.get("metricSelector")),
            "target": _v2beta1_target(e, "targetAverageValue", value="targetValue")}}
    return m


def _selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Label selector semantics (matchLabels AND matchExpressions); ``{}`` matches all.

    An invalid selector (``apivalidation.label_selector_problems``: a string for
    ``values``, a list for a ``key``) matches nothing: the API server would not hold it.
    """
    if apivalidation.label_selector_problems(selector, "selector"):
        return False
    ml = selector.get("matchLabels") or {}
    for k, v in ml.items():
        if labels.get(k) != v:
            return False
    for e in _list(selector.get("matchExpressions")):
        if not isinstance(e, dict):
            return False
        key, op, values = e.get("key"), e.get("operator"), _list(e.get("values"))
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _pdb_selects(p: Doc, labels: dict[str, str]) -> bool:
    sel = p.spec.get("selector")
    if not isinstance(sel, dict):
        return False  # a PDB without a selector selects no pod
    if p.api_version == "policy/v1beta1" and not sel:
        return False  # policy/v1beta1: an empty selector matched nothing
    return _selector_matches(sel, labels)


def _template(dep: Doc) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    tmpl = dep.spec.get("template") if isinstance(dep.spec.get("template"), dict) else {}
    pod = tmpl.get("spec") if isinstance(tmpl.get("spec"), dict) else {}
    containers = pod.get("containers") if isinstance(pod.get("containers"), list) else []
    return tmpl, pod, [c for c in containers if isinstance(c, dict)]


def _pod_labels(dep: Doc) -> dict[str, str]:
    tmpl, _, _ = _template(dep)
    meta = tmpl.get("metadata") if isinstance(tmpl.get("metadata"), dict) else {}
    labels = meta.get("labels")
    # JSON null decodes to "" in a map[string]string
    return {str(k): "" if v is None else str(v) for k, v in labels.items()} \
        if isinstance(labels, dict) else {}


def _has_cpu(container: dict[str, Any]) -> bool:
    res = container.get("resources")
    res = res if isinstance(res, dict) else {}
    req = res.get("requests") if isinstance(res.get("requests"), dict) else {}
    lim = res.get("limits") if isinstance(res.get("limits"), dict) else {}
    # A limit without a request defaults the request to the limit (API server defaulting).
    return "cpu" in req or "cpu" in lim


def _limitrange_defaults_cpu(limit_ranges: list[Doc]) -> bool:
    for lr in limit_ranges:
        for item in _list(lr.spec.get("limits")):
            if isinstance(item, dict) and item.get("type") == "Container" and (
                "cpu" in (item.get("defaultRequest") or {}) or "cpu" in (item.get("default") or {})
            ):
                return True
    return False


def _clean_template_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta[k] for k in ("labels", "annotations") if meta.get(k)}


def hpa_cpu_request_milli(pod_spec: dict[str, Any], limit_range: dict[str, Any] | None,
                          container: str = "") -> int | None:
    """The pod's CPU request (millicores) as the HPA's utilization counts it.

    ``calculatePodRequestsFromContainers``: app containers plus sidecars (init containers
    with ``restartPolicy: Always``), after the API server's defaulting (request ← limit)
    and the LimitRange's defaults; only ``container`` for a ContainerResource metric.
    None when a counted container has no CPU request (the HPA then reports
    ``missing request for cpu`` and cannot compute a utilization).
    """
    pod = set_defaults_pod({"metadata": {"name": "template"}, "spec": copy.deepcopy(pod_spec)})
    if limit_range is not None:
        pod, _ = limit_range_mutate_pod(pod, set_defaults_limit_range(limit_range))
    try:
        return calculate_pod_requests_from_containers(pod_from_manifest(pod), container, "cpu")
    except Exception:  # MissingRequestError, or an unparsable quantity (validation reports it)
        return None


# --- selection ---------------------------------------------------------------------------


@dataclass
class _Catalog:
    """The documents of one import, sorted by what they are, namespaces defaulted."""

    docs: list[Doc]
    default_ns: str
    notes: list[Note]
    by_kind: dict[str, list[Doc]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        skipped: dict[str, list[Doc]] = {}
        server_state = 0
        for d in self.docs:
            if not d.kind or "apiVersion" not in d.obj:
                self.notes.append(Note("(object)", d.where, "no apiVersion/kind", "ignored"))
                continue
            if "status" in d.obj or any(k in d.meta for k in _SERVER_META):
                server_state += 1
            if d.kind in IMPORTED_KINDS:
                self.by_kind.setdefault(d.kind, []).append(d)
            elif d.kind in OTHER_WORKLOADS:
                self.notes.append(Note(d.ref, d.where, f"a {d.kind} (only Deployments are "
                                       "simulated)", "not part of any scenario"))
            elif d.kind in KNOWN_SKIPPED:
                skipped.setdefault(d.kind, []).append(d)
            else:
                why = (f"kind {d.kind} ({d.api_version}) is not modelled" if _builtin(d)
                       else f"a custom resource ({d.api_version})")
                self.notes.append(Note(d.ref, d.where, why, "ignored"))
        for kind, ds in skipped.items():
            names = ", ".join(d.name for d in ds[:4]) + (", ..." if len(ds) > 4 else "")
            where = ds[0].where if len(ds) == 1 else f"{ds[0].where} and {len(ds) - 1} more"
            self.notes.append(Note(f"{kind}/{names}", where, "not held by a scenario",
                                   KNOWN_SKIPPED[kind]))
        if server_state:
            self.notes.append(Note(f"status of {server_state} object(s)", "kubectl get output",
                                   "observed state and server-set metadata (status, "
                                   "managedFields, uid, resourceVersion)",
                                   "the simulation starts from the specs"))

    def ns(self, d: Doc) -> str:
        """The object's namespace, defaulted as the API server does."""
        return d.namespace or self.default_ns

    @property
    def deployments(self) -> list[Doc]:
        return self.by_kind.get("Deployment", [])

    def choose(self, deployment: str | None) -> Doc:
        deps = self.deployments
        if not deps:
            raise ScenarioError(
                "no Deployment among the manifests; a scenario needs the workload's Deployment",
                file=", ".join(dict.fromkeys(d.file for d in self.docs)) or None)
        label = (lambda d: f"{self.ns(d)}/{d.name}") if len({self.ns(d) for d in deps}) > 1 \
            else (lambda d: d.name)
        if deployment is None:
            if len(deps) > 1:
                raise ScenarioError("several Deployments found (" + ", ".join(map(label, deps))
                                    + "): choose one with --deployment NAME, or import each "
                                    "with --all -o DIR")
            return deps[0]
        ns, _, name = deployment.rpartition("/")
        chosen = [d for d in deps if d.name == name and (not ns or self.ns(d) == ns)]
        if not chosen:
            raise ScenarioError(f"no Deployment named {deployment!r}; found: "
                                + ", ".join(map(label, deps)))
        if len(chosen) > 1:
            raise ScenarioError(f"Deployment {name!r} is in several namespaces ("
                                + ", ".join(self.ns(d) for d in chosen)
                                + "): choose with --deployment NAMESPACE/NAME")
        return chosen[0]


# API groups of built-in kinds that have a dot (the others have none: apps, batch, policy).
_BUILTIN_GROUPS = ("networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
                   "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
                   "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "events.k8s.io",
                   "flowcontrol.apiserver.k8s.io", "certificates.k8s.io",
                   "apiregistration.k8s.io", "resource.k8s.io")


def _builtin(d: Doc) -> bool:
    group = d.api_version.rpartition("/")[0]
    return "." not in group or group in _BUILTIN_GROUPS


def _target_why(cat: _Catalog, h: Doc, ref: dict[str, Any], dep: Doc) -> str:
    kind, name = ref.get("kind", "?"), ref.get("name", "?")
    if kind != "Deployment":
        if kind in OTHER_WORKLOADS[:-1]:
            return f"targets {kind}/{name} (only Deployments are simulated)"
        return f"targets {kind}/{name}, a custom resource or a kind not simulated"
    if cat.ns(h) != cat.ns(dep) and name == dep.name:
        return (f"is in namespace {cat.ns(h)}, the Deployment in {cat.ns(dep)} (give "
                f"--namespace {cat.ns(h)} if the files are applied with -n {cat.ns(h)})")
    if any(d.name == name and cat.ns(d) == cat.ns(h) for d in cat.deployments):
        return f"targets Deployment/{name}, another workload"
    return f"targets Deployment/{name}, which is not among the manifests"


def _names(catalogue: dict[str, str]) -> str:
    """Metric names, the latency percentiles folded: ``..._p{50,90,95,99}``."""
    out: list[str] = []
    folded: dict[str, list[str]] = {}
    for n in catalogue:
        stem, sep, q = n.rpartition("_p")
        if sep and q.isdigit():
            if stem not in folded:
                folded[stem] = []
                out.append(stem)
            folded[stem].append(q)
        else:
            out.append(n)
    return ", ".join(f"{n}_p{{{','.join(folded[n])}}}" if n in folded else n for n in out)


def _metric_notes(h: Doc, spec: dict[str, Any], dep: Doc) -> list[Note]:
    """Notes for the HPA's metrics that the serving model does not produce."""
    metrics = [m for m in _list(spec.get("metrics")) if isinstance(m, dict)]
    unread: list[tuple[int, str, str]] = []
    for i, m in enumerate(metrics):
        t = m.get("type")
        src = m.get(str(t)[:1].lower() + str(t)[1:]) if isinstance(t, str) else None
        src = src if isinstance(src, dict) else {}
        metric = src.get("metric") if isinstance(src.get("metric"), dict) else {}
        name = metric.get("name", src.get("name", "?"))
        if t in ("Resource", "ContainerResource"):
            if name not in ("cpu", "memory"):
                unread.append((i, f"{t} metric {name}", "the model uses CPU and memory only"))
        elif t == "Pods":
            if name not in POD_METRICS:
                unread.append((i, f"Pods metric {name}", "not a per-pod metric the serving "
                               "model produces (" + _names(POD_METRICS) + ")"))
        elif t == "Object":
            obj = src.get("describedObject") if isinstance(src.get("describedObject"), dict) else {}
            okind, oname = obj.get("kind"), obj.get("name")
            if name not in OBJECT_METRICS or okind not in OBJECT_KINDS or (
                    okind == "Deployment" and oname != dep.name):
                unread.append((i, f"Object metric {name} on {okind}/{oname}",
                               "the serving model produces " + _names(OBJECT_METRICS)
                               + " on the workload's Service or Deployment only"))
        elif t == "External":
            unread.append((i, f"External metric {name}",
                           "needs a series: add it under load.externalMetrics"))
    notes = []
    readable = len(metrics) - len(unread)
    for i, what, why in unread:
        instead = ("kept; until it has a source the simulated HPA finds it unavailable: "
                   + ("it scales on the other metrics and does not scale down, as upstream "
                      "does with a failing metric" if readable else
                      "with no metric it can read, it does not scale"))
        notes.append(Note(f"{h.ref} spec.metrics[{i}]", h.where, f"{what}: {why}", instead))
    return notes


def _dropped_meta_note(docs: list[Doc]) -> Note | None:
    """One note for the metadata a scenario does not hold: the imported objects' own
    labels and annotations, and pod-template metadata other than labels/annotations."""
    from capacity.manifests.emit import MANAGED_BY

    dropped: list[str] = []
    for d in docs:
        meta = d.meta
        labels = {k: v for k, v in (meta.get("labels") if isinstance(meta.get("labels"), dict)
                                    else {}).items()
                  if not (k == "app.kubernetes.io/name" and v == d.name)
                  and not (k == "app.kubernetes.io/managed-by" and v == MANAGED_BY)}
        ann = {k: v for k, v in (meta.get("annotations") if isinstance(meta.get("annotations"), dict)
                                 else {}).items() if k not in _SERVER_ANNOTATIONS}
        fields = [f for f, v in (("metadata.labels", labels), ("metadata.annotations", ann)) if v]
        if d.kind == "Deployment":
            tmpl, _, _ = _template(d)
            tmeta = tmpl.get("metadata") if isinstance(tmpl.get("metadata"), dict) else {}
            fields += [f"spec.template.metadata.{k}" for k, v in tmeta.items()
                       if k not in ("labels", "annotations") and v is not None]
        if fields:
            dropped.append(f"{d.ref} {', '.join(fields)}")
    if not dropped:
        return None
    return Note("; ".join(dropped), docs[0].where,
                "the objects' own metadata (no effect on the pods or the simulation)",
                "not kept; the pod template keeps its labels and annotations")


# --- the import --------------------------------------------------------------------------


def _validate(docs: list[Doc], minor: int, notes: list[Note]) -> None:
    """Raise :class:`ManifestErrors` with every problem of ``docs`` (see apivalidation)."""
    errors: list[ScenarioError] = []
    schema = True
    try:
        import jsonschema  # noqa: F401  (the CRD check needs it)
        import kubernetes_validate  # noqa: F401
    except ImportError:
        schema = False
        notes.append(Note("strict schema check", "(all objects)", "kubernetes-validate is not "
                          "installed", "only the API server's other rules were checked; pip "
                          "install kubernetes-validate"))
    for d in docs:
        if schema and not apivalidation.has_schema(d.obj, minor):
            notes.append(Note(d.ref, d.where, f"kubernetes-validate has no 1.{minor} schema of "
                              f"{d.api_version} (its schemas start at 1.25)",
                              "the strict schema check was skipped for it; the API server's "
                              "other rules were checked"))
        for p in apivalidation.validate_object(d.obj, minor, schema=schema):
            errors.append(ScenarioError(p.rule, file=d.where, path=f"{d.ref}: {p.path}",
                                        value=p.value, has_value=p.has_value))
    if errors:
        raise ManifestErrors(errors)


def _build(cat: _Catalog, dep: Doc, *, kubernetes_version: str, name: str | None,
           all_mode: bool) -> ImportResult:
    minor = int(kubernetes_version.split(".")[1])
    notes: list[Note] = []
    ns = cat.ns(dep)
    pod_labels = _pod_labels(dep)
    if not all_mode:
        for other in cat.deployments:
            if other is not dep:
                notes.append(Note(other.ref, other.where, "another Deployment",
                                  f"not simulated: import it with --deployment {other.name} "
                                  "(or every one with --all)"))

    # HPA: the one targeting the Deployment in its namespace.
    hpa_doc = None
    for h in cat.by_kind.get("HorizontalPodAutoscaler", []):
        ref = h.spec.get("scaleTargetRef")
        ref = ref if isinstance(ref, dict) else {}
        if ref.get("kind") == "Deployment" and ref.get("name") == dep.name and cat.ns(h) == ns:
            if hpa_doc is None:
                hpa_doc = h
            else:
                notes.append(Note(h.ref, h.where, f"a second HPA on Deployment/{dep.name} "
                                  "(two HPAs on one target fight; upstream reports "
                                  "AmbiguousSelector)", f"only {hpa_doc.ref} is simulated"))
        elif not (all_mode and ref.get("kind") == "Deployment" and any(
                d.name == ref.get("name") and cat.ns(d) == cat.ns(h) for d in cat.deployments)):
            notes.append(Note(h.ref, h.where, _target_why(cat, h, ref, dep), "ignored"))
    vpa_doc = None
    for v in cat.by_kind.get("VerticalPodAutoscaler", []):
        ref = v.spec.get("targetRef")
        ref = ref if isinstance(ref, dict) else {}
        if ref.get("kind") == "Deployment" and ref.get("name") == dep.name and cat.ns(v) == ns:
            if vpa_doc is None:
                vpa_doc = v
            else:
                notes.append(Note(v.ref, v.where, f"a second VPA on Deployment/{dep.name}",
                                  f"only {vpa_doc.ref} is imported"))
        elif not (all_mode and ref.get("kind") == "Deployment" and any(
                d.name == ref.get("name") and cat.ns(d) == cat.ns(v) for d in cat.deployments)):
            notes.append(Note(v.ref, v.where, _target_why(cat, v, ref, dep), "ignored"))
    pdb_doc = None
    # A PDB of the namespace whose selector the API server would refuse: whether it
    # selects the pods cannot be told, so it is validated (and reported) with the rest.
    unclear = [p for p in cat.by_kind.get("PodDisruptionBudget", []) if cat.ns(p) == ns
               and apivalidation.label_selector_problems(p.spec.get("selector"), "spec.selector")]
    for p in cat.by_kind.get("PodDisruptionBudget", []):
        if p in unclear:
            continue
        selects = cat.ns(p) == ns and _pdb_selects(p, pod_labels)
        if selects and pdb_doc is None:
            pdb_doc = p
        elif selects:
            notes.append(Note(p.ref, p.where, f"also selects {dep.name}'s pods (the eviction "
                              "API refuses pods with several PDBs)",
                              f"only {pdb_doc.ref} is simulated"))
        elif not all_mode or not any(cat.ns(p) == cat.ns(d) and _pdb_selects(p, _pod_labels(d))
                                     for d in cat.deployments):
            why = (f"is in namespace {cat.ns(p)}, the Deployment in {ns}" if cat.ns(p) != ns
                   else f"its selector does not select {dep.name}'s pods {pod_labels}")
            notes.append(Note(p.ref, p.where, why, "ignored"))
    policies: dict[str, Doc | None] = {}
    for kind in ("ResourceQuota", "LimitRange"):
        mine = [d for d in cat.by_kind.get(kind, []) if cat.ns(d) == ns]
        policies[kind] = mine[0] if mine else None
        for extra in mine[1:]:
            notes.append(Note(extra.ref, extra.where, f"a second {kind} in {ns}",
                              f"only {mine[0].ref} is checked; the API server applies every "
                              f"{kind} of the namespace"))
        if not all_mode:
            for d in cat.by_kind.get(kind, []):
                if cat.ns(d) != ns:
                    notes.append(Note(d.ref, d.where, f"is in namespace {cat.ns(d)}, the "
                                      f"Deployment in {ns}", "ignored"))
    chosen = [d for d in (dep, hpa_doc, vpa_doc, pdb_doc, *policies.values()) if d is not None]
    _validate(chosen + unclear, minor, notes)

    _, pod, containers = _template(dep)
    if not containers:
        raise ScenarioError(f"{dep.ref}: spec.template.spec.containers must be a non-empty "
                            "list of containers", file=dep.where)
    lr_doc = policies["LimitRange"]
    missing = [str(c.get("name", "?")) for c in containers if not _has_cpu(c)]
    if missing and not _limitrange_defaults_cpu([lr_doc] if lr_doc else []):
        raise NoRequestsError(
            f"Deployment {dep.name}: container {', '.join(missing)} has no resources.requests "
            "(nor limits); the simulation needs CPU and memory requests: add them, or import "
            "the namespace's LimitRange with defaultRequest", file=dep.where)
    if missing and lr_doc is not None:
        notes.append(Note(f"{dep.ref} containers {', '.join(missing)}", dep.where,
                          "no resources.requests", f"the LimitRange's defaults apply "
                          f"({lr_doc.ref})"))

    spec = copy.deepcopy(dep.spec)
    tspec = spec["template"]
    tmeta = tspec.get("metadata")
    tspec["metadata"] = _clean_template_meta(tmeta if isinstance(tmeta, dict) else {})
    sources = {"workload.deployment": dep.where}
    origins: dict[str, tuple[Doc, str]] = {"workload.deployment": (dep, "spec")}
    sc: dict[str, Any] = {
        "name": name or f"{dep.name}-imported",
        "description": f"Imported from Kubernetes manifests ({dep.file} and others).",
        "kubernetesVersion": kubernetes_version,
    }
    namespace: dict[str, Any] = {"name": ns}
    for kind, key in (("ResourceQuota", "resourceQuota"), ("LimitRange", "limitRange")):
        d = policies[kind]
        if d is not None:
            namespace[key] = copy.deepcopy(d.spec)
            sources[f"namespace.{key}"] = d.where
            origins[f"namespace.{key}"] = (d, "spec")
    sc["namespace"] = namespace
    autoscaling: dict[str, Any] = {}
    if hpa_doc is not None:
        autoscaling["horizontal"] = hpa_spec_v2(hpa_doc)
        sources["autoscaling.horizontal"] = hpa_doc.where
        origins["autoscaling.horizontal"] = (hpa_doc, "spec")
        notes += _metric_notes(hpa_doc, autoscaling["horizontal"], dep)
    if vpa_doc is not None:
        autoscaling["vertical"] = copy.deepcopy(vpa_doc.spec)
        sources["autoscaling.vertical"] = vpa_doc.where
        origins["autoscaling.vertical"] = (vpa_doc, "spec")
        up = vpa_doc.spec.get("updatePolicy")
        mode = (up.get("updateMode") if isinstance(up, dict) else None) or "Auto"
        if mode in _UPDATING_VPA_MODES:
            notes.append(Note(vpa_doc.ref, vpa_doc.where, f"updateMode {mode}: the VPA would "
                              "change the pods' requests", "imported, but its recommendation "
                              "is computed (summary.vpa), not applied: pods keep the "
                              "template's requests"))
    if autoscaling:
        sc["autoscaling"] = autoscaling
    if pdb_doc is not None:
        sc["disruption"] = {"podDisruptionBudget": copy.deepcopy(pdb_doc.spec)}
        sources["disruption.podDisruptionBudget"] = pdb_doc.where
        origins["disruption.podDisruptionBudget"] = (pdb_doc, "spec")
    dropped = _dropped_meta_note(chosen)
    if dropped is not None:
        notes.append(dropped)

    # The assumed load: the minimum replicas at half their CPU target, with the pod's CPU
    # request counted as the HPA counts it (every container and sidecar).
    assumptions: dict[str, str] = {}
    hpa = autoscaling.get("horizontal") or {}
    target, container = 50, ""
    for m in _list(hpa.get("metrics")):
        if not isinstance(m, dict):
            continue
        src = m.get("resource") if m.get("type") == "Resource" else (
            m.get("containerResource") if m.get("type") == "ContainerResource" else None)
        t = src.get("target") if isinstance(src, dict) else None
        if isinstance(t, dict) and src.get("name") == "cpu" and \
                isinstance(t.get("averageUtilization"), int):
            target = t["averageUtilization"]
            container = str(src.get("container", "")) if m.get("type") == "ContainerResource" else ""
            if not container:
                break
    pod_cpu = hpa_cpu_request_milli(pod, lr_doc.spec if lr_doc else None, container)
    counted = f"container {container}" if container else _counted(pod)
    if pod_cpu is None:
        pod_cpu = 100
        notes.append(Note(f"{dep.ref} CPU requests", dep.where, "a container the HPA counts "
                          "has no CPU request (upstream: missing request for cpu)",
                          "the assumed load uses 100m per pod; the simulated HPA cannot "
                          "compute CPU utilization"))
    replicas = spec.get("replicas")
    n = hpa.get("minReplicas", 1) if hpa else (replicas if replicas is not None else 1)
    n = n if isinstance(n, int) and n > 0 else 1
    rps = round(n * pod_cpu / 1000 * target / 200 / DEFAULT_CPU_PER_REQUEST, 3)
    sc["workload"] = {
        "name": dep.name,
        "deployment": spec,
        "demand": {"cpuPerRequest": DEFAULT_CPU_PER_REQUEST},
    }
    serving = containers[0].get("name", "app")
    assumptions["workload.demand"] = (
        f"{DEFAULT_CPU_PER_REQUEST * 1000:g} ms of CPU per request in container {serving}, no "
        "base CPU or memory: manifests do not say how load becomes resource use "
        "(`capacity calibrate` fits them to your Prometheus series)")
    assumptions["workload.startup"] = "start-up delays are the scenario defaults (5 s pull, 2 s start)"
    sc["load"] = {"constant": rps}
    assumptions["load"] = (
        f"constant {rps:g} requests per second: {n} replica(s) x {pod_cpu}m CPU per pod "
        f"({counted}, as the HPA counts it) at half the {target}% target; replace with your "
        "traffic (load.trace reads a CSV or a Prometheus query_range JSON)")
    sc["simulation"] = {"duration": "1d", "runs": 1, "seed": 0}
    assumptions["simulation"] = "one day, one run, seed 0"
    assumptions["cluster"] = "no cluster section: nodes are not modelled (pods always fit)"
    assumptions["failures"] = "no node, zone or spot failures"
    assumptions["pricing"] = "OpenCost's public default prices, USD"
    assumptions["controllers"] = "upstream defaults of Kubernetes " + kubernetes_version
    if not hpa:
        notes.append(Note(f"{dep.ref} autoscaling", dep.where, "no HorizontalPodAutoscaler "
                          "targets it", "fixed replicas"))
    return ImportResult(scenario=sc, assumptions=assumptions, notes=cat.notes + notes,
                        sources=sources, origins=origins)


def _counted(pod: dict[str, Any]) -> str:
    apps = [c for c in _list(pod.get("containers")) if isinstance(c, dict)]
    sidecars = [c for c in _list(pod.get("initContainers"))
                if isinstance(c, dict) and c.get("restartPolicy") == "Always"]
    text = f"{len(apps)} container{'s' if len(apps) != 1 else ''}"
    if sidecars:
        text += f" + {len(sidecars)} sidecar{'s' if len(sidecars) != 1 else ''}"
    return text


def _version(kubernetes_version: str) -> None:
    parts = kubernetes_version.split(".")
    if len(parts) != 2 or parts[0] != "1" or not parts[1].isdigit():
        raise ScenarioError('--kubernetes-version must look like "1.33"', value=kubernetes_version,
                            has_value=True)


def import_manifests(
    paths: list[str | os.PathLike[str]],
    *,
    deployment: str | None = None,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    name: str | None = None,
    namespace: str | None = None,
) -> ImportResult:
    """One scenario from the manifests (see the module doc); raises ScenarioError.

    ``deployment`` is ``NAME`` or ``NAMESPACE/NAME`` (needed when there are several);
    ``namespace`` is the namespace of objects that name none (default ``default``).
    """
    _version(kubernetes_version)
    docs, notes = load_documents(paths)
    cat = _Catalog(docs, namespace or DEFAULT_NAMESPACE, notes)
    dep = cat.choose(deployment)
    return _build(cat, dep, kubernetes_version=kubernetes_version, name=name, all_mode=False)


def import_all(
    paths: list[str | os.PathLike[str]],
    *,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    namespace: str | None = None,
) -> tuple[list[ImportResult], list[Note]]:
    """One scenario per Deployment, and the notes on Deployments that give none.

    A Deployment without CPU requests (and no LimitRange default) is noted and skipped;
    a Deployment or object the API server would reject raises :class:`ManifestErrors`
    with every problem, and nothing is returned (an import is whole or not at all).
    """
    _version(kubernetes_version)
    docs, notes = load_documents(paths)
    cat = _Catalog(docs, namespace or DEFAULT_NAMESPACE, notes)
    if not cat.deployments:
        cat.choose(None)  # raises: no Deployment
    results: list[ImportResult] = []
    skipped: list[Note] = []
    errors: list[ScenarioError] = []
    twice = {d.name for d in cat.deployments
             if sum(o.name == d.name for o in cat.deployments) > 1}
    for dep in cat.deployments:
        name = f"{cat.ns(dep)}-{dep.name}" if dep.name in twice else dep.name
        try:
            results.append(_build(cat, dep, kubernetes_version=kubernetes_version,
                                  name=f"{name}-imported", all_mode=True))
        except ManifestErrors as e:
            errors += e.errors
        except NoRequestsError:
            skipped.append(Note(dep.ref, dep.where, "no CPU request (and no LimitRange "
                                "default): the simulation needs requests",
                                "no scenario written for it"))
        except ScenarioError as e:
            errors.append(e)
    if errors:
        # one line per problem, however many Deployments share the object (a PDB, quota)
        raise ManifestErrors(list({str(e): e for e in errors}.values()))
    return results, skipped


def scenario_file_names(results: list[ImportResult]) -> list[str]:
    """File names for ``--all``: ``<deployment>.yaml``, or ``<namespace>-<deployment>.yaml``
    when the same Deployment name is in several namespaces."""
    return [r.scenario["name"].removesuffix("-imported") + ".yaml" for r in results]


def manifest_error(result: ImportResult, e: ScenarioError) -> ScenarioError:
    """A scenario validation error restated in the manifest's terms (file, object, field)."""
    path = e.path or ""
    for prefix in sorted(result.origins, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            doc, base = result.origins[prefix]
            rest = path[len(prefix):].lstrip(".")
            field = f"{base}.{rest}" if rest and not rest.startswith("[") else base + rest
            return ScenarioError(f"{e.rule} (not supported by the scenario model)",
                                 file=doc.where, path=f"{doc.ref}: {field}", value=e.value,
                                 has_value=e.has_value)
    return e


# --- output ------------------------------------------------------------------------------


def notes_table(notes: list[Note], width: int | None = None) -> str:
    """The notes as one plain-text table: OBJECT, WHY, THE SCENARIO ASSUMES INSTEAD.

    Duplicate rows (the same note from several scenarios of ``--all``) appear once; long
    cells wrap within their column so the table fits ``width`` (default: the terminal's).
    """
    rows: list[tuple[str, str, str]] = []
    for n in notes:
        row = (printable(n.subject), printable(n.why), printable(n.instead))
        if row not in rows:
            rows.append(row)
    if not rows:
        return ""
    width = width or max(100, shutil.get_terminal_size((140, 24)).columns)
    head = ("OBJECT", "WHY", "THE SCENARIO ASSUMES INSTEAD")
    first = min(max(len(r[0]) for r in [head, *rows]), max(30, width // 3))
    rest = max(width - first - 4, 40)
    second = min(max(len(r[1]) for r in [head, *rows]), rest // 2)
    third = max(rest - second, 20)
    lines = []
    for r in [head, *rows]:
        cells = [textwrap.wrap(text, w, break_on_hyphens=False) or [""]
                 for text, w in zip(r, (first, second, third), strict=True)]
        for i in range(max(map(len, cells))):
            part = [c[i] if i < len(c) else "" for c in cells]
            lines.append(f"{part[0]:<{first}}  {part[1]:<{second}}  {part[2]}".rstrip())
    return "\n".join(lines) + "\n"


_ORDER = ("name", "description", "kubernetesVersion", "simulation", "namespace", "workload",
          "autoscaling", "disruption", "load")


def scenario_yaml(result: ImportResult) -> str:
    """The scenario as commented YAML: sources per section, each assumption and note."""
    from capacity.manifests.emit import dump_yaml

    sc = result.scenario
    lines = ["# Scenario imported by `python -m capacity import`.",
             "# [manifest] sections come from the files named; [assumption] sections are",
             "# defaults for what manifests do not say: replace them with your numbers."]
    for n in result.notes:
        lines.append(printable(f"# note: {n.subject} ({n.where}): {n.why} -> {n.instead}"))
    lines.append("")
    for key in _ORDER:
        if key not in sc:
            continue
        value = sc[key]
        if key == "workload":
            lines.append(f"# [manifest] workload.deployment: {result.sources['workload.deployment']}")
            for sub in ("demand", "startup"):
                lines.append(f"# [assumption] workload.{sub}: {result.assumptions[f'workload.{sub}']}")
        elif key in ("namespace", "autoscaling", "disruption"):
            for path, where in result.sources.items():
                if path.startswith(key + "."):
                    lines.append(f"# [manifest] {path}: {where}")
        elif key in result.assumptions:
            lines.append(f"# [assumption] {key}: {result.assumptions[key]}")
        lines.append(dump_yaml({key: value}).rstrip("\n"))
    for key in ("cluster", "failures", "pricing", "controllers"):
        lines.append(f"# [assumption] {key}: {result.assumptions[key]}")
    # A comment is one line, whatever a name in it holds.
    return "\n".join(printable(ln) if ln.startswith("#") else ln for ln in lines) + "\n"


__all__ = ["DEFAULT_KUBERNETES_VERSION", "IMPORTED_KINDS", "KNOWN_SKIPPED", "Doc",
           "ImportResult", "ManifestErrors", "NoRequestsError", "Note", "hpa_cpu_request_milli", "hpa_spec_v2",
           "import_all", "import_manifests", "load_documents", "manifest_error", "notes_table",
           "parse_documents", "read_documents", "scenario_file_names", "scenario_yaml"]
