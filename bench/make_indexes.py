"""Writes the benchmark's FAISS indexes: N x D random float32 vectors as IndexFlatL2 and as
IndexIVFFlat (nlist 1024). Usage: make_indexes.py OUT_DIR [--rows N] [--dim D]"""

import argparse
from pathlib import Path

import faiss
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--rows", type=int, default=1_000_000)
p.add_argument("--dim", type=int, default=128)
a = p.parse_args()
out = Path(a.out)
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
x = rng.standard_normal((a.rows, a.dim)).astype(np.float32)
flat = faiss.IndexFlatL2(a.dim)
flat.add(x)
faiss.write_index(flat, str(out / "flat.index"))
quantizer = faiss.IndexFlatL2(a.dim)
ivf = faiss.IndexIVFFlat(quantizer, a.dim, 1024)
ivf.train(x[:100_000])
ivf.add(x)
faiss.write_index(ivf, str(out / "ivfflat.index"))
print(f"bench: wrote flat.index and ivfflat.index ({a.rows} x {a.dim}) in {out}")
