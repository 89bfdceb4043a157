#!/usr/bin/env bash
# Verify benchmark: a 1,000,000 x 128 IndexFlat migrated into a real Milvus 2.3.5 (a local-
# storage bed of scripts/testbed.sh), then verified. Prints, for the verify, its time, rows/s
# and peak RSS (aim: under 256 MB), beside the physical limits: the source read through its
# plan and readers alone, and Milvus' answers to the same range queries, without hashing
# (build/verify_read_bench). Usage:
#   bench/verify_bench.sh [ROWS] [DIM]    (defaults 1000000 128; needs build/milvus-migration
#                                          and build/verify_read_bench)
# MM_BENCH_PORT_BASE (default 22700) moves the bed's ports. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
dim="${2:-128}"
venv="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv"
work="${MM_BENCH_DIR:-/tmp/mm-bench}"
port_base="${MM_BENCH_PORT_BASE:-22700}"
mkdir -p "$work"
if [ ! -f "$work/flat.index" ] || [ "$(cat "$work/shape" 2>/dev/null)" != "$rows x $dim" ]; then
  "$venv/bin/python" bench/make_indexes.py "$work" --rows "$rows" --dim "$dim"
  echo "$rows x $dim" > "$work/shape"
fi

bed="$work/verify-bed"
rm -rf "$bed"
scripts/testbed.sh start --dir "$bed" --storage local --port-base "$port_base" >/dev/null
trap 'scripts/testbed.sh stop --dir "$bed" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$bed/testbed.env"

out="$work/verify-out"
rm -rf "$out"
cat > "$work/verify.yaml" <<YAML
dumper:
  worker:
    limit: 2
    workMode: faiss
loader:
  worker:
    limit: 2
source:
  mode: local
  local:
    faissFile: $work/flat.index
target:
  mode: local
  local:
    outputDir: $out
  milvus2x:
    endpoint: $MM_MILVUS_ENDPOINT
  create:
    collection:
      name: bench_verify
      dim: $dim
      ifExists: recreate
    index:
      type: FLAT
    loadCollection: true
YAML
build/milvus-migration start -c "$work/verify.yaml" 2>"$work/verify-start.log" ||
  { echo "bench: start failed:"; tail -n 20 "$work/verify-start.log"; exit 1; }

report() {  # label seconds rss_kb
  awk -v l="$1" -v s="$2" -v r="$3" -v rows="$rows" 'BEGIN {
    printf "%-28s %8.2f s %12.0f rows/s  peak RSS %7.1f MB\n", l, s, rows / s, r / 1024 }'
}
timed() {  # label command...
  local label="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/verify-run.log" 2>&1 ||
    { echo "bench: $label failed:"; tail -n 20 "$work/verify-run.log"; exit 1; }
  t1=$(date +%s.%N)
  report "$label" "$(echo "$t1 - $t0" | bc)" "$(cat "$work/rss")"
}
cat "$work/flat.index" >/dev/null
timed "source read (no hashing)" build/verify_read_bench source "$work/verify.yaml"
timed "milvus query (no hashing)" build/verify_read_bench milvus "$work/verify.yaml"
timed "verify" build/milvus-migration verify -c "$work/verify.yaml" --report "$work/verify-report.json"
cp "$work/verify-run.log" "$work/verify-full.log"  # its phases, with times
timed "milvus query again" build/verify_read_bench milvus "$work/verify.yaml"
timed "verify --sample 10" build/milvus-migration verify -c "$work/verify.yaml" --sample 10
grep -o 'verify: MATCH.*' "$work/verify-run.log" | tail -n 1
