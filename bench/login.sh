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
# Issue 12, finding 2: 190 logins from one address made a bystander's login take 2.4 s.
# One address (127.0.0.1) floods with 190 connections while a bystander at 127.0.0.2
# logs in (an unknown name: one hash, like a real login's) ten times, one after another.
echo "== a bystander's login (from 127.0.0.2) while 190 connections from 127.0.0.1 flood logins"
load
logins 190 $((SECONDS_PER_RUN + 2)) > "$WORK/flood" &
FLOOD=$!
sleep 1
for i in $(seq 1 10); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --interface 127.0.0.2 \
    -H 'content-type: application/json' \
    -d "{\"username\":\"bystander-$i\",\"password\":\"not the password of anyone\",\"totp\":\"000000\"}" \
    "$URL/v1/session"
done | sort -k2 -n | awk '{ t[NR] = $2; c[$1]++ } END {
  printf "bystander: statuses"; for (k in c) printf " %s x%d", k, c[k];
  printf "; time_total min %.3f s, median %.3f s, max %.3f s\n", t[1], t[5], t[NR] }'
wait $FLOOD
echo "-- the flood meanwhile (429s are sign-ins past the address's queue of waiting hashes):"
cat "$WORK/flood"
