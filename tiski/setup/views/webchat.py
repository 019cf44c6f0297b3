"""Settings → Web chat: list, add and edit chat widgets, and the snippet to embed."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiski.connectors.webchat.models import ChatWidget

from .. import audit
from ..forms_webchat import ChatWidgetForm
from .common import admin_required

SECTION = "webchat"


def embed_snippet(request: HttpRequest, widget: ChatWidget) -> str:
    src = request.build_absolute_uri(reverse("webchat:widget_js", args=[widget.public_key]))
    return f'<script src="{src}" async></script>'


@require_GET
@admin_required
def widget_list(request: HttpRequest) -> HttpResponse:
    widgets = ChatWidget.objects.select_related("default_team")
    return render(request, "setup/webchat/list.html", {"widgets": widgets})


@require_http_methods(["GET", "POST"])
@admin_required
def widget_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    widget = get_object_or_404(ChatWidget, pk=pk) if pk is not None else None
    form = ChatWidgetForm(request.POST or None, instance=widget)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = audit.form_changes(form)
            saved = form.save()
            if widget is None or changes:
                audit.record_setting_change(
                    request.user, SECTION, "changed" if widget else "created", saved, changes
                )
        flash.success(request, _("Saved %(widget)s.") % {"widget": saved})
        return redirect("setup:chat-widget-edit", pk=saved.pk)
    context = {
        "form": form,
        "widget": widget,
        "snippet": embed_snippet(request, widget) if widget else "",
    }
    return render(request, "setup/webchat/edit.html", context, status=400 if form.errors else 200)
