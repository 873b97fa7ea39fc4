#!/usr/bin/env bash
# Logins over HTTP: how many argon2id password checks a second the server answers, and
# what they do to the latency of other requests meanwhile. Usage: bench/login.sh [seconds]
# Needs wrk (apt-get install wrk). Honours CARGO_TARGET_DIR. Figures go to
# docs/benchmarks.md ("Identity and trust").
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

cargo build --release --quiet -p comity
BIN=${CARGO_TARGET_DIR:-target}/release/comity
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== machine"
echo "$(nproc) cores; $(uname -r); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
# No per-client limits: every request comes from one address, and every login fails.
$BIN serve --listen 127.0.0.1:0 --rate-limit 0 --failure-limit 0 --connections-per-address 0 --in-flight-per-address 0 --data-dir "$WORK/data" \
  > "$WORK/out" 2> "$WORK/err" &
SERVER=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^comity listening on //p' "$WORK/out")
[ -n "$URL" ] || { cat "$WORK/err" >&2; exit 1; }

load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
healthz() { # $1: seconds
  wrk -t1 -c8 -d"$1s" --latency "$URL/healthz" | grep -E 'Requests/sec|^ +(50|99)%'
}
logins() { # $1: connections, $2: seconds
  wrk -t1 -c"$1" -d"$2s" --latency -s bench/login.lua "$URL/v1/session" \
    | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx'
}

echo "== GET /healthz alone (8 connections)"
load
healthz "$SECONDS_PER_RUN"
for c in 1 2 8; do
  echo "== POST /v1/session, $c at a time (unknown names: one argon2id hash and a failure count each)"
  load
  logins "$c" "$SECONDS_PER_RUN"
done
echo "== GET /healthz (8 connections) while 2 logins at a time run"
load
logins 2 $((SECONDS_PER_RUN + 2)) > "$WORK/logins" &
LOGINS=$!
sleep 1
healthz "$SECONDS_PER_RUN"
wait $LOGINS
echo "-- the logins meanwhile:"
cat "$WORK/logins"
