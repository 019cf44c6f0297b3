"""Working together on a ticket: @mention suggestions, following, escalation.

Thin views over `tiski.notifications`; the ticket is always read through
`get_visible_ticket`, and the suggestions list only agents who may see it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tiski.accounts.models import Team, User
from tiski.core.config_cache import kept
from tiski.notifications import mentions, services
from tiski.notifications.models import FollowReason
from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Status, Ticket, Via

from . import lookups
from .widgets import FastSelect


@login_required
@require_GET
def mention_suggest(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    people = [
        {"name": user.name or user.email, "handle": mentions.handle(user)}
        for user in mentions.candidates(ticket, request.GET.get("q", ""))
    ]
    return render(request, "desk/_mention_results.html", {"people": people})


@login_required
@require_POST
def follow_toggle(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    if request.POST.get("follow") == "1":
        services.follow(request.user, ticket.pk, FollowReason.MANUAL)
    else:
        services.unfollow(request.user, ticket.pk)
    if request.headers.get("HX-Request"):
        return render(request, "desk/_follow_button.html", follow_context(request, ticket))
    return redirect(ticket.get_absolute_url())


def follow_context(request: HttpRequest, ticket: Ticket) -> dict:
    following, followers = services.follow_state(request.user, ticket.pk)
    return {"ticket": ticket, "following": following, "followers": followers}


def refused_mention_error(ticket: Ticket, text: str) -> str:
    """The sentence that refuses a note naming agents who may not see the ticket, or ''."""
    refused = mentions.resolve(ticket, text).refused
    if not refused:
        return ""
    names = ", ".join(user.name or user.email for user in refused)
    return _(
        "%(names)s cannot see this ticket, so the note cannot mention them. "
        "Remove the mention, or first give them the ticket or its team."
    ) % {"names": names}


def escalation_targets() -> list[tuple[str, str]]:
    """Each team's leads ("lead:<team>:<user>"), then each team as a whole ("team:<id>")."""
    choices: list[tuple[str, str]] = []
    # The ticket page shows this form on every ticket: the teams and their
    # leads are lists the web process keeps (core/config_cache.py).
    teams = lookups.teams()
    leads = kept("desk:team-leads", _active_leads)
    for team in teams:
        for lead in leads.get(team.pk, []):
            label = _("%(lead)s, lead of %(team)s") % {"lead": lead, "team": team}
            choices.append((f"lead:{team.pk}:{lead.pk}", label))
    for team in teams:
        choices.append((f"team:{team.pk}", _("Team %(team)s") % {"team": team}))
    return choices


def _active_leads() -> dict[int, list[User]]:
    """Every active lead of every team by team id, in name order."""
    leads: dict[int, list[User]] = {}
    for row in (
        Team.leads.through.objects.filter(user__is_active=True)
        .select_related("user")
        # A lead is shown by id and name (or email).
        .only("team_id", "user__name", "user__email")
        .order_by("user__name", "user_id")
    ):
        leads.setdefault(row.team_id, []).append(row.user)
    return leads


class EscalateForm(forms.Form):
    to = forms.ChoiceField(label=gettext_lazy("Escalate to"), widget=FastSelect)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = escalation_targets()

    def target(self) -> tuple[User | None, Team | None]:
        parts = self.cleaned_data["to"].split(":")
        team = Team.objects.get(pk=int(parts[1]))
        user = User.objects.get(pk=int(parts[2])) if parts[0] == "lead" else None
        return user, team


@login_required
@require_POST
def ticket_escalate(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        flash.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(ticket.get_absolute_url())
    to_user, to_team = form.target()
    try:
        actions.escalate(
            ticket,
            actor=request.user,
            via=Via.AGENT,
            reason=form.cleaned_data["reason"],
            to_user=to_user,
            to_team=to_team,
        )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect(ticket.get_absolute_url())
    who = to_user or to_team
    flash.success(request, _("Ticket escalated to %(who)s.") % {"who": who})
    # The agent may no longer see a ticket handed to another team.
    if services.may_see(request.user, ticket.pk):
        return redirect(ticket.get_absolute_url())
    return redirect("desk:inbox")


@login_required
@require_POST
def solve_override(request: HttpRequest, number: int) -> HttpResponse:
    """An admin solves a parent whose child tickets are still open (recorded as an event)."""
    ticket = get_visible_ticket(request.user, number)
    try:
        actions.update_ticket(
            ticket,
            actor=request.user,
            via=Via.AGENT,
            status=Status.SOLVED,
            override_open_children=True,
        )
    except (ValidationError, PermissionDenied) as exc:
        flash.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        flash.success(request, _("Ticket solved although child tickets are open."))
    return redirect(ticket.get_absolute_url())
