"""migration.yaml files for the e2e tests, in the Go tool's FAISS shape, and a runner for the
migration binary.

`faiss_config(bed, ...)` gives the config as nested dicts: the Go tool's dumper/loader/source/
target sections pointed at a test bed (its S3 bucket with target.mode remote, or an absolute
directory with target.mode local). `overrides` sets dotted keys on top
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


def faiss_config(bed, faiss_file: str | Path, collection: str, output_dir: str | Path, *,
                 target_mode: str = "remote", overrides: dict[str, Any] | None = None
                 ) -> dict:
    """The config migrating `faiss_file` into `collection` on `bed`.

    With target_mode "remote" the parts go to the bed's bucket under `output_dir` (a key
    prefix); with "local", to the absolute directory `output_dir`."""
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
    target["create"] = {"collection": {"name": collection, "shardsNum": 2, "dim": 0,
                                       "metricType": ""}}
    config = {
        "dumper": {"worker": {"limit": 2, "workMode": "faiss",
                              "reader": {"bufferSize": 1024},
                              "writer": {"bufferSize": 1024}}},
        "loader": {"worker": {"limit": 2}},
        "source": {"mode": "local", "local": {"faissFile": str(faiss_file)}},
        "target": target,
    }
    for key, value in (overrides or {}).items():
        set_key(config, key, value)
    return config


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
    for key, value in node.items():
        if isinstance(value, dict):
            lines.append(f"{' ' * indent}{key}:")
            lines.append(to_yaml(value, indent + 2))
        else:
            lines.append(f"{' ' * indent}{key}: {_scalar(value)}")
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
