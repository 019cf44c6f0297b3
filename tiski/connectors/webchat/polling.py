"""The long-polling fallback: the chat over plain HTTP where no websocket opens.

Some corporate proxies strip the ``Upgrade`` header, so the socket never
opens. The widget then sends each frame with ``POST /chat/<key>/send`` (the
socket's frame plus the visitor ``token``; the answer is the frames the
socket would have sent back, ``{"events": [...]}``) and keeps one
``GET /chat/<key>/poll?after=<id>`` waiting (token in ``X-Chat-Token``,
never in a URL a log keeps), which answers as soon as there is news for the
visitor, or empty after ``TISKI_WEBCHAT_POLL_SECONDS``.

Both are async views: a waiting poll is a coroutine awaiting the channel
layer, not a worker thread, so a web process holds thousands of them the way
it holds sockets. The poll listens on the same session group the socket
joins, so both transports get the very same ``reply`` and ``typing`` events
from ``protocol.to_visitor``. Replies are also rows: ``after`` is the newest
reply the widget has, and a poll first returns any newer reply from the
database (written between two polls, when nobody listened), so nothing is
lost between polls or across a reconnect, and a reply the group also brings
is dropped by its id, so nothing comes twice. The group is joined before the
database is read: a reply committed in between is in one or the other.
A typing note in the gap between two polls is lost, as it is while a socket
reconnects; it is a passing hint, and the next one comes within seconds.

CORS and the origin check are the widget's (``views._cors``), the visitor
token is the credential, no cookie is used, so no CSRF token either.
"""

from __future__ import annotations

import asyncio
import json

from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import presence, services
from .models import ChatSession
from .protocol import BAD_REQUEST, Conversation, active_widget, db, to_visitor
from .views import cors, origin_refused

TOKEN_HEADER = "X-Chat-Token"
# Events that come together (a reply and the end of the agent's typing) are
# answered in one poll rather than one poll each.
GATHER_SECONDS = 0.02


@csrf_exempt  # no cookies are used: the visitor token in the body is the credential
async def send(request: HttpRequest, public_key: str) -> HttpResponse:
    """One frame from the widget, as on the socket; the answer frames back."""
    widget = await active_widget(public_key)
    if widget is None:
        return JsonResponse({"error": "unknown"}, status=404)
    if request.method == "OPTIONS":
        return cors(HttpResponse(status=204), request, widget)
    if request.method != "POST":
        return HttpResponse(status=405)
    no = origin_refused(request, widget)
    if no is not None:
        return cors(no, request, widget)
    try:
        content = json.loads(request.body or b"")
    except ValueError:
        content = None
    if not isinstance(content, dict):
        return cors(JsonResponse({"events": [BAD_REQUEST]}, status=400), request, widget)
    session = None
    if content.get("type") != "hello":
        # No session for the token: the protocol answers hello_first, as a
        # socket does, and the widget says hello again.
        session = await db(services.session_for)(widget, str(content.get("token") or ""))
    frames = await Conversation(widget, session).handle(content)
    return cors(JsonResponse({"events": frames}), request, widget)


@csrf_exempt  # a GET, but its preflight is an OPTIONS; the token header is the credential
async def poll(request: HttpRequest, public_key: str) -> HttpResponse:
    """Wait for the visitor's next events: replies newer than ``after``, typing."""
    widget = await active_widget(public_key)
    if widget is None:
        return JsonResponse({"error": "unknown"}, status=404)
    if request.method == "OPTIONS":
        return cors(HttpResponse(status=204), request, widget)
    if request.method != "GET":
        return HttpResponse(status=405)
    no = origin_refused(request, widget)
    if no is not None:
        return cors(no, request, widget)
    try:
        after = int(request.GET.get("after") or 0)
    except ValueError:
        after = -1
    if after < 0:
        return cors(JsonResponse({"error": "bad_request"}, status=400), request, widget)
    session = await db(services.session_for)(widget, request.headers.get(TOKEN_HEADER, ""))
    if session is None:
        return cors(JsonResponse({"error": "unknown_session"}, status=404), request, widget)
    events = await wait_for_events(session, after, presence.poll_seconds())
    return cors(JsonResponse({"events": events}), request, widget)


async def wait_for_events(session: ChatSession, after: int, wait: float) -> list[dict]:
    layer = get_channel_layer()
    assert layer is not None  # settings always name one (in-memory or Redis)
    channel = await layer.new_channel()
    group = services.session_group(session.pk)
    await layer.group_add(group, channel)
    try:
        await db(presence.poll_started)(session.pk, wait)
        missed = await db(services.replies_after)(session, after)
        if missed:
            return [{"type": "reply", "item": item} for item in missed]
        return await _listen(layer, channel, after, wait, session.ticket_id)
    except asyncio.CancelledError:
        # The browser went away while the poll waited (the tab closed):
        # replies go by email from now on, as after a closed socket.
        await db(presence.poll_abandoned)(session.pk)
        raise
    finally:
        await layer.group_discard(group, channel)


async def _listen(  # type: ignore[no-untyped-def]
    layer, channel: str, after: int, wait: float, ticket_id: int | None
) -> list[dict]:
    frames: list[dict] = []
    newest = after
    try:
        async with asyncio.timeout(wait):
            while not frames:
                newest = _take(await layer.receive(channel), frames, newest, ticket_id)
        async with asyncio.timeout(GATHER_SECONDS):
            while True:
                newest = _take(await layer.receive(channel), frames, newest, ticket_id)
    except TimeoutError:
        pass
    return frames


def _take(event: dict, frames: list[dict], newest: int, ticket_id: int | None) -> int:
    """Add the event's frame unless it is a reply the visitor already has."""
    frame = to_visitor(event, ticket_id)
    if frame is None:
        return newest
    if frame["type"] == "reply":
        if frame["item"]["id"] <= newest:
            return newest
        newest = frame["item"]["id"]
    frames.append(frame)
    return newest
