#!/usr/bin/env bash
# A real Elasticsearch node on loopback for the reader tests: the server and module jars from
# Maven Central, run in one JVM by a small launcher (tests/fixtures/es/launcher<V>/), with its
# config, data and logs under --dir, in its own process group. No Docker, no tarball download.
#
#   scripts/elasticsearch.sh start --dir DIR --port P [--version 8|7|7.10] [--security] [--timeout S]
#   scripts/elasticsearch.sh stop  --dir DIR
#   scripts/elasticsearch.sh fetch [--version 8|7|7.10]  (fill the cache only; the networked step)
#
# `start` (first run: resolves the jars with Maven and compiles the launcher into
# ${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/elasticsearch; later runs are offline) starts one
# node with HTTP on 127.0.0.1:P, waits for cluster health yellow/green and writes
# DIR/elasticsearch.env (KEY=VALUE). Versions: 8 = 8.19.21, 7 = 7.17.29, 7.10 = 7.10.2.
# --security (8 and 7.10): TLS on HTTP (a CA made with openssl), basic auth for `elastic`, an API
# key, and (8 only) a service-account token. `stop`: SIGTERM to the group, SIGKILL after 20 s;
# idempotent. See docs/testbed.md ("Elasticsearch").
set -euo pipefail

readonly PROG="elasticsearch"
readonly ELASTIC_PASSWORD="mm-elastic-pw"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE_ROOT="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}/elasticsearch"

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
# shellcheck source=lib/process_group.sh
. "$ROOT/scripts/lib/process_group.sh"
usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
case "$cmd" in -h|--help|help) usage ;; esac
DIR=""; PORT=""; VERSION=8; SECURITY=0; TIMEOUT=120
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --dir=*) DIR="${1#*=}"; shift ;;
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --version) VERSION="${2:?--version needs a value}"; shift 2 ;;
    --version=*) VERSION="${1#*=}"; shift ;;
    --security) SECURITY=1; shift ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) TIMEOUT="${1#*=}"; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
# Per version: launcher sources, pom, and (7.x) the plugin classes to load, in load order.
case "$VERSION" in
  8) FIXTURE="$ROOT/tests/fixtures/es/launcher8"; POM=pom.xml; PLUGINS="" ;;
  7) FIXTURE="$ROOT/tests/fixtures/es/launcher7"; POM=pom.xml
     PLUGINS="org.elasticsearch.transport.Netty4Plugin,org.elasticsearch.xpack.core.XPackPlugin" ;;
  7.10) FIXTURE="$ROOT/tests/fixtures/es/launcher7"; POM=pom-7.10.xml
     PLUGINS="org.elasticsearch.transport.Netty4Plugin,org.elasticsearch.xpack.core.XPackPlugin"
     PLUGINS+=",org.elasticsearch.analysis.common.CommonAnalysisPlugin,org.elasticsearch.xpack.security.Security" ;;
  *) die "--version must be 8, 7 or 7.10, not '$VERSION'" ;;
esac
CACHE="$CACHE_ROOT/es$VERSION"

# ---------------------------------------------------------------- Java and the cached node
JAVA="${MM_ES_JAVA:-}"
find_java() {
  local cand v
  for cand in "$JAVA" "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)"; do
    [ -n "$cand" ] && [ -x "$cand" ] || continue
    v="$("$cand" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 17 ]; then JAVA="$cand"; return 0; fi
  done
  die "Java 17 or newer is missing (looked at MM_ES_JAVA, JAVA_HOME, PATH): apt-get install openjdk-17-jdk-headless"
}

# The cache is keyed by the launcher sources and pom: editing them rebuilds, nothing else does.
fixture_stamp() { (cd "$FIXTURE" && find . -type f \( -name '*.java' -o -name "$POM" \) | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1; }

cache_current() { [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$1" ] && [ -d "$CACHE/lib" ] && [ -d "$CACHE/classes" ]; }

ensure_cache() {
  find_java
  local javac want
  javac="$(dirname "$(readlink -f "$JAVA")")/javac"
  [ -d "$FIXTURE" ] || die "launcher sources missing: $FIXTURE"
  want="$(fixture_stamp)"
  cache_current "$want" && return 0
  # Tests may start several nodes at once: one builds, the others wait and reuse its cache.
  mkdir -p "$CACHE_ROOT"
  exec 9> "$CACHE_ROOT/.es$VERSION.lock"
  flock 9
  if cache_current "$want"; then exec 9>&-; return 0; fi
  build_cache "$javac" "$want"
  exec 9>&-   # not inherited by the node
}

build_cache() {
  local javac="$1" want="$2"
  command -v mvn >/dev/null || die "Maven (mvn) is missing; it fetches the Elasticsearch jars once: apt-get install maven"
  [ -x "$javac" ] || javac="$(command -v javac || true)"
  [ -n "$javac" ] || die "javac is missing (a JDK, not a JRE, is needed once to compile the launcher)"
  log "preparing the Elasticsearch $VERSION.x node in $CACHE (Maven Central; once)"
  rm -rf "$CACHE.tmp"; mkdir -p "$CACHE.tmp"
  cp "$FIXTURE/$POM" "$CACHE.tmp/pom.xml"
  if ! (cd "$CACHE.tmp" && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime) \
      > "$CACHE.tmp/mvn.log" 2>&1; then
    tail -n 30 "$CACHE.tmp/mvn.log" >&2
    die "downloading the Elasticsearch jars with Maven failed (log: $CACHE.tmp/mvn.log)"
  fi
  if ! "$javac" -nowarn -d "$CACHE.tmp/classes" -cp "$CACHE.tmp/lib/*" $(find "$FIXTURE/src" -name '*.java') \
      > "$CACHE.tmp/javac.log" 2>&1; then
    tail -n 30 "$CACHE.tmp/javac.log" >&2
    die "compiling the launcher failed (log: $CACHE.tmp/javac.log)"
  fi
  echo "$want" > "$CACHE.tmp/stamp"
  rm -rf "$CACHE"; mv "$CACHE.tmp" "$CACHE"
}

# ---------------------------------------------------------------- process control
if [ "$cmd" != fetch ]; then
  [ -n "$DIR" ] || die "--dir DIR is required"
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd -P)"
fi
PIDFILE="$DIR/elasticsearch.pgid"   # setsid: the launcher's pid is its process-group id
ENV_FILE="$DIR/elasticsearch.env"
HOME_DIR="$DIR/home"
LOG_DIR="$DIR/logs"
NODE_LOG="$LOG_DIR/node.out"

recorded_pgid() { owned_pgid "$PIDFILE" "$HOME_DIR"; }

cmd_stop() {
  local pgid
  if pgid="$(recorded_pgid)"; then stop_process_group "$pgid" "the node" 20; fi
  rm -f "$PIDFILE" "$ENV_FILE"
  return 0
}

dump_log() {
  [ -f "$NODE_LOG" ] && { echo "----- last 40 lines of $NODE_LOG" >&2; tail -n 40 "$NODE_LOG" | cut -c1-400 >&2; }
  return 0
}

# ---------------------------------------------------------------- TLS material
make_certs() {
  local d="$HOME_DIR/config/certs"
  [ -f "$d/http.crt" ] && [ -f "$d/http.key" ] && [ -f "$d/ca.crt" ] && return 0
  command -v openssl >/dev/null || die "openssl is missing (needed for --security): apt-get install openssl"
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mm-testbed-es-ca" \
      -keyout ca.key -out ca.crt -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout http.key -out http.csr
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > http.ext
    openssl x509 -req -in http.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile http.ext -out http.crt
    rm -f http.csr http.ext ca.srl
  ) > "$LOG_DIR/openssl.out" 2>&1 || { cat "$LOG_DIR/openssl.out" >&2; die "making the TLS certificates with openssl failed"; }
}

sha256_hex() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f'; }

# ---------------------------------------------------------------- HTTP
URL=""; CURL_AUTH=()
es() {  # es METHOD PATH [JSON] -> body on stdout; fails on HTTP >= 400
  local method="$1" path="$2" body="${3:-}"
  local args=(-sS --max-time 30 -X "$method" "${CURL_AUTH[@]}" -H 'Content-Type: application/json')
  [ -n "$body" ] && args+=(--data-binary "$body")
  curl "${args[@]}" --fail-with-body "$URL$path"
}
json_get() {  # json_get 'expr' < json ; expr is a Python subscript chain like ["version"]["number"]
  python3 -c 'import json,sys; print(eval("json.load(sys.stdin)"+sys.argv[1]))' "$1"
}

write_config() {
  local c="$HOME_DIR/config"
  mkdir -p "$c" "$DIR/data" "$DIR/tmp" "$LOG_DIR"
  {
    echo "cluster.name: mm-testbed"
    echo "node.name: mm-es"
    echo "path.data: $DIR/data"
    echo "path.logs: $LOG_DIR"
    echo "network.host: 127.0.0.1"
    echo "http.port: $PORT"
    echo "transport.port: 0"          # any free port: one node, nobody dials it
    echo "discovery.type: single-node"
    # Tests run on shared machines whose disks fill up: do not turn indices read-only.
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    echo "action.auto_create_index: true"
    if [ "$SECURITY" = 1 ]; then
      echo "xpack.security.enabled: true"
      echo "xpack.security.http.ssl.enabled: true"
      echo "xpack.security.http.ssl.certificate: certs/http.crt"
      echo "xpack.security.http.ssl.key: certs/http.key"
      echo "xpack.security.http.ssl.certificate_authorities: [ certs/ca.crt ]"
      echo "xpack.security.transport.ssl.enabled: false"
      echo "xpack.security.authc.api_key.enabled: true"
    else
      echo "xpack.security.enabled: false"
    fi
  } > "$c/elasticsearch.yml"
  cat > "$c/log4j2.properties" <<'EOF'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.deprecation.name = org.elasticsearch.deprecation
logger.deprecation.level = error
EOF
}

cmd_fetch() { ensure_cache; log "cache ready: $CACHE"; }

cmd_start() {
  [ -n "$PORT" ] || die "--port P is required"
  [[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port must be 1..65535"
  if [ "$VERSION" = 7 ] && [ "$SECURITY" = 1 ]; then
    die "--security needs --version 8 or 7.10: Maven Central has no x-pack-security jar for 7.17 (docs/testbed.md)"
  fi
  command -v curl >/dev/null || die "curl is missing"
  command -v python3 >/dev/null || die "python3 is missing (used to read JSON answers)"
  local pgid t0=$SECONDS scheme=http
  [ "$SECURITY" = 1 ] && scheme=https
  URL="$scheme://127.0.0.1:$PORT"
  if [ "$SECURITY" = 1 ]; then
    CURL_AUTH=(--cacert "$HOME_DIR/config/certs/ca.crt" -u "elastic:$ELASTIC_PASSWORD")
  fi
  if pgid="$(recorded_pgid)"; then
    if [ -f "$ENV_FILE" ] && grep -qx "MM_ES_URL=$URL" "$ENV_FILE"; then
      log "reusing the node already running in $DIR (process group $pgid)"
      return 0
    fi
    die "a node already runs in $DIR with other settings; stop it first"
  fi
  rm -f "$PIDFILE" "$ENV_FILE"
  port_busy "$PORT" && die "port $PORT is already in use; pick another --port"
  ensure_cache
  # Data of another major version cannot be read back: start over then.
  if [ -f "$DIR/data.version" ] && [ "$(cat "$DIR/data.version")" != "$VERSION" ]; then rm -rf "$DIR/data"; fi
  mkdir -p "$LOG_DIR"
  write_config
  echo "$VERSION" > "$DIR/data.version"
  [ "$SECURITY" = 1 ] && make_certs
  trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed; stopping what was started"; dump_log; cmd_stop || true; fi' EXIT

  log "starting Elasticsearch $VERSION.x on $URL"
  local jvm=(-Xms512m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss1m
    -Djava.io.tmpdir="$DIR/tmp" -Dfile.encoding=UTF-8 -Djava.locale.providers=SPI,CLDR
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
    -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true
    -Des.networkaddress.cache.ttl=60 -Des.networkaddress.cache.negative.ttl=10
    -Des.distribution.flavor=default -Des.distribution.type=tar)
  local pw_env=""
  [ "$SECURITY" = 1 ] && pw_env="$ELASTIC_PASSWORD"
  ( cd "$DIR" && MM_ES_BOOTSTRAP_PASSWORD="$pw_env" exec setsid "$JAVA" "${jvm[@]}" \
      -Dmm.es.plugins="$PLUGINS" -cp "$CACHE/classes:$CACHE/lib/*" mmtestbed.es.EsNodeMain "$HOME_DIR" \
  ) > "$NODE_LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  pgid="$(cat "$PIDFILE")"

  local deadline=$((SECONDS + TIMEOUT)) status=""
  while :; do
    status="$(es GET '/_cluster/health?wait_for_status=yellow&timeout=1s' 2>/dev/null | json_get '["status"]' 2>/dev/null || true)"
    [ "$status" = green ] || [ "$status" = yellow ] && break
    group_alive "$pgid" || die "the node exited during start-up"
    [ $SECONDS -lt $deadline ] || die "the node did not reach health yellow within $TIMEOUT s (last: ${status:-no answer})"
    sleep 0.5
  done
  local version
  version="$(es GET / | json_get '["version"]["number"]')" || die "GET / failed"

  local api_key="" service_token="" ca_fp="" http_fp=""
  if [ "$SECURITY" = 1 ]; then
    # The security index is created on first write; both calls below are such writes.
    # base64(id:api_key), the Authorization: ApiKey credential ("encoded" in 7.16+ answers).
    api_key="$(es POST /_security/api_key '{"name":"mm-testbed"}' | python3 -c \
      'import base64,json,sys; r=json.load(sys.stdin); print(base64.b64encode((r["id"]+":"+r["api_key"]).encode()).decode())')" \
      || die "creating an API key (POST /_security/api_key) failed"
    if [ "$VERSION" = 8 ]; then  # service accounts came with 7.13
      service_token="$(es POST "/_security/service/elastic/fleet-server/credential/token/mm-testbed-$(date +%s%N)" \
        | json_get '["token"]["value"]')" || die "creating a service-account token for elastic/fleet-server failed"
    fi
    http_fp="$(sha256_hex "$HOME_DIR/config/certs/http.crt")"
    ca_fp="$(sha256_hex "$HOME_DIR/config/certs/ca.crt")"
  fi
  {
    echo "MM_ES_URL=$URL"
    echo "MM_ES_VERSION=$version"
    echo "MM_ES_PORT=$PORT"
    echo "MM_ES_LOG=$NODE_LOG"
    if [ "$SECURITY" = 1 ]; then
      echo "MM_ES_USER=elastic"
      echo "MM_ES_PASSWORD=$ELASTIC_PASSWORD"
      echo "MM_ES_CA=$HOME_DIR/config/certs/ca.crt"
      echo "MM_ES_FINGERPRINT=$http_fp"
      echo "MM_ES_CA_FINGERPRINT=$ca_fp"
      echo "MM_ES_API_KEY=$api_key"
      if [ -n "$service_token" ]; then echo "MM_ES_SERVICE_TOKEN=$service_token"; fi
    fi
  } > "$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  trap - EXIT
  log "Elasticsearch $version ready in $((SECONDS - t0)) s: $ENV_FILE"
}

case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  fetch) cmd_fetch ;;
  *) usage ;;
esac
