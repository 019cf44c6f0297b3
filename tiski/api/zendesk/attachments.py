"""A comment's attachments: their record and their file, for tickets the user sees."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest

from tiski.tickets.models import Attachment, Ticket

from . import shapes
from .endpoint import api_base, endpoint
from .errors import not_found


def _visible(request: HttpRequest, attachment_id: int) -> Attachment:
    found = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if (
        found is None
        or not Ticket.objects.visible_to(request.user).filter(pk=found.message.ticket_id).exists()
    ):
        raise not_found()
    return found


@endpoint("GET")
def attachment(request: HttpRequest, attachment_id: int):
    return {"attachment": shapes.attachment(_visible(request, attachment_id), api_base(request))}


@endpoint("GET")
def download(request: HttpRequest, attachment_id: int):
    """The file as a download, never rendered by a browser (as in /api/v1/)."""
    found = _visible(request, attachment_id)
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
