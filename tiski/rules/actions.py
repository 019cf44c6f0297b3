"""The built-in action types.

Every change to a ticket goes through `tiski.tickets.actions` with
``actor=None, via=Via.RULE``; each handler reports what it caused in an
`ActionOutcome` so the engine can log the firing (and its events) against
the rule. A handler that cannot act (a deleted team, no email address)
returns a skip with the reason instead of raising.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import field_validator

from tiski.core import desk
from tiski.core.bulk import insert_rows
from tiski.core.placeholders import (
    ALLOWED_PLACEHOLDERS,
    placeholders,
    render,
    ticket_values,
    unknown_placeholders,
)
from tiski.tickets import actions as ticket_actions
from tiski.tickets import automatic_mail
from tiski.tickets.automatic_mail import send_automatic_mail
from tiski.tickets.models import EventKind, MessageKind, Priority, Status, Via

from . import options
from .facts import TicketFacts
from .params import Params, param
from .registry import register_action, register_batch

if TYPE_CHECKING:
    from tiski.accounts.models import User
    from tiski.tickets.models import Event, Ticket

LANGUAGES = ("fi", "en")


@dataclass
class ActionContext:
    ticket: Ticket
    facts: TicketFacts
    rule_name: str
    now: datetime


@dataclass
class ActionOutcome:
    events: list[Event] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    notification_ids: list[int] = field(default_factory=list)
    emails: list[Any] = field(default_factory=list)  # whatever the outbox returns, by id
    skipped: list[str] = field(default_factory=list)

    @property
    def effective(self) -> bool:
        return bool(self.events or self.message_ids or self.notification_ids or self.emails)


def _check_template(text: str) -> str:
    unknown = unknown_placeholders(text)
    if unknown:
        raise ValueError(
            _("unknown placeholders %(names)s; allowed: %(allowed)s")
            % {
                "names": ", ".join("{{ " + name + " }}" for name in unknown),
                "allowed": ", ".join("{{ " + name + " }}" for name in ALLOWED_PLACEHOLDERS),
            }
        )
    return text


# A template, or one per language ({"fi": ..., "en": ...}): picked by the
# reader's language, falling back to Finnish, the desk's default.
Localised = str | dict[Literal["fi", "en"], str]


def _check_localised(value: Localised) -> Localised:
    if isinstance(value, dict):
        if not value:
            raise ValueError(_("give the text in at least one language"))
        for text in value.values():
            _check_template(text)
        return value
    return _check_template(value)


def pick_language(value: Localised, language: str) -> str:
    if isinstance(value, str):
        return value
    return value.get(language) or value.get("fi") or next(iter(value.values()))  # type: ignore[call-overload]


def _render(value: Localised, language: str, context: ActionContext) -> str:
    template = pick_language(value, language)
    base_url = getattr(settings, "TISKI_BASE_URL", "")
    values = ticket_values(context.ticket, base_url, placeholders(template))
    return render(template, values)


# --- set fields -----------------------------------------------------------------


class SetStatusParams(Params):
    status: Literal["new", "open", "pending", "on_hold", "solved", "closed"] = param(
        label=gettext_lazy("Status"), options=dict(Status.choices)
    )


class SetPriorityParams(Params):
    # Labels as the desk shows them: admins rename priorities in Settings.
    priority: Literal["low", "normal", "high", "urgent"] = param(
        label=gettext_lazy("Priority"), options=options.priorities
    )


class SetTypeParams(Params):
    # Not "type": that key names the action itself. Null clears the type.
    ticket_type: str | None = param(
        label=gettext_lazy("Type"),
        options=options.ticket_types,
        references="ticket_type",
        none_label=gettext_lazy("No type"),
    )


class SetTeamParams(Params):
    team: int | None = param(
        label=gettext_lazy("Team"),
        options=options.teams,
        references="team",
        none_label=gettext_lazy("No team"),
    )


class SetAssigneeParams(Params):
    assignee: int | None = param(
        label=gettext_lazy("Agent"),
        options=options.agents,
        references="agent",
        none_label=gettext_lazy("Nobody (unassigned)"),
    )


def _named(context: ActionContext) -> dict[str, str]:
    # Every event a rule writes names it, so the timeline and reports can say which one.
    return {"rule": context.rule_name}


def _update(context: ActionContext, **changes: Any) -> ActionOutcome:
    events = ticket_actions.update_ticket(
        context.ticket, actor=None, via=Via.RULE, event_meta=_named(context), **changes
    )
    return ActionOutcome(events=events)


def _update_many(contexts: list[ActionContext], **changes: Any) -> list[ActionOutcome]:
    """`_update` on many tickets through `update_tickets`: a refused ticket
    is skipped with the reason `fire` would have logged for it."""
    if not contexts:
        return []
    # A batch is one rule's: every context carries the same name.
    done = ticket_actions.update_tickets(
        [context.ticket for context in contexts],
        actor=None,
        via=Via.RULE,
        event_meta=_named(contexts[0]),
        **changes,
    )
    outcomes = []
    for context in contexts:
        refused = done.refused.get(context.ticket.pk)
        if refused is not None:
            outcomes.append(ActionOutcome(skipped=[error_text(refused)]))
        else:
            outcomes.append(ActionOutcome(events=done.events.get(context.ticket.pk, [])))
    return outcomes


def error_text(exc: Exception) -> str:
    """How a refused action reads in the rule log."""
    if isinstance(exc, ValidationError):
        return "; ".join(str(message) for message in exc.messages)
    return str(exc) or exc.__class__.__name__


def _set_many(
    skip: str | None, contexts: list[ActionContext], **changes: Any
) -> list[ActionOutcome]:
    """Batch form of a set_* action whose value was looked up once:
    ``skip`` is why none can be set (the row named is gone), else None."""
    if skip is not None:
        return [ActionOutcome(skipped=[skip]) for _context in contexts]
    return _update_many(contexts, **changes)


@register_action("set_status", gettext_lazy("Set status"), SetStatusParams)
def set_status(p: SetStatusParams, context: ActionContext) -> ActionOutcome:
    return _update(context, status=Status(p.status))


@register_batch("set_status")
def set_status_many(p: SetStatusParams, contexts: list[ActionContext]) -> list[ActionOutcome]:
    return _update_many(contexts, status=Status(p.status))


@register_action("set_priority", gettext_lazy("Set priority"), SetPriorityParams)
def set_priority(p: SetPriorityParams, context: ActionContext) -> ActionOutcome:
    return _update(context, priority=Priority(p.priority))


@register_batch("set_priority")
def set_priority_many(p: SetPriorityParams, contexts: list[ActionContext]) -> list[ActionOutcome]:
    return _update_many(contexts, priority=Priority(p.priority))


def _ticket_type(p: SetTypeParams) -> tuple[Any, str | None]:
    from tiski.tickets.models import TicketType

    if p.ticket_type is None:
        return None, None
    ticket_type = TicketType.objects.filter(slug=p.ticket_type).first()
    if ticket_type is None:
        return None, _("no ticket type “%(slug)s”") % {"slug": p.ticket_type}
    return ticket_type, None


@register_action("set_type", gettext_lazy("Set type"), SetTypeParams)
def set_type(p: SetTypeParams, context: ActionContext) -> ActionOutcome:
    return set_type_many(p, [context])[0]


@register_batch("set_type")
def set_type_many(p: SetTypeParams, contexts: list[ActionContext]) -> list[ActionOutcome]:
    ticket_type, skip = _ticket_type(p)
    if skip is None and len(contexts) == 1:
        return [_update(contexts[0], type=ticket_type)]
    return _set_many(skip, contexts, type=ticket_type)


def _team(p: SetTeamParams) -> tuple[Any, str | None]:
    from tiski.accounts.models import Team

    if p.team is None:
        return None, None
    team = Team.objects.filter(pk=p.team).first()
    if team is None:
        return None, _("no team with id %(id)s") % {"id": p.team}
    return team, None


@register_action("set_team", gettext_lazy("Assign to team"), SetTeamParams)
def set_team(p: SetTeamParams, context: ActionContext) -> ActionOutcome:
    return set_team_many(p, [context])[0]


@register_batch("set_team")
def set_team_many(p: SetTeamParams, contexts: list[ActionContext]) -> list[ActionOutcome]:
    team, skip = _team(p)
    if skip is None and len(contexts) == 1:
        return [_update(contexts[0], team=team)]
    return _set_many(skip, contexts, team=team)


def _assignee(p: SetAssigneeParams) -> tuple[Any, str | None]:
    from tiski.accounts.models import User

    if p.assignee is None:
        return None, None
    agent = User.objects.filter(pk=p.assignee, is_active=True).first()
    if agent is None:
        return None, _("no active agent with id %(id)s") % {"id": p.assignee}
    return agent, None


@register_action("set_assignee", gettext_lazy("Assign to agent"), SetAssigneeParams)
def set_assignee(p: SetAssigneeParams, context: ActionContext) -> ActionOutcome:
    return set_assignee_many(p, [context])[0]


@register_batch("set_assignee")
def set_assignee_many(p: SetAssigneeParams, contexts: list[ActionContext]) -> list[ActionOutcome]:
    agent, skip = _assignee(p)
    if skip is None and len(contexts) == 1:
        return [_update(contexts[0], assignee=agent)]
    return _set_many(skip, contexts, assignee=agent)


# --- tags ------------------------------------------------------------------------


class TagsParams(Params):
    tags: list[str] = param(
        label=gettext_lazy("Tags"), references="tag", min_length=1, max_length=50
    )

    @field_validator("tags")
    @classmethod
    def _not_blank(cls, value: list[str]) -> list[str]:
        if not all(name.strip() for name in value):
            raise ValueError(_("a tag cannot be empty"))
        return value


@register_action("add_tags", gettext_lazy("Add tags"), TagsParams)
def add_tags(p: TagsParams, context: ActionContext) -> ActionOutcome:
    events = ticket_actions.add_tags(
        context.ticket, p.tags, actor=None, via=Via.RULE, event_meta=_named(context)
    )
    return ActionOutcome(events=events)


@register_action("remove_tags", gettext_lazy("Remove tags"), TagsParams)
def remove_tags(p: TagsParams, context: ActionContext) -> ActionOutcome:
    from tiski.tickets.models import Tag

    unwanted = {Tag.normalise(name) for name in p.tags}
    current = set(context.ticket.tags.values_list("name", flat=True))
    if not current & unwanted:
        return ActionOutcome()
    events = ticket_actions.set_tags(
        context.ticket, current - unwanted, actor=None, via=Via.RULE, event_meta=_named(context)
    )
    return ActionOutcome(events=events)


# --- internal note ------------------------------------------------------------------


class NoteParams(Params):
    text: Localised = param(label=gettext_lazy("Text"), multiline=True, placeholders=True)

    @field_validator("text")
    @classmethod
    def _template(cls, value: Localised) -> Localised:
        return _check_localised(value)


@register_action("add_note", gettext_lazy("Add an internal note"), NoteParams)
def add_note(p: NoteParams, context: ActionContext) -> ActionOutcome:
    from tiski.tickets.models import Event

    # Notes are for agents: written in the desk's language.
    text = _render(p.text, desk.default_language()[:2], context).strip()
    if not text:
        return ActionOutcome(skipped=[_("the note is empty")])
    message = ticket_actions.add_message(
        context.ticket,
        kind=MessageKind.INTERNAL,
        actor=None,
        via=Via.RULE,
        text=text,
        meta={"rule": context.rule_name},
    )
    # add_message returns the message; its event is the one naming it.
    events = [
        event
        for event in Event.objects.filter(
            ticket_id=context.ticket.pk, kind=EventKind.MESSAGE, created_at=message.created_at
        )
        if event.meta.get("message_id") == message.pk
    ]
    return ActionOutcome(events=events, message_ids=[message.pk])


# --- email -----------------------------------------------------------------------------


class EmailRequesterParams(Params):
    subject: Localised = param(label=gettext_lazy("Subject"), placeholders=True)
    text: Localised = param(label=gettext_lazy("Text"), multiline=True, placeholders=True)

    @field_validator("subject", "text")
    @classmethod
    def _template(cls, value: Localised) -> Localised:
        return _check_localised(value)


class EmailAgentParams(EmailRequesterParams):
    agent: Literal["assignee"] | int = param(
        "assignee",
        label=gettext_lazy("To"),
        options=options.fixed_then({"assignee": gettext_lazy("The assignee")}, options.agents),
        references="agent",
    )


def _queue_email(context: ActionContext, to: list[str], subject: str, text: str) -> ActionOutcome:
    queued = send_automatic_mail(
        ticket=context.ticket,
        to=to,
        subject=subject,
        text=text,
        kind=automatic_mail.RULE,
        from_address=context.facts.mailbox,
    )
    return _mail_outcome(queued)


def _mail_outcome(queued: automatic_mail.QueuedMail) -> ActionOutcome:
    if queued.id is None:
        return ActionOutcome(skipped=[_("no mailbox to send from")])
    outcome = ActionOutcome(emails=[queued.id])
    if not queued.sent:
        # The row exists (and shows in the outbox) but nothing will be sent.
        outcome.skipped.append(_("email not sent: %(reason)s") % {"reason": queued.reason})
    return outcome


def _requester_email(ticket: Ticket) -> str | None:
    from tiski.customers.models import IdentityKind

    for identity in ticket.requester.identities.all():
        if identity.kind == IdentityKind.EMAIL and identity.undeliverable_at is None:
            return identity.value
    return None


@register_action("email_requester", gettext_lazy("Email the requester"), EmailRequesterParams)
def email_requester(p: EmailRequesterParams, context: ActionContext) -> ActionOutcome:
    address = _requester_email(context.ticket)
    if address is None:
        return ActionOutcome(skipped=[_("the requester has no deliverable email address")])
    language = context.ticket.requester.language
    return _queue_email(
        context,
        [address],
        _render(p.subject, language, context).strip(),
        _render(p.text, language, context),
    )


@register_batch("email_requester")
def email_requester_many(
    p: EmailRequesterParams, contexts: list[ActionContext]
) -> list[ActionOutcome]:
    """Each requester's mail rendered in their language, written in one go."""
    from django.db.models import prefetch_related_objects

    # The requesters' addresses in one query, not one per ticket.
    prefetch_related_objects([context.ticket.requester for context in contexts], "identities")
    outcomes: list[ActionOutcome | None] = []
    mails: list[automatic_mail.AutomaticMail] = []
    for context in contexts:
        address = _requester_email(context.ticket)
        if address is None:
            outcomes.append(
                ActionOutcome(skipped=[_("the requester has no deliverable email address")])
            )
            continue
        language = context.ticket.requester.language
        mails.append(
            automatic_mail.AutomaticMail(
                ticket=context.ticket,
                to=[address],
                subject=_render(p.subject, language, context).strip(),
                text=_render(p.text, language, context),
                kind=automatic_mail.RULE,
                from_address=context.facts.mailbox,
            )
        )
        outcomes.append(None)
    sent = iter(automatic_mail.send_automatic_mails(mails))
    return [outcome if outcome is not None else _mail_outcome(next(sent)) for outcome in outcomes]


def _agent(choice: Literal["assignee"] | int, ticket: Ticket) -> User | None:
    from tiski.accounts.models import User

    if choice == "assignee":
        agent = ticket.assignee
    else:
        agent = User.objects.filter(pk=choice).first()
    return agent if agent is not None and agent.is_active else None


@register_action("email_agent", gettext_lazy("Email an agent"), EmailAgentParams)
def email_agent(p: EmailAgentParams, context: ActionContext) -> ActionOutcome:
    agent = _agent(p.agent, context.ticket)
    if agent is None:
        return ActionOutcome(skipped=[_("no agent to email")])
    return _queue_email(
        context,
        [agent.email],
        _render(p.subject, agent.language, context).strip(),
        _render(p.text, agent.language, context),
    )


# --- in-app notification ------------------------------------------------------------------


class NotifyParams(Params):
    """``to``: the assignee, the ticket's team, or a list of agent ids."""

    to: Literal["assignee", "team"] | list[int] = param(
        "assignee",
        label=gettext_lazy("To"),
        options=options.fixed_then(
            {
                "assignee": gettext_lazy("The assignee"),
                "team": gettext_lazy("Members of the ticket's team"),
            },
            options.agents,
        ),
        list_label=gettext_lazy("Chosen agents"),
        references="agent",
    )
    text: Localised = param(label=gettext_lazy("Text"), multiline=True, placeholders=True)

    @field_validator("text")
    @classmethod
    def _template(cls, value: Localised) -> Localised:
        return _check_localised(value)


def _recipients(to: Literal["assignee", "team"] | list[int], ticket: Ticket) -> list[User]:
    from tiski.accounts.models import User

    if to == "assignee":
        users = [ticket.assignee] if ticket.assignee else []
    elif to == "team":
        users = list(ticket.team.members.all()) if ticket.team else []
    else:
        users = list(User.objects.filter(pk__in=to))
    return [user for user in users if user.is_active]


@register_action("notify", gettext_lazy("Notify agents in the app"), NotifyParams)
def notify(p: NotifyParams, context: ActionContext) -> ActionOutcome:
    return notify_many(p, [context])[0]


@register_batch("notify")
def notify_many(p: NotifyParams, contexts: list[ActionContext]) -> list[ActionOutcome]:
    from tiski.notifications.models import Delivery, Kind, Notification
    from tiski.notifications.services import WrittenNotice, deliveries, mail_after_commit

    outcomes: list[ActionOutcome] = []
    owners: list[ActionOutcome] = []
    rows: list[dict[str, Any]] = []
    recipients = [_recipients(p.to, context.ticket) for context in contexts]
    # Each agent's own setting for rule notices: off means off. Read once
    # for everybody in the batch, not once per ticket.
    choice = deliveries({user.pk for users in recipients for user in users}, Kind.RULE)
    for context, users in zip(contexts, recipients, strict=True):
        outcome = ActionOutcome()
        if not users:
            outcome.skipped.append(_("nobody to notify"))
        for user in users:
            if choice[user.pk] == Delivery.OFF:
                continue
            # Plain values, not Notification instances: a backlog pass writes
            # tens of thousands, and building and preparing each instance cost
            # more than the INSERT. The other columns get their defaults.
            rows.append(
                {
                    "user_id": user.pk,
                    "ticket_id": context.ticket.pk,
                    "text": _render(p.text, user.language, context),
                    "created_at": context.now,
                }
            )
            owners.append(outcome)
        outcomes.append(outcome)
    # One INSERT for all of them, returning the new ids in order.
    ids = insert_rows(Notification, rows, returning=True)
    written: list[WrittenNotice] = []
    for outcome, row, pk in zip(owners, rows, ids, strict=True):
        if pk is not None:
            outcome.notification_ids.append(pk)
            written.append(WrittenNotice(pk=pk, user_id=row["user_id"], kind=Kind.RULE))
    mail_after_commit(written)
    return outcomes


__all__ = ["LANGUAGES", "ActionContext", "ActionOutcome", "pick_language"]
