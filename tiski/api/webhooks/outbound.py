"""The one outbound POST of webhooks: short timeout, bounded answer, no private addresses.

Private, loopback, link-local and other non-public addresses are refused
unless ``TISKI_HTTP_ALLOW_PRIVATE`` is on (server-side request forgery:
a webhook URL must not reach the database or a cloud metadata service).
The address is resolved once and the connection made to that address, so
a name cannot resolve to a public address for the check and a private
one for the request. To be replaced by the channels' shared transport.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024


class HttpFailure(Exception):
    """The request could not be made or answered (not an HTTP error status)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    duration_ms: int


def _address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise HttpFailure(f"cannot resolve {host}: {exc}") from exc
    address = infos[0][4][0]
    if not settings.TISKI_HTTP_ALLOW_PRIVATE and not ipaddress.ip_address(address).is_global:
        raise HttpFailure(f"{host} is a private address ({address}); not allowed")
    return address


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate checked against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpFailure(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _address(parts.hostname, port)
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = cls(parts.hostname, port, address, TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read(MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        raise HttpFailure(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    return Answer(
        status=response.status,
        body=content.decode("utf-8", "replace"),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
