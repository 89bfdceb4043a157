"""Swagger UI at /docs/ in a real browser: Debian's headless Chromium, driven by Playwright
(npm playwright-core, scripts/fetch_playwright.sh; no browser is downloaded). The UI must
list every route of the OpenAPI document, and "Try it out" on healthy must get "ok". The
screenshot stays in the test's temporary folder (printed on failure)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from server_fixture import Server, env_without_proxy

env_without_proxy()


def test_swagger_ui_lists_the_routes_and_calls_healthy(mm_binary, tmp_path):
    if not Path("/usr/bin/chromium").exists() or shutil.which("node") is None:
        pytest.fail("needs Debian's chromium and node (scripts/setup.sh installs them)",
                    pytrace=False)
    modules = subprocess.run(["bash", str(REPO / "scripts" / "fetch_playwright.sh")],
                             capture_output=True, text=True, timeout=300, check=True).stdout
    s = Server(mm_binary, tmp_path)
    try:
        _, doc, _ = s.request("GET", "/api/v1/openapi.json")
        routes = sorted(doc["paths"])
        env = dict(os.environ, NODE_PATH=modules, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        done = subprocess.run(["node", str(Path(__file__).with_name("docs_browser.js")), s.url,
                               str(tmp_path), *routes],
                              capture_output=True, text=True, timeout=180, env=env)
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\nscreenshots in {tmp_path}"
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert set(routes) <= set(result["paths"]), result
        assert json.loads(result["healthy"])["data"] == "ok", result
        assert (tmp_path / "swagger-ui.png").stat().st_size > 10_000
    finally:
        s.stop()
