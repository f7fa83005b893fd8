#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs from the bundled samples and test
# data (the corpus folders are not committed: libFuzzer adds its finds there).
# Safe to run again: existing files are kept, seeds are overwritten.
set -euo pipefail
cd "$(dirname "$0")"
root=..

seed() { # target, files...
  local target=$1; shift
  mkdir -p "corpus/$target"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "corpus/$target/"
  done
  return 0
}

seed decode_iarms_json $root/samples/*.json $root/tests/golden/input/*.json $root/tests/golden/expected/*.json
seed decode_iarms_ndjson $root/samples/*.ndjson $root/tests/golden/input/*.ndjson $root/tests/golden/expected/*.ndjson
seed decode_iarms_xml $root/samples/*.xml $root/tests/golden/input/*.xml $root/tests/golden/expected/*.xml
seed decode_iarms_csv $root/samples/*.csv $root/tests/golden/expected/*.csv
seed decode_niem_xml $root/tests/data/niem/*.xml
seed decode_ncic $root/tests/data/ncic/*.txt
seed decode_registry_rs $root/tests/data/native/registry-rs-export*.csv
seed decode_registry_rs_trace_request $root/tests/data/native/registry-rs-trace-request.csv
seed decode_registry_rs_trace_response $root/tests/data/native/registry-rs-trace-response.csv
seed decode_registry_br $root/tests/data/native/registry-br-api.json
seed decode_regional_xml $root/tests/data/native/regional-system.xml $root/tests/golden/mappings/*.native.xml
seed config_gateway $root/gateway/examples/gateway.toml
seed config_hub $root/gateway/examples/hub.toml

# decode_canonical: the first byte picks the format (0 json, 1 ndjson, 2 xml, 3 csv).
mkdir -p corpus/decode_canonical
selector=0
for target in decode_iarms_json decode_iarms_ndjson decode_iarms_xml decode_iarms_csv; do
  for f in corpus/$target/*; do
    { printf "\\x0$selector"; cat "$f"; } > "corpus/decode_canonical/$selector-$(basename "$f")"
  done
  selector=$((selector + 1))
done

# mapping_engine: a mapping file, a NUL byte, a native input it reads.
mkdir -p corpus/mapping_engine
pair() { # mapping, input
  { cat "$1"; printf '\0'; cat "$2"; } > "corpus/mapping_engine/$(basename "$1" .toml)-$(basename "$2")"
}
pair $root/mappings/registry-rs.toml $root/tests/data/native/registry-rs-export.csv
pair $root/mappings/registry-rs.toml $root/tests/data/native/registry-rs-export-with-errors.csv
pair $root/mappings/registry-br.toml $root/tests/data/native/registry-br-api.json
pair $root/mappings/regional-xml.toml $root/tests/data/native/regional-system.xml
pair $root/mappings/registry-rs-trace-request.toml $root/tests/data/native/registry-rs-trace-request.csv
pair $root/mappings/registry-rs-trace-response.toml $root/tests/data/native/registry-rs-trace-response.csv

for d in corpus/*/; do printf '%s %s\n' "$(ls "$d" | wc -l)" "$d"; done
