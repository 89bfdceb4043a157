"""migration.yaml files for the e2e tests, in the Go tool's FAISS and 1.x shapes, and a runner
for the migration binary.

`faiss_config(bed, ...)` and `milvus1x_config(bed, ...)` give the config as nested dicts: the
Go tool's dumper/loader/meta/source/target sections pointed at a test bed (its S3 bucket with
target.mode remote, or an absolute directory with target.mode local). `overrides` sets dotted keys on top
("target.create.collection.ifExists": "append"); a value of None removes the key.
`write_yaml` writes it as block-style YAML (the venv has no PyYAML, and a real-looking file is
easier to read when a test fails).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def target_section(bed, output_dir: str | Path, *, target_mode: str = "remote") -> dict:
    """target.*: the bed's bucket under `output_dir` (a key prefix) with target_mode
    "remote", or the absolute directory `output_dir` with "local"; and the bed's Milvus."""
    target: dict[str, Any] = {"mode": target_mode}
    if target_mode == "remote":
        target["remote"] = {
            "outputDir": str(output_dir),
            "cloud": "aws",
            "endpoint": bed.s3_endpoint,
            "region": bed.env.get("MM_S3_REGION", "us-east-1"),
            "bucket": bed.s3_bucket,
            "ak": bed.env["MM_S3_AK"],
            "sk": bed.env["MM_S3_SK"],
            "useIAM": False,
            "useSSL": False,
            "checkBucket": True,
        }
    else:
        target["local"] = {"outputDir": str(output_dir)}
    milvus: dict[str, Any] = {"endpoint": bed.milvus_endpoint}
    if bed.user:
        milvus.update(username=bed.user, password=bed.password)
    target["milvus2x"] = milvus
    return target


def _workers(work_mode: str) -> dict:
    return {
        "dumper": {"worker": {"limit": 2, "workMode": work_mode,
                              "reader": {"bufferSize": 1024},
                              "writer": {"bufferSize": 1024}}},
        "loader": {"worker": {"limit": 2}},
    }


def _apply(config: dict, overrides: dict[str, Any] | None) -> dict:
    for key, value in (overrides or {}).items():
        set_key(config, key, value)
    return config


def faiss_config(bed, faiss_file: str | Path, collection: str, output_dir: str | Path, *,
                 target_mode: str = "remote", overrides: dict[str, Any] | None = None
                 ) -> dict:
    """The config migrating `faiss_file` into `collection` on `bed`."""
    target = target_section(bed, output_dir, target_mode=target_mode)
    target["create"] = {"collection": {"name": collection, "shardsNum": 2, "dim": 0,
                                       "metricType": ""}}
    config = {**_workers("faiss"),
              "source": {"mode": "local", "local": {"faissFile": str(faiss_file)}},
              "target": target}
    return _apply(config, overrides)


def milvus1x_config(bed, meta: dict[str, str], tables_dir: str | Path, output_dir: str | Path,
                    *, target_mode: str = "remote", overrides: dict[str, Any] | None = None
                    ) -> dict:
    """The Go tool's 1.x config: `meta` is its meta section ({"mode": "sqlite",
    "sqliteFile": ...}), `tables_dir` the 1.x db/tables directory."""
    config = {**_workers("milvus1x"),
              "meta": dict(meta),
              "source": {"mode": "local", "local": {"tablesDir": str(tables_dir)}},
              "target": target_section(bed, output_dir, target_mode=target_mode)}
    return _apply(config, overrides)


def set_key(config: dict, dotted: str, value: Any) -> None:
    """Sets (or, with None, removes) a dotted key, creating the maps on the way."""
    *path, last = dotted.split(".")
    node = config
    for part in path:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a valid double-quoted YAML scalar


def to_yaml(node: dict, indent: int = 0) -> str:
    lines = []
    pad = " " * indent
    for key, value in node.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.append(to_yaml(value, indent + 2))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{pad}{key}:")
            for item in value:  # a block sequence of mappings, as the Go tool's meta.fields
                body = to_yaml(item, indent + 4).split("\n")
                lines.append(f"{pad}  - {body[0].lstrip()}")
                lines.extend(body[1:])
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: [{', '.join(_scalar(v) for v in value)}]")
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}")
    return "\n".join(lines)


def write_yaml(path: Path, config: dict) -> Path:
    path.write_text(to_yaml(config) + "\n")
    return path


@dataclass
class ToolRun:
    """One run of the migration binary."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.seconds:.1f}s\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}")


def run_tool(binary: Path, *args: str, timeout: float = 180, cwd: Path | None = None
             ) -> ToolRun:
    """Runs `binary args...` with no stdin; returns its exit status and output."""
    cmd = [str(binary), *map(str, args)]
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=cwd)
    return ToolRun(cmd, done.returncode, done.stdout, done.stderr, time.monotonic() - t0)


def run_command(binary: Path, command: str, config: Path, timeout: float = 180) -> ToolRun:
    """`milvus-migration <command> -c <config>`."""
    return run_tool(binary, command, "-c", str(config), timeout=timeout)


def assert_verifies(binary: Path, config: Path, report: Path, timeout: float = 600) -> dict:
    """`verify -c config --report report` exits 0 and its JSON report says every collection,
    every partition and every row matched; returns the report."""
    done = run_tool(binary, "verify", "-c", str(config), "--report", str(report),
                    timeout=timeout)
    assert done.returncode == 0, done.describe()
    assert "verify: MATCH" in done.output, done.describe()
    got = json.loads(Path(report).read_text())
    assert got["result"] == "match", got
    assert got["source_rows"] == got["target_rows"], got
    assert got["collections"], got
    for c in got["collections"]:
        assert c["result"] == "match", c
        for kind in ("missing", "extra", "duplicate", "wrong_partition", "different"):
            assert c[kind]["count"] == 0, (kind, c)
        for p in c.get("partitions", []):
            assert p["result"] == "match", (c["name"], p)
    return got
