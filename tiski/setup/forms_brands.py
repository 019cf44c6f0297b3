"""The form of Settings -> Help centre -> Brand: a help centre on its own host name."""

from __future__ import annotations

import re
import urllib.parse

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tiski.knowledge.models import Brand, Category
from tiski.portal.hosts import is_desk_host

from .forms_helpcentre import HelpCentreForm

# Letters, digits and hyphens in dot-separated labels, at least two labels:
# what DNS takes, and no port, path, user or wildcard.
HOST_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


class BrandForm(forms.ModelForm):
    logo = forms.FileField(label=_("Logo"), required=False)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The categories this help centre shows; none chosen shows them all."),
    )

    class Meta:
        model = Brand
        fields = [
            "name",
            "host",
            "colour",
            "footer",
            "footer_links",
            "language",
            "categories",
            "tag",
        ]
        widgets = {"footer_links": forms.Textarea(attrs={"rows": 3})}

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip().lower().rstrip(".")
        if not HOST_NAME.fullmatch(host):
            raise ValidationError(_("Write a host name like tuki.example.fi, without https://."))
        if is_desk_host(host):
            raise ValidationError(
                _("This host name is the desk's own (ALLOWED_HOSTS); a brand needs one of its own.")
            )
        return host

    def clean_footer_links(self) -> str:
        lines = []
        for line in self.cleaned_data["footer_links"].splitlines():
            if not line.strip():
                continue
            text, bar, url = (part.strip() for part in line.partition("|"))
            parts = urllib.parse.urlsplit(url)
            if not bar or not text or parts.scheme not in ("https", "http") or not parts.netloc:
                raise ValidationError(
                    _(
                        "“%(line)s” is not a link like Tietosuoja | https://www.example.fi/tietosuoja"
                    )
                    % {"line": line.strip()}
                )
            lines.append(f"{text} | {url}")
        return "\n".join(lines)

    # The same rules as the desk's own help centre: readable white text, a real image.
    clean_colour = HelpCentreForm.clean_colour
    clean_logo = HelpCentreForm.clean_logo
