"""Files from the chat visitor: checked for size and type, stored as attachments.

A web site's visitor is anonymous, so the limits are strict: one file per
request, at most ``TISKI_WEBCHAT_UPLOAD_MAX_BYTES`` (default 10 MB), and only
images, PDF and plain text, known by both the file name's extension and the
browser's content type (a renamed program is refused either way).
"""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from tiski.tickets.actions import NewAttachment

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
}


def max_bytes() -> int:
    return int(getattr(settings, "TISKI_WEBCHAT_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def checked(upload: UploadedFile) -> NewAttachment:
    """The upload as a NewAttachment, or ValidationError with code too_large / bad_type."""
    if upload.size is None or upload.size > max_bytes():
        raise ValidationError("too large", code="too_large")
    name = PurePath(upload.name or "").name[:200]
    extension = PurePath(name).suffix.lower()
    wanted = ALLOWED.get(extension)
    given = (upload.content_type or "").split(";")[0].strip().lower()
    if wanted is None or given != wanted:
        raise ValidationError("type", code="bad_type")
    return NewAttachment(filename=name, content=upload, content_type=wanted)
