"""Controller settings the simulation honours, derives, or refuses.

Every field of the scenario's ``controllers`` section is either read by the simulation or
refused here with a message saying why it has no effect in the model, so that no setting is
silently accepted and ignored. :func:`check_controller_settings` runs when a
:class:`capacity.sim.engine.Model` is built.

Derived values follow upstream:

* :func:`lease_renew_interval`: the kubelet renews its node Lease every
  ``nodeLeaseDurationSeconds × 0.25`` (``pkg/kubelet/kubelet.go``,
  ``nodeLeaseRenewIntervalFraction = 0.25``, used by ``NewMainKubelet`` to build the lease
  controller's renew interval).
"""

from __future__ import annotations

from capacity.errors import ScenarioError
from capacity.scenario.model import Scenario

NODE_LEASE_RENEW_INTERVAL_FRACTION = 0.25
"""``nodeLeaseRenewIntervalFraction`` (pkg/kubelet/kubelet.go)."""

DEFAULT_NODE_STARTUP_GRACE_PERIOD = 60.0
"""``--node-startup-grace-period`` default (kube-controller-manager)."""

DEFAULT_SCALE_DOWN_DELAY_AFTER_FAILURE = 180.0
"""cluster-autoscaler ``--scale-down-delay-after-failure`` default (3 min)."""

# Feature gates the simulation models, with the first minor version in which each exists
# (pkg/features/kube_features.go; the kubernetes/website feature-gate pages give the stages).
MODELLED_FEATURE_GATES: dict[str, int] = {
    "HPAConfigurableTolerance": 33,  # alpha 1.33, beta 1.35
    "HPAScaleToZero": 16,  # alpha 1.16
    "PodLevelResources": 32,  # alpha 1.32, beta 1.34
    "DeploymentReplicaSetTerminatingReplicas": 33,  # alpha 1.33, beta 1.35
    "DeploymentPodReplacementPolicy": 36,  # alpha 1.36
}


# First minor version in which each gate is on by default (beta or GA); absent: off.
FEATURE_GATE_DEFAULT_ON_FROM: dict[str, int] = {
    "HPAConfigurableTolerance": 35,
    "PodLevelResources": 34,
    "DeploymentReplicaSetTerminatingReplicas": 35,
}


def feature_gate_enabled(sc: Scenario, name: str) -> bool:
    """The gate's value in the scenario: its ``controllers.featureGates`` setting, else the
    default of its version; a gate that does not exist in that version is off."""
    if not feature_gate_exists(name, sc.minor):
        return False
    if name in sc.controllers.featureGates:
        return sc.controllers.featureGates[name]
    return sc.minor >= FEATURE_GATE_DEFAULT_ON_FROM.get(name, 10**6)


def pod_replacement_policy(sc: Scenario) -> str | None:
    """The Deployment's ``podReplacementPolicy`` as the API server keeps it: only with the
    ``DeploymentPodReplacementPolicy`` and ``DeploymentReplicaSetTerminatingReplicas`` gates
    on (KEP-3973; alpha from 1.36), else the field is dropped (None: classic behaviour).
    The scenario model does not have the field yet: it is read when it appears."""
    value = getattr(sc.workload.deployment, "podReplacementPolicy", None)
    if value is None:
        return None
    if not (feature_gate_enabled(sc, "DeploymentPodReplacementPolicy")
            and feature_gate_enabled(sc, "DeploymentReplicaSetTerminatingReplicas")):
        return None
    return str(value)


def lease_renew_interval(sc: Scenario) -> float:
    """Seconds between the kubelet's node Lease renewals: 0.25 × ``nodeLeaseDurationSeconds``
    (10 s with the default 40 s)."""
    return NODE_LEASE_RENEW_INTERVAL_FRACTION * float(sc.controllers.kubelet.nodeLeaseDurationSeconds)


def feature_gate_exists(name: str, minor: int) -> bool:
    """Whether the feature gate ``name`` exists (can be set) in Kubernetes ``1.<minor>``."""
    first = MODELLED_FEATURE_GATES.get(name)
    return first is not None and minor >= first


def check_controller_settings(sc: Scenario) -> None:
    """Refuse the ``controllers`` settings the simulation cannot honour.

    Raises :class:`capacity.errors.ScenarioError` naming the field path (``controllers.…``)
    and why the setting has no effect in the model. Settings left at their upstream default
    pass: the default and "not modelled" give the same run.
    """
    c = sc.controllers
    kcm = c.kubeControllerManager
    if kcm.podEvictionTimeout is not None:
        raise ScenarioError(
            "not honoured: --pod-eviction-timeout only applied to the node controller's old "
            "eviction path (removed in Kubernetes 1.27); pods on a NotReady node are evicted by "
            "taints after their tolerationSeconds: set kubeApiserver."
            "defaultNotReadyTolerationSeconds / defaultUnreachableTolerationSeconds instead",
            path="controllers.kubeControllerManager.podEvictionTimeout",
            value=kcm.podEvictionTimeout, has_value=True)
    if kcm.nodeStartupGracePeriod != DEFAULT_NODE_STARTUP_GRACE_PERIOD:
        raise ScenarioError(
            "not modelled: the startup grace period applies to a node whose kubelet has never "
            "posted its status (tryUpdateNodeHealth), and every simulated node joins Ready; "
            "leave it at 60s",
            path="controllers.kubeControllerManager.nodeStartupGracePeriod",
            value=f"{kcm.nodeStartupGracePeriod:g}s", has_value=True)
    ca = c.clusterAutoscaler
    if ca.scaleDownDelayAfterFailure != DEFAULT_SCALE_DOWN_DELAY_AFTER_FAILURE:
        raise ScenarioError(
            "not modelled: the cluster autoscaler starts this delay when a scale-down fails to "
            "start (tainting a node or deleting an empty node fails at the API; "
            "static_autoscaler.go RunOnce), and the simulated API never fails; a node whose "
            "drain fails is kept without this delay, as upstream does; leave it at 3m",
            path="controllers.clusterAutoscaler.scaleDownDelayAfterFailure",
            value=f"{ca.scaleDownDelayAfterFailure:g}s", has_value=True)
    for name, value in c.featureGates.items():
        if name not in MODELLED_FEATURE_GATES:
            raise ScenarioError(
                "is not a feature gate the simulation models (it models: "
                f"{', '.join(sorted(MODELLED_FEATURE_GATES))})",
                path=f"controllers.featureGates.{name}", value=value, has_value=True)
        if not feature_gate_exists(name, sc.minor):
            raise ScenarioError(
                f"does not exist in Kubernetes {sc.kubernetesVersion} (from "
                f"1.{MODELLED_FEATURE_GATES[name]})",
                path=f"controllers.featureGates.{name}", value=value, has_value=True)
