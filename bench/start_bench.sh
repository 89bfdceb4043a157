#!/usr/bin/env bash
# `start` benchmark: how long `start` takes against its two halves, on three sources, into a
# real Milvus 2.3.5 (a local-storage bed of scripts/testbed.sh). For each source it runs, each
# with its wall time and peak RSS (/usr/bin/time):
#   - `dump` alone (to an empty output);
#   - `load` alone (of that dump, into a new collection: ifExists recreate);
#   - `start` (an empty output, ifExists recreate): the whole migration.
# Aim: start <= 1.1 x max(dump, load): the import runs while the dump goes on.
# Usage: bench/start_bench.sh [faiss|es|milvus1x|all]   (default all)
#   faiss:    IndexFlatL2 1,000,000 x 128 (bench/make_indexes.py, cached in $MM_BENCH_DIR)
#   es:       100,000 x 768 documents in an Elasticsearch 8.19 node (bench/es_bench_helper.py;
#             the node stays up in $MM_BENCH_DIR/es: `bench/es_dump_bench.sh stop` ends it)
#   milvus1x: a 1.x directory of 500,000 x 128 rows in 4 segments
# The 1.x and ES collections keep their source names (bench).
# MM_BENCH_BINARY (default build/milvus-migration) picks the binary, so an older build can be
# measured the same way; MM_BENCH_PORT_BASE (default 22700) moves the bed's ports. Not run by
# CI. After each `start`, the collection's row count is checked against the source's.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
bin="${MM_BENCH_BINARY:-build/milvus-migration}"
venv="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv"
py="$venv/bin/python"
work="${MM_BENCH_DIR:-/tmp/mm-bench}"
port_base="${MM_BENCH_PORT_BASE:-22700}"
# MM_BENCH_STEPS: which of "dump load start" to run (load needs dump), for a long source.
steps="${MM_BENCH_STEPS:-dump load start}"
es_port="${MM_BENCH_ES_PORT:-20600}"
mkdir -p "$work"

bed="$work/start-bed"
rm -rf "$bed"
scripts/testbed.sh start --dir "$bed" --storage local --port-base "$port_base" >/dev/null
trap 'scripts/testbed.sh stop --dir "$bed" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$bed/testbed.env"

timed() {  # label log command...
  local label="$1" log="$2"; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$log" 2>&1 ||
    { echo "bench: $label failed:"; tail -n 20 "$log"; exit 1; }
  t1=$(date +%s.%N)
  awk -v l="$label" -v s="$(echo "$t1 - $t0" | bc)" -v r="$(cat "$work/rss")" 'BEGIN {
    printf "%-24s %8.2f s  peak RSS %7.1f MB\n", l, s, r / 1024 }'
}

count_rows() {  # collection expected
  "$py" - "$MM_MILVUS_ENDPOINT" "$1" "$2" <<'PY'
import sys
from pymilvus import connections, Collection
connections.connect(uri="http://" + sys.argv[1].replace("http://", ""))
n = Collection(sys.argv[2]).num_entities  # imported segments are flushed
assert n == int(sys.argv[3]), f"{sys.argv[2]}: {n} rows, expected {sys.argv[3]}"
PY
}

# source_yaml NAME: the dumper/meta/source part of the config, on stdout.
run_source() {  # name rows source_yaml collection
  local name="$1" rows="$2" source_yaml="$3" collection="${4:-bench_start_$1}"
  local out="$work/start-out-$name"
  local yaml="$work/start-$name.yaml"
  { printf '%s\n' "$source_yaml"; cat <<YAML
loader:
  worker:
    limit: 2
target:
  mode: local
  local:
    outputDir: $out
  milvus2x:
    endpoint: $MM_MILVUS_ENDPOINT
  create:
    collection:
      name: $collection
      ifExists: recreate
YAML
  } > "$yaml"
  echo "== $name ($rows rows; $bin)"
  rm -rf "$out"
  if [[ " $steps " == *" dump "* ]]; then
    timed "dump" "$work/start-$name-dump.log" "$bin" dump -c "$yaml"
    if [[ " $steps " == *" load "* ]]; then
      timed "load" "$work/start-$name-load.log" "$bin" load -c "$yaml"
      count_rows "$collection" "$rows"
    fi
  fi
  rm -rf "$out"
  if [[ " $steps " == *" start "* ]]; then
    timed "start" "$work/start-$name-start.log" "$bin" start -c "$yaml"
    count_rows "$collection" "$rows"
  fi
  rm -rf "$out"
}

if [ "$what" = all ] || [ "$what" = faiss ]; then
  rows=1000000 dim=128
  if [ ! -f "$work/flat.index" ] || [ "$(cat "$work/shape" 2>/dev/null)" != "$rows x $dim" ]; then
    "$py" bench/make_indexes.py "$work" --rows "$rows" --dim "$dim"
    echo "$rows x $dim" > "$work/shape"
  fi
  cat "$work/flat.index" >/dev/null
  run_source faiss "$rows" "dumper:
  worker:
    limit: 2
    workMode: faiss
source:
  mode: local
  local:
    faissFile: $work/flat.index"
fi

if [ "$what" = all ] || [ "$what" = milvus1x ]; then
  rows=500000 dim=128 segments=4
  data="$work/milvus1x-start"
  if [ ! -f "$data/bench.json" ] || [ "$(cat "$data.shape" 2>/dev/null)" != "$rows x $dim / $segments" ]; then
    rm -rf "$data"
    "$py" tests/fixtures/make_milvus1x_fixtures.py --bench "$data" --rows "$rows" --dim "$dim" \
      --segments "$segments"
    echo "$rows x $dim / $segments" > "$data.shape"
  fi
  live=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["live_rows"])' "$data/bench.json")
  run_source milvus1x "$live" "dumper:
  worker:
    limit: 2
    workMode: milvus1x
meta:
  mode: sqlite
  sqliteFile: $data/db/meta.sqlite
source:
  mode: local
  local:
    tablesDir: $data/db/tables" bench
fi

if [ "$what" = all ] || [ "$what" = es ]; then
  docs=100000 dim=768
  es="$work/es"
  mkdir -p "$es"
  bash scripts/elasticsearch.sh start --dir "$es/node" --port "$es_port" >/dev/null
  url="http://127.0.0.1:$es_port"
  if [ "$(cat "$es/shape" 2>/dev/null)" != "$docs x $dim" ]; then
    echo "loading $docs x $dim documents (once)..."
    "$py" bench/es_bench_helper.py load "$url" bench "$docs" "$dim"
    echo "$docs x $dim" > "$es/shape"
  fi
  run_source es "$docs" "dumper:
  worker:
    workMode: elasticsearch
meta:
  mode: config
  index: bench
  fields:
    - name: id
      type: long
      pk: true
    - name: data
      type: dense_vector
      dims: $dim
source:
  es:
    urls: [\"$url\"]" bench
fi
