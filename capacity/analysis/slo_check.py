"""Can the objectives be met at all? The queueing formulas at the peak, no simulation.

The best case the workload can have: its most replicas (``maxReplicas``, else
``deployment.replicas``), every pod ready and bursting to its CPU limit (no other tenant in
its way), the peak of the offered load (without noise or random spikes) split evenly. If an
objective fails even then, no autoscaling setting can meet it: the pods, their CPU or the
objective must change. Each pod is the steady queue of :mod:`capacity.sim.queueing`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from capacity.scenario.model import Scenario
from capacity.sim import queueing as qm
from capacity.sim.loadgen import build_load
from capacity.sim.workload import WorkloadModel


@dataclass(frozen=True)
class PeakFinding:
    code: str
    path: str
    message: str
    fix: str


def peak_rate(sc: Scenario) -> float:
    """The highest offered rate of the scenario's load, noise and random spikes left out."""
    from capacity.sim.engine import start_hour_of_week

    load = sc.load.model_copy(update={"noise": None, "randomSpikes": None})
    horizon = min(max(sc.simulation.duration, 7 * 86400.0), 400 * 86400.0)
    _, rates = build_load(load, horizon, np.random.Generator(np.random.PCG64(0)),
                          start_hour_of_week(sc))
    return float(rates.max()) if rates.size else 0.0


def peak_findings(sc: Scenario) -> list[PeakFinding]:
    """Objectives that the best case misses at the peak (empty when all can be met)."""
    o = sc.objectives
    if o.availability is None and not o.latency:
        return []
    h = sc.autoscaling.horizontal
    n = h.maxReplicas if h is not None else (sc.workload.deployment.replicas or 1)
    where = ("autoscaling.horizontal.maxReplicas" if h is not None
             else "workload.deployment.replicas")
    if n <= 0:
        return []
    d = sc.workload.demand
    wl = WorkloadModel.from_scenario(sc)
    peak = peak_rate(sc)
    if peak <= 0:
        return []
    lam = peak / n
    cores = max(wl.serving_limit_cpu - wl.base_cpu, 0.0)
    if wl.serving_limit_cpu == math.inf and sc.cluster is not None:
        from capacity.k8s.quantity import Quantity

        cores = max(max(Quantity.parse(str(p.allocatable.get("cpu", "0"))).milli_value()
                        for p in sc.cluster.nodePools) / 1000.0 - wl.base_cpu, 0.0)
    k = float(d.concurrency) if d.concurrency is not None else math.inf
    cap_n = (float(d.queueLimit) + (k if k != math.inf else 0.0)
             if d.queueLimit is not None else math.inf)
    if d.queueLimit is not None and k == math.inf:
        cap_n = float(d.queueLimit)
    rate_cap = d.maxRequestsPerSecondPerPod or math.inf
    out: list[PeakFinding] = []
    mu = qm.service_capacity(d.cpuPerRequest, cores, k)
    served_lam = min(lam, rate_cap)
    if served_lam >= mu and cap_n == math.inf:
        need = math.ceil(peak * d.cpuPerRequest / min(k, cores)) if cores > 0 else None
        out.append(PeakFinding(
            "slo-overload-at-peak", where,
            f"at the peak of {peak:.4g} rps, {n} pods bursting to their CPU limit can "
            f"complete {n * mu:.4g} rps: the backlog grows without end and every objective "
            "fails",
            f"raise {where} to at least {need}" if need else "give the pods CPU for requests"))
        return out
    st = qm.steady_state(served_lam, d.cpuPerRequest, d.serviceTimeCV, cores, k, cap_n)
    tau = d.timeout if d.timeout is not None else math.inf
    pw, th, svc, cv2 = st.distribution(d.cpuPerRequest)
    in_time = (float(qm.response_cdf(tau, d.latency, pw, th, svc, cv2))
               if tau != math.inf else 1.0)
    good = (served_lam / lam) * (1.0 - st.p_block) * in_time
    if o.availability is not None and good < o.availability:
        out.append(PeakFinding(
            "slo-availability-at-peak", "objectives.availability",
            f"at the peak of {peak:.4g} rps on {n} pods at their CPU limit, {good:.4%} of "
            f"requests are answered in time (rejected {st.p_block:.3%}, timed out "
            f"{1 - in_time:.3%}), below {o.availability:.4%}",
            f"raise {where}, the CPU limit or demand.queueLimit, or lower the objective"))
    for i, lo in enumerate(o.latency):
        f = float(qm.response_cdf(min(lo.threshold, tau), d.latency, pw, th, svc, cv2))
        within = f / in_time if in_time > 0 else 0.0
        if within < lo.target:
            out.append(PeakFinding(
                "slo-latency-at-peak", f"objectives.latency[{i}]",
                f"at the peak of {peak:.4g} rps on {n} pods at their CPU limit, "
                f"{within:.3%} of answers come within {lo.threshold:g} s, below "
                f"{lo.target:.3%} (the part without CPU alone is {d.latency:g} s)",
                f"raise {where} or the CPU limit, cut demand.latency, or relax the objective"))
    return out
