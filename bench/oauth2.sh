#!/usr/bin/env bash
# OAuth2 client_credentials grants/s and token introspections/s, beside the bare GET /healthz of
# the same server, same run. Usage: bench/oauth2.sh [duration-seconds] [connections]
# Installs wrk (Debian package) when missing; builds the release binary. The per-client grant
# limit is lifted for the run (LATCHKEY_OAUTH2_GRANTS_PER_MINUTE), as a load test is one client.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-15}
CONNECTIONS=${2:-64}
THREADS=${WRK_THREADS:-1}
PORT=${BENCH_PORT:-5092}
OUT=bench/results
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release -q -p latchkey

DATA=$(mktemp -d)
PASSWORD="bench password $$"
BASE="http://127.0.0.1:$PORT"
LATCHKEY_DATA_DIR="$DATA" LATCHKEY_LISTEN="127.0.0.1:$PORT" LATCHKEY_ADMIN_PASSWORD="$PASSWORD" \
  LATCHKEY_OAUTH2_GRANTS_PER_MINUTE=1000000000 LATCHKEY_LOG=warn \
  target/release/latchkey serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

CLIENT=$(curl -fs -u "lk0001-lk/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"callbackUrls":[],"flow":"CLIENT_CREDENTIALS","name":"bench","description":"load test"}' \
  "$BASE/1.0/me/api/oauth2/client")
ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["clientId"])' "$CLIENT")
SECRET=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["clientSecret"])' "$CLIENT")
BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
TOKEN=$(curl -fs -u "$ID:$SECRET" -d grant_type=client_credentials "$BASE/auth/oauth2/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

post_script() { # body -> a wrk Lua script posting it with the client's Basic credentials
  cat <<LUA
wrk.method = "POST"
wrk.body = "$1"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
LUA
}
post_script "grant_type=client_credentials" >"$OUT/grant.lua"
post_script "token=$TOKEN" >"$OUT/introspect.lua"

run() { # name, path, extra wrk args...
  local name=$1 path=$2; shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$BASE$path" >"$OUT/$name.txt"
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$OUT/$name.txt")
  errors=$(grep -E 'Non-2xx|Socket errors' "$OUT/$name.txt" || true)
  printf '%-22s %12s req/s   p99 %s %s\n' "$name" "$rps" "$p99" "$errors"
  echo "$rps" >"$OUT/$name.rps"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores"
run bare-healthz /healthz
run oauth2-grant /auth/oauth2/token -s "$OUT/grant.lua"
run oauth2-introspect /auth/oauth2/introspect -s "$OUT/introspect.lua"
python3 - "$OUT" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
bare = float((out / "bare-healthz.rps").read_text())
for name in ("oauth2-grant", "oauth2-introspect"):
    rps = float((out / f"{name}.rps").read_text())
    print(f"{name}: {rps / bare:.0%} of the bare route")
PY
