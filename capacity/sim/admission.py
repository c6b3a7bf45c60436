"""Pod creation through admission, as the ReplicaSet's POST meets it.

The template pod (``template_pod``), the mutating steps the API server applies
(``defaulted_pod``: RuntimeClass overhead, ``SetDefaults_Pod``, LimitRange defaults), and
:class:`AdmissionModel`, which answers "is the n-th pod admitted?" for the simulation:
LimitRange validation and RuntimeClass admission once (every pod of a template is the
same), the ResourceQuota check for the pods already charged
(``plugin/pkg/admission/limitranger/admission.go``,
``staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go``,
``pkg/quota/v1/evaluator/core/pods.go``).
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from capacity.k8s.limitrange import (
    limit_range_mutate_pod,
    set_defaults_limit_range,
    set_defaults_pod,
)
from capacity.k8s.quantity import Quantity
from capacity.k8s.quota import (
    AdmissionError,
    QuotaExceededError,
    RuntimeClassError,
    add,
    admit_limit_range,
    admit_runtime_class,
    check_request,
    mask,
    pod_usage,
    quota_constraints,
    quota_matches,
    scale_usage,
)
from capacity.k8s.types import ResourceRequirements, resource_list
from capacity.scenario.model import Scenario


def quota_name(sc: Scenario) -> str:
    """Name used for the namespace's ResourceQuota in messages (the scenario has none).

    ``<namespace>-quota``, as the seed names its quota ``swissbrain-quota``.
    """
    return f"{sc.namespace.name}-quota"


def limit_range_name(sc: Scenario) -> str:
    """Name used for the namespace's LimitRange in messages (``<namespace>-limits``)."""
    return f"{sc.namespace.name}-limits"


def template_pod(sc: Scenario) -> dict[str, Any]:
    """The pod the ReplicaSet controller would POST, as a Kubernetes-shaped dict.

    ``metadata`` is the template's plus ``namespace`` and ``generateName``
    ``<workload>-`` (a real ReplicaSet uses ``<deployment>-<pod-template-hash>-``; admission
    errors quote it, as ``FailedCreate`` events do). ``spec`` is the template's spec as
    written: no LimitRange defaults, no RuntimeClass overhead yet.
    """
    tmpl = sc.workload.deployment.template
    meta = tmpl.metadata.to_k8s()
    meta.pop("name", None)
    meta["generateName"] = f"{sc.workload.name}-"
    meta["namespace"] = sc.namespace.name
    if not meta.get("labels"):
        meta["labels"] = dict(tmpl.metadata.labels)
    return {"metadata": meta, "spec": tmpl.spec.to_k8s()}


def runtime_class_dict(sc: Scenario) -> dict[str, Any] | None:
    """The scenario's RuntimeClass as a dict, or None."""
    rc = sc.workload.runtimeClass
    return None if rc is None else rc.to_k8s()


def with_runtime_class(sc: Scenario, pod: dict[str, Any]) -> dict[str, Any]:
    """``pod`` after the RuntimeClass admission's ``setOverhead`` (copy).

    The scenario's RuntimeClass is assumed to be the one the pod names (``check`` warns when
    ``runtimeClassName`` does not name it). Raises
    :class:`~capacity.k8s.quota.RuntimeClassError` as the API server would.
    """
    rc = runtime_class_dict(sc)
    if rc is None:
        if (pod.get("spec") or {}).get("overhead"):
            # No RuntimeClass: the admission plugin refuses a pod carrying its own overhead.
            return admit_runtime_class(pod, {})
        return copy.deepcopy(pod)
    return admit_runtime_class(pod, rc)


def defaulted_pod(sc: Scenario) -> tuple[dict[str, Any], list[str]]:
    """The template pod after every *mutating* step of pod creation.

    RuntimeClass overhead (a RuntimeClass error is ignored here: ``check`` reports it),
    ``SetDefaults_Pod`` (requests ← limits), then the LimitRange defaults. Returns the pod
    and the LimitRanger's list of defaulted fields (upstream's annotation fragments).
    LimitRange *validation* is not applied: see ``capacity.analysis.check``.
    """
    pod = template_pod(sc)
    with contextlib.suppress(RuntimeClassError):
        pod = with_runtime_class(sc, pod)
    pod = set_defaults_pod(pod)
    fragments: list[str] = []
    lr = sc.namespace.limitRange
    if lr is not None:
        pod, fragments = limit_range_mutate_pod(pod, set_defaults_limit_range(lr.to_k8s()))
    return pod, fragments


def pod_level_resources_of(sc: Scenario) -> ResourceRequirements | None:
    """The template's pod-level ``spec.resources`` (KEP-2837) after the mutating steps, in
    milli-units, or None when the template sets none. Whether the API server keeps the
    field (the ``PodLevelResources`` gate) is the caller's decision."""
    pod, _ = defaulted_pod(sc)
    res = (pod.get("spec") or {}).get("resources")
    if not res or not (res.get("requests") or res.get("limits")):
        return None
    return ResourceRequirements(requests=resource_list(res.get("requests")),
                                limits=resource_list(res.get("limits")))


class AdmissionModel:
    """Whether the ReplicaSet's next pod is admitted, given the pods already charged.

    ``admit(n_charged)`` returns None when admitted, else the ``FailedCreate`` message
    (``pods "<name>-" is forbidden: ...``). Results depend only on ``n_charged`` and are
    cached.
    """

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.generate_name = f"{sc.workload.name}-"
        self.rejection: str | None = None
        self.quota: dict[str, Any] | None = None
        self.per_pod: dict[str, Quantity] = {}
        self.other: dict[str, Quantity] = {}
        self._cache: dict[int, str | None] = {}
        pod = template_pod(sc)
        try:
            pod = with_runtime_class(sc, pod)
            lr = sc.namespace.limitRange
            pod = admit_limit_range(pod, [lr.to_k8s()] if lr is not None else [])
        except AdmissionError as e:
            self.rejection = str(e)
            return
        self.pod = pod
        rq = sc.namespace.resourceQuota
        if rq is None:
            return
        spec = rq.to_k8s()
        if not quota_matches(spec, pod):
            return
        hard = spec.get("hard") or {}
        try:
            quota_constraints(set(hard), pod)
        except AdmissionError as e:
            self.rejection = str(e)
            return
        self.quota = spec
        self.hard = hard
        self.per_pod = pod_usage(pod)
        self.other = {k: Quantity.parse(v) for k, v in sc.namespace.otherUsage.items()}

    def admit(self, n_charged: int) -> str | None:
        if self.rejection is not None:
            return self.rejection
        if self.quota is None:
            return None
        if n_charged in self._cache:
            return self._cache[n_charged]
        used = add(self.other, scale_usage(self.per_pod, n_charged)) if n_charged else dict(self.other)
        used = mask(used, self.hard.keys())
        try:
            check_request([(quota_name(self.sc), self.hard, used)], self.per_pod)
            msg = None
        except QuotaExceededError as e:
            msg = f'pods "{self.generate_name}" is forbidden: {e}'
        self._cache[n_charged] = msg
        return msg
