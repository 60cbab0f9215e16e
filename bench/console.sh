#!/usr/bin/env bash
# The console's pages beside the API, same server, same run: Local users with 10,000 users and
# a user's Manage tokens (20 tokens), signed in with a session cookie, against PAT-authenticated
# GET /1.0/me and the bare GET /healthz.
# Usage: bench/console.sh [duration-seconds] [connections] [users]   (WRK_THREADS, BENCH_PORT;
# BENCH_DATA and BENCH_PASSWORD keep the 10,000 users, about 6 minutes of Argon2id, for reruns)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10} CONNECTIONS=${2:-8} USERS=${3:-10000} THREADS=${WRK_THREADS:-1} PORT=${BENCH_PORT:-5093} OUT=bench/results
. bench/common.sh

PAT=$(curl -fs -u "lk0001-lk/admin:$PASSWORD" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench-$$\",\"description\":\"load test\"}" \
  "$BASE/1.0/me/identity/user/admin/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

HAVE=$(curl -fs -H "Authorization: Bearer $PAT" "$BASE/1.0/me/identity/user" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)) - 1)')
if [ "$HAVE" -lt "$USERS" ]; then
  echo "making $((USERS - HAVE)) users (each one Argon2id hash; BENCH_DATA keeps them for the next run) …"
  seq -f 'user%05g' $((HAVE + 1)) "$USERS" | xargs -P 4 -I{} curl -fs -o /dev/null -H "Authorization: Bearer $PAT" \
    -H 'Content-Type: application/json' \
    -d '{"login":"{}","email":"{}@example.com","password":"bench password","description":"a bench user"}' \
    "$BASE/1.0/me/identity/user"
  for i in $(seq -w 1 20); do
    curl -fs -o /dev/null -H "Authorization: Bearer $PAT" -H 'Content-Type: application/json' \
      -d "{\"name\":\"token-$i\",\"description\":\"bench token $i\"}" \
      "$BASE/1.0/me/identity/user/admin/token"
  done
fi

# Sign in as a browser does: the form's binding cookie, then the session cookie.
JAR=$(mktemp)
trap 'rm -f "$JAR"; cleanup' EXIT
BINDING=$(curl -fs -c "$JAR" "$BASE/console/sign-in" | grep -o 'name="binding" value="[^"]*"' | cut -d'"' -f4)
curl -fs -o /dev/null -b "$JAR" -c "$JAR" --data-urlencode "binding=$BINDING" \
  --data-urlencode "user=lk0001-lk/admin" --data-urlencode "password=$PASSWORD" "$BASE/console/sign-in"
SESSION=$(awk '$6 == "latchkey_session" { print $7 }' "$JAR")
[ -n "$SESSION" ] || { echo "sign-in failed" >&2; exit 1; }
USERS_PAGE=$(curl -fs -H "Cookie: latchkey_session=$SESSION" "$BASE/console/identities/users")
echo "$USERS_PAGE" | grep -o 'Users 1–50 of [0-9]*'

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores"
run bare-healthz /healthz
run pat-bearer-me /1.0/me -H "Authorization: Bearer $PAT"
run console-users /console/identities/users -H "Cookie: latchkey_session=$SESSION"
run console-tokens /console/identities/users/admin/tokens -H "Cookie: latchkey_session=$SESSION"
# A signed-in page that reads nothing from the store: the session's cost and the frame.
run console-form '/console/identities/users/admin/tokens?add=1' -H "Cookie: latchkey_session=$SESSION"
ratios pat-bearer-me console-users console-tokens console-form
# Render time: one connection, so that the median is a page's own time, not the queue's.
CONNECTIONS=1
run console-users-c1 /console/identities/users -H "Cookie: latchkey_session=$SESSION"
run console-tokens-c1 /console/identities/users/admin/tokens -H "Cookie: latchkey_session=$SESSION"
for name in console-users-c1 console-tokens-c1; do
  printf '%-18s median %s\n' "$name" "$(awk '$1=="50%" {print $2}' "$OUT/$name.txt")"
done
python3 - "$OUT" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
rps = lambda n: float((out / f"{n}.rps").read_text())
for page in ("console-users", "console-tokens", "console-form"):
    print(f"{page}: {rps('pat-bearer-me') / rps(page):.2f}x the time of a PAT GET /1.0/me")
PY
