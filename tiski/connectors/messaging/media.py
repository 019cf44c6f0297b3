"""Files customers send on a messaging channel: what is kept, and how big it may be.

A channel downloads a photo, document or voice message from its provider
and checks it here before it becomes an attachment. A file refused (too
big, or a type the desk does not open, such as a program) is not stored:
the message says what was left out, so the agent can ask for it another way.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Types an agent can open safely; anything executable or scriptable is left out.
_ALLOWED_PREFIXES = ("image/", "audio/", "video/")
_ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)
_REFUSED_IMAGES = frozenset({"image/svg+xml"})  # may carry scripts
LEFT_OUT = "[Attachment %(name)s left out: %(why)s]"


def max_bytes() -> int:
    return int(getattr(settings, "TISKI_MESSAGING_MAX_MEDIA_BYTES", DEFAULT_MAX_BYTES))


def refusal(content_type: str, size: int | None) -> str:
    """Why this file is not kept ("" when it is)."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if size is not None and size > max_bytes():
        return f"{size} bytes is over the limit of {max_bytes()} bytes"
    if kind in _REFUSED_IMAGES:
        return f"the type {kind} is not accepted"
    if not (kind.startswith(_ALLOWED_PREFIXES) or kind in _ALLOWED_TYPES):
        return f"the type {kind or 'unknown'} is not accepted"
    return ""
