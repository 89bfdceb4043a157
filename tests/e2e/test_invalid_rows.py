"""Invalid rows (issue 9, "Non-finite vectors" and "Skips are counted"): every row a source
yields is checked before anything is written. A NaN or an infinity in a vector stops the run
naming the row's id and the component (dumper.invalidRows: fail, the default), or the row is
left out and counted (skip); Elasticsearch documents that do not fit are counted the same
way. Every run says how many rows it left out; leaving out every row, or more than
dumper.maxInvalidRatio of them, fails."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import faiss
import numpy as np
import pytest
from pymilvus import Collection, utility

from es_fixture import EsHttp, es_config
from migration_yaml import faiss_config, run_command, write_yaml
from readback import assert_collection_holds

DIM = 16
FIRST_ID, ROWS = 1000, 2000
NAN_ID, NAN_COMPONENT = 1500, 3
INF_ID, INF_COMPONENT = 2700, 9


@pytest.fixture(scope="module")
def nonfinite_index(tmp_path_factory) -> tuple[Path, np.ndarray, np.ndarray]:
    """IndexIDMap2(IndexFlatL2(16)), ids 1000..2999; id 1500 holds a NaN in component 3 and
    id 2700 a +Inf in component 9. Returns the file, the ids and the vectors."""
    d = tmp_path_factory.mktemp("nonfinite")
    rng = np.random.default_rng(9)
    ids = np.arange(FIRST_ID, FIRST_ID + ROWS, dtype=np.int64)
    x = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    x[NAN_ID - FIRST_ID, NAN_COMPONENT] = np.nan
    x[INF_ID - FIRST_ID, INF_COMPONENT] = np.inf
    index = faiss.IndexIDMap2(faiss.IndexFlatL2(DIM))
    index.add_with_ids(x, ids)
    path = d / "nonfinite.index"
    faiss.write_index(index, str(path))
    return path, ids, x


def faiss_run(bed, binary: Path, tmp_path: Path, faiss_file: Path, name: str,
              overrides: dict | None = None, command: str = "start"):
    out = tmp_path / "out"
    config = faiss_config(bed, faiss_file, name, out, target_mode="local", overrides=overrides)
    run = run_command(binary, command, write_yaml(tmp_path / "migration.yaml", config),
                      timeout=300)
    return run, out / "migration" / "manifest.json"


def collection_rows(bed, name: str) -> int:
    alias = bed.milvus_alias()
    if not utility.has_collection(name, using=alias):
        return 0
    return Collection(name, using=alias).num_entities


def test_nonfinite_vector_stops_the_run_naming_the_id(nonfinite_index, testbed_local,
                                                      mm_binary, unique_collection, tmp_path):
    path, _, _ = nonfinite_index
    name = unique_collection(testbed_local)

    run, manifest = faiss_run(testbed_local, mm_binary, tmp_path, path, name)

    assert run.returncode == 1, run.describe()
    assert f"id {NAN_ID}: field 'data' component {NAN_COMPONENT} is NaN" in run.output, (
        run.describe())
    assert name in run.output and "dumper.invalidRows: skip" in run.output, run.describe()
    assert collection_rows(testbed_local, name) == 0, "rows were imported"
    assert not utility.has_collection(name, using=testbed_local.milvus_alias())
    # Nothing was left for a load to import.
    assert not json.loads(manifest.read_text())["dump_complete"]


def test_nonfinite_rows_skipped_and_counted(nonfinite_index, testbed_local, mm_binary,
                                            unique_collection, tmp_path):
    path, ids, x = nonfinite_index
    name = unique_collection(testbed_local)

    run, manifest = faiss_run(testbed_local, mm_binary, tmp_path, path, name,
                              {"dumper.invalidRows": "skip"})

    assert run.returncode == 0, run.describe()
    line = next(l for l in run.output.splitlines() if "dump: done:" in l)
    assert "2 rows skipped" in line, line
    assert f"id {NAN_ID} (field 'data' component {NAN_COMPONENT} is NaN)" in line, line
    assert f"id {INF_ID} (field 'data' component {INF_COMPONENT} is +Inf)" in line, line
    assert "holds 1998 rows, as expected" in run.output, run.describe()
    keep = (ids != NAN_ID) & (ids != INF_ID)
    assert_collection_holds(testbed_local.milvus_alias(), name, ids[keep], x[keep],
                            binary=False, metric="L2")
    coll = json.loads(manifest.read_text())["collections"][0]
    assert coll["total_rows"] == 1998
    assert coll["skipped_rows"] == 2
    assert [e["row"] for e in coll["skipped_examples"]] == [f"id {NAN_ID}", f"id {INF_ID}"]
    assert coll["skipped_examples"][1]["reason"] == (
        f"field 'data' component {INF_COMPONENT} is +Inf")


def test_max_invalid_ratio_exceeded_fails(nonfinite_index, testbed_local, mm_binary,
                                          unique_collection, tmp_path):
    path, _, _ = nonfinite_index
    name = unique_collection(testbed_local)

    run, _ = faiss_run(testbed_local, mm_binary, tmp_path, path, name,
                       {"dumper.invalidRows": "skip", "dumper.maxInvalidRatio": 0.0005})

    assert run.returncode == 1, run.describe()
    assert "2 of the 2000 rows its source holds were left out as invalid, over " \
           "dumper.maxInvalidRatio 0.0005" in run.output, run.describe()
    assert not utility.has_collection(name, using=testbed_local.milvus_alias())


def test_clean_run_says_nothing_was_skipped(testbed_local, mm_binary, unique_collection,
                                            tmp_path):
    index = faiss.IndexFlatL2(4)
    index.add(np.ones((10, 4), dtype=np.float32))
    path = tmp_path / "clean.index"
    faiss.write_index(index, str(path))
    name = unique_collection(testbed_local)

    run, _ = faiss_run(testbed_local, mm_binary, tmp_path, path, name)

    assert run.returncode == 0, run.describe()
    assert re.search(r"dump: done: .*; 0 rows skipped", run.output), run.describe()


# ---------------------------------------------------------------------------- Elasticsearch

ES_FIELDS = [{"name": "id", "type": "long", "pk": True},
             {"name": "title", "type": "keyword", "maxLen": 20},
             {"name": "data", "type": "dense_vector", "dims": 4}]
ES_MAPPING = {"id": {"type": "long"}, "title": {"type": "keyword"},
              "data": {"type": "dense_vector", "dims": 4, "index": False}}


def es_index(es8, index: str, n: int, bad) -> dict[int, list[float]]:
    """`n` documents, d0..; `bad(k)` ones have a title over its maxLen. Returns the vectors
    of the good ones by id."""
    http = EsHttp(es8)
    http.create_index(index, ES_MAPPING, shards=2)
    docs, good = [], {}
    for k in range(n):
        vec = [float(np.float32(k / 7 + c)) for c in range(4)]
        title = "x" * 30 if bad(k) else f"t{k}"
        docs.append((f"d{k}", {"id": k, "title": title, "data": vec}))
        if not bad(k):
            good[k] = vec
    http.bulk(index, docs)
    return good


def es_run(es8, bed, binary: Path, tmp_path: Path, index: str, name: str, meta: dict,
           dumper: dict | None = None):
    config = es_config(es8, bed, index, ES_FIELDS, str(tmp_path / "out"), target_mode="local",
                       collection=name, extra_meta=meta)
    config["dumper"].update(dumper or {})
    run = run_command(binary, "start", write_yaml(tmp_path / "m.yaml", config), timeout=300)
    return run, tmp_path / "out" / "migration" / "manifest.json"


def test_es_skipped_documents_are_counted(es8, testbed_local, mm_binary, unique_collection,
                                          tmp_path):
    index = f"invalid-some-{uuid.uuid4().hex[:6]}"
    good = es_index(es8, index, 500, lambda k: k % 50 == 7)  # 10 bad documents
    name = unique_collection(testbed_local)

    run, manifest = es_run(es8, testbed_local, mm_binary, tmp_path, index, name,
                           {}, {"invalidRows": "skip"})

    assert run.returncode == 0, run.describe()
    line = next(l for l in run.output.splitlines() if "dump: done:" in l)
    assert "10 rows skipped: document _id 'd" in line, line
    assert "field 'title' is 30 bytes long, over its maxLen 20" in line, line
    assert "holds 490 rows, as expected" in run.output, run.describe()
    coll = json.loads(manifest.read_text())["collections"][0]
    assert coll["skipped_rows"] == 10 and coll["total_rows"] == 490
    examples = {e["row"] for e in coll["skipped_examples"]}
    assert examples == {f"document _id 'd{k}'" for k in range(7, 500, 50)}, examples
    assert collection_rows(testbed_local, name) == 490


def test_es_every_document_skipped_fails(es8, testbed_local, mm_binary, unique_collection,
                                         tmp_path):
    index = f"invalid-all-{uuid.uuid4().hex[:6]}"
    es_index(es8, index, 40, lambda k: True)
    name = unique_collection(testbed_local)

    run, manifest = es_run(es8, testbed_local, mm_binary, tmp_path, index, name,
                           {"invalidDocs": "skip"})

    assert run.returncode == 1, run.describe()
    assert f"collection '{name}': all 40 rows its source holds were left out as invalid" \
        in run.output, run.describe()
    assert "as expected" not in run.output, run.describe()
    assert not utility.has_collection(name, using=testbed_local.milvus_alias())
    assert not json.loads(manifest.read_text())["dump_complete"]


def test_es_max_invalid_ratio_and_conflicting_keys(es8, testbed_local, mm_binary,
                                                   unique_collection, tmp_path):
    index = f"invalid-ratio-{uuid.uuid4().hex[:6]}"
    es_index(es8, index, 200, lambda k: k % 10 == 0)  # 20 of 200 bad
    name = unique_collection(testbed_local)

    run, _ = es_run(es8, testbed_local, mm_binary, tmp_path, index, name,
                    {"invalidDocs": "skip"}, {"maxInvalidRatio": 0.05})

    assert run.returncode == 1, run.describe()
    assert "of the 200 rows its source holds were left out as invalid, over " \
           "dumper.maxInvalidRatio 0.05" in run.output, run.describe()
    assert not utility.has_collection(name, using=testbed_local.milvus_alias())

    (tmp_path / "conflict").mkdir()
    run, _ = es_run(es8, testbed_local, mm_binary, tmp_path / "conflict", index, name,
                    {"invalidDocs": "skip"}, {"invalidRows": "fail"})
    assert run.returncode == 1, run.describe()
    assert "[dumper.invalidRows] and [meta.invalidDocs] disagree" in run.output, run.describe()
