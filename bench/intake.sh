#!/usr/bin/env bash
# Intake throughput over HTTP with durable commits, and the reference points measured in
# the same run. Usage: bench/intake.sh [seconds] [connections]
# Needs wrk (apt-get install wrk). Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
CONNECTIONS=${2:-64}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

cargo build --release --quiet -p comity
BIN=target/release/comity
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== machine"
nproc; uname -r
echo "== fsync ceiling: 4 KiB writes with O_DSYNC on the data directory's disk (dd)"
dd if=/dev/zero of="$WORK/dsync" bs=4k count=2000 oflag=dsync 2>&1 | tail -1
rm -f "$WORK/dsync"

echo "== reference: the sqlite3 CLI, one durable transaction per insert (WAL, synchronous=FULL)"
# What a store without group commit can do at best on this disk: 5,000 single-row
# transactions of a 1.5 KB document, no HTTP, no parsing.
if command -v sqlite3 >/dev/null; then
  DOC=$(tr -d "\n'" < examples/requests/eu-epoc-traffic.json)
  {
    echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    echo "CREATE TABLE r (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);"
    for _ in $(seq 1 5000); do echo "INSERT INTO r (doc) VALUES ('$DOC');"; done
  } > "$WORK/ref.sql"
  START=$(date +%s.%N)
  sqlite3 "$WORK/ref.db" < "$WORK/ref.sql" > /dev/null
  END=$(date +%s.%N)
  echo "sqlite3: $(echo "5000 / ($END - $START)" | bc -l | xargs printf '%.0f') transactions/sec"
else
  echo "sqlite3 not installed (apt-get install sqlite3); reference skipped"
fi

start_server() { # $1: extra args
  $BIN serve --listen 127.0.0.1:0 $1 > "$WORK/out" 2> "$WORK/err" &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
  URL=$(sed -n 's/^comity listening on //p' "$WORK/out")
}

register() { # $1: store args
  $BIN authority add $1 --id fr-tj-paris --country FR --type prosecutor --name "Parquet de Paris" >/dev/null
  $BIN authority add $1 --id fr-jld-paris --country FR --type judge --name "JLD de Paris" >/dev/null
  $BIN provider add $1 --id example-mail --country IE --name "Example Mail" >/dev/null
}

run() { # $1: label, $2: store args
  register "$2"
  start_server "$2"
  echo "== $1: GET /healthz (HTTP alone, no database)"
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$URL/healthz" | grep -E 'Requests/sec|Latency'
  echo "== $1: POST /v1/requests (intake with durable commit)"
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s bench/intake.lua "$URL/v1/requests" | grep -E 'Requests/sec|Latency|non-201|Socket errors'
  echo "peak server memory (VmHWM): $(grep VmHWM /proc/$SERVER/status | awk '{print $2, $3}')"
  echo "stored: $(curl -s "$URL/v1/requests?per_page=1" | sed -n 's/.*"total":\([0-9]*\).*/\1/p') requests"
  kill $SERVER; wait $SERVER 2>/dev/null || true
}

run "SQLite (synchronous=FULL)" "--data-dir $WORK/sqlite"
if [ -n "${COMITY_BENCH_DATABASE_URL:-}" ]; then
  DB="comity_bench_$$"
  psql "$COMITY_BENCH_DATABASE_URL" -qc "CREATE DATABASE $DB" >/dev/null
  PGURL="${COMITY_BENCH_DATABASE_URL%/*}/$DB"
  run "PostgreSQL" "--database-url $PGURL"
  psql "$COMITY_BENCH_DATABASE_URL" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null
fi
