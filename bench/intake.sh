#!/usr/bin/env bash
# Intake of signed submissions over HTTP with durable commits, an authenticated read, and
# the reference points measured in the same run. Usage: bench/intake.sh [seconds] [connections]
# Needs wrk (apt-get install wrk); sqlite3 and bc for the reference. PostgreSQL too when
# COMITY_BENCH_DATABASE_URL is set. Honours CARGO_TARGET_DIR. Figures go to
# docs/benchmarks.md.
#
# Optional binaries, each measured the same way in the same run, right after the current
# one on each backend:
#   COMITY_BENCH_BASELINE=path/to/comity   built from before issue 5 (commit a92808e:
#       unsigned JSON, no authentication): the reference for what identity and trust cost;
#   COMITY_BENCH_CANDIDATE=path/to/comity  another build of the current API (a fix to
#       compare with the current code).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
CONNECTIONS=${2:-64}
THREADS=2
# Signed submissions made per run: each is accepted once (a replay is refused), so a run
# needs one per request it sends. 4,000 a second of run is more than any intake measured
# so far; bench/intake.lua counts any sent beyond the supply.
SUBMISSIONS=${COMITY_BENCH_SUBMISSIONS:-$((4000 * SECONDS_PER_RUN))}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

cargo build --release --quiet -p comity
CURRENT=${CARGO_TARGET_DIR:-target}/release/comity
BASELINE=${COMITY_BENCH_BASELINE:-}
CANDIDATE=${COMITY_BENCH_CANDIDATE:-}
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
DOC=examples/requests/eu-epoc-traffic.json

echo "== machine"
echo "$(nproc) cores; $(uname -r); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "== fsync ceiling: 4 KiB writes with O_DSYNC on the data directory's disk (dd)"
dd if=/dev/zero of="$WORK/dsync" bs=4k count=2000 oflag=dsync 2>&1 | tail -1
rm -f "$WORK/dsync"

echo "== reference: the sqlite3 CLI, one durable transaction per insert (WAL, synchronous=FULL)"
# What a store without group commit can do at best on this disk: 5,000 single-row
# transactions of a 1.5 KB document, no HTTP, no parsing.
if command -v sqlite3 >/dev/null; then
  DOCTEXT=$(tr -d "\n'" < "$DOC")
  {
    echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    echo "CREATE TABLE r (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);"
    for _ in $(seq 1 5000); do echo "INSERT INTO r (doc) VALUES ('$DOCTEXT');"; done
  } > "$WORK/ref.sql"
  START=$(date +%s.%N)
  sqlite3 "$WORK/ref.db" < "$WORK/ref.sql" > /dev/null
  END=$(date +%s.%N)
  echo "sqlite3: $(echo "5000 / ($END - $START)" | bc -l | xargs printf '%.0f') transactions/sec"
else
  echo "sqlite3 not installed (apt-get install sqlite3); reference skipped"
fi

load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

# shellcheck source=bench/common.sh
source bench/common.sh

healthz() { # $1: label
  echo "== $1: GET /healthz (HTTP alone, no database, no authentication)"
  load
  wrk -t$THREADS -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$URL/healthz" \
    | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
}

read_run() { # $1: label, $2: request id, $3: how full the store is
  echo "== $1: GET /v1/requests/{id}, $3 ($READ_WHAT)"
  load
  local auth=()
  [ -z "$TOKEN" ] || auth=(-H "Authorization: Bearer $TOKEN")
  wrk -t$THREADS -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "${auth[@]}" \
    "$URL/v1/requests/$2" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
}

stored() {
  local auth=()
  [ -z "$TOKEN" ] || auth=(-H "Authorization: Bearer $TOKEN")
  curl -s "$URL/v1/requests?per_page=1" "${auth[@]}" | sed -n 's/.*"total":\([0-9]*\).*/\1/p'
}

# The intake run, then the read of request $FIRST again on the store it filled. $1: label,
# $2: what is posted, then the variables that tell bench/intake.lua what to post.
intake_then_read() {
  local label=$1 what=$2
  shift 2
  echo "== $label: POST /v1/requests, $what: intake with durable commit"
  load
  env "$@" wrk -t$THREADS -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s bench/intake.lua "$URL/v1/requests" \
    | grep -E 'Requests/sec|non-201|first refusal|latency p|Socket errors'
  STORED=$(stored)
  echo "stored: $STORED requests"
  read_run "$label" "$FIRST" "$STORED requests stored"
}

# The current API: the parties, a signing key for the authority's system, an API token
# for the provider's handlers; signed submissions; a handler reads. The submissions are
# signed by the current binary, which has `request sign --count`, whatever the server.
run() { # $1: label, $2: store args, $3: binary
  local bin=$3
  # Since issue 11 only `comity serve` and `comity init` create a data directory; a binary
  # from before has no `init`, and its commands create one themselves.
  if $bin init --help >/dev/null 2>&1; then $bin init $2 >/dev/null 2>&1; fi
  register_parties "$bin" "$2"
  rm -f "$WORK/paris.jwk"
  $bin authority key generate --out "$WORK/paris.jwk" 2>/dev/null > "$WORK/paris.pub.jwk"
  $bin authority key add $2 --authority fr-tj-paris --public-key "$WORK/paris.pub.jwk" >/dev/null
  TOKEN=$($bin token create $2 --org example-mail --role handler --label bench 2>/dev/null)
  READ_WHAT="as a handler: token, access decision, durable read log"
  echo "== $1: signing $SUBMISSIONS submissions (comity request sign --count, one fresh jti each)"
  START=$(date +%s.%N)
  $CURRENT request sign --key "$WORK/paris.jwk" --document "$DOC" --lifetime 900 --count "$SUBMISSIONS" \
    > "$WORK/signed.jws"
  END=$(date +%s.%N)
  echo "signed in $(echo "$END - $START" | bc -l | xargs printf '%.1f') s;" \
    "one JWS is $(head -1 "$WORK/signed.jws" | tr -d '\n' | wc -c) bytes"
  # No per-client limits: every request comes from one address. (A candidate from before
  # issue 12 has no connection limits to lift.)
  local limits="--rate-limit 0 --failure-limit 0"
  if $bin serve --help | grep -q -- --connections-per-address; then
    limits="$limits --connections-per-address 0 --in-flight-per-address 0"
  fi
  start_server "$bin" "$2" "$limits"
  healthz "$1"

  # One request to read before the intake run fills the store.
  FIRST=$($CURRENT request sign --key "$WORK/paris.jwk" --document "$DOC" \
    | curl -s "$URL/v1/requests" -H 'content-type: application/jose' --data-binary @- \
    | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  [ -n "$FIRST" ] || { echo "the first signed submission was refused" >&2; exit 1; }
  read_run "$1" "$FIRST" "1 request stored"

  intake_then_read "$1" "signed (application/jose)" \
    COMITY_BENCH_JWS="$WORK/signed.jws" COMITY_BENCH_THREADS=$THREADS
  stop_server
}

# The same with a binary from before issue 5: unsigned JSON, anyone may submit and read.
baseline() { # $1: label, $2: store args
  if $BASELINE init --help >/dev/null 2>&1; then $BASELINE init $2 >/dev/null 2>&1; fi
  register_parties "$BASELINE" "$2"
  TOKEN=
  READ_WHAT="anonymous, durable read log"
  start_server "$BASELINE" "$2" ""
  healthz "$1"
  FIRST=$(curl -s "$URL/v1/requests" -H 'content-type: application/json' --data-binary @"$DOC" \
    | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  [ -n "$FIRST" ] || { echo "the baseline refused the first document" >&2; exit 1; }
  read_run "$1" "$FIRST" "1 request stored"
  intake_then_read "$1" "unsigned (application/json)" COMITY_BENCH_JSON="$DOC"
  stop_server
}

# Each on a fresh store: a fresh data directory, or a fresh PostgreSQL database.
backend() { # $1: name, $2: store args of a fresh store for $3 (a tag)
  run "$1" "$($2 current)" "$CURRENT"
  [ -z "$CANDIDATE" ] || run "candidate, $1" "$($2 candidate)" "$CANDIDATE"
  [ -z "$BASELINE" ] || baseline "baseline before issue 5, $1" "$($2 baseline)"
}

sqlite_store() { echo "--data-dir $WORK/sqlite-$1"; }
backend "SQLite (synchronous=FULL)" sqlite_store

if [ -n "${COMITY_BENCH_DATABASE_URL:-}" ]; then
  check_autovacuum "$COMITY_BENCH_DATABASE_URL"
  DB="comity_bench_$$"
  postgres_store() {
    psql "$COMITY_BENCH_DATABASE_URL" -qc "CREATE DATABASE ${DB}_$1" >/dev/null
    # The data directory holds the log's and the server's keys; the rest is in PostgreSQL.
    echo "--database-url $(bench_database_url "$COMITY_BENCH_DATABASE_URL" "${DB}_$1") --data-dir $WORK/pg-$1"
  }
  backend "PostgreSQL" postgres_store
  for db in "${DB}_current" "${DB}_candidate" "${DB}_baseline"; do
    psql "$COMITY_BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  done
fi
