"""Milvus 1.x inputs that are broken or unreachable: the tool exits non-zero with a message
naming the file, segment, collection or user at fault, never prints a password, and leaves no
collection behind in Milvus."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
from pymilvus import utility

from conftest import Testbed, read_env_file
from migration_yaml import ToolRun, milvus1x_config, run_command, run_tool, write_yaml
from milvus1x_fixture import Milvus1xDir, generate


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Milvus1xDir:
    return Milvus1xDir(generate(tmp_path_factory.mktemp("m1x") / "src", "--seed", "7"))


@pytest.fixture
def instance(pristine: Milvus1xDir, tmp_path: Path) -> Milvus1xDir:
    """A private copy to damage."""
    return pristine.copy_to(tmp_path / "instance")


def run_start(bed: Testbed, binary: Path, tmp_path: Path, inst: Milvus1xDir,
              meta: dict | None = None, collections: list[str] | None = None
              ) -> tuple[ToolRun, dict[str, str]]:
    """`start` with every 1.x collection renamed to a fresh 2.x name (returned)."""
    suffix = uuid.uuid4().hex[:8]
    collections = collections if collections is not None else inst.live_collections()
    names = {c: f"bad_{suffix}_{i}" for i, c in enumerate(collections)}
    config = milvus1x_config(
        bed, meta or {"mode": "sqlite", "sqliteFile": str(inst.sqlite)}, inst.tables,
        f"e2e-m1x-bad/{suffix}",
        overrides={"target.create.collection.nameMap": names})
    run = run_command(binary, "start", write_yaml(tmp_path / "migration.yaml", config))
    return run, names


def assert_failed(run: ToolRun, *fragments: str) -> None:
    assert run.returncode != 0, run.describe()
    for fragment in fragments:
        assert fragment in run.output, f"{fragment!r} not in the output\n{run.describe()}"


def assert_nothing_created(bed: Testbed, names: dict[str, str]) -> None:
    alias = bed.milvus_alias()
    left = [n for n in names.values() if utility.has_collection(n, using=alias)]
    assert not left, f"collections left behind: {left}"


def test_segment_shorter_than_its_header(testbed_s3, mm_binary, tmp_path, instance):
    table, seg, _ = instance.live_segments()[0]
    rv = instance.segment_dir(table, seg) / f"{seg}.rv"
    data = rv.read_bytes()
    rv.write_bytes(data[:len(data) - 100])
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    assert_failed(run, f"{table}/{seg}/{seg}.rv")
    assert_nothing_created(testbed_s3, names)


def test_meta_row_count_disagrees_with_the_segment(testbed_s3, mm_binary, tmp_path, instance):
    table, seg, rows = instance.live_segments()[-1]
    instance.sql("UPDATE TableFiles SET row_count = ? WHERE table_id = ? AND segment_id = ? "
                 "AND file_type IN (1, 2, 7)", rows + 1, table, seg)
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    assert_failed(run, seg, str(rows + 1))
    assert_nothing_created(testbed_s3, names)


def test_meta_dimension_disagrees_with_the_segment(testbed_s3, mm_binary, tmp_path, instance):
    table, seg, _ = instance.live_segments()[0]
    (owner,) = instance.sql("SELECT owner_table FROM Tables WHERE table_id = ?", table)[0]
    collection = owner or table
    instance.sql("UPDATE Tables SET dimension = dimension * 2 "
                 "WHERE table_id = ? OR owner_table = ?", collection, collection)
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    # Segments are read in parallel: the first to fail may be another of the collection's.
    assert_failed(run, ".rv holds", "dimension")
    assert_nothing_created(testbed_s3, names)


def test_missing_segment_directory(testbed_s3, mm_binary, tmp_path, instance):
    import shutil
    table, seg, _ = instance.live_segments()[1]
    shutil.rmtree(instance.segment_dir(table, seg))
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    assert_failed(run, f"{table}/{seg}", "missing")
    assert_nothing_created(testbed_s3, names)


def test_unknown_metric_code(testbed_s3, mm_binary, tmp_path, instance):
    collection = instance.live_collections()[0]
    instance.sql("UPDATE Tables SET metric_type = 42 WHERE table_id = ? OR owner_table = ?",
                 collection, collection)
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    assert_failed(run, f"'{collection}'", "metric_type 42")
    assert_nothing_created(testbed_s3, names)


@pytest.mark.parametrize("damage", ["garbage", "absent"])
def test_unreadable_sqlite(testbed_s3, mm_binary, tmp_path, instance, damage):
    collections = instance.live_collections()
    if damage == "garbage":
        for extra in ("-wal", "-shm"):
            Path(str(instance.sqlite) + extra).unlink(missing_ok=True)
        instance.sqlite.write_bytes(b"this is not a database" * 100)
    else:
        instance.sqlite.unlink()
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance, collections=collections)
    assert_failed(run, str(instance.sqlite))
    assert_nothing_created(testbed_s3, names)
    if damage == "absent":
        assert not instance.sqlite.exists(), "reading the meta must not create a database"


def test_wrong_mysql_password(testbed_s3, mm_binary, tmp_path, instance):
    env_file = os.environ.get("MM_TEST_MYSQL_ENV")
    if not env_file:
        pytest.skip("MM_TEST_MYSQL_ENV is not set (scripts/test.sh starts MariaDB and sets it)")
    env = read_env_file(Path(env_file))
    secret = "definitely-wrong-" + uuid.uuid4().hex[:6]
    dsn = (f"{env['MM_MYSQL_USER']}:{secret}@tcp({env['MM_MYSQL_HOST']}:"
           f"{env['MM_MYSQL_PORT']})/milvus?charset=utf8mb4&parseTime=True&loc=Local")
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance,
                           meta={"mode": "mysql", "mysqlUrl": dsn})
    assert_failed(run, env["MM_MYSQL_USER"])
    assert secret not in run.output, "the password was printed"
    assert_nothing_created(testbed_s3, names)


def test_segment_with_only_an_index_file(testbed_s3, mm_binary, tmp_path, instance):
    (table, seg), = instance.sql(
        "SELECT table_id, segment_id FROM TableFiles WHERE file_type = 7")  # BACKUP
    seg_dir = instance.segment_dir(table, seg)
    (seg_dir / f"{seg}.rv").unlink()
    (seg_dir / f"{seg}.uid").unlink()
    assert any(seg_dir.iterdir()), "the fixture's BACKUP segment should keep its index file"
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    assert_failed(run, f"{table}/{seg}", "only an index file")
    assert_nothing_created(testbed_s3, names)


def test_nan_in_a_segment_is_named_or_skipped_and_counted(testbed_s3, mm_binary, tmp_path,
                                                          instance):
    """Issue 9: a NaN in a 1.x raw vector file stops the run naming the row's id, the field and
    the component; with dumper.invalidRows: skip its rows are left out and counted, and the
    segment's row count and the load's count check still hold."""
    float_tables = {r[0] for r in instance.sql(
        "SELECT table_id FROM Tables WHERE metric_type IN (1, 2)")}
    table, seg, rows = next(s for s in instance.live_segments() if s[0] in float_tables)
    (dim,) = instance.sql("SELECT dimension FROM Tables WHERE table_id = ?", table)[0]
    seg_dir = instance.segment_dir(table, seg)
    rv = seg_dir / f"{seg}.rv"
    data = bytearray(rv.read_bytes())
    vectors = np.frombuffer(data, dtype=np.float32, offset=8).reshape(-1, dim).copy()
    vectors[:, 2] = np.nan  # every row, so whichever rows are live hold one
    data[8:] = vectors.tobytes()
    rv.write_bytes(bytes(data))
    uids = set(np.frombuffer((seg_dir / f"{seg}.uid").read_bytes(), dtype=np.int64,
                             offset=8).tolist())

    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    assert_failed(run, "field 'data' component 2 is NaN", "dumper.invalidRows: skip")
    named = re.search(r": id (-?\d+): field 'data' component 2 is NaN", run.output)
    assert named and int(named.group(1)) in uids, run.describe()
    assert_nothing_created(testbed_s3, names)

    suffix = uuid.uuid4().hex[:8]
    names = {c: f"skip_{suffix}_{i}" for i, c in enumerate(instance.live_collections())}
    config = milvus1x_config(
        testbed_s3, {"mode": "sqlite", "sqliteFile": str(instance.sqlite)}, instance.tables,
        f"e2e-m1x-bad/{suffix}",
        overrides={"target.create.collection.nameMap": names, "dumper.invalidRows": "skip"})
    (tmp_path / "skip").mkdir()
    run = run_command(mm_binary, "start", write_yaml(tmp_path / "skip" / "m.yaml", config))
    try:
        assert run.returncode == 0, run.describe()
        assert f"; {rows} rows skipped: " in run.output, run.describe()
        assert "field 'data' component 2 is NaN" in run.output, run.describe()
    finally:
        alias = testbed_s3.milvus_alias()
        for n in names.values():
            if utility.has_collection(n, using=alias):
                utility.drop_collection(n, using=alias)


def test_partition_without_its_owner(testbed_s3, mm_binary, tmp_path, instance):
    (table, tag), = instance.sql(
        "SELECT table_id, partition_tag FROM Tables WHERE owner_table = 'float_ip' "
        "AND partition_tag = 'p2023'")
    collections = instance.live_collections()
    instance.sql("UPDATE Tables SET owner_table = 'no_such_collection' WHERE table_id = ?", table)
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance, collections=collections)
    assert_failed(run, str(instance.sqlite), f"partition '{tag}'", f"'{table}'",
                  "'no_such_collection'")
    assert_nothing_created(testbed_s3, names)


def test_unknown_file_type(testbed_s3, mm_binary, tmp_path, instance):
    table, seg, _ = instance.live_segments()[0]
    instance.sql("UPDATE TableFiles SET file_type = 9 WHERE table_id = ? AND segment_id = ?",
                 table, seg)
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance)
    assert_failed(run, f"table '{table}'", f"segment {seg}", "file_type 9")
    assert_nothing_created(testbed_s3, names)


def test_exported_meta_json_whose_partition_rows_contradict_its_segments(
        testbed_s3, mm_binary, tmp_path, instance):
    """The issue's case: partition p_alpha of a meta.json written by `export` still says
    "rows": 760 while its segments list is empty."""
    out = tmp_path / "exported"
    exported = run_tool(mm_binary, "export", "-s", str(instance.sqlite), "-o", str(out))
    assert exported.returncode == 0, exported.describe()
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text())
    entry = next(c for c in meta["collections"]
                 if c.get("owner") == "float_ip" and c.get("partition") == "p2023")
    entry["partition"] = "p_alpha"
    entry["rows"] = 760
    entry["segments"] = []
    meta["rows"] = sum(c["rows"] for c in meta["collections"])
    meta_path.write_text(json.dumps(meta, indent=2))
    collections = instance.live_collections()
    run, names = run_start(testbed_s3, mm_binary, tmp_path, instance,
                           meta={"mode": "local", "localFile": str(meta_path)},
                           collections=collections)
    assert_failed(run, str(meta_path), "'p_alpha'", "collection 'float_ip'", "760",
                  "hold 0 rows")
    assert_nothing_created(testbed_s3, names)
