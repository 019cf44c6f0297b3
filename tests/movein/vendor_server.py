"""An old desk's REST API on loopback, for driving the live imports for real.

Each test gives it routes (a path and a function of the query answering a
JSON body), attachment files, and replies to give first on a path (a 429
with Retry-After, a 500) before the route answers. It checks the
Authorization header on the API's routes as the vendor would, and records
every request so a test can see what was asked, and with which credentials.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering: longer than the client's timeout is a timeout.
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    authorization: str | None


Route = Callable[[dict[str, str]], "Reply | Any"]


class VendorServer:
    def __init__(self, authorization: str) -> None:
        self.authorization = authorization
        self.routes: dict[str, Route] = {}
        self.files: dict[str, bytes] = {}
        self.first: dict[str, list[Reply]] = defaultdict(list)
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def asked(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        self.seen.append(Seen(parts.path, query, handler.headers.get("Authorization")))
        reply = self.reply(parts.path, query, handler.headers.get("Authorization"))
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        try:
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    def reply(self, path: str, query: dict[str, str], authorization: str | None) -> Reply:
        if self.first[path]:
            return self.first[path].pop(0)
        if path in self.files:
            return Reply(body=self.files[path], headers={"Content-Type": "text/plain"})
        route = self.routes.get(path)
        if route is None:
            return Reply(404, {"error": "RecordNotFound"})
        if authorization != self.authorization:
            return Reply(401, {"error": "Couldn't authenticate you"})
        answer = route(query)
        return answer if isinstance(answer, Reply) else Reply(body=answer)
