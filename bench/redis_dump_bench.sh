#!/usr/bin/env bash
# Redis dump benchmark: KEYS HASH keys (a DIM-component FLOAT32 blob and a text field, the
# RediSearch layout) in a real redis-server on loopback, dumped to local parts with the key as
# a VarChar pk, next to the raw read rate of redis-py doing the same reads (SCAN + one
# pipelined HGETALL a page, values thrown away). Then every dumped row is compared bit for bit
# with what redis-py reads. Reports seconds, keys/s and peak RSS.
# Usage: bench/redis_dump_bench.sh [KEYS] [DIM] [SCAN_COUNT]  (defaults 200000 768 500).
# The server and its keys are kept in $MM_BENCH_DIR/redis (default /tmp/mm-bench/redis)
# between runs; `bench/redis_dump_bench.sh stop` ends the server.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${MM_BENCH_DIR:-/tmp/mm-bench}/redis"
port="${MM_BENCH_REDIS_PORT:-20650}"
if [ "${1:-}" = "stop" ]; then
  bash scripts/redis.sh stop --dir "$work/server"
  exit 0
fi
keys="${1:-200000}"
dim="${2:-768}"
count="${3:-500}"
py="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv/bin/python"
bin="${MM_BINARY:-build/milvus-migration}"
mkdir -p "$work"
if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
  bash scripts/redis.sh start --dir "$work/server" --port "$port" >/dev/null
  rm -f "$work/shape"
fi
if [ "$(cat "$work/shape" 2>/dev/null)" != "$keys x $dim" ]; then
  echo "loading $keys x $dim keys (once)..."
  "$py" bench/redis_bench_helper.py load 127.0.0.1 "$port" "$keys" "$dim"
  echo "$keys x $dim" > "$work/shape"
fi

read -r n raw_s raw_bytes < <("$py" bench/redis_bench_helper.py scan 127.0.0.1 "$port" "$count")
awk -v n="$n" -v s="$raw_s" -v b="$raw_bytes" 'BEGIN {
  printf "raw SCAN+HGETALL (redis-py) %6.2f s  %9.0f keys/s  %7.1f MB/s\n", s, n / s, b / s / 1e6 }'

cat > "$work/m.yaml" <<YAML
dumper:
  worker:
    workMode: redis
    partSizeMB: 128   # parts the check below can read one at a time
source:
  redis:
    url: redis://127.0.0.1:$port
    prefix: "bench:"
    scanCount: $count
    fields:
      - name: id
        pk: key
        maxLen: 64
      - name: emb
        type: vector
        dims: $dim
        dataType: FLOAT32
      - name: title
        type: VarChar
        maxLen: 64
target:
  mode: local
  local:
    outputDir: $work/out
  create:
    collection:
      name: redis_bench
YAML
rm -rf "$work/out"
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" dump -c "$work/m.yaml" > "$work/dump.log" 2>&1 \
  || { tail -n 20 "$work/dump.log"; exit 1; }
read -r secs rss_kb < "$work/time"
awk -v n="$keys" -v s="$secs" -v m="$rss_kb" 'BEGIN {
  printf "milvus-migration dump      %6.2f s  %9.0f keys/s  peak RSS %.1f MB\n", s, n / s, m / 1024 }'
"$py" bench/redis_bench_helper.py verify 127.0.0.1 "$port" "$work/out"
