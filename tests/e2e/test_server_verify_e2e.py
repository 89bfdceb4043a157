"""verify as a REST-server job phase (issue 16): a start job with "verify": true proves its
own migration and keeps the report with the job (get_job's verify.report and GET
/api/v1/verify_report); after a row is deleted by hand, a verify job (POST /api/v1/verify)
fails and its report names the missing pk. Malformed verify requests get 400."""

from __future__ import annotations

import pytest
from pymilvus import Collection

from migration_yaml import faiss_config
from server_fixture import Server, env_without_proxy, yaml_text
from test_server_api import make_index

env_without_proxy()


@pytest.fixture
def server(mm_binary, tmp_path):
    s = Server(mm_binary, tmp_path)
    yield s
    s.stop()


def test_start_with_verify_then_a_verify_job_finds_a_deleted_row(server, testbed_local,
                                                                 unique_collection, tmp_path):
    bed = testbed_local
    path, ids, vectors = make_index(tmp_path, 3000, 16, 31)
    name = unique_collection(bed)
    config = yaml_text(faiss_config(bed, path, name, tmp_path / "out", target_mode="local"))

    status, answer, _ = server.request("POST", "/api/v1/start",
                                       {"async": False, "verify": True, "config": config})
    assert status == 200 and answer["code"] == 0, answer
    job_id = answer["data"]["jobId"]
    view = server.job(job_id)
    assert view["jobStatus"] == "success", view
    assert view["verify"]["enabled"] is True, view
    assert view["verify"]["report"]["result"] == "match", view
    status, answer, _ = server.request("GET", f"/api/v1/verify_report?jobId={job_id}")
    assert status == 200 and answer["code"] == 0, answer
    report = answer["data"]
    assert report["result"] == "match" and report["source_rows"] == 3000, report
    assert report["target_rows"] == 3000 and report["collections"][0]["name"] == name

    # A job without verify has no report.
    status, answer, _ = server.request("POST", "/api/v1/dump",
                                       {"async": False, "config": config})
    assert status == 200 and answer["code"] == 0, answer
    status, answer, _ = server.request(
        "GET", f"/api/v1/verify_report?jobId={answer['data']['jobId']}")
    assert status == 404 and "no verify report" in answer["msg"], answer

    # One row deleted by hand: a verify job fails and names it.
    gone = int(ids[17])
    coll = Collection(name, using=bed.milvus_alias())
    coll.delete(f"id in [{gone}]")
    coll.flush()
    status, answer, _ = server.request("POST", "/api/v1/verify",
                                       {"async": True, "verifySample": 100, "config": config})
    assert status == 200 and answer["code"] == 0, answer
    verify_id = answer["data"]["jobId"]
    assert verify_id.startswith("verify_")
    view = server.wait_job(verify_id)
    assert view["jobStatus"] == "fail" and view["kind"] == "verify", view
    assert "does not hold exactly" in view["msg"], view
    status, answer, _ = server.request("GET", f"/api/v1/verify_report?jobId={verify_id}")
    assert status == 200, answer
    report = answer["data"]
    assert report["result"] == "mismatch", report
    [c] = report["collections"]
    assert c["missing"]["count"] == 1 and str(gone) in " ".join(c["missing"]["examples"]), c


def test_malformed_verify_requests_get_400(server):
    for path, body, text in [
        ("/api/v1/start", {"verify": "yes"}, "[verify] must be true or false"),
        ("/api/v1/dump", {"verify": True}, "[verify] is for start and load"),
        ("/api/v1/load", {"verify": True, "verifySample": 0}, "[verifySample]"),
        ("/api/v1/verify", {"verifySample": 150}, "[verifySample]"),
    ]:
        status, answer, _ = server.request("POST", path, body)
        assert status == 400 and text in answer["msg"], (path, answer)
    status, answer, _ = server.request("GET", "/api/v1/verify_report")
    assert status == 400 and "[jobId]" in answer["msg"], answer
    status, answer, _ = server.request("GET", "/api/v1/verify_report?jobId=nope")
    assert status == 404, answer
