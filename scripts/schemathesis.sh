#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from
# /api/openapi.json and runs every check against a real `painchain serve`
# (auth on, with an admin token made with `token create --local`; SQLite in
# a temporary directory; loopback only). Bounded: a few examples per
# operation, so it takes well under five minutes.
#
#   scripts/schemathesis.sh [path/to/painchain]   (default target/debug/painchain)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/painchain}"
VERSION=4.32.5
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-30}"

VENV="${SCHEMATHESIS_VENV:-${TMPDIR:-/tmp}/painchain-schemathesis-venv}"
if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$VERSION"
fi

DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TOKEN="$("$BIN" token create --local --data-dir "$DATA" --name schemathesis --scope admin)"
"$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$DATA" --retention off \
  >"$DATA/server.log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.5
done

status=0
# From the temporary directory: schemathesis keeps a cache (`.schemathesis/`)
# in the working directory.
cd "$DATA"
timeout 280 "$VENV/bin/schemathesis" --no-color run "http://127.0.0.1:$PORT/api/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples "$MAX_EXAMPLES" \
  --workers 2 \
  --request-timeout 10 \
  --generation-deterministic \
  --generation-database none \
  --report-dir "$DATA/report" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 50 lines) ---"
  tail -n 50 "$DATA/server.log"
fi
exit "$status"
