"""The Graph API calls Tiski makes for a page or an Instagram account: the Send API
(text and files), profile look-ups, downloads and the settings page's check.

Every call goes through ``transport.request`` to ``TISKI_META_GRAPH_URL``
with the page access token as a Bearer token. Errors come as
``{"error": {"message", "code", "error_subcode"}}``: 5xx, 408 and 429
are temporary, and so are Meta's throttling codes (an HTTP 400 with code
4, 17, 32 or 613); every other 4xx is permanent.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.conf import settings

from tiski.connectors import transport
from tiski.connectors.messaging import media
from tiski.connectors.transport import FilePart, Multipart, TransportError
from tiski.core.secrets import resolve

from .models import MetaAccount, MetaKind

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
HUMAN_AGENT = "HUMAN_AGENT"
# Throttled or briefly unavailable, said in an HTTP 400: try again later.
_TEMPORARY_CODES = frozenset({1, 2, 4, 17, 32, 613})
# What the Send API shows as an image; other files go as files to download.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
UPLOAD_TIMEOUT = 120.0


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
        status=response.status,
        code=_int(code),
        subcode=_int(error.get("error_subcode")),
    )


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def send_text(account: MetaAccount, to: str, text: str, *, human_agent: bool = False) -> str:
    """Send a text through the Send API; returns its message id (mid).

    Within 24 hours of the customer's message it is a RESPONSE; later (up to
    7 days) only with the HUMAN_AGENT tag, which Meta allows for a person's
    answer to the customer's question.
    """
    return _send_message(account, to, {"text": text}, human_agent=human_agent)


def _messaging_type(human_agent: bool) -> dict[str, str]:
    if human_agent:
        return {"messaging_type": "MESSAGE_TAG", "tag": HUMAN_AGENT}
    return {"messaging_type": "RESPONSE"}


def _send_message(
    account: MetaAccount, to: str, message: dict[str, Any], *, human_agent: bool
) -> str:
    body: dict[str, Any] = {"recipient": {"id": to}, "message": message}
    body.update(_messaging_type(human_agent))
    url = f"{graph_url()}/{sender_node(account)}/messages"
    response = transport.request("POST", url, json=body, headers=_auth(account), check=False)
    return _message_id(response)


def _message_id(response: transport.Response) -> str:
    if response.status >= 400:
        raise _error(response)
    return str(response.json().get("message_id") or "")


def attachment_type(content_type: str) -> str:
    """How the Send API shows a file: image, audio, video, else a file to download."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in IMAGE_TYPES:
        return "image"
    if kind.startswith("audio/"):
        return "audio"
    if kind.startswith("video/"):
        return "video"
    return "file"


def send_file(
    account: MetaAccount,
    to: str,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    human_agent: bool = False,
) -> str:
    """Send one file as an attachment message; returns its mid.

    Messenger: uploaded and sent in one Send API call, multipart/form-data
    with the file as ``filedata``. Instagram: the Send API takes attachments
    only by URL or by an uploaded attachment's id, so the file goes first to
    the Attachment Upload API (``platform=instagram``), then its id is sent.
    """
    kind = attachment_type(content_type)
    file = FilePart("filedata", filename, content_type, content)
    if account.kind == MetaKind.INSTAGRAM:
        # Meta's upload page: file names with non-ASCII characters are not supported.
        file = FilePart("filedata", ascii_name(filename), content_type, content)
        attachment_id = upload_attachment(account, kind, file)
        message = {"attachment": {"type": kind, "payload": {"attachment_id": attachment_id}}}
        return _send_message(account, to, message, human_agent=human_agent)
    fields = {
        "recipient": json.dumps({"id": to}),
        "message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": False}}}),
        **_messaging_type(human_agent),
    }
    url = f"{graph_url()}/{sender_node(account)}/messages"
    response = transport.request(
        "POST", url, multipart=Multipart(fields, (file,)), headers=_auth(account),
        check=False, timeout=UPLOAD_TIMEOUT,
    )  # fmt: skip
    return _message_id(response)


def ascii_name(filename: str) -> str:
    """"Hyvä_päivä.pdf" as "Hyva_paiva.pdf": accents dropped, letters with no ASCII form "_"."""
    return "".join(
        unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode() or "_"
        for c in filename
    )


def upload_attachment(account: MetaAccount, kind: str, file: FilePart) -> str:
    """POST /me/message_attachments (multipart): the attachment id a message then names."""
    fields = {
        "platform": "instagram",
        "message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": True}}}),
    }
    url = f"{graph_url()}/{sender_node(account)}/message_attachments"
    response = transport.request(
        "POST", url, multipart=Multipart(fields, (file,)), headers=_auth(account),
        check=False, timeout=UPLOAD_TIMEOUT,
    )  # fmt: skip
    if response.status >= 400:
        raise _error(response)
    attachment_id = str(response.json().get("attachment_id") or "")
    if not attachment_id:
        raise TransportError("Meta: the attachment upload gave no id", permanent=False)
    return attachment_id


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


def whoami(account: MetaAccount) -> dict[str, str]:
    """The settings page's check: what the stored page token can see of this account.

    Messenger: ``GET /me`` (a page token names its page), whose id must be
    the account's. Instagram: ``GET /<account id>?fields=id,username``, which
    answers only when the token's page is linked to that account.
    """
    if account.kind == MetaKind.INSTAGRAM:
        path = f"{account.account_id}?fields=id,username,name"
    else:
        path = "me?fields=id,name"
    response = transport.request(
        "GET", f"{graph_url()}/{path}", headers=_auth(account), check=False
    )
    if response.status >= 400:
        raise _error(response)
    data = response.json()
    return {k: str(data.get(k) or "") for k in ("id", "name", "username")}


def download(url: str) -> transport.Response:
    """A customer's file from Meta's CDN (the URL is signed: no token is sent along)."""
    return transport.request("GET", url, max_bytes=media.max_bytes())
