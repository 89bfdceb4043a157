#!/usr/bin/env bash
# Fetches Swagger UI's static files from the pinned npm package swagger-ui-dist and prints
# the directory that holds them (the server's /docs/ serves them). Cached under
# ${MM_CACHE_DIR:-~/.cache/milvus-migration}; run by CMake, like fetch_protos.sh.
set -euo pipefail
version=5.17.14
cache="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/npm/swagger-ui-dist-$version"
dir="$cache/package"
if [ ! -f "$dir/swagger-ui-bundle.js" ]; then
  mkdir -p "$cache"
  tarball=$(cd "$cache" && npm pack --silent "swagger-ui-dist@$version" | tail -n 1)
  tar -xzf "$cache/$tarball" -C "$cache" package
fi
printf '%s' "$dir"
