"""LimitRange admission (the ``LimitRanger`` plugin) as pure functions on Kubernetes dicts.

Mirrors, in ``kubernetes/kubernetes``:

* ``pkg/apis/core/v1/defaults.go``: ``SetDefaults_LimitRangeItem`` (what the API server
  stores when a LimitRange is created) and the resources part of ``SetDefaults_Pod``
  (a container's missing requests are copied from its limits when the pod is decoded,
  i.e. *before* any admission plugin runs);
* ``plugin/pkg/admission/limitranger/admission.go``: ``defaultContainerResourceRequirements``,
  ``mergeContainerResources``, ``mergePodResourceRequirements``, ``PodMutateLimitFunc``,
  ``PodValidateLimitFunc``, ``minConstraint``, ``maxConstraint``,
  ``limitRequestRatioConstraint``, ``requestLimitEnforcedValues`` and the Pod-type checks on
  pod totals (``podRequests`` / ``podLimits``: app containers and sidecars summed, the largest
  init-container step wins, **no** RuntimeClass overhead);
* ``staging/src/k8s.io/apimachinery/pkg/util/errors`` ``NewAggregate`` and
  ``staging/src/k8s.io/apiserver/pkg/admission`` ``NewForbidden`` for the error text.

Objects are plain dicts shaped like the API: a pod ``{"metadata": ..., "spec": {"containers":
[...], "initContainers": [...], "overhead": {...}}}``, a LimitRangeSpec ``{"limits": [...]}``
(or a whole LimitRange object with ``spec``). Quantities inside are strings or numbers, parsed
with :mod:`capacity.k8s.quantity`. Functions never modify their arguments; mutations return a
deep copy.

Divergences from upstream (deliberate):

* Go iterates the ``min`` / ``max`` / ``maxLimitRequestRatio`` maps in random order, so the
  order of several errors is not stable upstream; we keep the manifest's order.
* Pod totals are computed with :mod:`capacity.k8s.resources` in milli-units, so a quantity
  finer than 1m (``1n`` cpu) is rounded up to 1m before summing rather than after. The
  printed format of a total is that of the first container that names the resource.
* Pod-level resources (``spec.resources``, feature ``PodLevelResources``), in-place resize
  status and the PersistentVolumeClaim limit type are not modelled.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from capacity.k8s.quantity import Format, Quantity
from capacity.k8s.resources import pod_limits, pod_requests
from capacity.k8s.types import pod_from_manifest

LIMIT_TYPE_CONTAINER = "Container"
LIMIT_TYPE_POD = "Pod"
LIMIT_TYPE_PVC = "PersistentVolumeClaim"

LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"

# resource.MaxMilliValue: above it upstream compares whole units instead of milli-units
MAX_MILLI_VALUE = (2**63 - 1) // 1000

Resources = dict[str, Quantity]
"""Resource name → quantity (keeps the format for messages)."""


# --------------------------------------------------------------------------- errors


class AdmissionError(Exception):
    """An admission plugin refused the object (HTTP 403 Forbidden upstream).

    ``str(err)`` is the API server's message (``pods "x" is forbidden: ...``) when raised by
    an ``admit_*`` function, or the bare reason when raised by a lower-level helper;
    ``reason`` is always the bare reason (the part after ``is forbidden:``).
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason if reason is not None else message


class LimitRangeError(AdmissionError):
    """The LimitRanger plugin refused the pod."""


def object_name(obj: Mapping[str, Any]) -> str:
    """Name used in admission errors: ``metadata.name``, else ``generateName``, else Unknown.

    Mirrors ``extractResourceName`` in ``apiserver/pkg/admission/errors.go``. (A real server
    has usually generated the name by the time validating plugins run, so its message shows
    ``<generateName><random>``.)
    """
    meta = obj.get("metadata") or {}
    return str(meta.get("name") or meta.get("generateName") or "Unknown")


def forbidden_message(obj: Mapping[str, Any], reason: str, resource: str = "pods") -> str:
    """``apierrors.NewForbidden`` text: ``<resource> "<name>" is forbidden: <reason>``."""
    return f'{resource} "{object_name(obj)}" is forbidden: {reason}'


def aggregate_errors(errors: Sequence[str]) -> str | None:
    """``utilerrors.NewAggregate(errs).Error()``: None, the one message, or ``[a, b]``.

    Identical messages are reported once, as upstream does.
    """
    seen: list[str] = []
    for e in errors:
        if e not in seen:
            seen.append(e)
    if not seen:
        return None
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


# --------------------------------------------------------------------------- helpers


def parse_resources(spec: Mapping[str, Any] | None) -> Resources:
    """A ``{name: quantity}`` mapping (strings, numbers or Quantity) as Quantities."""
    if not spec:
        return {}
    return {str(k): Quantity.parse(v) for k, v in spec.items()}


def limit_range_spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """Accept a LimitRange object (with ``spec``) or a bare LimitRangeSpec."""
    if "spec" in obj and "limits" not in obj:
        return obj.get("spec") or {}
    return obj


def _containers(pod: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(kind, container) for app containers then init containers, as upstream loops."""
    spec = pod.get("spec") or {}
    out: list[tuple[str, Any]] = []
    out += [("container", c) for c in spec.get("containers") or []]
    out += [("init container", c) for c in spec.get("initContainers") or []]
    return out


def _container_resources(c: Mapping[str, Any]) -> tuple[Resources, Resources]:
    res = c.get("resources") or {}
    return parse_resources(res.get("requests")), parse_resources(res.get("limits"))


_BINARY_BY_DEFAULT = ("memory", "ephemeral-storage", "storage")


def default_format(name: str) -> Format:
    """Format used when a total is built from milli-units with no manifest to copy it from."""
    if name in _BINARY_BY_DEFAULT or name.startswith("hugepages-"):
        return "BinarySI"
    return "DecimalSI"


def _first_formats(pod: Mapping[str, Any], field: str) -> dict[str, Format]:
    """Format of the first quantity naming each resource (containers, init, overhead)."""
    formats: dict[str, Format] = {}
    for _, c in _containers(pod):
        for k, v in ((c.get("resources") or {}).get(field) or {}).items():
            formats.setdefault(str(k), Quantity.parse(v).format)
    for k, v in ((pod.get("spec") or {}).get("overhead") or {}).items():
        formats.setdefault(str(k), Quantity.parse(v).format)
    return formats


def _as_quantities(amounts: Mapping[str, int], formats: Mapping[str, Format]) -> Resources:
    return {
        k: Quantity.from_milli(v, formats.get(k) or default_format(k)) for k, v in amounts.items()
    }


def pod_requests_quantities(pod: Mapping[str, Any], exclude_overhead: bool = False) -> Resources:
    """``PodRequests`` of a pod dict, as Quantities (see :mod:`capacity.k8s.resources`)."""
    amounts = pod_requests(pod_from_manifest(pod), exclude_overhead=exclude_overhead)
    return _as_quantities(amounts, _first_formats(pod, "requests"))


def pod_limits_quantities(pod: Mapping[str, Any], exclude_overhead: bool = False) -> Resources:
    """``PodLimits`` of a pod dict, as Quantities (overhead only where a limit exists)."""
    amounts = pod_limits(pod_from_manifest(pod), exclude_overhead=exclude_overhead)
    return _as_quantities(amounts, _first_formats(pod, "limits"))


# --------------------------------------------------------------------------- defaulting


def set_defaults_limit_range_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """``SetDefaults_LimitRangeItem``: the item as the API server stores it.

    Container type only: ``default`` ← ``max`` where unset; then ``defaultRequest`` ←
    ``default`` where unset; then ``defaultRequest`` ← ``min`` where still unset.
    Other types are returned unchanged (copied).
    """
    out = copy.deepcopy(dict(item))
    if out.get("type") != LIMIT_TYPE_CONTAINER:
        return out
    default = dict(out.get("default") or {})
    default_request = dict(out.get("defaultRequest") or {})
    for k, v in (out.get("max") or {}).items():
        default.setdefault(k, v)
    for k, v in default.items():
        default_request.setdefault(k, v)
    for k, v in (out.get("min") or {}).items():
        default_request.setdefault(k, v)
    # upstream leaves empty (non-nil) maps, which serialise as absent
    if default:
        out["default"] = default
    if default_request:
        out["defaultRequest"] = default_request
    return out


def set_defaults_limit_range(limit_range: Mapping[str, Any]) -> dict[str, Any]:
    """Apply :func:`set_defaults_limit_range_item` to every item of a LimitRangeSpec."""
    spec = limit_range_spec(limit_range)
    out = copy.deepcopy(dict(spec))
    out["limits"] = [set_defaults_limit_range_item(i) for i in spec.get("limits") or []]
    return out


def set_defaults_pod(pod: Mapping[str, Any]) -> dict[str, Any]:
    """Resources part of ``SetDefaults_Pod``: missing requests ← limits, per container.

    Runs when the API server decodes a pod, before admission, so a container that sets
    only limits gets equal requests and the LimitRange ``defaultRequest`` never applies
    to those resources.
    """
    out = copy.deepcopy(dict(pod))
    for _, c in _containers(out):
        res = c.get("resources")
        if not res or not res.get("limits"):
            continue
        requests = res.get("requests")
        if requests is None:
            requests = res["requests"] = {}
        for k, v in res["limits"].items():
            requests.setdefault(k, v)
    return out


# --------------------------------------------------------------------------- mutation


def default_container_resource_requirements(
    limit_range: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``defaultContainerResourceRequirements``: (requests, limits) from Container items.

    Values are returned as written in the LimitRange; a later item overrides an earlier one.
    """
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    for item in limit_range_spec(limit_range).get("limits") or []:
        if item.get("type") == LIMIT_TYPE_CONTAINER:
            requests.update(item.get("defaultRequest") or {})
            limits.update(item.get("default") or {})
    return requests, limits


def _merge_container_resources(
    container: dict[str, Any],
    default_requests: Mapping[str, Any],
    default_limits: Mapping[str, Any],
    prefix: str,
) -> list[str]:
    """``mergeContainerResources`` in place; returns upstream's annotation fragments."""
    set_requests: list[str] = []
    set_limits: list[str] = []
    res = container.get("resources")
    if res is None:
        res = {}
    limits = dict(res.get("limits") or {})
    requests = dict(res.get("requests") or {})
    for k, v in default_limits.items():
        if k not in limits:
            limits[k] = copy.deepcopy(v)
            set_limits.append(str(k))
    for k, v in default_requests.items():
        if k not in requests:
            requests[k] = copy.deepcopy(v)
            set_requests.append(str(k))
    if set_limits or set_requests:
        container["resources"] = res
        if limits:
            res["limits"] = limits
        if requests:
            res["requests"] = requests
    name = container.get("name", "")
    fragments: list[str] = []
    if set_requests:
        fragments.append(f"{', '.join(sorted(set_requests))} request for {prefix} {name}")
    if set_limits:
        fragments.append(f"{', '.join(sorted(set_limits))} limit for {prefix} {name}")
    return fragments


def limit_range_mutate_pod(
    pod: Mapping[str, Any], limit_range: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """``PodMutateLimitFunc``: fill missing container requests/limits from the LimitRange.

    Returns the mutated copy and the fields that were filled in, one fragment per container
    and kind, in upstream's annotation wording (``"cpu, memory request for init container
    init"``, ``"cpu limit for container app"``). When anything was filled in, the copy also
    carries the ``kubernetes.io/limit-ranger`` annotation, as upstream sets it. The
    LimitRange is used as stored: call :func:`set_defaults_limit_range` first for a spec
    written by hand.
    """
    out = copy.deepcopy(dict(pod))
    default_requests, default_limits = default_container_resource_requirements(limit_range)
    fragments: list[str] = []
    for prefix, c in _containers(out):
        fragments += _merge_container_resources(c, default_requests, default_limits, prefix)
    if fragments:
        meta = out.setdefault("metadata", {})
        annotations = meta.setdefault("annotations", {})
        annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(fragments)
    return out, fragments


# --------------------------------------------------------------------------- validation


def request_limit_enforced_values(
    request: Quantity | None, limit: Quantity | None, enforced: Quantity
) -> tuple[int, int, int]:
    """``requestLimitEnforcedValues``: milli-units unless one would overflow int64.

    A missing quantity counts as zero, as Go's zero ``Quantity`` does.
    """
    zero = Quantity(0)
    req, lim = request or zero, limit or zero
    r, li, e = req.value(), lim.value(), enforced.value()
    if r <= MAX_MILLI_VALUE and li <= MAX_MILLI_VALUE and e <= MAX_MILLI_VALUE:
        return req.milli_value(), lim.milli_value(), enforced.milli_value()
    return r, li, e


def min_constraint(
    limit_type: str, name: str, enforced: Quantity, request: Resources, limit: Resources
) -> str | None:
    """``minConstraint``: request required and ≥ min; a limit, if set, ≥ min."""
    req, lim = request.get(name), limit.get(name)
    r, li, e = request_limit_enforced_values(req, lim, enforced)
    if req is None:
        return f"minimum {name} usage per {limit_type} is {enforced}.  No request is specified"
    if r < e:
        return f"minimum {name} usage per {limit_type} is {enforced}, but request is {req}"
    if lim is not None and li < e:
        return f"minimum {name} usage per {limit_type} is {enforced}, but limit is {lim}"
    return None


def max_constraint(
    limit_type: str, name: str, enforced: Quantity, request: Resources, limit: Resources
) -> str | None:
    """``maxConstraint``: limit required and ≤ max; a request, if set, ≤ max."""
    req, lim = request.get(name), limit.get(name)
    r, li, e = request_limit_enforced_values(req, lim, enforced)
    if lim is None:
        return f"maximum {name} usage per {limit_type} is {enforced}.  No limit is specified"
    if li > e:
        return f"maximum {name} usage per {limit_type} is {enforced}, but limit is {lim}"
    if req is not None and r > e:
        return f"maximum {name} usage per {limit_type} is {enforced}, but request is {req}"
    return None


def limit_request_ratio_constraint(
    limit_type: str, name: str, enforced: Quantity, request: Resources, limit: Resources
) -> str | None:
    """``limitRequestRatioConstraint``: both set and non-zero, limit/request ≤ ratio.

    The ratio is compared in floating point on milli-units, as upstream does, and printed
    with Go's ``%f`` (six decimals).
    """
    req, lim = request.get(name), limit.get(name)
    r, li, _ = request_limit_enforced_values(req, lim, enforced)
    if req is None or r == 0:
        return (
            f"{name} max limit to request ratio per {limit_type} is {enforced}, "
            "but no request is specified or request is 0"
        )
    if lim is None or li == 0:
        return (
            f"{name} max limit to request ratio per {limit_type} is {enforced}, "
            "but no limit is specified or limit is 0"
        )
    observed = float(li) / float(r)
    display = observed
    max_ratio = float(enforced.value())
    if enforced.value() <= MAX_MILLI_VALUE:
        observed *= 1000
        max_ratio = float(enforced.milli_value())
    if observed > max_ratio:
        return (
            f"{name} max limit to request ratio per {limit_type} is {enforced}, "
            f"but provided ratio is {display:f}"
        )
    return None


def _check_item(
    item: Mapping[str, Any], limit_type: str, requests: Resources, limits: Resources
) -> list[str]:
    errors: list[str] = []
    checks = (
        ("min", min_constraint),
        ("max", max_constraint),
        ("maxLimitRequestRatio", limit_request_ratio_constraint),
    )
    for field, check in checks:
        for name, enforced in parse_resources(item.get(field)).items():
            err = check(limit_type, name, enforced, requests, limits)
            if err is not None:
                errors.append(err)
    return errors


def limit_range_validate_pod(pod: Mapping[str, Any], limit_range: Mapping[str, Any]) -> list[str]:
    """``PodValidateLimitFunc``: every violation of one LimitRange, as upstream's messages.

    Container items are checked against each app container and each init container; Pod
    items against the pod totals (sidecars summed, largest init step, no overhead).
    An empty list means the pod passes.
    """
    errors: list[str] = []
    for item in limit_range_spec(limit_range).get("limits") or []:
        limit_type = item.get("type")
        if limit_type == LIMIT_TYPE_CONTAINER:
            for _, c in _containers(pod):
                requests, limits = _container_resources(c)
                errors += _check_item(item, LIMIT_TYPE_CONTAINER, requests, limits)
        elif limit_type == LIMIT_TYPE_POD:
            requests = pod_requests_quantities(pod, exclude_overhead=True)
            limits = pod_limits_quantities(pod, exclude_overhead=True)
            errors += _check_item(item, LIMIT_TYPE_POD, requests, limits)
    return errors


def admit_limit_range(
    pod: Mapping[str, Any],
    limit_ranges: Iterable[Mapping[str, Any]],
    *,
    apply_api_defaults: bool = True,
) -> dict[str, Any]:
    """The LimitRanger plugin on a pod create: mutate with every LimitRange, then validate.

    With ``apply_api_defaults`` (the default) the pod first gets ``SetDefaults_Pod``'s
    requests ← limits and each LimitRange gets ``SetDefaults_LimitRangeItem``, as the API
    server would have stored them; pass False for objects that are already defaulted.
    Returns the admitted (mutated) copy; raises :class:`LimitRangeError` with the API
    server's message for the first LimitRange the pod violates.
    """
    ranges = list(limit_ranges)
    if apply_api_defaults:
        pod = set_defaults_pod(pod)
        ranges = [set_defaults_limit_range(lr) for lr in ranges]
    out = copy.deepcopy(dict(pod))
    # all mutating admission runs before any validating admission
    for lr in ranges:
        out, _ = limit_range_mutate_pod(out, lr)
    for lr in ranges:
        reason = aggregate_errors(limit_range_validate_pod(out, lr))
        if reason is not None:
            raise LimitRangeError(forbidden_message(out, reason), reason)
    return out
