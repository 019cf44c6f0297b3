"""The Graph API calls Tiski makes for a page or an Instagram account.

Every call goes through ``transport.request`` to ``TISKI_META_GRAPH_URL``
with the page access token as a Bearer token. Errors come as
``{"error": {"message", "code", "error_subcode"}}``: 5xx, 408 and 429
are temporary, and so are Meta's throttling codes (an HTTP 400 with code
4, 17, 32 or 613); every other 4xx is permanent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from tiski.connectors import transport
from tiski.connectors.messaging import media
from tiski.connectors.transport import TransportError
from tiski.core.secrets import resolve

from .models import MetaAccount, MetaKind

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
HUMAN_AGENT = "HUMAN_AGENT"
# Throttled or briefly unavailable, said in an HTTP 400: try again later.
_TEMPORARY_CODES = frozenset({1, 2, 4, 17, 32, 613})


def graph_url() -> str:
    return (getattr(settings, "TISKI_META_GRAPH_URL", "") or DEFAULT_GRAPH_URL).rstrip("/")


def _auth(account: MetaAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {resolve(account.access_token)}"}


def _error(response: transport.Response) -> TransportError:
    error = response.json().get("error") or {}
    detail = error.get("message") or response.body[:300].decode("utf-8", "replace")
    code = error.get("code")
    temporary = response.status >= 500 or response.status in (408, 429) or code in _TEMPORARY_CODES
    return TransportError(
        f"Meta: HTTP {response.status}{f' ({code})' if code else ''}: {detail}",
        permanent=not temporary,
        retry_after=transport.retry_after_seconds(response.headers.get("retry-after", ""))
        if temporary
        else None,
    )


def send_text(account: MetaAccount, to: str, text: str, *, human_agent: bool = False) -> str:
    """Send a text through the Send API; returns its message id (mid).

    Within 24 hours of the customer's message it is a RESPONSE; later (up to
    7 days) only with the HUMAN_AGENT tag, which Meta allows for a person's
    answer to the customer's question.
    """
    body: dict[str, Any] = {"recipient": {"id": to}, "message": {"text": text}}
    if human_agent:
        body.update(messaging_type="MESSAGE_TAG", tag=HUMAN_AGENT)
    else:
        body["messaging_type"] = "RESPONSE"
    url = f"{graph_url()}/{sender_node(account)}/messages"
    response = transport.request("POST", url, json=body, headers=_auth(account), check=False)
    if response.status >= 400:
        raise _error(response)
    return str(response.json().get("message_id") or "")


def sender_node(account: MetaAccount) -> str:
    """Who sends: the page itself; for Instagram the page linked to the account, which
    the page token names as ``me`` (the Instagram account's own id is not a sender)."""
    return "me" if account.kind == MetaKind.INSTAGRAM else account.account_id


def profile_name(account: MetaAccount, user_id: str) -> str:
    """The customer's name as Meta shows it to the page ("" when Meta will not say)."""
    fields = "name,username" if account.kind == MetaKind.INSTAGRAM else "first_name,last_name"
    response = transport.request(
        "GET", f"{graph_url()}/{user_id}?fields={fields}", headers=_auth(account), check=False
    )
    if response.status >= 400:
        raise _error(response)
    data = response.json()
    if account.kind == MetaKind.INSTAGRAM:
        return str(data.get("name") or data.get("username") or "")
    return " ".join(str(data.get(k) or "") for k in ("first_name", "last_name")).strip()


def download(url: str) -> transport.Response:
    """A customer's file from Meta's CDN (the URL is signed: no token is sent along)."""
    return transport.request("GET", url, max_bytes=media.max_bytes())
