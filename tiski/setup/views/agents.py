"""Agents: the list, inviting by email, editing role, teams, skills and absence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiski.accounts.models import User
from tiski.tickets.models import UNSOLVED, Ticket

from .. import invitations
from ..audit import form_changes, record_setting_change
from ..forms_people import AgentForm, InviteForm
from .common import admin_required

SECTION = "agents"


@require_GET
@admin_required
def agent_list(request: HttpRequest) -> HttpResponse:
    agents = User.objects.order_by("-is_active", "name").prefetch_related("teams")
    open_counts = dict(
        Ticket.objects.visible_to(request.user)  # type: ignore[arg-type]
        .filter(UNSOLVED, assignee__isnull=False)
        .order_by()
        .values_list("assignee")
        .annotate(n=Count("pk"))
    )
    now = timezone.now()
    rows = [
        {
            "user": agent,
            "invited": invitations.is_invited(agent),
            "away": agent.is_out_of_office(now),
            "open_count": open_counts.get(agent.pk, 0),
        }
        for agent in agents
    ]
    return render(request, "setup/agents/list.html", {"rows": rows})


@admin_required
def agent_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = invitations.create_invited_user(
                email=data["email"],
                name=data["name"],
                role=data["role"],
                language=data["language"],
                teams=list(data["teams"]),
            )
            record_setting_change(
                request.user,
                SECTION,
                "created",
                user,
                {
                    "email": [None, user.email],
                    "role": [None, user.get_role_display()],
                    "teams": [None, [str(t) for t in data["teams"]]],
                },
            )
        return _after_invitation(request, user)
    return render(request, "setup/agents/invite.html", {"form": form})


def _after_invitation(request: HttpRequest, user: User) -> HttpResponse:
    error = invitations.send_invitation(request, user, request.user)  # type: ignore[arg-type]
    if error:
        # The admin can still pass the link on by hand.
        messages.error(
            request,
            _("The invitation mail to %(email)s could not be sent: %(error)s")
            % {"email": user.email, "error": error},
        )
        request.session["setup_invite_link"] = invitations.invitation_link(request, user)
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
    return redirect("setup:agent-edit", pk=user.pk)


@require_POST
@admin_required
def agent_resend(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    if not invitations.is_invited(user):
        messages.error(request, _("%(name)s has already chosen a password.") % {"name": user})
        return redirect("setup:agent-edit", pk=user.pk)
    record_setting_change(request.user, SECTION, "changed", user, {"invitation": [None, "sent"]})
    return _after_invitation(request, user)


@admin_required
def agent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agent = get_object_or_404(User, pk=pk)
    form = AgentForm(request.POST or None, instance=agent, editor=request.user)
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        with transaction.atomic():
            form.save()
            if changes:
                record_setting_change(request.user, SECTION, "changed", agent, changes)
        messages.success(request, _("%(name)s saved.") % {"name": agent})
        return redirect("setup:agents")
    return render(
        request,
        "setup/agents/edit.html",
        {
            "form": form,
            "agent": agent,
            "invited": invitations.is_invited(agent),
            "invite_link": request.session.pop("setup_invite_link", ""),
        },
    )


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """The invited colleague chooses a password (no login needed: the link is the key)."""

    template_name = "setup/agents/accept.html"
    success_url = reverse_lazy("desk:login")
    reset_url_token = "choose-password"

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, _("Your password is set. Log in with your email address."))
        return super().form_valid(form)
