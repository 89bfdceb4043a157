"""Milvus 2.x -> Milvus 2.x copy of 200,000 rows x 768 dims (issue 12's size): rows/s, peak
RSS of the tool (aim: under 256 MB), then both sides read back and compared bit for bit.

    MM_TESTBED_PORT_BASE=21100 MM_BINARY=build/milvus-migration \
      ~/.cache/milvus-migration/venv/bin/python bench/milvus2x_copy.py [--rows N] [--dim D]
      [--mode import|insert] [--keep] [--source-env F --target-env F]

Starts two beds with scripts/testbed.sh (the source with auth on local storage, the target on
S3 so the dump can go to its bucket) under a temporary directory and stops them at the end.
The e2e test tests/e2e/test_milvus2x_e2e.py covers the same code path at a small size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from migration_yaml import target_section, write_yaml  # noqa: E402


def read_env(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            env[k] = v.strip().strip("'\"")
    return env


class Bed:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.milvus_endpoint = env["MM_MILVUS_ENDPOINT"]
        self.user = env.get("MM_MILVUS_USER", "")
        self.password = env.get("MM_MILVUS_PASSWORD", "")
        self.s3_endpoint = env.get("MM_S3_ENDPOINT", "")
        self.s3_bucket = env.get("MM_S3_BUCKET", "")


def start_bed(root: Path, name: str, port_base: int, storage: str, auth: bool) -> Bed:
    d = root / name
    d.mkdir()
    args = ["bash", str(REPO / "scripts" / "testbed.sh"), "start", "--dir", str(d),
            "--storage", storage, "--port-base", str(port_base)]
    if auth:
        args.append("--auth")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bed {name} did not start:\n{done.stderr}")
    return Bed(read_env(d / "testbed.env"))


def stop_bed(root: Path, name: str) -> None:
    subprocess.run(["bash", str(REPO / "scripts" / "testbed.sh"), "stop", "--dir",
                    str(root / name)], capture_output=True)


def connect(alias: str, bed: Bed):
    from pymilvus import connections
    host, port = bed.milvus_endpoint.rsplit(":", 1)
    connections.connect(alias, host=host, port=port, user=bed.user, password=bed.password)


def fill_source(alias: str, name: str, rows: int, dim: int) -> None:
    from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, utility
    if utility.has_collection(name, using=alias):  # left by an interrupted run
        utility.drop_collection(name, using=alias)
    schema = CollectionSchema([FieldSchema("id", DataType.INT64, is_primary=True),
                               FieldSchema("vec", DataType.FLOAT_VECTOR, dim=dim)])
    coll = Collection(name, schema, using=alias)
    rng = np.random.default_rng(7)
    step = 5000
    for start in range(0, rows, step):
        n = min(step, rows - start)
        ids = np.arange(start, start + n, dtype=np.int64) * 3 + 1
        coll.insert([ids.tolist(), rng.standard_normal((n, dim)).astype(np.float32)])
    coll.flush()
    coll.create_index("vec", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()


def compare_pages(name: str, dim: int, page: int = 4096) -> tuple[int, int, bool]:
    """Reads both sides by pk pages (Milvus 2.3 returns at most 16384 rows a query) and
    compares each page's ids and float32 vector bytes; memory stays at one page a side.
    Returns (source rows, target rows, identical)."""
    from pymilvus import Collection
    src, dst = Collection(name, using="src"), Collection(name, using="dst")
    dst.load()
    n_src = n_dst = 0
    same, last = True, -1
    while True:
        pages = []
        for coll in (src, dst):
            got = coll.query(f"id > {last}", output_fields=["id", "vec"], limit=page,
                             consistency_level="Strong")
            got.sort(key=lambda r: r["id"])
            pages.append(got)
        a, b = pages
        n_src, n_dst = n_src + len(a), n_dst + len(b)
        if [r["id"] for r in a] != [r["id"] for r in b]:
            return n_src, n_dst, False
        if not a:
            return n_src, n_dst, same
        va = np.asarray([r["vec"] for r in a], dtype=np.float32).reshape(-1, dim)
        vb = np.asarray([r["vec"] for r in b], dtype=np.float32).reshape(-1, dim)
        same = same and va.tobytes() == vb.tobytes()
        last = a[-1]["id"]


def run_measured(cmd: list[str]) -> tuple[int, float, float, str]:
    """Runs cmd; returns (exit, seconds, peak RSS in MiB, output), RSS sampled every 50 ms."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    out, _ = proc.communicate()
    t.join()
    return proc.returncode, time.monotonic() - t0, peak[0] / 1024, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--mode", default="import")
    ap.add_argument("--keep", action="store_true", help="leave the beds' directory behind")
    ap.add_argument("--source-env", help="testbed.env of a running source bed (auth, local)")
    ap.add_argument("--target-env", help="testbed.env of a running target bed (s3)")
    a = ap.parse_args()
    binary = os.environ.get("MM_BINARY", str(REPO / "build" / "milvus-migration"))
    base = int(os.environ.get("MM_TESTBED_PORT_BASE", "19700"))
    root = Path(tempfile.mkdtemp(prefix="m2x-bench-"))
    try:
        if a.source_env and a.target_env:
            src, dst = Bed(read_env(Path(a.source_env))), Bed(read_env(Path(a.target_env)))
        else:
            src = start_bed(root, "src", base + 80, "local", auth=True)
            dst = start_bed(root, "dst", base, "s3", auth=False)
        connect("src", src)
        connect("dst", dst)
        name = "bench_m2x"
        t0 = time.monotonic()
        fill_source("src", name, a.rows, a.dim)
        print(f"source filled: {a.rows} x {a.dim} in {time.monotonic() - t0:.1f}s")
        target = target_section(dst, "bench-m2x")
        target["create"] = {"loadCollection": True}
        config = {
            "dumper": {"worker": {"limit": 2, "workMode": "milvus2x",
                                  "reader": {"bufferSize": 2000}}},
            "loader": {"worker": {"limit": 2}, "mode": a.mode},
            "meta": {"mode": "config", "version": "2.3.5", "collection": name},
            "source": {"milvus2x": {"endpoint": src.milvus_endpoint, "username": src.user,
                                    "password": src.password}},
            "target": target,
        }
        path = write_yaml(root / "migration.yaml", config)
        code, seconds, rss, out = run_measured([binary, "start", "-c", str(path),
                                                "--progress=none"])
        if code != 0:
            print(out[-4000:])
            return 1
        print(f"copy ({a.mode}): {a.rows} rows in {seconds:.1f}s = {a.rows / seconds:,.0f} "
              f"rows/s, peak RSS {rss:.0f} MiB (aim < 256)")
        t0 = time.monotonic()
        n_src, n_dst, same = compare_pages(name, a.dim)
        print(f"read back in {time.monotonic() - t0:.0f}s: source {n_src} rows, target "
              f"{n_dst} rows, {'bit for bit identical' if same else 'DIFFERENT'}")
        return 0 if same and n_src == n_dst == a.rows and rss < 256 else 1
    finally:
        from pymilvus import utility
        for alias in ("src", "dst"):
            try:
                utility.drop_collection("bench_m2x", using=alias)
            except Exception:  # noqa: BLE001 (not connected, or no such collection)
                pass
        if not (a.source_env and a.target_env):
            stop_bed(root, "src")
            stop_bed(root, "dst")
        if not a.keep:
            subprocess.run(["rm", "-rf", str(root)])


if __name__ == "__main__":
    sys.exit(main())
