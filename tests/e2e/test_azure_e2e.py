"""Azure Blob (`cloud: azure` / `az`) end to end, against Azurite (which checks Shared Key and
SAS signatures as Azure does) and a Milvus 2.3.5 whose own storage is that Azurite account
(`common.storageType: remote`, `minio.cloudProvider: azure`; scripts/testbed.sh --storage
azure). Milvus imports the dumped files from its container, as it would on Azure.

- a FAISS index dumped to the container (one data.npy over the 5 MiB block size, so it goes
  up as Put Block + Put Block List) and loaded by a second command; the files read back with
  azure-storage-blob equal, byte for byte, a dump of the same index to local disk; the rows
  read back with pymilvus;
- a Milvus 1.x instance (tables and meta.json) read FROM a container;
- a FAISS file read FROM a container with a read/list SAS token (`cloud: az`, `useIAM: true`)
  and migrated through a target that writes with another SAS;
- a wrong key, a missing container, a tampered or expired SAS: exit 1 with a message naming
  Azure, the container and the key at fault.
Every output (stdout, stderr, manifest.json, the lock) is searched for the key and the SAS.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import azure.storage.blob as azure_blob  # pymilvus 2.3 depends on it
import faiss
import numpy as np
import pytest

from conftest import Testbed, _start_bed
from migration_yaml import ToolRun, faiss_config, milvus1x_config, run_command, run_tool, write_yaml
from readback import assert_collection_holds
# The 1.x instance generator and its checks, shared with the S3 1.x tests.
from test_milvus1x_e2e import assert_migrated, instance, renamed  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def testbed_azure(tmp_path_factory) -> Iterator[Testbed]:
    """Milvus 2.3.5 on Azurite (ports base+52..63, Azurite base+78: conftest.PORT_OFFSETS),
    stopped when this module ends."""
    yield from _start_bed(tmp_path_factory, "azure", "azure")


def container_client(bed: Testbed, container: str | None = None):
    env = bed.env
    svc = azure_blob.BlobServiceClient(
        env["MM_AZURE_ENDPOINT"],
        credential={"account_name": env["MM_AZURE_ACCOUNT"], "account_key": env["MM_AZURE_KEY"]})
    return svc.get_container_client(container or env["MM_AZURE_CONTAINER"])


def azure_remote(bed: Testbed, *, cloud: str = "azure", **changes) -> dict:
    env = bed.env
    remote = {"cloud": cloud, "endpoint": env["MM_AZURE_ENDPOINT"],
              "bucket": env["MM_AZURE_CONTAINER"], "ak": env["MM_AZURE_ACCOUNT"],
              "sk": env["MM_AZURE_KEY"], "useIAM": False, "useSSL": False,
              "checkBucket": True}
    remote.update(changes)
    return remote


def write_index(path: Path, rows: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((rows, dim), dtype=np.float32)
    ids = rng.choice(10**9, size=rows, replace=False).astype(np.int64)
    index = faiss.IndexIDMap2(faiss.IndexFlatL2(dim))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(path))
    return ids, vectors


def config_for(bed: Testbed, tmp_path: Path, index: Path | str, collection: str, output: str,
               *, remote: dict | None = None, source_remote: dict | None = None,
               name: str = "migration.yaml", target_mode: str = "remote", **overrides) -> Path:
    """The FAISS migration.yaml: target.remote is the Azure container (or `remote`);
    `source_remote` reads the index from a container instead of local disk."""
    # faiss_config's remote target is the S3 bed's: start from its local one.
    config = faiss_config(bed, index, collection, output, target_mode="local",
                          overrides={k.replace("__", "."): v for k, v in overrides.items()})
    if target_mode == "remote":
        del config["target"]["local"]
        config["target"]["mode"] = "remote"
        config["target"]["remote"] = {"outputDir": output, **(remote or azure_remote(bed))}
    if source_remote is not None:
        config["source"] = {"mode": "remote", "remote": source_remote}
    return write_yaml(tmp_path / name, config)


def secrets_of(bed: Testbed, *extra: str) -> list[str]:
    return [bed.env["MM_AZURE_KEY"], *extra]


def assert_no_secret(texts: list[str], secrets: list[str]) -> None:
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"a secret appears in:\n{text[:3000]}"


def blob_texts(bed: Testbed, prefix: str) -> list[str]:
    """manifest.json (and the lock, if left) under `prefix`, as text."""
    cc = container_client(bed)
    return [cc.download_blob(b.name).readall().decode("utf-8", "replace")
            for b in cc.list_blobs(name_starts_with=prefix)
            if b.name.endswith(("manifest.json", "migration.lock"))]


def test_dump_to_azure_and_load_from_it(testbed_azure, mm_binary, unique_collection, tmp_path):
    bed = testbed_azure
    # 2000 x 768 float32: a 6 MB data.npy, over the 5 MiB block size.
    ids, vectors = write_index(tmp_path / "d768.index", 2000, 768, seed=13)
    name = unique_collection(bed)
    output = f"e2e-azure/{name}"
    config = config_for(bed, tmp_path, tmp_path / "d768.index", name, output,
                        dumper__worker__writer__bufferSize=1024)

    dump = run_command(mm_binary, "dump", config)
    assert dump.returncode == 0, dump.describe() + bed.log_tail(20)
    assert f"azure://{bed.env['MM_AZURE_CONTAINER']}/{output}/migration" in dump.stderr
    load = run_command(mm_binary, "load", config)
    assert load.returncode == 0, load.describe() + bed.log_tail(40)
    assert f"holds {len(ids)} rows, as expected" in load.stderr, load.describe()
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")

    # The same index dumped to disk: every file in the container equals it byte for byte.
    local = tmp_path / "local-out"
    local_config = config_for(bed, tmp_path, tmp_path / "d768.index", name, str(local),
                              target_mode="local", name="local.yaml")
    local_dump = run_command(mm_binary, "dump", local_config)
    assert local_dump.returncode == 0, local_dump.describe()
    cc = container_client(bed)
    root = f"{output}/migration/"
    blobs = {b.name[len(root):]: b.size for b in cc.list_blobs(name_starts_with=root)}
    files = {str(p.relative_to(local / "migration")): p.stat().st_size
             for p in (local / "migration").rglob("*") if p.is_file()}
    data = {k: v for k, v in files.items() if k.endswith(".npy")}
    assert data and {k: v for k, v in blobs.items() if k.endswith(".npy")} == data, (blobs, files)
    assert max(data.values()) > 5 << 20, "no file went up as blocks"
    for rel in data:
        got = cc.download_blob(root + rel).readall()
        assert got == (local / "migration" / rel).read_bytes(), f"{rel} differs"
    assert_no_secret([dump.output, load.output, local_dump.output, *blob_texts(bed, output)],
                     secrets_of(bed))


def container_sas(bed: Testbed, *, expiry: datetime, permission: str = "rl") -> str:
    env = bed.env
    return azure_blob.generate_container_sas(
        env["MM_AZURE_ACCOUNT"], env["MM_AZURE_CONTAINER"], account_key=env["MM_AZURE_KEY"],
        permission=azure_blob.ContainerSasPermissions.from_string(permission), expiry=expiry)


def source_in_container(bed: Testbed, tmp_path: Path, name: str, sas: str,
                        target_sas: str | None = None) -> tuple[Path, tuple]:
    """A FAISS index uploaded to the container, and a config reading it with `sas` (and
    writing with `target_sas`, else the account key)."""
    ids, vectors = write_index(tmp_path / "src.index", 700, 32, seed=5)
    key = f"e2e-azure-src/{name}/src.index"
    with open(tmp_path / "src.index", "rb") as f:
        container_client(bed).upload_blob(key, f, overwrite=True)
    source = {**azure_remote(bed, cloud="az", sk=sas, useIAM=True), "faissFile": key}
    target = azure_remote(bed, sk=target_sas) if target_sas else None
    config = config_for(bed, tmp_path, "unused", name, f"e2e-azure/{name}",
                        remote=target, source_remote=source)
    return config, (ids, vectors)


def test_faiss_source_read_from_a_container_with_a_sas(testbed_azure, mm_binary,
                                                       unique_collection, tmp_path):
    bed = testbed_azure
    name = unique_collection(bed)
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    sas = container_sas(bed, expiry=expiry)  # read and list
    target_sas = container_sas(bed, expiry=expiry, permission="racwdl")
    config, (ids, vectors) = source_in_container(bed, tmp_path, name, sas, target_sas)
    assert 'cloud: "az"' in config.read_text() and "sig=" in config.read_text()

    run = run_command(mm_binary, "start", config)

    assert run.returncode == 0, run.describe() + bed.log_tail(20)
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")
    sigs = [re.search(r"sig=([^&]+)", s).group(1) for s in (sas, target_sas)]
    assert_no_secret([run.output, *blob_texts(bed, f"e2e-azure/{name}")],
                     secrets_of(bed, sas, target_sas, *sigs))


def expect_failure(run: ToolRun, *needles: str) -> None:
    assert run.returncode == 1, run.describe()
    for needle in needles:
        assert needle in run.stderr, f"'{needle}' missing:\n{run.describe()}"


def test_a_wrong_key_names_azure_the_container_and_the_key(testbed_azure, mm_binary, tmp_path):
    bed = testbed_azure
    write_index(tmp_path / "x.index", 10, 4, seed=1)
    wrong = "d3Jvbmcta2V5LWZvci10aGlzLWFjY291bnQtMDEyMzQ1Njc4OWFiY2RlZg=="
    config = config_for(bed, tmp_path, tmp_path / "x.index", "t_wrong_key", "e2e-azure/wrong",
                        remote=azure_remote(bed, sk=wrong))
    run = run_command(mm_binary, "dump", config)
    expect_failure(run, "Azure Blob", f"azure://{bed.env['MM_AZURE_CONTAINER']}",
                   "refused the Shared Key of target.remote.ak/sk",
                   "the key does not match this storage account")
    assert_no_secret([run.output], secrets_of(bed, wrong))


def test_a_missing_container_is_named(testbed_azure, mm_binary, tmp_path):
    bed = testbed_azure
    write_index(tmp_path / "x.index", 10, 4, seed=1)
    config = config_for(bed, tmp_path, tmp_path / "x.index", "t_missing", "e2e-azure/missing",
                        remote=azure_remote(bed, bucket="mm-no-such-container"))
    run = run_command(mm_binary, "dump", config)
    expect_failure(run, "Azure container 'mm-no-such-container' does not exist",
                   bed.env["MM_AZURE_ACCOUNT"])
    assert_no_secret([run.output], secrets_of(bed))


@pytest.mark.parametrize("kind", ["tampered", "expired"])
def test_a_bad_sas_names_the_source_container_and_key(testbed_azure, mm_binary, tmp_path, kind):
    bed = testbed_azure
    if kind == "expired":
        sas = container_sas(bed, expiry=datetime.now(timezone.utc) - timedelta(hours=1))
    else:
        good = container_sas(bed, expiry=datetime.now(timezone.utc) + timedelta(hours=1))
        sas = re.sub(r"sig=[^&]+", "sig=AAAA" + "B" * 40 + "%3D", good)
    config, _ = source_in_container(bed, tmp_path, f"t_bad_sas_{kind}", sas)
    run = run_command(mm_binary, "dump", config)
    expect_failure(run, "Azure Blob", "refused the SAS token of source.remote.ak/sk",
                   f"azure://{bed.env['MM_AZURE_CONTAINER']}",
                   "the SAS token is invalid, expired or not for this account")
    sig = re.search(r"sig=([^&]+)", sas).group(1)
    assert_no_secret([run.output], secrets_of(bed, sas, sig))


def test_milvus1x_segments_and_meta_in_a_container(instance, testbed_azure, mm_binary, renamed,
                                                   tmp_path):
    """A Milvus 1.x instance (its db/tables and an exported meta.json) read FROM a container,
    segments by ranged Get Blob, into the Milvus on Azure: every live row back, bit for bit."""
    bed = testbed_azure
    r = renamed(instance, bed)
    prefix = f"e2e-m1x-src/{r.suffix}"
    cc = container_client(bed)
    for path in sorted(instance.tables.rglob("*")):
        if path.is_file():
            with open(path, "rb") as f:
                cc.upload_blob(f"{prefix}/tables/{path.relative_to(instance.tables).as_posix()}", f)
    exported = run_tool(mm_binary, "export", "-s", str(instance.sqlite), "-o", str(tmp_path))
    assert exported.returncode == 0, exported.describe()
    with open(tmp_path / "meta.json", "rb") as f:
        cc.upload_blob(f"{prefix}/meta.json", f)

    config = milvus1x_config(bed, {"mode": "remote", "remoteMetaFile": f"{prefix}/meta.json"},
                             "unused", "unused", target_mode="local",
                             overrides={"target.create.collection.nameMap": r.names})
    config["source"] = {"mode": "remote",
                        "remote": {**azure_remote(bed), "tablesDir": f"/{prefix}/tables/"}}
    del config["target"]["local"]
    config["target"]["mode"] = "remote"
    config["target"]["remote"] = {"outputDir": f"e2e-m1x/{r.suffix}", **azure_remote(bed)}
    run = run_tool(mm_binary, "start", "-c", str(write_yaml(tmp_path / "m.yaml", config)),
                   timeout=600)
    assert run.returncode == 0, run.describe() + bed.log_tail(20)
    assert_migrated(bed, instance, r.names)
    assert_no_secret([run.output, *blob_texts(bed, f"e2e-m1x/{r.suffix}")], secrets_of(bed))
