"""Settings → Side-panel cards: admins define the cards every ticket page shows.

Each save is written to the settings change log; the authorization
header is encrypted at rest, never shown back, and kept when the field is
left empty on an edit.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiski.setup.audit import form_changes, record_setting_change
from tiski.setup.views.common import admin_required

from . import templating
from .models import SidePanelCard

SECTION = "side_panel_cards"
HIDDEN = "••••"


class CardForm(forms.ModelForm):
    class Meta:
        model = SidePanelCard
        fields = ["name", "kind", "url_template", "auth_header", "position", "active"]
        widgets = {
            "auth_header": forms.PasswordInput(render_value=False),
            "url_template": forms.TextInput(),
        }

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.old_header = self.instance.auth_header if self.instance.pk else ""
        if self.old_header:
            self.fields["auth_header"].help_text = _(
                "A header is stored. Leave empty to keep it; tick “Remove” to drop it."
            )
            self.fields["remove_auth_header"] = forms.BooleanField(
                label=_("Remove the stored header"), required=False
            )

    def clean_url_template(self) -> str:
        template = self.cleaned_data["url_template"].strip()
        unknown = templating.unknown_placeholders(template)
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholder: %(names)s. Known: %(known)s.")
                % {
                    "names": ", ".join(unknown),
                    "known": ", ".join(f"{{{{{n}}}}}" for n in templating.NAMES),
                }
            )
        try:
            templating.check(template)
        except templating.TemplateError as exc:
            raise forms.ValidationError(_("Write a whole http:// or https:// address.")) from exc
        return template

    def clean_auth_header(self) -> str:
        given = (self.cleaned_data.get("auth_header") or "").strip()
        if "\n" in given or "\r" in given:
            raise forms.ValidationError(_("A header is one line."))
        return given

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if not data.get("auth_header") and not data.get("remove_auth_header"):
            data["auth_header"] = self.old_header
        return data


def _changes(form: CardForm) -> dict:
    changes = form_changes(form)
    if "auth_header" in changes or form.cleaned_data.get("remove_auth_header"):
        changes["auth_header"] = [HIDDEN if form.old_header else "", HIDDEN]
        if not form.cleaned_data.get("auth_header"):
            changes["auth_header"][1] = ""
    changes.pop("remove_auth_header", None)
    return changes


@admin_required
def card_list(request: HttpRequest) -> HttpResponse:
    return render(request, "sidepanel/list.html", {"cards": SidePanelCard.objects.all()})


@admin_required
@require_http_methods(["GET", "POST"])
def card_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    card = get_object_or_404(SidePanelCard, pk=pk) if pk else None
    form = CardForm(request.POST or None, instance=card)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.auth_header = form.cleaned_data["auth_header"]
            saved.updated_at = timezone.now()
            saved.save()
            record_setting_change(
                request.user, SECTION, "updated" if card else "created", saved, _changes(form)
            )
        flash.success(request, _("Card saved."))
        return redirect("setup:side-panel-cards")
    return render(
        request,
        "sidepanel/edit.html",
        {"form": form, "card": card, "placeholders": templating.NAMES},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def card_delete(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(SidePanelCard, pk=pk)
    with transaction.atomic():
        record_setting_change(request.user, SECTION, "deleted", card)
        card.delete()
    flash.success(request, _("Card deleted."))
    return redirect("setup:side-panel-cards")
