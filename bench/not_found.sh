#!/usr/bin/env bash
# A 404 for a request outside the caller's scope against one for a request that does not
# exist (issue 12, finding 3), on the demo's data. Usage: bench/not_found.sh [N] [BINARY]
# Needs python3. Honours CARGO_TARGET_DIR; BINARY measures another build (one from before
# the fix) instead of building this one. Figures go to docs/benchmarks.md ("Hardening
# (issue 12)").
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-150}
BIN=${2:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet -p comity
  BIN=${CARGO_TARGET_DIR:-target}/release/comity
fi
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== machine"
echo "$(nproc) cores; $(uname -r); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $BIN"
"$BIN" init --data-dir "$WORK/data" > /dev/null 2>&1
# No per-client limits: every request comes from one address.
"$BIN" serve --demo --insecure-cookies --listen 127.0.0.1:0 --rate-limit 0 --data-dir "$WORK/data" \
  > "$WORK/out" 2> "$WORK/err" &
SERVER=$!
for _ in $(seq 1 300); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^comity listening on //p' "$WORK/out")
[ -n "$URL" ] || { cat "$WORK/err" >&2; exit 1; }
# de-sta-berlin's system sees its own requests; fr-tj-paris's demo request is outside it.
TOKEN=$(grep -A1 "de-sta-berlin's system" "$WORK/data/demo/credentials.txt" | sed -n 's/^ *token *//p')
HIDDEN=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM requests WHERE authority = 'fr-tj-paris' LIMIT 1\").fetchone()[0])" "$WORK/data/comity.db")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/not_found.py "$URL" "$TOKEN" "$HIDDEN" "$N"
