"""Side conversations on the ticket page: start, reply, close (HTMX panel).

Thin views over `tiski.connectors.email.side`. The ticket is always read
through `get_visible_ticket`, and a conversation only through its ticket,
so nobody reaches one of a ticket they may not see. Light agents read the
panel but get no forms, and the actions refuse them as well.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tiski.connectors.email import side
from tiski.connectors.models import SideConversation
from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Status, Ticket, Via

from .forms import team_choices


def _addresses(value: str) -> list[str]:
    found = [a.strip() for a in value.replace(";", ",").split(",") if a.strip()]
    for address in found:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(
                _("“%(address)s” is not an email address.") % {"address": address}
            ) from exc
    return found


class StartForm(forms.Form):
    # A team inside Tiski instead of an outside address: the conversation is
    # then a child ticket for that team (one model for work inside the desk).
    team = forms.ModelChoiceField(queryset=None, required=False)
    to = forms.CharField(label=gettext_lazy("To"), max_length=2000, required=False)
    cc = forms.CharField(label=gettext_lazy("Cc"), max_length=2000, required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    text = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # The panel sits on the ticket page beside the composer: its fields
        # need ids of their own (the composer's reply box is #id_text).
        kwargs.setdefault("auto_id", "side-%s")
        super().__init__(*args, **kwargs)
        self.fields["team"] = team_choices()
        self.fields["team"].label = _("Or a team in Tiski")
        self.fields["team"].empty_label = _("— An outside address —")
        # The team choice comes first in the form, the addresses after it.
        self.order_fields(["team", "to", "cc", "subject", "text"])

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("team") and not data.get("to") and "to" not in self.errors:
            self.add_error("to", _("Give the address to write to, or choose a team."))
        return data

    def clean_to(self) -> list[str]:
        return _addresses(self.cleaned_data["to"])

    def clean_cc(self) -> list[str]:
        return _addresses(self.cleaned_data.get("cc") or "")


def _panel(request: HttpRequest, ticket: Ticket, form: StartForm | None = None, error: str = ""):
    conversations = list(
        SideConversation.objects.filter(ticket=ticket)
        .prefetch_related("messages", "messages__author_user")
        .order_by("-updated_at", "-id")
    )
    return render(
        request,
        "desk/_side_conversations.html",
        {
            "ticket": ticket,
            "conversations": conversations,
            "start_form": form or StartForm(),
            "side_error": error,
            "can_send": request.user.can_reply_publicly and ticket.status != Status.CLOSED,
            "team_threads": _team_threads(request, ticket),
        },
    )


def _team_threads(request: HttpRequest, ticket: Ticket) -> list[tuple[Ticket, bool]]:
    """Conversations with teams inside Tiski: the ticket's children, each with
    whether the reader may open it. One of another team shows only its number,
    team and status, never its subject or brief (``visible_to`` decides)."""
    children = list(
        Ticket.objects.filter(parent=ticket).select_related("team").order_by("-created_at")
    )
    seen = set(
        Ticket.objects.visible_to(request.user)
        .filter(pk__in=[c.pk for c in children])
        .values_list("pk", flat=True)
    )
    return [(child, child.pk in seen) for child in children]


def _done(request: HttpRequest, ticket: Ticket, error: str = "", form: StartForm | None = None):
    if request.headers.get("HX-Request"):
        return _panel(request, ticket, form, error)
    if error:
        flash.error(request, error)
    return redirect(ticket.get_absolute_url())


def _conversation(ticket: Ticket, side_id: int) -> SideConversation:
    found = SideConversation.objects.filter(ticket=ticket, pk=side_id).first()
    if found is None:
        raise Http404
    return found


@login_required
@require_GET
def side_panel(request: HttpRequest, number: int) -> HttpResponse:
    return _panel(request, get_visible_ticket(request.user, number))


@login_required
@require_POST
def side_start(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    if not request.user.can_reply_publicly:
        raise PermissionDenied(_("Light agents can write internal notes only."))
    form = StartForm(request.POST)
    if not form.is_valid():
        errors = [e for field in form.errors.values() for e in field]
        return _done(request, ticket, " ".join(errors), form)
    if form.cleaned_data["team"] is not None:
        return _start_with_team(request, ticket, form)
    try:
        side.start(
            ticket,
            actor=request.user,
            to=form.cleaned_data["to"],
            cc=form.cleaned_data["cc"],
            subject=form.cleaned_data["subject"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        return _done(request, ticket, " ".join(exc.messages), form)
    return _done(request, ticket)


def _start_with_team(request: HttpRequest, ticket: Ticket, form: StartForm) -> HttpResponse:
    """A conversation with a team in Tiski: a child ticket carrying the message as its brief."""
    try:
        actions.create_child_ticket(
            ticket,
            subject=form.cleaned_data["subject"],
            brief=form.cleaned_data["text"],
            team=form.cleaned_data["team"],
            actor=request.user,
            via=Via.AGENT,
        )
    except ValidationError as exc:
        return _done(request, ticket, " ".join(exc.messages), form)
    return _done(request, ticket)


@login_required
@require_POST
def side_reply(request: HttpRequest, number: int, side_id: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    conversation = _conversation(ticket, side_id)
    if not request.user.can_reply_publicly:
        raise PermissionDenied(_("Light agents can write internal notes only."))
    try:
        side.reply(conversation, actor=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        return _done(request, ticket, " ".join(exc.messages))
    return _done(request, ticket)


@login_required
@require_POST
def side_close(request: HttpRequest, number: int, side_id: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    conversation = _conversation(ticket, side_id)
    if not request.user.can_reply_publicly:
        raise PermissionDenied(_("Light agents can write internal notes only."))
    side.close(conversation, actor=request.user)
    return _done(request, ticket)
