"""Settings → Messenger and Instagram: list, add, edit and delete pages and accounts.

One page serves both kinds: a Facebook page (Messenger) or an Instagram
professional account, each with its own webhook URL to give to Meta.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from tiski.connectors.meta.models import MetaAccount

from ..forms_meta import MetaAccountForm
from .channel_accounts import save_account
from .common import admin_required

SECTION = "meta_accounts"
# The shared edit page's links (setup/channel_accounts/edit.html).
EDIT_VIEWS = {"list_view": "setup:meta-accounts", "delete_view": "setup:meta-account-delete"}


@require_GET
@admin_required
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = MetaAccount.objects.select_related("default_team")
    return render(request, "setup/meta/list.html", {"accounts": accounts})


@require_http_methods(["GET", "POST"])
@admin_required
def account_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    account = get_object_or_404(MetaAccount, pk=pk) if pk is not None else None
    form = MetaAccountForm(request.POST or None, instance=account)
    done = save_account(
        request, form, account, section=SECTION, edit_view="setup:meta-account-edit"
    )
    if done is not None:
        return done
    context = {
        "form": form,
        "account": account,
        **EDIT_VIEWS,
        "webhook_url": request.build_absolute_uri(reverse("meta:webhook", args=[account.pk]))
        if account
        else "",
    }
    return render(request, "setup/meta/edit.html", context, status=400 if form.errors else 200)
