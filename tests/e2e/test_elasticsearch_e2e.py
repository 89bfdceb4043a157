"""Elasticsearch 8.x indexes migrated into Milvus 2.x and read back with pymilvus, vectors bit
for bit; sliced and unsliced reads; bad inputs; TLS and every auth mode against a node with
security on."""

from __future__ import annotations

import struct
import uuid
from pathlib import Path

import numpy as np
import pytest
from pymilvus import Collection, DataType, utility

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
    """The `id` values of every dumped part, NumPy or JSON rows, sorted (duplicates kept)."""
    import json
    ids = [np.load(p).tolist() for p in sorted(out.rglob("id.npy"))]
    ids += [[r["id"] for r in json.loads(p.read_text())["rows"]]
            for p in sorted(out.rglob("rows.json"))]
    return sorted(i for part in ids for i in part)


def test_sliced_and_unsliced_reads_give_the_same_rows(es8, numeric_index, testbed_s3, mm_binary,
                                                      tmp_path):
    index, expected = numeric_index
    got = {}
    # With `_id` as the pk, slices hash _id (scrolls) or Lucene doc ids (a point in time).
    id_pk_fields = [dict(f, pk=False) for f in NUMERIC_FIELDS]
    for mode, slices, pk in (("pit", 1, "id"), ("pit", 4, "id"), ("scroll", 1, "id"),
                             ("scroll", 3, "id"), ("pit", 4, "_id"), ("scroll", 4, "_id"),
                             ("auto", 4, "_id")):
        out = tmp_path / f"out-{mode}-{slices}-{pk}"
        fields = NUMERIC_FIELDS if pk == "id" else id_pk_fields
        config = es_config(es8, testbed_s3, index, fields, str(out), target_mode="local",
                           collection="unused_name", limit=2, reader_buffer=700)
        config["source"]["es"].update(slices=slices, readMode=mode)
        done = run(mm_binary, "dump", write_yaml(tmp_path / f"m-{mode}-{slices}-{pk}.yaml", config))
        assert done.returncode == 0, done.describe()
        got[(mode, slices, pk)] = dumped_ids(out)
    want = sorted(expected["ids"].tolist())
    assert all(ids == want for ids in got.values()), {k: len(v) for k, v in got.items()}
    # Scrolls are cleared at the end: none is left open on the node.
    stats = EsHttp(es8).request("GET", "/_nodes/stats/indices/search")
    open_contexts = sum(n["indices"]["search"]["open_contexts"] for n in stats["nodes"].values())
    assert open_contexts == 0, stats


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


# ---------------------------------------------------------------- every mapped type

ALL_TYPES_MAPPING = {
    "title": {"type": "keyword"}, "body": {"type": "text"}, "seq": {"type": "long"},
    "i": {"type": "integer"}, "s": {"type": "short"}, "b": {"type": "byte"},
    "d": {"type": "double"}, "f": {"type": "float"}, "h": {"type": "half_float"},
    "ok": {"type": "boolean"}, "at": {"type": "date"},
    "emb": {"type": "dense_vector", "dims": DIM, "index": False},
    "meta": {"type": "object"}, "labels": {"type": "flattened"},
    "tags": {"type": "keyword"}, "nums": {"type": "long"},
}
ALL_TYPES_FIELDS = [
    {"name": "title", "type": "keyword", "maxLen": 100}, {"name": "body", "type": "text"},
    {"name": "seq", "type": "long"}, {"name": "i", "type": "integer"},
    {"name": "s", "type": "short"}, {"name": "b", "type": "byte"},
    {"name": "d", "type": "double"}, {"name": "f", "type": "float"},
    {"name": "h", "type": "half_float"}, {"name": "ok", "type": "boolean"},
    {"name": "at", "type": "date"}, {"name": "emb", "type": "dense_vector", "dims": DIM},
    {"name": "meta", "type": "object"}, {"name": "labels", "type": "flattened"},
    {"name": "tags", "type": "keyword", "isArray": True, "maxCapacity": 8},
    {"name": "nums", "type": "long", "isArray": True, "maxCapacity": 8},
]


def all_types_docs(n: int, seed: int):
    import datetime
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    docs, expected, missing = [], {}, []
    base = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
    base_ms = 1672531200000  # base in epoch milliseconds, exactly
    for k in range(n):
        at = base + datetime.timedelta(milliseconds=int(k) * 86_399_937)
        doc = {"title": f"title {k} \u00e9\u4e2d \"q\"", "body": f"body of {k}\nline two",
               "seq": k, "i": int(k * 1000 - 10**7), "s": int(k % 60000 - 30000),
               "b": int(k % 256 - 128), "d": float(k) / 3.0, "f": float(np.float32(k / 7)),
               "h": (k % 64) * 0.25, "ok": k % 2 == 1,
               "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
               "emb": [float(x) for x in vectors[k]],
               "meta": {"k": k, "name": f"n{k}", "inner": {"even": k % 2 == 0}},
               "labels": {"color": ["red", "blue"][k % 2], "size": str(k % 5)},
               "tags": [f"t{k % 3}", f"u{k % 7}"][: 1 + k % 2],
               "nums": [k, -k, 2**53 + k]}
        if k % 97 == 5:  # a document without its optional text
            del doc["body"]
            missing.append(f"d{k}")
        else:
            expected[f"d{k}"] = (doc, base_ms + k * 86_399_937, vectors[k])
        docs.append((f"d{k}", doc))
    return docs, expected, missing


@pytest.fixture(scope="module")
def all_types_index(es8):
    http = EsHttp(es8)
    index = "all-types"
    http.create_index(index, ALL_TYPES_MAPPING, shards=2)
    docs, expected, missing = all_types_docs(20500, seed=21)
    http.bulk(index, docs)
    return index, expected, missing


def test_every_mapped_type(es8, all_types_index, testbed_s3, mm_binary, tmp_path):
    index, expected, missing = all_types_index
    name = f"es_all_{uuid.uuid4().hex[:8]}"
    config = es_config(es8, testbed_s3, index, ALL_TYPES_FIELDS, f"e2e-es/{name}",
                       collection=name, extra_meta={"invalidDocs": "skip"})
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        assert f"document _id '{missing[0]}'" in done.output, "skipped documents are reported"
        assert f"{len(missing)} rows skipped: document _id '" in done.output, done.describe()
        alias = testbed_s3.milvus_alias()
        coll = Collection(name, using=alias)
        coll.create_index("emb", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
        coll.load()
        assert coll.num_entities == len(expected)
        names = ["_id"] + [f["name"] for f in ALL_TYPES_FIELDS]
        seen = 0
        for lo in range(0, 20500, 5000):
            rows = coll.query(f"seq >= {lo} and seq < {lo + 5000}", output_fields=names,
                              consistency_level="Strong", limit=QUERY_WINDOW)
            for r in rows:
                doc, at_ms, vec = expected[r["_id"]]
                seen += 1
                for key in ("title", "body", "seq", "i", "s", "b", "d", "ok", "h"):
                    assert r[key] == doc[key], (r["_id"], key, r[key], doc[key])
                assert struct.pack("f", r["f"]) == struct.pack("f", doc["f"]), r["_id"]
                assert r["at"] == at_ms, (r["_id"], r["at"], at_ms)
                assert np.asarray(r["emb"], np.float32).tobytes() == vec.tobytes(), r["_id"]
                assert r["meta"] == doc["meta"] and r["labels"] == doc["labels"], r["_id"]
                assert list(r["tags"]) == doc["tags"] and list(r["nums"]) == doc["nums"]
        assert seen == len(expected)
    finally:
        drop(testbed_s3, name)


def test_768_dims_with_id_as_long_pk(es8, testbed_s3, mm_binary, tmp_path):
    http = EsHttp(es8)
    index = "wide-768"
    http.create_index(index, {"data": {"type": "dense_vector", "dims": 768, "index": False}})
    rng = np.random.default_rng(768)
    vectors = rng.standard_normal((3000, 768)).astype(np.float32)
    ids = np.arange(3000, dtype=np.int64) * 1_000_000_007
    http.bulk(index, ((str(int(i)), {"data": [float(x) for x in v]})
                      for i, v in zip(ids, vectors)))
    name = f"es_wide_{uuid.uuid4().hex[:8]}"
    fields = [{"name": "_id", "type": "long", "pk": True},
              {"name": "data", "type": "dense_vector", "dims": 768}]
    config = es_config(es8, testbed_s3, index, fields, f"e2e-es/{name}", collection=name)
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        # assert_collection_holds reads `id`: check the `_id` pk directly.
        alias = testbed_s3.milvus_alias()
        coll = Collection(name, using=alias)
        coll.create_index("data", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
        coll.load()
        rows = coll.query("_id >= 0", output_fields=["_id", "data"], limit=QUERY_WINDOW,
                          consistency_level="Strong")
        got = {r["_id"]: np.asarray(r["data"], np.float32).tobytes() for r in rows}
        assert got == {int(i): v.tobytes() for i, v in zip(ids, vectors)}
    finally:
        drop(testbed_s3, name)


def test_go_tool_sample(es8, testbed_s3, mm_binary, tmp_path):
    """The Go tool's sample: 10,000 docs with an int64 id, a keyword string and a 128-dim
    vector, with the config of its README_ES (index and collection renamed)."""
    http = EsHttp(es8)
    index = "test_es_index"
    http.create_index(index, {"id": {"type": "long"},
                              "data": {"type": "dense_vector", "dims": 128},
                              "other_field": {"type": "keyword"}})
    rng = np.random.default_rng(10000)
    vectors = rng.random((10000, 128), dtype=np.float32)
    http.bulk(index, ((str(k), {"id": k, "data": [float(x) for x in vectors[k]],
                                "other_field": f"str_{k}"}) for k in range(10000)))
    name = f"rename_test_name_{uuid.uuid4().hex[:6]}"
    fields = [{"name": "id", "type": "long", "pk": True},
              {"name": "data", "type": "dense_vector", "dims": 128},
              {"name": "other_field", "type": "keyword", "maxLen": 60}]
    config = es_config(es8, testbed_s3, index, fields, f"e2e-es/{name}", collection=name)
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        alias = testbed_s3.milvus_alias()
        assert_collection_holds(alias, name, np.arange(10000, dtype=np.int64), vectors,
                                binary=False, metric="L2")
        rows = Collection(name, using=alias).query(
            "id >= 0", output_fields=["id", "other_field"], limit=QUERY_WINDOW,
            consistency_level="Strong")
        assert all(r["other_field"] == f"str_{r['id']}" for r in rows) and len(rows) == 10000
    finally:
        drop(testbed_s3, name)


def search_queries(http: EsHttp) -> int:
    """Shard-level queries the node has run: grows by a page's shards with every page read."""
    stats = http.request("GET", "/_nodes/stats/indices/search")
    return sum(n["indices"]["search"]["query_total"] for n in stats["nodes"].values())


def wait_for_queries(http: EsHttp, baseline: int, pages: int, proc) -> None:
    """Returns once `pages` more shard queries than `baseline` have run: the dump is mid-read."""
    import time
    deadline = time.monotonic() + 120
    while search_queries(http) < baseline + pages:
        assert proc.poll() is None, "the tool ended before it was interrupted"
        assert time.monotonic() < deadline, "the dump did not start reading"
        time.sleep(0.01)


def test_node_down_mid_read_then_rerun(testbed_s3, mm_binary, tmp_path_factory, tmp_path):
    """The node stops while the dump reads and comes back: the slices, read in pk order, go on
    in a new point in time after the last pk read; a rerun of `start` then finds nothing to
    do, and Milvus holds every document exactly once."""
    import subprocess

    from conftest import PORT_BASE, REPO, read_env_file

    script = REPO / "scripts" / "elasticsearch.sh"
    d = tmp_path_factory.mktemp("es8flaky")
    port = str(PORT_BASE + 260)
    name = f"es_flaky_{uuid.uuid4().hex[:8]}"
    subprocess.run(["bash", str(script), "start", "--dir", str(d), "--port", port], check=True,
                   capture_output=True, timeout=600)
    try:
        env = read_env_file(d / "elasticsearch.env")
        http = EsHttp(env)
        index = "flaky"
        http.create_index(index, NUMERIC_MAPPING, shards=2)
        docs, expected = numeric_docs(12000, DIM, seed=77)
        http.bulk(index, docs)
        config = es_config(env, testbed_s3, index, NUMERIC_FIELDS, f"e2e-es/{name}",
                           collection=name, reader_buffer=100, limit=2)
        # The node is down for as long as a restart takes here (up to a few minutes on a
        # busy machine): a retry budget that outlasts it.
        config["retry"] = {"budgetSeconds": 600}
        path = write_yaml(tmp_path / "m.yaml", config)
        baseline = search_queries(http)
        first = subprocess.Popen([str(mm_binary), "start", "-c", str(path)],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for_queries(http, baseline, 30, first)  # of about 240: 120 pages on 2 shards
        subprocess.run(["bash", str(script), "stop", "--dir", str(d)], check=True,
                       capture_output=True, timeout=120)
        subprocess.run(["bash", str(script), "start", "--dir", str(d), "--port", port],
                       check=True, capture_output=True, timeout=600)
        out, _ = first.communicate(timeout=900)
        assert first.returncode == 0, out[-5000:]
        assert "reading on in a new one after id" in out, out[-5000:]
        rerun = run(mm_binary, "start", path)
        assert rerun.returncode == 0, rerun.describe()
        assert_collection_holds(testbed_s3.milvus_alias(), name, expected["ids"],
                                expected["vectors"], binary=False, metric="L2")
    finally:
        subprocess.run(["bash", str(script), "stop", "--dir", str(d)], capture_output=True,
                       timeout=120)
        drop(testbed_s3, name)


def test_lost_scrolls_are_reopened_after_the_last_pk(es8, numeric_index, testbed_s3, mm_binary,
                                                     tmp_path):
    """Every open scroll is cleared again and again while the dump reads: each slice reopens
    its scroll after the last pk it read, and the dump holds every document exactly once."""
    import subprocess
    import threading

    index, expected = numeric_index
    http = EsHttp(es8)
    out = tmp_path / "out"
    config = es_config(es8, testbed_s3, index, NUMERIC_FIELDS, str(out), target_mode="local",
                       collection="unused_name", limit=2, reader_buffer=50)
    config["source"]["es"].update(slices=2, readMode="scroll")
    path = write_yaml(tmp_path / "m.yaml", config)
    baseline = search_queries(http)
    proc = subprocess.Popen([str(mm_binary), "dump", "-c", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    stop = threading.Event()

    def clear_scrolls() -> None:
        while not stop.is_set() and proc.poll() is None:
            http.request("DELETE", "/_search/scroll/_all")
            stop.wait(0.05)

    wait_for_queries(http, baseline, 6, proc)
    clearer = threading.Thread(target=clear_scrolls)
    clearer.start()
    try:
        log, _ = proc.communicate(timeout=600)
    finally:
        stop.set()
        clearer.join()
    assert proc.returncode == 0, log[-5000:]
    assert "reading on in a new one after id" in log, log[-5000:]
    assert dumped_ids(out) == sorted(expected["ids"].tolist())
    stats = http.request("GET", "/_nodes/stats/indices/search")
    assert sum(n["indices"]["search"]["scroll_current"] for n in stats["nodes"].values()) == 0


@pytest.mark.parametrize("pk", ["id", "_id"])
def test_lost_scroll_answers_are_not_asked_for_again(es8, numeric_index, testbed_s3, mm_binary,
                                                     tmp_path, pk):
    """Every 4th scroll page is run by the node but its answer never arrives. Asking for it
    again would return the page after it, so the slice reopens after its last pk (long pk) and
    holds every document exactly once; without a pk order the run stops and says so."""
    from answer_dropping_proxy import AnswerDroppingProxy

    index, expected = numeric_index
    out = tmp_path / "out"
    fields = [dict(f, pk=(f["name"] == pk)) for f in NUMERIC_FIELDS]
    with AnswerDroppingProxy(es8["MM_ES_URL"], "/_search/scroll", drop_every=4) as proxy:
        config = es_config(dict(es8, MM_ES_URL=proxy.url), testbed_s3, index, fields, str(out),
                           target_mode="local", collection="unused_name", limit=2,
                           reader_buffer=250)
        config["source"]["es"].update(slices=2, readMode="scroll")
        done = run(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    assert proxy.dropped > 0
    if pk == "id":
        assert done.returncode == 0, done.describe()
        assert "the server may have answered it, so it is not sent again" in done.output
        assert dumped_ids(out) == sorted(expected["ids"].tolist())
    else:
        assert done.returncode != 0, done.describe()
        assert "reads this slice again from its start" in done.output, done.describe()


def test_killed_dump_continues_inside_its_slices(es8, numeric_index, testbed_s3, mm_binary,
                                                 tmp_path):
    """The dump is killed once a slice has checkpointed a part; the rerun keeps that part,
    reads the slice on after its last pk, and every document is dumped exactly once."""
    import json
    import subprocess
    import time

    index, expected = numeric_index
    out = tmp_path / "out"
    config = es_config(es8, testbed_s3, index, NUMERIC_FIELDS, str(out), target_mode="local",
                       collection="unused_name", limit=2, reader_buffer=100)
    config["dumper"]["worker"]["partSizeMB"] = 1  # about 1,900 rows a part
    config["source"]["es"]["slices"] = 2
    path = write_yaml(tmp_path / "m.yaml", config)
    manifest = out / "migration" / "manifest.json"
    proc = subprocess.Popen([str(mm_binary), "dump", "-c", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, "the dump ended before a slice was checkpointed"
        assert time.monotonic() < deadline
        try:
            tasks = json.loads(manifest.read_text())["collections"][0]["tasks"]
        except (OSError, ValueError, LookupError):
            tasks = {}
        if any(t.get("position") for t in tasks.values()):
            proc.kill()
            proc.wait()
            break
        time.sleep(0.005)
    # The killed dump's migration.lock is still live; the user knows that run is dead.
    rerun = run(mm_binary, "dump", path, "--force-unlock")
    assert rerun.returncode == 0, rerun.describe()
    assert "resumes after the" in rerun.output, rerun.describe()
    assert dumped_ids(out) == sorted(expected["ids"].tolist())


def test_unlisted_fields_go_to_the_dynamic_field(es8, testbed_s3, mm_binary, tmp_path):
    """meta.milvus.dynamicUnlistedFields: every _source field not in meta.fields lands in the
    dynamic field, nested objects minus their listed sub-fields, documents without some of
    them included; pymilvus reads each key back by id."""
    http = EsHttp(es8)
    index = "with-extras"
    http.create_index(index, {"id": {"type": "long"},
                              "data": {"type": "dense_vector", "dims": DIM, "index": False},
                              "user": {"properties": {"name": {"type": "keyword"}}}}, shards=2)
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((3000, DIM)).astype(np.float32)
    docs, extras = [], {}
    for k in range(3000):
        doc = {"id": k * 11 + 1, "data": [float(x) for x in vectors[k]],
               "user": {"name": f"u{k}", "age": k % 90},
               "color": ["red", "green", "\u00e9t\u00e9 \"q\""][k % 3],
               "stats": {"n": k, "tags": ["a", f"b{k}"], "ratio": k / 8, "ok": k % 2 == 0},
               "k-dash": None if k % 5 == 0 else f"x{k}"}
        if k % 7 == 0:
            del doc["color"]
        docs.append((f"e{k}", doc))
        extra = {key: v for key, v in doc.items() if key not in ("id", "data", "user")}
        extra["user"] = {"age": doc["user"]["age"]}
        extras[doc["id"]] = extra
    http.bulk(index, docs)
    name = f"es_dynamic_{uuid.uuid4().hex[:8]}"
    fields = [{"name": "id", "type": "long", "pk": True},
              {"name": "data", "type": "dense_vector", "dims": DIM},
              {"name": "user.name", "type": "keyword", "maxLen": 64}]
    config = es_config(es8, testbed_s3, index, fields, f"e2e-es/{name}", collection=name)
    config["meta"]["milvus"]["dynamicUnlistedFields"] = True
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        alias = testbed_s3.milvus_alias()
        assert_collection_holds(alias, name, np.array([k * 11 + 1 for k in range(3000)]),
                                vectors, binary=False, metric="L2")
        rows = Collection(name, using=alias).query(
            ALL_ROWS, output_fields=["*"], limit=QUERY_WINDOW, consistency_level="Strong")
        assert len(rows) == 3000
        for r in rows:
            got = {key: v for key, v in r.items() if key not in ("id", "data", "user_name")}
            assert got == extras[r["id"]], (r["id"], got)
            assert r["user_name"] == f"u{(r['id'] - 1) // 11}"
    finally:
        drop(testbed_s3, name)


# ---------------------------------------------------------------- vector element types

@pytest.mark.parametrize("where", ["source", "doc_values"])
def test_bit_vectors_as_hex_strings_and_byte_arrays(es8, testbed_s3, mm_binary, tmp_path, where):
    """dense_vector with element_type bit (ES 8.15+), 64 dims: half the documents give the
    vector as a hex string, half as an array of 8 signed bytes. Every one arrives in a
    BinaryVector(64) field, bit for bit, read from _source or (excluded from it) from doc
    values."""
    http = EsHttp(es8)
    index = f"bits-64-{where.replace('_', '-')}"
    http.create_index(index, {"id": {"type": "long"},
                              "data": {"type": "dense_vector", "dims": 64, "element_type": "bit",
                                       "index": True, "similarity": "l2_norm"}},
                      source_excludes=["data"] if where == "doc_values" else None)
    rng = np.random.default_rng(64)
    n = 3000
    vectors = rng.integers(0, 256, (n, 8), dtype=np.uint8)
    vectors[0] = 0
    vectors[1] = 255
    ids = np.arange(n, dtype=np.int64) * 7 + 3

    def doc(k: int) -> dict:
        v = vectors[k]
        value = v.tobytes().hex() if k % 2 == 0 else [int(b) for b in v.astype(np.int8)]
        return {"id": int(ids[k]), "data": value}

    http.bulk(index, ((f"b{k}", doc(k)) for k in range(n)))
    name = f"es_bits_{uuid.uuid4().hex[:8]}"
    fields = [{"name": "id", "type": "long", "pk": True},
              {"name": "data", "type": "dense_vector", "dims": 64}]
    config = es_config(es8, testbed_s3, index, fields, f"e2e-es/{name}", collection=name,
                       extra_meta={"invalidDocs": "skip"})
    try:
        done = run(mm_binary, "start", write_yaml(tmp_path / "m.yaml", config))
        assert done.returncode == 0, done.describe()
        assert "; 0 rows skipped" in done.output, done.describe()
        assert "rows skipped:" not in done.output, done.describe()
        alias = testbed_s3.milvus_alias()
        coll = Collection(name, using=alias)
        vec_field = next(f for f in coll.schema.fields if f.name == "data")
        assert vec_field.dtype == DataType.BINARY_VECTOR and vec_field.params["dim"] == 64
        assert_collection_holds(alias, name, ids, vectors, binary=True, metric="HAMMING")
    finally:
        drop(testbed_s3, name)

