"""The bell's rows, each agent's choices per kind, and who follows which ticket.

A notification stores its kind and parameters, not finished text, so the
bell reads it in the reader's language at the moment it is shown. Rule
notices are the exception: their text was written by an admin in a rule
and is kept as written (``text``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiski.core.secrets import EncryptedTextField

from .kinds import Delivery, Kind

if TYPE_CHECKING:
    from tiski.accounts.models import User

__all__ = [
    "Delivery",
    "Follow",
    "Kind",
    "MailFrequency",
    "MailSchedule",
    "Notification",
    "NotificationSetting",
    "PushSubscription",
    "WebPushKey",
]


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one agent inside the app ("Maija mentioned you on #12")."""

    # The recipient.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RULE)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Which message the notice points at (a mention's note), for the link.
    message_id = models.PositiveBigIntegerField(null=True, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60] or self.kind

    @property
    def message(self) -> str:
        """The notice in the active language."""
        from .texts import render

        return render(self)

    @property
    def link(self) -> str:
        if self.ticket_id is None:
            return ""
        url = self.ticket.get_absolute_url()
        return f"{url}#message-{self.message_id}" if self.message_id else url


class NotificationSetting(models.Model):
    """How one agent wants one kind of notice; no row means in the app."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.APP
    )

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notificationsetting_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class MailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("One email per notification, right away")
    HOURLY = "hourly", _("One digest email an hour")
    DAILY = "daily", _("One digest email a day")


class MailSchedule(models.Model):
    """When an agent's notification mail goes: at once, or gathered into digests.

    Only kinds the agent chose "by email" for are mailed at all; a digest
    lists those still unread when it is due. No row means at once.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_schedule"
    )
    frequency = models.CharField(
        _("notification email"),
        max_length=10,
        choices=MailFrequency.choices,
        default=MailFrequency.IMMEDIATE,
    )
    # The local hour a daily digest goes (in the agent's time zone).
    daily_hour = models.PositiveSmallIntegerField(_("daily digest at"), default=8)
    # Notices created up to here were in an earlier digest (or predate digests).
    covered_until = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification email schedule")
        verbose_name_plural = _("notification email schedules")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.frequency}"


class PushSubscription(models.Model):
    """One browser that agreed to show this agent's notifications (the Push API)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # The push service's URL for this browser; unique, a browser re-subscribing replaces it.
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    # The browser's P-256 public key and auth secret (base64url), for encrypting payloads.
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    browser = models.CharField(_("browser"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("browser notification subscription")
        verbose_name_plural = _("browser notification subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.browser or self.endpoint[:60]}"


class WebPushKey(models.Model):
    """The desk's VAPID key pair, made once when no key is configured.

    Kept in the database (encrypted) so every web and worker process signs
    with the same key; the browsers' subscriptions are bound to its public half.
    """

    private_pem = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("web push key")
        verbose_name_plural = _("web push keys")

    def __str__(self) -> str:
        return f"VAPID key of {self.created_at:%Y-%m-%d}"


class FollowReason(models.TextChoices):
    MANUAL = "manual", _("Followed by hand")
    MENTIONED = "mentioned", _("Mentioned")
    REPLIED = "replied", _("Replied")
    ESCALATED = "escalated", _("Escalated")


class Follow(models.Model):
    """An agent follows a ticket: new customer messages and changes reach their bell."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="follows")
    reason = models.CharField(
        _("reason"), max_length=20, choices=FollowReason.choices, default=FollowReason.MANUAL
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="follow_once")]
        indexes = [models.Index(fields=["ticket"], name="follow_ticket")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.ticket_id}"


def unread_for(user: User) -> NotificationQuerySet:
    """A user's unread notifications, newest first, about tickets they may still see.

    Goes through ``Ticket.objects.visible_to`` like every ticket read: a
    ticket moved to a restricted team after the notice no longer shows.
    """
    from tiski.tickets.models import Ticket

    return (
        Notification.objects.unread()
        .filter(user=user)
        .filter(
            models.Q(ticket__isnull=True)
            | models.Q(ticket__in=Ticket.objects.visible_to(user).values("pk"))
        )
        .select_related("ticket", "actor")
    )


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or `ids`) read; returns how many."""
    qs = Notification.objects.unread().filter(user=user)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
