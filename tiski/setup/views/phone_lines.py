"""Settings → Phone lines: list, add, edit; the API token is shown once.

The token is stored as the phone app does (encrypted, with a digest to find
the line by); this page shows it only right after it was made, from the
session, so a reload or a colleague later never sees it again.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.connectors.phone.models import PhoneLine, new_token

from .. import audit
from ..forms_phone import PhoneLineForm
from .common import admin_required

SECTION = "phone_lines"
SESSION_KEY = "setup_new_phone_token"


def _show_once(request: HttpRequest, line: PhoneLine) -> None:
    request.session[SESSION_KEY] = {"line": line.pk, "token": line.token}


@require_GET
@admin_required
def line_list(request: HttpRequest) -> HttpResponse:
    lines = PhoneLine.objects.select_related("team")
    return render(request, "setup/phone/list.html", {"lines": lines})


@require_http_methods(["GET", "POST"])
@admin_required
def line_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    line = get_object_or_404(PhoneLine, pk=pk) if pk is not None else None
    form = PhoneLineForm(request.POST or None, instance=line)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form.log_changes(audit.form_changes(form))
            saved = form.save()  # a new line gets its token in PhoneLine.save
            # Saving without a change is not a change: the log stays readable.
            if line is None or changes:
                audit.record_setting_change(
                    request.user, SECTION, "changed" if line else "created", saved, changes
                )
        if line is None:
            _show_once(request, saved)
        flash.success(request, _("Saved %(line)s.") % {"line": saved})
        return redirect("setup:phone-line-edit", pk=saved.pk)
    shown = request.session.get(SESSION_KEY)
    token = ""
    if line is not None and shown and shown.get("line") == line.pk:
        token = shown["token"]
        del request.session[SESSION_KEY]
    context = {"form": form, "line": line, "token": token}
    return render(request, "setup/phone/edit.html", context, status=400 if form.errors else 200)


@require_POST
@admin_required
def line_new_token(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(PhoneLine, pk=pk)
    with transaction.atomic():
        line.token = new_token()
        line.save()
        audit.record_setting_change(
            request.user, SECTION, "changed", line, {"token": ["••••••", _("new token")]}
        )
    _show_once(request, line)
    flash.success(request, _("A new token was made. The old one stopped working now."))
    return redirect("setup:phone-line-edit", pk=line.pk)
