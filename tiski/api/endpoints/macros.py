"""Ready answers (macros): list the ones the user may use, apply one to a ticket."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from tiski.macros.models import Macro
from tiski.macros.services import apply_to_tickets
from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import MessageKind

from ..schemas import Error, MacroApplyIn, MacroOut, TicketOut
from .tickets import ticket_response

router = Router(tags=["macros"])


@router.get("/macros", response=list[MacroOut])
def list_macros(request: HttpRequest):
    return [{"id": m.pk, "name": m.name} for m in Macro.objects.usable_by(request.user)]


@router.post(
    "/macros/{int:macro_id}/apply",
    response={200: TicketOut, 403: Error, 404: Error, 422: Error},
    exclude_unset=True,
)
def apply_macro(request: HttpRequest, macro_id: int, payload: MacroApplyIn):
    """Send the ready answer as a public reply on the ticket and make its changes.

    The same path as the desk's "apply to selected tickets", for one ticket.
    """
    macro = Macro.objects.usable_by(request.user).filter(pk=macro_id).first()
    if macro is None:
        raise Http404(_("No such ready answer."))
    ticket = get_visible_ticket(request.user, payload.ticket)
    actions.check_can_write_message(request.user, MessageKind.PUBLIC)
    record = apply_to_tickets(macro, [ticket], request.user)
    if str(ticket.pk) in record.skipped:
        raise ValidationError(record.skipped[str(ticket.pk)])
    return ticket_response(ticket)
