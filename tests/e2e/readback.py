"""Reads a migrated collection back through pymilvus and compares it with the rows expected.

The collection the tool makes has `id` (Int64 primary key) and `data` (FloatVector or
BinaryVector). Comparison is exact: each expected id once, nothing else, each vector bit for bit.
"""

from __future__ import annotations

import numpy as np
from pymilvus import Collection, utility

# Milvus 2.3.5 cannot parse the INT64_MIN literal; INT64_MAX rows are never returned by a
# query (docs/testbed.md), so fixtures avoid that id and this filter matches every other row.
ALL_ROWS = "id >= -9223372036854775807"
QUERY_WINDOW = 16384  # offset + limit must stay within this on 2.3


def load_for_query(alias: str, name: str, *, binary: bool, metric: str) -> Collection:
    """Indexes `data` (FLAT / BIN_FLAT, nothing approximate) and loads the collection."""
    coll = Collection(name, using=alias)
    if not coll.has_index():
        index_type = "BIN_FLAT" if binary else "FLAT"
        coll.create_index("data", {"index_type": index_type, "metric_type": metric,
                                   "params": {}})
    coll.load()
    return coll


def query_all(coll: Collection) -> tuple[np.ndarray, list]:
    """Every row's id and raw vector; fails if the collection is beyond one query window."""
    rows = coll.query(ALL_ROWS, output_fields=["id", "data"], limit=QUERY_WINDOW,
                      consistency_level="Strong")
    assert len(rows) < QUERY_WINDOW, (
        f"{coll.name}: {len(rows)} rows fill a whole query window; this check reads at most "
        f"{QUERY_WINDOW - 1}")
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    return ids, [r["data"] for r in rows]


def vector_bytes(value, binary: bool) -> bytes:
    """The raw bytes of one vector as pymilvus returns it."""
    if binary:
        # pymilvus 2.3 gives a binary vector as a one-element list of bytes.
        return bytes(value[0] if isinstance(value, list) else value)
    return np.asarray(value, dtype=np.float32).tobytes()  # float64 -> float32 is exact here


def assert_collection_holds(alias: str, name: str, ids: np.ndarray, vectors: np.ndarray, *,
                            binary: bool, metric: str, tolerance: float = 0.0) -> None:
    """The collection holds exactly these rows (any order), vectors bit for bit.

    `tolerance` > 0 (float vectors only) allows each component to differ by that much relative
    to max(1, |expected|): for lossy FAISS codes, which the tool decodes with another faiss
    version than the fixture generator (last-bit rounding, far below a quantization step)."""
    assert utility.has_collection(name, using=alias), f"collection {name} does not exist"
    coll = load_for_query(alias, name, binary=binary, metric=metric)
    expected_rows = len(ids)
    assert coll.num_entities == expected_rows, (
        f"{name}: num_entities {coll.num_entities}, expected {expected_rows}")

    got_ids, got_vectors = query_all(coll)
    assert len(got_ids) == expected_rows, (
        f"{name}: the query returned {len(got_ids)} rows, expected {expected_rows}")
    uniq, counts = np.unique(got_ids, return_counts=True)
    dups = uniq[counts > 1]
    assert dups.size == 0, f"{name}: ids returned more than once, e.g. {dups[:5].tolist()}"
    missing = np.setdiff1d(ids, got_ids)
    extra = np.setdiff1d(got_ids, ids)
    assert missing.size == 0 and extra.size == 0, (
        f"{name}: {missing.size} expected ids missing (e.g. {missing[:5].tolist()}), "
        f"{extra.size} unexpected (e.g. {extra[:5].tolist()})")

    if tolerance > 0:
        assert not binary
        _assert_close(name, ids, vectors, got_ids, got_vectors, tolerance)
        return
    expected = {int(i): np.ascontiguousarray(v).tobytes() for i, v in zip(ids, vectors)}
    mismatched = [int(i) for i, v in zip(got_ids, got_vectors)
                  if vector_bytes(v, binary) != expected[int(i)]]
    if mismatched:
        first = mismatched[0]
        got = next(v for i, v in zip(got_ids, got_vectors) if int(i) == first)
        raise AssertionError(
            f"{name}: {len(mismatched)} of {expected_rows} vectors differ, e.g. id {first}: "
            f"got {vector_bytes(got, binary)[:32].hex()}..., "
            f"expected {expected[first][:32].hex()}...")


def _assert_close(name: str, ids, vectors, got_ids, got_vectors, tolerance: float) -> None:
    order = np.argsort(ids, kind="stable")
    got_order = np.argsort(got_ids, kind="stable")
    want = np.asarray(vectors, dtype=np.float32)[order]
    got = np.asarray(got_vectors, dtype=np.float32)[got_order]
    assert got.shape == want.shape, f"{name}: vectors {got.shape}, expected {want.shape}"
    diff = np.abs(got.astype(np.float64) - want)
    bound = tolerance * np.maximum(1.0, np.abs(want.astype(np.float64)))
    bad = np.argwhere(~(diff <= bound))
    assert bad.size == 0, (
        f"{name}: {len(bad)} components differ by more than {tolerance} (relative, floor 1); "
        f"worst {diff.max():.3g} at id {int(np.asarray(ids)[order][bad[0][0]])}")
