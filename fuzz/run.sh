#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/README.md), each for SECONDS (default 20: CI's bound), and
# prints each one's executions. A finding stops the script, its input left in fuzz/artifacts/.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]      e.g. fuzz/run.sh 1800 keystone_auth_body
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true

# cargo-fuzz from crates.io, into this checkout's target directory.
version=0.13.2
fuzz=target/tools/bin/cargo-fuzz
if ! "$fuzz" --version 2>/dev/null | grep -qF "$version"; then
  cargo install --quiet --locked cargo-fuzz --version "$version" --root target/tools
fi

cd fuzz
started=$(date +%s)
# No sanitizer, so the stable toolchain builds it: the code fuzzed is safe Rust, and what the
# fuzzer can find in it (a panic, a failed assertion, an overflow: debug assertions are on)
# needs none.
"../$fuzz" build --sanitizer none
echo "fuzz: targets built in $(($(date +%s) - started)) s"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("../$fuzz" list)
for target in "${targets[@]}"; do
  corpus=../target/fuzz-corpus/$target
  mkdir -p "$corpus"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
  [ -f "dicts/$target.dict" ] && args+=(-dict="dicts/$target.dict")
  log=$(mktemp)
  if ! "../$fuzz" run --sanitizer none "$target" "$corpus" "seeds/$target" -- "${args[@]}" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz $target: FINDING (input in fuzz/artifacts/$target/)"
    exit 1
  fi
  runs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log")
  echo "fuzz $target: $runs executions in ${seconds} s, no finding"
  rm -f "$log"
done
echo "fuzz: ${#targets[@]} targets in $(($(date +%s) - started)) s in all"
