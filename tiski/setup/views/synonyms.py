"""Search synonyms: words that find each other ("lasku, faktuura")."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tiski.search.models import SynonymGroup

from ..audit import form_changes, record_setting_change
from .common import admin_required

SECTION = "synonyms"


class SynonymGroupForm(forms.ModelForm):
    class Meta:
        model = SynonymGroup
        fields = ["words"]
        widgets = {"words": forms.TextInput(attrs={"placeholder": gettext_lazy("lasku, faktuura")})}

    def clean_words(self) -> str:
        words = [w.strip() for w in self.cleaned_data["words"].split(",") if w.strip()]
        if len(words) < 2:
            raise forms.ValidationError(
                _("Write at least two words, separated by commas, that mean the same.")
            )
        if any(" " in w for w in words):
            raise forms.ValidationError(
                _("Each synonym is one word; separate the words with commas.")
            )
        return ", ".join(dict.fromkeys(words))


@require_http_methods(["GET", "POST"])
@admin_required
def synonym_list(request: HttpRequest) -> HttpResponse:
    form = SynonymGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            group = form.save()
            record_setting_change(request.user, SECTION, "created", group, form_changes(form))
        flash.success(request, _("Synonyms added: %(words)s") % {"words": group.words})
        return redirect("setup:synonyms")
    return render(
        request,
        "setup/synonyms.html",
        {"groups": SynonymGroup.objects.all(), "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@admin_required
def synonym_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(SynonymGroup, pk=pk)
    form = SynonymGroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form_changes(form)
            form.save()
            record_setting_change(request.user, SECTION, "changed", group, changes)
        flash.success(request, _("Synonyms saved."))
        return redirect("setup:synonyms")
    return render(
        request,
        "setup/synonym_edit.html",
        {"group": group, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def synonym_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(SynonymGroup, pk=pk)
    with transaction.atomic():
        record_setting_change(request.user, SECTION, "deleted", group)
        group.delete()
    flash.success(request, _("Synonyms removed: %(words)s") % {"words": group.words})
    return redirect("setup:synonyms")
