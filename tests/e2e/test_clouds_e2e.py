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


# ---------------------------------------------------------------- gcp OAuth2 (useIAM)

FAKE_GCS = Path.home() / ".cache/milvus-migration/bin/fake-gcs-server"
GCS_BUCKET = "gcs-source"


@pytest.fixture(scope="module")
def fake_gcs(tmp_path_factory) -> Iterator[dict]:
    """fake-gcs-server (built by scripts/setup.sh) serving the XML API on localhost, with a
    FAISS file preloaded into GCS_BUCKET. It does not check tokens: the token endpoint below
    checks the JWT, this serves the storage calls."""
    import os
    import socket
    import subprocess
    import time

    from conftest import PORT_BASE
    if not FAKE_GCS.exists():
        pytest.skip(f"{FAKE_GCS} not built (scripts/setup.sh)")
    port = PORT_BASE + 285
    data = tmp_path_factory.mktemp("gcs-data")
    (data / GCS_BUCKET).mkdir()
    path, ids, vectors = faiss_file(data / GCS_BUCKET / "src.index", seed=11)
    log = open(data.parent / "fake-gcs.log", "w")
    proc = subprocess.Popen(
        [str(FAKE_GCS), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
         "-public-host", f"localhost:{port}", "-backend", "memory", "-data", str(data)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "fake-gcs-server"
                time.sleep(0.2)
        yield {"endpoint": f"localhost:{port}", "ids": ids, "vectors": vectors}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def b64url_decode(s: str) -> bytes:
    import base64
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def service_account_routes(public_key, token: str, seen: list) -> dict:
    """An OAuth2 token endpoint (RFC 7523 JWT bearer grant) that verifies the assertion's
    RS256 signature with the service account's public key, and its claims."""
    from urllib.parse import parse_qs

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def token_endpoint(h):
        form = parse_qs(h.body)
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return 400, json.dumps({"error": "unsupported_grant_type"})
        header, payload, signature = form["assertion"][0].split(".")
        try:
            public_key.verify(b64url_decode(signature), f"{header}.{payload}".encode(),
                              padding.PKCS1v15(), hashes.SHA256())
        except Exception:  # noqa: BLE001
            return 400, json.dumps({"error": "invalid_grant",
                                    "error_description": "Invalid JWT Signature."})
        claims = json.loads(b64url_decode(payload))
        seen.append((json.loads(b64url_decode(header)), claims))
        return 200, json.dumps({"access_token": token, "expires_in": 3599,
                                "token_type": "Bearer"})
    return {("POST", "/token"): token_endpoint}


@pytest.mark.parametrize("via", ["service_account", "metadata"])
def test_gcp_oauth2_source(via, fake_gcs, testbed_s3, mm_binary, unique_collection, tmp_path,
                           identity_server):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    name = unique_collection(testbed_s3)
    token = f"ya29.{uuid.uuid4().hex}"
    seen: list = []
    if via == "service_account":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        url, calls = identity_server(service_account_routes(key.public_key(), token, seen))
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        key_file = tmp_path / "sa.json"
        key_file.write_text(json.dumps({
            "type": "service_account", "project_id": "mm-test", "private_key_id": "k1",
            "private_key": pem, "client_email": "mm@mm-test.iam.gserviceaccount.com",
            "token_uri": f"{url}/token"}))
        env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
        secrets = [token, pem.splitlines()[1]]
    else:
        def metadata(h):
            if h.headers.get("Metadata-Flavor") != "Google":
                return 403, "missing Metadata-Flavor"
            return 200, json.dumps({"access_token": token, "expires_in": 3599,
                                    "token_type": "Bearer"})
        url, calls = identity_server({
            ("GET", "/computeMetadata/v1/instance/service-accounts/default/token"): metadata})
        env = {"GCE_METADATA_HOST": url, "GOOGLE_APPLICATION_CREDENTIALS": ""}
        secrets = [token]
    source = {"cloud": "gcp", "endpoint": fake_gcs["endpoint"], "bucket": GCS_BUCKET,
              "useIAM": True, "useSSL": False, "checkBucket": False}
    target = cloud_remote(testbed_s3, "aws", endpoint=testbed_s3.s3_endpoint)
    config = config_for(tmp_path, testbed_s3, name, "src.index", target, source)

    run = run_with_env(mm_binary, "start", config, env)
    assert run.returncode == 0, run.describe()
    assert calls, "the token was never fetched"
    if via == "service_account":
        header, claims = seen[0]
        assert header["alg"] == "RS256" and header["kid"] == "k1"
        assert claims["iss"] == "mm@mm-test.iam.gserviceaccount.com"
        assert claims["aud"] == f"{url}/token"
        assert claims["scope"] == "https://www.googleapis.com/auth/devstorage.read_write"
        assert claims["exp"] - claims["iat"] == 3600
    assert_collection_holds(testbed_s3.milvus_alias(), name, fake_gcs["ids"],
                            fake_gcs["vectors"], binary=False, metric="L2")
    assert_no_secret([run.output, bucket_texts(testbed_s3, f"e2e/{name}/")], secrets)


def test_gcp_oauth2_refused_token_is_an_error(fake_gcs, testbed_s3, mm_binary, tmp_path,
                                              identity_server):
    """A service-account key the token endpoint does not accept (here: signed by another
    key) fails naming the cloud, the bucket and the key file, not the key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    url, _ = identity_server(service_account_routes(other.public_key(), "never", []))
    pem = signer.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption()).decode()
    key_file = tmp_path / "sa.json"
    key_file.write_text(json.dumps({"type": "service_account", "private_key": pem,
                                    "client_email": "mm@x.iam.gserviceaccount.com",
                                    "token_uri": f"{url}/token"}))
    source = {"cloud": "gcp", "endpoint": fake_gcs["endpoint"], "bucket": GCS_BUCKET,
              "useIAM": True, "useSSL": False, "checkBucket": False}
    target = cloud_remote(testbed_s3, "aws", endpoint=testbed_s3.s3_endpoint)
    config = config_for(tmp_path, testbed_s3, "t_refused", "src.index", target, source)
    run = run_with_env(mm_binary, "dump", config, {"GOOGLE_APPLICATION_CREDENTIALS":
                                                   str(key_file)})
    assert run.returncode != 0, run.describe()
    for text in ("cloud gcp", f"gs://{GCS_BUCKET}/src.index", str(key_file),
                 "Invalid JWT Signature"):
        assert text in run.output, f"no {text!r} in\n{run.output}"
    assert_no_secret([run.output], [pem.splitlines()[1]])


# ---------------------------------------------------------------- aws useIAM

AEMM = Path.home() / ".cache/milvus-migration/bin/ec2-metadata-mock"
AWS_IAM_CLEAR = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
                 "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": ""}


@pytest.fixture
def ec2_metadata_mock(tmp_path) -> Iterator[Callable[[dict | None], str]]:
    """`start(credentials)`: amazon-ec2-metadata-mock (built by scripts/setup.sh) in IMDSv2-only
    mode on loopback, serving `credentials` as the instance role's (None: its own defaults,
    which expired in 2020). Returns its URL."""
    import socket
    import subprocess
    import time

    from conftest import PORT_BASE
    if not AEMM.exists():
        pytest.skip(f"{AEMM} not built (scripts/setup.sh)")
    procs = []

    def start(credentials: dict | None) -> str:
        port = PORT_BASE + 286 + len(procs)
        config = {"metadata": {"values": {"iam-security-credentials": credentials}}} \
            if credentials else {}
        cfg = tmp_path / f"aemm-{len(procs)}.json"
        cfg.write_text(json.dumps(config))
        log = open(tmp_path / f"aemm-{len(procs)}.log", "w")
        proc = subprocess.Popen([str(AEMM), "-n", "127.0.0.1", "-p", str(port), "-I", "-c",
                                 str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=tmp_path)
        procs.append((proc, log))
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "ec2-metadata-mock"
                time.sleep(0.2)

    yield start
    for proc, log in procs:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_aws_imdsv2_instance_role(testbed_s3, mm_binary, unique_collection, tmp_path,
                                  ec2_metadata_mock):
    name = unique_collection(testbed_s3)
    path, ids, vectors = faiss_file(tmp_path / "src.index", seed=21)
    key = f"e2e-src/{name}/src.index"
    testbed_s3.s3_client().fput_object(testbed_s3.s3_bucket, key, str(path))
    expires = datetime.now(timezone.utc) + timedelta(hours=6)
    # No Token: SeaweedFS refuses a session token it did not issue itself.
    url = ec2_metadata_mock({"Code": "Success", "LastUpdated": iso(datetime.now(timezone.utc)),
                             "Type": "AWS-HMAC", "AccessKeyId": testbed_s3.env["MM_S3_AK"],
                             "SecretAccessKey": testbed_s3.env["MM_S3_SK"], "Token": "",
                             "Expiration": iso(expires)})
    remote = cloud_remote(testbed_s3, "aws", endpoint=testbed_s3.s3_endpoint, useIAM=True,
                          ak="", sk="")
    config = config_for(tmp_path, testbed_s3, name, key, remote, remote)
    run = run_with_env(mm_binary, "start", config,
                       {**AWS_IAM_CLEAR, "AWS_EC2_METADATA_SERVICE_ENDPOINT": url})
    assert run.returncode == 0, run.describe()
    assert_collection_holds(testbed_s3.milvus_alias(), name, ids, vectors, binary=False,
                            metric="L2")
    assert_no_secret([run.output, bucket_texts(testbed_s3, f"e2e/{name}/")],
                     [testbed_s3.env["MM_S3_SK"]])


def test_aws_imds_expired_credentials_are_an_error(testbed_s3, mm_binary, tmp_path,
                                                   ec2_metadata_mock):
    """ec2-metadata-mock's own example credentials expired in 2020."""
    url = ec2_metadata_mock(None)
    remote = cloud_remote(testbed_s3, "aws", endpoint=testbed_s3.s3_endpoint, useIAM=True,
                          ak="", sk="")
    config = config_for(tmp_path, testbed_s3, "t_expired", "e2e-src/none", remote, remote)
    run = run_with_env(mm_binary, "dump", config,
                       {**AWS_IAM_CLEAR, "AWS_EC2_METADATA_SERVICE_ENDPOINT": url})
    assert run.returncode != 0, run.describe()
    for text in ("cloud aws", f"s3://{testbed_s3.s3_bucket}", "expired", "EC2 instance"):
        assert text in run.output, f"no {text!r} in\n{run.output}"
    assert_no_secret([run.output], ["v/12345678901", "TEST92test48TEST"])


def test_aws_web_identity(testbed_s3, mm_binary, unique_collection, tmp_path, identity_server):
    """EKS IRSA: the projected token file goes to STS AssumeRoleWithWebIdentity (a loopback
    STS answering in the documented XML; no published emulator hands out keys SeaweedFS
    knows), and the keys it returns sign the requests to SeaweedFS."""
    from urllib.parse import parse_qs

    name = unique_collection(testbed_s3)
    path, ids, vectors = faiss_file(tmp_path / "src.index", seed=31)
    key = f"e2e-src/{name}/src.index"
    testbed_s3.s3_client().fput_object(testbed_s3.s3_bucket, key, str(path))
    web_token = f"eyJhbGciOiJSUzI1NiJ9.irsa-{uuid.uuid4().hex}.sig"
    (tmp_path / "token").write_text(web_token + "\n")
    role = "arn:aws:iam::123456789012:role/mm-migration"
    expires = iso(datetime.now(timezone.utc) + timedelta(hours=1))

    def sts(h):
        form = parse_qs(h.body)
        if (form.get("Action") != ["AssumeRoleWithWebIdentity"] or form.get("RoleArn") != [role]
                or form.get("WebIdentityToken") != [web_token]):
            return 400, ("<ErrorResponse><Error><Code>InvalidIdentityToken</Code>"
                         "<Message>bad request</Message></Error></ErrorResponse>")
        return 200, ("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                     f"<Credentials><AccessKeyId>{testbed_s3.env['MM_S3_AK']}</AccessKeyId>"
                     f"<SecretAccessKey>{testbed_s3.env['MM_S3_SK']}</SecretAccessKey>"
                     f"<SessionToken></SessionToken><Expiration>{expires}</Expiration>"
                     "</Credentials></AssumeRoleWithWebIdentityResult>"
                     "</AssumeRoleWithWebIdentityResponse>")
    url, calls = identity_server({("POST", "/"): sts})
    remote = cloud_remote(testbed_s3, "aws", endpoint=testbed_s3.s3_endpoint, useIAM=True,
                          ak="", sk="")
    config = config_for(tmp_path, testbed_s3, name, key, remote, remote)
    run = run_with_env(mm_binary, "start", config,
                       {**AWS_IAM_CLEAR, "AWS_ROLE_ARN": role,
                        "AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path / "token"),
                        "AWS_ENDPOINT_URL_STS": url})
    assert run.returncode == 0, run.describe()
    assert ("POST", "/") in calls
    assert_collection_holds(testbed_s3.milvus_alias(), name, ids, vectors, binary=False,
                            metric="L2")
    assert_no_secret([run.output, bucket_texts(testbed_s3, f"e2e/{name}/")],
                     [testbed_s3.env["MM_S3_SK"], web_token])
