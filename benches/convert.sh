#!/usr/bin/env bash
# Conversion benchmark (run by hand, not in CI).
#
# Generates COUNT records (default 1,000,000), then times csv -> ndjson,
# ndjson -> xml and xml -> csv with full normalisation and validation, printing
# records/s and peak RSS for each. In the same run it times two references on
# the same CSV file, Miller (`mlr --icsv --ojson cat`) and a bare csv-crate read,
# and prints our speed as a ratio of theirs.
#
# Needs: GNU time (/usr/bin/time) and Miller (Debian packages `time`, `miller`).
# Usage: benches/convert.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."

count="${1:-1000000}"
out=benches/out
mkdir -p "$out"

for tool in /usr/bin/time mlr; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install time miller" >&2; exit 2; }
done

cargo build --release -q -p iarms-gateway
cargo build --release -q -p iarms-adapters --example csv_baseline
bin=target/release/iarms-gateway
baseline=target/release/examples/csv_baseline

echo "generating $count records..."
"$bin" sample --message record --count "$count" --format iarms-csv --seed 42 -o "$out/records.csv"
ls -lh "$out/records.csv" | awk '{print "input: " $5 " CSV"}'

# measure NAME COMMAND... : runs the command under GNU time, prints and remembers seconds and peak RSS.
declare -A seconds rss
measure() {
  local name="$1"; shift
  # Exit status 1 means some records were rejected (and reported): still a valid run.
  local status=0
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>"$out/$name.stderr" || status=$?
  if (( status > 1 )); then echo "$name failed:"; cat "$out/$name.stderr"; exit 1; fi
  # GNU time puts "Command exited with non-zero status N" first when N > 0.
  read -r s kb < <(tail -n 1 "$out/time.txt")
  seconds[$name]="$s"; rss[$name]="$kb"
  awk -v n="$name" -v s="$s" -v kb="$kb" -v c="$count" \
    'BEGIN { printf "%-22s %8.2f s %12.0f records/s %8.1f MiB peak RSS\n", n, s, (s > 0 ? c / s : 0), kb / 1024 }'
}

echo
measure "csv->ndjson"      "$bin" convert --from iarms-csv --to iarms-ndjson "$out/records.csv" -o "$out/records.ndjson"
measure "ndjson->xml"      "$bin" convert --from iarms-ndjson --to iarms-xml "$out/records.ndjson" -o "$out/records.xml"
measure "xml->csv"         "$bin" convert --from iarms-xml --to iarms-csv "$out/records.xml" -o "$out/records-back.csv"
# The same records through a declarative mapping (registry-rs: semicolon CSV,
# Serbian headers and codes, dd.mm.yyyy dates), against the canonical CSV codec
# on the same records. Rows the registry format cannot carry (obliterated
# serials) are left out of both files.
"$bin" convert --from iarms-ndjson --to registry-rs "$out/records.ndjson" -o "$out/records.registry-rs.csv" 2>/dev/null || true
"$bin" convert --from registry-rs --to iarms-csv "$out/records.registry-rs.csv" -o "$out/records.same.csv" 2>/dev/null || true
measure "registry-rs->ndjson" "$bin" convert --from registry-rs --to iarms-ndjson "$out/records.registry-rs.csv" -o "$out/mapped.ndjson"
measure "same via iarms-csv"   "$bin" convert --from iarms-csv --to iarms-ndjson "$out/records.same.csv" -o "$out/same.ndjson"
measure "mlr csv->json"    sh -c "mlr --icsv --ojson cat '$out/records.csv' > '$out/mlr.json'"
measure "csv crate read"   "$baseline" "$out/records.csv"

echo
ratio() { awk -v a="${seconds[$1]}" -v b="${seconds[$2]}" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }'; }
echo "csv->ndjson is $(ratio 'csv->ndjson' 'mlr csv->json')x the speed of mlr --icsv --ojson cat (target: at least 2x)"
echo "csv->ndjson runs at $(ratio 'csv->ndjson' 'csv crate read')x the speed of a bare csv-crate read"
echo "mapping-based registry-rs->ndjson runs at $(ratio 'registry-rs->ndjson' 'same via iarms-csv')x the speed of the canonical CSV codec on the same records (target: at least 0.5x)"
max_rss=0
for n in "csv->ndjson" "ndjson->xml" "xml->csv" "registry-rs->ndjson"; do
  (( rss[$n] > max_rss )) && max_rss=${rss[$n]}
done
awk -v kb="$max_rss" 'BEGIN { printf "peak RSS of any conversion: %.1f MiB (target: below 50 MiB)\n", kb / 1024 }'
