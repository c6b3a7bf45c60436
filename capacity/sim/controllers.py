"""The Deployment and ReplicaSet controllers of a run (kube-controller-manager).

``spec.replicas`` from the HPA, rolling updates and Recreate (``rolling.go``,
``recreate.go``, proportional scaling in ``sync.go``), the ReplicaSet's ``manageReplicas``
with slow-start batches, admission through quota and LimitRange with the retry back-off,
the deletion ranking (``controller_utils.go``), and what the quota charges.
"""

from __future__ import annotations

import hashlib
import math

from capacity.errors import SimulationError
from capacity.k8s import rollout
from capacity.k8s.quota import DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD, charged_in_status
from capacity.k8s.replicaset import get_pods_to_delete
from capacity.sim.workload import SimPod

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _suffix(n: int, width: int = 5) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, len(_NAME_ALPHABET))
        out.append(_NAME_ALPHABET[r])
    return "".join(reversed(out))


class ReplicaSet:
    """A ReplicaSet of the Deployment: ``spec.replicas``, its pods (terminating ones
    included until they are gone) and the ``desired-replicas`` / ``max-replicas``
    annotations the Deployment controller writes when it scales it."""

    __slots__ = ("desired_ann", "max_ann", "name", "pods", "rev", "spec_replicas")

    def __init__(self, name: str, rev: int, replicas: int) -> None:
        self.name = name
        self.rev = rev
        self.spec_replicas = replicas
        self.pods: list[SimPod] = []
        self.desired_ann: int | None = None
        self.max_ann: int | None = None


class WorkloadControllers:
    """The controllers part of :class:`capacity.sim.engine.Model` (a mixin: it
    reads and writes the run's shared state on ``self``)."""

    # --- helpers ---------------------------------------------------------------------
    def _rs_hash(self, rev: int) -> str:
        # A stable stand-in for the pod-template-hash label (hashlib: same in every process).
        digest = hashlib.sha256(f"{self.wl.name}/{rev}".encode()).digest()
        return _suffix(int.from_bytes(digest[:8], "big"), 10)

    # --- ReplicaSet / Deployment ---------------------------------------------------------
    def scale_deployment(self, replicas: int) -> None:
        """The HPA (or a user) sets the Deployment's ``spec.replicas``: the Deployment
        controller sees the update (``updateDeployment``) and syncs."""
        self.touch()
        self.spec_replicas = replicas
        self._enqueue_deployment()

    def _deployment_state(self) -> rollout.DeploymentState:
        return self._deployment_state_for(self.spec_replicas)

    def _deployment_state_for(self, replicas: int) -> rollout.DeploymentState:
        return rollout.DeploymentState(
            replicas=replicas, max_surge=self.max_surge,
            max_unavailable=self.max_unavailable, strategy_type=self.strategy_type,
            min_ready_seconds=self.wl.min_ready_seconds,
            status_replicas=sum(1 for p in self.pods if not p.deleted),
            pod_replacement_policy=self.pod_replacement_policy)

    def _scale_rs(self, rs: ReplicaSet, replicas: int) -> None:
        """``scaleReplicaSet``: write ``spec.replicas`` and the replicas annotations
        (``SetReplicasAnnotations``: the Deployment's ``replicas`` and ``replicas +
        maxSurge``), then let the ReplicaSet controller act. A changed ReplicaSet brings the
        Deployment back (``updateReplicaSet``)."""
        changed = rs.spec_replicas != replicas
        if changed:
            verb = "up" if replicas > rs.spec_replicas else "down"
            self.rec.event(self.env.now, "ScalingReplicaSet", "Deployment", self.wl.name,
                           f"Scaled {verb} replica set {rs.name} from {rs.spec_replicas} to {replicas}")
            rs.spec_replicas = replicas
        rs.desired_ann = self.spec_replicas
        rs.max_ann = self.spec_replicas + rollout.max_surge(self._deployment_state())
        self.sync_replica_set(rs)
        if changed:
            self._enqueue_deployment()

    def sync_all(self) -> None:
        """Let every controller react to a pod going away (evictions, node loss)."""
        if self.rollout_active:
            self._enqueue_deployment()
        for rs in list(self.replicasets):
            self.sync_replica_set(rs)

    def start_rollout(self) -> None:
        """A new pod template: a new ReplicaSet takes over (RollingUpdate or Recreate)."""
        self.touch()
        self.rev += 1
        new = ReplicaSet(f"{self.wl.name}-{self._rs_hash(self.rev)}", self.rev, 0)
        # getNewReplicaSet creates it with the replicas annotations of the Deployment now.
        new.desired_ann = self.spec_replicas
        new.max_ann = self.spec_replicas + rollout.max_surge(self._deployment_state())
        self.replicasets.append(new)
        self.rs = new
        self.rollout_active = True
        self.rollouts.append({"start": self.env.now, "end": None, "min_available": None})
        self._enqueue_deployment()

    def _rs_state(self, rs: ReplicaSet) -> rollout.ReplicaSetState:
        now = self.env.now
        mrs = self.wl.min_ready_seconds
        active = [p for p in rs.pods if not p.deleted]
        ready = sum(1 for p in active if p.ready_at is not None and p.endpoint)
        available = sum(1 for p in active if p.ready_at is not None and p.endpoint
                        and p.ready_at + mrs <= now)
        return rollout.ReplicaSetState(rs.name, rs.spec_replicas, available_replicas=available,
                                       ready_replicas=ready, replicas=len(active),
                                       creation_timestamp=float(rs.rev),
                                       desired_replicas_annotation=rs.desired_ann,
                                       max_replicas_annotation=rs.max_ann,
                                       terminating_replicas=len(rs.pods) - len(active))

    def _enqueue_deployment(self) -> None:
        """The Deployment's key enters the work queue: it is synced now, and again at once
        if something it watches changed during the sync (its own ReplicaSet scale-ups and
        scale-downs, pods deleted or Ready), as the queue runs a key again after a change
        during its sync (``deployment_controller.go`` ``updateReplicaSet``, ``enqueue``)."""
        if self._dep_syncing:
            self._dep_dirty = True
            return
        self._dep_syncing = True
        try:
            for _ in range(1000):
                self._dep_dirty = False
                self.deployment_sync()
                if not self._dep_dirty:
                    return
            raise SimulationError("the Deployment controller did not settle after 1000 syncs")
        finally:
            self._dep_syncing = False

    def deployment_sync(self) -> None:
        """``syncDeployment``: a scaling event scales proportionally (``sync.go`` ``scale``
        via :func:`capacity.k8s.rollout.scale`); otherwise a rollout goes on with
        ``rolloutRolling`` (``rolling.go``) or ``rolloutRecreate`` (``recreate.go``).

        Each ReplicaSet the controller scales re-queues the Deployment
        (:meth:`_enqueue_deployment`), so after the old ReplicaSet is scaled down the next
        surge pod is created at once, while the old pod still runs its preStop: terminating
        pods are not counted (``NewRSNewReplicas`` sums ``spec.replicas``), unless
        ``podReplacementPolicy`` is ``TerminationComplete``.
        """
        d = self._deployment_state()
        states = {rs.name: self._rs_state(rs) for rs in self.replicasets}
        new = states[self.rs.name]
        olds = [states[rs.name] for rs in self.replicasets if rs is not self.rs]
        by_name = {rs.name: rs for rs in self.replicasets}
        if rollout.is_scaling_event(d, states.values()):
            for name, n in rollout.scale(d, new, olds).items():
                self._scale_rs(by_name[name], n)
            return
        if not self.rollout_active:
            if self.rs.spec_replicas != self.spec_replicas:
                self._scale_rs(self.rs, self.spec_replicas)  # no annotations yet: scale()
            return
        all_rss = list(states.values())
        if self.strategy_type == rollout.RECREATE:
            self._rollout_recreate(d, new, olds, by_name)
        else:
            target = rollout.reconcile_new_replica_set(d, all_rss, new)
            if target is not None:
                self._scale_rs(self.rs, target)
                return  # rolloutRolling returns after a scale-up; the update brings it back
            active_olds = rollout.filter_active_replica_sets(olds)
            res = rollout.reconcile_old_replica_sets(d, all_rss, active_olds, new)
            for name, n in res.new_replicas.items():
                self._scale_rs(by_name[name], n)
            if res.scaled:
                return
        self._rollout_progress(d)

    def _rollout_recreate(self, d: rollout.DeploymentState, new: rollout.ReplicaSetState,
                          olds: list[rollout.ReplicaSetState],
                          by_name: dict[str, ReplicaSet]) -> None:
        """``rolloutRecreate``: scale every old ReplicaSet to zero, wait until none of their
        pods is left (``oldPodsRunning``: terminating pods count), then scale the new one
        to ``replicas``."""
        scaled = False
        for o in rollout.filter_active_replica_sets(olds):
            self._scale_rs(by_name[o.name], 0)
            scaled = True
        if scaled:
            return
        if any(rs.pods for rs in self.replicasets if rs is not self.rs):
            return
        if self.rs.spec_replicas != d.replicas:
            self._scale_rs(self.rs, d.replicas)

    def _rollout_progress(self, d: rollout.DeploymentState) -> None:
        """Record the rollout's figures and end it once ``DeploymentComplete`` holds: the
        new ReplicaSet owns every replica, all available, no old pod left that is not
        terminating (terminating ones too under ``TerminationComplete``)."""
        states = [self._rs_state(rs) for rs in self.replicasets]
        new = self._rs_state(self.rs)
        r = self.rollouts[-1]
        avail = sum(s.available_replicas for s in states)
        r["min_available"] = avail if r["min_available"] is None else min(r["min_available"], avail)
        r["max_pods"] = max(r.get("max_pods", 0), sum(s.replicas for s in states))
        # terminating pods too: they still hold node room and, within their grace, quota
        r["max_pod_objects"] = max(r.get("max_pod_objects", 0), len(self.pods))
        old_left = sum(s.replicas for s in states if s.name != new.name)
        terminating = sum(s.terminating_replicas for s in states)
        complete = (new.spec_replicas == d.replicas and new.replicas == d.replicas
                    and old_left == 0 and new.available_replicas >= d.replicas)
        if self.pod_replacement_policy == rollout.TERMINATION_COMPLETE:
            complete = complete and terminating == 0
        if complete:
            self.rollout_active = False
            r["end"] = self.env.now
            self.replicasets = [self.rs]

    def _sync_later(self, delay: float, timer: bool = True):
        """The Deployment is synced again after ``delay`` (a pod turning available after
        ``minReadySeconds``: the ReplicaSet controller re-queues itself for that moment,
        and its status update brings the Deployment back)."""
        yield self.env.timeout(delay)
        del timer
        self._enqueue_deployment()

    def _rollout_at(self, at: float):
        if at > self.env.now:
            yield self.env.timeout(at - self.env.now)
        self.start_rollout()

    def sync_replica_set(self, rs: ReplicaSet) -> None:
        """``manageReplicas``: create or delete pods to match ``spec.replicas``.

        Creation goes through admission; a refused create (``FailedCreate``) stops the
        batch, as ``slowStartBatch`` does, and the sync is retried with the controller's
        exponential back-off (5 ms doubling, at most 1000 s) or when a pod goes away.
        """
        active = [p for p in rs.pods if not p.deleted]
        diff = len(active) - rs.spec_replicas
        if diff < 0:
            for _ in range(-diff):
                msg = self.admission.admit(self.charged_pods())
                if msg is not None:
                    self.rec.event(self.env.now, "FailedCreate", "ReplicaSet", rs.name,
                                   f"Error creating: {msg}", "Warning")
                    self.create_failures += 1
                    if not self.retry_pending:
                        self.retry_pending = True
                        delay = min(0.005 * 2 ** (self.create_failures - 1), 1000.0)
                        self.env.process(self._retry_sync(delay))
                    return
                self.create_failures = 0
                p = self._new_pod(rs)
                self.rec.event(self.env.now, "SuccessfulCreate", "ReplicaSet", rs.name,
                               f"Created pod: {p.pod.name}")
                self.env.process(self.pod_lifecycle(p))
                n = self.charged_pods()
                if n > self.peak_charged:
                    self.peak_charged = n
        elif diff > 0:
            for p in self._pods_to_delete(active, diff):
                self.delete_pod(p)

    def _retry_sync(self, delay: float):
        yield self.env.timeout(delay)
        self.retry_pending = False
        self.sync_all()

    def quota_recalculated_at(self) -> float:
        """When the resource quota controller last recalculated ``status.used``: the latest
        of its periodic resyncs (every ``--resource-quota-sync-period``, 5 min, from a
        random phase) and the replenishments a pod deletion triggers."""
        period = DEFAULT_RESOURCE_QUOTA_SYNC_PERIOD
        now = self.env.now
        resync = self.quota_phase + math.floor((now - self.quota_phase) / period) * period
        return max(resync, self.quota_replenished_at)

    def charged_pods(self) -> int:
        """Pods the quota's ``status.used`` charges now (what admission checks): every pod
        not deleted, and a deleted one until the first recalculation after its
        ``deletionTimestamp + grace`` (:func:`capacity.k8s.quota.charged_in_status`).

        The API server sets ``deletionTimestamp`` to the request time plus the grace period
        (``BeforeDelete``), and ``QuotaV1Pod`` keeps charging until that plus the grace
        period again; a pod on a lost node that stays Terminating is only released at the
        next quota resync."""
        r = self.quota_recalculated_at()
        return sum(1 for p in self.pods if charged_in_status(p.pod, r))

    def _pods_to_delete(self, active: list[SimPod], diff: int) -> list[SimPod]:
        """``getPodsToDelete`` (controller_utils.go ranking, via k8s.replicaset): unassigned,
        pending, not ready, most co-located, ready for less time, newest first."""
        related = [q.pod for q in self.pods if not q.deleted]
        chosen = get_pods_to_delete([p.pod for p in active], related, diff, self.env.now)
        by_pod = {id(p.pod): p for p in active}
        return [by_pod[id(pod)] for pod in chosen]

    # --- run ------------------------------------------------------------------------------
    def initial_replicas(self) -> int:
        d = self.sc.workload.deployment.replicas
        s = self.hpa_spec
        if s is None:
            return d if d is not None else 1
        n = d if d is not None else (s.min_replicas or 1)
        return max(s.min_replicas or 1, min(s.max_replicas, n))
