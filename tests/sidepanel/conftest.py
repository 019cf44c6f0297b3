"""A CRM on loopback: answers per path as told, records what it was asked."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache


class FakeCrm:
    """``routes`` maps a path prefix to (status, body bytes, seconds to wait first)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.routes: dict[str, tuple[int, bytes, float]] = {}
        crm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                crm.requests.append({"path": self.path, "headers": dict(self.headers)})
                status, body, wait = next(
                    (v for k, v in crm.routes.items() if self.path.startswith(k)),
                    (404, b"{}", 0.0),
                )
                if wait:
                    time.sleep(wait)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the desk gave up waiting

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, prefix: str, body, status: int = 200, wait: float = 0.0) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[prefix] = (status, raw, wait)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crm():
    server = FakeCrm()
    cache.clear()
    yield server
    server.close()
    cache.clear()
