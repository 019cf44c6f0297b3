"""Reading an old desk's REST API: pages of JSON, politely.

Every call goes through ``tiski.connectors.transport.request`` (timeouts,
size cap, no private addresses). On top of it: the vendor's rate limit is
honoured (429 and its Retry-After), a 5xx, 408 or a network failure is
tried again after a growing wait, and a list is followed page by page to
its end. The next page's address comes from the vendor's answer; it must
stay on the vendor's host, or the credentials would go with it elsewhere.
"""

from __future__ import annotations

import logging
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiski.connectors import transport

log = logging.getLogger(__name__)

# Tests replace this to see the waits without waiting.
sleep: Callable[[float], None] = time.sleep

ATTEMPTS = 8
LONGEST_BACKOFF = 60.0
# A vendor asking for longer than this is asked again after this long.
LONGEST_RETRY_AFTER = 15 * 60.0
# One page of an incremental export holds up to 1000 tickets.
PAGE_MAX_BYTES = 64 * 1024 * 1024
TIMEOUT = 60.0

# Freshdesk's next page: Link: <https://acme.freshdesk.com/api/v2/tickets?page=2>; rel="next"
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


class ApiStopped(Exception):
    """The old desk refused for good (a wrong token, a missing permission), or never answered."""


@dataclass
class Page:
    items: list[dict[str, Any]]
    body: Any
    next_url: str | None


@dataclass
class ApiClient:
    """GETs against one vendor host with one Authorization header."""

    base_url: str  # "https://acme.zendesk.com"
    authorization: str
    requests: int = 0
    waited: list[float] = field(default_factory=list)

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.base_url).netloc

    def url(self, path_or_url: str) -> str:
        return urllib.parse.urljoin(self.base_url + "/", path_or_url)

    def same_host(self, url: str) -> bool:
        ours = urllib.parse.urlsplit(self.base_url)
        theirs = urllib.parse.urlsplit(url)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)

    def get(self, path_or_url: str) -> transport.Response | None:
        """The answer, or None for a 404 (gone since it was listed)."""
        url = self.url(path_or_url)
        if not self.same_host(url):
            raise ApiStopped(f"{url[:200]} is not on {self.base_url}; not followed")
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            self.requests += 1
            try:
                response = transport.request(
                    "GET",
                    url,
                    headers={"Authorization": self.authorization, "Accept": "application/json"},
                    timeout=TIMEOUT,
                    max_bytes=PAGE_MAX_BYTES,
                    check=False,
                )
            except transport.TransportError as error:
                if error.permanent or last:
                    raise ApiStopped(str(error)) from error
                self.wait(attempt, None, f"{url}: {error}")
                continue
            if response.status == 404:
                return None
            if response.status in (408, 429) or response.status >= 500:
                if last:
                    raise ApiStopped(f"{url}: HTTP {response.status} after {ATTEMPTS} tries")
                retry_after = transport.retry_after_seconds(response.headers.get("retry-after", ""))
                self.wait(attempt, retry_after, f"{url}: HTTP {response.status}")
                continue
            if response.status >= 400:
                try:
                    transport.raise_for_status(response)
                except transport.TransportError as error:
                    raise ApiStopped(f"{url}: {error}") from error
            return response
        raise ApiStopped(f"{url}: no answer")  # not reached: the last attempt raises

    def wait(self, attempt: int, retry_after: float | None, why: str) -> None:
        # The vendor's own word first; otherwise 1, 2, 4 ... up to a minute.
        if retry_after is not None:
            seconds = min(retry_after, LONGEST_RETRY_AFTER)
        else:
            seconds = min(2.0**attempt, LONGEST_BACKOFF)
        log.info("move-in: %s; trying again in %.0f s", why, seconds)
        self.waited.append(seconds)
        sleep(seconds)

    def pages(self, path_or_url: str, key: str) -> Iterator[Page]:
        """Every page of a list, following the vendor's next-page links to the end."""
        url: str | None = path_or_url
        while url:
            response = self.get(url)
            if response is None:
                return
            body = response.json()
            page = Page(items=items_of(body, key), body=body, next_url=next_url(body, response))
            yield page
            url = page.next_url
            if url and not self.same_host(self.url(url)):
                raise ApiStopped(f"the next page {url[:200]} is not on {self.base_url}")

    def items(self, path_or_url: str, key: str) -> Iterator[dict[str, Any]]:
        for page in self.pages(path_or_url, key):
            yield from page.items


def items_of(body: Any, key: str) -> list[dict[str, Any]]:
    """The objects of one answer: ``{"tickets": [...]}``, a plain list, or one object."""
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict)]
    if isinstance(body, dict):
        found = body.get(key)
        if isinstance(found, list):
            return [item for item in found if isinstance(item, dict)]
        if isinstance(found, dict):
            return [found]
    return []


def next_url(body: Any, response: transport.Response) -> str | None:
    """The next page as the vendor names it, or None at the end.

    Zendesk's incremental exports say ``end_of_stream`` and ``after_url``;
    its cursor pages ``meta.has_more`` and ``links.next``; its offset pages
    ``next_page``. Freshdesk puts a ``Link: <...>; rel="next"`` header.
    """
    link = NEXT_LINK.search(response.headers.get("link", ""))
    if link:
        return link.group(1)
    if not isinstance(body, dict):
        return None
    if "end_of_stream" in body:
        return None if body["end_of_stream"] else body.get("after_url") or None
    meta = body.get("meta")
    if isinstance(meta, dict) and "has_more" in meta:
        links = body.get("links") or {}
        return links.get("next") if meta["has_more"] else None
    return body.get("next_page") or None


def read_secret(*, env_name: str | None, file_path: str | None) -> str:
    """A token from an environment variable or a file, never from the command line."""
    if file_path:
        value = Path(file_path).read_text(encoding="utf-8").strip()
    elif env_name:
        value = os.environ.get(env_name, "").strip()
    else:
        value = ""
    return value
