from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tiski.tickets.models import Channel, Message, Priority, Status

from ..timeline import message_html

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


@register.simple_tag
def priority_badge(priority: str) -> SafeString:
    label = Priority(priority).label if priority in Priority.values else priority
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


@register.filter
def rendered_html(message: Message) -> SafeString:
    return message_html(message)


@register.filter
def initials(name: str) -> str:
    parts = [p for p in str(name).replace(".", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"
