#!/usr/bin/env bash
# Redaction: `comity pii scan` against Presidio's pattern recognizers, side by side in one
# run on the same labelled corpora. Usage: bench/pii.sh [runs]
#
# Two corpora: our own generator's (bench/pii_corpus.py: MESSAGES messages) and an outside
# one (bench/pii_outside.py: OUTSIDE_MESSAGES messages of libphonenumber's example
# numbers for every region as its Python port formats them, the brands' published test
# card numbers, e-mail addresses glued to punctuation, and look-alikes), both
# deterministic. Installs Presidio into a virtual environment if missing (PRESIDIO_VENV,
# default /work/.venv-presidio or target/pii/venv; pip, pinned versions), then for each
# run and corpus: times Presidio over it once and `comity pii scan` over it PASSES times
# (so that each tool runs for 10 seconds or more), and scores both outputs against the
# gold spans (bench/pii_score.py), with comity's phone check both `valid` (its default)
# and `possible`. Honours CARGO_TARGET_DIR. Figures go to docs/benchmarks.md
# ("Redaction").
#
# Two ratios per corpus, since the two tools start differently:
# - per process: Presidio's whole run (Python's start and imports included) against one
#   of comity's PASSES runs, each a new process, start included;
# - in one process: Presidio's time in its loop (after imports, as pii_presidio.py
#   reports it) against comity's one run over the corpus written PASSES times over, its
#   start counted once. This is the throughput on a large input, such as a production's.
#   That run is short (a second or less on the outside corpus), so it is made
#   ONE_PROCESS_RUNS times (default 3) and the fastest counts: a neighbour on a shared
#   machine only ever adds time.
#
# BASELINE=<a comity binary> times that build too, the same two ways, for a before and
# after in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-2}
MESSAGES=${MESSAGES:-25000}
OUTSIDE_MESSAGES=${OUTSIDE_MESSAGES:-6000}
PASSES=${PASSES:-30}
ONE_PROCESS_RUNS=${ONE_PROCESS_RUNS:-3}
PRESIDIO_ANALYZER=${PRESIDIO_ANALYZER:-presidio-analyzer==2.2.366}
PHONENUMBERS=${PHONENUMBERS:-phonenumbers==9.0.43}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$TARGET/pii
mkdir -p "$OUT"
if [ -z "${PRESIDIO_VENV:-}" ]; then
  if [ -x /work/.venv-presidio/bin/python ]; then PRESIDIO_VENV=/work/.venv-presidio; else PRESIDIO_VENV=$OUT/venv; fi
fi
if ! "$PRESIDIO_VENV/bin/python" -c 'import presidio_analyzer, phonenumbers' 2>/dev/null; then
  python3 -m venv "$PRESIDIO_VENV"
  "$PRESIDIO_VENV/bin/pip" install --quiet "$PRESIDIO_ANALYZER" "$PHONENUMBERS"
fi
PY=$PRESIDIO_VENV/bin/python

cargo build --release --quiet -p comity
BIN=$TARGET/release/comity

echo "== machine"
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $(uname -r); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "presidio-analyzer $("$PY" -c 'import importlib.metadata as m; print(m.version("presidio-analyzer"))'), phonenumbers $("$PY" -c 'import phonenumbers; print(phonenumbers.__version__)'), $("$PY" --version)"

python3 bench/pii_corpus.py --messages "$MESSAGES" --out "$OUT/corpus.jsonl" --gold "$OUT/gold.jsonl"
"$PY" bench/pii_outside.py --messages "$OUTSIDE_MESSAGES" --out "$OUT/outside.jsonl" --gold "$OUT/outside-gold.jsonl"
for corpus in corpus outside; do
  for _ in $(seq 1 "$PASSES"); do cat "$OUT/$corpus.jsonl"; done > "$OUT/$corpus-x$PASSES.jsonl"
  echo "== $corpus: $(wc -l < "$OUT/$corpus.jsonl") messages, $(stat -c %s "$OUT/$corpus.jsonl") bytes of JSON Lines, $(python3 -c 'import json,sys; print(sum(len(json.loads(l)["text"].encode()) for l in open(sys.argv[1], encoding="utf-8")))' "$OUT/$corpus.jsonl") bytes of text"
done

now() { date +%s.%N; }
since() { python3 -c "print($(now) - $1)"; }
# Seconds for PASSES runs of the binary $1 over the corpus $2, each a new process; the
# first writes its spans to $3.
per_process() {
  local t0; t0=$(now)
  "$1" pii scan --input "$OUT/$2.jsonl" --output "$3"
  for _ in $(seq 2 "$PASSES"); do "$1" pii scan --input "$OUT/$2.jsonl" --output /dev/null; done
  since "$t0"
}
# Seconds for one run of the binary $1 over the corpus $2 written PASSES times over: the
# fastest of ONE_PROCESS_RUNS.
one_process() {
  local t0 best=
  for _ in $(seq 1 "$ONE_PROCESS_RUNS"); do
    t0=$(now)
    "$1" pii scan --input "$OUT/$2-x$PASSES.jsonl" --output /dev/null
    best=$(python3 -c "import sys; t=float(sys.argv[1]); print(t if not sys.argv[2] else min(t, float(sys.argv[2])))" "$(since "$t0")" "$best")
  done
  echo "$best"
}
ratio() { # $1: how, $2: Presidio's seconds, $3: comity's for PASSES passes
  python3 -c "import sys; p,c,n=float(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print(f'throughput ratio, {sys.argv[1]}: {p/(c/n):.0f}x')" "$1" "$2" "$3" "$PASSES"
}
rate() { # $1: seconds, $2: passes, $3: corpus file
  python3 -c 'import sys; s,p,b,l=float(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]),int(sys.argv[4]); print(f"{s:.2f} s for {p} pass(es): {p*b/s/1e6:.3f} MB/s of JSON, {p*l/s:,.0f} lines/s")' "$1" "$2" "$(stat -c %s "$3")" "$(wc -l < "$3")"
}

for run in $(seq 1 "$RUNS"); do
  for corpus in corpus outside; do
    echo "== run $run, $corpus"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    t0=$(now)
    "$PY" bench/pii_presidio.py < "$OUT/$corpus.jsonl" > "$OUT/$corpus-presidio.jsonl" 2> "$OUT/$corpus-presidio.err"
    presidio=$(since "$t0")
    presidio_loop=$(sed -n 's/^presidio: \([0-9.]*\) s in the loop.*/\1/p' "$OUT/$corpus-presidio.err")
    echo "presidio: $(rate "$presidio" 1 "$OUT/$corpus.jsonl"); in its loop $(rate "$presidio_loop" 1 "$OUT/$corpus.jsonl")"
    comity=$(per_process "$BIN" "$corpus" "$OUT/$corpus-comity.jsonl")
    echo "comity:   $(rate "$comity" "$PASSES" "$OUT/$corpus.jsonl")"
    ratio "per process" "$presidio" "$comity"
    one=$(one_process "$BIN" "$corpus")
    echo "comity, one process over the corpus $PASSES times, fastest of $ONE_PROCESS_RUNS: $(rate "$one" "$PASSES" "$OUT/$corpus.jsonl")"
    ratio "in one process" "$presidio_loop" "$one"
    if [ -n "${BASELINE:-}" ]; then
      echo "baseline, per process: $(rate "$(per_process "$BASELINE" "$corpus" /dev/null)" "$PASSES" "$OUT/$corpus.jsonl")"
      echo "baseline, one process, fastest of $ONE_PROCESS_RUNS: $(rate "$(one_process "$BASELINE" "$corpus")" "$PASSES" "$OUT/$corpus.jsonl")"
    fi
  done
done

for corpus in corpus outside; do
  gold=$OUT/gold.jsonl
  [ "$corpus" = outside ] && gold=$OUT/outside-gold.jsonl
  "$BIN" pii scan --phone-check possible --input "$OUT/$corpus.jsonl" --output "$OUT/$corpus-comity-possible.jsonl"
  echo "== $corpus: recall and precision per type (a span counts when it overlaps a gold span of the same type)"
  python3 bench/pii_score.py "$gold" "$OUT/$corpus-comity.jsonl" "$OUT/$corpus-presidio.jsonl" "$OUT/$corpus-comity-possible.jsonl"
done
