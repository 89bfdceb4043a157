"""Ctrl-C during a load, then the same command again: the rerun waits for the import the
first run submitted (by its task id) and imports each remaining part once."""

import signal
import subprocess
import time

import numpy as np

from migration_yaml import faiss_config, run_command, write_yaml
from readback import assert_collection_holds
from test_faiss_e2e import write_idmap_index


def test_sigint_during_load_then_rerun_finishes_exactly(testbed_local, mm_binary,
                                                        unique_collection, tmp_path):
    bed = testbed_local
    rng = np.random.default_rng(5)
    rows, dim = 6000, 256
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    ids = rng.choice(np.int64(1) << 60, size=rows, replace=False).astype(np.int64)
    faiss_file = write_idmap_index(tmp_path / "big.index", ids, vectors, "L2")
    name = unique_collection(bed)
    # 1 MB parts: 6 parts, which Milvus 2.3 imports one after another (~2 s each).
    config = write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, faiss_file, name, tmp_path / "out", target_mode="local",
        overrides={"dumper.worker.partSizeMB": 1, "loader.worker.limit": 1}))

    proc = subprocess.Popen([str(mm_binary), "start", "-c", str(config)],
                            stderr=subprocess.PIPE, text=True)
    seen = []
    deadline = time.time() + 120
    for line in proc.stderr:
        seen.append(line)
        if "imported:" in line or time.time() > deadline:
            break  # one part is in; others are pending
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    output = "".join(seen) + rest
    assert proc.returncode == 130, output
    assert "stopped on request" in output, output

    rerun = run_command(mm_binary, "start", config, timeout=300)
    assert rerun.returncode == 0, rerun.describe()
    assert "imported earlier" in rerun.output
    assert_collection_holds(bed.milvus_alias(), name, ids, vectors, binary=False, metric="L2")
