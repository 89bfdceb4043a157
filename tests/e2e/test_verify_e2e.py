"""`verify`: exact migrations verify clean (FAISS flat and lossy IVFPQ, Milvus 1.x with
partitions, Elasticsearch with a VarChar pk); then, by hand through pymilvus, one row deleted,
one extra row inserted, one vector changed by one ulp, one VarChar changed, one partition's
rows moved to another partition: each is named by pk (and field) in the report, exit 1.

Each source is migrated once; the mutations share its collection."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import faiss
import numpy as np
import pytest
from pymilvus import Collection, utility

from conftest import Testbed
from es_fixture import EsHttp, es_config
from migration_yaml import ToolRun, faiss_config, milvus1x_config, run_tool, write_yaml
from milvus1x_fixture import Milvus1xDir, generate
from readback import QUERY_WINDOW


def run(binary: Path, *args: str) -> ToolRun:
    return run_tool(binary, *args, timeout=600)


def report_of(path: Path) -> dict:
    return json.loads(path.read_text())


def collection_report(report: dict, name: str) -> dict:
    return next(c for c in report["collections"] if c["name"] == name)


def drop(bed: Testbed, name: str) -> None:
    alias = bed.milvus_alias()
    if utility.has_collection(name, using=alias):
        utility.drop_collection(name, using=alias)


def faiss_file(tmp_path: Path, rows: int, *, lossy: bool) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(16)
    dim = 16
    x = rng.standard_normal((rows, dim)).astype(np.float32)
    ids = rng.choice(10**12, size=rows, replace=False).astype(np.int64)
    if lossy:
        quantizer = faiss.IndexFlatL2(dim)
        index = faiss.IndexIVFPQ(quantizer, dim, 4, 4, 8)
        index.train(np.vstack([x] * 3))
        index.add_with_ids(x, ids)
    else:
        index = faiss.IndexIDMap(faiss.IndexFlatL2(dim))
        index.add_with_ids(x, ids)
    path = tmp_path / ("ivfpq.index" if lossy else "flat.index")
    faiss.write_index(index, str(path))
    return path, ids, x


def test_faiss_clean_then_each_mutation_is_named(testbed_s3, mm_binary, unique_collection,
                                                 tmp_path, monkeypatch):
    path, ids, x = faiss_file(tmp_path, 5000, lossy=False)
    name = unique_collection(testbed_s3)
    config = write_yaml(tmp_path / "m.yaml",
                        faiss_config(testbed_s3, path, name, f"e2e-verify/{name}"))
    report_file = tmp_path / "report.json"
    done = run(mm_binary, "start", "-c", str(config), "--verify")
    assert done.returncode == 0, done.describe()
    assert "verify: MATCH" in done.output, done.describe()
    # The report is stored beside manifest.json in the output.
    stored = testbed_s3.s3_client().get_object(
        testbed_s3.s3_bucket, f"e2e-verify/{name}/migration/verify-report.json")
    stored_report = json.loads(stored.read())
    assert stored_report["result"] == "match"
    assert stored_report["source_rows"] == stored_report["target_rows"] == 5000

    # A sampled verify still checks every count; small ranges (Int64 bounds in the query
    # expressions) so that there is something to sample.
    monkeypatch.setenv("MM_TEST_VERIFY_RANGE_ROWS", "300")
    done = run(mm_binary, "verify", "-c", str(config), "--sample", "30", "--seed", "7",
               "--report", str(report_file))
    monkeypatch.delenv("MM_TEST_VERIFY_RANGE_ROWS")
    assert done.returncode == 0, done.describe()
    c = collection_report(report_of(report_file), name)
    assert c["pk_ranges"]["total"] >= 17, c
    assert 0 < c["pk_ranges"]["compared"] < c["pk_ranges"]["total"], c
    assert c["source_rows"] == c["target_rows"] == 5000

    coll = Collection(name, using=testbed_s3.milvus_alias())
    # The two smallest pks, so the partial read below meets them too.
    order = np.argsort(ids)
    deleted, changed = int(ids[order[0]]), int(ids[order[1]])
    extra = int(10**12 + 5)
    coll.delete(f"id in [{deleted}]")
    coll.insert([[extra], [x[0].tolist()]])
    one_ulp = x[order[1]].copy()
    one_ulp[3] = np.nextafter(one_ulp[3], np.float32(np.inf), dtype=np.float32)
    coll.upsert([[changed], [one_ulp.tolist()]])
    coll.flush()

    done = run(mm_binary, "verify", "-c", str(config), "--report", str(report_file))
    assert done.returncode == 1, done.describe()
    c = collection_report(report_of(report_file), name)
    assert c["result"] == "mismatch"
    assert c["missing"]["count"] == 1 and c["missing"]["examples"][0].startswith(f"id {deleted} ")
    assert c["extra"]["count"] == 1 and c["extra"]["examples"][0].startswith(f"id {extra} ")
    assert c["different"]["count"] == 1
    assert c["different"]["examples"][0] == f"id {changed}: field 'data'"
    assert c["source_rows"] == 5000 and c["target_rows"] == 5000
    assert f"id {deleted}" in done.output and f"id {changed}: field 'data'" in done.output

    # With room for only 100 source rows, the range is compared up to its 100th pk: what is
    # named is still exactly what differs there, and the report says how far it read.
    monkeypatch.setenv("MM_TEST_VERIFY_DETAIL_ROWS", "100")
    done = run(mm_binary, "verify", "-c", str(config), "--report", str(report_file))
    assert done.returncode == 1, done.describe()
    c = collection_report(report_of(report_file), name)
    cutoff = int(np.sort(ids)[99])
    assert "only those up to id" in c["partly_read_row_by_row"][0], c
    want = {"missing": [deleted], "extra": [], "different": [changed]}
    for kind, pks in want.items():
        named = [int(e.split()[1].rstrip(":")) for e in c[kind]["examples"]]
        assert named == pks and all(p <= cutoff for p in pks), (kind, c)


def test_faiss_lossy_index_verifies_against_its_reconstruction(testbed_s3, mm_binary,
                                                               unique_collection, tmp_path):
    path, _, _ = faiss_file(tmp_path, 2000, lossy=True)
    name = unique_collection(testbed_s3)
    config = write_yaml(tmp_path / "m.yaml",
                        faiss_config(testbed_s3, path, name, f"e2e-verify/{name}"))
    done = run(mm_binary, "dump", "-c", str(config))
    assert done.returncode == 0, done.describe()
    done = run(mm_binary, "load", "-c", str(config), "--verify")
    assert done.returncode == 0, done.describe()
    stored = testbed_s3.s3_client().get_object(
        testbed_s3.s3_bucket, f"e2e-verify/{name}/migration/verify-report.json")
    c = collection_report(json.loads(stored.read()), name)
    assert c["result"] == "match" and c["source_rows"] == 2000, c
    assert "reconstruction" in c["note"] and "IVFPQ" in c["note"], c

    # A collection that is not in Milvus is a mismatch, with the source still counted.
    drop(testbed_s3, name)
    report_file = tmp_path / "report.json"
    done = run(mm_binary, "verify", "-c", str(config), "--report", str(report_file))
    assert done.returncode == 1, done.describe()
    c = collection_report(report_of(report_file), name)
    assert c["not_compared"] == "the collection is not in Milvus", c
    assert c["source_rows"] == 2000 and c["target_rows"] == 0, c


def test_milvus1x_partition_moved_is_named(testbed_s3, mm_binary, tmp_path):
    inst = Milvus1xDir(generate(tmp_path / "src", "--seed", "16"))
    exp = json.loads((inst.root / "expected.json").read_text())
    suffix = uuid.uuid4().hex[:8]
    names = {c["name"]: f"{c['name']}_{suffix}"
             for c in exp["collections"]}
    names.update({c: f"{c}_{suffix}" for c in exp["absent_collections"]})
    config = write_yaml(tmp_path / "m.yaml", milvus1x_config(
        testbed_s3, {"mode": "sqlite", "sqliteFile": str(inst.sqlite)}, inst.tables,
        f"e2e-verify/{suffix}", overrides={"target.create.collection.nameMap": names}))
    report_file = tmp_path / "report.json"
    try:
        done = run(mm_binary, "start", "-c", str(config), "--verify")
        assert done.returncode == 0, done.describe()
        assert "verify: MATCH" in done.output

        # float_ip's partition p2023 moves into _default.
        name = names["float_ip"]
        coll = Collection(name, using=testbed_s3.milvus_alias())
        rows = coll.query("id >= -9223372036854775807", output_fields=["id", "data"],
                          partition_names=["p2023"], limit=QUERY_WINDOW,
                          consistency_level="Strong")
        assert rows
        moved = sorted(r["id"] for r in rows)
        coll.insert([[r["id"] for r in rows], [r["data"] for r in rows]],
                    partition_name="_default")
        coll.delete(f"id in {moved}", partition_name="p2023")
        coll.flush()

        done = run(mm_binary, "verify", "-c", str(config), "--report", str(report_file))
        assert done.returncode == 1, done.describe()
        report = report_of(report_file)
        c = collection_report(report, name)
        assert c["wrong_partition"]["count"] == len(moved), c
        example = c["wrong_partition"]["examples"][0]
        assert "in partition '_default', the source's is 'p2023'" in example
        assert int(example.split()[1].rstrip(":")) in moved
        parts = {p["name"]: p for p in c["partitions"]}
        assert parts["p2023"]["target_rows"] == 0
        assert parts["p2023"]["source_rows"] == len(moved)
        assert c["missing"]["count"] == 0 and c["extra"]["count"] == 0
        # The other collections still match.
        others = [o for o in report["collections"] if o["name"] != name]
        assert others and all(o["result"] == "match" for o in others), others
    finally:
        for n in names.values():
            drop(testbed_s3, n)


def test_elasticsearch_varchar_pk_and_a_changed_varchar(es8, testbed_s3, mm_binary, tmp_path,
                                                        monkeypatch):
    http = EsHttp(es8)
    index = f"verify-{uuid.uuid4().hex[:6]}"
    dim = 8
    http.create_index(index, {"doc": {"type": "keyword"}, "title": {"type": "keyword"},
                              "n": {"type": "long"},
                              "emb": {"type": "dense_vector", "dims": dim, "index": False}})
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((3000, dim)).astype(np.float32)
    docs = [(f"d{k}", {"doc": f"doc-{k:05d}-\u00e9", "title": f"title {k}", "n": k,
                       "emb": [float(v) for v in vectors[k]]}) for k in range(3000)]
    http.bulk(index, docs)
    name = f"es_verify_{uuid.uuid4().hex[:8]}"
    fields = [{"name": "doc", "type": "keyword", "pk": True, "maxLen": 64},
              {"name": "title", "type": "keyword", "maxLen": 64},
              {"name": "n", "type": "long"},
              {"name": "emb", "type": "dense_vector", "dims": dim}]
    # No dynamic field: the hand-made upsert below gives every field.
    config = write_yaml(tmp_path / "m.yaml", es_config(
        es8, testbed_s3, index, fields, f"e2e-verify/{name}",
        extra_meta={"milvus": {"collection": name, "closeDynamicField": True, "shardNum": 2}}))
    report_file = tmp_path / "report.json"
    try:
        done = run(mm_binary, "start", "-c", str(config), "--verify")
        assert done.returncode == 0, done.describe()
        assert "verify: MATCH" in done.output

        coll = Collection(name, using=testbed_s3.milvus_alias())
        pk = "doc-00042-\u00e9"
        row = coll.query(f'doc == "{pk}"', output_fields=["*"], consistency_level="Strong")[0]
        row["title"] = "title 42 changed"
        coll.upsert([[row["doc"]], [row["title"]], [row["n"]], [row["emb"]]])
        coll.flush()

        # Ranges of at most 200 rows: VarChar bounds in the query expressions.
        monkeypatch.setenv("MM_TEST_VERIFY_RANGE_ROWS", "200")
        done = run(mm_binary, "verify", "-c", str(config), "--report", str(report_file))
        assert done.returncode == 1, done.describe()
        c = collection_report(report_of(report_file), name)
        assert c["pk_ranges"]["total"] >= 15 and c["pk_ranges"]["differing"] == 1, c
        assert c["rows_hashed"] == {"source": 3000, "target": 3000}, c
        assert c["different"]["count"] == 1, c
        assert c["different"]["examples"][0] == f'doc "{pk}": field \'title\''
        assert c["missing"]["count"] == 0 and c["extra"]["count"] == 0
    finally:
        drop(testbed_s3, name)
        http.request("DELETE", f"/{index}")
