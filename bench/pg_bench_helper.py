"""Helpers of bench/postgres_dump_bench.sh: load the bench table into PostgreSQL, and read a
migrated collection back from Milvus in id windows, comparing every vector bit for bit with
the same rows read from PostgreSQL by binary COPY (pgvector's send format: int16 dim, int16
unused, dim big-endian float4).

  pg_bench_helper.py load DSN TABLE ROWS DIM
  pg_bench_helper.py compare DSN TABLE MILVUS_ENDPOINT COLLECTION ROWS
"""

from __future__ import annotations

import struct
import sys
import time

import numpy as np
import psycopg


def load(dsn: str, table: str, rows: int, dim: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, emb vector({dim}))")
        c.execute("SELECT setseed(0.42)")
        step = 20000
        for lo in range(0, rows, step):
            hi = min(lo + step, rows)
            c.execute(f"INSERT INTO {table} SELECT i, (SELECT array_agg(random()::real) "
                      f"FROM generate_series(1, {dim}) WHERE i >= 0)::vector "
                      f"FROM generate_series({lo}, {hi - 1}) i")
            print(f"  {hi}/{rows} rows", file=sys.stderr, flush=True)
        c.execute(f"VACUUM ANALYZE {table}")


def pg_window(conn, table: str, lo: int, hi: int) -> dict[int, bytes]:
    """Rows lo <= id < hi as {id: little-endian float32 bytes}, by binary COPY."""
    out = {}
    buf = bytearray()
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT id, emb FROM {table} WHERE id >= {lo} AND id < {hi}) "
                      f"TO STDOUT (FORMAT binary)") as copy:
            for chunk in copy:
                buf += chunk
    pos = 11 + 4
    pos += 4 + struct.unpack_from(">i", buf, pos)[0]
    while True:
        (n,) = struct.unpack_from(">h", buf, pos)
        pos += 2
        if n == -1:
            break
        (ln,) = struct.unpack_from(">i", buf, pos)
        (id_,) = struct.unpack_from(">q", buf, pos + 4)
        pos += 4 + ln
        (ln,) = struct.unpack_from(">i", buf, pos)
        dim = struct.unpack_from(">h", buf, pos + 4)[0]
        vec = np.frombuffer(bytes(buf[pos + 8:pos + 8 + 4 * dim]), dtype=">f4")
        out[id_] = vec.astype("<f4").tobytes()
        pos += 4 + ln
    return out


def compare(dsn: str, table: str, endpoint: str, collection: str, rows: int) -> None:
    from pymilvus import Collection, connections

    host, port = endpoint.rsplit(":", 1)
    connections.connect("bench", host=host, port=int(port), timeout=60)
    coll = Collection(collection, using="bench")
    if not coll.has_index():
        coll.create_index("emb", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    t0 = time.monotonic()
    seen = 0
    window = 4000
    with psycopg.connect(dsn) as conn:
        for lo in range(0, rows, window):
            hi = lo + window
            got = coll.query(f"id >= {lo} and id < {hi}", output_fields=["id", "emb"],
                             consistency_level="Strong")
            want = pg_window(conn, table, lo, hi)
            mil = {r["id"]: np.asarray(r["emb"], dtype=np.float32).tobytes() for r in got}
            if mil != want:
                missing = sorted(set(want) - set(mil))[:5]
                extra = sorted(set(mil) - set(want))[:5]
                diff = [k for k in want if k in mil and mil[k] != want[k]][:5]
                sys.exit(f"readback: ids {lo}..{hi}: missing {missing} extra {extra} "
                         f"differing {diff}")
            seen += len(mil)
    if seen != rows or coll.num_entities != rows:
        sys.exit(f"readback: {seen} rows read, {coll.num_entities} entities, expected {rows}")
    coll.release()
    print(f"readback: {seen} rows identical bit for bit ({time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "load":
        load(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        sys.exit(__doc__)
