"""The call-event webhook, the screen pop and logging a call, click-to-call."""

from __future__ import annotations

import json
import logging

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pydantic import ValidationError as PydanticError

from tiski.connectors.transport import TransportError
from tiski.tickets.lookup import get_visible_ticket

from . import dialer, services
from .models import Call
from .numbers import display, to_e164
from .schemas import CallEventIn

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024
MAX_BATCH = 100


def _unauthorised(message: str, status: int = 401) -> JsonResponse:
    response = JsonResponse({"ok": False, "error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="tiski-phone"'
    return response


@csrf_exempt
@require_POST
def call_events(request: HttpRequest) -> JsonResponse:
    """POST /phone/events/: one event object, or a list of up to 100, per request."""
    auth = request.headers.get("Authorization", "")
    scheme, _sep, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorised("missing bearer token")
    line = services.line_for_token(token.strip())
    if line is None:
        return _unauthorised("unknown token")
    if not line.active:
        return _unauthorised("line is not active", status=403)
    if len(request.body) > MAX_BODY:
        return JsonResponse({"ok": False, "error": "body too large"}, status=413)
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"ok": False, "error": "body is not JSON"}, status=400)
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > MAX_BATCH or not all(isinstance(i, dict) for i in items):
        return JsonResponse(
            {"ok": False, "error": f"send one event object or a list of 1-{MAX_BATCH}"},
            status=400,
        )
    try:
        events = [CallEventIn.model_validate(item) for item in items]
    except PydanticError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "error": e["msg"]} for e in exc.errors()
        ]
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    results = []
    for event in events:
        result = services.ingest_event(line, event)
        call = result.call
        results.append(
            {
                "call_id": call.call_id,
                "event": event.event,
                "duplicate": result.duplicate,
                "ignored": result.ignored,
                "state": {
                    "direction": call.direction,
                    "phase": call.phase,
                    "cause": call.cause,
                    "number": call.number,
                    "contact": call.contact_id,
                    "agent": call.agent.email if call.agent else None,
                },
            }
        )
    if isinstance(body, list):
        return JsonResponse({"ok": True, "results": results})
    return JsonResponse({"ok": True, **results[0]})


def _call_for(user, pk: int) -> Call:
    call = get_object_or_404(Call.objects.select_related("line__team", "contact", "agent"), pk=pk)
    try:
        services.check_can_log(user, call)
    except PermissionDenied as exc:
        raise Http404(_("No such call.")) from exc
    return call


@login_required
@require_GET
def pop(request: HttpRequest, pk: int) -> HttpResponse:
    """The screen pop's content, fetched by the page when the push arrives."""
    call = _call_for(request.user, pk)
    tickets = services.open_tickets_for(request.user, call.contact)
    return render(
        request,
        "phone/_pop.html",
        {
            "call": call,
            "contact": call.contact,
            "tickets": tickets,
            "number_display": display(call.number) if call.number else call.raw_number,
        },
    )


@login_required
@require_POST
def log_call(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call_for(request.user, pk)
    choice = request.POST.get("ticket", "new")
    ticket = None
    if choice != "new":
        if not choice.strip().isdigit():
            raise Http404(_("No such ticket."))
        ticket = get_visible_ticket(request.user, int(choice))
    try:
        message = services.log_call(
            call,
            request.user,
            ticket=ticket,
            note=request.POST.get("note", "")[:20000],
            subject=request.POST.get("subject", "")[:300],
        )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("desk:inbox"))
    flash.success(request, _("The call was logged."))
    return HttpResponseRedirect(message.get_absolute_url())


@login_required
@require_POST
def dial(request: HttpRequest) -> HttpResponse:
    """Click-to-call: JSON for the page's script, a redirect back for a plain form."""
    number = to_e164(request.POST.get("number", ""))
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    ticket_number = request.POST.get("ticket")
    try:
        if not number:
            raise TransportError(_("Not a phone number."), permanent=True)
        dialer.dial(
            request.user,
            number,
            ticket_number=int(ticket_number) if (ticket_number or "").isdigit() else None,
        )
    except TransportError as exc:
        log.warning("click-to-call failed: %s", exc)
        if wants_json:
            return JsonResponse(
                {"ok": False, "error": _("The call could not be started.")}, status=502
            )
        flash.error(request, _("The call could not be started."))
    else:
        if wants_json:
            return JsonResponse({"ok": True, "number": number})
        flash.success(request, _("Calling %(number)s…") % {"number": display(number)})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("desk:inbox")
    return HttpResponseRedirect(back)
