#!/usr/bin/env bash
# Azurite, Microsoft's Azure Storage emulator (npm `azurite`, pinned), as an Azure Blob
# service on loopback for the Azure tests. It checks Shared Key and SAS signatures like
# Azure does. Its data and log live under --dir; it runs in its own process group.
#
#   scripts/azurite.sh install                  (the networked step: npm into the cache)
#   scripts/azurite.sh start --dir DIR --port P [--account NAME --key BASE64] [--timeout S]
#   scripts/azurite.sh stop  --dir DIR
#
# `start` serves the blob service on 127.0.0.1:P for one account (default: a fresh random
# key for account `mmazuretest`), waits until it answers and writes DIR/azurite.env
# (KEY=VALUE): MM_AZURE_ENDPOINT (http://127.0.0.1:P/<account>, path style),
# MM_AZURE_ACCOUNT, MM_AZURE_KEY. `stop`: SIGTERM to the group, SIGKILL after 10 s.
set -euo pipefail

readonly PROG="azurite"
readonly VERSION="3.35.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/azurite"
BIN="$CACHE/node_modules/.bin/azurite-blob"

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
# shellcheck source=lib/process_group.sh
. "$ROOT/scripts/lib/process_group.sh"
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
case "$cmd" in -h|--help|help) usage ;; esac
DIR=""; PORT=""; ACCOUNT="mmazuretest"; KEY=""; TIMEOUT=60
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --account) ACCOUNT="${2:?--account needs a value}"; shift 2 ;;
    --key) KEY="${2:?--key needs a value}"; shift 2 ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done

installed() {
  [ -x "$BIN" ] && [ "$(node -p "require('$CACHE/node_modules/azurite/package.json').version" 2>/dev/null)" = "$VERSION" ]
}

cmd_install() {
  installed && return 0
  command -v npm >/dev/null || die "npm is missing (apt-get install nodejs npm; Node 20 runs Azurite $VERSION)"
  log "installing azurite@$VERSION into $CACHE"
  mkdir -p "$CACHE"
  npm install --no-audit --no-fund --loglevel=error --prefix "$CACHE" "azurite@$VERSION" >&2
  installed || die "azurite@$VERSION did not install into $CACHE"
}

answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/$ACCOUNT?comp=list"; }

cmd_start() {
  [ -n "$DIR" ] || die "--dir DIR is required"
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "--port P is required"
  [[ "$ACCOUNT" =~ ^[a-z0-9]{3,24}$ ]] || die "--account must be 3-24 lower-case letters and digits"
  installed || die "azurite@$VERSION is not installed: run scripts/azurite.sh install (or scripts/setup.sh)"
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd -P)"
  if owned_pgid "$DIR/azurite.pid" "$DIR" >/dev/null; then die "Azurite already runs for $DIR: stop it first"; fi
  port_busy "$PORT" && die "port $PORT is in use"
  [ -n "$KEY" ] || KEY="$(head -c 64 /dev/urandom | base64 -w0)"
  rm -rf "$DIR/data" "$DIR/azurite.env"
  mkdir -p "$DIR/data"
  # --skipApiVersionCheck: Milvus' and our clients may ask for versions newer than this
  # release knows. --disableProductStyleUrl: the account is always the path's first segment.
  ( cd "$DIR" && AZURITE_ACCOUNTS="$ACCOUNT:$KEY" exec setsid "$BIN" --blobHost 127.0.0.1 \
      --blobPort "$PORT" --location "$DIR/data" --skipApiVersionCheck --disableProductStyleUrl \
      --disableTelemetry ) > "$DIR/azurite.out" 2>&1 < /dev/null &
  echo $! > "$DIR/azurite.pid"
  local deadline=$((SECONDS + TIMEOUT))
  until answers; do
    group_alive "$(cat "$DIR/azurite.pid")" || { cat "$DIR/azurite.out" >&2; die "Azurite exited during start-up"; }
    [ $SECONDS -lt $deadline ] || { cmd_stop; die "Azurite not answering on $PORT after $TIMEOUT s"; }
    sleep 0.3
  done
  umask 077
  {
    echo "MM_AZURE_ENDPOINT=http://127.0.0.1:$PORT/$ACCOUNT"
    echo "MM_AZURE_ACCOUNT=$ACCOUNT"
    echo "MM_AZURE_KEY=$KEY"
  } > "$DIR/azurite.env.tmp"
  mv "$DIR/azurite.env.tmp" "$DIR/azurite.env"
  log "Azurite $VERSION ready on 127.0.0.1:$PORT (account $ACCOUNT): $DIR/azurite.env"
}

cmd_stop() {
  [ -n "$DIR" ] || die "--dir DIR is required"
  [ -d "$DIR" ] || return 0
  DIR="$(cd "$DIR" && pwd -P)"
  local pgid
  if pgid="$(owned_pgid "$DIR/azurite.pid" "$DIR")"; then stop_process_group "$pgid" Azurite 10; fi
  rm -f "$DIR/azurite.pid"
}

case "$cmd" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  *) die "unknown command '$cmd' (try --help)" ;;
esac
