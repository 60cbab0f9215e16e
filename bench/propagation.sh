#!/usr/bin/env bash
# Revocation propagation between two nodes on one PostgreSQL database: a PAT cached on node B is
# deleted on node A, and B is polled (one keep-alive connection, no pause) until it refuses it;
# repeated N times. Prints the worst, p99, median and mean delay from A's answer to B's refusal.
# Usage: bench/propagation.sh [revocations]   (LATCHKEY_BIN: another build to measure)
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${1:-1000} OUT=bench/results
BIN=${LATCHKEY_BIN:-target/release/latchkey}
PORT_A=${BENCH_PORT:-5095} PORT_B=$(( ${BENCH_PORT:-5095} + 1 ))
mkdir -p "$OUT"
[ -n "${LATCHKEY_BIN:-}" ] || cargo build --release -q -p latchkey

DATA=$(mktemp -d)
PASSWORD="bench password $$"
NAME="latchkey_bench_$$"
psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $NAME" >/dev/null
DB="postgres://postgres@127.0.0.1:5432/$NAME"
start_node() { # port, log
  LATCHKEY_DATA_DIR="$DATA" LATCHKEY_LISTEN="127.0.0.1:$1" LATCHKEY_ADMIN_PASSWORD="$PASSWORD" \
    LATCHKEY_DATABASE_URL="$DB" LATCHKEY_LOG=warn "$BIN" serve >"$OUT/$2" 2>&1 &
  echo $!
}
A=$(start_node "$PORT_A" propagation-a.log)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT_A/healthz" >/dev/null && break; sleep 0.1; done
B=$(start_node "$PORT_B" propagation-b.log)
cleanup() {
  kill "$A" "$B" 2>/dev/null; wait "$A" "$B" 2>/dev/null || true; rm -rf "$DATA"
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $NAME" >/dev/null
}
trap cleanup EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT_B/healthz" >/dev/null && break; sleep 0.1; done

PAT=$(curl -fs -u "lk0001-lk/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"name":"bench","description":"load test"}' \
  "http://127.0.0.1:$PORT_A/1.0/me/identity/user/admin/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

python3 - "$PORT_A" "$PORT_B" "$PAT" "$TRIALS" <<'PY'
import http.client, json, statistics, sys, time
port_a, port_b, admin, trials = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
a = http.client.HTTPConnection("127.0.0.1", port_a)
b = http.client.HTTPConnection("127.0.0.1", port_b)
def call(conn, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    return r.status, r.read()
delays = []
for i in range(trials):
    name = f"p{i}"
    status, body = call(a, "POST", "/1.0/me/identity/user/admin/token", admin, {"name": name, "description": "bench"})
    assert status == 200, body
    pat = json.loads(body)["token"]
    assert call(b, "GET", "/1.0/me", pat)[0] == 200  # cached on B
    status, _ = call(a, "DELETE", f"/1.0/me/identity/user/admin/token/{name}", admin)
    assert status == 200
    deleted = time.perf_counter()
    while True:
        status, _ = call(b, "GET", "/1.0/me", pat)
        if status == 401:
            delays.append(time.perf_counter() - deleted)
            break
        assert time.perf_counter() - deleted < 5, "B still accepts a PAT deleted 5 s ago"
ms = sorted(d * 1000 for d in delays)
print(f"{trials} revocations, node A -> node B (PostgreSQL LISTEN/NOTIFY): worst {ms[-1]:.2f} ms, "
      f"p99 {ms[int(len(ms) * 0.99) - 1]:.2f} ms, median {statistics.median(ms):.2f} ms, "
      f"mean {statistics.fmean(ms):.2f} ms")
PY
