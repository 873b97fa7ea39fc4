# Shared by bench/intake.sh, bench/growth.sh and bench/inbox.sh: the server and the parties of a run.
# Sourced; expects WORK (a scratch directory) and sets SERVER and URL.

# No per-client limits: every request of a benchmark comes from one address.
UNLIMITED="--rate-limit 0 --failure-limit 0 --connections-per-address 0 --in-flight-per-address 0"

start_server() { # $1: binary, $2: store args, $3: extra serve args
  $1 serve --listen 127.0.0.1:0 $3 $2 > "$WORK/out" 2> "$WORK/err" &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
  URL=$(sed -n 's/^comity listening on //p' "$WORK/out")
  [ -n "$URL" ] || { cat "$WORK/err" >&2; exit 1; }
}

stop_server() {
  echo "peak server memory (VmHWM): $(grep VmHWM /proc/$SERVER/status | awk '{print $2, $3}')"
  kill $SERVER; wait $SERVER 2>/dev/null || true
  SERVER=
}

register_parties() { # $1: binary, $2: store args
  $1 authority add $2 --id fr-tj-paris --country FR --type prosecutor --name "Parquet de Paris" >/dev/null
  $1 authority add $2 --id fr-jld-paris --country FR --type judge --name "JLD de Paris" >/dev/null
  $1 provider add $2 --id example-mail --country IE --name "Example Mail" >/dev/null
  # The court of the provider's State, to which screening routes each request by law (issue
  # 13); a binary from before routing registers it and assigns nobody.
  $1 reviewer add $2 --id ie-high-court --country IE --kind court --name "The High Court" >/dev/null
}

check_autovacuum() { # $1: a PostgreSQL URL. Figures taken without autovacuum measure plans
  # made on the statistics of empty tables (docs/deploy.md); say so before they are read.
  if [ "$(psql "$1" -tAc 'SHOW autovacuum')" = off ]; then
    echo "warning: PostgreSQL's autovacuum is off here, unlike a deployment (docs/deploy.md):" \
      "nothing analyzes the tables as they grow. To measure as deployed:" \
      "psql -c 'ALTER SYSTEM SET autovacuum = on' -c 'SELECT pg_reload_conf()'" >&2
  fi
}

bench_database_url() { # $1: a PostgreSQL URL, $2: a database's name. The URL of database $2
  # on the same server. To a server on this host it is without TLS unless $1 names an
  # sslmode: docs/deploy.md says so for a database on the same host, and the driver's
  # default (`prefer`) spent about a tenth of throughput on TLS over the loopback
  # (docs/benchmarks.md), which no deployment that follows it pays.
  local base=${1%%\?*}
  local query=${1#"$base"}
  local url=${base%/*}/$2$query
  case "$1" in
    *sslmode=*) ;;
    *@127.0.0.1[:/]* | *@localhost[:/]* | *@\[::1\][:/]*)
      if [ -n "$query" ]; then url="$url&sslmode=disable"; else url="$url?sslmode=disable"; fi ;;
  esac
  echo "$url"
}
