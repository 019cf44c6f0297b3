"""Settings → API clients: server integrations using OAuth2 client credentials.

Admins only. The secret is shown once, on the page that made it; the
settings change log records each client made, given a new secret or
revoked (never the secret).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tiski.accounts.models import User
from tiski.setup.audit import record_setting_change
from tiski.setup.views.common import admin_required

from . import oauth
from .models import ApiClient, Scope

SECTION = "api_clients"


class ClientForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy('The system that connects, e.g. "CRM" or "Billing".'),
    )
    user = forms.ModelChoiceField(
        label=gettext_lazy("Acts as"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("A new integration user"),
        help_text=gettext_lazy(
            "The client sees and changes exactly what this user may. A new integration user "
            "is an agent nobody can sign in as: give it teams under Agents."
        ),
    )
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), choices=Scope.choices)


@admin_required
def client_list(request: HttpRequest) -> HttpResponse:
    return render(request, "api/clients/list.html", _context())


def _context(**extra) -> dict:
    clients = ApiClient.objects.select_related("user")
    return {
        "clients": clients.filter(revoked_at__isnull=True),
        "revoked": clients.filter(revoked_at__isnull=False).order_by("-revoked_at")[:20],
        **extra,
    }


@admin_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                client, secret = oauth.create_client(
                    name=form.cleaned_data["name"],
                    user=form.cleaned_data["user"],
                    scope=form.cleaned_data["scope"],
                    created_by=request.user,
                )
                record_setting_change(
                    request.user,
                    SECTION,
                    "created",
                    client,
                    {"user": [None, str(client.user)], "scope": [None, client.scope]},
                )
        except PermissionDenied as exc:
            form.add_error("scope", str(exc))
        else:
            return _show_secret(request, client, secret)
    return render(
        request, "api/clients/edit.html", {"form": form}, status=400 if form.errors else 200
    )


def _show_secret(request: HttpRequest, client: ApiClient, secret: str) -> HttpResponse:
    # Rendered, never redirected: the secret sits in no session or URL.
    return render(
        request,
        "api/clients/secret.html",
        {"client": client, "secret": secret},
        status=201,
    )


@admin_required
@require_POST
def client_secret(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(ApiClient, pk=pk, revoked_at__isnull=True)
    with transaction.atomic():
        secret = oauth.new_secret(client)
        record_setting_change(
            request.user, SECTION, "updated", client, {"secret": ["••••", "••••"]}
        )
    return _show_secret(request, client, secret)


@admin_required
@require_POST
def client_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(ApiClient, pk=pk)
    with transaction.atomic():
        oauth.revoke_client(client)
        record_setting_change(request.user, SECTION, "deleted", client)
    flash.success(
        request, _("The client %(name)s and its tokens no longer work.") % {"name": client.name}
    )
    return redirect("setup:api-clients")
