#!/usr/bin/env bash
# PAT-authenticated GET /1.0/me beside the bare GET /healthz of the same server, same run.
# Usage: bench/pat-me.sh [duration-seconds] [connections]   (WRK_THREADS, BENCH_PORT optional)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15} CONNECTIONS=${2:-64} THREADS=${WRK_THREADS:-1} PORT=${BENCH_PORT:-5091} OUT=bench/results
. bench/common.sh

PAT=$(curl -fs -u "lk0001-lk/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"name":"bench","description":"load test"}' \
  "$BASE/1.0/me/identity/user/admin/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -fs -H "Authorization: Bearer $PAT" "$BASE/1.0/me" >/dev/null

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores"
run bare-healthz /healthz
run pat-bearer-me /1.0/me -H "Authorization: Bearer $PAT"
run pat-basic-me /1.0/me -H "Authorization: Basic $(printf 'pat_jwt_bench:%s' "$PAT" | base64 -w0)"
ratios pat-bearer-me pat-basic-me
