#!/usr/bin/env bash
# Upload latency beside hostile and heavy clients (docs/BENCHMARKS.md, "Beside
# half-open connections and downloads"): one release server on loopback with its
# default limits, and the `load` example run in rounds, each round the same uploads
# alone, beside N half-open connections, and beside N clients downloading a published
# day in a loop.
#
# Run from the workspace root, after
#   cargo build --release -p transparent-telemetry-server --bin telemetry-server --example load
#   cargo build -p transparent-telemetry-cli
# and on a machine where nothing else runs (the figures are of two processes sharing
# its cores). Settings, from the environment:
#   REPORTS      reports per run (50000)
#   CONNECTIONS  upload connections (32: the server's cap per address, the uploads all
#                come from 127.0.0.1)
#   HALF_OPEN    half-open connections held beside the uploads (1000)
#   DOWNLOADERS  clients downloading the day beside the uploads (32)
#   SEED         reports in the published day (2600: about 2 MB)
#   ROUNDS       rounds of the runs (3)
#   KINDS        the runs of a round ("alone half-open downloads"; also downloads-gzip,
#                the downloaders asking for the compressed day)
#   PORT         the server's port on 127.0.0.1 (8790)
#   OUT          where the database, the config and every run's output go (a new
#                temporary directory)
# Each run's output is in $OUT/<round>-<kind>.txt; a summary ends the output.
set -euo pipefail

REPORTS=${REPORTS:-50000}
CONNECTIONS=${CONNECTIONS:-32}
HALF_OPEN=${HALF_OPEN:-1000}
DOWNLOADERS=${DOWNLOADERS:-32}
SEED=${SEED:-2600}
ROUNDS=${ROUNDS:-3}
KINDS=${KINDS:-alone half-open downloads}
PORT=${PORT:-8790}
OUT=${OUT:-$(mktemp -d)}
SERVER=target/release/telemetry-server
LOAD=target/release/examples/load
TELEMETRY=target/debug/telemetry
URL=http://127.0.0.1:$PORT
for binary in "$SERVER" "$LOAD" "$TELEMETRY"; do
  [ -x "$binary" ] || { echo "$binary is missing: build it first (see the header)" >&2; exit 2; }
done
mkdir -p "$OUT"

today=$(date -u +%F)
yesterday=$(date -u -d yesterday +%F)
"$TELEMETRY" config init --manifest docs/kv-manifest.json --out "$OUT/config.json" >/dev/null
"$TELEMETRY" config keygen --out "$OUT/collector.key" >/dev/null 2>&1
"$TELEMETRY" config sign "$OUT/config.json" --key "$OUT/collector.key" \
  --out "$OUT/signed-config.json" >/dev/null
DB="sqlite:$OUT/server.db"

pid=
stop_server() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap stop_server EXIT

# The server with its own idea of today, its defaults but for the rate limit.
start_server() {
  TELEMETRY_SERVER_TODAY=$1 "$SERVER" serve --db "$DB" --config "$OUT/signed-config.json" \
    --addr "127.0.0.1:$PORT" --rate-limit 0 >"$OUT/server-$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -fs "$URL/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "the server did not start:" >&2
  cat "$OUT/server-$1.log" >&2
  exit 1
}

# The server's CPU time so far, in clock ticks (user + system).
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

load() {
  "$LOAD" --url "$URL" --config "$OUT/signed-config.json" "$@"
}

# Yesterday's reports, published when the server starts on today.
start_server "$yesterday"
load --reports "$SEED" --connections "$CONNECTIONS" >"$OUT/seed.txt"
stop_server
start_server "$today"
day=/data/$yesterday.ndjson
echo "published: $(curl -fs "$URL/data/index.json" | tr -d '\n ')"
echo "server: TELEMETRY_SERVER_TODAY=$today $SERVER serve --db $DB --config $OUT/signed-config.json --addr 127.0.0.1:$PORT --rate-limit 0"

ticks=$(getconf CLK_TCK)
for round in $(seq "$ROUNDS"); do
  for kind in $KINDS; do
    case $kind in
      alone) extra=() ;;
      half-open) extra=(--half-open "$HALF_OPEN") ;;
      downloads) extra=(--downloaders "$DOWNLOADERS" --download "$day") ;;
      downloads-gzip)
        extra=(--downloaders "$DOWNLOADERS" --download "$day" --accept-encoding gzip) ;;
      *) echo "unknown kind $kind" >&2; exit 2 ;;
    esac
    before=$(cpu_ticks)
    echo "load --reports $REPORTS --connections $CONNECTIONS ${extra[*]}" >"$OUT/$round-$kind.txt"
    TIMEFORMAT="load generator CPU: %U user + %S system s"
    { time load --reports "$REPORTS" --connections "$CONNECTIONS" "${extra[@]}" \
        >>"$OUT/$round-$kind.txt"; } 2>>"$OUT/$round-$kind.txt"
    after=$(cpu_ticks)
    echo "server CPU: $(awk -v t=$((after - before)) -v hz="$ticks" 'BEGIN { printf "%.1f", t / hz }') s" \
      >>"$OUT/$round-$kind.txt"
    echo "== round $round, $kind"
    tail -n +2 "$OUT/$round-$kind.txt"
    sleep 2
  done
done
stop_server

# The median of each figure over the rounds, by kind.
echo "== medians over $ROUNDS rounds ($OUT)"
for kind in $KINDS; do
  cat "$OUT"/*-"$kind".txt | awk -v kind="$kind" '
    function median(list, n,   sorted, i, j, t) {
      for (i = 1; i <= n; i++) sorted[i] = list[i]
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (sorted[j] < sorted[i]) { t = sorted[i]; sorted[i] = sorted[j]; sorted[j] = t }
      return (n % 2) ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
    }
    / reports\/s; / {
      n++
      rate[n] = $6 + 0; p50[n] = $12 + 0; p99[n] = $15 + 0; max[n] = $18 + 0
    }
    /^downloads of / { d++; match($0, /[0-9.]+ downloads\/s/); dl[d] = substr($0, RSTART, RLENGTH) + 0 }
    /^server CPU: / { c++; cpu[c] = $3 + 0 }
    /^load generator CPU: / { g++; gen[g] = $4 + $7 }
    END {
      printf "%s: %.0f reports/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, server CPU %.1f s, load generator CPU %.1f s", \
        kind, median(rate, n), median(p50, n), median(p99, n), median(max, n), median(cpu, c), median(gen, g)
      if (d) printf ", %.1f downloads/s", median(dl, d)
      printf "\n"
    }'
done
