"""LimitRange admission: tables ported from upstream, the Kubernetes docs manifest, the seed.

Upstream tables: kubernetes/kubernetes ``plugin/pkg/admission/limitranger/admission_test.go``
(``TestDefaultContainerResourceRequirements``, ``TestMergePodResourceRequirements``,
``TestPodLimitFunc``, ``TestPodLimitFuncApplyDefault``). Upstream's error table only asserts
that an error is returned; the exact messages below are worked out by hand from the
message formats in ``admission.go`` (the arithmetic is in each row's comment).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from capacity.k8s.limitrange import (
    LIMIT_RANGER_ANNOTATION,
    AdmissionError,
    LimitRangeError,
    admit_limit_range,
    aggregate_errors,
    default_container_resource_requirements,
    limit_range_mutate_pod,
    limit_range_validate_pod,
    set_defaults_limit_range,
    set_defaults_limit_range_item,
    set_defaults_pod,
)
from capacity.k8s.quantity import Quantity

DATA = Path(__file__).resolve().parent.parent / "data" / "kubernetes__website"

# --------------------------------------------------------------------------- builders
# Shapes of upstream's test helpers (validPod, validPodInit, withRestartableInitContainer,
# createLimitRange, getComputeResourceList, getLocalStorageResourceList), as dicts.


def cm(cpu: str = "", memory: str = "") -> dict[str, str]:
    out = {}
    if cpu:
        out["cpu"] = cpu
    if memory:
        out["memory"] = memory
    return out


def eph(storage: str = "") -> dict[str, str]:
    return {"ephemeral-storage": storage} if storage else {}


def rr(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> dict:
    return {"requests": dict(requests or {}), "limits": dict(limits or {})}


def pod(name: str, n: int, resources: dict, *init: dict) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "test"},
        "spec": {
            "containers": [
                {"name": f"foo-{i}", "image": f"foo:V{i}", "resources": copy.deepcopy(resources)}
                for i in range(n)
            ],
            "initContainers": [
                {"name": f"foo-{i}", "image": f"foo:V{i}", "resources": copy.deepcopy(r)}
                for i, r in enumerate(init)
            ],
        },
    }


def with_sidecar(p: dict, requests: dict, limits: dict) -> dict:
    p = copy.deepcopy(p)
    i = len(p["spec"]["initContainers"])
    p["spec"]["initContainers"].append(
        {"name": f"foo-{i}", "restartPolicy": "Always", "resources": rr(requests, limits)}
    )
    return p


def lr(
    kind: str,
    min: dict | None = None,
    max: dict | None = None,
    default: dict | None = None,
    default_request: dict | None = None,
    ratio: dict | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"type": kind}
    for key, val in (
        ("min", min),
        ("max", max),
        ("default", default),
        ("defaultRequest", default_request),
        ("maxLimitRequestRatio", ratio),
    ):
        if val:
            item[key] = val
    return {"limits": [item]}


C, P = "Container", "Pod"


def valid_limit_range() -> dict[str, Any]:
    """Upstream ``validLimitRange()``."""
    return {
        "limits": [
            {"type": "Pod", "max": cm("200m", "4Gi"), "min": cm("50m", "2Mi")},
            {
                "type": "Container",
                "max": cm("100m", "2Gi"),
                "min": cm("25m", "1Mi"),
                "default": cm("75m", "10Mi"),
                "defaultRequest": cm("50m", "5Mi"),
            },
        ]
    }


def q(resources: dict) -> dict[str, Quantity]:
    return {k: Quantity.parse(v) for k, v in resources.items()}


def resources_of(c: dict) -> tuple[dict[str, Quantity], dict[str, Quantity]]:
    res = c.get("resources") or {}
    return q(res.get("requests") or {}), q(res.get("limits") or {})


# --------------------------------------------------------------------------- defaulting


def test_default_container_resource_requirements() -> None:
    requests, limits = default_container_resource_requirements(valid_limit_range())
    assert q(requests) == q(cm("50m", "5Mi"))
    assert q(limits) == q(cm("75m", "10Mi"))


@pytest.mark.parametrize(
    ("item", "default", "default_request"),
    [
        # max only: default <- max, then defaultRequest <- default
        ({"type": C, "max": cm("2", "1Gi")}, cm("2", "1Gi"), cm("2", "1Gi")),
        # default only: defaultRequest <- default
        ({"type": C, "default": cm("500m")}, cm("500m"), cm("500m")),
        # min only: no default limit; defaultRequest <- min
        ({"type": C, "min": cm("100m", "64Mi")}, None, cm("100m", "64Mi")),
        # max and min: default <- max wins over min for the request (default runs first)
        ({"type": C, "min": cm("100m"), "max": cm("2")}, cm("2"), cm("2")),
        # explicit values are kept; only missing keys are filled
        (
            {"type": C, "max": cm("4", "8Gi"), "default": cm("500m"), "defaultRequest": cm("100m")},
            cm("500m", "8Gi"),
            cm("100m", "8Gi"),
        ),
    ],
)
def test_set_defaults_limit_range_item(
    item: dict, default: dict | None, default_request: dict | None
) -> None:
    before = copy.deepcopy(item)
    out = set_defaults_limit_range_item(item)
    assert item == before  # argument untouched
    assert out.get("default") == default
    assert out.get("defaultRequest") == default_request


def test_set_defaults_leaves_pod_items_alone() -> None:
    item = {"type": P, "max": cm("2", "1Gi"), "min": cm("1")}
    assert set_defaults_limit_range_item(item) == item


def test_set_defaults_pod_copies_limits_to_missing_requests() -> None:
    # SetDefaults_Pod runs at decode time, before admission, for containers and init
    p = pod("p", 1, rr(cm("", "64Mi"), cm("500m", "128Mi")), rr(None, cm("1")))
    out = set_defaults_pod(p)
    assert out["spec"]["containers"][0]["resources"]["requests"] == cm("500m", "64Mi")
    assert out["spec"]["initContainers"][0]["resources"]["requests"] == cm("1")
    assert p["spec"]["containers"][0]["resources"]["requests"] == cm("", "64Mi")


# --------------------------------------------------------------------------- mutation


def test_merge_pod_resource_requirements_empty() -> None:
    out, fragments = limit_range_mutate_pod(pod("empty-resources", 1, rr()), valid_limit_range())
    requests, limits = resources_of(out["spec"]["containers"][0])
    assert requests == q(cm("50m", "5Mi"))
    assert limits == q(cm("75m", "10Mi"))
    assert out["metadata"]["annotations"][LIMIT_RANGER_ANNOTATION] == (
        "LimitRanger plugin set: cpu, memory request for container foo-0; "
        "cpu, memory limit for container foo-0"
    )
    assert fragments == [
        "cpu, memory request for container foo-0",
        "cpu, memory limit for container foo-0",
    ]


def test_merge_pod_resource_requirements_partial_and_init() -> None:
    given = rr(cm("", "512Mi"))
    out, _ = limit_range_mutate_pod(pod("limit-memory", 1, given, given), valid_limit_range())
    for c in out["spec"]["containers"] + out["spec"]["initContainers"]:
        requests, limits = resources_of(c)
        assert requests == q(cm("50m", "512Mi"))
        assert limits == q(cm("75m", "10Mi"))
    # Upstream's expected annotation names only "container foo-0": its init container is
    # also named foo-0 and gets the same fragments, which we list as upstream builds them.
    assert out["metadata"]["annotations"][LIMIT_RANGER_ANNOTATION] == (
        "LimitRanger plugin set: cpu request for container foo-0; "
        "cpu, memory limit for container foo-0; "
        "cpu request for init container foo-0; cpu, memory limit for init container foo-0"
    )


def test_merge_pod_resource_requirements_complete_pod_untouched() -> None:
    given = rr(cm("100m", "512Mi"), cm("200m", "1G"))
    init = rr(cm("200m", "1G"), cm("400m", "2G"))
    p = pod("limit-memory", 1, given, init)
    out, fragments = limit_range_mutate_pod(p, valid_limit_range())
    assert fragments == []
    assert out == p
    assert "annotations" not in out["metadata"]


def test_pod_limit_func_apply_default() -> None:
    p = pod("foo", 1, rr(), rr())
    out, _ = limit_range_mutate_pod(p, valid_limit_range())
    for c in out["spec"]["containers"] + out["spec"]["initContainers"]:
        requests, limits = resources_of(c)
        assert str(limits["memory"]) == "10Mi"
        assert str(limits["cpu"]) == "75m"
        assert str(requests["memory"]) == "5Mi"
        assert str(requests["cpu"]) == "50m"


# --------------------------------------------------------------------------- TestPodLimitFunc

SUCCESS_CASES = [
    (pod("ctr-min-cpu-request", 1, rr(cm("100m"))), lr(C, min=cm("50m"))),
    (pod("ctr-min-cpu-request-limit", 1, rr(cm("100m"), cm("200m"))), lr(C, min=cm("50m"))),
    (pod("ctr-min-memory-request", 1, rr(cm("", "60Mi"))), lr(C, min=cm("", "50Mi"))),
    (
        pod("ctr-min-memory-request-limit", 1, rr(cm("", "60Mi"), cm("", "100Mi"))),
        lr(C, min=cm("", "50Mi")),
    ),
    (pod("ctr-max-cpu-request-limit", 1, rr(cm("500m"), cm("1"))), lr(C, max=cm("2"))),
    (pod("ctr-max-cpu-limit", 1, rr(None, cm("1"))), lr(C, max=cm("2"))),
    (
        pod("ctr-max-mem-request-limit", 1, rr(cm("", "250Mi"), cm("", "500Mi"))),
        lr(C, max=cm("", "1Gi")),
    ),
    (pod("ctr-max-cpu-ratio", 1, rr(cm("500m"), cm("750m"))), lr(C, ratio=cm("1.5"))),
    (pod("ctr-max-mem-limit", 1, rr(None, cm("", "500Mi"))), lr(C, max=cm("", "1Gi"))),
    (pod("pod-min-cpu-request", 2, rr(cm("75m"))), lr(P, min=cm("100m"))),
    (pod("pod-min-cpu-request-limit", 2, rr(cm("75m"), cm("200m"))), lr(P, min=cm("100m"))),
    (pod("pod-min-memory-request", 2, rr(cm("", "60Mi"))), lr(P, min=cm("", "100Mi"))),
    (
        pod("pod-min-memory-request-limit", 2, rr(cm("", "60Mi"), cm("", "100Mi"))),
        lr(P, min=cm("", "100Mi")),
    ),
    (
        pod("pod-init-min-memory-request", 2, rr(cm("", "60Mi")), rr(cm("", "100Mi"))),
        lr(P, min=cm("", "100Mi")),
    ),
    (
        pod(
            "pod-init-min-memory-request-limit",
            2,
            rr(cm("", "60Mi"), cm("", "100Mi")),
            rr(cm("", "80Mi"), cm("", "100Mi")),
        ),
        lr(P, min=cm("", "100Mi")),
    ),
    (pod("pod-max-cpu-request-limit", 2, rr(cm("500m"), cm("1"))), lr(P, max=cm("2"))),
    (pod("pod-max-cpu-limit", 2, rr(None, cm("1"))), lr(P, max=cm("2"))),
    (
        pod(
            "pod-init-max-cpu-request-limit",
            2,
            rr(cm("500m"), cm("1")),
            rr(cm("1"), cm("2")),
            rr(cm("1"), cm("1")),
        ),
        lr(P, max=cm("2")),
    ),
    (
        pod("pod-init-max-cpu-limit", 2, rr(None, cm("1")), rr(None, cm("2")), rr(None, cm("2"))),
        lr(P, max=cm("2")),
    ),
    (
        pod("pod-max-mem-request-limit", 2, rr(cm("", "250Mi"), cm("", "500Mi"))),
        lr(P, max=cm("", "1Gi")),
    ),
    (pod("pod-max-mem-limit", 2, rr(None, cm("", "500Mi"))), lr(P, max=cm("", "1Gi"))),
    (
        pod("pod-max-mem-ratio", 3, rr(cm("", "300Mi"), cm("", "450Mi"))),
        lr(P, max=cm("", "2Gi"), ratio=cm("", "1.5")),
    ),
    (pod("ctr-1-min-les-request", 1, rr(eph("60Mi"))), lr(C, min=eph("50Mi"))),
    (pod("ctr-1-min-les-request-limit", 1, rr(eph("60Mi"), eph("100Mi"))), lr(C, min=eph("50Mi"))),
    (pod("ctr-1-max-les-request-limit", 1, rr(eph("250Mi"), eph("500Mi"))), lr(C, max=eph("1Gi"))),
    (pod("ctr-1-max-les-limit", 1, rr(None, eph("500Mi"))), lr(C, max=eph("1Gi"))),
    (pod("ctr-2-min-les-request", 2, rr(eph("60Mi"))), lr(C, min=eph("50Mi"))),
    (pod("ctr-2-min-les-request-limit", 2, rr(eph("60Mi"), eph("100Mi"))), lr(C, min=eph("50Mi"))),
    (
        pod("ctr-2-max-les-request-limit", 2, rr(eph("250Mi"), eph("500Mi"))),
        lr(C, max=eph("600Mi")),
    ),
    (pod("ctr-2-max-les-limit", 2, rr(None, eph("500Mi"))), lr(C, max=eph("600Mi"))),
    (pod("pod-min-les-request", 2, rr(eph("60Mi"))), lr(P, min=eph("100Mi"))),
    (pod("pod-min-les-request-limit", 2, rr(eph("60Mi"), eph("100Mi"))), lr(P, min=eph("100Mi"))),
    (
        pod("pod-init-min-les-request", 2, rr(eph("60Mi")), rr(eph("100Mi"))),
        lr(P, min=eph("100Mi")),
    ),
    (
        pod(
            "pod-init-min-les-request-limit",
            2,
            rr(eph("60Mi"), eph("100Mi")),
            rr(eph("80Mi"), eph("100Mi")),
        ),
        lr(P, min=eph("100Mi")),
    ),
    (pod("pod-max-les-request-limit", 2, rr(eph("250Mi"), eph("500Mi"))), lr(P, max=eph("1Gi"))),
    (pod("pod-max-les-limit", 2, rr(None, eph("500Mi"))), lr(P, max=eph("1Gi"))),
    (
        pod("pod-max-les-ratio", 3, rr(eph("300Mi"), eph("450Mi"))),
        lr(P, max=eph("2Gi"), ratio=eph("1.5")),
    ),
]


@pytest.mark.parametrize(
    ("p", "limit_range"), SUCCESS_CASES, ids=[c[0]["metadata"]["name"] for c in SUCCESS_CASES]
)
def test_pod_limit_func_success(p: dict, limit_range: dict) -> None:
    mutated, _ = limit_range_mutate_pod(p, limit_range)
    assert limit_range_validate_pod(mutated, limit_range) == []


def _mc(kind: str, res: str, val: str) -> str:
    return f"minimum {res} usage per {kind} is {val}"


def _xc(kind: str, res: str, val: str) -> str:
    return f"maximum {res} usage per {kind} is {val}"


ERROR_CASES = [
    # 40m < 50m
    (
        pod("ctr-min-cpu-request", 1, rr(cm("40m"))),
        lr(C, min=cm("50m")),
        _mc(C, "cpu", "50m") + ", but request is 40m",
    ),
    (
        pod("ctr-min-cpu-request-limit", 1, rr(cm("40m"), cm("200m"))),
        lr(C, min=cm("50m")),
        _mc(C, "cpu", "50m") + ", but request is 40m",
    ),
    (
        pod("ctr-min-cpu-no-request-limit", 1, rr()),
        lr(C, min=cm("50m")),
        _mc(C, "cpu", "50m") + ".  No request is specified",
    ),
    (
        pod("ctr-min-memory-request", 1, rr(cm("", "40Mi"))),
        lr(C, min=cm("", "50Mi")),
        _mc(C, "memory", "50Mi") + ", but request is 40Mi",
    ),
    (
        pod("ctr-min-memory-request-limit", 1, rr(cm("", "40Mi"), cm("", "100Mi"))),
        lr(C, min=cm("", "50Mi")),
        _mc(C, "memory", "50Mi") + ", but request is 40Mi",
    ),
    (
        pod("ctr-min-memory-no-request-limit", 1, rr()),
        lr(C, min=cm("", "50Mi")),
        _mc(C, "memory", "50Mi") + ".  No request is specified",
    ),
    # 2500m > 2 (the limit is checked before the request)
    (
        pod("ctr-max-cpu-request-limit", 1, rr(cm("500m"), cm("2500m"))),
        lr(C, max=cm("2")),
        _xc(C, "cpu", "2") + ", but limit is 2500m",
    ),
    (
        pod("ctr-max-cpu-limit", 1, rr(None, cm("2500m"))),
        lr(C, max=cm("2")),
        _xc(C, "cpu", "2") + ", but limit is 2500m",
    ),
    (
        pod("ctr-max-cpu-no-request-limit", 1, rr()),
        lr(C, max=cm("2")),
        _xc(C, "cpu", "2") + ".  No limit is specified",
    ),
    # 2500m / 1250m = 2 > 1
    (
        pod("ctr-max-cpu-ratio", 1, rr(cm("1250m"), cm("2500m"))),
        lr(C, ratio=cm("1")),
        "cpu max limit to request ratio per Container is 1, but provided ratio is 2.000000",
    ),
    (
        pod("ctr-max-mem-request-limit", 1, rr(cm("", "250Mi"), cm("", "2Gi"))),
        lr(C, max=cm("", "1Gi")),
        _xc(C, "memory", "1Gi") + ", but limit is 2Gi",
    ),
    (
        pod("ctr-max-mem-limit", 1, rr(None, cm("", "2Gi"))),
        lr(C, max=cm("", "1Gi")),
        _xc(C, "memory", "1Gi") + ", but limit is 2Gi",
    ),
    (
        pod("ctr-max-mem-no-request-limit", 1, rr()),
        lr(C, max=cm("", "1Gi")),
        _xc(C, "memory", "1Gi") + ".  No limit is specified",
    ),
    # one container: pod request 75m < 100m
    (
        pod("pod-min-cpu-request", 1, rr(cm("75m"))),
        lr(P, min=cm("100m")),
        _mc(P, "cpu", "100m") + ", but request is 75m",
    ),
    (
        pod("pod-min-cpu-request-limit", 1, rr(cm("75m"), cm("200m"))),
        lr(P, min=cm("100m")),
        _mc(P, "cpu", "100m") + ", but request is 75m",
    ),
    (
        pod("pod-min-memory-request", 1, rr(cm("", "60Mi"))),
        lr(P, min=cm("", "100Mi")),
        _mc(P, "memory", "100Mi") + ", but request is 60Mi",
    ),
    (
        pod("pod-min-memory-request-limit", 1, rr(cm("", "60Mi"), cm("", "100Mi"))),
        lr(P, min=cm("", "100Mi")),
        _mc(P, "memory", "100Mi") + ", but request is 60Mi",
    ),
    # 3 x 1 = 3 > 2
    (
        pod("pod-max-cpu-request-limit", 3, rr(cm("500m"), cm("1"))),
        lr(P, max=cm("2")),
        _xc(P, "cpu", "2") + ", but limit is 3",
    ),
    (
        pod("pod-max-cpu-limit", 3, rr(None, cm("1"))),
        lr(P, max=cm("2")),
        _xc(P, "cpu", "2") + ", but limit is 3",
    ),
    # 3 x 500Mi = 1500Mi > 1Gi
    (
        pod("pod-max-mem-request-limit", 3, rr(cm("", "250Mi"), cm("", "500Mi"))),
        lr(P, max=cm("", "1Gi")),
        _xc(P, "memory", "1Gi") + ", but limit is 1500Mi",
    ),
    (
        pod("pod-max-mem-limit", 3, rr(None, cm("", "500Mi"))),
        lr(P, max=cm("", "1Gi")),
        _xc(P, "memory", "1Gi") + ", but limit is 1500Mi",
    ),
    # init container rule: max(500Mi, 1.5Gi = 1536Mi) = 1536Mi > 1Gi
    (
        pod("pod-init-max-mem-limit", 1, rr(None, cm("", "500Mi")), rr(None, cm("", "1.5Gi"))),
        lr(P, max=cm("", "1Gi")),
        _xc(P, "memory", "1Gi") + ", but limit is 1536Mi",
    ),
    # 1500Mi / 750Mi = 2 > 1.5 (printed 1500m)
    (
        pod("pod-max-mem-ratio", 3, rr(cm("", "250Mi"), cm("", "500Mi"))),
        lr(P, max=cm("", "2Gi"), ratio=cm("", "1.5")),
        "memory max limit to request ratio per Pod is 1500m, but provided ratio is 2.000000",
    ),
    (
        pod("ctr-1-min-les-request", 1, rr(eph("40Mi"))),
        lr(C, min=eph("50Mi")),
        _mc(C, "ephemeral-storage", "50Mi") + ", but request is 40Mi",
    ),
    (
        pod("ctr-1-min-les-request-limit", 1, rr(eph("40Mi"), eph("100Mi"))),
        lr(C, min=eph("50Mi")),
        _mc(C, "ephemeral-storage", "50Mi") + ", but request is 40Mi",
    ),
    (
        pod("ctr-1-min-les-no-request-limit", 1, rr()),
        lr(C, min=eph("50Mi")),
        _mc(C, "ephemeral-storage", "50Mi") + ".  No request is specified",
    ),
    (
        pod("ctr-1-max-les-request-limit", 1, rr(eph("250Mi"), eph("2Gi"))),
        lr(C, max=eph("1Gi")),
        _xc(C, "ephemeral-storage", "1Gi") + ", but limit is 2Gi",
    ),
    (
        pod("ctr-1-max-les-limit", 1, rr(None, eph("2Gi"))),
        lr(C, max=eph("1Gi")),
        _xc(C, "ephemeral-storage", "1Gi") + ", but limit is 2Gi",
    ),
    (
        pod("ctr-1-max-les-no-request-limit", 1, rr()),
        lr(C, max=eph("1Gi")),
        _xc(C, "ephemeral-storage", "1Gi") + ".  No limit is specified",
    ),
    # two identical containers give two identical errors, reported once (NewAggregate)
    (
        pod("ctr-2-min-les-request", 2, rr(eph("40Mi"))),
        lr(C, min=eph("50Mi")),
        _mc(C, "ephemeral-storage", "50Mi") + ", but request is 40Mi",
    ),
    (
        pod("ctr-2-min-les-request-limit", 2, rr(eph("40Mi"), eph("100Mi"))),
        lr(C, min=eph("50Mi")),
        _mc(C, "ephemeral-storage", "50Mi") + ", but request is 40Mi",
    ),
    (
        pod("ctr-2-min-les-no-request-limit", 2, rr()),
        lr(C, min=eph("50Mi")),
        _mc(C, "ephemeral-storage", "50Mi") + ".  No request is specified",
    ),
    (
        pod("ctr-2-max-les-request-limit", 2, rr(eph("250Mi"), eph("2Gi"))),
        lr(C, max=eph("1Gi")),
        _xc(C, "ephemeral-storage", "1Gi") + ", but limit is 2Gi",
    ),
    (
        pod("ctr-2-max-les-limit", 2, rr(None, eph("2Gi"))),
        lr(C, max=eph("1Gi")),
        _xc(C, "ephemeral-storage", "1Gi") + ", but limit is 2Gi",
    ),
    (
        pod("ctr-2-max-les-no-request-limit", 2, rr()),
        lr(C, max=eph("1Gi")),
        _xc(C, "ephemeral-storage", "1Gi") + ".  No limit is specified",
    ),
    (
        pod("pod-min-les-request", 1, rr(eph("60Mi"))),
        lr(P, min=eph("100Mi")),
        _mc(P, "ephemeral-storage", "100Mi") + ", but request is 60Mi",
    ),
    (
        pod("pod-min-les-request-limit", 1, rr(eph("60Mi"), eph("100Mi"))),
        lr(P, min=eph("100Mi")),
        _mc(P, "ephemeral-storage", "100Mi") + ", but request is 60Mi",
    ),
    (
        pod("pod-max-les-request-limit", 3, rr(eph("250Mi"), eph("500Mi"))),
        lr(P, max=eph("1Gi")),
        _xc(P, "ephemeral-storage", "1Gi") + ", but limit is 1500Mi",
    ),
    (
        pod("pod-max-les-limit", 3, rr(None, eph("500Mi"))),
        lr(P, max=eph("1Gi")),
        _xc(P, "ephemeral-storage", "1Gi") + ", but limit is 1500Mi",
    ),
    (
        pod("pod-init-max-les-limit", 1, rr(None, eph("500Mi")), rr(None, eph("1.5Gi"))),
        lr(P, max=eph("1Gi")),
        _xc(P, "ephemeral-storage", "1Gi") + ", but limit is 1536Mi",
    ),
    (
        pod("pod-max-les-ratio", 3, rr(eph("250Mi"), eph("500Mi"))),
        lr(P, max=eph("2Gi"), ratio=eph("1.5")),
        "ephemeral-storage max limit to request ratio per Pod is 1500m, but provided ratio is 2.000000",
    ),
    # sidecar rule: limits 1500m (sidecar has none); requests 1000m + 1500m = 2500m > 2
    (
        with_sidecar(
            pod("ctr-max-cpu-limit-restartable-init-container", 1, rr(cm("1000m"), cm("1500m"))),
            cm("1500m"),
            {},
        ),
        lr(P, max=cm("2")),
        _xc(P, "cpu", "2") + ", but request is 2500m",
    ),
]


@pytest.mark.parametrize(
    ("p", "limit_range", "message"),
    ERROR_CASES,
    ids=[c[0]["metadata"]["name"] for c in ERROR_CASES],
)
def test_pod_limit_func_error(p: dict, limit_range: dict, message: str) -> None:
    mutated, _ = limit_range_mutate_pod(p, limit_range)
    errors = limit_range_validate_pod(mutated, limit_range)
    assert errors, "expected a violation"
    assert aggregate_errors(errors) == message


# --------------------------------------------------------------------------- our own cases


def test_container_rules_apply_to_init_containers() -> None:
    # the app container is fine; the init container's 3-cpu limit breaks max 2
    p = pod("init-too-big", 1, rr(cm("1"), cm("1")), rr(cm("1"), cm("3")))
    assert limit_range_validate_pod(p, lr(C, max=cm("2"))) == [
        "maximum cpu usage per Container is 2, but limit is 3"
    ]


def test_pod_type_ignores_runtime_class_overhead() -> None:
    # limitranger's podRequests/podLimits leave spec.overhead out: 1 + 250m would break max 1
    p = pod("with-overhead", 1, rr(cm("1"), cm("1")))
    p["spec"]["overhead"] = cm("250m")
    assert limit_range_validate_pod(p, lr(P, max=cm("1"))) == []


def test_several_different_errors_are_bracketed() -> None:
    # request 10m < min 50m, and limit 3 > max 2: both reported, min first
    p = pod("two-errors", 1, rr(cm("10m"), cm("3")))
    limit_range = {"limits": [{"type": C, "min": cm("50m"), "max": cm("2")}]}
    errors = limit_range_validate_pod(p, limit_range)
    assert aggregate_errors(errors) == (
        "[minimum cpu usage per Container is 50m, but request is 10m, "
        "maximum cpu usage per Container is 2, but limit is 3]"
    )


def test_ratio_needs_a_non_zero_request() -> None:
    p = pod("zero-request", 1, rr(cm("0"), cm("1")))
    assert limit_range_validate_pod(p, lr(C, ratio=cm("4"))) == [
        "cpu max limit to request ratio per Container is 4, "
        "but no request is specified or request is 0"
    ]


def test_admit_reports_the_first_violated_limit_range() -> None:
    p = pod("x", 1, rr(cm("10m"), cm("3")))
    first = lr(C, max=cm("2"))
    second = lr(C, min=cm("50m"))
    with pytest.raises(LimitRangeError) as err:
        admit_limit_range(p, [first, second])
    assert str(err.value) == (
        'pods "x" is forbidden: maximum cpu usage per Container is 2, but limit is 3'
    )
    assert err.value.reason == "maximum cpu usage per Container is 2, but limit is 3"
    assert isinstance(err.value, AdmissionError)


def test_admit_uses_generate_name_when_unnamed() -> None:
    p = pod("", 1, rr(cm("10m"), cm("10m")))
    p["metadata"] = {"generateName": "web-5d8f9c7b6-"}
    with pytest.raises(LimitRangeError, match=r'^pods "web-5d8f9c7b6-" is forbidden: minimum'):
        admit_limit_range(p, [lr(C, min=cm("50m"))])


# --------------------------------------------------------------------------- docs manifest


def _load(name: str) -> dict[str, Any]:
    with open(DATA / name, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    assert len(docs) == 1
    return docs[0]


@pytest.fixture(scope="module")
def docs_limit_range() -> dict[str, Any]:
    obj = _load("limit-mem-cpu-container.yaml")
    assert obj["kind"] == "LimitRange"
    assert obj["metadata"]["name"] == "limit-mem-cpu-per-container"
    return obj


def test_docs_limit_range_is_already_complete(docs_limit_range: dict) -> None:
    # it sets default and defaultRequest for both resources, so API defaulting adds nothing
    assert set_defaults_limit_range(docs_limit_range) == docs_limit_range["spec"]


def busybox(name: str, requests: dict | None = None, limits: dict | None = None) -> dict:
    c: dict[str, Any] = {"name": name, "image": "busybox:1.28"}
    if requests is not None or limits is not None:
        c["resources"] = {}
        if requests is not None:
            c["resources"]["requests"] = requests
        if limits is not None:
            c["resources"]["limits"] = limits
    return c


def test_docs_four_container_pod_is_admitted_with_defaults(docs_limit_range: dict) -> None:
    # The docs' four-container example: full, requests only, limits only, nothing.
    p = {
        "metadata": {"name": "busybox1"},
        "spec": {
            "containers": [
                busybox("busybox-cnt01", cm("100m", "100Mi"), cm("500m", "200Mi")),
                busybox("busybox-cnt02", cm("100m", "100Mi")),
                busybox("busybox-cnt03", None, cm("500m", "200Mi")),
                busybox("busybox-cnt04"),
            ]
        },
    }
    out = admit_limit_range(p, [docs_limit_range])
    got = [resources_of(c) for c in out["spec"]["containers"]]
    # cnt01 unchanged: 100m >= min 100m, 500m <= max 800m, 100Mi >= 99Mi, 200Mi <= 1Gi
    assert got[0] == (q(cm("100m", "100Mi")), q(cm("500m", "200Mi")))
    # cnt02: limits from `default` 700m / 900Mi
    assert got[1] == (q(cm("100m", "100Mi")), q(cm("700m", "900Mi")))
    # cnt03: requests copied from its own limits at decode time, not from defaultRequest
    assert got[2] == (q(cm("500m", "200Mi")), q(cm("500m", "200Mi")))
    # cnt04: defaultRequest 110m / 111Mi and default 700m / 900Mi
    assert got[3] == (q(cm("110m", "111Mi")), q(cm("700m", "900Mi")))
    assert out["metadata"]["annotations"][LIMIT_RANGER_ANNOTATION] == (
        "LimitRanger plugin set: cpu, memory limit for container busybox-cnt02; "
        "cpu, memory request for container busybox-cnt04; "
        "cpu, memory limit for container busybox-cnt04"
    )


@pytest.mark.parametrize(
    ("container", "reason"),
    [
        # 50m < min 100m
        (
            busybox("c", cm("50m", "100Mi"), cm("500m", "200Mi")),
            "minimum cpu usage per Container is 100m, but request is 50m",
        ),
        # 1500Mi > max 1Gi
        (
            busybox("c", cm("100m", "100Mi"), cm("500m", "1500Mi")),
            "maximum memory usage per Container is 1Gi, but limit is 1500Mi",
        ),
        # limits only, 900m: request copied (900m) and limit both exceed 800m; limit reported
        (
            busybox("c", None, cm("900m")),
            "maximum cpu usage per Container is 800m, but limit is 900m",
        ),
        # requests only, 64Mi < 99Mi; the default limit 900Mi is fine
        (
            busybox("c", cm("", "64Mi")),
            "minimum memory usage per Container is 99Mi, but request is 64Mi",
        ),
    ],
)
def test_docs_limit_range_rejects(docs_limit_range: dict, container: dict, reason: str) -> None:
    p = {"metadata": {"name": "bad"}, "spec": {"containers": [container]}}
    with pytest.raises(LimitRangeError) as err:
        admit_limit_range(p, [docs_limit_range])
    assert str(err.value) == f'pods "bad" is forbidden: {reason}'


# --------------------------------------------------------------------------- the seed
# seed/000_1bea6a817f74417e.md: sandbox-executor, namespace swissbrain. The seed lists the
# LimitRange values but not their layout. Assumption tested first: maxLimitRequestRatio (4)
# sits in the Container item for cpu and memory, as in the Kubernetes docs' examples. The
# seed's init container ("pre-flight checks") has unknown resources: assumed to set none.

SEED_APP = {
    "name": "sandbox-executor",
    "image": "sandbox-executor:latest",
    "resources": {
        "requests": {"cpu": "250m", "memory": "512Mi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "1000m", "memory": "2Gi", "ephemeral-storage": "5Gi"},
    },
}
SEED_INIT = {"name": "preflight", "image": "sandbox-executor:latest"}
SEED_POD = {
    "metadata": {"generateName": "sandbox-executor-7d9f8b6c4-", "namespace": "swissbrain"},
    "spec": {
        "runtimeClassName": "gvisor",
        "containers": [SEED_APP],
        "initContainers": [SEED_INIT],
    },
}
SEED_CONTAINER_ITEM = {
    "type": "Container",
    "default": {"cpu": "500m", "memory": "1Gi"},
    "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
    "max": {"cpu": "4", "memory": "8Gi"},
}
SEED_RATIO = {"cpu": "4", "memory": "4"}
SEED_POD_ITEM = {"type": "Pod", "max": {"cpu": "8", "memory": "16Gi"}}
SEED_LIMIT_RANGE = {
    "limits": [dict(SEED_CONTAINER_ITEM, maxLimitRequestRatio=SEED_RATIO), SEED_POD_ITEM]
}
# the other reading: the ratio applies to pod totals
SEED_LIMIT_RANGE_POD_RATIO = {
    "limits": [SEED_CONTAINER_ITEM, dict(SEED_POD_ITEM, maxLimitRequestRatio=SEED_RATIO)]
}


def test_seed_init_container_is_defaulted_then_rejected() -> None:
    # The init container gets limit 500m / request 100m from the LimitRange: 500/100 = 5 > 4.
    # Memory: 1Gi / 256Mi = 4, not above 4. The app container: 1000m/250m = 4, 2Gi/512Mi = 4.
    mutated, fragments = limit_range_mutate_pod(SEED_POD, SEED_LIMIT_RANGE)
    assert fragments == [
        "cpu, memory request for init container preflight",
        "cpu, memory limit for init container preflight",
    ]
    assert limit_range_validate_pod(mutated, SEED_LIMIT_RANGE) == [
        "cpu max limit to request ratio per Container is 4, but provided ratio is 5.000000"
    ]
    with pytest.raises(LimitRangeError) as err:
        admit_limit_range(SEED_POD, [SEED_LIMIT_RANGE])
    assert str(err.value) == (
        'pods "sandbox-executor-7d9f8b6c4-" is forbidden: cpu max limit to request ratio '
        "per Container is 4, but provided ratio is 5.000000"
    )


def test_seed_with_explicit_init_resources_is_admitted_unchanged() -> None:
    p = copy.deepcopy(SEED_POD)
    p["spec"]["initContainers"][0]["resources"] = {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "400m", "memory": "512Mi"},  # ratio 4 and 4
    }
    out = admit_limit_range(p, [SEED_LIMIT_RANGE])
    assert out == p


def test_seed_with_pod_level_ratio_is_admitted() -> None:
    # Pod totals: requests max(250m, 100m) = 250m, limits max(1000m, 500m) = 1000m: ratio 4;
    # memory max(512Mi, 256Mi) = 512Mi and max(2Gi, 1Gi) = 2Gi: ratio 4. Under max 8 / 16Gi.
    out = admit_limit_range(SEED_POD, [SEED_LIMIT_RANGE_POD_RATIO])
    requests, limits = resources_of(out["spec"]["initContainers"][0])
    assert requests == q(cm("100m", "256Mi"))
    assert limits == q(cm("500m", "1Gi"))
    assert resources_of(out["spec"]["containers"][0]) == resources_of(SEED_APP)
