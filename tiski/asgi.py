"""ASGI entry point: HTTP through Django, websockets through Channels."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")

# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from django.urls import get_resolver  # noqa: E402

# The URLconf (every view module, the API's schemas) is imported now, at
# start-up, not by the first request or chat message that needs a link: on a
# busy machine that import takes seconds, and a chat's first message paid for
# it inside its transaction, holding up every other new ticket (bench/README.md).
_ = get_resolver().reverse_dict  # imports the URLconf and builds the link table

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tiski.connectors.webchat.routing import websocket_urlpatterns as chat_patterns  # noqa: E402
from tiski.desk.routing import websocket_urlpatterns  # noqa: E402

desk_sockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
chat_sockets = URLRouter(chat_patterns)


async def websockets(scope, receive, send):  # type: ignore[no-untyped-def]
    # The web chat is embedded on customers' own sites: its consumer checks
    # the Origin against the widget's allowed origins itself and uses no
    # Django session; every other socket is the desk's.
    if scope["path"].startswith("/ws/chat/"):
        return await chat_sockets(scope, receive, send)
    return await desk_sockets(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websockets,
    }
)

# Everything made so far (Django, every app and the URLconf: about 150,000
# objects) lives as long as the process. gc.freeze() takes it out of the
# collector's view, so a full collection walks only what came after: at a
# million tickets the full collections walked the whole start-up heap and
# paused a request for 150-670 ms every few dozen requests, the desk pages'
# p99 (bench/README.md). Nothing frozen is ever freed, which is the point.
gc.freeze()
