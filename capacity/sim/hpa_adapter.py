"""Scenario HPA spec (pydantic, camelCase) → the controller's own dataclasses.

The API server's defaulting is applied here (``set_defaults_horizontal_pod_autoscaler``),
and the per-HPA ``tolerance`` is dropped when the ``HPAConfigurableTolerance`` gate is
off for the scenario's Kubernetes version, as the API server drops disabled fields.
"""

from __future__ import annotations

from typing import Any

from capacity.errors import ScenarioError
from capacity.k8s import hpa
from capacity.k8s.quantity import Quantity
from capacity.scenario import kubernetes as sk
from capacity.scenario.metrics import OBJECT_KINDS, OBJECT_METRICS, POD_METRICS
from capacity.scenario.model import Scenario


def _target(t: sk.MetricTarget) -> hpa.MetricTarget:
    return hpa.MetricTarget(
        type=t.type,
        average_utilization=t.averageUtilization,
        average_value=Quantity.parse(t.averageValue).milli_value() if t.averageValue else None,
        value=Quantity.parse(t.value).milli_value() if t.value else None,
    )


def _qty_milli(v: Any) -> int | None:
    return None if v is None else Quantity.parse(str(v)).milli_value()


def _target_dict(t: dict[str, Any]) -> hpa.MetricTarget:
    return hpa.MetricTarget(type=t.get("type", "AverageValue"),
                            average_utilization=t.get("averageUtilization"),
                            average_value=_qty_milli(t.get("averageValue")),
                            value=_qty_milli(t.get("value")))


def _identifier(m: dict[str, Any]) -> hpa.MetricIdentifier:
    sel = m.get("selector")
    labels = (sel or {}).get("matchLabels") if isinstance(sel, dict) else None
    return hpa.MetricIdentifier(name=str(m.get("name", "")),
                                selector=dict(labels) if labels is not None else sel)


def _custom_metric(sc: Scenario, i: int, m: sk.MetricSpec) -> hpa.MetricSpec:
    """A Pods, Object or External metric, checked against what the model serves.

    Raises ScenarioError naming the metric when the model does not produce it.
    """
    where = f"autoscaling.horizontal.metrics[{i}]"
    if m.type == "Pods":
        src = m.pods or {}
        ident = _identifier(src.get("metric") or {})
        if ident.name not in POD_METRICS:
            raise ScenarioError(f"Pods metric {ident.name!r} is not one the model produces "
                                f"(it serves: {', '.join(POD_METRICS)})", file=sc.source,
                                path=f"{where}.pods.metric.name")
        return hpa.MetricSpec(type="Pods", pods=hpa.PodsMetricSource(
            metric=ident, target=_target_dict(src.get("target") or {})))
    if m.type == "Object":
        src = m.object or {}
        ident = _identifier(src.get("metric") or {})
        obj = src.get("describedObject") or {}
        kind, name = str(obj.get("kind", "")), str(obj.get("name", ""))
        if kind not in OBJECT_KINDS or name != sc.workload.name:
            raise ScenarioError(f"Object metric on {kind}/{name}: the model serves metrics of "
                                f"the workload's Service or Deployment named "
                                f"{sc.workload.name!r} only", file=sc.source,
                                path=f"{where}.object.describedObject")
        if ident.name not in OBJECT_METRICS:
            raise ScenarioError(f"Object metric {ident.name!r} is not one the model produces "
                                f"(it serves: {', '.join(OBJECT_METRICS)})", file=sc.source,
                                path=f"{where}.object.metric.name")
        return hpa.MetricSpec(type="Object", object=hpa.ObjectMetricSource(
            described_object=hpa.CrossVersionObjectReference(
                kind=kind, name=name, api_version=str(obj.get("apiVersion", ""))),
            metric=ident, target=_target_dict(src.get("target") or {})))
    src = m.external or {}
    ident = _identifier(src.get("metric") or {})
    names = [e.name for e in sc.load.externalMetrics]
    if ident.name not in names:
        raise ScenarioError(f"External metric {ident.name!r} has no series: declare it under "
                            "load.externalMetrics (a trace column, a factor of the load, or a "
                            "constant)", file=sc.source, path=f"{where}.external.metric.name")
    return hpa.MetricSpec(type="External", external=hpa.ExternalMetricSource(
        metric=ident, target=_target_dict(src.get("target") or {})))


def _rules(r: sk.HPAScalingRules | None, tolerance_gate: bool) -> hpa.HPAScalingRules | None:
    if r is None:
        return None
    return hpa.HPAScalingRules(
        stabilization_window_seconds=r.stabilizationWindowSeconds,
        select_policy=r.selectPolicy,
        policies=None if r.policies is None else [
            hpa.HPAScalingPolicy(type=p.type, value=p.value, period_seconds=p.periodSeconds)
            for p in r.policies
        ],
        tolerance=(float(Quantity.parse(r.tolerance)) if (r.tolerance is not None and tolerance_gate)
                   else None),
    )


def has_custom_metrics(spec: hpa.HorizontalPodAutoscalerSpec | None) -> bool:
    return spec is not None and any(m.type in ("Pods", "Object", "External")
                                    for m in spec.metrics or [])


def hpa_spec_from_scenario(sc: Scenario) -> hpa.HorizontalPodAutoscalerSpec | None:
    """The defaulted controller spec, or None when the scenario has no HPA.

    Raises ScenarioError for a Pods, Object or External metric the model does not serve.
    """
    s = sc.autoscaling.horizontal
    if s is None:
        return None
    gate = sc.feature_gate("HPAConfigurableTolerance")
    metrics = []
    for i, m in enumerate(s.metrics or []):
        if m.type in ("Pods", "Object", "External"):
            metrics.append(_custom_metric(sc, i, m))
        elif m.type == "Resource" and m.resource is not None:
            metrics.append(hpa.MetricSpec(
                type="Resource",
                resource=hpa.ResourceMetricSource(name=m.resource.name, target=_target(m.resource.target)),
            ))
        elif m.type == "ContainerResource" and m.containerResource is not None:
            cr = m.containerResource
            metrics.append(hpa.MetricSpec(
                type="ContainerResource",
                container_resource=hpa.ContainerResourceMetricSource(
                    name=cr.name, container=cr.container, target=_target(cr.target)),
            ))
        else:
            metrics.append(hpa.MetricSpec(type=m.type))
    behavior = None
    if s.behavior is not None:
        behavior = hpa.HorizontalPodAutoscalerBehavior(
            scale_up=_rules(s.behavior.scaleUp, gate),
            scale_down=_rules(s.behavior.scaleDown, gate),
        )
    spec = hpa.HorizontalPodAutoscalerSpec(
        max_replicas=s.maxReplicas,
        min_replicas=s.minReplicas,
        metrics=metrics,
        behavior=behavior,
    )
    hpa.set_defaults_horizontal_pod_autoscaler(spec)
    return spec
