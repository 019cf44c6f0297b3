"""Satisfaction surveys: one row per survey sent, answered in place.

A CSAT survey follows a solved ticket; an NPS survey goes to a contact now
and then. Keeping the invitation and its answer on one row makes the
response rate a plain count (answered / sent) and lets a rating be changed
for a few days without a history table.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
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

    @property
    def scale(self) -> range:
        """The scores the survey offers: 1-5 for CSAT, 0-10 for NPS."""
        return range(0, 11) if self.kind == SurveyKind.NPS else range(1, 6)


# The texts a desk starts with; admins change them in Settings -> Surveys.
# {{ ticket.subject }} and {{ ticket.number }} are filled in CSAT mails.
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "csat_subject": {
        "fi": "Miten onnistuimme?",
        "en": "How did we do?",
    },
    "csat_question": {
        "fi": "Miten onnistuimme asiassasi ”{{ ticket.subject }}”?",
        "en": "How did we do with your request “{{ ticket.subject }}”?",
    },
    "nps_subject": {
        "fi": "Suosittelisitko meitä?",
        "en": "Would you recommend us?",
    },
    "nps_question": {
        "fi": "Kuinka todennäköisesti suosittelisit meitä ystävällesi tai kollegallesi?",
        "en": "How likely are you to recommend us to a friend or colleague?",
    },
}


class SurveySettings(models.Model):
    """The one row of survey settings (pk 1), edited in Settings -> Surveys."""

    csat_enabled = models.BooleanField(_("send satisfaction surveys (CSAT)"), default=True)
    nps_enabled = models.BooleanField(_("send recommendation surveys (NPS)"), default=False)
    csat_subject_fi = models.CharField(_("subject (Finnish)"), max_length=200, blank=True)
    csat_subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    csat_question_fi = models.CharField(_("question (Finnish)"), max_length=300, blank=True)
    csat_question_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    nps_subject_fi = models.CharField(_("subject (Finnish)"), max_length=200, blank=True)
    nps_subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    nps_question_fi = models.CharField(_("question (Finnish)"), max_length=300, blank=True)
    nps_question_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    link_days = models.PositiveSmallIntegerField(
        _("links work for (days)"), default=14, validators=[MinValueValidator(1)]
    )
    change_days = models.PositiveSmallIntegerField(
        _("a rating can be changed for (days)"), default=3
    )
    csat_cooldown_days = models.PositiveSmallIntegerField(
        _("at most one satisfaction survey per contact in (days)"), default=7
    )
    nps_cooldown_days = models.PositiveSmallIntegerField(
        _("at most one recommendation survey per contact in (days)"), default=90
    )
    nps_interval_days = models.PositiveSmallIntegerField(
        _("recommendation survey round every (days)"),
        default=30,
        validators=[MinValueValidator(1)],
    )
    # When the last NPS round went out: the next one is due interval days later.
    nps_last_round_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return str(_("Surveys"))

    @classmethod
    def load(cls) -> SurveySettings:
        """The one row (created on first use; pk 1 keeps it single)."""
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    def text(self, name: str, language: str) -> str:
        """An admin's text for `name` ("csat_subject", ...) in `language`, or the default."""
        language = "en" if language.lower().startswith("en") else "fi"
        return getattr(self, f"{name}_{language}", "").strip() or DEFAULT_TEXTS[name][language]
