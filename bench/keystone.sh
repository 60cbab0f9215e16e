#!/usr/bin/env bash
# Keystone tokens: validations/s (GET /v3/auth/tokens) and token-method issues/s (POST
# /v3/auth/tokens rescoping to a project, catalog included), on Latchkey and on Python Keystone
# 30.0.0 (SQLite, Fernet, gunicorn with 2 workers, in-memory cache), same load generator, same
# run, one server under load at a time. Password issues are measured apart, shorter (Argon2id
# and bcrypt are slow on purpose). Usage: bench/keystone.sh [duration-seconds] [connections]
# Python Keystone is installed from PyPI into target/bench-keystone-venv on first use.
# Latchkey's per-identity issue limit is lifted for the run, as the load comes from one user.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15} CONNECTIONS=${2:-64} THREADS=${WRK_THREADS:-1} PORT=${BENCH_PORT:-5093} OUT=bench/results
KS_PORT=${BENCH_KEYSTONE_PORT:-5094}
export LATCHKEY_KEYSTONE_TOKENS_PER_MINUTE=1000000000
. bench/common.sh

# --- Python Keystone 30.0.0 ---------------------------------------------------------------
venv=target/bench-keystone-venv
if [ ! -x "$venv/bin/keystone-manage" ]; then
  echo "installing keystone==30.0.0 and gunicorn from PyPI" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check keystone==30.0.0 gunicorn
fi
KS_DIR=$(mktemp -d)
cat >"$KS_DIR/keystone.conf" <<EOF
[DEFAULT]
log_file = $KS_DIR/keystone.log
[database]
connection = sqlite:///$KS_DIR/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
[fernet_receipts]
key_repository = $KS_DIR/fernet-keys
[credential]
key_repository = $KS_DIR/credential-keys
[cache]
enabled = true
backend = dogpile.cache.memory
EOF
manage() { "$venv/bin/keystone-manage" --config-file "$KS_DIR/keystone.conf" "$@" >>"$OUT/python-keystone-manage.log" 2>&1; }
manage db_sync
manage fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
manage credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
manage bootstrap --bootstrap-password "$PASSWORD" --bootstrap-admin-url "http://127.0.0.1:$KS_PORT/v3/" \
  --bootstrap-public-url "http://127.0.0.1:$KS_PORT/v3/" --bootstrap-internal-url "http://127.0.0.1:$KS_PORT/v3/" \
  --bootstrap-region-id RegionOne
# Keystone reads its options from sys.argv, where gunicorn's own flags are: hide them from it.
cat >"$KS_DIR/keystone_app.py" <<'APP'
import sys

sys.argv = sys.argv[:1]
from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()
APP
OS_KEYSTONE_CONFIG_FILES="$KS_DIR/keystone.conf" "$venv/bin/gunicorn" -w 2 -b "127.0.0.1:$KS_PORT" \
  --chdir "$KS_DIR" --log-level warning keystone_app:application >"$OUT/python-keystone.log" 2>&1 &
KS_SERVER=$!
trap 'kill $SERVER $KS_SERVER 2>/dev/null; wait $SERVER $KS_SERVER 2>/dev/null; rm -rf "$DATA" "$KS_DIR"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$KS_PORT/v3" >/dev/null && break; sleep 0.2; done

# --- the same requests against each server --------------------------------------------------
password_body() {
  printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"%s"}}}%s}}' \
    "$PASSWORD" "$1"
}
SCOPE=',"scope":{"project":{"name":"admin","domain":{"id":"default"}}}'
issue() { # base, body -> X-Subject-Token
  curl -fsi -H 'Content-Type: application/json' -d "$2" "$1/v3/auth/tokens" |
    awk 'tolower($1)=="x-subject-token:" {print $2}' | tr -d '\r'
}
lua() { # method, body, headers... -> a wrk Lua script
  local method=$1 body=$2; shift 2
  printf 'wrk.method = "%s"\n' "$method"
  [ -n "$body" ] && printf "wrk.body = '%s'\n" "$body"
  printf 'wrk.headers["Content-Type"] = "application/json"\n'
  for h in "$@"; do printf 'wrk.headers["%s"] = "%s"\n' "${h%%:*}" "${h#*:}"; done
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout 10s on $(nproc) cores"
for target in latchkey python-keystone; do
  if [ "$target" = latchkey ]; then B=$BASE; else B="http://127.0.0.1:$KS_PORT"; fi
  scoped=$(issue "$B" "$(password_body "$SCOPE")")
  unscoped=$(issue "$B" "$(password_body "")")
  [ -n "$scoped" ] && [ -n "$unscoped" ] || { echo "$target: could not issue tokens" >&2; exit 1; }
  lua GET "" "X-Auth-Token:$scoped" "X-Subject-Token:$scoped" >"$OUT/ks-validate.lua"
  lua POST "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"$unscoped\"}}$SCOPE}}" \
    >"$OUT/ks-issue-token.lua"
  lua POST "$(password_body "$SCOPE")" >"$OUT/ks-issue-password.lua"
  save=$BASE; BASE=$B
  run "$target-validate" /v3/auth/tokens -s "$OUT/ks-validate.lua" --timeout 10s
  run "$target-issue-token" /v3/auth/tokens -s "$OUT/ks-issue-token.lua" --timeout 10s
  DURATION=$(( DURATION / 3 > 3 ? DURATION / 3 : 3 )) CONNECTIONS=8 \
    run "$target-issue-password" /v3/auth/tokens -s "$OUT/ks-issue-password.lua" --timeout 10s
  BASE=$save
done
run bare-healthz /healthz
python3 - "$OUT" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
rps = lambda n: float((out / f"{n}.rps").read_text())
for what in ("validate", "issue-token", "issue-password"):
    ours, theirs = rps(f"latchkey-{what}"), rps(f"python-keystone-{what}")
    print(f"{what}: Latchkey {ours:,.0f}/s, Python Keystone {theirs:,.0f}/s, {ours / theirs:.0f}x")
bare = rps("bare-healthz")
for what in ("validate", "issue-token"):
    print(f"latchkey-{what}: {rps(f'latchkey-{what}') / bare:.0%} of the bare route")
PY
