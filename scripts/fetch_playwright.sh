#!/usr/bin/env bash
# Installs the pinned npm package playwright-core (the driver only: it never downloads a
# browser; the tests run Debian's /usr/bin/chromium) and prints its node_modules folder.
# Cached under ${MM_CACHE_DIR:-~/.cache/milvus-migration}.
set -euo pipefail
version=1.49.1
dir="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/npm/playwright-core-$version"
if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$dir"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund \
    --prefix "$dir" "playwright-core@$version" >/dev/null
fi
printf '%s' "$dir/node_modules"
