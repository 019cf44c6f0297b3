"""Mailboxes and the durable receipts every inbound message becomes first.

A receipt row with the raw bytes is committed before a source is
acknowledged (IMAP flag, SMTP 250, webhook 200), so whatever happens to the
process afterwards, the message can be processed again from the row.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class Mailbox(models.Model):
    address = models.EmailField(_("address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    default_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
    )
    default_type = models.ForeignKey(
        "tickets.TicketType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default ticket type"),
    )
    signature = models.TextField(_("signature"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    thread_by_subject_days = models.PositiveIntegerField(
        _("thread by subject (days)"),
        default=0,
        help_text=_(
            "Thread a message from the same sender with the same subject onto an unsolved "
            "ticket updated within this many days. 0 turns it off."
        ),
    )
    max_message_bytes = models.PositiveBigIntegerField(
        _("largest message (bytes)"),
        default=DEFAULT_MAX_MESSAGE_BYTES,
        help_text=_("Content size; the encoded message may be a third larger."),
    )
    auto_acknowledge = models.BooleanField(_("send an acknowledgement"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs) -> None:
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)

    @property
    def max_raw_bytes(self) -> int:
        """The limit on the raw message as it travels.

        The configured limit is about content (what users call "a 25 MB
        attachment"); base64 makes it a third larger on the wire, and line
        breaks and headers add a little more.
        """
        return self.max_message_bytes * 4 // 3 + 1024 * 1024


class ReceiptStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")
    DUPLICATE = "duplicate", _("Duplicate")
    QUARANTINED = "quarantined", _("Quarantined")


def raw_mail_path(instance: InboundReceipt, filename: str) -> str:
    # A random name: the key may be long or reveal a mailbox, and two
    # receipts must never share a file.
    now = timezone.now()
    return f"raw-mail/{now:%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundReceipt(models.Model):
    source = models.CharField(_("source"), max_length=40)
    key = models.CharField(_("key"), max_length=300)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("mailbox")
    )
    raw = models.FileField(_("raw message"), upload_to=raw_mail_path, max_length=300)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=ReceiptStatus.choices, default=ReceiptStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    message = models.ForeignKey(
        "tickets.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    # Imports of old mail must never make Tiski write to customers.
    suppress_automatic_mail = models.BooleanField(_("no automatic mail"), default=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound receipt")
        verbose_name_plural = _("inbound receipts")
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="receipt_unique_source_key")
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="receipt_status")]

    def __str__(self) -> str:
        return f"{self.source}:{self.key[:40]} ({self.status})"
