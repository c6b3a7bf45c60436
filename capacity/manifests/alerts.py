"""The seed's seven Prometheus alerts for the workload, as a PrometheusRule group.

The seed (``k8s/monitoring/servicemonitor.yaml``) names seven alerts with their thresholds
and durations; it does not give their PromQL. The expressions here are ours, written
against the metrics kube-state-metrics and cAdvisor export (``container_cpu_usage_seconds_total``,
``container_memory_working_set_bytes``, ``kube_pod_container_resource_limits``,
``kube_pod_container_status_restarts_total``, ``kube_pod_status_phase``,
``kube_deployment_spec_replicas``, ``kube_deployment_status_replicas_available``) and an
application counter ``http_requests_total`` with a ``code`` label (the HTTP status code, the
label DESIGN §11 gives it and client_golang's promhttp uses; the seed's application metrics
are not described).

Every alert is scoped to the scenario's namespace, Deployment and serving container.
Thresholds and ``for`` durations are :class:`AlertSettings`: the seed's values unless the
caller passes others (the scenario format has no alert section yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from capacity.scenario.durations import format_duration, parse_duration


@dataclass(frozen=True)
class Alert:
    """One alert: ``threshold`` in the unit its expression compares, ``for_`` in seconds."""

    threshold: float
    for_: float
    severity: str


def _seed_alerts() -> dict[str, Alert]:
    return {
        # [seed] "CPU > 80% for 5min", read as usage / CPU limit.
        "HighCPU": Alert(0.80, 300.0, "warning"),
        # [seed] "Memory > 85% for 5min", working set / memory limit.
        "HighMemory": Alert(0.85, 300.0, "warning"),
        # [seed] "Restart rate > 0.1/15min": restarts counted over 15 minutes;
        # [assumption] for 5m (the seed gives no duration).
        "PodRestarting": Alert(0.1, 300.0, "warning"),
        # [seed] "Pod not running > 10min"; threshold: any pod Pending/Unknown/Failed.
        "PodNotReady": Alert(0.0, 600.0, "critical"),
        # [seed] "Desired != available > 15min"; threshold: any difference.
        "ReplicaMismatch": Alert(0.0, 900.0, "warning"),
        # [seed] "Error rate > 5% for 5min": 5xx responses / all responses.
        "HighErrorRate": Alert(0.05, 300.0, "warning"),
        # [seed] "< 70% pods running > 5min": available / desired replicas.
        "LowAvailability": Alert(0.70, 300.0, "critical"),
    }


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds and durations of the seven alerts (seed values by default)."""

    alerts: dict[str, Alert] = field(default_factory=_seed_alerts)
    restart_window: float = 900.0  # [seed] "/15min"
    rate_window: float = 300.0  # [assumption] rate() window for CPU and errors

    def with_overrides(self, overrides: dict[str, dict[str, Any]] | None) -> AlertSettings:
        """A copy with ``{"HighCPU": {"threshold": 0.9, "for": "10m"}, ...}`` applied.

        Raises ValueError for an unknown alert or key.
        """
        if not overrides:
            return self
        out = dict(self.alerts)
        for name, change in overrides.items():
            if name not in out:
                raise ValueError(f"unknown alert {name!r}; known: {', '.join(out)}")
            a = out[name]
            for key, value in change.items():
                if key == "threshold":
                    a = replace(a, threshold=float(value))
                elif key == "for":
                    a = replace(a, for_=parse_duration(value))
                elif key == "severity":
                    a = replace(a, severity=str(value))
                else:
                    raise ValueError(f"alert {name}: unknown key {key!r} (threshold, for, severity)")
            out[name] = a
        return AlertSettings(alerts=out, restart_window=self.restart_window,
                             rate_window=self.rate_window)


ALERT_NAMES = tuple(_seed_alerts())


def alert_name(workload: str, short: str) -> str:
    """``sandbox-executor`` + ``HighCPU`` → ``SandboxExecutorHighCPU`` (the seed's names)."""
    prefix = "".join(part[:1].upper() + part[1:] for part in workload.replace("_", "-").split("-"))
    prefix = "".join(ch for ch in prefix if ch.isalnum())
    return prefix + short


def _num(x: float) -> str:
    return f"{x:g}"


def _dur(seconds: float) -> str:
    return format_duration(seconds)


def alert_rules(
    *,
    workload: str,
    namespace: str,
    container: str,
    settings: AlertSettings | None = None,
) -> list[dict[str, Any]]:
    """The seven alerting rules (Prometheus rule-file shape), in the seed's order."""
    s = settings or AlertSettings()
    a = s.alerts
    pod = f'namespace="{namespace}", pod=~"{workload}-.*"'
    ctr = f'{pod}, container="{container}"'
    dep = f'namespace="{namespace}", deployment="{workload}"'
    rw = _dur(s.rate_window)
    exprs: dict[str, tuple[str, str, str]] = {
        "HighCPU": (
            f"sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{{{ctr}}}[{rw}]))\n"
            f"  / sum by (namespace, pod, container) (kube_pod_container_resource_limits{{{ctr}, resource=\"cpu\"}})\n"
            f"  > {_num(a['HighCPU'].threshold)}",
            "High CPU use in {{ $labels.pod }}",
            f"Container {container} uses more than {_num(a['HighCPU'].threshold * 100)}% of its CPU limit.",
        ),
        "HighMemory": (
            f"sum by (namespace, pod, container) (container_memory_working_set_bytes{{{ctr}}})\n"
            f"  / sum by (namespace, pod, container) (kube_pod_container_resource_limits{{{ctr}, resource=\"memory\"}})\n"
            f"  > {_num(a['HighMemory'].threshold)}",
            "High memory use in {{ $labels.pod }}",
            f"Container {container} uses more than {_num(a['HighMemory'].threshold * 100)}% of its memory limit.",
        ),
        "PodRestarting": (
            f"increase(kube_pod_container_status_restarts_total{{{pod}}}[{_dur(s.restart_window)}])"
            f" > {_num(a['PodRestarting'].threshold)}",
            "{{ $labels.pod }} is restarting",
            f"A container of {workload} restarted in the last {_dur(s.restart_window)}.",
        ),
        "PodNotReady": (
            f"sum by (namespace, pod) (kube_pod_status_phase{{{pod}, phase=~\"Pending|Unknown|Failed\"}})"
            f" > {_num(a['PodNotReady'].threshold)}",
            "{{ $labels.pod }} is not running",
            f"A pod of {workload} has not been running for {_dur(a['PodNotReady'].for_)}.",
        ),
        "ReplicaMismatch": (
            f"abs(kube_deployment_spec_replicas{{{dep}}} - kube_deployment_status_replicas_available{{{dep}}})"
            f" > {_num(a['ReplicaMismatch'].threshold)}",
            "{{ $labels.deployment }} does not have its desired replicas",
            f"Desired and available replicas of {workload} differ for {_dur(a['ReplicaMismatch'].for_)}.",
        ),
        "HighErrorRate": (
            f"sum by (namespace) (rate(http_requests_total{{{pod}, code=~\"5..\"}}[{rw}]))\n"
            f"  / sum by (namespace) (rate(http_requests_total{{{pod}}}[{rw}]))\n"
            f"  > {_num(a['HighErrorRate'].threshold)}",
            "High error rate of {{ $labels.namespace }}/" + workload,
            f"More than {_num(a['HighErrorRate'].threshold * 100)}% of requests to {workload} fail.",
        ),
        "LowAvailability": (
            f"kube_deployment_status_replicas_available{{{dep}}}\n"
            f"  / kube_deployment_spec_replicas{{{dep}}}\n"
            f"  < {_num(a['LowAvailability'].threshold)}",
            "{{ $labels.deployment }} has few available replicas",
            f"Fewer than {_num(a['LowAvailability'].threshold * 100)}% of the replicas of {workload} are available.",
        ),
    }
    rules = []
    for short in ALERT_NAMES:
        expr, summary, description = exprs[short]
        rules.append({
            "alert": alert_name(workload, short),
            "expr": expr,
            "for": _dur(a[short].for_),
            "labels": {"severity": a[short].severity},
            "annotations": {"summary": summary, "description": description},
        })
    return rules


def rule_group(*, workload: str, namespace: str, container: str,
               settings: AlertSettings | None = None) -> dict[str, Any]:
    """One rule group named ``<workload>.rules`` holding the seven alerts."""
    return {"name": f"{workload}.rules",
            "rules": alert_rules(workload=workload, namespace=namespace, container=container,
                                 settings=settings)}


__all__ = ["ALERT_NAMES", "Alert", "AlertSettings", "alert_name", "alert_rules",
           "rule_group"]
