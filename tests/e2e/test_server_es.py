"""An Elasticsearch 8 index migrated through the REST API, sync and async, read back with
pymilvus: ids, vectors bit for bit and the scalars."""

from __future__ import annotations

import struct
import uuid

import pytest
from pymilvus import Collection, utility

from es_fixture import EsHttp, es_config
from readback import ALL_ROWS, QUERY_WINDOW, assert_collection_holds
from server_fixture import Server, env_without_proxy
from test_elasticsearch_e2e import NUMERIC_FIELDS, NUMERIC_MAPPING, numeric_docs

env_without_proxy()


@pytest.fixture(scope="module")
def server_index(es8) -> tuple[str, dict]:
    http = EsHttp(es8)
    index = "server-docs"
    http.create_index(index, NUMERIC_MAPPING, shards=2, source_excludes=["data"])
    docs, expected = numeric_docs(3000, 128, seed=11)
    http.bulk(index, docs)
    return index, expected


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_es_start_through_the_api(es8, server_index, testbed_local, mm_binary, tmp_path,
                                  asynchronous):
    index, expected = server_index
    bed = testbed_local
    name = f"es_server_{uuid.uuid4().hex[:8]}"
    config = es_config(es8, bed, index, NUMERIC_FIELDS, str(tmp_path / "out"), collection=name,
                       target_mode="local")
    s = Server(mm_binary, tmp_path)
    alias = bed.milvus_alias()
    try:
        status, answer, _ = s.request("POST", "/api/v1/start",
                                      {"async": asynchronous, "config": config})
        assert status == 200 and answer["code"] == 0, answer
        view = s.wait_job(answer["data"]["jobId"])
        assert view["jobStatus"] == "success" and view["jobProcess"] == 100, view
        assert view["collections"][0]["rowsDone"] == 3000, view
        assert_collection_holds(alias, name, expected["ids"], expected["vectors"],
                                binary=False, metric="L2")
        rows = Collection(name, using=alias).query(
            ALL_ROWS, output_fields=["id", "n", "ok", "score"], limit=QUERY_WINDOW,
            consistency_level="Strong")
        assert len(rows) == len(expected["ids"])
        for r in rows:
            n, ok, score = expected["scalars"][r["id"]]
            assert (r["n"], r["ok"]) == (n, ok), r
            assert struct.pack("f", r["score"]) == struct.pack("f", score), r
    finally:
        s.stop()
        if utility.has_collection(name, using=alias):
            utility.drop_collection(name, using=alias)
