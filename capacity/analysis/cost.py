"""The cost model: request-based allocation (as OpenCost does it) and node-based cost.

Units, everywhere in this module:

* prices are **per hour** in the pricing's ``currency`` (per vCPU-hour, per GiB-hour, per
  node-hour); ``1 GiB = 2**30 bytes``;
* amounts of resource over time are **core-hours** and **GiB-hours** (integrals recorded by
  the simulation in core-seconds and GiB-seconds, divided by 3600 here);
* a month is :data:`HOURS_PER_MONTH` = 730 hours and a day 24 hours.

Two bases:

* **request-based** (OpenCost's allocation): every pod is charged, at every instant,
  ``max(request, usage)`` of CPU and of memory times the price per vCPU-hour and GiB-hour.
  The request is the pod's effective request, RuntimeClass overhead included (as
  ``PodRequests`` in Kubernetes adds ``pod.spec.overhead``). *Idle cost* is what is
  requested but not used: ``max(request - usage, 0)`` priced the same way, which equals
  allocation minus usage;
* **node-based**: node-hours of each pool, as the cluster autoscaler ran them, times the
  pool's node price (on-demand or spot).

Default prices are OpenCost's public defaults (``configs/default.json`` of
opencost/opencost: 0.031611 USD per vCPU-hour, 0.004237 USD per GiB-hour; spot 0.006655 and
0.000892), and every output names its price source. A scenario's ``pricing`` section, or a
price file it names (``pricing.file``, YAML or JSON, any currency), overrides them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from capacity.analysis.stats import mean_ci
from capacity.errors import ScenarioError
from capacity.scenario.model import OPENCOST_DEFAULT_SOURCE, Cluster, NodePool, Pricing, Scenario

if TYPE_CHECKING:
    from capacity.sim.engine import RunOutcome

HOURS_PER_MONTH = 730.0
HOURS_PER_DAY = 24.0
GIB = 1024**3

#: OpenCost's public default prices, USD per hour (configs/default.json).
OPENCOST_DEFAULT_PRICES: dict[str, float] = {
    "cpuPerHour": 0.031611,
    "memoryGiBPerHour": 0.004237,
    "spotCpuPerHour": 0.006655,
    "spotMemoryGiBPerHour": 0.000892,
    "storageGiBPerHour": 0.00005479452,
}
OPENCOST_DEFAULT_CURRENCY = "USD"

BASIS_REQUESTS = ("requests: per pod max(request, usage) of CPU and memory, RuntimeClass "
                  "overhead included (OpenCost allocation)")
BASIS_NODES = "nodes: node-hours of each pool times the pool's node price (on-demand or spot)"
ESTIMATOR = "monte-carlo: mean over runs, t-interval (95%)"
ESTIMATOR_PAIRED = ("monte-carlo: ratio of sums over paired runs (same seed, common random "
                    "numbers), delta-method t-interval (95%)")

# OpenCost's own custom-pricing keys (string values) → ours. Keys OpenCost has that we do not
# model (GPU, network egress, load balancers) are accepted and ignored so that its
# configs/*.json can be used as a price file as they are.
_OPENCOST_KEYS = {
    "CPU": "cpuPerHour",
    "RAM": "memoryGiBPerHour",
    "spotCPU": "spotCpuPerHour",
    "spotRAM": "spotMemoryGiBPerHour",
    "storage": "storageGiBPerHour",
    "currencyCode": "currency",
}
_OPENCOST_IGNORED = {
    "provider", "description", "GPU", "spotGPU", "zoneNetworkEgress", "regionNetworkEgress",
    "internetNetworkEgress", "natGatewayEgress", "natGatewayIngress",
    "firstFiveForwardingRulesCost", "additionalForwardingRuleCost", "LBIngressDataCost",
}



# --- prices ---------------------------------------------------------------------------------


def load_price_file(path: str | Path) -> dict[str, Any]:
    """Read a price file: YAML or JSON with the keys of a scenario's ``pricing`` section.

    OpenCost's custom-pricing files (``configs/default.json`` style: ``CPU``, ``RAM``,
    ``spotCPU``, ``spotRAM``, ``storage`` as strings, optional ``currencyCode``) are
    accepted too. Returns the fields the file sets (our names). Raises ``ScenarioError``
    (file not found, syntax, not a mapping, unknown key, not a number).
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise ScenarioError(f"price file cannot be read: {e.strerror or e}", file=str(p)) from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise ScenarioError(f"price file syntax error: {e}", file=str(p)) from None
    if not isinstance(data, dict):
        raise ScenarioError("a price file must be a mapping of price fields", file=str(p))
    if "pricing" in data and isinstance(data["pricing"], dict) and len(data) == 1:
        data = data["pricing"]  # a copy of a scenario's section, key and all
    out: dict[str, Any] = {}
    ours = set(Pricing.model_fields) - {"file"}
    for k, v in data.items():
        if k in _OPENCOST_IGNORED:
            continue
        key = _OPENCOST_KEYS.get(k, k)
        if key not in ours:
            raise ScenarioError(f"unknown price field (known: {', '.join(sorted(ours))})",
                                file=str(p), path=str(k))
        if key in ("currency", "source"):
            out[key] = str(v)
        elif key == "nodes":
            if not isinstance(v, dict):
                raise ScenarioError("must map node pool or instance type to a price per hour",
                                    file=str(p), path="nodes")
            out[key] = {str(n): _number(x, p, f"nodes.{n}") for n, x in v.items()}
        else:
            out[key] = _number(v, p, str(k))
    return out


def _number(v: Any, p: Path, where: str) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ScenarioError(f"must be a number (a price per hour), got {v!r}", file=str(p),
                            path=where) from None
    if not math.isfinite(x) or x < 0:
        raise ScenarioError(f"must be a finite price >= 0, got {v!r}", file=str(p), path=where)
    return x


def _is_opencost_default(pr: Pricing) -> bool:
    return pr.currency == OPENCOST_DEFAULT_CURRENCY and all(
        math.isclose(getattr(pr, k), v, rel_tol=0, abs_tol=1e-12)
        for k, v in OPENCOST_DEFAULT_PRICES.items()
    )


def effective_pricing(scenario: Scenario) -> Pricing:
    """The prices a scenario is costed at: defaults < ``pricing`` section < price file.

    The price file (``pricing.file``, already resolved to a path by the loader) overrides
    the fields it sets; ``nodes`` entries merge by key. ``source`` names where the prices
    came from: OpenCost's defaults while every price equals them (in USD), else the price
    file or the scenario's pricing section, unless the scenario or file sets ``source``.
    """
    pr = scenario.pricing
    fields = pr.model_dump()
    explicit_source = "source" in pr.model_fields_set and pr.source != OPENCOST_DEFAULT_SOURCE
    from_file: dict[str, Any] = {}
    if pr.file:
        from_file = load_price_file(pr.file)
        nodes = dict(fields.get("nodes") or {})
        nodes.update(from_file.pop("nodes", {}) or {})
        fields.update(from_file)
        fields["nodes"] = nodes
        explicit_source = explicit_source or "source" in from_file
    fields.pop("file", None)
    out = Pricing(**fields, file=pr.file)
    if not explicit_source:
        if _is_opencost_default(out):
            src = OPENCOST_DEFAULT_SOURCE
        elif pr.file:
            src = f"price file {Path(pr.file).name}"
        else:
            src = "scenario pricing section"
        out = out.model_copy(update={"source": src})
    return out


def prices_block(pricing: Pricing) -> dict[str, Any]:
    """The ``prices`` part of the summary: source, currency and every price, per hour."""
    return {
        "source": pricing.source,
        "currency": pricing.currency,
        "unit": f"{pricing.currency} per hour",
        "cpu_per_hour": pricing.cpuPerHour,
        "memory_gib_per_hour": pricing.memoryGiBPerHour,
        "spot_cpu_per_hour": pricing.spotCpuPerHour,
        "spot_memory_gib_per_hour": pricing.spotMemoryGiBPerHour,
        "nodes_per_hour": dict(pricing.nodes),
        "file": pricing.file,
    }


# --- request-based allocation -------------------------------------------------------------


def unit_prices(pricing: Pricing, spot_fraction: float = 0.0) -> tuple[float, float]:
    """(per vCPU-hour, per GiB-hour) for pods that spend ``spot_fraction`` of their time on
    spot nodes (a linear blend of the on-demand and spot prices)."""
    if not 0.0 <= spot_fraction <= 1.0:
        raise ValueError(f"spot_fraction must be in [0, 1], got {spot_fraction}")
    f = spot_fraction
    return ((1 - f) * pricing.cpuPerHour + f * pricing.spotCpuPerHour,
            (1 - f) * pricing.memoryGiBPerHour + f * pricing.spotMemoryGiBPerHour)


def allocation_cost(cpu_core_hours: float, memory_gib_hours: float, pricing: Pricing,
                    spot_fraction: float = 0.0) -> float:
    """Cost of allocated CPU core-hours and memory GiB-hours (already ``max(request, usage)``)."""
    pc, pm = unit_prices(pricing, spot_fraction)
    return cpu_core_hours * pc + memory_gib_hours * pm


def pod_cost_per_hour(request_cpu: float, request_memory_gib: float, pricing: Pricing,
                      usage_cpu: float = 0.0, usage_memory_gib: float = 0.0,
                      spot_fraction: float = 0.0) -> float:
    """One pod's cost per hour: ``max(request, usage)`` of CPU (cores) and memory (GiB)."""
    return allocation_cost(max(request_cpu, usage_cpu), max(request_memory_gib, usage_memory_gib),
                           pricing, spot_fraction)


def pod_requests(scenario: Scenario) -> tuple[float, float]:
    """The pod's effective requests (cores, GiB), RuntimeClass overhead included."""
    from capacity.sim.workload import WorkloadModel

    wl = WorkloadModel.from_scenario(scenario)
    return wl.requests.get("cpu", 0) / 1000.0, wl.requests.get("memory", 0) / 1000.0 / GIB


def fixed_replicas_cost(replicas: int, hours: float, scenario: Scenario,
                        pricing: Pricing | None = None) -> float:
    """Closed form for ``replicas`` pods held ``hours`` hours, each using no more than it
    requests (so allocation = request): replicas × hours × request × price."""
    pr = pricing or effective_pricing(scenario)
    cpu, mem = pod_requests(scenario)
    return replicas * hours * pod_cost_per_hour(cpu, mem, pr)


@dataclass(frozen=True)
class RunCost:
    """The cost figures of one run, in the pricing's currency (hours are measured hours)."""

    hours: float
    cpu_allocated_core_hours: float
    memory_allocated_gib_hours: float
    cpu_request_core_hours: float
    memory_request_gib_hours: float
    cpu_usage_core_hours: float
    memory_usage_gib_hours: float
    cpu_cost: float
    memory_cost: float
    idle_cpu_cost: float
    idle_memory_cost: float
    served_requests: float
    pod_hours: float
    spot_pod_hours: float = 0.0  # pod-hours on spot nodes
    spot_cost: float = 0.0  # the part of the total priced at spot prices

    @property
    def total(self) -> float:
        return self.cpu_cost + self.memory_cost

    @property
    def idle(self) -> float:
        return self.idle_cpu_cost + self.idle_memory_cost

    @property
    def per_hour(self) -> float:
        return self.total / self.hours if self.hours > 0 else math.nan


def _allocated_integrals(ig: Any, recorded_prices: tuple[float, float]) -> tuple[float, float, str]:
    """∫Σ max(request, usage) dt for CPU (core-s) and memory (GiB-s) of one run.

    Uses the recorder's ``cpu_allocated_core_seconds`` / ``memory_allocated_gib_seconds``
    when it has them (exact). Otherwise it splits the recorded ``cost`` (priced at
    ``recorded_prices``, per second) with memory's allocation taken as the larger of its
    request and usage integrals: exact whenever a pod's memory use never exceeds its
    request at one time and falls below at another (true for the seed's workload).
    """
    a_cpu = getattr(ig, "cpu_allocated_core_seconds", None)
    a_mem = getattr(ig, "memory_allocated_gib_seconds", None)
    if a_cpu is not None and a_mem is not None and (a_cpu > 0 or a_mem > 0 or ig.cost == 0):
        return float(a_cpu), float(a_mem), "recorded"
    pc, pm = recorded_prices
    a_mem = max(ig.memory_request_gib_seconds, ig.memory_usage_gib_seconds)
    lo_cpu = max(ig.cpu_request_core_seconds, ig.cpu_usage_core_seconds)
    a_cpu = (ig.cost - pm * a_mem) / pc if pc > 0 else lo_cpu
    # Rounding in the recorded sum must not push allocation below its lower bound.
    return max(a_cpu, lo_cpu), a_mem, "derived from recorded cost"


def run_cost(outcome: RunOutcome, pricing: Pricing, recorded_pricing: Pricing) -> RunCost:
    """Re-price one run's integrals at ``pricing`` (``recorded_pricing``: the prices the
    simulation used for its own ``cost`` integral, i.e. the scenario's ``pricing``).

    The allocation on spot nodes (``cpu_allocated_spot_core_seconds`` and its memory twin,
    recorded per pod by the node it runs on) is priced at the spot prices, the rest at the
    on-demand prices, as OpenCost prices a pod by its node.
    """
    ig = outcome.integrals
    rec = (recorded_pricing.cpuPerHour / 3600.0, recorded_pricing.memoryGiBPerHour / 3600.0)
    a_cpu, a_mem, _ = _allocated_integrals(ig, rec)
    s_cpu = min(float(getattr(ig, "cpu_allocated_spot_core_seconds", 0.0)), a_cpu)
    s_mem = min(float(getattr(ig, "memory_allocated_spot_gib_seconds", 0.0)), a_mem)
    pc, pm = unit_prices(pricing, 0.0)
    spc, spm = unit_prices(pricing, 1.0)
    u_cpu, u_mem = ig.cpu_usage_core_seconds / 3600.0, ig.memory_usage_gib_seconds / 3600.0
    a_cpu_h, a_mem_h = a_cpu / 3600.0, a_mem / 3600.0
    s_cpu_h, s_mem_h = s_cpu / 3600.0, s_mem / 3600.0
    cpu_cost = (a_cpu_h - s_cpu_h) * pc + s_cpu_h * spc
    mem_cost = (a_mem_h - s_mem_h) * pm + s_mem_h * spm
    # Idle is priced at the blend of the run's own allocation (max(r - u, 0) = max(r, u) - u,
    # pod by pod and instant by instant; the usage is not split by node kind).
    cpu_unit = cpu_cost / a_cpu_h if a_cpu_h > 0 else pc
    mem_unit = mem_cost / a_mem_h if a_mem_h > 0 else pm
    return RunCost(
        hours=ig.measured_seconds / 3600.0,
        cpu_allocated_core_hours=a_cpu_h,
        memory_allocated_gib_hours=a_mem_h,
        cpu_request_core_hours=ig.cpu_request_core_seconds / 3600.0,
        memory_request_gib_hours=ig.memory_request_gib_seconds / 3600.0,
        cpu_usage_core_hours=u_cpu,
        memory_usage_gib_hours=u_mem,
        cpu_cost=cpu_cost,
        memory_cost=mem_cost,
        idle_cpu_cost=max(a_cpu_h - u_cpu, 0.0) * cpu_unit,
        idle_memory_cost=max(a_mem_h - u_mem, 0.0) * mem_unit,
        served_requests=ig.served_requests,
        pod_hours=ig.replica_seconds / 3600.0,
        spot_pod_hours=float(getattr(ig, "replica_seconds_spot", 0.0)) / 3600.0,
        spot_cost=s_cpu_h * spc + s_mem_h * spm,
    )


def run_costs(scenario: Scenario, outcomes: Sequence[RunOutcome],
              pricing: Pricing | None = None) -> list[RunCost]:
    """:func:`run_cost` of every run, at the scenario's effective prices by default."""
    pr = pricing or effective_pricing(scenario)
    return [run_cost(o, pr, scenario.pricing) for o in outcomes]


# --- node-based -----------------------------------------------------------------------------


def node_price_per_hour(pool: NodePool, pricing: Pricing) -> tuple[float, str]:
    """One node of ``pool``: (price per node-hour, where the price came from).

    Order: ``pricing.nodes[pool name]``, ``pricing.nodes[instanceType]`` (a price list,
    e.g. from a price file, wins so that swapping price files re-prices every pool), the
    pool's own ``pricePerHour`` (as billed: a spot pool's price is its spot price), else
    the pool's allocatable CPU and memory at the per-vCPU and per-GiB prices (the spot
    prices for a spot pool).
    """
    if pool.name in pricing.nodes:
        return float(pricing.nodes[pool.name]), f"pricing.nodes[{pool.name}]"
    if pool.instanceType and pool.instanceType in pricing.nodes:
        return float(pricing.nodes[pool.instanceType]), f"pricing.nodes[{pool.instanceType}]"
    if pool.pricePerHour is not None:
        return float(pool.pricePerHour), f"nodePools[{pool.name}].pricePerHour"
    from capacity.k8s.quantity import Quantity

    cpu = Quantity.parse(str(pool.allocatable.get("cpu", "0"))).milli_value() / 1000.0
    mem = Quantity.parse(str(pool.allocatable.get("memory", "0"))).value() / GIB
    pc, pm = unit_prices(pricing, 1.0 if pool.spot else 0.0)
    kind = "spot" if pool.spot else "on-demand"
    return cpu * pc + mem * pm, f"allocatable x {kind} per-vCPU/GiB prices"


def node_cost(node_seconds_by_pool: Mapping[str, float], pricing: Pricing,
              cluster: Cluster) -> dict[str, Any]:
    """Node-based cost of one run: node-seconds per pool → node-hours × node price.

    Returns ``{"by_pool": {pool: {node_hours, price_per_hour, price_source, spot, cost}},
    "node_hours", "total", "spot_share"}``, money in the pricing's currency. Raises
    ``ValueError`` for a pool the cluster does not have or negative node-seconds.
    """
    pools = {p.name: p for p in cluster.nodePools}
    by_pool: dict[str, dict[str, Any]] = {}
    total = hours = spot_cost = 0.0
    for name, secs in node_seconds_by_pool.items():
        if name not in pools:
            raise ValueError(f"node pool {name!r} is not in cluster.nodePools")
        if secs < 0:
            raise ValueError(f"node-seconds of pool {name!r} must be >= 0, got {secs}")
        pool = pools[name]
        price, src = node_price_per_hour(pool, pricing)
        h = secs / 3600.0
        c = h * price
        by_pool[name] = {"node_hours": h, "price_per_hour": price, "price_source": src,
                         "spot": pool.spot, "cost": c}
        total += c
        hours += h
        if pool.spot:
            spot_cost += c
    return {"by_pool": by_pool, "node_hours": hours, "total": total,
            "spot_cost_share": spot_cost / total if total > 0 else 0.0}


# --- the summary's cost block -----------------------------------------------------------------


def _est(values: Sequence[float], scale: float = 1.0) -> tuple[float, list[float] | None]:
    vals = [v * scale for v in values if v == v]
    m, ci = mean_ci(vals, bounds=(0.0, math.inf))
    return m, None if ci is None else [ci[0], ci[1]]


def _figures(costs: Sequence[RunCost]) -> dict[str, Any]:
    """total, per hour/day/month, per million served requests and idle, each with ``_ci95``."""
    per_hour = [c.per_hour for c in costs]
    out: dict[str, Any] = {}

    def put(key: str, values: Sequence[float], scale: float = 1.0) -> None:
        m, ci = _est(values, scale)
        out[key] = m
        out[f"{key}_ci95"] = ci

    put("total", [c.total for c in costs])
    put("per_hour", per_hour)
    put("per_day", per_hour, HOURS_PER_DAY)
    put("per_month", per_hour, HOURS_PER_MONTH)
    put("per_million_requests",
        [c.total / c.served_requests * 1e6 if c.served_requests > 0 else math.nan for c in costs])
    put("idle", [c.idle for c in costs])
    put("idle_per_month",
        [c.idle / c.hours * HOURS_PER_MONTH if c.hours > 0 else math.nan for c in costs])
    tot = sum(c.total for c in costs)
    out["idle_fraction"] = sum(c.idle for c in costs) / tot if tot > 0 else 0.0
    return out


def _breakdown(costs: Sequence[RunCost]) -> dict[str, Any]:
    n = len(costs)

    def mean(f: str) -> float:
        return sum(getattr(c, f) for c in costs) / n

    def monthly(f: str) -> float:
        return sum(getattr(c, f) / c.hours * HOURS_PER_MONTH for c in costs if c.hours > 0) / n

    return {
        "cpu": {"total": mean("cpu_cost"), "per_month": monthly("cpu_cost"),
                "idle": mean("idle_cpu_cost"), "idle_per_month": monthly("idle_cpu_cost"),
                "allocated_core_hours": mean("cpu_allocated_core_hours"),
                "request_core_hours": mean("cpu_request_core_hours"),
                "usage_core_hours": mean("cpu_usage_core_hours")},
        "memory": {"total": mean("memory_cost"), "per_month": monthly("memory_cost"),
                   "idle": mean("idle_memory_cost"), "idle_per_month": monthly("idle_memory_cost"),
                   "allocated_gib_hours": mean("memory_allocated_gib_hours"),
                   "request_gib_hours": mean("memory_request_gib_hours"),
                   "usage_gib_hours": mean("memory_usage_gib_hours")},
        "pod_hours": mean("pod_hours"),
        "spot": {
            "pod_hours": mean("spot_pod_hours"),
            "pod_hours_share": (sum(c.spot_pod_hours for c in costs)
                                / sum(c.pod_hours for c in costs)
                                if sum(c.pod_hours for c in costs) > 0 else 0.0),
            "cost": mean("spot_cost"),
            "cost_share": (sum(c.spot_cost for c in costs) / sum(c.total for c in costs)
                           if sum(c.total for c in costs) > 0 else 0.0),
        },
    }


def _node_seconds(o: RunOutcome) -> Mapping[str, float] | None:
    """A run's node-seconds per pool: ``extra["node_seconds_by_pool"]``, or the same key in
    ``extra["cluster"]`` (the cluster model's summary)."""
    x = o.extra.get("node_seconds_by_pool")
    if x is None:
        x = (o.extra.get("cluster") or {}).get("node_seconds_by_pool")
    return x


def _node_block(scenario: Scenario, outcomes: Sequence[RunOutcome], pricing: Pricing,
                node_seconds_by_pool: Sequence[Mapping[str, float]] | None) -> dict[str, Any] | None:
    if scenario.cluster is None:
        return None
    per_run = list(node_seconds_by_pool) if node_seconds_by_pool is not None else [
        _node_seconds(o) for o in outcomes]
    if not per_run or any(x is None for x in per_run):
        return None
    results = [node_cost(x, pricing, scenario.cluster) for x in per_run]  # type: ignore[arg-type]
    hours = [o.integrals.measured_seconds / 3600.0 for o in outcomes]
    per_hour = [r["total"] / h if h > 0 else math.nan for r, h in zip(results, hours, strict=True)]
    pools: dict[str, dict[str, Any]] = {}
    for r in results:
        for name, b in r["by_pool"].items():
            p = pools.setdefault(name, {"node_hours": 0.0, "cost": 0.0,
                                        "price_per_hour": b["price_per_hour"],
                                        "price_source": b["price_source"], "spot": b["spot"]})
            p["node_hours"] += b["node_hours"] / len(results)
            p["cost"] += b["cost"] / len(results)
    tot_m, tot_ci = _est([r["total"] for r in results])
    pm_m, pm_ci = _est(per_hour, HOURS_PER_MONTH)
    return {
        "basis": BASIS_NODES,
        "total": tot_m, "total_ci95": tot_ci,
        "per_day": pm_m / HOURS_PER_MONTH * HOURS_PER_DAY,
        "per_month": pm_m, "per_month_ci95": pm_ci,
        "node_hours": sum(r["node_hours"] for r in results) / len(results),
        # Share of the node bill that is spot nodes (not of node count, nor of pod time).
        "spot_cost_share": sum(r["spot_cost_share"] for r in results) / len(results),
        "spot_node_hours_share": (sum(b["node_hours"] for b in pools.values() if b["spot"])
                                  / max(sum(b["node_hours"] for b in pools.values()), 1e-300)),
        "by_pool": pools,
    }


def has_hpa(scenario: Scenario) -> bool:
    return scenario.autoscaling.horizontal is not None


def cost_summary(
    scenario: Scenario,
    outcomes: Sequence[RunOutcome],
    *,
    node_seconds_by_pool: Sequence[Mapping[str, float]] | None = None,
    comparisons: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary's ``cost`` block for a set of runs of ``scenario``.

    Keeps the keys of DESIGN §5 (``currency``, ``total``, ``per_month``) and adds
    ``per_hour``/``per_day``, ``per_million_requests`` (served), ``idle`` (requested but
    unused), each with a ``*_ci95`` t-interval over runs (null for one run), the prices and
    their source, a CPU/memory ``breakdown``, node-based ``nodes`` (when node-seconds per
    pool are given or in each outcome's ``extra["node_seconds_by_pool"]``), and
    ``comparisons`` against fixed replicas when the study computed them
    (:func:`capacity.study.comparisons.compare_fixed`).
    """
    pricing = effective_pricing(scenario)
    costs = run_costs(scenario, outcomes, pricing)
    if not costs:
        raise ValueError("cost_summary needs at least one run")
    figures = _figures(costs)
    block: dict[str, Any] = {
        "currency": pricing.currency,
        "basis": BASIS_REQUESTS,
        "units": {"prices": f"{pricing.currency} per hour", "cpu": "vCPU-hours",
                  "memory": "GiB-hours (2^30 bytes)", "hours_per_month": HOURS_PER_MONTH,
                  "hours_per_day": HOURS_PER_DAY},
        "prices": prices_block(pricing),
        "estimator": ESTIMATOR,
        "runs": len(costs),
        "measured_hours": sum(c.hours for c in costs) / len(costs),
        **figures,
        "breakdown": _breakdown(costs),
    }
    nb = _node_block(scenario, outcomes, pricing, node_seconds_by_pool)
    if nb is not None:
        block["nodes"] = nb
    if comparisons is not None:
        block["comparisons"] = dict(comparisons)
    elif has_hpa(scenario):
        block["comparisons"] = {"computed": False,
                                "reason": "not requested (simulate(..., compare=True) or "
                                          "`python -m capacity report`)"}
    else:
        block["comparisons"] = {"computed": False,
                                "reason": "the scenario has no HPA: it is itself fixed replicas"}
    return block
