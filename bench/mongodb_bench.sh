#!/usr/bin/env bash
# MongoDB source benchmark: DOCS x DIM documents {_id: int, v: vector, i: int} in FerretDB
# (scripts/ferretdb.sh, SQLite) on loopback, migrated by `start` (dump to local files + bulk
# import) into a local-storage test bed, next to the raw read rate of the same driver family:
# pymongo's find() drained, documents thrown away. Reports seconds, docs/s and the dump's
# peak RSS, then reads every row back from Milvus and compares it with pymongo's read bit
# for bit. Usage: bench/mongodb_bench.sh [DOCS] [DIM] [TASKS] [binary|array]
# (defaults 100000 768 2 binary). Ports: MM_BENCH_PORT_BASE (default 22900; the bed uses
# base..base+30, FerretDB base+50). Work files in $MM_BENCH_DIR/mongodb (/tmp/mm-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
docs="${1:-100000}"
dim="${2:-768}"
tasks="${3:-2}"
layout="${4:-binary}"
work="${MM_BENCH_DIR:-/tmp/mm-bench}/mongodb"
port_base="${MM_BENCH_PORT_BASE:-22900}"
py="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv/bin/python"
mkdir -p "$work"
rm -rf "$work/bed" "$work/fdb"
mkdir -p "$work/fdb"
bash scripts/ferretdb.sh start "$work/fdb" $((port_base + 50)) >/dev/null
scripts/testbed.sh start --dir "$work/bed" --storage local --port-base "$port_base" >/dev/null
trap 'scripts/testbed.sh stop --dir "$work/bed" >/dev/null 2>&1 || true;
      bash scripts/ferretdb.sh stop "$work/fdb"' EXIT
# shellcheck disable=SC1091
. "$work/bed/testbed.env"
uri="mongodb://127.0.0.1:$((port_base + 50))/"
coll="bench_${layout}"
echo "loading $docs x $dim documents ($layout vectors) into FerretDB..."
"$py" bench/mongodb_bench_helper.py load "$uri" "$coll" "$docs" "$dim" "$layout"

read -r n raw_s < <("$py" bench/mongodb_bench_helper.py drain "$uri" "$coll")
awk -v n="$n" -v s="$raw_s" 'BEGIN {
  printf "raw find() drained (pymongo) %7.2f s  %9.0f docs/s\n", s, n / s }'
read -r _ sorted_s < <("$py" bench/mongodb_bench_helper.py drain "$uri" "$coll" id)
awk -v n="$n" -v s="$sorted_s" 'BEGIN {
  printf "  the same sorted by _id     %7.2f s  %9.0f docs/s\n", s, n / s }'

cat > "$work/m.yaml" <<YAML
dumper:
  worker:
    workMode: mongodb
    limit: $tasks
loader:
  worker:
    limit: 2
source:
  mongodb:
    uri: $uri
    database: bench
    collections:
      $coll: bench_mongo
    fields:
      - {name: v, type: FloatVector, dims: $dim}
      - {name: i, type: Int64}
    tasks: $tasks
target:
  mode: local
  local:
    outputDir: $work/out
  milvus2x:
    endpoint: $MM_MILVUS_ENDPOINT
YAML
rm -rf "$work/out"
t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" build/milvus-migration dump -c "$work/m.yaml" \
  2>"$work/dump.log" || { tail -20 "$work/dump.log"; exit 1; }
t1=$(date +%s.%N)
awk -v n="$n" -v s="$(echo "$t1 - $t0" | bc)" -v r="$(cat "$work/rss")" -v raw="$raw_s" \
    -v k="$tasks" 'BEGIN {
  printf "dump, %d task(s)              %7.2f s  %9.0f docs/s  peak RSS %.1f MB\n", k, s, n / s, r / 1024
  printf "  dump rate / raw rate: %.2f\n", raw / s }'
build/milvus-migration load -c "$work/m.yaml" 2>"$work/load.log" ||
  { tail -20 "$work/load.log"; exit 1; }
got=$("$py" bench/mongodb_bench_helper.py readback "$uri" "$coll" "$MM_MILVUS_ENDPOINT" bench_mongo)
echo "read back $got rows from Milvus, every field bit for bit equal to pymongo's read"
