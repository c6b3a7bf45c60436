"""ResourceQuota admission: upstream tables, the Kubernetes docs quota, the seed, a property.

Upstream tables: kubernetes/kubernetes ``pkg/quota/v1/evaluator/core/pods_test.go``
(``TestPodEvaluatorUsage``, ``TestPodConstraintsFunc``, ``TestPodEvaluatorMatchingScopes``).
Messages follow ``apiserver/pkg/admission/plugin/resourcequota/controller.go``; the docs
case reproduces the message printed on the Kubernetes docs page "Configure Memory and CPU
Quotas for a Namespace".
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.k8s.quantity import Quantity
from capacity.k8s.quota import (
    AdmissionError,
    LimitRangeError,
    QuotaConstraintError,
    QuotaExceededError,
    RuntimeClassError,
    admit_pod,
    admit_resource_quota,
    admit_runtime_class,
    check_request,
    max_replicas_admitted,
    pod_matches_scope,
    pod_usage,
    quota_constraints,
    quota_matches,
    scale_usage,
)
from capacity.k8s.types import Container, Pod
from tests.k8s.test_limitrange import (
    SEED_LIMIT_RANGE,
    SEED_LIMIT_RANGE_POD_RATIO,
    SEED_POD,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "kubernetes__website"


def q(resources: dict[str, Any]) -> dict[str, Quantity]:
    return {k: Quantity.parse(v) for k, v in resources.items()}


def ctr(name: str = "", requests: dict | None = None, limits: dict | None = None) -> dict:
    c: dict[str, Any] = {"name": name, "resources": {}}
    if requests is not None:
        c["resources"]["requests"] = requests
    if limits is not None:
        c["resources"]["limits"] = limits
    return c


def mkpod(
    containers: Sequence[dict] = (),
    init: Sequence[dict] = (),
    name: str = "p",
    **spec: Any,
) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"containers": list(containers), "initContainers": list(init), **spec},
    }


COUNT = {"count/pods": "1"}
CHARGED = {"count/pods": "1", "pods": "1"}

# --------------------------------------------------------------------------- usage


USAGE_CASES = {
    "init container CPU": (
        mkpod(init=[ctr(requests={"cpu": "1m"}, limits={"cpu": "2m"})]),
        {**CHARGED, "requests.cpu": "1m", "limits.cpu": "2m", "cpu": "1m"},
    ),
    "init container MEM": (
        mkpod(init=[ctr(requests={"memory": "1m"}, limits={"memory": "2m"})]),
        {**CHARGED, "requests.memory": "1m", "limits.memory": "2m", "memory": "1m"},
    ),
    "init container local ephemeral storage": (
        mkpod(
            init=[ctr(requests={"ephemeral-storage": "32Mi"}, limits={"ephemeral-storage": "64Mi"})]
        ),
        {
            **CHARGED,
            "ephemeral-storage": "32Mi",
            "requests.ephemeral-storage": "32Mi",
            "limits.ephemeral-storage": "64Mi",
        },
    ),
    "init container hugepages": (
        mkpod(init=[ctr(requests={"hugepages-2Mi": "100Mi"})]),
        {**CHARGED, "hugepages-2Mi": "100Mi", "requests.hugepages-2Mi": "100Mi"},
    ),
    "init container extended resources": (
        mkpod(init=[ctr(requests={"example.com/dongle": "3"}, limits={"example.com/dongle": "3"})]),
        {**CHARGED, "requests.example.com/dongle": "3"},
    ),
    "init container implicit extended resources": (
        mkpod(
            init=[
                ctr(
                    requests={"deviceclass.resource.kubernetes.io/dongle": "3"},
                    limits={"deviceclass.resource.kubernetes.io/dongle": "3"},
                )
            ]
        ),
        {**CHARGED, "requests.deviceclass.resource.kubernetes.io/dongle": "3"},
    ),
    "container CPU": (
        mkpod([ctr(requests={"cpu": "1m"}, limits={"cpu": "2m"})]),
        {**CHARGED, "requests.cpu": "1m", "limits.cpu": "2m", "cpu": "1m"},
    ),
    "container MEM": (
        mkpod([ctr(requests={"memory": "1m"}, limits={"memory": "2m"})]),
        {**CHARGED, "requests.memory": "1m", "limits.memory": "2m", "memory": "1m"},
    ),
    "container local ephemeral storage": (
        mkpod([ctr(requests={"ephemeral-storage": "32Mi"}, limits={"ephemeral-storage": "64Mi"})]),
        {
            **CHARGED,
            "ephemeral-storage": "32Mi",
            "requests.ephemeral-storage": "32Mi",
            "limits.ephemeral-storage": "64Mi",
        },
    ),
    "container hugepages": (
        mkpod([ctr(requests={"hugepages-2Mi": "100Mi"})]),
        {**CHARGED, "hugepages-2Mi": "100Mi", "requests.hugepages-2Mi": "100Mi"},
    ),
    "container extended resources": (
        mkpod([ctr(requests={"example.com/dongle": "3"}, limits={"example.com/dongle": "3"})]),
        {**CHARGED, "requests.example.com/dongle": "3"},
    ),
    "terminated generic count still appears": (
        dict(
            mkpod([ctr(requests={"example.com/dongle": "3"}, limits={"example.com/dongle": "3"})]),
            status={"phase": "Succeeded"},
        ),
        COUNT,
    ),
    # requests: cpu max(4, 1+2) = 4, memory max(100M, 50M+25M) = 100M, dongle max(4, 1+2) = 4
    # limits:   cpu max(8, 2+5) = 8, memory max(200M, 100M+50M) = 200M
    "init container maximums override sum of containers": (
        mkpod(
            [
                ctr(
                    requests={"cpu": "1", "memory": "50M", "example.com/dongle": "1"},
                    limits={"cpu": "2", "memory": "100M", "example.com/dongle": "1"},
                ),
                ctr(
                    requests={"cpu": "2", "memory": "25M", "example.com/dongle": "2"},
                    limits={"cpu": "5", "memory": "50M", "example.com/dongle": "2"},
                ),
            ],
            [
                ctr(
                    requests={"cpu": "4", "memory": "100M", "example.com/dongle": "4"},
                    limits={"cpu": "8", "memory": "200M", "example.com/dongle": "4"},
                ),
                ctr(
                    requests={"cpu": "1", "memory": "50M", "example.com/dongle": "2"},
                    limits={"cpu": "2", "memory": "100M", "example.com/dongle": "2"},
                ),
            ],
        ),
        {
            **CHARGED,
            "requests.cpu": "4",
            "requests.memory": "100M",
            "limits.cpu": "8",
            "limits.memory": "200M",
            "cpu": "4",
            "memory": "100M",
            "requests.example.com/dongle": "4",
        },
    ),
    # overhead is added to requests and to the limits the pod has: 1+1 = 2, 2+1 = 3
    "count pod overhead as usage": (
        mkpod([ctr(requests={"cpu": "1"}, limits={"cpu": "2"})], overhead={"cpu": "1"}),
        {**CHARGED, "requests.cpu": "2", "limits.cpu": "3", "cpu": "2"},
    ),
}


@pytest.mark.parametrize(("p", "expected"), USAGE_CASES.values(), ids=USAGE_CASES.keys())
def test_pod_usage(p: dict, expected: dict) -> None:
    assert pod_usage(p) == q(expected)


# Deletion cases: upstream puts "now" at the fake clock and the deletion 2 x 30 s earlier.
NOW = 1000.0
_TERMINATING = mkpod(
    [ctr(requests={"cpu": "1", "memory": "50M"}, limits={"cpu": "2", "memory": "100M"})]
)


@pytest.mark.parametrize(
    ("deletion", "now", "charged"),
    [
        (NOW - 60, NOW, False),  # 940 + 30 = 970 < 1000: past grace, only count/pods
        (NOW, NOW, True),  # 1000 + 30 > 1000: still charged
        (NOW - 60, None, True),  # divergence: no clock given, so no grace check
    ],
)
def test_pod_usage_deletion_grace(deletion: float, now: float | None, charged: bool) -> None:
    p = copy.deepcopy(_TERMINATING)
    p["metadata"].update(deletionTimestamp=deletion, deletionGracePeriodSeconds=30)
    usage = pod_usage(p, now=now)
    if charged:
        assert usage["requests.cpu"] == Quantity.parse("1")
        assert usage["pods"] == Quantity.parse("1")
    else:
        assert usage == q(COUNT)


def test_pod_usage_failed_pod_is_not_charged() -> None:
    p = dict(copy.deepcopy(_TERMINATING), status={"phase": "Failed"})
    assert pod_usage(p) == q(COUNT)


def test_pod_usage_overhead_only_on_existing_limits() -> None:
    # requests: cpu 500m + 250m = 750m, memory 256Mi + 120Mi = 376Mi;
    # limits: cpu 1 + 250m = 1250m; no memory limit, so none is invented from the overhead
    p = mkpod(
        [ctr(requests={"cpu": "500m", "memory": "256Mi"}, limits={"cpu": "1"})],
        overhead={"cpu": "250m", "memory": "120Mi"},
    )
    usage = pod_usage(p)
    assert usage["requests.cpu"] == Quantity.parse("750m")
    assert usage["requests.memory"] == Quantity.parse("376Mi")
    assert usage["limits.cpu"] == Quantity.parse("1250m")
    assert "limits.memory" not in usage


def test_pod_usage_sidecar_is_summed() -> None:
    # app 200m + sidecar 100m = 300m beats the 250m plain init step (which also runs beside
    # the sidecar declared before it: 250m + 100m = 350m wins overall)
    p = mkpod(
        [ctr("app", {"cpu": "200m"})],
        [
            dict(ctr("proxy", {"cpu": "100m"}), restartPolicy="Always"),
            ctr("migrate", {"cpu": "250m"}),
        ],
    )
    assert pod_usage(p)["requests.cpu"] == Quantity.parse("350m")


def test_pod_usage_of_a_pod_object() -> None:
    # the simulator's Pod dataclass: amounts in milli-units
    p = Pod(
        name="p",
        containers=[Container("app", {"cpu": 250, "memory": 512 * 2**20 * 1000}, {"cpu": 1000})],
    )
    usage = pod_usage(p)
    assert usage["requests.cpu"] == Quantity.parse("250m")
    assert usage["requests.memory"] == Quantity.parse("512Mi")
    assert str(usage["requests.memory"]) == "512Mi"
    assert usage["limits.cpu"] == Quantity.parse("1")


def test_usage_keeps_binary_format_for_messages() -> None:
    p = mkpod([ctr(requests={"memory": "512Mi"}), ctr(requests={"memory": "512Mi"})])
    assert str(pod_usage(p)["requests.memory"]) == "1Gi"


# --------------------------------------------------------------------------- constraints


@pytest.mark.parametrize(
    ("p", "required", "message"),
    [
        (
            mkpod(init=[ctr("dummy", {"cpu": "1m"}, {"cpu": "2m"})]),
            ["memory"],
            "must specify memory for: dummy",
        ),
        (
            mkpod(init=[ctr("foo", {"cpu": "1m"}, {"cpu": "2m"}), ctr("bar", {"cpu": "1m"})]),
            ["memory"],
            "must specify memory for: bar,foo",
        ),
        (
            mkpod([ctr("dummy", {"cpu": "1m"}, {"cpu": "2m"})]),
            ["memory"],
            "must specify memory for: dummy",
        ),
        (
            mkpod([ctr("foo", {"cpu": "1m"}, {"cpu": "2m"}), ctr("bar", {"cpu": "1m"})]),
            ["memory"],
            "must specify memory for: bar,foo",
        ),
        (
            mkpod([ctr("foo"), ctr("bar")]),
            ["memory", "cpu"],
            "must specify cpu for: bar,foo; memory for: bar,foo",
        ),
        # our own: limits.* are checked against limits; other resources are never required
        (
            mkpod([ctr("app", {"cpu": "1", "memory": "1Gi"})], [ctr("init", {"cpu": "1"})]),
            ["limits.cpu", "requests.memory", "pods", "requests.ephemeral-storage"],
            "must specify limits.cpu for: app,init; requests.memory for: init",
        ),
    ],
)
def test_quota_constraints(p: dict, required: list[str], message: str) -> None:
    with pytest.raises(QuotaConstraintError) as err:
        quota_constraints(required, p)
    assert str(err.value) == message


def test_quota_constraints_pass() -> None:
    p = mkpod([ctr("app", {"cpu": "1"}, {"cpu": "1"})])
    quota_constraints(["cpu", "limits.cpu", "requests.storage"], p)  # no raise


# --------------------------------------------------------------------------- scopes

_BURSTABLE = mkpod(
    [ctr(requests={"cpu": "1", "memory": "50M", "example.com/dongle": "1"}, limits={"cpu": "2"})]
)


@pytest.mark.parametrize(
    ("p", "matching"),
    [
        # upstream TestPodEvaluatorMatchingScopes, EmptyPod
        (mkpod(), {"NotTerminating", "BestEffort"}),
        # NotBestEffort
        (_BURSTABLE, {"NotTerminating", "NotBestEffort"}),
        # Terminating: activeDeadlineSeconds >= 0
        (mkpod(activeDeadlineSeconds=30), {"Terminating", "BestEffort"}),
        # a zero-valued request does not make a pod Burstable
        (mkpod([ctr(requests={"cpu": "0"})]), {"NotTerminating", "BestEffort"}),
    ],
)
def test_pod_matches_scopes(p: dict, matching: set[str]) -> None:
    scopes = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort"]
    got = {s for s in scopes if pod_matches_scope({"scopeName": s, "operator": "Exists"}, p)}
    assert got == matching


@pytest.mark.parametrize(
    ("priority_class", "operator", "values", "expected"),
    [
        ("class1", "In", ["class1"], True),
        ("class1", "In", ["class2"], False),
        ("class1", "NotIn", ["class2"], True),
        (None, "NotIn", ["class2"], True),
        (None, "Exists", [], False),
        ("class1", "Exists", [], True),
        (None, "DoesNotExist", [], True),
    ],
)
def test_priority_class_scope(
    priority_class: str | None, operator: str, values: list[str], expected: bool
) -> None:
    p = mkpod(priorityClassName=priority_class) if priority_class else mkpod()
    selector = {"scopeName": "PriorityClass", "operator": operator, "values": values}
    assert pod_matches_scope(selector, p) is expected


def test_cross_namespace_affinity_scope() -> None:
    term = {"labelSelector": {}, "topologyKey": "zone", "namespaces": ["other"]}
    p = mkpod(affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}})
    selector = {"scopeName": "CrossNamespacePodAffinity", "operator": "Exists"}
    assert pod_matches_scope(selector, p)
    assert not pod_matches_scope(selector, mkpod())


def test_quota_matching() -> None:
    # a quota on services / configmaps / PVC storage does not concern pods
    assert not quota_matches({"hard": {"services": "20", "requests.storage": "100Gi"}}, mkpod())
    assert quota_matches({"hard": {"pods": "1"}}, mkpod())
    assert quota_matches({"hard": {"requests.example.com/dongle": "1"}}, mkpod())
    assert quota_matches({"hard": {"hugepages-2Mi": "1Gi"}}, mkpod())
    # scopes must all match
    assert not quota_matches({"hard": {"pods": "1"}, "scopes": ["BestEffort"]}, _BURSTABLE)
    assert quota_matches(
        {
            "hard": {"pods": "1"},
            "scopeSelector": {
                "matchExpressions": [
                    {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}
                ]
            },
        },
        mkpod(priorityClassName="high"),
    )


def test_best_effort_quota_does_not_block_burstable_pod() -> None:
    quotas = [("best-effort", {"hard": {"pods": "1"}, "scopes": ["BestEffort"]}, {"pods": "1"})]
    assert admit_resource_quota(_BURSTABLE, quotas) == [q({"pods": "1"})]
    with pytest.raises(QuotaExceededError):
        admit_resource_quota(mkpod(name="be"), quotas)


# --------------------------------------------------------------------------- check_request


def test_check_request_charges_only_hard_resources() -> None:
    usage = {"pods": "1", "requests.cpu": "250m", "limits.cpu": "1"}
    new = check_request([("q", {"requests.cpu": "1", "pods": "3"}, {"pods": "1"})], usage)
    # pods 1 + 1 = 2; requests.cpu 0 + 250m; limits.cpu is not in hard so not tracked
    assert new == [q({"pods": "2", "requests.cpu": "250m"})]


def test_check_request_reports_first_failing_quota_sorted() -> None:
    usage = {"pods": "1", "requests.cpu": "2", "limits.cpu": "4"}
    quotas = [
        ("roomy", {"pods": "10"}, {"pods": "0"}),
        ("tight", {"limits.cpu": "3", "requests.cpu": "1", "pods": "5"}, {}),
        ("never-reached", {"pods": "0"}, {}),
    ]
    with pytest.raises(QuotaExceededError) as err:
        check_request(quotas, usage)
    # both cpu names exceed; pods does not; names sorted; missing used shows as 0
    assert str(err.value) == (
        "exceeded quota: tight, requested: limits.cpu=4,requests.cpu=2, "
        "used: limits.cpu=0,requests.cpu=0, limited: limits.cpu=3,requests.cpu=1"
    )


def test_zero_charge_still_fails_when_already_over() -> None:
    # upstream checks used + 0 <= hard for every requested name
    with pytest.raises(
        QuotaExceededError, match=r"requested: requests\.cpu=0, used: requests\.cpu=2"
    ):
        check_request([("q", {"requests.cpu": "1"}, {"requests.cpu": "2"})], {"requests.cpu": "0"})


def test_extended_resource_quota_message() -> None:
    p = mkpod([ctr("gpu", {"example.com/dongle": "4"}, {"example.com/dongle": "4"})], name="g")
    quotas = [("dongles", {"hard": {"requests.example.com/dongle": "3"}}, {})]
    with pytest.raises(QuotaExceededError) as err:
        admit_resource_quota(p, quotas)
    assert str(err.value) == (
        'pods "g" is forbidden: exceeded quota: dongles, '
        "requested: requests.example.com/dongle=4, used: requests.example.com/dongle=0, "
        "limited: requests.example.com/dongle=3"
    )


def test_admit_constraint_message() -> None:
    p = mkpod([ctr("app", {"memory": "1Gi"})], name="nocpu")
    quotas = [("compute", {"hard": {"requests.cpu": "4", "requests.memory": "8Gi"}}, {})]
    with pytest.raises(QuotaConstraintError) as err:
        admit_resource_quota(p, quotas)
    assert str(err.value) == (
        'pods "nocpu" is forbidden: failed quota: compute: must specify requests.cpu for: app'
    )


# --------------------------------------------------------------------------- RuntimeClass


def test_runtime_class_sets_overhead_and_quota_charges_it() -> None:
    rc = {"handler": "runsc", "overhead": {"podFixed": {"cpu": "250m", "memory": "120Mi"}}}
    p = mkpod([ctr("app", {"cpu": "500m", "memory": "256Mi"}, {"cpu": "1", "memory": "512Mi"})])
    admitted = admit_runtime_class(p, rc)
    assert admitted["spec"]["overhead"] == {"cpu": "250m", "memory": "120Mi"}
    assert "overhead" not in p["spec"]
    usage = pod_usage(admitted)
    # 500m + 250m, 1 + 250m, 256Mi + 120Mi, 512Mi + 120Mi
    assert usage["requests.cpu"] == Quantity.parse("750m")
    assert usage["limits.cpu"] == Quantity.parse("1250m")
    assert usage["requests.memory"] == Quantity.parse("376Mi")
    assert usage["limits.memory"] == Quantity.parse("632Mi")


def test_runtime_class_overhead_rules() -> None:
    rc = {"overhead": {"podFixed": {"cpu": "1"}}}
    # the same overhead written differently is accepted (semantic equality)
    assert admit_runtime_class(mkpod(overhead={"cpu": "1000m"}), rc)["spec"]["overhead"] == {
        "cpu": "1"
    }
    with pytest.raises(RuntimeClassError) as err:
        admit_runtime_class(mkpod(overhead={"cpu": "2"}, name="o"), rc)
    assert str(err.value) == (
        'pods "o" is forbidden: pod rejected: '
        "Pod's Overhead doesn't match RuntimeClass's defined Overhead"
    )
    with pytest.raises(RuntimeClassError, match="set without corresponding RuntimeClass"):
        admit_runtime_class(mkpod(overhead={"cpu": "2"}), {"handler": "runc"})


# --------------------------------------------------------------------------- docs manifest


@pytest.fixture(scope="module")
def docs_quota() -> tuple[str, dict]:
    with open(DATA / "quota-mem-cpu.yaml", encoding="utf-8") as f:
        (obj,) = [d for d in yaml.safe_load_all(f) if d]
    assert obj["kind"] == "ResourceQuota"
    return obj["metadata"]["name"], obj["spec"]


def _docs_pod(name: str, requests: dict, limits: dict) -> dict:
    return mkpod([ctr(f"{name}-ctr", requests, limits)], name=name)


def test_docs_quota_two_pods(docs_quota: tuple[str, dict]) -> None:
    name, spec = docs_quota
    assert name == "mem-cpu-demo"
    used: dict = {}
    # first pod: requests 400m / 600Mi, limits 800m / 800Mi; all under 1 / 1Gi / 2 / 2Gi
    first = _docs_pod(
        "quota-mem-cpu-demo", {"memory": "600Mi", "cpu": "400m"}, {"memory": "800Mi", "cpu": "800m"}
    )
    (used,) = admit_resource_quota(first, [(name, spec, used)])
    assert used == q(
        {
            "requests.cpu": "400m",
            "requests.memory": "600Mi",
            "limits.cpu": "800m",
            "limits.memory": "800Mi",
        }
    )
    # second pod: requests.memory 600Mi + 700Mi = 1300Mi > 1Gi; everything else fits
    # (cpu 800m <= 1, limits 1600m <= 2, 800Mi + 1Gi = 1824Mi <= 2Gi)
    second = _docs_pod(
        "quota-mem-cpu-demo-2", {"memory": "700Mi", "cpu": "400m"}, {"memory": "1Gi", "cpu": "800m"}
    )
    with pytest.raises(QuotaExceededError) as err:
        admit_resource_quota(second, [(name, spec, used)])
    # the message printed on the docs page
    assert str(err.value) == (
        'pods "quota-mem-cpu-demo-2" is forbidden: exceeded quota: mem-cpu-demo, '
        "requested: requests.memory=700Mi, used: requests.memory=600Mi, "
        "limited: requests.memory=1Gi"
    )


def test_docs_quota_requires_cpu_and_memory(docs_quota: tuple[str, dict]) -> None:
    name, spec = docs_quota
    p = mkpod([ctr("web", {"cpu": "100m"}, {"cpu": "200m"})], name="nomem")
    with pytest.raises(QuotaConstraintError) as err:
        admit_resource_quota(p, [(name, spec, {})])
    assert err.value.reason == (
        "failed quota: mem-cpu-demo: must specify limits.memory for: web; requests.memory for: web"
    )


def test_docs_limit_range_and_quota_together(docs_quota: tuple[str, dict]) -> None:
    # The docs' four-container pod passes the docs LimitRange (see test_limitrange), then:
    # requests.cpu 100+100+500+110 = 810m <= 1; requests.memory 100+100+200+111 = 511Mi
    # <= 1Gi; limits.cpu 500+700+500+700 = 2400m > 2; limits.memory 200+900+200+900 =
    # 2200Mi > 2Gi (2048Mi).
    name, spec = docs_quota
    with open(DATA / "limit-mem-cpu-container.yaml", encoding="utf-8") as f:
        (limit_range,) = [d for d in yaml.safe_load_all(f) if d]
    p = mkpod(
        [
            ctr(
                "busybox-cnt01",
                {"cpu": "100m", "memory": "100Mi"},
                {"cpu": "500m", "memory": "200Mi"},
            ),
            ctr("busybox-cnt02", {"cpu": "100m", "memory": "100Mi"}),
            ctr("busybox-cnt03", None, {"cpu": "500m", "memory": "200Mi"}),
            ctr("busybox-cnt04"),
        ],
        name="busybox1",
    )
    with pytest.raises(QuotaExceededError) as err:
        admit_pod(p, limit_ranges=[limit_range], quotas=[(name, spec, {})])
    assert err.value.reason == (
        "exceeded quota: mem-cpu-demo, requested: limits.cpu=2400m,limits.memory=2200Mi, "
        "used: limits.cpu=0,limits.memory=0, limited: limits.cpu=2,limits.memory=2Gi"
    )


# --------------------------------------------------------------------------- the seed
# Quota from seed/000_1bea6a817f74417e.md (namespace swissbrain). requests.storage,
# services, configmaps and secrets are not charged by pods.

SEED_QUOTA_NAME = "swissbrain-quota"
SEED_QUOTA = {
    "hard": {
        "requests.cpu": "20",
        "limits.cpu": "40",
        "requests.memory": "40Gi",
        "limits.memory": "80Gi",
        "requests.storage": "100Gi",
        "pods": "50",
        "services": "20",
        "configmaps": "50",
        "secrets": "50",
    }
}
# what one admitted pod charges (the init container's defaults are below the app's)
SEED_PER_POD = {
    "count/pods": "1",
    "pods": "1",
    "cpu": "250m",
    "requests.cpu": "250m",
    "limits.cpu": "1",
    "memory": "512Mi",
    "requests.memory": "512Mi",
    "limits.memory": "2Gi",
    "ephemeral-storage": "1Gi",
    "requests.ephemeral-storage": "1Gi",
    "limits.ephemeral-storage": "5Gi",
}


def test_seed_pod_is_rejected_by_the_container_ratio() -> None:
    # the LimitRange (ratio on Container) rejects the defaulted init container before quota
    with pytest.raises(LimitRangeError, match=r"provided ratio is 5\.000000"):
        admit_pod(
            SEED_POD, limit_ranges=[SEED_LIMIT_RANGE], quotas=[(SEED_QUOTA_NAME, SEED_QUOTA, {})]
        )


def test_seed_without_limit_range_fails_quota_constraints() -> None:
    # no LimitRange to fill the init container: the quota demands cpu and memory of it
    with pytest.raises(QuotaConstraintError) as err:
        admit_resource_quota(SEED_POD, [(SEED_QUOTA_NAME, SEED_QUOTA, {})])
    assert err.value.reason == (
        "failed quota: swissbrain-quota: must specify limits.cpu for: preflight; "
        "limits.memory for: preflight; requests.cpu for: preflight; "
        "requests.memory for: preflight"
    )


def _seed_admitted() -> dict:
    # The reading under which the seed's pods are admitted: ratio on pod totals. The init
    # container is defaulted to 100m/256Mi requests and 500m/1Gi limits, below the app's
    # 250m/512Mi and 1000m/2Gi, so it does not change the pod's usage (max(init, sum)).
    pod, _ = admit_pod(SEED_POD, limit_ranges=[SEED_LIMIT_RANGE_POD_RATIO])
    return pod


def test_seed_per_pod_usage() -> None:
    assert pod_usage(_seed_admitted()) == q(SEED_PER_POD)


@pytest.mark.parametrize(
    ("replicas", "expected"),
    [
        # 3 x 250m = 750m; 3 x 1 = 3; 3 x 512Mi = 1536Mi; 3 x 2Gi = 6Gi
        (
            3,
            {
                "requests.cpu": "750m",
                "limits.cpu": "3",
                "requests.memory": "1536Mi",
                "limits.memory": "6Gi",
                "pods": "3",
            },
        ),
        # 10 x 250m = 2500m (the seed's "7.5 CPU / 15Gi at 10 replicas" is 10 x the
        # 3-replica total; requests are 2.5 CPU / 5Gi); 10 x 1 = 10; 10 x 2Gi = 20Gi
        (
            10,
            {
                "requests.cpu": "2500m",
                "limits.cpu": "10",
                "requests.memory": "5Gi",
                "limits.memory": "20Gi",
                "pods": "10",
            },
        ),
        # maxReplicas 10 + maxSurge 1: 2750m, 11, 5632Mi (5.5Gi), 22Gi
        (
            11,
            {
                "requests.cpu": "2750m",
                "limits.cpu": "11",
                "requests.memory": "5632Mi",
                "limits.memory": "22Gi",
                "pods": "11",
            },
        ),
    ],
)
def test_seed_quota_usage_at_replicas(replicas: int, expected: dict) -> None:
    pod = _seed_admitted()
    quotas = [(SEED_QUOTA_NAME, SEED_QUOTA, {})]
    for i in range(replicas):  # one create at a time, as the ReplicaSet controller does
        p = copy.deepcopy(pod)
        p["metadata"]["name"] = f"sandbox-executor-7d9f8b6c4-{i}"
        (used,) = admit_resource_quota(p, quotas)
        quotas = [(SEED_QUOTA_NAME, SEED_QUOTA, used)]
    # requests.storage etc. stay at 0: pods do not charge them
    assert used == q(
        {**expected, "requests.storage": "0", "services": "0", "configmaps": "0", "secrets": "0"}
    )
    # printed as the API server would print them (status.used, error messages)
    assert {k: str(used[k]) for k in expected} == expected
    assert scale_usage(pod_usage(pod), replicas)["requests.cpu"] == q(expected)["requests.cpu"]


def test_seed_with_a_runtime_class_overhead() -> None:
    # The seed names runtimeClassName gvisor but gives no overhead; with a hypothetical
    # podFixed of 100m / 64Mi every pod charges 350m / 1100m cpu and 576Mi / 2112Mi memory,
    # so limits.cpu binds at 40 / 1.1 -> 36 pods (limits.memory 80Gi / 2112Mi -> 38).
    rc = {"handler": "runsc", "overhead": {"podFixed": {"cpu": "100m", "memory": "64Mi"}}}
    pod, (used,) = admit_pod(
        SEED_POD,
        limit_ranges=[SEED_LIMIT_RANGE_POD_RATIO],
        quotas=[(SEED_QUOTA_NAME, SEED_QUOTA, {})],
        runtime_class=rc,
    )
    assert pod["spec"]["overhead"] == {"cpu": "100m", "memory": "64Mi"}
    assert {k: str(used[k]) for k in ("requests.cpu", "limits.cpu")} == {
        "requests.cpu": "350m",
        "limits.cpu": "1100m",
    }
    assert used["requests.memory"] == Quantity.parse("576Mi")
    assert used["limits.memory"] == Quantity.parse("2112Mi")
    assert max_replicas_admitted(SEED_QUOTA["hard"], {}, pod_usage(pod)) == 36


def test_seed_quota_headroom() -> None:
    # requests.cpu 20 / 250m = 80; limits.cpu 40 / 1 = 40; requests.memory 40Gi / 512Mi = 80;
    # limits.memory 80Gi / 2Gi = 40; pods 50: the limits bind at 40 pods
    per_pod = pod_usage(_seed_admitted())
    assert max_replicas_admitted(SEED_QUOTA["hard"], {}, per_pod) == 40
    # with the 11 pods of a surge already running, 29 more
    assert max_replicas_admitted(SEED_QUOTA["hard"], scale_usage(per_pod, 11), per_pod) == 29


def test_seed_41st_pod_is_refused() -> None:
    per_pod = pod_usage(_seed_admitted())
    used = {k: v for k, v in scale_usage(per_pod, 40).items() if k in SEED_QUOTA["hard"]}
    p = dict(copy.deepcopy(_seed_admitted()), metadata={"name": "sandbox-executor-7d9f8b6c4-40"})
    with pytest.raises(QuotaExceededError) as err:
        admit_resource_quota(p, [(SEED_QUOTA_NAME, SEED_QUOTA, used)])
    # 40 + 1 > 40 cpu and 80Gi + 2Gi > 80Gi; requests (10 + 250m, 20Gi + 512Mi) still fit
    assert err.value.reason == (
        "exceeded quota: swissbrain-quota, requested: limits.cpu=1,limits.memory=2Gi, "
        "used: limits.cpu=40,limits.memory=80Gi, limited: limits.cpu=40,limits.memory=80Gi"
    )


# --------------------------------------------------------------------------- properties

_NAMES = ["requests.cpu", "limits.memory", "pods"]


@st.composite
def _quota_case(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3, unique=True))
    hard = {n: Quantity.from_milli(draw(st.integers(0, 10_000))) for n in names}
    used = {n: Quantity.from_milli(draw(st.integers(0, 12_000))) for n in names}
    per = {n: Quantity.from_milli(draw(st.integers(0, 3_000))) for n in _NAMES}
    return hard, used, per


def _admits(hard: dict, used: dict, per: dict, n: int) -> bool:
    try:
        check_request([("q", hard, used)], scale_usage(per, n))
    except QuotaExceededError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(_quota_case())
def test_quota_admission_is_monotone(case: tuple[dict, dict, dict]) -> None:
    hard, used, per = case
    verdicts = [_admits(hard, used, per, n) for n in range(1, 25)]
    # if n pods are admitted then n - 1 are
    for n in range(1, len(verdicts)):
        if verdicts[n]:
            assert verdicts[n - 1]
    # and max_replicas_admitted is exactly where admission stops
    best = max_replicas_admitted(hard, used, per)
    for n, ok in enumerate(verdicts, start=1):
        assert ok == (best is None or n <= best)


@settings(max_examples=100, deadline=None)
@given(_quota_case())
def test_one_at_a_time_matches_headroom(case: tuple[dict, dict, dict]) -> None:
    hard, used, per = case
    best = max_replicas_admitted(hard, used, per)
    admitted, current = 0, dict(used)
    for _ in range(25):
        try:
            (current,) = check_request([("q", hard, current)], per)
        except QuotaExceededError:
            break
        admitted += 1
    assert admitted == (25 if best is None else min(best, 25))


def test_admission_error_hierarchy() -> None:
    for cls in (QuotaExceededError, QuotaConstraintError, RuntimeClassError, LimitRangeError):
        assert issubclass(cls, AdmissionError)
