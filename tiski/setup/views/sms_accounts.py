"""Settings → SMS numbers: list, add, edit, delete, and send a test SMS.

The test goes through the channel's own sender, straight (not through the
outbox): the admin waits for the answer and gets the provider's error in
a sentence.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.connectors.sms import providers
from tiski.connectors.sms.models import SmsAccount
from tiski.connectors.transport import TransportError

from ..forms_sms import SmsAccountForm, TestSendForm
from .channel_accounts import save_account
from .common import admin_required

SECTION = "sms_accounts"

# The shared edit page's links (setup/channel_accounts/edit.html).
EDIT_VIEWS = {"list_view": "setup:sms-accounts", "delete_view": "setup:sms-account-delete"}


@require_GET
@admin_required
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = SmsAccount.objects.select_related("default_team")
    return render(request, "setup/sms/list.html", {"accounts": accounts})


@require_http_methods(["GET", "POST"])
@admin_required
def account_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    account = get_object_or_404(SmsAccount, pk=pk) if pk is not None else None
    form = SmsAccountForm(request.POST or None, instance=account)
    done = save_account(request, form, account, section=SECTION, edit_view="setup:sms-account-edit")
    if done is not None:
        return done
    context = {
        "form": form,
        "account": account,
        **EDIT_VIEWS,
        "test_form": TestSendForm(),
        "inbound_url": request.build_absolute_uri(reverse("sms:inbound", args=[account.pk]))
        if account
        else "",
        "status_url": request.build_absolute_uri(reverse("sms:status", args=[account.pk]))
        if account
        else "",
    }
    return render(request, "setup/sms/edit.html", context, status=400 if form.errors else 200)


@require_POST
@admin_required
def account_test(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(SmsAccount, pk=pk)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        flash.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("setup:sms-account-edit", pk=account.pk)
    try:
        providers.send(account, form.cleaned_data["to"], _("A test message from Tiski."))
    except TransportError as exc:
        flash.error(request, _("The test SMS was not sent: %(error)s") % {"error": exc})
    else:
        flash.success(request, _("The test SMS was sent to %(to)s.") % form.cleaned_data)
    return redirect("setup:sms-account-edit", pk=account.pk)
