"""Elasticsearch at its default page setting (no dumper.worker.reader.bufferSize): a page
holds about 8 MB of JSON, sized from the documents themselves, so the dump's memory stays
flat whatever a document's size (issue 16: the 100k x 768 dump peaked at ~291 MB with pages
of 2,500 documents). 3,000 documents of 768 floats, read through a point in time and through
scrolls, must come out exactly, in pages of fewer than 2,500 documents. The peak RSS at
100k x 768 is measured in bench/start_bench.sh."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pytest

from es_fixture import EsHttp, es_config
from migration_yaml import run_tool, write_yaml
from readback import assert_collection_holds
from test_elasticsearch_e2e import drop

DIM = 768
FIELDS = [{"name": "id", "type": "long", "pk": True},
          {"name": "data", "type": "dense_vector", "dims": DIM}]


@pytest.fixture(scope="module")
def wide_index(es8):
    http = EsHttp(es8)
    index = "wide-docs"
    http.create_index(index, {"id": {"type": "long"},
                              "data": {"type": "dense_vector", "dims": DIM, "index": False}},
                      shards=2)
    rng = np.random.default_rng(41)
    vectors = rng.standard_normal((3000, DIM)).astype(np.float32)
    ids = np.arange(3000, dtype=np.int64) * 13 + 5
    http.bulk(index, [(f"d{i}", {"id": int(ids[i]), "data": [float(x) for x in vectors[i]]})
                      for i in range(len(ids))])
    return index, ids, vectors


@pytest.mark.parametrize("read_mode", ["pit", "scroll"])
def test_default_pages_follow_the_document_size(es8, wide_index, testbed_s3, mm_binary,
                                                tmp_path, read_mode):
    index, ids, vectors = wide_index
    name = f"es_pages_{read_mode}_{uuid.uuid4().hex[:8]}"
    config = es_config(es8, testbed_s3, index, FIELDS, f"e2e-es/{name}", collection=name)
    del config["dumper"]["worker"]["reader"]  # the default page setting
    config["source"]["es"]["readMode"] = read_mode
    path = write_yaml(tmp_path / "m.yaml", config)
    try:
        run = run_tool(mm_binary, "start", "-c", str(path), timeout=600)
        assert run.returncode == 0, run.describe()
        pages = [int(n) for n in re.findall(r"slice \d of 2: pages of (\d+) documents",
                                            run.output)]
        assert len(pages) == 2, run.describe()
        # ~8 MB of ~14 KB documents: a few hundred a page, not 2,500.
        assert all(100 < n < 1500 for n in pages), pages
        assert_collection_holds(testbed_s3.milvus_alias(), name, ids, vectors, binary=False,
                                metric="L2")
    finally:
        drop(testbed_s3, name)
