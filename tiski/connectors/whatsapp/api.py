"""The Cloud API calls Tiski makes: send a message, fetch a customer's media.

Every call goes through ``transport.request`` with the number's access
token as a Bearer token. Errors come as ``{"error": {"message", "code"}}``:
4xx permanent, 5xx and 429 temporary.
"""

from __future__ import annotations

from typing import Any

from tiski.connectors import transport
from tiski.connectors.messaging import media
from tiski.connectors.transport import TransportError
from tiski.core.secrets import resolve

from .models import WhatsAppAccount, WhatsAppTemplate


def _auth(account: WhatsAppAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {resolve(account.access_token)}"}


def _send(account: WhatsAppAccount, payload: dict[str, Any]) -> str:
    url = f"{account.base_url}/{account.phone_number_id}/messages"
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
    response = transport.request("POST", url, json=body, headers=_auth(account), check=False)
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
        )
    messages = response.json().get("messages") or [{}]
    return str(messages[0].get("id", ""))


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


def media_info(account: WhatsAppAccount, media_id: str) -> dict:
    """Where a customer's file is (a short-lived URL), its type and size."""
    response = transport.request("GET", f"{account.base_url}/{media_id}", headers=_auth(account))
    return response.json()


def download(account: WhatsAppAccount, url: str) -> bytes:
    return transport.request("GET", url, headers=_auth(account), max_bytes=media.max_bytes()).body
