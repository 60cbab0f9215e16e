#!/usr/bin/env bash
# Write throughput: PAT create + delete pairs per second through the API (each pair is two
# changes, each committed with its audit record and its event), on SQLite or PostgreSQL.
# Usage: bench/writes.sh [duration-seconds] [clients] [sqlite|postgres]
#   LATCHKEY_BIN=path/to/latchkey   another build to compare (the same run, same machine)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10} CLIENTS=${2:-8} BACKEND=${3:-sqlite} PORT=${BENCH_PORT:-5093} OUT=bench/results
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
  ${DB:+LATCHKEY_DATABASE_URL="$DB"} LATCHKEY_LOG=warn "$BIN" serve >"$OUT/writes-server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"
  [ -z "$DB" ] || psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $NAME" >/dev/null
}
trap cleanup EXIT
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

PAT=$(curl -fs -u "lk0001-lk/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"name":"bench","description":"load test"}' \
  "$BASE/1.0/me/identity/user/admin/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

python3 - "$PORT" "$PAT" "$DURATION" "$CLIENTS" "$BACKEND" <<'PY'
import http.client, json, sys, threading, time
port, pat, duration, clients, backend = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
headers = {"Authorization": f"Bearer {pat}", "Content-Type": "application/json"}
done, errors = [0] * clients, [0] * clients
def client(i):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    end, n = time.monotonic() + duration, 0
    while time.monotonic() < end:
        name = f"w{i}-{n}"
        n += 1
        conn.request("POST", "/1.0/me/identity/user/admin/token", json.dumps({"name": name, "description": "bench"}), headers)
        r = conn.getresponse(); r.read()
        conn.request("DELETE", f"/1.0/me/identity/user/admin/token/{name}", headers=headers)
        d = conn.getresponse(); d.read()
        if r.status == 200 and d.status == 200:
            done[i] += 1
        else:
            errors[i] += 1
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
start = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - start
pairs = sum(done)
print(f"{backend}: {pairs / elapsed:,.0f} create+delete pairs/s ({2 * pairs / elapsed:,.0f} writes/s), "
      f"{clients} clients, {elapsed:.1f} s, {sum(errors)} errors")
PY
