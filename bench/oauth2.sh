#!/usr/bin/env bash
# OAuth2 client_credentials grants/s and token introspections/s, beside the bare GET /healthz of
# the same server, same run. Usage: bench/oauth2.sh [duration-seconds] [connections]
# The per-client grant limit is lifted for the run, as the load comes from one client.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15} CONNECTIONS=${2:-64} THREADS=${WRK_THREADS:-1} PORT=${BENCH_PORT:-5092} OUT=bench/results
export LATCHKEY_OAUTH2_GRANTS_PER_MINUTE=1000000000
. bench/common.sh

CLIENT=$(curl -fs -u "lk0001-lk/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"callbackUrls":[],"flow":"CLIENT_CREDENTIALS","name":"bench","description":"load test"}' \
  "$BASE/1.0/me/api/oauth2/client")
ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["clientId"])' "$CLIENT")
SECRET=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["clientSecret"])' "$CLIENT")
BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
TOKEN=$(curl -fs -u "$ID:$SECRET" -d grant_type=client_credentials "$BASE/auth/oauth2/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

post_script() { # form body -> a wrk Lua script posting it with the client's Basic credentials
  printf 'wrk.method = "POST"\nwrk.body = "%s"\n' "$1"
  printf 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
  printf 'wrk.headers["Authorization"] = "Basic %s"\n' "$BASIC"
}
post_script "grant_type=client_credentials" >"$OUT/grant.lua"
post_script "token=$TOKEN" >"$OUT/introspect.lua"

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores"
run bare-healthz /healthz
run oauth2-grant /auth/oauth2/token -s "$OUT/grant.lua"
run oauth2-introspect /auth/oauth2/introspect -s "$OUT/introspect.lua"
ratios oauth2-grant oauth2-introspect
