#!/usr/bin/env bash
# Milvus 1.x dump benchmark: a ROWS x DIM float collection in SEGMENTS segments (SQLite meta,
# local tables directory, ~0.1% of rows deleted) dumped to local .npy files, next to the
# physical baseline: a plain copy of the segments' .rv and .uid bytes on the same disk.
# Reports seconds, rows/s, MB/s and peak RSS for each. Usage:
#   bench/milvus1x_dump_bench.sh [ROWS] [DIM] [SEGMENTS]   (defaults 1000000 128 8;
#   needs build/milvus-migration with the milvus1x source, and build/milvus1x_segment_read_bench)
# The data is generated once by tests/fixtures/make_milvus1x_fixtures.py --bench and cached
# in $MM_BENCH_DIR (default /tmp/mm-bench)/milvus1x. Both runs start from a warm page cache;
# the tool fsyncs each file it commits, and the copy is fsync'ed too (conv=fsync).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
dim="${2:-128}"
segments="${3:-8}"
venv="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv"
work="${MM_BENCH_DIR:-/tmp/mm-bench}/milvus1x"
data="$work/data"
mkdir -p "$work"
if [ ! -f "$data/bench.json" ] || [ "$(cat "$work/shape" 2>/dev/null)" != "$rows x $dim / $segments" ]; then
  rm -rf "$data"
  "$venv/bin/python" tests/fixtures/make_milvus1x_fixtures.py --bench "$data" \
    --rows "$rows" --dim "$dim" --segments "$segments"
  echo "$rows x $dim / $segments" > "$work/shape"
fi
live=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["live_rows"])' "$data/bench.json")
payload=$((live * (dim * 4 + 8)))  # bytes the dump writes: live vectors + int64 ids

report() {  # label seconds rss_kb
  awk -v l="$1" -v s="$2" -v r="$3" -v rows="$live" -v bytes="$payload" 'BEGIN {
    printf "%-24s %8.2f s %12.0f rows/s %9.1f MB/s  peak RSS %7.1f MB\n",
           l, s, rows / s, bytes / 1e6 / s, r / 1024 }'
}

mapfile -t files < <(find "$data/db/tables" -type f \( -name '*.rv' -o -name '*.uid' \) | sort)
cat "${files[@]}" >/dev/null

# Baseline: the segments' raw bytes (a little more than the live payload), read and written
# to one file, fsync'ed.
rm -f "$work/copy.bin"
t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" bash -c 'out="$1"; shift; cat "$@" | dd of="$out" bs=4M iflag=fullblock conv=fsync status=none' \
  copy "$work/copy.bin" "${files[@]}"
t1=$(date +%s.%N)
copy_s=$(echo "$t1 - $t0" | bc)
report "copy (.rv + .uid bytes)" "$copy_s" "$(cat "$work/rss")"
rm -f "$work/copy.bin"

# The reader alone (no writing): what the dump could reach.
build/milvus1x_segment_read_bench "$data"

out="$work/out"
rm -rf "$out"
cat > "$work/milvus1x.yaml" <<YAML
dumper:
  worker:
    limit: 2
    workMode: milvus1x
meta:
  mode: sqlite
  sqliteFile: $data/db/meta.sqlite
source:
  mode: local
  local:
    tablesDir: $data/db/tables
target:
  mode: local
  local:
    outputDir: $out
YAML
t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" build/milvus-migration dump -c "$work/milvus1x.yaml" \
  2>"$work/dump.log" || { echo "bench: milvus1x dump failed:"; tail -n 20 "$work/dump.log"; exit 1; }
t1=$(date +%s.%N)
dump_s=$(echo "$t1 - $t0" | bc)
report "dump milvus1x" "$dump_s" "$(cat "$work/rss")"
awk -v d="$dump_s" -v c="$copy_s" 'BEGIN { printf "  dump/copy time ratio: %.2fx\n", d / c }'
rm -rf "$out"
