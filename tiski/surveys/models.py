"""Satisfaction surveys: one row per survey sent, answered in place.

A CSAT survey follows a solved ticket; an NPS survey goes to a contact now
and then. Keeping the invitation and its answer on one row makes the
response rate a plain count (answered / sent) and lets a rating be changed
for a few days without a history table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    NPS = "nps", _("Recommendation (NPS)")


class SurveyInvitation(models.Model):
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    # CSAT: the solved ticket asked about. NPS: empty.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="surveys"
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="surveys"
    )
    # Whose work is rated: the ticket's assignee and team when the survey was
    # sent, so later reassignment does not move the rating.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, default="fi")
    email = models.EmailField(_("sent to"), blank=True)
    sent_at = models.DateTimeField(_("sent"), db_index=True)
    # CSAT: 1-5 (4 and 5 count as satisfied). NPS: 0-10.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        indexes = [
            models.Index(fields=["kind", "answered_at"]),
            models.Index(fields=["contact", "kind", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
