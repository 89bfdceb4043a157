#!/usr/bin/env bash
# Insert vs import benchmark (issue 12): a 200,000 x 768 IndexFlatL2 loaded into a real
# Milvus 2.3.5 (a local-storage bed of scripts/testbed.sh) by `start` with loader.mode import
# (dump to .npy files, then bulk import) and with loader.mode insert (Insert requests as the
# source is read). Prints, for each, the time, rows/s and the tool's peak RSS (aim: under
# 256 MB), then reads every row back with pymilvus and compares each vector bit for bit
# (bench/insert_bench_check.py). Usage:
#   bench/insert_bench.sh [ROWS] [DIM] [MODES]   (defaults 200000 768 "import insert";
#                                                  needs build/milvus-migration)
# MM_BENCH_PORT_BASE (default 22800) moves the bed's ports; MM_BENCH_CHECK=0 skips the
# read-back (which indexes and loads the collection: minutes at this size). Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-200000}"
dim="${2:-768}"
modes="${3:-import insert}"
venv="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv"
work="${MM_BENCH_DIR:-/tmp/mm-bench}/insert"
port_base="${MM_BENCH_PORT_BASE:-22800}"
mkdir -p "$work"
src="$work/flat-$rows-$dim.index"
if [ ! -f "$src" ]; then
  "$venv/bin/python" - "$src" "$rows" "$dim" <<'PY'
import sys
import faiss
import numpy as np
path, rows, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(7)
index = faiss.IndexFlatL2(dim)
for start in range(0, rows, 50_000):  # bounded memory while writing
    index.add(rng.standard_normal((min(50_000, rows - start), dim)).astype(np.float32))
faiss.write_index(index, path)
PY
fi

bed="$work/bed"
rm -rf "$bed"
scripts/testbed.sh start --dir "$bed" --storage local --port-base "$port_base" >/dev/null
trap 'scripts/testbed.sh stop --dir "$bed" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$bed/testbed.env"

report() {  # label seconds rss_kb
  awk -v l="$1" -v s="$2" -v r="$3" -v rows="$rows" -v bytes="$((rows * (dim * 4 + 8)))" 'BEGIN {
    printf "%-16s %8.2f s %10.0f rows/s %8.1f MB/s  peak RSS %7.1f MB\n",
           l, s, rows / s, bytes / 1e6 / s, r / 1024 }'
}

for mode in $modes; do
  out="$work/out-$mode"
  rm -rf "$out"
  cat > "$work/$mode.yaml" <<YAML
dumper:
  worker:
    limit: 2
    workMode: faiss
loader:
  mode: $mode
  worker:
    limit: 2
source:
  mode: local
  local:
    faissFile: $src
target:
  mode: local
  local:
    outputDir: $out
  milvus2x:
    endpoint: $MM_MILVUS_ENDPOINT
  create:
    collection:
      name: bench_$mode
      dim: $dim
      ifExists: recreate
YAML
  cat "$src" >/dev/null
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" build/milvus-migration start -c "$work/$mode.yaml" \
    2>"$work/$mode.log" || { echo "bench: start ($mode) failed:"; tail -n 20 "$work/$mode.log"; exit 1; }
  t1=$(date +%s.%N)
  report "start ($mode)" "$(echo "$t1 - $t0" | bc)" "$(cat "$work/rss")"
  if [ "${MM_BENCH_CHECK:-1}" != 0 ]; then
    "$venv/bin/python" bench/insert_bench_check.py "$MM_MILVUS_ENDPOINT" "bench_$mode" "$src"
  fi
  rm -rf "$out"
done
