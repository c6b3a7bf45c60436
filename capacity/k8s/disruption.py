"""PodDisruptionBudget status, the eviction subresource and ``kubectl drain``, as pure functions.

Three upstream pieces, one module, because they only make sense together:

* the disruption controller (``kubernetes/kubernetes``
  ``pkg/controller/disruption/disruption.go``) computes ``PodDisruptionBudget.status``:
  :func:`get_expected_pod_count`, :func:`count_healthy_pods`,
  :func:`build_disrupted_pod_map`, :func:`update_pdb_status`, :func:`fail_safe`, and the
  whole sync as :func:`compute_pdb_status` / :func:`sync_pdb`;
* the API server's eviction handler (``pkg/registry/core/pod/storage/eviction.go``)
  decides one eviction and decrements the budget: :func:`can_ignore_pdb`,
  :func:`check_and_decrement`, :func:`evict_pod`;
* ``kubectl drain`` (``staging/src/k8s.io/kubectl/pkg/drain/drain.go``, ``filters.go``,
  ``cordon.go``; flag defaults in ``staging/src/k8s.io/kubectl/pkg/cmd/drain/drain.go``):
  the ``DRAIN_*`` constants, :func:`get_pods_for_deletion` and :func:`next_drain_step`.

Times are float seconds on the simulation clock. Pods are :class:`capacity.k8s.types.Pod`.
Nothing here does I/O; functions that "write" an API object mutate the dataclass passed in,
as the controller's ``UpdateStatus`` call would, and say so.

Drain, step by step, as the simulation should follow it (``kubectl drain NODE``):

1. cordon: set the node unschedulable (``cordon.go`` ``CordonHelper.UpdateIfRequired``);
2. list the node's pods and filter them (:func:`get_pods_for_deletion`); if any pod is an
   error (DaemonSet pod without ``--ignore-daemonsets``, unmanaged pod without ``--force``,
   emptyDir pod without ``--delete-emptydir-data``) the drain stops before evicting anything;
3. for every remaining pod *in parallel*: POST an eviction (:func:`evict_pod`); on 429
   sleep :data:`DRAIN_EVICTION_RETRY_SECONDS` and retry, forever unless the global
   ``--timeout`` expires; on 404 the pod is gone; any other error fails that pod;
4. after a successful eviction poll the pod every :data:`DRAIN_POLL_DELETION_SECONDS`
   until it no longer exists (or has a new UID);
5. the drain succeeds when every pod is gone; it fails if any pod failed or the timeout hit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from capacity.k8s.intstr import IntOrString, get_scaled_value_from_int_or_percent
from capacity.k8s.types import (
    POD_FAILED,
    POD_PENDING,
    POD_SUCCEEDED,
    Pod,
    is_pod_ready,
)

# --- disruption controller constants (pkg/controller/disruption/disruption.go) ---

DELETION_TIMEOUT_SECONDS = 120.0
"""``DeletionTimeout`` (2 min): how long a pod recorded in ``status.disruptedPods`` is
assumed to be on its way out before the controller gives up on it."""

# --- eviction subresource constants (pkg/registry/core/pod/storage/eviction.go) ---

MAX_DISRUPTED_POD_SIZE = 2000
"""``MaxDisruptedPodSize``: above this many unconfirmed evictions the API refuses (403)."""

UNHEALTHY_POD_EVICTION_IF_HEALTHY_BUDGET = "IfHealthyBudget"
UNHEALTHY_POD_EVICTION_ALWAYS_ALLOW = "AlwaysAllow"

# DisruptionAllowed condition reasons (k8s.io/api policy/v1 types.go)
REASON_SUFFICIENT_PODS = "SufficientPods"
REASON_INSUFFICIENT_PODS = "InsufficientPods"
REASON_SYNC_FAILED = "SyncFailed"

# HTTP status codes the eviction subresource answers with
EVICTION_CREATED = 201
EVICTION_FORBIDDEN = 403
EVICTION_TOO_MANY_REQUESTS = 429
EVICTION_INTERNAL_ERROR = 500

MESSAGE_VIOLATES_BUDGET = "Cannot evict pod as it would violate the pod's disruption budget."
MESSAGE_MULTIPLE_PDBS = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
    "not support."
)

# --- kubectl drain (staging/src/k8s.io/kubectl/pkg/drain, pkg/cmd/drain) ---

DRAIN_EVICTION_RETRY_SECONDS = 5.0
"""Sleep after a 429 before retrying the eviction (``evictPods``; hard-coded ``5 *
time.Second`` in the library; newer kubectl passes ``EvictErrorRetryDelay``, 5 s)."""

DRAIN_POLL_DELETION_SECONDS = 1.0
"""Interval of ``waitForDelete`` polling after a successful eviction."""

DRAIN_DEFAULT_TIMEOUT_SECONDS = 0.0
"""``--timeout`` default: 0, which ``evictPods`` turns into "infinite"."""

DRAIN_DEFAULT_GRACE_PERIOD_SECONDS = -1
"""``--grace-period`` default: negative, i.e. each pod's own terminationGracePeriodSeconds."""

DRAIN_DEFAULT_SKIP_WAIT_FOR_DELETE_TIMEOUT_SECONDS = 0
"""``--skip-wait-for-delete-timeout`` default: 0, never skip waiting."""


# --------------------------------------------------------------------------- objects


@dataclass(slots=True)
class LabelSelectorRequirement:
    """``metav1.LabelSelectorRequirement``: ``In``, ``NotIn``, ``Exists``, ``DoesNotExist``."""

    key: str
    operator: str
    values: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LabelSelector:
    """``metav1.LabelSelector``. An empty selector matches every pod."""

    match_labels: dict[str, str] = field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = field(default_factory=list)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``LabelSelectorAsSelector(...).Matches(labels)``."""
        for k, v in self.match_labels.items():
            if labels.get(k) != v:
                return False
        for r in self.match_expressions:
            present = r.key in labels
            if r.operator == "In":
                if not present or labels[r.key] not in r.values:
                    return False
            elif r.operator == "NotIn":
                if present and labels[r.key] in r.values:
                    return False
            elif r.operator == "Exists":
                if not present:
                    return False
            elif r.operator == "DoesNotExist":
                if present:
                    return False
            else:
                raise ValueError(f"invalid label selector operator {r.operator!r}")
        return True


@dataclass(slots=True)
class PodDisruptionBudgetSpec:
    """``policy/v1 PodDisruptionBudgetSpec``. ``selector=None`` matches nothing."""

    min_available: IntOrString | None = None
    max_unavailable: IntOrString | None = None
    selector: LabelSelector | None = None
    unhealthy_pod_eviction_policy: str | None = None  # None behaves as IfHealthyBudget


@dataclass(slots=True)
class PodDisruptionBudgetStatus:
    """``policy/v1 PodDisruptionBudgetStatus``.

    ``disrupted_pods`` maps pod name → time (s) the eviction API approved its eviction.
    ``disruption_allowed_reason`` is the reason of the ``DisruptionAllowed`` condition
    (``SufficientPods``, ``InsufficientPods`` or ``SyncFailed``; "" before the first sync).
    """

    current_healthy: int = 0
    desired_healthy: int = 0
    expected_pods: int = 0
    disruptions_allowed: int = 0
    disrupted_pods: dict[str, float] = field(default_factory=dict)
    observed_generation: int = 0
    disruption_allowed_reason: str = ""


@dataclass(slots=True, eq=False)
class PodDisruptionBudget:
    """``policy/v1 PodDisruptionBudget``: name, namespace, generation, spec and status."""

    name: str
    spec: PodDisruptionBudgetSpec = field(default_factory=PodDisruptionBudgetSpec)
    status: PodDisruptionBudgetStatus = field(default_factory=PodDisruptionBudgetStatus)
    namespace: str = "default"
    generation: int = 0


@dataclass(slots=True, frozen=True)
class ControllerAndScale:
    """``controllerAndScale``: the top controller of a pod (its UID) and its ``spec.replicas``.

    For a Deployment's pod this is the Deployment, not its ReplicaSet, so two ReplicaSets of
    one Deployment during a rollout count the Deployment's replicas once.
    """

    uid: str
    scale: int


class NoControllerError(ValueError):
    """``getExpectedScale``: a managed pod whose controller cannot be found."""


# ------------------------------------------------------------- disruption controller


def pdb_matches_pod(pdb: PodDisruptionBudget, pod: Pod) -> bool:
    """Whether the PDB selects the pod (same namespace, selector matches its labels)."""
    if pdb.namespace != pod.namespace or pdb.spec.selector is None:
        return False
    return pdb.spec.selector.matches(pod.labels)


def get_pods_for_pdb(pdb: PodDisruptionBudget, pods: Iterable[Pod]) -> list[Pod]:
    """``getPodsForPdb``: the pods the PDB selects, in any phase (the lister's view)."""
    return [p for p in pods if pdb_matches_pod(pdb, p)]


def _resolve_controller(
    pod: Pod, controller_scale: Mapping[str, ControllerAndScale | int]
) -> ControllerAndScale:
    assert pod.owner is not None
    found = controller_scale.get(pod.owner)
    if found is None:
        raise NoControllerError(f"found no controllers for pod {pod.name!r}")
    if isinstance(found, ControllerAndScale):
        return found
    # A bare int means the owner itself is the top controller (a ReplicaSet without a
    # Deployment, a StatefulSet, ...).
    return ControllerAndScale(uid=pod.owner, scale=int(found))


def get_expected_scale(
    pods: Sequence[Pod], controller_scale: Mapping[str, ControllerAndScale | int]
) -> tuple[int, list[str]]:
    """``getExpectedScale``: Σ ``spec.replicas`` over the distinct controllers of ``pods``.

    ``controller_scale`` maps ``Pod.owner`` → its top controller: a
    :class:`ControllerAndScale`, or a bare int when the owner is the controller. Pods
    without an owner are returned as unmanaged (upstream emits an ``UnmanagedPods`` event
    and carries on). Raises :class:`NoControllerError` for an owner missing from the map.
    """
    scales: dict[str, int] = {}
    unmanaged: list[str] = []
    for pod in pods:
        if pod.owner is None:
            unmanaged.append(pod.name)
            continue
        c = _resolve_controller(pod, controller_scale)
        scales.setdefault(c.uid, c.scale)
    return sum(scales.values()), unmanaged


def get_expected_pod_count(
    pdb_spec: PodDisruptionBudgetSpec,
    pods: Sequence[Pod],
    controller_scale: Mapping[str, ControllerAndScale | int],
) -> tuple[int, int, list[str]]:
    """``getExpectedPodCount``: ``(expected_count, desired_healthy, unmanaged_pod_names)``.

    * ``maxUnavailable`` (int or %): expected = controller scale; desired =
      max(0, expected − maxUnavailable), the percentage rounded **up**;
    * ``minAvailable`` int: desired = the int; expected = ``len(pods)`` (every matched pod,
      whatever its phase);
    * ``minAvailable`` %: expected = controller scale; desired = ceil(pct × expected).

    Raises :class:`NoControllerError` or ``IntOrStringError`` (the controller's sync then
    fails and :func:`fail_safe` zeroes the budget).
    """
    expected, desired = 0, 0
    unmanaged: list[str] = []
    if pdb_spec.max_unavailable is not None:
        expected, unmanaged = get_expected_scale(pods, controller_scale)
        max_unavailable = get_scaled_value_from_int_or_percent(
            pdb_spec.max_unavailable, expected, True
        )
        desired = max(0, expected - max_unavailable)
    elif pdb_spec.min_available is not None:
        if isinstance(pdb_spec.min_available, int) and not isinstance(pdb_spec.min_available, bool):
            desired = pdb_spec.min_available
            expected = len(pods)
        else:
            expected, unmanaged = get_expected_scale(pods, controller_scale)
            desired = get_scaled_value_from_int_or_percent(pdb_spec.min_available, expected, True)
    return expected, desired, unmanaged


def count_healthy_pods(pods: Iterable[Pod], disrupted_pods: Mapping[str, float], now: float) -> int:
    """``countHealthyPods``: Ready pods that are neither terminating nor recently evicted.

    A pod in ``disrupted_pods`` whose eviction is younger than
    :data:`DELETION_TIMEOUT_SECONDS` is not counted (strictly younger: at exactly 120 s it
    counts again, as ``disruptionTime+timeout After now`` is false).
    """
    healthy = 0
    for pod in pods:
        if pod.deletion_timestamp is not None:
            continue
        t = disrupted_pods.get(pod.name)
        if t is not None and t + DELETION_TIMEOUT_SECONDS > now:
            continue
        if is_pod_ready(pod):
            healthy += 1
    return healthy


def build_disrupted_pod_map(
    pods: Iterable[Pod], disrupted_pods: Mapping[str, float] | None, now: float
) -> tuple[dict[str, float], float | None]:
    """``buildDisruptedPodMap``: prune ``status.disruptedPods``; also the next recheck time.

    Keeps an entry only for a matched, not-yet-terminating pod whose eviction is at most
    :data:`DELETION_TIMEOUT_SECONDS` old (entries past the timeout are dropped: upstream
    records a ``NotDeleted`` warning event). The recheck time (absolute seconds, or None)
    is the earliest ``eviction time + timeout`` among the kept entries, when the controller
    re-syncs the PDB.
    """
    result: dict[str, float] = {}
    recheck: float | None = None
    if not disrupted_pods:
        return result, recheck
    for pod in pods:
        if pod.deletion_timestamp is not None:
            continue
        t = disrupted_pods.get(pod.name)
        if t is None:
            continue
        expected_deletion = t + DELETION_TIMEOUT_SECONDS
        if expected_deletion < now:
            continue
        if recheck is None or expected_deletion < recheck:
            recheck = expected_deletion
        result[pod.name] = t
    return result, recheck


def disruptions_allowed_for(current_healthy: int, desired_healthy: int, expected_count: int) -> int:
    """The ``updatePdbStatus`` rule: ``current − desired``, forced to 0 when ≤ 0 or when
    ``expected_count ≤ 0`` (a PDB matching no pods must stay safe until its first sync)."""
    allowed = current_healthy - desired_healthy
    if expected_count <= 0 or allowed <= 0:
        return 0
    return allowed


def update_disruption_allowed_condition(status: PodDisruptionBudgetStatus) -> None:
    """``pdbhelper.UpdateDisruptionAllowedCondition`` (component-helpers): set the reason."""
    status.disruption_allowed_reason = (
        REASON_SUFFICIENT_PODS if status.disruptions_allowed > 0 else REASON_INSUFFICIENT_PODS
    )


def update_pdb_status(
    pdb: PodDisruptionBudget,
    current_healthy: int,
    desired_healthy: int,
    expected_count: int,
    disrupted_pods: Mapping[str, float],
) -> PodDisruptionBudgetStatus:
    """``updatePdbStatus``: write a fresh status into ``pdb.status`` and return it."""
    status = PodDisruptionBudgetStatus(
        current_healthy=current_healthy,
        desired_healthy=desired_healthy,
        expected_pods=expected_count,
        disruptions_allowed=disruptions_allowed_for(
            current_healthy, desired_healthy, expected_count
        ),
        disrupted_pods=dict(disrupted_pods),
        observed_generation=pdb.generation,
    )
    update_disruption_allowed_condition(status)
    pdb.status = status
    return status


def fail_safe(pdb: PodDisruptionBudget) -> PodDisruptionBudgetStatus:
    """``failSafe``: after a failed sync only ``disruptionsAllowed`` is zeroed, with the
    ``DisruptionAllowed=False/SyncFailed`` condition; the other fields keep their values."""
    pdb.status.disruptions_allowed = 0
    pdb.status.disruption_allowed_reason = REASON_SYNC_FAILED
    return pdb.status


def _try_sync(
    pdb: PodDisruptionBudget,
    pods: Sequence[Pod],
    controller_scale: Mapping[str, ControllerAndScale | int],
    now: float,
) -> tuple[PodDisruptionBudgetStatus, float | None]:
    expected, desired, _unmanaged = get_expected_pod_count(pdb.spec, pods, controller_scale)
    disrupted, recheck = build_disrupted_pod_map(pods, pdb.status.disrupted_pods, now)
    current = count_healthy_pods(pods, disrupted, now)
    status = PodDisruptionBudgetStatus(
        current_healthy=current,
        desired_healthy=desired,
        expected_pods=expected,
        disruptions_allowed=disruptions_allowed_for(current, desired, expected),
        disrupted_pods=disrupted,
        observed_generation=pdb.generation,
    )
    update_disruption_allowed_condition(status)
    return status, recheck


def compute_pdb_status(
    pdb: PodDisruptionBudget,
    pods: Sequence[Pod],
    controller_scale: Mapping[str, ControllerAndScale | int],
    now: float,
) -> PodDisruptionBudgetStatus:
    """The status one disruption-controller sync (``trySync``) would write; no mutation.

    ``pods`` are the pods the PDB selects (see :func:`get_pods_for_pdb`). Raises like
    :func:`get_expected_pod_count`; :func:`sync_pdb` turns that into :func:`fail_safe`.
    """
    return _try_sync(pdb, pods, controller_scale, now)[0]


def sync_pdb(
    pdb: PodDisruptionBudget,
    pods: Sequence[Pod],
    controller_scale: Mapping[str, ControllerAndScale | int],
    now: float,
) -> float | None:
    """``sync``/``trySync``: recompute and write ``pdb.status``; return the recheck time.

    On a sync error (unknown controller, bad percentage) the status goes through
    :func:`fail_safe` and None is returned. The recheck time (absolute seconds) is when a
    recorded eviction times out, so the caller should sync again then.
    """
    try:
        status, recheck = _try_sync(pdb, pods, controller_scale, now)
    except ValueError:
        fail_safe(pdb)
        return None
    pdb.status = status
    return recheck


# --------------------------------------------------------------- eviction subresource


@dataclass(slots=True)
class EvictionResult:
    """Outcome of ``POST pods/NAME/eviction``.

    ``allowed`` means the API server goes on to delete the pod (the caller sets
    ``deletion_timestamp`` and runs the grace period; this module does not touch the pod).
    ``code`` is the HTTP status: 201 (accepted), 429, 403 or 500. ``message`` is the
    status message, ``cause`` the ``DisruptionBudget`` cause text when there is one.
    ``decremented_pdb`` is the PDB whose ``disruptionsAllowed`` was decremented, if any.
    """

    allowed: bool
    code: int
    message: str = ""
    cause: str = ""
    decremented_pdb: PodDisruptionBudget | None = None


def can_ignore_pdb(pod: Pod) -> bool:
    """``canIgnorePDB``: Succeeded, Failed, **Pending** or terminating pods are deleted
    without looking at any PDB."""
    return (
        pod.phase in (POD_SUCCEEDED, POD_FAILED, POD_PENDING) or pod.deletion_timestamp is not None
    )


def get_pod_disruption_budgets(
    pod: Pod, pdbs: Iterable[PodDisruptionBudget]
) -> list[PodDisruptionBudget]:
    """``getPodDisruptionBudgets``: the PDBs of the pod's namespace whose selector matches."""
    return [pdb for pdb in pdbs if pdb_matches_pod(pdb, pod)]


def check_and_decrement(
    pod_name: str, pdb: PodDisruptionBudget, now: float, dry_run: bool = False
) -> EvictionResult:
    """``checkAndDecrement``: refuse, or decrement ``pdb.status`` and record the pod.

    In order: status not yet observed for the current generation → 429; negative
    ``disruptionsAllowed`` → 403; more than :data:`MAX_DISRUPTED_POD_SIZE` unconfirmed
    evictions → 403; ``disruptionsAllowed == 0`` → 429. Otherwise decrements
    ``disruptions_allowed`` (reason → ``InsufficientPods`` when it reaches 0) and, unless
    ``dry_run``, sets ``disrupted_pods[pod_name] = now`` — both on ``pdb.status`` in place.
    """
    st = pdb.status
    if st.observed_generation < pdb.generation:
        return EvictionResult(
            False,
            EVICTION_TOO_MANY_REQUESTS,
            MESSAGE_VIOLATES_BUDGET,
            f"The disruption budget {pdb.name} is still being processed by the server.",
        )
    if st.disruptions_allowed < 0:
        return EvictionResult(False, EVICTION_FORBIDDEN, "pdb disruptions allowed is negative")
    if len(st.disrupted_pods) > MAX_DISRUPTED_POD_SIZE:
        return EvictionResult(
            False,
            EVICTION_FORBIDDEN,
            "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
        )
    if st.disruptions_allowed == 0:
        return EvictionResult(
            False,
            EVICTION_TOO_MANY_REQUESTS,
            MESSAGE_VIOLATES_BUDGET,
            f"The disruption budget {pdb.name} needs {st.desired_healthy} healthy pods "
            f"and has {st.current_healthy} currently",
        )
    st.disruptions_allowed -= 1
    if st.disruptions_allowed == 0:
        update_disruption_allowed_condition(st)
    if not dry_run:
        st.disrupted_pods[pod_name] = now
    return EvictionResult(True, EVICTION_CREATED, decremented_pdb=pdb)


def evict_pod(
    pod: Pod,
    pdbs_with_status: Iterable[PodDisruptionBudget],
    now: float,
    dry_run: bool = False,
) -> EvictionResult:
    """``EvictionREST.Create``: may ``pod`` be evicted now? Updates the PDB when it may.

    ``pdbs_with_status`` may be all PDBs of the cluster; those selecting the pod are used.

    1. Succeeded/Failed/Pending/terminating pod: allowed, no PDB consulted.
    2. More than one matching PDB: 500. None: allowed.
    3. Pod not Ready: with ``unhealthyPodEvictionPolicy: AlwaysAllow`` allowed without
       decrement; with the default (unset or ``IfHealthyBudget``) allowed without decrement
       only if ``currentHealthy ≥ desiredHealthy > 0``; otherwise falls through to 4.
    4. :func:`check_and_decrement` (429 "Cannot evict pod as it would violate the pod's
       disruption budget." when ``disruptionsAllowed == 0``), which mutates the PDB status.
    """
    if can_ignore_pdb(pod):
        return EvictionResult(True, EVICTION_CREATED)
    pdbs = get_pod_disruption_budgets(pod, pdbs_with_status)
    if len(pdbs) > 1:
        return EvictionResult(False, EVICTION_INTERNAL_ERROR, MESSAGE_MULTIPLE_PDBS)
    if not pdbs:
        return EvictionResult(True, EVICTION_CREATED)
    pdb = pdbs[0]
    if not is_pod_ready(pod):
        # The unhealthy pod does not count towards currentHealthy, so deleting it cannot
        # lower availability; upstream deletes it with a resourceVersion precondition.
        if pdb.spec.unhealthy_pod_eviction_policy == UNHEALTHY_POD_EVICTION_ALWAYS_ALLOW:
            return EvictionResult(True, EVICTION_CREATED)
        st = pdb.status
        if st.current_healthy >= st.desired_healthy and st.desired_healthy > 0:
            return EvictionResult(True, EVICTION_CREATED)
    return check_and_decrement(pod.name, pdb, now, dry_run)


# ---------------------------------------------------------------------- kubectl drain

POD_DELETE_OKAY = "Okay"
POD_DELETE_SKIP = "Skip"
POD_DELETE_WARNING = "Warning"
POD_DELETE_ERROR = "Error"

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"


@dataclass(slots=True)
class PodDelete:
    """``PodDelete``/``PodDeleteStatus``: one pod on the node and the filters' verdict."""

    pod: Pod
    delete: bool
    reason: str = POD_DELETE_OKAY
    message: str = ""


@dataclass(slots=True)
class PodDeleteList:
    """``PodDeleteList``: the verdicts; :meth:`pods` are the ones to evict."""

    items: list[PodDelete] = field(default_factory=list)

    def pods(self) -> list[Pod]:
        """``Pods()``: the pods to evict, in listing order."""
        return [i.pod for i in self.items if i.delete]

    def errors(self) -> list[str]:
        """``errors()``: one message per distinct error; any error aborts the drain."""
        grouped: dict[str, list[str]] = {}
        for i in self.items:
            if i.reason == POD_DELETE_ERROR:
                grouped.setdefault(i.message or "unexpected error", []).append(
                    f"{i.pod.namespace}/{i.pod.name}"
                )
        out = []
        for msg, names in grouped.items():
            prefix = "" if msg.lower().startswith("cannot delete") else "cannot delete "
            out.append(f"{prefix}{msg}: {', '.join(names)}")
        return out


def _default_owner_kind(pod: Pod) -> str | None:
    # Pod.owner names the owning ReplicaSet; pods without it are unmanaged.
    return "ReplicaSet" if pod.owner is not None else None


def _never(_pod: Pod) -> bool:
    return False


def get_pods_for_deletion(
    pods: Iterable[Pod],
    node_name: str,
    now: float,
    *,
    force: bool = False,
    ignore_all_daemonsets: bool = False,
    delete_emptydir_data: bool = False,
    skip_wait_for_delete_timeout_seconds: int = DRAIN_DEFAULT_SKIP_WAIT_FOR_DELETE_TIMEOUT_SECONDS,
    owner_kind: Callable[[Pod], str | None] = _default_owner_kind,
    is_mirror_pod: Callable[[Pod], bool] = _never,
    has_local_storage: Callable[[Pod], bool] = _never,
) -> PodDeleteList:
    """``GetPodsForDeletion``: which of the node's pods ``kubectl drain`` will evict.

    Filters, in upstream order, stopping at the first that says "don't delete":
    long-terminating pods (only with ``skip_wait_for_delete_timeout_seconds > 0``),
    DaemonSet pods (error, or skipped with a warning under ``ignore_all_daemonsets``;
    finished ones are deleted), mirror pods (skipped), emptyDir pods (error unless
    ``delete_emptydir_data``), pods with no controller (error unless ``force``).

    ``Pod`` carries no owner kind, annotations or volumes, so three callables supply them:
    ``owner_kind`` (default: ``"ReplicaSet"`` when ``pod.owner`` is set),
    ``is_mirror_pod`` and ``has_local_storage`` (default: never). An orphaned DaemonSet
    pod (its DaemonSet deleted) is not modelled: the DaemonSet is assumed to exist.
    """
    items: list[PodDelete] = []
    for pod in pods:
        if pod.node_name != node_name:
            continue
        items.append(
            _filter_pod(
                pod,
                now,
                force,
                ignore_all_daemonsets,
                delete_emptydir_data,
                skip_wait_for_delete_timeout_seconds,
                owner_kind,
                is_mirror_pod,
                has_local_storage,
            )
        )
    return PodDeleteList(items)


def should_skip_pod(pod: Pod, skip_wait_for_delete_timeout_seconds: int, now: float) -> bool:
    """``shouldSkipPod``: terminating for longer than the (positive) timeout, whole seconds."""
    return (
        skip_wait_for_delete_timeout_seconds > 0
        and pod.deletion_timestamp is not None
        and int(now - pod.deletion_timestamp) > skip_wait_for_delete_timeout_seconds
    )


def _filter_pod(
    pod: Pod,
    now: float,
    force: bool,
    ignore_all_daemonsets: bool,
    delete_emptydir_data: bool,
    skip_seconds: int,
    owner_kind: Callable[[Pod], str | None],
    is_mirror_pod: Callable[[Pod], bool],
    has_local_storage: Callable[[Pod], bool],
) -> PodDelete:
    finished = pod.phase in (POD_SUCCEEDED, POD_FAILED)
    kind = owner_kind(pod)
    # skipDeletedFilter
    if should_skip_pod(pod, skip_seconds, now):
        return PodDelete(pod, False, POD_DELETE_SKIP)
    # daemonSetFilter
    if kind == "DaemonSet" and not finished:
        if not ignore_all_daemonsets:
            return PodDelete(pod, False, POD_DELETE_ERROR, DAEMONSET_FATAL)
        return PodDelete(pod, False, POD_DELETE_WARNING, DAEMONSET_WARNING)
    # mirrorPodFilter
    if is_mirror_pod(pod):
        return PodDelete(pod, False, POD_DELETE_SKIP)
    # localStorageFilter. Its "deleting Pods with local storage" warning is overwritten by
    # the next filter's verdict, as upstream's filterPods keeps only the last status.
    if has_local_storage(pod) and not finished and not delete_emptydir_data:
        return PodDelete(pod, False, POD_DELETE_ERROR, LOCAL_STORAGE_FATAL)
    # unreplicatedFilter
    if finished or kind is not None:
        return PodDelete(pod, True, POD_DELETE_OKAY)
    if force:
        return PodDelete(pod, True, POD_DELETE_WARNING, UNMANAGED_WARNING)
    return PodDelete(pod, False, POD_DELETE_ERROR, UNMANAGED_FATAL)


DRAIN_STEP_WAIT_FOR_DELETE = "WaitForDelete"
DRAIN_STEP_RETRY = "Retry"
DRAIN_STEP_DONE = "Done"
DRAIN_STEP_FAIL = "Fail"


@dataclass(slots=True, frozen=True)
class DrainStep:
    """What ``evictPods`` does next for one pod: ``action`` and the delay before it (s)."""

    action: str
    delay: float = 0.0
    message: str = ""


def next_drain_step(code: int, message: str = "") -> DrainStep:
    """``evictPods``' reaction to one eviction answer (HTTP ``code``).

    201 → poll for deletion every :data:`DRAIN_POLL_DELETION_SECONDS`; 404 → the pod is
    already gone; 429 → retry after :data:`DRAIN_EVICTION_RETRY_SECONDS`; anything else →
    that pod fails ("error when evicting pods/…") and so does the drain in the end.
    The global ``--timeout`` (if not 0) is checked by the caller before each attempt.
    """
    if 200 <= code < 300:
        return DrainStep(DRAIN_STEP_WAIT_FOR_DELETE, DRAIN_POLL_DELETION_SECONDS)
    if code == 404:
        return DrainStep(DRAIN_STEP_DONE)
    if code == EVICTION_TOO_MANY_REQUESTS:
        return DrainStep(DRAIN_STEP_RETRY, DRAIN_EVICTION_RETRY_SECONDS, message)
    return DrainStep(DRAIN_STEP_FAIL, 0.0, message)
