"""Kubernetes API fragments as they appear in scenario files.

Field names and shapes are the Kubernetes API's own (``apps/v1 DeploymentSpec``,
``autoscaling/v2 HorizontalPodAutoscalerSpec``, ``policy/v1 PodDisruptionBudgetSpec``,
``core/v1 ResourceQuotaSpec`` and ``LimitRangeSpec``, ``autoscaling.k8s.io/v1`` VPA spec),
so a user can paste from a manifest. Every model forbids unknown fields. Fields that
the simulation reads are typed precisely; fields it only carries through to the
emitted manifests (``env``, ``securityContext``, ``volumes`` ...) are accepted with
their API names and kept as given.

The API server's own validation applies where the simulation depends on it
(``pkg/apis/*/validation``: quantities, IntOrString percentages, DeploymentStrategy,
PDB, HPA, LimitRange, resource requirements, label selectors, affinity); its messages
are kept, so a user recognises them from ``kubectl apply``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)

from capacity.k8s.quantity import Quantity, QuantityError
from capacity.scenario.rules import INT32_MAX, MAX_PODS, QUANTITY_MAX, FieldError

# --- quantities ---------------------------------------------------------------------

_QTY_NUMBER = re.compile(r"^([+-]?)(\d+\.?\d*|\.\d*)(.*)$")
_QTY_EXPONENT = re.compile(r"^[eE]([+-]?\d+)$")
_QTY_RULE = "must be a Kubernetes quantity such as 250m, 512Mi or 2"
_QTY_RANGE = "must be at most 2^63-1 (9.2e18), the largest quantity Kubernetes holds"


def _exponent_in_range(text: str) -> None:
    """Refuse exponents no quantity needs, before the exact parse raises 10 to them.

    (``1e9999999999`` would never finish.)
    """
    m = _QTY_NUMBER.match(text)
    if not m:
        return
    e = _QTY_EXPONENT.match(m.group(3))
    if e is None or len(e.group(1).lstrip("+-")) <= 4:
        return
    if Fraction(m.group(2) if m.group(2) != "." else "0") == 0:
        raise ValueError(f"{_QTY_RULE} (an exponent of at most 4 digits)")
    if e.group(1).startswith("-"):
        raise ValueError("must be a quantity of at least 1n (the exponent is too small)")
    raise ValueError(_QTY_RANGE)


def parse_quantity_value(value: Any) -> Quantity:
    """The quantity ``value`` stands for, checked: finite, non-negative, within int64.

    Raises ValueError with the rule (apimachinery's grammar and range).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(_QTY_RULE)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite quantity")
    if isinstance(value, str):
        if len(value) > 100:
            raise ValueError(f"{_QTY_RULE} (at most 100 characters)")
        _exponent_in_range(value)
    elif isinstance(value, float):
        _exponent_in_range(repr(value))
    try:
        q = Quantity.parse(value)
    except QuantityError as e:
        raise ValueError(f"{_QTY_RULE} ({e})") from None
    except ValueError:  # more digits than Python converts (sys.int_info)
        raise ValueError(f"{_QTY_RULE} (too many digits)") from None
    if q.nanos < 0:
        raise ValueError("must be a non-negative quantity")
    if q.nanos > QUANTITY_MAX * 10**9:
        raise ValueError(_QTY_RANGE)
    return q


def _quantity(value: Any) -> str:
    parse_quantity_value(value)
    return str(value)


def qty(text: str) -> Quantity:
    """A validated quantity string as a :class:`Quantity` (for cross-field rules)."""
    return Quantity.parse(text)


#: apimachinery's quantity grammar: a signed decimal or exponent number and a suffix.
QUANTITY_PATTERN = (r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
                    r"(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|n|u)?$")
QuantityStr = Annotated[str, BeforeValidator(_quantity), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": QUANTITY_PATTERN}, {"type": "number", "minimum": 0}],
    "description": "A Kubernetes quantity: 250m, 512Mi, 2, 1e3.",
}, mode="validation")]
"""A quantity as written (``250m``); validated by the apimachinery grammar and range."""

ResourceMap = dict[str, QuantityStr]

# --- IntOrString ----------------------------------------------------------------------

_PERCENT = re.compile(r"^(\d+)%$")


def _int_or_percent(value: Any) -> int | str:
    """``ValidatePositiveIntOrPercent``: a non-negative int32 or ``N%``."""
    if isinstance(value, bool):
        raise ValueError("must be an integer or a percentage such as 25%")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must be greater than or equal to 0")
        if value > INT32_MAX:
            raise ValueError(f"must be at most {INT32_MAX} (an int32)")
        return value
    if isinstance(value, str):
        m = _PERCENT.match(value)
        if m:
            if len(m.group(1)) > 10 or int(m.group(1)) > INT32_MAX:
                raise ValueError(f"must be at most {INT32_MAX}% (an int32)")
            return value
        if value.isdigit():
            # The API accepts "3" as an IntOrString string; it then fails as a percent.
            raise ValueError("a string value must be a percentage such as 25%")
    raise ValueError("must be an integer or a percentage such as 25%")


def _not_more_than_100_percent(value: int | str) -> int | str:
    """``IsNotMoreThan100Percent`` (apps validation)."""
    if isinstance(value, str) and int(value[:-1]) > 100:
        raise ValueError("must not be greater than 100%")
    return value


_INT_OR_PERCENT_SCHEMA = {
    "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\d+%$"}],
    "description": "An integer or a percentage such as 25%.",
}
IntOrPercent = Annotated[int | str, BeforeValidator(_int_or_percent),
                         WithJsonSchema(_INT_OR_PERCENT_SCHEMA, mode="validation")]
IntOrPercentMax100 = Annotated[
    int | str, BeforeValidator(_int_or_percent), AfterValidator(_not_more_than_100_percent),
    WithJsonSchema({**_INT_OR_PERCENT_SCHEMA,
                    "description": "An integer or a percentage up to 100%."}, mode="validation")]


def int_or_percent_is_zero(value: int | str | None) -> bool:
    """``getIntOrPercentValue(v) == 0`` (None: not given)."""
    return value is not None and (value == 0 or value == "0%")


# --- labels (apimachinery validation: IsQualifiedName, IsValidLabelValue) ---------------

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_NAME = re.compile(_NAME)
_LABEL_VALUE = re.compile(f"({_NAME})?")


def _label_value(value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        raise ValueError("a valid label value must be an empty string or at most 63 "
                         "alphanumeric characters, '-', '_' or '.', starting and ending with "
                         "an alphanumeric character")
    return value


def _qualified_name(value: str) -> str:
    prefix, _, name = value.rpartition("/")
    if "/" in value and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        raise ValueError("a qualified name's prefix must be a DNS subdomain (lower case "
                         "alphanumerics, '-' and '.'), such as example.com/name")
    if not name or len(name) > 63 or not _LABEL_NAME.fullmatch(name):
        raise ValueError("a valid label key is at most 63 alphanumeric characters, '-', '_' "
                         "or '.', starting and ending with an alphanumeric character, with an "
                         "optional DNS subdomain prefix and '/'")
    return value


LabelValue = Annotated[str, AfterValidator(_label_value)]
LabelKey = Annotated[str, AfterValidator(_qualified_name)]
Labels = dict[LabelKey, LabelValue]


class K8sModel(BaseModel):
    """Base: unknown fields are errors; values are kept as given; floats are finite."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    def to_k8s(self) -> dict[str, Any]:
        """The fragment as a Kubernetes-shaped dict (unset fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)


def _in_order(value: Any, given: Any) -> Any:
    """``value`` with its mappings' keys in the order of ``given`` (the user's order)."""
    if isinstance(value, dict) and isinstance(given, dict):
        keys = [k for k in given if k in value] + [k for k in value if k not in given]
        return {k: _in_order(value[k], given.get(k)) for k in keys}
    if isinstance(value, list) and isinstance(given, list) and len(value) == len(given):
        return [_in_order(v, g) for v, g in zip(value, given, strict=True)]
    return value


def _as_checked_dict(given: Any, handler: Any) -> Any:
    model = handler(given)
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
    return _in_order(dumped, given)


def checked_dict(model: type[BaseModel]) -> Any:
    """A field validated as ``model`` but kept as the plain dict the simulation reads
    (values as the model reads them, keys in the order the file gives them)."""
    return Annotated[model, WrapValidator(_as_checked_dict), PlainSerializer(lambda v: v)]


class ObjectMeta(K8sModel):
    name: str | None = None
    namespace: str | None = None
    labels: Labels = Field(default_factory=dict)
    annotations: dict[LabelKey, str] = Field(default_factory=dict)


class LabelSelectorRequirement(K8sModel):
    key: LabelKey
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[LabelValue] | None = None

    @model_validator(mode="after")
    def _values(self) -> LabelSelectorRequirement:
        # ValidateLabelSelectorRequirement (apimachinery metav1 validation).
        if self.operator in ("In", "NotIn") and not self.values:
            raise FieldError(("values",), "must be specified when `operator` is 'In' or 'NotIn'")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise FieldError(("values",), "may not be specified when `operator` is 'Exists' "
                                          "or 'DoesNotExist'")
        return self


class LabelSelector(K8sModel):
    matchLabels: Labels | None = None
    matchExpressions: list[LabelSelectorRequirement] | None = None

    def matches(self, labels: dict[str, str]) -> bool:
        """``LabelSelectorAsSelector(s).Matches(labels)``."""
        for k, v in (self.matchLabels or {}).items():
            if labels.get(k) != v:
                return False
        for e in self.matchExpressions or []:
            present = e.key in labels
            if e.operator == "In" and (not present or labels[e.key] not in (e.values or [])):
                return False
            if e.operator == "NotIn" and present and labels[e.key] in (e.values or []):
                return False
            if e.operator == "Exists" and not present:
                return False
            if e.operator == "DoesNotExist" and present:
                return False
        return True

    def is_empty(self) -> bool:
        return not self.matchLabels and not self.matchExpressions


class ResourceRequirements(K8sModel):
    limits: ResourceMap | None = None
    requests: ResourceMap | None = None
    claims: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ResourceRequirements:
        # validateResourceRequirements (core validation): a request above its limit.
        for name, req in (self.requests or {}).items():
            lim = (self.limits or {}).get(name)
            if lim is not None and qty(req) > qty(lim):
                raise FieldError(("requests", name),
                                 f"must be less than or equal to {name} limit of {lim}",
                                 value=req, has_value=True)
        return self


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
    seconds: int = Field(ge=0, le=INT32_MAX)


class Probe(K8sModel):
    """``core/v1 Probe``; defaults as the API server sets them."""

    exec: ExecAction | None = None
    httpGet: HTTPGetAction | None = None
    tcpSocket: TCPSocketAction | None = None
    grpc: dict[str, Any] | None = None
    initialDelaySeconds: int = Field(0, ge=0, le=INT32_MAX)
    timeoutSeconds: int = Field(1, ge=1, le=INT32_MAX)
    periodSeconds: int = Field(10, ge=1, le=INT32_MAX)
    successThreshold: int = Field(1, ge=1, le=INT32_MAX)
    failureThreshold: int = Field(3, ge=1, le=INT32_MAX)
    terminationGracePeriodSeconds: int | None = Field(None, ge=1, le=2**63 - 1)


class LifecycleHandler(K8sModel):
    exec: ExecAction | None = None
    httpGet: HTTPGetAction | None = None
    tcpSocket: TCPSocketAction | None = None
    sleep: SleepAction | None = None


class Lifecycle(K8sModel):
    postStart: LifecycleHandler | None = None
    preStop: LifecycleHandler | None = None
    stopSignal: str | None = None


class ContainerPort(K8sModel):
    name: str | None = Field(None, max_length=15)
    containerPort: int = Field(ge=1, le=65535)
    hostPort: int | None = Field(None, ge=1, le=65535)
    protocol: Literal["TCP", "UDP", "SCTP"] | None = None
    hostIP: str | None = None


class ObjectFieldSelector(K8sModel):
    fieldPath: str = Field(min_length=1)
    apiVersion: str | None = None


class ResourceFieldSelector(K8sModel):
    resource: str = Field(min_length=1)
    containerName: str | None = None
    divisor: QuantityStr | None = None


class KeySelector(K8sModel):
    name: str | None = None
    key: str = Field(min_length=1)
    optional: bool | None = None


class EnvVarSource(K8sModel):
    fieldRef: ObjectFieldSelector | None = None
    resourceFieldRef: ResourceFieldSelector | None = None
    configMapKeyRef: KeySelector | None = None
    secretKeyRef: KeySelector | None = None
    fileKeyRef: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one(self) -> EnvVarSource:
        given = [f for f in type(self).model_fields if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("must specify exactly one of fieldRef, resourceFieldRef, "
                             "configMapKeyRef, secretKeyRef or fileKeyRef")
        return self


class EnvVar(K8sModel):
    name: str = Field(min_length=1)
    value: str | None = None
    valueFrom: EnvVarSource | None = None

    @model_validator(mode="after")
    def _value_or_source(self) -> EnvVar:
        if self.value and self.valueFrom is not None:
            raise FieldError(("valueFrom",), "may not be specified when `value` is not empty")
        return self


class LocalObjectReference(K8sModel):
    name: str | None = None
    optional: bool | None = None


class EnvFromSource(K8sModel):
    prefix: str | None = None
    configMapRef: LocalObjectReference | None = None
    secretRef: LocalObjectReference | None = None


class ConfigMapVolumeSource(K8sModel):
    name: str | None = None
    items: list[dict[str, Any]] | None = None
    defaultMode: int | None = Field(None, ge=0, le=0o777)
    optional: bool | None = None


class Volume(K8sModel):
    """``core/v1 Volume``: the name, and a source carried through as given (``configMap``,
    which the manifests read, typed)."""

    name: str = Field(min_length=1)
    configMap: ConfigMapVolumeSource | None = None
    hostPath: dict[str, Any] | None = None
    emptyDir: dict[str, Any] | None = None
    gcePersistentDisk: dict[str, Any] | None = None
    awsElasticBlockStore: dict[str, Any] | None = None
    gitRepo: dict[str, Any] | None = None
    secret: dict[str, Any] | None = None
    nfs: dict[str, Any] | None = None
    iscsi: dict[str, Any] | None = None
    glusterfs: dict[str, Any] | None = None
    persistentVolumeClaim: dict[str, Any] | None = None
    rbd: dict[str, Any] | None = None
    flexVolume: dict[str, Any] | None = None
    cinder: dict[str, Any] | None = None
    cephfs: dict[str, Any] | None = None
    flocker: dict[str, Any] | None = None
    downwardAPI: dict[str, Any] | None = None
    fc: dict[str, Any] | None = None
    azureFile: dict[str, Any] | None = None
    vsphereVolume: dict[str, Any] | None = None
    quobyte: dict[str, Any] | None = None
    azureDisk: dict[str, Any] | None = None
    photonPersistentDisk: dict[str, Any] | None = None
    projected: dict[str, Any] | None = None
    portworxVolume: dict[str, Any] | None = None
    scaleIO: dict[str, Any] | None = None
    storageos: dict[str, Any] | None = None
    csi: dict[str, Any] | None = None
    ephemeral: dict[str, Any] | None = None
    image: dict[str, Any] | None = None


class Container(K8sModel):
    """``core/v1 Container``."""

    name: str = Field(min_length=1)
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    workingDir: str | None = None
    ports: list[checked_dict(ContainerPort)] | None = None  # type: ignore[valid-type]
    envFrom: list[checked_dict(EnvFromSource)] | None = None  # type: ignore[valid-type]
    env: list[checked_dict(EnvVar)] | None = None  # type: ignore[valid-type]
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

    @model_validator(mode="after")
    def _probes(self) -> Container:
        # validateProbe: liveness and startup probes must have successThreshold 1.
        for name in ("livenessProbe", "startupProbe"):
            p = getattr(self, name)
            if p is not None and p.successThreshold != 1:
                raise FieldError((name, "successThreshold"), "must be 1", value=p.successThreshold,
                                 has_value=True)
        return self


class Toleration(K8sModel):
    key: LabelKey | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    tolerationSeconds: int | None = None

    @model_validator(mode="after")
    def _rules(self) -> Toleration:
        # ValidateTolerations (core validation).
        if not self.key and self.operator != "Exists":
            raise FieldError(("operator",), "must be Exists when `key` is empty, which means "
                                            "\"match all values and all keys\"")
        if self.operator == "Exists" and self.value:
            raise FieldError(("value",), "must be empty when `operator` is 'Exists'")
        if self.tolerationSeconds is not None and self.effect != "NoExecute":
            raise FieldError(("effect",), "must be 'NoExecute' when `tolerationSeconds` is set")
        return self


class TopologySpreadConstraint(K8sModel):
    maxSkew: int = Field(ge=1, le=INT32_MAX)
    topologyKey: LabelKey
    whenUnsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"]
    labelSelector: LabelSelector | None = None
    minDomains: int | None = Field(None, ge=1, le=INT32_MAX)
    nodeAffinityPolicy: Literal["Honor", "Ignore"] | None = None
    nodeTaintsPolicy: Literal["Honor", "Ignore"] | None = None
    matchLabelKeys: list[LabelKey] | None = None

    @model_validator(mode="after")
    def _min_domains(self) -> TopologySpreadConstraint:
        if self.minDomains is not None and self.whenUnsatisfiable != "DoNotSchedule":
            raise FieldError(("minDomains",), "can only use minDomains if whenUnsatisfiable="
                                              "DoNotSchedule")
        return self


# --- affinity (core/v1), read by the scheduler -------------------------------------------


class NodeSelectorRequirement(K8sModel):
    key: str = Field(min_length=1)
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[LabelValue] | None = None

    @model_validator(mode="after")
    def _values(self) -> NodeSelectorRequirement:
        # validateNodeSelectorRequirement (core validation).
        n = len(self.values or [])
        if self.operator in ("In", "NotIn") and n == 0:
            raise FieldError(("values",), "must be specified when `operator` is 'In' or 'NotIn'")
        if self.operator in ("Exists", "DoesNotExist") and n:
            raise FieldError(("values",), "may not be specified when `operator` is 'Exists' "
                                          "or 'DoesNotExist'")
        if self.operator in ("Gt", "Lt"):
            if n != 1:
                raise FieldError(("values",), "must be specified single value when `operator` "
                                              "is 'Lt' or 'Gt'")
            if not re.fullmatch(r"[+-]?\d{1,18}", (self.values or [""])[0]):
                raise FieldError(("values", 0), "must be an integer for 'Gt' or 'Lt'",
                                 value=(self.values or [""])[0], has_value=True)
        return self


class NodeSelectorTerm(K8sModel):
    matchExpressions: list[NodeSelectorRequirement] | None = None
    matchFields: list[NodeSelectorRequirement] | None = None


class NodeSelector(K8sModel):
    nodeSelectorTerms: list[NodeSelectorTerm] = Field(min_length=1)


class PreferredSchedulingTerm(K8sModel):
    weight: int = Field(ge=1, le=100)
    preference: NodeSelectorTerm


class NodeAffinity(K8sModel):
    requiredDuringSchedulingIgnoredDuringExecution: NodeSelector | None = None
    preferredDuringSchedulingIgnoredDuringExecution: list[PreferredSchedulingTerm] | None = None


class PodAffinityTerm(K8sModel):
    labelSelector: LabelSelector | None = None
    namespaceSelector: LabelSelector | None = None
    namespaces: list[str] | None = None
    topologyKey: LabelKey
    matchLabelKeys: list[LabelKey] | None = None
    mismatchLabelKeys: list[LabelKey] | None = None


class WeightedPodAffinityTerm(K8sModel):
    weight: int = Field(ge=1, le=100)
    podAffinityTerm: PodAffinityTerm


class PodAffinity(K8sModel):
    requiredDuringSchedulingIgnoredDuringExecution: list[PodAffinityTerm] | None = None
    preferredDuringSchedulingIgnoredDuringExecution: list[WeightedPodAffinityTerm] | None = None


class Affinity(K8sModel):
    """``core/v1 Affinity``."""

    nodeAffinity: NodeAffinity | None = None
    podAffinity: PodAffinity | None = None
    podAntiAffinity: PodAffinity | None = None


class PodSpec(K8sModel):
    """``core/v1 PodSpec``."""

    volumes: list[checked_dict(Volume)] | None = None  # type: ignore[valid-type]
    initContainers: list[Container] | None = None
    containers: list[Container] = Field(min_length=1)
    ephemeralContainers: list[dict[str, Any]] | None = None
    restartPolicy: Literal["Always", "OnFailure", "Never"] | None = None
    terminationGracePeriodSeconds: int | None = Field(None, ge=0, le=2**63 - 1)
    activeDeadlineSeconds: int | None = Field(None, ge=1, le=2**63 - 1)
    dnsPolicy: str | None = None
    nodeSelector: Labels | None = None
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
    affinity: checked_dict(Affinity) | None = None  # type: ignore[valid-type]
    schedulerName: str | None = None
    tolerations: list[Toleration] | None = None
    hostAliases: list[dict[str, Any]] | None = None
    priorityClassName: str | None = None
    priority: int | None = None
    dnsConfig: dict[str, Any] | None = None
    readinessGates: list[dict[str, Any]] | None = None
    runtimeClassName: str | None = None
    enableServiceLinks: bool | None = None
    preemptionPolicy: Literal["PreemptLowerPriority", "Never"] | None = None
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
    maxUnavailable: IntOrPercentMax100 | None = None
    maxSurge: IntOrPercent | None = None


class DeploymentStrategy(K8sModel):
    type: Literal["RollingUpdate", "Recreate"] = "RollingUpdate"
    rollingUpdate: RollingUpdateDeployment | None = None

    @model_validator(mode="after")
    def _rules(self) -> DeploymentStrategy:
        # ValidateDeploymentStrategy / ValidateRollingUpdateDeployment (apps validation).
        # Unset fields default to 25%, so both are 0 only when both are written as 0.
        ru = self.rollingUpdate
        if self.type == "Recreate" and ru is not None:
            raise FieldError(("rollingUpdate",),
                             "may not be specified when strategy `type` is 'Recreate'")
        if ru is not None and int_or_percent_is_zero(ru.maxUnavailable) \
                and int_or_percent_is_zero(ru.maxSurge):
            raise FieldError(("rollingUpdate", "maxUnavailable"), "may not be 0 when `maxSurge` is 0",
                             value=ru.maxUnavailable, has_value=True)
        return self


class DeploymentSpec(K8sModel):
    """``apps/v1 DeploymentSpec``; defaults as the API server sets them."""

    replicas: int | None = Field(None, ge=0, le=MAX_PODS)
    selector: LabelSelector | None = None
    template: PodTemplateSpec
    strategy: DeploymentStrategy = Field(default_factory=DeploymentStrategy)
    minReadySeconds: int = Field(0, ge=0, le=INT32_MAX)
    revisionHistoryLimit: int | None = Field(None, ge=0, le=INT32_MAX)
    paused: bool | None = None
    progressDeadlineSeconds: int | None = Field(None, ge=1, le=INT32_MAX)

    @model_validator(mode="after")
    def _rules(self) -> DeploymentSpec:
        # ValidateDeploymentSpec (apps validation).
        if self.selector is not None:
            if self.selector.is_empty():
                raise FieldError(("selector",), "empty selector is invalid for deployment")
            if not self.selector.matches(self.template.metadata.labels):
                raise FieldError(("template", "metadata", "labels"),
                                 "`selector` does not match template `labels`")
        if self.progressDeadlineSeconds is not None \
                and self.progressDeadlineSeconds <= self.minReadySeconds:
            raise FieldError(("progressDeadlineSeconds",), "must be greater than minReadySeconds",
                             value=self.progressDeadlineSeconds, has_value=True)
        return self


# --- autoscaling/v2 -------------------------------------------------------------------


def _positive_quantity(value: str | None, loc: tuple[str, ...]) -> None:
    if value is not None and qty(value).nanos <= 0:
        raise FieldError(loc, "must be positive", value=value, has_value=True)


class MetricTarget(K8sModel):
    type: Literal["Utilization", "Value", "AverageValue"]
    value: QuantityStr | None = None
    averageValue: QuantityStr | None = None
    averageUtilization: int | None = Field(None, ge=1, le=INT32_MAX)

    @model_validator(mode="after")
    def _consistent(self) -> MetricTarget:
        # validateMetricTarget (autoscaling validation).
        need = {"Utilization": "averageUtilization", "Value": "value", "AverageValue": "averageValue"}
        if getattr(self, need[self.type]) is None:
            raise ValueError(f"target type {self.type} needs {need[self.type]}")
        _positive_quantity(self.value, ("value",))
        _positive_quantity(self.averageValue, ("averageValue",))
        return self


class ResourceMetricSource(K8sModel):
    name: str = Field(min_length=1)
    target: MetricTarget

    @model_validator(mode="after")
    def _target(self) -> ResourceMetricSource:
        # validateResourceSource: a utilization or an average value, not both, not a value.
        t = self.target
        if t.averageUtilization is None and t.averageValue is None:
            raise FieldError(("target", "averageUtilization"),
                             "must set either a target raw value or a target utilization")
        if t.averageUtilization is not None and t.averageValue is not None:
            raise FieldError(("target", "averageValue"),
                             "may not set both a target raw value and a target utilization")
        return self


class ContainerResourceMetricSource(ResourceMetricSource):
    container: str = Field(min_length=1)


class MetricIdentifier(K8sModel):
    name: str = Field(min_length=1)
    selector: LabelSelector | None = None


class PodsMetricSource(K8sModel):
    metric: MetricIdentifier
    target: MetricTarget

    @model_validator(mode="after")
    def _target(self) -> PodsMetricSource:
        if self.target.averageValue is None:
            raise FieldError(("target", "averageValue"), "must specify a positive target "
                                                          "averageValue")
        return self


class MetricObjectReference(K8sModel):
    kind: str = Field(min_length=1)
    name: str = Field(min_length=1)
    apiVersion: str | None = None


class ObjectMetricSource(K8sModel):
    describedObject: MetricObjectReference
    metric: MetricIdentifier
    target: MetricTarget

    @model_validator(mode="after")
    def _target(self) -> ObjectMetricSource:
        if self.target.value is None and self.target.averageValue is None:
            raise FieldError(("target", "averageValue"),
                             "must set either a target value or averageValue")
        return self


class ExternalMetricSource(K8sModel):
    metric: MetricIdentifier
    target: MetricTarget

    @model_validator(mode="after")
    def _target(self) -> ExternalMetricSource:
        if self.target.value is None and self.target.averageValue is None:
            raise FieldError(("target", "averageValue"),
                             "must set either a target value for metric or a per-pod target")
        if self.target.value is not None and self.target.averageValue is not None:
            raise FieldError(("target", "value"),
                             "may not set both a target value for metric and a per-pod target")
        return self


class MetricSpec(K8sModel):
    type: Literal["Resource", "ContainerResource", "Pods", "Object", "External"]
    resource: ResourceMetricSource | None = None
    containerResource: ContainerResourceMetricSource | None = None
    pods: checked_dict(PodsMetricSource) | None = None  # type: ignore[valid-type]
    object: checked_dict(ObjectMetricSource) | None = None  # type: ignore[valid-type]
    external: checked_dict(ExternalMetricSource) | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _source_present(self) -> MetricSpec:
        # validateMetricSpec: the source of the type, and only it.
        field = self.type[0].lower() + self.type[1:]
        if getattr(self, field) is None:
            raise ValueError(f"metric of type {self.type} needs the field {field}")
        for other in ("resource", "containerResource", "pods", "object", "external"):
            if other != field and getattr(self, other) is not None:
                raise FieldError((other,), "must populate the given metric source only "
                                           f"(type is {self.type})")
        return self


class HPAScalingPolicy(K8sModel):
    type: Literal["Pods", "Percent"]
    value: int = Field(gt=0, le=INT32_MAX)
    periodSeconds: int = Field(gt=0, le=1800)


class HPAScalingRules(K8sModel):
    stabilizationWindowSeconds: int | None = Field(None, ge=0, le=3600)
    selectPolicy: Literal["Max", "Min", "Disabled"] | None = None
    policies: list[HPAScalingPolicy] | None = None
    tolerance: QuantityStr | None = None

    @model_validator(mode="after")
    def _policies(self) -> HPAScalingRules:
        # validateScalingRules: an empty list is not "unset" (defaulting fills only nil).
        if self.policies is not None and not self.policies:
            raise FieldError(("policies",), "must specify at least one Policy")
        return self


class HorizontalPodAutoscalerBehavior(K8sModel):
    scaleUp: HPAScalingRules | None = None
    scaleDown: HPAScalingRules | None = None


_PATH_SEGMENT_BAD = ("/", "%")


class CrossVersionObjectReference(K8sModel):
    kind: str
    name: str
    apiVersion: str | None = None

    @model_validator(mode="after")
    def _required(self) -> CrossVersionObjectReference:
        # ValidateCrossVersionObjectReference: both required, both valid path segments.
        for f in ("kind", "name"):
            v = getattr(self, f)
            if not v:
                raise FieldError((f,), "must not be empty (Required value)")
            if v in (".", "..") or any(c in v for c in _PATH_SEGMENT_BAD):
                raise FieldError((f,), "may not be '.' or '..' or contain '/' or '%'", value=v,
                                 has_value=True)
        return self


class HorizontalPodAutoscalerSpec(K8sModel):
    """``autoscaling/v2 HorizontalPodAutoscalerSpec``."""

    scaleTargetRef: CrossVersionObjectReference | None = None
    minReplicas: int = Field(1, ge=0, le=MAX_PODS)
    maxReplicas: int = Field(ge=1, le=MAX_PODS)
    metrics: list[MetricSpec] | None = None
    behavior: HorizontalPodAutoscalerBehavior | None = None

    @model_validator(mode="after")
    def _max_ge_min(self) -> HorizontalPodAutoscalerSpec:
        if self.maxReplicas < self.minReplicas:
            raise ValueError(
                f"maxReplicas must be >= minReplicas ({self.minReplicas}), got {self.maxReplicas}"
            )
        return self

    def has_object_or_external_metric(self) -> bool:
        return any(m.type in ("Object", "External") for m in self.metrics or [])


# --- policy/v1, core/v1 namespace policy, VPA ----------------------------------------


class PodDisruptionBudgetSpec(K8sModel):
    minAvailable: IntOrPercentMax100 | None = None
    maxUnavailable: IntOrPercentMax100 | None = None
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

    @model_validator(mode="after")
    def _rules(self) -> LimitRangeItem:
        """``ValidateLimitRange``'s checks of one item, with upstream's messages."""
        if self.type == "Pod":
            for f in ("default", "defaultRequest"):
                if getattr(self, f):
                    raise FieldError((f,), "may not be specified when `type` is 'Pod'")
        if self.type == "PersistentVolumeClaim" and "storage" not in (self.min or {}) \
                and "storage" not in (self.max or {}):
            raise FieldError(("min",), "either minimum or maximum storage value is required, "
                                       "but neither was provided")
        mins, maxs = self.min or {}, self.max or {}
        defs, reqs = self.default or {}, self.defaultRequest or {}
        ratios = self.maxLimitRequestRatio or {}
        for k in dict.fromkeys([*maxs, *mins, *defs, *reqs, *ratios]):
            lo, hi, d, r = mins.get(k), maxs.get(k), defs.get(k), reqs.get(k)
            ratio = ratios.get(k)
            if lo is not None and hi is not None and qty(lo) > qty(hi):
                raise FieldError(("min", k), f"min value {lo} is greater than max value {hi}")
            if r is not None and lo is not None and qty(lo) > qty(r):
                raise FieldError(("defaultRequest", k),
                                 f"min value {lo} is greater than default request value {r}")
            if r is not None and hi is not None and qty(r) > qty(hi):
                raise FieldError(("defaultRequest", k),
                                 f"default request value {r} is greater than max value {hi}")
            if r is not None and d is not None and qty(r) > qty(d):
                raise FieldError(("defaultRequest", k), f"default request value {r} is greater "
                                                        f"than default limit value {d}")
            if d is not None and lo is not None and qty(lo) > qty(d):
                raise FieldError(("default", k), f"min value {lo} is greater than default value {d}")
            if d is not None and hi is not None and qty(d) > qty(hi):
                raise FieldError(("default", k), f"default value {d} is greater than max value {hi}")
            if ratio is not None and qty(ratio) < Quantity.from_value(1):
                raise FieldError(("maxLimitRequestRatio", k), f"ratio {ratio} is less than 1")
            if ratio is not None and lo is not None and hi is not None and qty(lo).nanos > 0:
                limit = qty(hi).as_fraction() / qty(lo).as_fraction()
                if qty(ratio).as_fraction() > limit:
                    raise FieldError(("maxLimitRequestRatio", k),
                                     f"ratio {ratio} is greater than max/min = {float(limit):f}")
        return self


class LimitRangeSpec(K8sModel):
    limits: list[LimitRangeItem]

    @model_validator(mode="after")
    def _unique_types(self) -> LimitRangeSpec:
        seen: set[str] = set()
        for i, item in enumerate(self.limits):
            if item.type in seen:
                raise FieldError(("limits", i, "type"), "Duplicate value", value=item.type,
                                 has_value=True)
            seen.add(item.type)
        return self


class VPAContainerResourcePolicy(K8sModel):
    containerName: str | None = None
    mode: Literal["Auto", "Off"] | None = None
    minAllowed: ResourceMap | None = None
    maxAllowed: ResourceMap | None = None
    controlledResources: list[str] | None = None
    controlledValues: Literal["RequestsAndLimits", "RequestsOnly"] | None = None

    @model_validator(mode="after")
    def _min_le_max(self) -> VPAContainerResourcePolicy:
        for k, lo in (self.minAllowed or {}).items():
            hi = (self.maxAllowed or {}).get(k)
            if hi is not None and qty(lo) > qty(hi):
                raise FieldError(("minAllowed", k), f"must be <= maxAllowed.{k} ({hi})", value=lo,
                                 has_value=True)
        return self


class VPAResourcePolicy(K8sModel):
    containerPolicies: list[VPAContainerResourcePolicy] | None = None


class VPAUpdatePolicy(K8sModel):
    updateMode: Literal["Off", "Initial", "Recreate", "InPlaceOrRecreate", "Auto"] | None = None
    minReplicas: int | None = Field(None, ge=0, le=INT32_MAX)
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
