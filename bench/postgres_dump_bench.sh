#!/usr/bin/env bash
# PostgreSQL / pgvector dump benchmark: ROWS x DIM rows (a bigint pk and a vector(DIM)) in a
# real PostgreSQL 18 + pgvector (scripts/postgres.sh) on loopback, dumped to local .npy files
# with LIMIT tasks in parallel, next to the physical limit: `COPY (SELECT id, emb ...) TO
# '/dev/null'` of the same rows in binary, on the server (no wire), and through the wire with
# psql's \copy to /dev/null. Reports seconds, rows/s and peak RSS; then loads the dump into a
# local Milvus bed and reads every row back, comparing each vector bit for bit with the same
# rows read from PostgreSQL (skip with MM_BENCH_NO_MILVUS=1).
# Usage: bench/postgres_dump_bench.sh [ROWS] [DIM] [LIMIT]  (defaults 300000 768 4).
# The server and its table are kept in $MM_BENCH_DIR/pg (default /tmp/mm-bench/pg) between
# runs; `bench/postgres_dump_bench.sh stop` ends the server.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${MM_BENCH_DIR:-/tmp/mm-bench}/pg"
port="${MM_BENCH_PG_PORT:-22076}"
bed_ports="${MM_BENCH_MILVUS_PORT_BASE:-21900}"
if [ "${1:-}" = "stop" ]; then
  bash scripts/postgres.sh stop --dir "$work/server"
  exit 0
fi
rows="${1:-300000}"
dim="${2:-768}"
limit="${3:-4}"
py="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv/bin/python"
mkdir -p "$work"
bash scripts/postgres.sh start --dir "$work/server" --port "$port" 2>/dev/null
# shellcheck disable=SC1091
. <(sed 's/^/export /' "$work/server/postgres.env")
table=bench_items
if [ "$(cat "$work/shape" 2>/dev/null)" != "$rows x $dim" ]; then
  echo "loading $rows x $dim rows (once)..."
  "$py" bench/pg_bench_helper.py load "$MM_PG_DSN" "$table" "$rows" "$dim"
  echo "$rows x $dim" > "$work/shape"
fi
psql_() { "$MM_PG_BIN/psql" -X -q "$MM_PG_DSN" "$@"; }
bytes=$(psql_ -tA -c "SELECT pg_table_size('$table')")
psql_ -c "SELECT count(*) FROM $table" >/dev/null  # warm the cache as the dump will find it

now() { date +%s.%N; }
t0=$(now); psql_ -c "COPY (SELECT id, emb FROM $table) TO '/dev/null' (FORMAT binary)"; t1=$(now)
server_s=$(echo "$t1 - $t0" | bc)
t0=$(now); psql_ -c "\\copy (SELECT id, emb FROM $table) TO '/dev/null' (FORMAT binary)"; t1=$(now)
wire_s=$(echo "$t1 - $t0" | bc)

rm -rf "$work/out"
cat > "$work/m.yaml" <<YAML
dumper:
  worker: {workMode: postgres, limit: $limit, reader: {bufferSize: 1024}}
source:
  postgres:
    dsn: "$MM_PG_DSN"
    tables:
      - {name: $table, collection: $table}
target:
  mode: local
  local: {outputDir: $work/out}
  milvus2x: {endpoint: "127.0.0.1:0"}
  create: {collection: {ifExists: recreate}}
YAML
t0=$(now)
/usr/bin/time -f '%M' -o "$work/rss" build/milvus-migration dump -c "$work/m.yaml" \
  2>"$work/dump.log" || { tail -n 20 "$work/dump.log"; exit 1; }
t1=$(now)
dump_s=$(echo "$t1 - $t0" | bc)
awk -v n="$rows" -v b="$bytes" -v s1="$server_s" -v s2="$wire_s" -v s3="$dump_s" \
    -v r="$(cat "$work/rss")" -v k="$limit" 'BEGIN {
  printf "table: %d rows, %.0f MB on disk\n", n, b / 1e6
  printf "COPY TO /dev/null (server)  %6.2f s  %9.0f rows/s\n", s1, n / s1
  printf "\\copy TO /dev/null (wire)   %6.2f s  %9.0f rows/s\n", s2, n / s2
  printf "dump (%d tasks)              %6.2f s  %9.0f rows/s  peak RSS %.1f MB  (%.2fx the wire copy)\n",
         k, s3, n / s3, r / 1024, s3 / s2 }'

if [ "${MM_BENCH_NO_MILVUS:-}" = 1 ]; then exit 0; fi
bed="$work/milvus"
bash scripts/testbed.sh start --dir "$bed" --storage local --port-base "$bed_ports" >/dev/null 2>&1 \
  || { echo "the Milvus bed did not start"; exit 1; }
trap 'bash scripts/testbed.sh stop --dir "$bed" >/dev/null 2>&1 || true' EXIT
endpoint=$(grep '^MM_MILVUS_ENDPOINT=' "$bed/testbed.env" | cut -d= -f2)
sed -i "s|endpoint: \"127.0.0.1:0\"|endpoint: \"$endpoint\"|" "$work/m.yaml"
t0=$(now)
build/milvus-migration load -c "$work/m.yaml" 2>"$work/load.log" || { tail -n 20 "$work/load.log"; exit 1; }
t1=$(now)
echo "load (bulk import) $(echo "$t1 - $t0" | bc) s"
"$py" bench/pg_bench_helper.py compare "$MM_PG_DSN" "$table" "$endpoint" "$table" "$rows"
