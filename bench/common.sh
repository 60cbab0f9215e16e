# Shared by the bench scripts: wrk (installed from Debian when missing), the release binary, a
# server on a fresh data directory (stopped on exit), and `run NAME PATH [wrk args…]`, which
# prints req/s, p99 and the server's CPU time per request (user + system, from /proc: steadier
# than req/s on a shared machine, where wrk competes for the same cores), and keeps wrk's output
# in bench/results/.
# Expects DURATION, CONNECTIONS, THREADS, PORT, OUT; sets BASE and PASSWORD. LATCHKEY_BIN runs
# another build instead of this checkout's release binary. BENCH_DATA (with BENCH_PASSWORD, the
# ROOT password it was made with) serves a data directory kept from an earlier run, and keeps it.

mkdir -p "$OUT"
if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
# LATCHKEY_BIN: another build to measure (for a before/after comparison in the same session).
BIN=${LATCHKEY_BIN:-target/release/latchkey}
[ -n "${LATCHKEY_BIN:-}" ] || cargo build --release -q -p latchkey

DATA=${BENCH_DATA:-$(mktemp -d)}
PASSWORD=${BENCH_PASSWORD:-"bench password $$"}
BASE="http://127.0.0.1:$PORT"
LATCHKEY_DATA_DIR="$DATA" LATCHKEY_LISTEN="127.0.0.1:$PORT" LATCHKEY_ADMIN_PASSWORD="$PASSWORD" \
  LATCHKEY_LOG=warn "$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null
  [ -n "${BENCH_DATA:-}" ] || rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

run() { # name, path, extra wrk args...
  local name=$1 path=$2; shift 2
  local t0 t1
  t0=$(server_ticks)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$BASE$path" >"$OUT/$name.txt"
  t1=$(server_ticks)
  local rps p99 errors requests cpu
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$OUT/$name.txt")
  requests=$(awk '/requests in/ {print $1}' "$OUT/$name.txt")
  cpu=$(awk -v t="$((t1 - t0))" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  errors=$(grep -E 'Non-2xx|Socket errors' "$OUT/$name.txt" || true)
  printf '%-22s %12s req/s   p99 %-8s server CPU %s us/req %s\n' "$name" "$rps" "$p99" "$cpu" "$errors"
  echo "$rps" >"$OUT/$name.rps"
}

ratios() { # names... -> each as a share of the bare route
  python3 - "$OUT" "$@" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
bare = float((out / "bare-healthz.rps").read_text())
for name in sys.argv[2:]:
    rps = float((out / f"{name}.rps").read_text())
    print(f"{name}: {rps / bare:.0%} of the bare route")
PY
}
