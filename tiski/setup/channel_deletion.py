"""What deleting a mailbox or a phone line does, said before it is done.

Settings → Mailboxes / Phone lines use the common delete page; this module
gives it the sentences: what stays (tickets, messages, the raw mail), what
goes, and what must happen first (mail still waiting to be processed or
sent). Only counts are read here; the delete itself is the model's own
(receipts and the outbox keep their rows with the mailbox emptied; a
line's call records and callbacks go with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiski.connectors.models import (
    InboundReceipt,
    Mailbox,
    OutboundEmail,
    OutboundStatus,
    ReceiptStatus,
)
from tiski.connectors.phone.models import Call, Callback, PhoneLine
from tiski.tickets.models import UNSOLVED_STATUSES

# Outbox rows still on their way out: sending them needs the mailbox.
UNSENT = (OutboundStatus.QUEUED, OutboundStatus.SENDING, OutboundStatus.RETRYING)


@dataclass(frozen=True)
class Blocked:
    """Why the object cannot go yet, and the items in the way."""

    reason: str
    items: list[str] = field(default_factory=list)


def default_mailbox() -> Mailbox | None:
    """The mailbox replies go from when a ticket has none of its own (see outbound.mailbox_for)."""
    return Mailbox.objects.filter(active=True).order_by("id").first()


def mailbox_blocked(mailbox: Mailbox) -> Blocked | None:
    waiting = InboundReceipt.objects.filter(mailbox=mailbox, status=ReceiptStatus.PENDING).count()
    unsent = OutboundEmail.objects.filter(mailbox=mailbox, status__in=UNSENT).count()
    if not waiting and not unsent:
        return None
    items = []
    if waiting:
        items.append(
            ngettext(
                "%(count)d incoming message is still being processed.",
                "%(count)d incoming messages are still being processed.",
                waiting,
            )
            % {"count": waiting}
        )
    if unsent:
        items.append(
            ngettext(
                "%(count)d email is still waiting to be sent from it.",
                "%(count)d emails are still waiting to be sent from it.",
                unsent,
            )
            % {"count": unsent}
        )
    return Blocked(
        _("This mailbox cannot be deleted yet. Try again in a few minutes, when:"), items
    )


def mailbox_consequences(mailbox: Mailbox) -> list[str]:
    lines = [
        _(
            "Tickets and their messages stay as they are. Mail received and sent through "
            "this mailbox stays on its tickets; its mailbox is left empty."
        ),
        _("No more mail is fetched or received for %(address)s, and no reply is sent from it.")
        % {"address": mailbox.address},
    ]
    kept = InboundReceipt.objects.filter(mailbox=mailbox, status=ReceiptStatus.QUARANTINED).count()
    if kept:
        lines.append(
            ngettext(
                "%(count)d message kept in quarantine stays, but can no longer be re-processed.",
                "%(count)d messages kept in quarantine stay, but can no longer be re-processed.",
                kept,
            )
            % {"count": kept}
        )
    if default_mailbox() == mailbox:
        successor = (
            Mailbox.objects.filter(active=True).exclude(pk=mailbox.pk).order_by("id").first()
        )
        if successor is None:
            lines.append(
                _(
                    "This is the desk's only active mailbox: after it is gone, replies to "
                    "customers cannot be emailed until you add another one."
                )
            )
        else:
            lines.append(
                _(
                    "This is the desk's default mailbox (replies to tickets without a mailbox "
                    "of their own go from it). %(address)s becomes the default."
                )
                % {"address": successor.address}
            )
    return lines


def phone_line_consequences(line: PhoneLine) -> list[str]:
    calls = Call.objects.filter(line=line).count()
    waiting = Callback.objects.filter(line=line, ticket__status__in=UNSOLVED_STATUSES).count()
    lines = [
        _(
            "Tickets stay as they are, with their messages and the calls logged on them. "
            "The telephony system's token stops working: new calls to %(number)s no longer "
            "reach the desk."
        )
        % {"number": line.number},
    ]
    if calls:
        lines.append(
            ngettext(
                "The line's record of %(count)d call is removed (calls not logged on a ticket "
                "disappear from the customers' timelines).",
                "The line's record of %(count)d calls is removed (calls not logged on a ticket "
                "disappear from the customers' timelines).",
                calls,
            )
            % {"count": calls}
        )
    if waiting:
        lines.append(
            ngettext(
                "%(count)d callback is still open: its ticket stays in the inbox.",
                "%(count)d callbacks are still open: their tickets stay in the inbox.",
                waiting,
            )
            % {"count": waiting}
        )
    return lines
