"""Milvus 2.x -> Milvus 2.x (workMode milvus2x): two real Milvus 2.3.5 beds, a source with
every 2.3 field type (over two collections: 2.3 takes one vector field a
collection), named partitions, a partition key, a dynamic field with mixed keys,
autoID, VarChar at its max_length and 5% of rows deleted; the copy is read back on both sides
with pymilvus and compared row by row, field by field, bit for bit, plus describe_collection,
partitions and indexes. Bad input: each a clear error, a non-zero exit, no target collection.

The 200k x 768 collection runs in bench/milvus2x_copy.py (same code path, bigger)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
from pymilvus import (Collection, CollectionSchema, DataType, FieldSchema, MilvusClient,
                      utility)

from migration_yaml import ToolRun, assert_verifies, run_tool, target_section, write_yaml

# The loader modes every migration here runs with; the lead adds "insert" with its sink.
LOAD_MODES = ["import", "insert"]  # bulk import, and Insert requests (loader.mode)

DIM = 16
BIN_DIM = 32
VARCHAR_MAX = 16
PARTITIONS = ["p_one", "p_two", "p_three"]


def run(binary: Path, config: Path, *extra: str) -> ToolRun:
    return run_tool(binary, "start", "-c", str(config), *extra, timeout=600)


def milvus2x_config(src_bed, dst_bed, output_dir: str, *, collections=None, mode="import",
                    meta_extra=None, source_extra=None, target_mode="remote") -> dict:
    """The Go tool's milvus2x config (README_2X.md), plus the bucket the dump writes to."""
    source = {"endpoint": src_bed.milvus_endpoint, "username": src_bed.user,
              "password": src_bed.password,
              "grpc": {"maxCallRecvMsgSize": 67108864, "maxCallSendMsgSize": 268435456}}
    source.update(source_extra or {})
    meta = {"mode": "config", "version": "2.3.0"}
    if collections is not None:
        if len(collections) == 1:
            meta["collection"] = collections[0]
        else:
            meta["collections"] = list(collections)
    meta.update(meta_extra or {})
    target = target_section(dst_bed, output_dir, target_mode=target_mode)
    target["create"] = {"loadCollection": True}
    return {
        "dumper": {"worker": {"limit": 2, "workMode": "milvus2x", "reader": {"bufferSize": 500}}},
        "loader": {"worker": {"limit": 2}, "mode": mode},
        "meta": meta,
        "source": {"milvus2x": source},
        "target": target,
    }


def _varchar(i: int) -> str:
    # Every 7th value at exactly max_length bytes, some of them multi-byte (8 x 2 bytes).
    if i % 14 == 0:
        return "\u00e9" * (VARCHAR_MAX // 2)
    if i % 7 == 0:
        return ("v%d" % i).ljust(VARCHAR_MAX, "x")
    return "v%d" % i


def make_rich(alias: str, name: str, n: int, seed: int) -> None:
    """Every 2.3 field type, autoID on, dynamic field, 3 named partitions plus _default,
    half the rows sealed (flushed) and half growing, 5% deleted."""
    rng = np.random.default_rng(seed)
    fields = [
        FieldSchema("id", DataType.INT64, is_primary=True, auto_id=True),
        FieldSchema("seq", DataType.INT64),
        FieldSchema("b", DataType.BOOL),
        FieldSchema("i8", DataType.INT8),
        FieldSchema("i16", DataType.INT16),
        FieldSchema("i32", DataType.INT32),
        FieldSchema("f", DataType.FLOAT),
        FieldSchema("d", DataType.DOUBLE),
        FieldSchema("vc", DataType.VARCHAR, max_length=VARCHAR_MAX),
        FieldSchema("js", DataType.JSON),
        FieldSchema("arr", DataType.ARRAY, element_type=DataType.INT64, max_capacity=8),
        FieldSchema("arr_s", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=4,
                    max_length=10),
        FieldSchema("fv", DataType.FLOAT_VECTOR, dim=DIM),
    ]
    schema = CollectionSchema(fields, description="every 2.3 field type",
                              enable_dynamic_field=True)
    coll = Collection(name, schema, using=alias, shards_num=2, consistency_level="Session")
    for p in PARTITIONS:
        coll.create_partition(p)
    targets = ["_default", *PARTITIONS]
    rows = []
    for i in range(n):
        row = {
            "seq": i,
            "b": bool(i % 3 == 0),
            "i8": int(i % 256 - 128),
            "i16": int(i * 7 % 65536 - 32768),
            "i32": int(i * 7919 - 2**30),
            "f": float(np.float32(rng.standard_normal())),
            "d": float(rng.standard_normal()),
            "vc": _varchar(i),
            "js": {"i": i, "tag": f"t{i % 5}", "nested": {"x": [i, i + 0.5]}},
            "arr": [int(x) for x in rng.integers(-2**40, 2**40, size=i % 9)],
            "arr_s": [f"s{i}_{k}"[:10] for k in range(i % 5)],
            "fv": [float(x) for x in rng.standard_normal(DIM).astype(np.float32)],
        }
        # Mixed dynamic keys: some rows none, some a number, some a string, some an object.
        if i % 4 == 1:
            row["dyn_num"] = i * 3
        elif i % 4 == 2:
            row["dyn_str"] = f"d{i}"
        elif i % 4 == 3:
            row["dyn_obj"] = {"k": i, "l": [1, "a"]}
        rows.append(row)
    half = n // 2
    for part_rows, flush in ((rows[:half], True), (rows[half:], False)):
        for p_index, p in enumerate(targets):
            chunk = [r for r in part_rows if r["seq"] % len(targets) == p_index]
            if chunk:
                coll.insert(chunk, partition_name=p)
        if flush:
            coll.flush()
    coll.create_index("fv", {"index_type": "IVF_FLAT", "metric_type": "L2",
                             "params": {"nlist": 16}})
    coll.load()
    _delete_share(coll, "seq", n, field_is_pk=False)


def make_pkey(alias: str, name: str, n: int, seed: int) -> None:
    """A VarChar pk (ids kept), a partition key over 8 partitions, a binary vector (2.3 takes
    one vector field a collection), a dynamic field; 5% deleted."""
    rng = np.random.default_rng(seed)
    fields = [
        FieldSchema("pk", DataType.VARCHAR, is_primary=True, max_length=32),
        FieldSchema("tenant", DataType.INT64, is_partition_key=True),
        FieldSchema("bv", DataType.BINARY_VECTOR, dim=BIN_DIM),
    ]
    schema = CollectionSchema(fields, description="partition key", enable_dynamic_field=True,
                              num_partitions=8)
    coll = Collection(name, schema, using=alias, shards_num=1, consistency_level="Strong",
                      num_partitions=8)
    rows = []
    for i in range(n):
        row = {"pk": f"key-{i * 7919 % n:07d}-\"q\\", "tenant": int(i % 13),
               "bv": bytes(rng.integers(0, 256, BIN_DIM // 8, dtype=np.uint8))}
        if i % 3 == 0:
            row["color"] = ["red", "green", "blue"][i % 3]
        rows.append(row)
    for start in range(0, n, 2000):
        coll.insert(rows[start:start + 2000])
    coll.flush()
    coll.create_index("bv", {"index_type": "BIN_IVF_FLAT", "metric_type": "HAMMING",
                             "params": {"nlist": 8}})
    coll.load()
    _delete_share(coll, "pk", n, field_is_pk=True)


def _delete_share(coll: Collection, field: str, n: int, *, field_is_pk: bool) -> None:
    """Deletes 5% of the rows (every 20th)."""
    if field_is_pk:
        got = coll.query("pk != \"\"", output_fields=["pk"], limit=16384)
        victims = sorted(r["pk"] for r in got)[::20]
        expr = "pk in [%s]" % ", ".join(json.dumps(v) for v in victims)
    else:
        got = coll.query(f"{field} % 20 == 0", output_fields=["id"], limit=16384)
        expr = "id in [%s]" % ", ".join(str(r["id"]) for r in got)
    coll.delete(expr)


def read_all(alias: str, name: str, order_by: str) -> list[dict]:
    """Every live row, every field (vectors, the dynamic keys), ordered by `order_by`."""
    coll = Collection(name, using=alias)
    rows = coll.query("", output_fields=["*"], limit=16384, consistency_level="Strong")
    return sorted(rows, key=lambda r: r[order_by])


def canonical(row: dict, *, drop: tuple[str, ...] = ()) -> dict:
    """A row with float vectors as their float32 bytes (bit-for-bit), binary as bytes."""
    out = {}
    for k, v in row.items():
        if k in drop:
            continue
        if k == "fv":
            out[k] = np.asarray(v, dtype=np.float32).tobytes()
        elif k == "bv":
            out[k] = bytes(v[0]) if isinstance(v, list) else bytes(v)
        elif k == "f":
            out[k] = np.float32(v).tobytes()
        elif k == "d":
            out[k] = np.float64(v).tobytes()
        else:
            out[k] = v
    return out


def describe(alias_client: MilvusClient, name: str) -> dict:
    d = alias_client.describe_collection(name)
    for k in ("collection_id", "created_timestamp", "collection_name", "aliases",
              "properties"):
        d.pop(k, None)
    for f in d["fields"]:
        f.pop("field_id", None)
    return d


def indexes(alias: str, name: str) -> list[tuple]:
    out = []
    for index in Collection(name, using=alias).indexes:
        params = dict(index.params)
        inner = params.get("params", {})
        if isinstance(inner, str):
            inner = json.loads(inner)
        out.append((index.field_name, params.get("index_type"), params.get("metric_type"),
                    json.dumps({k: str(v) for k, v in inner.items()}, sort_keys=True)))
    return sorted(out)


def partition_counts(alias: str, name: str) -> dict[str, int]:
    coll = Collection(name, using=alias)
    out = {}
    for p in coll.partitions:
        got = coll.query("", output_fields=["count(*)"], partition_names=[p.name],
                         consistency_level="Strong")
        out[p.name] = got[0]["count(*)"]
    return out


def client_for(bed) -> MilvusClient:
    kwargs = {"uri": f"http://{bed.milvus_endpoint}"}
    if bed.user:
        kwargs["token"] = f"{bed.user}:{bed.password}"
    return MilvusClient(**kwargs)


@pytest.fixture(scope="module")
def source_collections(milvus2x_source_bed):
    """The source's collections, made once for the module and dropped after."""
    alias = milvus2x_source_bed.milvus_alias()
    tag = uuid.uuid4().hex[:6]
    names = {"rich": f"m2x_rich_{tag}", "pkey": f"m2x_pkey_{tag}"}
    make_rich(alias, names["rich"], 3000, seed=1)
    make_pkey(alias, names["pkey"], 6000, seed=2)
    yield names
    for name in names.values():
        if utility.has_collection(name, using=alias):
            utility.drop_collection(name, using=alias)


def drop_on(bed, *names: str) -> None:
    alias = bed.milvus_alias()
    for name in names:
        if utility.has_collection(name, using=alias):
            utility.drop_collection(name, using=alias)


@pytest.mark.parametrize("mode", LOAD_MODES)
def test_copy_keeps_every_row_field_and_schema(mm_binary, tmp_path, milvus2x_source_bed,
                                              milvus2x_target_bed, source_collections, mode):
    src, dst = milvus2x_source_bed, milvus2x_target_bed
    rich, pkey = source_collections["rich"], source_collections["pkey"]
    drop_on(dst, rich, pkey)
    out = f"m2x-{uuid.uuid4().hex[:8]}"
    config = write_yaml(tmp_path / "migration.yaml",
                        milvus2x_config(src, dst, out, collections=[rich, pkey], mode=mode))
    try:
        result = run(mm_binary, config)
        assert result.returncode == 0, result.describe()
        src_alias, dst_alias = src.milvus_alias(), dst.milvus_alias()
        src_client, dst_client = client_for(src), client_for(dst)

        # Schema, layout and indexes, field by field.
        for name in (rich, pkey):
            assert describe(dst_client, name) == describe(src_client, name), name
            assert indexes(dst_alias, name) == indexes(src_alias, name), name
        # Every named partition with its rows (the partition-key collection: its count).
        assert partition_counts(dst_alias, rich) == partition_counts(src_alias, rich)
        assert len(Collection(pkey, using=dst_alias).partitions) == 8

        # Rows: autoID on gives new ids, so the rich collection matches by seq; the pk
        # collection keeps its ids.
        src_rows = read_all(src_alias, rich, "seq")
        dst_rows = read_all(dst_alias, rich, "seq")
        assert len(src_rows) == 3000 - 150
        assert len(dst_rows) == len(src_rows)
        for a, b in zip(src_rows, dst_rows):
            assert canonical(b, drop=("id",)) == canonical(a, drop=("id",)), a["seq"]
        assert len({r["id"] for r in dst_rows}) == len(dst_rows)

        src_rows = read_all(src_alias, pkey, "pk")
        dst_rows = read_all(dst_alias, pkey, "pk")
        assert len(src_rows) == 6000 - 300
        assert [canonical(r) for r in dst_rows] == [canonical(r) for r in src_rows]

        # verify with the same config: the autoID collection by its counts per partition (its
        # ids are new), the partition-key one row by row over the whole collection.
        report = assert_verifies(mm_binary, config, tmp_path / "verify-report.json")
        by_name = {c["name"]: c for c in report["collections"]}
        assert "counted, not compared" in by_name[rich].get("not_compared", "")
        assert not by_name[pkey].get("not_compared")
        assert report["source_rows"] == (3000 - 150) + (6000 - 300)
    finally:
        drop_on(dst, rich, pkey)


def test_autoid_false_keeps_ids_and_start_t_picks_the_collection(
        mm_binary, tmp_path, milvus2x_source_bed, milvus2x_target_bed, source_collections):
    """`meta.milvus.autoId: "false"` keeps the source's ids (autoID off on the target);
    `start -t NAME` overrides meta.collection; meta.fields copies only the fields named."""
    src, dst = milvus2x_source_bed, milvus2x_target_bed
    rich = source_collections["rich"]
    target = f"m2x_ids_{uuid.uuid4().hex[:6]}"
    config = write_yaml(tmp_path / "migration.yaml", milvus2x_config(
        src, dst, f"m2x-{uuid.uuid4().hex[:8]}", collections=["no_such_collection"],
        meta_extra={"fields": [{"name": "id"}, {"name": "seq"}, {"name": "fv"}],
                    "milvus": {"collection": target, "autoId": "false",
                               "closeDynamicField": True, "shardNum": 1}}))
    try:
        result = run(mm_binary, config, "-t", rich)
        assert result.returncode == 0, result.describe()
        dst_client = client_for(dst)
        d = dst_client.describe_collection(target)
        assert [f["name"] for f in d["fields"]] == ["id", "seq", "fv"]
        assert not d["auto_id"] and not d["enable_dynamic_field"] and d["num_shards"] == 1
        src_rows = read_all(src.milvus_alias(), rich, "id")
        dst_rows = read_all(dst.milvus_alias(), target, "id")
        assert [(r["id"], r["seq"], canonical(r)["fv"]) for r in dst_rows] == \
            [(r["id"], r["seq"], canonical(r)["fv"]) for r in src_rows]
    finally:
        drop_on(dst, target)


def _assert_fails(result: ToolRun, *needles: str) -> None:
    assert result.returncode != 0, result.describe()
    for needle in needles:
        assert needle in result.output, f"{needle!r} not in:\n{result.describe()}"


@pytest.mark.parametrize("case", ["missing_collection", "missing_field", "fields_without_pk",
                                  "fields_without_vector", "wrong_source_password"])
def test_bad_input_fails_clearly_and_creates_nothing(mm_binary, tmp_path, case,
                                                     milvus2x_source_bed, milvus2x_target_bed,
                                                     source_collections):
    src, dst = milvus2x_source_bed, milvus2x_target_bed
    rich = source_collections["rich"]
    target = f"m2x_bad_{uuid.uuid4().hex[:6]}"
    meta = {"milvus": {"collection": target}}
    source_extra = {}
    collections = [rich]
    needles: tuple[str, ...]
    if case == "missing_collection":
        collections = ["m2x_absent"]
        needles = ("m2x_absent", "does not exist")
    elif case == "missing_field":
        meta["fields"] = [{"name": "id"}, {"name": "fv"}, {"name": "nope"}]
        needles = ("[meta.fields]", "'nope'")
    elif case == "fields_without_pk":
        meta["fields"] = [{"name": "seq"}, {"name": "fv"}]
        needles = ("[meta.fields]", "primary key 'id'")
    elif case == "fields_without_vector":
        meta["fields"] = [{"name": "id"}, {"name": "seq"}]
        needles = ("[meta.fields]", "vector")
    else:
        source_extra = {"password": "not-the-password"}
        needles = ("source.milvus2x", "root")
    config = write_yaml(tmp_path / "migration.yaml", milvus2x_config(
        src, dst, f"m2x-{uuid.uuid4().hex[:8]}", collections=collections, meta_extra=meta,
        source_extra=source_extra))
    result = run(mm_binary, config)
    try:
        _assert_fails(result, *needles)
        assert "not-the-password" not in result.output
        assert not utility.has_collection(target, using=dst.milvus_alias())
    finally:
        drop_on(dst, target)


def test_target_with_another_schema_is_refused(mm_binary, tmp_path, milvus2x_source_bed,
                                               milvus2x_target_bed, source_collections):
    src, dst = milvus2x_source_bed, milvus2x_target_bed
    target = f"m2x_other_{uuid.uuid4().hex[:6]}"
    alias = dst.milvus_alias()
    Collection(target, CollectionSchema([
        FieldSchema("id", DataType.INT64, is_primary=True),
        FieldSchema("v", DataType.FLOAT_VECTOR, dim=4)]), using=alias)
    config = write_yaml(tmp_path / "migration.yaml", milvus2x_config(
        src, dst, f"m2x-{uuid.uuid4().hex[:8]}", collections=[source_collections["rich"]],
        meta_extra={"milvus": {"collection": target}}))
    try:
        result = run(mm_binary, config)
        _assert_fails(result, target)
        coll = Collection(target, using=alias)
        assert [f.name for f in coll.schema.fields] == ["id", "v"]
        assert coll.num_entities == 0
    finally:
        drop_on(dst, target)


def test_wrong_target_password_fails_before_reading(mm_binary, tmp_path, milvus2x_source_bed,
                                                    milvus2x_target_bed):
    """The other direction (the auth bed as the target) to reach a target that checks
    credentials: nothing is created on it."""
    src, dst = milvus2x_target_bed, milvus2x_source_bed
    name = f"m2x_small_{uuid.uuid4().hex[:6]}"
    coll = Collection(name, CollectionSchema([
        FieldSchema("id", DataType.INT64, is_primary=True),
        FieldSchema("v", DataType.FLOAT_VECTOR, dim=4)]), using=src.milvus_alias())
    coll.insert([[1, 2], [[0.0] * 4, [1.0] * 4]])
    coll.create_index("v", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    cfg = milvus2x_config(src, dst, str(tmp_path / "out"), collections=[name],
                          target_mode="local")
    cfg["target"]["milvus2x"]["password"] = "not-the-password"
    config = write_yaml(tmp_path / "migration.yaml", cfg)
    try:
        result = run(mm_binary, config)
        _assert_fails(result, "root")
        assert "not-the-password" not in result.output
        assert not utility.has_collection(name, using=dst.milvus_alias())
    finally:
        drop_on(src, name)
        drop_on(dst, name)


def test_interrupted_dump_resumes_after_the_last_pk(mm_binary, tmp_path, milvus2x_source_bed,
                                                    milvus2x_target_bed):
    """Ctrl-C once a task has checkpointed a part (1 MB parts: a 4096-row range of 256-dim
    vectors makes four), then the same command: the task goes on after the last pk of its
    parts, and the target holds every row once, bit for bit."""
    import signal
    import subprocess
    import time

    src, dst = milvus2x_source_bed, milvus2x_target_bed
    name = f"m2x_resume_{uuid.uuid4().hex[:6]}"
    rng = np.random.default_rng(9)
    n, dim = 6000, 256
    ids = rng.choice(np.int64(1) << 60, size=n, replace=False).astype(np.int64)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    coll = Collection(name, CollectionSchema([
        FieldSchema("id", DataType.INT64, is_primary=True),
        FieldSchema("v", DataType.FLOAT_VECTOR, dim=dim)]), using=src.milvus_alias())
    coll.insert([ids.tolist(), vectors])
    coll.flush()
    coll.create_index("v", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    out = f"m2x-{uuid.uuid4().hex[:8]}"
    cfg = milvus2x_config(src, dst, out, collections=[name])
    cfg["dumper"]["worker"].update(limit=1, partSizeMB=1)
    config = write_yaml(tmp_path / "migration.yaml", cfg)
    s3 = dst.s3_client()
    try:
        proc = subprocess.Popen([str(mm_binary), "start", "-c", str(config)],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            try:
                doc = json.loads(s3.get_object(dst.s3_bucket,
                                               f"{out}/migration/manifest.json").read())
            except Exception:  # not written yet
                time.sleep(0.05)
                continue
            tasks = doc["collections"][0]["tasks"] if doc.get("collections") else {}
            if any(t.get("parts") and not t.get("done") for t in tasks.values()):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err

        rerun = run(mm_binary, config)
        assert rerun.returncode == 0, rerun.describe()
        assert "resumes after the" in rerun.output, rerun.describe()
        coll_dst = Collection(name, using=dst.milvus_alias())
        rows = []
        last = -(1 << 62)
        while True:
            page = coll_dst.query(f"id > {last}", output_fields=["id", "v"], limit=16384,
                                  consistency_level="Strong")
            if not page:
                break
            page.sort(key=lambda r: r["id"])
            rows.extend(page)
            last = page[-1]["id"]
        order = np.argsort(ids)
        assert [r["id"] for r in rows] == ids[order].tolist()
        assert np.asarray([r["v"] for r in rows], dtype=np.float32).tobytes() == \
            vectors[order].tobytes()
    finally:
        drop_on(src, name)
        drop_on(dst, name)


def test_every_collection_of_a_database(mm_binary, tmp_path, milvus2x_source_bed,
                                        milvus2x_target_bed):
    """`source.milvus2x.databases: [db]` with `meta.collections: "*"` copies each collection
    of that database (into the target's default database), rows and all."""
    from pymilvus import db

    src, dst = milvus2x_source_bed, milvus2x_target_bed
    database = f"m2x_db_{uuid.uuid4().hex[:6]}"
    alias = src.milvus_alias()
    db.create_database(database, using=alias)
    names = [f"m2x_all_a_{uuid.uuid4().hex[:4]}", f"m2x_all_b_{uuid.uuid4().hex[:4]}"]
    try:
        db.using_database(database, using=alias)
        for k, name in enumerate(names):
            coll = Collection(name, CollectionSchema([
                FieldSchema("id", DataType.INT64, is_primary=True),
                FieldSchema("v", DataType.FLOAT_VECTOR, dim=4)]), using=alias)
            coll.insert([[k * 100 + i for i in range(50)],
                         [[float(i), float(k), 0.5, -1.0] for i in range(50)]])
            coll.flush()
            coll.create_index("v", {"index_type": "FLAT", "metric_type": "IP", "params": {}})
            coll.load()
        db.using_database("default", using=alias)
        config = write_yaml(tmp_path / "migration.yaml", milvus2x_config(
            src, dst, f"m2x-{uuid.uuid4().hex[:8]}", collections=None,
            meta_extra={"collections": "*"}, source_extra={"databases": [database]}))
        result = run(mm_binary, config)
        assert result.returncode == 0, result.describe()
        for k, name in enumerate(names):
            got = Collection(name, using=dst.milvus_alias()).query(
                "", output_fields=["id", "v"], limit=100, consistency_level="Strong")
            assert sorted(r["id"] for r in got) == [k * 100 + i for i in range(50)], name
            assert indexes(dst.milvus_alias(), name)[0][2] == "IP"
    finally:
        drop_on(dst, *names)
        db.using_database(database, using=alias)
        for name in names:
            if utility.has_collection(name, using=alias):
                utility.drop_collection(name, using=alias)
        db.using_database("default", using=alias)
        db.drop_database(database, using=alias)


def test_copy_into_milvus_lite_by_the_default_insert(mm_binary, tmp_path, milvus2x_source_bed,
                                                      milvus_lite):
    """Milvus 2.3.5 -> Milvus Lite, which has no bulk import: without `loader.mode` a milvus2x
    copy goes by Insert (its default), and every row and field arrives bit for bit, the
    dynamic keys too. Lite has no named partitions, so the source holds only _default."""
    src = milvus2x_source_bed
    name = f"m2x_lite_{uuid.uuid4().hex[:6]}"
    src_alias = src.milvus_alias()
    schema = CollectionSchema([
        FieldSchema("pk", DataType.INT64, is_primary=True),
        FieldSchema("vc", DataType.VARCHAR, max_length=VARCHAR_MAX),
        FieldSchema("js", DataType.JSON),
        FieldSchema("arr", DataType.ARRAY, element_type=DataType.INT64, max_capacity=8),
        FieldSchema("f", DataType.FLOAT),
        FieldSchema("fv", DataType.FLOAT_VECTOR, dim=DIM),
    ], enable_dynamic_field=True)
    rng = np.random.default_rng(7)
    rows = [{"pk": i * 3 - 600, "vc": _varchar(i), "js": {"i": i, "l": [i, "x"]},
             "arr": [i, -i][: i % 3], "f": float(np.float32(rng.standard_normal())),
             "fv": [float(x) for x in rng.standard_normal(DIM).astype(np.float32)],
             **({"dyn": f"d{i}"} if i % 2 else {})} for i in range(700)]
    coll = Collection(name, schema, using=src_alias)
    coll.insert(rows)
    coll.flush()
    coll.create_index("fv", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    config = milvus2x_config(src, milvus_lite, str(tmp_path / "out"), collections=[name],
                             target_mode="local")
    del config["loader"]["mode"]  # the kind's default
    del config["target"]["create"]  # Lite: the test loads it itself below
    try:
        result = run(mm_binary, write_yaml(tmp_path / "migration.yaml", config))
        assert result.returncode == 0, result.describe()
        assert "by insert" in result.output, result.output
        lite_alias = milvus_lite.milvus_alias()
        target = Collection(name, using=lite_alias)
        if not target.indexes:
            target.create_index("fv", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
        target.load()
        src_rows = read_all(src_alias, name, "pk")
        dst_rows = read_all(lite_alias, name, "pk")
        assert len(src_rows) == 700
        assert [canonical(r) for r in dst_rows] == [canonical(r) for r in src_rows]
    finally:
        drop_on(src, name)
        drop_on(milvus_lite, name)


KILL_ROWS = 30000
KILL_DIM = 32
# Kill points, seconds after a run starts: from before the first batch (the plan, the target
# collection's creation) to well into the rows; the copy's rows take several runs' worth.
KILL_MIN_S, KILL_MAX_S = 0.3, 2.0


def make_kill_source(alias: str, name: str, n: int, seed: int) -> None:
    """An Int64 pk kept as given (spread over negative and positive values), a VarChar, a JSON
    and a FloatVector; n rows, flushed, indexed and loaded."""
    rng = np.random.default_rng(seed)
    fields = [
        FieldSchema("pk", DataType.INT64, is_primary=True, auto_id=False),
        FieldSchema("vc", DataType.VARCHAR, max_length=64),
        FieldSchema("js", DataType.JSON),
        FieldSchema("fv", DataType.FLOAT_VECTOR, dim=KILL_DIM),
    ]
    coll = Collection(name, CollectionSchema(fields), using=alias, shards_num=2,
                      consistency_level="Strong")
    pks = (np.arange(n, dtype=np.int64) * 7919 % n) * 3 - n  # a permutation, not in order
    vectors = rng.standard_normal((n, KILL_DIM)).astype(np.float32)
    for start in range(0, n, 5000):
        end = min(start + 5000, n)
        coll.insert([
            [int(p) for p in pks[start:end]],
            [f"row-{int(p)}-\u00e9" * (1 + int(p) % 3) for p in pks[start:end]],
            [{"pk": int(p), "tag": f"t{int(p) % 7}", "xs": [int(p), 0.5]}
             for p in pks[start:end]],
            vectors[start:end].tolist(),
        ])
    coll.flush()
    coll.create_index("fv", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()


def read_by_pk(alias: str, name: str, lo: int, hi: int, pages: int = 8) -> list[dict]:
    """Every row with lo <= pk < hi, every field, in pk ranges small enough for one query
    window each; duplicates kept, as Milvus returns them."""
    coll = Collection(name, using=alias)
    edges = np.linspace(lo, hi, pages + 1).astype(np.int64)
    edges[-1] = hi
    rows: list[dict] = []
    for a, b in zip(edges[:-1], edges[1:]):
        got = coll.query(f"pk >= {int(a)} && pk < {int(b)}", output_fields=["*"],
                         limit=16000, consistency_level="Strong")
        assert len(got) < 16000
        rows.extend(got)
    return rows


def test_sigkill_during_insert_copy_loses_and_doubles_nothing(
        mm_binary, tmp_path, milvus2x_source_bed, milvus2x_target_bed):
    """Issue 12: an insert-mode Milvus 2.x -> 2.x copy SIGKILLed at 10 random points, rerun
    after each kill, then run to completion: count(*) is the source's, every pk is there
    exactly once, every field bit for bit equal to the source's."""
    src, dst = milvus2x_source_bed, milvus2x_target_bed
    name = f"m2x_kill_{uuid.uuid4().hex[:6]}"
    src_alias, dst_alias = src.milvus_alias(), dst.milvus_alias()
    make_kill_source(src_alias, name, KILL_ROWS, seed=12)
    # The checkpoint on local disk (written to a temporary file, then renamed): on the bed's
    # SeaweedFS, a kill in the middle of the manifest's PUT can leave a 0-byte manifest.json
    # that every rerun then refuses as malformed (reported; not what this test is about).
    config = milvus2x_config(src, dst, str(tmp_path / "out"), collections=[name],
                             mode="insert", target_mode="local")
    # Small reads: many batches, each acknowledged and checkpointed on its own.
    config["dumper"]["worker"]["reader"]["bufferSize"] = 100
    path = write_yaml(tmp_path / "migration.yaml", config)
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    kills, finished_early, delays = 0, 0, []
    try:
        for _ in range(10):
            # A killed run leaves its lock behind: the next one takes it over.
            proc = subprocess.Popen([str(mm_binary), "start", "-c", str(path),
                                     "--force-unlock"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            delay = rng.uniform(KILL_MIN_S, KILL_MAX_S)
            delays.append(round(delay, 2))
            try:
                out, _ = proc.communicate(timeout=delay)
                assert proc.returncode == 0, out.decode(errors="replace")
                finished_early += 1  # done before its kill point: the next run resumes a
                # finished copy, which must add nothing either
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                kills += 1
        final = run_tool(mm_binary, "start", "-c", str(path), "--force-unlock", timeout=600)
        assert final.returncode == 0, final.describe()
        # A run that finishes before its kill point ends the copy: later ones find it done.
        assert kills >= 6, f"only {kills} of 10 runs were killed, {finished_early} finished " \
            f"(delays {delays})"

        coll = Collection(name, using=dst_alias)
        coll.load()
        count = coll.query("", output_fields=["count(*)"], consistency_level="Strong")
        assert count[0]["count(*)"] == KILL_ROWS, \
            f"count(*) {count}, expected {KILL_ROWS} after {kills} kills (delays {delays})"
        lo, hi = -KILL_ROWS, 2 * KILL_ROWS
        src_rows = read_by_pk(src_alias, name, lo, hi)
        dst_rows = read_by_pk(dst_alias, name, lo, hi)
        assert len(src_rows) == KILL_ROWS
        dst_pks = [r["pk"] for r in dst_rows]
        assert len(dst_pks) == KILL_ROWS, f"{len(dst_pks)} rows read back after {kills} kills"
        assert len(set(dst_pks)) == KILL_ROWS, "a pk came back twice"
        src_by_pk = {r["pk"]: r for r in src_rows}
        assert set(dst_pks) == set(src_by_pk)
        bad = [r["pk"] for r in dst_rows if canonical(r) != canonical(src_by_pk[r["pk"]])]
        assert not bad, f"{len(bad)} rows differ, e.g. pk {bad[0]}"

        # verify, with the same config, proves the same (issue 16). The main fidelity test's
        # collections cannot be verified yet: one has autoID (counted, reported as a
        # mismatch) and the other a partition key (verify queries it by partition name,
        # which Milvus refuses).
        report = assert_verifies(mm_binary, path, tmp_path / "verify-report.json")
        assert report["source_rows"] == KILL_ROWS, report
    finally:
        drop_on(dst, name)
        drop_on(src, name)
