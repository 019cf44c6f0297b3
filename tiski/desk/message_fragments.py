"""Each message's block on the ticket page, rendered once and then cached.

A stored message hardly changes, yet rendering its block (head, body frame,
attachments, the move and forward forms) is most of the ticket page's cost.
The block is cached under a key made of everything it shows: the message's
own content and metadata, its author's name, its attachments, the ticket's
number and state, the viewer's right to reply, the mailboxes offered for
forwarding, the language and the time zone. Any change to one of those
makes a new key, so a cached block is never stale; old ones age out.

Two parts of a block are per request and never cached: the CSRF token of
its forms (the cached block holds a marker that is replaced on the way out)
and the delivery status of its outgoing mail, which changes while the page
is open (rendered each time into its slot).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from tiski.tickets.models import Message, MessageKind, Status, Ticket

from .timeline import attachments_of

CACHE_ALIAS = "fragments"
# Bump when _message.html or what it shows changes shape.
VERSION = 1
# Stand-ins kept in the cached block and replaced per request.
CSRF_MARKER = "tiski-csrf-marker-0b1e"
DELIVERY_SLOT = "<!--tiski-delivery-slot-->"
NO_DELIVERY = "\n\n"


def render_messages(
    request: HttpRequest,
    ticket: Ticket,
    messages: Iterable[Message],
    *,
    route: Any,
    forwardable_kinds: Iterable[str],
) -> dict[int, SafeString]:
    """Each message's block by message id, from the cache where it is there."""
    messages = list(messages)
    if not messages:
        return {}
    forwardable = tuple(forwardable_kinds)
    page_key = _page_key(request, ticket, route, forwardable)
    keys = {m.pk: _message_key(m, page_key) for m in messages}
    cache = caches[CACHE_ALIAS]
    blocks: dict[str, str] = cache.get_many(list(keys.values()))
    missing = [m for m in messages if keys[m.pk] not in blocks]
    if missing:
        template = get_template("desk/_message.html")
        fresh = {}
        for message in missing:
            fresh[keys[message.pk]] = template.render(
                {
                    "m": message,
                    "ticket": ticket,
                    "route": route,
                    "forwardable_kinds": forwardable,
                    "user": request.user,
                    "csrf_token": CSRF_MARKER,
                    "delivery_slot": mark_safe(DELIVERY_SLOT),  # noqa: S308 - our constant
                }
            )
        cache.set_many(fresh)
        blocks.update(fresh)
    token = format_html("{}", get_token(request))
    return {
        m.pk: mark_safe(  # noqa: S308 - our own rendered template; the token is escaped
            blocks[keys[m.pk]]
            .replace(CSRF_MARKER, token)
            .replace(DELIVERY_SLOT, _delivery(request, m))
        )
        for m in messages
    }


def _page_key(request: HttpRequest, ticket: Ticket, route: Any, forwardable: tuple) -> str:
    """What every block of this page depends on besides its own message."""
    mailboxes = getattr(route, "mailboxes", None) or []
    chosen = getattr(route, "mailbox", None)
    return json.dumps(
        [
            VERSION,
            get_language(),
            get_current_timezone_name(),
            ticket.number,
            ticket.status == Status.CLOSED,
            bool(getattr(request.user, "can_reply_publicly", False)),
            [(box.pk, box.address) for box in mailboxes],
            chosen.pk if chosen is not None else None,
            forwardable,
        ]
    )


def _message_key(message: Message, page_key: str) -> str:
    attachments = [
        (a.pk, a.filename, a.size, a.inline, a.content_id) for a in attachments_of(message)
    ]
    content = zlib.crc32(message.text.encode()) ^ (zlib.crc32(message.html.encode()) << 1)
    facts = json.dumps(
        [
            message.pk,
            message.kind,
            message.channel,
            message.author_name,
            message.author_user_id,
            message.created_at.isoformat(),
            content,
            len(message.text),
            len(message.html),
            message.meta,
            attachments,
        ],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.blake2b((page_key + facts).encode(), digest_size=16).hexdigest()
    return f"msg:{message.pk}:{digest}"


def _delivery(request: HttpRequest, message: Message) -> str:
    if message.kind != MessageKind.PUBLIC and not message.meta.get("forwarded_to"):
        return ""
    # The timeline read both lists with the messages.
    emails, outbound = message.listed_outbound_emails, message.listed_outbound_messages
    if not emails and not outbound:
        # What the template writes without an outbound row, without rendering it.
        return NO_DELIVERY
    return render_to_string(
        "channels/_delivery.html",
        {"message": message, "emails": emails, "outbound": outbound},
        request=request,
    )
