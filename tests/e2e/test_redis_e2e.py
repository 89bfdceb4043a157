"""Redis → Milvus 2.x against real redis-server 7 (scripts/redis.sh): HASH keys with float
blobs, string keys holding JSON text, a wrong-length blob, a password-protected server, a
3-master Redis Cluster, and a SIGKILLed dump resumed exactly. Every migrated row is read back
with pymilvus and compared field by field, bit for bit, with what redis-py reads from the
server. The parts go to local disk, which the bed's Milvus (testbed_local) imports. RedisJSON and RediSearch are not packaged for Debian, so keyType json and
`index:` (FT.INFO) are covered by the unit tests on parsed replies only
(src/sources/redis/*_test.cc), plus the clear error a server without RediSearch gives here."""

from __future__ import annotations

import json
import signal
import struct
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from pymilvus import Collection, utility

from migration_yaml import ToolRun, assert_verifies, run_tool, write_yaml
from redis_fixture import (REDIS_PASSWORD, redis_auth, redis_client, redis_cluster,  # noqa: F401
                           redis_config, redis_plain)

LOAD_MODES = ["import", "insert"]  # bulk import, and Insert requests (loader.mode)
IMPORT_ONLY = ["import"]  # paths the load mode does not change
DIM = 32

HASH_FIELDS = [{"name": "id", "pk": "key", "maxLen": 128},
               {"name": "emb", "type": "vector", "dims": DIM, "dataType": "FLOAT32"},
               {"name": "title", "type": "VarChar", "maxLen": 200},
               {"name": "price", "type": "Double"},
               {"name": "count", "type": "Int64"},
               {"name": "flag", "type": "Bool"},
               {"name": "meta", "type": "JSON"}]


def run(binary: Path, command: str, config: Path, *extra: str) -> ToolRun:
    return run_tool(binary, command, "-c", str(config), *extra, timeout=600)


def drop(bed, name: str) -> None:
    alias = bed.milvus_alias()
    if utility.has_collection(name, using=alias):
        utility.drop_collection(name, using=alias)


def put_hashes(r, n: int, *, prefix: str = "doc:", seed: int = 1, dtype=np.float32,
               dim: int = DIM) -> None:
    """`n` HASH keys `<prefix><i>`: a vector blob `emb` and text scalars, as RediSearch
    indexes them."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(dtype)
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.hset(f"{prefix}{i}", mapping={
            "emb": vectors[i].astype(f"<{np.dtype(dtype).str[1:]}").tobytes(),
            "title": f"title {i} ü {'x' * (i % 17)}",
            "price": repr(float(rng.standard_normal())),
            "count": str(int(rng.integers(-2**62, 2**62))),
            "flag": "1" if i % 3 else "0",
            "meta": json.dumps({"i": i, "tags": ["a", str(i % 5)], "nested": {"k": i / 4}}),
            "unlisted": "not migrated"})
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()


def read_hashes(r, match: str) -> dict[bytes, dict[bytes, bytes]]:
    """Every HASH key matching `match`, as redis-py reads it: the independent expectation."""
    return {k: r.hgetall(k) for k in r.scan_iter(match=match, count=1000, _type="hash")}


def milvus_rows(bed, name: str, pks: list, fields: list[str], vector: str) -> dict:
    """The collection's rows by pk, read with pymilvus (FLAT index, loaded)."""
    coll = Collection(name, using=bed.milvus_alias())
    coll.create_index(vector, {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    got = {}
    for lo in range(0, len(pks), 1000):
        chunk = pks[lo:lo + 1000]
        rows = coll.query(f"id in {json.dumps(chunk)}", output_fields=fields,
                          consistency_level="Strong", limit=len(chunk) + 1)
        for row in rows:
            assert row["id"] not in got, f"pk {row['id']} twice"
            got[row["id"]] = row
    assert coll.num_entities == len(pks), (coll.num_entities, len(pks))
    return got


def assert_hash_rows(got: dict, expected: dict[bytes, dict[bytes, bytes]], prefix: bytes,
                     vec_dtype: str = "<f4") -> None:
    assert len(got) == len(expected)
    for key, h in expected.items():
        row = got[key[len(prefix):].decode()]
        want_vec = np.frombuffer(h[b"emb"], dtype=vec_dtype).astype(np.float32)
        assert np.asarray(row["emb"], np.float32).tobytes() == want_vec.tobytes(), key
        assert row["title"] == h[b"title"].decode(), key
        assert struct.pack("<d", row["price"]) == struct.pack("<d", float(h[b"price"])), key
        assert row["count"] == int(h[b"count"]), key
        assert row["flag"] == (h[b"flag"] == b"1"), key
        assert row["meta"] == json.loads(h[b"meta"]), key


@pytest.fixture(scope="module")
def hash_keys(redis_plain):
    """3,000 HASH keys under doc: (plus a wrong-length blob, a string key under the prefix
    and keys under another prefix, none of which may arrive) on db 1."""
    r = redis_client(redis_plain, db=1)
    r.flushdb()
    put_hashes(r, 3000)
    r.hset("doc:bad", mapping={"emb": b"\0" * (DIM * 4 - 4), "title": "t", "price": "1",
                               "count": "1", "flag": "1", "meta": "{}"})
    r.set("doc:not-a-hash", "{}")  # SCAN ... TYPE hash leaves it out
    put_hashes(r, 50, prefix="other:", seed=9)
    expected = read_hashes(r, "doc:*")
    del expected[b"doc:bad"]
    return expected


@pytest.mark.parametrize("load_mode", LOAD_MODES)
def test_hash_keys_bit_for_bit_and_a_wrong_length_blob_skipped(
        redis_plain, hash_keys, testbed_local, mm_binary, tmp_path, load_mode):
    name = f"redis_hash_{uuid.uuid4().hex[:8]}"
    config = redis_config(redis_plain, testbed_local, str(tmp_path / "out"), name, HASH_FIELDS,
                          url=redis_plain["MM_REDIS_URL"] + "/1", prefix="doc:",
                          keyType="hash", scanCount=300, target_mode="local",
                          loader_mode=load_mode)
    config["dumper"]["invalidRows"] = "skip"
    try:
        path = write_yaml(tmp_path / "m.yaml", config)
        done = run(mm_binary, "start", path)
        assert done.returncode == 0, done.describe()
        assert "1 row skipped: key 'doc:bad'" in done.output, done.describe()
        assert "blob is 124 bytes; expected 128 (32 dims x 4 bytes)" in done.output
        pks = [k[4:].decode() for k in hash_keys]
        got = milvus_rows(testbed_local, name, pks,
                          ["id", "emb", "title", "price", "count", "flag", "meta"], "emb")
        assert_hash_rows(got, hash_keys, b"doc:")
        # verify, with the same config (the skipped key is not expected either), matches.
        report = assert_verifies(mm_binary, path, tmp_path / "verify-report.json")
        assert report["source_rows"] == len(hash_keys), report
    finally:
        drop(testbed_local, name)


def test_wrong_length_blob_fails_the_dump_naming_its_key(redis_plain, hash_keys, testbed_local,
                                                         mm_binary, tmp_path):
    config = redis_config(redis_plain, testbed_local, str(tmp_path / "out"), "unused",
                          HASH_FIELDS, url=redis_plain["MM_REDIS_URL"] + "/1", prefix="doc:",
                          target_mode="local")
    done = run(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    assert done.returncode != 0, done.describe()
    assert ("redis key 'doc:bad': field 'emb' blob is 124 bytes; expected 128 (32 dims x 4 "
            "bytes)") in done.output, done.describe()
    assert "dumper.invalidRows: skip" in done.output


@pytest.mark.parametrize("load_mode", IMPORT_ONLY)
def test_string_keys_with_json_text(redis_plain, testbed_local, mm_binary, tmp_path, load_mode):
    r = redis_client(redis_plain, db=2)
    r.flushdb()
    rng = np.random.default_rng(5)
    pipe = r.pipeline(transaction=False)
    for i in range(1500):
        doc = {"id": i * 1_000_003 + 7, "vec": [float(x) for x in rng.standard_normal(DIM)],
               "info": {"name": f"item {i}"}, "score": float(rng.standard_normal()),
               "tags": ["t", i % 4, {"deep": [i]}]}
        pipe.set(f"item:{i}", json.dumps(doc))
    pipe.set("item:extra-text", "not json at all")  # invalid: skipped and counted
    pipe.execute()
    expected = {}
    for key in r.scan_iter(match="item:*", _type="string"):
        try:
            doc = json.loads(r.get(key))
        except ValueError:
            continue
        expected[doc["id"]] = doc
    fields = [{"name": "id", "type": "Int64", "pk": True},
              {"name": "vec", "type": "FloatVector", "dims": DIM},
              {"name": "name", "path": "info.name", "type": "VarChar", "maxLen": 64},
              {"name": "score", "type": "Double"},
              {"name": "tags", "type": "JSON"}]
    name = f"redis_str_{uuid.uuid4().hex[:8]}"
    config = redis_config(redis_plain, testbed_local, str(tmp_path / "out"), name, fields,
                          url=redis_plain["MM_REDIS_URL"] + "/2", match="item:*",
                          keyType="string", target_mode="local", loader_mode=load_mode)
    config["dumper"]["invalidRows"] = "skip"
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        assert "1 row skipped: key 'item:extra-text'" in done.output, done.describe()
        got = milvus_rows(testbed_local, name, sorted(expected),
                          ["id", "vec", "name", "score", "tags"], "vec")
        assert len(got) == len(expected)
        for pk, doc in expected.items():
            row = got[pk]
            assert (np.asarray(row["vec"], np.float32).tobytes()
                    == np.asarray(doc["vec"], np.float64).astype(np.float32).tobytes()), pk
            assert row["name"] == doc["info"]["name"]
            assert struct.pack("<d", row["score"]) == struct.pack("<d", doc["score"])
            assert row["tags"] == doc["tags"]
    finally:
        drop(testbed_local, name)


@pytest.mark.parametrize("load_mode", IMPORT_ONLY)
def test_password_protected_server(redis_auth, testbed_local, mm_binary, tmp_path, load_mode):
    r = redis_client(redis_auth)
    r.flushdb()
    put_hashes(r, 400, prefix="sec:", seed=3)
    expected = read_hashes(r, "sec:*")
    host, port = redis_auth["MM_REDIS_HOST"], redis_auth["MM_REDIS_PORT"]
    wrong = "Wr0ng-pw-91d2"
    for url, says in ((f"redis://:{wrong}@{host}:{port}", "was refused"),
                      (f"redis://default:{wrong}@{host}:{port}", "user 'default'"),
                      (f"redis://{host}:{port}", "requires a password")):
        config = redis_config(redis_auth, testbed_local, str(tmp_path / "refused"), "unused",
                              HASH_FIELDS, url=url, prefix="sec:", target_mode="local")
        refused = run(mm_binary, "dump", write_yaml(tmp_path / "bad.yaml", config))
        assert refused.returncode != 0, refused.describe()
        assert says in refused.output, refused.describe()
        assert wrong not in refused.output and REDIS_PASSWORD not in refused.output
    name = f"redis_auth_{uuid.uuid4().hex[:8]}"
    config = redis_config(redis_auth, testbed_local, str(tmp_path / "out"), name, HASH_FIELDS,
                          prefix="sec:", target_mode="local", loader_mode=load_mode)
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        assert REDIS_PASSWORD not in done.output
        got = milvus_rows(testbed_local, name, [k[4:].decode() for k in expected],
                          ["id", "emb", "title", "price", "count", "flag", "meta"], "emb")
        assert_hash_rows(got, expected, b"sec:")
    finally:
        drop(testbed_local, name)


def dumped_pks(out: Path) -> list[str]:
    """The `id` values of every dumped part (JSON rows: a VarChar pk), sorted, duplicates kept."""
    ids = []
    for p in sorted(out.rglob("*.json")):
        if p.name in ("manifest.json", "report.json"):
            continue
        try:
            rows = json.loads(p.read_text()).get("rows", [])
        except (ValueError, AttributeError):
            continue
        ids += [row["id"] for row in rows]
    return sorted(ids)


@pytest.mark.parametrize("load_mode", IMPORT_ONLY)
def test_killed_dump_resumes_at_its_scan_cursor_exactly(redis_plain, testbed_local, mm_binary,
                                                        tmp_path, load_mode):
    """The dump is SIGKILLed once a part is checkpointed inside a SCAN page; the rerun scans
    that page again, leaves out the keys dumped before, and every key arrives exactly once.
    """
    r = redis_client(redis_plain, db=3)
    r.flushdb()
    put_hashes(r, 20000, prefix="k:", seed=11)
    expected = read_hashes(r, "k:*")
    name = f"redis_kill_{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out"
    config = redis_config(redis_plain, testbed_local, str(out), name, HASH_FIELDS,
                          url=redis_plain["MM_REDIS_URL"] + "/3", prefix="k:", scanCount=700,
                          target_mode="local", loader_mode=load_mode)
    config["dumper"]["worker"]["partSizeMB"] = 1
    path = write_yaml(tmp_path / "m.yaml", config)
    manifest = out / "migration" / "manifest.json"
    proc = subprocess.Popen([str(mm_binary), "dump", "-c", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    position = None
    while position is None:
        assert proc.poll() is None, "the dump ended before a part was checkpointed"
        assert time.monotonic() < deadline
        try:
            tasks = json.loads(manifest.read_text())["collections"][0]["tasks"]
            position = next((t["position"] for t in tasks.values() if t.get("position")), None)
        except (OSError, ValueError, LookupError):
            pass
        if position is None:
            time.sleep(0.003)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert "cursor" in json.loads(position), position
    rerun = run(mm_binary, "dump", path, "--force-unlock")
    assert rerun.returncode == 0, rerun.describe()
    assert "resumes at SCAN cursor" in rerun.output, rerun.describe()
    pks = sorted(k[2:].decode() for k in expected)
    assert dumped_pks(out) == pks  # each key once: none lost, none twice
    try:
        loaded = run(mm_binary, "load", path)
        assert loaded.returncode == 0, loaded.describe()
        got = milvus_rows(testbed_local, name, pks,
                          ["id", "emb", "title", "price", "count", "flag", "meta"], "emb")
        assert_hash_rows(got, expected, b"k:")
    finally:
        drop(testbed_local, name)


@pytest.mark.parametrize("load_mode", IMPORT_ONLY)
def test_cluster_one_task_a_master_float64_blobs(redis_cluster, testbed_local, mm_binary, tmp_path,
                                                 load_mode):
    r = redis_client(redis_cluster)
    for node_client in r.get_primaries():
        r.flushdb(target_nodes=node_client)
    put_hashes(r, 2000, prefix="c:", seed=13, dtype=np.float64)
    expected = {}
    for key in r.scan_iter(match="c:*", _type="hash"):
        expected[key] = r.hgetall(key)
    assert len(expected) == 2000
    fields = [dict(f) for f in HASH_FIELDS]
    fields[1]["dataType"] = "FLOAT64"
    name = f"redis_cluster_{uuid.uuid4().hex[:8]}"
    config = redis_config(redis_cluster, testbed_local, str(tmp_path / "out"), name, fields,
                          prefix="c:", target_mode="local", loader_mode=load_mode)
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        assert "3 task(s) (one a cluster master)" in done.output, done.describe()
        got = milvus_rows(testbed_local, name, [k[2:].decode() for k in expected],
                          ["id", "emb", "title", "price", "count", "flag", "meta"], "emb")
        assert_hash_rows(got, expected, b"c:", vec_dtype="<f8")
    finally:
        drop(testbed_local, name)


def test_index_without_redisearch_is_a_clear_error(redis_plain, testbed_local, mm_binary, tmp_path):
    config = redis_config(redis_plain, testbed_local, str(tmp_path / "out"), "unused", [],
                          index="idx:docs", target_mode="local")
    del config["source"]["redis"]["fields"]
    done = run(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    assert done.returncode != 0, done.describe()
    assert "[source.redis.index] needs RediSearch (FT.INFO)" in done.output, done.describe()
