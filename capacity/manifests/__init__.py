"""Emit Kubernetes manifests from a scenario; import a scenario from existing manifests.

- :func:`~capacity.manifests.emit.write_manifests` / ``render_manifests`` / ``build_manifests``
- :func:`~capacity.manifests.importer.import_manifests` and ``scenario_yaml``
- :func:`~capacity.manifests.crd_schema.validate_custom_resource` (vendored CRDs as JSON Schema)
- :mod:`capacity.manifests.alerts`: the seed's seven Prometheus alerts
"""

from capacity.manifests.emit import build_manifests, render_manifests, write_manifests
from capacity.manifests.importer import ImportResult, import_manifests, scenario_yaml

__all__ = ["ImportResult", "build_manifests", "import_manifests", "render_manifests",
           "scenario_yaml", "write_manifests"]
