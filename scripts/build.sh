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
cmake -S . -B "$dir" -G Ninja -DMM_WERROR="$werror" "${args[@]}" >/dev/null
ninja -C "$dir" -j"$(nproc)"
