"""Redis servers for the Redis source tests, started by scripts/redis.sh on ports of their own
(PORT_BASE + 310 plain, + 311 with a password, + 312..317 a 3-master cluster; clear of
Elasticsearch's +260 in test_elasticsearch_e2e.py), each stopped
when the test session ends; and the migration.yaml of a Redis source."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from migration_yaml import target_section

REPO = Path(__file__).resolve().parents[2]
PORT_BASE = int(os.environ.get("MM_TESTBED_PORT_BASE", "19700"))  # as conftest.py
REDIS_SH = REPO / "scripts" / "redis.sh"
REDIS_PASSWORD = "r3dis-Pw-7f1c"


def _redis(tmp_path_factory, name: str, offset: int, *args: str) -> Iterator[dict[str, str]]:
    d = tmp_path_factory.mktemp(name)
    started = subprocess.run(["bash", str(REDIS_SH), "start", "--dir", str(d), "--port",
                              str(PORT_BASE + offset), *args],
                             capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        pytest.fail(f"redis did not start:\n{started.stdout}\n{started.stderr}", pytrace=False)
    try:
        yield dict(line.split("=", 1) for line in (d / "redis.env").read_text().splitlines()
                   if "=" in line)
    finally:
        subprocess.run(["bash", str(REDIS_SH), "stop", "--dir", str(d)], capture_output=True,
                       timeout=120)


@pytest.fixture(scope="session")
def redis_plain(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One redis-server 7, no password."""
    yield from _redis(tmp_path_factory, "redis", 310)


@pytest.fixture(scope="session")
def redis_auth(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One redis-server 7 with requirepass REDIS_PASSWORD."""
    yield from _redis(tmp_path_factory, "redis_auth", 311, "--password", REDIS_PASSWORD)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A Redis Cluster of three masters (no replicas)."""
    yield from _redis(tmp_path_factory, "redis_cluster", 312, "--cluster")


def redis_client(env: dict[str, str], **kwargs):
    import redis
    if env.get("MM_REDIS_CLUSTER") == "1":
        return redis.RedisCluster(host=env["MM_REDIS_HOST"], port=int(env["MM_REDIS_PORT"]),
                                  password=env.get("MM_REDIS_PASSWORD") or None, **kwargs)
    return redis.Redis(host=env["MM_REDIS_HOST"], port=int(env["MM_REDIS_PORT"]),
                       password=env.get("MM_REDIS_PASSWORD") or None, **kwargs)


def redis_config(env: dict[str, str], bed, output_dir: str, collection: str,
                 fields: list[dict], *, url: str | None = None, target_mode: str = "remote",
                 loader_mode: str = "import", **source: Any) -> dict:
    """A Redis source (`source` adds keys of source.redis: prefix, match, keyType, ...)
    migrating into `collection` on `bed`."""
    target = target_section(bed, output_dir, target_mode=target_mode)
    target["create"] = {"collection": {"name": collection, "shardsNum": 2}}
    config: dict[str, Any] = {
        "dumper": {"worker": {"workMode": "redis", "limit": 2}},
        "source": {"redis": {"url": url or env["MM_REDIS_URL"], "fields": fields, **source}},
        "target": target,
    }
    if loader_mode != "import":
        config["loader"] = {"mode": loader_mode}
    return config
