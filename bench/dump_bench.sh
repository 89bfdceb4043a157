#!/usr/bin/env bash
# Dump benchmark: a 1,000,000 x 128 IndexFlat and IndexIVFFlat dumped to local .npy files,
# next to the physical baseline, a plain copy of the same number of bytes on the same disk.
# Reports seconds, rows/s, MB/s and peak RSS for each. Usage:
#   bench/dump_bench.sh [ROWS] [DIM]      (defaults 1000000 128; needs build/milvus-migration)
# The source is read once first so both start from a warm page cache; the tool fsyncs each
# file it commits, and the copy is fsync'ed too (conv=fsync).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
dim="${2:-128}"
venv="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv"
work="${MM_BENCH_DIR:-/tmp/mm-bench}"
mkdir -p "$work"
if [ ! -f "$work/flat.index" ] || [ "$(cat "$work/shape" 2>/dev/null)" != "$rows x $dim" ]; then
  "$venv/bin/python" bench/make_indexes.py "$work" --rows "$rows" --dim "$dim"
  echo "$rows x $dim" > "$work/shape"
fi
payload=$((rows * (dim * 4 + 8)))  # bytes the dump writes: vectors + int64 ids

report() {  # label seconds rss_kb
  awk -v l="$1" -v s="$2" -v r="$3" -v rows="$rows" -v bytes="$payload" 'BEGIN {
    printf "%-22s %8.2f s %12.0f rows/s %9.1f MB/s  peak RSS %7.1f MB\n",
           l, s, rows / s, bytes / 1e6 / s, r / 1024 }'
}

for kind in flat ivfflat; do
  src="$work/$kind.index"
  out="$work/out-$kind"
  cat "$src" >/dev/null
  # Baseline: the same number of bytes, read from the index file, written and fsync'ed.
  rm -f "$work/copy.bin"
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" dd if="$src" of="$work/copy.bin" bs=4M \
    count="$payload" iflag=count_bytes conv=fsync status=none
  t1=$(date +%s.%N)
  copy_s=$(echo "$t1 - $t0" | bc)
  report "copy ($kind bytes)" "$copy_s" "$(cat "$work/rss")"
  rm -f "$work/copy.bin"

  rm -rf "$out"
  cat > "$work/$kind.yaml" <<YAML
dumper:
  worker:
    limit: 2
    workMode: faiss
source:
  mode: local
  local:
    faissFile: $src
target:
  mode: local
  local:
    outputDir: $out
  create:
    collection:
      name: bench_$kind
      dim: $dim
YAML
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" build/milvus-migration dump -c "$work/$kind.yaml" \
    2>"$work/$kind.log" || { echo "bench: dump of $kind failed:"; tail -n 20 "$work/$kind.log"; exit 1; }
  t1=$(date +%s.%N)
  dump_s=$(echo "$t1 - $t0" | bc)
  report "dump $kind" "$dump_s" "$(cat "$work/rss")"
  awk -v d="$dump_s" -v c="$copy_s" 'BEGIN { printf "  dump/copy time ratio: %.2fx\n", d / c }'
  rm -rf "$out"
done
