"""source.mode remote: the FAISS index is an object in a bucket, read by ranged GETs."""

import subprocess

import faiss
import numpy as np


def test_index_in_a_bucket_migrates_exactly(testbed_s3, mm_binary, unique_collection, tmp_path):
    bed = testbed_s3
    rng = np.random.default_rng(11)
    rows, dim = 5000, 32
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    ids = rng.choice(np.int64(1) << 61, size=rows, replace=False).astype(np.int64)
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    index.add_with_ids(vectors, ids)
    local = tmp_path / "remote.index"
    faiss.write_index(index, str(local))
    key = f"sources/{tmp_path.name}/remote.index"
    bed.s3_client().fput_object(bed.s3_bucket, key, str(local))

    name = unique_collection(bed)
    remote = f"""
    cloud: aws
    endpoint: {bed.s3_endpoint}
    region: us-east-1
    bucket: {bed.s3_bucket}
    ak: {bed.env['MM_S3_AK']}
    sk: {bed.env['MM_S3_SK']}
    useIAM: false
    useSSL: false
    checkBucket: true"""
    config = tmp_path / "migration.yaml"
    config.write_text(f"""
dumper:
  worker:
    limit: 2
source:
  mode: remote
  remote:
    faissFile: {key}{remote}
target:
  mode: remote
  remote:
    outputDir: out/{tmp_path.name}{remote}
  milvus2x:
    endpoint: {bed.milvus_endpoint}
  create:
    collection:
      name: {name}
      shardsNum: 1
      dim: {dim}
""")
    run = subprocess.run([str(mm_binary), "start", "-c", str(config)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr

    from pymilvus import Collection
    col = Collection(name, using=bed.milvus_alias())
    # The metric came from the index (IP), not the config.
    col.create_index("data", {"index_type": "FLAT", "metric_type": "IP", "params": {}})
    col.load()
    got = {}
    lo = -(1 << 63) + 1
    while True:
        page = col.query(f"id > {lo}", output_fields=["id", "data"], limit=4000)
        if not page:
            break
        for r in page:
            assert r["id"] not in got, f"id {r['id']} twice"
            got[r["id"]] = np.asarray(r["data"], dtype=np.float32)
        lo = max(r["id"] for r in page)
    assert len(got) == rows
    for i in range(rows):
        assert got[int(ids[i])].tobytes() == vectors[i].tobytes(), f"vector of id {ids[i]}"
    col.release()
