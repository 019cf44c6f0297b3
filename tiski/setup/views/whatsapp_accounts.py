"""Settings → WhatsApp numbers: list, add, edit, delete, and each number's templates.

A template is entered as Meta approved it (name, language, the text with
{{1}}, {{2}}…); the number of variables is read from the text.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.connectors.whatsapp.models import WhatsAppAccount, WhatsAppTemplate

from .. import audit
from ..forms_whatsapp import WhatsAppAccountForm, WhatsAppTemplateForm
from .channel_accounts import save_account
from .common import admin_required

SECTION = "whatsapp_accounts"

# The shared edit page's links (setup/channel_accounts/edit.html).
EDIT_VIEWS = {
    "list_view": "setup:whatsapp-accounts",
    "delete_view": "setup:whatsapp-account-delete",
}


@require_GET
@admin_required
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = WhatsAppAccount.objects.select_related("default_team")
    return render(request, "setup/whatsapp/list.html", {"accounts": accounts})


@require_http_methods(["GET", "POST"])
@admin_required
def account_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    account = get_object_or_404(WhatsAppAccount, pk=pk) if pk is not None else None
    form = WhatsAppAccountForm(request.POST or None, instance=account)
    done = save_account(
        request, form, account, section=SECTION, edit_view="setup:whatsapp-account-edit"
    )
    if done is not None:
        return done
    context = {
        "form": form,
        "account": account,
        **EDIT_VIEWS,
        "templates": account.templates.all() if account else [],
        "template_form": WhatsAppTemplateForm(),
        "webhook_url": request.build_absolute_uri(reverse("whatsapp:webhook", args=[account.pk]))
        if account
        else "",
    }
    return render(request, "setup/whatsapp/edit.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_required
def template_edit(request: HttpRequest, pk: int, template_pk: int | None = None) -> HttpResponse:
    account = get_object_or_404(WhatsAppAccount, pk=pk)
    template = (
        get_object_or_404(WhatsAppTemplate, pk=template_pk, account=account)
        if template_pk is not None
        else WhatsAppTemplate(account=account)
    )
    form = WhatsAppTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = audit.form_changes(form)
            saved = form.save()
            audit.record_setting_change(
                request.user, SECTION, "changed" if template_pk else "created", saved, changes
            )
        flash.success(request, _("Saved %(template)s.") % {"template": saved})
        return redirect("setup:whatsapp-account-edit", pk=account.pk)
    context = {"form": form, "account": account, "template": template}
    return render(
        request, "setup/whatsapp/template.html", context, status=400 if form.errors else 200
    )


@require_POST
@admin_required
def template_delete(request: HttpRequest, pk: int, template_pk: int) -> HttpResponse:
    template = get_object_or_404(WhatsAppTemplate, pk=template_pk, account_id=pk)
    with transaction.atomic():
        audit.record_setting_change(request.user, SECTION, "deleted", template, {})
        template.delete()
    flash.success(request, _("Deleted %(template)s.") % {"template": template})
    return redirect("setup:whatsapp-account-edit", pk=pk)
