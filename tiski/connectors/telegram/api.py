"""The Bot API calls Tiski makes: sendMessage, getFile and the file download, setWebhook,
and getMe / getWebhookInfo for the settings page's check.

Every call goes through ``transport.request`` (timeouts, size cap, no
private addresses). The Bot API answers ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code", "description"}``; a 4xx is permanent, a 5xx
or 429 temporary (its ``parameters.retry_after`` honoured).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tiski.connectors import transport
from tiski.connectors.messaging import media
from tiski.connectors.transport import FilePart, Multipart, TransportError
from tiski.core.secrets import resolve

from .models import TelegramBot

# Photos the Bot API takes (at most 10 MB); other files and bigger ones go as documents.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PHOTO_BYTES = 10 * 1024 * 1024
CAPTION_LIMIT = 1024
UPLOAD_TIMEOUT = 120.0


def call(
    bot: TelegramBot, method: str, payload: dict[str, Any], *, file: FilePart | None = None
) -> Any:
    """One Bot API method; its ``result``. Raises TransportError.

    With a ``file`` the call is multipart/form-data (an upload), as the Bot
    API requires for files that are not already on Telegram's servers.
    """
    url = f"{bot.base_url}/bot{resolve(bot.bot_token)}/{method}"
    if file is None:
        response = transport.request("POST", url, json=payload, check=False)
    else:
        body = Multipart({k: str(v) for k, v in payload.items()}, (file,))
        response = transport.request(
            "POST", url, multipart=body, check=False, timeout=UPLOAD_TIMEOUT
        )
    data = response.json()
    if response.status < 400 and data.get("ok"):
        return data.get("result")
    detail = str(data.get("description") or response.body[:300].decode("utf-8", "replace"))
    status = int(data.get("error_code") or response.status)
    retry_after = (data.get("parameters") or {}).get("retry_after")
    temporary = status >= 500 or status == 429 or response.status >= 500
    raise TransportError(
        f"Telegram {method}: HTTP {status}: {detail}",
        permanent=not temporary,
        retry_after=float(retry_after) if retry_after else None,
        status=status,
    )


def send_message(bot: TelegramBot, chat_id: str, text: str) -> str:
    result = call(bot, "sendMessage", {"chat_id": chat_id, "text": text})
    return str((result or {}).get("message_id", ""))


def send_file(
    bot: TelegramBot,
    chat_id: str,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    caption: str = "",
) -> str:
    """sendPhoto for an image Telegram shows as a photo, else sendDocument."""
    photo = content_type in PHOTO_TYPES and len(content) <= MAX_PHOTO_BYTES
    method, field = ("sendPhoto", "photo") if photo else ("sendDocument", "document")
    payload = {"chat_id": chat_id, **({"caption": caption} if caption else {})}
    result = call(bot, method, payload, file=FilePart(field, filename, content_type, content))
    return str((result or {}).get("message_id", ""))


def set_webhook(bot: TelegramBot, url: str) -> None:
    call(
        bot,
        "setWebhook",
        {
            "url": url,
            "secret_token": resolve(bot.secret_token),
            "allowed_updates": ["message", "edited_message"],
        },
    )


def get_me(bot: TelegramBot) -> dict[str, Any]:
    """The bot the token belongs to (id, username, first_name)."""
    return call(bot, "getMe", {}) or {}


def webhook_info(bot: TelegramBot) -> dict[str, Any]:
    """Where Telegram sends the bot's updates, and its last delivery error if any."""
    return call(bot, "getWebhookInfo", {}) or {}


def download(bot: TelegramBot, file_id: str) -> bytes:
    """A file a customer sent: getFile for its path, then the file itself."""
    info = call(bot, "getFile", {"file_id": file_id}) or {}
    path = str(info.get("file_path") or "")
    if not path:
        raise TransportError("Telegram getFile gave no file path", permanent=True)
    url = f"{bot.base_url}/file/bot{resolve(bot.bot_token)}/{quote(path)}"
    return transport.request("GET", url, max_bytes=media.max_bytes()).body
