"""Elasticsearch 8.x indexes migrated into Milvus 2.x and read back with pymilvus, vectors bit
for bit; sliced and unsliced reads; bad inputs; TLS and every auth mode against a node with
security on."""

from __future__ import annotations

import struct
import uuid
from pathlib import Path

import numpy as np
import pytest
from pymilvus import Collection, utility

from es_fixture import EsHttp, es_config
from migration_yaml import ToolRun, run_tool, write_yaml
from readback import ALL_ROWS, QUERY_WINDOW, assert_collection_holds

DIM = 128


def numeric_docs(n: int, dim: int, seed: int) -> tuple[list[tuple[str, dict]], dict]:
    """Documents with a long pk `id`, a vector `data` and a few scalars; and what Milvus must
    hold: ids, float32 vectors, and the scalars by id."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    ids = (np.arange(n, dtype=np.int64) * 7919 + 3) * 1_000_003  # large, above 2^32
    docs, scalars = [], {}
    for i in range(n):
        doc = {"id": int(ids[i]), "data": [float(x) for x in vectors[i]],
               "n": int(i % 50000 - 25000), "ok": bool(i % 3 == 0), "score": float(np.float32(i / 8))}
        docs.append((f"doc-{i}", doc))
        scalars[int(ids[i])] = (doc["n"], doc["ok"], doc["score"])
    return docs, {"ids": ids, "vectors": vectors, "scalars": scalars}


NUMERIC_FIELDS = [{"name": "id", "type": "long", "pk": True},
                  {"name": "data", "type": "dense_vector", "dims": DIM},
                  {"name": "n", "type": "integer"},
                  {"name": "ok", "type": "boolean"},
                  {"name": "score", "type": "float"}]
NUMERIC_MAPPING = {"id": {"type": "long"},
                   "data": {"type": "dense_vector", "dims": DIM, "index": False},
                   "n": {"type": "integer"}, "ok": {"type": "boolean"},
                   "score": {"type": "float"}}


@pytest.fixture(scope="module")
def numeric_index(es8) -> tuple[str, dict]:
    """6,000 documents whose vectors are excluded from _source (read from doc values)."""
    http = EsHttp(es8)
    index = "numeric-docs"
    http.create_index(index, NUMERIC_MAPPING, shards=3, source_excludes=["data"])
    docs, expected = numeric_docs(6000, DIM, seed=3)
    http.bulk(index, docs)
    return index, expected


def run(binary: Path, command: str, config_path: Path, *extra: str) -> ToolRun:
    return run_tool(binary, command, "-c", str(config_path), *extra, timeout=900)


def drop(bed, name: str) -> None:
    alias = bed.milvus_alias()
    if utility.has_collection(name, using=alias):
        utility.drop_collection(name, using=alias)


def test_numeric_index_with_vectors_outside_source(es8, numeric_index, testbed_s3, mm_binary,
                                                   tmp_path):
    index, expected = numeric_index
    name = f"es_numeric_{uuid.uuid4().hex[:8]}"
    config = es_config(es8, testbed_s3, index, NUMERIC_FIELDS, f"e2e-es/{name}",
                       collection=name, limit=3)
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        alias = testbed_s3.milvus_alias()
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
        drop(testbed_s3, name)


def dumped_ids(out: Path) -> list[int]:
    ids = [np.load(p) for p in sorted(out.rglob("id.npy"))]
    return sorted(np.concatenate(ids).tolist()) if ids else []


def test_sliced_and_unsliced_reads_give_the_same_rows(es8, numeric_index, testbed_s3, mm_binary,
                                                      tmp_path):
    index, expected = numeric_index
    got = {}
    for slices in (1, 4):
        out = tmp_path / f"out{slices}"
        config = es_config(es8, testbed_s3, index, NUMERIC_FIELDS, str(out), target_mode="local",
                           collection="unused_name", limit=2, reader_buffer=700)
        config["source"]["es"]["slices"] = slices
        done = run(mm_binary, "dump", write_yaml(tmp_path / f"m{slices}.yaml", config))
        assert done.returncode == 0, done.describe()
        got[slices] = dumped_ids(out)
    assert got[1] == got[4] == sorted(expected["ids"].tolist())


@pytest.mark.parametrize("damage,fragments", [
    ("missing_index", ["no-such-index", "does not exist"]),
    ("field_not_in_mapping", ["'absent'", "not in the mapping"]),
    ("dims_mismatch", ["dims", "64"]),
])
def test_bad_input(es8, numeric_index, testbed_s3, mm_binary, tmp_path, damage, fragments):
    index, _ = numeric_index
    fields = [dict(f) for f in NUMERIC_FIELDS]
    if damage == "missing_index":
        index = "no-such-index"
    elif damage == "field_not_in_mapping":
        fields.append({"name": "absent", "type": "keyword"})
    else:
        fields[1]["dims"] = 64
    name = f"es_bad_{uuid.uuid4().hex[:8]}"
    config = es_config(es8, testbed_s3, index, fields, f"e2e-es/{name}", collection=name)
    done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
    assert done.returncode != 0, done.describe()
    for fragment in fragments:
        assert fragment in done.output, f"{fragment!r} missing\n{done.describe()}"
    assert not utility.has_collection(name, using=testbed_s3.milvus_alias())


@pytest.fixture(scope="module")
def secure_index(es8_secure) -> tuple[str, dict]:
    http = EsHttp(es8_secure)
    # The bed's service token belongs to elastic/fleet-server, which may read profiling-*.
    index = "profiling-mm-secure"
    mapping = {k: v for k, v in NUMERIC_MAPPING.items()}
    http.create_index(index, mapping, shards=1)
    docs, expected = numeric_docs(500, DIM, seed=9)
    http.bulk(index, docs)
    return index, expected


@pytest.mark.parametrize("mode", ["basic+ca", "fingerprint", "api_key", "service_token"])
def test_tls_and_auth_modes(es8_secure, secure_index, testbed_s3, mm_binary, tmp_path, mode):
    env = es8_secure
    index, expected = secure_index
    connection = {"basic+ca": {"username": env["MM_ES_USER"], "password": env["MM_ES_PASSWORD"],
                               "cert": env["MM_ES_CA"]},
                  "fingerprint": {"username": env["MM_ES_USER"],
                                  "password": env["MM_ES_PASSWORD"],
                                  "fingerprint": env["MM_ES_FINGERPRINT"]},
                  "api_key": {"apiKey": env["MM_ES_API_KEY"], "cert": env["MM_ES_CA"]},
                  "service_token": {"serviceToken": env["MM_ES_SERVICE_TOKEN"],
                                    "cert": env["MM_ES_CA"]}}[mode]
    out = tmp_path / "out"
    config = es_config(env, testbed_s3, index, NUMERIC_FIELDS, str(out), target_mode="local",
                       collection="unused_name", connection=connection)
    done = run(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    assert done.returncode == 0, done.describe()
    assert dumped_ids(out) == sorted(expected["ids"].tolist())
    for secret in (env["MM_ES_PASSWORD"], env["MM_ES_API_KEY"], env["MM_ES_SERVICE_TOKEN"]):
        assert secret not in done.output


def test_wrong_password_is_refused_without_printing_it(es8_secure, secure_index, testbed_s3,
                                                       mm_binary, tmp_path):
    env = es8_secure
    index, _ = secure_index
    secret = "wrong-" + uuid.uuid4().hex[:8]
    config = es_config(env, testbed_s3, index, NUMERIC_FIELDS, str(tmp_path / "out"),
                       target_mode="local", collection="unused_name",
                       connection={"username": "elastic", "password": secret,
                                   "cert": env["MM_ES_CA"]})
    done = run(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    assert done.returncode != 0, done.describe()
    assert "401" in done.output and "credentials" in done.output, done.describe()
    assert secret not in done.output
