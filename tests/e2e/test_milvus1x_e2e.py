"""Milvus 1.x instances migrated into Milvus 2.x, read back with pymilvus: every live id and
vector bit for bit, every deleted id absent, every row in its partition, counts equal, dropped
collections absent. Meta from SQLite, MariaDB, an exported meta.json (local or in a bucket);
segments on disk or in a bucket; and the Go tool's own sample, test1w."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
from pymilvus import Collection, utility

from conftest import Testbed, read_env_file
from migration_yaml import ToolRun, milvus1x_config, run_command, run_tool, set_key, write_yaml
from milvus1x_fixture import Milvus1xDir, generate, generate_sample_test1w
from readback import ALL_ROWS, QUERY_WINDOW, assert_collection_holds

# 1.x metric -> 2.x metric (README, "Milvus 1.x").
METRIC_2X = {"L2": "L2", "IP": "IP", "HAMMING": "HAMMING", "JACCARD": "JACCARD",
             "TANIMOTO": "JACCARD", "SUBSTRUCTURE": "JACCARD", "SUPERSTRUCTURE": "JACCARD"}


def to_2x_name(name: str) -> str:
    """The documented mapping of names 2.x refuses."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return "_" + out if not out or out[0].isdigit() else out


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Milvus1xDir:
    return Milvus1xDir(generate(tmp_path_factory.mktemp("m1x") / "src", "--seed", "20231"))


def expected(inst: Milvus1xDir) -> dict:
    return json.loads((inst.root / "expected.json").read_text())


class Renamed:
    """Every 1.x collection of the instance under a fresh 2.x name, so tests sharing a bed
    never meet; drops what it made when the test ends."""

    def __init__(self, inst: Milvus1xDir, bed: Testbed):
        exp = expected(inst)
        suffix = uuid.uuid4().hex[:8]
        every = [c["name"] for c in exp["collections"]] + exp["absent_collections"]
        self.names = {c: f"{c}_{suffix}" for c in every}
        self.bed = bed
        self.suffix = suffix

    def drop(self) -> None:
        alias = self.bed.milvus_alias()
        for name in self.names.values():
            if utility.has_collection(name, using=alias):
                utility.drop_collection(name, using=alias)


@pytest.fixture
def renamed(request):
    made: list[Renamed] = []

    def make(inst: Milvus1xDir, bed: Testbed) -> Renamed:
        made.append(Renamed(inst, bed))
        return made[-1]

    yield make
    for r in made:
        r.drop()


def migrate(binary: Path, command: str, config: Path, *extra: str) -> ToolRun:
    run = run_tool(binary, command, "-c", str(config), *extra, timeout=600)
    assert run.returncode == 0, run.describe()
    return run


def assert_migrated(bed: Testbed, inst: Milvus1xDir, names: dict[str, str],
                    only: list[str] | None = None) -> None:
    """Every live row where it belongs, bit for bit; nothing else."""
    exp = expected(inst)
    alias = bed.milvus_alias()
    for c in exp["collections"]:
        name = names[c["name"]]
        if only is not None and c["name"] not in only:
            assert not utility.has_collection(name, using=alias), f"{name} was not asked for"
            continue
        arrays = np.load(inst.root / c["vectors"])
        metric = METRIC_2X[c["metric_name"]]
        assert_collection_holds(alias, name, arrays["ids"], arrays["vectors"],
                                binary=c["binary"], metric=metric)
        coll = Collection(name, using=alias)
        want_partitions = {"_default"} | {to_2x_name(t) for t in c["partitions"]}
        assert {p.name for p in coll.partitions} == want_partitions, name
        for tag, ids in c["partitions"].items():
            pname = "_default" if tag == "_default" else to_2x_name(tag)
            rows = coll.query(ALL_ROWS, output_fields=["id"], partition_names=[pname],
                              limit=QUERY_WINDOW, consistency_level="Strong")
            got = sorted(r["id"] for r in rows)
            assert got == sorted(ids), (
                f"{name}/{pname}: {len(got)} ids, expected {len(ids)}; "
                f"extra {sorted(set(got) - set(ids))[:5]}, missing {sorted(set(ids) - set(got))[:5]}")
        deleted = c["deleted_ids"] + c["skipped_ids"]
        for start in range(0, len(deleted), 1000):
            chunk = deleted[start:start + 1000]
            hits = coll.query(f"id in {chunk}", output_fields=["id"],
                              consistency_level="Strong")
            assert not hits, f"{name}: deleted or skipped ids came back: {hits[:5]}"
    for gone in exp["absent_collections"]:
        assert not utility.has_collection(names[gone], using=alias), f"{gone} was dropped in 1.x"


def config_for(bed: Testbed, inst: Milvus1xDir, r: Renamed, meta: dict, tmp_path: Path, *,
               target_mode: str = "remote", overrides: dict | None = None) -> Path:
    output = f"e2e-m1x/{r.suffix}" if target_mode == "remote" else tmp_path / "out"
    config = milvus1x_config(bed, meta, inst.tables, output, target_mode=target_mode,
                             overrides={"target.create.collection.nameMap": r.names,
                                        **(overrides or {})})
    return write_yaml(tmp_path / "migration.yaml", config)


def test_sqlite_meta_start(instance, testbed_s3, mm_binary, renamed, tmp_path):
    r = renamed(instance, testbed_s3)
    config = config_for(testbed_s3, instance, r,
                        {"mode": "sqlite", "sqliteFile": str(instance.sqlite)}, tmp_path)
    run = migrate(mm_binary, "start", config)
    assert_migrated(testbed_s3, instance, r.names)
    assert "tag_with_dash" in run.output  # the mapped partition name is announced
    # A rerun of a finished migration imports nothing and checks the counts again.
    migrate(mm_binary, "start", config)
    assert_migrated(testbed_s3, instance, r.names)


def test_tables_in_every_state_but_to_delete_are_live(instance, testbed_s3, mm_binary, renamed,
                                                      tmp_path):
    """1.x reads every table whose state is not 1 (TO_DELETE): states 2, 5 and -1 are live."""
    inst = instance.copy_to(tmp_path / "states")
    (float_ip_rows,) = inst.sql("SELECT SUM(f.row_count) FROM TableFiles f JOIN Tables t "
                                "ON t.table_id = f.table_id WHERE (t.table_id = 'float_ip' OR "
                                "t.owner_table = 'float_ip') AND f.file_type IN (1, 2, 7)")[0]
    assert float_ip_rows > 0
    inst.sql("UPDATE Tables SET state = 2 WHERE table_id = 'float_ip'")
    inst.sql("UPDATE Tables SET state = 5 WHERE owner_table = 'float_ip' AND partition_tag = 'p2023'")
    inst.sql("UPDATE Tables SET state = -1 WHERE table_id = 'bin_hamming'")
    r = renamed(inst, testbed_s3)
    config = config_for(testbed_s3, inst, r, {"mode": "sqlite", "sqliteFile": str(inst.sqlite)},
                        tmp_path)
    migrate(mm_binary, "start", config)
    assert_migrated(testbed_s3, inst, r.names)
    coll = Collection(r.names["float_ip"], using=testbed_s3.milvus_alias())
    assert coll.num_entities == float_ip_rows


def test_mysql_meta_to_local_storage(instance, testbed_local, mm_binary, renamed, tmp_path):
    env_file = os.environ.get("MM_TEST_MYSQL_ENV")
    if not env_file:
        pytest.skip("MM_TEST_MYSQL_ENV is not set (scripts/test.sh starts MariaDB and sets it)")
    env = read_env_file(Path(env_file))
    database = f"m1x_{uuid.uuid4().hex[:8]}"
    client = ["mariadb", "-h", env["MM_MYSQL_HOST"], "-P", env["MM_MYSQL_PORT"],
              "-u", env["MM_MYSQL_USER"], f"-p{env['MM_MYSQL_PASSWORD']}"]
    subprocess.run(client + ["-e", f"CREATE DATABASE {database}"], check=True)
    with open(instance.root / "meta_mysql.sql") as dump:
        subprocess.run(client + [database], stdin=dump, check=True)
    dsn = (f"{env['MM_MYSQL_USER']}:{env['MM_MYSQL_PASSWORD']}@tcp({env['MM_MYSQL_HOST']}:"
           f"{env['MM_MYSQL_PORT']})/{database}?charset=utf8mb4&parseTime=True&loc=Local")
    r = renamed(instance, testbed_local)
    config = config_for(testbed_local, instance, r, {"mode": "mysql", "mysqlUrl": dsn},
                        tmp_path, target_mode="local")
    run = migrate(mm_binary, "start", config)
    assert env["MM_MYSQL_PASSWORD"] not in run.output, "the password was printed"
    assert_migrated(testbed_local, instance, r.names)

    # `export -m` writes the same meta.json as `export -s` of the same instance.
    for flag, source, out in (("-m", dsn, tmp_path / "from_mysql"),
                              ("-s", str(instance.sqlite), tmp_path / "from_sqlite")):
        exported = run_tool(mm_binary, "export", flag, source, "-o", str(out))
        assert exported.returncode == 0, exported.describe()
        assert env["MM_MYSQL_PASSWORD"] not in exported.output, "the password was printed"
    assert (json.loads((tmp_path / "from_mysql" / "meta.json").read_text())
            == json.loads((tmp_path / "from_sqlite" / "meta.json").read_text()))


def test_exported_meta_json_with_dump_then_load(instance, testbed_s3, mm_binary, renamed,
                                                tmp_path):
    out = tmp_path / "exported"
    run = run_tool(mm_binary, "export", "-s", str(instance.sqlite), "-o", str(out))
    assert run.returncode == 0, run.describe()
    meta = json.loads((out / "meta.json").read_text())
    exp = expected(instance)
    # The Go tool's fields are there, so its own `meta.mode: local` can read the file too.
    top = {c["collection"] for c in meta["collections"] if not c.get("owner")}
    assert top == {c["name"] for c in exp["collections"]}
    assert meta["rows"] == sum(c["rows"] for c in exp["collections"])
    for c in meta["collections"]:
        assert {"collection", "metric", "rows", "dim", "segments"} <= c.keys()
        for s in c["segments"]:
            assert {"collection", "segment", "dim", "rows", "fileSize"} <= s.keys()

    r = renamed(instance, testbed_s3)
    config = config_for(testbed_s3, instance, r,
                        {"mode": "local", "localFile": str(out / "meta.json")}, tmp_path)
    migrate(mm_binary, "dump", config)
    alias = testbed_s3.milvus_alias()
    assert not any(utility.has_collection(n, using=alias) for n in r.names.values())
    migrate(mm_binary, "load", config)
    assert_migrated(testbed_s3, instance, r.names)


def test_segments_and_meta_in_a_bucket(instance, testbed_s3, mm_binary, renamed, tmp_path):
    r = renamed(instance, testbed_s3)
    prefix = f"e2e-m1x-src/{r.suffix}"
    s3 = testbed_s3.s3_client()
    for path in sorted(instance.tables.rglob("*")):
        if path.is_file():
            key = f"{prefix}/tables/{path.relative_to(instance.tables).as_posix()}"
            s3.fput_object(testbed_s3.s3_bucket, key, str(path))
    exported = run_tool(mm_binary, "export", "-s", str(instance.sqlite), "-o", str(tmp_path))
    assert exported.returncode == 0, exported.describe()
    s3.fput_object(testbed_s3.s3_bucket, f"{prefix}/meta.json", str(tmp_path / "meta.json"))

    env = testbed_s3.env
    overrides = {
        "source": {"mode": "remote", "remote": {
            "cloud": "aws", "endpoint": env["MM_S3_ENDPOINT"], "region": env["MM_S3_REGION"],
            "bucket": env["MM_S3_BUCKET"], "ak": env["MM_S3_AK"], "sk": env["MM_S3_SK"],
            "useIAM": False, "useSSL": False, "tablesDir": f"/{prefix}/tables/"}},
    }
    config = milvus1x_config(testbed_s3, {"mode": "remote", "remoteMetaFile": f"{prefix}/meta.json"},
                             "unused", f"e2e-m1x/{r.suffix}",
                             overrides={"target.create.collection.nameMap": r.names})
    for key, value in overrides.items():
        set_key(config, key, value)
    migrate(mm_binary, "start", write_yaml(tmp_path / "migration.yaml", config))
    assert_migrated(testbed_s3, instance, r.names)


def test_col_picks_collections(instance, testbed_s3, mm_binary, renamed, tmp_path):
    r = renamed(instance, testbed_s3)
    config = config_for(testbed_s3, instance, r,
                        {"mode": "sqlite", "sqliteFile": str(instance.sqlite)}, tmp_path,
                        overrides={"target.create.index.type": "FLAT",
                                   "target.create.loadCollection": True})
    migrate(mm_binary, "start", config, "--col", "bin_tanimoto,float_ip")
    assert_migrated(testbed_s3, instance, r.names, only=["bin_tanimoto", "float_ip"])
    # One configured float index: the binary collection gets BIN_FLAT, with TANIMOTO's 2.x
    # metric, and both are loaded.
    alias = testbed_s3.milvus_alias()
    for name, index_type, metric in ((r.names["bin_tanimoto"], "BIN_FLAT", "JACCARD"),
                                     (r.names["float_ip"], "FLAT", "IP")):
        params = Collection(name, using=alias).index().params
        assert (params["index_type"], params["metric_type"]) == (index_type, metric), params
        assert utility.load_state(name, using=alias).name == "Loaded"
    unknown = run_tool(mm_binary, "start", "-c", str(config), "--col", "no_such_collection")
    assert unknown.returncode != 0 and "no_such_collection" in unknown.output, unknown.describe()


def test_go_tool_sample_test1w(testbed_s3, mm_binary, tmp_path):
    """The Go tool's testfiles/milvus1x/test1w with its testfiles/config/migration.yaml
    (meta under source.local.meta, mode mock), pointed at this bed."""
    sample = tmp_path / "test1w"
    generate_sample_test1w(sample)
    env = testbed_s3.env
    yaml_text = f"""dumper:
  worker:
    limit: 2
    workMode: milvus1x

    reader:
      bufferSize: 1024

    writer:
      bufferSize: 1024

loader:
  worker:
    limit: 2

source:
  mode: local

  local:
    meta:
      mode: mock
      mockFile: {sample}/meta.json
    tablesDir: {sample}/tables

target:
  mode: remote

  remote:
    outputDir: testfiles/output/{uuid.uuid4().hex[:8]}/

    cloud: aws
    endpoint: {env['MM_S3_ENDPOINT']}
    region: ap-southeast-1
    bucket: {env['MM_S3_BUCKET']}
    ak: {env['MM_S3_AK']}
    sk: {env['MM_S3_SK']}
    useIAM: false
    useSSL: false
    checkBucket: true

  milvus2x:
    endpoint: {testbed_s3.milvus_endpoint}
    username: xxxxx
    password: xxxxx
"""
    config = tmp_path / "migration.yaml"
    config.write_text(yaml_text)
    alias = testbed_s3.milvus_alias()
    if utility.has_collection("test1w", using=alias):
        utility.drop_collection("test1w", using=alias)
    try:
        migrate(mm_binary, "start", config)
        # What the Go tool's verify_data_milvus1x.py checks, and every vector bit for bit.
        ids = np.arange(1, 10001, dtype=np.int64)
        assert_collection_holds(alias, "test1w", ids, np.ones((10000, 256), np.float32),
                                binary=False, metric="L2")
    finally:
        if utility.has_collection("test1w", using=alias):
            utility.drop_collection("test1w", using=alias)
