#!/usr/bin/env bash
# `make fuzz`: schemathesis against the real server on a fresh SQLite file, twice: as a
# customer on the customer operations, then as an admin on every operation. Positive and
# negative data; any 5xx, or a response whose status, content type or body the OpenAPI
# document does not describe, fails the run.
#
# Usage: scripts/fuzz.sh BUDGET_SECONDS   (the two runs share the budget, 1/3 and 2/3)
# Environment: SCHEMATHESIS (default .venv/bin/schemathesis), SUPPORTDESK_BIN (default the
# debug binary), FUZZ_SEED (a number, for a reproducible run), FUZZ_WORKERS (default 1),
# FUZZ_ARGS (more schemathesis flags, e.g. "--report har"). Schemathesis runs in
# target/fuzz: its caches, reports and the server's log (server.log) end up there.
set -euo pipefail
cd "$(dirname "$0")/.."

budget="${1:-120}"
schemathesis="$(realpath "${SCHEMATHESIS:-.venv/bin/schemathesis}")"
binary="$(realpath "${SUPPORTDESK_BIN:-${CARGO_TARGET_DIR:-target}/debug/supportdesk}")"
# schemathesis and hypothesis keep their caches in the working folder: keep them in target/.
cache="${CARGO_TARGET_DIR:-target}/fuzz"
# One worker: with two, schemathesis (through hypothesis, which parses lambdas' source with
# `ast`) now and then dies of CPython 3.11's thread-unsafe parser ("SystemError: AST
# constructor recursion depth mismatch"), an error of the tool, not a finding.
workers="${FUZZ_WORKERS:-1}"
secret="fuzz-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  cp "$work/server.log" "$cache/server.log" 2>/dev/null || true
  rm -rf "$work"
}
mkdir -p "$cache"
cache="$(realpath "$cache")"
trap cleanup EXIT
trap 'exit 130' INT TERM

SUPPORTDESK_DATABASE_URL="sqlite://$work/fuzz.db" \
SUPPORTDESK_BIND=127.0.0.1:0 \
SUPPORTDESK_JWT_SECRET="$secret" \
SUPPORTDESK_ADMIN_EMAIL="admin@fuzz.example" \
SUPPORTDESK_ADMIN_PASSWORD="fuzz admin password" \
SUPPORTDESK_LOG="warn,supportdesk=info" \
NO_COLOR=1 \
  "$binary" serve >"$work/server.log" 2>&1 &
server_pid=$!

base=""
for _ in $(seq 1 600); do
  base="$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$work/server.log" | head -n 1)"
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "fuzz: the server exited:"; cat "$work/server.log"; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "fuzz: the server did not say where it listens:"; cat "$work/server.log"; exit 1; }
echo "fuzz: server at $base (log: $cache/server.log), budget ${budget}s"

# A customer token minted with the shared secret, as a single shop would (api.md); an
# unknown customer `sub` provisions the customer on first use. A staff token must stand for
# a live account (api-v1.1.md section 1), so the admin logs in as the bootstrap admin.
mint() {
  python3 - "$secret" "$1" <<'PY'
import base64, hashlib, hmac, json, sys, time, uuid
def b64(raw): return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
secret, role = sys.argv[1], sys.argv[2]
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = {"sub": str(uuid.uuid4()), "role": role, "tenant": "default", "name": "Fuzz " + role,
          "email": role + "@fuzz.example", "iat": now, "exp": now + 86400}
body = b64(json.dumps(claims).encode())
sig = b64(hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
}
customer="$(mint customer)"
admin="$(python3 - "$base" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(
    sys.argv[1] + "/api/v1/auth/login",
    data=json.dumps({"email": "admin@fuzz.example", "password": "fuzz admin password"}).encode(),
    headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request))["accessToken"])
PY
)"

customer_budget=$(( budget / 3 > 1 ? budget / 3 : 1 ))
admin_budget=$(( budget - customer_budget > 1 ? budget - customer_budget : 1 ))
seed=()
[ -n "${FUZZ_SEED:-}" ] && seed=(--seed "$FUZZ_SEED")

passed=0
failed=0
run() {
  local name="$1" token="$2" seconds="$3" out="$work/run.out" status=0
  shift 3
  echo "fuzz: $name, ${seconds}s"
  "$schemathesis" run "$base/api/v1/openapi.json" --url "$base" \
    -H "Authorization: Bearer $token" \
    --mode all \
    --phases examples,coverage,fuzzing,stateful \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-time "$seconds" \
    --workers "$workers" \
    --request-timeout 10 \
    --generation-database none \
    --no-color \
    "${seed[@]}" ${FUZZ_ARGS:-} "$@" | tee "$out" || status=1
  # schemathesis ends with "Test cases:" then "N generated, N passed" or "..., N found N unique failures".
  local counts
  counts="$(grep -A1 '^Test cases:' "$out" | tail -n 1)"
  passed=$(( passed + $(echo "$counts" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0) ))
  local found
  found="$(echo "$counts" | grep -oE '[0-9]+ unique failure' | grep -oE '[0-9]+' || echo 0)"
  if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi
  failed=$(( failed + found ))
  return "$status"
}

cd "$cache"
status=0
run "customer operations as a customer" "$customer" "$customer_budget" \
  --include-path-regex '^/api/v1/(tickets|categories)' || status=1
# Operations that can end the admin's own session (logout, revoke-sessions, an agent change
# that ends sessions) would make every later answer a correct but useless 401, so they run
# last, on their own.
session_enders='^/api/v1/(auth/logout|admin/agents/[^/]+(/revoke-sessions)?)$'
enders_budget=$(( admin_budget / 8 > 1 ? admin_budget / 8 : 1 ))
run "every other operation as an admin" "$admin" "$(( admin_budget - enders_budget ))" \
  --exclude-path-regex "$session_enders" || status=1
run "operations that can end the session, as an admin" "$admin" "$enders_budget" \
  --include-path-regex "$session_enders" || status=1

if grep -q "panicked" "$work/server.log"; then
  echo "fuzz: the server panicked:"
  grep -n -A5 "panicked" "$work/server.log" | head -n 40
  status=1
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "fuzz: the server died during the run:"
  tail -n 40 "$work/server.log"
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (server log tail below)"
  tail -n 20 "$work/server.log"
  [ "$failed" -eq 0 ] && failed=1
else
  echo "fuzz: no 5xx, every response conforms to the OpenAPI document"
fi
echo "fuzz: $passed passed, $failed failed"
exit "$status"
