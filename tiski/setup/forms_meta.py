"""The Facebook page / Instagram account form: the token and app secret write-only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.connectors.meta.models import MetaAccount

from .forms_secrets import SecretFieldsMixin, secret_widgets

SECRETS = ("access_token", "app_secret")


class MetaAccountForm(SecretFieldsMixin, forms.ModelForm):
    SECRETS = SECRETS

    class Meta:
        model = MetaAccount
        fields = (
            "kind", "name", "account_id", "access_token", "app_secret", "verify_token",
            "default_team", "default_type", "active",
        )  # fmt: skip
        widgets = secret_widgets(SECRETS)
        help_texts = {
            "access_token": _(
                "The page access token (for Instagram: of the page the account is linked to), "
                "or env:NAME."
            ),
            "app_secret": _("The app's secret: it signs every webhook (X-Hub-Signature-256)."),
        }

    def clean_account_id(self) -> str:
        value = self.cleaned_data["account_id"].strip()
        if not value.isdigit():
            raise forms.ValidationError(_("Meta's IDs are digits only."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        clash = MetaAccount.objects.filter(
            kind=data.get("kind"), account_id=data.get("account_id")
        ).exclude(pk=self.instance.pk)
        if data.get("account_id") and clash.exists():
            self.add_error("account_id", _("This page or account is already connected."))
        return data
