"""Writing an Export into the desk through the ticket actions.

Everything is written with the old desk's timestamps, inside
`changes.deferred()`: the SLA and search catch up once at the end, and
nothing that reacts to new tickets (acknowledgements, rules, routing,
satisfaction surveys) runs for history. Each record made is remembered in
SourceRecord, so running the import again updates instead of duplicating.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.accounts.models import Role, Team, User
from tiski.customers.actions import get_or_create_contact, save_organisation
from tiski.customers.models import Contact, IdentityKind, Organisation
from tiski.tickets import changes
from tiski.tickets.actions.create import create_ticket
from tiski.tickets.actions.fields import add_tags, update_ticket
from tiski.tickets.actions.messages import add_message
from tiski.tickets.actions.unit import unit_of_work
from tiski.tickets.models import MessageKind, Status, Tag, Ticket, TicketType, Via

from .custom_fields import landed_values
from .files import read_attachment
from .models import PREFIXES, RecordKind, SourceRecord
from .records import Comment, Export, Person, SourceTicket

log = logging.getLogger(__name__)

# Imported agents get an address of their own when the export has none
# (a deleted agent); .invalid can never receive mail.
NO_ADDRESS_DOMAIN = "moved-in.invalid"


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    # What could not be mapped or read, one line each.
    problems: list[str] = field(default_factory=list)


def reference(source: str, source_id: str) -> str:
    """The old number as agents know it: "ZD#12345"."""
    return f"{PREFIXES[source]}#{source_id}"


class Writer:
    def __init__(
        self,
        export: Export,
        folder: Path | None,
        *,
        fetch_urls: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.export = export
        self.source = export.source
        self.folder = folder
        self.fetch_urls = fetch_urls
        self.progress = progress or (lambda _line: None)
        # The same list: a live reader adds its lines while the writer goes.
        self.summary = Summary(problems=export.problems)
        self.records: dict[tuple[str, str], SourceRecord] = {
            (r.kind, r.source_id): r for r in SourceRecord.objects.filter(source=self.source)
        }
        self._users: dict[str, User] = {}
        self._contacts: dict[str, Contact] = {}

    # --- bookkeeping ---------------------------------------------------------

    def problem(self, line: str) -> None:
        self.summary.problems.append(line)
        log.info("move-in %s: %s", self.source, line)

    def known(self, kind: str, source_id: str) -> SourceRecord | None:
        return self.records.get((kind, source_id))

    def remember(self, kind: str, source_id: str, object_id: int, meta: dict | None = None) -> None:
        record, _created = SourceRecord.objects.update_or_create(
            source=self.source,
            kind=kind,
            source_id=source_id,
            defaults={"object_id": object_id, "meta": meta or {}},
        )
        self.records[(kind, source_id)] = record

    # --- the run -------------------------------------------------------------

    def run(self) -> Summary:
        touched: set[int] = set()
        try:
            with changes.deferred() as touched:
                self.write_all()
        finally:
            # Also when a live read stopped halfway: what was written is caught up.
            changes.catch_up(touched)
        return self.summary

    def write_all(self) -> None:
        with transaction.atomic():
            self.organisations()
            self.teams()
        for ticket in self.export.tickets:
            # One ticket at a time: a ticket that fails is logged and the
            # rest still come in (the next run tries it again).
            counted = self.summary.counts.copy()
            try:
                with unit_of_work():
                    self.ticket(ticket)
            except (ValidationError, PermissionDenied, ValueError) as error:
                # Nothing of the ticket was written, so nothing of it is counted.
                self.summary.counts = counted
                self.summary.counts["tickets_failed"] += 1
                self.problem(
                    _("%(ref)s not imported: %(error)s")
                    % {"ref": reference(self.source, ticket.source_id), "error": error}
                )
                self._users.clear()  # rolled back with the ticket
                self._contacts.clear()
                self.records = {
                    (r.kind, r.source_id): r
                    for r in SourceRecord.objects.filter(source=self.source)
                }

    def organisations(self) -> None:
        for source_id, name in self.export.organisations.items():
            record = self.known(RecordKind.ORGANISATION, source_id)
            current = Organisation.objects.filter(pk=record.object_id).first() if record else None
            if current is None:
                current = Organisation.objects.filter(name=name).first()
            if current is not None and current.name == name:
                self.summary.counts["organisations_kept"] += 1
            else:
                if current is not None:
                    self.summary.counts["organisations_updated"] += 1
                else:
                    self.summary.counts["organisations_created"] += 1
                current = save_organisation(
                    current,
                    actor=None,
                    name=name,
                    domains=list(current.domains.values_list("domain", flat=True))
                    if current
                    else [],
                    notes=current.notes if current else "",
                )
            self.remember(RecordKind.ORGANISATION, source_id, current.pk)

    def teams(self) -> None:
        for source_id, name in self.export.groups.items():
            record = self.known(RecordKind.TEAM, source_id)
            team = Team.objects.filter(pk=record.object_id).first() if record else None
            if team is None:
                team, created = Team.objects.get_or_create(name=name[:100])
                self.summary.counts["teams_created" if created else "teams_kept"] += 1
            else:
                self.summary.counts["teams_kept"] += 1
            self.remember(RecordKind.TEAM, source_id, team.pk)

    # --- people --------------------------------------------------------------

    def person(self, source_id: str) -> Person:
        found = self.export.people.get(source_id)
        if found is None:
            found = Person(source_id=source_id, deleted=True)
            self.export.people[source_id] = found
            if source_id:
                self.problem(
                    _("person %(id)s is not in the export; kept as an unknown person")
                    % {"id": source_id}
                )
        return found

    def user(self, source_id: str) -> User:
        """The agent as a user here; an agent who is not one yet becomes an inactive user."""
        if source_id in self._users:
            return self._users[source_id]
        person = self.person(source_id)
        record = self.known(RecordKind.USER, source_id)
        user = User.objects.filter(pk=record.object_id).first() if record else None
        if user is None and person.email:
            user = User.objects.filter(email__iexact=person.email).first()
        if user is None:
            email = person.email or f"{self.source}-{source_id or 'unknown'}@{NO_ADDRESS_DOMAIN}"
            name = person.name or _("Former agent %(id)s") % {"id": source_id}
            # No password and not active: history names them, nobody logs in as them.
            user = User.objects.create_user(
                email, None, name=name[:150], role=Role.AGENT, is_active=False
            )
            self.summary.counts["users_created"] += 1
        self.remember(RecordKind.USER, source_id, user.pk)
        self._users[source_id] = user
        return user

    def contact(self, source_id: str) -> Contact:
        if source_id in self._contacts:
            return self._contacts[source_id]
        person = self.person(source_id)
        record = self.known(RecordKind.CONTACT, source_id)
        contact = Contact.objects.filter(pk=record.object_id).first() if record else None
        if contact is None:
            organisation = None
            org_record = self.known(RecordKind.ORGANISATION, person.organisation_id)
            if org_record is not None:
                organisation = Organisation.objects.filter(pk=org_record.object_id).first()
            name = person.name[:200]
            if person.email:
                contact, created = get_or_create_contact(
                    IdentityKind.EMAIL, person.email, name=name, organisation=organisation
                )
            elif person.phone:
                contact, created = get_or_create_contact(
                    IdentityKind.PHONE, person.phone, name=name, organisation=organisation
                )
            else:
                # A deleted user keeps their messages, under a name and no address.
                contact = Contact.objects.create(
                    name=name or _("Deleted user %(id)s") % {"id": source_id},
                    organisation=organisation,
                )
                created = True
            if created:
                self.summary.counts["contacts_created"] += 1
        self.remember(RecordKind.CONTACT, source_id, contact.pk)
        self._contacts[source_id] = contact
        return contact

    # --- tickets -------------------------------------------------------------

    def ticket(self, source: SourceTicket) -> None:
        ref = reference(self.source, source.source_id)
        record = self.known(RecordKind.TICKET, source.source_id)
        ticket = (
            Ticket.objects.select_for_update().filter(pk=record.object_id).first()
            if record
            else None
        )
        team = self.team(source.group_id)
        ticket_type = self.ticket_type(source.type_name)
        tags = [Tag.normalise(t) for t in source.tags if Tag.normalise(t)]
        values = landed_values(source.fields, problem=lambda why: self.problem(f"{ref}: {why}"))
        if ticket is None:
            created_at = source.created_at or timezone.now()
            ticket = create_ticket(
                requester=self.contact(source.requester_id),
                subject=source.subject,
                actor=None,
                via=Via.SYSTEM,
                channel=source.channel,
                priority=source.priority,
                type=ticket_type,
                team=team,
                tags=tags,
                created_at=created_at,
                status=Status.NEW,
                text=self.reference_note(source),
                first_message_kind=MessageKind.INTERNAL,
                message_meta={"moved_in": {"source": self.source, "id": source.source_id}},
                fields=values,
            )
            self.summary.counts["tickets_created"] += 1
        elif ticket.status == Status.CLOSED:
            self.summary.counts["tickets_closed_kept"] += 1
            self.remember(RecordKind.TICKET, source.source_id, ticket.pk, self.meta(source))
            return
        else:
            self.summary.counts["tickets_updated"] += 1
            add_tags(ticket, tags, actor=None, via=Via.SYSTEM)
            if values:
                update_ticket(ticket, actor=None, via=Via.SYSTEM, fields=values)
        self.remember(RecordKind.TICKET, source.source_id, ticket.pk, self.meta(source))
        last = ticket.created_at
        for comment in sorted(source.comments, key=lambda c: (c.created_at or last, c.source_id)):
            last = max(last, self.comment(ticket, source, comment) or last)
        self.finish(ticket, source, ref, last)

    def team(self, group_id: str) -> Team | None:
        if not group_id:
            return None
        record = self.known(RecordKind.TEAM, group_id)
        if record is None:
            self.problem(_("group %(id)s is not in the export; no team") % {"id": group_id})
            return None
        return Team.objects.filter(pk=record.object_id).first()

    def ticket_type(self, name: str) -> TicketType | None:
        if not name:
            return None
        return TicketType.objects.filter(
            Q(slug__iexact=name) | Q(name_en__iexact=name) | Q(name_fi__iexact=name)
        ).first()

    def meta(self, source: SourceTicket) -> dict:
        meta: dict = {"fields": source.fields}
        if source.merged_into:
            meta["merged_into"] = source.merged_into
        return meta

    def reference_note(self, source: SourceTicket) -> str:
        """The first note: where the ticket came from, and what had no place here."""
        lines = [
            _("Moved in from %(desk)s: %(ref)s")
            % {"desk": self.source.title(), "ref": reference(self.source, source.source_id)}
        ]
        if source.merged_into:
            lines.append(
                _("Merged there into %(ref)s.")
                % {"ref": reference(self.source, source.merged_into)}
            )
        for name, value in sorted(source.fields.items()):
            if value not in (None, "", [], {}):
                lines.append(f"{name}: {value}")
        return "\n".join(lines)

    def comment(self, ticket: Ticket, source: SourceTicket, comment: Comment) -> datetime | None:
        key = f"{source.source_id}:{comment.source_id}"
        if self.known(RecordKind.MESSAGE, key):
            return None
        person = self.person(comment.author_id)
        customer = comment.incoming if comment.incoming is not None else not person.is_agent
        attachments = []
        for ref in comment.attachments:
            attachment, why = read_attachment(ref, self.folder, fetch=self.fetch_urls)
            if attachment is None:
                self.summary.counts["attachments_missing"] += 1
                self.problem(
                    _("%(ref)s: attachment %(name)s not read: %(why)s")
                    % {
                        "ref": reference(self.source, source.source_id),
                        "name": ref.filename,
                        "why": why,
                    }
                )
            else:
                attachments.append(attachment)
                self.summary.counts["attachments"] += 1
        if not comment.text.strip() and not comment.html.strip() and not attachments:
            self.summary.counts["comments_empty"] += 1
            self.problem(
                _("%(ref)s: comment %(id)s is empty; left out")
                % {"ref": reference(self.source, source.source_id), "id": comment.source_id}
            )
            return None
        at = comment.created_at or ticket.updated_at
        meta: dict = {"moved_in": {"source": self.source, "id": comment.source_id}}
        if customer:
            # The mark import-mail leaves: history is never answered
            # automatically and never asked about in a satisfaction survey.
            meta["suppress_automatic_mail"] = True
            message = add_message(
                ticket,
                kind=MessageKind.CUSTOMER,
                actor=None,
                author_contact=self.contact(comment.author_id),
                via=Via.SYSTEM,
                channel=source.channel,
                text=comment.text,
                html=comment.html,
                attachments=attachments,
                meta=meta,
                created_at=at,
            )
        else:
            message = add_message(
                ticket,
                kind=MessageKind.PUBLIC if comment.public else MessageKind.INTERNAL,
                actor=self.user(comment.author_id),
                via=Via.SYSTEM,
                channel=source.channel,
                text=comment.text,
                html=comment.html,
                attachments=attachments,
                meta=meta,
                created_at=at,
            )
        self.summary.counts["messages_public" if comment.public else "messages_internal"] += 1
        self.remember(RecordKind.MESSAGE, key, message.pk)
        return at

    def finish(self, ticket: Ticket, source: SourceTicket, ref: str, last: datetime) -> None:
        """Status, priority, team and assignee as the old desk had them last."""
        at = max(last, source.updated_at or last)
        wanted: dict = {}
        if source.subject and source.subject[:300] != ticket.subject:
            wanted["subject"] = source.subject[:300]
        if source.priority != ticket.priority:
            wanted["priority"] = source.priority
        team = self.team(source.group_id)
        if team is not None and team != ticket.team:
            wanted["team"] = team
        ticket_type = self.ticket_type(source.type_name)
        if ticket_type is not None and ticket_type != ticket.type:
            wanted["type"] = ticket_type
        if source.assignee_id:
            assignee = self.user(source.assignee_id)
            if assignee.is_active:
                if assignee != ticket.assignee:
                    wanted["assignee"] = assignee
            else:
                self.problem(
                    _("%(ref)s: not assigned to %(name)s, who is not an active user")
                    % {"ref": ref, "name": assignee}
                )
        if wanted:
            update_ticket(ticket, actor=None, via=Via.SYSTEM, at=at, **wanted)
        status = source.status
        if status != ticket.status:
            # The status events say where they came from: the old desk, not a rule here.
            moved = {"moved_in": self.source}
            if status == Status.CLOSED and ticket.status != Status.SOLVED:
                # Closing comes after solving, here as in the old desk.
                update_ticket(
                    ticket,
                    actor=None,
                    via=Via.SYSTEM,
                    at=at,
                    status=Status.SOLVED,
                    event_meta=moved,
                )
            update_ticket(
                ticket, actor=None, via=Via.SYSTEM, at=at, status=status, event_meta=moved
            )
