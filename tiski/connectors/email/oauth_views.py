"""The admin's "Connect account" flow for Microsoft 365 and Google mailboxes.

``connect`` keeps a random state and a PKCE verifier in the admin's session
and sends the browser to the provider; ``callback`` accepts only a state it
issued to this session (which is what makes the flow CSRF-safe: a forged
callback carries a state the victim's session never saw), exchanges the
code and reports the result on the page the flow started from (Settings →
the mailbox, or its admin page). A connection made is announced to the
handlers in ``settings.TISKI_MAILBOX_CONNECTED_HANDLERS`` (the Settings
change log), which this layer does not import.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tiski.connectors.models import Mailbox

from . import oauth

SESSION_KEY = "tiski_oauth_flows"
# Long enough to sign in with MFA, short enough that a leaked state is stale.
FLOW_MAX_AGE_SECONDS = 15 * 60
MAX_PENDING_FLOWS = 5


def redirect_uri(request: HttpRequest) -> str:
    """The callback URL to register in Azure / Google Cloud (must match exactly)."""
    path = reverse("email:oauth-callback")
    base = getattr(settings, "TISKI_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def _change_url(mailbox_id: int, back: str = "") -> str:
    return back or reverse("admin:comms_mailbox_change", args=[mailbox_id])


def _back(request: HttpRequest) -> str:
    """Where the flow was started (the desk's Settings or the admin), if a local page."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _check_permission(request: HttpRequest) -> None:
    if not request.user.has_perm("comms.change_mailbox"):
        raise PermissionDenied


@never_cache
# The desk's login, not the admin's: a session lost mid-flow signs in to the desk.
@login_required
def connect(request: HttpRequest, mailbox_id: int) -> HttpResponseRedirect:
    _check_permission(request)
    mailbox = get_object_or_404(Mailbox, pk=mailbox_id)
    back = _back(request)
    state, verifier = oauth.new_state(), oauth.new_code_verifier()
    uri = redirect_uri(request)
    try:
        url = oauth.authorization_url(mailbox, uri, state, verifier)
    except oauth.OAuthError as exc:
        messages.error(
            request,
            _("Cannot connect %(address)s: %(error)s")
            % {"address": mailbox.address, "error": exc.message},
        )
        return HttpResponseRedirect(_change_url(mailbox.pk, back))
    now = time.time()
    flows = {
        key: flow
        for key, flow in request.session.get(SESSION_KEY, {}).items()
        if now - flow["started"] < FLOW_MAX_AGE_SECONDS
    }
    flows[state] = {
        "mailbox": mailbox.pk,
        "verifier": verifier,
        "redirect_uri": uri,
        "started": now,
        "back": back,
    }
    # An admin may start several connections in tabs; keep only the newest few.
    newest = sorted(flows.items(), key=lambda item: item[1]["started"])[-MAX_PENDING_FLOWS:]
    request.session[SESSION_KEY] = dict(newest)
    return HttpResponseRedirect(url)


@never_cache
@login_required
def callback(request: HttpRequest) -> HttpResponseRedirect:
    _check_permission(request)
    flows = request.session.get(SESSION_KEY, {})
    flow = flows.pop(request.GET.get("state", ""), None)
    request.session[SESSION_KEY] = flows  # a state is good for one use only
    mailbox = Mailbox.objects.filter(pk=flow["mailbox"]).first() if flow else None
    if mailbox is None or time.time() - flow["started"] >= FLOW_MAX_AGE_SECONDS:
        messages.error(
            request,
            _(
                "The sign-in could not be finished: it did not match a connection started "
                "in this browser, or it took longer than 15 minutes. Nothing was changed. "
                "Open the mailbox below and sign in again."
            ),
        )
        # Lost or expired: the mailbox is unknown, so back to the list in Settings.
        return HttpResponseRedirect(reverse("setup:mailboxes"))
    back = flow.get("back", "")
    if request.GET.get("error"):
        messages.error(
            request,
            _("Access was not granted for %(address)s: %(error)s")
            % {
                "address": mailbox.address,
                "error": request.GET.get("error_description") or request.GET["error"],
            },
        )
        return HttpResponseRedirect(_change_url(mailbox.pk, back))
    reconnected = bool(mailbox.oauth_refresh_token)
    try:
        oauth.exchange_code(
            mailbox, request.GET.get("code", ""), flow["redirect_uri"], flow["verifier"]
        )
    except oauth.OAuthError as exc:
        messages.error(
            request,
            _("Connecting %(address)s failed: %(error)s")
            % {"address": mailbox.address, "error": exc.message},
        )
    else:
        _announce_connected(request, mailbox, reconnected=reconnected)
        messages.success(
            request,
            _("%(address)s is connected. Tiski renews its access by itself.")
            % {"address": mailbox.address},
        )
    return HttpResponseRedirect(_change_url(mailbox.pk, back))


def _announce_connected(request: HttpRequest, mailbox: Mailbox, *, reconnected: bool) -> None:
    """Tell the handlers (the Settings change log) who connected the mailbox."""
    for path in getattr(settings, "TISKI_MAILBOX_CONNECTED_HANDLERS", []):
        import_string(path)(actor=request.user, mailbox=mailbox, reconnected=reconnected)
