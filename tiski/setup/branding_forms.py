"""Saving a form that carries a help centre's look: the desk's own or a brand's."""

from __future__ import annotations

from django import forms
from django.db import models

from tiski.knowledge.images import EXTENSIONS


def save_with_logo(form: forms.ModelForm) -> models.Model:
    """Save the row; an uploaded logo is stored under a name from its sniffed
    type (never the uploader's file name) with that type beside it."""
    saved = form.save(commit=False)
    logo = form.cleaned_data.get("logo")
    if logo is not None:
        saved.logo.save(f"logo.{EXTENSIONS[logo.sniffed_type]}", logo, save=False)
        saved.logo_content_type = logo.sniffed_type
    saved.save()
    form.save_m2m()
    return saved
