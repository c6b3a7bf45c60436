"""Kubernetes API fragments as they appear in scenario files.

Field names and shapes are the Kubernetes API's own (``apps/v1 DeploymentSpec``,
``autoscaling/v2 HorizontalPodAutoscalerSpec``, ``policy/v1 PodDisruptionBudgetSpec``,
``core/v1 ResourceQuotaSpec`` and ``LimitRangeSpec``, ``autoscaling.k8s.io/v1`` VPA spec),
so a user can paste from a manifest. Every model forbids unknown fields. Fields that
the simulation reads are typed precisely; fields it only carries through to the
emitted manifests (``env``, ``securityContext``, ``volumes`` ...) are accepted with
their API names and kept as given.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from capacity.k8s.quantity import Quantity, QuantityError


def _quantity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a Kubernetes quantity such as 250m, 512Mi or 2")
    try:
        Quantity.parse(value)
    except QuantityError as e:
        raise ValueError(f"must be a Kubernetes quantity such as 250m, 512Mi or 2 ({e})") from None
    if isinstance(value, str) and value.startswith("-"):
        raise ValueError("must be a non-negative quantity")
    return str(value)


#: apimachinery's quantity grammar: a signed decimal or exponent number and a suffix.
QUANTITY_PATTERN = (r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
                    r"(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|n|u)?$")
QuantityStr = Annotated[str, BeforeValidator(_quantity), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": QUANTITY_PATTERN}, {"type": "number", "minimum": 0}],
    "description": "A Kubernetes quantity: 250m, 512Mi, 2, 1e3.",
}, mode="validation")]
"""A quantity as written (``250m``); validated by the apimachinery grammar."""

ResourceMap = dict[str, QuantityStr]

_PERCENT = re.compile(r"^\d+%$")


def _int_or_percent(value: Any) -> int | str:
    if isinstance(value, bool):
        raise ValueError("must be an integer or a percentage such as 25%")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must be non-negative")
        return value
    if isinstance(value, str) and _PERCENT.match(value):
        return value
    if isinstance(value, str) and value.isdigit():
        # The API accepts "3" as an IntOrString string; it then fails as a percent.
        raise ValueError("a string value must be a percentage such as 25%")
    raise ValueError("must be an integer or a percentage such as 25%")


IntOrPercent = Annotated[int | str, BeforeValidator(_int_or_percent), WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\d+%$"}],
    "description": "An integer or a percentage such as 25%.",
}, mode="validation")]


class K8sModel(BaseModel):
    """Base: unknown fields are errors; values are kept as given."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_k8s(self) -> dict[str, Any]:
        """The fragment as a Kubernetes-shaped dict (unset fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)


class ObjectMeta(K8sModel):
    name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class LabelSelectorRequirement(K8sModel):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] | None = None


class LabelSelector(K8sModel):
    matchLabels: dict[str, str] | None = None
    matchExpressions: list[LabelSelectorRequirement] | None = None


class ResourceRequirements(K8sModel):
    limits: ResourceMap | None = None
    requests: ResourceMap | None = None
    claims: list[dict[str, Any]] | None = None


class ExecAction(K8sModel):
    command: list[str] | None = None


class HTTPGetAction(K8sModel):
    path: str | None = None
    port: int | str
    host: str | None = None
    scheme: str | None = None
    httpHeaders: list[dict[str, Any]] | None = None


class TCPSocketAction(K8sModel):
    port: int | str
    host: str | None = None


class SleepAction(K8sModel):
    seconds: int = Field(ge=0)


class Probe(K8sModel):
    """``core/v1 Probe``; defaults as the API server sets them."""

    exec: ExecAction | None = None
    httpGet: HTTPGetAction | None = None
    tcpSocket: TCPSocketAction | None = None
    grpc: dict[str, Any] | None = None
    initialDelaySeconds: int = Field(0, ge=0)
    timeoutSeconds: int = Field(1, ge=1)
    periodSeconds: int = Field(10, ge=1)
    successThreshold: int = Field(1, ge=1)
    failureThreshold: int = Field(3, ge=1)
    terminationGracePeriodSeconds: int | None = None


class LifecycleHandler(K8sModel):
    exec: ExecAction | None = None
    httpGet: HTTPGetAction | None = None
    tcpSocket: TCPSocketAction | None = None
    sleep: SleepAction | None = None


class Lifecycle(K8sModel):
    postStart: LifecycleHandler | None = None
    preStop: LifecycleHandler | None = None
    stopSignal: str | None = None


class Container(K8sModel):
    """``core/v1 Container``."""

    name: str
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    workingDir: str | None = None
    ports: list[dict[str, Any]] | None = None
    envFrom: list[dict[str, Any]] | None = None
    env: list[dict[str, Any]] | None = None
    resources: ResourceRequirements | None = None
    resizePolicy: list[dict[str, Any]] | None = None
    restartPolicy: Literal["Always"] | None = None
    restartPolicyRules: list[dict[str, Any]] | None = None
    volumeMounts: list[dict[str, Any]] | None = None
    volumeDevices: list[dict[str, Any]] | None = None
    livenessProbe: Probe | None = None
    readinessProbe: Probe | None = None
    startupProbe: Probe | None = None
    lifecycle: Lifecycle | None = None
    terminationMessagePath: str | None = None
    terminationMessagePolicy: str | None = None
    imagePullPolicy: Literal["Always", "IfNotPresent", "Never"] | None = None
    securityContext: dict[str, Any] | None = None
    stdin: bool | None = None
    stdinOnce: bool | None = None
    tty: bool | None = None


class Toleration(K8sModel):
    key: str | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    tolerationSeconds: int | None = None


class TopologySpreadConstraint(K8sModel):
    maxSkew: int = Field(ge=1)
    topologyKey: str
    whenUnsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"]
    labelSelector: LabelSelector | None = None
    minDomains: int | None = Field(None, ge=1)
    nodeAffinityPolicy: Literal["Honor", "Ignore"] | None = None
    nodeTaintsPolicy: Literal["Honor", "Ignore"] | None = None
    matchLabelKeys: list[str] | None = None


class PodSpec(K8sModel):
    """``core/v1 PodSpec``."""

    volumes: list[dict[str, Any]] | None = None
    initContainers: list[Container] | None = None
    containers: list[Container] = Field(min_length=1)
    ephemeralContainers: list[dict[str, Any]] | None = None
    restartPolicy: Literal["Always", "OnFailure", "Never"] | None = None
    terminationGracePeriodSeconds: int | None = Field(None, ge=0)
    activeDeadlineSeconds: int | None = None
    dnsPolicy: str | None = None
    nodeSelector: dict[str, str] | None = None
    serviceAccountName: str | None = None
    serviceAccount: str | None = None
    automountServiceAccountToken: bool | None = None
    nodeName: str | None = None
    hostNetwork: bool | None = None
    hostPID: bool | None = None
    hostIPC: bool | None = None
    shareProcessNamespace: bool | None = None
    securityContext: dict[str, Any] | None = None
    imagePullSecrets: list[dict[str, Any]] | None = None
    hostname: str | None = None
    subdomain: str | None = None
    affinity: dict[str, Any] | None = None
    schedulerName: str | None = None
    tolerations: list[Toleration] | None = None
    hostAliases: list[dict[str, Any]] | None = None
    priorityClassName: str | None = None
    priority: int | None = None
    dnsConfig: dict[str, Any] | None = None
    readinessGates: list[dict[str, Any]] | None = None
    runtimeClassName: str | None = None
    enableServiceLinks: bool | None = None
    preemptionPolicy: str | None = None
    overhead: ResourceMap | None = None
    topologySpreadConstraints: list[TopologySpreadConstraint] | None = None
    setHostnameAsFQDN: bool | None = None
    os: dict[str, Any] | None = None
    hostUsers: bool | None = None
    schedulingGates: list[dict[str, Any]] | None = None
    resourceClaims: list[dict[str, Any]] | None = None
    resources: ResourceRequirements | None = None

    @model_validator(mode="after")
    def _unique_container_names(self) -> PodSpec:
        names = [c.name for c in self.containers] + [c.name for c in self.initContainers or []]
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise ValueError(f"container names must be unique, {n!r} appears twice")
            seen.add(n)
        return self


class PodTemplateSpec(K8sModel):
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: PodSpec


class RollingUpdateDeployment(K8sModel):
    maxUnavailable: IntOrPercent | None = None
    maxSurge: IntOrPercent | None = None


class DeploymentStrategy(K8sModel):
    type: Literal["RollingUpdate", "Recreate"] = "RollingUpdate"
    rollingUpdate: RollingUpdateDeployment | None = None


class DeploymentSpec(K8sModel):
    """``apps/v1 DeploymentSpec``; defaults as the API server sets them."""

    replicas: int | None = Field(None, ge=0)
    selector: LabelSelector | None = None
    template: PodTemplateSpec
    strategy: DeploymentStrategy = Field(default_factory=DeploymentStrategy)
    minReadySeconds: int = Field(0, ge=0)
    revisionHistoryLimit: int | None = None
    paused: bool | None = None
    progressDeadlineSeconds: int | None = None


# --- autoscaling/v2 -------------------------------------------------------------------


class MetricTarget(K8sModel):
    type: Literal["Utilization", "Value", "AverageValue"]
    value: QuantityStr | None = None
    averageValue: QuantityStr | None = None
    averageUtilization: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> MetricTarget:
        need = {"Utilization": "averageUtilization", "Value": "value", "AverageValue": "averageValue"}
        if getattr(self, need[self.type]) is None:
            raise ValueError(f"target type {self.type} needs {need[self.type]}")
        return self


class ResourceMetricSource(K8sModel):
    name: str
    target: MetricTarget


class ContainerResourceMetricSource(K8sModel):
    name: str
    container: str
    target: MetricTarget


class MetricSpec(K8sModel):
    type: Literal["Resource", "ContainerResource", "Pods", "Object", "External"]
    resource: ResourceMetricSource | None = None
    containerResource: ContainerResourceMetricSource | None = None
    pods: dict[str, Any] | None = None
    object: dict[str, Any] | None = None
    external: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _source_present(self) -> MetricSpec:
        field = self.type[0].lower() + self.type[1:]
        if getattr(self, field) is None:
            raise ValueError(f"metric of type {self.type} needs the field {field}")
        return self


class HPAScalingPolicy(K8sModel):
    type: Literal["Pods", "Percent"]
    value: int = Field(gt=0)
    periodSeconds: int = Field(gt=0, le=1800)


class HPAScalingRules(K8sModel):
    stabilizationWindowSeconds: int | None = Field(None, ge=0, le=3600)
    selectPolicy: Literal["Max", "Min", "Disabled"] | None = None
    policies: list[HPAScalingPolicy] | None = None
    tolerance: QuantityStr | None = None


class HorizontalPodAutoscalerBehavior(K8sModel):
    scaleUp: HPAScalingRules | None = None
    scaleDown: HPAScalingRules | None = None


class CrossVersionObjectReference(K8sModel):
    kind: str
    name: str
    apiVersion: str | None = None


class HorizontalPodAutoscalerSpec(K8sModel):
    """``autoscaling/v2 HorizontalPodAutoscalerSpec``."""

    scaleTargetRef: CrossVersionObjectReference | None = None
    minReplicas: int = Field(1, ge=0)
    maxReplicas: int = Field(ge=1)
    metrics: list[MetricSpec] | None = None
    behavior: HorizontalPodAutoscalerBehavior | None = None

    @model_validator(mode="after")
    def _max_ge_min(self) -> HorizontalPodAutoscalerSpec:
        if self.maxReplicas < self.minReplicas:
            raise ValueError(
                f"maxReplicas must be >= minReplicas ({self.minReplicas}), got {self.maxReplicas}"
            )
        return self


# --- policy/v1, core/v1 namespace policy, VPA ----------------------------------------


class PodDisruptionBudgetSpec(K8sModel):
    minAvailable: IntOrPercent | None = None
    maxUnavailable: IntOrPercent | None = None
    selector: LabelSelector | None = None
    unhealthyPodEvictionPolicy: Literal["IfHealthyBudget", "AlwaysAllow"] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> PodDisruptionBudgetSpec:
        if self.minAvailable is not None and self.maxUnavailable is not None:
            raise ValueError("minAvailable and maxUnavailable cannot both be set")
        return self


class ResourceQuotaSpec(K8sModel):
    hard: ResourceMap = Field(default_factory=dict)
    scopes: list[str] | None = None
    scopeSelector: dict[str, Any] | None = None


class LimitRangeItem(K8sModel):
    type: Literal["Container", "Pod", "PersistentVolumeClaim"]
    max: ResourceMap | None = None
    min: ResourceMap | None = None
    default: ResourceMap | None = None
    defaultRequest: ResourceMap | None = None
    maxLimitRequestRatio: ResourceMap | None = None


class LimitRangeSpec(K8sModel):
    limits: list[LimitRangeItem]


class VPAContainerResourcePolicy(K8sModel):
    containerName: str | None = None
    mode: Literal["Auto", "Off"] | None = None
    minAllowed: ResourceMap | None = None
    maxAllowed: ResourceMap | None = None
    controlledResources: list[str] | None = None
    controlledValues: Literal["RequestsAndLimits", "RequestsOnly"] | None = None


class VPAResourcePolicy(K8sModel):
    containerPolicies: list[VPAContainerResourcePolicy] | None = None


class VPAUpdatePolicy(K8sModel):
    updateMode: Literal["Off", "Initial", "Recreate", "InPlaceOrRecreate", "Auto"] | None = None
    minReplicas: int | None = None
    evictionRequirements: list[dict[str, Any]] | None = None


class VerticalPodAutoscalerSpec(K8sModel):
    """``autoscaling.k8s.io/v1 VerticalPodAutoscalerSpec``."""

    targetRef: CrossVersionObjectReference | None = None
    updatePolicy: VPAUpdatePolicy | None = None
    resourcePolicy: VPAResourcePolicy | None = None
    recommenders: list[dict[str, Any]] | None = None


class RuntimeClassOverhead(K8sModel):
    podFixed: ResourceMap | None = None


class RuntimeClass(K8sModel):
    """``node.k8s.io/v1 RuntimeClass`` (the part a pod sees)."""

    name: str | None = None
    handler: str | None = None
    overhead: RuntimeClassOverhead | None = None
    scheduling: dict[str, Any] | None = None
