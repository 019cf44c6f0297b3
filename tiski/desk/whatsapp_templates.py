"""Sending an approved WhatsApp template from the ticket page.

Outside the 24-hour window WhatsApp takes nothing but a template approved at
Meta; the composer offers the number's templates (the WhatsApp reply route's).
The reply is written as a public message whose text is the template with
its variables filled in, and whose meta names the template, so the
channel's sender sends it as a template.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiski.connectors.routes import reply_route
from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Channel, MessageKind, Via


@login_required
@require_POST
def send_template(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    route = reply_route(ticket)
    template_id = request.POST.get("template", "")
    template = next((t for t in route.templates if str(t.pk) == template_id), None)
    if route.channel != Channel.WHATSAPP or template is None:
        flash.error(request, _("That template cannot be sent on this ticket."))
        return redirect(ticket.get_absolute_url())
    values = [v.strip() for v in request.POST.get("variables", "").splitlines() if v.strip()]
    if len(values) != template.variables:
        flash.error(
            request,
            _("The template %(name)s needs %(count)d variables; %(given)d were given.")
            % {"name": template.name, "count": template.variables, "given": len(values)},
        )
        return redirect(ticket.get_absolute_url())
    try:
        with actions.unit_of_work():
            actions.add_message(
                ticket,
                kind=MessageKind.PUBLIC,
                actor=request.user,
                via=Via.AGENT,
                text=template.render(values),
                channel=Channel.WHATSAPP,
                meta={**route.meta, "template": template.pk, "variables": values},
            )
    except (PermissionDenied, ValidationError) as exc:
        flash.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(ticket.get_absolute_url())
    flash.success(request, _("The template %(name)s was sent.") % {"name": template.name})
    return redirect(ticket.get_absolute_url())
