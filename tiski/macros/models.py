"""Ready answers (macros): a reply text with placeholders plus ticket changes."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiski.core.placeholders import ALLOWED_PLACEHOLDERS, unknown_placeholders
from tiski.tickets.models import Priority, Status


class MacroQuerySet(models.QuerySet["Macro"]):
    def usable_by(self, user) -> MacroQuerySet:
        """Shared macros and the user's own."""
        return self.filter(Q(owner__isnull=True) | Q(owner=user), active=True)


class Macro(models.Model):
    name = models.CharField(_("name"), max_length=100)
    shortcut = models.SlugField(
        _("shortcut"),
        max_length=40,
        help_text=_("Type ;shortcut in the reply box to insert this answer."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("owner"),
        help_text=_("Empty: shared with everyone."),
    )
    text_fi = models.TextField(_("text in Finnish"), blank=True)
    text_en = models.TextField(_("text in English"), blank=True)
    set_status = models.CharField(
        _("then set status"),
        max_length=10,
        blank=True,
        choices=[c for c in Status.choices if c[0] != Status.CLOSED],
    )
    set_priority = models.CharField(
        _("then set priority"), max_length=10, blank=True, choices=Priority.choices
    )
    set_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("then move to team"),
    )
    add_tags = models.JSONField(_("then add tags"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)

    objects = MacroQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("ready answer")
        verbose_name_plural = _("ready answers")
        constraints = [
            models.UniqueConstraint(fields=["owner", "shortcut"], name="macro_unique_shortcut"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.text_fi.strip() or self.text_en.strip()):
            raise ValidationError(_("Write the answer in at least one language."))
        for field in ("text_fi", "text_en"):
            unknown = unknown_placeholders(getattr(self, field))
            if unknown:
                raise ValidationError(
                    {
                        field: _("Unknown placeholders %(names)s. You can use: %(allowed)s.")
                        % {
                            "names": ", ".join(unknown),
                            "allowed": ", ".join(f"{{{{ {p} }}}}" for p in ALLOWED_PLACEHOLDERS),
                        }
                    }
                )

    def text_for(self, language: str) -> str:
        preferred = self.text_en if language == "en" else self.text_fi
        return preferred or self.text_fi or self.text_en
