"""A JSON card's data: fetched by the server, briefly cached, shown as key-value pairs.

Through `tiski.connectors.transport.request`, so the CRM's URL gets the
same guard as every outside call (no private addresses unless allowed), a
short timeout and a size cap. Answers are cached per card and resolved URL
for a few minutes, errors for less, so a ticket opened by five agents asks
the CRM once and a CRM that is down is not asked on every page view.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from tiski.connectors.transport import TransportError, request

from .models import SidePanelCard

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 4.0
MAX_BYTES = 256 * 1024
CACHE_SECONDS = 180
ERROR_CACHE_SECONDS = 30
# What fits in a side panel: more objects or keys are cut off, and said so.
MAX_OBJECTS = 10
MAX_KEYS = 30
MAX_VALUE_CHARS = 300


@dataclass(frozen=True)
class CardData:
    """Blocks of (key, value) rows, or an error sentence for the agent."""

    blocks: list[list[tuple[str, str]]] = field(default_factory=list)
    error: str = ""
    truncated: bool = False


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str | int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _block(obj: dict[str, Any]) -> tuple[list[tuple[str, str]], bool]:
    rows = [(str(key), _shown(value)) for key, value in list(obj.items())[:MAX_KEYS]]
    return rows, len(obj) > MAX_KEYS


def to_card(answer: Any) -> CardData:
    """An object's top-level keys, or each object of a list, as key-value blocks."""
    if isinstance(answer, dict):
        rows, cut = _block(answer)
        return CardData(blocks=[rows] if rows else [], truncated=cut)
    if isinstance(answer, list) and all(isinstance(item, dict) for item in answer):
        blocks, cut = [], len(answer) > MAX_OBJECTS
        for item in answer[:MAX_OBJECTS]:
            rows, more = _block(item)
            blocks.append(rows)
            cut = cut or more
        return CardData(blocks=blocks, truncated=cut)
    return CardData(error=_("The answer was not an object or a list of objects."))


def _cache_key(card: SidePanelCard, url: str) -> str:
    digest = hashlib.sha256(f"{card.updated_at.isoformat()} {url}".encode()).hexdigest()
    return f"tiski:sidepanel:{card.pk}:{digest}"


def _fetch(card: SidePanelCard, url: str) -> CardData:
    headers = {"Accept": "application/json"}
    if card.auth_header:
        headers["Authorization"] = card.auth_header.strip()
    try:
        response = request(
            "GET", url, headers=headers, timeout=TIMEOUT_SECONDS, max_bytes=MAX_BYTES
        )
    except TransportError as exc:
        log.info("side-panel card %s: %s", card.pk, exc)
        # transport.request's own wording for its size cap and for a timeout.
        if str(exc).startswith("The answer is over"):
            return CardData(error=_("The answer was too large to show."))
        if isinstance(exc.__cause__, TimeoutError) or "timed out" in str(exc):
            return CardData(error=_("The service did not answer in time."))
        return CardData(error=_("The service could not be reached or answered with an error."))
    try:
        answer = json.loads(response.body)
    except ValueError:
        return CardData(error=_("The answer was not JSON."))
    return to_card(answer)


def card_data(card: SidePanelCard, url: str) -> CardData:
    key = _cache_key(card, url)
    cached = cache.get(key)
    if cached is not None:
        return cached
    data = _fetch(card, url)
    cache.set(key, data, ERROR_CACHE_SECONDS if data.error else CACHE_SECONDS)
    return data
