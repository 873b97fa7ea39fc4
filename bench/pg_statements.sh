#!/usr/bin/env bash
# The SQL statements PostgreSQL runs for one signed intake and for one authenticated read,
# as its own statement log records them (log_min_duration_statement = 0, set on a scratch
# database only). Usage: bench/pg_statements.sh [comity binary]
# Needs COMITY_BENCH_DATABASE_URL (a PostgreSQL server this user may create databases on)
# and read access to that server's log: COMITY_PG_LOG, by default Debian's
# /var/log/postgresql/postgresql-15-main.log. Prints the counts and each statement.
# The intake is the third since the server started (the first two warm its connections
# and caches), the read the second of its request; batches of the server's own background
# tasks in those moments (heartbeat, leases, checkpoints) are counted apart.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${COMITY_BENCH_DATABASE_URL:?set COMITY_BENCH_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres}"
PGLOG=${COMITY_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
[ -r "$PGLOG" ] || { echo "cannot read PostgreSQL's log $PGLOG; set COMITY_PG_LOG" >&2; exit 2; }
if [ -n "${1:-}" ]; then BIN=$1; else
  cargo build --release --quiet -p comity
  BIN=${CARGO_TARGET_DIR:-target}/release/comity
fi
WORK=$(mktemp -d)
DB="comity_statements_$$"
ADMIN=$COMITY_BENCH_DATABASE_URL
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null || true; psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
psql "$ADMIN" -qc "CREATE DATABASE $DB" >/dev/null
# shellcheck source=bench/common.sh
source bench/common.sh
STORE="--database-url $(bench_database_url "$ADMIN" "$DB") --data-dir $WORK/data"
$BIN init $STORE >/dev/null 2>&1
register_parties "$BIN" "$STORE"
$BIN authority key generate --out "$WORK/paris.jwk" 2>/dev/null > "$WORK/paris.pub.jwk"
$BIN authority key add $STORE --authority fr-tj-paris --public-key "$WORK/paris.pub.jwk" >/dev/null
TOKEN=$($BIN token create $STORE --org example-mail --role handler --label statements 2>/dev/null)
$BIN request sign --key "$WORK/paris.jwk" --document examples/requests/eu-epoc-traffic.json --count 3 > "$WORK/signed.jws"
psql "$ADMIN" -qc "ALTER DATABASE $DB SET log_min_duration_statement = 0" >/dev/null
start_server "$BIN" "$STORE" "$UNLIMITED"
submit() { sed -n "$1p" "$WORK/signed.jws" | curl -s "$URL/v1/requests" -H 'content-type: application/jose' --data-binary @-; }
read_it() { curl -s -o /dev/null -w '%{http_code}' "$URL/v1/requests/$1" -H "Authorization: Bearer $TOKEN"; }
ID=$(submit 1 | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
[ -n "$ID" ] || { echo "the first submission was refused" >&2; exit 1; }
submit 2 >/dev/null
read_it "$ID" >/dev/null
sleep 0.5
lines() { wc -l < "$PGLOG"; }
BEFORE=$(lines); submit 3 >/dev/null; sleep 0.5; AFTER=$(lines)
sed -n "$((BEFORE + 1)),${AFTER}p" "$PGLOG" > "$WORK/intake.log"
BEFORE=$(lines); [ "$(read_it "$ID")" = 200 ] || { echo "the read failed" >&2; exit 1; }; sleep 0.5; AFTER=$(lines)
sed -n "$((BEFORE + 1)),${AFTER}p" "$PGLOG" > "$WORK/read.log"
stop_server >/dev/null
# Each statement with its backend's pid. A batch of the sequencer runs from its lock of
# log_head to the next; a batch of the server's own background tasks (heartbeat, leases,
# checkpoints) is set apart whole, lock and savepoints with it.
statements() {
  grep -o '\[[0-9]*\] [^ ]* LOG:  duration: [0-9.]* ms  execute [^:]*: .*' "$1" \
    | sed -E 's/^\[([0-9]*)\].*execute [^:]*: /\1 /' | cut -c1-130 \
    | awk -v background='leases|server_heartbeats|log_checkpoints' '
        { pid = $1; text = substr($0, length(pid) + 2) }
        text ~ /^SELECT size FROM log_head FOR UPDATE/ { flush(pid) }
        { batch[pid] = batch[pid] text "\n"; if (text ~ background) noise[pid] = 1 }
        function flush(p) {
          if (batch[p] == "") return
          if (noise[p]) { n = split(batch[p], l, "\n"); skipped += n - 1 } else printf "%s", batch[p]
          batch[p] = ""; noise[p] = 0
        }
        END { for (p in batch) flush(p); if (skipped) printf "(%d statements of the server'"'"'s background tasks meanwhile, not counted)\n", skipped > "/dev/stderr" }'
}
for what in intake read; do
  statements "$WORK/$what.log" > "$WORK/$what.own" 2> "$WORK/$what.other"
  echo "== one $what: $(grep -c . "$WORK/$what.own") statements (each connection's in order, the sequencer's batch among them)"
  cat "$WORK/$what.own" "$WORK/$what.other"
done
echo "Under load, a batch's lock of log_head, SAVEPOINT, RELEASE and its rows of log_entries,"
echo "log_hashes and log_head are shared by all its writes (up to 256)."
