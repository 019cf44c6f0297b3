"""Tiski's rows as Zendesk's JSON objects: tickets, comments, users, organizations, groups.

Fields Zendesk has and Tiski does not (brands, sharing agreements, custom
fields, satisfaction on the ticket) are there with Zendesk's empty value,
so clients that read them find what they expect. ``base`` is the absolute
``.../api/v2`` of the request, for the ``url`` of each object.
"""

from __future__ import annotations

import html
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from tiski.accounts.models import Role, Team, User
from tiski.customers.models import Contact, Identity, IdentityKind, Organisation
from tiski.tickets.models import Attachment, Message, MessageKind, Ticket

from . import mapping
from .mapping import timestamp

ZENDESK_TYPES = ("question", "incident", "problem", "task")
PUBLIC_KINDS = (MessageKind.CUSTOMER, MessageKind.PUBLIC, MessageKind.CALL)


def ticket_queryset(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What a page of tickets needs, in a fixed number of queries."""
    first = (
        Message.objects.filter(ticket=OuterRef("pk"))
        .exclude(kind=MessageKind.SYSTEM)
        .order_by("created_at", "id")
    )
    return (
        qs.select_related("type", "requester")
        .prefetch_related("tags", "ccs")
        .annotate(
            zd_description=Subquery(first.values("text")[:1]),
            zd_preview=Subquery(first.values("preview")[:1]),
            # Zendesk's submitter is the first comment's author: an agent's id when
            # an agent opened the ticket with their own words.
            zd_first_agent=Subquery(first.values("author_user_id")[:1]),
        )
    )


def ticket(t: Ticket, base: str) -> dict[str, Any]:
    requester_id = mapping.contact_user_id(t.requester_id)
    cc_ids = sorted(mapping.contact_user_id(c.pk) for c in t.ccs.all())
    type_slug = t.type.slug if t.type_id else ""
    return {
        "id": t.number,
        "url": f"{base}/tickets/{t.number}.json",
        "external_id": None,
        "via": {"channel": mapping.CHANNELS.get(t.channel, "web"), "source": {}},
        "created_at": timestamp(t.created_at),
        "updated_at": timestamp(t.updated_at),
        "type": type_slug if type_slug in ZENDESK_TYPES else None,
        "subject": t.subject,
        "raw_subject": t.subject,
        "description": getattr(t, "zd_description", None) or getattr(t, "zd_preview", None) or "",
        "priority": t.priority,
        "status": mapping.zendesk_status(t.status),
        "recipient": None,
        "requester_id": requester_id,
        "submitter_id": getattr(t, "zd_first_agent", None) or requester_id,
        "assignee_id": t.assignee_id,
        "organization_id": t.requester.organisation_id,
        "group_id": t.team_id,
        "collaborator_ids": cc_ids,
        "follower_ids": [],
        "email_cc_ids": cc_ids,
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": timestamp(t.due_at),
        "tags": sorted(tag.name for tag in t.tags.all()),
        "custom_fields": [],
        "fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "followup_ids": [],
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
    }


def author_id(message: Message, requester_id: int) -> int | None:
    if message.author_user_id:
        return message.author_user_id
    if message.author_contact_id:
        return mapping.contact_user_id(message.author_contact_id)
    # A customer message without a recorded author is the requester's.
    if message.kind == MessageKind.CUSTOMER:
        return mapping.contact_user_id(requester_id)
    return None


def attachment(a: Attachment, base: str) -> dict[str, Any]:
    url = f"{base}/attachments/{a.pk}/download"
    return {
        "id": a.pk,
        "file_name": a.filename,
        "content_url": url,
        "mapped_content_url": url,
        "content_type": a.content_type,
        "size": a.size,
        "inline": a.inline,
        "deleted": False,
        "thumbnails": [],
    }


def comment(m: Message, base: str, requester_id: int) -> dict[str, Any]:
    plain = m.text or m.preview
    return {
        "id": m.pk,
        "type": "VoiceComment" if m.kind == MessageKind.CALL else "Comment",
        "author_id": author_id(m, requester_id),
        "body": plain,
        "html_body": m.html
        or "".join(f"<p>{html.escape(part)}</p>" for part in plain.split("\n\n") if part),
        "plain_body": plain,
        "public": m.kind in PUBLIC_KINDS,
        "attachments": [attachment(a, base) for a in m.attachments.all()],
        "audit_id": m.pk,
        "via": {"channel": mapping.CHANNELS.get(m.channel, "web"), "source": {}},
        "metadata": {},
        "created_at": timestamp(m.created_at),
    }


def comment_queryset(ticket: Ticket) -> QuerySet[Message]:
    return ticket.messages.exclude(kind=MessageKind.SYSTEM).prefetch_related("attachments")


def user_queryset(qs: QuerySet[User]) -> QuerySet[User]:
    return qs.prefetch_related("teams")


def agent(u: User, base: str) -> dict[str, Any]:
    teams = sorted(t.pk for t in u.teams.all())
    return {
        "id": u.pk,
        "url": f"{base}/users/{u.pk}.json",
        "name": u.name,
        "email": u.email,
        "created_at": timestamp(u.date_joined),
        "updated_at": timestamp(u.date_joined),
        "time_zone": u.time_zone or "Europe/Helsinki",
        "iana_time_zone": u.time_zone or "Europe/Helsinki",
        "phone": None,
        "locale": u.language,
        "organization_id": None,
        "role": mapping.zendesk_role(u.role),
        "role_type": None,
        "verified": True,
        "active": u.is_active,
        "suspended": False,
        "restricted_agent": False,
        "moderator": False,
        # Zendesk's own flag for an agent who may write internal notes only.
        "only_private_comments": u.role == Role.LIGHT_AGENT,
        "default_group_id": teams[0] if teams else None,
        "signature": u.signature,
        "details": "",
        "notes": "",
        "tags": [],
        "user_fields": {},
        "external_id": None,
        "alias": "",
        "shared": False,
    }


def contact_queryset(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    return qs.prefetch_related(Prefetch("identities", queryset=Identity.objects.order_by("pk")))


def end_user(c: Contact, base: str) -> dict[str, Any]:
    user_id = mapping.contact_user_id(c.pk)
    emails = c.identity_values(IdentityKind.EMAIL)
    phones = c.identity_values(IdentityKind.PHONE)
    return {
        "id": user_id,
        "url": f"{base}/users/{user_id}.json",
        "name": c.name or (emails[0] if emails else str(c)),
        "email": emails[0] if emails else None,
        "created_at": timestamp(c.created_at),
        "updated_at": timestamp(c.updated_at),
        "time_zone": "Europe/Helsinki",
        "iana_time_zone": "Europe/Helsinki",
        "phone": phones[0] if phones else None,
        "locale": c.language,
        "organization_id": c.organisation_id,
        "role": "end-user",
        "role_type": None,
        "verified": True,
        "active": True,
        "suspended": False,
        "only_private_comments": False,
        "default_group_id": None,
        "details": "",
        "notes": c.notes,
        "tags": [],
        "user_fields": {},
        "external_id": None,
        "alias": "",
        "shared": False,
    }


def organization_queryset(qs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    return qs.prefetch_related("domains")


def organization(o: Organisation, base: str) -> dict[str, Any]:
    return {
        "id": o.pk,
        "url": f"{base}/organizations/{o.pk}.json",
        "name": o.name,
        "domain_names": sorted(d.domain for d in o.domains.all()),
        "details": "",
        "notes": o.notes,
        "group_id": None,
        "shared_tickets": False,
        "shared_comments": False,
        "tags": [],
        "organization_fields": {},
        "created_at": timestamp(o.created_at),
        "updated_at": timestamp(o.created_at),
        "external_id": None,
    }


def group(t: Team, base: str) -> dict[str, Any]:
    return {
        "id": t.pk,
        "url": f"{base}/groups/{t.pk}.json",
        "name": t.name,
        "description": t.description,
        "default": False,
        "deleted": False,
        # A restricted team's tickets are its members' only: Zendesk's private group.
        "is_public": not t.restricted,
        "created_at": None,
        "updated_at": None,
    }
