"""Child tickets from the ticket page: "New child ticket"."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tiski.tickets import actions
from tiski.tickets.labels import priority_choices
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Ticket, Via

from .forms import agent_choices, team_choices, type_choices


class ChildTicketForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    team = forms.ModelChoiceField(queryset=None, required=False)
    assignee = forms.ModelChoiceField(queryset=None, required=False)
    type = forms.ModelChoiceField(queryset=None, required=False)
    # The desk's own priority names where an admin set them.
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=priority_choices)
    due_at = forms.DateTimeField(
        label=gettext_lazy("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    brief = forms.CharField(
        label=gettext_lazy("Brief (internal note)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What the team or agent should do. Customers never see it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"] = team_choices()
        self.fields["assignee"] = agent_choices()
        self.fields["type"] = type_choices()

    def clean(self):
        data = super().clean()
        if not data.get("team") and not data.get("assignee"):
            raise ValidationError(_("Choose the team or the agent who takes the child ticket."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def child_ticket_new(request: HttpRequest, number: int) -> HttpResponse:
    parent = get_visible_ticket(request.user, number)
    if request.method == "POST":
        form = ChildTicketForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                child = actions.create_child_ticket(
                    parent,
                    subject=data["subject"],
                    actor=request.user,
                    via=Via.AGENT,
                    brief=data["brief"],
                    type=data["type"],
                    priority=data["priority"],
                    team=data["team"],
                    assignee=data["assignee"],
                    due_at=data["due_at"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            else:
                flash.success(
                    request,
                    _("Child ticket #%(number)s created.") % {"number": child.number},
                )
                # A child sent to a restricted team may be out of this agent's sight.
                if Ticket.objects.visible_to(request.user).filter(pk=child.pk).exists():
                    return redirect(child.get_absolute_url())
                return redirect(parent.get_absolute_url())
    else:
        form = ChildTicketForm(
            initial={
                "subject": parent.subject,
                "priority": parent.priority,
                "type": parent.type_id,
            }
        )
    return render(
        request,
        "desk/ticket_child_new.html",
        {"ticket": parent, "form": form},
        status=400 if request.method == "POST" else 200,
    )
