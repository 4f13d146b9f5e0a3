#!/usr/bin/env bash
# Schemathesis against openapi.json and the local stack: no generated request may get a 5xx.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
.venv/bin/python -m local.stack --port "$port" --sweep-seconds 0 > "$log" 2>&1 &
stack=$!
trap 'kill "$stack" 2>/dev/null; wait "$stack" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/_local/health" > /dev/null && break
  kill -0 "$stack" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
.venv/bin/schemathesis run openapi.json --url "http://127.0.0.1:$port" -H "X-API-Key: pg_local_test_key" \
  --checks not_a_server_error --max-examples "${FUZZ_EXAMPLES:-100}" --seed 1
