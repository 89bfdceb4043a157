"""Helpers for bench/mongodb_bench.sh.
  load URI COLL DOCS DIM LAYOUT   DOCS documents {_id: int, v: vector, i: int} (LAYOUT binary:
                                  BSON Binary subtype 9 FLOAT32; array: an array of numbers)
  drain URI COLL [id]             the raw read rate: find() drained, documents thrown away
                                  (with "id": sorted by _id); prints "docs seconds"
  readback URI COLL MILVUS NAME   every row of Milvus collection NAME (read in _id windows)
                                  compared bit for bit with pymongo's read; prints the count
"""

import sys
import time

import numpy as np
from bson.binary import Binary, BinaryVectorDtype
from pymongo import MongoClient


def load(uri, coll, docs, dim, layout):
    c = MongoClient(uri).bench[coll]
    c.drop()
    rng = np.random.default_rng(1)
    step = 1000
    for start in range(0, docs, step):
        vecs = rng.standard_normal((min(step, docs - start), dim)).astype(np.float32)
        batch = []
        for k, v in enumerate(vecs):
            value = (Binary.from_vector(v.tolist(), BinaryVectorDtype.FLOAT32)
                     if layout == "binary" else [float(x) for x in v])
            batch.append({"_id": start + k, "v": value, "i": (start + k) * 3})
        c.insert_many(batch, ordered=False)


def vector_bytes(v):
    if isinstance(v, Binary):
        return bytes(v)[2:]  # FLOAT32: the 2-byte header, then little-endian floats
    return np.asarray(v, dtype=np.float32).tobytes()


def drain(uri, coll, sort="none"):
    """find() drained; with sort "id", in _id order as the tool's tasks read (on FerretDB
    that order costs far more than on MongoDB, where the _id index gives it)."""
    c = MongoClient(uri).bench[coll]
    t0 = time.monotonic()
    n = 0
    for _ in c.find({}, batch_size=1000, sort=[("_id", 1)] if sort == "id" else None):
        n += 1
    print(n, time.monotonic() - t0)


def readback(uri, coll, endpoint, name):
    from pymilvus import Collection, connections
    connections.connect("bench", uri=f"http://{endpoint}")
    m = Collection(name, using="bench")
    m.create_index("v", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    m.load()
    want = {d["_id"]: (vector_bytes(d["v"]), d["i"]) for d in MongoClient(uri).bench[coll].find()}
    got = 0
    window = 10000
    top = max(want) + 1
    for lo in range(0, top, window):
        rows = m.query(f"_id >= {lo} and _id < {lo + window}", output_fields=["_id", "v", "i"],
                       limit=16000, consistency_level="Strong")
        for r in rows:
            w = want.get(r["_id"])
            assert w is not None, f"_id {r['_id']} is not in the source"
            assert np.asarray(r["v"], dtype=np.float32).tobytes() == w[0], f"_id {r['_id']}: v"
            assert r["i"] == w[1], f"_id {r['_id']}: i"
            got += 1
    assert got == len(want), f"read back {got} rows, the source holds {len(want)}"
    print(got)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "load":
        load(args[0], args[1], int(args[2]), int(args[3]), args[4])
    elif cmd == "drain":
        drain(*args)
    elif cmd == "readback":
        readback(*args)
