#!/usr/bin/env bash
# A throwaway MariaDB server on loopback for the Milvus 1.x MySQL-meta tests: Debian's
# mariadbd with its data, socket, pid and logs under --dir, in its own process group.
#
#   scripts/mariadb.sh start --dir DIR [--port P] [--timeout S]
#   scripts/mariadb.sh stop  --dir DIR
#
# `start` creates (once) a data directory in DIR/data, starts mariadbd bound to 127.0.0.1:P,
# waits until it answers, makes sure the database `milvus` and the user `milvus` (password
# `milvus-pw`, all privileges: the tests create databases of their own) exist, and writes
# DIR/mariadb.env (KEY=VALUE lines, unquoted; the DSN's parentheses make it unfit for `.`).
# A server already running in DIR is reused.
# `stop` shuts it down (SIGTERM to its group, SIGKILL after 15 s) and removes mariadb.env.
# See docs/testbed.md ("MariaDB").
set -euo pipefail

readonly PROG="mariadb"
readonly DB_NAME="milvus"
readonly DB_USER="milvus"
readonly DB_PASSWORD="milvus-pw"
MARIADBD="${MM_MARIADBD:-/usr/sbin/mariadbd}"

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
# shellcheck source=lib/process_group.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/process_group.sh"
usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
DIR=""; PORT=3306; TIMEOUT=60
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
[ -n "$DIR" ] || die "--dir DIR is required"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port must be 1..65535"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"
PIDFILE="$DIR/mariadb.pgid"   # the process group we started (setsid: pgid = pid)
ENV_FILE="$DIR/mariadb.env"
LOG_DIR="$DIR/logs"
# sun_path holds 107 bytes; a deep DIR gets its socket in /tmp instead (recorded for stop).
SOCKET="$DIR/mariadb.sock"
if [ ${#SOCKET} -gt 100 ]; then SOCKET="/tmp/mm-mariadb-$PORT.sock"; fi

recorded_pgid() { owned_pgid "$PIDFILE" "$DIR"; }

client() {  # root over the socket (unix_socket authentication: we are the OS root)
  mariadb --no-defaults --protocol=socket --socket="$(cat "$DIR/socket.path")" -uroot "$@"
}

cmd_stop() {
  local pgid
  if pgid="$(recorded_pgid)"; then stop_process_group "$pgid" mariadbd 15; fi
  if [ -f "$DIR/socket.path" ]; then rm -f "$(cat "$DIR/socket.path")"; fi
  rm -f "$PIDFILE" "$ENV_FILE" "$DIR/socket.path"
  return 0
}

dump_log() {
  local f="$LOG_DIR/mariadb.err"
  [ -f "$f" ] && { echo "----- last 30 lines of $f" >&2; tail -n 30 "$f" >&2; }
  return 0
}

cmd_start() {
  command -v mariadb-install-db >/dev/null && [ -x "$MARIADBD" ] \
    || die "mariadb-server is not installed: run scripts/setup.sh"
  mkdir -p "$LOG_DIR" "$DIR/tmp"
  local pgid t0=$SECONDS
  if pgid="$(recorded_pgid)"; then
    local running_port
    running_port="$(client -N -e "SELECT @@port" 2>/dev/null || true)"
    [ "$running_port" = "$PORT" ] \
      || die "a server already runs in $DIR on port ${running_port:-?}, not $PORT; stop it first"
    log "reusing the server already running in $DIR (process group $pgid)"
  else
    rm -f "$PIDFILE"
    port_busy "$PORT" && die "port $PORT is already in use; pick another --port"
    trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed; stopping what was started"; dump_log; cmd_stop || true; fi' EXIT
    if [ ! -d "$DIR/data/mysql" ]; then
      rm -rf "$DIR/data"
      # root authenticates over the socket as the OS user: no password to manage.
      mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$DIR/data" \
        --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
        > "$LOG_DIR/install-db.out" 2>&1 || { tail -n 30 "$LOG_DIR/install-db.out" >&2; die "mariadb-install-db failed"; }
    fi
    echo "$SOCKET" > "$DIR/socket.path"
    rm -f "$SOCKET"
    log "starting mariadbd on 127.0.0.1:$PORT"
    # Small buffers: the test data is tiny and the machine is shared with Milvus.
    ( cd "$DIR" && exec setsid "$MARIADBD" --no-defaults --user="$(id -un)" \
        --datadir="$DIR/data" --tmpdir="$DIR/tmp" --socket="$SOCKET" \
        --pid-file="$DIR/mariadbd.pid" --port="$PORT" --bind-address=127.0.0.1 \
        --skip-name-resolve --log-error="$LOG_DIR/mariadb.err" \
        --innodb-buffer-pool-size=32M --innodb-log-file-size=16M --max-connections=100 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    ) > "$LOG_DIR/mariadbd.out" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    pgid="$(cat "$PIDFILE")"
    local deadline=$((SECONDS + TIMEOUT))
    until client -e "SELECT 1" >/dev/null 2>&1; do
      group_alive "$pgid" || die "mariadbd exited during start-up"
      [ $SECONDS -lt $deadline ] || die "mariadbd did not answer within $TIMEOUT s"
      sleep 0.2
    done
  fi

  client <<EOF
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
EOF
  {
    echo "MM_MYSQL_HOST=127.0.0.1"
    echo "MM_MYSQL_PORT=$PORT"
    echo "MM_MYSQL_USER=$DB_USER"
    echo "MM_MYSQL_PASSWORD=$DB_PASSWORD"
    echo "MM_MYSQL_DATABASE=$DB_NAME"
    echo "MM_MYSQL_SOCKET=$SOCKET"
    echo "MM_MYSQL_DSN=$DB_USER:$DB_PASSWORD@tcp(127.0.0.1:$PORT)/$DB_NAME"
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
