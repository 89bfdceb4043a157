"""The output is checked before it is trusted, and one run owns it at a time.

- A part file lost or truncated after a dump: `load` alone names the part, the file and both
  sizes and asks for a dump rerun; the dump rerun redoes that task; then the load is exact.
- Two dumps of one config at the same time (a cron job overlapping itself): the second
  refuses, naming the first; the first's output is complete and loads exactly.
- A SIGKILLed dump leaves its migration.lock: a rerun refuses until the lease expires or
  --force-unlock is given, and removes the killed run's temporary files and incomplete
  multipart uploads (only under its own output prefix).

Local outputs (a directory) and bucket outputs (the S3 bed's SeaweedFS) alike. The lease is
shortened with MM_LOCK_LEASE_SECONDS.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from migration_yaml import faiss_config, run_command, run_tool, write_yaml
from readback import assert_collection_holds
from test_faiss_e2e import write_idmap_index

LOCK = "migration.lock"


def make_source(tmp_path: Path, rows: int, dim: int, seed: int):
    """A FAISS IndexIDMap(Flat) of random rows. Under 16384 rows where the test reads them
    back (readback.py's query window)."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    ids = rng.choice(np.int64(1) << 60, size=rows, replace=False).astype(np.int64)
    return ids, vectors, write_idmap_index(tmp_path / "source.index", ids, vectors, "L2")


class Output:
    """The output root (<outputDir>/migration) of a local or bucket target."""

    def __init__(self, bed, mode: str, tmp_path: Path, name: str):
        self.bed, self.mode = bed, mode
        if mode == "local":
            self.output_dir = str(tmp_path / "out")
            self.root = f"{self.output_dir}/migration"
        else:
            self.output_dir = f"e2e-guard/{name}"
            self.root = f"{self.output_dir}/migration"

    def files(self) -> dict[str, int]:
        """Every file under the root, with its size (hidden temporary files included)."""
        if self.mode == "local":
            root = Path(self.root)
            return {str(p.relative_to(root)): p.stat().st_size
                    for p in root.rglob("*") if p.is_file()} if root.exists() else {}
        client = self.bed.s3_client()
        return {o.object_name[len(self.root) + 1:]: o.size
                for o in client.list_objects(self.bed.s3_bucket, prefix=self.root + "/",
                                             recursive=True)}

    def read(self, path: str) -> bytes:
        if self.mode == "local":
            return (Path(self.root) / path).read_bytes()
        resp = self.bed.s3_client().get_object(self.bed.s3_bucket, f"{self.root}/{path}")
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()

    def write(self, path: str, data: bytes) -> None:
        if self.mode == "local":
            (Path(self.root) / path).write_bytes(data)
        else:
            import io
            self.bed.s3_client().put_object(self.bed.s3_bucket, f"{self.root}/{path}",
                                            io.BytesIO(data), len(data))

    def delete(self, path: str) -> None:
        if self.mode == "local":
            (Path(self.root) / path).unlink()
        else:
            self.bed.s3_client().remove_object(self.bed.s3_bucket, f"{self.root}/{path}")

    def manifest(self) -> dict:
        return json.loads(self.read("manifest.json"))

    def assert_complete(self) -> int:
        """Every file every part lists is there with its recorded size; returns the parts."""
        manifest = self.manifest()
        assert manifest["dump_complete"], manifest
        files = self.files()
        parts = 0
        for coll in manifest["collections"]:
            for task in coll["tasks"].values():
                for part in task["parts"]:
                    parts += 1
                    sizes = part.get("file_bytes", [None] * len(part["files"]))
                    for f, size in zip(part["files"], sizes):
                        assert f in files, f"part {part['dir']}: {f} is missing"
                        assert size is None or files[f] == size, \
                            f"{f} holds {files[f]} bytes, expected {size}"
        return parts


def config_for(bed, out: Output, source: Path, name: str, tmp_path: Path, **overrides):
    return write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, source, name, out.output_dir, target_mode=out.mode,
        overrides={"dumper.worker.partSizeMB": 1, **overrides}))


def part_files(out: Output) -> list[tuple[str, str, int]]:
    """(part dir, file, size) of every part file, in manifest order."""
    files = out.files()
    return [(p["dir"], f, files[f])
            for c in out.manifest()["collections"] for t in c["tasks"].values()
            for p in t["parts"] for f in p["files"]]


# ------------------------------------------------------------------ a part lost after the dump

@pytest.mark.parametrize("mode,damage", [("local", "deleted"), ("remote", "truncated")])
def test_lost_part_is_named_by_load_and_redone_by_dump(mode, damage, request, mm_binary,
                                                      unique_collection, tmp_path):
    bed = request.getfixturevalue("testbed_local" if mode == "local" else "testbed_s3")
    name = unique_collection(bed)
    ids, vectors, source = make_source(tmp_path, 3000, 128, seed=11)  # 3 parts of ~0.5 MB
    out = Output(bed, mode, tmp_path, name)
    config = config_for(bed, out, source, name, tmp_path)

    run = run_command(mm_binary, "dump", config)
    assert run.returncode == 0, run.describe()
    parts = out.assert_complete()
    assert parts >= 2
    part_dir, victim, size = part_files(out)[-1]
    if damage == "deleted":
        out.delete(victim)
    else:
        out.write(victim, out.read(victim)[: size // 2])  # a full disk cut it short

    # load alone refuses before anything reaches Milvus, naming the part, file and sizes.
    load = run_command(mm_binary, "load", config)
    assert load.returncode == 1, load.describe()
    assert part_dir in load.stderr and victim in load.stderr, load.describe()
    want = (f"is missing (expected {size} bytes)" if damage == "deleted"
            else f"holds {size // 2} bytes, expected {size}")
    assert want in load.stderr, load.describe()
    assert "Rerun dump" in load.stderr, load.describe()
    from pymilvus import utility
    assert not utility.has_collection(name, using=bed.milvus_alias())

    # The dump rerun does not skip the damaged task: it dumps it again, and says so.
    rerun = run_command(mm_binary, "dump", config)
    assert rerun.returncode == 0, rerun.describe()
    assert f"part {part_dir} of task" in rerun.stderr, rerun.describe()
    assert "dumping task" in rerun.stderr and "again" in rerun.stderr, rerun.describe()
    out.assert_complete()

    load = run_command(mm_binary, "load", config, timeout=300)
    assert load.returncode == 0, load.describe()
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")


# ------------------------------------------------------------------ two dumps at once

@pytest.mark.parametrize("mode", ["local", "remote"])
def test_concurrent_dumps_second_refuses_first_is_complete(mode, request, mm_binary,
                                                           unique_collection, tmp_path):
    bed = request.getfixturevalue("testbed_local" if mode == "local" else "testbed_s3")
    name = unique_collection(bed)
    ids, vectors, source = make_source(tmp_path, 16000, 768, seed=12)  # ~49 MB, 13 parts
    out = Output(bed, mode, tmp_path, name)
    config = config_for(bed, out, source, name, tmp_path,
                        **{"dumper.worker.limit": 1, "dumper.worker.partSizeMB": 4})

    cmd = [str(mm_binary), "dump", "-c", str(config)]
    first = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    time.sleep(0.05)  # the cron job's next run, a moment later
    second = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    errs = [p.communicate(timeout=300)[1] for p in (first, second)]
    codes = [first.returncode, second.returncode]
    report = "\n".join(f"--- exit {c}\n{e}" for c, e in zip(codes, errs))
    assert sorted(codes) == [0, 1], report
    winner = codes.index(0)
    loser_err = errs[1 - winner]
    pid = (first, second)[winner].pid
    assert "is in use by another run" in loser_err, report
    assert f"pid {pid}" in loser_err and "started" in loser_err, report
    assert "lease expires" in loser_err, report

    assert out.assert_complete() >= 10
    assert LOCK not in out.files(), "the lock outlived the run"
    load = run_command(mm_binary, "load", config, timeout=600)
    assert load.returncode == 0, load.describe()
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")


# ------------------------------------------------------------------ a killed dump's leftovers

def kill_when_started(cmd: list[str], out: Output, env: dict, after_s: float = 0.0) -> int:
    """Starts `cmd`, SIGKILLs it once its manifest is in the output (so it holds the lock and
    is dumping) plus `after_s`; returns its pid."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 60
    while "manifest.json" not in out.files():
        assert proc.poll() is None, "the dump ended before it could be killed"
        assert time.time() < deadline, "no manifest appeared"
        time.sleep(0.01)
    time.sleep(after_s)
    assert proc.poll() is None, "the dump ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return proc.pid


def no_milvus_bed():
    """Enough of a bed for a dump to a local directory (dump never talks to Milvus)."""
    return SimpleNamespace(milvus_endpoint="127.0.0.1:1", user="", password="", env={})


def test_killed_dump_lock_refuses_until_forced_or_expired(mm_binary, tmp_path):
    ids, vectors, source = make_source(tmp_path, 200000, 128, seed=13)  # ~100 MB, ~1.5 s
    bed = no_milvus_bed()
    out = Output(bed, "local", tmp_path, "killed")
    config = config_for(bed, out, source, "killed", tmp_path, **{"dumper.worker.limit": 1})
    env = {**os.environ, "MM_LOCK_LEASE_SECONDS": "4"}
    cmd = [str(mm_binary), "dump", "-c", str(config)]

    pid = kill_when_started(cmd, out, env)
    # What a SIGKILL mid-write leaves behind (planted, so the test does not race the kill).
    leftover = Path(out.root) / "killed" / ".leftover.npy.tmp-AbC123"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a part")

    refused = run_tool(mm_binary, "dump", "-c", str(config))
    assert refused.returncode == 1, refused.describe()
    assert f"pid {pid}" in refused.stderr and "--force-unlock" in refused.stderr, \
        refused.describe()
    assert leftover.exists(), "a refused run touched the output"
    assert json.loads(out.read(LOCK))["pid"] == pid

    temporary = [f for f in out.files() if ".tmp-" in f]  # the planted one and the killed run's
    forced = run_tool(mm_binary, "dump", "--force-unlock", "-c", str(config))
    assert forced.returncode == 0, forced.describe()
    assert "--force-unlock: taking over" in forced.stderr, forced.describe()
    assert f"removed {len(temporary)} unfinished write" in forced.stderr, forced.describe()
    assert not leftover.exists()
    assert not [f for f in out.files() if ".tmp-" in f], out.files()
    out.assert_complete()

    # Killed again (from scratch); this time the rerun waits out the 4 s lease.
    shutil.rmtree(out.root)
    pid = kill_when_started(cmd, out, env)
    time.sleep(4.5)
    expired = run_tool(mm_binary, "dump", "-c", str(config))
    assert expired.returncode == 0, expired.describe()
    assert "stopped renewing it" in expired.stderr and f"pid {pid}" in expired.stderr, \
        expired.describe()
    out.assert_complete()
    assert LOCK not in out.files()


def test_rerun_aborts_incomplete_uploads_under_its_own_prefix(testbed_s3, mm_binary,
                                                              unique_collection, tmp_path):
    bed = testbed_s3
    name = unique_collection(bed)
    # 8 MB data.npy per part, above the 5 MiB multipart part size: every part file is a
    # multipart upload while it is written.
    ids, vectors, source = make_source(tmp_path, 12000, 1024, seed=14)  # ~49 MB
    out = Output(bed, "remote", tmp_path, name)
    config = config_for(bed, out, source, name, tmp_path,
                        **{"dumper.worker.partSizeMB": 8, "dumper.worker.limit": 1,
                           "dumper.worker.writer.bufferSize": 5 * 1024})
    client = bed.s3_client()

    def uploads(prefix: str) -> list[str]:
        result = client._list_multipart_uploads(bed.s3_bucket, prefix=prefix, max_uploads=1000)
        return [u.object_name for u in result.uploads]

    # A real killed dump, part-way through its uploads; its lock expires 2 s later.
    env = {**os.environ, "MM_LOCK_LEASE_SECONDS": "2"}
    kill_when_started([str(mm_binary), "dump", "-c", str(config)], out, env, after_s=0.2)
    # More uploads killed dumps leave (planted: a kill lands mid-upload only by chance), and
    # one of a neighbour output the rerun must not touch.
    mine = [f"{out.root}/{name}/{name}-0/part-0000{i}/data.npy" for i in range(3)]
    neighbour = f"{out.output_dir}-other/migration/{name}/x/part-00000/data.npy"
    for key in [*mine, neighbour]:
        client._create_multipart_upload(bed.s3_bucket, key, {})
    before = uploads(out.root + "/")
    assert set(mine) <= set(before), before

    time.sleep(2.5)
    run = run_tool(mm_binary, "dump", "-c", str(config), timeout=300)
    assert run.returncode == 0, run.describe()
    assert f"removed {len(before)} unfinished write" in run.stderr, run.describe()
    assert uploads(out.root + "/") == []
    assert uploads(f"{out.output_dir}-other/") == [neighbour]
    client._abort_multipart_upload(bed.s3_bucket, neighbour,
                                   client._list_multipart_uploads(
                                       bed.s3_bucket, prefix=neighbour).uploads[0].upload_id)
    out.assert_complete()
    load = run_command(mm_binary, "load", config, timeout=600)
    assert load.returncode == 0, load.describe()
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")
