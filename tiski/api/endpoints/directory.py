"""What tickets refer to: users, teams, tags, ticket types; the inbox views and their counts."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from ninja import Router

from tiski.accounts.models import Team, User
from tiski.desk import inbox
from tiski.tickets.models import Tag, Ticket, TicketType

from ..schemas import TagOut, TeamOut, TicketTypeOut, UserOut, ViewOut

router = Router()


@router.get("/users", response=list[UserOut], tags=["users"])
def list_users(request: HttpRequest):
    users = User.objects.order_by("name", "pk").prefetch_related("teams")
    return [
        {
            "id": u.pk,
            "name": u.name,
            "email": u.email,
            "role": u.role,
            "is_active": u.is_active,
            "team_ids": sorted(t.pk for t in u.teams.all()),
        }
        for u in users
    ]


@router.get("/teams", response=list[TeamOut], tags=["teams"])
def list_teams(request: HttpRequest):
    teams = Team.objects.order_by("name").prefetch_related("members")
    return [
        {
            "id": t.pk,
            "name": t.name,
            "description": t.description,
            "restricted": t.restricted,
            "member_ids": sorted(m.pk for m in t.members.all()),
        }
        for t in teams
    ]


@router.get("/tags", response=list[TagOut], tags=["tags"])
def list_tags(request: HttpRequest):
    """Tags on tickets the user sees (every tag for admins).

    A tag used only on a restricted team's tickets says something about
    them, so it is not listed to others.
    """
    user = request.user
    tags = Tag.objects.all()
    if not user.is_admin:
        on_visible = Ticket.tags.through.objects.filter(
            tag_id=OuterRef("pk"), ticket__in=Ticket.objects.visible_to(user)
        )
        tags = tags.filter(Exists(on_visible))
    return [{"name": name} for name in tags.values_list("name", flat=True)]


@router.get("/ticket-types", response=list[TicketTypeOut], tags=["ticket types"])
def list_ticket_types(request: HttpRequest):
    return list(TicketType.objects.all())


@router.get("/views", response=list[ViewOut], tags=["views"])
def list_views(request: HttpRequest):
    """The desk's inbox views for this user, each with its count (as the sidebar shows it)."""
    user = request.user
    views = inbox.views_for(user)
    counts = inbox.view_counts(Ticket.objects.visible_to(user), views, user)
    return [
        {"key": v.key, "label": str(v.label), "count": counts.get(v.key, 0), "team_id": v.team_id}
        for v in views
    ]
