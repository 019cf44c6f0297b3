"""The agent's web chat toggle in the account menu: available or away.

New chats go only to agents who said they are available (see
``tiski.connectors.webchat.availability``); with nobody available the widget
shows its offline message and the chat is answered by email.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST


@login_required
@require_POST
def set_chat_availability(request: HttpRequest) -> HttpResponse:
    # A light agent never answers customers, so never takes a chat.
    if request.user.can_reply_publicly:
        request.user.chat_available = request.POST.get("available") == "1"
        request.user.save(update_fields=["chat_available"])
    target = request.POST.get("next") or reverse("desk:inbox")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("desk:inbox")
    return HttpResponseRedirect(target)
