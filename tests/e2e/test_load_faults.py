"""Faults around the load (issue 9, section 2), against real Milvus 2.3.5 beds:

- `ifExists: append` into a collection whose schema does not fit the source: refused before
  anything is dumped or imported, each difference named;
- Milvus restarting while `start` imports (a dedicated bed, killed after the first part is in
  and started again): the load waits it out within retry.budgetSeconds, and when the budget is
  too short, the checkpoint keeps the created collection and the imported parts so that a
  plain rerun finishes with exactly the source rows;
- the tool killed between Milvus accepting an import and the checkpoint recording its task id
  (MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS opens that window): the rerun finds the submitted
  task instead of importing the part twice, also when appending into a user's own collection;
- a rerun that lost its checkpoint is never advised into duplicating rows.

Every outcome is read back with pymilvus: each expected id exactly once, vectors bit for bit.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, connections, utility

from conftest import PORT_BASE, Testbed, read_env_file, run_testbed_sh
from migration_yaml import faiss_config, run_command, run_tool, write_yaml
from test_faiss_e2e import write_idmap_index

WINDOW = 10000  # ids read back per query (2.3 caps offset + limit at 16384)


def make_source(tmp_path: Path, rows: int, dim: int, seed: int, first_id: int = 1):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    ids = np.arange(first_id, first_id + rows, dtype=np.int64)
    rng.shuffle(ids)
    path = write_idmap_index(tmp_path / f"src_{seed}.index", ids, vectors, "L2")
    return path, ids, vectors


def read_back(alias: str, name: str, lo: int, hi: int) -> tuple[np.ndarray, list]:
    """Every row with lo <= id < hi, in windows of WINDOW ids."""
    coll = Collection(name, using=alias)
    if not coll.has_index():
        coll.create_index("data", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    ids, vecs = [], []
    for start in range(lo, hi, WINDOW):
        rows = coll.query(f"id >= {start} and id < {min(hi, start + WINDOW)}",
                          output_fields=["id", "data"], limit=16383, consistency_level="Strong")
        assert len(rows) < 16383, "a window came back full"
        ids += [r["id"] for r in rows]
        vecs += [r["data"] for r in rows]
    return np.array(ids, dtype=np.int64), vecs


def assert_exact(alias: str, name: str, ids: np.ndarray, vectors: np.ndarray,
                 also: int = 0) -> None:
    """The collection holds exactly `ids` (each once, vectors bit for bit) plus `also` rows
    outside their range."""
    lo, hi = int(ids.min()), int(ids.max()) + 1
    got_ids, got_vecs = read_back(alias, name, lo, hi)
    uniq, counts = np.unique(got_ids, return_counts=True)
    dups = uniq[counts > 1]
    assert dups.size == 0, f"{name}: {dups.size} ids more than once, e.g. {dups[:5].tolist()}"
    assert len(got_ids) == len(ids), f"{name}: {len(got_ids)} rows, expected {len(ids)}"
    assert np.array_equal(np.sort(got_ids), np.sort(ids))
    expected = {int(i): v.tobytes() for i, v in zip(ids, vectors)}
    bad = [int(i) for i, v in zip(got_ids, got_vecs)
           if np.asarray(v, dtype=np.float32).tobytes() != expected[int(i)]]
    assert not bad, f"{name}: {len(bad)} vectors differ, e.g. id {bad[0]}"
    coll = Collection(name, using=alias)
    total = coll.query("id >= -9223372036854775807", output_fields=["count(*)"],
                       consistency_level="Strong")[0]["count(*)"]
    assert total == len(ids) + also, f"{name}: count(*) {total}, expected {len(ids) + also}"


def import_tasks(alias: str, name: str) -> list:
    return utility.list_bulk_insert_tasks(collection_name=name, using=alias)


def output_files(out: Path) -> list[str]:
    if not out.exists():
        return []
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


# ------------------------------------------------------------------ append: schema must fit

MISFITS = {
    # name: (fields of the existing collection, what the error must name)
    "dim": ([FieldSchema("id", DataType.INT64, is_primary=True),
             FieldSchema("data", DataType.FLOAT_VECTOR, dim=64)],
            ["field 'data': dim: the collection has 64, the source has 128"]),
    "names": ([FieldSchema("pk", DataType.INT64, is_primary=True),
               FieldSchema("embedding", DataType.FLOAT_VECTOR, dim=128)],
              ["field 'id': the collection has no such field",
               "field 'data': the collection has no such field",
               "field 'pk': the collection has Int64 primary key",
               "field 'embedding': the collection has FloatVector(dim 128)"]),
    "autoid": ([FieldSchema("id", DataType.INT64, is_primary=True, auto_id=True),
                FieldSchema("data", DataType.FLOAT_VECTOR, dim=128)],
               ["field 'id': autoID: the collection has autoID on"]),
}


@pytest.mark.parametrize("case", sorted(MISFITS))
def test_append_into_a_collection_that_does_not_fit(case, testbed_local, mm_binary,
                                                    unique_collection, tmp_path):
    bed = testbed_local
    alias = bed.milvus_alias()
    fields, expected = MISFITS[case]
    name = unique_collection(bed)
    Collection(name, CollectionSchema(fields), using=alias)
    faiss_file, _, _ = make_source(tmp_path, 500, 128, seed=1)
    out = tmp_path / "out"
    config = write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, faiss_file, name, out, target_mode="local",
        overrides={"target.create.collection.ifExists": "append"}))

    # start: refused before the dump reads anything.
    run = run_command(mm_binary, "start", config)
    assert run.returncode == 1, run.describe()
    for text in expected:
        assert text in run.output, run.describe()
    assert "no corresponding field" not in run.output
    assert not any(f.endswith(".npy") or f == "manifest.json" for f in output_files(out)), (
        output_files(out))
    assert import_tasks(alias, name) == []

    # load of a finished dump: refused before the first import.
    dumped = run_command(mm_binary, "dump", config)
    assert dumped.returncode == 0, dumped.describe()
    loaded = run_command(mm_binary, "load", config)
    assert loaded.returncode == 1, loaded.describe()
    for text in expected:
        assert text in loaded.output, loaded.describe()
    assert import_tasks(alias, name) == []
    assert Collection(name, using=alias).num_entities == 0


# ------------------------------------------------------------------ killed after submitting

def start_and_kill_in_submit_window(mm_binary: Path, config: Path) -> str:
    """Runs `start` with the test hook pausing after the first import is accepted, and
    SIGKILLs it during that pause; returns its output."""
    env = {**__import__("os").environ, "MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS": "30000"}
    proc = subprocess.Popen([str(mm_binary), "start", "-c", str(config)], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = []
    deadline = time.time() + 180
    killed = False
    for line in proc.stderr:
        seen.append(line)
        if "MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS" in line:
            time.sleep(1)
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        if time.time() > deadline:
            break
    if not killed:
        proc.kill()
    proc.wait(timeout=60)
    output = "".join(seen)
    assert killed, f"the submit window never opened:\n{output}"
    return output


def test_killed_between_submit_and_checkpoint(testbed_local, mm_binary, unique_collection,
                                              tmp_path):
    bed = testbed_local
    name = unique_collection(bed)
    faiss_file, ids, vectors = make_source(tmp_path, 20000, 32, seed=2)
    out = tmp_path / "out"
    config = write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, faiss_file, name, out, target_mode="local",
        overrides={"dumper.worker.partSizeMB": 1, "loader.worker.limit": 1}))
    start_and_kill_in_submit_window(mm_binary, config)
    manifest = json.loads((out / "migration" / "manifest.json").read_text())
    intents = [r for r in manifest["collections"][0]["load"]["imports"].values()
               if "intent" in r and not r["task_ids"]]
    assert len(intents) == 1, manifest["collections"][0]["load"]

    # The killed run's migration.lock is still live; the user knows that run is dead.
    rerun = run_tool(mm_binary, "start", "--force-unlock", "-c", str(config), timeout=300)
    assert rerun.returncode == 0, rerun.describe()
    assert "submitted by an earlier run" in rerun.output, rerun.describe()
    assert_exact(bed.milvus_alias(), name, ids, vectors)


def test_append_into_own_collection_killed_after_submit(testbed_local, mm_binary,
                                                        unique_collection, tmp_path):
    bed = testbed_local
    alias = bed.milvus_alias()
    name = unique_collection(bed)
    # The user's collection, holding rows of its own (ids far from the source's).
    coll = Collection(name, CollectionSchema([
        FieldSchema("id", DataType.INT64, is_primary=True),
        FieldSchema("data", DataType.FLOAT_VECTOR, dim=32)]), using=alias)
    own = 1000
    rng = np.random.default_rng(9)
    coll.insert([list(range(10_000_000, 10_000_000 + own)),
                 rng.standard_normal((own, 32)).astype(np.float32)])
    coll.flush()
    faiss_file, ids, vectors = make_source(tmp_path, 12000, 32, seed=3)
    out = tmp_path / "out"
    config = write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, faiss_file, name, out, target_mode="local",
        overrides={"dumper.worker.partSizeMB": 1, "loader.worker.limit": 1,
                   "target.create.collection.ifExists": "append"}))
    start_and_kill_in_submit_window(mm_binary, config)
    # The killed run's migration.lock is still live; the user knows that run is dead.
    rerun = run_tool(mm_binary, "start", "--force-unlock", "-c", str(config), timeout=300)
    assert rerun.returncode == 0, rerun.describe()
    assert_exact(alias, name, ids, vectors, also=own)

    # The checkpoint lost: the same migration again would duplicate every row; refused.
    shutil.rmtree(out)
    again = run_command(mm_binary, "start", config, timeout=300)
    assert again.returncode == 1, again.describe()
    assert "twice" in again.output, again.describe()
    assert_exact(alias, name, ids, vectors, also=own)


def test_lost_checkpoint_is_never_advised_into_duplicates(testbed_local, mm_binary,
                                                          unique_collection, tmp_path):
    bed = testbed_local
    name = unique_collection(bed)
    faiss_file, ids, vectors = make_source(tmp_path, 3000, 16, seed=4)
    out = tmp_path / "out"
    config = write_yaml(tmp_path / "migration.yaml",
                        faiss_config(bed, faiss_file, name, out, target_mode="local"))
    first = run_command(mm_binary, "start", config, timeout=300)
    assert first.returncode == 0, first.describe()
    shutil.rmtree(out)
    again = run_command(mm_binary, "start", config, timeout=300)
    assert again.returncode == 1, again.describe()
    assert "ifExists to append" not in again.output, again.describe()
    assert "recreate" in again.output, again.describe()
    append = write_yaml(tmp_path / "append.yaml", faiss_config(
        bed, faiss_file, name, out, target_mode="local",
        overrides={"target.create.collection.ifExists": "append"}))
    appended = run_command(mm_binary, "start", append, timeout=300)
    assert appended.returncode == 1, appended.describe()
    assert_exact(bed.milvus_alias(), name, ids, vectors)


# ------------------------------------------------------------------ Milvus restarts

@pytest.fixture(scope="module")
def restart_bed(tmp_path_factory):
    """A bed of this module's own at port base + 120, never one of MM_TESTBED_REUSE:
    restarting its Milvus breaks no other test."""
    bed_dir = tmp_path_factory.mktemp("testbed_restart")
    args = ["start", "--dir", str(bed_dir), "--storage", "local",
            "--port-base", str(PORT_BASE + 120)]
    started = run_testbed_sh(*args)
    if started.returncode != 0:
        run_testbed_sh("stop", "--dir", str(bed_dir))
        pytest.fail(f"scripts/testbed.sh {' '.join(args)} failed:\n{started.stderr}",
                    pytrace=False)
    bed = Testbed(env=read_env_file(bed_dir / "testbed.env"), owned=True)
    try:
        yield bed
    finally:
        bed.close()
        run_testbed_sh("stop", "--dir", str(bed_dir))
        shutil.rmtree(bed_dir / "milvus" / "data", ignore_errors=True)


def wait_for_milvus(bed, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            connections.connect("probe-restart", host=bed.milvus_host, port=bed.milvus_port,
                                timeout=3)
            utility.list_collections(using="probe-restart", timeout=3)
            connections.disconnect("probe-restart")
            return
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            connections.disconnect("probe-restart")
            if time.time() > deadline:
                raise
            time.sleep(1)


def start_with_restart(bed, mm_binary: Path, config: Path) -> tuple[int, str]:
    """Runs `start`; after its first part is imported, kills Milvus and starts it again
    ~2 s later. Returns the exit code and the output."""
    proc = subprocess.Popen([str(mm_binary), "start", "-c", str(config)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = []
    restarted = False
    for line in proc.stderr:
        seen.append(line)
        if not restarted and "imported:" in line:
            r = run_testbed_sh("restart-milvus", "--dir", str(bed.dir), "--down", "2")
            assert r.returncode == 0, r.stderr
            restarted = True
    proc.wait(timeout=900)
    output = "".join(seen)
    assert restarted, f"no part was imported:\n{output}"
    return proc.returncode, output


def restart_config(bed, tmp_path: Path, name: str, budget: int | None):
    faiss_file, ids, vectors = make_source(tmp_path, 12000, 128, seed=5)
    overrides = {"dumper.worker.partSizeMB": 1, "loader.worker.limit": 1,
                 "loader.import.timeoutSeconds": 240}
    if budget is not None:
        overrides["retry.budgetSeconds"] = budget
    config = write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, faiss_file, name, tmp_path / "out", target_mode="local", overrides=overrides))
    return config, ids, vectors


def test_milvus_restart_during_import_is_waited_out(restart_bed, mm_binary, unique_collection,
                                                    tmp_path):
    bed = restart_bed
    name = unique_collection(bed)
    # A 2.3.5 standalone answers again 10-20 s after a restart on an idle machine; on this
    # busy machine it took from 12 s to 4 minutes: a budget well beyond that.
    config, ids, vectors = restart_config(bed, tmp_path, name, budget=600)
    code, output = start_with_restart(bed, mm_binary, config)
    assert code == 0, output
    assert "retrying" in output, output
    wait_for_milvus(bed)
    assert_exact(bed.milvus_alias(), name, ids, vectors)


def test_milvus_restart_past_the_budget_then_plain_rerun(restart_bed, mm_binary,
                                                         unique_collection, tmp_path):
    bed = restart_bed
    name = unique_collection(bed)
    config, ids, vectors = restart_config(bed, tmp_path, name, budget=3)
    code, output = start_with_restart(bed, mm_binary, config)
    assert code == 1, output
    assert "rerun" in output, output
    assert "ifExists to append" not in output, output
    load = json.loads((tmp_path / "out" / "migration" / "manifest.json").read_text()
                      )["collections"][0]["load"]
    assert load["prepared"] and load["created"], load
    assert any(r["completed"] for r in load["imports"].values()), load

    wait_for_milvus(bed)
    try:
        rerun = subprocess.run([str(mm_binary), "start", "-c", str(config)], text=True,
                               capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the rerun did not finish in 600 s:\n{e.stderr}\n{bed.log_tail(30)}")
    assert rerun.returncode == 0, rerun.stderr
    assert_exact(bed.milvus_alias(), name, ids, vectors)
