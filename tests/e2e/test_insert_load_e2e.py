"""Loading by Insert/Upsert (loader.mode insert | upsert, issue 12): FAISS, Milvus 1.x and
Elasticsearch sources into Milvus 2.3.5 and into Milvus Lite (which has no bulk import), read
back with pymilvus and compared bit for bit; a load killed with SIGKILL at random points and
rerun each time, which must lose no row and double none; and the bad inputs (bulk import into
Milvus Lite, loader.mode contradicting target.milvus2x.writeMode).

The sizes are small (CI's budget); bench/insert_bench.sh runs the same path on 200k x 768.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path

import faiss
import numpy as np
import pytest
from pymilvus import Collection, utility

from conftest import LiteBed
import test_elasticsearch_e2e as es_e2e
import test_milvus1x_e2e as m1x_e2e
from es_fixture import EsHttp, es_config
from migration_yaml import faiss_config, run_tool, set_key, write_yaml
from milvus1x_fixture import Milvus1xDir, generate
from readback import ALL_ROWS, assert_collection_holds, vector_bytes

DIM = 32


def make_faiss(path: Path, rows: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An IndexIDMap over a flat index: ids spread over the int64 range, float32 vectors."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(1, 50 * rows, dtype=np.int64), size=rows, replace=False)
    ids = ids * 1_000_003 - 7 * rows  # some negative, most above 2^32
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    index = faiss.IndexIDMap(faiss.IndexFlatL2(dim))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(path))
    return ids, vectors


def drop(bed, name: str) -> None:
    alias = bed.milvus_alias()
    if utility.has_collection(name, using=alias):
        utility.drop_collection(name, using=alias)


@pytest.fixture(params=["milvus235", "lite"])
def target(request):
    """The target: a Milvus 2.3.5 bed, or Milvus Lite."""
    if request.param == "lite":
        return request.getfixturevalue("milvus_lite")
    return request.getfixturevalue("testbed_local")


def index_for_readback(bed, name: str, *, binary: bool = False, metric: str = "L2") -> None:
    """Indexes `data` (FLAT / BIN_FLAT) unless indexed: readback's has_index() cannot ask
    Milvus Lite 2.5.1, which answers DescribeIndex of an unindexed collection with an empty
    success that pymilvus 2.3.8 takes for several indexes."""
    coll = Collection(name, using=bed.milvus_alias())
    if not coll.indexes:
        coll.create_index("data", {"index_type": "BIN_FLAT" if binary else "FLAT",
                                   "metric_type": metric, "params": {}})


def insert_config(bed, faiss_file: Path, name: str, out: Path, mode: str, **extra) -> dict:
    config = faiss_config(bed, faiss_file, name, out, target_mode="local",
                          overrides={"loader.mode": mode})
    for key, value in extra.items():
        set_key(config, key, value)
    return config


def start(binary: Path, config: dict, path: Path, timeout: float = 600):
    return run_tool(binary, "start", "-c", str(write_yaml(path, config)), timeout=timeout)


@pytest.mark.parametrize("mode", ["insert", "upsert"])
def test_faiss(target, mm_binary, tmp_path, mode):
    faiss_file = tmp_path / "flat.index"
    ids, vectors = make_faiss(faiss_file, 3000, DIM, seed=11)
    name = f"ins_faiss_{mode}_{uuid.uuid4().hex[:8]}"
    try:
        run = start(mm_binary, insert_config(target, faiss_file, name, tmp_path / "out", mode),
                    tmp_path / "m.yaml")
        assert run.returncode == 0, run.describe()
        assert f"by {mode}" in run.output, run.output
        index_for_readback(target, name)
        assert_collection_holds(target.milvus_alias(), name, ids, vectors, binary=False,
                                metric="L2")
        # Nothing was dumped: the checkpoint alone is in the output.
        assert not list((tmp_path / "out").rglob("*.npy"))
        if mode == "upsert":
            return
        # A rerun of the finished load sends nothing and doubles nothing.
        again = start(mm_binary, insert_config(target, faiss_file, name, tmp_path / "out", mode),
                      tmp_path / "m.yaml")
        assert again.returncode == 0, again.describe()
        assert_collection_holds(target.milvus_alias(), name, ids, vectors, binary=False,
                                metric="L2")
    finally:
        drop(target, name)


@pytest.fixture(scope="module")
def m1x_instance(tmp_path_factory) -> Milvus1xDir:
    return Milvus1xDir(generate(tmp_path_factory.mktemp("m1x_ins") / "src", "--seed", "4242"))


def test_milvus1x(target, mm_binary, tmp_path, m1x_instance):
    r = m1x_e2e.Renamed(m1x_instance, target)
    exp = m1x_e2e.expected(m1x_instance)
    lite = isinstance(target, LiteBed)
    # Milvus Lite has no partitions: the collections without any, and the one with is refused.
    with_partitions = [c["name"] for c in exp["collections"] if len(c["partitions"]) > 1]
    only = [c["name"] for c in exp["collections"] if c["name"] not in with_partitions]
    try:
        config = m1x_e2e.config_for(
            target, m1x_instance, r, {"mode": "sqlite", "sqliteFile": str(m1x_instance.sqlite)},
            tmp_path, target_mode="local", overrides={"loader.mode": "insert"})
        extra = ["--col", ",".join(only)] if lite else []
        run = run_tool(mm_binary, "start", "-c", str(config), *extra, timeout=600)
        assert run.returncode == 0, run.describe()
        for c in exp["collections"]:
            if lite and c["name"] not in only:
                continue
            metric = m1x_e2e.METRIC_2X[c["metric_name"]]
            index_for_readback(target, r.names[c["name"]], binary=c["binary"], metric=metric)
            if lite:
                arrays = np.load(m1x_instance.root / c["vectors"])
                assert_collection_holds(target.milvus_alias(), r.names[c["name"]],
                                        arrays["ids"], arrays["vectors"], binary=c["binary"],
                                        metric=metric)
        if not lite:
            m1x_e2e.assert_migrated(target, m1x_instance, r.names)
            return
        refused = run_tool(mm_binary, "start", "-c", str(config), "--col",
                           ",".join(with_partitions), timeout=600)
        assert refused.returncode != 0, refused.describe()
        assert "has partitions" in refused.output and "Milvus Lite has no partitions" in \
            refused.output, refused.output
        for name in with_partitions:
            assert not utility.has_collection(r.names[name], using=target.milvus_alias())
    finally:
        r.drop()


@pytest.fixture(scope="module")
def es_index(es8) -> tuple[str, dict]:
    http = EsHttp(es8)
    index = f"insert-docs-{uuid.uuid4().hex[:6]}"
    http.create_index(index, es_e2e.NUMERIC_MAPPING, shards=2)
    docs, expected = es_e2e.numeric_docs(1500, es_e2e.DIM, seed=5)
    http.bulk(index, docs)
    return index, expected


@pytest.mark.parametrize("mode", ["insert", "upsert"])
def test_elasticsearch(target, mm_binary, tmp_path, es8, es_index, mode):
    index, expected = es_index
    name = f"ins_es_{mode}_{uuid.uuid4().hex[:8]}"
    config = es_config(es8, target, index, es_e2e.NUMERIC_FIELDS, str(tmp_path / "out"),
                       collection=name, target_mode="local")
    set_key(config, "loader.mode", mode)
    try:
        run = start(mm_binary, config, tmp_path / "m.yaml")
        assert run.returncode == 0, run.describe()
        alias = target.milvus_alias()
        index_for_readback(target, name)
        assert_collection_holds(alias, name, expected["ids"], expected["vectors"],
                                binary=False, metric="L2")
        rows = Collection(name, using=alias).query(
            ALL_ROWS, output_fields=["id", "n", "ok", "score"], limit=5000,
            consistency_level="Strong")
        assert len(rows) == len(expected["ids"])
        for row in rows:
            n, ok, score = expected["scalars"][row["id"]]
            assert (row["n"], row["ok"]) == (n, ok), row
            assert np.float32(row["score"]).tobytes() == np.float32(score).tobytes(), row
    finally:
        drop(target, name)


def read_all(alias: str, name: str, id_bounds: tuple[int, int], pages: int = 16
             ) -> tuple[list[int], dict[int, bytes]]:
    """Every row's id (duplicates kept, as Milvus returns them) and vector bytes, read in id
    ranges small enough for one query window each."""
    coll = Collection(name, using=alias)
    lo, hi = id_bounds
    edges = np.linspace(lo, hi + 1, pages + 1, dtype=np.float64)
    got_ids: list[int] = []
    got: dict[int, bytes] = {}
    for a, b in zip(edges[:-1], edges[1:]):
        rows = coll.query(f"id >= {int(a)} && id < {int(b)}", output_fields=["id", "data"],
                          limit=16000, consistency_level="Strong")
        assert len(rows) < 16000
        for row in rows:
            got_ids.append(int(row["id"]))
            got[int(row["id"])] = vector_bytes(row["data"], False)
    return got_ids, got


def test_sigkill_at_random_points_loses_and_doubles_nothing(testbed_local, mm_binary, tmp_path):
    """An insert-mode load killed with SIGKILL at random points, rerun each time: in the end
    every row is there once, bit for bit (count(*) and each id read back)."""
    bed = testbed_local
    faiss_file = tmp_path / "big.index"
    rows = 40000
    ids, vectors = make_faiss(faiss_file, rows, 64, seed=23)
    name = f"ins_kill_{uuid.uuid4().hex[:8]}"
    # 1 MiB messages: 512 KiB requests, a checkpoint every 4 MiB (about 16k rows) where the
    # source gives positions.
    config = insert_config(bed, faiss_file, name, tmp_path / "out", "insert", **{
        "target.milvus2x.grpc.maxCallSendMsgSize": 1 << 20,
        "target.create.index.type": "FLAT",
        "target.create.loadCollection": True})
    path = write_yaml(tmp_path / "m.yaml", config)
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    kills = 0
    try:
        for attempt in range(5):
            # A killed run leaves its lock: the next one takes it over (--force-unlock).
            proc = subprocess.Popen([str(mm_binary), "start", "-c", str(path),
                                     "--force-unlock"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            delay = rng.uniform(0.3, 3.0)
            try:
                out, _ = proc.communicate(timeout=delay)
                assert proc.returncode == 0, out.decode(errors="replace")
                break  # finished before the kill
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                kills += 1
        final = run_tool(mm_binary, "start", "-c", str(path), "--force-unlock", timeout=600)
        assert final.returncode == 0, final.describe()
        assert kills >= 1, "every run finished before its kill point"
        alias = bed.milvus_alias()
        coll = Collection(name, using=alias)
        coll.load()
        count = coll.query("", output_fields=["count(*)"], consistency_level="Strong")
        assert count[0]["count(*)"] == rows, f"count(*) {count}, expected {rows} after {kills} kills"
        got_ids, got = read_all(alias, name, (int(ids.min()), int(ids.max())))
        assert len(got_ids) == rows, f"{len(got_ids)} rows read back, expected {rows}"
        assert len(set(got_ids)) == rows, "an id came back twice"
        assert set(got_ids) == set(int(i) for i in ids)
        bad = [int(i) for i, v in zip(ids, vectors) if got[int(i)] != v.tobytes()]
        assert not bad, f"{len(bad)} vectors differ, e.g. id {bad[0]}"
    finally:
        drop(bed, name)


def test_import_into_milvus_lite_is_refused(milvus_lite, mm_binary, tmp_path):
    faiss_file = tmp_path / "flat.index"
    make_faiss(faiss_file, 100, 8, seed=1)
    name = f"ins_bad_{uuid.uuid4().hex[:8]}"
    run = start(mm_binary, insert_config(milvus_lite, faiss_file, name, tmp_path / "out",
                                         "import"), tmp_path / "m.yaml")
    assert run.returncode != 0, run.describe()
    assert "[loader.mode] import" in run.output and "no bulk import" in run.output, run.output
    assert "loader.mode: insert" in run.output
    assert not utility.has_collection(name, using=milvus_lite.milvus_alias())


def test_write_mode_contradicting_loader_mode_is_refused(testbed_local, mm_binary, tmp_path):
    faiss_file = tmp_path / "flat.index"
    make_faiss(faiss_file, 100, 8, seed=1)
    name = f"ins_bad_{uuid.uuid4().hex[:8]}"
    config = insert_config(testbed_local, faiss_file, name, tmp_path / "out", "upsert",
                           **{"target.milvus2x.writeMode": "insert"})
    run = start(mm_binary, config, tmp_path / "m.yaml")
    assert run.returncode != 0, run.describe()
    assert "target.milvus2x.writeMode" in run.output and "contradicts loader.mode" in run.output
    assert not utility.has_collection(name, using=testbed_local.milvus_alias())


def test_write_mode_alone_and_a_new_database(testbed_local, mm_binary, tmp_path):
    """The Go tool's writeMode picks the mode; target.milvus2x.database is created."""
    faiss_file = tmp_path / "flat.index"
    ids, vectors = make_faiss(faiss_file, 500, DIM, seed=3)
    name = f"ins_db_{uuid.uuid4().hex[:8]}"
    db_name = f"mmdb_{uuid.uuid4().hex[:8]}"
    config = insert_config(testbed_local, faiss_file, name, tmp_path / "out", "insert",
                           **{"target.milvus2x.writeMode": "upsert",
                              "target.milvus2x.database": db_name})
    set_key(config, "loader.mode", None)
    run = start(mm_binary, config, tmp_path / "m.yaml")
    from pymilvus import connections, db
    alias = f"ins_db_{db_name}"
    host, port = testbed_local.milvus_endpoint.rsplit(":", 1)
    connections.connect(alias, host=host, port=port, db_name=db_name)
    try:
        assert run.returncode == 0, run.describe()
        assert "by upsert" in run.output
        assert db_name in db.list_database(using=alias)
        assert_collection_holds(alias, name, ids, vectors, binary=False, metric="L2")
    finally:
        if utility.has_collection(name, using=alias):
            utility.drop_collection(name, using=alias)
        connections.disconnect(alias)
        db.drop_database(db_name, using=testbed_local.milvus_alias())
