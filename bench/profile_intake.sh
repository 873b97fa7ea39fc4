#!/usr/bin/env bash
# Where signed intake's time goes, on the whole machine: the server, its database and the
# load generator. Runs `wrk` with signed submissions against a release build and records
# every CPU with `perf record -a -g` for 8 s of the load, then prints the share of each
# process and the hottest functions of the server and of PostgreSQL.
# Usage: bench/profile_intake.sh [database-url]. Without a URL, the store is SQLite.
# Needs wrk and perf (apt-get install wrk linux-perf). Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null && command -v perf >/dev/null \
  || { echo "wrk and perf are needed: apt-get install wrk linux-perf" >&2; exit 2; }
cargo build --release --quiet -p comity
BIN=$(realpath "${CARGO_TARGET_DIR:-target}/release/comity")
WORK=$(mktemp -d)
SERVER=
DB=
cleanup() {
  # The server is waited for, so it has stopped writing when its directory is removed.
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  [ -n "$DB" ] && psql "$1" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  rm -rf "$WORK"
}
trap 'cleanup "${1:-}"' EXIT
# shellcheck source=bench/common.sh
source bench/common.sh

STORE="--data-dir $WORK/data"
if [ -n "${1:-}" ]; then
  DB=comity_profile_$$
  psql "$1" -qc "CREATE DATABASE $DB" >/dev/null
  STORE="--database-url $(bench_database_url "$1" "$DB") $STORE"
fi
"$BIN" init $STORE >/dev/null 2>&1
register_parties "$BIN" "$STORE"
"$BIN" authority key generate --out "$WORK/k.jwk" 2>/dev/null > "$WORK/k.pub.jwk"
"$BIN" authority key add $STORE --authority fr-tj-paris --public-key "$WORK/k.pub.jwk" >/dev/null
"$BIN" request sign --key "$WORK/k.jwk" --document examples/requests/eu-epoc-traffic.json \
  --lifetime 900 --count 40000 > "$WORK/signed.jws"
start_server "$BIN" "$STORE" "$UNLIMITED"

# The profile starts once the load has settled, and ends before it does.
(sleep 3; perf record -a -g -F 499 -o "$WORK/perf.data" -- sleep 8 >/dev/null 2>&1) &
PROFILE=$!
COMITY_BENCH_JWS="$WORK/signed.jws" COMITY_BENCH_THREADS=2 \
  wrk -t2 -c64 -d14s -s bench/intake.lua "$URL/v1/requests" | grep -E 'Requests/sec|non-201'
wait "$PROFILE"
echo "== CPU by process (swapper is idle time)"
perf report -i "$WORK/perf.data" --sort comm --stdio --no-children -g none 2>/dev/null | grep -E '^ +[0-9]' | head -8
# The runtime's threads, the store's writer (SQLite's writer thread, or PostgreSQL's
# sequencer; thread names are cut to 15 characters) and PostgreSQL's processes.
for comm in tokio-rt-worker comity-sqlite-w comity-pg-seque postgres; do
  hottest=$(perf report -i "$WORK/perf.data" --comm "$comm" --sort sym --stdio --no-children -g none 2>/dev/null \
    | grep -E '^ +[0-9]' | head -15 || true)
  [ -z "$hottest" ] || printf '== hottest functions of %s\n%s\n' "$comm" "$hottest"
done
