"""Checks made before any work: numbers of the config outside their range, collection names
Milvus would refuse (both fail naming the key, before anything is written), and the one retry
budget (`retry.budgetSeconds`) bounding how long an unreachable Elasticsearch or S3 endpoint
is retried. None of these needs a running server: the endpoints are ports nobody listens on
(or an address nothing answers), so a stand-in bed describes the target."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import faiss
import numpy as np
import pytest

from migration_yaml import faiss_config, run_command, write_yaml
from es_fixture import es_config

DIM = 8


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once it is closed


def stand_in_bed() -> SimpleNamespace:
    """What migration_yaml needs of a bed, pointing at ports nobody listens on."""
    port = closed_port()
    return SimpleNamespace(milvus_endpoint=f"127.0.0.1:{port}", user="", password="",
                           s3_endpoint=f"127.0.0.1:{port}", s3_bucket="no-bucket",
                           env={"MM_S3_AK": "stand-in-ak", "MM_S3_SK": "stand-in-sk",
                                "MM_S3_REGION": "us-east-1"})


@pytest.fixture(scope="module")
def faiss_file(tmp_path_factory) -> Path:
    index = faiss.IndexFlatL2(DIM)
    index.add(np.random.default_rng(5).standard_normal((300, DIM)).astype(np.float32))
    path = tmp_path_factory.mktemp("checks") / "flat.index"
    faiss.write_index(index, str(path))
    return path


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ---------------------------------------------------------------- names, at plan time

@pytest.mark.parametrize("name,rule", [
    ("my-coll", "may hold only letters, digits and '_' (found '-')"),
    ("2023_vectors", "must start with a letter or '_'"),
    ("a" * 256, "is 256 characters long; Milvus allows at most 255"),
    ("my.coll", "may hold only letters, digits and '_' (found '.')"),
])
def test_collection_name_milvus_refuses_fails_before_anything_is_written(
        faiss_file, mm_binary, tmp_path, name, rule):
    out = tmp_path / "out"
    config = faiss_config(stand_in_bed(), faiss_file, name, out, target_mode="local")
    done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    assert done.returncode == 1, done.describe()
    assert "[target.create.collection.name]" in done.output, done.describe()
    assert rule in done.output, done.describe()
    if len(name) < 100:
        assert f"'{name}'" in done.output, done.describe()
    written = files_under(out)
    assert not [p for p in written if "part-" in str(p) or p.name == "manifest.json"], written


# ---------------------------------------------------------------- numbers, range-checked

@pytest.mark.parametrize("key,value,expected", [
    # The input: the first import "timed out" at once (seconds to a deadline overflowed).
    ("loader.import.timeoutSeconds", 9223372036,
     "[loader.import.timeoutSeconds] must be between 1 and 604800 seconds, got 9223372036"),
    # The input: KB to bytes overflowed with an error naming no key.
    ("dumper.worker.reader.bufferSize", 9007199254740993,
     "[dumper.worker.reader.bufferSize] must be between 1 and 1048576 KB"),
    ("dumper.worker.writer.bufferSize", 99999999999,
     "[dumper.worker.writer.bufferSize] must be between 1 and 5242880 KB"),
    ("dumper.worker.partSizeMB", 1 << 44, "[dumper.worker.partSizeMB] must be between 1 and 16384 MB"),
    ("dumper.worker.limit", 4294967297, "[dumper.worker.limit] must be between 1 and 1024"),
    ("loader.worker.limit", -1, "[loader.worker.limit] must be between 1 and 1024"),
    ("retry.budgetSeconds", 0, "[retry.budgetSeconds] must be between 1 and 86400 seconds"),
    ("target.create.collection.shardsNum", 4294967298,
     "[target.create.collection.shardsNum] must be between 0 and 64"),
    ("target.create.collection.dim", 99999999999999999999,
     "[target.create.collection.dim] must be between 0 and 32768"),
])
def test_numbers_out_of_range_fail_naming_the_key_and_the_range(faiss_file, mm_binary, tmp_path,
                                                                key, value, expected):
    out = tmp_path / "out"
    config = faiss_config(stand_in_bed(), faiss_file, "checks", out, target_mode="local",
                          overrides={key: value})
    done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config))
    assert done.returncode == 1, done.describe()
    assert expected in done.output, done.describe()
    assert not files_under(out), files_under(out)


# ---------------------------------------------------------------- one retry budget

UNREACHABLE = {
    "refused": lambda: f"127.0.0.1:{closed_port()}",
    # TEST-NET-1 (RFC 5737): nothing answers, so each connection attempt waits for its timeout.
    "no answer": lambda: "192.0.2.1:9200",
}


def assert_gave_up_after_the_budget(done, budget: int, what: str) -> None:
    assert done.returncode == 1, done.describe()
    assert "retry.budgetSeconds" in done.output, done.describe()
    assert what in done.output, done.describe()
    # The last attempt starts when the budget ends; a connect attempt then lasts at most 1 s.
    assert budget - 0.5 <= done.seconds <= budget + 6, done.describe()


@pytest.mark.parametrize("budget", [3, 8])
@pytest.mark.parametrize("host", sorted(UNREACHABLE))
def test_unreachable_elasticsearch_gives_up_after_the_budget(mm_binary, tmp_path, budget, host):
    address = UNREACHABLE[host]()
    env = {"MM_ES_URL": f"http://{address}"}
    fields = [{"name": "id", "type": "long", "pk": True},
              {"name": "v", "type": "dense_vector", "dims": DIM}]
    config = es_config(env, stand_in_bed(), "docs", fields, str(tmp_path / "out"),
                       collection="docs", target_mode="local")
    config["retry"] = {"budgetSeconds": budget}
    done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config), timeout=200)
    assert_gave_up_after_the_budget(done, budget, f"http://{address}")


@pytest.mark.parametrize("budget", [3, 8])
@pytest.mark.parametrize("host", sorted(UNREACHABLE))
def test_unreachable_s3_gives_up_after_the_budget(faiss_file, mm_binary, tmp_path, budget,
                                                   host):
    address = UNREACHABLE[host]()
    config = faiss_config(stand_in_bed(), faiss_file, "checks", "e2e-budget",
                          overrides={"target.remote.endpoint": address,
                                     "retry.budgetSeconds": budget})
    done = run_command(mm_binary, "dump", write_yaml(tmp_path / "m.yaml", config), timeout=200)
    assert_gave_up_after_the_budget(done, budget, f"http://{address}")
