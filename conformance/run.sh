#!/usr/bin/env bash
# Runs conformance/tempest-identity.sh against a fresh `latchkey serve`, once on SQLite and once on
# PostgreSQL (a database of its own, made and dropped here), as CI does.
#   conformance/run.sh [REGEX]
# Without a REGEX it runs the whole identity v3 suite (tempest 47.0.0), and fails
# unless at least TEMPEST_MIN_PASSED (134: all but the two security-compliance tests, which
# Python Keystone skips as well) pass on each backend.
set -euo pipefail
cd "$(dirname "$0")/.."

regex=${1:-'^tempest\.api\.identity\.(admin\.)?v3\.'}
min_passed=${TEMPEST_MIN_PASSED:-$([ $# -eq 0 ] && echo 134 || echo 1)}
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
  conformance/tempest-identity.sh "http://127.0.0.1:$port" "$password" "$regex" | tee "$data/tempest.out" ||
    status=$?
  local passed
  passed=$(sed -n 's/^tempest-identity: \([0-9]*\) passed.*/\1/p' "$data/tempest.out" | tail -n1)
  if [ "${passed:-0}" -lt "$min_passed" ]; then
    echo "tempest identity on $backend: ${passed:-0} passed, fewer than $min_passed" >&2
    status=1
  fi
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
