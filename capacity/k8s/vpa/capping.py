"""Capping a VPA recommendation by the VPA's resource policy and by LimitRanges.

Mirrors ``kubernetes/autoscaler vertical-pod-autoscaler/pkg/utils/``:

* ``vpa/capping.go``: ``ApplyVPAPolicy`` / ``applyVPAPolicyForContainer`` (what the
  recommender writes to the VPA status: ``minAllowed`` / ``maxAllowed``, with the global
  ``--container-recommendation-max-allowed-cpu`` / ``-memory`` filling gaps in
  ``maxAllowed``), and ``cappingRecommendationProcessor.Apply`` (what the admission
  controller and updater apply to one pod: ``capProportionallyToPodLimitRange``,
  ``applyPodLimitRange``, ``insertRequestsForMissingRecommendations``,
  ``getCappedRecommendationForContainer``, ``applyContainerLimitRange``,
  ``getMinAllowedRecommendation`` / ``getMaxAllowedRecommendation``, ``applyVPAPolicy``,
  ``capRecommendationToContainerLimit`` for ``controlledValues: RequestsOnly``), with the
  annotations it explains itself with;
* ``vpa/api.go``: ``GetContainerResourcePolicy`` (the ``*`` policy as default),
  ``GetContainerControlledValues``;
* ``vpa/limit_and_request_scaling.go``: ``GetBoundaryRequest``,
  ``getProportionalResourceLimit``, ``scaleQuantityProportionallyCPU`` / ``Mem``;
* ``limitrange/limit_range_calculator.go``: ``getLimitRangeItem`` (all LimitRanges of a
  namespace folded into one item per type).

``controlledResources`` and ``mode: Off`` act earlier, in the recommender (see
:mod:`capacity.k8s.vpa.cluster`): resources not controlled are never estimated, and
containers in mode Off get no recommendation.

Recommendations are :class:`~capacity.k8s.vpa.recommender.ContainerRecommendation` with
int amounts (CPU millicores, memory bytes). Kubernetes-shaped inputs (a
``PodResourcePolicy`` dict, a pod dict, LimitRange items) hold quantities (``"250m"``,
``"1Gi"``, ``2``), read as CPU ``MilliValue()`` and memory ``Value()`` (rounded up).

Divergences: container status resources (in-place resize) are not read, only the pod
spec; amounts finer than a millicore or a byte are rounded up first; where upstream would
dereference a missing recommendation (a container without requests and without
recommendation in the last step of ``applyPodLimitRange``) it is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from capacity.k8s.quantity import Quantity
from capacity.k8s.vpa.model import RESOURCE_CPU, RESOURCE_MEMORY, Resources
from capacity.k8s.vpa.recommender import ContainerRecommendation

DEFAULT_CONTAINER_RESOURCE_POLICY = "*"
"""``DefaultContainerResourcePolicy``: the container policy for containers not named."""
CONTROLLED_VALUES_REQUESTS_AND_LIMITS = "RequestsAndLimits"
CONTROLLED_VALUES_REQUESTS_ONLY = "RequestsOnly"
LIMIT_TYPE_CONTAINER = "Container"
LIMIT_TYPE_POD = "Pod"

CAPPED_TO_MIN_ALLOWED = "capped to minAllowed"
CAPPED_TO_MAX_ALLOWED = "capped to maxAllowed"
CAPPED_TO_LIMIT = "capped to container limit"
CAPPED_PROPORTIONALLY_TO_MAX_LIMIT = "capped to fit Max in container LimitRange"
CAPPED_PROPORTIONALLY_TO_MIN_LIMIT = "capped to fit Min in container LimitRange"

MAX_INT64 = 2**63 - 1

Rounding = Literal["none", "up", "down"]
"""``noRounding``, ``roundUpToFullUnit``, ``roundDownToFullUnit``."""
Field = Literal["target", "lower_bound", "upper_bound"]

_RESOURCES = (RESOURCE_CPU, RESOURCE_MEMORY)


def to_amount(resource: str, q: Any) -> int:
    """A quantity as an amount: CPU ``MilliValue()``, anything else ``Value()``."""
    parsed = Quantity.parse(q)
    return parsed.milli_value() if resource == RESOURCE_CPU else parsed.value()


def resource_list(spec: Mapping[str, Any] | None) -> Resources | None:
    """A ResourceList's cpu and memory as amounts; None for a missing (nil) list."""
    if spec is None:
        return None
    return {r: to_amount(r, spec[r]) for r in _RESOURCES if r in spec}


def _annotation(resource: str, action: str) -> str:
    """``toCappingAnnotation``."""
    return f"{resource} {action}"


# --------------------------------------------------------------------------- api.go


def get_container_resource_policy(
    container_name: str, policy: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """``GetContainerResourcePolicy``: the policy naming the container, else the ``*`` one."""
    default: Mapping[str, Any] | None = None
    if policy is not None:
        for container_policy in policy.get("containerPolicies") or ():
            name = container_policy.get("containerName")
            if name == container_name:
                return container_policy
            if name == DEFAULT_CONTAINER_RESOURCE_POLICY:
                default = container_policy
    return default


def get_container_controlled_values(name: str, policy: Mapping[str, Any] | None) -> str:
    """``GetContainerControlledValues``: ``RequestsAndLimits`` unless the policy says else."""
    container_policy = get_container_resource_policy(name, policy)
    if container_policy is None or container_policy.get("controlledValues") is None:
        return CONTROLLED_VALUES_REQUESTS_AND_LIMITS
    return str(container_policy["controlledValues"])


# --------------------------------------------------------------------------- capping.go: min/max


def maybe_cap_to_min(recommended: int, resource: str, min_allowed: Mapping[str, int]) -> tuple[int, bool]:
    """``maybeCapToMin``: raise to the minimum; a zero minimum means none."""
    minimum = min_allowed.get(resource)
    if minimum is not None and minimum != 0 and recommended < minimum:
        return minimum, True
    return recommended, False


def maybe_cap_to_max(recommended: int, resource: str, max_allowed: Mapping[str, int]) -> tuple[int, bool]:
    """``maybeCapToMax``: lower to the maximum; a zero maximum means none."""
    maximum = max_allowed.get(resource)
    if maximum is not None and maximum != 0 and recommended > maximum:
        return maximum, True
    return recommended, False


def apply_vpa_policy_for_container(
    container_name: str,
    recommendation: ContainerRecommendation,
    policy: Mapping[str, Any] | None,
    global_max_allowed: Mapping[str, Any] | None = None,
) -> ContainerRecommendation:
    """``applyVPAPolicyForContainer``: cap target and bounds (not ``uncapped_target``) to
    the container policy's ``minAllowed`` / ``maxAllowed``; ``global_max_allowed``
    (quantities) supplies the resources ``maxAllowed`` does not name."""
    capped = recommendation.copy()
    container_policy = get_container_resource_policy(container_name, policy)
    min_allowed: Resources | None = None
    max_allowed: Resources | None = None
    if container_policy is not None:
        min_allowed = resource_list(container_policy.get("minAllowed"))
        max_allowed = resource_list(container_policy.get("maxAllowed"))
    global_max = resource_list(global_max_allowed)
    if max_allowed is None:
        max_allowed = global_max
    elif global_max is not None:
        max_allowed = {**global_max, **max_allowed}

    def process(rec: Resources) -> None:
        for resource in list(rec):
            if min_allowed is not None:
                rec[resource], _ = maybe_cap_to_min(rec[resource], resource, min_allowed)
            if max_allowed is not None:
                rec[resource], _ = maybe_cap_to_max(rec[resource], resource, max_allowed)

    process(capped.target)
    process(capped.lower_bound)
    process(capped.upper_bound)
    return capped


def apply_vpa_policy(
    pod_recommendation: Sequence[ContainerRecommendation] | None,
    policy: Mapping[str, Any] | None,
    global_max_allowed: Mapping[str, Any] | None = None,
) -> list[ContainerRecommendation] | None:
    """``ApplyVPAPolicy``: the recommender's capping of every container's recommendation.

    Returns new objects (None for a None recommendation); ``policy`` is a
    ``PodResourcePolicy`` dict or None.
    """
    if pod_recommendation is None:
        return None
    return [
        apply_vpa_policy_for_container(r.container_name, r, policy, global_max_allowed)
        for r in pod_recommendation
    ]


def apply_container_resource_policy(
    recommendation: Resources, container_policy: Mapping[str, Any] | None
) -> list[str]:
    """``applyVPAPolicy`` (lower case): cap one resource list to ``minAllowed`` then
    ``maxAllowed``, in place; returns the annotations."""
    if container_policy is None:
        return []
    min_allowed = resource_list(container_policy.get("minAllowed")) or {}
    max_allowed = resource_list(container_policy.get("maxAllowed")) or {}
    annotations: list[str] = []
    for resource in list(recommendation):
        value, capped = maybe_cap_to_min(recommendation[resource], resource, min_allowed)
        if capped:
            annotations.append(_annotation(resource, CAPPED_TO_MIN_ALLOWED))
        value, capped = maybe_cap_to_max(value, resource, max_allowed)
        if capped:
            annotations.append(_annotation(resource, CAPPED_TO_MAX_ALLOWED))
        recommendation[resource] = value
    return annotations


def cap_recommendation_to_container_limit(
    recommendation: Resources, container_limits: Mapping[str, int]
) -> list[str]:
    """``capRecommendationToContainerLimit``: no request above the container's limit
    (an unset limit is infinite); in place, returns the annotations."""
    annotations: list[str] = []
    for resource, limit in container_limits.items():
        if resource in recommendation and recommendation[resource] > limit:
            recommendation[resource] = limit
            annotations.append(_annotation(resource, CAPPED_TO_LIMIT))
    return annotations


# --------------------------------------------------------------------------- limit_and_request_scaling.go


def scale_quantity_proportionally_cpu(
    scaled: int, base: int, result: int, rounding: Rounding = "none"
) -> tuple[int, str]:
    """``scaleQuantityProportionallyCPU``: ``scaled * result / base`` in millicores.

    Floors, or ceils with ``rounding="up"``. Returns ``(amount, "success" | "capped" |
    "divisionByZero")``: a zero base returns ``scaled``; beyond int64 millicores it caps.
    """
    if base == 0:
        return scaled, "divisionByZero"
    quotient, remainder = divmod(scaled * result, base)
    if quotient > MAX_INT64:
        return MAX_INT64, "capped"
    if remainder != 0 and rounding == "up":
        quotient += 1
    return quotient, "success"


def scale_quantity_proportionally_mem(
    scaled: int, base: int, result: int, rounding: Rounding = "none"
) -> tuple[int, bool]:
    """``scaleQuantityProportionallyMem``: ``floor(scaled * result / base)`` whole bytes.

    Whatever ``rounding`` says the result is floored: upstream rounds a value that is
    already whole. Returns ``(amount, capped_to_int64)``. A zero base (a panic upstream,
    unreachable from its callers) returns ``scaled``.
    """
    if base == 0:
        return scaled, False
    value = scaled * result // base
    if value > MAX_INT64:
        return MAX_INT64, True
    return value, False


def get_proportional_resource_limit(
    resource: str, original_limit: int, original_request: int, recommended_request: int,
    default_limit: int,
) -> tuple[int | None, str]:
    """``getProportionalResourceLimit``: the limit keeping the original limit/request ratio.

    A zero limit falls back to ``default_limit``; with no limit or no recommendation there
    is none (``None`` and a note). A missing request, or a request equal to the limit,
    gives the recommendation itself.
    """
    if original_limit == 0:
        original_limit = default_limit
    if original_limit == 0:
        return None, f"{resource}: limit NOT set since originalLimit is nil or 0"
    if recommended_request == 0:
        return None, f"{resource}: limit NOT set since recommendedRequest is nil or 0"
    if original_request == 0 or original_request == original_limit:
        return recommended_request, ""
    if resource == RESOURCE_CPU:
        value, kind = scale_quantity_proportionally_cpu(
            original_limit, original_request, recommended_request)
        capped = kind == "capped"
    else:
        value, capped = scale_quantity_proportionally_mem(
            original_limit, original_request, recommended_request)
    if capped:
        return value, f"{resource}: failed to keep limit to request ratio; capping limit to int64"
    return value, ""


def get_boundary_request(
    resource: str, original_request: int, original_limit: int, boundary_limit: int,
    default_limit: int,
) -> int:
    """``GetBoundaryRequest``: the request whose proportional limit is ``boundary_limit``.

    0 (no boundary) when the container has no limit and there is no default limit.
    """
    if original_limit == 0:
        original_limit = default_limit
    if original_limit == 0:
        return 0
    if original_request == 0:
        return boundary_limit
    if resource == RESOURCE_CPU:
        return scale_quantity_proportionally_cpu(original_request, original_limit, boundary_limit)[0]
    return scale_quantity_proportionally_mem(original_request, original_limit, boundary_limit)[0]


# --------------------------------------------------------------------------- capping.go: LimitRange


def _item_list(item: Mapping[str, Any] | None, key: str) -> Resources | None:
    return None if item is None else resource_list(item.get(key))


def get_boundary_recommendation(
    requests: Mapping[str, int], limits: Mapping[str, int],
    boundary: Mapping[str, int] | None, default: Mapping[str, int] | None,
) -> Resources:
    """``getBoundaryRecommendation``: the cpu and memory requests at the boundary limits."""
    if boundary is None:
        return {}
    default = default or {}
    return {
        r: get_boundary_request(r, requests.get(r, 0), limits.get(r, 0), boundary.get(r, 0),
                                default.get(r, 0))
        for r in _RESOURCES
    }


def get_max_allowed_recommendation(
    requests: Mapping[str, int], limits: Mapping[str, int], limit_range: Mapping[str, Any] | None
) -> Resources:
    """``getMaxAllowedRecommendation``: requests whose proportional limits hit ``max``."""
    if limit_range is None:
        return {}
    return get_boundary_recommendation(
        requests, limits, _item_list(limit_range, "max"), _item_list(limit_range, "default"))


def get_min_allowed_recommendation(
    requests: Mapping[str, int], limits: Mapping[str, int], limit_range: Mapping[str, Any] | None
) -> Resources:
    """``getMinAllowedRecommendation``: both the request and its proportional limit must
    reach ``min`` (the LimitRanger checks both)."""
    if limit_range is None:
        return {}
    min_for_request = _item_list(limit_range, "min")
    min_for_limit = get_boundary_recommendation(
        requests, limits, min_for_request, _item_list(limit_range, "default"))
    if min_for_request is None:
        return min_for_limit
    result = dict(min_for_limit)
    for r in _RESOURCES:
        if min_for_request.get(r, 0) > min_for_limit.get(r, 0):
            result[r] = min_for_request[r]
    return result


def apply_container_limit_range(
    recommendation: Resources, requests: Mapping[str, int], limits: Mapping[str, int],
    limit_range: Mapping[str, Any] | None,
) -> list[str]:
    """``applyContainerLimitRange``: keep the request and its proportional limit inside the
    Container LimitRange item; in place, returns the annotations."""
    if limit_range is None:
        return []
    max_allowed = get_max_allowed_recommendation(requests, limits, limit_range)
    min_allowed = get_min_allowed_recommendation(requests, limits, limit_range)
    annotations: list[str] = []
    for resource in list(recommendation):
        value, capped = maybe_cap_to_min(recommendation[resource], resource, min_allowed)
        if capped:
            annotations.append(_annotation(resource, CAPPED_PROPORTIONALLY_TO_MIN_LIMIT))
        value, capped = maybe_cap_to_max(value, resource, max_allowed)
        if capped:
            annotations.append(_annotation(resource, CAPPED_PROPORTIONALLY_TO_MAX_LIMIT))
        recommendation[resource] = value
    return annotations


def _pod_containers(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = pod.get("spec", pod)
    return list(spec.get("containers") or [])


def container_requests_and_limits(
    container_name: str, pod: Mapping[str, Any]
) -> tuple[Resources, Resources]:
    """``ContainerRequestsAndLimits`` (pkg/utils/resources): the spec's requests and limits.

    Empty lists for a container the pod does not have.
    """
    for c in _pod_containers(pod):
        if c.get("name") == container_name:
            res = c.get("resources") or {}
            return resource_list(res.get("requests")) or {}, resource_list(res.get("limits")) or {}
    return {}, {}


def _get_recommendation_for_container(
    name: str, recommendations: Sequence[ContainerRecommendation]
) -> ContainerRecommendation | None:
    """``getRecommendationForContainer``."""
    for r in recommendations:
        if r.container_name == name:
            return r
    return None


def _field(rec: ContainerRecommendation, name: Field) -> Resources:
    resources: Resources = getattr(rec, name)
    return resources


def apply_pod_limit_range(
    resources: list[ContainerRecommendation],
    pod: Mapping[str, Any],
    limit_range: Mapping[str, Any],
    resource: str,
    field: Field,
) -> list[ContainerRecommendation]:
    """``applyPodLimitRange``: scale one resource of one field of all containers so the pod
    sum fits a Pod LimitRange item. Modifies ``resources`` in place (as upstream) and
    returns it.

    Requests whose sum is below ``min`` are scaled up (rounding up); otherwise, if the sum
    of the proportional limits is below ``min`` or above ``max``, requests are scaled by
    ``target / sum of limits`` (rounding down).
    """
    min_limit = (resource_list(limit_range.get("min")) or {}).get(resource, 0)
    max_limit = (resource_list(limit_range.get("max")) or {}).get(resource, 0)
    default_limit = (resource_list(limit_range.get("default")) or {}).get(resource, 0)
    scale: Callable[[int, int, int, Rounding], int]
    if resource == RESOURCE_MEMORY:
        def scale(a: int, b: int, c: int, rounding: Rounding) -> int:
            return scale_quantity_proportionally_mem(a, b, c, rounding)[0]
    else:
        def scale(a: int, b: int, c: int, rounding: Rounding) -> int:
            return scale_quantity_proportionally_cpu(a, b, c, rounding)[0]

    zipped = [
        (c.get("name", ""), _get_recommendation_for_container(c.get("name", ""), resources))
        for c in _pod_containers(pod)
    ]
    sum_limit = 0
    sum_recommendation = 0
    for name, rec in zipped:
        requests, limits = container_requests_and_limits(name, pod)
        request = requests.get(resource, 0)
        # A container without a recommendation keeps its request.
        recommendation = request if rec is None else _field(rec, field).get(resource, 0)
        container_limit, _ = get_proportional_resource_limit(
            resource, limits.get(resource, 0), request, recommendation, default_limit)
        if container_limit is not None:
            sum_limit += container_limit
        sum_recommendation += recommendation

    if (min_limit <= sum_limit and min_limit <= sum_recommendation
            and (max_limit == 0 or max_limit >= sum_limit)):
        return resources
    if min_limit > sum_recommendation and sum_limit != 0:
        for _, rec in zipped:
            if rec is None:
                continue
            values = _field(rec, field)
            values[resource] = scale(values.get(resource, 0), sum_recommendation, min_limit, "up")
        return resources
    if sum_limit == 0:
        return resources
    target_total_limit = 0
    if min_limit > sum_limit:
        target_total_limit = min_limit
    if max_limit != 0 and max_limit < sum_limit:
        target_total_limit = max_limit
    for _, rec in zipped:
        if rec is None:
            continue
        values = _field(rec, field)
        values[resource] = scale(values.get(resource, 0), sum_limit, target_total_limit, "down")
    return resources


def insert_requests_for_missing_recommendations(
    recommendations: Sequence[ContainerRecommendation], pod: Mapping[str, Any]
) -> list[ContainerRecommendation]:
    """``insertRequestsForMissingRecommendations``: copies, plus a target equal to the
    requests for each pod container with requests and no recommendation."""
    result = [r.copy() for r in recommendations]
    names = {r.container_name for r in recommendations}
    for c in _pod_containers(pod):
        name = c.get("name", "")
        if name in names:
            continue
        requests, _ = container_requests_and_limits(name, pod)
        if not requests:
            continue
        result.append(ContainerRecommendation(name, target=dict(requests)))
    return result


def cap_proportionally_to_pod_limit_range(
    recommendations: Sequence[ContainerRecommendation],
    pod: Mapping[str, Any],
    pod_limit_range: Mapping[str, Any] | None,
) -> list[ContainerRecommendation]:
    """``capProportionallyToPodLimitRange``: upper bounds, then targets, then lower bounds,
    CPU before memory. Without a Pod LimitRange item the input comes back unchanged."""
    if pod_limit_range is None:
        return list(recommendations)
    recs = insert_requests_for_missing_recommendations(recommendations, pod)
    fields: tuple[Field, ...] = ("upper_bound", "target", "lower_bound")
    for field in fields:
        for resource in _RESOURCES:
            recs = apply_pod_limit_range(recs, pod, pod_limit_range, resource, field)
    return recs


def get_capped_recommendation_for_container(
    pod: Mapping[str, Any],
    container_name: str,
    recommendation: ContainerRecommendation,
    policy: Mapping[str, Any] | None,
    limit_range: Mapping[str, Any] | None,
) -> tuple[ContainerRecommendation, list[str]]:
    """``getCappedRecommendationForContainer``: Container LimitRange, then the policy's
    min/max, then (``RequestsOnly``) the container's limits, for the target and both
    bounds. Annotations are those of the target. Returns a new recommendation."""
    container_policy = get_container_resource_policy(container_name, policy)
    controlled_values = get_container_controlled_values(container_name, policy)
    capped = recommendation.copy()
    annotations: list[str] = []
    requests, limits = container_requests_and_limits(container_name, pod)

    def process(rec: Resources, gen: bool) -> None:
        limit_annotations = apply_container_limit_range(rec, requests, limits, limit_range)
        policy_annotations = apply_container_resource_policy(rec, container_policy)
        if gen:
            annotations.extend(limit_annotations)
            annotations.extend(policy_annotations)
        if controlled_values == CONTROLLED_VALUES_REQUESTS_ONLY:
            limit_caps = cap_recommendation_to_container_limit(rec, limits)
            if gen:
                annotations.extend(limit_caps)

    process(capped.target, True)
    process(capped.lower_bound, False)
    process(capped.upper_bound, False)
    return capped, annotations


def apply_capping(
    recommendation: Sequence[ContainerRecommendation] | None,
    policy: Mapping[str, Any] | None,
    pod: Mapping[str, Any] | None,
    container_limit_range: Mapping[str, Any] | None = None,
    pod_limit_range: Mapping[str, Any] | None = None,
) -> tuple[list[ContainerRecommendation] | None, dict[str, list[str]]]:
    """``cappingRecommendationProcessor.Apply``: the recommendation as applied to ``pod``.

    ``container_limit_range`` / ``pod_limit_range`` are the namespace's folded LimitRange
    items (:func:`get_limit_range_item`), or None. Recommendations for containers the pod
    does not have are dropped. Returns ``(recommendations, annotations by container)``;
    ``(None, {})`` when there is neither a recommendation nor a policy. Raises ValueError
    if ``pod`` is None.
    """
    if pod is None:
        raise ValueError("cannot process nil pod")
    if recommendation is None and policy is None:
        return None, {}
    recs = cap_proportionally_to_pod_limit_range(recommendation or [], pod, pod_limit_range)
    pod_names = {c.get("name") for c in _pod_containers(pod)}
    updated: list[ContainerRecommendation] = []
    annotations: dict[str, list[str]] = {}
    for rec in recs:
        if rec.container_name not in pod_names:
            continue
        capped, notes = get_capped_recommendation_for_container(
            pod, rec.container_name, rec, policy, container_limit_range)
        if notes:
            annotations[rec.container_name] = notes
        updated.append(capped)
    return updated, annotations


# --------------------------------------------------------------------------- limit_range_calculator.go


def get_limit_range_item(
    limit_ranges: Iterable[Mapping[str, Any]], limit_type: str
) -> dict[str, Any] | None:
    """``limitsChecker.getLimitRangeItem``: fold every item of ``limit_type`` into one.

    ``limit_ranges`` are LimitRange objects or specs (``{"limits": [...]}``). The lowest
    ``max`` and highest ``min`` per resource win; the last ``default`` wins. None when no
    item of that type sets any of them. Values come back as
    :class:`~capacity.k8s.quantity.Quantity`.
    """
    result: dict[str, Any] = {"type": limit_type}
    for lr in limit_ranges:
        spec = lr.get("spec", lr)
        for item in spec.get("limits") or ():
            if item.get("type") != limit_type:
                continue
            if item.get("max") is None and item.get("default") is None and item.get("min") is None:
                continue
            if item.get("default") is not None:
                result["default"] = _quantities(item["default"])
            result["max"] = _fold(result.get("max"), item.get("max"), lower=True)
            result["min"] = _fold(result.get("min"), item.get("min"), lower=False)
    for key in ("max", "min"):
        if result.get(key) is None:
            result.pop(key, None)
    if any(k in result for k in ("min", "max", "default")):
        return result
    return None


def _fold(
    acc: dict[str, Any] | None, item: Mapping[str, Any] | None, lower: bool
) -> dict[str, Any] | None:
    """``updatedResult`` with ``pickLowerMax`` / ``chooseHigherMin`` for cpu and memory."""
    if item is None:
        return acc
    if acc is None:
        return _quantities(item)
    for r in _RESOURCES:
        if r not in item:
            continue
        b = Quantity.parse(item[r])
        if r not in acc:
            acc[r] = b
            continue
        a = acc[r]
        acc[r] = (a if a < b else b) if lower else (a if a > b else b)
    return acc


def _quantities(spec: Mapping[str, Any]) -> dict[str, Quantity]:
    return {name: Quantity.parse(v) for name, v in spec.items()}
