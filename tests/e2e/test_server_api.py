"""`milvus-migration server run`: the REST API against a real Milvus bed.

FAISS jobs through the API (sync and async, the config as YAML text and as a JSON object),
read back with pymilvus; a failing job; a server SIGKILLed mid-job, restarted, the job
resumed and every row there exactly once; malformed requests; secrets kept out of answers,
logs and the job database; the OpenAPI document against the routes.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from migration_yaml import faiss_config
from readback import assert_collection_holds
from server_fixture import Server, env_without_proxy, yaml_text
from test_faiss_e2e import write_idmap_index

env_without_proxy()


def make_index(tmp_path, rows: int, dim: int, seed: int):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    ids = rng.choice(np.int64(1) << 60, size=rows, replace=False).astype(np.int64)
    return write_idmap_index(tmp_path / f"i{seed}.index", ids, vectors, "L2"), ids, vectors


@pytest.fixture
def server(mm_binary, tmp_path):
    s = Server(mm_binary, tmp_path)
    yield s
    s.stop()


def test_faiss_sync_start_with_yaml_config(server, testbed_local, unique_collection, tmp_path):
    bed = testbed_local
    path, ids, vectors = make_index(tmp_path, 3000, 32, 1)
    name = unique_collection(bed)
    config = faiss_config(bed, path, name, tmp_path / "out", target_mode="local")
    status, answer, headers = server.request(
        "POST", "/api/v1/start", {"async": False, "config": yaml_text(config)},
        headers={"RequestId": "req-sync-1"})
    assert status == 200, answer
    assert answer["code"] == 0 and answer["msg"] == "success", answer
    assert answer["requestId"] == "req-sync-1" and headers["RequestId"] == "req-sync-1"
    job = server.job(answer["data"]["jobId"])
    assert job["jobStatus"] == "success" and job["jobProcess"] == 100, job
    assert job["collections"][0]["collection"] == name
    assert job["collections"][0]["rowsDone"] == 3000, job
    assert job["collections"][0]["importTaskIds"], job
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")


def test_faiss_async_dump_then_load_with_json_config(server, testbed_local, unique_collection,
                                                     tmp_path):
    bed = testbed_local
    path, ids, vectors = make_index(tmp_path, 4000, 16, 2)
    name = unique_collection(bed)
    config = faiss_config(bed, path, name, tmp_path / "out", target_mode="local")
    for kind in ("dump", "load"):
        status, answer, _ = server.request("POST", f"/api/v1/{kind}",
                                           {"async": True, "config": config})
        assert status == 200 and answer["code"] == 0, answer
        job_id = answer["data"]["jobId"]
        assert job_id.startswith(kind + "_")
        view = server.wait_job(job_id)
        assert view["jobStatus"] == "success", view
        assert view["rowsDone"] == 4000 and view["rowsTotal"] == 4000, view
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")
    # Both listed, newest first.
    status, answer, _ = server.request("GET", "/api/v1/jobs?limit=1")
    assert status == 200 and answer["data"]["total"] == 2, answer
    assert answer["data"]["jobs"][0]["kind"] == "load"
    status, answer, _ = server.request("GET", "/api/v1/jobs?offset=1&limit=5")
    assert [j["kind"] for j in answer["data"]["jobs"]] == ["dump"]


def test_jobs_with_their_own_configs_run_at_once(server, testbed_local, unique_collection,
                                                tmp_path):
    bed = testbed_local
    jobs = []
    for seed in (5, 6):
        path, ids, vectors = make_index(tmp_path, 2000, 8, seed)
        name = unique_collection(bed)
        config = faiss_config(bed, path, name, tmp_path / f"out{seed}", target_mode="local")
        _, answer, _ = server.request("POST", "/api/v1/start", {"async": True, "config": config})
        assert answer["code"] == 0, answer
        jobs.append((answer["data"]["jobId"], name, ids, vectors))
    for job_id, name, ids, vectors in jobs:
        assert server.wait_job(job_id)["jobStatus"] == "success"
        assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False,
                                metric="L2")


def test_failing_job_ends_fail_with_its_message(server, testbed_local, tmp_path):
    config = faiss_config(testbed_local, tmp_path / "missing.index", "c_missing",
                          tmp_path / "out", target_mode="local")
    status, answer, _ = server.request("POST", "/api/v1/dump", {"async": True, "config": config})
    assert status == 200 and answer["code"] == 0, answer
    view = server.wait_job(answer["data"]["jobId"])
    assert view["jobStatus"] == "fail", view
    assert "missing.index" in view["msg"], view
    # Sync: the Go tool's answer, HTTP 200 with code 500 and the error.
    status, answer, _ = server.request("POST", "/api/v1/dump", {"config": config})
    assert status == 200 and answer["code"] == 500 and "missing.index" in answer["msg"], answer
    assert answer["data"]["jobId"]


def test_second_job_on_the_same_output_is_refused_naming_the_first(
        mm_binary, testbed_local, unique_collection, tmp_path):
    bed = testbed_local
    path, _, _ = make_index(tmp_path, 6000, 256, 3)
    name = unique_collection(bed)
    config = faiss_config(bed, path, name, tmp_path / "out", target_mode="local",
                          overrides={"dumper.worker.partSizeMB": 1, "loader.worker.limit": 1})
    s = Server(mm_binary, tmp_path)
    try:
        _, first, _ = s.request("POST", "/api/v1/start", {"async": True, "config": config})
        first_id = first["data"]["jobId"]
        status, second, _ = s.request("POST", "/api/v1/dump", {"async": True, "config": config})
        assert status == 409 and second["code"] == 500, second
        assert first_id in second["msg"], second
        # cancel_job stops it at its next safe point.
        status, answer, _ = s.request("POST", "/api/v1/cancel_job", {"jobId": first_id})
        assert status == 200 and answer["code"] == 0, answer
        view = s.wait_job(first_id)
        assert view["jobStatus"] == "fail" and "cancelled" in view["msg"], view
    finally:
        s.stop()


def test_sigkill_mid_dump_then_restart_and_resume_gives_every_row_once(
        mm_binary, testbed_local, unique_collection, tmp_path):
    bed = testbed_local
    rows = 12000  # under readback's query window; 24 MB, so the dump takes a while
    path, ids, vectors = make_index(tmp_path, rows, 512, 4)
    name = unique_collection(bed)
    config = faiss_config(bed, path, name, tmp_path / "out", target_mode="local",
                          overrides={"dumper.worker.partSizeMB": 4, "dumper.worker.limit": 1,
                                     "dumper.worker.reader.bufferSize": 64})
    s = Server(mm_binary, tmp_path)
    _, answer, _ = s.request("POST", "/api/v1/start", {"async": True, "config": config})
    job_id = answer["data"]["jobId"]
    deadline = time.time() + 120
    while time.time() < deadline:
        view = s.job(job_id)
        if view["jobStatus"] != "running" or view["rowsDone"] > 0:
            break
    assert view["jobStatus"] == "running" and view["phase"] == "dump", view
    assert 0 < view["rowsDone"] < rows, view
    s.kill()

    s = Server(mm_binary, tmp_path)
    try:
        status, answer, _ = s.request("GET", "/api/v1/jobs")
        listed = {j["jobId"]: j for j in answer["data"]["jobs"]}
        assert listed[job_id]["jobStatus"] == "interrupted", listed
        assert "resume_job" in listed[job_id]["msg"]
        status, answer, _ = s.request("POST", "/api/v1/resume_job", {"jobId": job_id})
        assert status == 200 and answer["code"] == 0, answer
        view = s.wait_job(job_id)
        assert view["jobStatus"] == "success", (view, s.log_text()[-3000:])
        assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False,
                                metric="L2")
    finally:
        s.stop()


SECRETS = ("AKsecretValue123", "SKsecretValue456", "MilvusPwSecret789")


def test_secrets_never_in_answers_logs_or_the_database(server, testbed_local, tmp_path):
    config = faiss_config(testbed_local, tmp_path / "x.index", "c_secret", "out",
                          target_mode="local")
    config["target"]["mode"] = "remote"
    config["target"]["remote"] = {"outputDir": "out", "cloud": "aws", "endpoint": "127.0.0.1:9",
                                  "region": "us-east-1", "bucket": "b", "ak": SECRETS[0],
                                  "sk": SECRETS[1], "useIAM": False, "useSSL": False}
    config["retry"] = {"budgetSeconds": 2}  # the unreachable bucket fails fast
    config["target"]["milvus2x"]["password"] = SECRETS[2]
    config["target"]["milvus2x"]["username"] = "root"
    answers = []
    for kind in ("dump", "start"):
        answers.append(server.request("POST", f"/api/v1/{kind}", {"config": config}))
    for _, a, _ in list(answers):
        if a.get("data") and a["data"].get("jobId"):
            answers.append(server.request("GET", f"/api/v1/get_job?jobId={a['data']['jobId']}"))
    answers.append(server.request("GET", "/api/v1/jobs"))
    jobs = answers[-1][1]["data"]["jobs"]
    assert len(jobs) == 2 and all("ak: " in j["config"] and "***" in j["config"] for j in jobs)
    text = json.dumps([a for _, a, _ in answers]) + server.log_text()
    db = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    for secret in SECRETS:
        assert secret not in text, text
        assert secret.encode() not in db


def test_malformed_requests_get_4xx_and_the_server_stays_up(server):
    big = b'{"async": true, "config": "' + b"a" * (2 << 20) + b'"}'
    cases: list[tuple[str, str, bytes | None, dict]] = [
        ("POST", "/api/v1/start", b"{", {}),
        ("POST", "/api/v1/start", b'{"async": tru', {}),
        ("POST", "/api/v1/start", b'{"async": true', {}),
        ("POST", "/api/v1/dump", b"[1, 2]", {}),
        ("POST", "/api/v1/dump", b'"text"', {}),
        ("POST", "/api/v1/dump", b"42", {}),
        ("POST", "/api/v1/dump", b"null", {}),
        ("POST", "/api/v1/load", b"\xff\xfe\x00", {}),
        ("POST", "/api/v1/load", b'{"async": "yes"}', {}),
        ("POST", "/api/v1/load", b'{"async": 1}', {}),
        ("POST", "/api/v1/start", b'{"collectionNames": "a,b"}', {}),
        ("POST", "/api/v1/start", b'{"collectionNames": [1, 2]}', {}),
        ("POST", "/api/v1/start", b'{"collectionNames": [""]}', {}),
        ("POST", "/api/v1/start", b'{"requestId": 5}', {}),
        ("POST", "/api/v1/start", b'{"config": 5}', {}),
        ("POST", "/api/v1/start", b'{"config": [1]}', {}),
        ("POST", "/api/v1/start", b'{"config": true}', {}),
        ("POST", "/api/v1/start", b'{"config": "a: [1, 2"}', {}),
        ("POST", "/api/v1/start", b'{"config": "dumper: {worker: {limit: abc}}"}', {}),
        ("POST", "/api/v1/start", b'{"config": {"dumper": {"worker": {"limit": "x"}}}}', {}),
        ("POST", "/api/v1/start", b'{"config": {"dumper": {"worker": {"workMode": "nope"}}}}',
         {}),
        ("POST", "/api/v1/start", b'{"config": ""}', {}),
        ("POST", "/api/v1/start", b'{"config": "just text"}', {}),
        ("POST", "/api/v1/start", big, {}),
        ("POST", "/api/v1/start", None, {}),  # no config in the request, no configs/ file
        ("GET", "/api/v1/get_job", None, {}),
        ("GET", "/api/v1/get_job?jobId=", None, {}),
        ("GET", "/api/v1/get_job?jobId=../../etc/passwd", None, {}),
        ("GET", "/api/v1/get_job?jobId=..%2F..%2Fjobs.sqlite3", None, {}),
        ("GET", "/api/v1/get_job?jobId=%00", None, {}),
        ("GET", "/api/v1/get_job?jobId=" + "a" * 100, None, {}),
        ("GET", "/api/v1/get_job?jobId=start_nope", None, {}),
        ("GET", "/api/v1/get_job?jobId=x%27%20OR%201%3D1", None, {}),
        ("GET", "/api/v1/jobs?limit=0", None, {}),
        ("GET", "/api/v1/jobs?limit=-1", None, {}),
        ("GET", "/api/v1/jobs?limit=abc", None, {}),
        ("GET", "/api/v1/jobs?offset=-5", None, {}),
        ("GET", "/api/v1/jobs?limit=100000", None, {}),
        ("POST", "/api/v1/cancel_job", b"{}", {}),
        ("POST", "/api/v1/cancel_job", b'{"jobId": 5}', {}),
        ("POST", "/api/v1/cancel_job", b'{"jobId": "../x"}', {}),
        ("POST", "/api/v1/cancel_job", b'{"jobId": "dump_unknown"}', {}),
        ("POST", "/api/v1/cancel_job", b"{", {}),
        ("POST", "/api/v1/resume_job", b"{}", {}),
        ("POST", "/api/v1/resume_job", b'{"jobId": "dump_unknown"}', {}),
        ("POST", "/api/v1/resume_job", b'{"jobId": "a/b"}', {}),
        ("POST", "/api/v1/resume_job", b'{"jobId": "x", "config": 3}', {}),
        ("GET", "/api/v1/nope", None, {}),
        ("GET", "/api/v2/healthy", None, {}),
        ("GET", "/api/v1/../../etc/passwd", None, {}),
        ("GET", "/api/v1/%2e%2e/%2e%2e/etc/passwd", None, {}),
        ("GET", "/docs/../../../etc/passwd", None, {}),
        ("GET", "/docs/%2e%2e%2fjobs.sqlite3", None, {}),
        ("GET", "/docs/nope.js", None, {}),
        ("DELETE", "/api/v1/healthy", None, {}),
        ("PUT", "/api/v1/start", b"{}", {}),
        ("GET", "/api/v1/start", None, {}),
        ("POST", "/api/v1/get_job", b"{}", {}),
        ("POST", "/api/v1/start", b"{}", {"Content-Length": "99999999999"}),
    ]
    assert len(cases) >= 50
    for method, path, raw, headers in cases:
        try:
            status, answer, _ = server.request(method, path, raw=raw, headers=headers,
                                               timeout=30)
        except (ConnectionError, OSError):
            status, answer = 400, {}  # the server may close a connection it refuses
        assert 400 <= status < 500, (method, path, raw[:80] if raw else raw, status, answer)
        if answer and "_raw" not in answer:
            assert answer["code"] == 500 and answer["msg"], (path, answer)
        status, answer, _ = server.request("GET", "/api/v1/healthy")
        assert status == 200 and answer["data"] == "ok", (path, "server down after it")
    # The key at fault is named.
    _, answer, _ = server.request("POST", "/api/v1/start", raw=b'{"async": "yes"}')
    assert "[async]" in answer["msg"], answer
    _, answer, _ = server.request(
        "POST", "/api/v1/start", raw=b'{"config": {"dumper": {"worker": {"limit": "x"}}}}')
    assert "dumper.worker.limit" in answer["msg"], answer


def test_token_is_required_on_every_route_but_healthy(mm_binary, tmp_path):
    (tmp_path / "token").write_text("t0ken-value\n")
    s = Server(mm_binary, tmp_path, "--token-file", str(tmp_path / "token"))
    try:
        s.token = None
        assert s.request("GET", "/api/v1/healthy")[0] == 200
        for method, path in (("GET", "/api/v1/jobs"), ("GET", "/api/v1/get_job?jobId=a"),
                             ("POST", "/api/v1/start"), ("POST", "/api/v1/cancel_job")):
            status, answer, _ = s.request(method, path, raw=b"{}" if method == "POST" else None)
            assert status == 401 and answer["code"] == 500, (path, answer)
        status, _, _ = s.request("GET", "/api/v1/jobs",
                                 headers={"Authorization": "Bearer wrong-value"})
        assert status == 401
        s.token = "t0ken-value"
        assert s.request("GET", "/api/v1/jobs")[0] == 200
        assert "t0ken-value" not in s.log_text()
    finally:
        s.stop()


def test_openapi_document_matches_the_routes(server):
    status, doc, _ = server.request("GET", "/api/v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/v1/healthy", "/api/v1/start", "/api/v1/dump", "/api/v1/load", "/api/v1/get_job",
        "/api/v1/jobs", "/api/v1/cancel_job", "/api/v1/resume_job", "/api/v1/openapi.json",
        "/api/v1/verify", "/api/v1/verify_report"}
    for path, methods in doc["paths"].items():
        for method in methods:
            status, answer, _ = server.request(method.upper(), path,
                                               raw=b"{" if method == "post" else None)
            assert status != 404 or answer.get("msg") != "no such route", (method, path)
    status, _, _ = server.request("GET", "/api/v1/undocumented")
    assert status == 404
