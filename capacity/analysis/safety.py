"""Is a replica count safe to run? Rules that need no simulation.

A configuration with ``n`` pods is not safe when its PodDisruptionBudget allows no
disruption with all ``n`` healthy: every drain (a node upgrade, a spot notice, the cluster
autoscaler's scale-down) then blocks until someone intervenes. The count follows the
disruption controller: ``getExpectedPodCount`` and ``updatePdbStatus``
(``pkg/controller/disruption/disruption.go``, ported in :mod:`capacity.k8s.disruption`).
"""

from __future__ import annotations

from capacity.k8s import disruption as kdis
from capacity.k8s.intstr import get_scaled_value_from_int_or_percent
from capacity.scenario.model import Scenario


def disruptions_allowed(sc: Scenario, replicas: int) -> int | None:
    """PDB ``disruptionsAllowed`` with ``replicas`` healthy pods of one Deployment; None
    when the scenario has no PDB."""
    pdb = sc.disruption.podDisruptionBudget
    if pdb is None:
        return None
    n = int(replicas)
    if pdb.maxUnavailable is not None:
        desired = max(0, n - get_scaled_value_from_int_or_percent(pdb.maxUnavailable, n, True))
    elif pdb.minAvailable is not None:
        m = pdb.minAvailable
        desired = m if isinstance(m, int) else get_scaled_value_from_int_or_percent(m, n, True)
    else:
        desired = n  # an empty spec: minAvailable 100% (the API's default is no disruption)
    return kdis.disruptions_allowed_for(n, desired, n)


def pdb_blocks_drains(sc: Scenario, replicas: int) -> str | None:
    """Why ``replicas`` pods would block every drain, or None when they would not."""
    allowed = disruptions_allowed(sc, replicas)
    if allowed is None or allowed > 0:
        return None
    pdb = sc.disruption.podDisruptionBudget
    rule = (f"minAvailable {pdb.minAvailable}" if pdb.minAvailable is not None  # type: ignore[union-attr]
            else f"maxUnavailable {pdb.maxUnavailable}")  # type: ignore[union-attr]
    return (f"at {replicas} replica{'s' if replicas != 1 else ''} the PDB ({rule}) allows 0 "
            "disruptions: every drain would block")


def largest_zone(sc: Scenario) -> str | None:
    """The zone with the most node CPU (the first of equals); None without a cluster."""
    cl = sc.cluster
    if cl is None:
        return None
    from capacity.k8s.quantity import Quantity

    size = dict.fromkeys(cl.zones, 0.0)
    for pool in cl.nodePools:
        cpu = Quantity.parse(str(pool.allocatable.get("cpu", "0"))).milli_value()
        for z in pool.zones or cl.zones:
            size[z] += cpu * pool.nodesPerZone
    return max(cl.zones, key=lambda z: size[z])
