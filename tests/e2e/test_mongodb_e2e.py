"""MongoDB collections (served by FerretDB) migrated into Milvus 2.x and read back with
pymilvus; every field compared bit for bit with what pymongo reads from the source.

Covered: vectors as arrays of numbers (the Atlas layout) and as BSON Binary subtype 9 (FLOAT32,
INT8, PACKED_BIT); nested fields by dotted path, embedded documents as JSON, arrays, dates,
ObjectId pks, the unlisted fields in the dynamic field; a filter; wrong-length vectors skipped
(counted and named) or failing the dump; bad credentials; a SIGKILLed dump resumed exactly.
FerretDB has no splitVector and no $sample, so the tasks' split points come from the _id scan
(README, "MongoDB": what the tests cannot cover). The 100k x 768 size runs in
bench/mongodb_bench.py; this file covers the same path smaller."""

from __future__ import annotations

import datetime
import json
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bson import ObjectId
from bson.binary import Binary, BinaryVectorDtype
from pymilvus import Collection, utility
from pymongo import MongoClient

from migration_yaml import assert_verifies, run_tool, target_section, write_yaml
from mongo_fixture import (AUTH_PASSWORD, AUTH_USER, epoch_ms, ferretdb,  # noqa: F401
                           ferretdb_auth, float32_bytes, same_json, to_json_value)
from readback import QUERY_WINDOW

LOAD_MODES = ["import", "insert"]  # bulk import, and Insert requests (loader.mode)
IMPORT_ONLY = ["import"]  # paths the load mode does not change
DIM = 32


def mongo_config(host: str, bed, out: str | Path, collections: dict, fields: list[dict], *,
                 load_mode: str = "import", target_mode: str = "remote", uri: str = "",
                 **source: Any) -> dict:
    config: dict[str, Any] = {
        "dumper": {"worker": {"workMode": "mongodb", "limit": 2,
                              "writer": {"bufferSize": 1024}}},
        "loader": {"worker": {"limit": 2}},
        "source": {"mongodb": {"uri": uri or f"mongodb://{host}/", "database": "e2e",
                               "collections": collections, "fields": fields, **source}},
        "target": target_section(bed, out, target_mode=target_mode),
    }
    if load_mode != "import":
        config["loader"]["mode"] = load_mode
    return config


def run(binary: Path, command: str, config: Path, *extra: str):
    return run_tool(binary, command, "-c", str(config), *extra, timeout=900)


def drop(bed, name: str) -> None:
    if utility.has_collection(name, using=bed.milvus_alias()):
        utility.drop_collection(name, using=bed.milvus_alias())


def read_milvus(bed, name: str, vector: str, binary: bool) -> dict:
    """Every row of `name` by pk, all fields (dynamic keys merged in), read back whole."""
    coll = Collection(name, using=bed.milvus_alias())
    if not coll.has_index():
        coll.create_index(vector, {"index_type": "BIN_FLAT" if binary else "FLAT",
                                   "metric_type": "HAMMING" if binary else "L2", "params": {}})
    coll.load()
    pk = next(f for f in coll.schema.fields if f.is_primary)
    expr = '_id >= ""' if pk.dtype.name == "VARCHAR" else "_id >= -9223372036854775807"
    rows = coll.query(expr, output_fields=["*", vector], limit=QUERY_WINDOW - 1,
                      consistency_level="Strong")
    assert len(rows) < QUERY_WINDOW - 1, "the collection is beyond one query window"
    out = {}
    for r in rows:
        r = dict(r)
        r.update(r.pop("$meta", None) or {})
        assert r["_id"] not in out, f"{name}: _id {r['_id']} read back twice"
        out[r["_id"]] = r
    return out


def vector_bytes(value, binary: bool) -> bytes:
    if binary:
        return bytes(value[0] if isinstance(value, list) else value)
    return np.asarray(value, dtype=np.float32).tobytes()


# --------------------------------------------------------------- the Atlas layout, nested, filter

ARRAY_FIELDS = [
    {"name": "emb", "type": "FloatVector", "dims": DIM},
    {"name": "meta.author", "type": "VarChar", "maxLen": 64},
    {"name": "meta.stats", "type": "JSON"},
    {"name": "tags", "type": "Array", "elementType": "Int64", "maxCapacity": 8},
    {"name": "created", "type": "Int64"},
    {"name": "score", "type": "Double"},
    {"name": "flag", "type": "Bool"},
    {"name": "cnt", "type": "Int32"},
    {"name": "ref", "type": "VarChar", "maxLen": 24},
]


def array_docs(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    base = datetime.datetime(2024, 1, 1)
    docs = []
    for i in range(n):
        vec = rng.standard_normal(DIM).astype(np.float32)
        docs.append({
            "_id": ObjectId(), "emb": [float(x) for x in vec], "keep": i % 3 != 0,
            "meta": {"author": f"author-{i % 17}-é", "lang": "en",
                     "stats": {"views": i * 3, "ratio": i / 7, "seen": base, "ids": [i, None]}},
            "tags": [i, i + 1, -i], "created": base + datetime.timedelta(seconds=i,
                                                                        milliseconds=i % 1000),
            "score": i / 3, "flag": i % 2 == 0, "cnt": i - 1000, "ref": ObjectId(),
            "extra": {"note": f"n{i}\t\"q\"", "when": base}, "other": [1.5, "x", True]})
    return docs


def expected_array_row(doc: dict) -> dict:
    return {"emb": float32_bytes(doc["emb"]), "meta_author": doc["meta"]["author"],
            "meta_stats": to_json_value(doc["meta"]["stats"]), "tags": doc["tags"],
            "created": epoch_ms(doc["created"]), "score": doc["score"], "flag": doc["flag"],
            "cnt": doc["cnt"], "ref": str(doc["ref"]),
            # the dynamic field: the rest, with meta.author / meta.stats taken out of meta
            "keep": doc["keep"], "meta": {"lang": "en"}, "extra": to_json_value(doc["extra"]),
            "other": doc["other"]}


def assert_rows(got: dict, want: dict, vector: str, binary: bool = False) -> None:
    missing = set(want) - set(got)
    extra = set(got) - set(want)
    assert not missing and not extra, (
        f"{len(missing)} _ids missing (e.g. {list(missing)[:3]}), {len(extra)} unexpected "
        f"(e.g. {list(extra)[:3]})")
    for pk, w in want.items():
        g = got[pk]
        for key, value in w.items():
            assert key in g, f"_id {pk}: field {key} not read back ({sorted(g)})"
            if key == vector:
                assert vector_bytes(g[key], binary) == value, f"_id {pk}: {key} differs"
            else:
                assert same_json(json.loads(json.dumps(g[key])), value), (
                    f"_id {pk}: {key} is {g[key]!r}, expected {value!r}")


@pytest.mark.parametrize("load_mode", LOAD_MODES)
def test_array_vectors_nested_fields_filter_dynamic(ferretdb, testbed_s3, mm_binary, tmp_path,
                                                    load_mode):
    db = MongoClient(f"mongodb://{ferretdb}/").e2e
    source = f"arr_{uuid.uuid4().hex[:8]}"
    db[source].insert_many(array_docs(1500, seed=1))
    read = list(db[source].find({"keep": True}))  # what the tool must migrate
    name = f"mongo_arr_{uuid.uuid4().hex[:8]}"
    config = mongo_config(ferretdb, testbed_s3, f"e2e-mongo/{name}", {source: name},
                          ARRAY_FIELDS, load_mode=load_mode, filter='{"keep": true}',
                          unlisted="dynamic", tasks=3)
    try:
        path = write_yaml(tmp_path / "m.yaml", config)
        done = run(mm_binary, "start", path)
        assert done.returncode == 0, done.describe()
        assert "3 task(s)" in done.output, done.describe()
        got = read_milvus(testbed_s3, name, "emb", binary=False)
        want = {str(d["_id"]): expected_array_row(d) for d in read}
        assert len(want) == 1000
        assert_rows(got, want, "emb")
        schema = {f.name: f for f in Collection(name, using=testbed_s3.milvus_alias()).schema.fields}
        assert schema["_id"].params.get("max_length") == 24
        # verify, with the same config (the same filter), matches every row.
        report = assert_verifies(mm_binary, path, tmp_path / "verify-report.json")
        assert report["source_rows"] == 1000, report
    finally:
        drop(testbed_s3, name)
        db[source].drop()


# ------------------------------------------------------------------ BSON Binary subtype 9 vectors

@pytest.mark.parametrize("load_mode", LOAD_MODES)
def test_binary_subtype_9_vectors(ferretdb, testbed_s3, mm_binary, tmp_path, load_mode):
    db = MongoClient(f"mongodb://{ferretdb}/").e2e
    rng = np.random.default_rng(2)
    n, dim = 1000, 64
    f32 = rng.standard_normal((n, dim)).astype(np.float32)
    i8 = rng.integers(-128, 128, size=(n, dim), dtype=np.int8)
    bits = rng.integers(0, 256, size=(n, dim // 8), dtype=np.uint8)
    tag = uuid.uuid4().hex[:8]
    src = {"f32": f"vf32_{tag}", "i8": f"vi8_{tag}", "bits": f"vbits_{tag}"}
    ids = [int(x) for x in rng.choice(1 << 40, size=n, replace=False)]
    db[src["f32"]].insert_many([
        {"_id": ids[i], "v": Binary.from_vector(f32[i].tolist(), BinaryVectorDtype.FLOAT32),
         "n": i} for i in range(n)])
    db[src["i8"]].insert_many([
        {"_id": ids[i], "v": Binary.from_vector(i8[i].tolist(), BinaryVectorDtype.INT8), "n": i}
        for i in range(n)])
    db[src["bits"]].insert_many([
        {"_id": f"key-{ids[i]}", "v": Binary.from_vector(bits[i].tolist(),
                                                         BinaryVectorDtype.PACKED_BIT), "n": i}
        for i in range(n)])
    names = {k: f"mongo_{k}_{tag}" for k in src}
    try:
        float_cfg = mongo_config(ferretdb, testbed_s3, f"e2e-mongo/f-{tag}",
                                 {src["f32"]: names["f32"], src["i8"]: names["i8"]},
                                 [{"name": "v", "type": "FloatVector", "dims": dim},
                                  {"name": "n", "type": "Int64"}], load_mode=load_mode)
        done = run(mm_binary, "start", write_yaml(tmp_path / "f.yaml", float_cfg))
        assert done.returncode == 0, done.describe()
        bits_cfg = mongo_config(ferretdb, testbed_s3, f"e2e-mongo/b-{tag}",
                                {src["bits"]: names["bits"]},
                                [{"name": "v", "type": "BinaryVector", "dims": dim},
                                 {"name": "n", "type": "Int64"}], load_mode=load_mode)
        done = run(mm_binary, "start", write_yaml(tmp_path / "b.yaml", bits_cfg))
        assert done.returncode == 0, done.describe()

        # What pymongo reads, decoded by pymongo's own vector support.
        want_f32 = {d["_id"]: {"v": np.asarray(d["v"].as_vector().data, np.float32).tobytes(),
                               "n": d["n"]} for d in db[src["f32"]].find()}
        want_i8 = {d["_id"]: {"v": np.asarray(d["v"].as_vector().data, np.float32).tobytes(),
                              "n": d["n"]} for d in db[src["i8"]].find()}
        want_bits = {d["_id"]: {"v": bytes(d["v"].as_vector().data), "n": d["n"]}
                     for d in db[src["bits"]].find()}
        assert_rows(read_milvus(testbed_s3, names["f32"], "v", False), want_f32, "v")
        assert_rows(read_milvus(testbed_s3, names["i8"], "v", False), want_i8, "v")
        assert_rows(read_milvus(testbed_s3, names["bits"], "v", True), want_bits, "v", True)
    finally:
        for name in names.values():
            drop(testbed_s3, name)
        for s in src.values():
            db[s].drop()


# ------------------------------------------------------------------------ wrong-length vectors

def wrong_length_collection(db, n: int = 300) -> tuple[str, list, list]:
    source = f"bad_{uuid.uuid4().hex[:8]}"
    rng = np.random.default_rng(3)
    docs, bad = [], []
    for i in range(n):
        vec = rng.standard_normal(8).astype(np.float32)
        doc = {"_id": i + 1, "v": [float(x) for x in vec]}
        if i in (17, 150):
            doc["v"] = doc["v"][:7]  # an array one short
            bad.append(i + 1)
        elif i == 222:
            doc["v"] = Binary.from_vector([1.0] * 9, BinaryVectorDtype.FLOAT32)  # one long
            bad.append(i + 1)
        elif i == 99:
            del doc["v"]  # a listed field missing
            bad.append(i + 1)
        docs.append(doc)
    db[source].insert_many(docs)
    return source, docs, bad


@pytest.mark.parametrize("load_mode", IMPORT_ONLY)
def test_wrong_length_vectors_skip_and_fail(ferretdb, testbed_s3, mm_binary, tmp_path,
                                            load_mode):
    db = MongoClient(f"mongodb://{ferretdb}/").e2e
    source, docs, bad = wrong_length_collection(db)
    name = f"mongo_bad_{uuid.uuid4().hex[:8]}"
    fields = [{"name": "v", "type": "FloatVector", "dims": 8}]
    try:
        fail_cfg = mongo_config(ferretdb, testbed_s3, f"e2e-mongo/{name}-fail", {source: name},
                                fields, load_mode=load_mode)
        done = run(mm_binary, "start", write_yaml(tmp_path / "fail.yaml", fail_cfg))
        assert done.returncode != 0, done.describe()
        # Tasks run in parallel: the first bad document of either range stops the dump.
        assert re.search(f"document _id ({bad[0]}|{bad[2]}): field 'v' has 7 dimensions, "
                         "expected 8", done.output), done.describe()
        assert "invalidDocs: skip" in done.output, done.describe()

        skip_cfg = mongo_config(ferretdb, testbed_s3, f"e2e-mongo/{name}-skip", {source: name},
                                fields, load_mode=load_mode, invalidDocs="skip")
        done = run(mm_binary, "start", write_yaml(tmp_path / "skip.yaml", skip_cfg))
        assert done.returncode == 0, done.describe()
        assert f"{len(bad)} rows skipped: document _id " in done.output, done.describe()
        for pk in bad[:3]:
            assert f"document _id {pk}" in done.output, done.describe()
        assert "field 'v' is missing" in done.output, done.describe()
        want = {d["_id"]: {"v": float32_bytes(d["v"])} for d in db[source].find()
                if d["_id"] not in bad}
        assert_rows(read_milvus(testbed_s3, name, "v", False), want, "v")
    finally:
        drop(testbed_s3, name)
        db[source].drop()


# -------------------------------------------------------------------------------- credentials

def test_bad_credentials_fail_before_planning_without_the_password(ferretdb_auth, testbed_s3,
                                                                   mm_binary, tmp_path):
    good = f"mongodb://{AUTH_USER}:{AUTH_PASSWORD}@{ferretdb_auth}/?authSource=admin"
    db = MongoClient(good).e2e
    source = f"auth_{uuid.uuid4().hex[:8]}"
    db[source].insert_many([{"_id": i, "v": [float(i), 1.0]} for i in range(50)])
    fields = [{"name": "v", "type": "FloatVector", "dims": 2}]
    wrong = good.replace(AUTH_PASSWORD, "not-the-password")
    cfg = mongo_config(ferretdb_auth, testbed_s3, tmp_path / "out-bad", {source: "mongo_auth"},
                       fields, target_mode="local", uri=wrong)
    done = run(mm_binary, "dump", write_yaml(tmp_path / "bad.yaml", cfg))
    assert done.returncode != 0, done.describe()
    assert "Authentication failed" in done.output, done.describe()
    assert "check the user, password and authSource" in done.output, done.describe()
    assert "not-the-password" not in done.output and AUTH_PASSWORD not in done.output
    # No user at all: the server refuses the reads.
    cfg["source"]["mongodb"]["uri"] = f"mongodb://{ferretdb_auth}/"
    done = run(mm_binary, "dump", write_yaml(tmp_path / "anon.yaml", cfg))
    assert done.returncode != 0, done.describe()
    assert "requires authentication" in done.output, done.describe()
    # The right password dumps every document.
    cfg["source"]["mongodb"]["uri"] = good
    cfg["target"]["local"]["outputDir"] = str(tmp_path / "out-good")
    done = run(mm_binary, "dump", write_yaml(tmp_path / "good.yaml", cfg))
    assert done.returncode == 0, done.describe()
    assert AUTH_PASSWORD not in done.output
    manifest = (tmp_path / "out-good" / "migration" / "manifest.json").read_text()
    assert AUTH_PASSWORD not in manifest
    assert json.loads(manifest)["dump_complete"]
    db[source].drop()


# ------------------------------------------------------------------- a SIGKILLed dump, resumed

@pytest.mark.parametrize("load_mode", IMPORT_ONLY)
def test_sigkilled_dump_resumes_exactly(ferretdb, testbed_local, mm_binary, tmp_path, load_mode):
    db = MongoClient(f"mongodb://{ferretdb}/").e2e
    source = f"kill_{uuid.uuid4().hex[:8]}"
    rng = np.random.default_rng(4)
    n, dim = 8000, 64
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    for start in range(0, n, 2000):
        db[source].insert_many([
            {"_id": ObjectId(), "v": Binary.from_vector(vectors[i].tolist(),
                                                        BinaryVectorDtype.FLOAT32),
             "i": i} for i in range(start, start + 2000)])
    name = f"mongo_kill_{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out"
    cfg = mongo_config(ferretdb, testbed_local, out, {source: name},
                       [{"name": "v", "type": "FloatVector", "dims": dim},
                        {"name": "i", "type": "Int64"}],
                       load_mode=load_mode, target_mode="local", tasks=2, batchDocs=200)
    cfg["dumper"]["worker"]["partSizeMB"] = 1  # a few thousand rows a part: checkpoints often
    config = write_yaml(tmp_path / "m.yaml", cfg)
    proc = subprocess.Popen([str(mm_binary), "dump", "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts_before: set = set()
    deadline = time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            try:
                manifest = json.loads((out / "migration" / "manifest.json").read_text())
            except (OSError, ValueError):
                time.sleep(0.05)
                continue
            parts_before = {json.dumps(p, sort_keys=True)
                            for c in manifest["collections"] for t in c["tasks"].values()
                            for p in t.get("parts", [])}
            if parts_before:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the dump ended before it could be killed"
        assert parts_before, "no part was checkpointed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

        done = run(mm_binary, "start", config, "--force-unlock")
        assert done.returncode == 0, done.describe()
        manifest = json.loads((out / "migration" / "manifest.json").read_text())
        parts_after = {json.dumps(p, sort_keys=True)
                       for c in manifest["collections"] for t in c["tasks"].values()
                       for p in t.get("parts", [])}
        # The parts the killed run had finished were kept, not written again.
        assert parts_before <= parts_after, (parts_before - parts_after)
        want = {str(d["_id"]): {"v": bytes(d["v"])[2:], "i": d["i"]}
                for d in db[source].find()}
        assert_rows(read_milvus(testbed_local, name, "v", False), want, "v")
    finally:
        if proc.poll() is None:
            proc.kill()
        drop(testbed_local, name)
        db[source].drop()
