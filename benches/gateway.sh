#!/usr/bin/env bash
# Gateway ingest benchmark (run by hand, not in CI).
#
# Starts `iarms-gateway serve` (release build) with a durable store and, in the
# same run, a bare axum server that answers 200 and does nothing
# (gateway/examples/bare_axum.rs: the ceiling; it also stands in for the hub the
# gateway forwards to). Then, with wrk on loopback and fresh records on every
# request (benches/records.lua):
#   1. throughput, batches of 100 records per request: ceiling, then gateway;
#   2. throughput, one record per request: ceiling, then gateway;
#   3. forwarding: deliveries/s to the hub from the backlog the runs above
#      left, with no ingest (the gateway's messages_delivered counter);
#   4. latency p50/p99 at a fixed rate (single records, then batches): gateway
#      and ceiling. wrk has no constant-rate mode (wrk2 has), so each connection
#      pauses DELAY after every answer; the achieved rate is printed beside.
#   5. the reference hub (`iarms-gateway hub`, on its own SQLite file): its
#      own batched ingest (records/s, batches of HUB_BATCH records on
#      /v1/records, counted by the hub), then the drain of a second gateway's
#      backlog of BACKLOG records into it: the gateway stores the backlog while
#      its hub URL answers nothing, restarts pointing at the hub, and the time
#      from its readiness to the last delivery gives deliveries/s.
# Records/s of the gateway are counted by the gateway itself (its
# iarms_gateway_messages_in_total counter, before and after), not by wrk.
#
# Store: a SQLite file (synchronous=FULL, WAL) by default; set
# BENCH_DATABASE_URL=postgres://… to run on PostgreSQL (schema bench_<pid>,
# dropped at the end with psql if psql is installed).
#
# Needs: wrk (Debian package `wrk`: apt-get install -y wrk), curl.
# Usage: benches/gateway.sh            (env: DURATION=15s CONNS=32 THREADS=1
#                                       RATE_SINGLE=1000 RATE_BATCH=50
#                                       HUB_BATCH=500 BACKLOG=100000)
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-15s}"
conns="${CONNS:-32}"
threads="${THREADS:-1}"
rate_single="${RATE_SINGLE:-1000}"
rate_batch="${RATE_BATCH:-50}"
gateway_port="${GATEWAY_PORT:-18080}"
ceiling_port="${CEILING_PORT:-18099}"
hub_port="${HUB_PORT:-18090}"
drain_port="${DRAIN_PORT:-18081}"
hub_batch="${HUB_BATCH:-500}"
backlog="${BACKLOG:-100000}"
hub_key="bench-gateway-key"
key="bench-partner-key"
out=benches/out/gateway
script=benches/records.lua

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y $tool" >&2; exit 2; }
done

cargo build --release -q -p iarms-gateway --bin iarms-gateway --example bare_axum
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/iarms-gateway"
bare="$target/release/examples/bare_axum"

rm -rf "$out"
mkdir -p "$out"

schemas=()
# store_of NAME: sets $store to the [store] table of one service (its own
# file or schema; the schemas are dropped at the end).
store_of() {
  if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
    schemas+=("bench_$$_$1")
    store="url = \"$BENCH_DATABASE_URL\"
schema = \"bench_$$_$1\""
  else
    store="url = \"$1.db\""
  fi
}
if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
  store_name="PostgreSQL"
else
  store_name="SQLite (synchronous=FULL, WAL)"
fi
store_of gateway
store_toml="$store"

hash="$(printf %s "$key" | "$bin" hash-key --stdin)"
cat > "$out/gateway.toml" <<TOML
[gateway]
country = "RS"
agency = "RS-MUP"
listen = "127.0.0.1:$gateway_port"

[store]
$store_toml

[hub]
url = "http://127.0.0.1:$ceiling_port"

[[partner]]
id = "bench"
format = "registry-rs"
api_key_hashes = ["$hash"]
owner_agencies = ["RS-MUP"]
TOML

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if command -v psql >/dev/null; then
    for schema in "${schemas[@]}"; do
      PGOPTIONS="--client-min-messages=warning" psql -q "$BENCH_DATABASE_URL" -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null || true
    done
  fi
}
trap cleanup EXIT

"$bare" "127.0.0.1:$ceiling_port" 2>"$out/bare_axum.log" &
pids+=($!)
"$bin" serve --config "$out/gateway.toml" 2>"$out/gateway.log" &
pids+=($!)

wait_ready() {
  for _ in $(seq 1 200); do
    curl -sf -o /dev/null -X "$2" "$1" && return 0
    sleep 0.1
  done
  echo "$1 did not answer; see $out/*.log" >&2
  exit 1
}
wait_ready "http://127.0.0.1:$gateway_port/readyz" GET
wait_ready "http://127.0.0.1:$ceiling_port/" POST

# counter NAME [PORT]: the sum of a service's counter over its labels.
counter() {
  curl -sf "http://127.0.0.1:${2:-$gateway_port}/metrics" |
    awk -v name="$1" '$1 ~ "^"name"[{ ]" || $1 == name { n += $NF } END { printf "%d", n }'
}
accepted_total() { counter iarms_gateway_messages_in_total; }
delivered_total() { counter iarms_gateway_messages_delivered_total; }

run=$(( $(date +%s) % 100000 * 1000 ))
declare -A result

# load NAME URL BATCH CONNS [DELAY_MS]: one wrk run; keeps its output in $out/NAME.txt.
load() {
  local name="$1" url="$2" batch="$3" c="$4" delay="${5:-0}"
  run=$(( run + 1 ))
  local before after start end
  before="$(accepted_total)"
  start="$(date +%s.%N)"
  wrk -t "$threads" -c "$c" -d "$duration" --latency -s "$script" "$url" \
    -- "$key" "$batch" "$run" "$delay" > "$out/$name.txt"
  end="$(date +%s.%N)"
  after="$(accepted_total)"
  local rps p50 p99 errors
  rps="$(awk '/^Requests\/sec/ { print $2 }' "$out/$name.txt")"
  p50="$(awk '$1 == "50%" { print $2 }' "$out/$name.txt")"
  p99="$(awk '$1 == "99%" { print $2 }' "$out/$name.txt")"
  errors="$(awk '/Non-2xx|Socket errors/ { print }' "$out/$name.txt" | tr '\n' ' ')"
  result[$name]="$rps"
  if [[ "$url" == *":$gateway_port" ]]; then
    local stored=$(( after - before ))
    local per_s
    per_s="$(awk -v n="$stored" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')"
    result[$name.records]="$per_s"
    printf "%-22s %10s req/s %10s records stored/s  p50 %8s  p99 %8s  %s\n" \
      "$name" "$rps" "$per_s" "$p50" "$p99" "$errors"
  else
    printf "%-22s %10s req/s %10s records/s         p50 %8s  p99 %8s  %s\n" \
      "$name" "$rps" "$(awk -v r="$rps" -v b="$batch" 'BEGIN { printf "%.0f", r * b }')" \
      "$p50" "$p99" "$errors"
  fi
}

gateway="http://127.0.0.1:$gateway_port"
ceiling="http://127.0.0.1:$ceiling_port"
echo "store: $store_name; wrk -t $threads, $duration per run, $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# Warm-up (first key verification, connections, page cache).
DURATION_SAVED="$duration"; duration=3s
load warmup "$gateway" 100 4 >/dev/null
duration="$DURATION_SAVED"

echo "-- throughput, $conns connections"
load ceiling-batch100 "$ceiling" 100 "$conns"
load gateway-batch100 "$gateway" 100 "$conns"
load ceiling-single "$ceiling" 1 "$conns"
load gateway-single "$gateway" 1 "$conns"

# Fixed rate: 8 connections, each pausing 8000/RATE ms after every answer.
# Forwarding: the runs above left a backlog in the outbox; with no ingest, the
# forwarder sends it to the hub (the bare server) for one DURATION.
echo "-- forwarding the backlog to the hub, no ingest"
before="$(delivered_total)"; start="$(date +%s.%N)"
sleep "$duration"
after="$(delivered_total)"; end="$(date +%s.%N)"
result[forwarded]="$(awk -v n=$(( after - before )) -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')"
printf "%-22s %10s deliveries/s\n" "forwarding" "${result[forwarded]}"

echo "-- latency at a fixed rate (8 connections, paced)"
load "gateway-single@$rate_single" "$gateway" 1 8 $(( 8000 / rate_single ))
load "ceiling-single@$rate_single" "$ceiling" 1 8 $(( 8000 / rate_single ))
load "gateway-batch100@$rate_batch" "$gateway" 100 8 $(( 8000 / rate_batch ))
load "ceiling-batch100@$rate_batch" "$ceiling" 100 8 $(( 8000 / rate_batch ))

# -- 5. the reference hub ------------------------------------------------------
hub_hash="$(printf %s "$hub_key" | "$bin" hash-key --stdin)"
# The hub's [store] takes no schema: it keeps a SQLite file on either run.
store="url = \"hub.db\""
printf %s "unused" > "$out/hub-to-rs.key"
printf %s "$hub_key" > "$out/rs-to-hub.key"
cat > "$out/hub.toml" <<TOML
[hub]
listen = "127.0.0.1:$hub_port"

[store]
$store

[[gateway]]
country = "RS"
url = "http://127.0.0.1:9"
key_hashes = ["$hub_hash"]
key_file = "hub-to-rs.key"
TOML
"$bin" hub --config "$out/hub.toml" 2>"$out/hub.log" &
pids+=($!)
wait_ready "http://127.0.0.1:$hub_port/readyz" GET

echo "-- the reference hub's batched ingest ($hub_batch records a request, 4 connections)"
before="$(counter iarms_gateway_messages_in_total "$hub_port")"; start="$(date +%s.%N)"
run=$(( run + 1 ))
wrk -t "$threads" -c 4 -d "$duration" --latency -s "$script" "http://127.0.0.1:$hub_port" \
  -- "$hub_key" "$hub_batch" "$run" 0 > "$out/hub-ingest.txt"
after="$(counter iarms_gateway_messages_in_total "$hub_port")"; end="$(date +%s.%N)"
result[hub]="$(awk -v n=$(( after - before )) -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')"
printf "%-22s %10s records/s  %s\n" "hub-ingest" "${result[hub]}" \
  "$(awk '/Non-2xx|Socket errors/ { print }' "$out/hub-ingest.txt" | tr '\n' ' ')"

# drain_config HUB_URL: a gateway whose hub is HUB_URL (its own store).
store_of drain
drain_store="$store"
drain_config() {
  cat > "$out/drain.toml" <<TOML
[gateway]
country = "RS"
agency = "RS-MUP"
listen = "127.0.0.1:$drain_port"

[store]
$drain_store

[hub]
url = "$1"
api_key_file = "rs-to-hub.key"

[forward]
batch = 500

[[partner]]
id = "bench"
format = "registry-rs"
api_key_hashes = ["$hash"]
owner_agencies = ["RS-MUP"]
TOML
}
echo "-- draining a backlog of $backlog records into the reference hub"
drain_config "http://127.0.0.1:9"
"$bin" serve --config "$out/drain.toml" 2>"$out/drain-fill.log" &
fill_pid=$!
pids+=($fill_pid)
wait_ready "http://127.0.0.1:$drain_port/readyz" GET
run=$(( run + 1 ))
while (( $(counter iarms_gateway_messages_in_total "$drain_port") < backlog )); do
  wrk -t "$threads" -c 8 -d 5s -s "$script" "http://127.0.0.1:$drain_port" \
    -- "$key" 500 "$run" 0 > "$out/drain-fill.txt"
  run=$(( run + 1 ))
done
stored="$(counter iarms_gateway_messages_in_total "$drain_port")"
kill -TERM "$fill_pid"; wait "$fill_pid" 2>/dev/null || true
drain_config "http://127.0.0.1:$hub_port"
start="$(date +%s.%N)"
"$bin" serve --config "$out/drain.toml" 2>"$out/drain.log" &
pids+=($!)
wait_ready "http://127.0.0.1:$drain_port/readyz" GET
ready="$(date +%s.%N)"
while (( $(counter iarms_gateway_messages_delivered_total "$drain_port") < stored )); do
  sleep 0.1
done
end="$(date +%s.%N)"
result[drain]="$(awk -v n="$stored" -v s="$ready" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')"
printf "%-22s %10s deliveries/s  (%d records in %.1f s after readiness; started in %.1f s)\n" \
  "drain-into-hub" "${result[drain]}" "$stored" \
  "$(awk -v s="$ready" -v e="$end" 'BEGIN { print e - s }')" \
  "$(awk -v s="$start" -v e="$ready" 'BEGIN { print e - s }')"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "-- summary ($store_name)"
echo "batched:  ${result[gateway-batch100.records]} records/s stored" \
  "(gateway ${result[gateway-batch100]} req/s = $(ratio "${result[gateway-batch100]}" "${result[ceiling-batch100]}") of the ceiling's ${result[ceiling-batch100]} req/s)"
echo "single:   ${result[gateway-single.records]} records/s stored" \
  "(gateway ${result[gateway-single]} req/s = $(ratio "${result[gateway-single]}" "${result[ceiling-single]}") of the ceiling's ${result[ceiling-single]} req/s)"
echo "forwarding: ${result[forwarded]} deliveries/s from the backlog to a do-nothing hub, no ingest"
echo "hub:      ${result[hub]} records/s of batched ingest at the reference hub"
echo "drain:    ${result[drain]} deliveries/s from a backlog of ${backlog}+ into the reference hub"
echo "outputs:  $out/*.txt, logs $out/*.log"
