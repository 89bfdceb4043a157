"""FerretDB (a MongoDB wire-protocol server, SQLite storage) for the MongoDB source's tests:
started by scripts/ferretdb.sh in this session's port range (PORT_BASE + 226, and + 227 with
authentication on), stopped when the session ends. Also what pymongo reads, turned into the
values the tool must have written to Milvus (README, "MongoDB": the type mapping)."""

from __future__ import annotations

import datetime
import json
import math
import subprocess
import struct
from pathlib import Path
from typing import Any, Iterator

import pytest
from bson import ObjectId
from bson.binary import Binary

from conftest import PORT_BASE, REPO

AUTH_USER, AUTH_PASSWORD = "mmreader", "Fe4r-less.pw"


def _start(tmp_path_factory, name: str, offset: int, auth: str = "") -> Iterator[str]:
    work = tmp_path_factory.mktemp(name)
    port = PORT_BASE + offset
    args = ["bash", str(REPO / "scripts" / "ferretdb.sh"), "start", str(work), str(port)]
    if auth:
        args.append(auth)
    done = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"FerretDB did not start: {done.stderr}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(REPO / "scripts" / "ferretdb.sh"), "stop", str(work)],
                       capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def ferretdb(tmp_path_factory) -> Iterator[str]:
    """host:port of a FerretDB without authentication."""
    yield from _start(tmp_path_factory, "ferretdb", 226)


@pytest.fixture(scope="session")
def ferretdb_auth(tmp_path_factory) -> Iterator[str]:
    """host:port of a FerretDB with SCRAM authentication; user AUTH_USER in admin."""
    yield from _start(tmp_path_factory, "ferretdb-auth", 227, f"{AUTH_USER}:{AUTH_PASSWORD}")


def to_json_value(v: Any) -> Any:
    """A BSON value as the tool writes it into a JSON field: ObjectIds as hex strings, dates
    as epoch milliseconds, vectors (Binary subtype 9) as lists of numbers."""
    if isinstance(v, dict):
        return {k: to_json_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json_value(x) for x in v]
    if isinstance(v, ObjectId):
        return str(v)
    if isinstance(v, datetime.datetime):
        return epoch_ms(v)
    if isinstance(v, Binary) and v.subtype == 9:
        return list(v.as_vector().data)
    return v


def epoch_ms(v: datetime.datetime) -> int:
    if v.tzinfo is None:
        v = v.replace(tzinfo=datetime.timezone.utc)
    delta = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def float32_bytes(values) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values, floats compared exactly."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and float(a) == float(b) and not math.isnan(float(a))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def json_roundtrip(v: Any) -> Any:
    return json.loads(json.dumps(v))
