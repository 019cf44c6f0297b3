"""ASGI entry point: HTTP through Django, websockets through Channels."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")

# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

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
