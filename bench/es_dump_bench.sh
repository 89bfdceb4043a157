#!/usr/bin/env bash
# Elasticsearch dump benchmark: DOCS x DIM documents (a long id and a dense_vector) in a real
# Elasticsearch 8 node on loopback, dumped to local .npy files with SLICES parallel slices,
# next to the node's raw export rate: one plain scroll of the same fields whose bodies are
# read and thrown away (the work any client must at least do). Reports seconds, docs/s and
# peak RSS. Usage: bench/es_dump_bench.sh [DOCS] [DIM] [SLICES]  (defaults 200000 768 2).
# The node and its index are kept in $MM_BENCH_DIR/es (default /tmp/mm-bench/es) between
# runs; `bench/es_dump_bench.sh stop` ends the node.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${MM_BENCH_DIR:-/tmp/mm-bench}/es"
port="${MM_BENCH_ES_PORT:-20600}"
if [ "${1:-}" = "stop" ]; then
  bash scripts/elasticsearch.sh stop --dir "$work/node"
  exit 0
fi
docs="${1:-200000}"
dim="${2:-768}"
slices="${3:-2}"
venv="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv"
py="$venv/bin/python"
mkdir -p "$work"
bash scripts/elasticsearch.sh start --dir "$work/node" --port "$port" >/dev/null
url="http://127.0.0.1:$port"
index="bench"
if [ "$(cat "$work/shape" 2>/dev/null)" != "$docs x $dim" ]; then
  echo "loading $docs x $dim documents (once)..."
  "$py" bench/es_bench_helper.py load "$url" "$index" "$docs" "$dim"
  echo "$docs x $dim" > "$work/shape"
fi

read -r n raw_s raw_bytes < <("$py" bench/es_bench_helper.py scroll "$url" "$index" 2500)
awk -v n="$n" -v s="$raw_s" -v b="$raw_bytes" 'BEGIN {
  printf "raw scroll (1 stream)     %6.2f s  %9.0f docs/s  %7.1f MB/s of JSON\n", s, n / s, b / s / 1e6 }'

cat > "$work/m.yaml" <<YAML
dumper:
  worker:
    workMode: elasticsearch
    limit: $slices
    reader:
      bufferSize: 2500
meta:
  mode: config
  index: $index
  fields:
    - name: id
      type: long
      pk: true
    - name: data
      type: dense_vector
      dims: $dim
source:
  es:
    urls: ["$url"]
    slices: $slices
target:
  mode: local
  local:
    outputDir: $work/out
YAML
rm -rf "$work/out"
t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" build/milvus-migration dump -c "$work/m.yaml" 2>"$work/dump.log" \
  || { tail -20 "$work/dump.log"; exit 1; }
t1=$(date +%s.%N)
awk -v n="$n" -v s="$(echo "$t1 - $t0" | bc)" -v r="$(cat "$work/rss")" -v raw="$raw_s" -v k="$slices" 'BEGIN {
  printf "dump, %d slice(s)          %6.2f s  %9.0f docs/s  peak RSS %.1f MB\n", k, s, n / s, r / 1024
  printf "  dump rate / raw rate: %.2f\n", raw / s }'
