"""Build a scenario from existing Kubernetes manifests.

``import_manifests(paths)`` reads Deployment, HorizontalPodAutoscaler (autoscaling/v2,
v2beta2, and v1 converted), PodDisruptionBudget (policy/v1 and v1beta1), ResourceQuota,
LimitRange and VerticalPodAutoscaler objects from files, folders (recursively: ``*.yaml``,
``*.yml``, ``*.json``) and multi-document files, and returns an :class:`ImportResult`: the
scenario as a dict, the assumptions made for what manifests do not say (load, demand,
cluster, prices, failures), and notes (skipped kinds, ignored objects).

Problems a user can fix raise :class:`~capacity.errors.ScenarioError` naming the file and
line: malformed YAML, no Deployment, several Deployments and no ``deployment=`` choice, a
Deployment whose containers have no resource requests (unless an imported LimitRange gives
defaults), an HPA whose target is not among the imported objects.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from capacity.errors import ScenarioError
from capacity.k8s.quantity import Quantity

IMPORTED_KINDS = ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                  "ResourceQuota", "LimitRange", "VerticalPodAutoscaler")
# Kinds the emitter writes (and common companions) that a scenario does not hold: skipped
# quietly. Everything else is "unknown": listed and skipped.
KNOWN_SKIPPED = ("Namespace", "Service", "ServiceAccount", "ConfigMap", "Secret", "Role",
                 "RoleBinding", "ClusterRole", "ClusterRoleBinding", "NetworkPolicy",
                 "ServiceMonitor", "PodMonitor", "PrometheusRule", "Kustomization",
                 "Ingress", "RuntimeClass", "PriorityClass")
_SUFFIXES = (".yaml", ".yml", ".json")

DEFAULT_KUBERNETES_VERSION = "1.33"
DEFAULT_CPU_PER_REQUEST = 0.01  # [assumption] 10 ms of CPU per request


@dataclass
class Doc:
    """One object read from a file, with where it came from."""

    obj: dict[str, Any]
    file: str
    line: int

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def meta(self) -> dict[str, Any]:
        m = self.obj.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        """``spec`` if it is a mapping, else ``{}`` (shape errors are reported by the caller)."""
        sp = self.obj.get("spec")
        return sp if isinstance(sp, dict) else {}

    @property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = self.meta.get("namespace")
        return str(ns) if ns is not None else None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class ImportResult:
    """The imported scenario (a dict ready for ``scenario_from_dict``) and what was assumed."""

    scenario: dict[str, Any]
    assumptions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    skipped_unknown: list[str] = field(default_factory=list)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


# --- reading -----------------------------------------------------------------------------


def _files(paths: list[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in _SUFFIXES)
            if not found:
                raise ScenarioError("folder holds no .yaml, .yml or .json file", file=_display(p))
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise ScenarioError("file not found", file=_display(p))
    return out


def read_documents(path: Path) -> list[Doc]:
    """Every object in a (multi-document) YAML or JSON file; ``kind: List`` is unpacked.

    Raises ScenarioError naming the file and line for malformed YAML.
    """
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("not a text file (UTF-8 expected)", file=shown) from None
    docs: list[Doc] = []
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise ScenarioError(f"not YAML: character U+{e.character:04X} is not allowed",
                            file=shown, line=line) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover
                continue
            line = node.start_mark.line + 1
            data = loader.construct_document(node)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise ScenarioError("a manifest must be a mapping with apiVersion and kind",
                                    file=shown, line=line, value=type(data).__name__,
                                    has_value=True)
            if data.get("kind") == "List" or (str(data.get("kind", "")).endswith("List")
                                               and isinstance(data.get("items"), list)):
                for item in data.get("items") or []:
                    if isinstance(item, dict):
                        docs.append(Doc(item, shown, line))
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
    finally:
        loader.dispose()
    return docs


# --- conversions -------------------------------------------------------------------------


def hpa_spec_v2(doc: Doc) -> dict[str, Any]:
    """The HPA's spec in autoscaling/v2 shape (v1 and v2beta1 converted, v2beta2 as is)."""
    api = str(doc.obj.get("apiVersion", ""))
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
                           for m in spec.get("metrics") or []]
    elif api not in ("autoscaling/v2", "autoscaling/v2beta2"):
        raise ScenarioError(f"HorizontalPodAutoscaler {doc.name}: unsupported apiVersion",
                            file=doc.file, line=doc.line, value=api, has_value=True)
    return spec


def _v2beta1_metric(m: dict[str, Any]) -> dict[str, Any]:
    if m.get("type") == "Resource" and isinstance(m.get("resource"), dict):
        r = m["resource"]
        if "targetAverageUtilization" in r:
            target = {"type": "Utilization", "averageUtilization": r["targetAverageUtilization"]}
        else:
            target = {"type": "AverageValue", "averageValue": r.get("targetAverageValue")}
        return {"type": "Resource", "resource": {"name": r.get("name"), "target": target}}
    return m


def _selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Label selector semantics (matchLabels AND matchExpressions); ``{}`` matches all
    (policy/v1; policy/v1beta1's empty selector matched nothing, not modelled)."""
    ml = selector.get("matchLabels") or {}
    if not isinstance(ml, dict):
        return False
    for k, v in ml.items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        if not isinstance(e, dict):
            return False
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _has_requests(container: dict[str, Any]) -> bool:
    res = container.get("resources")
    res = res if isinstance(res, dict) else {}
    req = res.get("requests") if isinstance(res.get("requests"), dict) else {}
    lim = res.get("limits") if isinstance(res.get("limits"), dict) else {}
    # A limit without a request defaults the request to the limit (API server defaulting).
    return "cpu" in req or "cpu" in lim


def _limitrange_defaults_cpu(limit_ranges: list[Doc]) -> bool:
    for lr in limit_ranges:
        for item in lr.spec.get("limits") or []:
            if isinstance(item, dict) and item.get("type") == "Container" and (
                "cpu" in (item.get("defaultRequest") or {}) or "cpu" in (item.get("default") or {})
            ):
                return True
    return False


def _clean_template_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta[k] for k in ("labels", "annotations") if meta.get(k)}


def _milli_cpu(containers: list[dict[str, Any]]) -> int:
    total = 0
    for c in containers:
        res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
        req = res.get("requests") if isinstance(res.get("requests"), dict) else {}
        lim = res.get("limits") if isinstance(res.get("limits"), dict) else {}
        q = req.get("cpu") or lim.get("cpu")
        if q is not None:
            try:
                total += Quantity.parse(q).milli_value()
            except Exception:  # reported by the scenario validation that follows
                continue
    return total


# --- the import --------------------------------------------------------------------------


def import_manifests(
    paths: list[str | os.PathLike[str]],
    *,
    deployment: str | None = None,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    name: str | None = None,
) -> ImportResult:
    """Read manifests and build a scenario dict; raises ScenarioError (see module doc)."""
    docs: list[Doc] = []
    for f in _files(paths):
        docs += read_documents(f)
    by_kind: dict[str, list[Doc]] = {}
    unknown: list[str] = []
    notes: list[str] = []
    for d in docs:
        if not d.kind or "apiVersion" not in d.obj:
            unknown.append(f"{d.where}: object without apiVersion/kind")
        elif d.kind in IMPORTED_KINDS:
            by_kind.setdefault(d.kind, []).append(d)
        elif d.kind not in KNOWN_SKIPPED:
            unknown.append(f"{d.where}: {d.obj.get('apiVersion')} {d.kind} {d.name}".rstrip())

    deps = by_kind.get("Deployment", [])
    if not deps:
        raise ScenarioError(
            "no Deployment among the manifests; a scenario needs the workload's Deployment",
            file=", ".join(dict.fromkeys(d.file for d in docs)) or None)
    if deployment is not None:
        chosen = [d for d in deps if d.name == deployment]
        if not chosen:
            raise ScenarioError(f"no Deployment named {deployment!r}; found: "
                                + ", ".join(d.name for d in deps))
        dep = chosen[0]
    elif len(deps) > 1:
        raise ScenarioError("several Deployments found (" + ", ".join(d.name for d in deps)
                            + "): choose one with --deployment NAME")
    else:
        dep = deps[0]
    for other in deps:
        if other is not dep:
            notes.append(f"Deployment {other.name} ({other.where}) not imported: "
                         f"only {dep.name} is the workload")

    spec = copy.deepcopy(dep.spec)
    tmpl = spec.get("template")
    pod = tmpl.get("spec") if isinstance(tmpl, dict) else None
    containers = pod.get("containers") if isinstance(pod, dict) else None
    if not isinstance(containers, list) or not containers or \
            not all(isinstance(c, dict) for c in containers):
        raise ScenarioError(f"Deployment {dep.name}: spec.template.spec.containers must be a "
                            "non-empty list of containers", file=dep.file, line=dep.line)
    assert isinstance(tmpl, dict)
    tmeta = tmpl.get("metadata")
    tmpl["metadata"] = _clean_template_meta(tmeta if isinstance(tmeta, dict) else {})
    spec.pop("status", None)
    pod_labels = tmpl["metadata"].get("labels") or {}
    pod_labels = pod_labels if isinstance(pod_labels, dict) else {}
    ns_name = dep.namespace or "default"

    same_ns = [d for kind in ("ResourceQuota", "LimitRange") for d in by_kind.get(kind, [])
               if d.namespace in (None, ns_name)]
    quotas = [d for d in same_ns if d.kind == "ResourceQuota"]
    lranges = [d for d in same_ns if d.kind == "LimitRange"]
    missing = [c.get("name", "?") for c in containers if not _has_requests(c)]
    if missing and not _limitrange_defaults_cpu(lranges):
        raise ScenarioError(
            f"Deployment {dep.name}: container {', '.join(missing)} has no resources.requests "
            "(nor limits); the simulation needs CPU and memory requests: add them, or import "
            "the namespace's LimitRange with defaultRequest",
            file=dep.file, line=dep.line)
    if missing:
        notes.append(f"containers {', '.join(missing)} of {dep.name} have no requests: "
                     "the imported LimitRange's defaults apply")

    sources = {"workload.deployment": dep.where}
    sc: dict[str, Any] = {
        "name": name or f"{dep.name}-imported",
        "description": f"Imported from Kubernetes manifests ({dep.file} and others).",
        "kubernetesVersion": kubernetes_version,
    }
    namespace: dict[str, Any] = {"name": ns_name}
    if quotas:
        q = quotas[0]
        namespace["resourceQuota"] = copy.deepcopy(q.spec)
        sources["namespace.resourceQuota"] = q.where
        for extra in quotas[1:]:
            notes.append(f"ResourceQuota {extra.name} ({extra.where}) not imported: "
                         "a scenario holds one quota")
    if lranges:
        lr = lranges[0]
        namespace["limitRange"] = copy.deepcopy(lr.spec)
        sources["namespace.limitRange"] = lr.where
        for extra in lranges[1:]:
            notes.append(f"LimitRange {extra.name} ({extra.where}) not imported: "
                         "a scenario holds one LimitRange")
    sc["namespace"] = namespace

    # HPA: the one targeting the Deployment; any other HPA points at nothing we import.
    hpa_doc = None
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        ref = h.spec.get("scaleTargetRef")
        ref = ref if isinstance(ref, dict) else {}
        if ref.get("kind") == "Deployment" and ref.get("name") == dep.name and \
                h.namespace in (None, dep.namespace):
            if hpa_doc is None:
                hpa_doc = h
            else:
                notes.append(f"HorizontalPodAutoscaler {h.name} ({h.where}) also targets "
                             f"{dep.name}: ignored (two HPAs on one Deployment fight)")
            continue
        target = f"{ref.get('kind', '?')} {ref.get('name', '?')}"
        if len(deps) == 1 or not any(d.name == ref.get("name") for d in deps):
            raise ScenarioError(
                f"HorizontalPodAutoscaler {h.name} targets {target}, which is not among the "
                f"imported manifests (Deployments: {', '.join(d.name for d in deps)})",
                file=h.file, line=h.line)
        notes.append(f"HorizontalPodAutoscaler {h.name} ({h.where}) targets {target}: ignored")
    autoscaling: dict[str, Any] = {}
    if hpa_doc is not None:
        autoscaling["horizontal"] = hpa_spec_v2(hpa_doc)
        sources["autoscaling.horizontal"] = hpa_doc.where
    for v in by_kind.get("VerticalPodAutoscaler", []):
        ref = v.spec.get("targetRef")
        ref = ref if isinstance(ref, dict) else {}
        if ref.get("name") == dep.name and "vertical" not in autoscaling:
            autoscaling["vertical"] = copy.deepcopy(v.spec)
            sources["autoscaling.vertical"] = v.where
        else:
            notes.append(f"VerticalPodAutoscaler {v.name} ({v.where}) not imported")
    if autoscaling:
        sc["autoscaling"] = autoscaling

    # PDB: the one whose selector picks the Deployment's pods.
    for p in by_kind.get("PodDisruptionBudget", []):
        pspec = p.spec
        sel = pspec.get("selector")
        selects = p.namespace in (None, dep.namespace) and isinstance(sel, dict) and \
            _selector_matches(sel, pod_labels)
        if not selects:
            notes.append(f"PodDisruptionBudget {p.name} ({p.where}) does not select "
                         f"{dep.name}'s pods: ignored")
        elif "disruption" in sc:
            notes.append(f"PodDisruptionBudget {p.name} ({p.where}) also selects "
                         f"{dep.name}'s pods: ignored (a scenario holds one PDB)")
        else:
            sc["disruption"] = {"podDisruptionBudget": copy.deepcopy(pspec)}
            sources["disruption.podDisruptionBudget"] = p.where

    assumptions: dict[str, str] = {}
    serving = containers[0].get("name", "app")
    cpu_milli = _milli_cpu([containers[0]]) or 100
    replicas = spec.get("replicas")
    hpa = autoscaling.get("horizontal") or {}
    n = hpa.get("minReplicas", 1) if hpa else (replicas if replicas is not None else 1)
    n = n if isinstance(n, int) and n > 0 else 1
    target = 50
    for m in hpa.get("metrics") or []:
        r = m.get("resource") if isinstance(m, dict) else None
        t = r.get("target") if isinstance(r, dict) else None
        if isinstance(t, dict) and r.get("name") == "cpu" and isinstance(t.get("averageUtilization"), int):
            target = t["averageUtilization"]
    # Load that keeps the minimum replicas at half their CPU target: rps =
    # n pods x request (cores) x target/2 / cpu-seconds per request.
    rps = round(n * cpu_milli / 1000 * target / 200 / DEFAULT_CPU_PER_REQUEST, 3)
    sc["workload"] = {
        "name": dep.name,
        "deployment": spec,
        "demand": {"cpuPerRequest": DEFAULT_CPU_PER_REQUEST},
    }
    assumptions["workload.demand"] = (
        f"{DEFAULT_CPU_PER_REQUEST * 1000:g} ms of CPU per request in container {serving}, no "
        "base CPU or memory: manifests do not say how load becomes resource use")
    assumptions["workload.startup"] = "start-up delays are the scenario defaults (5 s pull, 2 s start)"
    sc["load"] = {"constant": rps}
    assumptions["load"] = (
        f"constant {rps:g} requests per second: {n} replica(s) x {cpu_milli}m CPU request at "
        f"half the {target}% target; replace with your traffic")
    sc["simulation"] = {"duration": "1d", "runs": 1, "seed": 0}
    assumptions["simulation"] = "one day, one run, seed 0"
    assumptions["cluster"] = "no cluster section: nodes are not modelled (pods always fit)"
    assumptions["failures"] = "no node, zone or spot failures"
    assumptions["pricing"] = "OpenCost's public default prices, USD"
    assumptions["controllers"] = "upstream defaults of Kubernetes " + kubernetes_version
    if not hpa:
        notes.append(f"no HorizontalPodAutoscaler targets {dep.name}: fixed replicas")
    return ImportResult(scenario=sc, assumptions=assumptions, notes=notes, sources=sources,
                        skipped_unknown=unknown)


_ORDER = ("name", "description", "kubernetesVersion", "simulation", "namespace", "workload",
          "autoscaling", "disruption", "load")


def scenario_yaml(result: ImportResult) -> str:
    """The scenario as commented YAML: sources per section, each assumption noted."""
    from capacity.manifests.emit import dump_yaml

    sc = result.scenario
    lines = ["# Scenario imported by `python -m capacity import`.",
             "# [manifest] sections come from the files named; [assumption] sections are",
             "# defaults for what manifests do not say: replace them with your numbers."]
    for note in result.notes:
        lines.append(f"# note: {note}")
    for u in result.skipped_unknown:
        lines.append(f"# skipped (unknown kind): {u}")
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
    return "\n".join(lines) + "\n"


__all__ = ["IMPORTED_KINDS", "KNOWN_SKIPPED", "Doc", "ImportResult", "hpa_spec_v2",
           "import_manifests", "read_documents", "scenario_yaml"]
