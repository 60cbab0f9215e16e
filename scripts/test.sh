#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test of every crate on
# SQLite and on the local PostgreSQL (each test makes and drops its own database).
set -euo pipefail
cd "$(dirname "$0")/.."

export LATCHKEY_TEST_POSTGRES=${LATCHKEY_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}

# PostgreSQL runs on this kind of machine; start it if it was stopped.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

# Databases left behind by an interrupted run (tests, and the Tempest conformance runs).
psql "$LATCHKEY_TEST_POSTGRES" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'lktest\_%' OR datname LIKE 'lktempest\_%'" |
  while read -r db; do psql "$LATCHKEY_TEST_POSTGRES" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# No two modules of a crate import each other, directly or around a loop.
python3 scripts/module-cycles.py
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# Interoperability with real clients from PyPI (installed by the script itself).
interop/run.sh 2>&1 | tee -a "$log"
# The web console in Debian's Chromium, driven by Playwright, checked with axe-core.
browser/run.sh 2>&1 | tee -a "$log"
# The cargo-fuzz targets of the parsers that read untrusted bytes, 20 s each (fuzz/README.md).
fuzz/run.sh 20 2>&1 | tee -a "$log"
# OpenStack Tempest's identity v3 suite against a fresh server on each backend.
conformance/run.sh 2>&1 | tee -a "$log"
# One closing line for the whole suite: cargo's, pytest's and tempest's counts added up.
awk '/^test result:/ { p += $4; f += $6 }
     /^tempest-identity:/ { p += $2; f += $4 }
     /^[0-9]+ passed/ { p += $1; for (i = 1; i < NF; i++) if ($(i + 1) ~ /^failed/) f += $i }
     END { printf "%d passed, %d failed\n", p, f; if (p == 0) exit 1 }' "$log"
