"""The browsers that show an agent's notifications: subscribe one, remove one.

The browser's script (``static/desk/push.js``) posts the subscription the
Push API gave it; the agent removes a browser on the Preferences page.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiski.notifications.models import PushSubscription

# An agent rarely uses more browsers than this; the limit stops a script filling the table.
MAX_PER_USER = 10


class InvalidSubscription(ValueError):
    pass


def _key(text: object, size: int, name: str) -> str:
    if not isinstance(text, str) or len(text) > 200:
        raise InvalidSubscription(_("The browser sent no %(name)s key.") % {"name": name})
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSubscription(
            _("The %(name)s key is not valid base64.") % {"name": name}
        ) from exc
    if len(raw) != size:
        raise InvalidSubscription(_("The %(name)s key has the wrong length.") % {"name": name})
    return text.rstrip("=")


def parse(body: bytes) -> dict[str, str]:
    """The subscription's endpoint and keys, checked; ``InvalidSubscription`` otherwise."""
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidSubscription(_("The subscription is not JSON.")) from exc
    if not isinstance(data, dict):
        raise InvalidSubscription(_("The subscription is not JSON."))
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or len(endpoint) > 1000:
        raise InvalidSubscription(_("The subscription has no endpoint."))
    parts = urllib.parse.urlsplit(endpoint)
    # Push services are https; plain http only for a local test service.
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidSubscription(_("The endpoint is not a web address."))
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    p256dh = _key(keys.get("p256dh"), 65, "p256dh")
    auth = _key(keys.get("auth"), 16, "auth")
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    try:
        fields = parse(request.body)
    except InvalidSubscription as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    existing = PushSubscription.objects.filter(endpoint=fields["endpoint"]).first()
    if existing is None and request.user.push_subscriptions.count() >= MAX_PER_USER:
        return JsonResponse(
            {"error": _("Remove a browser on the Preferences page first.")}, status=409
        )
    # A shared computer: the endpoint now belongs to whoever signed in and subscribed.
    subscription, created = PushSubscription.objects.update_or_create(
        endpoint=fields["endpoint"],
        defaults={
            "user": request.user,
            "p256dh": fields["p256dh"],
            "auth": fields["auth"],
            "browser": request.headers.get("User-Agent", "")[:200],
            "last_error": "",
        },
    )
    return JsonResponse({"id": subscription.pk}, status=201 if created else 200)


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(PushSubscription, pk=pk, user=request.user)
    subscription.delete()
    flash.success(request, _("That browser no longer shows your notifications."))
    return redirect("desk:preferences")
