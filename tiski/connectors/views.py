"""Channel views for agents: re-sending an email or a message that failed."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiski.connectors import outbox
from tiski.connectors.messaging import outbox as messaging_outbox
from tiski.connectors.models import OutboundEmail, OutboundMessage
from tiski.tickets.models import Ticket


@login_required
@require_POST
def retry_outbound(request: HttpRequest, outbound_id: int) -> HttpResponse:
    """Queue a failed email again; only for agents who see its ticket and may write to customers."""
    row = (
        OutboundEmail.objects.filter(
            pk=outbound_id, ticket__in=Ticket.objects.visible_to(request.user)
        )
        .select_related("ticket")
        .first()
    )
    if row is None:
        # The same answer for "no such email" and "not yours": ids are guessable.
        raise Http404(_("No such email."))
    if not request.user.can_reply_publicly:
        raise PermissionDenied(_("Light agents cannot send email to customers."))
    if outbox.retry(row):
        flash.success(request, _("The email is being sent again."))
    else:
        flash.info(request, _("The email was not waiting for a retry."))
    return redirect(row.message.get_absolute_url() if row.message_id else row.ticket)


@login_required
@require_POST
def retry_message(request: HttpRequest, row_id: int) -> HttpResponse:
    """Queue a failed SMS (or other non-email message) again; the same checks as for email."""
    row = (
        OutboundMessage.objects.filter(
            pk=row_id, ticket__in=Ticket.objects.visible_to(request.user)
        )
        .select_related("ticket")
        .first()
    )
    if row is None:
        raise Http404(_("No such message."))
    if not request.user.can_reply_publicly:
        raise PermissionDenied(_("Light agents cannot send messages to customers."))
    if messaging_outbox.retry(row):
        flash.success(request, _("The message is being sent again."))
    else:
        flash.info(request, _("The message was not waiting for a retry."))
    return redirect(row.message.get_absolute_url() if row.message_id else row.ticket)
