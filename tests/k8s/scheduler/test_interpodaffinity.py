"""Tests for capacity.k8s.scheduler.interpodaffinity: required and preferred pod
(anti-)affinity, and existing pods' anti-affinity. Expected values are worked out by hand
in comments."""

from __future__ import annotations

from collections.abc import Mapping

from capacity.k8s.node import LABEL_HOSTNAME, Node
from capacity.k8s.scheduler.framework import (
    INTER_POD_AFFINITY,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
)
from capacity.k8s.scheduler.interpodaffinity import (
    ERR_REASON_AFFINITY_RULES,
    ERR_REASON_ANTI_AFFINITY_RULES,
    ERR_REASON_EXISTING_ANTI_AFFINITY,
    inter_pod_affinity_filter,
    inter_pod_affinity_pre_filter,
)
from capacity.k8s.scheduler.schedule_one import plugin_scores
from capacity.k8s.scheduler.snapshot import Snapshot
from capacity.k8s.scheduler.spec import (
    EMPTY_SPEC,
    PodAffinityTerm,
    SchedulingSpec,
    WeightedPodAffinityTerm,
)
from capacity.k8s.types import Pod
from tests.k8s.scheduler.builders import WEB, ZONE, foo_pods, mk_node, mk_pod

# -------------------------------------------------------------- InterPodAffinity


def ipa_codes(
    pod: Pod,
    spec: SchedulingSpec,
    nodes: list[Node],
    pods: Mapping[str, list[Pod]],
    spec_of=None,
) -> dict[str, tuple[str, ...]]:
    snapshot = Snapshot(nodes, pods)
    state = inter_pod_affinity_pre_filter(pod, spec, snapshot.list(), spec_of)
    out: dict[str, tuple[str, ...]] = {}
    for n in nodes:
        st = None if state is None else inter_pod_affinity_filter(state, n)
        out[n.name] = () if st is None else (st.code, *st.reasons)
    return out


def test_required_anti_affinity_hostname() -> None:
    # One web pod on n1: a web pod with hostname anti-affinity to web avoids n1 only.
    nodes = [mk_node(f"n{i}", {LABEL_HOSTNAME: f"n{i}", ZONE: "z1"}) for i in (1, 2)]
    spec = SchedulingSpec(required_pod_anti_affinity=[PodAffinityTerm(WEB, LABEL_HOSTNAME)])
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec, nodes, foo_pods({"n1": 1}, {"app": "web"}))
    assert got == {"n1": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES), "n2": ()}


def test_required_anti_affinity_zone_and_namespaces() -> None:
    nodes = [
        mk_node("n1", {ZONE: "z1"}),
        mk_node("n2", {ZONE: "z1"}),
        mk_node("n3", {ZONE: "z2"}),
        mk_node("n4", {}),  # no zone label: the term cannot be violated there
    ]
    spec = SchedulingSpec(required_pod_anti_affinity=[PodAffinityTerm(WEB, ZONE)])
    pods = {
        "n1": [mk_pod("w", {"app": "web"})],
        # a web pod in another namespace does not count (term namespaces = pod's own)
        "n3": [mk_pod("w2", {"app": "web"}, ns="other")],
    }
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec, nodes, pods)
    assert got == {
        "n1": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES),
        "n2": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES),
        "n3": (),
        "n4": (),
    }
    # namespaceSelector {} selects every namespace: now z2 is taken too.
    spec_all = SchedulingSpec(
        required_pod_anti_affinity=[PodAffinityTerm(WEB, ZONE, namespace_selector={})]
    )
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec_all, nodes, pods)
    assert got["n3"] == (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES)
    # namespaceSelector on the namespace's name label selects just that namespace.
    spec_other = SchedulingSpec(
        required_pod_anti_affinity=[
            PodAffinityTerm(
                WEB,
                ZONE,
                namespace_selector={"matchLabels": {"kubernetes.io/metadata.name": "other"}},
            )
        ]
    )
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec_other, nodes, pods)
    assert got == {
        "n1": (),
        "n2": (),
        "n3": (UNSCHEDULABLE, ERR_REASON_ANTI_AFFINITY_RULES),
        "n4": (),
    }


def test_existing_pods_anti_affinity_symmetry() -> None:
    # The existing pod on n1 refuses security=S1 pods on its host; the incoming pod has no
    # terms of its own but carries security=S1.
    nodes = [mk_node(f"n{i}", {LABEL_HOSTNAME: f"n{i}"}) for i in (1, 2)]
    existing = mk_pod("e", {"app": "db"}, node="n1")
    e_spec = SchedulingSpec(
        required_pod_anti_affinity=[
            PodAffinityTerm({"matchLabels": {"security": "S1"}}, LABEL_HOSTNAME)
        ]
    )
    specs = {id(existing): e_spec}
    got = ipa_codes(
        mk_pod(labels={"security": "S1"}),
        EMPTY_SPEC,
        nodes,
        {"n1": [existing]},
        spec_of=lambda p: specs.get(id(p)),
    )
    assert got == {"n1": (UNSCHEDULABLE, ERR_REASON_EXISTING_ANTI_AFFINITY), "n2": ()}
    # Without spec_of the existing pod has no terms and nothing is rejected.
    assert ipa_codes(mk_pod(labels={"security": "S1"}), EMPTY_SPEC, nodes, {"n1": [existing]}) == {
        "n1": (),
        "n2": (),
    }


def test_required_pod_affinity() -> None:
    nodes = [mk_node("n1", {ZONE: "z1"}), mk_node("n2", {ZONE: "z2"}), mk_node("n3", {})]
    spec = SchedulingSpec(
        required_pod_affinity=[PodAffinityTerm({"matchLabels": {"app": "db"}}, ZONE)]
    )
    aff_fail = (UNSCHEDULABLE_AND_UNRESOLVABLE, ERR_REASON_AFFINITY_RULES)
    got = ipa_codes(
        mk_pod(labels={"app": "web"}), spec, nodes, {"n1": [mk_pod("db", {"app": "db"})]}
    )
    assert got == {"n1": (), "n2": aff_fail, "n3": aff_fail}
    # No db pod anywhere, and the pod does not match its own term: nowhere.
    got = ipa_codes(mk_pod(labels={"app": "web"}), spec, nodes, {})
    assert got == {"n1": aff_fail, "n2": aff_fail, "n3": aff_fail}
    # The first pod of a group with affinity to itself may go to any node with the key.
    got = ipa_codes(mk_pod(labels={"app": "db"}), spec, nodes, {})
    assert got == {"n1": (), "n2": (), "n3": aff_fail}


# ------------------------------------------------------------------------- scoring


def test_preferred_anti_affinity_score() -> None:
    # weight 100 against web pods on the same host: raw −200, −100, 0 → min −200, max 0
    # → 100·(s + 200)/200: 0, 50, 100
    spec = SchedulingSpec(
        preferred_pod_anti_affinity=[
            WeightedPodAffinityTerm(100, PodAffinityTerm(WEB, LABEL_HOSTNAME))
        ]
    )
    nodes = [mk_node(f"n{i}", {LABEL_HOSTNAME: f"n{i}"}) for i in (1, 2, 3)]
    pods = {
        "n1": [mk_pod(f"w{i}", {"app": "web"}) for i in range(2)],
        "n2": [mk_pod("w3", {"app": "web"})],
    }
    s = plugin_scores(mk_pod(labels={"app": "web"}), spec, nodes, pods)
    assert s[INTER_POD_AFFINITY] == {"n1": 0, "n2": 50, "n3": 100}


def test_existing_pods_preferred_affinity_score_via_spec_of() -> None:
    # The existing pod on n1 prefers (weight 30) web pods in its zone; the incoming web pod
    # gets +30 in zone z1 (n1, n2), 0 in z2: normalised 100, 100, 0.
    nodes = [mk_node("n1", {ZONE: "z1"}), mk_node("n2", {ZONE: "z1"}), mk_node("n3", {ZONE: "z2"})]
    e = mk_pod("e", {"app": "cache"})
    e_spec = SchedulingSpec(
        preferred_pod_affinity=[WeightedPodAffinityTerm(30, PodAffinityTerm(WEB, ZONE))]
    )
    s = plugin_scores(
        mk_pod(labels={"app": "web"}),
        EMPTY_SPEC,
        nodes,
        {"n1": [e]},
        spec_of=lambda p: e_spec if p is e else None,
    )
    assert s[INTER_POD_AFFINITY] == {"n1": 100, "n2": 100, "n3": 0}
