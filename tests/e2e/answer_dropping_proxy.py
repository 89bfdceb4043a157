"""A loopback HTTP proxy in front of a real Elasticsearch node that, for every Nth request to a
chosen path, lets the node run the request and then drops the answer: the client sees the
connection close with nothing in it. That is what a proxy timing out or a connection reset
after the request left does, and no real node can be made to do it on demand."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class AnswerDroppingProxy:
    def __init__(self, target_url: str, path_prefix: str, drop_every: int) -> None:
        target = urlsplit(target_url)
        owner = self
        self.dropped = 0
        self._seen = 0
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "content-length")}
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                if owner._should_drop(self.path):
                    self.close_connection = True
                    return  # the node ran it; the client never hears back
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("connection", "content-length", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self._path_prefix = path_prefix
        self._drop_every = drop_every
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _should_drop(self, path: str) -> bool:
        if not path.startswith(self._path_prefix):
            return False
        with self._lock:
            self._seen += 1
            if self._seen % self._drop_every:
                return False
            self.dropped += 1
            return True

    def __enter__(self) -> "AnswerDroppingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
