"""A Zendesk ticket body read into what Tiski's actions take, or a 422 naming the field.

Unknown fields (custom fields, brands, macros) are left alone rather than
refused, as a script written for Zendesk sends them anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tiski.accounts.models import Team, User
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Contact, IdentityKind, NameSource
from tiski.tickets.models import TicketType

from . import mapping
from .errors import invalid


@dataclass(frozen=True)
class NewComment:
    text: str
    html: str
    public: bool


@dataclass
class TicketChanges:
    fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] | None = None
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    comment: NewComment | None = None


def _tags(raw: Any, name: str) -> list[str]:
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise invalid(name, _("Tags are a list of words."))
    return [t for t in raw if t.strip()]


def whole_number(raw: Any, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise invalid(name, _("Give a whole number."))
    return int(raw)


def _id(raw: Any, name: str) -> int | None:
    return None if raw is None else whole_number(raw, name)


def agent(raw: Any, name: str = "assignee_id") -> User | None:
    user_id = _id(raw, name)
    if user_id is None:
        return None
    found = User.objects.filter(pk=user_id, is_active=True).first()
    if found is None or mapping.is_contact_id(user_id):
        raise invalid(name, _("No such active agent."))
    return found


def team(raw: Any, name: str = "group_id") -> Team | None:
    team_id = _id(raw, name)
    if team_id is None:
        return None
    found = Team.objects.filter(pk=team_id).first()
    if found is None:
        raise invalid(name, _("No such group."))
    return found


def requester(raw: dict[str, Any], fallback: User | None) -> Contact:
    """``requester_id`` (an end user), ``requester: {name, email}``, or the asking agent."""
    if raw.get("requester_id") is not None:
        user_id = _id(raw["requester_id"], "requester_id")
        found = Contact.objects.filter(pk=mapping.contact_pk(user_id or 0)).first()
        if found is None or not mapping.is_contact_id(user_id or 0):
            raise invalid("requester_id", _("No such end user."))
        return found
    person = raw.get("requester")
    if isinstance(person, dict) and person.get("email"):
        email, name = str(person["email"]), str(person.get("name") or "")
    elif fallback is not None:
        # Zendesk makes the asking agent the requester when none is named.
        email, name = fallback.email, fallback.name
    else:
        raise invalid("requester", _("Give requester_id or requester with an email."))
    contact, _created = get_or_create_contact(
        IdentityKind.EMAIL, email, name=name, name_source=NameSource.AGENT
    )
    return contact


def _when(raw: Any, name: str) -> datetime | None:
    if raw in (None, ""):
        return None
    moment = parse_datetime(str(raw)) if isinstance(raw, str) else None
    if moment is None:
        raise invalid(name, _("Give a time like 2026-01-31T12:00:00Z."))
    return moment


def comment(raw: Any) -> NewComment | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"body": raw}
    if not isinstance(raw, dict):
        raise invalid("comment", _("The comment is an object with a body."))
    text, html = str(raw.get("body") or ""), str(raw.get("html_body") or "")
    if not text.strip() and not html.strip():
        raise invalid("comment", _("The comment is empty."))
    return NewComment(text=text, html=html, public=raw.get("public", True) is not False)


def read(raw: dict[str, Any]) -> TicketChanges:
    """The changes a create or update asks for (the requester is read separately)."""
    changes = TicketChanges(comment=comment(raw.get("comment")))
    if "subject" in raw:
        subject = str(raw["subject"] or "").strip()
        if not subject:
            raise invalid("subject", _("The subject cannot be empty."))
        changes.fields["subject"] = subject[:300]
    if raw.get("status") is not None:
        status = mapping.tiski_status(str(raw["status"]))
        if status is None:
            raise invalid(
                "status", _("Choose one of: %(names)s.") % {"names": ", ".join(mapping.STATUSES)}
            )
        changes.fields["status"] = status
    if raw.get("priority") is not None:
        if raw["priority"] not in mapping.PRIORITIES:
            raise invalid(
                "priority",
                _("Choose one of: %(names)s.") % {"names": ", ".join(mapping.PRIORITIES)},
            )
        changes.fields["priority"] = raw["priority"]
    if "assignee_id" in raw:
        changes.fields["assignee"] = agent(raw["assignee_id"])
    if "group_id" in raw:
        changes.fields["team"] = team(raw["group_id"])
    if "due_at" in raw:
        changes.fields["due_at"] = _when(raw["due_at"], "due_at")
    if raw.get("type"):
        # Zendesk's types exist in Tiski only when an admin made them (by identifier).
        found = TicketType.objects.filter(slug=str(raw["type"])).first()
        if found is not None:
            changes.fields["type"] = found
    if "tags" in raw:
        changes.tags = _tags(raw["tags"], "tags")
    changes.add_tags = _tags(raw.get("additional_tags") or [], "additional_tags")
    changes.remove_tags = _tags(raw.get("remove_tags") or [], "remove_tags")
    return changes
