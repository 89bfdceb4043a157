"""migration.yaml keys the way users write them: case-insensitively (the Zilliz blog's FAISS
example writes `FAISSFile:` and `workMode: FAISS`), unknown keys warned about naming the
nearest known key (the same example's `shardsNums`), `--strict` refusing them, and usage
errors on the command line exiting 2 with the usage."""

from __future__ import annotations

import socket
from pathlib import Path

import faiss
import numpy as np
import pytest

from migration_yaml import run_command, run_tool
from readback import assert_collection_holds

DIM = 16
ROWS = 500

# The blog's example, as written there; only the paths, endpoints and names are the bed's.
BLOG_FAISS_EXAMPLE = """\
# Configuration for FAISS to Milvus 2.x migration


dumper:
  worker:
    limit: 2
    workMode: FAISS
    reader:
      bufferSize: 1024
    writer:
      bufferSize: 1024
loader:
  worker:
    limit: 2
source:
  mode: local
  local:
    FAISSFile: {faiss_file}


target:
  create:
    collection:
      name: {collection}
      shardsNums: 2
      dim: {dim}
      metricType: L2
  mode: remote
  remote:
    outputDir: {output_dir}
    cloud: aws
    endpoint: {s3_endpoint}
    region: {region}
    bucket: {bucket}
    ak: {ak}
    sk: {sk}
    useIAM: false
    useSSL: false
    checkBucket: true
  milvus2x:
    endpoint: {milvus_endpoint}
{credentials}"""

SHARDS_WARNING = ("unknown key [target.create.collection.shardsNums] (did you mean "
                  "target.create.collection.shardsNum?)")


@pytest.fixture(scope="module")
def flat_index(tmp_path_factory) -> tuple[Path, np.ndarray]:
    vectors = np.random.default_rng(11).standard_normal((ROWS, DIM)).astype(np.float32)
    index = faiss.IndexFlatL2(DIM)
    index.add(vectors)
    path = tmp_path_factory.mktemp("blog") / "FAISS_ivf_flat.index"
    faiss.write_index(index, str(path))
    return path, vectors


def blog_config(path: Path, faiss_file: Path, collection: str, *, s3_endpoint: str,
                bucket: str, ak: str, sk: str, region: str, milvus_endpoint: str,
                user: str = "", password: str = "") -> Path:
    credentials = (f"    username: {user}\n    password: {password}\n" if user else "")
    path.write_text(BLOG_FAISS_EXAMPLE.format(
        faiss_file=faiss_file, collection=collection, dim=DIM, output_dir=f"e2e/{collection}/",
        s3_endpoint=s3_endpoint, region=region, bucket=bucket, ak=ak, sk=sk,
        milvus_endpoint=milvus_endpoint, credentials=credentials))
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once it is closed


def test_blogs_faiss_example_migrates_and_warns_about_shardsNums(
        flat_index, testbed_s3, mm_binary, tmp_path, unique_collection):
    faiss_file, vectors = flat_index
    bed = testbed_s3
    collection = unique_collection(bed)
    config = blog_config(tmp_path / "migration.yaml", faiss_file, collection,
                         s3_endpoint=bed.s3_endpoint, bucket=bed.s3_bucket,
                         ak=bed.env["MM_S3_AK"], sk=bed.env["MM_S3_SK"],
                         region=bed.env.get("MM_S3_REGION", "us-east-1"),
                         milvus_endpoint=bed.milvus_endpoint, user=bed.user,
                         password=bed.password)
    run = run_command(mm_binary, "start", config)
    assert run.returncode == 0, run.describe()
    assert SHARDS_WARNING in run.stderr, run.describe()
    assert "[warning]" in next(line for line in run.stderr.splitlines()
                               if "shardsNums" in line), run.describe()
    assert_collection_holds(bed.milvus_alias(), collection, np.arange(ROWS, dtype=np.int64),
                            vectors, binary=False, metric="L2")


@pytest.mark.parametrize("command", ["dump", "load", "start"])
def test_strict_refuses_unknown_keys_before_any_work(flat_index, mm_binary, tmp_path, command):
    port = closed_port()  # nothing may be contacted: the config is refused first
    config = blog_config(tmp_path / "migration.yaml", flat_index[0], "blog_strict",
                         s3_endpoint=f"127.0.0.1:{port}", bucket="no-bucket", ak="stand-in-ak",
                         sk="stand-in-sk", region="us-east-1",
                         milvus_endpoint=f"127.0.0.1:{port}")
    run = run_tool(mm_binary, command, "--strict", "-c", config, timeout=60)
    assert run.returncode == 1, run.describe()
    assert f"{config}: {SHARDS_WARNING}; --strict refuses unknown keys" in run.stderr, \
        run.describe()
    assert run.seconds < 10, run.describe()


def test_keys_differing_only_by_case_are_refused_naming_both(flat_index, mm_binary, tmp_path):
    port = closed_port()
    config = blog_config(tmp_path / "migration.yaml", flat_index[0], "blog_dup",
                         s3_endpoint=f"127.0.0.1:{port}", bucket="no-bucket", ak="stand-in-ak",
                         sk="stand-in-sk", region="us-east-1",
                         milvus_endpoint=f"127.0.0.1:{port}")
    text = config.read_text()
    config.write_text(text.replace("    FAISSFile:", "    faissFile: /elsewhere.index\n"
                                                     "    FAISSFile:"))
    run = run_command(mm_binary, "dump", config, timeout=60)
    assert run.returncode == 1, run.describe()
    assert ("[source.local.faissFile] and [source.local.FAISSFile] are one key written twice "
            "(keys are case-insensitive); keep one") in run.stderr, run.describe()


@pytest.mark.parametrize("args,names", [
    (["nosuch"], "unknown command 'nosuch'"),
    ([], "A subcommand is required"),
    (["dump", "--nosuch"], "--nosuch"),
    (["dump", "-c"], "--config"),
], ids=["unknown-subcommand", "no-subcommand", "unknown-flag", "missing-value"])
def test_usage_errors_exit_2_with_the_usage(mm_binary, args, names):
    run = run_tool(mm_binary, *args, timeout=30)
    assert run.returncode == 2, run.describe()
    assert names in run.stderr, run.describe()
    assert "Usage:" in run.stderr, run.describe()


def test_help_still_exits_0(mm_binary):
    run = run_tool(mm_binary, "--help", timeout=30)
    assert run.returncode == 0, run.describe()
    assert "dump" in run.output, run.describe()
