"""The desk's rule settings: lists, the builder, and its htmx partials.

Views are thin: they read the request into a `RuleBuilder`, call
`services` (the one write path, which the API can share), and render.
Only admins get here (`admin_required`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.tickets.models import Ticket

from . import services
from .builder import ROOT, ROW_KEY, ChoiceCache, GroupNode, RuleBuilder, new_key, read_row
from .models import RuleFiring
from .registry import GROUP_KEYS, TRIGGER_EVENT_LABELS, RuleKind

FIRINGS_PER_PAGE = 50


@dataclass(frozen=True)
class KindInfo:
    """What the pages say about one kind of rule, and where its pages are."""

    kind: RuleKind
    title: Promise
    new_label: Promise
    intro: Promise

    def url(self, view: str) -> str:
        return f"rules:{self.kind}-{view}"

    @property
    def urls(self) -> dict[str, str]:
        views = ("list", "new", "edit", "active", "move", "order", "duplicate", "delete")
        return {view: self.url(view) for view in (*views, "firings")}


KINDS: dict[str, KindInfo] = {
    "trigger": KindInfo(
        "trigger",
        gettext_lazy("Triggers"),
        gettext_lazy("New trigger"),
        gettext_lazy(
            "Triggers run right after something happens to a ticket, in this order. "
            "Each one acts when its conditions match."
        ),
    ),
    "time": KindInfo(
        "time",
        gettext_lazy("Time rules"),
        gettext_lazy("New time rule"),
        gettext_lazy(
            "Every few minutes, time rules check the tickets that are not closed, in this "
            "order; each acts once per ticket until the ticket changes. Each needs an "
            "“Hours since” condition."
        ),
    ),
}


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else to the login page) and an admin (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_admin:  # type: ignore[union-attr]
            raise PermissionDenied(_("Only admins can change rules."))
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _rules(kind: RuleKind) -> list[Any]:
    rules = list(services.rule_model(kind).objects.order_by("position", "id"))
    for rule in rules:
        events = getattr(rule, "events", None)
        rule.event_labels = (
            [TRIGGER_EVENT_LABELS.get(e, e) for e in events] if isinstance(events, list) else []
        )
    return rules


def _list_context(kind: RuleKind) -> dict[str, Any]:
    return {"info": KINDS[kind], "rules": _rules(kind)}


def _back_to_list(request: HttpRequest, kind: RuleKind) -> HttpResponse:
    """After a change from the list: its rows for htmx, the page otherwise."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "rules/_rule_rows.html", _list_context(kind))
    return redirect(KINDS[kind].url("list"))


# --- lists -------------------------------------------------------------------------


@admin_required
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("rules:trigger-list")


@admin_required
@require_GET
def rule_list(request: HttpRequest, kind: RuleKind) -> HttpResponse:
    return render(request, "rules/rule_list.html", _list_context(kind))


@admin_required
@require_POST
def rule_active(request: HttpRequest, kind: RuleKind, pk: int) -> HttpResponse:
    # The wanted state, not "toggle": a double click or a retry cannot flip it back.
    rule = get_object_or_404(services.rule_model(kind), pk=pk)
    services.set_rule_active(rule, request.POST.get("active") == "1", actor=request.user)
    return _back_to_list(request, kind)


@admin_required
@require_POST
def rule_move(request: HttpRequest, kind: RuleKind, pk: int) -> HttpResponse:
    rule = get_object_or_404(services.rule_model(kind), pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.move_rule(rule, offset, actor=request.user)
    return _back_to_list(request, kind)


@admin_required
@require_POST
def rule_order(request: HttpRequest, kind: RuleKind) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("order") if value.isdigit()]
    services.reorder_rules(kind, ids, actor=request.user)
    return _back_to_list(request, kind)


# --- the editor ----------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, kind: RuleKind, pk: int | None = None) -> HttpResponse:
    model = services.rule_model(kind)
    rule = get_object_or_404(model, pk=pk) if pk is not None else None
    status = 200
    if request.method == "POST":
        builder = RuleBuilder.from_post(kind, request.POST)
        conditions, actions = builder.assemble()
        values: dict[str, Any] = {
            "name": builder.name,
            "active": builder.active,
            "conditions": conditions,
            "actions": actions,
            "events": builder.events if kind == "trigger" else None,
            "rule": rule,
        }
        try:
            if builder.has_builder_errors:
                # Not saved either way; run the checks to show every problem at once.
                services.validate_rule(kind, **values)
                errors: dict[str, list[str]] = {}
            else:
                saved = services.save_rule(kind, actor=request.user, **values)
                flash.success(request, _("Saved “%(name)s”.") % {"name": saved.name})
                return redirect(KINDS[kind].url("list"))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        builder.attach_errors(errors)
        status = 400
    else:
        builder = RuleBuilder.from_rule(kind, rule or model(name="", active=True))
    context = {"info": KINDS[kind], "rule": rule, "builder": builder.prepare()}
    return render(request, "rules/rule_edit.html", context, status=status)


@admin_required
@require_POST
def rule_duplicate(request: HttpRequest, kind: RuleKind, pk: int) -> HttpResponse:
    rule = get_object_or_404(services.rule_model(kind), pk=pk)
    duplicate = services.duplicate_rule(rule, actor=request.user)
    flash.success(request, _("Copied. The copy is switched off until you turn it on."))
    return redirect(KINDS[kind].url("edit"), pk=duplicate.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def rule_delete(request: HttpRequest, kind: RuleKind, pk: int) -> HttpResponse:
    rule = get_object_or_404(services.rule_model(kind), pk=pk)
    if request.method == "POST":
        name = rule.name
        services.delete_rule(rule, actor=request.user)
        flash.success(request, _("Deleted “%(name)s”.") % {"name": name})
        return redirect(KINDS[kind].url("list"))
    return render(request, "rules/rule_delete.html", {"info": KINDS[kind], "rule": rule})


@admin_required
@require_GET
def rule_firings(request: HttpRequest, kind: RuleKind, pk: int) -> HttpResponse:
    rule = get_object_or_404(services.rule_model(kind), pk=pk)
    # Like every ticket list, through visible_to (admins see all today; the
    # page stays right if that ever changes).
    firings = (
        RuleFiring.objects.filter(
            rule_kind=kind,
            rule_id=rule.pk,
            ticket__in=Ticket.objects.visible_to(request.user).values("pk"),
        )
        .select_related("ticket")
        .order_by("-fired_at", "-id")
    )
    page = Paginator(firings, FIRINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "rules/rule_firings.html", {"info": KINDS[kind], "rule": rule, "page": page}
    )


# --- builder partials -----------------------------------------------------------------


@admin_required
@require_GET
def builder_row(request: HttpRequest) -> HttpResponse:
    """One row of the builder, for "add" buttons and when a row's type or
    comparison changes: the row comes back with the inputs its type needs,
    keeping what was typed unless the type changed (``reset=1``)."""
    data = request.GET
    part = data.get("part", "")
    key = data.get("key") or new_key()
    if not ROW_KEY.match(key) or key == ROOT:
        return HttpResponseBadRequest("bad row key")
    parent = data.get(f"{key}-parent") or data.get("parent") or ROOT
    section = data.get(f"{key}-section") or data.get("section") or "all"
    if not ROW_KEY.match(parent) or section not in GROUP_KEYS:
        return HttpResponseBadRequest("bad place")
    if part == "group":
        if parent != ROOT:
            return HttpResponseBadRequest("groups nest one level only")
        group = GroupNode(key, depth=2, parent=parent, section=section)
        return render(request, "rules/_group.html", {"group": group})
    if part not in ("condition", "action"):
        return HttpResponseBadRequest("unknown part")
    row = read_row(part, key, data, reset=data.get("reset") == "1")
    row.parent, row.section = parent, section
    row.prepare(ChoiceCache())
    template = "rules/_condition_row.html" if part == "condition" else "rules/_action_row.html"
    return render(request, template, {"row": row, "new": "key" not in data})
