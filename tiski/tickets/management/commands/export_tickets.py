"""`tiski export-tickets`: every ticket and its conversation as JSON Lines.

One JSON object per ticket, one ticket per line, ordered by ticket number;
the format is described (and promised to stay compatible) in
docs/export-format.md. Tickets are streamed in chunks with their messages
and identities prefetched per chunk, so a desk with a million tickets is
exported with a fixed number of queries per chunk and flat memory.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, time
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiski.customers.models import Contact, Identity, IdentityKind
from tiski.tickets.models import Channel, Message, Status, Ticket

# Tickets fetched (and messages prefetched) per round trip.
CHUNK_SIZE = 500


def export_queryset(
    *, statuses: list[str] | None = None, since: datetime | None = None
) -> QuerySet[Ticket]:
    """The tickets to export, with everything a line needs fetched per chunk."""
    messages = (
        Message.objects.select_related("author_user", "author_contact")
        .prefetch_related(
            Prefetch("author_contact__identities", queryset=Identity.objects.order_by("id"))
        )
        .order_by("created_at", "id")
    )
    qs = (
        Ticket.objects.select_related("type", "team", "assignee", "requester")
        .prefetch_related(
            Prefetch("requester__identities", queryset=Identity.objects.order_by("id")),
            Prefetch("messages", queryset=messages),
        )
        .order_by("number")
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs


def _timestamp(value: datetime) -> str:
    # Always UTC, always with microseconds, so every line has the same shape
    # and sorting the strings sorts the instants.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _identities(contact: Contact | None, kind: str) -> list[str]:
    if contact is None:
        return []
    return [i.value for i in contact.identities.all() if i.kind == kind]


def _author(message: Message) -> str | None:
    if message.author_user_id:
        return message.author_user.email
    contact = message.author_contact
    if contact is None:
        return None
    values = _identities(contact, IdentityKind.EMAIL) or _identities(contact, IdentityKind.PHONE)
    return values[0] if values else None


def ticket_record(ticket: Ticket) -> dict[str, Any]:
    """One ticket as the documented export object (docs/export-format.md)."""
    requester = ticket.requester
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "type": ticket.type.slug if ticket.type else None,
        "priority": ticket.priority,
        "team": ticket.team.name if ticket.team else None,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "requester": {
            "name": requester.name,
            "emails": _identities(requester, IdentityKind.EMAIL),
            "phones": _identities(requester, IdentityKind.PHONE),
        },
        "created_at": _timestamp(ticket.created_at),
        "messages": [
            {
                "kind": message.kind,
                "author": _author(message),
                "created_at": _timestamp(message.created_at),
                "text": message.text,
                "message_id": (message.external_id or None)
                if message.channel == Channel.EMAIL
                else None,
            }
            for message in ticket.messages.all()
        ],
    }


def parse_since(value: str) -> datetime:
    """A date means its midnight in the desk's time zone; a naive time is local too."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(
                _("--since wants a date (2025-01-31) or a date and time, not %(value)r.")
                % {"value": value}
            )
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = gettext_lazy(
        "Export tickets with their conversation as JSON Lines, one ticket per line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help=gettext_lazy("Write to this file instead of standard output."),
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=Status.values,
            dest="statuses",
            metavar="STATUS",
            help=gettext_lazy("Only tickets in this status; repeat for several."),
        )
        parser.add_argument(
            "--since",
            metavar="DATE",
            help=gettext_lazy("Only tickets created on or after this date or time."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = parse_since(options["since"]) if options["since"] else None
        tickets = export_queryset(statuses=options["statuses"], since=since)
        output = options["output"]
        if not output:
            self._ensure_utf8_stdout()
            try:
                count = self._write(tickets, self.stdout)
            except BrokenPipeError:
                # `tiski export-tickets | head` closed the pipe: that is the
                # reader's choice, not an error. Point stdout at nothing so
                # the interpreter's final flush does not complain either.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return
        else:
            # Write beside the target and rename at the end, so an export
            # that fails halfway never looks like a complete file.
            target = Path(output)
            partial = target.with_name(f".{target.name}.partial")
            try:
                with partial.open("w", encoding="utf-8", newline="\n") as stream:
                    count = self._write(tickets, stream)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
        if output:
            self.stderr.write(
                _("Exported %(count)d tickets to %(file)s.") % {"count": count, "file": output}
            )

    def _write(self, tickets: QuerySet[Ticket], stream: IO[str]) -> int:
        count = 0
        for ticket in tickets.iterator(chunk_size=CHUNK_SIZE):
            stream.write(json.dumps(ticket_record(ticket), ensure_ascii=False) + "\n")
            count += 1
        return count

    def _ensure_utf8_stdout(self) -> None:
        # The format is UTF-8 whatever the terminal's locale says; a StringIO
        # passed by call_command has no encoding to change.
        real = getattr(self.stdout, "_out", None)
        if real is sys.stdout and hasattr(real, "reconfigure"):
            real.reconfigure(encoding="utf-8")
