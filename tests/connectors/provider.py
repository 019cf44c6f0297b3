"""A provider's HTTP API imitated on loopback: records requests, answers as told."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeApi:
    """Answers each POST/GET with the next of ``answers`` (status, body, headers);
    the last one repeats. A path ending in a key of ``routes`` gets that answer
    instead (a file download beside the API's JSON calls)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.answers: list[tuple[int, bytes, dict[str, str]]] = [
            (200, json.dumps({"id": "prov-1", "sid": "SMfake1"}).encode(), {})
        ]
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                raw = self.rfile.read(length)
                api.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        # Uploads are binary: "raw" keeps the bytes, "body" is for reading.
                        "body": raw.decode("utf-8", "replace"),
                        "raw": raw,
                    }
                )
                routed = next((v for k, v in api.routes.items() if self.path.endswith(k)), None)
                if routed is not None:
                    status, body, headers = routed
                else:
                    status, body, headers = api.answers[0]
                    if len(api.answers) > 1:
                        api.answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_POST = _answer  # noqa: N815 - the stdlib's names
            do_GET = _answer  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll: shutdown() waits for the loop's next look, once per test.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def answer(self, *answers: tuple[int, dict | bytes, dict[str, str]] | tuple[int, dict]) -> None:
        out = []
        for item in answers:
            status, body, *rest = item
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            out.append((status, raw, rest[0] if rest else {}))
        self.answers = out

    @staticmethod
    def form_parts(request: dict) -> dict[str, tuple[str, str, bytes]]:
        """A multipart/form-data request's parts: name -> (file name, type, content)."""
        from email.parser import BytesParser
        from email.policy import HTTP

        head = f"Content-Type: {request['headers']['Content-Type']}\r\n\r\n".encode()
        form = BytesParser(policy=HTTP).parsebytes(head + request["raw"])
        return {
            part.get_param("name", header="content-disposition"): (
                part.get_filename() or "",
                part.get_content_type(),
                part.get_payload(decode=True),
            )
            for part in form.iter_parts()
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
