#!/usr/bin/env bash
# Runs the README's quick-start command exactly as written (on a free
# loopback port and a temporary data directory, given through PAINCHAIN_*
# environment variables, which the config file can't override), waits for
# it to answer, checks the web UI, an event round trip and the example git
# integration, runs the README's "Try it" block against it, and stops it.
# A README whose commands break fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."

readme_command() { # the quick-start line ending in "# <marker>"
  grep -E "#[[:space:]]*$1\$" README.md | head -n1 | sed -E 's/[[:space:]]*#.*$//'
}
RUN_CMD=$(readme_command "runs PainChain")
[ -n "$RUN_CMD" ] || { echo "README: no line marked '# runs PainChain'" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
DATA=$(mktemp -d)
LOG="$DATA/server.log"
export PAINCHAIN_BIND="127.0.0.1:$PORT" PAINCHAIN_DATA_DIR="$DATA/data"

echo "README run command: $RUN_CMD (on $BASE)"
setsid bash -c "$RUN_CMD" >"$LOG" 2>&1 &
PGID=$!
stop() {
  kill -TERM -- -"$PGID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 -- -"$PGID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- -"$PGID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap stop EXIT
fail() { echo "README smoke: $*" >&2; echo "--- server log (tail)" >&2; tail -n 40 "$LOG" >&2; exit 1; }

# The command may still be compiling: allow for a full build on 2 cores.
for i in $(seq 1 1200); do
  curl -fsS "$BASE/health" >/dev/null 2>&1 && break
  kill -0 "$PGID" 2>/dev/null || fail "the run command exited"
  [ "$i" = 1200 ] && fail "no answer on /health after 20 minutes"
  sleep 1
done
echo "answering on $BASE"

curl -fsS "$BASE/" | grep -q '<div id="root"' || fail "/ does not serve the web UI"

# The "Try it" block as written, pointed at our port.
TRY=$(awk '/^## Try it/{t=1} t && /^```sh/{b=1; next} b && /^```/{exit} b{print}' README.md)
[ -n "$TRY" ] || fail "README: no sh block under '## Try it'"
OUT=$(PAINCHAIN_SERVER="$BASE" bash -euo pipefail -c "${TRY//localhost:8000/127.0.0.1:$PORT}" 2>&1) ||
  { echo "$OUT" >&2; fail "the 'Try it' block failed"; }
echo "$OUT" | grep -q '"event_id"' || { echo "$OUT" >&2; fail "posting the example event did not answer 201"; }
echo "$OUT" | grep -q 'Deploy api to production' || { echo "$OUT" >&2; fail "the example event was not listed"; }

# The example event round-trips with its optional fields.
EV=$(curl -fsS "$BASE/api/events?ref=commit:9f1c2ab")
for want in '"actor":"alice"' '"service":"api"' '"environment":"production"'; do
  echo "$EV" | tr -d ' \n' | grep -q "$want" || fail "event read back lacks $want: $EV"
done
# Posting it again is a duplicate.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/events" -H 'content-type: application/json' \
  -d "{\"title\":\"t\",\"connector\":\"ci\",\"project\":\"acme/api\",\"timestamp\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"externalId\":\"deploy-1234\"}")
[ "$code" = 409 ] || fail "the same externalId again answered $code, not 409"

# The example config's git integration collects this repository.
for i in $(seq 1 60); do
  n=$(curl -fsS "$BASE/api/events?connector=git&limit=5" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$n" -gt 0 ] && break
  [ "$i" = 60 ] && fail "no git events from the example integration after 60 s"
  sleep 1
done
echo "README smoke: run command, UI, Try it, event round trip and git integration OK"
