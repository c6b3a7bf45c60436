"""``capacity check``: admission and configuration findings for a scenario.

Pure arithmetic over the scenario (no simulation). Each :class:`Finding` has a severity
(``error`` / ``warning`` / ``info``), a stable ``code``, the scenario field path to change,
a one-line message and a one-line fix. ``docs/check.md`` explains every code with its
upstream reference. The pod under test is built from the Deployment's template and sent
through the same admission steps the API server runs on a ReplicaSet's create
(RuntimeClass, API defaulting, LimitRanger, ResourceQuota), using :mod:`capacity.k8s`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Literal

from capacity.analysis.headroom import (
    TEMPLATE_PATH,
    defaulted_pod,
    exceeded_message,
    headroom,
    limit_range_name,
    quota_name,
    replica_counts,
    template_pod,
    with_runtime_class,
)
from capacity.k8s.disruption import (
    PodDisruptionBudgetSpec,
    disruptions_allowed_for,
    get_expected_pod_count,
)
from capacity.k8s.limitrange import (
    LIMIT_TYPE_CONTAINER,
    LIMIT_TYPE_POD,
    aggregate_errors,
    forbidden_message,
    limit_request_ratio_constraint,
    max_constraint,
    min_constraint,
    object_name,
    parse_resources,
    pod_limits_quantities,
    pod_requests_quantities,
    set_defaults_limit_range,
    set_defaults_pod,
)
from capacity.k8s.node import Taint, do_not_schedule_taints_filter, tolerations_tolerate_taint
from capacity.k8s.probes import probe_from_fields, startup_timeline
from capacity.k8s.quantity import Quantity
from capacity.k8s.quota import (
    QuotaConstraintError,
    RuntimeClassError,
    matching_resources,
    pod_usage,
    quota_constraints,
    quota_matches,
)
from capacity.k8s.resources import pod_requests
from capacity.k8s.scheduler import label_selector_matches
from capacity.k8s.types import Pod, Toleration, pod_from_manifest
from capacity.scenario.model import Distribution, Scenario

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
HOSTNAME_KEY = "kubernetes.io/hostname"
# VPA update modes that never change a pod's resources (autoscaling.k8s.io/v1 types.go)
VPA_PASSIVE_MODES = ("Off",)
# ...and the ones that change running pods (evict or resize), not only new ones
VPA_LIVE_MODES = ("Auto", "Recreate", "InPlaceOrRecreate")
Z95 = 1.6448536269514722


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: ``severity``, a stable ``code``, the scenario field ``path`` to change,
    a one-line ``message`` and a one-line ``fix``."""

    severity: Severity
    code: str
    path: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error (``check`` then exits 1)."""
    return any(f.severity == "error" for f in findings)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    out = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        out[f.severity] += 1
    return out


# --------------------------------------------------------------------------- helpers


def _containers(pod: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """(spec field, index, container) for app containers then init containers."""
    spec = pod.get("spec") or {}
    out = [("containers", i, c) for i, c in enumerate(spec.get("containers") or [])]
    out += [("initContainers", i, c) for i, c in enumerate(spec.get("initContainers") or [])]
    return out


def _cpath(field: str, i: int, tail: str = "") -> str:
    return f"{TEMPLATE_PATH}.spec.{field}[{i}]" + (f".{tail}" if tail else "")


def _kind(field: str) -> str:
    return "container" if field == "containers" else "init container"


def _qstr(name: str, milli: int) -> str:
    """A milli-unit amount as a quantity string in the resource's usual format."""
    if name in ("memory", "ephemeral-storage") or name.startswith("hugepages-"):
        return str(Quantity.from_value(-(-milli // 1000), "BinarySI"))
    return str(Quantity.from_milli(milli))


def _quantile(d: Distribution | None, q: float) -> float:
    """The ``q`` quantile (0.5 or 0.95) of a start-up delay distribution, in seconds."""
    if d is None:
        return 0.0
    if d.type == "constant":
        return float(d.value or 0.0)
    if d.type == "uniform":
        return float(d.min) + q * (float(d.max) - float(d.min))  # type: ignore[arg-type]
    if d.type == "exponential":
        return -float(d.mean) * math.log(1 - q)  # type: ignore[arg-type]
    mu, sigma = d.lognormal_params()
    return math.exp(mu + sigma * (Z95 if q >= 0.95 else 0.0))


def _hpa_containers(pod: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """Containers whose requests the HPA sums: app containers and sidecars.

    ``replica_calculator.go`` ``calculatePodRequestsFromContainers``: restartable init
    containers (``restartPolicy: Always``) count, plain init containers do not.
    """
    return [
        (f, i, c)
        for f, i, c in _containers(pod)
        if f == "containers" or c.get("restartPolicy") == "Always"
    ]


def _tolerations(pod: dict[str, Any]) -> list[Toleration]:
    out = []
    for t in (pod.get("spec") or {}).get("tolerations") or []:
        out.append(Toleration(key=t.get("key"), operator=t.get("operator") or "Equal",
                              value=t.get("value"), effect=t.get("effect")))
    return out


@dataclass(frozen=True, slots=True)
class _PoolView:
    name: str
    zones: tuple[str, ...]
    nodes_now: int
    nodes_max: int
    fits: bool


def _eligible_pools(sc: Scenario, pod: dict[str, Any]) -> list[_PoolView]:
    """Node pools the pod may land on: nodeSelector matches, NoSchedule/NoExecute taints
    tolerated. ``fits``: one pod's requests (with overhead) fit a node's allocatable.

    ``autoscaling.maxNodes`` is read as the pool's total across its zones.
    """
    assert sc.cluster is not None
    spec = pod.get("spec") or {}
    selector = spec.get("nodeSelector") or {}
    tolerations = _tolerations(pod)
    request = pod_requests(pod_from_manifest(pod))
    ca = sc.controllers.clusterAutoscaler.enabled
    out = []
    for p in sc.cluster.nodePools:
        zones = tuple(p.zones or sc.cluster.zones)
        zone_ok = [
            z for z in zones
            if all((p.labels | {ZONE_KEYS[0]: z}).get(k) == v for k, v in selector.items())
        ]
        if not zone_ok:
            continue
        taints = [Taint(key=t.key, value=t.value or "", effect=t.effect) for t in p.taints]
        if any(do_not_schedule_taints_filter(t) and not tolerations_tolerate_taint(tolerations, t)
               for t in taints):
            continue
        alloc = {k: Quantity.parse(v).milli_value() for k, v in p.allocatable.items()}
        fits = all(request.get(k, 0) <= alloc[k] for k in ("cpu", "memory", "ephemeral-storage")
                   if k in alloc)
        if "pods" in alloc and alloc["pods"] < 1000:
            fits = False
        now = p.nodesPerZone * len(zone_ok)
        most = max(now, p.autoscaling.maxNodes) if (p.autoscaling and ca) else now
        out.append(_PoolView(p.name, tuple(zone_ok), now, most, fits))
    return out


# --------------------------------------------------------------------------- the checks


class _Checker:
    """Runs the checks in order and collects findings."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.findings: list[Finding] = []
        self.lo, self.hi, self.surge = replica_counts(sc)
        self.pod, _ = defaulted_pod(sc)
        self.pod_name = object_name(self.pod)

    def add(self, severity: Severity, code: str, path: str, message: str, fix: str) -> None:
        self.findings.append(Finding(severity, code, path, message, fix))

    def run(self) -> list[Finding]:
        for step in (
            self.runtime_class,
            self.limit_range_defaults,
            self.limit_range_rejects,
            self.quota_constraints,
            self.quota_exhausted,
            self.replicas_overridden,
            self.hpa_requests,
            self.hpa_idle_usage,
            self.vpa_with_hpa,
            self.probes,
            self.cluster,
            self.pdb,
            self.objectives_at_peak,
        ):
            step()
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(self.findings, key=lambda f: order[f.severity])

    # --- objectives ---------------------------------------------------------------------
    def objectives_at_peak(self) -> None:
        """Objectives no configuration of this workload can meet (the queueing formulas at
        the peak load, with the most replicas at their CPU limit: analysis.slo_check)."""
        from capacity.analysis.slo_check import peak_findings

        for f in peak_findings(self.sc):
            self.add("warning", f.code, f.path, f.message, f.fix)

    # --- RuntimeClass -------------------------------------------------------------------
    def runtime_class(self) -> None:
        sc = self.sc
        try:
            with_runtime_class(sc, template_pod(sc))
        except RuntimeClassError as e:
            self.add("error", "runtimeclass-overhead", f"{TEMPLATE_PATH}.spec.overhead",
                     f"RuntimeClass admission rejects every pod: {e}",
                     "remove spec.overhead from the template: the RuntimeClass sets it")
        rc = sc.workload.runtimeClass
        named = sc.workload.deployment.template.spec.runtimeClassName
        if rc is not None and rc.name and named != rc.name:
            over = (rc.overhead.podFixed if rc.overhead else None) or {}
            self.add("warning", "runtimeclass-not-named",
                     f"{TEMPLATE_PATH}.spec.runtimeClassName",
                     f"workload.runtimeClass is {rc.name!r} but the pod template names "
                     f"{named!r}: a real pod would not run under it"
                     + (f" nor carry its overhead {over}" if over else ""),
                     f"set runtimeClassName: {rc.name} in the pod template")

    # --- LimitRange ---------------------------------------------------------------------
    def _limit_range(self) -> dict[str, Any] | None:
        lr = self.sc.namespace.limitRange
        return None if lr is None else set_defaults_limit_range(lr.to_k8s())

    def limit_range_defaults(self) -> None:
        lr = self._limit_range()
        if lr is None:
            return
        before = set_defaults_pod(template_pod(self.sc))
        hpa_resources = self._hpa_resources()
        for (field, i, orig), (_, _, after) in zip(_containers(before), _containers(self.pod),
                                                   strict=True):
            o = orig.get("resources") or {}
            a = after.get("resources") or {}
            added: list[str] = []
            for kind in ("requests", "limits"):
                for k, v in (a.get(kind) or {}).items():
                    if k not in (o.get(kind) or {}):
                        added.append(f"{kind}.{k}={v}")
            if not added:
                continue
            name = orig.get("name", "")
            note = ""
            used = sorted(
                k.split("=")[0].split(".", 1)[1] for k in added
                if k.startswith("requests.") and k.split("=")[0].split(".", 1)[1] in hpa_resources
                and (field == "containers" or orig.get("restartPolicy") == "Always")
            )
            if used:
                note = f"; the HPA's {', '.join(used)} utilization is measured against it"
            self.add("warning", "limitrange-defaults", _cpath(field, i, "resources"),
                     f"LimitRange {limit_range_name(self.sc)} silently sets "
                     f"{', '.join(added)} on {_kind(field)} {name!r} (the manifest states "
                     f"none){note}",
                     f"state the {_kind(field)}'s resources explicitly in the manifest")

    def limit_range_rejects(self) -> None:
        lr = self._limit_range()
        if lr is None:
            return
        checks = (("min", min_constraint), ("max", max_constraint),
                  ("maxLimitRequestRatio", limit_request_ratio_constraint))
        # (path, who, type, requests, limits, names the manifest itself states)
        targets: list[tuple[str, str, str, Any, Any, set[str] | None]] = []
        before = set_defaults_pod(template_pod(self.sc))
        for (field, i, c), (_, _, orig) in zip(_containers(self.pod), _containers(before),
                                               strict=True):
            res = c.get("resources") or {}
            ores = orig.get("resources") or {}
            stated = {f"{kind}.{k}" for kind in ("requests", "limits")
                      for k in (ores.get(kind) or {})}
            targets.append((_cpath(field, i, "resources"), f"{_kind(field)} {c.get('name')!r}",
                            LIMIT_TYPE_CONTAINER, parse_resources(res.get("requests")),
                            parse_resources(res.get("limits")), stated))
        targets.append((f"{TEMPLATE_PATH}.spec", "the pod's total", LIMIT_TYPE_POD,
                        pod_requests_quantities(self.pod, exclude_overhead=True),
                        pod_limits_quantities(self.pod, exclude_overhead=True), None))
        for path, who, ltype, reqs, lims, stated in targets:
            errors: list[str] = []
            fixes: list[str] = []
            for item in lr.get("limits") or []:
                if item.get("type") != ltype:
                    continue
                for field, fn in checks:
                    for name, enforced in parse_resources(item.get(field)).items():
                        err = fn(ltype, name, enforced, reqs, lims)
                        if err is not None:
                            errors.append(err)
                            fix = _limit_fix(field, name, enforced, reqs, lims)
                            if stated is not None and not {f"requests.{name}",
                                                           f"limits.{name}"} <= stated:
                                fix = (f"state {name} requests and limits in the manifest "
                                       f"(the LimitRange's defaults fail here): {fix}")
                            fixes.append(fix)
            reason = aggregate_errors(errors)
            if reason is None:
                continue
            self.add("error", "limitrange-rejects", path,
                     f"LimitRange {limit_range_name(self.sc)} rejects every pod ({who}): "
                     f"{forbidden_message(self.pod, reason)}",
                     "; ".join(dict.fromkeys(fixes)))

    # --- ResourceQuota ------------------------------------------------------------------
    def quota_constraints(self) -> None:
        rq = self.sc.namespace.resourceQuota
        if rq is None or not quota_matches(rq.to_k8s(), self.pod):
            return
        required = matching_resources(rq.hard)
        try:
            quota_constraints(required, self.pod)
        except QuotaConstraintError as e:
            reason = f"failed quota: {quota_name(self.sc)}: {e.reason}"
            first = _first_missing(self.pod, required)
            self.add("error", "quota-must-specify", first,
                     f"ResourceQuota rejects every pod: {forbidden_message(self.pod, reason)}",
                     "set the named requests/limits on every container and init container "
                     "(or give the LimitRange defaults for them)")

    def quota_exhausted(self) -> None:
        h = headroom(self.sc)
        admitted = h["max_replicas_admitted"]
        if admitted is None:
            return
        for label, n in (("minReplicas", self.lo), ("maxReplicas", self.hi),
                         ("maxReplicas plus rollout surge", self.hi + self.surge)):
            if admitted >= n:
                continue
            binding = [k for k, r in h["resources"].items() if r["binding"]]
            need = []
            for k in binding:
                r = h["resources"][k]
                per = Quantity.parse(r["per_pod"])
                total = Quantity.parse(r["other"]) + per * (self.hi + self.surge)
                need.append(f"hard {k} >= {total}")
            msg = exceeded_message(self.sc, n) or ""
            self.add("error", "quota-exhausted",
                     f"namespace.resourceQuota.hard.{binding[0]}" if binding
                     else "namespace.resourceQuota.hard",
                     f"the quota admits {admitted} replicas, fewer than {label} ({n}): "
                     f"{msg}",
                     f"raise {', '.join(need)} (maxReplicas {self.hi} + surge {self.surge}), "
                     f"or lower maxReplicas to {max(admitted - self.surge, 0)}")
            return

    # --- HPA ----------------------------------------------------------------------------
    def _hpa_resources(self) -> set[str]:
        hpa = self.sc.autoscaling.horizontal
        out: set[str] = set()
        for m in (hpa.metrics or []) if hpa else []:
            src = m.resource or m.containerResource
            if (m.type in ("Resource", "ContainerResource") and src is not None
                    and src.target.type == "Utilization"):
                out.add(src.name)
        if hpa is not None and not hpa.metrics:
            out.add("cpu")  # API default: cpu at 80% utilization
        return out

    def replicas_overridden(self) -> None:
        d = self.sc.workload.deployment
        hpa = self.sc.autoscaling.horizontal
        if hpa is None or d.replicas is None:
            return
        outside = not hpa.minReplicas <= d.replicas <= hpa.maxReplicas
        self.add("warning", "replicas-overridden", "workload.deployment.replicas",
                 f"the HPA owns replicas: every apply of the Deployment resets it to "
                 f"{d.replicas}, then the HPA scales it again"
                 + (f" (at once: outside {hpa.minReplicas}..{hpa.maxReplicas})" if outside else ""),
                 "remove replicas from the Deployment manifest")

    def hpa_requests(self) -> None:
        hpa = self.sc.autoscaling.horizontal
        if hpa is None:
            return
        metrics = list(hpa.metrics or [])
        for j, m in enumerate(metrics):
            if m.type == "Resource" and m.resource is not None:
                src, container = m.resource, None
            elif m.type == "ContainerResource" and m.containerResource is not None:
                src, container = m.containerResource, m.containerResource.container
            else:
                continue
            path = f"autoscaling.horizontal.metrics[{j}]"
            cands = _hpa_containers(self.pod)
            if container is not None and not any(c.get("name") == container for _, _, c in cands):
                self.add("error", "hpa-container-missing", f"{path}.containerResource.container",
                         f"the HPA metric names container {container!r}, which the pod does "
                         "not run: the metric is invalid",
                         "name one of the pod's containers")
                continue
            if src.target.type != "Utilization":
                continue  # AverageValue needs no request
            consequence = ("the HPA then only scales up, on the other metrics, and never down"
                           if len(metrics) > 1 else "the HPA does not scale at all")
            for field, i, c in cands:
                if container is not None and c.get("name") != container:
                    continue
                if src.name in ((c.get("resources") or {}).get("requests") or {}):
                    continue
                self.add("error", "hpa-missing-request", _cpath(field, i, "resources.requests"),
                         f"HPA {src.name} utilization target (metrics[{j}]) fails with "
                         f"\"missing request for {src.name} in container {c.get('name')} of "
                         f"Pod {self.pod_name}\"; {consequence}",
                         f"set resources.requests.{src.name} on {_kind(field)} "
                         f"{c.get('name')!r}")

    def hpa_idle_usage(self) -> None:
        """A Utilization target the idle pod already meets: the HPA never scales down."""
        sc = self.sc
        hpa = sc.autoscaling.horizontal
        if hpa is None:
            return
        kcm = sc.controllers.kubeControllerManager
        tol_down = tol_up = Fraction(str(kcm.horizontalPodAutoscalerTolerance))
        if sc.feature_gate("HPAConfigurableTolerance") and hpa.behavior is not None:
            for rules, which in ((hpa.behavior.scaleDown, "down"), (hpa.behavior.scaleUp, "up")):
                if rules is not None and rules.tolerance is not None:
                    t = Quantity.parse(rules.tolerance).as_fraction()
                    tol_down, tol_up = (t, tol_up) if which == "down" else (tol_down, t)
        d = sc.workload.demand
        idle = {"cpu": Quantity.parse(d.baseCpu).milli_value(),
                "memory": Quantity.parse(d.baseMemory).milli_value()}
        for j, m in enumerate(hpa.metrics or []):
            src = m.resource if m.type == "Resource" else (
                m.containerResource if m.type == "ContainerResource" else None)
            if src is None or src.target.type != "Utilization" or src.name not in idle:
                continue
            if m.type == "ContainerResource" and m.containerResource.container != sc.serving_container:  # type: ignore[union-attr]
                continue  # demand describes the serving container only
            requests = 0
            for _, _, c in _hpa_containers(self.pod):
                if m.type == "ContainerResource" and c.get("name") != sc.serving_container:
                    continue
                req = ((c.get("resources") or {}).get("requests") or {}).get(src.name)
                if req is None:
                    requests = 0
                    break
                requests += Quantity.parse(req).milli_value()
            if requests <= 0:
                continue  # hpa_requests reports it
            target = src.target.averageUtilization or 0
            # metrics/utilization.go GetResourceUtilizationRatio: integer percent, truncated
            util = idle[src.name] * 100 // requests
            ratio = Fraction(util, target)
            base = d.baseCpu if src.name == "cpu" else d.baseMemory
            path = f"autoscaling.horizontal.metrics[{j}]"
            what = (f"with no load a pod already uses {util}% of its {src.name} request "
                    f"(demand.base{'Cpu' if src.name == 'cpu' else 'Memory'} {base}, target "
                    f"{target}%)")
            fix = _idle_fix(src.name, idle[src.name], requests, target, tol_down, self.lo)
            if ratio >= 1:
                up = ratio > 1 + tol_up
                self.add("error", "hpa-never-scales-down", path,
                         f"{what}: the HPA can "
                         + ("scale up to maxReplicas on it" if up else "scale up")
                         + " but never scale down", fix)
            elif ratio >= 1 - tol_down:
                self.add("warning", "hpa-never-scales-down", path,
                         f"{what}: within the {float(tol_down):g} tolerance of the target, so "
                         "this metric never lets the HPA scale down", fix)
            else:
                floor = _idle_floor(util, target, tol_down)
                if floor is not None and floor > self.lo:
                    self.add("warning", "hpa-scale-down-floor", path,
                             f"{what}: ceil({float(ratio):.3f}·n) keeps this metric's proposal "
                             f"at {floor} replicas or more, above minReplicas {self.lo}",
                             fix)

    # --- VPA ----------------------------------------------------------------------------
    def vpa_with_hpa(self) -> None:
        """A VPA that changes the requests of the resource the HPA scales on, for the same
        pods. Upstream (kubernetes/autoscaler ``vertical-pod-autoscaler/docs/known-
        limitations.md``): the VPA "should not be used with the Horizontal Pod Autoscaler
        (HPA) on the same resource metric (CPU or memory)"; separate resources, or an HPA
        on custom and external metrics, are fine. An unset ``updateMode`` is ``Auto`` (the
        API's default); ``Off`` changes nothing, ``Initial`` only new pods (a warning)."""
        sc = self.sc
        vpa, hpa = sc.autoscaling.vertical, sc.autoscaling.horizontal
        if vpa is None or hpa is None:
            return

        def target(ref: Any) -> tuple[str, str]:
            # both default to the scenario's Deployment (as the emitted manifests do)
            if ref is None:
                return ("Deployment", sc.workload.name)
            return (ref.kind or "Deployment", ref.name or sc.workload.name)

        if target(vpa.targetRef) != target(hpa.scaleTargetRef):
            return  # different workloads: different pods
        mode = (vpa.updatePolicy.updateMode if vpa.updatePolicy else None) or "Auto"
        if mode in VPA_PASSIVE_MODES:
            return
        policies = (vpa.resourcePolicy.containerPolicies if vpa.resourcePolicy else None) or []

        def controls(container: str, resource: str) -> bool:
            pol = next((p for p in policies if p.containerName == container), None)
            pol = pol or next((p for p in policies if p.containerName == "*"), None)
            if pol is None:
                return True
            if pol.mode == "Off":
                return False
            return resource in (pol.controlledResources or ["cpu", "memory"])

        names = [c.get("name", "") for _, _, c in _hpa_containers(self.pod)]
        hpa_on: list[str] = []
        utilization: list[str] = []
        for m in hpa.metrics or []:
            res = None
            if m.type == "Resource" and m.resource is not None:
                if any(controls(n, m.resource.name) for n in names):
                    res = m.resource
            elif (m.type == "ContainerResource" and m.containerResource is not None
                  and controls(m.containerResource.container, m.containerResource.name)):
                res = m.containerResource
            if res is not None:
                hpa_on.append(res.name)
                if res.target is not None and res.target.type == "Utilization":
                    utilization.append(res.name)
        if not hpa.metrics and any(controls(n, "cpu") for n in names):
            hpa_on.append("cpu")  # an HPA without metrics scales on 80% CPU utilization
            utilization.append("cpu")
        hpa_on = [r for r in dict.fromkeys(hpa_on) if r in ("cpu", "memory")]
        utilization = [r for r in dict.fromkeys(utilization) if r in hpa_on]
        if not hpa_on:
            return
        severity: Severity = "error" if mode in VPA_LIVE_MODES else "warning"
        loop = (f"; on a Utilization target ({', '.join(utilization)}) a higher request lowers "
                "the utilization the HPA sees, so it removes pods while the VPA grows them"
                if utilization else "")
        when = "changes pod" if mode in VPA_LIVE_MODES else "sets new pods'"
        self.add(severity, "vpa-hpa-conflict", "autoscaling.vertical.updatePolicy.updateMode",
                 f"VPA updateMode {mode} {when} {', '.join(hpa_on)} requests while the HPA "
                 f"scales on {', '.join(hpa_on)}; the VPA docs: do not use it with an HPA on CPU "
                 f"or memory (known-limitations.md){loop}",
                 "set updateMode: Off (recommendations only), or move the HPA to a custom or "
                 "external metric, or exclude the resource with controlledResources")

    # --- probes vs the HPA's CPU initialization period ---------------------------------
    def probes(self) -> None:
        sc = self.sc
        hpa = sc.autoscaling.horizontal
        spec = sc.workload.deployment.template.spec
        serving_i, serving = next((i, c) for i, c in enumerate(spec.containers)
                                  if c.name == sc.serving_container)
        st = sc.workload.startup
        has_init = bool(spec.initContainers)
        startup_p = probe_from_fields(serving.startupProbe)
        ready_p = probe_from_fields(serving.readinessProbe)
        times = {}
        for label, q in (("typical", 0.5), ("slow (p95)", 0.95)):
            container_start = (_quantile(st.initContainers, q) if has_init else 0.0) \
                + _quantile(st.imagePull, q) + _quantile(st.containerStart, q)
            app_up = container_start + _quantile(st.appWarmup, q)
            times[label] = startup_timeline(0.0, container_start, app_up, startup_p, ready_p)
        cpath = _cpath("containers", serving_i)
        for label, tl in times.items():
            if tl.killed_at is not None:
                self.add("error" if label == "typical" else "warning", "startup-probe-kills",
                         f"{cpath}.startupProbe",
                         f"a {label} pod start (app up after workload.startup's delays) outlasts "
                         f"the startup probe, which kills the container at {tl.killed_at:g}s: "
                         "crash loop",
                         "raise startupProbe.failureThreshold × periodSeconds above the "
                         "start-up time")
                return
        if hpa is None or "cpu" not in self._hpa_cpu_resources():
            return
        period = sc.controllers.kubeControllerManager.horizontalPodAutoscalerCPUInitializationPeriod
        for label, tl in times.items():
            if tl.ready_at is not None and tl.ready_at > period:
                self.add("warning", "probe-ready-after-cpu-init", f"{cpath}.readinessProbe",
                         f"a {label} new pod becomes Ready {tl.ready_at:g}s after it starts, later "
                         f"than the HPA's cpu-initialization-period ({period:g}s): its first CPU "
                         "sample, start-up CPU included, then counts in full",
                         "shorten the probes' delays, or raise controllers.kubeControllerManager"
                         ".horizontalPodAutoscalerCPUInitializationPeriod")
                return

    def _hpa_cpu_resources(self) -> set[str]:
        hpa = self.sc.autoscaling.horizontal
        out: set[str] = set()
        for m in (hpa.metrics or []) if hpa else []:
            src = m.resource or m.containerResource
            if m.type in ("Resource", "ContainerResource") and src is not None:
                out.add(src.name)
        if hpa is not None and not hpa.metrics:
            out.add("cpu")
        return out

    # --- nodes, zones, spread, anti-affinity --------------------------------------------
    def cluster(self) -> None:
        sc = self.sc
        spec = sc.workload.deployment.template.spec
        if sc.cluster is None:
            uses = bool(spec.topologySpreadConstraints) or bool(
                ((spec.affinity or {}).get("podAntiAffinity") or {}).get(
                    "requiredDuringSchedulingIgnoredDuringExecution"))
            if uses or sc.disruption.podDisruptionBudget is not None:
                self.add("info", "no-cluster", "cluster",
                         "the scenario has no cluster section: node fit, zone spread, "
                         "anti-affinity and zone-outage PDB checks were skipped",
                         "add cluster.zones and cluster.nodePools to check them")
            return
        pools = _eligible_pools(sc, self.pod)
        fitting = [p for p in pools if p.fits]
        if not fitting:
            req = pod_requests(pod_from_manifest(self.pod))
            shown = ", ".join(f"{k}={_qstr(k, v)}" for k, v in req.items()
                              if k in ("cpu", "memory", "ephemeral-storage"))
            self.add("error", "pod-fits-no-node", "cluster.nodePools",
                     f"no node pool the pod may use has room for one pod ({shown}, overhead "
                     "included): every pod stays Pending",
                     "add a larger node pool, or lower the requests")
            return
        zones = sorted({z for p in fitting for z in p.zones})
        for i, c in enumerate(spec.topologySpreadConstraints or []):
            if c.topologyKey in ZONE_KEYS and self.lo < len(zones):
                self.add("warning", "spread-min-below-zones",
                         f"{TEMPLATE_PATH}.spec.topologySpreadConstraints[{i}]",
                         f"zone spread, but minReplicas {self.lo} is below the {len(zones)} "
                         f"zones: {len(zones) - self.lo} zone(s) run no replica at the minimum",
                         f"raise minReplicas to {len(zones)}")
        terms = ((spec.affinity or {}).get("podAntiAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution") or []
        labels = dict(sc.workload.deployment.template.metadata.labels)
        for i, t in enumerate(terms):
            if not label_selector_matches(t.get("labelSelector"), labels):
                continue
            key = t.get("topologyKey")
            if key == HOSTNAME_KEY:
                room, what = sum(p.nodes_max for p in fitting), "nodes"
            elif key in ZONE_KEYS:
                room, what = len(zones), "zones"
            else:
                continue
            path = (f"{TEMPLATE_PATH}.spec.affinity.podAntiAffinity."
                    f"requiredDuringSchedulingIgnoredDuringExecution[{i}]")
            if room < self.hi:
                self.add("error", "anti-affinity-capacity", path,
                         f"required anti-affinity allows one pod per {what[:-1]}, and at most "
                         f"{room} {what} can take the pod: {self.hi - room} of maxReplicas "
                         f"{self.hi} stay Pending",
                         f"use preferredDuringScheduling, or provide {self.hi} {what}")
            elif room < self.hi + self.surge:
                self.add("warning", "anti-affinity-capacity", path,
                         f"required anti-affinity allows one pod per {what[:-1]}, and at most "
                         f"{room} {what} can take the pod: a rollout at maxReplicas {self.hi} "
                         f"cannot place its {self.surge} surge pod(s)",
                         f"provide {self.hi + self.surge} {what}, or use "
                         "preferredDuringScheduling")

    # --- PodDisruptionBudget -------------------------------------------------------------
    def pdb(self) -> None:
        sc = self.sc
        pdb = sc.disruption.podDisruptionBudget
        if pdb is None:
            return
        path = "disruption.podDisruptionBudget"
        labels = dict(sc.workload.deployment.template.metadata.labels)
        if pdb.selector is not None and not label_selector_matches(pdb.selector.to_k8s(), labels):
            self.add("warning", "pdb-selects-nothing", f"{path}.selector",
                     "the PDB's selector does not match the pod template's labels: it protects "
                     "nothing",
                     "make the selector match workload.deployment.template.metadata.labels")
            return
        spec = PodDisruptionBudgetSpec(min_available=pdb.minAvailable,
                                       max_unavailable=pdb.maxUnavailable)
        field = "minAvailable" if pdb.minAvailable is not None else "maxUnavailable"
        value = pdb.minAvailable if pdb.minAvailable is not None else pdb.maxUnavailable
        if value is None:
            return
        n = self.lo
        allowed, desired = _pdb_allowed(spec, n, n)
        if allowed == 0:
            self.add("error", "pdb-blocks-evictions", f"{path}.{field}",
                     f"at minReplicas {n} with every pod healthy the PDB ({field} {value}) wants "
                     f"{desired} healthy and allows 0 disruptions: every drain, node upgrade and "
                     "autoscaler scale-down blocks",
                     f"lower {field} (e.g. minAvailable {max(n - 1, 0)}) or raise minReplicas")
            return
        if sc.cluster is None:
            return
        zones = sorted({z for p in _eligible_pools(sc, self.pod) if p.fits for z in p.zones})
        if len(zones) < 2:
            return
        lost = _pods_in_largest_zone(sc, n, len(zones))
        allowed_z, desired_z = _pdb_allowed(spec, n, n - lost)
        if allowed_z == 0:
            self.add("warning", "pdb-zone-down", f"{path}.{field}",
                     f"with a zone down at minReplicas {n} ({lost} pod(s) lost of {n}, "
                     f"{len(zones)} zones) the PDB wants {desired_z} healthy and allows 0 "
                     "disruptions until replacements are Ready: drains elsewhere block",
                     f"raise minReplicas to {_min_replicas_for_zone_down(sc, spec, n, len(zones))} "
                     f"or lower {field}")


def _idle_floor(util: int, target: int, tol_down: Fraction) -> int | None:
    """Replicas the idle usage alone holds the HPA at: None = never scales down.

    Per sync the metric proposes ``current`` within the tolerance, else
    ``ceil(ratio · current)`` (``GetResourceReplicas``). Below the tolerance band the
    scale-down stops where ``ceil(ratio · n) == n``, i.e. the largest ``n < 1/(1 − ratio)``.
    """
    ratio = Fraction(util, target)
    if ratio >= 1 - tol_down:
        return None
    return math.ceil(1 / (1 - ratio)) - 1


def _idle_fix(name: str, idle: int, requests: int, target: int, tol_down: Fraction,
              lo: int) -> str:
    """The smallest request (whole Mi / m) and target at which idle usage lets the HPA
    reach minReplicas."""

    def ok(req: int, tgt: int) -> bool:
        floor = _idle_floor(idle * 100 // req, tgt, tol_down)
        return floor is not None and floor <= lo

    unit = 2**20 * 1000 if name == "memory" else 1
    lo_u, hi_u = max(requests // unit, 1), max(idle * 100 // unit + 2, 2)
    while lo_u < hi_u:  # smallest request (in units) that passes; ok() is monotone
        mid = (lo_u + hi_u) // 2
        if ok(mid * unit, target):
            hi_u = mid
        else:
            lo_u = mid + 1
    tgt = next((t for t in range(target, 1001) if ok(requests, t)), None)
    need = f"{lo_u}Mi" if name == "memory" else str(Quantity.from_milli(lo_u))
    out = f"raise the {name} request to {need} or more"
    if tgt is not None:
        out += f", or the target to {tgt}%"
    return out + ", or drop this metric"


def _pdb_allowed(spec: PodDisruptionBudgetSpec, n: int, healthy: int) -> tuple[int, int]:
    """(disruptionsAllowed, desiredHealthy) for ``n`` pods of one Deployment scaled to ``n``."""
    pods = [Pod(name=f"p{i}", owner="rs") for i in range(n)]
    expected, desired, _ = get_expected_pod_count(spec, pods, {"rs": n})
    return disruptions_allowed_for(healthy, desired, expected), desired


def _pods_in_largest_zone(sc: Scenario, n: int, zones: int) -> int:
    """Pods a zone outage takes at ``n`` replicas.

    A DoNotSchedule zone constraint with maxSkew s bounds the largest zone by
    ⌊(n + s·(zones−1)) / zones⌋; without one we assume the scheduler's default
    spreading evens them out, ⌈n / zones⌉ (an assumption: it is only a score).
    """
    spec = sc.workload.deployment.template.spec
    skews = [c.maxSkew for c in spec.topologySpreadConstraints or []
             if c.topologyKey in ZONE_KEYS and c.whenUnsatisfiable == "DoNotSchedule"]
    if skews:
        s = min(skews)
        return min(n, (n + s * (zones - 1)) // zones)
    return -(-n // zones)


def _min_replicas_for_zone_down(sc: Scenario, spec: PodDisruptionBudgetSpec, n: int,
                                zones: int) -> int:
    for m in range(n + 1, n + 10 * zones + 2):
        if _pdb_allowed(spec, m, m - _pods_in_largest_zone(sc, m, zones))[0] > 0:
            return m
    return n + 1  # pragma: no cover - maxUnavailable 1 style budgets never allow it


def _first_missing(pod: dict[str, Any], required: Sequence[str]) -> str:
    for field, i, c in _containers(pod):
        try:
            quota_constraints(required, {"spec": {"containers": [c]}})
        except QuotaConstraintError:
            return _cpath(field, i, "resources")
    return f"{TEMPLATE_PATH}.spec"  # pragma: no cover


def _limit_fix(field: str, name: str, enforced: Quantity, reqs: dict[str, Quantity],
               lims: dict[str, Quantity]) -> str:
    req, lim = reqs.get(name), lims.get(name)
    if field == "min":
        return f"set requests.{name} (and limits.{name}) to at least {enforced}"
    if field == "max":
        return f"set limits.{name} (and requests.{name}) to at most {enforced}"
    if req is None or lim is None or req.is_zero() or lim.is_zero():
        return f"set both requests.{name} and limits.{name} (limit at most {enforced}× request)"
    ratio = enforced.as_fraction()
    need = Fraction(lim.milli_value()) / ratio
    least = _qstr(name, math.ceil(need))
    return (f"raise requests.{name} to at least {least} (limits.{name} {lim} ÷ "
            f"maxLimitRequestRatio {enforced}) or lower limits.{name} to {_qstr(name, int(req.milli_value() * ratio))}")


def run_checks(sc: Scenario) -> list[Finding]:
    """Every finding for the scenario, errors first, then warnings, then info."""
    return _Checker(sc).run()


def check_report(sc: Scenario) -> dict[str, Any]:
    """What ``check --json`` prints: findings, their counts and the quota headroom."""
    findings = run_checks(sc)
    pod, _ = defaulted_pod(sc)
    return {
        "scenario": sc.name,
        "source": sc.source,
        "ok": not has_errors(findings),
        "counts": count_by_severity(findings),
        "findings": [f.to_dict() for f in findings],
        "pod": {"name": object_name(pod),
                "quota_usage": {k: str(v) for k, v in pod_usage(pod).items()}},
        "headroom": headroom(sc),
    }


# --------------------------------------------------------------------------- text


def format_findings(findings: Sequence[Finding]) -> str:
    """Findings as text: ``SEVERITY code  path`` then the message and the fix, indented."""
    if not findings:
        return "no findings"
    lines = []
    for f in findings:
        lines.append(f"{f.severity.upper():7} {f.code}  {f.path}")
        lines.append(f"        {f.message}")
        lines.append(f"        fix: {f.fix}")
    return "\n".join(lines)


def format_headroom(h: dict[str, Any]) -> str:
    """The headroom table: each resource at min, max, max+surge (and peak), with fractions."""
    if h.get("quota") is None:
        return "quota headroom: the scenario has no ResourceQuota"
    if not h["resources"]:
        return f"quota headroom: quota {h['quota']} does not select the workload's pods"
    r = h["replicas"]
    cols = [("at_min", f"min {r['min']}")]
    if r.get("peak") is not None:
        cols.append(("at_peak", f"peak {r['peak']}"))
    cols += [("at_max", f"max {r['max']}"), ("at_max_plus_surge", f"max+surge {r['max_plus_surge']}")]
    head = f"{'resource':18} {'per pod':>8} " + " ".join(f"{c[1]:>17}" for c in cols) + \
        f" {'hard':>8}  admits"
    lines = [f"quota headroom ({h['quota']}; max replicas admitted: "
             f"{h['max_replicas_admitted'] if h['max_replicas_admitted'] is not None else 'no limit'})",
             head]
    for name, row in h["resources"].items():
        cells = []
        for key, _ in cols:
            frac = row["fractions"][key]
            cells.append(f"{row[key]:>8} {'' if frac is None else f'{frac * 100:.1f}%':>8}")
        admits = row["replicas_admitted"]
        lines.append(f"{name:18} {row['per_pod']:>8} " + " ".join(cells) + f" {row['hard']:>8}  "
                     f"{'-' if admits is None else admits}{' (binding)' if row['binding'] else ''}")
    return "\n".join(lines)
