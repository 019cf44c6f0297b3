"""Triggers, time rules and the log of their firings (notifications: `tiski.notifications`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _empty_group() -> dict:
    return {"all": []}


class RuleBase(models.Model):
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Rules run in this order, smallest first.")
    )
    conditions = models.JSONField(
        _("conditions"),
        default=_empty_group,
        blank=True,
        help_text=_('A group: {"all": [...], "any": [...], "none": [...]}.'),
    )
    actions = models.JSONField(
        _("actions"), default=list, help_text=_('A list: [{"type": "...", ...}].')
    )
    last_fired_at = models.DateTimeField(_("last fired"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # "trigger" or "time": how RuleFiring rows name the rule's table.
    rule_kind: str = ""

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Trigger(RuleBase):
    """Runs when something happens to a ticket (see registry.TRIGGER_EVENTS)."""

    events = models.JSONField(
        _("events"), default=list, help_text=_('When the trigger runs, e.g. ["ticket_created"].')
    )
    fire_count = models.PositiveIntegerField(_("times fired"), default=0)

    rule_kind = "trigger"

    class Meta(RuleBase.Meta):
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")

    def clean(self) -> None:
        from .registry import validate_rule_definition

        validate_rule_definition(
            kind="trigger", conditions=self.conditions, actions=self.actions, events=self.events
        )


class TimeRule(RuleBase):
    """Runs every few minutes over tickets, with at least one time condition."""

    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    fire_count = models.PositiveIntegerField(_("times fired"), default=0)

    rule_kind = "time"

    class Meta(RuleBase.Meta):
        verbose_name = _("time rule")
        verbose_name_plural = _("time rules")

    def clean(self) -> None:
        from .registry import validate_rule_definition

        validate_rule_definition(kind="time", conditions=self.conditions, actions=self.actions)


class RuleKind(models.TextChoices):
    TRIGGER = "trigger", _("Trigger")
    TIME = "time", _("Time rule")


class RuleFiring(models.Model):
    """One rule acting on one ticket: which rule, when, and what it caused.

    Events are append-only and written by tickets.actions, so they cannot
    carry the rule; this row joins them to it (``event_ids``). It also
    serves the loop caps (firings per rule and changes per ticket per hour)
    and the time rules' "once per ticket until it changes" memory.
    """

    rule_kind = models.CharField(_("rule kind"), max_length=10, choices=RuleKind.choices)
    rule_id = models.PositiveBigIntegerField(_("rule id"))
    rule_name = models.CharField(_("rule name"), max_length=200)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="rule_firings"
    )
    fired_at = models.DateTimeField(_("fired"), default=timezone.now)
    # False when every action was a no-op or skipped: kept so a time rule
    # does not retry every pass, but it does not count as having fired.
    effective = models.BooleanField(_("effective"), default=True)
    event_ids = models.JSONField(_("event ids"), default=list, blank=True)
    # Ticket events written (the unit of the per-ticket change cap).
    change_count = models.PositiveIntegerField(_("changes"), default=0)
    # What the actions did beyond events: messages, notifications, emails, skips.
    details = models.JSONField(_("details"), default=dict, blank=True)
    # The TicketChange these actions announced, to recognise it when it comes back.
    signature = models.JSONField(default=dict, blank=True)
    # The ticket's updated_at after the firing: unchanged since means "done".
    ticket_updated_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        indexes = [
            models.Index(fields=["ticket", "fired_at"], name="rulefiring_ticket_time"),
            models.Index(
                fields=["rule_kind", "rule_id", "ticket", "ticket_updated_at"],
                name="rulefiring_rule_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_name} on #{self.ticket_id}"
