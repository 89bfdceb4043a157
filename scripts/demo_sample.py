"""The quick-start demo's two ends: make a sample FAISS index, and check what Milvus holds.

  demo_sample.py make OUT_DIR            writes sample.index (IndexIDMap2 over IndexFlatL2,
                                         20,000 x 128, ids spread over int64) + expected.npz
  demo_sample.py verify OUT_DIR ENDPOINT COLLECTION
                                         reads every row back with pymilvus and compares
                                         each id and vector bit for bit with expected.npz
"""

import sys
from pathlib import Path

import numpy as np

ROWS, DIM = 20_000, 128


def make(out: Path) -> None:
    import faiss

    rng = np.random.default_rng(2024)
    vectors = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    ids = rng.choice(np.int64(1) << 62, size=ROWS, replace=False).astype(np.int64)
    index = faiss.IndexIDMap2(faiss.IndexFlatL2(DIM))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(out / "sample.index"))
    np.savez(out / "expected.npz", ids=ids, vectors=vectors)
    print(f"demo: wrote {out / 'sample.index'}: IndexIDMap2(IndexFlatL2), {ROWS} x {DIM}")


def verify(out: Path, endpoint: str, collection: str) -> None:
    from pymilvus import Collection, connections

    host, port = endpoint.rsplit(":", 1)
    connections.connect(host=host, port=port)
    expected = np.load(out / "expected.npz")
    col = Collection(collection)
    col.create_index("data", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    col.load()
    got = {}
    lo = np.iinfo(np.int64).min + 1
    # Page through by primary key: offset/limit is capped at 16,384 rows.
    while True:
        rows = col.query(f"id > {lo}", output_fields=["id", "data"], limit=10_000)
        if not rows:
            break
        for r in rows:
            got[r["id"]] = np.asarray(r["data"], dtype=np.float32)
        lo = max(r["id"] for r in rows)
    exp_ids = expected["ids"]
    assert len(got) == len(exp_ids), f"Milvus holds {len(got)} rows, expected {len(exp_ids)}"
    for i, vid in enumerate(exp_ids):
        v = got.get(int(vid))
        assert v is not None, f"id {vid} missing"
        assert v.tobytes() == expected["vectors"][i].tobytes(), f"vector of id {vid} differs"
    print(f"demo: pymilvus read back {len(got)} rows of '{collection}': every id and vector "
          "equal, bit for bit")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(Path(sys.argv[2]))
    else:
        verify(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
