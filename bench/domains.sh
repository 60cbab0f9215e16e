#!/usr/bin/env bash
# Domain creation cost as domains come and go: N Keystone domains created (POST /v3/domains,
# each a new account with its ROOT user), then disabled and deleted, then N more created; prints
# the creation latency at the start and the end of each round. The aim: the last creation of the
# second round costs what the first of the first did (one query picks the nic, one Argon2 hash).
# Usage: bench/domains.sh [N] [sqlite|postgres]
#   LATCHKEY_BIN=path/to/latchkey   another build to compare (the same run, same machine)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200} BACKEND=${2:-sqlite} PORT=${BENCH_PORT:-5093} OUT=bench/results
BIN=${LATCHKEY_BIN:-target/release/latchkey}
mkdir -p "$OUT"
[ -n "${LATCHKEY_BIN:-}" ] || cargo build --release -q -p latchkey

DATA=$(mktemp -d)
PASSWORD="bench password $$"
BASE="http://127.0.0.1:$PORT"
DB=
if [ "$BACKEND" = postgres ]; then
  NAME="latchkey_bench_$$"
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $NAME" >/dev/null
  DB="postgres://postgres@127.0.0.1:5432/$NAME"
fi
env LATCHKEY_DATA_DIR="$DATA" LATCHKEY_LISTEN="127.0.0.1:$PORT" LATCHKEY_ADMIN_PASSWORD="$PASSWORD" \
  ${DB:+LATCHKEY_DATABASE_URL="$DB"} LATCHKEY_LOG=warn "$BIN" serve >"$OUT/domains-server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"
  [ -z "$DB" ] || psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $NAME" >/dev/null
}
trap cleanup EXIT
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

python3 - "$PORT" "$PASSWORD" "$N" "$BACKEND" <<'PY'
import http.client, json, statistics, sys, time
port, password, n, backend = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port)

def call(method, path, body=None, token=None, expect=(200, 201, 204)):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    res = conn.getresponse()
    data = res.read()
    if res.status not in expect:
        sys.exit(f"{method} {path}: {res.status} {data[:300]!r}")
    return res, data

auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"id": "default"}, "password": password}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
res, _ = call("POST", "/v3/auth/tokens", auth)
token = res.getheader("X-Subject-Token")

def round_of(tag):
    ids, times = [], []
    for i in range(n):
        t0 = time.perf_counter()
        _, data = call("POST", "/v3/domains", {"domain": {"name": f"{tag}-{i}"}}, token)
        times.append(time.perf_counter() - t0)
        ids.append(json.loads(data)["domain"]["id"])
    return ids, times

def show(label, times):
    k = max(1, n // 10)
    print(f"{backend} {label}: first {times[0] * 1e3:.1f} ms, median of the first {k} "
          f"{statistics.median(times[:k]) * 1e3:.1f} ms, median of the last {k} "
          f"{statistics.median(times[-k:]) * 1e3:.1f} ms, last {times[-1] * 1e3:.1f} ms")

ids, first = round_of("first")
show(f"{n} creations", first)
for d in ids:
    call("PATCH", f"/v3/domains/{d}", {"domain": {"enabled": False}}, token)
    call("DELETE", f"/v3/domains/{d}", None, token)
_, second = round_of("second")
show(f"{n} creations after {n} deletions", second)
print(f"{backend} last of the second round / first of the first: "
      f"{statistics.median(second[-max(1, n // 10):]) / statistics.median(first[:max(1, n // 10)]):.2f}")
PY
