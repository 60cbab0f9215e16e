#!/usr/bin/env bash
# Runs conformance/tempest-identity.sh against a fresh `latchkey serve`, once on SQLite and once on
# PostgreSQL (a database of its own, made and dropped here), as CI does.
#   conformance/run.sh [REGEX]
# Without a REGEX it runs the tests listed in conformance/passing.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

regex=${1:-"^($(grep -v '^#' conformance/passing.txt | grep . | paste -sd'|'))\\["}
postgres=${LATCHKEY_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
password="tempest admin password"
cargo build --quiet --locked -p latchkey

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run BACKEND [DATABASE_URL]: one server, one suite run.
run() {
  local backend=$1 url=${2:-} port data pid status=0
  port=$(free_port)
  data=$(mktemp -d)
  env -u LATCHKEY_DATABASE_URL LATCHKEY_DATA_DIR="$data" LATCHKEY_LISTEN="127.0.0.1:$port" \
    LATCHKEY_PUBLIC_URL="http://127.0.0.1:$port" LATCHKEY_ADMIN_PASSWORD="$password" \
    ${url:+LATCHKEY_DATABASE_URL="$url"} \
    LATCHKEY_KEYSTONE_TOKENS_PER_MINUTE=6000 \
    target/debug/latchkey serve >"$data/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  echo "== tempest identity on $backend"
  conformance/tempest-identity.sh "http://127.0.0.1:$port" "$password" "$regex" || status=$?
  kill "$pid"; wait "$pid" || true
  rm -rf "$data"
  return "$status"
}

status=0
run sqlite || status=1
db="lktempest_$$"
base=${postgres%/*}
psql "$postgres" -qc "CREATE DATABASE $db"
run postgres "$base/$db" || status=1
psql "$postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
exit "$status"
