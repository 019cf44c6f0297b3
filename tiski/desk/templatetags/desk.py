from __future__ import annotations

import functools

from django import template
from django.templatetags.static import static
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tiski.core.csp import allow_remote_images
from tiski.sla.services import state_of
from tiski.tickets.labels import priority_label
from tiski.tickets.models import Channel, Message, Priority, Status, Ticket

from ..timeline import message_document, message_html

register = template.Library()

# Each channel's icon in the sprite (static/desk/icons.svg).
CHANNEL_ICONS = {
    Channel.EMAIL: "email",
    Channel.PHONE: "phone",
    Channel.WEB_FORM: "web",
    Channel.CHAT: "chat",
    Channel.WHATSAPP: "chat",
    Channel.MESSENGER: "chat",
    Channel.INSTAGRAM: "chat",
    Channel.TELEGRAM: "chat",
    Channel.SMS: "sms",
    Channel.API: "api",
    Channel.MANUAL: "manual",
}
OBVIOUS_CHANNELS = (Channel.EMAIL, Channel.PHONE, Channel.MANUAL)
PRIORITY_ICONS = {
    Priority.LOW: "arrow-down",
    Priority.NORMAL: "dash",
    Priority.HIGH: "arrow-up",
    Priority.URGENT: "prio",
}


@functools.cache
def _sprite() -> str:
    # The hashed static URL is looked up in the manifest once per process, not per icon.
    return static("desk/icons.svg")


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An icon from the static sprite; decorative unless given a label for screen readers."""
    href = f"{_sprite()}#i-{name}"
    if label:
        return format_html(
            '<svg class="icon icon-{}" role="img" aria-label="{}"><use href="{}"></use></svg>',
            name,
            label,
            href,
        )
    return format_html(
        '<svg class="icon icon-{}" aria-hidden="true" focusable="false">'
        '<use href="{}"></use></svg>',
        name,
        href,
    )


@register.simple_tag
def status_badge(status: str) -> SafeString:
    label = Status(status).label if status in Status.values else status
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.simple_tag(takes_context=True)
def priority_badge(context: template.Context, priority: str, compact: bool = False) -> SafeString:
    """The priority as an icon with its word; ``compact`` (list rows) keeps the word
    for screen readers and for high and urgent, where it matters at a glance."""
    # The desk's own labels, read once per request however long the list
    # (tickets.labels.current, through the request memo).
    label = priority_label(priority)
    quiet = compact and priority in (Priority.LOW, Priority.NORMAL)
    return format_html(
        '<span class="prio prio-{}" title="{}">{}<span class="{}">{}</span></span>',
        priority,
        label,
        icon(PRIORITY_ICONS.get(priority, "dash")),
        "visually-hidden" if quiet else "prio-label",
        label,
    )


@register.simple_tag
def channel_icon(channel: str, compact: bool = False) -> SafeString:
    """The channel as an icon with its name; ``compact`` (list rows) hides the name
    visually where the icon says it plainly (email, phone, typed by an agent)."""
    label = Channel(channel).label if channel in Channel.values else channel
    quiet = compact and channel in OBVIOUS_CHANNELS
    return format_html(
        '<span class="chan" data-channel="{}" title="{}">{}<span class="{}">{}</span></span>',
        channel,
        label,
        icon(CHANNEL_ICONS.get(channel, "manual")),
        "visually-hidden" if quiet else "chan-label",
        label,
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
        return SafeString("")
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
