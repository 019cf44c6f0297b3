from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tiski.core.csp import allow_remote_images
from tiski.sla.services import state_of
from tiski.tickets import labels
from tiski.tickets.labels import priority_label
from tiski.tickets.models import Channel, Message, Status, Ticket

from ..timeline import message_document, message_html

register = template.Library()

# Symbols every common system font has; channels without a well-known
# symbol get a short text mark instead of an emoji that may not render.
CHANNEL_ICONS = {
    Channel.EMAIL: "✉",
    Channel.PHONE: "☎",
    Channel.API: "⚙",
    Channel.MANUAL: "✎",
}
CHANNEL_MARKS = {
    Channel.WEB_FORM: "WEB",
    Channel.CHAT: "CHAT",
    Channel.WHATSAPP: "WA",
    Channel.MESSENGER: "FB",
    Channel.TELEGRAM: "TG",
    Channel.SMS: "SMS",
}


@register.simple_tag
def status_badge(status: str) -> SafeString:
    label = Status(status).label if status in Status.values else status
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.simple_tag(takes_context=True)
def priority_badge(context: template.Context, priority: str) -> SafeString:
    # The desk's own labels, read once per request however long the list.
    label = priority_label(priority, labels.for_request(context.get("request")))
    return format_html('<span class="prio prio-{}" title="{}">{}</span>', priority, label, label)


@register.simple_tag
def channel_icon(channel: str) -> SafeString:
    label = Channel(channel).label if channel in Channel.values else channel
    return format_html(
        '<span class="chan" title="{}" aria-label="{}">{}</span>',
        label,
        label,
        CHANNEL_ICONS.get(channel, "•"),
    )


def _duration(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    if minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} {pgettext('days', 'd')}"
    if minutes >= 60:
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(m)s min") % {"m": minutes}


@register.simple_tag
def late_template() -> str:
    """The "late 5 min" wording with a {d} slot, for desk.js's live countdown."""
    return _("late %(duration)s") % {"duration": "{d}"}


@register.simple_tag
def sla_badge(ticket: Ticket) -> SafeString:
    """The next deadline as a countdown; desk.js keeps it ticking."""
    state = state_of(ticket)
    if state == "none":
        return format_html("")
    seconds = (ticket.queue_due_at - timezone.now()).total_seconds()
    text = (
        _duration(seconds)
        if seconds >= 0
        else _("late %(duration)s") % {"duration": _duration(seconds)}
    )
    due = localtime(ticket.queue_due_at)
    return format_html(
        '<span class="sla sla-{}" data-due="{}" data-warn="{}" title="{}">{}</span>',
        state,
        ticket.queue_due_at.isoformat(),
        ticket.sla_warn_at.isoformat() if ticket.sla_warn_at else "",
        _("Next SLA deadline %(when)s") % {"when": date_format(due, "SHORT_DATETIME_FORMAT")},
        text,
    )


@register.simple_tag(takes_context=True)
def message_body(context: template.Context, message: Message) -> SafeString:
    """A message's body: plain text inline (escaped), HTML in a sandboxed frame."""
    if not message.html:
        return format_html('<div class="msg-body">{}</div>', message_html(message))
    # The frame inherits the page's policy: let "Show remote images" work there.
    allow_remote_images(context.get("request"))
    return format_html(
        '<div class="msg-body msg-body-html"><iframe class="msg-frame" srcdoc="{}" title="{}" '
        'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox">'
        "</iframe></div>",
        message_document(message),
        _("Message from %(author)s") % {"author": message.author_name},
    )


@register.filter
def initials(name: str) -> str:
    parts = [p for p in str(name).replace(".", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"
