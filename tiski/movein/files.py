"""Attachments of an export: a file in the export folder, or a URL to fetch."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile

from tiski.connectors import transport
from tiski.tickets.actions.rows import NewAttachment

from .records import FileRef

log = logging.getLogger(__name__)

# Where exports keep attachment files, relative to the export folder.
ATTACHMENT_FOLDERS = ("attachments", "")


def read_attachment(
    ref: FileRef, folder: Path | None, *, fetch: bool, timeout: float = 30.0
) -> tuple[NewAttachment | None, str]:
    """The attachment ready to store, or None and why it could not be read.

    Without a folder (a live import) it can only come from its URL.
    """
    if folder is not None:
        found = _in_folder(ref, folder.resolve())
        if found is not None:
            return found, ""
    if not ref.url:
        return None, "no file in the export folder and no URL"
    if not fetch:
        return None, f"not in the export folder, not fetched: {ref.url}"
    try:
        # As large as an agent may attach; the transport's default cap is for API answers.
        answer = transport.request(
            "GET", ref.url, timeout=timeout, max_bytes=settings.MAX_UPLOAD_BYTES
        )
    except transport.TransportError as error:
        return None, f"{ref.url}: {error}"
    return NewAttachment(
        ref.filename, ContentFile(answer.body, name=ref.filename), ref.content_type
    ), ""


def _in_folder(ref: FileRef, base: Path) -> NewAttachment | None:
    candidates = [base / ref.path] if ref.path else []
    candidates += [base / sub / ref.filename for sub in ATTACHMENT_FOLDERS]
    for candidate in candidates:
        resolved = candidate.resolve()
        # A path in an export must not lead out of the export folder.
        if not resolved.is_relative_to(base) or not resolved.is_file():
            continue
        content = ContentFile(resolved.read_bytes(), name=ref.filename)
        return NewAttachment(ref.filename, content, ref.content_type)
    return None
