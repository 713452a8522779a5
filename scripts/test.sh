#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace against SQLite and
# PostgreSQL, the UI's unit tests, and the browser end-to-end tests.
#
# PostgreSQL: set PAINCHAIN_TEST_DATABASE_URL to an admin URL (each test makes
# and drops its own database). When unset, the local server at
# 127.0.0.1:5432 is used if it answers; otherwise the PostgreSQL tests are
# skipped with a warning — except under CI=true, where they must run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PAINCHAIN_TEST_DATABASE_URL:-}" ]; then
  if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    export PAINCHAIN_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
  elif [ "${CI:-}" = "true" ]; then
    echo "error: CI=true but PostgreSQL is unreachable at 127.0.0.1:5432" >&2
    exit 1
  else
    echo "WARNING: PostgreSQL not reachable and PAINCHAIN_TEST_DATABASE_URL unset: PostgreSQL tests will be SKIPPED" >&2
  fi
fi

step() { printf '\n==> %s\n' "$*"; }

if [ -f ui/package.json ]; then
  step "UI: install, build, unit tests"
  # check:api: the UI's generated API types match docs/openapi.json (which
  # the server's own openapi_contract test keeps equal to its handlers).
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run check:api && npm run build && npm test)
fi

step "Rust: build"
cargo build --workspace --all-targets

step "Rust: tests (SQLite + PostgreSQL)"
cargo test --workspace

if [ -f ui/package.json ] && grep -q '"e2e"' ui/package.json; then
  step "UI: browser end-to-end tests"
  bash ui/scripts/ensure-chromium.sh
  (cd ui && PAINCHAIN_BIN="$PWD/../target/debug/painchain" npm run e2e)
fi
