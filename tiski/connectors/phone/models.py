"""Phone lines, agents' extensions, calls and their raw events, callbacks, SMS."""

from __future__ import annotations

import hashlib
import secrets as pysecrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiski.core.secrets import EncryptedTextField

from .state import Cause, Direction, EventType, Phase


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return pysecrets.token_urlsafe(32)


class PhoneLine(models.Model):
    """A number customers call; its team gets the calls and the callbacks."""

    number = models.CharField(_("number"), max_length=20, unique=True, help_text=_("E.164"))
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="phone_lines",
        verbose_name=_("team"),
    )
    active = models.BooleanField(_("active"), default=True)
    # Encrypted so admins can show it to the integrator again; the digest
    # finds the line in one indexed query without decrypting every token.
    token = EncryptedTextField(_("API token"), blank=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    callback_sms = models.BooleanField(
        _("text the expected callback time to callers"), default=False
    )
    click_to_call_url = models.URLField(
        _("click-to-call webhook"),
        blank=True,
        help_text=_("Tiski posts {to, agent_email, extension, line} here to start a call."),
    )
    click_to_call_secret = EncryptedTextField(_("click-to-call secret"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("phone line")
        verbose_name_plural = _("phone lines")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    def save(self, *args, **kwargs) -> None:
        from .numbers import to_e164

        self.number = to_e164(self.number) or self.number.strip()
        if not self.token:
            self.token = new_token()
        self.token_digest = token_digest(self.token)
        super().save(*args, **kwargs)


class AgentPhone(models.Model):
    """An agent's extension, so telephony events can name agents by it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone"
    )
    extension = models.CharField(_("extension"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("agent extension")
        verbose_name_plural = _("agent extensions")

    def __str__(self) -> str:
        return f"{self.extension}: {self.user}"


class Call(models.Model):
    """One call, derived from its events (see `state.derive`); never edited by hand."""

    line = models.ForeignKey(PhoneLine, on_delete=models.CASCADE, related_name="calls")
    call_id = models.CharField(_("call id"), max_length=200)
    direction = models.CharField(_("direction"), max_length=10, default=Direction.INBOUND)
    phase = models.CharField(_("phase"), max_length=10, default=Phase.RINGING)
    # The customer's number (caller inbound, callee outbound), E.164 or "" if hidden.
    number = models.CharField(_("number"), max_length=20, blank=True, db_index=True)
    raw_number = models.CharField(max_length=100, blank=True)
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=20, blank=True)
    duration = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True)
    # Where the call was logged (by an agent from the screen pop).
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Side effects done once, whatever the number of events that lead to them.
    missed_handled = models.BooleanField(default=False)
    reached_handled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["line", "call_id"], name="call_unique_per_line")
        ]
        indexes = [models.Index(fields=["contact", "-started_at"], name="call_contact")]

    def __str__(self) -> str:
        return f"{self.direction} {self.number or '?'} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def missed(self) -> bool:
        return (
            self.phase == Phase.ENDED
            and self.direction == Direction.INBOUND
            and self.answered_at is None
            and self.cause != Cause.ANSWERED
        )


class CallEvent(models.Model):
    """A webhook event as received; unique per call and key so retries are no-ops."""

    line = models.ForeignKey(PhoneLine, on_delete=models.CASCADE, related_name="+")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    key = models.CharField(max_length=240)  # the event type, or "type:event_id"
    type = models.CharField(max_length=20, choices=[(t, t) for t in EventType.ALL])
    occurred_at = models.DateTimeField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["call", "key"], name="callevent_unique_key")]

    def __str__(self) -> str:
        return f"{self.key} of {self.call_id}"


class Callback(models.Model):
    """A caller to call back: one open callback ticket per number and line."""

    line = models.ForeignKey(PhoneLine, on_delete=models.CASCADE, related_name="callbacks")
    number = models.CharField(_("number"), max_length=20, db_index=True)
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="callback"
    )
    # The caller's open case when the callback was made: shown beside it.
    related_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(_("missed calls"), default=1)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")

    def __str__(self) -> str:
        return f"{self.number} #{self.ticket_id}"


class SmsMessage(models.Model):
    """A callback notice by SMS: at most one per number and day.

    The sending itself is an `OutboundMessage` in the one outbox (claimed
    once, retried with backoff, failed with the error), linked here.

    ``day`` with the number is unique for callback notices, which is what
    keeps a caller from getting more than one a day even when two missed
    calls are processed at once.
    """

    to = models.CharField(max_length=20)
    text = models.TextField()
    purpose = models.CharField(max_length=20, default="callback")
    day = models.DateField()
    outbound = models.OneToOneField(
        "comms.OutboundMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callback_notice",
    )
    callback = models.ForeignKey(
        Callback, on_delete=models.SET_NULL, null=True, blank=True, related_name="sms"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS messages")
        constraints = [
            models.UniqueConstraint(fields=["to", "purpose", "day"], name="sms_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.to} {self.day}"
