#!/usr/bin/env bash
# The portal's inbox with 10,000 requests (issue 14): the server time of `GET /` as the
# provider's legal team, first page and a deep one (keyset pages, `?after=CURSOR`), and the
# reference points measured in the same run: `GET /healthz` (HTTP alone) and the API's
# listing `GET /v1/requests` (offset pages, newest first, as a handler's token).
# Usage: bench/inbox.sh [seconds] [requests]
# Needs wrk (apt-get install wrk) and curl. PostgreSQL too when COMITY_BENCH_DATABASE_URL
# is set. Honours CARGO_TARGET_DIR. Figures go to docs/benchmarks.md ("Portal inbox").
#
# The store is filled through the HTTP intake (signed submissions, each screened, routed
# to the court and given its deadlines), as an authority's system would, so every request
# has the clocks and journal rows a real one has.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
REQUESTS=${2:-10000}
# The deep page: this many "next" links followed from the first page (50 a page).
DEEP=${COMITY_BENCH_DEEP_PAGE:-150}
THREADS=2
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

cargo build --release --quiet -p comity
BIN=${CARGO_TARGET_DIR:-target}/release/comity
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
DOC=examples/requests/eu-epoc-traffic.json

echo "== machine"
echo "$(nproc) cores; $(uname -r); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
$BIN authority key generate --out "$WORK/paris.jwk" 2>/dev/null > "$WORK/paris.pub.jwk"

# shellcheck source=bench/common.sh
source bench/common.sh

# One wrk run: $1 label, $2 connections, then wrk's own arguments.
measure() {
  local label=$1 connections=$2
  shift 2
  echo "-- $label, $connections connection(s)"
  wrk -t1 -c"$connections" -d"${SECONDS_PER_RUN}s" --latency -s bench/status.lua "$@" \
    | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors|^statuses'
}

run() { # $1: label, $2: store args
  local store=$2
  $BIN init $store >/dev/null 2>&1
  $BIN authority add $store --id fr-tj-paris --country FR --type prosecutor --name "Parquet de Paris" >/dev/null
  $BIN authority add $store --id fr-jld-paris --country FR --type judge --name "JLD de Paris" >/dev/null
  $BIN provider add $store --id example-mail --country IE --name "Example Mail" >/dev/null
  $BIN reviewer add $store --id ie-high-court --country IE --kind court --name "The High Court" >/dev/null
  $BIN authority key add $store --authority fr-tj-paris --public-key "$WORK/paris.pub.jwk" >/dev/null
  local token
  token=$($BIN token create $store --org example-mail --role handler --label bench 2>/dev/null)
  # The provider's legal team: a person, signed in with password and TOTP code.
  echo "a long enough bench password" \
    | $BIN user add $store --org example-mail --role handler --username legal --name "Legal Team" \
      --password-stdin --json > "$WORK/user.json"
  local secret
  secret=$(sed -n 's/.*"totp_secret": *"\([^"]*\)".*/\1/p' "$WORK/user.json")

  # Signed afresh for each store: a signature is accepted only while it is recent.
  echo "== $1: signing $REQUESTS submissions (comity request sign --count, one fresh jti each)"
  $BIN request sign --key "$WORK/paris.jwk" --document "$DOC" --lifetime 900 --count "$REQUESTS" > "$WORK/signed.jws"
  start_server "$BIN" "$store" "$UNLIMITED"
  echo "== $1: seeding $REQUESTS requests through POST /v1/requests (8 connections)"
  load
  local stored=0 start
  start=$(date +%s.%N)
  COMITY_BENCH_JWS="$WORK/signed.jws" COMITY_BENCH_THREADS=$THREADS \
    wrk -t$THREADS -c8 -d600s -s bench/inbox_seed.lua "$URL/v1/requests" > "$WORK/seed" 2>&1 &
  local seeding=$!
  # Until every submission is answered (then wrk only sends GET /healthz): the store holds
  # them all, or no more for three seconds (a submission refused).
  local before=-1 still=0
  while [ "$stored" -lt "$REQUESTS" ] && [ "$still" -lt 3 ] && kill -0 $seeding 2>/dev/null; do
    sleep 1
    if [ "$stored" = "$before" ]; then still=$((still + 1)); else still=0; fi
    before=$stored
    stored=$(curl -s "$URL/v1/requests?per_page=1" -H "Authorization: Bearer $token" \
      | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
  done
  kill $seeding 2>/dev/null || true
  wait $seeding 2>/dev/null || true
  echo "seeded in $(echo "$(date +%s.%N) - $start" | bc -l | xargs printf '%.0f') s"
  echo "stored: $stored requests"

  local code cookie
  code=$(COMITY_TOTP_SECRET=$secret $BIN totp code)
  cookie=$(curl -s -D - -o "$WORK/session.json" "$URL/v1/session" -H 'content-type: application/json' \
    -d "{\"username\":\"legal\",\"password\":\"a long enough bench password\",\"totp\":\"$code\"}" \
    | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\);.*/\1/p' | head -1)
  [ -n "$cookie" ] || { echo "sign-in failed: $(cat "$WORK/session.json")" >&2; exit 1; }

  # The deep page's cursor: the "next" link followed $DEEP times from the first page.
  local after="" path="/"
  for _ in $(seq 1 "$DEEP"); do
    after=$(curl -s "$URL$path" -H "Cookie: $cookie" | sed -n 's/.*href="\/?after=\([^"]*\)" rel="next".*/\1/p')
    [ -n "$after" ] || { echo "no next link after $path" >&2; exit 1; }
    path="/?after=$after"
  done
  local deep=$path
  curl -s "$URL/" -H "Cookie: $cookie" | grep -o '<caption>[^<]*' | head -1
  echo "deep page: page $((DEEP + 1)), requests $((DEEP * 50 + 1)) to $((DEEP * 50 + 50))"

  for c in 1 8; do
    echo "== $1: $c connection(s)"
    load
    measure "GET /healthz (reference: HTTP alone)" "$c" "$URL/healthz"
    measure "GET /v1/requests?per_page=50 (reference: the API's first page, newest first)" "$c" \
      -H "Authorization: Bearer $token" "$URL/v1/requests?per_page=50"
    measure "GET /v1/requests?per_page=50&page=$((DEEP + 1)) (reference: the API's page as deep, OFFSET)" "$c" \
      -H "Authorization: Bearer $token" "$URL/v1/requests?per_page=50&page=$((DEEP + 1))"
    measure "GET / (the inbox, first page)" "$c" -H "Cookie: $cookie" "$URL/"
    measure "GET /?after=... (the inbox, page $((DEEP + 1)))" "$c" -H "Cookie: $cookie" "$URL$deep"
  done
  stop_server
}

run "SQLite (synchronous=FULL)" "--data-dir $WORK/sqlite"

if [ -n "${COMITY_BENCH_DATABASE_URL:-}" ]; then
  DB="comity_bench_inbox_$$"
  psql "$COMITY_BENCH_DATABASE_URL" -qc "CREATE DATABASE $DB" >/dev/null
  run "PostgreSQL" "--database-url $(bench_database_url "$COMITY_BENCH_DATABASE_URL" "$DB") --data-dir $WORK/pg"
  psql "$COMITY_BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
fi
