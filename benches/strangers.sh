#!/usr/bin/env bash
# Strangers benchmark (issue 16's targets; run by hand, not in CI), bounded:
#   1. 200 unauthenticated clients at once, each starting a 10 MiB upload:
#      every one must be refused within 1 s, gateway peak RSS (VmHWM) < 256 MiB;
#   2. 64 clients sending random keys for 30 s while a partner posts records
#      from 127.0.0.2: the partner's p99 must stay under 200 ms.
# The gateway runs the release build with keys of real argon2 cost (made by
# `hash-key`), a partner key with an id and one without (the migration), so
# that strangers' id-less keys cost verifications too.
#
# Usage: benches/strangers.sh   (env: SECONDS_KEYS=30 CLIENTS=64 UPLOADS=200,
#                               PROFILE=debug to measure the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."

uploads="${UPLOADS:-200}"
clients="${CLIENTS:-64}"
seconds="${SECONDS_KEYS:-30}"
out=benches/out/strangers

profile="${PROFILE:-release}"
if [[ "$profile" == release ]]; then
  cargo build --release -q -p iarms-gateway --bin iarms-gateway --example strangers_load
else
  cargo build -q -p iarms-gateway --bin iarms-gateway --example strangers_load
fi
target="${CARGO_TARGET_DIR:-target}"
bin="$(realpath "$target/$profile/iarms-gateway")"
load="$(realpath "$target/$profile/examples/strangers_load")"

rm -rf "$out"
mkdir -p "$out"
mapfile -t made < <("$bin" hash-key)
key="${made[0]}"
line="${made[1]}"
id="${line%%:*}"
legacy="$(printf 'legacy-key-of-the-partner\n' | "$bin" hash-key --stdin)"
operator="$("$bin" hash-key | tail -n 1)"

cat > "$out/gateway.toml" <<TOML
[gateway]
country = "RS"
agency = "MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["$operator"]

[store]
url = "gateway.db"

[hub]
url = "http://127.0.0.1:9"
api_key_env = "STRANGERS_HUB_KEY"

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = ["$line", "$legacy"]
owner_agencies = ["RS-MUP"]
TOML

(cd "$out" && STRANGERS_HUB_KEY=x RUST_LOG=error exec "$bin" serve --config gateway.toml --ready-file ready.json) 2> "$out/stderr.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s "$out/ready.json" ]] && break; sleep 0.1; done
addr="$(sed -E 's/.*"address":"([^"]+)".*/\1/' "$out/ready.json")"
hwm() { awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status"; }

echo "gateway $addr (pid $pid), $profile build, $(nproc) cores; peak RSS at start: $(hwm)"
# The partner's key is verified once before the load (then answered from the cache).
curl -s -o /dev/null -w "partner first request: %{http_code} in %{time_total} s\n" \
  -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '[]' "http://$addr/v1/records"

echo "== 1. $uploads strangers each starting a 10 MiB upload"
KEY_ID="$id" "$load" uploads "$addr" "$uploads"
echo "uploads: gateway peak RSS $(hwm) (target < 256 MiB)"

# A fresh quota for the second run.
sleep 6
echo "== 2. $clients clients sending random keys for $seconds s, the partner posting from 127.0.0.2"
"$load" keys "$addr" "$clients" "$seconds" "$key" "$id"
echo "keys: gateway peak RSS $(hwm)"
curl -s -o /dev/null -w "healthz after the load: %{http_code}\n" "http://$addr/healthz"
