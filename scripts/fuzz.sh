#!/usr/bin/env bash
# Schemathesis against openapi.json and the local stack: no generated request may get a 5xx, every answer
# is one the document describes (its status, content type, headers and body schema), and every operation is
# reached (with a payment that exists, and across create -> read through the document's link).
# The fuzzer calls from outside every provider's address allowlist, as anyone on the internet would.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
.venv/bin/python -m local.stack --port "$port" --sweep-seconds 0 --set-credential payop.ipn_allowlist=192.0.2.1 \
  > "$log" 2>&1 &
stack=$!
trap 'kill "$stack" 2>/dev/null; wait "$stack" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/_local/health" > /dev/null && break
  kill -0 "$stack" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
# A payment for the operations that read one (schemathesis.toml names it).
PAYGATE_FUZZ_PAYMENT_ID=$(curl -sf -X POST "http://127.0.0.1:$port/payments" -H "X-API-Key: pg_local_test_key" \
  -H "Content-Type: application/json" -d '{"amount": "10.00", "currency": "USD", "provider": "sandbox"}' |
  .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["id"])')
export PAYGATE_FUZZ_PAYMENT_ID
.venv/bin/schemathesis --config-file scripts/schemathesis.toml run openapi.json --url "http://127.0.0.1:$port" \
  -H "X-API-Key: pg_local_test_key" --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "${FUZZ_EXAMPLES:-100}" --seed 1
