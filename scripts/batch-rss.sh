#!/usr/bin/env bash
# Peak memory (VmHWM) of `painchain serve` taking big batches: one ~15 MB
# batch, then N (default 16) at once. Loopback only, SQLite in a temporary
# directory, bounded (N requests of one file).
#
#   scripts/batch-rss.sh [path/to/painchain] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/painchain}"
N="${2:-16}"
DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 - "$DATA/batch.json" <<'PY'
import json, sys
# 1000 events of ~15 KB each: a 15 MB batch, within the 16 MB default limit.
items = [{"title": f"build {i}", "connector": "ci", "project": "p",
          "timestamp": "2024-01-01T00:00:00Z",
          "data": {"log": "x" * 14000, "n": list(range(50))}} for i in range(1000)]
json.dump(items, open(sys.argv[1], "w"))
PY
PAINCHAIN_LOG=warn "$BIN" serve --no-auth --bind "127.0.0.1:$PORT" --data-dir "$DATA/d" --retention off &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.5; done
hwm() { awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$PID/status"; }
echo "batch: $(du -m "$DATA/batch.json" | cut -f1) MB; idle: $(hwm)"
post() { curl -s -o /dev/null -w '%{http_code} ' -H 'content-type: application/json' \
  --data-binary @"$DATA/batch.json" "http://127.0.0.1:$PORT/api/events/batch"; }
post; echo; echo "after 1 batch: $(hwm)"
posts=()
for _ in $(seq 1 "$N"); do post & posts+=($!); done
wait "${posts[@]}"; echo
echo "after $N concurrent batches: $(hwm)"
