#!/usr/bin/env bash
# The e2e test bed: a real Milvus 2.3.5 standalone (the PyPI `milvus` package's binary) and,
# for --storage s3, a SeaweedFS S3 gateway that Milvus uses as its object storage (for
# --storage azure, an Azurite blob service, scripts/azurite.sh). Every
# listening port is derived from --port-base, everything lives under --dir, and `stop` ends
# every process that `start` began (also after a start that failed halfway).
#
#   scripts/testbed.sh start --dir DIR [--storage local|s3|azure] [--port-base N] [--auth] [--timeout S]
#   scripts/testbed.sh stop  --dir DIR
#   scripts/testbed.sh restart-milvus --dir DIR [--down S]
#
# `start` writes DIR/testbed.env (shell-sourceable KEY=VALUE) once both servers answer.
# See docs/testbed.md for the port map and the facts found about the servers.
set -euo pipefail

readonly PROG="testbed"
CACHE_DIR="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}"
VENV="$CACHE_DIR/venv"
PY="$VENV/bin/python"
WEED="$VENV/bin/weed"

# Fixed credentials of the bed; the tests read them from testbed.env.
readonly S3_BUCKET="milvus-bucket"
readonly S3_AK="mmtestbedak"
readonly S3_SK="mmtestbedsecretkey"
readonly S3_REGION="us-east-1"
readonly AZURE_ACCOUNT="mmtestbedazure"
# A fixed account key (base64), as for S3: the tests read it from testbed.env.
readonly AZURE_KEY="bW10ZXN0YmVkYXp1cmVrZXktbm90LWEtc2VjcmV0LW9mLWFueS1yZWFsLWFjY291bnQtMDEyMzQ1Njc4OQ=="
readonly MILVUS_ROOT_PASSWORD="Milvus"   # Milvus' built-in default for user root

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
# shellcheck source=lib/process_group.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/process_group.sh"

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------- arguments
cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
DIR=""; STORAGE="local"; PORT_BASE=19700; AUTH=0; TIMEOUT=180; DOWN=2
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --dir=*) DIR="${1#*=}"; shift ;;
    --storage) STORAGE="${2:?--storage needs a value}"; shift 2 ;;
    --storage=*) STORAGE="${1#*=}"; shift ;;
    --port-base) PORT_BASE="${2:?--port-base needs a value}"; shift 2 ;;
    --port-base=*) PORT_BASE="${1#*=}"; shift ;;
    --auth) AUTH=1; shift ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) TIMEOUT="${1#*=}"; shift ;;
    --down) DOWN="${2:?--down needs a value}"; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ -n "$DIR" ] || die "--dir DIR is required"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"
PID_DIR="$DIR/pids"
LOG_DIR="$DIR/logs"

# ---------------------------------------------------------------- process control
# Stops the group recorded in pidfile $1: TERM, wait, then KILL; waits until it is gone.
stop_group() {
  local pidfile="$1" name pgid grace=15
  name="$(basename "$pidfile" .pid)"
  # SeaweedFS 4.48's filer waits forever for its S3 subscriber on SIGTERM; its data is
  # disposable, so it gets little grace.
  [ "$name" = seaweedfs ] && grace=3
  # Milvus 2.3 standalone stops its coordinators first, and its nodes then retry them until
  # killed; nothing is lost by cutting that short.
  [ "$name" = milvus ] && grace=5
  pgid="$(cat "$pidfile" 2>/dev/null || true)"
  if ! [[ "$pgid" =~ ^[0-9]+$ ]]; then rm -f "$pidfile"; return 0; fi
  if group_alive "$pgid"; then
    if ! owned_pgid "$pidfile" "$DIR" >/dev/null; then
      log "pid $pgid in $pidfile is not ours any more; not killing it"
      rm -f "$pidfile"; return 0
    fi
    stop_process_group "$pgid" "$name" "$grace"
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  local f
  # Milvus first: it is a client of the S3 store.
  [ -e "$PID_DIR/milvus.pid" ] && stop_group "$PID_DIR/milvus.pid"
  bash "$(dirname "${BASH_SOURCE[0]}")/azurite.sh" stop --dir "$DIR/azurite" >&2 || true
  for f in "$PID_DIR/milvus.pid" "$PID_DIR/seaweedfs.pid" "$PID_DIR"/*.pid; do
    [ -e "$f" ] && stop_group "$f"
  done
  # The unix sockets SeaweedFS left in /tmp.
  local p
  if [ -f "$DIR/seaweedfs/tmp-socket-ports" ]; then
    for p in $(cat "$DIR/seaweedfs/tmp-socket-ports"); do rm -f /tmp/seaweedfs-*-"$p".sock; done
    rm -f "$DIR/seaweedfs/tmp-socket-ports"
  fi
  rm -f "$DIR/testbed.env"
  return 0
}

# Starts "$@" in a new session with stdout/stderr to $LOG_DIR/$name.out; records the pgid.
spawn() {
  local name="$1" cwd="$2"; shift 2
  ( cd "$cwd" && exec setsid "$@" ) > "$LOG_DIR/$name.out" 2>&1 < /dev/null &
  echo $! > "$PID_DIR/$name.pid"
}

# ---------------------------------------------------------------- ports
# Port map (offsets from --port-base); docs/testbed.md repeats it.
P_PROXY=$((PORT_BASE + 0)); P_PROXY_INTERNAL=$((PORT_BASE + 1)); P_METRICS=$((PORT_BASE + 2))
P_ETCD=$((PORT_BASE + 3)); P_ETCD_PEER=$((PORT_BASE + 4)); P_ROOTCOORD=$((PORT_BASE + 5))
P_QUERYCOORD=$((PORT_BASE + 6)); P_QUERYNODE=$((PORT_BASE + 7)); P_INDEXCOORD=$((PORT_BASE + 8))
P_INDEXNODE=$((PORT_BASE + 9)); P_DATACOORD=$((PORT_BASE + 10)); P_DATANODE=$((PORT_BASE + 11))
P_MASTER=$((PORT_BASE + 20)); P_MASTER_GRPC=$((PORT_BASE + 21)); P_VOLUME=$((PORT_BASE + 22))
P_VOLUME_GRPC=$((PORT_BASE + 23)); P_FILER=$((PORT_BASE + 24)); P_FILER_GRPC=$((PORT_BASE + 25))
P_S3=$((PORT_BASE + 26)); P_S3_GRPC=$((PORT_BASE + 27))

milvus_ports=("$P_PROXY" "$P_PROXY_INTERNAL" "$P_METRICS" "$P_ETCD" "$P_ETCD_PEER" "$P_ROOTCOORD"
  "$P_QUERYCOORD" "$P_QUERYNODE" "$P_INDEXCOORD" "$P_INDEXNODE" "$P_DATACOORD" "$P_DATANODE")
weed_ports=("$P_MASTER" "$P_MASTER_GRPC" "$P_VOLUME" "$P_VOLUME_GRPC" "$P_FILER" "$P_FILER_GRPC"
  "$P_S3" "$P_S3_GRPC")

# Fails if anything listens on one of the ports, on any address (Milvus listens on all
# interfaces). Binding with SO_REUSEADDR fails exactly when a listener holds the port, while
# connections left in TIME_WAIT by a previous bed do not count.
check_ports_free() {
  local busy
  busy="$("$PY" - "$@" <<'EOF'
import socket, sys
busy = []
for port in map(int, sys.argv[1:]):
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((addr, port))
        except OSError:
            busy.append(str(port))
            break
print(" ".join(busy))
EOF
)"
  [ -z "$busy" ] || die "port(s) $busy already in use (--port-base $PORT_BASE); pick another --port-base or stop what holds them"
}

# ---------------------------------------------------------------- diagnostics
dump_logs() {
  local f
  for f in "$LOG_DIR"/*.out "$DIR"/milvus/logs/standalone*.log "$DIR"/seaweedfs/logs/weed.INFO; do
    [ -f "$f" ] || continue
    echo "----- last 40 lines of $f" >&2
    tail -n 40 "$f" >&2
  done
}

# Waits until "$@" succeeds, while the group in pidfile $1 lives; $2 = what is awaited.
wait_until() {
  local pidfile="$1" what="$2" deadline; shift 2
  deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    group_alive "$(cat "$pidfile")" || { dump_logs; die "$what: the server exited during start-up"; }
    [ $SECONDS -lt $deadline ] || { dump_logs; die "$what: not ready after ${TIMEOUT} s"; }
    sleep 0.5
  done
}

# ---------------------------------------------------------------- SeaweedFS
start_seaweedfs() {
  [ -x "$WEED" ] || die "$WEED not found: run scripts/setup.sh"
  local sw="$DIR/seaweedfs"
  mkdir -p "$sw/data" "$sw/logs"
  cat > "$sw/s3.json" <<EOF
{
  "identities": [
    {
      "name": "mmtestbed",
      "credentials": [{"accessKey": "$S3_AK", "secretKey": "$S3_SK"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
EOF
  # SeaweedFS adds a unix socket beside each gRPC port, /tmp/seaweedfs-*-grpc-<port>.sock
  # (fixed, not under $TMPDIR), and for the filer and S3 http ports unless told otherwise
  # (kept in the bed when the path fits sun_path's 107 bytes). `stop` removes the /tmp ones.
  echo "${weed_ports[*]}" > "$sw/tmp-socket-ports"
  local sock_args=()
  if [ ${#sw} -lt 90 ]; then
    sock_args=(-filer.localSocket="$sw/filer.sock" -s3.localSocket="$sw/s3.sock")
  fi
  # -s3.domainName: virtual-host requests (bucket.localhost:port/key, as the gcp/ali/tc clouds
  # send them) are served too; curl resolves *.localhost to the loopback itself.
  log "starting SeaweedFS (master $P_MASTER, volume $P_VOLUME, filer $P_FILER, s3 $P_S3)"
  spawn seaweedfs "$sw" "$WEED" -logdir="$sw/logs" -alsologtostderr=false -config_dir="$sw" \
    server -dir="$sw/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$P_MASTER" -master.port.grpc="$P_MASTER_GRPC" -master.telemetry=false \
    -master.volumeSizeLimitMB=256 \
    -volume.port="$P_VOLUME" -volume.port.grpc="$P_VOLUME_GRPC" -volume.max=32 -volume.preStopSeconds=0 \
    -filer -filer.port="$P_FILER" -filer.port.grpc="$P_FILER_GRPC" \
    -s3 -s3.port="$P_S3" -s3.port.grpc="$P_S3_GRPC" -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$sw/s3.json" "${sock_args[@]}" \
    -s3.domainName=localhost \
    -s3.autoCreateBucket=false  # as on AWS: a write to a missing bucket must fail
}

# Creates the bucket (idempotent); succeeding also proves the S3 gateway checks our keys.
s3_make_bucket() {
  "$PY" - "$P_S3" "$S3_AK" "$S3_SK" "$S3_REGION" "$S3_BUCKET" <<'EOF'
import sys
from minio import Minio
port, ak, sk, region, bucket = sys.argv[1:6]
c = Minio(f"127.0.0.1:{port}", access_key=ak, secret_key=sk, secure=False, region=region)
if not c.bucket_exists(bucket):
    c.make_bucket(bucket)
assert c.bucket_exists(bucket)
EOF
}

# Creates the container Milvus uses in Azurite (idempotent), signed with the account key.
azure_make_container() {
  "$PY" - "$P_S3" "$AZURE_ACCOUNT" "$AZURE_KEY" "$S3_BUCKET" <<'EOF'
import sys
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient
port, account, key, container = sys.argv[1:5]
svc = BlobServiceClient(f"http://127.0.0.1:{port}/{account}", credential={"account_name": account, "account_key": key})
try:
    svc.create_container(container)
except ResourceExistsError:
    pass
EOF
}

# ---------------------------------------------------------------- Milvus
# The `milvus-server` wrapper cannot be used as is: its port flags move to the next free port
# when one is busy, it offers no flag for the metrics (/healthz) port and no way to move the
# embedded etcd off 2379/2380, and --extra-config silently drops keys absent from its
# template. So the package's own config writer is driven here with strict ports, and the
# binary it unpacks is started directly (see docs/testbed.md).
prepare_milvus() {
  local base="$DIR/milvus" extra_json="$1"
  # The unpacked binaries (about 250 MB) are shared by all beds in $CACHE_DIR; the lock keeps
  # two beds from unpacking them at once.
  mkdir -p "$CACHE_DIR"
  flock "$CACHE_DIR/.milvus-bin.lock" "$PY" - "$base" "$extra_json" "$CACHE_DIR" \
    etcd_port="$P_ETCD" root_coord_port="$P_ROOTCOORD" proxy_port="$P_PROXY" \
    proxy_internal_port="$P_PROXY_INTERNAL" query_coord_port="$P_QUERYCOORD" \
    query_node_port="$P_QUERYNODE" index_coord_port="$P_INDEXCOORD" \
    index_node_port="$P_INDEXNODE" data_coord_port="$P_DATACOORD" data_node_port="$P_DATANODE" <<'EOF'
import json, os, re, socket, sys
import milvus

base, extra, cache = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
ports = {k: int(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
# Ports given as constructor kwargs are bound strictly (RuntimeError when busy) instead of
# drifting to the next free port as the CLI flags do. Its probe binds without SO_REUSEADDR
# and so fails on ports that only have TIME_WAIT connections left from a previous bed (the
# Go servers bind them fine): probe with SO_REUSEADDR, which still fails on a listener.
def try_bind_port(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except OSError:
        sock.close()
        return None
cfg = milvus.MilvusServerConfig(data_dir=base, **ports)
cfg.try_bind_port = try_bind_port

# The writer only rewrites keys already in its template: refuse keys it would drop.
known, path = set(), []
for line in cfg.template_text.splitlines():
    m = re.match(r"^( *)([A-Za-z0-9_]+):", line)
    if not m or line.strip().startswith("#"):
        continue
    level = len(m.group(1)) // 2
    path = path[:level] + [m.group(2)]
    known.add(".".join(path))
unknown = sorted(k for k in extra if k not in known)
if unknown:
    sys.exit(f"testbed: milvus config keys not in the embedded template: {unknown}")
for k, v in extra.items():
    cfg.set(k, v)
try:
    cfg.resolve()
except RuntimeError as e:
    sys.exit(f"testbed: {e}")
# Unpacks only what changed (it keeps an md5 per file), so a running bed's files stay put.
shared = os.path.join(cache, f"milvus-{milvus.__version__}")
milvus._initialize_data_files(shared)
os.makedirs(os.path.join(base, "bin"), exist_ok=True)
link = os.path.join(base, "bin", "milvus")
if os.path.lexists(link):
    os.remove(link)
# Started through this link, the server's command line names the bed (stop checks that).
os.symlink(os.path.join(shared, "bin", "milvus"), link)
print(milvus.__version__, os.path.join(shared, "bin"))
EOF
  # The embedded etcd listens on 2379/2380 unless given its own config file.
  cat > "$base/configs/embedEtcd.yaml" <<EOF
name: mmtestbed
data-dir: $base/data/etcd.data
listen-client-urls: http://127.0.0.1:$P_ETCD
advertise-client-urls: http://127.0.0.1:$P_ETCD
listen-peer-urls: http://127.0.0.1:$P_ETCD_PEER
initial-advertise-peer-urls: http://127.0.0.1:$P_ETCD_PEER
initial-cluster: mmtestbed=http://127.0.0.1:$P_ETCD_PEER
initial-cluster-state: new
EOF
}

start_milvus() {
  local base="$DIR/milvus" lib_dir="$1" azure=()
  log "starting Milvus (proxy $P_PROXY, metrics $P_METRICS, etcd $P_ETCD)"
  mkdir -p "$base/run"
  # Milvus 2.3 builds its Azure client from this when set (the default is https on
  # <account>.blob.<minio.address>, which cannot reach Azurite).
  [ -f "$DIR/azurite/azurite.env" ] && azure=("AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=$AZURE_ACCOUNT;AccountKey=$AZURE_KEY;BlobEndpoint=http://127.0.0.1:$P_S3/$AZURE_ACCOUNT;")
  spawn milvus "$base" env "${azure[@]}" DEPLOY_MODE=STANDALONE METRICS_PORT="$P_METRICS" \
    MILVUS_RUN_DIR="$base/run" ETCD_CONFIG_PATH="$base/configs/embedEtcd.yaml" \
    MILVUSCONF="$base/configs" LD_LIBRARY_PATH="$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$base/bin/milvus" run standalone
}

milvus_healthz() { curl -fsS --max-time 2 "http://127.0.0.1:$P_METRICS/healthz" | grep -q OK; }

milvus_connect() {
  "$PY" - "$P_PROXY" "$AUTH" "$MILVUS_ROOT_PASSWORD" <<'EOF'
import sys
from pymilvus import connections, utility
port, auth, password = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
kw = {"user": "root", "password": password} if auth else {}
connections.connect("probe", host="127.0.0.1", port=port, timeout=5, **kw)
utility.list_collections(using="probe", timeout=5)
print(utility.get_server_version(using="probe"))
connections.disconnect("probe")
EOF
}

# ---------------------------------------------------------------- start
cmd_start() {
  case "$STORAGE" in local|s3|azure) ;; *) die "--storage must be local, s3 or azure, not '$STORAGE'" ;; esac
  [[ "$PORT_BASE" =~ ^[0-9]+$ ]] && [ "$PORT_BASE" -ge 1024 ] && [ "$PORT_BASE" -le 65500 ] \
    || die "--port-base must be a number in 1024..65500"
  [ -x "$PY" ] || die "$PY not found: run scripts/setup.sh"
  local f
  for f in "$PID_DIR"/*.pid; do
    [ -e "$f" ] && group_alive "$(cat "$f")" && die "a bed is already running in $DIR: stop it first"
  done
  # A previous bed's data would be reused by the servers; start clean.
  rm -rf "$PID_DIR" "$LOG_DIR" "$DIR/milvus" "$DIR/seaweedfs" "$DIR/testbed.env"
  mkdir -p "$PID_DIR" "$LOG_DIR"

  local ports=("${milvus_ports[@]}")
  [ "$STORAGE" = s3 ] && ports+=("${weed_ports[@]}")
  [ "$STORAGE" = azure ] && ports+=("$P_S3")
  check_ports_free "${ports[@]}"

  # From here on, any failure stops whatever was started.
  trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed; stopping what was started"; cmd_stop || true; fi' EXIT
  local t0=$SECONDS

  # Each component registers "the first unicastable address" (this machine's LAN address)
  # for the others to dial unless told otherwise; keep all of it on loopback.
  local extra='{"rootCoord.ip":"127.0.0.1","proxy.ip":"127.0.0.1","queryCoord.ip":"127.0.0.1",'\
'"queryNode.ip":"127.0.0.1","indexNode.ip":"127.0.0.1","dataCoord.ip":"127.0.0.1",'\
'"dataNode.ip":"127.0.0.1"'
  if [ "$STORAGE" = s3 ]; then
    start_seaweedfs
    wait_until "$PID_DIR/seaweedfs.pid" "SeaweedFS S3 on $P_S3" s3_make_bucket
    log "S3 ready after $((SECONDS - t0)) s"
    extra+=$(printf ',"common.storageType":"minio","minio.address":"127.0.0.1","minio.port":%d,'\
'"minio.accessKeyID":"%s","minio.secretAccessKey":"%s","minio.bucketName":"%s",'\
'"minio.useSSL":false,"minio.rootPath":"files","minio.region":"%s"' \
      "$P_S3" "$S3_AK" "$S3_SK" "$S3_BUCKET" "$S3_REGION")
  fi
  if [ "$STORAGE" = azure ]; then
    bash "$(dirname "${BASH_SOURCE[0]}")/azurite.sh" start --dir "$DIR/azurite" --port "$P_S3" \
      --account "$AZURE_ACCOUNT" --key "$AZURE_KEY" || die "Azurite did not start"
    azure_make_container || die "could not create the container $S3_BUCKET in Azurite"
    log "Azurite ready after $((SECONDS - t0)) s"
    extra+=$(printf ',"common.storageType":"remote","minio.cloudProvider":"azure",'\
'"minio.address":"127.0.0.1","minio.port":%d,"minio.accessKeyID":"%s",'\
'"minio.secretAccessKey":"%s","minio.bucketName":"%s","minio.useSSL":false,'\
'"minio.rootPath":"files"' "$P_S3" "$AZURE_ACCOUNT" "$AZURE_KEY" "$S3_BUCKET")
  fi
  [ "$AUTH" = 1 ] && extra+=',"common.security.authorizationEnabled":true'
  extra+='}'
  # yaml booleans: the config writer prints Python's True/False otherwise.
  extra="${extra//:true/:\"true\"}"; extra="${extra//:false/:\"false\"}"

  local version lib_dir
  read -r version lib_dir < <(prepare_milvus "$extra") && [ -n "$lib_dir" ] \
    || die "could not prepare the Milvus config"
  local t1=$SECONDS
  start_milvus "$lib_dir"
  wait_until "$PID_DIR/milvus.pid" "Milvus /healthz on $P_METRICS" milvus_healthz
  wait_until "$PID_DIR/milvus.pid" "pymilvus connect to $P_PROXY" milvus_connect
  log "Milvus $version ready after $((SECONDS - t1)) s"

  local env_tmp="$DIR/testbed.env.tmp"
  {
    echo "MM_TESTBED_DIR=$DIR"
    echo "MM_MILVUS_ENDPOINT=127.0.0.1:$P_PROXY"
    echo "MM_MILVUS_HEALTH_URL=http://127.0.0.1:$P_METRICS/healthz"
    echo "MM_MILVUS_VERSION=$version"
    echo "MM_MILVUS_STORAGE=$STORAGE"
    echo "MM_MILVUS_LOCAL_STORAGE_DIR=$DIR/milvus/data"
    if [ "$STORAGE" = s3 ]; then
      echo "MM_S3_ENDPOINT=127.0.0.1:$P_S3"
      echo "MM_S3_BUCKET=$S3_BUCKET"
      echo "MM_S3_AK=$S3_AK"
      echo "MM_S3_SK=$S3_SK"
      echo "MM_S3_REGION=$S3_REGION"
      echo "MM_S3_ROOT_PATH=files"
    fi
    if [ "$STORAGE" = azure ]; then
      echo "MM_AZURE_ENDPOINT=http://127.0.0.1:$P_S3/$AZURE_ACCOUNT"
      echo "MM_AZURE_ACCOUNT=$AZURE_ACCOUNT"
      echo "MM_AZURE_KEY=$AZURE_KEY"
      echo "MM_AZURE_CONTAINER=$S3_BUCKET"
      echo "MM_AZURE_ROOT_PATH=files"
    fi
    if [ "$AUTH" = 1 ]; then
      echo "MM_MILVUS_USER=root"
      echo "MM_MILVUS_PASSWORD=$MILVUS_ROOT_PASSWORD"
    fi
  } > "$env_tmp"
  mv "$env_tmp" "$DIR/testbed.env"
  trap - EXIT
  log "ready in $((SECONDS - t0)) s: $DIR/testbed.env"
}

# ---------------------------------------------------------------- restart-milvus
# A crash and a restart of Milvus alone, keeping its data (a fault for the e2e tests): SIGKILL
# to the running standalone, --down seconds of nothing, then the same server on the same
# config and data, without waiting for it to answer (2.3.5 takes 10-20 s).
cmd_restart_milvus() {
  [ -f "$DIR/testbed.env" ] || die "no running bed in $DIR (testbed.env missing)"
  local pgid i link
  pgid="$(owned_pgid "$PID_DIR/milvus.pid" "$DIR")" || die "Milvus of the bed in $DIR is not running"
  link="$(readlink "$DIR/milvus/bin/milvus")" || die "$DIR/milvus/bin/milvus is not a link"
  # The ports are those of the running bed: its proxy port is its port base.
  P_PROXY="$(sed -n 's/^MM_MILVUS_ENDPOINT=.*://p' "$DIR/testbed.env")"
  [[ "$P_PROXY" =~ ^[0-9]+$ ]] || die "no Milvus port in $DIR/testbed.env"
  P_METRICS=$((P_PROXY + 2)); P_ETCD=$((P_PROXY + 3))
  log "killing Milvus (process group $pgid)"
  kill -KILL -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do group_alive "$pgid" || break; sleep 0.1; done
  group_alive "$pgid" && die "process group $pgid (milvus) survived SIGKILL"
  sleep "$DOWN"
  mkdir -p "$LOG_DIR"
  mv -f "$LOG_DIR/milvus.out" "$LOG_DIR/milvus.out.$(date +%s)" 2>/dev/null || true
  start_milvus "$(dirname "$link")"
}

case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart-milvus) cmd_restart_milvus ;;
  *) usage ;;
esac
