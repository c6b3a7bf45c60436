"""The scenario file (DESIGN §3), as pydantic v2 models.

Top-level sections: ``name``, ``description``, ``kubernetesVersion``, ``simulation``,
``cluster``, ``controllers``, ``namespace``, ``workload``, ``autoscaling``,
``disruption``, ``load``, ``failures``, ``pricing``, ``objectives`` (and ``extends``,
resolved by the loader). Kubernetes fragments use the API's field names (see
:mod:`capacity.scenario.kubernetes`); our own sections use camelCase the same way.
Durations are strings like ``15s`` or numbers of seconds; quantities follow Kubernetes.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema as pcs

from capacity.scenario.durations import DURATION_JSON_SCHEMA, Duration
from capacity.scenario.kubernetes import (
    DeploymentSpec,
    HorizontalPodAutoscalerSpec,
    LabelKey,
    Labels,
    LabelValue,
    LimitRangeSpec,
    PodDisruptionBudgetSpec,
    QuantityStr,
    ResourceMap,
    ResourceQuotaSpec,
    RuntimeClass,
    Toleration,
    VerticalPodAutoscalerSpec,
)
from capacity.scenario.rules import (
    INT32_MAX,
    MAX_FACTOR,
    MAX_NODES,
    MAX_PRICE,
    MAX_RPS,
    MAX_RUNS,
    MAX_SEED,
    FieldError,
)


class Model(BaseModel):
    """Base of our own sections: unknown fields are errors, floats are finite."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


def _positive(seconds: float) -> float:
    if seconds <= 0:
        raise ValueError("must be > 0")
    return seconds


#: A duration that must be > 0: a period of 0 s would never advance the clock.
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]


def _whole_seconds(seconds: float) -> float:
    if seconds != int(seconds):
        raise ValueError("must be a whole number of seconds (it is written into Prometheus "
                         "rules and ServiceMonitors as such)")
    return seconds


#: A duration the emitted monitoring manifests carry (``for:``, scrape ``interval``).
PrometheusDuration = Annotated[Duration, AfterValidator(_whole_seconds)]


def _percent(value: Any) -> float:
    """``99.9%`` or ``0.999`` → 0.999."""
    if isinstance(value, bool):
        raise ValueError("must be a fraction such as 0.999 or a percentage such as 99.9%")
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", value)
        if not m:
            raise ValueError("must be a fraction such as 0.999 or a percentage such as 99.9%")
        # 99.9 / 100 is 0.9990000000000001 in binary; round away the division's error.
        value = round(float(m.group(1)) / 100, 12)
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1 (or 0% and 100%)")
    return float(value)


Fraction01 = Annotated[float, BeforeValidator(_percent), WithJsonSchema({
    "anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"}],
    "description": "A fraction such as 0.999 or a percentage such as 99.9%.",
}, mode="validation")]


# --- distributions --------------------------------------------------------------------


class Distribution(Model):
    """A random duration.

    ``type``: ``constant`` (``value``), ``uniform`` (``min``, ``max``), ``exponential``
    (``mean``), ``lognormal`` (``median`` and ``p95``: the 95th percentile). A scenario may
    also write a plain duration, meaning a constant.
    """

    type: Literal["constant", "uniform", "exponential", "lognormal"] = "constant"
    value: Duration | None = None
    min: Duration | None = None
    max: Duration | None = None
    mean: Duration | None = None
    median: Duration | None = None
    p95: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, data: Any) -> Any:
        if isinstance(data, str | int | float) and not isinstance(data, bool):
            return {"type": "constant", "value": data}
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core: pcs.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # A plain duration is a constant distribution: say so to editors.
        obj = handler(core)
        return {"anyOf": [DURATION_JSON_SCHEMA, obj]}

    @model_validator(mode="after")
    def _fields(self) -> Distribution:
        need = {
            "constant": ("value",),
            "uniform": ("min", "max"),
            "exponential": ("mean",),
            "lognormal": ("median", "p95"),
        }[self.type]
        for f in need:
            if getattr(self, f) is None:
                raise ValueError(f"a {self.type} distribution needs {', '.join(need)}")
        if self.type == "uniform" and self.max < self.min:  # type: ignore[operator]
            raise ValueError("max must be >= min")
        if self.type == "lognormal":
            if self.median <= 0:  # type: ignore[operator]
                raise ValueError("median must be > 0 for a lognormal distribution")
            if self.p95 < self.median:  # type: ignore[operator]
                raise ValueError("p95 must be >= median")
            # Wider than this, the mean (and the tail the simulation draws) is astronomical.
            if self.p95 > 1e6 * self.median:  # type: ignore[operator]
                raise ValueError(f"p95 must be at most 1e6 times the median ({self.median:g}s)")
        return self

    def p95_seconds(self) -> float:
        """A high quantile in seconds (the 95th; the maximum of a uniform)."""
        if self.type == "constant":
            return float(self.value)  # type: ignore[arg-type]
        if self.type == "uniform":
            return float(self.max)  # type: ignore[arg-type]
        if self.type == "exponential":
            return 2.995732273553991 * float(self.mean)  # type: ignore[arg-type]  # -ln(0.05)
        return float(self.p95)  # type: ignore[arg-type]

    def mean_seconds(self) -> float:
        """Expected value in seconds."""

        if self.type == "constant":
            return float(self.value)  # type: ignore[arg-type]
        if self.type == "uniform":
            return (self.min + self.max) / 2  # type: ignore[operator]
        if self.type == "exponential":
            return float(self.mean)  # type: ignore[arg-type]
        mu, sigma = self.lognormal_params()
        return math.exp(mu + sigma * sigma / 2)

    def lognormal_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal for a lognormal distribution."""

        median = max(float(self.median or 0.0), 1e-9)
        p95 = max(float(self.p95 or median), median)
        return math.log(median), (math.log(p95) - math.log(median)) / 1.6448536269514722


# --- simulation -----------------------------------------------------------------------


def _start_time(value: Any) -> Any:
    """An ISO 8601 date and time (YAML may already have read it as one)."""
    if isinstance(value, _dt.datetime | _dt.date):
        value = value.isoformat()
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time such as 2026-01-05T00:00:00")
    try:
        when = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date and time such as 2026-01-05T00:00:00") from None
    # far beyond any plan, and inside what the time-series files can write (pandas' range)
    if not 1900 <= when.year <= 2200:
        raise ValueError("must be a date from the year 1900 to 2200")
    return value


class Simulation(Model):
    duration: PositiveDuration = 7 * 86400.0
    runs: int = Field(1, ge=1, le=MAX_RUNS)
    seed: int | None = Field(0, ge=0, le=MAX_SEED)
    warmup: Duration = 0.0
    startTime: Annotated[str | None, BeforeValidator(_start_time)] = Field(
        None, description="Wall-clock start, e.g. '2026-01-05T00:00:00' (a Monday); "
        "only the weekday and hour matter for diurnal loads. Default: a Monday 00:00."
    )

    @model_validator(mode="after")
    def _warmup(self) -> Simulation:
        if self.warmup >= self.duration:
            raise FieldError(("warmup",), f"must be shorter than duration ({self.duration:g}s)",
                             value=self.warmup, has_value=True)
        return self


# --- controllers ----------------------------------------------------------------------


class KubeControllerManager(Model):
    """kube-controller-manager settings (component-config names). Unset = upstream default."""

    horizontalPodAutoscalerSyncPeriod: PositiveDuration = 15.0
    horizontalPodAutoscalerTolerance: float = Field(0.1, ge=0)
    horizontalPodAutoscalerDownscaleStabilizationWindow: Duration = 300.0
    horizontalPodAutoscalerCPUInitializationPeriod: Duration = 300.0
    horizontalPodAutoscalerInitialReadinessDelay: Duration = 30.0
    nodeMonitorPeriod: PositiveDuration = 5.0
    nodeMonitorGracePeriod: PositiveDuration | None = Field(
        None, description="Default 40s before Kubernetes 1.32, 50s from 1.32."
    )
    nodeStartupGracePeriod: Duration = 60.0
    nodeEvictionRate: float = Field(0.1, ge=0)
    secondaryNodeEvictionRate: float = Field(0.01, ge=0)
    largeClusterSizeThreshold: int = Field(50, ge=0, le=INT32_MAX)
    unhealthyZoneThreshold: float = Field(0.55, ge=0, le=1)
    podEvictionTimeout: Duration | None = None


class KubeApiserver(Model):
    defaultNotReadyTolerationSeconds: int = Field(300, ge=0, le=2**63 - 1)
    defaultUnreachableTolerationSeconds: int = Field(300, ge=0, le=2**63 - 1)


class Kubelet(Model):
    nodeLeaseDurationSeconds: int = Field(40, ge=1, le=INT32_MAX)
    housekeepingInterval: Duration = Field(
        10.0, le=3600.0,
        description="cAdvisor's housekeeping interval, 10s as upstream's kubelet sets it: "
        "each container's CPU and memory are read every interval plus a jitter of up to "
        "one interval, and /metrics/resource serves the latest reading with its own "
        "timestamp, so metrics-server's samples lag its scrapes by 0-20 s (7.8 s on "
        "average). 0s reads at each scrape, as the PodAndContainerStatsFromCRI gate "
        "(alpha, off by default) would; hand-worked timelines are simplest with it.")


class MetricsServer(Model):
    metricResolution: Duration = Field(
        15.0, description="metrics-server --metric-resolution; its shipped manifests set 15s "
        "(the binary's own flag default is 60s)."
    )

    @model_validator(mode="after")
    def _min(self) -> MetricsServer:
        if self.metricResolution < 10:
            raise ValueError("metricResolution must be >= 10s (metrics-server minimum)")
        return self


class Scheduler(Model):
    schedulingDelay: Distribution = Field(default_factory=lambda: Distribution(value=1.0))


class ClusterAutoscaler(Model):
    enabled: bool = True
    scanInterval: PositiveDuration = 10.0
    scaleDownUnneededTime: Duration = 600.0
    scaleDownDelayAfterAdd: Duration = 600.0
    scaleDownDelayAfterDelete: Duration = 0.0
    scaleDownDelayAfterFailure: Duration = 180.0
    scaleDownUtilizationThreshold: float = Field(0.5, ge=0, le=1)
    maxNodeProvisionTime: Duration = 900.0
    maxGracefulTerminationSec: int = Field(600, ge=0, le=INT32_MAX)
    maxPodEvictionTime: Duration = 120.0
    provisioningDelay: Distribution = Field(
        default_factory=lambda: Distribution(type="lognormal", median=90.0, p95=180.0),
        description="Time from scale-up decision to a Ready node (an assumption; cloud-dependent).",
    )


class Controllers(Model):
    kubeControllerManager: KubeControllerManager = Field(default_factory=KubeControllerManager)
    kubeApiserver: KubeApiserver = Field(default_factory=KubeApiserver)
    kubelet: Kubelet = Field(default_factory=Kubelet)
    metricsServer: MetricsServer = Field(default_factory=MetricsServer)
    scheduler: Scheduler = Field(default_factory=Scheduler)
    clusterAutoscaler: ClusterAutoscaler = Field(default_factory=ClusterAutoscaler)
    featureGates: dict[str, bool] = Field(default_factory=dict)


# --- cluster --------------------------------------------------------------------------


class Taint(Model):
    key: LabelKey
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class BackgroundRequests(Model):
    cpu: QuantityStr = "0"
    memory: QuantityStr = "0"


class BackgroundUsage(Model):
    cpu: QuantityStr = "0"


class Background(Model):
    """Other tenants of every node of a pool: their requests take allocatable room from
    the scheduler, their use takes CPU that the workload's pods could burst into."""

    requests: BackgroundRequests = Field(default_factory=BackgroundRequests)
    usage: BackgroundUsage = Field(default_factory=BackgroundUsage)


class NodePoolAutoscaling(Model):
    minNodes: int = Field(0, ge=0, le=MAX_NODES)
    maxNodes: int = Field(ge=0, le=MAX_NODES)

    @model_validator(mode="after")
    def _order(self) -> NodePoolAutoscaling:
        if self.maxNodes < self.minNodes:
            raise ValueError(f"maxNodes must be >= minNodes ({self.minNodes}), got {self.maxNodes}")
        return self


class NodePool(Model):
    name: str = Field(min_length=1)
    instanceType: str | None = None
    allocatable: ResourceMap = Field(
        description="Allocatable per node: cpu, memory, pods, ephemeral-storage."
    )
    nodesPerZone: int = Field(1, ge=0, le=MAX_NODES)
    zones: list[str] | None = Field(None, description="Zones of this pool; default all zones.")
    labels: Labels = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    spot: bool = False
    pricePerHour: float | None = Field(None, ge=0, le=MAX_PRICE, description="Node price per hour.")
    autoscaling: NodePoolAutoscaling | None = None
    background: Background | None = Field(
        None, description="CPU and memory requests and CPU use of other tenants per node.")


class Cluster(Model):
    zones: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    nodePools: list[NodePool] = Field(min_length=1)

    @model_validator(mode="after")
    def _zones(self) -> Cluster:
        for i, z in enumerate(self.zones):
            if z in self.zones[:i]:
                raise FieldError(("zones", i), "zone names must be unique", value=z, has_value=True)
        names = set()
        for i, p in enumerate(self.nodePools):
            if p.name in names:
                raise ValueError(f"node pool names must be unique, {p.name!r} appears twice")
            names.add(p.name)
            for j, z in enumerate(p.zones or []):
                if z not in self.zones:
                    raise FieldError(("nodePools", i, "zones", j),
                                     f"node pool {p.name!r} names zone {z!r}, not in cluster.zones")
        if self.max_nodes() > MAX_NODES:
            raise FieldError(("nodePools",), f"at most {MAX_NODES} nodes (Kubernetes' documented "
                             f"limit per cluster), got {self.max_nodes()} at the pools' largest")
        if self.max_nodes() == 0:
            raise FieldError(("nodePools",), "the cluster has no nodes: give a pool nodesPerZone "
                                             ">= 1 or autoscaling.maxNodes >= 1")
        return self

    def pool_zones(self, pool: NodePool) -> list[str]:
        return list(pool.zones or self.zones)

    def initial_nodes(self, pool: NodePool) -> list[str]:
        """Names of the pool's nodes at the start, as the simulation names them."""
        return [f"{pool.name}-{z}-{i}" for z in self.pool_zones(pool)
                for i in range(pool.nodesPerZone)]

    def max_nodes(self) -> int:
        """Nodes of all pools at their largest (initial, or the autoscaler's maxNodes)."""
        return sum(max(p.nodesPerZone * len(self.pool_zones(p)),
                       p.autoscaling.maxNodes if p.autoscaling else 0) for p in self.nodePools)


# --- namespace ------------------------------------------------------------------------


class Namespace(Model):
    name: str = "default"
    resourceQuota: ResourceQuotaSpec | None = None
    limitRange: LimitRangeSpec | None = None
    otherUsage: ResourceMap = Field(
        default_factory=dict,
        description="Quota already used by other workloads in the namespace (same keys as hard).",
    )


# --- workload -------------------------------------------------------------------------


class Startup(Model):
    """Pod start-up delays before the probes begin (each a distribution)."""

    schedulingDelay: Distribution | None = Field(
        None, description="Scheduler latency; default controllers.scheduler.schedulingDelay."
    )
    imagePull: Distribution = Field(default_factory=lambda: Distribution(value=5.0))
    containerStart: Distribution = Field(default_factory=lambda: Distribution(value=2.0))
    initContainers: Distribution = Field(
        default_factory=lambda: Distribution(value=0.0),
        description="Run time of all init containers together.",
    )
    appWarmup: Distribution | None = Field(
        None, description="From container start until the application answers its probes "
        "(default: at once; the probes' initialDelaySeconds still apply).",
    )


class Demand(Model):
    """How load becomes CPU and memory use, and response time (DESIGN §10).

    A request needs ``cpuPerRequest`` CPU-seconds of work (coefficient of variation
    ``serviceTimeCV``) plus ``latency`` seconds that use no CPU (I/O, downstream calls).
    The pod works on at most ``concurrency`` requests at once, each on at most one core
    (absent: processor sharing); up to ``queueLimit`` more wait, beyond that it answers 503
    (``rejected``). A client gives up after ``timeout`` (``timeout`` errors; the pod still
    does the work). The CPU a pod can use is its request, plus its CFS share of what its
    node leaves idle, up to its limit. A pod idles at ``baseCpu`` and ``baseMemory`` and
    holds ``memoryPerInflightRequest`` per request in flight.
    """

    container: str | None = Field(None, description="Serving container; default the first.")
    cpuPerRequest: float = Field(gt=0, le=3600,
                                 description="CPU-seconds of work per request (mean).")
    serviceTimeCV: float = Field(
        1.0, ge=0, le=10,
        description="Coefficient of variation of the work per request: 1 exponential "
                    "(default), 0 constant, other values gamma.")
    latency: Duration = Field(
        0.1, description="Time per request that needs no CPU (I/O, downstream calls).")
    concurrency: int | None = Field(
        None, ge=1, le=INT32_MAX, description="Requests the pod works on at once (workers, threads); each "
                                "uses at most one core. Absent: processor sharing.")
    queueLimit: int | None = Field(
        None, ge=0, le=INT32_MAX, description="Requests that may wait beyond `concurrency` (with no "
                                "concurrency: the most requests in the pod); more are "
                                "rejected with 503. Absent: unbounded.")
    timeout: Duration | None = Field(
        None, description="Client timeout: slower answers are errors (`timeout`).")
    loadBalancing: Literal["even", "leastRequest"] = Field(
        "even", description="even: each ready endpoint gets the same share (kube-proxy); "
                            "leastRequest: shares follow each pod's capacity (a service mesh "
                            "or IPVS lc), so a slower pod gets less.")
    baseCpu: QuantityStr = "0"
    baseMemory: QuantityStr = "0"
    memoryPerInflightRequest: QuantityStr = "0"
    maxRequestsPerSecondPerPod: float | None = Field(
        None, gt=0, le=MAX_RPS, description="A per-pod rate limit: requests beyond it are rejected at once.")
    startupCpu: QuantityStr | None = Field(
        None, description="CPU while starting and before Ready (default baseCpu)."
    )

    @model_validator(mode="after")
    def _timeout(self) -> Demand:
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError("timeout must be > 0")
        return self


class Workload(Model):
    name: str = Field(min_length=1)
    deployment: DeploymentSpec
    runtimeClass: RuntimeClass | None = None
    startup: Startup = Field(default_factory=Startup)
    demand: Demand


# --- autoscaling, disruption ------------------------------------------------------------


class Autoscaling(Model):
    horizontal: HorizontalPodAutoscalerSpec | None = None
    vertical: VerticalPodAutoscalerSpec | None = None


class MaintenanceWave(Model):
    """Planned node upgrades: drain nodes one by one, zone after zone."""

    start: Duration
    pools: list[str] | None = None
    surgeNode: bool = False
    parallelism: int = Field(1, ge=1, le=MAX_NODES)
    nodeUpgradeTime: Distribution = Field(default_factory=lambda: Distribution(value=300.0))
    drainTimeout: Duration | None = None


class RolloutSchedule(Model):
    at: Duration


class Disruption(Model):
    podDisruptionBudget: PodDisruptionBudgetSpec | None = None
    maintenance: list[MaintenanceWave] = Field(default_factory=list)
    rollouts: list[RolloutSchedule] = Field(default_factory=list)


# --- load -----------------------------------------------------------------------------


class Diurnal(Model):
    """Weekday/weekend daily curve: ``min`` at night, ``max`` at ``peakHour``."""

    min: float = Field(ge=0, le=MAX_RPS)
    max: float = Field(ge=0, le=MAX_RPS)
    peakHour: float = Field(14.0, ge=0, lt=24)
    weekendFactor: float = Field(0.5, ge=0, le=MAX_FACTOR,
                                 description="Weekend level relative to weekdays.")
    sharpness: float = Field(
        1.0, gt=0, le=100, description="Curve exponent: 1 = cosine; >1 narrows the peak."
    )

    @model_validator(mode="after")
    def _order(self) -> Diurnal:
        if self.max < self.min:
            raise ValueError(f"max must be >= min ({self.min}), got {self.max}")
        return self


class Step(Model):
    at: Duration
    rps: float = Field(ge=0, le=MAX_RPS)


class Spike(Model):
    at: Duration
    duration: Duration
    factor: float = Field(gt=0, le=MAX_FACTOR)


class RandomSpikes(Model):
    perDay: float = Field(ge=0, le=86400)
    duration: Distribution = Field(default_factory=lambda: Distribution(value=300.0))
    factor: float = Field(3.0, gt=0, le=MAX_FACTOR)


class Noise(Model):
    """Multiplicative lognormal noise with coefficient of variation ``cv``, redrawn every ``interval``."""

    cv: float = Field(ge=0, le=10)
    interval: PositiveDuration = 60.0


class Trace(Model):
    path: str
    timeColumn: str = "time"
    valueColumn: str = "value"
    unit: Literal["perSecond", "perMinute", "perInterval"] = Field(
        "perSecond", description="perSecond: value is rps; perMinute: count per minute; "
        "perInterval: count per row interval."
    )
    resample: PositiveDuration | None = Field(
        None, description="Average into buckets of this length.")
    scale: float = Field(1.0, gt=0, le=1e6)
    startOffset: Duration = Field(0.0, description="Skip this much of the trace.")
    loop: bool = Field(True, description="Repeat the trace if the simulation is longer.")


class ExternalMetricSeries(Model):
    """A series an HPA's ``External`` metric reads (as a metrics adapter would serve it).

    Exactly one source: ``column`` (a column of ``load.trace``'s file, e.g. a queue
    length), ``fromLoad`` (the offered rate times this factor, e.g. an ingress request
    rate), or ``constant``.
    """

    name: str = Field(min_length=1)
    selector: dict[str, str] | None = Field(
        None, description="Labels of the series; an HPA metric's selector.matchLabels must "
                          "be a subset of them.")
    column: str | None = None
    fromLoad: float | None = Field(None, ge=0, le=MAX_FACTOR)
    constant: float | None = Field(None, ge=0, le=1e15)

    @model_validator(mode="after")
    def _one_source(self) -> ExternalMetricSeries:
        given = [n for n in ("column", "fromLoad", "constant") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("needs exactly one of column, fromLoad or constant, got "
                             + (", ".join(given) if given else "none"))
        return self


class Load(Model):
    """Offered load in requests per second: one base and optional modifiers."""

    constant: float | None = Field(None, ge=0, le=MAX_RPS)
    diurnal: Diurnal | None = None
    steps: list[Step] | None = None
    trace: Trace | None = None
    spikes: list[Spike] = Field(default_factory=list)
    randomSpikes: RandomSpikes | None = None
    noise: Noise | None = None
    resolution: Duration = Field(
        60.0, description="Synthetic loads are piecewise constant over this step."
    )
    externalMetrics: list[ExternalMetricSeries] = Field(
        default_factory=list, description="Series for the HPA's External metrics.")

    @model_validator(mode="after")
    def _one_base(self) -> Load:
        bases = [n for n in ("constant", "diurnal", "steps", "trace") if getattr(self, n) is not None]
        if len(bases) != 1:
            raise ValueError(
                "needs exactly one of constant, diurnal, steps or trace, got "
                + (", ".join(bases) if bases else "none")
            )
        if self.resolution <= 0:
            raise ValueError("resolution must be > 0")
        for i, e in enumerate(self.externalMetrics):
            if e.column is not None and self.trace is None:
                raise ValueError(f"externalMetrics {e.name!r} reads column {e.column!r}, "
                                 "which needs a load.trace")
            if any(o.name == e.name and o.selector == e.selector
                   for o in self.externalMetrics[:i]):
                raise FieldError(("externalMetrics", i, "name"),
                                 "names a series already declared (same name and selector)",
                                 value=e.name, has_value=True)
        return self


# --- failures ---------------------------------------------------------------------------


class ScheduledNodeFailure(Model):
    node: str = Field(description="Node name: <pool>-<zone>-<index>, e.g. general-zone-a-0.")
    at: Duration
    duration: Duration


class NodeFailures(Model):
    """Unplanned node failures: random (exponential with ``mtbf`` per node) and scheduled."""

    mtbf: PositiveDuration | None = Field(
        None, description="Mean time between failures of one node.")
    repair: Distribution = Field(default_factory=lambda: Distribution(type="exponential", mean=3600.0))
    pools: list[str] | None = None
    scheduled: list[ScheduledNodeFailure] = Field(default_factory=list)


class ScheduledZoneOutage(Model):
    zone: str
    at: Duration
    duration: Duration


class ZoneFailures(Model):
    mtbf: PositiveDuration | None = Field(
        None, description="Mean time between outages of one zone.")
    duration: Distribution = Field(
        default_factory=lambda: Distribution(type="lognormal", median=3 * 3600.0, p95=10 * 3600.0)
    )
    scheduled: list[ScheduledZoneOutage] = Field(default_factory=list)


class ScheduledSpotReclaim(Model):
    at: Duration
    zone: str | None = Field(None, description="Zone of the reclaim; default the first with nodes.")
    nodes: int = Field(1, ge=1, le=MAX_NODES, description="Spot nodes reclaimed at once.")


class SpotPoolInterruptions(Model):
    pool: str
    ratePerNodeDay: float = Field(0.0, ge=0, le=86400,
                                  description="Per-node interruption hazard per day.")
    scheduled: list[ScheduledSpotReclaim] = Field(default_factory=list)
    meanNodesPerReclaim: float = Field(
        2.0, ge=1, le=MAX_NODES, description="A reclaim takes several nodes of the pool at once."
    )
    notice: Duration = 120.0


class Failures(Model):
    nodes: NodeFailures | None = None
    zones: ZoneFailures | None = None
    spot: list[SpotPoolInterruptions] = Field(default_factory=list)


# --- monitoring ----------------------------------------------------------------------------

AlertName = Literal["HighCPU", "HighMemory", "PodRestarting", "PodNotReady", "ReplicaMismatch",
                    "HighErrorRate", "LowAvailability"]


class AlertRule(Model):
    """Threshold and ``for`` duration of one of the workload's alerts (unset: the seed's)."""

    threshold: float | None = None
    for_: PrometheusDuration | None = Field(None, alias="for")
    severity: Literal["info", "warning", "critical"] | None = None


class Monitoring(Model):
    """Prometheus scraping and the seven alerts of the emitted PrometheusRule."""

    scrapeInterval: Annotated[PositiveDuration, AfterValidator(_whole_seconds)] = 30.0
    metricsPath: str = "/metrics"
    alerts: dict[AlertName, AlertRule] = Field(default_factory=dict)


# --- pricing, objectives -----------------------------------------------------------------

OPENCOST_DEFAULT_SOURCE = "OpenCost public defaults (configs/default.json)"


class Pricing(Model):
    """Prices per hour. Defaults: OpenCost's public default prices, in USD."""

    currency: str = Field("USD", min_length=1)
    cpuPerHour: float = Field(0.031611, ge=0, le=MAX_PRICE, description="Per vCPU-hour.")
    memoryGiBPerHour: float = Field(0.004237, ge=0, le=MAX_PRICE, description="Per GiB-hour.")
    spotCpuPerHour: float = Field(0.006655, ge=0, le=MAX_PRICE)
    spotMemoryGiBPerHour: float = Field(0.000892, ge=0, le=MAX_PRICE)
    storageGiBPerHour: float = Field(0.00005479452, ge=0, le=MAX_PRICE)
    nodes: dict[str, Annotated[float, Field(ge=0, le=MAX_PRICE)]] = Field(
        default_factory=dict, description="Price per node-hour by pool.")
    file: str | None = Field(None, description="A YAML/JSON price file overriding these fields.")
    source: str = OPENCOST_DEFAULT_SOURCE


class LatencyObjective(Model):
    """``target`` of the answered requests within ``threshold``."""

    threshold: Duration
    target: Fraction01

    @model_validator(mode="after")
    def _positive(self) -> LatencyObjective:
        if self.threshold <= 0:
            raise ValueError("threshold must be > 0")
        return self


class Objectives(Model):
    availability: Fraction01 | None = Field(
        None, description="Share of offered requests answered without error, e.g. 99.9%.")
    latency: list[LatencyObjective] = Field(
        default_factory=list, description="e.g. [{threshold: 300ms, target: 99%}]")
    monthlyBudget: float | None = Field(None, ge=0, le=1e15)


# --- the scenario -------------------------------------------------------------------------

_VERSION = re.compile(r"^1\.(\d+)$")


class Scenario(Model):
    """A validated scenario. ``source`` is the file it came from (not a YAML field)."""

    name: str = Field(min_length=1)
    description: str | None = None
    kubernetesVersion: str = "1.33"
    simulation: Simulation = Field(default_factory=Simulation)
    cluster: Cluster | None = None
    controllers: Controllers = Field(default_factory=Controllers)
    namespace: Namespace = Field(default_factory=Namespace)
    workload: Workload
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    disruption: Disruption = Field(default_factory=Disruption)
    load: Load
    failures: Failures = Field(default_factory=Failures)
    pricing: Pricing = Field(default_factory=Pricing)
    objectives: Objectives = Field(default_factory=Objectives)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """The file this scenario was loaded from, if any."""
        return self._source

    @model_validator(mode="before")
    @classmethod
    def _version_string(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("kubernetesVersion"), float):
            raise ValueError(
                "kubernetesVersion must be a quoted string such as \"1.33\" "
                f"(YAML reads 1.30 as the number {data['kubernetesVersion']})"
            )
        return data

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if not _VERSION.match(self.kubernetesVersion):
            raise ValueError(f"kubernetesVersion must look like \"1.33\", got {self.kubernetesVersion!r}")
        if self.minor < 23:
            raise ValueError("kubernetesVersion must be 1.23 or newer (autoscaling/v2 is GA from 1.23)")
        names = [c.name for c in self.workload.deployment.template.spec.containers]
        d = self.workload.demand
        if d.container is not None and d.container not in names:
            raise FieldError(("workload", "demand", "container"), "is not a container of the pod "
                             f"(containers: {', '.join(names)})", value=d.container, has_value=True)
        _check_demand(self)
        _check_autoscaling(self)
        _check_references(self)
        from capacity.scenario.limits import check_run_bounds

        check_run_bounds(self)
        return self

    # --- derived ----------------------------------------------------------------------
    @property
    def minor(self) -> int:
        m = _VERSION.match(self.kubernetesVersion)
        return int(m.group(1)) if m else 0

    def feature_gate(self, name: str) -> bool:
        """Feature gate value: the scenario's setting, else the default of its version."""
        gates = self.controllers.featureGates
        if name in gates:
            return gates[name]
        defaults_from = {"HPAConfigurableTolerance": 35}
        return self.minor >= defaults_from.get(name, 10**6)

    @property
    def node_monitor_grace_period(self) -> float:
        """40 s before 1.32, 50 s from 1.32 (kubernetes/kubernetes#126287), unless set."""
        g = self.controllers.kubeControllerManager.nodeMonitorGracePeriod
        if g is not None:
            return g
        return 50.0 if self.minor >= 32 else 40.0

    @property
    def serving_container(self) -> str:
        d = self.workload.demand
        return d.container or self.workload.deployment.template.spec.containers[0].name


def _check_demand(sc: Scenario) -> None:
    """The serving container must have CPU left for requests once it idles at baseCpu:
    below its CPU limit (its own, else the LimitRange's default), else below the CPU of
    the largest node."""
    from capacity.scenario.kubernetes import qty

    containers = sc.workload.deployment.template.spec.containers
    i, c = next((i, c) for i, c in enumerate(containers) if c.name == sc.serving_container)
    limit = ((c.resources.limits or {}) if c.resources else {}).get("cpu")
    where = f"containers[{i}].resources.limits.cpu"
    if limit is None and sc.namespace.limitRange is not None:
        for item in sc.namespace.limitRange.limits:
            if item.type == "Container" and (item.default or {}).get("cpu") is not None:
                limit, where = item.default["cpu"], "the LimitRange's default cpu"  # type: ignore[index]
    if limit is None and sc.cluster is not None:
        node = max(sc.cluster.nodePools, key=lambda p: qty(p.allocatable.get("cpu", "0")))
        limit, where = node.allocatable.get("cpu", "0"), f"node pool {node.name}'s allocatable cpu"
    d = sc.workload.demand
    if limit is not None and qty(d.baseCpu) >= qty(limit):
        raise FieldError(("workload", "demand", "baseCpu"), "must be below the CPU the serving "
                         f"container can use ({where}: {limit}), or the pod has no CPU left "
                         "for requests", value=d.baseCpu, has_value=True)


def _check_autoscaling(sc: Scenario) -> None:
    """The HPA's rules that need the rest of the scenario (feature gates, the workload).

    Metrics the model does not serve, and a ContainerResource metric or a VPA policy
    naming no container, are accepted as the API server accepts them: the simulated
    controllers find them unavailable or unmatched, as the real ones do, and ``check``
    reports them.
    """
    h = sc.autoscaling.horizontal
    base: tuple[str | int, ...] = ("autoscaling", "horizontal")
    if h is None:
        return
    ref = h.scaleTargetRef
    if ref is not None and ref.kind != "Deployment":
        raise FieldError((*base, "scaleTargetRef", "kind"), "must be Deployment (the "
                         "simulation scales the workload's Deployment)", value=ref.kind,
                         has_value=True)
    if ref is not None and ref.name != sc.workload.name:
        raise FieldError((*base, "scaleTargetRef", "name"), "must be the workload's name "
                         f"({sc.workload.name!r})", value=ref.name, has_value=True)
    # validateHorizontalPodAutoscalerSpec / validateMetrics (autoscaling validation).
    if h.minReplicas == 0:
        if not sc.feature_gate("HPAScaleToZero"):
            raise FieldError((*base, "minReplicas"), "must be greater than or equal to 1 "
                             "(0 needs the HPAScaleToZero feature gate in "
                             "controllers.featureGates)", value=0, has_value=True)
        if not h.has_object_or_external_metric():
            raise FieldError((*base, "metrics"), "must specify at least one Object or "
                             "External metric to support scaling to zero replicas")


def _check_references(sc: Scenario) -> None:
    """Pools, zones and nodes named by failures and maintenance must exist. (Prices per
    node type may list more types than the cluster has, as a price list does.)"""
    cl = sc.cluster
    f = sc.failures
    uses = []
    if f.nodes is not None:
        uses.append(("failures", "nodes"))
    if f.zones is not None:
        uses.append(("failures", "zones"))
    if f.spot:
        uses.append(("failures", "spot"))
    if sc.disruption.maintenance:
        uses.append(("disruption", "maintenance"))
    if cl is None:
        if uses:
            raise FieldError(uses[0], "needs a cluster section (nodes and zones to act on)")
        return
    pools = {p.name: p for p in cl.nodePools}

    def pool_ref(loc: tuple[str | int, ...], name: str) -> NodePool:
        if name not in pools:
            raise FieldError(loc, f"is not a node pool (cluster.nodePools: {', '.join(pools)})",
                             value=name, has_value=True)
        return pools[name]

    if f.nodes is not None:
        for i, name in enumerate(f.nodes.pools or []):
            pool_ref(("failures", "nodes", "pools", i), name)
        nodes = [n for p in cl.nodePools for n in cl.initial_nodes(p)]
        for i, sf in enumerate(f.nodes.scheduled):
            if sf.node not in nodes:
                shown = ", ".join(nodes[:6]) + (", ..." if len(nodes) > 6 else "")
                raise FieldError(("failures", "nodes", "scheduled", i, "node"),
                                 "is not a node of the cluster (the nodes of cluster.nodePools "
                                 f"and cluster.zones: {shown})", value=sf.node, has_value=True)
    if f.zones is not None:
        for i, z in enumerate(f.zones.scheduled):
            if z.zone not in cl.zones:
                raise FieldError(("failures", "zones", "scheduled", i, "zone"),
                                 f"is not a zone of the cluster (cluster.zones: {', '.join(cl.zones)})",
                                 value=z.zone, has_value=True)
    for i, sp in enumerate(f.spot):
        pool = pool_ref(("failures", "spot", i, "pool"), sp.pool)
        if not pool.spot:
            raise FieldError(("failures", "spot", i, "pool"), "is not a spot pool (set spot: true "
                             "on it, or interrupt a spot pool)", value=sp.pool, has_value=True)
        for j, sr in enumerate(sp.scheduled):
            if sr.zone is not None and sr.zone not in cl.pool_zones(pool):
                raise FieldError(("failures", "spot", i, "scheduled", j, "zone"),
                                 f"is not a zone of pool {pool.name!r} "
                                 f"(cluster.zones: {', '.join(cl.pool_zones(pool))})", value=sr.zone,
                                 has_value=True)
    for i, wave in enumerate(sc.disruption.maintenance):
        for j, name in enumerate(wave.pools or []):
            pool_ref(("disruption", "maintenance", i, "pools", j), name)


# Re-exported for type hints elsewhere.
__all__ = [
    "Autoscaling", "Cluster", "Controllers", "Demand", "Disruption", "Distribution", "Failures",
    "LatencyObjective", "Load", "Namespace", "NodePool", "Objectives", "Pricing", "Scenario", "Simulation",
    "Startup", "Toleration", "Workload",
]
