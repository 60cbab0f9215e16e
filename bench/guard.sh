#!/usr/bin/env bash
# The example object storage (GET of a 512-byte object) behind the guard, beside the same back
# end without the guard, same run. Credentials: a project-scoped Keystone token (verified
# offline) and the ROOT user's PAT (introspected once; IAM check reused for 10 s).
# Usage: bench/guard.sh [duration-seconds] [connections]   (WRK_THREADS, BENCH_PORT optional)
# The in-process figure (a cached token through Guard::authenticate) is
# `cargo bench -p latchkey-guard`.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15} CONNECTIONS=${2:-64} THREADS=${WRK_THREADS:-1} PORT=${BENCH_PORT:-5091} OUT=bench/results
. bench/common.sh
cargo build --release -q -p latchkey-example-object-storage
NIC=lk0001-lk
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

PAT=$(curl -fs -u "$NIC/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d '{"name":"bench","description":"load test"}' \
  "$BASE/1.0/me/identity/user/admin/token" | json 'd["token"]')
AUTH='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"'"$PASSWORD"'"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}'
HEADERS=$(mktemp)
PROJECT=$(curl -fs -D "$HEADERS" -H 'Content-Type: application/json' -d "$AUTH" "$BASE/v3/auth/tokens" | json 'd["token"]["project"]["id"]')
KS=$(awk 'tolower($1)=="x-subject-token:" {print $2}' "$HEADERS" | tr -d '\r')
rm -f "$HEADERS"
# The ROOT user's PAT needs a policy for the product's resources.
curl -fs -H "Authorization: Bearer $PAT" -H 'Content-Type: application/json' -d '{
  "name":"bench-storage","identities":["urn:v1:eu:identity:user:'"$NIC"'/admin"],
  "resources":[{"urn":"urn:v1:eu:resource:objectStorage:'"$PROJECT"'"}],
  "permissions":{"allow":[{"action":"objectStorage:apiovh:object/get"}]}}' "$BASE/v2/iam/policy" >/dev/null

GUARDED=$((PORT + 1)) OPEN=$((PORT + 2))
LATCHKEY_URL=$BASE LATCHKEY_TOKEN=$PAT LATCHKEY_LOG=warn target/release/object-storage \
  --listen "127.0.0.1:$GUARDED" --project "$PROJECT=$NIC" --seed >"$OUT/storage-guarded.log" 2>&1 &
S1=$!
LATCHKEY_LOG=error target/release/object-storage --no-guard \
  --listen "127.0.0.1:$OPEN" --project "$PROJECT=$NIC" --seed >"$OUT/storage-open.log" 2>&1 &
S2=$!
trap 'kill $SERVER $S1 $S2 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT
OBJECT="/v1/AUTH_$PROJECT/photos/fullsize/ovh-summit-2014-backstage-DS.jpg"
for port in $GUARDED $OPEN; do
  for _ in $(seq 50); do curl -fsI -H "X-Auth-Token: $KS" "http://127.0.0.1:$port$OBJECT" >/dev/null && break; sleep 0.1; done
done
curl -fsI -H "Authorization: Bearer $PAT" "http://127.0.0.1:$GUARDED$OBJECT" >/dev/null
# A small object, so the figures measure the guard rather than copying bytes (wrk cannot HEAD).
SMALL="/v1/AUTH_$PROJECT/bench/small.txt"
head -c 512 /dev/urandom >"$OUT/small.bin"
for port in $GUARDED $OPEN; do
  curl -fs -X PUT -H "X-Auth-Token: $KS" --data-binary @"$OUT/small.bin" "http://127.0.0.1:$port$SMALL" >/dev/null
done

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores (server, back end and wrk share them)"
BASE=http://127.0.0.1:$OPEN run storage-no-guard "$SMALL"
BASE=http://127.0.0.1:$GUARDED run storage-keystone "$SMALL" -H "X-Auth-Token: $KS"
BASE=http://127.0.0.1:$GUARDED run storage-pat "$SMALL" -H "Authorization: Bearer $PAT"
python3 - "$OUT" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
bare = float((out / "storage-no-guard.rps").read_text())
for name in ["storage-keystone", "storage-pat"]:
    rps = float((out / f"{name}.rps").read_text())
    print(f"{name}: {rps / bare:.0%} of the back end without the guard")
PY
