"""The test bed is real and usable the way the migration tool uses it: .npy files placed
where Milvus reads them (object keys in its bucket, or absolute local paths), a bulk import,
then every row read back and compared bit for bit. Also pins the facts docs/testbed.md
reports (key lookup, state sequence, auth, start/stop hygiene)."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from pymilvus import (BulkInsertState, Collection, CollectionSchema, DataType, FieldSchema,
                      connections, utility)

from conftest import PORT_BASE, Testbed, run_testbed_sh

DIM = 8
ROWS = 3000
IMPORT_TIMEOUT_S = 120
TERMINAL_STATES = {BulkInsertState.ImportCompleted, BulkInsertState.ImportFailed,
                   BulkInsertState.ImportFailedAndCleaned}


def make_rows(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unordered, sparse int64 ids (extremes included) and float32 vectors with awkward
    values (-0.0, subnormals, the largest finite float) to catch any lossy conversion.
    Never 0 (the read-back query excludes it) nor INT64_MAX, which Milvus 2.3.5 stores and
    counts but never returns from a query (docs/testbed.md)."""
    rng = np.random.default_rng(seed)
    i64 = np.iinfo(np.int64)
    body = rng.integers(i64.min + 1, i64.max - 1, ROWS * 2, dtype=np.int64)
    body = np.unique(body[body != 0])
    rng.shuffle(body)
    ids = np.concatenate([[i64.min, i64.max - 1], body[:ROWS - 2]]).astype(np.int64)
    rng.shuffle(ids)
    vectors = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    vectors[0] = [-0.0, 1e-45, -1e-45, np.finfo(np.float32).max, np.finfo(np.float32).min,
                  np.finfo(np.float32).tiny, 1.0, -1.0]
    return ids, np.ascontiguousarray(vectors)


def create_collection(alias: str, name: str) -> Collection:
    schema = CollectionSchema([
        FieldSchema("id", DataType.INT64, is_primary=True, auto_id=False),
        FieldSchema("data", DataType.FLOAT_VECTOR, dim=DIM),
    ])
    return Collection(name, schema, using=alias)


def run_import(alias: str, collection: str, files: list[str]):
    """Starts an import and polls it to a terminal state.
    Returns (final state, [(state name, seconds since the request)...] on each change)."""
    t0 = time.monotonic()
    task = utility.do_bulk_insert(collection, files=files, using=alias)
    seen: list[tuple[str, float]] = []
    while True:
        state = utility.get_bulk_insert_state(task, using=alias)
        if not seen or seen[-1][0] != state.state_name:
            seen.append((state.state_name, round(time.monotonic() - t0, 2)))
        if state.state in TERMINAL_STATES:
            return state, seen
        if time.monotonic() - t0 > IMPORT_TIMEOUT_S:
            pytest.fail(f"import {task} still {state.state_name} after {IMPORT_TIMEOUT_S} s")
        time.sleep(0.1)


def assert_collection_holds(coll: Collection, ids: np.ndarray, vectors: np.ndarray) -> None:
    """Indexes, loads and queries every row; compares ids and vector bits exactly."""
    coll.create_index("data", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    assert coll.num_entities == len(ids)
    # Not a range: Milvus 2.3.5's parser rejects the INT64_MIN literal ("value out of range").
    rows = coll.query("id != 0", output_fields=["id", "data"],
                      consistency_level="Strong")
    assert len(rows) == len(ids)
    rows.sort(key=lambda r: r["id"])
    got_ids = np.array([r["id"] for r in rows], dtype=np.int64)
    got_vectors = np.array([r["data"] for r in rows], dtype=np.float32)
    order = np.argsort(ids, kind="stable")
    np.testing.assert_array_equal(got_ids, ids[order])
    np.testing.assert_array_equal(got_vectors.view(np.uint32), vectors[order].view(np.uint32))


def import_and_check(bed: Testbed, name: str, files: list[str], ids, vectors) -> None:
    alias = bed.milvus_alias()
    coll = create_collection(alias, name)
    state, seen = run_import(alias, name, files)
    print(f"\n[{bed.storage}] import of {len(ids)} rows: {seen}; rss MiB {bed.server_rss_mib()}")
    assert state.state == BulkInsertState.ImportCompleted, (
        f"import ended {state.state_name}: {state.infos.get('failed_reason')}\n{bed.log_tail()}")
    assert state.row_count == len(ids)
    assert seen[-1][0] == "Completed"
    assert_collection_holds(coll, ids, vectors)


# ---------------------------------------------------------------------- S3 storage

def test_s3_import_from_object_keys(testbed_s3: Testbed, unique_collection):
    name = unique_collection(testbed_s3)
    ids, vectors = make_rows(seed=1)
    keys = [f"mmtest/{name}/part-0/id.npy", f"mmtest/{name}/part-0/data.npy"]
    testbed_s3.put_npy(keys[0], ids)
    testbed_s3.put_npy(keys[1], vectors)

    import_and_check(testbed_s3, name, keys, ids, vectors)

    # Milvus really keeps its own data in that bucket, under minio.rootPath.
    root = testbed_s3.env["MM_S3_ROOT_PATH"]
    binlogs = list(testbed_s3.s3_client().list_objects(
        testbed_s3.s3_bucket, prefix=f"{root}/insert_log/", recursive=True))
    assert binlogs, f"no Milvus binlogs under s3://{testbed_s3.s3_bucket}/{root}/insert_log/"


def test_s3_import_keys_are_not_prefixed_with_root_path(testbed_s3: Testbed,
                                                        unique_collection):
    name = unique_collection(testbed_s3)
    ids, vectors = make_rows(seed=2)
    key = f"mmtest/{name}/part-0"
    root = testbed_s3.env["MM_S3_ROOT_PATH"]
    # The files exist only under rootPath/<key>; the request names <key>.
    testbed_s3.put_npy(f"{root}/{key}/id.npy", ids)
    testbed_s3.put_npy(f"{root}/{key}/data.npy", vectors)
    alias = testbed_s3.milvus_alias()
    create_collection(alias, name)

    state, seen = run_import(alias, name, [f"{key}/id.npy", f"{key}/data.npy"])

    assert state.state == BulkInsertState.ImportFailed, seen
    reason = state.infos.get("failed_reason", "")
    assert f"'{key}/id.npy'" in reason and "The specified key does not exist" in reason, reason


def test_s3_gateway_checks_credentials(testbed_s3: Testbed):
    from minio import Minio
    from minio.error import S3Error

    wrong = Minio(testbed_s3.s3_endpoint, access_key=testbed_s3.env["MM_S3_AK"],
                  secret_key="not-the-secret", secure=False,
                  region=testbed_s3.env["MM_S3_REGION"])
    with pytest.raises(S3Error) as err:
        list(wrong.list_objects(testbed_s3.s3_bucket))
    assert err.value.code in ("SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId")


# ---------------------------------------------------------------------- local storage

def test_local_import_from_absolute_paths(testbed_local: Testbed, unique_collection,
                                         tmp_path: Path):
    name = unique_collection(testbed_local)
    ids, vectors = make_rows(seed=3)
    part = tmp_path / "part-0"
    part.mkdir()
    np.save(part / "id.npy", ids)
    np.save(part / "data.npy", vectors)

    import_and_check(testbed_local, name, [str(part / "id.npy"), str(part / "data.npy")],
                     ids, vectors)


def test_local_import_relative_path_is_not_found(testbed_local: Testbed, unique_collection,
                                                 tmp_path: Path):
    name = unique_collection(testbed_local)
    ids, vectors = make_rows(seed=4)
    np.save(tmp_path / "id.npy", ids)
    np.save(tmp_path / "data.npy", vectors)
    alias = testbed_local.milvus_alias()
    create_collection(alias, name)
    relative = os.path.relpath(tmp_path, "/")  # the same file, without the leading '/'

    state, seen = run_import(alias, name, [f"{relative}/id.npy", f"{relative}/data.npy"])

    assert state.state == BulkInsertState.ImportFailed, seen
    assert "no such file or directory" in state.infos.get("failed_reason", "")


# ---------------------------------------------------------------------- auth

def test_auth_bed_requires_credentials(testbed_auth: Testbed):
    host, port = testbed_auth.milvus_host, testbed_auth.milvus_port
    for alias, kwargs in (("noauth", {}), ("badauth", {"user": "root", "password": "wrong"})):
        with pytest.raises(Exception, match="(?i)unauthenticated|auth"):
            connections.connect(alias, host=host, port=port, timeout=10, **kwargs)
            utility.list_collections(using=alias, timeout=10)
        connections.disconnect(alias)
    assert testbed_auth.user == "root"
    utility.list_collections(using=testbed_auth.milvus_alias())


# ---------------------------------------------------------------------- start/stop hygiene

def processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in args:
            found.append(f"{cmdline.parent.name}: {args}")
    return found


def test_start_refuses_a_busy_port(tmp_path: Path):
    base = PORT_BASE + 120
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + 10))  # the data coord port
        holder.listen()
        result = run_testbed_sh("start", "--dir", str(tmp_path), "--port-base", str(base))
    assert result.returncode != 0
    assert f"port(s) {base + 10} already in use" in result.stderr, result.stderr
    assert not (tmp_path / "testbed.env").exists()
    assert processes_mentioning(str(tmp_path)) == []


def test_failed_start_leaves_nothing_running(tmp_path: Path):
    base = PORT_BASE + 160
    # SeaweedFS starts, then the 1 s deadline for its S3 answer passes.
    result = run_testbed_sh("start", "--dir", str(tmp_path), "--storage", "s3",
                            "--port-base", str(base), "--timeout", "1")
    assert result.returncode != 0
    assert "not ready after 1 s" in result.stderr, result.stderr
    assert "stopping seaweedfs" in result.stderr, result.stderr
    assert processes_mentioning(str(tmp_path)) == []
    assert list((tmp_path / "pids").glob("*.pid")) == []
    # stop is idempotent.
    for _ in range(2):
        assert run_testbed_sh("stop", "--dir", str(tmp_path)).returncode == 0
    shutil.rmtree(tmp_path / "milvus" / "data", ignore_errors=True)
