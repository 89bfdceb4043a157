#!/usr/bin/env bash
# Builds the tool. `scripts/build.sh [release|asan]`: release (default) into build/, a
# Debug build with AddressSanitizer and UBSan into build-asan/. Warnings are errors in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
case "$kind" in
  release) dir=build; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DMM_SANITIZE=ON) ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 2 ;;
esac
# ccache under the project's cache dir; CCACHE_BASEDIR makes hits path-independent, so a
# fresh clone (CI) or a second worktree reuses what an earlier build compiled.
if command -v ccache >/dev/null; then
  export CCACHE_DIR="${CCACHE_DIR:-${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/ccache}"
  export CCACHE_BASEDIR="$(pwd)" CCACHE_NOHASHDIR=1
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$dir" -G Ninja -DMM_WERROR="$werror" "${args[@]}" >/dev/null
ninja -C "$dir" -j"$(nproc)"
