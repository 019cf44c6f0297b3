"""What the channel account pages share (SMS numbers, WhatsApp numbers, Messenger and
Instagram): saving the edit form with its settings-log entry."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .. import audit


def save_account(
    request: HttpRequest,
    form: ModelForm,
    existing: models.Model | None,
    *,
    section: str,
    edit_view: str,
) -> HttpResponse | None:
    """Save a valid POSTed account form and go to its page; None: show the form again.

    The form's ``log_changes`` masks its secrets in the log; an unchanged
    save of an existing account logs nothing.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    with transaction.atomic():
        changes = form.log_changes(audit.form_changes(form))  # type: ignore[attr-defined]
        saved = form.save()
        if existing is None or changes:
            audit.record_setting_change(
                request.user, section, "changed" if existing else "created", saved, changes
            )
    flash.success(request, _("Saved %(account)s.") % {"account": saved})
    return redirect(edit_view, pk=saved.pk)
