"""ReplicaSet controller arithmetic: how many pods to create, in which batches, which to delete.

Mirrors ``kubernetes/kubernetes``:

* ``pkg/controller/replicaset/replica_set.go``: ``manageReplicas`` (:func:`manage_replicas`),
  ``slowStartBatch`` (:func:`slow_start_batch`), ``getPodsToDelete``
  (:func:`get_pods_to_delete`), ``getPodsRankedByRelatedPodsOnSameNode``;
* ``pkg/controller/controller_utils.go``: ``BurstReplicas``, ``SlowStartInitialBatchSize``,
  ``IsPodActive``/``FilterActivePods``, and the deletion order ``ActivePodsWithRanks.Less``
  (:func:`active_pods_with_ranks_less`) with the ``LogarithmicScaleDown`` comparison of
  times (default on since v1.22).

Restart counts and ``controller.kubernetes.io/pod-deletion-cost`` annotations are not
fields of :class:`capacity.k8s.types.Pod`; pass them as optional mappings keyed by pod
name (missing → 0, which is what upstream reads for a pod without container restarts or
without the annotation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key

from capacity.k8s.types import (
    CONDITION_TRUE,
    POD_PENDING,
    POD_READY,
    POD_RUNNING,
    POD_UNKNOWN,
    Pod,
    is_pod_active,
    is_pod_ready,
)

BURST_REPLICAS = 500
"""``BurstReplicas``: at most this many creations or deletions per ``manageReplicas``."""

SLOW_START_INITIAL_BATCH_SIZE = 1
"""``SlowStartInitialBatchSize``: the first creation batch has one pod."""

# podPhaseToOrdinal: phases not listed (Succeeded, Failed) read as 0 from the Go map.
_PHASE_ORDINAL = {POD_PENDING: 0, POD_UNKNOWN: 1, POD_RUNNING: 2}

__all__ = [
    "BURST_REPLICAS",
    "SLOW_START_INITIAL_BATCH_SIZE",
    "ManageReplicasResult",
    "active_pods_with_ranks_less",
    "filter_active_pods",
    "get_pods_ranked_by_related_pods_on_same_node",
    "get_pods_to_delete",
    "is_pod_active",
    "logarithmic_rank_diff",
    "manage_replicas",
    "slow_start_batch",
    "slow_start_batch_sizes",
    "sort_active_pods_with_ranks",
]


def filter_active_pods(pods: Iterable[Pod]) -> list[Pod]:
    """``FilterActivePods``: pods neither Succeeded, Failed nor being deleted."""
    return [p for p in pods if is_pod_active(p)]


def slow_start_batch_sizes(
    count: int, initial_batch_size: int = SLOW_START_INITIAL_BATCH_SIZE
) -> list[int]:
    """The batch sizes ``slowStartBatch`` uses for ``count`` calls if none fails:
    ``initial``, then doubling, the last one cut to what remains (10 → 1, 2, 4, 3)."""
    sizes: list[int] = []
    remaining = count
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        sizes.append(batch)
        remaining -= batch
        batch = min(2 * batch, remaining)
    return sizes


def slow_start_batch(
    count: int,
    initial_batch_size: int,
    fn: Callable[[], BaseException | None],
) -> tuple[int, BaseException | None]:
    """``slowStartBatch``: call ``fn`` ``count`` times in batches 1, 2, 4, …

    A whole batch is always attempted (upstream runs it concurrently); after a batch with
    any failure, the remaining batches are skipped. ``fn`` reports failure by returning or
    raising an ``Exception``. Returns ``(successes, first_error_or_None)``.
    """
    successes = 0
    for size in slow_start_batch_sizes(count, initial_batch_size):
        first_error: BaseException | None = None
        failures = 0
        for _ in range(size):
            try:
                err = fn()
            except Exception as e:  # a raised error is a failed call, as a returned one
                err = e
            if err is not None:
                failures += 1
                if first_error is None:
                    first_error = err
        successes += size - failures
        if first_error is not None:
            return successes, first_error
    return successes, None


def logarithmic_rank_diff(t1: float, t2: float, now: float) -> int:
    """``logarithmicRankDiff``: ``⌊log2 age1⌋ − ⌊log2 age2⌋`` with ages in **nanoseconds**
    (Go ``time.Duration``); a non-positive age ranks −1."""

    def rank(t: float) -> int:
        d_ns = round((now - t) * 1e9)
        return int(math.log2(d_ns)) if d_ns > 0 else -1

    return rank(t1) - rank(t2)


def _ready_time(pod: Pod) -> float | None:
    """``podReadyTime``: lastTransitionTime of the True Ready condition."""
    for c in pod.conditions:
        if c.type == POD_READY and c.status == CONDITION_TRUE:
            return c.last_transition_time
    return None


def _compare_times(
    t1: float, t2: float, uid1: str, uid2: str, now: float | None, logarithmic: bool
) -> bool:
    """Rules 6 and 8 of ``Less`` for two different times: is the first "less"?"""
    if not logarithmic or now is None:
        return t1 > t2  # afterOrZero: the more recent one first
    diff = logarithmic_rank_diff(t1, t2, now)
    if diff == 0:
        return uid1 < uid2
    return diff < 0


def active_pods_with_ranks_less(
    p1: Pod,
    rank1: int,
    p2: Pod,
    rank2: int,
    now: float | None,
    *,
    restart_counts: Mapping[str, int] | None = None,
    deletion_costs: Mapping[str, int] | None = None,
    logarithmic_scale_down: bool = True,
) -> bool:
    """``ActivePodsWithRanks.Less``: should ``p1`` be deleted before ``p2``?

    First rule that differs wins: 1. unassigned before assigned; 2. Pending < Unknown <
    Running; 3. not Ready before Ready; 4. lower ``pod-deletion-cost`` first; 5. higher
    rank (more co-located related pods on its node) first; 6. both Ready: Ready for a
    shorter time first; 7. more container restarts first; 8. created more recently first.
    With ``logarithmic_scale_down`` (the default) 6 and 8 compare ⌊log2 age in ns⌋ and
    break ties by UID; ``now=None`` compares plain times, as upstream with a zero ``Now``.

    Divergence: upstream treats an unset (zero) timestamp specially; our timestamps are
    always set (0.0 is a valid simulation time), so those branches do not exist here.
    """
    # 1. Unassigned < assigned
    n1, n2 = p1.node_name or "", p2.node_name or ""
    if n1 != n2 and (n1 == "" or n2 == ""):
        return n1 == ""
    # 2. Pending < Unknown < Running
    o1, o2 = _PHASE_ORDINAL.get(p1.phase, 0), _PHASE_ORDINAL.get(p2.phase, 0)
    if o1 != o2:
        return o1 < o2
    # 3. Not ready < ready
    r1, r2 = is_pod_ready(p1), is_pod_ready(p2)
    if r1 != r2:
        return not r1
    # 4. Lower pod-deletion-cost < higher
    if deletion_costs is not None:
        c1, c2 = deletion_costs.get(p1.name, 0), deletion_costs.get(p2.name, 0)
        if c1 != c2:
            return c1 < c2
    # 5. Doubled up < not doubled up
    if rank1 != rank2:
        return rank1 > rank2
    # 6. Ready for a shorter time < longer
    if r1 and r2:
        t1, t2 = _ready_time(p1), _ready_time(p2)
        if t1 is not None and t2 is not None and t1 != t2:
            return _compare_times(t1, t2, p1.uid, p2.uid, now, logarithmic_scale_down)
    # 7. More restarts < fewer
    if restart_counts is not None:
        k1, k2 = restart_counts.get(p1.name, 0), restart_counts.get(p2.name, 0)
        if k1 != k2:
            return k1 > k2
    # 8. Newer < older
    if p1.creation_timestamp != p2.creation_timestamp:
        return _compare_times(
            p1.creation_timestamp,
            p2.creation_timestamp,
            p1.uid,
            p2.uid,
            now,
            logarithmic_scale_down,
        )
    return False


def get_pods_ranked_by_related_pods_on_same_node(
    pods_to_rank: Sequence[Pod], related_pods: Iterable[Pod]
) -> list[int]:
    """``getPodsRankedByRelatedPodsOnSameNode``: for each pod, the number of *active*
    related pods on its node (unassigned pods share the node name "")."""
    on_node: dict[str, int] = {}
    for p in related_pods:
        if is_pod_active(p):
            key = p.node_name or ""
            on_node[key] = on_node.get(key, 0) + 1
    return [on_node.get(p.node_name or "", 0) for p in pods_to_rank]


def sort_active_pods_with_ranks(
    pods: Sequence[Pod],
    ranks: Sequence[int],
    now: float | None,
    *,
    restart_counts: Mapping[str, int] | None = None,
    deletion_costs: Mapping[str, int] | None = None,
    logarithmic_scale_down: bool = True,
) -> list[Pod]:
    """``sort.Sort(ActivePodsWithRanks{...})``: pods in deletion-preference order.

    Python's sort is stable where Go's is not, so pods equal under every rule keep their
    input order here (upstream leaves their order unspecified).
    """
    indexed = list(zip(pods, ranks, strict=True))

    def cmp(a: tuple[Pod, int], b: tuple[Pod, int]) -> int:
        kw = {
            "restart_counts": restart_counts,
            "deletion_costs": deletion_costs,
            "logarithmic_scale_down": logarithmic_scale_down,
        }
        if active_pods_with_ranks_less(a[0], a[1], b[0], b[1], now, **kw):  # type: ignore[arg-type]
            return -1
        if active_pods_with_ranks_less(b[0], b[1], a[0], a[1], now, **kw):  # type: ignore[arg-type]
            return 1
        return 0

    return [p for p, _ in sorted(indexed, key=cmp_to_key(cmp))]


def get_pods_to_delete(
    pods: Sequence[Pod],
    related_pods: Iterable[Pod],
    diff: int,
    now: float | None,
    *,
    restart_counts: Mapping[str, int] | None = None,
    deletion_costs: Mapping[str, int] | None = None,
    logarithmic_scale_down: bool = True,
) -> list[Pod]:
    """``getPodsToDelete``: the ``diff`` pods a ReplicaSet deletes when it has too many.

    ``pods`` are the RS's active pods; ``related_pods`` the active pods of every RS of the
    same Deployment (used to rank co-location; pass ``pods`` for a lone RS). When all pods
    go (``diff ≥ len(pods)``) no sorting happens, as upstream. ``now`` is the clock used
    for the logarithmic age comparison. Restart counts default to 0 for every pod.
    """
    if diff < len(pods):
        ranks = get_pods_ranked_by_related_pods_on_same_node(pods, related_pods)
        ordered = sort_active_pods_with_ranks(
            pods,
            ranks,
            now,
            restart_counts=restart_counts,
            deletion_costs=deletion_costs,
            logarithmic_scale_down=logarithmic_scale_down,
        )
    else:
        ordered = list(pods)
    return ordered[: max(diff, 0)]


@dataclass(slots=True)
class ManageReplicasResult:
    """What ``manageReplicas`` does in one sync: create ``to_create`` pods (in
    :func:`slow_start_batch` batches) or delete ``to_delete``; at most one is non-empty."""

    to_create: int = 0
    to_delete: list[Pod] = field(default_factory=list)


def manage_replicas(
    filtered_pods: Sequence[Pod],
    spec_replicas: int,
    now: float | None,
    related_pods: Iterable[Pod] | None = None,
    burst_replicas: int = BURST_REPLICAS,
    *,
    restart_counts: Mapping[str, int] | None = None,
    deletion_costs: Mapping[str, int] | None = None,
) -> ManageReplicasResult:
    """``manageReplicas``: diff = active pods − ``spec.replicas``, capped at
    ``burst_replicas`` either way; too few → create, too many → :func:`get_pods_to_delete`.

    ``filtered_pods`` are the RS's active pods (:func:`filter_active_pods`): terminating
    pods do not count, so a deleted pod is replaced at once. Expectations (the controller
    waiting to observe its own creates/deletes before the next sync) are the caller's job.
    """
    diff = len(filtered_pods) - spec_replicas
    if diff < 0:
        return ManageReplicasResult(to_create=min(-diff, burst_replicas))
    if diff > 0:
        diff = min(diff, burst_replicas)
        related = list(filtered_pods) if related_pods is None else related_pods
        return ManageReplicasResult(
            to_delete=get_pods_to_delete(
                filtered_pods,
                related,
                diff,
                now,
                restart_counts=restart_counts,
                deletion_costs=deletion_costs,
            )
        )
    return ManageReplicasResult()
