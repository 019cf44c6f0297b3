"""The Cloud API calls Tiski makes: send a message, upload and send media, fetch a customer's media.

Every call goes through ``transport.request`` with the number's access
token as a Bearer token. Errors come as ``{"error": {"message", "code"}}``:
4xx permanent, 5xx and 429 temporary.
"""

from __future__ import annotations

from typing import Any

from tiski.connectors import transport
from tiski.connectors.messaging import media
from tiski.connectors.transport import FilePart, Multipart, TransportError
from tiski.core.secrets import resolve

from .models import WhatsAppAccount, WhatsAppTemplate

# What the Cloud API shows as an image (5 MB), audio or video (16 MB); the
# rest, and bigger images and videos, go as documents (100 MB).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
AUDIO_TYPES = frozenset({"audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"})
VIDEO_TYPES = frozenset({"video/mp4", "video/3gpp"})
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_VIDEO_BYTES = 16 * 1024 * 1024
CAPTION_LIMIT = 1024
UPLOAD_TIMEOUT = 120.0


def _auth(account: WhatsAppAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {resolve(account.access_token)}"}


def _raise_for(response: transport.Response) -> None:
    if response.status >= 400:
        error = response.json().get("error") or {}
        detail = error.get("message") or response.body[:300].decode("utf-8", "replace")
        code = f" ({error['code']})" if error.get("code") else ""
        temporary = response.status >= 500 or response.status in (408, 429)
        raise TransportError(
            f"WhatsApp: HTTP {response.status}{code}: {detail}",
            permanent=not temporary,
            retry_after=transport.retry_after_seconds(response.headers.get("retry-after", ""))
            if temporary
            else None,
            status=response.status,
            code=error.get("code") if isinstance(error.get("code"), int) else None,
            subcode=error.get("error_subcode")
            if isinstance(error.get("error_subcode"), int)
            else None,
        )


def _send(account: WhatsAppAccount, payload: dict[str, Any]) -> str:
    url = f"{account.base_url}/{account.phone_number_id}/messages"
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
    response = transport.request("POST", url, json=body, headers=_auth(account), check=False)
    _raise_for(response)
    messages = response.json().get("messages") or [{}]
    return str(messages[0].get("id", ""))


def upload_media(
    account: WhatsAppAccount, *, filename: str, content_type: str, content: bytes
) -> str:
    """POST /<phone number id>/media (multipart): the media id a message then names."""
    url = f"{account.base_url}/{account.phone_number_id}/media"
    body = Multipart(
        {"messaging_product": "whatsapp", "type": content_type},
        (FilePart("file", filename, content_type, content),),
    )
    response = transport.request(
        "POST", url, multipart=body, headers=_auth(account), check=False, timeout=UPLOAD_TIMEOUT
    )
    _raise_for(response)
    media_id = str(response.json().get("id") or "")
    if not media_id:
        raise TransportError("WhatsApp: the media upload gave no id", permanent=False)
    return media_id


def media_kind(content_type: str, size: int) -> str:
    """How the Cloud API shows a file: image, audio, video, else document."""
    if content_type in IMAGE_TYPES and size <= MAX_IMAGE_BYTES:
        return "image"
    if content_type in AUDIO_TYPES:
        return "audio"
    if content_type in VIDEO_TYPES and size <= MAX_VIDEO_BYTES:
        return "video"
    return "document"


def send_media(
    account: WhatsAppAccount, to: str, media_id: str, *, kind: str, filename: str, caption: str = ""
) -> str:
    media: dict[str, str] = {"id": media_id}
    if caption:
        media["caption"] = caption
    if kind == "document":
        media["filename"] = filename
    return _send(account, {"to": to.lstrip("+"), "type": kind, kind: media})


def send_text(account: WhatsAppAccount, to: str, text: str) -> str:
    return _send(
        account,
        {"to": to.lstrip("+"), "type": "text", "text": {"preview_url": False, "body": text}},
    )


def send_template(
    account: WhatsAppAccount, to: str, template: WhatsAppTemplate, values: list[str]
) -> str:
    components = (
        [{"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}]
        if values
        else []
    )
    return _send(
        account,
        {
            "to": to.lstrip("+"),
            "type": "template",
            "template": {
                "name": template.name,
                "language": {"code": template.language},
                "components": components,
            },
        },
    )


def phone_number(account: WhatsAppAccount) -> dict[str, str]:
    """The settings page's check: the number as the Cloud API knows it, with this token."""
    url = f"{account.base_url}/{account.phone_number_id}?fields=display_phone_number,verified_name"
    response = transport.request("GET", url, headers=_auth(account), check=False)
    _raise_for(response)
    data = response.json()
    return {k: str(data.get(k) or "") for k in ("display_phone_number", "verified_name")}


def media_info(account: WhatsAppAccount, media_id: str) -> dict:
    """Where a customer's file is (a short-lived URL), its type and size."""
    response = transport.request("GET", f"{account.base_url}/{media_id}", headers=_auth(account))
    return response.json()


def download(account: WhatsAppAccount, url: str) -> bytes:
    return transport.request("GET", url, headers=_auth(account), max_bytes=media.max_bytes()).body
