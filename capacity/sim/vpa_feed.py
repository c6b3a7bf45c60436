"""The VerticalPodAutoscaler recommender fed from a run, as the real one is fed.

Upstream (``kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/``) runs one
loop every ``--recommender-interval`` (``main.go``: ``metricsFetcherInterval =
flag.Duration("recommender-interval", 1*time.Minute, ...)``); each ``RunOnce``
(``routines/recommender.go``) loads the VPAs, then the pods (``input/cluster_feeder.go``
``LoadPods``: the pod lister watches ``status.phase!=Pending``, so Pending pods are not
known; a pod no longer listed is deleted from the model), then the real-time metrics
(``LoadRealTimeMetrics``: metrics-server's PodMetrics, one ``ContainerUsageSample`` per
container and resource, ``MeasureStart`` the snapshot's timestamp, init containers
skipped), then updates the recommendations. :class:`VpaFeedObserver` does the same on the
simulated cluster at ``k × interval`` s (k = 1, 2, ...): the pods that are not Pending and
their regular containers (requests from the pod spec), and the metrics the run's
metrics-server serves at that moment (``SimPod.cpu_metric`` / ``mem_metric``: the CPU
rate over the last metric resolution, stamped with the scrape time, and the working
set). Only the serving container does work in the model; the others report zero, as the
engine's metrics API gives them. A sample with a timestamp the container has seen is
dropped by the recommender itself (CPU samples must be newer than the last one).

Aggregates are keyed by the pod's labels as upstream keys them: the template's labels
and ``pod-template-hash`` (the ReplicaSet), so a rollout starts new aggregates.

``finish`` returns ``{"containers": {name: {"target", "lowerBound", "upperBound",
"uncappedTarget": {"cpu": millicores, "memory": bytes}}}, "interval", "samples",
"hourly"}``: the recommendation at the end of the run, capped by the scenario's VPA
``resourcePolicy`` (:meth:`capacity.k8s.vpa.VpaRecommenderState.recommend`), and each
container's target every hour (for plots).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from capacity.k8s.types import POD_PENDING
from capacity.k8s.vpa import VpaRecommenderState

__all__ = ["RECOMMENDER_INTERVAL", "VpaFeedObserver", "VpaFeedSettings"]

#: ``--recommender-interval`` default (``pkg/recommender/main.go``), seconds.
RECOMMENDER_INTERVAL = 60.0


@dataclass(frozen=True)
class VpaFeedSettings:
    """``interval``: the recommender's loop, seconds; ``hourly``: keep the target every
    ``hourly`` seconds (0: none)."""

    interval: float = RECOMMENDER_INTERVAL
    hourly: float = 3600.0


class VpaFeedObserver:
    """Feeds :class:`capacity.k8s.vpa.VpaRecommenderState` from a run (module docstring).

    Raises ValueError at ``start`` when the scenario has no ``autoscaling.vertical``."""

    name = "vpa"

    def __init__(self, settings: VpaFeedSettings | None = None) -> None:
        self.settings = settings or VpaFeedSettings()
        self.samples = 0
        self.hourly: list[tuple[float, dict[str, dict[str, int]]]] = []

    def start(self, model: Any) -> None:
        """Set up the recommender's state for the scenario's VPA; start its loop."""
        vpa = model.sc.autoscaling.vertical
        if vpa is None:
            raise ValueError("the scenario has no autoscaling.vertical to feed")
        self.m = model
        policy = vpa.resourcePolicy.to_k8s() if vpa.resourcePolicy is not None else None
        self.state = VpaRecommenderState(policy=policy, created_at=0.0)
        # requests per regular container: millicores and bytes (the model keeps milli-units)
        self.containers = [(c.name, {"cpu": c.requests.get("cpu", 0),
                                     "memory": c.requests.get("memory", 0) // 1000})
                           for c in model.wl.containers]
        self.serving = model.wl.serving_container
        self.known: set[str] = set()
        self._next = self.settings.interval  # the next loop's time
        model.env.process(self._loop())

    def _loop(self) -> Iterator[Any]:
        env = self.m.env
        k = 1
        self._next_hour = self.settings.hourly
        while True:
            t = k * self.settings.interval
            if t >= self.m.duration:
                return  # a loop at the very end runs in finish (the run stops before it)
            yield env.timeout(max(t - env.now, 0.0))
            self._tick(t)
            k += 1
            self._next = (k) * self.settings.interval

    def _tick(self, t: float) -> None:
        self._once(t)
        if self.settings.hourly and t >= self._next_hour - 1e-9:
            self.hourly.append((t, self._targets(t)))
            self._next_hour += self.settings.hourly

    def _labels(self, p: Any) -> dict[str, str]:
        rs = p.rs or ""
        h = rs.rsplit("-", 1)[-1] if "-" in rs else rs
        return {**p.pod.labels, "pod-template-hash": h}

    def _once(self, now: float) -> None:
        """One ``RunOnce``: LoadPods, DeleteRemovedPods, LoadRealTimeMetrics."""
        st = self.state
        listed = set()
        for p in self.m.pods:
            pod = p.pod
            if pod.phase == POD_PENDING:
                continue
            listed.add(pod.name)
            if pod.name not in self.known:
                st.add_pod(pod.name, self._labels(p))
                for name, req in self.containers:
                    st.add_container(pod.name, name, req)
                self.known.add(pod.name)
        for gone in self.known - listed:
            st.delete_pod(gone)
        self.known &= listed
        add = st.add_usage_samples
        serving = self.serving
        kept = 0
        for p in self.m.pods:
            cm, mm = p.cpu_metric, p.mem_metric
            name = p.pod.name
            if cm is None or mm is None or name not in listed:
                continue
            for container, _ in self.containers:
                # metrics API quantities: millicores and milli-bytes
                if container == serving:
                    kept += add(name, container, cm.timestamp, cm.value / 1000.0,
                                mm.timestamp, mm.value / 1000.0)
                else:
                    kept += add(name, container, cm.timestamp, 0.0, mm.timestamp, 0.0)
        self.samples += kept

    def _targets(self, now: float) -> dict[str, dict[str, int]]:
        rec = self.state.recommend(now)
        return {name: dict(r["target"]) for name, r in rec.items()}

    def finish(self, model: Any) -> dict[str, Any]:
        """The recommendation at the end of the run (see the module docstring)."""
        end = float(model.duration)
        if abs(self._next - end) < 1e-9:
            self._tick(end)
        rec = self.state.recommend(end)
        return {"containers": {n: {k: dict(v) for k, v in r.items()} for n, r in rec.items()},
                "interval": self.settings.interval, "samples": self.samples,
                "hourly": self.hourly}
