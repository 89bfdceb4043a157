"""FAISS indexes migrated into a real Milvus by the built tool, then read back and compared.

The indexes come from tests/fixtures/make_faiss_fixtures.py (run once per session into a temp
directory): one per index type the tool reads, each with the ids and vectors the migration must
yield (lossy types already decoded). Every type goes through `start` to the S3 bed; the other
tests cover dump + load as two commands (with --config and the default configs/migration.yaml),
a local target with loader.cleanup, a source in a bucket, parts split by size, the three
ifExists policies, resuming after a dump and rerunning after a finished migration.

Milvus 2.3 runs one import at a time, ~2-3 s each, and a load takes ~3 s: that, not the tool,
is what the time of this module goes to, so it migrates as few indexes per test as it can.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np
import pytest
from pymilvus import Collection, DataType, utility

from conftest import REPO, Testbed
from migration_yaml import ToolRun, faiss_config, run_command, run_tool, write_yaml
from readback import assert_collection_holds

GENERATOR = REPO / "tests" / "fixtures" / "make_faiss_fixtures.py"
FIXTURE_ROWS = 3000
FIXTURE_SEED = 7
# The tool decodes lossy codes with Debian's libfaiss 1.7.3, the generator with pip faiss-cpu
# (SIMD, fused multiply-add): scalar-quantizer decodings differ in the last bits. The same
# bound as src/sources/faiss/faiss_fixtures_test.cc; a quantization step is ~1e-2.
LOSSY_TOLERANCE = 1e-5


@dataclass
class FaissCase:
    """One generated index and the rows the migration must produce from it."""

    name: str
    path: Path
    index_type: str
    dim: int
    metric: str
    binary: bool
    lossy: bool
    rows: int

    def expected(self) -> tuple[np.ndarray, np.ndarray]:
        with np.load(self.path.with_name(self.name + ".expected.npz")) as npz:
            return npz["ids"], npz["vectors"]


_generated: dict[str, FaissCase] | None = None


def generated_cases(config: pytest.Config) -> dict[str, FaissCase]:
    """Runs the fixture generator once per session; its files live until the session ends.

    Called while collecting (the parameters are the manifest's names), hence not a fixture."""
    global _generated
    if _generated is None:
        out = Path(tempfile.mkdtemp(prefix="mm_faiss_fixtures_"))

        def forget() -> None:
            global _generated
            _generated = None
            shutil.rmtree(out, ignore_errors=True)

        config.add_cleanup(forget)
        done = subprocess.run(
            [sys.executable, str(GENERATOR), str(out), "--rows", str(FIXTURE_ROWS),
             "--seed", str(FIXTURE_SEED)],
            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise pytest.UsageError(f"{GENERATOR} failed (exit {done.returncode}):\n"
                                    f"{done.stderr}")
        manifest = json.loads((out / "manifest.json").read_text())
        _generated = {
            e["name"]: FaissCase(name=e["name"], path=out / e["file"],
                                 index_type=e["index_type"], dim=e["dim"], metric=e["metric"],
                                 binary=e["binary"], lossy=e["lossy"], rows=e["rows"])
            for e in manifest}
    return _generated


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "every_case" in metafunc.fixturenames:
        names = sorted(generated_cases(metafunc.config))
        metafunc.parametrize("every_case", names, ids=names)


@pytest.fixture(scope="session")
def faiss_cases(pytestconfig) -> dict[str, FaissCase]:
    return generated_cases(pytestconfig)


# ---------------------------------------------------------------------------- helpers

def config_file(tmp_path: Path, bed: Testbed, case_path: Path, collection: str, output: str,
                *, target_mode: str = "remote", name: str = "migration.yaml",
                **overrides) -> Path:
    """Writes the Go-shaped FAISS migration.yaml; overrides are dotted keys with __ for '.'."""
    dotted = {k.replace("__", "."): v for k, v in overrides.items()}
    return write_yaml(tmp_path / name, faiss_config(bed, case_path, collection, output,
                                                    target_mode=target_mode,
                                                    overrides=dotted))


def migrate(binary: Path, command: str, config: Path, bed: Testbed | None = None):
    """Runs a command that must succeed."""
    run = run_command(binary, command, config)
    assert run.returncode == 0, run.describe() + (f"\n{bed.log_tail(20)}" if bed else "")
    return run


def assert_holds(bed: Testbed, collection: str, case: FaissCase, ids=None, vectors=None):
    """The collection holds the case's rows (or the ones given), vectors bit for bit; lossy
    decodings within LOSSY_TOLERANCE (see readback.assert_collection_holds)."""
    if ids is None:
        ids, vectors = case.expected()
    assert_collection_holds(bed.milvus_alias(), collection, ids, vectors, binary=case.binary,
                            metric=case.metric,
                            tolerance=LOSSY_TOLERANCE if case.lossy else 0.0)


def bucket_keys(bed: Testbed, prefix: str) -> list[str]:
    return [o.object_name for o in bed.s3_client().list_objects(
        bed.s3_bucket, prefix=prefix, recursive=True)]


def imported_parts(log: str) -> int:
    """The number of parts this run imported: one "load: part P imported: N rows" line each,
    whether the part went in after the dump or beside it (`start` imports each part as soon
    as the dump checkpointed it)."""
    assert re.search(r"load: (importing|done)", log), f"no load lines in:\n{log}"
    return len(re.findall(r"load: part \S+ imported: \d+ rows", log))


def write_idmap_index(path: Path, ids: np.ndarray, vectors: np.ndarray, metric: str) -> Path:
    flat = faiss.IndexFlatIP(vectors.shape[1]) if metric == "IP" else faiss.IndexFlatL2(
        vectors.shape[1])
    index = faiss.IndexIDMap(flat)
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(path))
    return path


# ---------------------------------------------------------------------------- every type

@dataclass
class Migrated:
    collection: str
    run: ToolRun


@pytest.fixture(scope="module")
def every_case_migrated(faiss_cases, testbed_s3, mm_binary, tmp_path_factory
                        ) -> Iterator[dict[str, Migrated]]:
    """`start` of every generated index into its own collection on the S3 bed, a few at a
    time, then the collections that made it indexed and loaded together. Milvus spends
    seconds per import and per load mostly waiting, so overlapping them keeps the session
    short; each type is still checked (and reported) by its own test."""
    work = tmp_path_factory.mktemp("every_case")
    stamp = uuid.uuid4().hex[:6]
    jobs = {}
    for case in faiss_cases.values():
        collection = f"t_every_{case.name}_{stamp}"
        jobs[case.name] = (collection, config_file(
            work, testbed_s3, case.path, collection, f"e2e/{collection}",
            name=f"{case.name}.yaml"))
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(jobs, pool.map(
            lambda job: run_command(mm_binary, "start", job[1]), jobs.values())))
    migrated = {name: Migrated(jobs[name][0], runs[name]) for name in jobs}

    t_migrated = time.monotonic()
    alias = testbed_s3.milvus_alias()
    loading = []
    for name, m in migrated.items():
        if m.run.returncode == 0 and utility.has_collection(m.collection, using=alias):
            case = faiss_cases[name]
            coll = Collection(m.collection, using=alias)
            coll.create_index("data", {"index_type": "BIN_FLAT" if case.binary else "FLAT",
                                       "metric_type": case.metric, "params": {}})
            coll.load(_async=True)
            loading.append(m.collection)
    for collection in loading:
        utility.wait_for_loading_complete(collection, timeout=120, using=alias)
    print(f"\n{len(jobs)} migrations in {t_migrated - t0:.1f}s, "
          f"{len(loading)} loads in {time.monotonic() - t_migrated:.1f}s")
    yield migrated
    for m in migrated.values():
        if utility.has_collection(m.collection, using=alias):
            utility.drop_collection(m.collection, using=alias)


def test_start_migrates_every_index_type_to_s3(every_case: str, faiss_cases,
                                               every_case_migrated, testbed_s3):
    case = faiss_cases[every_case]
    m = every_case_migrated[every_case]
    run = m.run

    assert run.returncode == 0, run.describe() + f"\n{testbed_s3.log_tail(20)}"
    assert f"holds {case.rows} rows, as expected" in run.stderr, run.describe()
    if case.lossy:
        assert "approximate" in run.stderr, run.describe()
    schema = {f.name: f for f in
              Collection(m.collection, using=testbed_s3.milvus_alias()).schema.fields}
    assert set(schema) == {"id", "data"}
    assert schema["id"].dtype == DataType.INT64
    assert schema["id"].is_primary and not schema["id"].auto_id
    assert schema["data"].dtype == (DataType.BINARY_VECTOR if case.binary
                                    else DataType.FLOAT_VECTOR)
    assert schema["data"].params["dim"] == case.dim
    assert_holds(testbed_s3, m.collection, case)


# ---------------------------------------------------------------------------- commands

def test_dump_then_load_as_two_commands(faiss_cases, testbed_s3, mm_binary, unique_collection,
                                        tmp_path):
    case = faiss_cases["flat_l2_d128"]
    name = unique_collection(testbed_s3)
    # Both ways the Go tool finds its config: --config, and configs/migration.yaml by default.
    (tmp_path / "configs").mkdir()
    config = config_file(tmp_path / "configs", testbed_s3, case.path, name, f"e2e/{name}/")
    alias = testbed_s3.milvus_alias()

    run = run_tool(mm_binary, "dump", "--config", str(config))
    assert run.returncode == 0, run.describe()

    assert not utility.has_collection(name, using=alias), "dump alone created the collection"
    keys = bucket_keys(testbed_s3, f"e2e/{name}/migration/")
    assert f"e2e/{name}/migration/manifest.json" in keys, keys
    assert any(k.endswith("/id.npy") for k in keys) and any(
        k.endswith("/data.npy") for k in keys), keys

    run = run_tool(mm_binary, "load", cwd=tmp_path)
    assert run.returncode == 0, run.describe()

    assert f"holds {case.rows} rows, as expected" in run.stderr, run.describe()
    assert_holds(testbed_s3, name, case)


def test_start_with_a_local_target(faiss_cases, testbed_local, mm_binary, unique_collection,
                                   tmp_path):
    case = faiss_cases["idmap_ivfflat_d8"]
    name = unique_collection(testbed_local)
    out = tmp_path / "out"
    config = config_file(tmp_path, testbed_local, case.path, name, str(out), target_mode="local")

    migrate(mm_binary, "start", config, testbed_local)

    assert (out / "migration" / "manifest.json").is_file()
    assert list((out / "migration").rglob("data.npy")), "no data.npy written under the outputDir"
    assert_holds(testbed_local, name, case)


def test_binary_index_with_a_local_target_and_cleanup(faiss_cases, testbed_local, mm_binary,
                                                      unique_collection, tmp_path):
    case = faiss_cases["binary_idmap2_ivf_d256"]
    name = unique_collection(testbed_local)
    out = tmp_path / "out"
    config = config_file(tmp_path, testbed_local, case.path, name, str(out),
                         target_mode="local", loader__cleanup=True)

    migrate(mm_binary, "start", config, testbed_local)

    # Only the run's summary stays (report.json, see README "Commands").
    left = [p for p in out.rglob("*") if p.is_file()]
    assert left == [out / "migration" / "report.json"], f"loader.cleanup left {left[:5]}"
    assert_holds(testbed_local, name, case)


def test_source_in_a_bucket(faiss_cases, testbed_s3, mm_binary, unique_collection, tmp_path):
    case = faiss_cases["ivfsq8_d128"]
    name = unique_collection(testbed_s3)
    key = f"e2e-src/{name}/{case.path.name}"
    testbed_s3.s3_client().fput_object(testbed_s3.s3_bucket, key, str(case.path))
    s3 = testbed_s3.env
    config = config_file(
        tmp_path, testbed_s3, "unused", name, f"e2e/{name}",
        source__mode="remote", source__local=None,
        source__remote__faissFile=key, source__remote__cloud="aws",
        source__remote__endpoint=s3["MM_S3_ENDPOINT"], source__remote__region="us-east-1",
        source__remote__bucket=s3["MM_S3_BUCKET"], source__remote__ak=s3["MM_S3_AK"],
        source__remote__sk=s3["MM_S3_SK"], source__remote__useSSL=False,
        source__remote__useIAM=False)

    migrate(mm_binary, "start", config, testbed_s3)

    assert_holds(testbed_s3, name, case)


def test_small_parts_are_all_imported(faiss_cases, testbed_s3, mm_binary, unique_collection,
                                      tmp_path):
    # Milvus 2.3 runs one import at a time (~2.5 s each): a 768-dim index of 1100 rows is
    # 3.4 MB, four parts of at most 1 MB; the 3000-row fixture would take ten.
    case = faiss_cases["idmap2_flat_ip_d768"]
    ids, vectors = (a[:1100] for a in case.expected())
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(case.dim))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(tmp_path / "d768.index"))
    name = unique_collection(testbed_s3)
    config = config_file(tmp_path, testbed_s3, tmp_path / "d768.index", name, f"e2e/{name}",
                         dumper__worker__partSizeMB=1)

    run = migrate(mm_binary, "start", config, testbed_s3)

    expected_parts = -(-len(ids) * (case.dim * 4 + 8) // (1 << 20))
    assert imported_parts(run.stderr) >= expected_parts >= 4, run.describe()
    data_files = [k for k in bucket_keys(testbed_s3, f"e2e/{name}/migration/")
                  if k.endswith("/data.npy")]
    assert len(data_files) == imported_parts(run.stderr), data_files
    for key in data_files:
        size = testbed_s3.s3_client().stat_object(testbed_s3.s3_bucket, key).size
        assert size <= (1 << 20) + 4096, f"{key} is {size} bytes, over partSizeMB 1"
    assert f"holds {len(ids)} rows, as expected" in run.stderr, run.describe()
    assert_holds(testbed_s3, name, case, ids, vectors)


def test_version(mm_binary):
    run = run_tool(mm_binary, "version", timeout=10)

    assert run.returncode == 0, run.describe()
    assert re.fullmatch(r"milvus-migration v?\d+\.\d+\.\d+\S*\n", run.stdout), run.describe()


# ---------------------------------------------------------------------------- ifExists

def test_if_exists_fail_leaves_the_collection_alone(faiss_cases, testbed_s3, mm_binary,
                                                    unique_collection, tmp_path):
    first, second = faiss_cases["flat_ip_d8"], faiss_cases["idmap_flat_l2_d8"]
    name = unique_collection(testbed_s3)
    migrate(mm_binary, "start",
            config_file(tmp_path, testbed_s3, first.path, name, f"e2e/{name}/a",
                        name="a.yaml"), testbed_s3)

    for policy in ("fail", None):  # explicit, then the default
        config = config_file(tmp_path, testbed_s3, second.path, name, f"e2e/{name}/b-{policy}",
                             name=f"b-{policy}.yaml",
                             target__create__collection__ifExists=policy)
        run = run_command(mm_binary, "start", config)

        assert run.returncode != 0, run.describe()
        assert f"'{name}' already exists" in run.stderr, run.describe()
        assert "ifExists" in run.stderr, run.describe()
    assert_holds(testbed_s3, name, first)


def test_if_exists_append_adds_the_new_rows(faiss_cases, testbed_s3, mm_binary,
                                            unique_collection, tmp_path):
    first = faiss_cases["flat_ip_d8"]  # ids 0..rows-1
    name = unique_collection(testbed_s3)
    migrate(mm_binary, "start",
            config_file(tmp_path, testbed_s3, first.path, name, f"e2e/{name}/a",
                        name="a.yaml"), testbed_s3)
    rng = np.random.default_rng(3)
    more_ids = np.arange(1_000_000, 1_000_000 + 1500, dtype=np.int64)
    rng.shuffle(more_ids)
    more_vectors = rng.standard_normal((len(more_ids), first.dim)).astype(np.float32)
    second = write_idmap_index(tmp_path / "more.index", more_ids, more_vectors, "IP")
    config = config_file(tmp_path, testbed_s3, second, name, f"e2e/{name}/b", name="b.yaml",
                         target__create__collection__ifExists="append")

    run = migrate(mm_binary, "start", config, testbed_s3)

    total = first.rows + len(more_ids)
    assert f"holds {total} rows, as expected" in run.stderr, run.describe()
    ids, vectors = first.expected()
    assert_holds(testbed_s3, name, first, np.concatenate([ids, more_ids]),
                 np.concatenate([vectors, more_vectors]))


def test_if_exists_recreate_replaces_the_collection(faiss_cases, testbed_s3, mm_binary,
                                                    unique_collection, tmp_path):
    first, second = faiss_cases["flat_ip_d8"], faiss_cases["hnsw_flat_l2_d128"]
    name = unique_collection(testbed_s3)
    migrate(mm_binary, "start",
            config_file(tmp_path, testbed_s3, first.path, name, f"e2e/{name}/a",
                        name="a.yaml"), testbed_s3)
    config = config_file(tmp_path, testbed_s3, second.path, name, f"e2e/{name}/b",
                         name="b.yaml", target__create__collection__ifExists="recreate")

    migrate(mm_binary, "start", config, testbed_s3)

    assert_holds(testbed_s3, name, second)


# ---------------------------------------------------------------------------- resume

def test_start_after_dump_resumes_and_imports_once(faiss_cases, testbed_s3, mm_binary,
                                                   unique_collection, tmp_path):
    case = faiss_cases["ivfflat_l2_d128"]
    name = unique_collection(testbed_s3)
    config = config_file(tmp_path, testbed_s3, case.path, name, f"e2e/{name}",
                         dumper__worker__partSizeMB=1)
    migrate(mm_binary, "dump", config, testbed_s3)
    dumped = sorted(bucket_keys(testbed_s3, f"e2e/{name}/migration/"))

    run = migrate(mm_binary, "start", config, testbed_s3)

    assert "already dumped" in run.stderr, run.describe()
    assert sorted(bucket_keys(testbed_s3, f"e2e/{name}/migration/")) == dumped
    parts = [k for k in dumped if k.endswith("/data.npy")]
    assert imported_parts(run.stderr) == len(parts) > 1, run.describe()
    assert f"holds {case.rows} rows, as expected" in run.stderr, run.describe()
    assert_holds(testbed_s3, name, case)


def test_rerun_after_a_finished_migration_imports_nothing(faiss_cases, testbed_s3, mm_binary,
                                                          unique_collection, tmp_path):
    case = faiss_cases["binary_flat_d64"]
    name = unique_collection(testbed_s3)
    config = config_file(tmp_path, testbed_s3, case.path, name, f"e2e/{name}")
    migrate(mm_binary, "start", config, testbed_s3)

    run = migrate(mm_binary, "start", config, testbed_s3)

    assert "already dumped" in run.stderr, run.describe()
    assert imported_parts(run.stderr) == 0, run.describe()
    assert_holds(testbed_s3, name, case)
