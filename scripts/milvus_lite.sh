#!/usr/bin/env bash
# Milvus Lite (PyPI `milvus-lite`, pinned to the 2.5 line) as a gRPC server on loopback, for
# the tests that load into a target without bulk import. The 2.5 wheels ship the C++ `milvus`
# server binary, which serves Milvus' gRPC API on TCP when given an address; the 3.x line is
# a pure-Python rewrite and is not what this script runs. Its db file and log live under
# --dir; it runs in its own process group.
#
#   scripts/milvus_lite.sh install              (the networked step: the wheel into the cache)
#   scripts/milvus_lite.sh start --dir DIR --port P [--timeout S]
#   scripts/milvus_lite.sh stop  --dir DIR
#
# `install` downloads the wheel with pip (no dependencies) and unpacks it under
# ~/.cache/milvus-migration/milvus-lite-<version>; a no-op when it is there.
# `start` serves DIR/lite.db on 127.0.0.1:P, waits until the port answers and writes
# DIR/milvus_lite.env (KEY=VALUE): MM_LITE_ENDPOINT (127.0.0.1:P), MM_LITE_VERSION.
# `stop`: SIGTERM to the group, SIGKILL after 10 s; removes milvus_lite.env.
set -euo pipefail

readonly PROG="milvus_lite"
readonly VERSION="${MM_MILVUS_LITE_VERSION:-2.5.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE_ROOT="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}"
CACHE="$CACHE_ROOT/milvus-lite-$VERSION"
LIB="$CACHE/milvus_lite/lib"

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
# shellcheck source=lib/process_group.sh
. "$ROOT/scripts/lib/process_group.sh"
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
case "$cmd" in -h|--help|help) usage ;; esac
DIR=""; PORT=""; TIMEOUT=60
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done

cmd_install() {
  [ -x "$LIB/milvus" ] && return 0
  local pip="$CACHE_ROOT/venv/bin/pip" tmp
  [ -x "$pip" ] || pip="$(command -v pip3 || true)"
  [ -n "$pip" ] || die "no pip to download milvus-lite with: run scripts/setup.sh"
  tmp="$(mktemp -d)"
  log "downloading milvus-lite $VERSION"
  "$pip" download --quiet --no-deps --only-binary=:all: "milvus-lite==$VERSION" -d "$tmp" \
    || { rm -rf "$tmp"; die "pip could not download milvus-lite==$VERSION"; }
  rm -rf "$CACHE.partial"
  mkdir -p "$CACHE.partial"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$(ls "$tmp"/milvus_lite-*.whl)" "$CACHE.partial"
  rm -rf "$tmp"
  chmod +x "$CACHE.partial/milvus_lite/lib/milvus"
  rm -rf "$CACHE"
  mv "$CACHE.partial" "$CACHE"
}

[ "$cmd" = install ] && { cmd_install; exit 0; }
[ -n "$DIR" ] || die "--dir DIR is required"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"
PIDFILE="$DIR/milvus_lite.pgid"
ENV_FILE="$DIR/milvus_lite.env"

cmd_stop() {
  local pgid
  if pgid="$(owned_pgid "$PIDFILE" "$DIR")"; then stop_process_group "$pgid" milvus-lite 10; fi
  rm -f "$PIDFILE" "$ENV_FILE"
  return 0
}

cmd_start() {
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "--port P is required"
  cmd_install
  local pgid
  if pgid="$(owned_pgid "$PIDFILE" "$DIR")"; then
    log "reusing the server already running in $DIR (process group $pgid)"
  else
    port_busy "$PORT" && die "port $PORT is already in use; pick another --port"
    trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed"; tail -n 20 "$DIR/milvus_lite.log" >&2 || true; cmd_stop || true; fi' EXIT
    log "starting milvus-lite $VERSION on 127.0.0.1:$PORT ($DIR/lite.db)"
    rm -f "$PIDFILE"
    # setsid forks when its caller leads a process group, so $! may not be the server: the
    # new session's leader writes its own pid (= its process group) before it becomes it.
    ( cd "$DIR" && exec setsid bash -c 'echo $$ > "$0"; exec env LD_LIBRARY_PATH="$1" "$2" "$3" "$4" "$5"' \
        "$PIDFILE" "$LIB" "$LIB/milvus" "$DIR/lite.db" "127.0.0.1:$PORT" \
        "${MM_MILVUS_LITE_LOG_LEVEL:-ERROR}" ) > "$DIR/milvus_lite.log" 2>&1 < /dev/null &
    local i
    for ((i = 0; i < 50; i++)); do [ -s "$PIDFILE" ] && break; sleep 0.1; done
    pgid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [[ "$pgid" =~ ^[0-9]+$ ]] || die "milvus-lite did not start"
    local deadline=$((SECONDS + TIMEOUT))
    until port_busy "$PORT"; do
      group_alive "$pgid" || die "milvus-lite exited during start-up"
      [ $SECONDS -lt $deadline ] || die "milvus-lite did not listen within $TIMEOUT s"
      sleep 0.2
    done
  fi
  printf 'MM_LITE_ENDPOINT=127.0.0.1:%s\nMM_LITE_VERSION=%s\n' "$PORT" "$VERSION" > "$ENV_FILE"
  trap - EXIT
}

case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  *) die "unknown command '$cmd' (install, start or stop)" ;;
esac
