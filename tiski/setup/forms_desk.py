"""Forms of the desk-wide sections: general settings, ticket types, priority labels, tags."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tiski.core import desk
from tiski.core.models import DeskSettings
from tiski.tickets.models import Priority, Tag, TicketType

LOGO_MAX_BYTES = 512 * 1024
# Raster formats browsers show everywhere. No SVG: it can carry script.
LOGO_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(head: bytes) -> str:
    """The content type of a logo from its first bytes, or '' when not allowed."""
    for signature, content_type in LOGO_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


def time_zone_choices() -> list[tuple[str, str]]:
    server = settings.TIME_ZONE
    default = (
        "",
        _("Server default (%(zone)s)") % {"zone": server},
    )
    return [default, *((name, name) for name in sorted(desk.time_zone_names()))]


class GeneralForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, required=False)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = DeskSettings
        fields = ["name", "default_language", "time_zone", "logo"]
        # A plain file input: the stored file is shown as a preview, not as
        # a link into the media folder (which is not served).
        widgets = {
            "logo": forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"})
        }
        labels = {
            "name": _("Desk name"),
            "default_language": _("Default language"),
            "logo": _("Logo"),
        }
        help_texts = {
            "name": _("Shown in the top bar and in mails to colleagues. Empty: Tiski."),
            "default_language": _(
                "For new colleagues and for texts the desk writes itself. "
                "Empty: the server default."
            ),
            "logo": _("PNG, JPEG, GIF or WebP, at most 512 KB. Shown in the top bar."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_language"].choices = [
            ("", _("Server default (%(language)s)") % {"language": settings.LANGUAGE_CODE}),
            *settings.LANGUAGES,
        ]
        self.logo_content_type = ""
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if not logo or logo is False or not hasattr(logo, "content_type"):
            return logo  # unchanged, or cleared with the checkbox
        if logo.size > LOGO_MAX_BYTES:
            raise ValidationError(
                _("The logo is %(size)s KB; it can be at most 512 KB. Use a smaller image."),
                params={"size": logo.size // 1024},
            )
        logo.seek(0)
        content_type = sniff_image(logo.read(16))
        logo.seek(0)
        if not content_type:
            raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
        self.logo_content_type = content_type
        return logo


class TicketTypeForm(forms.ModelForm):
    class Meta:
        model = TicketType
        fields = ["name_fi", "name_en", "active"]
        help_texts = {
            "active": _("Inactive types stay on old tickets but cannot be chosen for new ones."),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for field in ("name_fi", "name_en"):
            name = (data.get(field) or "").strip()
            clash = TicketType.objects.filter(**{f"{field}__iexact": name})
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if name and clash.exists():
                self.add_error(
                    field, _("A ticket type called “%(name)s” already exists.") % {"name": name}
                )
        return data


LANGUAGE_NAMES = {"fi": _("Finnish"), "en": _("English")}


class PriorityLabelsForm(forms.Form):
    """One text box per priority and language; empty keeps the built-in label."""

    def __init__(self, *args: Any, current: dict[tuple[str, str], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[tuple[str, list[forms.BoundField]]] = []
        for value, label in Priority.choices:
            bound = []
            for language, _name in settings.LANGUAGES:
                name = self.field_name(value, language)
                self.fields[name] = forms.CharField(
                    label=f"{label} ({LANGUAGE_NAMES.get(language, language)})",
                    max_length=40,
                    required=False,
                    initial=current.get((value, language), ""),
                )
                bound.append(self[name])
            self.rows.append((str(label), bound))

    @staticmethod
    def field_name(priority: str, language: str) -> str:
        return f"{priority}_{language}"

    def wanted(self) -> dict[tuple[str, str], str]:
        """{(priority, language): label} of the non-empty boxes."""
        result = {}
        for value in Priority.values:
            for language, _name in settings.LANGUAGES:
                text = self.cleaned_data.get(self.field_name(value, language), "").strip()
                if text:
                    result[(value, language)] = text
        return result


class TagRenameForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=80)


class TagMergeForm(forms.Form):
    target = forms.CharField(
        label=_("Merge into"),
        max_length=80,
        widget=forms.TextInput(attrs={"list": "other-tags", "autocomplete": "off"}),
        help_text=_("The tag that stays. Tickets with both tags keep just that one."),
    )

    def __init__(self, *args: Any, source: Tag, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source

    def clean_target(self) -> Tag:
        name = Tag.normalise(self.cleaned_data["target"])
        target = Tag.objects.filter(name=name).first()
        if target is None:
            raise ValidationError(
                _("There is no tag called “%(name)s”. Pick one from the list."),
                params={"name": name},
            )
        if target.pk == self.source.pk:
            raise ValidationError(_("Choose another tag: a tag cannot be merged into itself."))
        return target
