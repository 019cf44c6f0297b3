"""``/api/v2/`` routes: each with and without Zendesk's ``.json`` ending."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import URLPattern, path

from . import attachments, bulk, incremental, people, people_writes, search, ticket_fields, tickets


def both(route: str, view: Callable, name: str) -> list[URLPattern]:
    """Zendesk clients ask for ``tickets.json``; people with curl often leave it off."""
    return [path(f"{route}.json", view, name=name), path(route, view, name=f"{name}-plain")]


urlpatterns = [
    *both("tickets", tickets.tickets, "zd-tickets"),
    *both("tickets/show_many", tickets.show_many, "zd-tickets-show-many"),
    *both("tickets/update_many", bulk.update_many, "zd-tickets-update-many"),
    *both("tickets/create_many", bulk.create_many, "zd-tickets-create-many"),
    *both("tickets/destroy_many", bulk.destroy_many, "zd-tickets-destroy-many"),
    *both("tickets/<int:number>/merge", bulk.merge, "zd-ticket-merge"),
    *both("job_statuses/<int:job_id>", bulk.job_status, "zd-job-status"),
    *both("tickets/<int:number>", tickets.ticket, "zd-ticket"),
    *both("tickets/<int:number>/comments", tickets.comments, "zd-ticket-comments"),
    *both("users", people.users, "zd-users"),
    *both("users/create_or_update", people_writes.create_or_update_user, "zd-users-upsert"),
    *both("users/me", people.me, "zd-me"),
    *both("users/search", people.users_search, "zd-users-search"),
    *both("users/show_many", people.users_show_many, "zd-users-show-many"),
    *both("users/<int:user_id>", people.user, "zd-user"),
    *both("organizations", people.organizations, "zd-organizations"),
    *both(
        "organizations/create_or_update",
        people_writes.create_or_update_organization,
        "zd-organizations-upsert",
    ),
    *both("organizations/<int:org_id>", people.organization, "zd-organization"),
    *both("groups", people.groups, "zd-groups"),
    *both("groups/<int:team_id>", people.group, "zd-group"),
    *both("ticket_fields", ticket_fields.ticket_fields, "zd-ticket-fields"),
    *both("ticket_fields/<int:field_id>", ticket_fields.ticket_field, "zd-ticket-field"),
    *both("search", search.search, "zd-search"),
    *both("search/count", search.search_count, "zd-search-count"),
    *both("incremental/tickets", incremental.by_time, "zd-incremental"),
    *both("incremental/tickets/cursor", incremental.by_cursor, "zd-incremental-cursor"),
    *both("attachments/<int:attachment_id>", attachments.attachment, "zd-attachment"),
    path(
        "attachments/<int:attachment_id>/download", attachments.download, name="zd-attachment-file"
    ),
]
