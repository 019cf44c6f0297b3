"""Settings → Mailboxes: list, add, edit, and the two connection checks."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.connectors.email.oauth_views import redirect_uri
from tiski.connectors.models import AuthMethod, EspName, InboundMethod, Mailbox

from .. import audit, mailbox_checks
from ..forms_mailboxes import MailboxForm, TestMailForm
from .common import admin_required

SECTION = "mailboxes"


@require_GET
@admin_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = Mailbox.objects.select_related("default_team", "default_type")
    return render(request, "setup/mailboxes/list.html", {"mailboxes": mailboxes})


@require_http_methods(["GET", "POST"])
@admin_required
def mailbox_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk is not None else None
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                changes = form.log_changes(audit.form_changes(form))
                saved = form.save()
                # Saving without a change is not a change: the log stays readable.
                if mailbox is None or changes:
                    audit.record_setting_change(
                        request.user,
                        SECTION,
                        "changed" if mailbox else "created",
                        saved,
                        changes,
                    )
            flash.success(request, _("Saved %(address)s.") % {"address": saved.address})
            return redirect("setup:mailbox-edit", pk=saved.pk)
    context = {
        "form": form,
        "mailbox": mailbox,
        "test_form": TestMailForm(initial={"to": request.user.email}),  # type: ignore[union-attr]
        "oauth": bool(mailbox and mailbox.auth_method != AuthMethod.PASSWORD),
        "connected": bool(mailbox and mailbox.oauth_refresh_token),
        "oauth_next": reverse("setup:mailbox-edit", args=[mailbox.pk]) if mailbox else "",
        "oauth_redirect_uri": redirect_uri(request),
        # What an email service posts inbound mail to (one address per service).
        "webhook_urls": [
            (label, request.build_absolute_uri(reverse("email:inbound", args=[esp, mailbox.pk])))
            for esp, label in EspName.choices
        ]
        if mailbox and mailbox.inbound_method == InboundMethod.WEBHOOK
        else [],
    }
    return render(
        request,
        "setup/mailboxes/edit.html",
        context,
        status=400 if form.errors else 200,
    )


def _result(
    request: HttpRequest, mailbox: Mailbox, outcome: mailbox_checks.Outcome
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "setup/mailboxes/_check_result.html", {"outcome": outcome})
    (flash.success if outcome.ok else flash.error)(request, outcome.message)
    return redirect("setup:mailbox-edit", pk=mailbox.pk)


@require_POST
@admin_required
def mailbox_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk)
    form = TestMailForm(request.POST)
    if not form.is_valid():
        outcome = mailbox_checks.Outcome(
            False, _("Give the address to send the test mail to, like name@example.com.")
        )
    else:
        outcome = mailbox_checks.send_test_mail(mailbox, form.cleaned_data["to"])
    return _result(request, mailbox, outcome)


@require_POST
@admin_required
def mailbox_check_inbox(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk)
    return _result(request, mailbox, mailbox_checks.check_inbox(mailbox))
