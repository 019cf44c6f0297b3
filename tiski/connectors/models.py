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

from tiski.core.secrets import EncryptedTextField

DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class InboundMethod(models.TextChoices):
    NONE = "none", _("Only imports and forwarding")
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP/LMTP receiver (tiski smtpd)")
    WEBHOOK = "webhook", _("Email service webhook")


class OutboundMethod(models.TextChoices):
    SMTP = "smtp", _("SMTP")
    ESP = "esp", _("Email service API")
    DJANGO = "django", _("Server default (EMAIL_BACKEND)")


class Security(models.TextChoices):
    TLS = "tls", _("TLS (implicit)")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (only on a trusted network)")


class AuthMethod(models.TextChoices):
    PASSWORD = "password", _("Password")
    MICROSOFT = "oauth_microsoft", _("Microsoft 365 (OAuth2)")
    GOOGLE = "oauth_google", _("Google Workspace (OAuth2)")


class EspName(models.TextChoices):
    MAILGUN = "mailgun", "Mailgun"
    POSTMARK = "postmark", "Postmark"
    SENDGRID = "sendgrid", "SendGrid"
    AMAZON_SES = "amazon_ses", "Amazon SES"


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

    # How mail arrives. Secret fields are encrypted at rest (or "env:NAME").
    inbound_method = models.CharField(
        _("mail arrives by"),
        max_length=10,
        choices=InboundMethod.choices,
        default=InboundMethod.NONE,
    )
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=Security.choices, default=Security.TLS
    )
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_done_folder = models.CharField(
        _("move processed mail to folder"),
        max_length=255,
        blank=True,
        help_text=_("Empty: mark processed mail as seen and leave it in place."),
    )
    imap_idle = models.BooleanField(_("use IMAP IDLE when offered"), default=True)

    # How replies leave.
    outbound_method = models.CharField(
        _("mail leaves by"),
        max_length=10,
        choices=OutboundMethod.choices,
        default=OutboundMethod.DJANGO,
    )
    smtp_host = models.CharField(_("SMTP server"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_username = models.CharField(_("SMTP user name"), max_length=255, blank=True)
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True)
    esp = models.CharField(_("email service"), max_length=20, choices=EspName.choices, blank=True)
    esp_api_key = EncryptedTextField(_("email service API key"), blank=True)
    webhook_secret = EncryptedTextField(
        _("webhook signing secret"),
        blank=True,
        help_text=_("The secret the email service signs inbound webhooks with."),
    )

    # OAuth2 (XOAUTH2) for Microsoft 365 and Google Workspace, IMAP and SMTP.
    auth_method = models.CharField(
        _("sign-in"), max_length=20, choices=AuthMethod.choices, default=AuthMethod.PASSWORD
    )
    oauth_client_id = models.CharField(_("OAuth client id"), max_length=255, blank=True)
    oauth_client_secret = EncryptedTextField(_("OAuth client secret"), blank=True)
    oauth_tenant = models.CharField(
        _("Microsoft tenant"),
        max_length=255,
        blank=True,
        help_text=_("Directory (tenant) id or domain; empty means 'common'."),
    )
    oauth_refresh_token = EncryptedTextField(blank=True)
    oauth_access_token = EncryptedTextField(blank=True)
    oauth_expires_at = models.DateTimeField(null=True, blank=True)

    # Acknowledgement texts; {{ placeholders }} are filled by the outbound code.
    ack_subject_fi = models.CharField(
        _("acknowledgement subject (Finnish)"), max_length=200, blank=True
    )
    ack_body_fi = models.TextField(_("acknowledgement text (Finnish)"), blank=True)
    ack_subject_en = models.CharField(
        _("acknowledgement subject (English)"), max_length=200, blank=True
    )
    ack_body_en = models.TextField(_("acknowledgement text (English)"), blank=True)

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
    suffix = "." + filename.rpartition(".")[2] if filename.endswith((".json", ".txt")) else ".eml"
    return f"raw-mail/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class InboundReceipt(models.Model):
    """One inbound delivery of any channel, stored raw before anything is done with it."""

    # A tickets.models.Channel value: which adapter processes the raw payload.
    channel = models.CharField(_("channel"), max_length=20, default="email", db_index=True)
    source = models.CharField(_("source"), max_length=40)
    key = models.CharField(_("key"), max_length=300)
    # Empty once the mailbox is deleted in Settings: the raw mail and its ticket stay.
    mailbox = models.ForeignKey(
        Mailbox,
        on_delete=models.SET_NULL,
        null=True,
        related_name="receipts",
        verbose_name=_("mailbox"),
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


class ImapState(models.Model):
    """Where the IMAP poller is in a mailbox's folder.

    The last UID is committed only after the receipts of every message up to
    it are committed, so a crash re-fetches at most a batch, and the
    receipts' unique keys (mailbox, UIDVALIDITY, UID) drop the repeats.
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="imap_states")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "folder"], name="imap_state_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox} {self.folder} uid>{self.last_uid}"


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent (automatic mail suppressed)")


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Agent reply")
    ACKNOWLEDGEMENT = "ack", _("Acknowledgement")
    RULE = "rule", _("Rule email")
    NOTIFICATION = "notification", _("Notification")
    FORWARD = "forward", _("Forwarding")
    SURVEY = "survey", _("Satisfaction survey")
    SIDE = "side", _("Side conversation")
    TRANSCRIPT = "transcript", _("Chat transcript")


class OutboundEmail(models.Model):
    """The outbox: every email Tiski sends is a row here before it is sent.

    The Message-ID is fixed when the row is written, so a retry after a
    crash sends the same message, and `status` moves forward only under a
    row lock: an email is never sent twice.
    """

    # Empty once the mailbox is deleted (Settings waits until nothing is left to send).
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, related_name="outbox"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="outbox"
    )
    message = models.ForeignKey(
        "tickets.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_emails",
    )
    kind = models.CharField(max_length=15, choices=OutboundKind.choices)
    automatic = models.BooleanField(default=False)
    from_name = models.CharField(max_length=255, blank=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    # Blind copies go in the envelope only, never in a header.
    bcc = models.JSONField(default=list, blank=True)
    reply_to = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=500)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # The RFC 5322 Message-ID, without angle brackets (as Message.external_id).
    rfc_message_id = models.CharField(max_length=500, unique=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    permanent_failure = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["automatic", "created_at"], name="outbox_automatic"),
        ]

    def __str__(self) -> str:
        return f"{self.rfc_message_id} ({self.status})"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """The outbox of every channel but email (SMS now, WhatsApp and the rest next).

    The same lifecycle as `OutboundEmail` (claimed once, retried with backoff
    on temporary errors, failed with the error on permanent ones, swept;
    ``connectors/sending.py`` holds the shared code); the provider's
    delivery and read receipts then move a sent row on.
    """

    channel = models.CharField(_("channel"), max_length=20)
    # The channel account's id (an SmsAccount): the accounts live in the
    # channels' own packages, so this is a plain id, checked by the channel.
    account_id = models.PositiveIntegerField(_("account"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_messages",
    )
    message = models.ForeignKey(
        "tickets.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_messages",
    )
    recipient = models.CharField(_("recipient"), max_length=320)
    body = models.TextField(_("text"), blank=True)
    attachments = models.JSONField(default=list, blank=True)
    automatic = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    permanent_failure = models.BooleanField(default=False)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outmsg_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class SideStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SideConversation(models.Model):
    """An email thread with a third party (a supplier, another department)
    about a ticket, apart from the customer's conversation.

    Its messages are `SideMessage` rows, not ticket messages: the ticket's
    own conversation, its SLA clocks and the reports never see them, and a
    third party's reply can never be taken for the customer's.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="side_conversations"
    )
    subject = models.CharField(_("subject"), max_length=500)
    # The third party's addresses, as the agent gave them.
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=SideStatus.choices, default=SideStatus.OPEN
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("side conversation")
        verbose_name_plural = _("side conversations")

    def __str__(self) -> str:
        return f"{self.subject} (#{self.ticket_id})"

    @property
    def participants(self) -> set[str]:
        return {a.lower() for a in [*self.to, *self.cc]}


class SideMessage(models.Model):
    """One mail of a side conversation: ours (with its outbox row) or theirs."""

    conversation = models.ForeignKey(
        SideConversation, on_delete=models.CASCADE, related_name="messages"
    )
    incoming = models.BooleanField(default=False)
    author_user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    # The RFC 5322 Message-ID without angle brackets: ours when we send,
    # theirs when they write; replies find the conversation by it.
    rfc_message_id = models.CharField(max_length=500, blank=True, db_index=True)
    outbound = models.ForeignKey(
        OutboundEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rfc_message_id} in {self.conversation_id}"
