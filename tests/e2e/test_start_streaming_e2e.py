"""`start` imports each part as soon as the dump has checkpointed it, instead of after the
whole dump (issue 16), and keeps every resume guarantee: SIGKILLed at any point (during the
dump with imports running, between Milvus accepting an import and the checkpoint recording
it, after the dump while the last parts import), a rerun gives exactly the source rows.

The dump is slowed by a test hook (MM_TEST_DUMP_PAUSE_AFTER_PART_MS: a pause after each part
checkpointed) so that it still runs while Milvus imports its first parts."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from migration_yaml import faiss_config, run_tool, write_yaml
from test_load_faults import assert_exact, make_source

SLOW_DUMP_MS = "1500"


def start_and_kill_at(mm_binary: Path, config: Path, marker: str, env: dict[str, str]) -> str:
    """Runs `start` (after a killed run: --force-unlock) until a log line holds `marker`,
    SIGKILLs it there and returns its output; fails if the marker never came."""
    proc = subprocess.Popen([str(mm_binary), "start", "--force-unlock", "-c", str(config)],
                            env={**os.environ, **env}, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    seen = []
    killed = False
    deadline = time.time() + 180
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        if time.time() > deadline:
            break
    if not killed:
        proc.kill()
    proc.wait(timeout=60)
    output = "".join(seen)
    assert killed, f"never saw {marker!r}:\n{output}"
    return output


def test_start_imports_parts_while_it_dumps(testbed_local, mm_binary, unique_collection,
                                            tmp_path):
    bed = testbed_local
    name = unique_collection(bed)
    faiss_file, ids, vectors = make_source(tmp_path, 8000, 256, seed=21)
    config = write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, faiss_file, name, tmp_path / "out", target_mode="local",
        overrides={"dumper.worker.partSizeMB": 1, "loader.worker.limit": 2}))
    run = subprocess.run([str(mm_binary), "start", "-c", str(config), "--progress=plain"],
                         env={**os.environ, "MM_TEST_DUMP_PAUSE_AFTER_PART_MS": "2500"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    dump_done = next(i for i, line in enumerate(lines) if "dump: done:" in line)
    imported = [i for i, line in enumerate(lines) if re.search(r"load: part \S+ imported", line)]
    assert imported and imported[0] < dump_done, run.stderr
    # Both phases show on the progress lines while the dump runs.
    both = [i for i, line in enumerate(lines[:dump_done])
            if re.search(r"progress: import \d+/8000 rows", line)]
    assert both, run.stderr
    assert re.search(r"progress: import: done 8000/8000 rows", run.stderr), run.stderr
    assert_exact(bed.milvus_alias(), name, ids, vectors)


def test_start_killed_anywhere_then_rerun_holds_exactly_the_source(
        testbed_local, mm_binary, unique_collection, tmp_path):
    bed = testbed_local
    name = unique_collection(bed)
    faiss_file, ids, vectors = make_source(tmp_path, 12000, 256, seed=22)
    config = write_yaml(tmp_path / "migration.yaml", faiss_config(
        bed, faiss_file, name, tmp_path / "out", target_mode="local",
        overrides={"dumper.worker.partSizeMB": 1, "loader.worker.limit": 2}))
    slow = {"MM_TEST_DUMP_PAUSE_AFTER_PART_MS": SLOW_DUMP_MS}
    # 1. The dump runs and a part was imported beside it.
    start_and_kill_at(mm_binary, config, "rows, while the dump goes on", slow)
    # 2. Milvus accepted an import, the checkpoint does not know its task id yet, the dump
    #    still runs.
    start_and_kill_at(mm_binary, config, "MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS",
                      {**slow, "MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS": "30000"})
    # 3. The dump has ended; the last parts import.
    third = start_and_kill_at(mm_binary, config, "dump: done:", slow)
    assert "resumes after" in third or "already dumped" in third, third

    rerun = run_tool(mm_binary, "start", "--force-unlock", "-c", str(config), timeout=300)
    assert rerun.returncode == 0, rerun.describe()
    assert "imported earlier" in rerun.output, rerun.describe()
    assert_exact(bed.milvus_alias(), name, ids, vectors)
