"""Helpers for bench/es_dump_bench.sh: load DOCS x DIM documents into an index (`load`), and
the raw export baseline (`scroll`): a plain sliced-free scroll of the same fields, bodies
read and thrown away, timed."""

import json
import sys
import time
import urllib.request

import numpy as np


def call(url, method, path, body=None, ndjson=False):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url + path, data=data, method=method, headers={
        "Content-Type": "application/x-ndjson" if ndjson else "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        return e.read()


def load(url, index, docs, dim):
    call(url, "DELETE", f"/{index}")
    call(url, "PUT", f"/{index}", {
        "settings": {"number_of_shards": 2, "number_of_replicas": 0, "refresh_interval": "-1"},
        "mappings": {"properties": {"id": {"type": "long"},
                                    "data": {"type": "dense_vector", "dims": dim, "index": False}}}})
    rng = np.random.default_rng(1)
    step = 1000
    for start in range(0, docs, step):
        vecs = rng.standard_normal((min(step, docs - start), dim)).astype(np.float32)
        lines = []
        for i, v in enumerate(vecs):
            lines.append(b'{"index":{"_index":"%s","_id":"%d"}}' % (index.encode(), start + i))
            lines.append(json.dumps({"id": start + i, "data": v.tolist()}).encode())
        r = json.loads(call(url, "POST", "/_bulk", b"\n".join(lines) + b"\n", ndjson=True))
        assert not r.get("errors"), str(r)[:500]
    call(url, "POST", f"/{index}/_refresh")
    call(url, "POST", f"/{index}/_forcemerge?max_num_segments=1")


def scroll(url, index, size):
    t0 = time.monotonic()
    body = json.loads(call(url, "POST", f"/{index}/_search?scroll=5m",
                           {"size": size, "sort": ["_doc"], "_source": ["id", "data"]}))
    n, total_bytes = len(body["hits"]["hits"]), 0
    sid = body["_scroll_id"]
    while True:
        raw = call(url, "POST", "/_search/scroll", {"scroll": "5m", "scroll_id": sid})
        total_bytes += len(raw)
        page = json.loads(raw)
        hits = len(page["hits"]["hits"])
        if hits == 0:
            break
        n += hits
        sid = page["_scroll_id"]
    call(url, "DELETE", "/_search/scroll", {"scroll_id": [sid]})
    print(f"{n} {time.monotonic() - t0:.3f} {total_bytes}")


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        scroll(sys.argv[2], sys.argv[3], int(sys.argv[4]))
