"""200 concurrent get_job and healthy calls against `milvus-migration server run` while a
job runs; none may fail, the job must still succeed, and the p50/p99 latencies are printed.

Usage (a Milvus bed from scripts/testbed.sh, local storage):
  ~/.cache/milvus-migration/venv/bin/python bench/server_load.py \\
      --binary build/milvus-migration --milvus 127.0.0.1:19530 [--port 20480] [--rows 200000]
The job is a FAISS `start` into a fresh collection (dropped at the end)."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path


def call(url: str, timeout: float = 30) -> tuple[float, int, dict]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = json.loads(r.read())
        return time.perf_counter() - t0, r.status, body


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/milvus-migration")
    ap.add_argument("--milvus", required=True, help="host:port of a Milvus on local storage")
    ap.add_argument("--port", type=int, default=20480)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--clients", type=int, default=200)
    args = ap.parse_args()

    import faiss
    import numpy as np
    from pymilvus import connections, utility

    work = Path(tempfile.mkdtemp(prefix="mm_server_bench_"))
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((args.rows, args.dim)).astype(np.float32)
    index = faiss.IndexIDMap(faiss.IndexFlatL2(args.dim))
    index.add_with_ids(vectors, np.arange(args.rows, dtype=np.int64))
    faiss.write_index(index, str(work / "bench.index"))
    collection = f"server_bench_{int(time.time())}"
    config = {"dumper": {"worker": {"workMode": "faiss", "limit": 2}},
              "loader": {"worker": {"limit": 1}},
              "source": {"mode": "local", "local": {"faissFile": str(work / "bench.index")}},
              "target": {"mode": "local", "local": {"outputDir": str(work / "out")},
                         "milvus2x": {"endpoint": args.milvus},
                         "create": {"collection": {"name": collection}}}}
    server = subprocess.Popen([args.binary, "server", "run", "-p", str(args.port),
                               "--data-dir", str(work / "data")],
                              stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"))
    base = f"http://127.0.0.1:{args.port}/api/v1"
    try:
        for _ in range(100):
            try:
                call(base + "/healthy")
                break
            except OSError:
                time.sleep(0.1)
        req = urllib.request.Request(base + "/start", method="POST",
                                     data=json.dumps({"async": True, "config": config}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            job = json.loads(r.read())["data"]["jobId"]
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(args.clients)

        def client(i: int) -> None:
            url = base + (f"/get_job?jobId={job}" if i % 2 == 0 else "/healthy")
            start.wait()
            for _ in range(10):
                try:
                    seconds, status, body = call(url)
                    ok = status == 200 and body["code"] == 0
                except Exception as e:  # noqa: BLE001 - any failure counts
                    seconds, ok, body = 0.0, False, {"error": repr(e)}
                with lock:
                    latencies.append(seconds)
                    if not ok:
                        failures.append(json.dumps(body)[:200])

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        while True:
            _, _, body = call(f"{base}/get_job?jobId={job}")
            if body["data"]["jobStatus"] not in ("init", "running"):
                break
            time.sleep(1)
        q = statistics.quantiles(latencies, n=100)
        print(f"{len(latencies)} calls from {args.clients} clients in {wall:.2f}s; "
              f"failures {len(failures)}; p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
              f"max {max(latencies) * 1000:.1f} ms; job {body['data']['jobStatus']}")
        for f in failures[:5]:
            print("  failure:", f)
        ok = not failures and body["data"]["jobStatus"] == "success"
        connections.connect("bench", host=args.milvus.split(":")[0],
                            port=args.milvus.split(":")[1])
        if utility.has_collection(collection, using="bench"):
            utility.drop_collection(collection, using="bench")
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
