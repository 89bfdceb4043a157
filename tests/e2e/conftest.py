"""Fixtures for the end-to-end tests: real Milvus beds started by scripts/testbed.sh.

`testbed_s3` (Milvus on a SeaweedFS S3 store) and `testbed_local` (Milvus on its local disk)
are session-scoped and start only when a test asks for them; each runs on its own ports and
is stopped when the session ends. MM_TESTBED_REUSE=path/to/testbed.env[,another.env] points
them at beds that are already running (started by hand with scripts/testbed.sh): a fixture
takes the listed bed whose storage matches, and starts its own otherwise. A reused bed is
left running. MM_TESTBED_PORT_BASE moves the ports of the beds started here (default 19700:
s3 uses 19700-19727, local 19740-19751, the auth bed 19780-19791; see docs/testbed.md).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
TESTBED_SH = REPO / "scripts" / "testbed.sh"
PORT_BASE = int(os.environ.get("MM_TESTBED_PORT_BASE", "19700"))
# Offsets of each bed's ports from PORT_BASE; a bed uses at most 28 ports from its base.
PORT_OFFSETS = {"s3": 0, "local": 40, "auth": 80, "azure": 52}


def read_env_file(path: Path) -> dict[str, str]:
    """Parses the KEY=VALUE lines that testbed.sh writes."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


@dataclass
class Testbed:
    """One running bed: its testbed.env values plus ready-made clients."""

    __test__ = False  # not a test class, despite the name

    env: dict[str, str]
    owned: bool  # started by this session (and stopped by it)
    _aliases: list[str] = field(default_factory=list)

    # --- values from testbed.env
    @property
    def dir(self) -> Path:
        return Path(self.env["MM_TESTBED_DIR"])

    @property
    def storage(self) -> str:
        return self.env["MM_MILVUS_STORAGE"]

    @property
    def milvus_endpoint(self) -> str:
        return self.env["MM_MILVUS_ENDPOINT"]

    @property
    def milvus_host(self) -> str:
        return self.milvus_endpoint.rsplit(":", 1)[0]

    @property
    def milvus_port(self) -> int:
        return int(self.milvus_endpoint.rsplit(":", 1)[1])

    @property
    def user(self) -> str:
        return self.env.get("MM_MILVUS_USER", "")

    @property
    def password(self) -> str:
        return self.env.get("MM_MILVUS_PASSWORD", "")

    @property
    def s3_endpoint(self) -> str:
        return self.env["MM_S3_ENDPOINT"]

    @property
    def s3_bucket(self) -> str:
        return self.env["MM_S3_BUCKET"]

    # --- clients
    def milvus_alias(self) -> str:
        """A pymilvus `connections` alias connected to this bed (pass it as `using=`)."""
        from pymilvus import connections

        alias = f"testbed-{self.storage}-{self.milvus_port}"
        if not connections.has_connection(alias):
            kwargs = {"user": self.user, "password": self.password} if self.user else {}
            connections.connect(alias, host=self.milvus_host, port=self.milvus_port,
                                timeout=30, **kwargs)
            self._aliases.append(alias)
        return alias

    def milvus_client(self):
        """A new pymilvus MilvusClient for this bed."""
        from pymilvus import MilvusClient

        token = f"{self.user}:{self.password}" if self.user else ""
        return MilvusClient(uri=f"http://{self.milvus_endpoint}", token=token)

    def s3_client(self):
        """A `minio.Minio` client holding the bed's S3 credentials (s3 beds only)."""
        from minio import Minio

        if self.storage != "s3":
            raise RuntimeError(f"the bed in {self.dir} has {self.storage} storage, not s3")
        return Minio(self.s3_endpoint, access_key=self.env["MM_S3_AK"],
                     secret_key=self.env["MM_S3_SK"], secure=False,
                     region=self.env["MM_S3_REGION"])

    def put_npy(self, key: str, array: np.ndarray) -> None:
        """Writes `array` as a .npy object at `key` in the Milvus bucket."""
        buf = io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        size = buf.tell()
        buf.seek(0)
        self.s3_client().put_object(self.s3_bucket, key, buf, size)

    def subprocess_env(self) -> dict[str, str]:
        """os.environ plus the bed's MM_* values, for running the migration binary."""
        return {**os.environ, **self.env}

    def server_rss_mib(self) -> dict[str, float]:
        """Resident memory of each server process of an owned bed, in MiB."""
        result = {}
        for pidfile in sorted((self.dir / "pids").glob("*.pid")):
            status = Path(f"/proc/{pidfile.read_text().strip()}/status")
            if status.exists():
                m = re.search(r"^VmRSS:\s+(\d+) kB", status.read_text(), re.M)
                if m:
                    result[pidfile.stem] = int(m.group(1)) / 1024
        return result

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server logs, for failure messages."""
        out = []
        for path in sorted(self.dir.glob("logs/*.out")) + sorted(
                self.dir.glob("milvus/logs/standalone*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"----- {path}\n" + "\n".join(text))
        return "\n".join(out)

    def close(self) -> None:
        from pymilvus import connections

        for alias in self._aliases:
            connections.disconnect(alias)
        self._aliases.clear()


def run_testbed_sh(*args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(TESTBED_SH), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _reusable_env(storage: str, auth: bool) -> dict[str, str] | None:
    for entry in filter(None, os.environ.get("MM_TESTBED_REUSE", "").split(",")):
        path = Path(entry.strip())
        if not path.is_file():
            raise pytest.UsageError(f"MM_TESTBED_REUSE: {path} does not exist")
        env = read_env_file(path)
        if env.get("MM_MILVUS_STORAGE") == storage and ("MM_MILVUS_USER" in env) == auth:
            return env
    return None


def _start_bed(tmp_path_factory, name: str, storage: str, auth: bool = False
               ) -> Iterator[Testbed]:
    env = _reusable_env(storage, auth)
    if env is not None:
        bed = Testbed(env=env, owned=False)
        yield bed
        bed.close()
        return
    bed_dir = tmp_path_factory.mktemp(f"testbed_{name}")
    args = ["start", "--dir", str(bed_dir), "--storage", storage,
            "--port-base", str(PORT_BASE + PORT_OFFSETS[name])]
    if auth:
        args.append("--auth")
    started = run_testbed_sh(*args)
    if started.returncode != 0:
        run_testbed_sh("stop", "--dir", str(bed_dir))
        pytest.fail(f"scripts/testbed.sh {' '.join(args)} failed "
                    f"(exit {started.returncode}):\n{started.stderr}", pytrace=False)
    bed = Testbed(env=read_env_file(bed_dir / "testbed.env"), owned=True)
    bed.env["MM_TESTBED_START_LOG"] = started.stderr
    try:
        yield bed
    finally:
        bed.close()
        stopped = run_testbed_sh("stop", "--dir", str(bed_dir))
        if stopped.returncode != 0:
            raise RuntimeError(f"scripts/testbed.sh stop --dir {bed_dir} failed:\n"
                               f"{stopped.stderr}")
        # pytest keeps the last three sessions' tmp dirs: keep the logs, not ~200 MB of data.
        for data in (bed_dir / "milvus" / "data", bed_dir / "seaweedfs" / "data"):
            shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def testbed_s3(tmp_path_factory) -> Iterator[Testbed]:
    """Milvus whose object storage is a SeaweedFS S3 bucket (import paths are object keys)."""
    yield from _start_bed(tmp_path_factory, "s3", "s3")


@pytest.fixture(scope="session")
def testbed_local(tmp_path_factory) -> Iterator[Testbed]:
    """Milvus on local storage (import paths are absolute paths on this machine)."""
    yield from _start_bed(tmp_path_factory, "local", "local")


@pytest.fixture(scope="session")
def testbed_auth(tmp_path_factory) -> Iterator[Testbed]:
    """Milvus on local storage with authentication on (user root, password Milvus)."""
    yield from _start_bed(tmp_path_factory, "auth", "local", auth=True)


def _elasticsearch(tmp_path_factory, name: str, offset: int, *args: str
                   ) -> Iterator[dict[str, str]]:
    """A real Elasticsearch node from scripts/elasticsearch.sh (its elasticsearch.env values),
    stopped when the session ends."""
    script = REPO / "scripts" / "elasticsearch.sh"
    d = tmp_path_factory.mktemp(name)
    started = subprocess.run(["bash", str(script), "start", "--dir", str(d), "--port",
                              str(PORT_BASE + offset), *args],
                             capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        pytest.fail(f"elasticsearch did not start:\n{started.stdout}\n{started.stderr}",
                    pytrace=False)
    try:
        yield read_env_file(d / "elasticsearch.env")
    finally:
        subprocess.run(["bash", str(script), "stop", "--dir", str(d)], capture_output=True,
                       timeout=120)


@pytest.fixture(scope="session")
def es8(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Elasticsearch 8.x, plain HTTP, no security."""
    yield from _elasticsearch(tmp_path_factory, "es8", 240, "--version", "8")


@pytest.fixture(scope="session")
def es8_secure(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Elasticsearch 8.x with TLS, basic auth, API keys and a service token."""
    yield from _elasticsearch(tmp_path_factory, "es8sec", 250, "--version", "8", "--security")


@pytest.fixture(scope="session")
def mm_binary() -> Path:
    """The built migration tool: $MM_BINARY, else <repo>/build/milvus-migration."""
    path = Path(os.environ.get("MM_BINARY", REPO / "build" / "milvus-migration"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"migration binary {path} not found or not executable: build it "
                    f"(ninja -C build) or set MM_BINARY", pytrace=False)
    return path


@pytest.fixture
def unique_collection(request) -> Iterator[Callable[[Testbed], str]]:
    """A factory: `unique_collection(bed)` returns a fresh collection name for this test and
    drops that collection from `bed` when the test ends."""
    from pymilvus import utility

    made: list[tuple[Testbed, str]] = []
    stem = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:40]

    def make(bed: Testbed) -> str:
        name = f"t_{stem}_{uuid.uuid4().hex[:8]}"
        made.append((bed, name))
        return name

    yield make
    for bed, name in made:
        alias = bed.milvus_alias()
        if utility.has_collection(name, using=alias):
            utility.drop_collection(name, using=alias)


# --- PostgreSQL with pgvector (issue 14): scripts/postgres.sh on PORT_BASE + 215.
@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory) -> Iterator[dict[str, str]]:
    """PostgreSQL 18 + pgvector from scripts/postgres.sh (its postgres.env values: MM_PG_DSN,
    MM_PG_HOST, MM_PG_PORT, MM_PG_USER, MM_PG_PASSWORD, MM_PG_DATABASE), stopped at the end."""
    script = REPO / "scripts" / "postgres.sh"
    d = tmp_path_factory.mktemp("postgres")
    started = subprocess.run(["bash", str(script), "start", "--dir", str(d), "--port",
                              str(PORT_BASE + 215)], capture_output=True, text=True,
                             timeout=600)
    if started.returncode != 0:
        subprocess.run(["bash", str(script), "stop", "--dir", str(d)], capture_output=True,
                       timeout=120)
        pytest.fail(f"postgres did not start:\n{started.stdout}\n{started.stderr}",
                    pytrace=False)
    try:
        yield read_env_file(d / "postgres.env")
    finally:
        subprocess.run(["bash", str(script), "stop", "--dir", str(d)], capture_output=True,
                       timeout=120)
# --- Milvus Lite (issue 12: load by Insert/Upsert into a target without bulk import) ---
LITE_PORT_OFFSET = 300  # clear of the REST server (270-289) and test_clouds (285-288)


@dataclass
class LiteBed:
    """A Milvus Lite server from scripts/milvus_lite.sh, shaped like a Testbed where the
    config helpers and readback need it: milvus_endpoint, user, milvus_alias()."""

    dir: Path
    env: dict[str, str]
    user: str = ""
    password: str = ""
    _aliases: list[str] = field(default_factory=list)

    @property
    def milvus_endpoint(self) -> str:
        return self.env["MM_LITE_ENDPOINT"]

    def milvus_alias(self) -> str:
        from pymilvus import connections

        alias = f"lite_{self.milvus_endpoint}"
        if alias not in self._aliases:
            host, port = self.milvus_endpoint.rsplit(":", 1)
            connections.connect(alias, host=host, port=port, timeout=30)
            self._aliases.append(alias)
        return alias

    def close(self) -> None:
        from pymilvus import connections

        for alias in self._aliases:
            connections.disconnect(alias)
        self._aliases.clear()


@pytest.fixture(scope="session")
def milvus_lite(tmp_path_factory) -> Iterator[LiteBed]:
    """Milvus Lite (2.5 line, gRPC on TCP), stopped when the session ends."""
    script = REPO / "scripts" / "milvus_lite.sh"
    d = tmp_path_factory.mktemp("milvus_lite")
    started = subprocess.run(["bash", str(script), "start", "--dir", str(d), "--port",
                              str(PORT_BASE + LITE_PORT_OFFSET)],
                             capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        pytest.fail(f"milvus-lite did not start:\n{started.stdout}\n{started.stderr}",
                    pytrace=False)
    bed = LiteBed(dir=d, env=read_env_file(d / "milvus_lite.env"))
    try:
        yield bed
    finally:
        bed.close()
        subprocess.run(["bash", str(script), "stop", "--dir", str(d)], capture_output=True,
                       timeout=60)
# --- Milvus 2.x source (issue 12): two beds, a source and a target ---
# The source has authentication on (so wrong credentials on it fail as they would in
# production) and the target keeps its data in the S3 bucket the dump writes to (so a
# `loader.mode: import` copy works). Both are beds other tests use too: no extra startup.
@pytest.fixture(scope="session")
def milvus2x_source_bed(testbed_auth) -> Testbed:
    """The Milvus 2.3.5 that a milvus2x migration reads from (auth on: root / Milvus)."""
    return testbed_auth


@pytest.fixture(scope="session")
def milvus2x_target_bed(testbed_s3) -> Testbed:
    """The Milvus 2.3.5 that a milvus2x migration writes to (its bucket takes the dump)."""
    return testbed_s3
