#!/usr/bin/env bash
# Fetches Milvus' .proto files from the pinned npm package and prints the directory that
# holds them. Cached under ${MM_CACHE_DIR:-~/.cache/milvus-migration}; run by CMake.
set -euo pipefail
pkg="@zilliz/milvus2-sdk-node@2.5.8"
cache="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/npm/milvus2-sdk-node-2.5.8"
dir="$cache/package/dist/proto/proto"
if [ ! -f "$dir/milvus.proto" ]; then
  mkdir -p "$cache"
  tarball=$(cd "$cache" && npm pack --silent "$pkg" | tail -n 1)
  tar -xzf "$cache/$tarball" -C "$cache" package/dist/proto/proto
fi
printf '%s' "$dir"
