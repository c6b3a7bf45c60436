"""Tests for capacity.k8s.scheduler.framework: the FitError message (from
``kubernetes/kubernetes`` ``pkg/scheduler/framework/types_test.go`` TestFitError_Error,
ported as data) and the default plugin weights."""

from __future__ import annotations

import pytest

from capacity.k8s.scheduler.framework import DEFAULT_PLUGIN_WEIGHTS, fit_error_message

# ------------------------------------------------------------------------ FitError


@pytest.mark.parametrize(
    ("num", "reasons", "pre", "post", "want"),
    [
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed PreFilter plugin FalsePreFilter",)
            ),
            "Node(s) failed PreFilter plugin FalsePreFilter",
            "",
            "0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter.",
            id="nodes failed Prefilter plugin",
        ),
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed PreFilter plugin FalsePreFilter",)
            ),
            "Node(s) failed PreFilter plugin FalsePreFilter",
            "Error running PostFilter plugin FailedPostFilter",
            "0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter. "
            "Error running PostFilter plugin FailedPostFilter",
            id="nodes failed Prefilter plugin and the preemption also failed",
        ),
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed Filter plugin FalseFilter-1",)
            ),
            "",
            "",
            "0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1.",
            id="nodes failed one Filter plugin with an empty PostFilterMsg",
        ),
        pytest.param(
            3,
            dict.fromkeys(
                ("node1", "node2", "node3"), ("Node(s) failed Filter plugin FalseFilter-1",)
            ),
            "",
            "Error running PostFilter plugin FailedPostFilter",
            "0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1. "
            "Error running PostFilter plugin FailedPostFilter",
            id="nodes failed one Filter plugin with a non-empty PostFilterMsg",
        ),
        pytest.param(
            3,
            {
                "node1": ["Node(s) failed Filter plugin FalseFilter-1"],
                "node2": ["Node(s) failed Filter plugin FalseFilter-1"],
                "node3": ["Node(s) failed Filter plugin FalseFilter-2"],
            },
            "",
            "",
            "0/3 nodes are available: 1 Node(s) failed Filter plugin FalseFilter-2, "
            "2 Node(s) failed Filter plugin FalseFilter-1.",
            id="nodes failed two Filter plugins with an empty PostFilterMsg",
        ),
        pytest.param(
            1,
            {"node1": ["Node failed Permit plugin Permit-1"]},
            "",
            "",
            "0/1 nodes are available: 1 Node failed Permit plugin Permit-1.",
            id="failed to Permit on node",
        ),
        pytest.param(
            # by hand: "10 ..." sorts before "3 ..." (string sort, as Go's sort.Strings)
            13,
            {
                **{f"a{i}": ["Insufficient cpu"] for i in range(10)},
                **{f"b{i}": ["Too many pods"] for i in range(3)},
            },
            "",
            "",
            "0/13 nodes are available: 10 Insufficient cpu, 3 Too many pods.",
            id="counts sort as strings",
        ),
    ],
)
def test_fit_error_message(
    num: int, reasons: dict[str, list[str]], pre: str, post: str, want: str
) -> None:
    assert fit_error_message(num, reasons, pre_filter_msg=pre, post_filter_msg=post) == want


def test_fit_error_message_absent_nodes() -> None:
    got = fit_error_message(4, {"n1": ["Insufficient cpu"]}, absent_reasons=["x"])
    assert got == "0/4 nodes are available: 1 Insufficient cpu, 3 x."


# ------------------------------------------------------------------------- weights


def test_default_weights() -> None:
    assert dict(DEFAULT_PLUGIN_WEIGHTS) == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }
