"""No secret in anything the tool prints or stores. Distinctive secrets go into every
credential slot (S3 ak/sk of the source and of the target, the Milvus password as a key and
inside the endpoint, the Elasticsearch password as keys and as URL userinfo, its API key and
service token, the MySQL DSN's password); runs fail in each way they can (unreachable,
refused, wrong credentials, malformed settings) and succeed; stdout, stderr, manifest.json and
every output file (local or in the bucket) are searched for each secret, also base64-encoded
as a Basic or ApiKey header would carry it."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np
import pytest
from pymilvus import Role, utility

from conftest import PORT_BASE, REPO, read_env_file
from es_fixture import EsHttp, es_config
from migration_yaml import (ToolRun, faiss_config, milvus1x_config, run_command, run_tool,
                            write_yaml)
from milvus1x_fixture import generate

DIM = 8
TAG = uuid.uuid4().hex[:8]
# Wrong values, each distinctive; the right ones come from the servers' env files.
WRONG = {
    "es_password": f"EsPw-{TAG}-wrong",
    "es_api_key": base64.b64encode(f"mmid{TAG}:mmkey{TAG}wrong".encode()).decode(),
    "es_service_token": f"AAEAAWVsYXN0aWMvZmxlZXQtc2VydmVy{TAG}wrong",
    "s3_ak": f"AKWRONG{TAG}",
    "s3_sk": f"SkWrong-{TAG}-secret",
    "milvus_password": f"MvPw-{TAG}-wrong",
    "mysql_password": f"MyPw-{TAG}-wrong",
}
MILVUS_USER = f"mm_secret_{TAG}"
MILVUS_PASSWORD = f"MvPw-{TAG}-right"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def forms(secret: str, user: str | None = None) -> list[str]:
    """The secret and the encodings it could leak in."""
    out = [secret, base64.b64encode(secret.encode()).decode()]
    if user is not None:
        out.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return out


class Leaks:
    """Collects every secret of the test and searches runs and outputs for them."""

    def __init__(self, secrets: list[str]):
        self.secrets = [s for s in secrets if s]

    def check_text(self, what: str, text: str) -> None:
        for secret in self.secrets:
            assert secret not in text, f"{what} shows the secret {secret!r}:\n{text[-3000:]}"

    def check_run(self, run: ToolRun, *, ok: bool) -> None:
        assert (run.returncode == 0) == ok, run.describe()
        self.check_text(f"the output of {' '.join(run.args[1:2])}", run.output)

    def check_dir(self, root: Path) -> int:
        files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        for p in files:
            self.check_text(str(p), p.read_bytes().decode("latin-1"))
        return len(files)

    def check_bucket(self, bed, prefix: str) -> int:
        client = bed.s3_client()
        n = 0
        for obj in client.list_objects(bed.s3_bucket, prefix=prefix, recursive=True):
            data = client.get_object(bed.s3_bucket, obj.object_name).read()
            self.check_text(f"s3://{bed.s3_bucket}/{obj.object_name}", data.decode("latin-1"))
            n += 1
        return n


@pytest.fixture(scope="module")
def mysql_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """MariaDB: the suite's (MM_TEST_MYSQL_ENV) or one started here on PORT_BASE + 200."""
    env_file = os.environ.get("MM_TEST_MYSQL_ENV")
    if env_file:
        yield read_env_file(Path(env_file))
        return
    d = tmp_path_factory.mktemp("mariadb")
    script = REPO / "scripts" / "mariadb.sh"
    started = subprocess.run(["bash", str(script), "start", "--dir", str(d), "--port",
                              str(PORT_BASE + 200)], capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        pytest.fail(f"mariadb did not start:\n{started.stderr}", pytrace=False)
    try:
        yield read_env_file(d / "mariadb.env")
    finally:
        subprocess.run(["bash", str(script), "stop", "--dir", str(d)], capture_output=True,
                       timeout=120)


@pytest.fixture(scope="module")
def faiss_file(tmp_path_factory) -> Path:
    index = faiss.IndexFlatL2(DIM)
    index.add(np.random.default_rng(17).standard_normal((400, DIM)).astype(np.float32))
    path = tmp_path_factory.mktemp("secrets") / "flat.index"
    faiss.write_index(index, str(path))
    return path


@pytest.fixture(scope="module")
def es_index(es8_secure) -> str:
    # The bed's service token belongs to elastic/fleet-server, which may read profiling-*.
    index = "profiling-mm-secrets"
    http = EsHttp(es8_secure)
    http.create_index(index, {"id": {"type": "long"},
                              "v": {"type": "dense_vector", "dims": DIM, "index": False}},
                      shards=1)
    rng = np.random.default_rng(3)
    http.bulk(index, ((f"d{i}", {"id": i, "v": [float(x) for x in rng.standard_normal(DIM)]})
                      for i in range(300)))
    return index



def _wait_until_user_may_create_collections(bed, timeout: float = 60) -> None:
    """Milvus 2.3's proxy learns a new user's role from its privilege cache, some time after
    the grant (long on a loaded machine): wait until the user can create a collection."""
    from pymilvus import CollectionSchema, DataType, FieldSchema, connections
    import time

    alias = f"secrets-user-{TAG}"
    host, port = bed.milvus_endpoint.rsplit(":", 1)
    connections.connect(alias, host=host, port=port, user=MILVUS_USER, password=MILVUS_PASSWORD)
    probe = f"probe_{TAG}"
    schema = CollectionSchema([FieldSchema("id", DataType.INT64, is_primary=True),
                               FieldSchema("v", DataType.FLOAT_VECTOR, dim=2)])
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                from pymilvus import Collection
                Collection(probe, schema, using=alias)
                utility.drop_collection(probe, using=alias)
                return
            except Exception:  # permission not there yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    finally:
        connections.disconnect(alias)

@pytest.fixture(scope="module")
def milvus_user(testbed_auth) -> str:
    """A Milvus user with a distinctive password and the admin role."""
    alias = testbed_auth.milvus_alias()
    utility.create_user(MILVUS_USER, MILVUS_PASSWORD, using=alias)
    Role("admin", using=alias).add_user(MILVUS_USER)
    _wait_until_user_may_create_collections(testbed_auth)
    yield MILVUS_USER
    utility.delete_user(MILVUS_USER, using=alias)


@pytest.fixture
def leaks(es8_secure, testbed_s3, mysql_env) -> Leaks:
    secrets: list[str] = []
    for value in WRONG.values():
        secrets += forms(value)
    secrets += forms(WRONG["es_password"], "elastic") + forms(WRONG["milvus_password"], "root")
    secrets += forms(es8_secure["MM_ES_PASSWORD"], es8_secure["MM_ES_USER"])
    secrets += forms(es8_secure["MM_ES_API_KEY"]) + forms(es8_secure["MM_ES_SERVICE_TOKEN"])
    secrets += [base64.b64decode(es8_secure["MM_ES_API_KEY"]).decode()]  # id:key
    secrets += forms(testbed_s3.env["MM_S3_AK"]) + forms(testbed_s3.env["MM_S3_SK"])
    secrets += forms(MILVUS_PASSWORD, MILVUS_USER)
    secrets += forms(mysql_env["MM_MYSQL_PASSWORD"], mysql_env["MM_MYSQL_USER"])
    return Leaks(secrets)


ES_FIELDS = [{"name": "id", "type": "long", "pk": True},
             {"name": "v", "type": "dense_vector", "dims": DIM}]


def es_url_with(env: dict[str, str], userinfo: str, host: str | None = None) -> str:
    scheme, rest = env["MM_ES_URL"].split("://", 1)
    return f"{scheme}://{userinfo}@{host or rest}"


# ------------------------------------------------------------------ successful runs

@pytest.mark.parametrize("mode", ["url userinfo", "username/password", "apiKey",
                                  "serviceToken"])
def test_successful_elasticsearch_dump_to_a_bucket(es8_secure, es_index, testbed_s3, mm_binary,
                                                   tmp_path, leaks, mode):
    env = es8_secure
    ca = {"cert": env["MM_ES_CA"]}
    connection = {
        "url userinfo": {"urls": [es_url_with(env, f"elastic:{env['MM_ES_PASSWORD']}")], **ca},
        "username/password": {"username": env["MM_ES_USER"], "password": env["MM_ES_PASSWORD"],
                              **ca},
        "apiKey": {"apiKey": env["MM_ES_API_KEY"], **ca},
        "serviceToken": {"serviceToken": env["MM_ES_SERVICE_TOKEN"], **ca},
    }[mode]
    prefix = f"e2e-secrets/{TAG}-{mode.replace('/', '-').replace(' ', '-')}"
    config = es_config(env, testbed_s3, es_index, ES_FIELDS, prefix, collection="secrets",
                       connection=connection)
    done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    leaks.check_run(done, ok=True)
    assert "300 documents" in done.output, done.describe()
    assert leaks.check_bucket(testbed_s3, prefix) >= 3  # manifest.json and a part's files


@pytest.mark.parametrize("credentials", ["endpoint userinfo", "username/password"])
def test_successful_start_from_a_bucket_into_milvus_with_auth(
        faiss_file, testbed_s3, testbed_auth, milvus_user, mm_binary, tmp_path, leaks,
        credentials):
    # The FAISS file is read from the S3 bed's bucket with its keys (source.remote).
    key = f"e2e-secrets/{TAG}/{credentials.replace('/', '-').replace(' ', '-')}/flat.index"
    testbed_s3.s3_client().fput_object(testbed_s3.s3_bucket, key, str(faiss_file))
    collection = f"secrets_{TAG}_{'a' if credentials == 'endpoint userinfo' else 'b'}"
    out = tmp_path / "out"
    overrides = {
        "source.mode": "remote",
        "source.local": None,
        "source.remote": {"faissFile": key, "endpoint": testbed_s3.s3_endpoint,
                          "region": "us-east-1", "bucket": testbed_s3.s3_bucket,
                          "ak": testbed_s3.env["MM_S3_AK"], "sk": testbed_s3.env["MM_S3_SK"],
                          "useSSL": False, "useIAM": False},
    }
    if credentials == "endpoint userinfo":
        overrides["target.milvus2x"] = {
            "endpoint": f"http://{milvus_user}:{MILVUS_PASSWORD}@{testbed_auth.milvus_endpoint}"}
    else:
        overrides["target.milvus2x"] = {"endpoint": testbed_auth.milvus_endpoint,
                                        "username": milvus_user, "password": MILVUS_PASSWORD}
    config = faiss_config(testbed_auth, faiss_file, collection, out, target_mode="local",
                          overrides=overrides)
    try:
        done = run_command(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        leaks.check_run(done, ok=True)
        assert f"as {milvus_user}" in done.output, done.describe()
        assert leaks.check_dir(out) >= 3
        assert utility.has_collection(collection, using=testbed_auth.milvus_alias())
    finally:
        if utility.has_collection(collection, using=testbed_auth.milvus_alias()):
            utility.drop_collection(collection, using=testbed_auth.milvus_alias())


def test_successful_export_from_mysql(mysql_env, mm_binary, tmp_path, leaks):
    env = mysql_env
    database = f"sec_{TAG}"
    client = ["mariadb", "-h", env["MM_MYSQL_HOST"], "-P", env["MM_MYSQL_PORT"],
              "-u", env["MM_MYSQL_USER"], f"-p{env['MM_MYSQL_PASSWORD']}"]
    subprocess.run(client + ["-e", f"CREATE DATABASE {database}"], check=True)
    instance = generate(tmp_path / "m1x", "--seed", "7")
    with open(instance / "meta_mysql.sql") as sql:
        subprocess.run(client + [database], stdin=sql, check=True)
    dsn = (f"{env['MM_MYSQL_USER']}:{env['MM_MYSQL_PASSWORD']}@tcp({env['MM_MYSQL_HOST']}:"
           f"{env['MM_MYSQL_PORT']})/{database}?charset=utf8mb4&parseTime=True&loc=Local")
    out = tmp_path / "exported"
    done = run_tool(mm_binary, "export", "-m", dsn, "-o", str(out))
    leaks.check_run(done, ok=True)
    assert leaks.check_dir(out) == 1  # meta.json


# ------------------------------------------------------------------ failing runs

def failing_es_configs(env: dict[str, str], bed, index: str, out: str) -> dict[str, dict]:
    ca = {"cert": env["MM_ES_CA"]}
    wrong_pw = WRONG["es_password"]
    closed = f"127.0.0.1:{closed_port()}"
    cases = {
        "refused, userinfo": {"urls": [f"http://elastic:{wrong_pw}@{closed}"]},
        "refused, every credential": {"urls": [f"http://elastic:{wrong_pw}@{closed}"],
                                      "username": "elastic", "password": wrong_pw,
                                      "apiKey": WRONG["es_api_key"],
                                      "serviceToken": WRONG["es_service_token"]},
        "no answer, userinfo": {"urls": [f"http://elastic:{wrong_pw}@192.0.2.1:9200"]},
        "wrong userinfo": {"urls": [es_url_with(env, f"elastic:{wrong_pw}")], **ca},
        "wrong password": {"username": "elastic", "password": wrong_pw, **ca},
        "wrong api key": {"apiKey": WRONG["es_api_key"], **ca},
        "wrong service token": {"serviceToken": WRONG["es_service_token"], **ca},
        "url without scheme": {"urls": [f"elastic:{wrong_pw}@{closed}"]},
        "url with a token parameter": {"urls": [f"http://{closed}/?token={wrong_pw}"]},
        "tls refused, userinfo": {"urls": [es_url_with(env, f"elastic:{wrong_pw}")]},
    }
    configs = {}
    for name, connection in cases.items():
        config = es_config(env, bed, index, ES_FIELDS, out, collection="secrets",
                           connection=connection, target_mode="local")
        config["retry"] = {"budgetSeconds": 2}
        configs[name] = config
    return configs


def test_failing_elasticsearch_runs(es8_secure, es_index, testbed_s3, mm_binary, tmp_path,
                                    leaks):
    out = tmp_path / "out"
    for name, config in failing_es_configs(es8_secure, testbed_s3, es_index, str(out)).items():
        done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
        leaks.check_run(done, ok=False)
        leaks.check_dir(out)


def test_failing_s3_runs(faiss_file, testbed_s3, mm_binary, tmp_path, leaks):
    closed = f"127.0.0.1:{closed_port()}"
    real_ak = testbed_s3.env["MM_S3_AK"]
    source_remote = {"faissFile": "no/such.index", "endpoint": testbed_s3.s3_endpoint,
                     "region": "us-east-1", "bucket": testbed_s3.s3_bucket,
                     "ak": WRONG["s3_ak"], "sk": WRONG["s3_sk"], "useSSL": False,
                     "useIAM": False}
    cases = {
        "target: wrong keys": {"target.remote.ak": WRONG["s3_ak"],
                               "target.remote.sk": WRONG["s3_sk"]},
        "target: wrong secret key": {"target.remote.ak": real_ak,
                                     "target.remote.sk": WRONG["s3_sk"]},
        "target: refused": {"target.remote.endpoint": closed, "target.remote.ak": WRONG["s3_ak"],
                            "target.remote.sk": WRONG["s3_sk"]},
        "target: no answer": {"target.remote.endpoint": "192.0.2.1:9000",
                              "target.remote.ak": WRONG["s3_ak"],
                              "target.remote.sk": WRONG["s3_sk"]},
        "target: keys in the endpoint": {
            "target.remote.endpoint": f"http://{WRONG['s3_ak']}:{WRONG['s3_sk']}@"
                                      f"{testbed_s3.s3_endpoint}"},
        "target: no check, wrong keys": {"target.remote.ak": WRONG["s3_ak"],
                                         "target.remote.sk": WRONG["s3_sk"],
                                         "target.remote.checkBucket": False},
        "source: wrong keys": {"source.mode": "remote", "source.local": None,
                               "source.remote": source_remote},
        "source: refused": {"source.mode": "remote", "source.local": None,
                            "source.remote": {**source_remote, "endpoint": closed}},
    }
    for name, overrides in cases.items():
        prefix = f"e2e-secrets/{TAG}-fail"
        config = faiss_config(testbed_s3, faiss_file, "secrets", prefix,
                              overrides={**overrides, "retry.budgetSeconds": 2})
        done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
        leaks.check_run(done, ok=False)
        leaks.check_bucket(testbed_s3, prefix)


def test_failing_milvus_runs(faiss_file, testbed_auth, milvus_user, mm_binary, tmp_path, leaks):
    host = testbed_auth.milvus_endpoint
    wrong = WRONG["milvus_password"]
    closed = f"127.0.0.1:{closed_port()}"
    cases = {
        "wrong password": {"endpoint": host, "username": "root", "password": wrong},
        "wrong password in the endpoint": {"endpoint": f"http://root:{wrong}@{host}"},
        "refused, password in the endpoint": {"endpoint": f"http://root:{wrong}@{closed}"},
        "refused, password": {"endpoint": closed, "username": "root", "password": wrong},
        "no answer, password in the endpoint": {"endpoint": f"http://root:{wrong}@192.0.2.1"},
        "bad port, password in the endpoint": {"endpoint": f"http://root:{wrong}@h:99999"},
        "path, password in the endpoint": {"endpoint": f"root:{wrong}@{host}/x"},
    }
    out = tmp_path / "out"
    for name, milvus in cases.items():
        config = faiss_config(testbed_auth, faiss_file, f"secrets_{TAG}_fail", out,
                              target_mode="local",
                              overrides={"target.milvus2x": milvus, "retry.budgetSeconds": 2})
        done = run_command(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        leaks.check_run(done, ok=False)
        leaks.check_dir(out)


def test_failing_mysql_runs(mysql_env, testbed_s3, mm_binary, tmp_path, leaks):
    env = mysql_env
    wrong = WRONG["mysql_password"]
    where = f"{env['MM_MYSQL_HOST']}:{env['MM_MYSQL_PORT']}"
    cases = {
        "wrong password": f"{env['MM_MYSQL_USER']}:{wrong}@tcp({where})/milvus",
        "refused": f"root:{wrong}@tcp(127.0.0.1:{closed_port()})/milvus?timeout=2s",
        "malformed": f"root:{wrong}@tcp(127.0.0.1:99999)/milvus",
        "unknown protocol": f"root:{wrong}@udp(127.0.0.1)/milvus",
        "no database": f"root:{wrong}@tcp(127.0.0.1)/",
    }
    tables = tmp_path / "tables"
    tables.mkdir()
    out = tmp_path / "out"
    for name, dsn in cases.items():
        config = milvus1x_config(testbed_s3, {"mode": "mysql", "mysqlUrl": dsn}, tables, out,
                                 target_mode="local", overrides={"retry.budgetSeconds": 2})
        done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
        leaks.check_run(done, ok=False)
        exported = run_tool(mm_binary, "export", "-m", dsn, "-o", str(tmp_path / "exported"))
        leaks.check_run(exported, ok=False)
        leaks.check_dir(out)
        leaks.check_dir(tmp_path / "exported")
