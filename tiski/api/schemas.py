"""Request and response shapes: what the OpenAPI document describes.

Response fields are optional because ``fields=`` may leave any of them out
(sparse fields); the endpoints answer with only the fields asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]


class Error(Schema):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["No such ticket."])
    fields: dict[str, list[str]] = Field(default_factory=dict)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str = Field(description="Download through the API with the same token.")


class MessageOut(Schema):
    id: int | None = None
    ticket: int | None = Field(None, description="The ticket's number.")
    kind: Literal["customer", "public", "internal", "call", "system"] | None = None
    channel: str | None = None
    author_user_id: int | None = None
    author_contact_id: int | None = None
    text: str | None = None
    html: str | None = Field(None, description="Sanitised HTML, when the message had any.")
    created_at: datetime | None = None
    attachments: list[AttachmentOut] | None = None


class IdentityOut(Schema):
    id: int
    kind: str = Field(examples=["email"])
    value: str = Field(examples=["maija@example.fi"])


class ContactOut(Schema):
    id: int | None = None
    name: str | None = None
    language: str | None = None
    organisation_id: int | None = None
    notes: str | None = None
    identities: list[IdentityOut] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# A custom field's value as JSON (see tickets.custom_fields.json_value).
CustomValue = str | int | float | bool | None


class TicketOut(Schema):
    number: int | None = Field(None, examples=[1042])
    subject: str | None = None
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: str | None = Field(None, description="The ticket type's identifier.")
    channel: str | None = None
    requester_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    parent: int | None = Field(None, description="The parent ticket's number.")
    tags: list[str] | None = None
    custom_fields: dict[str, CustomValue] | None = Field(
        None,
        description="Custom field values by field key: text, a whole number, a decimal as "
        "text, an ISO date, a choice's value, true/false for a checkbox.",
        examples=[{"order_number": "T-1234", "product_group": "devices"}],
    )
    due_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    solved_at: datetime | None = None
    requester: ContactOut | None = Field(None, description="With include=requester.")
    last_message: MessageOut | None = Field(None, description="With include=last_message.")


class TicketPage(Schema):
    data: list[TicketOut]
    next_cursor: str | None = Field(None, description="Pass as cursor= for the next page.")


class MessagePage(Schema):
    data: list[MessageOut]
    next_cursor: str | None = None


class ContactPage(Schema):
    data: list[ContactOut]
    next_cursor: str | None = None


class TicketCreate(Schema):
    subject: str = Field(min_length=1, max_length=300)
    requester_id: int | None = Field(None, description="An existing contact.")
    requester_email: str | None = Field(
        None, description="Found or created as a contact when requester_id is not given."
    )
    requester_name: str = ""
    text: str = Field("", description="The first message: the customer's words.")
    status: StatusName | None = None
    priority: PriorityName = "normal"
    type: str | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    due_at: datetime | None = None
    custom_fields: dict[str, CustomValue] = Field(
        default_factory=dict, description="Custom field values by field key."
    )


class TicketUpdate(Schema):
    subject: str | None = Field(None, min_length=1, max_length=300)
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: str | None = Field(None, description="A type identifier; empty string clears it.")
    team_id: int | None = Field(None, description="0 clears the team.")
    assignee_id: int | None = Field(None, description="0 clears the assignee.")
    requester_id: int | None = None
    due_at: datetime | None = None
    tags: list[str] | None = Field(None, description="The ticket's tags, exactly.")
    custom_fields: dict[str, CustomValue] | None = Field(
        None,
        description="Custom field values by key; only the keys given change, null clears one.",
    )


class MergeIn(Schema):
    target: int = Field(description="The number of the ticket this one is merged into.")


class MessageIn(Schema):
    kind: Literal["public", "internal"] = "internal"
    text: str = Field(min_length=1)
    status_after: StatusName | None = None


class ContactIn(Schema):
    name: str = Field(max_length=200)
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    organisation_id: int | None = None
    language: Literal["fi", "en"] = "fi"
    notes: str = ""


class ContactPatch(Schema):
    name: str | None = Field(None, max_length=200)
    emails: list[str] | None = None
    phones: list[str] | None = None
    organisation_id: int | None = None
    language: Literal["fi", "en"] | None = None
    notes: str | None = None


class OrganisationOut(Schema):
    id: int
    name: str
    notes: str
    domains: list[str]
    created_at: datetime


class UserOut(Schema):
    id: int
    name: str
    email: str
    role: str
    is_active: bool
    team_ids: list[int]


class TeamOut(Schema):
    id: int
    name: str
    description: str
    restricted: bool
    member_ids: list[int]


class TagOut(Schema):
    name: str


class TicketTypeOut(Schema):
    slug: str
    name_fi: str
    name_en: str
    active: bool


class ViewOut(Schema):
    key: str = Field(examples=["mine"])
    label: str
    count: int
    team_id: int | None = None


class MacroOut(Schema):
    id: int
    name: str


class MacroApplyIn(Schema):
    ticket: int = Field(description="The ticket's number.")


class BulkIn(Schema):
    tickets: list[int] = Field(min_length=1, max_length=100, description="Ticket numbers.")
    status: StatusName | None = None
    priority: PriorityName | None = None
    team_id: int | None = Field(None, description="0 clears the team.")
    assignee_id: int | None = Field(None, description="0 clears the assignee.")
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)


class JobOut(Schema):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    total: int
    processed: int
    changed: list[int] = Field(description="Numbers of the tickets changed.")
    skipped: dict[str, str] = Field(description="Ticket number: why it was left alone.")
    error: str
    created_at: datetime
    finished_at: datetime | None


class TicketListParams(Schema):
    view: str | None = Field(None, description="An inbox view's key (see /views), e.g. mine.")
    status: list[str] = Field(default_factory=list)
    priority: list[str] = Field(default_factory=list)
    type: list[str] = Field(default_factory=list, description="Ticket type identifiers.")
    team: list[str] = Field(default_factory=list, description="Team ids, or none.")
    assignee: list[str] = Field(default_factory=list, description="User ids, me, or none.")
    tag: list[str] = Field(
        default_factory=list, description="Every tag given must be on the ticket."
    )
    channel: list[str] = Field(default_factory=list)
    q: str | None = Field(None, description="The desk's search query language.")
    updated_since: datetime | None = Field(
        None, description="Incremental export: changed at or after this, oldest first."
    )
    cursor: str | None = Field(None, description="next_cursor of the previous page.")
    limit: int = Field(25, description="1 to 100.")
    include: str | None = Field(None, description="requester,last_message")
    fields: str | None = Field(None, description="Comma-separated ticket fields to return.")


class IncludeParams(Schema):
    include: str | None = Field(None, description="requester,last_message")


class SideMessageOut(Schema):
    id: int
    incoming: bool = Field(description="True for the third party's mail, false for ours.")
    author_user_id: int | None = Field(None, description="The agent who wrote ours.")
    from_address: str = Field(examples=["tilaukset@toimittaja.example"])
    from_name: str
    text: str
    created_at: datetime


class SideConversationOut(Schema):
    id: int
    ticket: int = Field(description="The ticket's number.")
    subject: str = Field(examples=["Toimituksen 4411 tila"])
    to: list[str]
    cc: list[str]
    status: Literal["open", "closed"]
    created_by_id: int | None = None
    created_at: datetime
    updated_at: datetime
    message_count: int
    messages: list[SideMessageOut] | None = Field(
        None, description="The mails, oldest first: only when one conversation is read."
    )


class SideConversationPage(Schema):
    data: list[SideConversationOut]
    next_cursor: str | None = None


class SideConversationIn(Schema):
    to: list[str] = Field(min_length=1, description="The third party's addresses.")
    cc: list[str] = Field(default_factory=list)
    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1)


class SideReplyIn(Schema):
    text: str = Field(min_length=1)
