"""Deployment rolling-update arithmetic, as pure functions.

Mirrors ``kubernetes/kubernetes``:

* ``pkg/controller/deployment/util/deployment_util.go``: :func:`resolve_fenceposts`,
  :func:`max_unavailable`, :func:`min_available`, :func:`max_surge`,
  :func:`new_rs_new_replicas`, the ``get_*_replica_count_for_replica_sets`` sums,
  :func:`is_saturated`, :func:`deployment_complete`, :func:`deployment_progressing`,
  :func:`deployment_timed_out`;
* ``pkg/controller/deployment/rolling.go``: :func:`reconcile_new_replica_set`,
  :func:`reconcile_old_replica_sets`, :func:`cleanup_unhealthy_replicas`,
  :func:`scale_down_old_replica_sets_for_rolling_update`;
* ``pkg/controller/deployment/sync.go``: :func:`scale` (proportional scaling of the active
  ReplicaSets on a scaling event), :func:`is_scaling_event`, and
  ``deployment_util.go`` ``GetReplicaSetProportion`` / ``getReplicaSetFraction`` /
  ``FindActiveOrLatest`` (:func:`get_replica_set_proportion`,
  :func:`get_replica_set_fraction`, :func:`find_active_or_latest`);
* ``pkg/controller/controller_utils.go``: ``FilterActiveReplicaSets``,
  ``ReplicaSetsByCreationTimestamp``, ``ReplicaSetsBySizeNewer`` / ``ReplicaSetsBySizeOlder``.

The Deployment ``podReplacementPolicy`` (KEP-3973, feature gate
``DeploymentPodReplacementPolicy``, alpha from 1.36) is read from the KEP
(``keps/sig-apps/3973-consider-terminating-pods-deployment/README.md``, "Deployment Behavior
Changes"): with ``TerminationComplete`` the terminating pods of every ReplicaSet count
against ``replicas + maxSurge`` when the new ReplicaSet grows; ``TerminationStarted`` (and
no policy) is the classic behaviour where they do not.

Upstream scales a ReplicaSet through the API inside these functions; here the functions
return the new ``spec.replicas`` values and leave applying them to the caller (the
simulation's ``rollout`` process), so they can be called on snapshots. The
:class:`ReplicaSetState` objects passed in are never mutated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from capacity.k8s.intstr import IntOrString, get_scaled_value_from_int_or_percent

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"

TERMINATION_STARTED = "TerminationStarted"
TERMINATION_COMPLETE = "TerminationComplete"

# Defaults of apps/v1 (k8s.io/api apps/v1 types.go, SetDefaults_Deployment)
DEFAULT_MAX_SURGE: IntOrString = "25%"
DEFAULT_MAX_UNAVAILABLE: IntOrString = "25%"
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_REVISION_HISTORY_LIMIT = 10

MAX_INT32 = 2**31 - 1

# Progressing condition reasons (deployment_util.go)
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"


@dataclass(slots=True)
class DeploymentState:
    """The parts of an ``apps/v1 Deployment`` spec the rollout arithmetic reads.

    ``max_surge``/``max_unavailable`` are ``IntOrString`` (``None`` counts as 0, as
    ``ResolveFenceposts`` does); ``progress_deadline_seconds=None`` means no deadline.
    """

    replicas: int
    max_surge: IntOrString | None = DEFAULT_MAX_SURGE
    max_unavailable: IntOrString | None = DEFAULT_MAX_UNAVAILABLE
    strategy_type: str = ROLLING_UPDATE
    min_ready_seconds: float = 0.0
    progress_deadline_seconds: float | None = DEFAULT_PROGRESS_DEADLINE_SECONDS
    generation: int = 1
    status_replicas: int = 0  # status.replicas (getReplicaSetFraction's fallback)
    pod_replacement_policy: str | None = None  # None: the gate is off or the field unset


@dataclass(slots=True)
class ReplicaSetState:
    """An ``apps/v1 ReplicaSet``: ``spec.replicas`` and the status counts the rollout reads.

    ``desired_replicas_annotation`` is ``deployment.kubernetes.io/desired-replicas`` and
    ``max_replicas_annotation`` ``deployment.kubernetes.io/max-replicas`` (None when absent
    or unparsable): the Deployment's ``replicas`` and ``replicas + maxSurge`` when it last
    scaled this ReplicaSet (``SetReplicasAnnotations``).
    """

    name: str
    spec_replicas: int
    available_replicas: int = 0
    ready_replicas: int = 0
    replicas: int = 0  # status.replicas
    creation_timestamp: float = 0.0
    desired_replicas_annotation: int | None = None
    max_replicas_annotation: int | None = None  # deployment.kubernetes.io/max-replicas
    terminating_replicas: int = 0  # status.terminatingReplicas (pods being deleted)


@dataclass(slots=True)
class DeploymentStatus:
    """``apps/v1 DeploymentStatus`` counts (conditions are not modelled)."""

    replicas: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    observed_generation: int = 0


@dataclass(slots=True)
class ScaleResult:
    """Result of a reconcile step: RS name → new ``spec.replicas``, and pods removed.

    ``scaled`` is upstream's boolean return: whether any ReplicaSet changed size.
    """

    new_replicas: dict[str, int] = field(default_factory=dict)
    scaled_down: int = 0

    @property
    def scaled(self) -> bool:
        return bool(self.new_replicas)


# ------------------------------------------------------------------ deployment_util.go


def resolve_fenceposts(
    max_surge: IntOrString | None, max_unavailable: IntOrString | None, desired: int
) -> tuple[int, int]:
    """``ResolveFenceposts``: ``(surge, unavailable)`` for ``desired`` replicas.

    Surge percentages round **up**, unavailable ones **down**; ``None`` counts as 0. If
    both come out 0, unavailable becomes 1 so the rollout can progress. Raises
    ``IntOrStringError`` for malformed values (``"oops"``, ``"5"``).
    """
    surge = get_scaled_value_from_int_or_percent(
        0 if max_surge is None else max_surge, desired, True
    )
    unavailable = get_scaled_value_from_int_or_percent(
        0 if max_unavailable is None else max_unavailable, desired, False
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(deployment: DeploymentState) -> int:
    """``MaxUnavailable``: resolved maxUnavailable, capped at ``replicas``; 0 for
    ``Recreate`` or ``replicas == 0``."""
    if deployment.strategy_type != ROLLING_UPDATE or deployment.replicas == 0:
        return 0
    _, unavailable = resolve_fenceposts(
        deployment.max_surge, deployment.max_unavailable, deployment.replicas
    )
    return min(unavailable, deployment.replicas)


def min_available(deployment: DeploymentState) -> int:
    """``MinAvailable``: ``replicas − MaxUnavailable``; 0 for ``Recreate``."""
    if deployment.strategy_type != ROLLING_UPDATE:
        return 0
    return deployment.replicas - max_unavailable(deployment)


def max_surge(deployment: DeploymentState) -> int:
    """``MaxSurge``: resolved maxSurge; 0 for ``Recreate``."""
    if deployment.strategy_type != ROLLING_UPDATE:
        return 0
    surge, _ = resolve_fenceposts(
        deployment.max_surge, deployment.max_unavailable, deployment.replicas
    )
    return surge


def get_replica_count_for_replica_sets(rss: Iterable[ReplicaSetState | None]) -> int:
    """``GetReplicaCountForReplicaSets``: Σ ``spec.replicas``."""
    return sum(rs.spec_replicas for rs in rss if rs is not None)


def get_actual_replica_count_for_replica_sets(rss: Iterable[ReplicaSetState | None]) -> int:
    """``GetActualReplicaCountForReplicaSets``: Σ ``status.replicas``."""
    return sum(rs.replicas for rs in rss if rs is not None)


def get_ready_replica_count_for_replica_sets(rss: Iterable[ReplicaSetState | None]) -> int:
    """``GetReadyReplicaCountForReplicaSets``: Σ ``status.readyReplicas``."""
    return sum(rs.ready_replicas for rs in rss if rs is not None)


def get_available_replica_count_for_replica_sets(rss: Iterable[ReplicaSetState | None]) -> int:
    """``GetAvailableReplicaCountForReplicaSets``: Σ ``status.availableReplicas``."""
    return sum(rs.available_replicas for rs in rss if rs is not None)


def new_rs_new_replicas(
    deployment_replicas: int,
    max_surge_value: IntOrString | None,
    all_pods_count: int,
    new_rs_spec_replicas: int,
    strategy_type: str = ROLLING_UPDATE,
) -> int:
    """``NewRSNewReplicas``: the new ReplicaSet's target size this sync.

    RollingUpdate: grow by ``replicas + maxSurge − all_pods_count`` (maxSurge rounded up;
    ``all_pods_count`` = Σ ``spec.replicas`` of all ReplicaSets, so pods being deleted are
    not counted: the next surge pod is created as soon as an old ReplicaSet is scaled
    down), never past ``deployment_replicas``, and not at all once the surge limit is
    reached. Recreate: ``deployment_replicas``. Unlike upstream this takes ``None`` as 0
    instead of failing; API defaulting never leaves it unset. ``maxUnavailable`` plays no
    part here. (With ``podReplacementPolicy: TerminationComplete`` the caller adds the
    terminating pods to ``all_pods_count``: :func:`all_pods_count`.)
    """
    if strategy_type == ROLLING_UPDATE:
        surge = get_scaled_value_from_int_or_percent(
            0 if max_surge_value is None else max_surge_value, deployment_replicas, True
        )
        max_total = deployment_replicas + surge
        if all_pods_count >= max_total:
            return new_rs_spec_replicas
        scale_up = min(max_total - all_pods_count, deployment_replicas - new_rs_spec_replicas)
        return new_rs_spec_replicas + scale_up
    if strategy_type == RECREATE:
        return deployment_replicas
    raise ValueError(f"deployment type {strategy_type} isn't supported")


def is_saturated(deployment: DeploymentState, rs: ReplicaSetState | None) -> bool:
    """``IsSaturated``: the RS owns all desired replicas (spec, annotation) and all are
    available."""
    if rs is None or rs.desired_replicas_annotation is None:
        return False
    return (
        rs.spec_replicas == deployment.replicas
        and rs.desired_replicas_annotation == deployment.replicas
        and rs.available_replicas == deployment.replicas
    )


def deployment_complete(deployment: DeploymentState, new_status: DeploymentStatus) -> bool:
    """``DeploymentComplete``: every desired replica updated and available, no old pods,
    and the status observed the current generation."""
    return (
        new_status.updated_replicas == deployment.replicas
        and new_status.replicas == deployment.replicas
        and new_status.available_replicas == deployment.replicas
        and new_status.observed_generation >= deployment.generation
    )


def deployment_progressing(old_status: DeploymentStatus, new_status: DeploymentStatus) -> bool:
    """``DeploymentProgressing``: more updated, ready or available pods, or fewer old ones."""
    old_old = old_status.replicas - old_status.updated_replicas
    new_old = new_status.replicas - new_status.updated_replicas
    return (
        new_status.updated_replicas > old_status.updated_replicas
        or new_old < old_old
        or new_status.ready_replicas > old_status.ready_replicas
        or new_status.available_replicas > old_status.available_replicas
    )


def deployment_timed_out(
    deployment: DeploymentState,
    progressing_reason: str | None,
    progressing_last_update_time: float | None,
    now: float,
) -> bool:
    """``DeploymentTimedOut``, reading the ``Progressing`` condition from its parts.

    ``progressing_reason``/``..._last_update_time`` are that condition's ``reason`` and
    ``lastUpdateTime`` (None when the condition is absent). No deadline (None or
    ``2**31 − 1``) → False; reason
    ``NewReplicaSetAvailable`` → False; ``ProgressDeadlineExceeded`` → True; otherwise
    timed out when ``lastUpdateTime + progressDeadlineSeconds < now``.
    """
    # HasProgressDeadline: unset or math.MaxInt32 means "no deadline".
    if deployment.progress_deadline_seconds in (None, MAX_INT32):
        return False
    if progressing_reason is None or progressing_last_update_time is None:
        return False
    if progressing_reason == NEW_RS_AVAILABLE_REASON:
        return False
    if progressing_reason == TIMED_OUT_REASON:
        return True
    return progressing_last_update_time + deployment.progress_deadline_seconds < now


# ------------------------------------------------------------------- controller_utils.go


def filter_active_replica_sets(
    rss: Iterable[ReplicaSetState | None],
) -> list[ReplicaSetState]:
    """``FilterActiveReplicaSets``: those with ``spec.replicas > 0``."""
    return [rs for rs in rss if rs is not None and rs.spec_replicas > 0]


def sort_replica_sets_by_creation_timestamp(
    rss: Iterable[ReplicaSetState],
) -> list[ReplicaSetState]:
    """``ReplicaSetsByCreationTimestamp``: oldest first, name as tie-breaker."""
    return sorted(rss, key=lambda rs: (rs.creation_timestamp, rs.name))


# ----------------------------------------------------------------------------- rolling.go


def all_pods_count(deployment: DeploymentState, all_rss: Sequence[ReplicaSetState]) -> int:
    """The pod count the surge limit applies to: Σ ``spec.replicas``, plus the terminating
    pods of every ReplicaSet under ``podReplacementPolicy: TerminationComplete`` (KEP-3973)."""
    n = get_replica_count_for_replica_sets(all_rss)
    if deployment.pod_replacement_policy == TERMINATION_COMPLETE:
        n += sum(rs.terminating_replicas for rs in all_rss)
    return n


def reconcile_new_replica_set(
    deployment: DeploymentState,
    all_rss: Sequence[ReplicaSetState],
    new_rs: ReplicaSetState,
) -> int | None:
    """``reconcileNewReplicaSet``: the new RS's new ``spec.replicas``, or None to leave it.

    Larger than the Deployment → scale down to ``replicas``; otherwise grow as
    :func:`new_rs_new_replicas` allows. ``all_rss`` includes ``new_rs``.
    """
    if new_rs.spec_replicas == deployment.replicas:
        return None
    if new_rs.spec_replicas > deployment.replicas:
        return deployment.replicas
    target = new_rs_new_replicas(
        deployment.replicas,
        deployment.max_surge,
        all_pods_count(deployment, all_rss),
        new_rs.spec_replicas,
        deployment.strategy_type,
    )
    return None if target == new_rs.spec_replicas else target


class CleanupError(ValueError):
    """:func:`cleanup_unhealthy_replicas` met an RS with more available pods than spec.

    ``partial``/``scaled_down`` are the RSs and count already shrunk before the error.
    """

    def __init__(self, message: str, partial: list[ReplicaSetState], scaled_down: int):
        super().__init__(message)
        self.partial = partial
        self.scaled_down = scaled_down


def cleanup_unhealthy_replicas(
    old_rss: Sequence[ReplicaSetState], max_cleanup_count: int
) -> tuple[list[ReplicaSetState], int]:
    """``cleanupUnhealthyReplicas``: shrink old RSs by their unavailable pods, oldest RS
    first, at most ``max_cleanup_count`` in total.

    Returns the old RSs (sorted oldest first, as copies with the new ``spec_replicas``)
    and the number removed. The RS controller then deletes not-ready pods first
    (see ``capacity.k8s.replicaset.get_pods_to_delete``), so availability does not drop.
    """
    result = [replace(rs) for rs in sort_replica_sets_by_creation_timestamp(old_rss)]
    total = 0
    for rs in result:
        if total >= max_cleanup_count:
            break
        if rs.spec_replicas == 0 or rs.spec_replicas == rs.available_replicas:
            continue
        count = min(max_cleanup_count - total, rs.spec_replicas - rs.available_replicas)
        # A negative count (status still shows more available pods than spec, right after
        # a scale-down) would grow the RS; upstream stops with an error here, after the
        # RSs already shrunk in this loop were written.
        if count < 0:
            raise CleanupError(
                f"when cleaning up unhealthy replicas, got invalid request to scale down "
                f"{rs.name} {rs.spec_replicas} -> {rs.spec_replicas - count}",
                result,
                total,
            )
        rs.spec_replicas -= count
        total += count
    return result, total


def scale_down_old_replica_sets_for_rolling_update(
    deployment: DeploymentState,
    all_rss: Sequence[ReplicaSetState],
    old_rss: Sequence[ReplicaSetState],
) -> tuple[list[ReplicaSetState], int]:
    """``scaleDownOldReplicaSetsForRollingUpdate``: remove available old pods while the
    Deployment stays at or above ``replicas − maxUnavailable`` available pods.

    Budget = Σ available over ``all_rss`` − minAvailable (nothing when ≤ 0), taken from the
    oldest RS first. Returns the old RSs (sorted, copies) and the number removed.
    """
    min_avail = deployment.replicas - max_unavailable(deployment)
    available = get_available_replica_count_for_replica_sets(all_rss)
    result = [replace(rs) for rs in sort_replica_sets_by_creation_timestamp(old_rss)]
    if available <= min_avail:
        return result, 0
    budget = available - min_avail
    total = 0
    for rs in result:
        if total >= budget:
            break
        if rs.spec_replicas == 0:
            continue
        count = min(rs.spec_replicas, budget - total)
        rs.spec_replicas -= count
        total += count
    return result, total


def max_scaled_down(
    deployment: DeploymentState,
    all_rss: Sequence[ReplicaSetState],
    new_rs: ReplicaSetState,
) -> int:
    """``reconcileOldReplicaSets``' bound: ``allPods − minAvailable − newRS unavailable``.

    ``newRS unavailable`` = ``new_rs.spec_replicas − new_rs.available_replicas``, so pods
    of the new RS that are not up yet block removing old ones. May be ≤ 0 (nothing to do).
    """
    all_pods = get_replica_count_for_replica_sets(all_rss)
    min_avail = deployment.replicas - max_unavailable(deployment)
    new_unavailable = new_rs.spec_replicas - new_rs.available_replicas
    return all_pods - min_avail - new_unavailable


def reconcile_old_replica_sets(
    deployment: DeploymentState,
    all_rss: Sequence[ReplicaSetState],
    old_rss: Sequence[ReplicaSetState],
    new_rs: ReplicaSetState,
) -> ScaleResult:
    """``reconcileOldReplicaSets``: how far to shrink the old ReplicaSets this sync.

    ``old_rss`` are the *active* old RSs (:func:`filter_active_replica_sets`), ``all_rss``
    all RSs including ``new_rs``. Steps: nothing if the old RSs are empty or
    :func:`max_scaled_down` ≤ 0; else :func:`cleanup_unhealthy_replicas` up to that bound,
    then :func:`scale_down_old_replica_sets_for_rolling_update` over
    ``old_rss + [new_rs]``. Returns the changed RSs' new sizes and the total removed.
    (``ScaleResult.scaled`` can differ from upstream's boolean only after a
    :class:`CleanupError`, where upstream reports "not scaled" despite partial writes.)
    """
    if get_replica_count_for_replica_sets(old_rss) == 0:
        return ScaleResult()
    bound = max_scaled_down(deployment, all_rss, new_rs)
    if bound <= 0:
        return ScaleResult()
    before = {rs.name: rs.spec_replicas for rs in old_rss}
    try:
        cleaned, cleanup_count = cleanup_unhealthy_replicas(old_rss, bound)
    except CleanupError as e:
        # Upstream returns "not scaled" without scaling down further, but the RSs shrunk
        # before the error were written to the API, so report them.
        changed = {
            rs.name: rs.spec_replicas for rs in e.partial if rs.spec_replicas != before[rs.name]
        }
        return ScaleResult(changed, e.scaled_down)
    scaled, scaled_count = scale_down_old_replica_sets_for_rolling_update(
        deployment, [*cleaned, new_rs], cleaned
    )
    changed = {rs.name: rs.spec_replicas for rs in scaled if rs.spec_replicas != before[rs.name]}
    return ScaleResult(changed, cleanup_count + scaled_count)


def old_replica_sets_scale_down(
    deployment: DeploymentState,
    all_rss: Sequence[ReplicaSetState],
    old_rss: Sequence[ReplicaSetState],
    new_rs: ReplicaSetState,
) -> int:
    """How many old pods :func:`reconcile_old_replica_sets` removes now (its total)."""
    return reconcile_old_replica_sets(deployment, all_rss, old_rss, new_rs).scaled_down


# ------------------------------------------------------------------ sync.go: scaling events


def round_to_int32(x: float) -> int:
    """``integer.RoundToInt32``: round half away from zero."""
    return int(x - 0.5) if x < 0 else int(x + 0.5)


def replica_sets_by_size_newer(rss: Iterable[ReplicaSetState]) -> list[ReplicaSetState]:
    """``ReplicaSetsBySizeNewer``: larger ``spec.replicas`` first; ties newest first."""
    return sorted(rss, key=lambda rs: (-rs.spec_replicas, -rs.creation_timestamp, rs.name))


def replica_sets_by_size_older(rss: Iterable[ReplicaSetState]) -> list[ReplicaSetState]:
    """``ReplicaSetsBySizeOlder``: larger ``spec.replicas`` first; ties oldest first."""
    return sorted(rss, key=lambda rs: (-rs.spec_replicas, rs.creation_timestamp, rs.name))


def find_active_or_latest(
    new_rs: ReplicaSetState | None, old_rss: Sequence[ReplicaSetState]
) -> ReplicaSetState | None:
    """``FindActiveOrLatest``: the only active ReplicaSet; with none active the new one (or
    the newest old one); None when several are active."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=lambda rs: (rs.creation_timestamp, rs.name), reverse=True)
    active = filter_active_replica_sets([*newest_first, new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    if len(active) == 1:
        return active[0]
    return None


def is_scaling_event(deployment: DeploymentState, rss: Iterable[ReplicaSetState | None]) -> bool:
    """``isScalingEvent``: an active ReplicaSet's desired-replicas annotation differs from
    the Deployment's ``replicas`` (the HPA or a user changed it since the last scale)."""
    for rs in filter_active_replica_sets(rss):
        if rs.desired_replicas_annotation is not None \
                and rs.desired_replicas_annotation != deployment.replicas:
            return True
    return False


def get_replica_set_fraction(rs: ReplicaSetState, deployment: DeploymentState) -> int:
    """``getReplicaSetFraction``: how many replicas ``rs`` gains (or loses) when the
    Deployment's ``replicas + maxSurge`` changes from the ``max-replicas`` annotation
    (fallback ``status.replicas``) to now: ``round(spec × new / old) − spec``; scaling to
    zero removes the whole ReplicaSet."""
    if deployment.replicas == 0:
        return -rs.spec_replicas
    deployment_replicas = deployment.replicas + max_surge(deployment)
    annotated = rs.max_replicas_annotation
    if annotated is None:
        annotated = deployment.status_replicas
    if annotated == 0:
        return 0  # upstream divides by zero here; it never scales a ReplicaSet from zero
    return round_to_int32(rs.spec_replicas * deployment_replicas / annotated) - rs.spec_replicas


def get_replica_set_proportion(
    rs: ReplicaSetState | None, deployment: DeploymentState, to_add: int, added: int
) -> int:
    """``GetReplicaSetProportion``: ``rs``'s share of ``to_add``, capped by what is left
    (``to_add − added``) in the direction of the change."""
    if rs is None or rs.spec_replicas == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = get_replica_set_fraction(rs, deployment)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def scale(
    deployment: DeploymentState,
    new_rs: ReplicaSetState | None,
    old_rss: Sequence[ReplicaSetState],
) -> dict[str, int]:
    """``sync.go`` ``scale``: the ReplicaSets a scaling event writes, name → ``spec.replicas``.

    One active ReplicaSet (or none: the newest) takes the whole ``replicas``; a saturated
    new ReplicaSet sends the old ones to zero; otherwise (RollingUpdate) the difference
    between ``replicas + maxSurge`` and Σ ``spec.replicas`` is split in proportion to each
    active ReplicaSet's size (:func:`get_replica_set_proportion`, larger first, newer first
    on a tie when growing, older first when shrinking), the rounding leftover going to the
    first. Every active ReplicaSet is written (its annotations are refreshed even when its
    size does not change). Under ``podReplacementPolicy: TerminationComplete`` a growth is
    cut by the terminating pods (KEP-3973; the partial-scale annotation of the KEP is not
    modelled). Recreate writes nothing here beyond the single-ReplicaSet case.
    """
    only = find_active_or_latest(new_rs, old_rss)
    if only is not None:
        if only.spec_replicas == deployment.replicas:
            return {}
        return {only.name: deployment.replicas}
    if is_saturated(deployment, new_rs):
        return {rs.name: 0 for rs in filter_active_replica_sets(old_rss)}
    if deployment.strategy_type != ROLLING_UPDATE:
        return {}
    active = filter_active_replica_sets([*old_rss, new_rs])
    allowed_size = deployment.replicas + max_surge(deployment) if deployment.replicas > 0 else 0
    to_add = allowed_size - get_replica_count_for_replica_sets(active)
    if to_add > 0 and deployment.pod_replacement_policy == TERMINATION_COMPLETE:
        to_add = max(to_add - sum(rs.terminating_replicas for rs in active), 0)
    if to_add > 0:
        active = replica_sets_by_size_newer(active)
    elif to_add < 0:
        active = replica_sets_by_size_older(active)
    sizes: dict[str, int] = {}
    added = 0
    for rs in active:
        if to_add != 0:
            proportion = get_replica_set_proportion(rs, deployment, to_add, added)
            sizes[rs.name] = rs.spec_replicas + proportion
            added += proportion
        else:
            sizes[rs.name] = rs.spec_replicas
    if active and to_add != 0:
        first = active[0].name
        sizes[first] = max(sizes[first] + to_add - added, 0)
    return sizes
