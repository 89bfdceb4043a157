"""Bad inputs and unreachable or refusing servers: the tool exits non-zero with a message that
names what is wrong (the file, the key, the endpoint, the bucket, the user), never prints a
secret, and leaves no collection behind in Milvus."""

from __future__ import annotations

import socket
from pathlib import Path

import faiss
import numpy as np
import pytest
from pymilvus import utility

from conftest import Testbed
from migration_yaml import ToolRun, faiss_config, run_command, write_yaml

DIM = 8
ROWS = 200


@pytest.fixture(scope="module")
def index_files(tmp_path_factory) -> dict[str, Path]:
    """A small good index and the broken or unsupported files made from it."""
    d = tmp_path_factory.mktemp("bad_faiss")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    files = {}

    good = faiss.IndexFlatL2(DIM)
    good.add(x)
    files["good"] = d / "good.index"
    faiss.write_index(good, str(files["good"]))
    data = files["good"].read_bytes()

    files["truncated"] = d / "truncated.index"
    files["truncated"].write_bytes(data[:len(data) // 2])
    files["random"] = d / "random.index"
    files["random"].write_bytes(rng.bytes(4096))
    files["empty"] = d / "empty.index"
    files["empty"].write_bytes(b"")

    lsh = faiss.IndexLSH(DIM, 16)
    lsh.add(x)
    files["IndexLSH"] = d / "lsh.index"
    faiss.write_index(lsh, str(files["IndexLSH"]))
    pq = faiss.IndexPQ(DIM, 2, 4)
    pq.train(rng.standard_normal((1000, DIM)).astype(np.float32))
    pq.add(x)
    files["IndexPQ"] = d / "pq.index"
    faiss.write_index(pq, str(files["IndexPQ"]))
    return files


def start(bed: Testbed, binary: Path, tmp_path: Path, faiss_file: Path, collection: str,
          overrides: dict | None = None, command: str = "start") -> ToolRun:
    """Runs `command` against `bed` (S3 target on an s3 bed, else a local outputDir)."""
    if bed.storage == "s3":
        config = faiss_config(bed, faiss_file, collection, f"e2e-bad/{collection}",
                              overrides=overrides)
    else:
        config = faiss_config(bed, faiss_file, collection, tmp_path / "out",
                              target_mode="local", overrides=overrides)
    return run_command(binary, command, write_yaml(tmp_path / "migration.yaml", config),
                       timeout=120)


def assert_failed(run: ToolRun, *words: str, secrets: tuple[str, ...] = ()) -> None:
    assert run.returncode != 0, run.describe()
    message = run.output
    for word in words:
        assert word in message, f"{word!r} is not in the output:\n{run.describe()}"
    for secret in secrets:
        assert secret not in message, f"the output shows the secret {secret!r}"


def assert_no_collection(bed: Testbed, collection: str) -> None:
    assert not utility.has_collection(collection, using=bed.milvus_alias()), (
        f"collection {collection} was left in Milvus")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once it is closed


# ---------------------------------------------------------------------------- the FAISS file

def test_missing_faiss_file(testbed_s3, mm_binary, unique_collection, tmp_path):
    name = unique_collection(testbed_s3)
    missing = tmp_path / "no-such.index"

    run = start(testbed_s3, mm_binary, tmp_path, missing, name)

    assert_failed(run, str(missing), "No such file")
    assert_no_collection(testbed_s3, name)


@pytest.mark.parametrize("kind,words", [
    ("truncated", ["truncated"]),
    ("random", ["not a FAISS index"]),
    ("empty", ["empty"]),
])
def test_corrupt_faiss_file(kind, words, index_files, testbed_s3, mm_binary, unique_collection,
                            tmp_path):
    name = unique_collection(testbed_s3)

    run = start(testbed_s3, mm_binary, tmp_path, index_files[kind], name)

    assert_failed(run, str(index_files[kind]), *words)
    assert_no_collection(testbed_s3, name)


def test_junk_byte_in_the_vectors(tmp_path_factory, testbed_s3, mm_binary, unique_collection,
                                  tmp_path):
    """The issue's case: one junk byte inside the vectors of an IndexFlatL2 (d=4, n=8) shifts
    every later byte; the file ends one byte after the index. Refused, naming the file and
    the offset where the index ends; accepted only with source.faiss.allowTrailingBytes."""
    d = tmp_path_factory.mktemp("junk")
    x = np.random.default_rng(4).standard_normal((8, 4)).astype(np.float32)
    index = faiss.IndexFlatL2(4)
    index.add(x)
    clean = d / "clean.index"
    faiss.write_index(index, str(clean))
    data = clean.read_bytes()
    vectors_at = 4 + 33 + 8  # fourcc, header, float count
    assert len(data) == vectors_at + x.nbytes
    junk = d / "junk.index"
    at = vectors_at + 3 * 16 + 2  # inside row 3
    junk.write_bytes(data[:at] + b"\x5a" + data[at:])
    name = unique_collection(testbed_s3)

    run = start(testbed_s3, mm_binary, tmp_path, junk, name)

    assert_failed(run, str(junk), f"offset {len(data)}", "1 more byte",
                  "source.faiss.allowTrailingBytes")
    assert_no_collection(testbed_s3, name)

    allowed = start(testbed_s3, mm_binary, tmp_path, junk, name,
                    {"source.faiss.allowTrailingBytes": True})
    assert allowed.returncode == 0, allowed.describe()
    assert "ignored" in allowed.output, allowed.describe()


@pytest.mark.parametrize("index_type", ["IndexLSH", "IndexPQ"])
def test_unsupported_index_type(index_type, index_files, testbed_s3, mm_binary,
                                unique_collection, tmp_path):
    name = unique_collection(testbed_s3)

    run = start(testbed_s3, mm_binary, tmp_path, index_files[index_type], name)

    assert_failed(run, str(index_files[index_type]), index_type, "not supported")
    assert_no_collection(testbed_s3, name)


def test_dim_mismatch(index_files, testbed_s3, mm_binary, unique_collection, tmp_path):
    name = unique_collection(testbed_s3)

    run = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name,
                {"target.create.collection.dim": 16})

    assert_failed(run, str(index_files["good"]), "dim 8", "dim 16")
    assert_no_collection(testbed_s3, name)


# ---------------------------------------------------------------------------- the config

def test_bad_config_value_names_the_key(index_files, testbed_s3, mm_binary, unique_collection,
                                        tmp_path):
    name = unique_collection(testbed_s3)

    run = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name,
                {"target.create.collection.ifExists": "overwrite"})

    assert_failed(run, "migration.yaml", "target.create.collection.ifExists", "overwrite")
    assert_no_collection(testbed_s3, name)


def test_load_without_a_dump(index_files, testbed_s3, mm_binary, unique_collection, tmp_path):
    name = unique_collection(testbed_s3)

    run = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name, command="load")

    assert_failed(run, f"e2e-bad/{name}/migration", "manifest.json", "run dump first")
    assert_no_collection(testbed_s3, name)


def test_dump_over_another_sources_dump(index_files, testbed_s3, mm_binary, unique_collection,
                                        tmp_path):
    name = unique_collection(testbed_s3)
    first = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name, command="dump")
    assert first.returncode == 0, first.describe()

    other = tmp_path / "other.index"
    other.write_bytes(index_files["good"].read_bytes())

    run = start(testbed_s3, mm_binary, tmp_path, other, name)

    assert_failed(run, f"e2e-bad/{name}/migration", "already holds a dump of",
                  str(index_files["good"]), str(other))
    assert_no_collection(testbed_s3, name)


# ---------------------------------------------------------------------------- servers

def test_milvus_unreachable(index_files, testbed_s3, mm_binary, unique_collection, tmp_path):
    name = unique_collection(testbed_s3)
    endpoint = f"127.0.0.1:{closed_port()}"

    # The retry budget (default 60 s) bounds how long an unreachable Milvus is waited for.
    run = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name,
                {"target.milvus2x.endpoint": endpoint, "retry.budgetSeconds": 5})

    assert_failed(run, endpoint, "unreachable")
    assert run.seconds < 35, f"gave up only after {run.seconds:.0f}s"
    assert_no_collection(testbed_s3, name)


def test_bucket_missing_without_check(index_files, testbed_s3, mm_binary, unique_collection,
                                      tmp_path):
    # SeaweedFS creates a missing bucket on the first write (AWS and MinIO answer
    # NoSuchBucket), so here the dump lands in a new bucket Milvus does not read and the
    # import is what fails; either way the message must name the bucket.
    name = unique_collection(testbed_s3)
    bucket = f"mm-e2e-missing-{name[-8:]}"
    client = testbed_s3.s3_client()
    try:
        run = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name,
                    {"target.remote.bucket": bucket, "target.remote.checkBucket": False})

        assert_failed(run, bucket)
        assert_no_collection(testbed_s3, name)
    finally:
        if client.bucket_exists(bucket):
            for obj in client.list_objects(bucket, recursive=True):
                client.remove_object(bucket, obj.object_name)
            client.remove_bucket(bucket)


def test_bucket_missing_with_check(index_files, testbed_s3, mm_binary, unique_collection,
                                   tmp_path):
    name = unique_collection(testbed_s3)
    bucket = f"mm-e2e-missing-{name[-8:]}"

    run = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name,
                {"target.remote.bucket": bucket, "target.remote.checkBucket": True})

    assert_failed(run, f"bucket '{bucket}' does not exist", testbed_s3.s3_endpoint)
    assert_no_collection(testbed_s3, name)
    assert not testbed_s3.s3_client().bucket_exists(bucket)


@pytest.mark.parametrize("wrong", ["secret", "access key"])
def test_wrong_s3_credentials(wrong, index_files, testbed_s3, mm_binary, unique_collection,
                              tmp_path):
    name = unique_collection(testbed_s3)
    bad_secret = "Wr0ng-S3-Secret-Value"
    overrides = {"target.remote.sk": bad_secret}
    if wrong == "access key":
        overrides["target.remote.ak"] = "no-such-access-key"

    run = start(testbed_s3, mm_binary, tmp_path, index_files["good"], name, overrides)

    # Neither key is shown (an access key is a credential too): the message names where
    # they came from.
    secrets = (bad_secret, testbed_s3.env["MM_S3_SK"], overrides.get("target.remote.ak",
                                                                     testbed_s3.env["MM_S3_AK"]))
    assert_failed(run, testbed_s3.s3_endpoint, "refused the access key of target.remote.ak/sk",
                  "403", secrets=secrets)
    assert_no_collection(testbed_s3, name)


def test_wrong_milvus_password(index_files, testbed_auth, mm_binary, unique_collection,
                               tmp_path):
    name = unique_collection(testbed_auth)
    bad_password = "Wr0ng-Milvus-Password"

    run = start(testbed_auth, mm_binary, tmp_path, index_files["good"], name,
                {"target.milvus2x.password": bad_password})

    assert_failed(run, testbed_auth.milvus_endpoint, "authentication failed",
                  f"user '{testbed_auth.user}'", secrets=(bad_password,))
    assert_no_collection(testbed_auth, name)
