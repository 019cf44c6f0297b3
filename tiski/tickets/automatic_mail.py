"""Automatic mail about a ticket, for the features that send it (rules, surveys).

Rules and surveys sit a floor below the channels, so they cannot import the
outbox. They call ``send_automatic_mail`` here, which hands the mail to the
function named by ``settings.TISKI_AUTOMATIC_MAIL`` (the email outbox's
public ``send_automatic_mail``), the way change handlers are wired: a name
in settings, not an import. ``send_automatic_mails`` hands over many at
once, to the function's ``send_many`` form where it has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Ticket

# The outbox's kinds of automatic mail (comms.OutboundKind values).
RULE = "rule"
SURVEY = "survey"


@dataclass(frozen=True)
class QueuedMail:
    """What became of the mail: ``sent`` False with ``reason`` when it will not go out."""

    id: int | None
    sent: bool
    reason: str = ""


def send_automatic_mail(
    *,
    ticket: Ticket,
    to: Sequence[str],
    subject: str,
    text: str,
    kind: str,
    html: str = "",
    from_address: str = "",
) -> QueuedMail:
    """Queue an automatic mail to ``to`` about ``ticket``, from ``from_address`` if it is ours.

    The outbox's loop rules apply (no mail to robots, bounced addresses or
    past the hourly cap); such a mail still gets a row and ``sent`` False.
    """
    send = import_string(settings.TISKI_AUTOMATIC_MAIL)
    return send(
        ticket=ticket,
        to=to,
        subject=subject,
        text=text,
        kind=kind,
        html=html,
        from_address=from_address,
    )


@dataclass(frozen=True)
class AutomaticMail:
    """One mail for `send_automatic_mails`: the arguments of `send_automatic_mail`."""

    ticket: Ticket
    to: Sequence[str]
    subject: str
    text: str
    kind: str
    html: str = ""
    from_address: str = ""


def send_automatic_mails(mails: Sequence[AutomaticMail]) -> list[QueuedMail]:
    """`send_automatic_mail` for many mails (a time rule's chunk), one result each, in order.

    The outbox writes them in a few statements (its ``send_many``); a
    configured sender without that form gets them one by one.
    """
    send = import_string(settings.TISKI_AUTOMATIC_MAIL)
    many = getattr(send, "send_many", None)
    if many is not None:
        return many(mails)
    return [
        send(
            ticket=mail.ticket,
            to=mail.to,
            subject=mail.subject,
            text=mail.text,
            kind=mail.kind,
            html=mail.html,
            from_address=mail.from_address,
        )
        for mail in mails
    ]
