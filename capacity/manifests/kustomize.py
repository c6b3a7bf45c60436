"""Render a kustomization with the real ``kubectl kustomize`` (no re-implementation).

``render_kustomization(folder)`` runs ``kubectl kustomize`` on a folder holding a
``kustomization.yaml`` and returns the rendered objects, each with the file it came from
(kustomize's ``config.kubernetes.io/origin`` annotation, asked for through a wrapper
kustomization in a temporary folder, so the user's files are never touched; a kustomize
too old for that builds the folder directly, without origins). Patches,
``labels``/``commonLabels``, ``namespace``, generators and components are applied exactly
as ``kubectl apply -k`` would apply them.

kubectl is looked up as ``$CAPACITY_KUBECTL`` or ``kubectl`` on ``PATH``. When it is
missing or fails, :class:`~capacity.errors.ScenarioError` says so in one line: an import
never falls back to reading the folder's files raw (that would lose every patch).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from capacity.errors import ScenarioError

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
TIMEOUT_SECONDS = 120


@dataclass
class Rendered:
    """One object of ``kubectl kustomize`` output and the file that defined it (if known)."""

    obj: dict[str, Any]
    origin: Path | None


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file of ``folder``, or None."""
    for name in KUSTOMIZATION_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def kubectl() -> str | None:
    """Path of the kubectl binary to use, or None when there is none."""
    env = os.environ.get("CAPACITY_KUBECTL")
    if env:
        return env if os.access(env, os.X_OK) else None
    return shutil.which("kubectl")


def _kubectl_error(stderr: str) -> str:
    """kubectl's failure as one line (klog's ``err="..."`` when present)."""
    m = re.search(r'err="((?:[^"\\]|\\.)*)"', stderr)
    if m:
        text = m.group(1).encode().decode("unicode_escape")
    else:
        lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("# Warning")]
        text = lines[-1] if lines else "kubectl kustomize failed"
        text = text.removeprefix("error: ")
    return " ".join(text.split())


def _run(binary: str, folder: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([binary, "kustomize", str(folder)], capture_output=True,
                              text=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise ScenarioError(f"kubectl kustomize took longer than {TIMEOUT_SECONDS} s "
                            "(remote bases?)", file=str(folder)) from None
    except OSError as e:
        raise ScenarioError(f"kubectl could not be run ({e.strerror})", file=str(folder)) from None


def render_kustomization(folder: Path, shown: str) -> list[Rendered]:
    """Every object ``kubectl kustomize folder`` renders, with its origin file.

    ``shown`` names the kustomization in messages. Raises ScenarioError when kubectl is
    missing, fails, or prints something that is not YAML.
    """
    binary = kubectl()
    if binary is None:
        raise ScenarioError(
            "a kustomization is rendered with `kubectl kustomize`, and kubectl is not "
            "installed (scripts/ci-tools.sh installs it; or set CAPACITY_KUBECTL): "
            "nothing was imported", file=shown)
    folder = folder.resolve()
    with tempfile.TemporaryDirectory(prefix="capacity-kustomize-") as tmp:
        # A wrapper kustomization that only adds origin annotations: the objects are the
        # same as the folder's own build. Kustomize wants a relative path to the folder.
        wrapper = Path(tmp)
        rel = os.path.relpath(folder, wrapper)
        (wrapper / "kustomization.yaml").write_text(yaml.safe_dump({
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": [rel], "buildMetadata": ["originAnnotations"]}), encoding="utf-8")
        r = _run(binary, wrapper)
        if r.returncode != 0:
            # The user's own build: its message is in the user's own paths, and an old
            # kustomize (kubectl < 1.21 has kustomize v2, without buildMetadata) may build
            # the folder itself; the objects are then named by the kustomization only.
            r = _run(binary, folder)
            if r.returncode != 0:
                raise ScenarioError(f"kubectl kustomize failed: {_kubectl_error(r.stderr)}",
                                    file=shown)
        try:
            docs = [d for d in yaml.safe_load_all(r.stdout) if d is not None]
        except yaml.YAMLError as e:  # pragma: no cover - kustomize prints valid YAML
            raise ScenarioError(f"kubectl kustomize printed invalid YAML ({e})", file=shown) from None
        out = []
        for d in docs:
            if not isinstance(d, dict):
                continue
            out.append(Rendered(d, _pop_origin(d, wrapper)))
    return out


def _pop_origin(obj: dict[str, Any], root: Path) -> Path | None:
    """Remove our origin annotation from ``obj``; the file it names, resolved."""
    meta = obj.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(ann, dict) or ORIGIN_ANNOTATION not in ann:
        return None
    raw = ann.pop(ORIGIN_ANNOTATION)
    if not ann:
        del meta["annotations"]
    try:
        origin = yaml.safe_load(raw)
    except yaml.YAMLError:
        return None
    path = origin.get("path") if isinstance(origin, dict) else None
    if not isinstance(path, str) or origin.get("repo"):
        return None
    return (root / path).resolve()


__all__ = ["KUSTOMIZATION_FILES", "Rendered", "kubectl", "kustomization_file",
           "render_kustomization"]
