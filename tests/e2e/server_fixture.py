"""`milvus-migration server run` for the e2e tests: starts the built binary on a port of the
session's range (MM_TESTBED_PORT_BASE + 270..289), waits for /api/v1/healthy, and talks to it
with the standard library (urllib)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from conftest import PORT_BASE

_next_port = PORT_BASE + 270


def free_port() -> int:
    """The next port of this session's server range that nothing listens on."""
    global _next_port
    for _ in range(20):
        port = _next_port
        _next_port = PORT_BASE + 270 + (_next_port - PORT_BASE - 270 + 1) % 20
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in the server range")


class Server:
    """One server process; `stop()` (or SIGKILL through `kill()`) ends it."""

    def __init__(self, binary: Path, workdir: Path, *args: str, port: int | None = None,
                 token: str | None = None):
        self.port = port or free_port()
        self.workdir = workdir
        self.log_path = workdir / f"server-{self.port}-{time.time_ns()}.log"
        self.token = token
        self.args = [str(binary), "server", "run", "-p", str(self.port),
                     "--data-dir", str(workdir / "data"), *args]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=workdir)
        deadline = time.time() + 30
        while True:
            try:
                if self.request("GET", "/api/v1/healthy")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"server did not start:\n{self.log_text()}")
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 600
                ) -> tuple[int, dict, dict[str, str]]:
        """(HTTP status, the JSON answer, the answer's headers)."""
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        h = {"Content-Type": "application/json"} if data is not None else {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, text, hdrs = r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            status, text, hdrs = e.code, e.read(), dict(e.headers)
        try:
            answer = json.loads(text or b"{}")
        except ValueError:
            answer = {"_raw": text.decode(errors="replace")}
        return status, answer, hdrs

    def job(self, job_id: str) -> dict:
        status, answer, _ = self.request("GET", f"/api/v1/get_job?jobId={job_id}")
        assert status == 200 and answer["code"] == 0, answer
        return answer["data"]

    def wait_job(self, job_id: str, timeout: float = 600) -> dict:
        """Polls get_job until the job is no longer init/running."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            view = self.job(job_id)
            if view["jobStatus"] not in ("init", "running"):
                return view
            time.sleep(0.5)
        raise AssertionError(f"job {job_id} still running after {timeout}s")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def yaml_text(config: dict) -> str:
    from migration_yaml import to_yaml
    return to_yaml(config) + "\n"


def env_without_proxy() -> None:
    """urllib honours http_proxy; the server is on loopback."""
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        os.environ.pop(k, None)
    os.environ["no_proxy"] = "127.0.0.1,localhost"
