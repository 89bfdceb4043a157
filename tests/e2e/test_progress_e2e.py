"""Progress and the summary of a run (issue 16, "Progress"), on a real Milvus bed.

A FAISS `start --progress=plain` into a local output: its log carries the plain progress
lines (each phase's last numbers), one summary line per collection, and report.json beside
manifest.json; all of them must agree with the rows read back from Milvus and the parts in
the output. `--progress=bar` under a pseudo-terminal draws the bar in place and keeps log
lines out of it.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import faiss
import numpy as np

from migration_yaml import faiss_config, run_tool, write_yaml
from readback import assert_collection_holds

ROWS = 12_000
DIM = 64


def write_index(path: Path, seed: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.choice(10 * ROWS, size=ROWS, replace=False).astype(np.int64)
    vectors = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    index = faiss.IndexIDMap(faiss.IndexFlatL2(DIM))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(path))
    return ids, vectors


def part_dirs(out: Path) -> list[Path]:
    return sorted(p.parent for p in (out / "migration").rglob("id.npy"))


def test_start_with_plain_progress_logs_lines_summary_and_report(testbed_local, mm_binary,
                                                                unique_collection, tmp_path):
    ids, vectors = write_index(tmp_path / "index.faiss")
    name = unique_collection(testbed_local)
    out = tmp_path / "out"
    config = faiss_config(testbed_local, tmp_path / "index.faiss", name, str(out),
                          target_mode="local")
    config["dumper"]["worker"]["partSizeMB"] = 1
    path = write_yaml(tmp_path / "migration.yaml", config)

    run = run_tool(mm_binary, "start", "-c", str(path), "--progress=plain", "--verify")

    assert run.returncode == 0, run.describe()
    assert_collection_holds(testbed_local.milvus_alias(), name, ids, vectors, binary=False,
                            metric="L2")
    parts = part_dirs(out)
    assert len(parts) >= 2, parts  # partSizeMB 1 cuts ~3 MB into several parts
    # The rows' bytes in the parts (an int64 id and a float32 vector each), headers apart.
    row_bytes = ROWS * (8 + 4 * DIM)
    file_bytes = sum(f.stat().st_size for d in parts for f in d.iterdir() if f.is_file())
    assert row_bytes < file_bytes <= row_bytes + 256 * len(parts)  # a .npy header each
    # Not a terminal's control codes, only lines.
    assert "\r" not in run.stderr and "\x1b[2K" not in run.stderr, run.describe()
    # Each phase's last numbers, on a plain line of its own.
    dump = re.search(r"progress: dump: done (\d+)/(\d+) rows \(100\.0%\) ([\d.]+) MB", run.stderr)
    assert dump, run.describe()
    assert int(dump[1]) == int(dump[2]) == ROWS
    load = re.search(r"progress: import: done (\d+)/(\d+) rows \(100\.0%\) ([\d.]+)/([\d.]+) MB",
                     run.stderr)
    assert load, run.describe()
    assert int(load[1]) == int(load[2]) == ROWS
    assert float(load[3]) == float(load[4]) == round(row_bytes / 1e6, 1), load[0]
    # verify's phase: the source rows it read.
    assert re.search(rf"progress: verify: done {ROWS}/{ROWS} rows \(100\.0%\)", run.stderr), \
        run.describe()
    # One summary line for the collection.
    summary = re.findall(rf"start: collection '{name}': (\d+) rows, (\d+) part\(s\), "
                         rf"(\d+) skipped rows, ([\d.]+)s, ([\d.]+) MB/s", run.stderr)
    assert len(summary) == 1, run.describe()
    rows, nparts, skipped, seconds, mbps = summary[0]
    assert (int(rows), int(nparts), int(skipped)) == (ROWS, len(parts), 0)
    assert float(seconds) > 0 and float(mbps) > 0

    report = json.loads((out / "migration" / "report.json").read_text())
    assert (out / "migration" / "manifest.json").is_file()
    assert report["command"] == "start"
    [c] = report["collections"]
    assert c["collection"] == name
    assert c["rows"] == ROWS == len(ids)
    assert c["parts"] == len(parts)
    assert c["bytes"] == row_bytes
    assert c["skipped_rows"] == 0
    assert c["dump_seconds"] > 0 and c["import_seconds"] > 0
    assert abs(c["seconds"] - (c["dump_seconds"] + c["import_seconds"])) < 1e-6
    assert abs(c["mb_per_second"] - row_bytes / 1e6 / c["seconds"]) < 1e-6


def run_in_pty(args: list[str], timeout: float = 180) -> tuple[int, bytes]:
    """Runs `args` with stdout and stderr on a pseudo-terminal; returns its exit and bytes."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            close_fds=True)
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed its end
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        os.close(master)
    return code, bytes(out)


def test_start_with_a_bar_on_a_terminal(testbed_local, mm_binary, unique_collection, tmp_path):
    ids, vectors = write_index(tmp_path / "index.faiss", seed=17)
    name = unique_collection(testbed_local)
    out = tmp_path / "out"
    config = faiss_config(testbed_local, tmp_path / "index.faiss", name, str(out),
                          target_mode="local")
    path = write_yaml(tmp_path / "migration.yaml", config)

    code, raw = run_in_pty([str(mm_binary), "start", "-c", str(path)])  # auto: a bar
    text = raw.decode(errors="replace")

    assert code == 0, text
    assert "\x1b[2K" in text, text  # drawn in place
    assert "progress: " not in text, text  # no plain lines on a terminal
    # Each phase's last state stays on a line of its own, after the bar drawn in place.
    assert re.search(rf"\x1b\[2Kdump: done \[#+\] {ROWS}/{ROWS} rows \(100\.0%\)", text), text
    assert re.search(rf"\x1b\[2Kimport: done \[#+\] {ROWS}/{ROWS} rows \(100\.0%\)", text), text
    # A log line never shares its terminal line with a bar: what a line shows after its last
    # carriage return is a whole log line or a whole bar. (The terminal turns "\n" into
    # "\r\n"; log lines start with their time stamp.)
    stamp = re.compile(r"\[\d{4}-\d\d-\d\d \d\d:")
    logs = 0
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        shown = line.rsplit("\r", 1)[-1].removeprefix("\x1b[2K")
        if stamp.search(line):
            logs += 1
            assert stamp.match(shown), f"log line inside a bar: {line!r}"
            assert "rows (" not in shown, f"bar inside a log line: {line!r}"
    assert logs > 5, text
    assert f"collection '{name}': {ROWS} rows" in text, text
    assert_collection_holds(testbed_local.milvus_alias(), name, ids, vectors, binary=False,
                            metric="L2")
