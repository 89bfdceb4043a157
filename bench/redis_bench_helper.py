"""Helper of bench/redis_dump_bench.sh, with redis-py:
  load HOST PORT KEYS DIM      HASH keys bench:<i> (a FLOAT32 blob `emb`, a text `title`)
  scan HOST PORT COUNT         the raw read rate: SCAN + one pipelined HGETALL a page, values
                               thrown away; prints "<keys> <seconds> <bytes>"
  verify HOST PORT OUTDIR      every dumped row (JSON rows parts) against HGETALL, bit for bit;
                               prints "<rows> verified"
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import redis


def main() -> None:
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    r = redis.Redis(host=host, port=port)
    if cmd == "load":
        keys, dim = int(sys.argv[4]), int(sys.argv[5])
        r.flushdb()
        rng = np.random.default_rng(7)
        pipe = r.pipeline(transaction=False)
        for i in range(keys):
            pipe.hset(f"bench:{i}", mapping={
                "emb": rng.standard_normal(dim).astype("<f4").tobytes(),
                "title": f"document number {i}"})
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
    elif cmd == "scan":
        count = int(sys.argv[4])
        t0 = time.monotonic()
        n = size = 0
        cursor = 0
        while True:
            cursor, keys = r.scan(cursor, match="bench:*", count=count, _type="hash")
            pipe = r.pipeline(transaction=False)
            for k in keys:
                pipe.hgetall(k)
            for h in pipe.execute():
                n += 1
                size += sum(len(v) for v in h.values())
            if cursor == 0:
                break
        print(n, time.monotonic() - t0, size)
    elif cmd == "verify":
        out = Path(sys.argv[4])
        n = 0
        seen = set()
        for part in sorted(out.rglob("rows.json")):
            rows = json.loads(part.read_text())["rows"]
            pipe = r.pipeline(transaction=False)
            for row in rows:
                pipe.hgetall(f"bench:{row['id']}")
            for row, h in zip(rows, pipe.execute()):
                assert row["id"] not in seen, f"key bench:{row['id']} dumped twice"
                seen.add(row["id"])
                got = np.asarray(row["emb"], dtype=np.float32).tobytes()
                assert got == h[b"emb"], f"key bench:{row['id']}: vector differs"
                assert row["title"] == h[b"title"].decode(), f"key bench:{row['id']}: title"
                n += 1
        total = r.dbsize()
        assert n == total, f"{n} rows dumped, {total} keys in the server"
        print(n, "verified")


if __name__ == "__main__":
    main()
