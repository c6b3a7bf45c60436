"""Tests for capacity.k8s.scheduler.podtopologyspread.

Tables are ported (as data, in our own structure) from ``kubernetes/kubernetes``
``pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go``
(TestPreFilterState node-inclusion cases, TestSingleConstraint). Other expected values are
worked out by hand in comments.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.k8s.node import (
    LABEL_HOSTNAME,
    TAINT_NODE_NOT_READY,
    TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
    Node,
    Taint,
)
from capacity.k8s.scheduler.framework import (
    POD_TOPOLOGY_SPREAD,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
)
from capacity.k8s.scheduler.podtopologyspread import (
    ERR_REASON_SPREAD,
    ERR_REASON_SPREAD_MISSING_LABEL,
    cal_pre_filter_state,
    pod_topology_spread_filter,
)
from capacity.k8s.scheduler.schedule_one import (
    filter_node,
    plugin_scores,
    schedule_pod,
    schedule_pod_in_snapshot,
)
from capacity.k8s.scheduler.snapshot import Snapshot
from capacity.k8s.scheduler.spec import (
    EMPTY_SPEC,
    SchedulingSpec,
    TopologySpreadConstraint,
    scheduling_spec_from_pod_spec,
)
from capacity.k8s.types import Pod, Toleration
from tests.k8s.scheduler.builders import (
    MI,
    V133,
    WEB,
    ZONE,
    expr,
    foo_pods,
    mk_node,
    mk_pod,
    spread,
)

# ---------------------------------------------------------------- PodTopologySpread


FOO = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
BAR = {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}


UNSCHED_TAINT = [Taint(TAINT_NODE_UNSCHEDULABLE, "", "NoSchedule")]
TOL_UNSCHED = [Toleration(TAINT_NODE_UNSCHEDULABLE, "Exists", None, "NoSchedule")]


def three_nodes(c_taints: Sequence[Taint] = ()) -> list[Node]:
    return [
        mk_node("node-a", {"node": "node-a", "foo": ""}),
        mk_node("node-b", {"node": "node-b", "foo": ""}),
        mk_node("node-c", {"node": "node-c", "bar": ""}, taints=c_taints),
    ]


BAR_PODS = {
    "node-a": [mk_pod("p-a", {"bar": ""}, node="node-a")],
    "node-b": [
        mk_pod("p-b", {"bar": ""}, node="node-b"),
        mk_pod("p-c", {"bar": ""}, node="node-b"),
    ],
    "node-c": [mk_pod("p-d", node="node-c")],
}
FOO_AFFINITY = {"matchExpressions": [expr("foo", "In", "")]}


@pytest.mark.parametrize(
    ("spec", "tolerations", "nodes", "want"),
    [
        pytest.param(
            SchedulingSpec(
                node_selector={"foo": ""}, topology_spread_constraints=[spread(1, "node", BAR)]
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2}],
            id="NodeAffinityPolicy honored with labelSelectors",
        ),
        pytest.param(
            SchedulingSpec(
                node_selector={"foo": ""},
                topology_spread_constraints=[spread(1, "node", BAR, affinity_policy="Ignore")],
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeAffinityPolicy ignored with labelSelectors",
        ),
        pytest.param(
            SchedulingSpec(
                required_node_affinity=[FOO_AFFINITY],
                topology_spread_constraints=[spread(1, "node", BAR)],
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2}],
            id="NodeAffinityPolicy honored with nodeAffinity",
        ),
        pytest.param(
            SchedulingSpec(
                required_node_affinity=[FOO_AFFINITY],
                topology_spread_constraints=[spread(1, "node", BAR, affinity_policy="Ignore")],
            ),
            [],
            three_nodes(),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeAffinityPolicy ignored with nodeAffinity",
        ),
        pytest.param(
            SchedulingSpec(topology_spread_constraints=[spread(1, "node", BAR)]),
            [],
            three_nodes(UNSCHED_TAINT),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeTaintsPolicy ignored",
        ),
        pytest.param(
            SchedulingSpec(
                topology_spread_constraints=[spread(1, "node", BAR, taints_policy="Honor")]
            ),
            [],
            three_nodes(UNSCHED_TAINT),
            [{"node-a": 1, "node-b": 2}],
            id="NodeTaintsPolicy honored",
        ),
        pytest.param(
            SchedulingSpec(
                topology_spread_constraints=[spread(1, "node", BAR, taints_policy="Honor")]
            ),
            TOL_UNSCHED,
            three_nodes(UNSCHED_TAINT),
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            id="NodeTaintsPolicy honored with tolerated taints",
        ),
    ],
)
def test_spread_pre_filter_state_inclusion_policies(
    spec: SchedulingSpec,
    tolerations: list[Toleration],
    nodes: list[Node],
    want: list[dict[str, int]],
) -> None:
    pod = mk_pod(labels={"foo": ""}, tolerations=tolerations)
    state = cal_pre_filter_state(pod, spec, Snapshot(nodes, BAR_PODS).list())
    assert state.match_num == want


@pytest.mark.parametrize(
    ("spec", "b_taints", "want"),
    [
        pytest.param(
            SchedulingSpec(
                node_selector={"foo": ""},
                topology_spread_constraints=[
                    spread(1, "zone", FOO),
                    spread(1, "node", FOO, affinity_policy="Ignore"),
                ],
            ),
            (),
            [{"zone1": 0, "zone2": 1}, {"node-a": 0, "node-b": 2, "node-x": 1}],
            id="zone: honor/ignore, node: ignore/ignore",
        ),
        pytest.param(
            SchedulingSpec(
                topology_spread_constraints=[
                    spread(1, "zone", FOO, taints_policy="Honor"),
                    spread(1, "node", FOO),
                ]
            ),
            UNSCHED_TAINT,
            [{"zone1": 0, "zone2": 1}, {"node-a": 0, "node-b": 2, "node-x": 1}],
            id="zone: honor/honor, node: honor/ignore",
        ),
    ],
)
def test_spread_pre_filter_state_two_constraints(
    spec: SchedulingSpec, b_taints: Sequence[Taint], want: list[dict[str, int]]
) -> None:
    nodes = [
        mk_node("node-a", {"zone": "zone1", "node": "node-a", "foo": ""}),
        mk_node("node-b", {"zone": "zone1", "node": "node-b"}, taints=b_taints),
        mk_node("node-x", {"zone": "zone2", "node": "node-x", "foo": ""}),
    ]
    pods = {
        "node-b": [mk_pod("p-b1", {"foo": ""}), mk_pod("p-b2", {"foo": ""})],
        "node-x": [mk_pod("p-x1", {"foo": ""})],
    }
    state = cal_pre_filter_state(mk_pod(labels={"foo": ""}), spec, Snapshot(nodes, pods).list())
    assert state.match_num == want


def four_nodes(**extra: dict[str, str]) -> list[Node]:
    base = {
        "node-a": {"zone": "zone1", "node": "node-a"},
        "node-b": {"zone": "zone1", "node": "node-b"},
        "node-x": {"zone": "zone2", "node": "node-x"},
        "node-y": {"zone": "zone2", "node": "node-y"},
    }
    return [mk_node(n, {**lab, **extra.get(n.replace("-", "_"), {})}) for n, lab in base.items()]


S, U, UU = "Success", UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE


def spread_codes(
    pod: Pod, spec: SchedulingSpec, nodes: list[Node], pods: Mapping[str, list[Pod]]
) -> dict[str, str]:
    snapshot = Snapshot(nodes, pods)
    state = cal_pre_filter_state(pod, spec, snapshot.list())
    out = {}
    for n in nodes:
        st = pod_topology_spread_filter(pod, state, n)
        out[n.name] = S if st is None else st.code
    return out


def one(c: TopologySpreadConstraint, **kw: Any) -> SchedulingSpec:
    return SchedulingSpec(topology_spread_constraints=[c], **kw)


SINGLE_CONSTRAINT = [
    (
        "no existing pods",
        {"foo": ""},
        one(spread(1, "zone", FOO)),
        four_nodes(),
        {},
        dict.fromkeys("abxy", S),
    ),
    (
        "no existing pods, incoming pod doesn't match itself",
        {"foo": ""},
        one(spread(1, "zone", BAR)),
        four_nodes(),
        {},
        dict.fromkeys("abxy", S),
    ),
    (
        "pods spread across zones as 3/3, all nodes fit",
        {"foo": ""},
        one(spread(1, "zone", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        dict.fromkeys("abxy", S),
    ),
    (
        "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
        {"foo": ""},
        one(spread(1, "zone", FOO)),
        [
            mk_node("node-a", {"zone": "zone1", "node": "node-a"}),
            mk_node("node-b", {"zon": "zone1", "node": "node-b"}),
            mk_node("node-x", {"zone": "zone2", "node": "node-x"}),
            mk_node("node-y", {"zone": "zone2", "node": "node-y"}),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-x": 1, "node-y": 1}),
        {"a": S, "b": UU, "x": U, "y": U},
    ),
    (
        "pods spread across nodes as 2/1/0/3, only node-x fits",
        {"foo": ""},
        one(spread(1, "node", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": U, "b": U, "x": S, "y": U},
    ),
    (
        "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
        {"foo": ""},
        one(spread(2, "node", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": U, "b": S, "x": S, "y": U},
    ),
    (
        # by hand: the pod does not match itself (selfMatch 0), min 0 (node-x):
        # a 2 > 1, b 1, x 0, y 3 > 1
        "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
        {"bar": ""},
        one(spread(1, "node", FOO)),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": U, "b": S, "x": S, "y": U},
    ),
    (
        "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
        {"foo": ""},
        one(
            spread(1, "node", FOO),
            required_node_affinity=[{"matchExpressions": [expr("node", "In", "node-a", "node-y")]}],
        ),
        four_nodes(),
        foo_pods({"node-a": 2, "node-b": 1, "node-y": 3}),
        {"a": S, "b": S, "x": S, "y": U},
    ),
    (
        "terminating Pods should be excluded",
        {"foo": ""},
        one(spread(1, "node", FOO)),
        [mk_node("node-a", {"node": "node-a"}), mk_node("node-b", {"node": "node-b"})],
        {
            "node-a": [mk_pod("p-a", {"foo": ""}, node="node-a", terminating=True)],
            "node-b": [mk_pod("p-b", {"foo": ""}, node="node-b")],
        },
        {"a": S, "b": U},
    ),
    (
        "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
        {"foo": ""},
        one(
            spread(1, "zone", FOO),
            required_node_affinity=[{"matchExpressions": [expr("node", "NotIn", "node-b")]}],
        ),
        four_nodes(),
        foo_pods({"node-b": 2, "node-y": 1}),
        {"a": S, "b": S, "x": U, "y": U},
    ),
    (
        "pods spread across nodes as 2/2/1, maxSkew 2, domains < minDomains: third node fits",
        {"foo": ""},
        one(spread(2, "node", FOO, min_domains=4)),
        [mk_node(f"node-{c}", {"node": f"node-{c}"}) for c in "abc"],
        foo_pods({"node-a": 2, "node-b": 2, "node-c": 1}),
        {"a": U, "b": U, "c": S},
    ),
    (
        "pods spread across nodes as 2/2/1, maxSkew 2, domains > minDomains: all fit",
        {"foo": ""},
        one(spread(2, "node", FOO, min_domains=2)),
        [mk_node(f"node-{c}", {"node": f"node-{c}"}) for c in "abc"],
        foo_pods({"node-a": 2, "node-b": 2, "node-c": 1}),
        {"a": S, "b": S, "c": S},
    ),
    (
        "pods spread across zone as 2/1, maxSkew 2, domains < minDomains: zone2 fits",
        {"foo": ""},
        one(spread(2, "zone", FOO, min_domains=3)),
        four_nodes(),
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": S},
    ),
    (
        "pods spread across zone as 2/1, maxSkew 2, domains > minDomains: all fit",
        {"foo": ""},
        one(spread(2, "zone", FOO, min_domains=1)),
        four_nodes(),
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        dict.fromkeys("abxy", S),
    ),
    (
        "NodeAffinityPolicy honored with labelSelectors",
        {"foo": ""},
        one(spread(1, "node", FOO), node_selector={"foo": ""}),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": S},
    ),
    (
        "NodeAffinityPolicy ignored with labelSelectors",
        {"foo": ""},
        one(spread(1, "node", FOO, affinity_policy="Ignore"), node_selector={"foo": ""}),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": U},
    ),
    (
        "NodeTaintsPolicy honored",
        {"foo": ""},
        one(spread(1, "node", FOO, taints_policy="Honor")),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}, taints=UNSCHED_TAINT),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": S},
    ),
    (
        "NodeTaintsPolicy ignored",
        {"foo": ""},
        one(spread(1, "node", FOO)),
        [
            mk_node("node-a", {"node": "node-a", "foo": ""}),
            mk_node("node-b", {"node": "node-b", "foo": ""}),
            mk_node("node-x", {"node": "node-x", "foo": ""}),
            mk_node("node-y", {"node": "node-y"}, taints=UNSCHED_TAINT),
        ],
        foo_pods({"node-a": 1, "node-b": 1, "node-y": 1}),
        {"a": U, "b": U, "x": S, "y": U},
    ),
    (
        "pod cannot be scheduled as all nodes don't have label 'rack'",
        {"foo": ""},
        one(spread(1, "rack", FOO)),
        [mk_node("node-a", {"zone": "zone1"}), mk_node("node-x", {"zone": "zone2"})],
        {},
        {"a": UU, "x": UU},
    ),
]


@pytest.mark.parametrize(
    ("labels", "spec", "nodes", "pods", "want"),
    [pytest.param(lab, s, n, p, w, id=name) for name, lab, s, n, p, w in SINGLE_CONSTRAINT],
)
def test_spread_filter_single_constraint(
    labels: dict[str, str],
    spec: SchedulingSpec,
    nodes: list[Node],
    pods: dict[str, list[Pod]],
    want: dict[str, str],
) -> None:
    got = spread_codes(mk_pod(labels=labels), spec, nodes, pods)
    assert got == {f"node-{k}": v for k, v in want.items()}


def test_spread_filter_other_namespace_does_not_count() -> None:
    # zone1 holds only pods of other namespaces (count 0), zone2 two: 2 + 1 − 0 > 1.
    pods = {
        "node-a": [mk_pod("p-a1", {"foo": ""}, ns="ns1"), mk_pod("p-b1", {"foo": ""}, ns="ns2")],
        "node-x": [mk_pod("p-x1", {"foo": ""})],
        "node-y": [mk_pod("p-y1", {"foo": ""})],
    }
    got = spread_codes(mk_pod(labels={"foo": ""}), one(spread(1, "zone", FOO)), four_nodes(), pods)
    assert got == {"node-a": S, "node-b": S, "node-x": U, "node-y": U}


def test_spread_filter_reasons() -> None:
    pod = mk_pod(labels={"foo": ""})
    spec = one(spread(1, "zone", FOO))
    nodes = [mk_node("a", {"zone": "z1"}), mk_node("b", {"zone": "z2"}), mk_node("c", {})]
    snapshot = Snapshot(nodes, foo_pods({"a": 1}))
    state = cal_pre_filter_state(pod, spec, snapshot.list())
    st = pod_topology_spread_filter(pod, state, nodes[0])
    assert st is not None and st.reasons == (ERR_REASON_SPREAD,)
    st = pod_topology_spread_filter(pod, state, nodes[2])
    assert st is not None and st.reasons == (ERR_REASON_SPREAD_MISSING_LABEL,)


def test_spread_match_label_keys() -> None:
    # matchLabelKeys adds pod-template-hash=v2 to the selector: the two old (v1) pods in
    # zone1 no longer count, so zone1 (0) fits and zone2 (one v2 pod: 1 + 1 − 0 = 2) does not.
    spec = SchedulingSpec(
        topology_spread_constraints=[
            TopologySpreadConstraint(
                1,
                "zone",
                "DoNotSchedule",
                {"matchLabels": {"app": "web"}},
                match_label_keys=("pod-template-hash",),
            )
        ]
    )
    pods = {
        "node-a": [mk_pod(f"old{i}", {"app": "web", "pod-template-hash": "v1"}) for i in range(2)],
        "node-x": [mk_pod("new", {"app": "web", "pod-template-hash": "v2"})],
    }
    pod = mk_pod(labels={"app": "web", "pod-template-hash": "v2"})
    assert spread_codes(pod, spec, four_nodes(), pods) == {
        "node-a": S,
        "node-b": S,
        "node-x": U,
        "node-y": U,
    }


# ------------------------------------------------------------------------- scoring


def test_spread_score_schedule_anyway() -> None:
    # zone a has 2 web pods, b 1, c 0. Weight ln(3 domains + 2) = ln 5 = 1.6094.
    # raw: a → round(2·1.6094 + 0) = 3, b → round(1.6094) = 2, c → 0; min 0, max 3;
    # normalised 100·(3 + 0 − s)//3: a 0, b 33, c 100.
    spec = SchedulingSpec(topology_spread_constraints=[spread(1, ZONE, WEB, when="ScheduleAnyway")])
    nodes = [
        mk_node("a1", {ZONE: "a"}),
        mk_node("a2", {ZONE: "a"}),
        mk_node("b1", {ZONE: "b"}),
        mk_node("c1", {ZONE: "c"}),
    ]
    pods = {
        "a1": [mk_pod("w1", {"app": "web"})],
        "a2": [mk_pod("w2", {"app": "web"})],
        "b1": [mk_pod("w3", {"app": "web"})],
    }
    s = plugin_scores(mk_pod(labels={"app": "web"}), spec, nodes, pods)
    assert s[POD_TOPOLOGY_SPREAD] == {"a1": 0, "a2": 0, "b1": 33, "c1": 100}


def test_spread_score_system_defaults() -> None:
    # No constraints: hostname maxSkew 3 and zone maxSkew 5 (ScheduleAnyway), selector = the
    # pod's labels. Web pods: a1 2, a2 0, b1 1. Weights: hostname ln(3 nodes + 2) = 1.6094,
    # zone ln(2 zones + 2) = 1.3863.
    # a1: 2·1.6094 + 2 + 2·1.3863 + 4 = 11.99 → 12
    # a2: 0 + 2 + 2·1.3863 + 4 = 8.77 → 9
    # b1: 1.6094 + 2 + 1.3863 + 4 = 9.00 → 9
    # normalised 100·(12 + 9 − s)//12: a1 75, a2 100, b1 100
    nodes = [
        mk_node("a1", {ZONE: "a", LABEL_HOSTNAME: "a1"}),
        mk_node("a2", {ZONE: "a", LABEL_HOSTNAME: "a2"}),
        mk_node("b1", {ZONE: "b", LABEL_HOSTNAME: "b1"}),
    ]
    pods = {
        "a1": [mk_pod(f"w{i}", {"app": "web"}) for i in range(2)],
        "b1": [mk_pod("w9", {"app": "web"})],
    }
    assert 2 * math.log(5) + 2 + 2 * math.log(4) + 4 == pytest.approx(11.99, abs=0.01)
    s = plugin_scores(mk_pod(labels={"app": "web"}), EMPTY_SPEC, nodes, pods)
    assert s[POD_TOPOLOGY_SPREAD] == {"a1": 75, "a2": 100, "b1": 100}
    # A pod without labels has an empty default selector: no spreading score at all.
    assert POD_TOPOLOGY_SPREAD not in plugin_scores(mk_pod(), EMPTY_SPEC, nodes, pods)


# ------------------------------------------------- narrated case: a zone goes dark

DEFAULT_TOLERATIONS = [
    # added by the DefaultTolerationSeconds admission plugin: NoExecute only
    Toleration(TAINT_NODE_NOT_READY, "Exists", None, "NoExecute", 300),
    Toleration(TAINT_NODE_UNREACHABLE, "Exists", None, "NoExecute", 300),
]
ZONE_SPREAD = {
    "maxSkew": 1,
    "topologyKey": ZONE,
    "whenUnsatisfiable": "DoNotSchedule",
    "labelSelector": WEB,
}


def web_pod(name: str, node: str | None = None, terminating: bool = False) -> Pod:
    return mk_pod(
        name,
        {"app": "web"},
        node=node,
        requests={"cpu": 500, "memory": 512 * MI},
        tolerations=DEFAULT_TOLERATIONS,
        terminating=terminating,
    )


def zone_cluster(c_down: bool) -> tuple[list[Node], dict[str, list[Pod]]]:
    """3 zones × 2 nodes (4 cpu, 16 GiB); one web pod on a1, b1, c1. With zone c down its
    nodes are NotReady, tainted unreachable NoExecute + NoSchedule, and its pod is
    Terminating (evicted, but no kubelet to finish it)."""
    nodes = []
    for z in "abc":
        for i in (1, 2):
            n = mk_node(f"{z}{i}", {ZONE: z, LABEL_HOSTNAME: f"{z}{i}"})
            if z == "c" and c_down:
                n.ready = "Unknown"
                n.taints = [
                    Taint(TAINT_NODE_UNREACHABLE, "", "NoExecute", 100.0),
                    Taint(TAINT_NODE_UNREACHABLE, "", "NoSchedule"),
                ]
            nodes.append(n)
    pods = {
        "a1": [web_pod("web-1", "a1")],
        "b1": [web_pod("web-2", "b1")],
        "c1": [web_pod("web-3", "c1", terminating=c_down)],
    }
    return nodes, pods


def test_zone_outage_before_any_node_fits() -> None:
    # Healthy: zones a, b, c hold 1 each; min 1; a new pod anywhere: 1 + 1 − 1 = 1 ≤ 1.
    nodes, pods = zone_cluster(c_down=False)
    spec = scheduling_spec_from_pod_spec({"topologySpreadConstraints": [ZONE_SPREAD]})
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods)
    assert r.feasible_nodes == 6


def test_zone_outage_default_taints_policy_leaves_replacement_pending() -> None:
    # nodeTaintsPolicy Ignore (default): zone c is still a domain. Its only pod is
    # Terminating and not counted, so the counts are a 1, b 1, c 0 and the global min is 0.
    # a1, a2, b1, b2: 1 + 1 (the pod matches itself) − 0 = 2 > maxSkew 1 → spread filter.
    # c1, c2: the untolerated unreachable:NoSchedule taint (the pod tolerates NoExecute only).
    nodes, pods = zone_cluster(c_down=True)
    spec = scheduling_spec_from_pod_spec({"topologySpreadConstraints": [ZONE_SPREAD]})
    state = cal_pre_filter_state(web_pod("web-4"), spec, Snapshot(nodes, pods).list())
    assert state.match_num == [{"a": 1, "b": 1, "c": 0}]
    assert state.min_match_num(0) == 0
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods, config=V133)
    assert r.node_name is None
    assert r.message == (
        "0/6 nodes are available: 2 node(s) had untolerated taint "
        "{node.kubernetes.io/unreachable: }, 4 node(s) didn't match pod topology spread "
        "constraints. preemption: 0/6 nodes are available: 2 Preemption is not helpful for "
        "scheduling, 4 No preemption victims found for incoming pod."
    )
    # Kubernetes 1.34+ (default config) adds the DRA note before the preemption part.
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods)
    assert ". no new claims to deallocate, preemption: 0/6" in r.message
    # Deleting the Terminating pod object changes nothing: zone c stays a domain with 0.
    del pods["c1"]
    assert schedule_pod(web_pod("web-4"), spec, nodes, pods).node_name is None
    # filter_node says the same for one node.
    assert filter_node(web_pod("web-4"), spec, nodes[0], pods["a1"], nodes, pods) == [
        ERR_REASON_SPREAD
    ]


def test_zone_outage_taints_policy_honor_schedules() -> None:
    # nodeTaintsPolicy Honor: c1, c2 carry an untolerated NoSchedule taint, so zone c is no
    # domain. Counts a 1, b 1, min 1; a or b: 1 + 1 − 1 = 1 ≤ 1 → a1, a2, b1, b2 fit.
    nodes, pods = zone_cluster(c_down=True)
    spec = scheduling_spec_from_pod_spec(
        {"topologySpreadConstraints": [{**ZONE_SPREAD, "nodeTaintsPolicy": "Honor"}]}
    )
    r = schedule_pod(web_pod("web-4"), spec, nodes, pods)
    # Scores (no ScheduleAnyway constraint: PodTopologySpread does not score; no affinity):
    #   TaintToleration: no PreferNoSchedule taints → 100 each, × 3 = 300
    #   NodeResourcesFit (LeastAllocated), 4000m / 16384 MiB:
    #     a1, b1 (one pod + this one: 1000m, 1024 MiB): cpu 3000·100//4000 = 75,
    #       memory 15360·100//16384 = 93 → (75 + 93)//2 = 84
    #     a2, b2 (this pod only: 500m, 512 MiB): cpu 87, memory 96 → 91
    #   BalancedAllocation: a1 fractions 0.25 and 0.0625 → std 0.09375 → 90;
    #     a2 0.125 and 0.03125 → std 0.046875 → 95
    #   totals: a1 = b1 = 300 + 84 + 90 = 474; a2 = b2 = 300 + 91 + 95 = 486
    assert r.scores == {"a1": 474, "a2": 486, "b1": 474, "b2": 486}
    assert r.node_name == "a2"  # tie a2/b2 broken by name
    # The next one cannot go to zone a any more (2 + 1 − 1 = 2 > 1) but fits zone b.
    pods["a2"] = [web_pod("web-4", "a2")]
    r5 = schedule_pod(web_pod("web-5"), spec, nodes, pods)
    assert r5.node_name == "b2"
    assert set(r5.statuses) == {"a1", "a2", "c1", "c2"}
    assert r5.statuses["a1"].reasons == (ERR_REASON_SPREAD,)


# ------------------------------------------------------------------------ property


@settings(max_examples=40, deadline=None)
@given(
    zones=st.integers(min_value=2, max_value=4),
    nodes_per_zone=st.integers(min_value=1, max_value=3),
    replicas=st.integers(min_value=1, max_value=25),
    max_skew=st.integers(min_value=1, max_value=2),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_property_do_not_schedule_keeps_skew(
    zones: int, nodes_per_zone: int, replicas: int, max_skew: int, seed: int
) -> None:
    # Scheduling replicas one by one onto ample, healthy nodes with a DoNotSchedule zone
    # constraint never leaves zone counts further apart than maxSkew, and never blocks.
    nodes = [
        mk_node(f"z{z}n{i}", {ZONE: f"z{z}", LABEL_HOSTNAME: f"z{z}n{i}"}, cpu=64_000)
        for z in range(zones)
        for i in range(nodes_per_zone)
    ]
    spec = scheduling_spec_from_pod_spec(
        {"topologySpreadConstraints": [{**ZONE_SPREAD, "maxSkew": max_skew}]}
    )
    snap = Snapshot(nodes)
    rng = random.Random(seed)
    counts = dict.fromkeys((f"z{z}" for z in range(zones)), 0)
    for i in range(replicas):
        pod = web_pod(f"w{i}")
        r = schedule_pod_in_snapshot(pod, spec, snap, tie_breaker=rng.choice)
        assert r.node_name is not None, r.message
        pod.node_name = r.node_name
        snap.add_pod(pod)
        counts[snap.node_infos[r.node_name].node.labels[ZONE]] += 1
        assert max(counts.values()) - min(counts.values()) <= max_skew
