"""A contact merged into another: the tickets' side of it.

The tickets app's part in a contact merge (`customers.merge_participants`,
registered in `TicketsConfig.ready`): the duplicate's tickets get the kept
contact as requester, its CC places and the messages it wrote follow. An
unclosed ticket's requester changes through `update_ticket`, with its
event; a closed ticket is read-only to the actions and is repointed
directly (the contact merge record is its audit trail). Every ticket
touched is announced, so the index and open pages see the new name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tiski.customers.models import Contact

from .. import changes
from ..models import Message, Status, Ticket, Via
from .fields import update_ticket
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import User

# The keys this participant keeps in a contact merge's record.
CONTACT_MERGE_KEYS = ("tickets", "ccs", "target_cc_before", "messages")


def _set_requester(ticket_ids: Iterable[int], to: Contact, actor: User | None) -> None:
    for ticket in Ticket.objects.filter(pk__in=list(ticket_ids)).select_related("requester"):
        if ticket.status == Status.CLOSED:
            Ticket.objects.filter(pk=ticket.pk).update(requester=to)
        else:
            update_ticket(ticket, actor=actor, via=Via.AGENT, requester=to)


def _announce(ticket_ids: Iterable[int], actor: User | None) -> None:
    for ticket_id in sorted(set(ticket_ids)):
        changes.note_touched(ticket_id, via=Via.AGENT, actor_id=actor.pk if actor else None)


@ticket_action
def replace_contact(source: Contact, target: Contact, *, actor: User | None) -> dict[str, Any]:
    """Point every ticket row that names ``source`` at ``target``; returns what moved."""
    through = Ticket.ccs.through
    moved: dict[str, Any] = {
        "tickets": list(Ticket.objects.filter(requester=source).values_list("pk", flat=True)),
        "ccs": list(through.objects.filter(contact=source).values_list("ticket_id", flat=True)),
        "target_cc_before": list(
            through.objects.filter(contact=target).values_list("ticket_id", flat=True)
        ),
        "messages": list(
            Message.objects.filter(author_contact=source).values_list("pk", flat=True)
        ),
    }
    _set_requester(moved["tickets"], target, actor)
    for ticket_id in moved["ccs"]:
        through.objects.filter(ticket_id=ticket_id, contact=source).delete()
        ticket = Ticket.objects.get(pk=ticket_id)
        if ticket.requester_id != target.pk and ticket_id not in moved["target_cc_before"]:
            ticket.ccs.add(target)
    authored = Message.objects.filter(pk__in=moved["messages"])
    authored.update(author_contact=target)
    _announce(
        [*moved["tickets"], *moved["ccs"], *authored.values_list("ticket_id", flat=True)], actor
    )
    return moved


@ticket_action
def restore_contact(
    source: Contact, target: Contact, moved: dict[str, Any], *, actor: User | None
) -> None:
    """Undo `replace_contact`: move back what still points at ``target`` because of it."""
    still = list(
        Ticket.objects.filter(pk__in=moved.get("tickets", []), requester=target).values_list(
            "pk", flat=True
        )
    )
    _set_requester(still, source, actor)
    through = Ticket.ccs.through
    cc_before = set(moved.get("target_cc_before", []))
    cc_tickets = []
    for ticket_id in moved.get("ccs", []):
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            continue
        ticket.ccs.add(source)
        cc_tickets.append(ticket_id)
        if ticket_id not in cc_before:
            through.objects.filter(ticket_id=ticket_id, contact=target).delete()
    authored = Message.objects.filter(pk__in=moved.get("messages", []), author_contact=target)
    authored_tickets = list(authored.values_list("ticket_id", flat=True))
    authored.update(author_contact=source)
    _announce([*still, *cc_tickets, *authored_tickets], actor)
