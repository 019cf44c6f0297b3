"""Bulk actions on ticket lists: the bar's form posts here, the undo too.

Thin, like the other desk views: the posted ticket ids are read through
``visible_to`` (an id the agent cannot see is ignored, never touched), the
change goes through `tickets.actions.bulk_*` (or the ready answers'
`apply_to_tickets`), and the confirmation with its Undo button is shown on
the list the agent came from (`templatetags/bulk.py`).

"Select all N matching tickets" posts ``scope=all`` with the list's query
instead of ids: the server reads the same view and filters again through
``visible_to`` (`inbox.Listing`), up to `inbox.SELECT_ALL_CAP` tickets. Up
to `MAX_TICKETS` are changed while the agent waits; more go to a background
task (`tasks.bulk_update`), still one `BulkChange` and so one undo.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from tiski.accounts.models import Team, User
from tiski.core.tasks import enqueue
from tiski.macros.models import Macro
from tiski.macros.services import apply_to_tickets
from tiski.tickets import actions
from tiski.tickets.labels import priority_choices
from tiski.tickets.models import BulkChange, Status, Ticket, TicketType, Via

from . import inbox, lookups
from .widgets import FastSelect

# The session key that carries a finished bulk change to the list's banner.
SESSION_KEY = "tiski_bulk_done"
# When a background bulk change was started: the banner finds its record after it.
PENDING_KEY = "tiski_bulk_pending"
# Changed while the agent waits; a larger "all matching" set goes to a task.
MAX_TICKETS = 500
KEEP = ""  # "— no change —" in every select of the bar
CLEAR = "none"


def _choices(rows, empty_label) -> list[tuple[str, str]]:
    return [(KEEP, gettext_lazy("— no change —")), (CLEAR, empty_label)] + [
        (str(pk), str(label)) for pk, label in rows
    ]


class BulkForm(forms.Form):
    """What the bar asks for. Empty means "leave as it is"; ``none`` clears."""

    status = forms.ChoiceField(required=False, widget=FastSelect)
    priority = forms.ChoiceField(required=False, widget=FastSelect)
    type = forms.ChoiceField(required=False, widget=FastSelect)
    team = forms.ChoiceField(required=False, widget=FastSelect)
    assignee = forms.ChoiceField(required=False, widget=FastSelect)
    add_tags = forms.CharField(required=False, max_length=500)
    remove_tags = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep = [(KEEP, _("— no change —"))]
        self.fields["status"].choices = keep + [c for c in Status.choices if c[0] != Status.CLOSED]
        self.fields["priority"].choices = keep + priority_choices()
        self.fields["type"].choices = _choices(
            [(t.pk, t.name) for t in lookups.active_types()], _("— No type —")
        )
        self.fields["team"].choices = _choices(
            [(t.pk, t.name) for t in lookups.teams()], _("— No team —")
        )
        self.fields["assignee"].choices = _choices(
            [(u.pk, str(u)) for u in lookups.active_agents()], _("— Unassigned —")
        )

    def changes(self) -> dict:
        """The fields to set, as update_ticket takes them."""
        data = self.cleaned_data
        result: dict = {}
        for name in ("status", "priority"):
            if data.get(name):
                result[name] = data[name]
        models = {"type": TicketType, "team": Team, "assignee": User}
        for name, model in models.items():
            value = data.get(name)
            if value == CLEAR:
                result[name] = None
            elif value:
                result[name] = model.objects.get(pk=int(value))
        return result

    @staticmethod
    def _tags(raw: str) -> list[str]:
        return [t.strip() for t in raw.split(",") if t.strip()]

    def tags_to_add(self) -> list[str]:
        return self._tags(self.cleaned_data.get("add_tags") or "")

    def tags_to_remove(self) -> list[str]:
        return self._tags(self.cleaned_data.get("remove_tags") or "")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("desk:inbox")
    return target


def selected_tickets(request: HttpRequest) -> list[Ticket]:
    """The posted tickets the agent may see, oldest first; the others are ignored."""
    ids = {int(x) for x in request.POST.getlist("ticket") if x.isdigit()}
    return visible_tickets(request.user, ids)[:MAX_TICKETS]


def visible_tickets(user: User, ids) -> list[Ticket]:
    """These tickets, those the user may see, oldest first."""
    if not ids:
        return []
    return list(
        Ticket.objects.visible_to(user)
        .filter(pk__in=list(ids))
        .select_related("requester", "assignee", "team", "type")
        .order_by("created_at", "id")
    )


def matching_ids(request: HttpRequest) -> list[int]:
    """Every ticket of the list the bar was on (its view and filters), up to the cap."""
    listing = inbox.Listing.from_query(request.user, QueryDict(request.POST.get("scope_query", "")))
    return listing.matching_ids(Ticket.objects.visible_to(request.user), request.user)


def form_data(post: QueryDict) -> dict[str, str]:
    """The bar's choices as plain values, for a background task to read again."""
    return {name: post.get(name, "") for name in BulkForm.base_fields}


def _error(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _done(request: HttpRequest, record: BulkChange) -> HttpResponse:
    request.session[SESSION_KEY] = record.pk
    return HttpResponseRedirect(_next_url(request))


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply the bar's choice to the selected tickets: fields and tags, a ready answer, or merge."""
    op = request.POST.get("op", "update")
    if request.POST.get("scope") == "all":
        if op == "merge":
            flash.error(request, _("Merging works on tickets ticked one by one, not a whole view."))
            return HttpResponseRedirect(_next_url(request))
        ids = matching_ids(request)
        if len(ids) > MAX_TICKETS:
            if op != "update":
                flash.error(
                    request,
                    _("A ready answer goes to at most %(max)d tickets at once.")
                    % {"max": MAX_TICKETS},
                )
                return HttpResponseRedirect(_next_url(request))
            return _update_in_background(request, ids)
        tickets = visible_tickets(request.user, ids)
    else:
        tickets = selected_tickets(request)
    if not tickets:
        flash.error(request, _("Select at least one ticket first."))
        return HttpResponseRedirect(_next_url(request))
    try:
        if op == "merge":
            return _merge(request, tickets)
        if op == "macro":
            raw = request.POST.get("macro", "")
            macro = Macro.objects.usable_by(request.user).filter(
                pk=int(raw) if raw.isdigit() else 0
            )
            if not macro.exists():
                flash.error(request, _("Pick a ready answer to apply."))
                return HttpResponseRedirect(_next_url(request))
            return _done(request, apply_to_tickets(macro.get(), tickets, request.user))
        form = BulkForm(request.POST)
        if not form.is_valid():
            flash.error(request, _("The bulk change was not understood; pick the values again."))
            return HttpResponseRedirect(_next_url(request))
        fields, add, remove = form.changes(), form.tags_to_add(), form.tags_to_remove()
        if not (fields or add or remove):
            flash.error(request, _("Choose at least one change to make."))
            return HttpResponseRedirect(_next_url(request))
        record = actions.bulk_update_tickets(
            tickets,
            actor=request.user,
            via=Via.AGENT,
            fields=fields,
            add_tags=add,
            remove_tags=remove,
        )
    except (ValidationError, PermissionDenied) as exc:
        flash.error(request, _error(exc))
        return HttpResponseRedirect(_next_url(request))
    return _done(request, record)


def _update_in_background(request: HttpRequest, ids: list[int]) -> HttpResponse:
    """Check the bar's choice now, change the tickets in a task after the response."""
    form = BulkForm(request.POST)
    if not form.is_valid() or not (form.changes() or form.tags_to_add() or form.tags_to_remove()):
        flash.error(request, _("Choose at least one change to make."))
        return HttpResponseRedirect(_next_url(request))
    user_id, data = request.user.pk, form_data(request.POST)
    # Sent by name: the task's module imports this one.
    transaction.on_commit(lambda: enqueue("tiski.desk.bulk_update", user_id, ids, data))
    request.session[PENDING_KEY] = timezone.now().isoformat()
    flash.info(
        request,
        _(
            "%(count)d tickets are being changed in the background. The Undo button appears "
            "above the list when the change is done."
        )
        % {"count": len(ids)},
    )
    return HttpResponseRedirect(_next_url(request))


def _merge(request: HttpRequest, tickets: list[Ticket]) -> HttpResponse:
    """Ask which ticket to keep, then merge the others into it."""
    if len(tickets) < 2:
        flash.error(request, _("Select at least two tickets to merge."))
        return HttpResponseRedirect(_next_url(request))
    raw = request.POST.get("target", "")
    target = next((t for t in tickets if str(t.pk) == raw), None)
    if target is None or not request.POST.get("confirm"):
        return render(
            request,
            "desk/bulk_merge.html",
            {"tickets": tickets, "target": target or tickets[0], "next": _next_url(request)},
        )
    record = actions.bulk_merge_tickets(tickets, target, actor=request.user, via=Via.AGENT)
    return _done(request, record)


@login_required
@require_POST
def bulk_undo(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(BulkChange, pk=pk)
    try:
        record, skipped = actions.undo_bulk_change(record, actor=request.user, via=Via.AGENT)
    except (ValidationError, PermissionDenied) as exc:
        flash.error(request, _error(exc))
        return HttpResponseRedirect(_next_url(request))
    restored = record.changed_count - len(skipped)
    flash.success(
        request,
        ngettext(
            "Undone: %(count)d ticket has its earlier values again.",
            "Undone: %(count)d tickets have their earlier values again.",
            restored,
        )
        % {"count": restored},
    )
    for reason in skipped:
        flash.error(request, reason)
    return HttpResponseRedirect(_next_url(request))
