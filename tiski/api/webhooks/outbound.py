"""The one outbound POST of webhooks, through the channels' shared HTTP helper.

`tiski.connectors.transport.request` gives the timeout, the bounded answer
and the refusal of private, loopback, link-local and other non-public
addresses unless ``TISKI_HTTP_ALLOW_PRIVATE`` is on (server-side request
forgery: a webhook URL must not reach the database or a cloud metadata
service), checked on the address actually connected to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tiski.connectors import transport

TIMEOUT_SECONDS = 10
# What the delivery log keeps of an answer; a longer one is read up to a
# bound and cut, never treated as a failure of the receiver.
MAX_RESPONSE_BYTES = 64 * 1024
MAX_READ_BYTES = 1024 * 1024


class HttpFailure(Exception):
    """The request could not be made or answered (not an HTTP error status)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    duration_ms: int


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.monotonic()
    try:
        response = transport.request(
            "POST",
            url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_READ_BYTES,
            check=False,
        )
    except transport.TransportError as exc:
        raise HttpFailure(str(exc)) from exc
    return Answer(
        status=response.status,
        body=response.body[:MAX_RESPONSE_BYTES].decode("utf-8", "replace"),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
