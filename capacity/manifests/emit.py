"""Emit the Kubernetes manifests of a scenario, laid out as the seed's ``k8s/`` folder.

::

    kustomization.yaml
    namespaces/<ns>-namespace.yaml      Namespace, ResourceQuota, LimitRange
    deployments/configmap.yaml          ConfigMap(s) the pod refers to
    deployments/<workload>.yaml         ServiceAccount, Role, RoleBinding, Deployment, Service
    autoscaling/<workload>-hpa.yaml     HorizontalPodAutoscaler (autoscaling/v2)
    autoscaling/<workload>-vpa.yaml     VerticalPodAutoscaler (autoscaling.k8s.io/v1)
    policies/pod-disruption-budget.yaml PodDisruptionBudget (policy/v1)
    policies/network-policy.yaml        the workload's policy, default deny ingress, allow egress
    monitoring/servicemonitor.yaml      ServiceMonitor, PodMonitor, PrometheusRule (7 alerts)

Everything the scenario holds about an object is emitted as the scenario says it (its
``to_k8s()`` fragment). What the scenario format cannot say yet (network policy peers, the
ConfigMap's content, RBAC rules, scrape interval, alert thresholds) comes from
:data:`SEED_DEFAULTS`, the seed's values, documented there. Output is deterministic: fixed key
order (``apiVersion``, ``kind``, ``metadata``, then the API's order), no timestamps, a
header comment naming the scenario.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from capacity.manifests.alerts import AlertSettings, rule_group
from capacity.scenario.durations import format_duration
from capacity.scenario.model import Scenario

MANAGED_BY = "capacity"

SEED_DEFAULTS: dict[str, Any] = {
    # [seed] "Nginx ingress controller -> port 8000": the controller's usual namespace/labels.
    "ingressNamespace": "ingress-nginx",
    "ingressPodLabels": {"app.kubernetes.io/name": "ingress-nginx"},
    # [seed] "Prometheus (monitoring namespace) -> port 9090".
    "monitoringNamespace": "monitoring",
    # [seed] egress: DNS (kube-dns, 53), HTTPS 443, internal HTTP 80 and 8000,
    # PostgreSQL 5432, Redis 6379.
    "dnsNamespace": "kube-system",
    "dnsPodLabels": {"k8s-app": "kube-dns"},
    "egressExternalPorts": [443],
    "egressInternalPorts": [80, 8000, 5432, 6379],
    # [seed] "Scrape interval: 30s".
    "scrapeInterval": "30s",
    "metricsPath": "/metrics",
}

TOP_KEYS = ("apiVersion", "kind", "metadata", "spec", "data", "rules", "subjects", "roleRef",
            "automountServiceAccountToken")


# --- helpers ----------------------------------------------------------------------------


def _ordered(obj: Any, top: bool = False) -> Any:
    """Stable key order: at the top the Kubernetes order, ``name`` first everywhere else."""
    if isinstance(obj, dict):
        keys = list(obj)
        if top:
            first = [k for k in TOP_KEYS if k in obj]
        elif "kind" in obj and "name" in obj:  # an object reference
            first = [k for k in ("apiVersion", "apiGroup", "kind", "name") if k in obj]
        else:
            first = [k for k in ("name",) if k in obj]
        rest = [k for k in keys if k not in first]
        return {k: _ordered(obj[k]) for k in (*first, *rest)}
    if isinstance(obj, list):
        return [_ordered(v) for v in obj]
    return obj


def _meta(name: str, namespace: str | None, labels: dict[str, str] | None = None,
          annotations: dict[str, str] | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name}
    if namespace is not None:
        m["namespace"] = namespace
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    return m


def _obj(api: str, kind: str, metadata: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **body}


class _Context:
    """What the builders share: names, labels, selector, ports of the scenario."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.name = sc.workload.name
        self.ns = sc.namespace.name
        dep = sc.workload.deployment
        self.deployment = dep.to_k8s()
        tmpl = self.deployment.setdefault("template", {})
        tmeta = tmpl.setdefault("metadata", {})
        labels = dict(tmeta.get("labels") or {})
        sel = (self.deployment.get("selector") or {}).get("matchLabels")
        if not sel and not (self.deployment.get("selector") or {}).get("matchExpressions"):
            # A Deployment needs a selector matching its template: derive one.
            if not labels:
                labels = {"app": self.name}
                tmeta["labels"] = labels
            self.deployment["selector"] = {"matchLabels": dict(labels)}
        self.selector: dict[str, Any] = copy.deepcopy(self.deployment["selector"])
        self.match_labels: dict[str, str] = dict(self.selector.get("matchLabels") or labels)
        self.labels = {"app.kubernetes.io/name": self.name,
                       "app.kubernetes.io/managed-by": MANAGED_BY}
        spec = dep.template.spec
        self.pod_spec = spec
        self.container = sc.serving_container
        self.ports: list[dict[str, Any]] = []
        for c in spec.containers:
            for p in c.ports or []:
                if "containerPort" in p:
                    self.ports.append(p)
        ann = dep.template.metadata.annotations
        self.metrics_path = ann.get("prometheus.io/path", SEED_DEFAULTS["metricsPath"])
        self.metrics_port = self._metrics_port(ann.get("prometheus.io/port"))
        self.serving_ports = [p for p in self.ports if p is not self.metrics_port]
        self.service_account = spec.serviceAccountName or spec.serviceAccount

    def _metrics_port(self, annotated: str | None) -> dict[str, Any] | None:
        for p in self.ports:
            if annotated is not None and str(p.get("containerPort")) == str(annotated):
                return p
        for p in self.ports:
            if p.get("name") == "metrics":
                return p
        return None

    def configmap_names(self) -> list[str]:
        """ConfigMaps the pod refers to (envFrom, env valueFrom, volumes), in order of mention."""
        names: list[str] = []
        spec = self.pod_spec
        for c in [*spec.containers, *(spec.initContainers or [])]:
            for ef in c.envFrom or []:
                ref = ef.get("configMapRef") or {}
                if ref.get("name"):
                    names.append(ref["name"])
            for e in c.env or []:
                ref = ((e.get("valueFrom") or {}).get("configMapKeyRef")) or {}
                if ref.get("name"):
                    names.append(ref["name"])
        for v in spec.volumes or []:
            ref = v.get("configMap") or {}
            if ref.get("name"):
                names.append(ref["name"])
        return list(dict.fromkeys(names))


# --- builders ----------------------------------------------------------------------------


def namespace_objects(cx: _Context) -> list[dict[str, Any]]:
    """Namespace, ResourceQuota ``<ns>-quota`` and LimitRange ``<ns>-limits`` (seed names)."""
    out = [_obj("v1", "Namespace", _meta(cx.ns, None, {"kubernetes.io/metadata.name": cx.ns,
                                                        "app.kubernetes.io/managed-by": MANAGED_BY}))]
    ns = cx.sc.namespace
    if ns.resourceQuota is not None:
        out.append(_obj("v1", "ResourceQuota", _meta(f"{cx.ns}-quota", cx.ns, cx.labels),
                        spec=ns.resourceQuota.to_k8s()))
    if ns.limitRange is not None:
        out.append(_obj("v1", "LimitRange", _meta(f"{cx.ns}-limits", cx.ns, cx.labels),
                        spec=ns.limitRange.to_k8s()))
    return out


def configmap_objects(cx: _Context) -> list[dict[str, Any]]:
    """One ConfigMap per name the pod refers to.

    The scenario does not carry ConfigMap contents; the data written here is derived from
    the pod (its ports and namespace), so the pod starts and the keys are true.
    """
    out = []
    for name in cx.configmap_names():
        data = {"APP_NAME": cx.name, "APP_NAMESPACE": cx.ns}
        for p in cx.ports:
            key = (str(p.get("name") or p["containerPort"]).upper().replace("-", "_")) + "_PORT"
            data[key] = str(p["containerPort"])
        out.append(_obj("v1", "ConfigMap", _meta(name, cx.ns, cx.labels), data=data))
    return out


def rbac_objects(cx: _Context) -> list[dict[str, Any]]:
    """ServiceAccount, Role and RoleBinding when the pod names its own ServiceAccount.

    The Role is least privilege: read the ConfigMaps the pod refers to, nothing else.
    """
    sa = cx.service_account
    if not sa or sa == "default":
        return []
    cms = cx.configmap_names()
    rules: list[dict[str, Any]] = []
    if cms:
        rules.append({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": cms,
                      "verbs": ["get", "watch"]})
    # The Role is only useful with the token mounted: keep the pod's choice, default mounted.
    automount = cx.pod_spec.automountServiceAccountToken
    extra = {} if automount is None else {"automountServiceAccountToken": automount}
    sa_obj = _obj("v1", "ServiceAccount", _meta(sa, cx.ns, cx.labels), **extra)
    role = _obj("rbac.authorization.k8s.io/v1", "Role", _meta(sa, cx.ns, cx.labels), rules=rules)
    binding = _obj("rbac.authorization.k8s.io/v1", "RoleBinding", _meta(sa, cx.ns, cx.labels),
                   subjects=[{"kind": "ServiceAccount", "name": sa, "namespace": cx.ns}],
                   roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa})
    return [sa_obj, role, binding]


def deployment_object(cx: _Context) -> dict[str, Any]:
    """The Deployment: the scenario's DeploymentSpec as written (selector derived if absent)."""
    return _obj("apps/v1", "Deployment", _meta(cx.name, cx.ns, cx.labels), spec=cx.deployment)


def service_object(cx: _Context) -> dict[str, Any] | None:
    """A ClusterIP Service over the container ports (port = containerPort)."""
    if not cx.ports:
        return None
    ports = []
    for p in cx.ports:
        sp: dict[str, Any] = {}
        if p.get("name"):
            sp["name"] = p["name"]
        sp["port"] = p["containerPort"]
        sp["targetPort"] = p.get("name") or p["containerPort"]
        sp["protocol"] = p.get("protocol", "TCP")
        ports.append(sp)
    return _obj("v1", "Service", _meta(cx.name, cx.ns, {**cx.labels, **cx.match_labels}),
                spec={"type": "ClusterIP", "selector": dict(cx.match_labels), "ports": ports})


def _target_ref(cx: _Context) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": cx.name}


def hpa_object(cx: _Context) -> dict[str, Any] | None:
    h = cx.sc.autoscaling.horizontal
    if h is None:
        return None
    spec = h.to_k8s()
    spec["scaleTargetRef"] = spec.get("scaleTargetRef") or _target_ref(cx)
    spec.setdefault("minReplicas", h.minReplicas)
    ordered = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas", "metrics",
                                     "behavior") if k in spec}
    return _obj("autoscaling/v2", "HorizontalPodAutoscaler", _meta(cx.name, cx.ns, cx.labels),
                spec=ordered)


def vpa_object(cx: _Context) -> dict[str, Any] | None:
    v = cx.sc.autoscaling.vertical
    if v is None:
        return None
    spec = v.to_k8s()
    spec["targetRef"] = spec.get("targetRef") or _target_ref(cx)
    ordered = {"targetRef": spec.pop("targetRef"), **spec}
    return _obj("autoscaling.k8s.io/v1", "VerticalPodAutoscaler",
                _meta(cx.name, cx.ns, cx.labels), spec=ordered)


def pdb_object(cx: _Context) -> dict[str, Any] | None:
    p = cx.sc.disruption.podDisruptionBudget
    if p is None:
        return None
    spec = p.to_k8s()
    spec.setdefault("selector", copy.deepcopy(cx.selector))
    return _obj("policy/v1", "PodDisruptionBudget", _meta(cx.name, cx.ns, cx.labels), spec=spec)


def _tcp(ports: list[int | str]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def network_policy_objects(cx: _Context) -> list[dict[str, Any]]:
    """The seed's three NetworkPolicies; workload ports from the scenario, peers from the seed."""
    d = SEED_DEFAULTS
    serving = [p["containerPort"] for p in cx.serving_ports]
    metrics = [cx.metrics_port["containerPort"]] if cx.metrics_port else []
    ingress: list[dict[str, Any]] = []
    if serving:
        ingress.append({
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": d["ingressNamespace"]}},
                      "podSelector": {"matchLabels": dict(d["ingressPodLabels"])}}],
            "ports": _tcp(serving),
        })
    if serving or metrics:
        ingress.append({"from": [{"podSelector": {}}], "ports": _tcp(serving + metrics)})
    if metrics:
        ingress.append({
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": d["monitoringNamespace"]}}}],
            "ports": _tcp(metrics),
        })
    egress = [
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": d["dnsNamespace"]}},
                 "podSelector": {"matchLabels": dict(d["dnsPodLabels"])}}],
         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(d["egressExternalPorts"])},
        {"to": [{"namespaceSelector": {}}], "ports": _tcp(d["egressInternalPorts"])},
    ]
    workload = _obj("networking.k8s.io/v1", "NetworkPolicy", _meta(cx.name, cx.ns, cx.labels),
                    spec={"podSelector": {"matchLabels": dict(cx.match_labels)},
                          "policyTypes": ["Ingress", "Egress"], "ingress": ingress,
                          "egress": egress})
    deny = _obj("networking.k8s.io/v1", "NetworkPolicy",
                _meta("default-deny-ingress", cx.ns, cx.labels),
                spec={"podSelector": {}, "policyTypes": ["Ingress"]})
    allow = _obj("networking.k8s.io/v1", "NetworkPolicy",
                 _meta("default-allow-egress", cx.ns, cx.labels),
                 spec={"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]})
    return [workload, deny, allow]


def monitoring_objects(cx: _Context, alerts: AlertSettings | None = None) -> list[dict[str, Any]]:
    """ServiceMonitor and PodMonitor (if the pod has a metrics port) and the PrometheusRule."""
    out = []
    interval = format_duration(cx.sc.monitoring.scrapeInterval)
    if cx.metrics_port is not None:
        port = cx.metrics_port.get("name")
        endpoint: dict[str, Any] = ({"port": port} if port else
                                    {"targetPort": cx.metrics_port["containerPort"]})
        endpoint.update({"path": cx.metrics_path, "interval": interval})
        out.append(_obj("monitoring.coreos.com/v1", "ServiceMonitor",
                        _meta(cx.name, cx.ns, cx.labels),
                        spec={"selector": {"matchLabels": dict(cx.match_labels)},
                              "namespaceSelector": {"matchNames": [cx.ns]},
                              "endpoints": [endpoint]}))
        pod_ep: dict[str, Any] = ({"port": port} if port else
                                  {"portNumber": cx.metrics_port["containerPort"]})
        pod_ep.update({"path": cx.metrics_path, "interval": interval})
        out.append(_obj("monitoring.coreos.com/v1", "PodMonitor", _meta(cx.name, cx.ns, cx.labels),
                        spec={"selector": {"matchLabels": dict(cx.match_labels)},
                              "namespaceSelector": {"matchNames": [cx.ns]},
                              "podMetricsEndpoints": [pod_ep]}))
    group = rule_group(workload=cx.name, namespace=cx.ns, container=cx.container,
                       settings=alerts)
    out.append(_obj("monitoring.coreos.com/v1", "PrometheusRule", _meta(cx.name, cx.ns, cx.labels),
                    spec={"groups": [group]}))
    return out


# --- the folder --------------------------------------------------------------------------


def alerts_from_scenario(scenario: Scenario) -> AlertSettings:
    """The seed's alerts with the scenario's ``monitoring.alerts`` applied."""
    overrides = {}
    for name, rule in scenario.monitoring.alerts.items():
        change: dict[str, Any] = {}
        if rule.threshold is not None:
            change["threshold"] = rule.threshold
        if rule.for_ is not None:
            change["for"] = rule.for_
        if rule.severity is not None:
            change["severity"] = rule.severity
        overrides[name] = change
    return AlertSettings().with_overrides(overrides)


def build_manifests(scenario: Scenario, alerts: AlertSettings | None = None) -> dict[str, list[dict[str, Any]]]:
    """Relative file path → the objects in it, in the seed's folder layout (kustomization excluded)."""
    cx = _Context(scenario)
    if alerts is None:
        alerts = alerts_from_scenario(scenario)
    files: dict[str, list[dict[str, Any]]] = {}

    def add(path: str, objs: list[dict[str, Any] | None]) -> None:
        kept = [_ordered(o, top=True) for o in objs if o is not None]
        if kept:
            files[path] = kept

    add(f"namespaces/{cx.ns}-namespace.yaml", list(namespace_objects(cx)))
    add("deployments/configmap.yaml", list(configmap_objects(cx)))
    add(f"deployments/{cx.name}.yaml",
        [*rbac_objects(cx), deployment_object(cx), service_object(cx)])
    add(f"autoscaling/{cx.name}-hpa.yaml", [hpa_object(cx)])
    add(f"autoscaling/{cx.name}-vpa.yaml", [vpa_object(cx)])
    add("policies/pod-disruption-budget.yaml", [pdb_object(cx)])
    add("policies/network-policy.yaml", list(network_policy_objects(cx)))
    add("monitoring/servicemonitor.yaml", list(monitoring_objects(cx, alerts)))
    return files


def _header(scenario: Scenario, what: str) -> str:
    lines = [
        f"# {what}",
        f"# Generated by `python -m capacity manifests` from scenario {scenario.name!r}"
        + (f" ({Path(scenario.source).name})" if scenario.source else "") + ",",
        f"# Kubernetes {scenario.kubernetesVersion}. Edit the scenario and regenerate rather than",
        "# editing this file.",
    ]
    return "\n".join(lines) + "\n"


class _Dumper(yaml.SafeDumper):
    """Safe dumper writing multi-line strings (PromQL) as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(obj: Any) -> str:
    """One YAML document, keys in the given order, block style, literal multi-line strings."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100,
                     allow_unicode=True)


def dump_objects(objs: list[dict[str, Any]]) -> str:
    """Documents separated by ``---``."""
    return "---\n".join(dump_yaml(o) for o in objs)


def render_manifests(scenario: Scenario, alerts: AlertSettings | None = None) -> dict[str, str]:
    """Relative file path → file text, ``kustomization.yaml`` included."""
    files = build_manifests(scenario, alerts)
    out: dict[str, str] = {}
    for path, objs in files.items():
        kinds = ", ".join(dict.fromkeys(o["kind"] for o in objs))
        out[path] = _header(scenario, kinds) + "---\n" + dump_objects(objs)
    kust = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": list(files)}
    kust_text = _header(scenario, "Kustomization: kubectl apply -k .") + dump_yaml(kust)
    # kustomization.yaml first, then the files in the order they are applied.
    return {"kustomization.yaml": kust_text, **out}


def write_manifests(scenario: Scenario, out_dir: str | Path,
                    alerts: AlertSettings | None = None) -> list[str]:
    """Write the folder whole or not at all; returns the relative paths written.

    The tree is written into a temporary sibling folder, then swapped in
    (:func:`capacity.files.write_tree_atomically`, interrupts held off while it lands).
    An existing ``out_dir`` is replaced only if it holds nothing but files capacity wrote
    (raises :class:`~capacity.errors.CapacityError` otherwise), so stale files go too.
    """
    from capacity.errors import CapacityError
    from capacity.files import write_tree_atomically

    texts = render_manifests(scenario, alerts)
    target = Path(out_dir)
    if target.exists():
        if not target.is_dir():
            raise CapacityError(f"{target}: exists and is not a directory")
        foreign = _foreign_files(target)
        if foreign:
            raise CapacityError(
                f"{target}: holds {foreign}, which capacity did not write; "
                "choose an empty or new output folder")

    def fill(tmp: Path) -> None:
        for rel, text in texts.items():
            f = tmp / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text, encoding="utf-8")

    write_tree_atomically(target, fill)
    return list(texts)


_MARK = "Generated by `python -m capacity manifests`"


def _foreign_files(folder: Path) -> str | None:
    """The first file under ``folder`` that capacity did not write, if any."""
    for f in sorted(folder.rglob("*")):
        if f.is_dir():
            continue
        try:
            ours = f.suffix == ".yaml" and _MARK in f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            ours = False
        if not ours:
            return str(f.relative_to(folder))
    return None


__all__ = ["SEED_DEFAULTS", "build_manifests", "dump_objects", "dump_yaml", "render_manifests",
           "write_manifests"]
