"""Reads every row of a collection loaded from an IndexFlat (ids 0..n-1) back with pymilvus
and compares each vector with the index's, bit for bit. Usage:
insert_bench_check.py HOST:PORT COLLECTION FAISS_FILE"""

import sys

import faiss
import numpy as np
from pymilvus import Collection, connections

endpoint, name, path = sys.argv[1:4]
host, port = endpoint.rsplit(":", 1)
connections.connect(host=host, port=port)
index = faiss.read_index(path)
n, dim = index.ntotal, index.d
want = faiss.rev_swig_ptr(index.get_xb(), n * dim).reshape(n, dim)
coll = Collection(name)
if not coll.has_index():
    coll.create_index("data", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
coll.load()
count = coll.query("", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]
seen = np.zeros(n, dtype=np.int32)
step = 8000
for lo in range(0, n, step):
    rows = coll.query(f"id >= {lo} && id < {lo + step}", output_fields=["id", "data"],
                      limit=16000, consistency_level="Strong")
    for r in rows:
        i = r["id"]
        seen[i] += 1
        if np.asarray(r["data"], dtype=np.float32).tobytes() != want[i].tobytes():
            sys.exit(f"check: {name}: id {i}: the vector differs")
assert count == n, f"check: {name}: count(*) {count}, expected {n}"
assert (seen == 1).all(), f"check: {name}: {(seen == 0).sum()} ids missing, {(seen > 1).sum()} twice"
print(f"  read back: {n} rows, each once, every vector bit for bit")
coll.release()
