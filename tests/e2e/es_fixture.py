"""Elasticsearch indexes for the e2e tests: create, bulk-load and describe them over plain
HTTP(S) with the standard library, and the Go tool's Elasticsearch migration.yaml."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from typing import Any, Iterable

from migration_yaml import target_section


class EsHttp:
    """A minimal client for one node described by its elasticsearch.env values."""

    def __init__(self, env: dict[str, str], *, auth: bool = True):
        self.url = env["MM_ES_URL"]
        self.headers = {}
        if auth and env.get("MM_ES_USER"):
            token = base64.b64encode(f"{env['MM_ES_USER']}:{env['MM_ES_PASSWORD']}".encode())
            self.headers["Authorization"] = "Basic " + token.decode()
        self.context = ssl.create_default_context(cafile=env["MM_ES_CA"]) \
            if env.get("MM_ES_CA") else None

    def request(self, method: str, path: str, body: Any = None,
                ndjson: bool = False) -> dict:
        data = None
        headers = dict(self.headers)
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=120) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
        return json.loads(raw or b"{}")

    def create_index(self, index: str, properties: dict, *, shards: int = 2,
                     source_excludes: list[str] | None = None) -> None:
        self.request("DELETE", f"/{index}")
        mappings: dict[str, Any] = {"properties": properties}
        if source_excludes:
            mappings["_source"] = {"excludes": source_excludes}
        r = self.request("PUT", f"/{index}", {
            "settings": {"number_of_shards": shards, "number_of_replicas": 0},
            "mappings": mappings})
        assert r.get("acknowledged"), r

    def bulk(self, index: str, docs: Iterable[tuple[str, dict]], chunk: int = 2000) -> None:
        lines: list[str] = []

        def flush() -> None:
            if lines:
                r = self.request("POST", "/_bulk", "\n".join(lines) + "\n", ndjson=True)
                assert not r.get("errors"), json.dumps(r)[:2000]
                lines.clear()

        for doc_id, doc in docs:
            lines.append(json.dumps({"index": {"_index": index, "_id": doc_id}}))
            lines.append(json.dumps(doc))
            if len(lines) >= 2 * chunk:
                flush()
        flush()
        self.request("POST", f"/{index}/_refresh")


def es_config(env: dict[str, str], bed, index: str, fields: list[dict], output_dir: str, *,
              collection: str | None = None, connection: dict | None = None,
              target_mode: str = "remote", extra_meta: dict | None = None,
              reader_buffer: int = 2500, limit: int = 2) -> dict:
    """The Go tool's Elasticsearch config (README_ES) pointed at `env`'s node and `bed`."""
    es: dict[str, Any] = {"urls": [env["MM_ES_URL"]]}
    if connection is not None:
        es.update(connection)
    elif env.get("MM_ES_USER"):
        es.update(username=env["MM_ES_USER"], password=env["MM_ES_PASSWORD"])
        if env.get("MM_ES_CA"):
            es["cert"] = env["MM_ES_CA"]
    meta: dict[str, Any] = {"mode": "config", "index": index, "fields": fields}
    if collection:
        meta["milvus"] = {"collection": collection, "closeDynamicField": False, "shardNum": 2,
                          "consistencyLevel": "Customized"}
    meta.update(extra_meta or {})
    return {
        "dumper": {"worker": {"workMode": "elasticsearch", "limit": limit,
                              "reader": {"bufferSize": reader_buffer}}},
        "meta": meta,
        "source": {"es": es},
        "target": target_section(bed, output_dir, target_mode=target_mode),
    }
