#!/usr/bin/env bash
# A large production in bounded memory: `comity produce` over a generated export of
# EXPORT_BYTES (default 2 GB), with its peak resident memory and time from /usr/bin/time,
# and, in the same run on the same file, two references: `sha256sum` (one read of the
# export) and `age -r` (encrypting it, what sealing alone costs).
# Usage: bench/production.sh. Needs age, jq, curl and GNU time (apt-get install age jq time).
# Honours CARGO_TARGET_DIR and WORK (where the export and packages go: ~4x EXPORT_BYTES of
# disk), and BASELINE: a `comity` binary built from an earlier commit, whose `comity
# produce` is measured on the same file in the same run, for a ratio. Figures go to
# docs/benchmarks.md ("Production").
set -euo pipefail
cd "$(dirname "$0")/.."
EXPORT_BYTES=${EXPORT_BYTES:-2000000000}
CORRESPONDENTS=${CORRESPONDENTS:-5000}
for tool in age age-keygen jq curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install age jq curl time)" >&2; exit 2; }
done

cargo build --release --quiet -p comity
BIN=$(realpath "${CARGO_TARGET_DIR:-target}/release/comity")
# A WORK given is kept (with its export, reused by the next run); a temporary one is removed.
if [ -n "${WORK:-}" ]; then KEEP=$WORK/export.jsonl; else WORK=$(mktemp -d); KEEP=; fi
mkdir -p "$WORK"
DATA=$WORK/data
RUN=$WORK/run   # keys, logs and packages of this run
rm -rf "$DATA" "$RUN"
mkdir -p "$RUN"
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  wait 2>/dev/null || true
  if [ -n "$KEEP" ]; then rm -rf "$DATA" "$RUN"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
c() { "$BIN" "$@" --data-dir "$DATA"; }
start_server() { # sets SERVER and URL
  "$BIN" serve --listen 127.0.0.1:0 --data-dir "$DATA" > "$RUN/out" 2> "$RUN/err" &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q listening "$RUN/out" 2>/dev/null && break; sleep 0.1; done
  URL=$(sed -n 's/^comity listening on //p' "$RUN/out")
  [ -n "$URL" ] || { cat "$RUN/err" >&2; exit 1; }
}

echo "== machine"
echo "$(nproc) cores; $(uname -r); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(age --version | head -1)"

# The parties, as an operator registers them, and the request, approved as a reviewer
# approves it: examples/requests/eu-epoc-traffic.json, asking for content as well so that
# the free-text masking is measured too.
c init >/dev/null 2>&1
c authority add --id fr-tj-paris --country FR --type prosecutor --name "Parquet de Paris" >/dev/null
c authority add --id fr-jld-paris --country FR --type judge --name "JLD de Paris" >/dev/null
c provider add --id example-mail --country IE --name "Example Mail" >/dev/null
c reviewer add --id ie-high-court --country IE --kind court --name "The High Court" >/dev/null
"$BIN" authority key generate --out "$RUN/fr.jwk" > "$RUN/fr.pub.jwk"
c authority key add --authority fr-tj-paris --public-key "$RUN/fr.pub.jwk" >/dev/null
start_server
jq '.data_categories += ["content"]' examples/requests/eu-epoc-traffic.json > "$RUN/request.json"
ID=$("$BIN" request sign --key "$RUN/fr.jwk" --document "$RUN/request.json" \
  | curl -sf "$URL/v1/requests" -H 'content-type: application/jose' --data-binary @- | jq -r .id)
LEGAL=$(c token create --org example-mail --role handler)
JUDGE=$(c token create --org ie-high-court --role reviewer)
# Routing by law assigned the court of the provider's State on screening (issue 13); its
# approval is reasoned in the pack's grounds.
curl -sf "$URL/v1/requests/$ID/reviewers" -H "authorization: Bearer $LEGAL" | jq -e '.reviewers == ["ie-high-court"]' >/dev/null \
  || { echo "the request was not routed to ie-high-court" >&2; exit 1; }
curl -sf "$URL/v1/requests/$ID/transitions" -H "authorization: Bearer $JUDGE" -H 'content-type: application/json' \
  -d '{"to": "approved", "reason": "benchmark", "grounds": ["necessary_and_proportionate"]}' >/dev/null \
  || { echo "the approval was refused" >&2; exit 1; }
kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
age-keygen -o "$RUN/key.txt" 2>/dev/null
RECIPIENT=$(age-keygen -y "$RUN/key.txt")
c authority recipient add --authority fr-tj-paris --recipient "$RECIPIENT" >/dev/null
c provider key generate --provider example-mail > "$RUN/example-mail.pub.jwk" 2>/dev/null

if [ ! -s "$WORK/export.jsonl" ] || [ "$(stat -c %s "$WORK/export.jsonl")" -lt "$EXPORT_BYTES" ]; then
  python3 bench/production_export.py --bytes "$EXPORT_BYTES" --correspondents "$CORRESPONDENTS" > "$WORK/export.jsonl"
fi
SIZE=$(stat -c %s "$WORK/export.jsonl")
LINES=$(wc -l < "$WORK/export.jsonl")
echo "== export: $SIZE bytes, $LINES records, $CORRESPONDENTS correspondents"

measure() { # $1: label, then the command; prints seconds, MB/s of export and peak RSS
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$RUN/time" "$@" > "$RUN/ref.out" 2> "$RUN/ref.err" \
    || { cat "$RUN/ref.err" >&2; exit 1; }
  read -r secs kb < "$RUN/time"
  python3 -c 'import sys; l,s,kb,b=sys.argv[1],max(float(sys.argv[2]),0.01),int(sys.argv[3]),int(sys.argv[4]); print(f"{l:<34} {s:8.1f} s  {b/s/1e6:7.1f} MB/s  peak RSS {kb/1024:7.1f} MiB")' \
    "$label" "$secs" "$kb" "$SIZE"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "sha256sum (one read)" sha256sum "$WORK/export.jsonl"
measure "age -r (encryption only)" age -r "$RECIPIENT" -o "$RUN/ref.age" "$WORK/export.jsonl"
rm -f "$RUN/ref.age"
measure "comity produce" "$BIN" produce --request "$ID" --export "$WORK/export.jsonl" --out "$RUN/package.age" \
  --retention-until 2030-12-31 --data-dir "$DATA"
sed -n 's/^  //p' "$RUN/ref.err"
head -1 "$RUN/ref.err"
echo "package: $(stat -c %s "$RUN/package.age") bytes"
if [ -n "${BASELINE:-}" ]; then
  measure "comity produce (BASELINE)" "$BASELINE" produce --request "$ID" --export "$WORK/export.jsonl" \
    --out "$RUN/baseline.age" --retention-until 2030-12-31 --data-dir "$DATA"
  rm -f "$RUN/baseline.age"
fi
measure "comity package verify" "$BIN" package verify "$RUN/package.age" --identity "$RUN/key.txt" \
  --provider-key "$RUN/example-mail.pub.jwk"

# The same export through the API, as a provider's system uploads it (a second production
# of the request): the server's peak resident memory covers the upload, both passes and
# the sealing, and includes what a running server holds anyway.
start_server
before=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
t0=$(date +%s.%N)
curl -sf -o "$RUN/api.json" -X POST -T "$WORK/export.jsonl" -H "authorization: Bearer $LEGAL" \
  -H 'content-type: application/x-ndjson' "$URL/v1/requests/$ID/productions?retention_until=2030-12-31"
t1=$(date +%s.%N)
after=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
python3 -c 'import sys; t,b,a,n=max(float(sys.argv[1]),0.01),int(sys.argv[2]),int(sys.argv[3]),int(sys.argv[4]); l="POST .../productions (server)"; print(f"{l:<34} {t:8.1f} s  {n/t/1e6:7.1f} MB/s  peak RSS {a/1024:7.1f} MiB (idle {b/1024:.1f} MiB)")' \
  "$(python3 -c "print($t1 - $t0)")" "$before" "$after" "$SIZE"
jq -c '{status, records, in_scope}' "$RUN/api.json"
