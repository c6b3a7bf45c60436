"""Scenario HPA spec (pydantic, camelCase) → the controller's own dataclasses.

The API server's defaulting is applied here (``set_defaults_horizontal_pod_autoscaler``),
and the per-HPA ``tolerance`` is dropped when the ``HPAConfigurableTolerance`` gate is
off for the scenario's Kubernetes version, as the API server drops disabled fields.
"""

from __future__ import annotations

from capacity.k8s import hpa
from capacity.k8s.quantity import Quantity
from capacity.scenario import kubernetes as sk
from capacity.scenario.model import Scenario


def _target(t: sk.MetricTarget) -> hpa.MetricTarget:
    return hpa.MetricTarget(
        type=t.type,
        average_utilization=t.averageUtilization,
        average_value=Quantity.parse(t.averageValue).milli_value() if t.averageValue else None,
        value=Quantity.parse(t.value).milli_value() if t.value else None,
    )


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


def hpa_spec_from_scenario(sc: Scenario) -> hpa.HorizontalPodAutoscalerSpec | None:
    """The defaulted controller spec, or None when the scenario has no HPA."""
    s = sc.autoscaling.horizontal
    if s is None:
        return None
    gate = sc.feature_gate("HPAConfigurableTolerance")
    metrics = []
    for m in s.metrics or []:
        if m.type == "Resource" and m.resource is not None:
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
            # Pods/Object/External metrics have no source in the model: keep the spec so
            # the controller reports them as it would an unavailable metric.
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
