"""Every write that changes a ticket goes through these functions.

The desk UI, the API, rules and channels all call them, so a change always
writes its events (through `tickets.events`), keeps the report timestamps
and tells open browsers, in one place. ``check_*`` functions validate and
authorise; the others change state. Each public action runs in one
transaction and announces one `TicketChange` per ticket after commit;
several actions inside one `unit_of_work()` announce one change together.

The package is split by concern; import from here, not from the modules:

- `unit`: `unit_of_work`, the `ticket_action` wrapper
- `checks`: validation and authorisation
- `create`: `create_ticket`
- `messages`: add, move, late details of a message; the collision check
- `fields`: fields, tags and CCs; `update_tickets`, one change for many tickets
- `family`: links between tickets, split messages, child tickets
- `escalation`: a ticket handed up to a team lead or a senior team
- `intake`: a batch of customer messages from a channel
- `merge`: ticket merge and its exact undo, and the reads around it
- `bulk`: many tickets at once, with one undo
- `contacts`: the tickets' side of a contact merge and its undo
- `service_levels`: SLA warning and breach events
- `rows`: the row builders shared by the single and the batch writes
"""

from __future__ import annotations

from .bulk import bulk_merge_tickets, bulk_update_tickets, problem_with, undo_bulk_change
from .checks import (
    check_assignable,
    check_can_see,
    check_can_solve,
    check_can_write_message,
    check_not_closed,
)
from .contacts import CONTACT_MERGE_KEYS, replace_contact, restore_contact
from .create import create_ticket
from .escalation import check_can_escalate, escalate
from .family import create_child_ticket, link_tickets, split_message
from .fields import (
    EDITABLE_FIELDS,
    ManyUpdate,
    add_ccs,
    add_tags,
    retag,
    set_tags,
    update_ticket,
    update_tickets,
)
from .intake import IncomingMessage, NewTicket, number_new_tickets, receive_messages
from .merge import (
    check_can_merge,
    merge_candidates,
    merge_tickets,
    merged_targets,
    merges_for,
    undo_ticket_merge,
)
from .messages import add_message, messages_since, move_message, update_message_meta
from .rows import NewAttachment
from .satisfaction import record_satisfaction
from .service_levels import record_sla_event
from .unit import unit_of_work

__all__ = [
    "record_satisfaction",
    "CONTACT_MERGE_KEYS",
    "EDITABLE_FIELDS",
    "ManyUpdate",
    "IncomingMessage",
    "NewAttachment",
    "NewTicket",
    "add_ccs",
    "add_message",
    "add_tags",
    "bulk_merge_tickets",
    "bulk_update_tickets",
    "check_assignable",
    "check_can_merge",
    "check_can_see",
    "check_can_escalate",
    "check_can_solve",
    "check_can_write_message",
    "check_not_closed",
    "create_child_ticket",
    "create_ticket",
    "escalate",
    "link_tickets",
    "merge_candidates",
    "merge_tickets",
    "merged_targets",
    "merges_for",
    "messages_since",
    "move_message",
    "number_new_tickets",
    "problem_with",
    "receive_messages",
    "record_sla_event",
    "replace_contact",
    "restore_contact",
    "retag",
    "set_tags",
    "split_message",
    "undo_bulk_change",
    "undo_ticket_merge",
    "unit_of_work",
    "update_message_meta",
    "update_ticket",
    "update_tickets",
]
