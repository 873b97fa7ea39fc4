#!/usr/bin/env bash
# Cost as work grows (issue 17, item 3): signed intake and an authenticated read, measured
# step by step while one store fills from empty to REQUESTS stored requests: SQLite, or a
# fresh PostgreSQL database (dropped afterwards) when COMITY_BENCH_DATABASE_URL is set.
# Usage: bench/growth.sh [requests] [intake seconds per step] [read seconds per step] [binary]
# Defaults: 1,000,000 requests, 30 s of intake and 5 s of reads a step: about 15 minutes at
# 1,500 intakes a second, and a database of a few GB in the scratch directory.
# Needs wrk; honours CARGO_TARGET_DIR. A binary given is measured instead of building this
# checkout (a run of an hour need not hold the build directory still). Figures go to
# docs/benchmarks.md.
#
# Each step posts fresh signed submissions for the intake seconds, counts the requests
# stored before and after (created per second, so refusals never count as throughput),
# then reads the first request stored for the read seconds. One line per step:
#   stored  intake/s  intake p50  read/s  read p50  server RSS
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-1000000}
INTAKE_SECONDS=${2:-30}
READ_SECONDS=${3:-5}
CONNECTIONS=64
THREADS=2
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

if [ -n "${4:-}" ]; then BIN=$4; else
  cargo build --release --quiet -p comity
  BIN=${CARGO_TARGET_DIR:-target}/release/comity
fi
WORK=$(mktemp -d)
SERVER=
DB=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  wait 2>/dev/null || true
  [ -n "$DB" ] && psql "$COMITY_BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/common.sh
source bench/common.sh
DOC=examples/requests/eu-epoc-traffic.json
STORE="--data-dir $WORK/data"
if [ -n "${COMITY_BENCH_DATABASE_URL:-}" ]; then
  check_autovacuum "$COMITY_BENCH_DATABASE_URL"
  DB=comity_growth_$$
  psql "$COMITY_BENCH_DATABASE_URL" -qc "CREATE DATABASE $DB" >/dev/null
  STORE="--database-url $(bench_database_url "$COMITY_BENCH_DATABASE_URL" "$DB") $STORE"
fi

echo "== machine"
echo "$(nproc) cores; $(uname -r); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

$BIN init $STORE >/dev/null 2>&1
register_parties "$BIN" "$STORE"
$BIN authority key generate --out "$WORK/paris.jwk" 2>/dev/null > "$WORK/paris.pub.jwk"
$BIN authority key add $STORE --authority fr-tj-paris --public-key "$WORK/paris.pub.jwk" >/dev/null
TOKEN=$($BIN token create $STORE --org example-mail --role handler --label growth 2>/dev/null)

# A step never runs out: each has 4,000 submissions a second of its intake, more than any
# intake measured so far. They are signed just before their step, since a signature lasts
# at most 15 minutes.
PER_STEP=$((4000 * INTAKE_SECONDS))

start_server "$BIN" "$STORE" "$UNLIMITED"
FIRST=$($BIN request sign --key "$WORK/paris.jwk" --document "$DOC" \
  | curl -s "$URL/v1/requests" -H 'content-type: application/jose' --data-binary @- \
  | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
[ -n "$FIRST" ] || { echo "the first signed submission was refused" >&2; exit 1; }

stored() {
  curl -s "$URL/v1/requests?per_page=1" -H "Authorization: Bearer $TOKEN" | sed -n 's/.*"total":\([0-9]*\).*/\1/p'
}

echo "== stored, signed intake/s (p50), authenticated read/s (p50), server RSS"
printf '%10s %10s %10s %10s %10s %10s\n' stored intake/s p50 read/s p50 RSS
step=0
BEFORE=$(stored)
while [ "$BEFORE" -lt "$REQUESTS" ]; do
  step=$((step + 1))
  $BIN request sign --key "$WORK/paris.jwk" --document "$DOC" --lifetime 900 --count "$PER_STEP" \
    > "$WORK/signed-$step.jws"
  INTAKE=$(COMITY_BENCH_JWS="$WORK/signed-$step.jws" COMITY_BENCH_THREADS=$THREADS \
    wrk -t$THREADS -c$CONNECTIONS -d"${INTAKE_SECONDS}s" -s bench/intake.lua "$URL/v1/requests")
  rm -f "$WORK/signed-$step.jws"
  AFTER=$(stored)
  INTAKE_P50=$(echo "$INTAKE" | sed -n 's/^latency p50 \([0-9.]*\) ms.*/\1 ms/p')
  READ=$(wrk -t$THREADS -c$CONNECTIONS -d"${READ_SECONDS}s" --latency -H "Authorization: Bearer $TOKEN" \
    "$URL/v1/requests/$FIRST")
  printf '%10s %10s %10s %10s %10s %10s\n' "$AFTER" \
    "$(( (AFTER - BEFORE) / INTAKE_SECONDS ))" "$INTAKE_P50" \
    "$(echo "$READ" | sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p')" \
    "$(echo "$READ" | sed -n 's/^ *50% *\([0-9.a-z]*\)$/\1/p')" \
    "$(grep VmRSS /proc/$SERVER/status | awk '{print $2 / 1024 " MiB"}')"
  if echo "$READ" | grep -q 'Non-2xx'; then echo "reads were refused: $(echo "$READ" | grep Non-2xx)" >&2; exit 1; fi
  BEFORE=$AFTER
done
if [ -n "$DB" ]; then
  BYTES=$(psql "$COMITY_BENCH_DATABASE_URL" -tAc "SELECT pg_database_size('$DB')")
  echo "database: $((BYTES / 1048576)) MiB, $((BYTES / BEFORE)) bytes per stored request"
else
  BYTES=$(du -cb "$WORK/data/comity.db"* | tail -1 | cut -f1)
  echo "database with its write-ahead log: $((BYTES / 1048576)) MiB, $((BYTES / BEFORE)) bytes per stored request"
fi
stop_server
