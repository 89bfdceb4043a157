#!/usr/bin/env bash
# Throwaway Redis servers on loopback for the Redis source tests: Debian's redis-server 7,
# its data, pid and logs under --dir, each server in its own process group.
#
#   scripts/redis.sh start --dir DIR --port P [--password PW] [--cluster] [--timeout S]
#   scripts/redis.sh stop  --dir DIR
#
# `start` starts one server on 127.0.0.1:P (with --password, `requirepass PW`), or with
# --cluster a Redis Cluster of three masters on P, P+1, P+2 (cluster bus ports P+3..P+5),
# slots spread by redis-cli --cluster create; waits until it answers (cluster_state:ok), and
# writes DIR/redis.env (MM_REDIS_HOST, MM_REDIS_PORT, MM_REDIS_PASSWORD, MM_REDIS_URL,
# MM_REDIS_CLUSTER). Persistence is off: the test data is made again by each test.
# `stop` stops every server started in DIR (SIGTERM, SIGKILL after 10 s) and removes
# redis.env. Servers already running in DIR are stopped first by `start`.
set -euo pipefail

readonly PROG="redis"
REDIS_SERVER="${MM_REDIS_SERVER:-$(command -v redis-server || echo /usr/bin/redis-server)}"

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
# shellcheck source=lib/process_group.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/process_group.sh"
usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
DIR=""; PORT=6379; PASSWORD=""; CLUSTER=0; TIMEOUT=30
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --password) PASSWORD="${2:?--password needs a value}"; shift 2 ;;
    --cluster) CLUSTER=1; shift ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ -n "$DIR" ] || die "--dir DIR is required"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65530 ] || die "--port must be 1..65530"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"
ENV_FILE="$DIR/redis.env"

cli() {  # cli PORT args...: the password goes by the environment, not the command line
  local port="$1"; shift
  if [ -n "$PASSWORD" ]; then
    REDISCLI_AUTH="$PASSWORD" redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$port" "$@"
  fi
}

cmd_stop() {
  local f pgid d
  for f in "$DIR"/server-*/redis.pgid; do
    [ -f "$f" ] || continue
    # redis-server retitles itself "redis-server 127.0.0.1:PORT": that is the marker.
    d="${f%/redis.pgid}"
    if pgid="$(owned_pgid "$f" "127.0.0.1:${d##*/server-}")"; then stop_process_group "$pgid" redis-server 10; fi
    rm -f "$f"
  done
  rm -f "$ENV_FILE"
  return 0
}

start_server() {  # start_server PORT [cluster bus port]
  local port="$1" bus="${2:-}" d="$DIR/server-$1"
  rm -rf "$d"; mkdir -p "$d"
  port_busy "$port" && die "port $port is already in use; pick another --port"
  {
    echo "bind 127.0.0.1"
    echo "port $port"
    echo "dir $d"
    echo "logfile $d/redis.log"
    echo "save \"\""
    echo "appendonly no"
    echo "protected-mode no"
    if [ -n "$PASSWORD" ]; then echo "requirepass $PASSWORD"; echo "masterauth $PASSWORD"; fi
    if [ -n "$bus" ]; then
      echo "cluster-enabled yes"
      echo "cluster-config-file $d/nodes.conf"
      echo "cluster-port $bus"
      echo "cluster-node-timeout 5000"
    fi
  } > "$d/redis.conf"
  chmod 600 "$d/redis.conf"
  ( cd "$d" && exec setsid "$REDIS_SERVER" "$d/redis.conf" ) > "$d/stdout.log" 2>&1 < /dev/null &
  echo $! > "$d/redis.pgid"
  local deadline=$((SECONDS + TIMEOUT))
  until cli "$port" PING 2>/dev/null | grep -q PONG; do
    group_alive "$(cat "$d/redis.pgid")" || { tail -n 20 "$d/redis.log" >&2 || true; die "redis-server on $port exited during start-up"; }
    [ $SECONDS -lt $deadline ] || die "redis-server on $port did not answer within $TIMEOUT s"
    sleep 0.1
  done
}

cmd_start() {
  [ -x "$REDIS_SERVER" ] && command -v redis-cli >/dev/null \
    || die "redis-server is not installed: run scripts/setup.sh"
  cmd_stop
  trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed; stopping what was started"; cmd_stop || true; fi' EXIT
  if [ "$CLUSTER" -eq 1 ]; then
    for i in 0 1 2; do start_server $((PORT + i)) $((PORT + 3 + i)); done
    log "creating a cluster of 3 masters on 127.0.0.1:$PORT..$((PORT + 2))"
    cli "$PORT" --cluster create "127.0.0.1:$PORT" "127.0.0.1:$((PORT + 1))" \
      "127.0.0.1:$((PORT + 2))" --cluster-replicas 0 --cluster-yes > "$DIR/cluster-create.log" 2>&1 \
      || { cat "$DIR/cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
    local deadline=$((SECONDS + TIMEOUT))
    for i in 0 1 2; do
      until cli $((PORT + i)) CLUSTER INFO 2>/dev/null | grep -q "cluster_state:ok"; do
        [ $SECONDS -lt $deadline ] || die "the cluster did not reach cluster_state:ok within $TIMEOUT s"
        sleep 0.2
      done
    done
  else
    start_server "$PORT"
  fi
  local auth=""
  [ -n "$PASSWORD" ] && auth=":$PASSWORD@"
  {
    echo "MM_REDIS_HOST=127.0.0.1"
    echo "MM_REDIS_PORT=$PORT"
    echo "MM_REDIS_PASSWORD=$PASSWORD"
    echo "MM_REDIS_URL=redis://${auth}127.0.0.1:$PORT"
    echo "MM_REDIS_CLUSTER=$CLUSTER"
  } > "$ENV_FILE.tmp"
  chmod 600 "$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  trap - EXIT
  log "ready: $ENV_FILE"
}

case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  *) usage ;;
esac
