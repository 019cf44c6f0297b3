"""The ticket conversation as one ordered timeline: messages and events.

Events store raw values (ids, codes) because they are an audit trail;
this module turns them into words for people, looking up every referenced
user, team and type in one query each instead of one per event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tiski.accounts.models import Team, User
from tiski.tickets.labels import priority_choices
from tiski.tickets.models import (
    Channel,
    Event,
    EventKind,
    Message,
    Priority,
    Status,
    Ticket,
    TicketType,
)

FIELD_LABELS = {
    "status": lambda: _("status"),
    "priority": lambda: _("priority"),
    "type": lambda: _("type"),
    "assignee": lambda: _("assignee"),
    "team": lambda: _("team"),
    "subject": lambda: _("subject"),
    "due_at": lambda: _("due date"),
    "requester": lambda: _("requester"),
    "parent": lambda: _("parent ticket"),
    "tags": lambda: _("tags"),
    "ccs": lambda: _("CCs"),
}

# Keys of a call message's meta, as its "details updated" event names them.
META_LABELS = {
    "duration": lambda: _("duration"),
    "recording_url": lambda: _("recording"),
    "cause": lambda: _("cause"),
    "agent": lambda: _("agent"),
    "agent_id": lambda: _("agent"),
    "number": lambda: _("number"),
    "direction": lambda: _("direction"),
}
# Shown by the system messages the merge writes (with the agent as author);
# an event line beside each would say the same thing twice.
QUIET_FIELDS = ("merged_in", "merged_into")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    message: Message | None = None
    event: Event | None = None
    text: str = ""


def _lookup(events: list[Event]) -> dict[str, dict[str, str]]:
    ids: dict[str, set[int]] = {"assignee": set(), "team": set(), "type": set()}
    for event in events:
        if event.field in ids:
            for value in (event.old_value, event.new_value):
                if value.isdigit():
                    ids[event.field].add(int(value))
    return {
        "assignee": {str(u.pk): str(u) for u in User.objects.filter(pk__in=ids["assignee"])},
        "team": {str(t.pk): str(t) for t in Team.objects.filter(pk__in=ids["team"])},
        "type": {str(t.pk): t.name for t in TicketType.objects.filter(pk__in=ids["type"])},
        "priority": dict(priority_choices()),
    }


def _value(field: str, value: str, names: dict[str, dict[str, str]]) -> str:
    if value == "":
        return _("(none)")
    if field in names:
        return names[field].get(value, value)
    if field == "status":
        return str(Status(value).label) if value in Status.values else value
    if field == "priority":
        return str(Priority(value).label) if value in Priority.values else value
    if field == "due_at":
        from django.utils.dateparse import parse_datetime
        from django.utils.formats import date_format
        from django.utils.timezone import localtime

        parsed = parse_datetime(value)
        return date_format(localtime(parsed), "SHORT_DATETIME_FORMAT") if parsed else value
    return value


def describe_event(event: Event, names: dict[str, dict[str, str]]) -> str:
    if event.actor_id:
        who = str(event.actor)
    elif event.meta.get("rule"):
        who = _("Rule “%(name)s”") % {"name": event.meta["rule"]}
    else:
        who = _("Tiski")
    if event.kind == EventKind.CREATED:
        channel = event.meta.get("channel", "")
        label = Channel(channel).label if channel in Channel.values else channel
        return _("%(who)s created the ticket (%(channel)s)") % {"who": who, "channel": label}
    if event.field == "message_moved":
        return _("%(who)s moved a message to ticket #%(number)s") % {
            "who": who,
            "number": event.new_value,
        }
    if event.field == "message_moved_in":
        return _("%(who)s moved a message here from ticket #%(number)s") % {
            "who": who,
            "number": event.old_value,
        }
    if event.field == "ccs":
        if not event.new_value and event.old_value:
            return _("%(who)s removed %(people)s from the CCs") % {
                "who": who,
                "people": event.old_value,
            }
        return _("%(who)s copied %(people)s on the ticket") % {
            "who": who,
            "people": event.new_value,
        }
    if event.field == "link":
        return _("%(who)s linked this ticket: it mentions ticket #%(number)s") % {
            "who": who,
            "number": event.new_value,
        }
    if event.field == "linked_from":
        return _("%(who)s linked this ticket: ticket #%(number)s mentions it") % {
            "who": who,
            "number": event.new_value,
        }
    if event.field == "merged_into_undone":
        return _("%(who)s undid the merge into ticket #%(number)s") % {
            "who": who,
            "number": event.old_value,
        }
    if event.field == "merged_in_undone":
        return _("%(who)s undid the merge of ticket #%(number)s into this ticket") % {
            "who": who,
            "number": event.old_value,
        }
    if event.field == "message_meta":
        labels = [
            str(META_LABELS[k]()) if k in META_LABELS else k for k in event.meta.get("keys", [])
        ]
        return _("%(who)s updated the call details: %(details)s") % {
            "who": who,
            "details": ", ".join(dict.fromkeys(labels)),
        }
    if event.field == "tags":
        if event.new_value:
            return _("%(who)s added tag %(tag)s") % {"who": who, "tag": event.new_value}
        return _("%(who)s removed tag %(tag)s") % {"who": who, "tag": event.old_value}
    label = FIELD_LABELS.get(event.field, lambda: event.field)()
    return _("%(who)s changed %(field)s: %(old)s → %(new)s") % {
        "who": who,
        "field": label,
        "old": _value(event.field, event.old_value, names),
        "new": _value(event.field, event.new_value, names),
    }


def build_timeline(ticket: Ticket) -> list[TimelineEntry]:
    messages = list(
        ticket.messages.select_related("author_user", "author_contact").prefetch_related(
            "attachments", "author_contact__identities", "outbound_emails"
        )
    )
    events = list(
        ticket.events.exclude(kind=EventKind.MESSAGE)
        .exclude(field__in=QUIET_FIELDS)
        .select_related("actor")
    )
    names = _lookup(events)
    entries = [TimelineEntry(at=m.created_at, message=m) for m in messages]
    entries += [
        TimelineEntry(at=e.created_at, event=e, text=describe_event(e, names)) for e in events
    ]

    # "Ticket created" comes first; other events sort after a message written
    # in the same instant ("reply, then status changed"), the order they happened.
    def order(entry: TimelineEntry) -> tuple:
        if entry.event is not None and entry.event.kind == EventKind.CREATED:
            return (entry.at, 0)
        return (entry.at, 1 if entry.message else 2)

    entries.sort(key=order)
    return entries


_CID_SRC = re.compile(r"""src=(["'])cid:([^"']+)\1""", re.IGNORECASE)


FOLD_OPEN = '<div class="tiski-folded">'


def _text_html(text: str) -> str:
    return "<p>" + "<br>".join(escape(text).splitlines()) + "</p>"


def message_html(message: Message) -> SafeString:
    """Stored (already sanitised) HTML ready to show.

    Inline cid: images point at our download URL; the quoted history and
    signature that intake marked (a ``tiski-folded`` block in the HTML, or
    ``fold_text_at`` for plain text) stay in the page but fold behind a
    toggle.
    """
    if not message.html:
        fold_at = message.meta.get("fold_text_at")
        text = message.text
        if isinstance(fold_at, int) and 0 < fold_at < len(text) and text[fold_at:].strip():
            return mark_safe(  # noqa: S308 - escaped above
                _text_html(text[:fold_at]) + FOLD_OPEN + _text_html(text[fold_at:]) + "</div>"
            )
        return mark_safe(_text_html(text))  # noqa: S308 - escaped
    by_cid = {a.content_id.strip("<>"): a for a in message.attachments.all() if a.content_id}

    def replace(match: re.Match[str]) -> str:
        attachment = by_cid.get(match.group(2).strip("<>"))
        if attachment is None:
            return 'src=""'
        url = reverse("desk:attachment", args=[attachment.pk, attachment.filename])
        return f'src="{escape(url)}"'

    return mark_safe(_CID_SRC.sub(replace, message.html))  # noqa: S308 - sanitised on intake


def message_document(message: Message) -> str:
    """An HTML body as a whole document for the message's sandboxed frame.

    The frame (``sandbox`` without ``allow-scripts``) is the wall behind the
    sanitiser: even HTML that slipped through cannot run script or reach
    the desk's page and session. Links open in a new tab; only the frame's
    own stylesheet applies, so the sender's markup never meets the desk's.
    """
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer"><base target="_blank">'
        f'<link rel="stylesheet" href="{escape(static("desk/message-frame.css"))}">'
        f"</head><body>{message_html(message)}</body></html>"
    )
