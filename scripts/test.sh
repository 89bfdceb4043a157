#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing, builds the tool twice
# (release, and Debug with ASan/UBSan), starts one real test bed (Milvus 2.3.5 on a
# SeaweedFS S3 store, loopback only), runs the unit tests of both builds against it,
# then the end-to-end suite (which reuses that bed and starts the others it needs).
# Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
cache="${MM_CACHE_DIR:-$HOME/.cache/milvus-migration}"
venv="$cache/venv"

bash scripts/setup.sh
echo "== build (release)"
bash scripts/build.sh release
echo "== build (asan+ubsan)"
bash scripts/build.sh asan

# Two beds: Milvus on a SeaweedFS S3 store, and Milvus on local disk (whose imports take
# absolute paths, which the client's own unit tests use). The e2e suite reuses both.
bed=$(mktemp -d /tmp/mm-testbed.XXXXXX)
cleanup() {
  bash "$repo/scripts/mariadb.sh" stop --dir "$bed/mariadb" >/dev/null 2>&1 || true
  bash "$repo/scripts/azurite.sh" stop --dir "$bed/azurite" >/dev/null 2>&1 || true
  bash "$repo/scripts/testbed.sh" stop --dir "$bed/s3" >/dev/null 2>&1 || true
  bash "$repo/scripts/testbed.sh" stop --dir "$bed/local" >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "== test beds"
# MM_TESTBED_PORT_BASE moves every port of every bed (see docs/testbed.md).
export MM_TESTBED_PORT_BASE="${MM_TESTBED_PORT_BASE:-19700}"
bash scripts/testbed.sh start --dir "$bed/s3" --storage s3 --port-base "$MM_TESTBED_PORT_BASE"
bash scripts/testbed.sh start --dir "$bed/local" --storage local \
  --port-base "$((MM_TESTBED_PORT_BASE + 40))"
s3_env() { (. "$bed/s3/testbed.env"; eval echo "\$$1"); }
local_env() { (. "$bed/local/testbed.env"; eval echo "\$$1"); }
export MM_TEST_S3_ENDPOINT="$(s3_env MM_S3_ENDPOINT)" MM_TEST_S3_BUCKET="$(s3_env MM_S3_BUCKET)" \
       MM_TEST_S3_AK="$(s3_env MM_S3_AK)" MM_TEST_S3_SK="$(s3_env MM_S3_SK)" \
       MM_TEST_MILVUS_ENDPOINT="$(local_env MM_MILVUS_ENDPOINT)"
# MariaDB for the Milvus 1.x MySQL-meta tests (unit and e2e). +200: clear of every Milvus bed
# the e2e fixtures start (+0, +40, +80, +120, +160, each up to 28 ports).
bash scripts/mariadb.sh start --dir "$bed/mariadb" --port "$((MM_TESTBED_PORT_BASE + 200))"
export MM_TEST_MYSQL_ENV="$bed/mariadb/mariadb.env"
export MM_TEST_MYSQL_DSN="$(sed -n 's/^MM_MYSQL_DSN=//p' "$MM_TEST_MYSQL_ENV")"
# Azurite for the Azure Blob unit tests (AzureStorageTest). +270: clear of every other server.
bash scripts/azurite.sh start --dir "$bed/azurite" --port "$((MM_TESTBED_PORT_BASE + 270))"
azure_env() { sed -n "s/^$1=//p" "$bed/azurite/azurite.env"; }
export MM_TEST_AZURE_ENDPOINT="$(azure_env MM_AZURE_ENDPOINT)" \
       MM_TEST_AZURE_ACCOUNT="$(azure_env MM_AZURE_ACCOUNT)" MM_TEST_AZURE_KEY="$(azure_env MM_AZURE_KEY)"
# FAISS indexes written by pip's faiss-cpu, read by the C++ reader's unit tests.
"$venv/bin/python" tests/fixtures/make_faiss_fixtures.py "$bed/faiss-fixtures" >/dev/null
export MM_FAISS_FIXTURES="$bed/faiss-fixtures"
# A Milvus 1.x instance written by the Python generator, read by the segment reader's tests.
"$venv/bin/python" tests/fixtures/make_milvus1x_fixtures.py "$bed/milvus1x-fixtures" >/dev/null
export MM_MILVUS1X_FIXTURES="$bed/milvus1x-fixtures"

failed=0
echo "== unit tests (release)"
ctest --test-dir build --output-on-failure -j2 || failed=1
echo "== unit tests (asan+ubsan)"
ctest --test-dir build-asan --output-on-failure -j2 || failed=1

echo "== end-to-end tests"
export MM_TESTBED_REUSE="$bed/s3/testbed.env,$bed/local/testbed.env" MM_BINARY="$repo/build/milvus-migration"
"$venv/bin/python" -m pytest tests/e2e -q -p no:cacheprovider || failed=1

if [ "$failed" -ne 0 ]; then
  echo "FAILED: see the output above" >&2
  exit 1
fi
echo "all tests passed"
