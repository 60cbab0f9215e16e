#!/usr/bin/env bash
# Interoperability tests with real clients from PyPI and npm, against the real `latchkey` binary.
# Installs the pinned clients into a virtual environment under target/ (made anew when
# requirements.txt changes), builds the binary, and runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/interop-venv
interop/venv.sh
# The official OVHcloud Node.js SDK, from the npm registry, as its lock file pins it.
node_stamp=interop/node/node_modules/.package-lock.json
if [ ! -f "$node_stamp" ] || ! cmp -s interop/node/package-lock.json "$node_stamp.source" 2>/dev/null; then
  (cd interop/node && npm ci --silent --no-audit --no-fund)
  cp interop/node/package-lock.json "$node_stamp.source"
fi
cargo build --quiet --locked -p latchkey -p latchkey-example-object-storage
LATCHKEY_BIN="$PWD/target/debug/latchkey" OBJECT_STORAGE_BIN="$PWD/target/debug/object-storage" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider interop "$@"
