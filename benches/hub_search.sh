#!/usr/bin/env bash
# Hub search benchmark (run by hand, not in CI): COUNT registered records
# (default 1,000,000, 10% partial serials) in a SQLite register on /dev/shm,
# then SEARCHES searches through the hub's matching (keys, keys filling
# recorded patterns, searched patterns, misses); prints p50/p90/p99/max.
# Target (issue 15): p99 under 20 ms. gateway/examples/hub_search.rs says more.
# Usage: benches/hub_search.sh [COUNT] [SEARCHES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p iarms-gateway --example hub_search
target/release/examples/hub_search "${1:-1000000}" "${2:-2000}" /dev/shm/iarms-hub-search.db
rm -f /dev/shm/iarms-hub-search.db /dev/shm/iarms-hub-search.db-wal /dev/shm/iarms-hub-search.db-shm
