"""The fluid serving model against a per-request reference simulation on transients.

DESIGN §10: "Transients (a spike, a pod lost) are checked against a per-request reference
simulation at small rates." The reference (tests/sim/reference_queue.py) runs every request
as a simpy process: Poisson arrivals sent to a random endpoint, FCFS workers, exponential
work, a queue limit, a client timeout after which the pod still does the work, requests in
flight lost with their node. The model runs the same scenario through the engine
(``capacity.simulate`` or :class:`capacity.sim.engine.Model`), counting the requests that
arrive in the same window (``simulation.warmup`` .. ``duration``).

Tolerances. The reference is run over ``SEEDS`` seeds; for each quantity its mean ``m`` and
standard error ``se`` over seeds are taken and the model must be within

    3 se  +  allowance

* for counts (answered, timeouts, rejected, dead_endpoint): 1 % of the requests offered in
  the window. The fluid replaces the random backlog by its mean; where it differs is at the
  phase changes (overload starting, a queue filling, a drain ending), by about the mean
  excursion of a random walk at a barrier, v / (2 d) requests (v = lam + mu its variance
  rate, d = |lam - mu| its drift): 2.5 requests per pod per change for 15 vs 10 per second,
  below 0.1 % of a window here; 1 % leaves a margin of ten;
* for the mean, p50 and p99 of the answered requests: 3 % of the reference's value, for the
  same reason (a few requests per boundary move a percentile of thousands very little)
  plus the model's percentile read-off from its grid (1e-6 at run level).
3 se makes a false alarm rarer than 1 in 300 per quantity.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

import capacity
from capacity.scenario.loader import scenario_from_dict
from capacity.sim.engine import Model
from tests.sim.reference_queue import INF, Plan, PodSpec, replicate, serving_scenario

SEEDS = range(16)
COUNT_ALLOWANCE = 0.01  # of the offered requests in the window
LATENCY_ALLOWANCE = 0.03  # relative


def model_numbers(outcome: Any) -> dict[str, float]:
    ig, lat = outcome.integrals, outcome.extra["latency"]
    return {
        "offered": ig.offered_requests,
        "answered": ig.served_requests,
        "timeout": ig.errors["timeout"],
        "rejected": ig.errors["rejected"],
        "no_endpoint": ig.errors["no_endpoint"],
        "dead_endpoint": ig.errors["dead_endpoint"],
        "mean": lat["mean"],
        "p50": lat["p50"],
        "p99": lat["p99"],
    }


def compare(model: dict[str, float], ref: dict[str, np.ndarray],
            keys: tuple[str, ...] = ("answered", "timeout", "rejected", "dead_endpoint",
                                     "mean", "p50", "p99")) -> None:
    """Every key within 3 standard errors of the reference mean plus the allowance."""
    assert ref["unfinished"].max() == 0, "the reference must finish every counted request"
    offered = float(ref["offered"].mean())
    bad = []
    for k in keys:
        v = ref[k]
        m = float(v.mean())
        se = float(v.std(ddof=1) / math.sqrt(len(v)))
        allow = (COUNT_ALLOWANCE * offered if k not in ("mean", "p50", "p99")
                 else LATENCY_ALLOWANCE * abs(m))
        tol = 3 * se + allow
        if not abs(model[k] - m) <= tol:
            bad.append(f"{k}: model {model[k]:.6g}, reference {m:.6g} ± {se:.3g} (se), "
                       f"allowed ± {tol:.3g}")
    assert not bad, "; ".join(bad)


# --- the reference itself against closed forms ---------------------------------------------------


def test_reference_reproduces_mm1_and_mm1_ps() -> None:
    # The helper must be right before it judges anything: M/M/1 at rho = 0.8 (w = 0.1 s):
    # mean 0.5 s, p99 = ln(100) x 0.5 = 2.303 s; M/M/1-PS (half a core, w = 0.05): mean
    # 0.5 s. Tolerance: 4 standard errors of the seeds' means (an exact target).
    plan = Plan(rates=((0.0, 8.0),), pods=((0.0, INF, INF),), window=(100.0, 1600.0))
    fcfs = replicate(PodSpec(work=0.1, workers=1, cores=1.0), plan, range(6))
    ps = replicate(PodSpec(work=0.05, cores=0.5), plan, range(6))

    def near(v: np.ndarray, want: float) -> None:
        se = v.std(ddof=1) / math.sqrt(len(v))
        assert abs(v.mean() - want) <= 4 * se, (v.mean(), want, se)

    near(fcfs["mean"], 0.5)
    near(fcfs["p99"], math.log(100) * 0.5)
    near(ps["mean"], 0.5)
    assert (fcfs["answered"] == fcfs["offered"]).all()


# --- (a) a spike above capacity and back ----------------------------------------------------------


@pytest.mark.parametrize("cv", [1.0, 0.5, 2.0])
def test_spike_above_capacity_and_back(cv: float) -> None:
    # Two pods, one worker each, w = 0.1 s: mu = 10/s a pod. 12/s (rho = 0.6) until 300 s,
    # 30/s (15 a pod, rho = 1.5) until 420 s, then 12/s. queueLimit 199 (N = 200) and a
    # client timeout of 15 s: the backlog grows at 5/s a pod, arrivals time out once
    # the wait passes 15 s (B > 150, ~330 s), the queue fills (~339 s) and rejects 5/s a
    # pod, then drains at 4/s a pod after 420 s (waits under 15 s again ~432 s, back to
    # steady ~470 s). Window: arrivals in 240..600 s (~6480 requests). Work exponential,
    # or gamma with CV 0.5 and 2 (the model's waits then scale by (1 + cv^2) / 2).
    demand = {"cpuPerRequest": 0.1, "concurrency": 1, "queueLimit": 199, "timeout": 15,
              "serviceTimeCV": cv}
    load = {"steps": [{"at": 0, "rps": 12}, {"at": 300, "rps": 30}, {"at": 420, "rps": 12}],
            "resolution": "1s"}
    sc = serving_scenario(demand, load, replicas=2, duration="600s", warmup="240s")
    model = model_numbers(capacity.simulate(sc, runs=1, seed=1).outcomes[0])
    spec = PodSpec(work=0.1, cv=cv, workers=1, cores=2.0, queue_limit=199, timeout=15.0)
    plan = Plan(rates=((0.0, 12.0), (300.0, 30.0), (420.0, 12.0)),
                pods=((0.0, INF, INF), (0.0, INF, INF)), window=(240.0, 600.0))
    ref = replicate(spec, plan, SEEDS)
    assert model["offered"] == pytest.approx(12 * 240 + 30 * 120, rel=1e-9)
    compare(model, ref)


# --- (b) a pod lost under load --------------------------------------------------------------------


def lost_pod_scenario(demand: dict[str, Any], rate: float) -> Any:
    """Three nodes of 1 CPU, one pod each (requests 600m: two never fit on one node), so
    each pod's requests have exactly 1 core (its limit; nothing else on the node). The
    node general-zone-a-0 dies at 203 s for 2 h; its pod's endpoint stays until the node
    is marked NotReady (node-monitor-grace-period 50 s, read from the events); the
    replacement, created when the toleration runs out (300 s later), fits nowhere."""
    d = {
        "name": "lost",
        "kubernetesVersion": "1.33",
        "simulation": {"duration": "600s", "seed": 1, "warmup": "143s"},
        "cluster": {"zones": ["zone-a"], "nodePools": [{
            "name": "general", "nodesPerZone": 3,
            "allocatable": {"cpu": "1", "memory": "4Gi", "pods": "110"}}]},
        "failures": {"nodes": {"scheduled": [
            {"node": "general-zone-a-0", "at": "203s", "duration": "2h"}]}},
        "workload": {
            "name": "web",
            "deployment": {"replicas": 3, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "resources": {
                    "requests": {"cpu": "600m", "memory": "512Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"}}}]}}},
            "startup": {"schedulingDelay": "1s", "imagePull": "0s", "containerStart": "0s"},
            "demand": {"cpuPerRequest": 0.1, "concurrency": 1, "baseCpu": "0", **demand},
        },
        "load": {"constant": rate},
    }
    return scenario_from_dict(d)


def run_lost_pod(demand: dict[str, Any], rate: float) -> tuple[dict[str, float], float]:
    res = capacity.simulate(lost_pod_scenario(demand, rate), runs=1, seed=1)
    ev = res.events
    assert (ev.reason == "NodeDown").sum() == 1
    not_ready = float(ev[ev.reason == "NodeNotReady"].time.iloc[0])
    assert 203.0 + 40.0 <= not_ready <= 203.0 + 65.0
    return model_numbers(res.outcomes[0]), not_ready


def test_pod_lost_below_capacity() -> None:
    # 15/s over three pods (5 each, rho = 0.5, latency 0.05 s): while the dead endpoint
    # stays (~55 s) a third of the arrivals are lost (5/s), plus the requests in flight on
    # the pod when its node dies (rho / (1 - rho) + 5 x 0.05 = 1.25 on average); then two
    # pods take 7.5/s each (rho = 0.75), below capacity: no other error.
    model, not_ready = run_lost_pod({"latency": 0.05}, 15.0)
    spec = PodSpec(work=0.1, workers=1, cores=1.0, fixed=0.05)
    plan = Plan(rates=((0.0, 15.0),), window=(143.0, 600.0),
                pods=((0.0, 203.0, not_ready), (0.0, INF, INF), (0.0, INF, INF)))
    ref = replicate(spec, plan, SEEDS)
    compare(model, ref)
    # The dead endpoint's share by hand: 5/s x (NotReady - 203 s), within the same bounds.
    assert model["dead_endpoint"] == pytest.approx(5.0 * (not_ready - 203.0) + 1.25,
                                                   abs=COUNT_ALLOWANCE * model["offered"])


def test_pod_lost_into_overload_with_a_timeout() -> None:
    # 24/s over three pods (8 each, rho = 0.8); after NotReady two pods take 12/s each:
    # overload, the backlog grows at 2/s a pod without end (no queue limit), and arrivals
    # time out once their wait passes 5 s (B > 50, ~25 s later); the pods still work
    # through them. Answered, timeouts and dead_endpoint errors against the reference.
    model, not_ready = run_lost_pod({"latency": 0.05, "timeout": 5}, 24.0)
    spec = PodSpec(work=0.1, workers=1, cores=1.0, fixed=0.05, timeout=5.0)
    plan = Plan(rates=((0.0, 24.0),), window=(143.0, 600.0),
                pods=((0.0, 203.0, not_ready), (0.0, INF, INF), (0.0, INF, INF)))
    ref = replicate(spec, plan, SEEDS)
    compare(model, ref)


def test_pod_lost_into_overload_with_a_queue_limit() -> None:
    # As above, with queueLimit 99 (N = 100) instead of a timeout: the two pods' queues
    # fill (~45 s after NotReady) and reject ~2/s each.
    model, not_ready = run_lost_pod({"latency": 0.05, "queueLimit": 99}, 24.0)
    spec = PodSpec(work=0.1, workers=1, cores=1.0, fixed=0.05, queue_limit=99)
    plan = Plan(rates=((0.0, 24.0),), window=(143.0, 600.0),
                pods=((0.0, 203.0, not_ready), (0.0, INF, INF), (0.0, INF, INF)))
    ref = replicate(spec, plan, SEEDS)
    compare(model, ref)


PS_SPIKE = {"steps": [{"at": 0, "rps": 12}, {"at": 300, "rps": 30}, {"at": 420, "rps": 12}],
            "resolution": "1s"}
PS_PLAN = Plan(rates=((0.0, 12.0), (300.0, 30.0), (420.0, 12.0)),
               pods=((0.0, INF, INF), (0.0, INF, INF)), window=(240.0, 600.0))


def run_ps_spike(cv: float, timeout: float | None) -> tuple[dict[str, float],
                                                            dict[str, np.ndarray]]:
    """The spike on two processor-sharing pods (below): the model's numbers and the
    reference's over 8 seeds (sharing among hundreds of requests is slower to simulate).
    With a timeout, arrivals keep coming after the window in the reference (under PS later
    arrivals slow earlier ones down) until 620 s: a request of the window is answered or
    timed out 15 s after it came."""
    demand: dict[str, Any] = {"cpuPerRequest": 0.2, "serviceTimeCV": cv}
    if timeout is not None:
        demand["timeout"] = timeout
    sc = serving_scenario(demand, PS_SPIKE, replicas=2, duration="600s", warmup="240s")
    model = model_numbers(capacity.simulate(sc, runs=1, seed=1).outcomes[0])
    spec = PodSpec(work=0.2, cv=cv, cores=2.0, timeout=timeout if timeout is not None else INF)
    plan = (dataclasses.replace(PS_PLAN, until=700.0, arrivals_until=620.0)
            if timeout is not None else dataclasses.replace(PS_PLAN, until=900.0))
    return model, replicate(spec, plan, range(8))


def test_spike_on_processor_sharing_pods() -> None:
    # As the spike above, but no concurrency limit and no queue limit: each pod shares its
    # 2 cores among all its requests (w = 0.2 s: mu = 10/s a pod), and the backlog grows at
    # 5/s a pod from 300 to 420 s; a 15 s client timeout. Under sharing a request's time
    # grows with its own work: short ones leave early, long ones stay and time out. Before
    # the fluid gave each arrival its own work's time (every one had the mean's, w B / c),
    # the model timed out 4068 requests and answered 2412; the reference 2946 +- 53 and
    # 3547 +- 37.
    model, ref = run_ps_spike(1.0, 15.0)
    compare(model, ref)


def test_spike_on_processor_sharing_pods_without_a_timeout() -> None:
    # The same spike, every request answered. A fluid arrival's time is its own work times
    # the sharing it finds when it comes (the mean path's backlog at arrival). After the
    # spike the backlog drains while the longest requests are still in service, so their
    # real time is shorter than that: the model's p99 is pessimistic, by 20% here (174 s
    # against 145 +- 4 s); the mean and median agree (before the change the median was
    # 24 s against the reference's 12 s, the p99 59 s against 145 s).
    model, ref = run_ps_spike(1.0, None)
    compare(model, ref, keys=("answered", "mean", "p50"))
    p99 = float(ref["p99"].mean())
    assert p99 <= model["p99"] <= 1.25 * p99, (model["p99"], p99)


def test_processor_sharing_rows_follow_the_backlog_smoothly() -> None:
    # The spike's timeseries rows (15 s each) while most arrivals time out: the answered
    # are the short requests, whose times spread up to the timeout. Each bin of the work
    # is a band of times, not one time (when every bin was a single time, a row's p99 was
    # that of the highest bin under 15 s: 12.6 s in one row, 9.8 s in another, and its
    # median jumped from 8.4 s to 3.1 s and back; the backlog moves by 120 to 150
    # requests a row, the median now by 1 s at most).
    sc = serving_scenario({"cpuPerRequest": 0.2, "timeout": 15.0}, PS_SPIKE, replicas=2,
                          duration="600s", warmup="240s")
    ts = capacity.simulate(sc, runs=1, seed=1, record=True).timeseries
    busy = ts[(ts["time"] > 330.0) & (ts["error_rps"] > 2.0)]  # from half a minute in
    assert len(busy) >= 12
    assert busy["latency_p99"].between(14.0, 15.0).all(), busy["latency_p99"].tolist()
    assert busy["latency_p50"].diff().abs().max() < 1.5, busy["latency_p50"].tolist()


@pytest.mark.xfail(strict=True, reason=(
    "LIMITATION (model): the fluid counts requests, dB/dt = lam - mu, which under "
    "processor sharing holds for exponential work only: with other work the departures "
    "follow the attained service (few leave early when the work is regular, many when it "
    "is variable). With CV 0.5 the model answers 2816 against the reference's 2154 +- 57, "
    "with CV 2 it answers 4238 against 5335 +- 44"))
@pytest.mark.parametrize("cv", [0.5, 2.0])
def test_spike_on_processor_sharing_pods_with_other_work(cv: float) -> None:
    model, ref = run_ps_spike(cv, 15.0)
    compare(model, ref, keys=("answered", "timeout"))


@pytest.mark.parametrize("rate", [9.9, 10.0, 10.2])
def test_near_and_at_capacity_the_queue_fills_slowly(rate: float) -> None:
    # One pod, one worker, w = 0.1 s: mu = 10/s, steady at 5/s, then offered 9.9, 10 or
    # 10.2/s for 20 minutes (measured). Near capacity the stationary queue (at 9.9/s: a
    # 10 s mean response, 46 s p99) is hours away; at exactly capacity the queue is
    # null-recurrent and its backlog grows like the square root of time (the reference's
    # mean 9.4 +- 2.5 s, p99 21 +- 4 s); just above, it grows by 0.2/s on top of that.
    # Before the slow fill was modelled the model gave 10 s at 9.9/s and 0.1 s (no queue
    # at all) at 10/s. Same tolerances as above (the reference's spread is wide here: its
    # backlog is a reflected random walk with little drift).
    demand = {"cpuPerRequest": 0.1, "concurrency": 1}
    load = {"steps": [{"at": 0, "rps": 5}, {"at": 100, "rps": rate}], "resolution": "1s"}
    sc = serving_scenario(demand, load, duration="1300s", warmup="100s", cpu_limit="1")
    model = model_numbers(capacity.simulate(sc, runs=1, seed=1).outcomes[0])
    plan = Plan(rates=((0.0, 5.0), (100.0, rate)), pods=((0.0, INF, INF),),
                window=(100.0, 1300.0))
    ref = replicate(PodSpec(work=0.1, workers=1, cores=1.0), plan, range(8))
    compare(model, ref, keys=("answered", "mean", "p50", "p99"))


@pytest.mark.xfail(strict=True, reason=(
    "LIMITATION: a run's p99 near capacity is a path extreme the mean-field model does not "
    "have: at 9.8/s the fill ends within the run and the stationary tail gives 19.9 s, the "
    "reference's runs 12.5 +- 2.1 s (at 9.9/s the fill's mean path gives 8.6 s against "
    "15.7 +- 3.0, within the tolerance); the means agree within the reference's spread "
    "from 9.5 to 11/s"))
def test_p99_of_a_run_just_below_capacity() -> None:
    demand = {"cpuPerRequest": 0.1, "concurrency": 1}
    load = {"steps": [{"at": 0, "rps": 5}, {"at": 100, "rps": 9.8}], "resolution": "1s"}
    sc = serving_scenario(demand, load, duration="1300s", warmup="100s", cpu_limit="1")
    model = model_numbers(capacity.simulate(sc, runs=1, seed=1).outcomes[0])
    plan = Plan(rates=((0.0, 5.0), (100.0, 9.8)), pods=((0.0, INF, INF),),
                window=(100.0, 1300.0))
    ref = replicate(PodSpec(work=0.1, workers=1, cores=1.0), plan, range(8))
    compare(model, ref, keys=("answered", "mean", "p50", "p99"))


@pytest.mark.parametrize(("every", "lag"), [(None, 0.002), (15, 0.025)])
def test_at_capacity_the_backlog_follows_the_pointwise_stationary_fill(every: int | None,
                                                                      lag: float) -> None:
    # The closed form of the approximation the model uses (serving.py _fill_piece): an
    # M/M/1 queue at rho = 1 from empty, dB/dt = mu - mu B / (1 + B), so B^2 / 2 + B =
    # mu t. The model's pieces end on that curve and run under it by 0.2% at most in
    # between; with the load re-stated every 15 s (by 1e-12 of it: each a new piece from
    # where the last one was cut) they lag it by 2.5% at most.
    demand = {"cpuPerRequest": 0.1, "concurrency": 1}
    load: dict[str, Any] = {"constant": 10}
    if every is not None:
        load = {"steps": [{"at": t, "rps": 10.0 * (1 + 1e-12 * ((t // every) % 2))}
                          for t in range(0, 1200, every)], "resolution": "1s"}
    sc = serving_scenario(demand, load, duration="1200s", cpu_limit="1")
    ts = capacity.simulate(sc, runs=1, seed=1, record=True).timeseries
    exact = -1.0 + np.sqrt(1.0 + 2.0 * 10.0 * ts["time"].to_numpy())
    rel = ts["inflight"].to_numpy() / exact - 1.0
    assert len(rel) == 80
    assert rel.max() <= 1e-9 and rel.min() >= -lag, (rel.min(), rel.max())
    # and the latency it implies: the mean path's last arrivals wait B / mu, about 15 s
    assert 14.0 < ts["latency_p99"].to_numpy()[-1] < 16.0


# --- (c) a scale-up in the middle of overload -----------------------------------------------------


def test_scale_up_in_the_middle_of_overload() -> None:
    # One pod (mu = 10/s); 5/s until 100 s, then 15/s: the backlog grows at 5/s and
    # arrivals time out (client timeout 20 s) once B > 200 (~140 s). At 200 s the
    # Deployment is scaled to 3 (as the HPA would); the new pods are Ready after their
    # start-up (scheduling 1 s, pull 2 s, start 1 s: ~204 s) and each takes 5/s: the old
    # pod drains its ~520 requests at 5/s (waits under 20 s again ~268 s, steady ~308 s)
    # while the new ones run at rho = 0.5. Window: arrivals in 60..500 s.
    demand = {"cpuPerRequest": 0.1, "concurrency": 1, "timeout": 20}
    load = {"steps": [{"at": 0, "rps": 5}, {"at": 100, "rps": 15}], "resolution": "1s"}
    sc = serving_scenario(demand, load, replicas=1, duration="500s", warmup="60s",
                          cpu_limit="1", startup={"schedulingDelay": "1s", "imagePull": "2s",
                                                  "containerStart": "1s"})
    m = Model(sc, 0, np.random.SeedSequence(1))

    def scale_at(t: float, n: int):
        yield m.env.timeout(t)
        m.scale_deployment(n)

    m.env.process(scale_at(200.0, 3))
    out = m.run()
    ready = sorted(p.ready_at for p in m.pods if p.ready_at is not None)
    assert len(ready) == 3 and ready[0] <= 0.0  # the first pod is warm: Ready before 0
    assert 200.0 < ready[1] == ready[2] <= 210.0
    model = model_numbers(out)
    spec = PodSpec(work=0.1, workers=1, cores=1.0, timeout=20.0)
    plan = Plan(rates=((0.0, 5.0), (100.0, 15.0)), window=(60.0, 500.0),
                pods=((0.0, INF, INF), (ready[1], INF, INF), (ready[2], INF, INF)))
    ref = replicate(spec, plan, SEEDS)
    compare(model, ref)
