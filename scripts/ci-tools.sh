#!/usr/bin/env bash
# Install the external tools the manifest tests use (DESIGN §7), from the registries only:
#   promtool  Debian package `prometheus` (promtool check rules / test rules)
#   kubectl   for `kubectl kustomize`: kept if present; otherwise Debian's `kubernetes-client`
#             (kubectl 1.20 with kustomize built in, enough for our kustomization.yaml)
#   checkov   from PyPI, in its own virtual environment /opt/checkov (its pins clash with ours)
#   chromium  Debian package `chromium`: the report test renders the HTML report headless
#   pdftoppm  Debian package `poppler-utils` (pdftoppm, pdfinfo, pdftotext): the PDF report's pages
# Then export CAPACITY_REQUIRE_TOOLS=1 in the caller so missing tools fail instead of skip:
#   source scripts/ci-tools.sh   (or run it, then set the variable yourself)
set -euo pipefail

need_apt=()
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubernetes-client)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)   # the server, for the TSDB tests
command -v curl >/dev/null 2>&1 || need_apt+=(curl)   # docs/import.md's query_range lines, tested
if ((${#need_apt[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends: promtool only; the prometheus service is not started in CI.
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

CHECKOV_VENV="${CHECKOV_VENV:-/opt/checkov}"
if [ ! -x "$CHECKOV_VENV/bin/checkov" ]; then
  python3 -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install -q --disable-pip-version-check checkov
fi

promtool --version 2>&1 | head -1
kubectl version --client 2>/dev/null | head -1 || true
"$CHECKOV_VENV/bin/checkov" --version
chromium --version 2>/dev/null | head -1 || true
pdftoppm -v 2>&1 | head -1 || true
