"""The form of Settings -> Help centre: name, logo, colour, footer, the portal's default."""

from __future__ import annotations

import re
import urllib.parse

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tiski.knowledge.images import sniff_image
from tiski.knowledge.models import HelpCentreSettings

MAX_LOGO_BYTES = 1024 * 1024
# WCAG 2.1 AA for normal text: the header's white text on the accent colour.
MIN_CONTRAST = 4.5


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


class HelpCentreForm(forms.ModelForm):
    logo = forms.FileField(label=_("Logo"), required=False)

    class Meta:
        model = HelpCentreSettings
        fields = [
            "name",
            "colour",
            "footer",
            "organisation_requests",
            "portal_passwords",
            "embed_origins",
        ]
        widgets = {"embed_origins": forms.Textarea(attrs={"rows": 3})}

    def clean_embed_origins(self) -> str:
        """Each line an origin (scheme, host, optional port): what frame-ancestors takes."""
        origins = []
        for line in self.cleaned_data["embed_origins"].splitlines():
            line = line.strip().rstrip("/")
            if not line:
                continue
            parts = urllib.parse.urlsplit(line)
            if parts.scheme not in ("https", "http") or not parts.hostname or parts.path:
                raise ValidationError(
                    _("“%(line)s” is not a site address like https://www.example.fi.")
                    % {"line": line}
                )
            origins.append(f"{parts.scheme}://{parts.netloc}".lower())
        return "\n".join(dict.fromkeys(origins))

    def clean_colour(self) -> str:
        colour = self.cleaned_data["colour"].strip()
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            raise ValidationError(_("Write the colour as #rrggbb, for example #1f5fa8."))
        if contrast_with_white(colour) < MIN_CONTRAST:
            raise ValidationError(
                _("White text is hard to read on this colour; choose a darker one.")
            )
        return colour.lower()

    def clean_logo(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data.get("logo")
        if upload is None:
            return None
        if upload.size and upload.size > MAX_LOGO_BYTES:
            raise ValidationError(_("The logo may be at most 1 MB."))
        head = upload.read(16)
        upload.seek(0)
        kind = sniff_image(head)
        if kind is None:
            raise ValidationError(_("Only PNG, JPEG, GIF and WebP images."))
        upload.sniffed_type = kind
        return upload
