"""Chat widgets (one per web site) and the visitors' chat sessions."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_public_key() -> str:
    # Public (it sits in the site's HTML) but unguessable, so nobody can
    # enumerate the desk's widgets.
    return secrets.token_urlsafe(18)


def new_visitor_token() -> str:
    return secrets.token_urlsafe(32)


class ChatWidget(models.Model):
    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(
        _("public key"), max_length=40, unique=True, default=new_public_key, editable=False
    )
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        help_text=_("Web sites that may show the chat, e.g. https://www.example.fi"),
    )
    default_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_type = models.ForeignKey(
        "tickets.TicketType",
        verbose_name=_("default ticket type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    greeting_fi = models.CharField(_("greeting in Finnish"), max_length=300, blank=True)
    greeting_en = models.CharField(_("greeting in English"), max_length=300, blank=True)
    greeting_sv = models.CharField(_("greeting in Swedish"), max_length=300, blank=True)
    offline_message = models.CharField(_("offline message"), max_length=300, blank=True)
    # Outside these hours the widget shows the offline message even when an
    # agent has left the toggle on; empty: only the agents' toggle counts.
    calendar = models.ForeignKey(
        "sla.Calendar",
        verbose_name=_("chat hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Outside these hours the chat shows the offline message."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return self.name

    def allows_origin(self, origin: str) -> bool:
        """Exact match of scheme, host and port; no wildcards, so no surprises."""
        wanted = origin.strip().rstrip("/").lower()
        return bool(wanted) and wanted in {
            o.strip().rstrip("/").lower() for o in self.allowed_origins
        }

    def greeting(self, language: str) -> str:
        return getattr(self, f"greeting_{language}", "") or self.greeting_fi or self.greeting_en


class SessionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ENDED = "ended", _("Ended")


class ChatSession(models.Model):
    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="sessions")
    visitor_token = models.CharField(max_length=64, unique=True, default=new_visitor_token)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webchat_sessions",
    )
    language = models.CharField(max_length=5, default="fi")
    last_seen = models.DateTimeField(null=True, blank=True)
    # Sockets open now. With last_seen (refreshed by the widget's pings) it
    # says whether the visitor is there: a process that died without closing
    # its sockets leaves a count, but no fresh heartbeat.
    open_sockets = models.PositiveIntegerField(default=0)
    # The long-polling fallback has no socket to count: each poll says the
    # visitor is there until it ends plus a short grace for the next one.
    polling_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default="open")
    # The newest agent reply the visitor's widget showed while the page was
    # in view: the agent's "seen" mark. Only ever moves forward.
    read_up_to = models.BigIntegerField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The visitor message a "chat waiting" was last announced for: one
    # announcement per unanswered message, however often the check runs.
    waiting_announced_for = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        indexes = [models.Index(fields=["ticket"], name="webchat_session_ticket")]

    def __str__(self) -> str:
        return f"{self.widget} #{self.pk}"


class ChatMessage(models.Model):
    """What a visitor's client id became: the ack on resend, never a second message."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="sent")
    client_id = models.CharField(max_length=64)
    message = models.ForeignKey("tickets.Message", null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_id"], name="webchat_unique_client_id"
            )
        ]

    def __str__(self) -> str:
        return self.client_id


class LiveDelivery(models.Model):
    """A public reply the visitor saw in the open chat: the email outbound skips it."""

    message = models.OneToOneField("tickets.Message", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="+")
    delivered_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.message_id} -> {self.session_id}"
