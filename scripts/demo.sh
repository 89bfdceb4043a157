#!/usr/bin/env bash
# The quick-start demo: installs and builds what is missing, starts an embedded Milvus
# 2.3.5 standalone on loopback, writes a sample FAISS index, migrates it with
# `milvus-migration start`, reads every row back with pymilvus, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
venv="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/venv"

bash scripts/setup.sh
bash scripts/build.sh release

work=$(mktemp -d /tmp/mm-demo.XXXXXX)
cleanup() { bash "$repo/scripts/testbed.sh" stop --dir "$work/bed" >/dev/null 2>&1 || true; }
trap cleanup EXIT
bash scripts/testbed.sh start --dir "$work/bed" --storage local --port-base "${MM_DEMO_PORT_BASE:-19900}"
. "$work/bed/testbed.env"

"$venv/bin/python" scripts/demo_sample.py make "$work"
cat > "$work/migration.yaml" <<YAML
dumper:
  worker:
    limit: 2
    workMode: faiss
    reader:
      bufferSize: 1024
    writer:
      bufferSize: 1024
loader:
  worker:
    limit: 2
source:
  mode: local
  local:
    faissFile: $work/sample.index
target:
  mode: local
  local:
    outputDir: $work/output
  milvus2x:
    endpoint: $MM_MILVUS_ENDPOINT
  create:
    collection:
      name: demo_faiss
      shardsNum: 2
      dim: 128
      metricType: L2
YAML
echo "demo: migration.yaml at $work/migration.yaml"
echo "demo: running build/milvus-migration start -c $work/migration.yaml"
build/milvus-migration start -c "$work/migration.yaml"
"$venv/bin/python" scripts/demo_sample.py verify "$work" "$MM_MILVUS_ENDPOINT" demo_faiss
echo "demo: done; the server is stopped, files are left in $work"
