#!/usr/bin/env bash
# PAT-authenticated GET /1.0/me beside the bare GET /healthz of the same server, same run.
# Usage: bench/pat-me.sh [duration-seconds] [connections]
# Installs wrk (Debian package) when missing; builds the release binary; prints req/s and p99.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-15}
CONNECTIONS=${2:-64}
THREADS=${WRK_THREADS:-1}
PORT=${BENCH_PORT:-5091}
OUT=bench/results
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release -q -p latchkey

DATA=$(mktemp -d)
PASSWORD="bench password $$"
LATCHKEY_DATA_DIR="$DATA" LATCHKEY_LISTEN="127.0.0.1:$PORT" LATCHKEY_ADMIN_PASSWORD="$PASSWORD" \
  LATCHKEY_LOG=warn target/release/latchkey serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

PAT=$(curl -fs -u "lk0001-lk/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"name":"bench","description":"load test"}' \
  "http://127.0.0.1:$PORT/1.0/me/identity/user/admin/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -fs -H "Authorization: Bearer $PAT" "http://127.0.0.1:$PORT/1.0/me" >/dev/null

run() { # name, path, extra wrk args...
  local name=$1 path=$2; shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "http://127.0.0.1:$PORT$path" >"$OUT/$name.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$OUT/$name.txt")
  local errors
  errors=$(grep -E 'Non-2xx|Socket errors' "$OUT/$name.txt" || true)
  printf '%-22s %12s req/s   p99 %s %s\n' "$name" "$rps" "$p99" "$errors"
  echo "$rps" >"$OUT/$name.rps"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores"
run bare-healthz /healthz
run pat-bearer-me /1.0/me -H "Authorization: Bearer $PAT"
run pat-basic-me /1.0/me -H "Authorization: Basic $(printf 'pat_jwt_bench:%s' "$PAT" | base64 -w0)"
python3 - "$OUT" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
bare = float((out / "bare-healthz.rps").read_text())
for name in ("pat-bearer-me", "pat-basic-me"):
    rps = float((out / f"{name}.rps").read_text())
    print(f"{name}: {rps / bare:.0%} of the bare route")
PY
