#!/usr/bin/env bash
# Deno parity smoke: `npx deno task start` (embedded database, in-memory
# runtime, the dashboard built by vite under Deno when missing) on a free port; once /readyz answers, .ci/deno-smoke.ts drives a
# device over its limit and waits for the Socket.IO alert; then the server is
# sent SIGTERM and must drain and exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="$(mktemp -d)"
log="$data_dir/server.log"
port="$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
export EMS_ADMIN_PASSWORD="deno-smoke-$RANDOM$RANDOM"
export EMS_DATA_DIR="$data_dir" PORT="$port" HOST=127.0.0.1 EMS_LOG_LEVEL=info
base="http://127.0.0.1:$port"

npx deno task start >"$log" 2>&1 &
wrapper=$!
cleanup() {
  kill "$wrapper" 2>/dev/null || true
  rm -rf "$data_dir"
}
trap cleanup EXIT
fail() {
  echo "deno smoke: $1" >&2
  tail -n 30 "$log" >&2
  exit 1
}

for _ in $(seq 1 120); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$wrapper" 2>/dev/null || fail "the server exited before it was ready"
  sleep 1
done
curl -fsS "$base/readyz" >/dev/null || fail "/readyz did not answer 200 within 120 s"
grep -q '"api listening"' "$log" || fail "no 'api listening' log line"
curl -fsS "$base/" | grep -qi '<!doctype html' || fail "GET / did not serve the dashboard"

npx tsx .ci/deno-smoke.ts "$base" || fail "the alert path failed"

# SIGTERM the server itself (its pid is in every log line), as an orchestrator would,
# and expect the whole `npx deno task` chain to exit 0 after the drain.
server_pid="$(grep -o '"pid":[0-9]*' "$log" | head -n 1 | cut -d: -f2)"
[ -n "$server_pid" ] || fail "no pid in the server's log"
kill -TERM "$server_pid"
code=0
wait "$wrapper" || code=$?
[ "$code" -eq 0 ] || fail "exit code $code after SIGTERM"
grep -q '"msg":"stopped"' "$log" || fail "no 'stopped' log line after SIGTERM"
echo "deno smoke: ready, alert pushed, SIGTERM drained, exit 0 (${SECONDS}s)"
