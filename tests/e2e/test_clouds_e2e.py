"""The clouds of target.remote/source.remote besides plain S3 (issue 13, all but Azure), on
the S3 bed's SeaweedFS, which checks every SigV4 signature:

- gcp, ali, tc with ak/sk: virtual-host requests (bucket.localhost:port/key; SeaweedFS runs
  with -s3.domainName=localhost and curl resolves *.localhost to the loopback itself). A
  FAISS file is read from the bucket through source.remote, dumped through target.remote,
  and loaded by the bed's Milvus from the same bucket; read back bit for bit.
- useIAM: the credentials come from an identity service and the storage calls still go to
  SeaweedFS (the service hands out the bed's keys, as a real one hands out a role's): ali
  from an ECS RAM-role metadata endpoint, aws via STS AssumeRoleWithWebIdentity, both
  loopback servers here (no published emulator exists; they only serve the credential
  fetch, in the documented formats).
- Errors: a wrong key, a missing bucket, an expired token, an unknown cloud: non-zero exit,
  the message names the cloud, the bucket and the key; no secret in any output.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import faiss
import numpy as np
import pytest

from migration_yaml import faiss_config, run_command, write_yaml
from readback import assert_collection_holds

DIM = 8
ROWS = 300
CLOUD_REGIONS = {"gcp": "", "ali": "oss-cn-hangzhou", "tc": "ap-guangzhou"}


def faiss_file(path: Path, seed: int) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.choice(10**9, size=ROWS, replace=False).astype(np.int64)
    vectors = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    index = faiss.IndexIDMap(faiss.IndexFlatL2(DIM))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(path))
    return path, ids, vectors


def localhost_endpoint(bed) -> str:
    return "localhost:" + bed.s3_endpoint.rsplit(":", 1)[1]


def cloud_remote(bed, cloud: str, **extra) -> dict:
    """A bucket section for `cloud` at the bed's SeaweedFS, in the cloud's default style."""
    remote = {"cloud": cloud, "endpoint": localhost_endpoint(bed), "bucket": bed.s3_bucket,
              "ak": bed.env["MM_S3_AK"], "sk": bed.env["MM_S3_SK"], "useSSL": False,
              "useIAM": False}
    if CLOUD_REGIONS.get(cloud):
        remote["region"] = CLOUD_REGIONS[cloud]
    remote.update(extra)
    return remote


def config_for(tmp: Path, bed, name: str, source_key: str, target: dict, source: dict,
               env_name: str = "migration.yaml") -> Path:
    config = faiss_config(bed, "unused", name, f"e2e/{name}")
    config["source"] = {"mode": "remote", "remote": {**source, "faissFile": source_key}}
    config["target"]["remote"] = {**target, "outputDir": f"e2e/{name}"}
    return write_yaml(tmp / env_name, config)


def bucket_texts(bed, prefix: str) -> str:
    client = bed.s3_client()
    out = []
    for o in client.list_objects(bed.s3_bucket, prefix=prefix, recursive=True):
        if o.object_name.endswith(".json"):
            out.append(client.get_object(bed.s3_bucket, o.object_name).read().decode())
    return "\n".join(out)


def assert_no_secret(texts: list[str], secrets: list[str]) -> None:
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"a secret leaked into:\n{text[:2000]}"


# ---------------------------------------------------------------- loopback identity services

class _Handler(BaseHTTPRequestHandler):
    routes: dict[tuple[str, str], Callable[["_Handler"], tuple[int, str]]] = {}

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length).decode() if length else ""
        route = self.server.routes.get((method, self.path))  # type: ignore[attr-defined]
        status, body = route(self) if route else (404, "not found")
        self.server.calls.append((method, self.path))  # type: ignore[attr-defined]
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._serve("GET")

    def do_PUT(self):  # noqa: N802
        self._serve("PUT")

    def do_POST(self):  # noqa: N802
        self._serve("POST")

    def log_message(self, *args):
        pass


@pytest.fixture
def identity_server() -> Iterator[Callable[[dict], tuple[str, list]]]:
    """`start(routes)` serves {(method, path): handler} on 127.0.0.1; returns its URL and the
    list of calls made."""
    servers = []

    def start(routes: dict) -> tuple[str, list]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.routes = routes  # type: ignore[attr-defined]
        server.calls = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", server.calls  # type: ignore

    yield start
    for server in servers:
        server.shutdown()


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ecs_ram_role_routes(bed, expires: datetime, token: str = "") -> dict:
    """The ECS metadata service's RAM-role answers, in Alibaba's documented format. The
    SecurityToken is empty by default: SeaweedFS refuses a session token it did not issue
    itself (the header is covered by S3ClientTest.SendsTheProvidersBearerOrSessionToken)."""
    creds = {"AccessKeyId": bed.env["MM_S3_AK"], "AccessKeySecret": bed.env["MM_S3_SK"],
             "SecurityToken": token, "Expiration": iso(expires),
             "LastUpdated": iso(datetime.now(timezone.utc)), "Code": "Success"}
    base = "/latest/meta-data/ram/security-credentials/"
    return {("GET", base): lambda h: (200, "mm-role"),
            ("GET", base + "mm-role"): lambda h: (200, json.dumps(creds))}


# ---------------------------------------------------------------- dump and load per cloud

@pytest.mark.parametrize("cloud", ["gcp", "ali", "tc"])
def test_dump_and_load_through_each_cloud(cloud, testbed_s3, mm_binary, unique_collection,
                                          tmp_path):
    name = unique_collection(testbed_s3)
    path, ids, vectors = faiss_file(tmp_path / "src.index", seed=len(cloud))
    key = f"e2e-src/{name}/src.index"
    testbed_s3.s3_client().fput_object(testbed_s3.s3_bucket, key, str(path))
    remote = cloud_remote(testbed_s3, cloud)
    config = config_for(tmp_path, testbed_s3, name, key, remote, remote)

    dump = run_command(mm_binary, "dump", config)
    assert dump.returncode == 0, dump.describe()
    load = run_command(mm_binary, "load", config)
    assert load.returncode == 0, load.describe() + testbed_s3.log_tail(20)

    assert_collection_holds(testbed_s3.milvus_alias(), name, ids, vectors, binary=False,
                            metric="L2")
    scheme = {"gcp": "gs", "ali": "oss", "tc": "cos"}[cloud]
    assert f"{scheme}://{testbed_s3.s3_bucket}" in dump.output, dump.output[-3000:]
    assert_no_secret([dump.output, load.output, bucket_texts(testbed_s3, f"e2e/{name}/")],
                     [testbed_s3.env["MM_S3_SK"]])


def test_ali_ram_role_credentials(testbed_s3, mm_binary, unique_collection, tmp_path,
                                  identity_server):
    name = unique_collection(testbed_s3)
    path, ids, vectors = faiss_file(tmp_path / "src.index", seed=7)
    key = f"e2e-src/{name}/src.index"
    testbed_s3.s3_client().fput_object(testbed_s3.s3_bucket, key, str(path))
    routes = ecs_ram_role_routes(testbed_s3, datetime.now(timezone.utc) + timedelta(hours=6))
    url, calls = identity_server(routes)
    remote = cloud_remote(testbed_s3, "ali", useIAM=True, ak="", sk="")
    config = config_for(tmp_path, testbed_s3, name, key, remote, remote)
    env = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": url}

    run = run_with_env(mm_binary, "start", config, env)
    assert run.returncode == 0, run.describe()
    assert ("GET", "/latest/meta-data/ram/security-credentials/mm-role") in calls
    assert_collection_holds(testbed_s3.milvus_alias(), name, ids, vectors, binary=False,
                            metric="L2")
    assert_no_secret([run.output, bucket_texts(testbed_s3, f"e2e/{name}/")],
                     [testbed_s3.env["MM_S3_SK"]])


def routes_token(routes: dict) -> str:
    for (method, path), handler in routes.items():
        if path.endswith("mm-role"):
            return json.loads(handler(None)[1])["SecurityToken"]
    return ""


def run_with_env(binary: Path, command: str, config: Path, env: dict):
    import os
    import subprocess
    import time

    from migration_yaml import ToolRun
    cmd = [str(binary), command, "-c", str(config)]
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, env={**os.environ, **env})
    return ToolRun(cmd, done.returncode, done.stdout, done.stderr, time.monotonic() - t0)


# ---------------------------------------------------------------- errors

def test_errors_name_the_cloud_bucket_and_key(testbed_s3, mm_binary, tmp_path,
                                              identity_server):
    name = f"t_errors_{uuid.uuid4().hex[:8]}"
    path, _, _ = faiss_file(tmp_path / "src.index", seed=3)
    key = f"e2e-src/{name}/src.index"
    testbed_s3.s3_client().fput_object(testbed_s3.s3_bucket, key, str(path))
    bucket = testbed_s3.s3_bucket
    wrong_sk = f"WrongSecret-{uuid.uuid4().hex}"
    good_source = cloud_remote(testbed_s3, "aws", endpoint=testbed_s3.s3_endpoint)
    outputs = []

    def fails(tag: str, target: dict, env: dict | None = None, *expected: str):
        config = config_for(tmp_path, testbed_s3, name, key, target, good_source,
                            env_name=f"{tag}.yaml")
        run = run_with_env(mm_binary, "dump", config, env or {})
        outputs.append(run.output)
        assert run.returncode != 0, run.describe()
        for text in expected:
            assert text in run.output, f"{tag}: no {text!r} in\n{run.output[-3000:]}"
        return run

    fails("wrong_key", cloud_remote(testbed_s3, "gcp", sk=wrong_sk), None,
          "cloud gcp", f"gs://{bucket}", "target.remote.ak/sk")
    fails("missing_bucket", cloud_remote(testbed_s3, "tc", bucket="no-such-bucket-mm"), None,
          "cloud tc", "no-such-bucket-mm")
    routes = ecs_ram_role_routes(testbed_s3, datetime.now(timezone.utc) - timedelta(minutes=5),
                                 token=f"ecs-sts-{uuid.uuid4().hex}")
    url, _ = identity_server(routes)
    fails("expired_token", cloud_remote(testbed_s3, "ali", useIAM=True, ak="", sk=""),
          {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": url}, "cloud ali", f"oss://{bucket}",
          "expired")
    fails("unknown_cloud", cloud_remote(testbed_s3, "azur"), None, "target.remote.cloud",
          "aws, minio, s3, gcp, ali, tc")
    assert_no_secret(outputs, [wrong_sk, testbed_s3.env["MM_S3_SK"], routes_token(routes)])
