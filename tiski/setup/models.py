"""What the Settings area keeps of its own: the record of every change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SettingChange(models.Model):
    """One change made in Settings: who, when, what, and the values it touched.

    Append-only, like ticket events: the answer to "who turned this off?".
    """

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")
        # A mailbox's OAuth sign-in (Microsoft 365 / Google): first time, or again.
        CONNECTED = "connected", _("connected")
        RECONNECTED = "reconnected", _("reconnected")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    section = models.CharField(_("section"), max_length=50)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    object_label = models.CharField(_("object"), max_length=200)
    object_id = models.CharField(max_length=64, blank=True)
    # {"field": [old, new], ...} with values as the people who read the log
    # see them (labels, not ids), so the record stays readable after deletes.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("settings change")
        verbose_name_plural = _("settings changes")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.section} {self.action} {self.object_label}"
