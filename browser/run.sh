#!/usr/bin/env bash
# The console in a real browser: Debian's Chromium (installed here if missing) driven by
# playwright-core, checked with axe-core (both from npm, as package-lock.json pins them),
# against the real `latchkey` binary. Screenshots land in target/browser-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
stamp=browser/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || ! cmp -s browser/package-lock.json "$stamp.source" 2>/dev/null; then
  (cd browser && npm ci --silent --no-audit --no-fund)
  cp browser/package-lock.json "$stamp.source"
fi
# The `openstack` client that a downloaded OpenRC file is tried with.
interop/venv.sh
cargo build --quiet --locked -p latchkey
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
LATCHKEY_BIN="$PWD/target/debug/latchkey" OPENSTACK_BIN="$PWD/target/interop-venv/bin/openstack" node --test --test-concurrency=1 --test-reporter=spec \
  browser/tests/ 2>&1 | tee "$log" || status=$?
pass=$(awk '/^ℹ pass / { print $3 }' "$log")
fail=$(awk '/^ℹ fail / { print $3 }' "$log")
echo "${pass:-0} passed, ${fail:-0} failed (browser)"
exit "$status"
