"""The one error every transport raises and the one HTTP helper they all use.

Every way Tiski talks to the outside (SMTP and ESP mail, SMS providers,
click-to-call, webhook verification, later WhatsApp and the rest) reports a
failure as ``TransportError`` with ``permanent`` saying whether waiting can
help and ``retry_after`` when the other side said how long to wait. The
outbox (``connectors/sending.py``) retries only temporary errors.

``request`` is the one HTTP function: a timeout on every call, a cap on the
answer's size, and no requests to private, loopback, link-local or reserved
addresses (checked on the address actually connected to, after DNS, so a
name that resolves to 127.0.0.1 or 169.254.169.254 is refused too) unless
``settings.TISKI_HTTP_ALLOW_PRIVATE`` is true. Admins type provider URLs
into Settings; without this check a URL field would let them (or anyone
who takes over an admin account) probe the server's own network.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json as jsonlib
import secrets
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

DEFAULT_TIMEOUT = 15.0
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
USER_AGENT = "Tiski"


class TransportError(Exception):
    """A send or a call failed; ``permanent`` says a retry cannot help.

    ``status`` is the HTTP status when the provider answered (None: it could
    not be reached), ``code`` and ``subcode`` the provider's own error codes
    (Meta's 190 "invalid token", ...), for a check that explains them.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status
        self.code = code
        self.subcode = subcode


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON, or {} when it is empty or not JSON (providers vary)."""
        try:
            return jsonlib.loads(self.body or b"{}")
        except ValueError:
            return {}


# --- address checks ------------------------------------------------------------------


def allow_private() -> bool:
    return bool(getattr(settings, "TISKI_HTTP_ALLOW_PRIVATE", False))


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def _create_connection(
    address: tuple[str, int], timeout: float | None = None, source_address: Any = None
) -> socket.socket:
    """Resolve, refuse non-public addresses, and connect to the very address checked.

    Connecting to the checked address (not the name again) means a DNS
    answer that changes between check and connect cannot slip through.
    """
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise TransportError(f"{host}: no address", permanent=False)
    last: OSError | None = None
    for family, socktype, proto, _canon, sockaddr in infos:
        if not allow_private() and not is_public_address(sockaddr[0]):
            raise TransportError(
                f"{host} resolves to {sockaddr[0]}, a private or reserved address: refused",
                permanent=True,
            )
        sock = socket.socket(family, socktype, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError(f"could not connect to {host}")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _create_connection((self.host, self.port), self.timeout, self.source_address)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = _create_connection((self.host, self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPSConnection, req)


_opener = urllib.request.build_opener(_HTTPHandler(), _HTTPSHandler())


# --- the request ----------------------------------------------------------------------


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def request(
    method: str,
    url: str,
    *,
    json: Any = None,
    form: dict[str, str] | None = None,
    multipart: Multipart | None = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    check: bool = True,
) -> Response:
    """One HTTP call. With ``check`` an error status raises a classified TransportError.

    Network failures are temporary; a refused address, a URL that is not
    http(s) and an oversized answer are permanent.
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise TransportError(f"Not an http(s) URL: {url[:200]}", permanent=True)
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if json is not None:
        data = jsonlib.dumps(json).encode()
        all_headers.setdefault("Content-Type", "application/json")
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif multipart is not None:
        data, all_headers["Content-Type"] = multipart.encode()
    req = urllib.request.Request(url, data=data, method=method.upper(), headers=all_headers)
    try:
        with _opener.open(req, timeout=timeout) as answer:
            response = _read(answer.status, answer, max_bytes)
    except urllib.error.HTTPError as exc:
        response = _read(exc.code, exc, max_bytes)
    except TransportError:
        raise
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TransportError):
            raise exc.reason from exc
        raise TransportError(f"{url_host(url)}: {exc.reason}", permanent=False) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise TransportError(
            f"{url_host(url)}: {type(exc).__name__}: {exc}", permanent=False
        ) from exc
    if check:
        raise_for_status(response)
    return response


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Multipart:
    """A multipart/form-data body (file uploads to a provider's API)."""

    fields: dict[str, str]
    files: tuple[FilePart, ...] = ()

    def encode(self) -> tuple[bytes, str]:
        boundary = f"tiski-{secrets.token_hex(16)}"
        out = bytearray()
        for name, value in self.fields.items():
            out += f"--{boundary}\r\n".encode()
            out += f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
            out += str(value).encode() + b"\r\n"
        for part in self.files:
            out += f"--{boundary}\r\n".encode()
            out += (
                f'Content-Disposition: form-data; name="{_quote(part.field)}"; '
                f'filename="{_quote(part.filename)}"\r\n'
                f"Content-Type: {part.content_type or 'application/octet-stream'}\r\n\r\n"
            ).encode()
            out += part.content + b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        return bytes(out), f"multipart/form-data; boundary={boundary}"


def _quote(value: str) -> str:
    # A file name is the customer's or agent's text: no quote or line break may
    # end the header early (the HTML form encoding's escapes).
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _read(status: int, answer: Any, max_bytes: int) -> Response:
    body = answer.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise TransportError(f"The answer is over {max_bytes} bytes.", permanent=True)
    headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
    return Response(status=status, body=body, headers=headers)


def url_host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or url[:100]


def raise_for_status(response: Response) -> None:
    """5xx, 429 and 408 are worth waiting for (Retry-After honoured); other 4xx are not."""
    status = response.status
    if status < 400:
        return
    detail = f"HTTP {status}: {response.body[:300].decode('utf-8', 'replace')}"
    temporary = status >= 500 or status in (408, 429)
    raise TransportError(
        detail,
        permanent=not temporary,
        retry_after=retry_after_seconds(response.headers.get("retry-after", ""))
        if temporary
        else None,
        status=status,
    )


def retry_after_seconds(value: str) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())
