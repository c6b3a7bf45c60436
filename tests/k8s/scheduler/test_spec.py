"""Tests for capacity.k8s.scheduler.spec: reading a PodSpec dict."""

from __future__ import annotations

import pytest

from capacity.k8s.node import LABEL_HOSTNAME
from capacity.k8s.scheduler.spec import scheduling_spec_from_pod_spec
from tests.k8s.scheduler.builders import WEB, ZONE


def test_scheduling_spec_from_pod_spec() -> None:
    spec = scheduling_spec_from_pod_spec(
        {
            "nodeSelector": {"pool": "general"},
            "affinity": {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {"labelSelector": WEB, "topologyKey": LABEL_HOSTNAME}
                    ],
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 50,
                            "podAffinityTerm": {"labelSelector": WEB, "topologyKey": ZONE},
                        }
                    ],
                }
            },
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": ZONE,
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": WEB,
                    "minDomains": 3,
                    "nodeTaintsPolicy": "Honor",
                    "matchLabelKeys": ["pod-template-hash"],
                }
            ],
        }
    )
    assert spec.node_selector == {"pool": "general"}
    assert spec.required_pod_anti_affinity[0].topology_key == LABEL_HOSTNAME
    assert spec.preferred_pod_anti_affinity[0].weight == 50
    c = spec.topology_spread_constraints[0]
    assert (c.max_skew, c.topology_key, c.min_domains, c.node_taints_policy) == (
        1,
        ZONE,
        3,
        "Honor",
    )
    assert c.node_affinity_policy is None and c.match_label_keys == ("pod-template-hash",)
    with pytest.raises(ValueError):
        scheduling_spec_from_pod_spec(
            {
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": ZONE,
                        "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]},
                    }
                ]
            }
        )
